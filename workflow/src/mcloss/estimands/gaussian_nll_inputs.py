"""Gaussian NLL and MSE of a model N(m(x), sigma(x)^2) whose mean is a polynomial in x (x ~ p(x)).

y = m*(x) + e (``data: {mean: [b0, b1, ...], noise: <any law with finite variance>}``; the
noise's mean mu_e shifts y) or, heteroscedastic, y = m*(x) + exp(s(x)) e with
``data.noise_log_scale: [s0, s1, ...]`` (s(x) = s0 + s1 x + ...; non-constant on bounded inputs
only): given x the noise then has mean exp(s) mu_e and central moments exp(2 s) v, exp(3 s) mu_3,
exp(4 s) mu_4. The model ``{mean: [...], sigma: s}`` or, heteroscedastic, ``{mean: [...],
log_sigma: [l0, l1, ...]}`` (log sigma(x) = l0 + l1 x + ..., bounded inputs only).
Every term is alpha(x) r^2 + beta(x), r = y - m(x) = c(x) + e', c = m* - m + mu_e, e' the
centred noise with central moments v, mu_3, mu_4 (all given x); so

    E(term | x) = alpha (c^2 + v) + beta,    Var(term | x) = alpha^2 (4 c^2 v + 4 c mu_3 + mu_4 - v^2).

The shared machinery and the model family: estimands.conditional.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from functools import cached_property

import numpy as np

from mcloss.errors import ConfigError
from mcloss.laws.distributions import describe, finite_moment_by_table, make_distribution
from mcloss.maths.numerics import polynomial_logit
from mcloss.maths.tails import TermTail

from .base import Estimand, ExactCheck, Identity, Quantity, register_variant
from .conditional import Conditional, degree, inputs_law, known, mean_se, poly, require_moment, scipy_expect, tolerance
from .formulas import Branch, Frame, Part
from .gan import polynomial_coefficients
from .gaussian_nll import HALF_LOG_2PI, GaussianNLL


class ConditionalGaussianNLL(Conditional, GaussianNLL):
    """Batch MSE and Gaussian NLL of N(m(x), sigma(x)^2) on y = m*(x) + e, x ~ p(x)."""

    def __init__(self, spec, key):
        Estimand.__init__(self, spec, key)
        self.inputs = inputs_law(spec, key)
        data = spec.get("data")
        if not isinstance(data, Mapping) or set(data) not in ({"mean", "noise"}, {"mean", "noise", "noise_log_scale"}):
            raise ConfigError(f"{key}.data", f"with inputs, got {data!r}",
                              "{mean: [b0, b1, ...], noise: <distribution>}: y = b0 + b1 x + ... + noise, "
                              "optionally noise_log_scale: [s0, s1, ...] for y = m*(x) + exp(s(x)) noise")
        self.truth = polynomial_coefficients(data["mean"], f"{key}.data.mean", "b0 + b1 x + ... (lowest order first)")
        self.noise = make_distribution(data["noise"], f"{key}.data.noise")
        finite = finite_moment_by_table(self.noise, 2)
        if finite is None:
            finite = all(math.isfinite(float(v)) for v in (self.noise.mean(), self.noise.var()))
        if not finite:
            raise ConfigError(f"{key}.data.noise", f"{describe(data['noise'])} has no finite variance",
                              "a law with finite variance, e.g. norm, uniform, laplace, t with df > 2")
        # None when absent: then the draws and the exact side are those of y = m*(x) + e, operation for operation.
        self.noise_log_scale = None
        if "noise_log_scale" in data:
            self.noise_log_scale = polynomial_coefficients(data["noise_log_scale"], f"{key}.data.noise_log_scale",
                                                           "s0 + s1 x + ... with y = m*(x) + exp(s(x)) noise")
        model = spec.get("model")
        allowed = "{mean: [m0, m1, ...], sigma: s} with s > 0, or {mean: [m0, m1, ...], log_sigma: [s0, s1, ...]}"
        if not isinstance(model, Mapping) or set(model) not in ({"mean", "sigma"}, {"mean", "log_sigma"}):
            raise ConfigError(f"{key}.model", f"with inputs, got {model!r}", allowed)
        self.model = polynomial_coefficients(model["mean"], f"{key}.model.mean", "m0 + m1 x + ... (lowest order first)")
        if "sigma" in model:
            sigma = model["sigma"]
            if isinstance(sigma, bool) or not isinstance(sigma, (int, float)) or not (math.isfinite(sigma)
                                                                                     and sigma > 0):
                raise ConfigError(f"{key}.model.sigma", f"must be a finite number > 0, got {sigma!r}",
                                  "a number > 0")
            self.log_sigma = [math.log(float(sigma))]
        else:
            self.log_sigma = polynomial_coefficients(model["log_sigma"], f"{key}.model.log_sigma",
                                                     "s0 + s1 x + ... with sigma(x) = exp(s(x))")
        self.constant_sigma = degree(self.log_sigma) == 0
        self.sigma0 = math.exp(self.log_sigma[0])
        d = max(degree(self.truth), degree(self.model))
        require_moment(self.inputs, 4 * d, f"{key}.inputs", spec["inputs"],
                       f"(y - m(x))^2 grows like x^{2 * d} (degree-{d} mean error) and its variance needs "
                       f"E|x|^{4 * d}")
        if not self.constant_sigma and not all(math.isfinite(b) for b in self.inputs.support()):
            raise ConfigError(f"{key}.inputs", f"{describe(spec['inputs'])} is unbounded, but 1/sigma(x)^2 = "
                              "exp(-2 s(x)) of a non-constant log_sigma is not polynomial in x",
                              "a law with bounded support (uniform, beta, truncnorm) for a heteroscedastic model")
        if (self.noise_log_scale is not None and degree(self.noise_log_scale) > 0
                and not all(math.isfinite(b) for b in self.inputs.support())):
            raise ConfigError(f"{key}.data.noise_log_scale", f"a non-constant noise scale exp(s(x)) on "
                              f"{describe(spec['inputs'])} (unbounded), but the moments exp(k s(x)) E e^k are not "
                              "polynomial in x", "a constant [s0], or inputs with bounded support (uniform, beta, "
                              "truncnorm)")

    @cached_property
    def noise_moments(self) -> tuple[float, float, float, float]:
        """The noise's mean and central moments v, mu_3 = skew v^(3/2), mu_4 = (kurtosis + 3) v^2: scipy's
        mean(), var() and stats("sk"), computed when the exact side first asks (a simulate job never does)."""
        mean, var = float(self.noise.mean()), float(self.noise.var())
        skew, kurtosis = (float(v) for v in self.noise.stats(moments="sk"))
        return mean, var, skew * var**1.5, (kurtosis + 3.0) * var**2

    def draw_labels(self, x, rng):
        if self.noise_log_scale is None:
            return polynomial_logit(x, self.truth) + self.noise.rvs(size=x.shape[0], random_state=rng)
        # The same draws of e, in the same order, then scaled: y = m*(x) + exp(s(x)) e.
        e = self.noise.rvs(size=x.shape[0], random_state=rng)
        return polynomial_logit(x, self.truth) + np.exp(polynomial_logit(x, self.noise_log_scale)) * e

    def terms(self, stream, sample):
        x, y = sample
        r = y - polynomial_logit(x, self.model)
        sq = r * r
        if self.constant_sigma:
            z = r / self.sigma0
            return {"mse": sq, "nll": 0.5 * z * z + (HALF_LOG_2PI + self.log_sigma[0])}
        s = polynomial_logit(x, self.log_sigma)
        z = r * np.exp(-s)
        nll = 0.5 * z * z + s + HALF_LOG_2PI
        affine = 0.5 * sq / self.sigma0**2 + (self.log_sigma[0] + HALF_LOG_2PI)
        return {"mse": sq, "nll": nll, "weighted_sq": z * z, "log_sigma": s, "nll_affine_gap": nll - affine}

    @property
    def quantities(self):
        found = [
            Quantity("mse", r"$\frac{1}{n}\sum(y_i-m(x_i))^2$", "batch MSE -> E_x[(m*(x) + mu_e - m(x))^2] + Var e"
                     if self.noise_log_scale is None else "batch MSE -> E_x[(m*(x) + exp(s(x)) mu_e - m(x))^2 + "
                     "exp(2 s(x)) Var e]", unit="squared units of y"),
            Quantity("nll", r"$\frac{1}{n}\sum -\log N(y_i; m(x_i), \sigma(x_i)^2)$",
                     "batch Gaussian NLL, with 0.5 log 2 pi, per-sample mean"),
        ]
        if self.constant_sigma:
            found.append(Quantity("nll_from_mse", r"$\mathrm{MSE}_n/(2\sigma^2)+\frac{1}{2}\log(2\pi\sigma^2)$",
                                  "the affine map of the batch MSE"))
        else:
            found += [
                Quantity("nll_from_weighted", r"$\frac{1}{2n}\sum\frac{(y_i-m(x_i))^2}{\sigma(x_i)^2}"
                         r"+\frac{1}{n}\sum\log\sigma(x_i)+\frac{1}{2}\log 2\pi$",
                         "the NLL from the sigma-weighted MSE and the mean log sigma(x)"),
                Quantity("nll_affine_gap",
                         r"$\mathrm{NLL}_n-[\mathrm{MSE}_n/(2\sigma_0^2)+\frac{1}{2}\log(2\pi\sigma_0^2)]$",
                         "NLL minus the affine map of the MSE at sigma_0 = exp(s0): not 0 when sigma depends on x"),
            ]
        return tuple(found)

    @property
    def identities(self):
        if self.constant_sigma:
            return (Identity("nll", "nll_from_mse", 1e-12,
                             "NLL = MSE / (2 sigma^2) + 0.5 log(2 pi sigma^2) on every batch (any noise law)"),)
        return (Identity("nll", "nll_from_weighted", 1e-12,
                         "NLL = (1/2) weighted MSE + mean log sigma(x) + 0.5 log 2 pi on every batch"),)

    def estimates(self, n, stats):
        found = {q: mean_se(stats, q) for q in ("mse", "nll")}
        nll_se = found["nll"][1]
        if self.constant_sigma:
            scale = 0.5 / self.sigma0**2
            mse, mse_se = found["mse"]
            found["nll_from_mse"] = (scale * mse + HALF_LOG_2PI + self.log_sigma[0], scale * mse_se)
        else:
            weighted = 0.5 * stats["weighted_sq"].mean + stats["log_sigma"].mean + HALF_LOG_2PI
            found["nll_from_weighted"] = (weighted, nll_se)   # the same per-sample term, summed apart
            found["nll_affine_gap"] = mean_se(stats, "nll_affine_gap")
        return found

    def term_of(self, quantity):
        return "nll" if quantity in ("nll_from_mse", "nll_from_weighted") else quantity

    def growth(self):
        d = 2 * max(degree(self.truth), degree(self.model))
        return {"mse": d, "nll": d, "nll_affine_gap": d}

    def term_tails(self):
        # (m*(x) - m(x) + exp(s(x)) e)^2 / sigma(x)^2: x^(2d) in the inputs' tails (sigma(x) and a non-constant
        # exp(s(x)) are bounded on the bounded inputs they need; a constant one scales e) plus e^2 in the noise's.
        noise = TermTail(self.noise, 2.0, 2.0)
        return {name: (*tails, noise) for name, tails in super().term_tails().items()}

    def alpha_beta(self, x, quantity):
        """Each term is alpha(x) r^2 + beta(x): its coefficients at x."""
        if quantity == "mse":
            return np.ones_like(x), np.zeros_like(x)
        s = polynomial_logit(x, self.log_sigma)
        alpha, beta = 0.5 * np.exp(-2.0 * s), s + HALF_LOG_2PI
        if quantity == "nll_affine_gap":
            return alpha - 0.5 / self.sigma0**2, beta - (self.log_sigma[0] + HALF_LOG_2PI)
        return alpha, beta

    def noise_given(self, x):
        """The noise's mean and central moments v, mu_3, mu_4 given x: exp(k s(x)) times the law's (k = 1 ... 4)."""
        if self.noise_log_scale is None:
            return self.noise_moments
        mean, v, mu3, mu4 = self.noise_moments
        scale = np.exp(polynomial_logit(x, self.noise_log_scale))
        square = scale * scale
        return mean * scale, v * square, mu3 * square * scale, mu4 * square * square

    def offset(self, x):
        """c(x) = m*(x) + mu_e(x) - m(x): the mean residual given x."""
        return polynomial_logit(x, self.truth) + self.noise_given(x)[0] - polynomial_logit(x, self.model)

    def conditional(self, quantity):
        def mean_given(x):
            alpha, beta = self.alpha_beta(x, quantity)
            c = self.offset(x)
            v = self.noise_given(x)[1]
            return alpha * (c * c + v) + beta

        def var_given(x):
            alpha, _ = self.alpha_beta(x, quantity)
            c = self.offset(x)
            _, v, mu3, mu4 = self.noise_given(x)
            return alpha * alpha * (4.0 * c * c * v + 4.0 * c * mu3 + mu4 - v * v)

        return mean_given, var_given

    def total_variance(self, quantity):
        if not math.isfinite(self.noise_moments[3]):
            return float("nan")   # E e^4 infinite: the variance of r^2 does not exist
        return super().total_variance(quantity)

    def exact_checks(self):
        import scipy.integrate
        import scipy.stats

        exact = self.exact()
        scaled = self.noise_log_scale is not None

        # The noise's raw moments E e^j by its own expect() (not by mean(), var() or stats()): j = 1, 2, and with
        # noise_log_scale 3 and 4 for the variance too.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", scipy.integrate.IntegrationWarning)
            orders = (1, 2, 3, 4) if scaled and math.isfinite(self.noise_moments[3]) else (1, 2)
            moments = {j: float(self.noise.expect(lambda e, j=j: e**j, epsabs=1e-14, epsrel=1e-12)) for j in orders}

        def raw(x, j):
            """E[(exp(s(x)) e)^j | x] = exp(j s(x)) E e^j, s by numpy's polyval (not the estimand's Horner)."""
            if not scaled:
                return moments[j]
            return np.exp(j * np.polynomial.polynomial.polyval(x, self.noise_log_scale)) * moments[j]

        def nll_given(x):
            # E_e[-log N(m*(x) + e; m(x), sigma(x)^2)] expanded in the raw moments, log-density from scipy.
            c0 = polynomial_logit(x, self.truth) - polynomial_logit(x, self.model)
            sigma = np.exp(polynomial_logit(x, self.log_sigma))
            at_mean = -scipy.stats.norm.logpdf(c0, 0.0, sigma)   # c0^2 / (2 sigma^2) + log sigma + log 2 pi / 2
            return at_mean + (2.0 * c0 * raw(x, 1) + raw(x, 2)) / (2.0 * sigma**2)

        scaling = ", each times exp(j s(x))" if scaled else ""
        reference = scipy_expect(nll_given, self.inputs)
        checks = [
            ExactCheck("nll_scipy_expect", exact["nll"], reference, tolerance(reference),
                       "limit against scipy's expect over x of -log N(c0(x); 0, sigma(x)^2) + (2 c0 E e + E e^2) / "
                       f"(2 sigma^2), E e and E e^2 by the noise law's expect(){scaling}"),
        ]
        def mse_given(x):
            c0 = polynomial_logit(x, self.truth) - polynomial_logit(x, self.model)
            return c0 * c0 + 2.0 * c0 * raw(x, 1) + raw(x, 2)

        mse = scipy_expect(mse_given, self.inputs)
        checks.append(ExactCheck("mse_scipy_expect", exact["mse"], mse, tolerance(mse),
                                 f"E_x[(m*(x) - m(x))^2 + 2 (m* - m) E e + E e^2] by scipy's expect{scaling}"))
        if math.isfinite(self.noise_moments[3]):
            def centred(x, mu):
                alpha, beta = self.alpha_beta(x, "nll")
                if scaled:
                    # E[(alpha r^2 + beta - mu)^2 | x], r = c0 + exp(s) e expanded in e's raw moments (expect()).
                    c0 = polynomial_logit(x, self.truth) - polynomial_logit(x, self.model)
                    r2 = c0 * c0 + 2.0 * c0 * raw(x, 1) + raw(x, 2)
                    r4 = c0**4 + 4.0 * c0**3 * raw(x, 1) + 6.0 * c0 * c0 * raw(x, 2) + 4.0 * c0 * raw(x, 3) + raw(x, 4)
                    return alpha * alpha * r4 + 2.0 * alpha * (beta - mu) * r2 + (beta - mu) ** 2
                c = self.offset(x)
                _, v, mu3, mu4 = self.noise_moments
                # E[(alpha r^2 + beta - mu)^2 | x] from the raw moments of r = c + e'.
                r2 = c * c + v
                r4 = c**4 + 6.0 * c * c * v + 4.0 * c * mu3 + mu4
                return alpha * alpha * r4 + 2.0 * alpha * (beta - mu) * r2 + (beta - mu) ** 2

            checks.append(self.variance_check("nll", centred))
        return known(checks)

    def formula_frame(self) -> Frame:
        """Formula variables y, m = m(x), s = sigma(x), x; E f = E_x E_e f(x, m*(x) + exp(s(x)) e) (nested)."""
        def env(x, y):
            return {"x": x, "y": y, "m": polynomial_logit(x, self.model),
                    "s": np.exp(polynomial_logit(x, self.log_sigma))}

        def at(x, e):
            scale = 1.0 if self.noise_log_scale is None else np.exp(polynomial_logit(x, self.noise_log_scale))
            return env(x, polynomial_logit(x, self.truth) + scale * e)

        part = Part("pairs", lambda sample: env(*sample), (self.inputs, self.noise), (Branch(1.0, at),))
        return Frame(("y", "m", "s", "x"), {"": part})

    def describe(self):
        model = (f"sigma = {self.sigma0:g}" if self.constant_sigma
                 else f"log sigma(x) = {poly(self.log_sigma)}")
        noise = "e" if self.noise_log_scale is None else f"exp({poly(self.noise_log_scale)}) e"
        return (f"x ~ {describe(self.spec['inputs'])}, y = {poly(self.truth)} + {noise}, "
                f"e ~ {describe(self.spec['data']['noise'])}, model N({poly(self.model)}, sigma^2), {model}")


# Takes over its estimand's name when a scenario has an `inputs` block (estimands.base.build).
register_variant(ConditionalGaussianNLL, "inputs")
