"""MSE as a Gaussian negative log-likelihood (second source text, comments).

Data y ~ any law with finite variance; the model predicts the same mean m with
a fixed standard deviation sigma for every input. The Gaussian NLL of a batch
(with the constant 0.5 log 2 pi) is an affine map of its MSE:

    NLL_n = (1/n) sum_i [ (y_i - m)^2 / (2 sigma^2) + 0.5 log(2 pi sigma^2) ]
          = MSE_n / (2 sigma^2) + 0.5 log(2 pi sigma^2),

so minimising one over m minimises the other. By the law of large numbers
MSE_n -> E(Y - m)^2 = Var Y + (E Y - m)^2 and NLL_n -> that / (2 sigma^2) +
0.5 log(2 pi sigma^2): only the first two moments of the data matter, Gaussian
or not (the limits use dist.mean() and dist.var(), checked by quadrature). The scenario is built
without them (a simulate job needs neither): the variance is checked finite by the family table
where numpy draws the law, and the moments are scipy's, computed when the exact side first asks.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from functools import cached_property

import numpy as np

from mcloss.errors import ConfigError
from mcloss.laws.distributions import describe, finite_moment_by_table, make_distribution
from mcloss.laws.streams import IIDSampler, StreamSpec
from mcloss.maths.exact import expectation
from mcloss.maths.tails import TermTail

from .base import Estimand, ExactCheck, Identity, Quantity, unresolved_reference, unsettled
from .formulas import Branch, Frame, Part

HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


class GaussianNLL(Estimand):
    """Batch MSE and Gaussian NLL of a constant prediction (m, sigma)."""

    name = "gaussian_nll"

    def __init__(self, spec, key):
        super().__init__(spec, key)
        self.data = make_distribution(spec.get("data"), f"{key}.data")
        finite = finite_moment_by_table(self.data, 2)
        if finite is None:
            finite = math.isfinite(self.data_mean) and math.isfinite(self.data_var)
        if not finite:
            raise ConfigError(f"{key}.data", f"{describe(spec['data'])} has no finite variance "
                              f"(var = {self.data_var!r})",
                              "a distribution with finite variance, e.g. norm, gamma, or t with df > 2")
        model = spec.get("model")
        if not isinstance(model, Mapping) or set(model) != {"mean", "sigma"}:
            raise ConfigError(f"{key}.model", f"got {model!r}", "{mean: m, sigma: s} with s > 0")
        for name in ("mean", "sigma"):
            v = model[name]
            if not isinstance(v, numbers.Real) or isinstance(v, bool) or not math.isfinite(v):
                raise ConfigError(f"{key}.model.{name}", f"must be a finite number, got {v!r}", "a finite number")
        if not model["sigma"] > 0:
            raise ConfigError(f"{key}.model.sigma", f"must be > 0, got {model['sigma']!r}", "a number > 0")
        self.m, self.sigma = float(model["mean"]), float(model["sigma"])
        self.log_sigma = math.log(self.sigma)
        self.offset = HALF_LOG_2PI + self.log_sigma

    @cached_property
    def data_mean(self) -> float:
        """E Y: the law's mean() (scipy's, computed on first use)."""
        return float(self.data.mean())

    @cached_property
    def data_var(self) -> float:
        """Var Y: the law's var() (scipy's, computed on first use)."""
        return float(self.data.var())

    # --- streams and terms ------------------------------------------------------
    @property
    def streams(self):
        return (StreamSpec("data", IIDSampler(self.data)),)

    def stream_counts(self, n):
        return {"data": np.asarray(n, dtype=np.int64)}

    def nll(self, y: np.ndarray) -> np.ndarray:
        """-log N(y; m, sigma^2) per sample, from the standardised residual z = (y - m) / sigma."""
        z = (y - self.m) / self.sigma
        z *= z
        z *= 0.5
        z += self.offset
        return z

    def terms(self, stream, sample):
        r = sample - self.m
        r *= r
        return {"sq": r, "nll": self.nll(sample)}

    # --- quantities -------------------------------------------------------------
    @property
    def quantities(self):
        return (
            Quantity("mse", r"$\frac{1}{n}\sum(y_i-m)^2$", "batch MSE -> Var(Y) + (E Y - m)^2",
                     unit="squared units of y"),
            Quantity("nll", r"$\frac{1}{n}\sum -\log N(y_i; m, \sigma^2)$",
                     "batch Gaussian NLL, with 0.5 log 2 pi, per-sample mean"),
            Quantity("nll_from_mse", r"$\mathrm{MSE}_n/(2\sigma^2)+\frac{1}{2}\log(2\pi\sigma^2)$",
                     "the affine map of the batch MSE"),
        )

    @property
    def identities(self):
        return (Identity("nll", "nll_from_mse", 1e-12,
                         "NLL = MSE / (2 sigma^2) + 0.5 log(2 pi sigma^2) on every batch"),)

    def estimates(self, n, stats):
        sq, nll = stats["sq"], stats["nll"]
        mse_se = np.sqrt(sq.var / sq.count)
        scale = 0.5 / (self.sigma * self.sigma)
        return {
            "mse": (sq.mean, mse_se),
            "nll": (nll.mean, np.sqrt(nll.var / nll.count)),
            "nll_from_mse": (scale * sq.mean + self.offset, scale * mse_se),
        }

    # --- exact limits -----------------------------------------------------------
    def exact(self):
        mse = self.data_var + (self.data_mean - self.m) ** 2
        nll = mse / (2.0 * self.sigma**2) + 0.5 * math.log(2.0 * math.pi * self.sigma**2)
        return {"mse": mse, "nll": nll, "nll_from_mse": nll}

    def asymptotic_variance(self):
        """lim n Var(MSE_n) = E(Y - m)^4 - (E(Y - m)^2)^2, from the central moments (NaN if E Y^4 is infinite).

        With d = E Y - m: E(Y - m)^4 = mu_4 + 4 d mu_3 + 6 d^2 mu_2 + d^4; the NLL's is that / (4 sigma^4).
        """
        skew, kurtosis = (float(x) for x in self.data.stats(moments="sk"))
        mu2 = self.data_var
        mu3, mu4 = skew * mu2**1.5, (kurtosis + 3.0) * mu2**2
        d = self.data_mean - self.m
        fourth = mu4 + 4.0 * d * mu3 + 6.0 * d * d * mu2 + d**4
        mse = fourth - (mu2 + d * d) ** 2 if math.isfinite(fourth) else float("nan")
        nll = mse / (4.0 * self.sigma**4)
        return {"mse": mse, "nll": nll, "nll_from_mse": nll}

    def term_tails(self):
        # (y - m)^2 and the NLL grow like y^2 in both tails of the data's law.
        tail = TermTail(self.data, 2.0, 2.0, self.nll)
        return {q.name: (tail,) for q in self.quantities}

    def exact_checks(self):
        import scipy.stats

        exact = self.exact()
        model = scipy.stats.norm(self.m, self.sigma)
        # Each reference settled on its own: one that quadrature cannot settle is NaN (its check fails), alone.
        mean, why_mean = unsettled(lambda: expectation(lambda y: y, self.data))
        central, why_central = (unsettled(lambda: expectation(lambda y: (y - mean) ** 2, self.data))
                                if not why_mean else (float("nan"), f"E Y: {why_mean}"))
        mse, why_mse = unsettled(lambda: expectation(lambda y: (y - self.m) ** 2, self.data))
        nll, why_nll = unsettled(lambda: expectation(lambda y: -model.logpdf(y), self.data))

        # expectation() accepts QUADPACK error estimates up to 1e-7 relative (singular
        # densities such as beta(0.5, b) get near that), so the checks allow as much.
        def tol(value):
            return 1e-7 * max(1.0, abs(value))

        return [
            ExactCheck("data_mean", self.data_mean, mean, tol(mean),
                       unresolved_reference("dist.mean() against quadrature of E Y", why_mean)),
            ExactCheck("data_var", self.data_var, central, tol(central),
                       unresolved_reference("dist.var() against quadrature of E(Y - EY)^2", why_central)),
            ExactCheck("mse_quadrature", exact["mse"], mse, tol(mse),
                       unresolved_reference("Var Y + (E Y - m)^2 against quadrature of E(Y - m)^2", why_mse)),
            ExactCheck("nll_quadrature", exact["nll"], nll, tol(nll), unresolved_reference(
                "E[MSE]/(2 sigma^2) + 0.5 log(2 pi sigma^2) against quadrature of E[-log N(Y; m, sigma^2)]", why_nll)),
        ]

    def formula_frame(self) -> Frame:
        """Formula variables y, the model's mean m and sigma s (constants); E f = E f(Y), Y ~ the data's law."""
        def env(y):
            return {"y": y, "m": self.m, "s": self.sigma}

        return Frame(("y", "m", "s"), {"": Part("data", env, (self.data,), (Branch(1.0, env),))})

    def describe(self):
        return f"y ~ {describe(self.spec['data'])}, model N({self.m:g}, {self.sigma:g}^2)"
