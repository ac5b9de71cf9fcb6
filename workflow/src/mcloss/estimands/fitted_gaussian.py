"""Least squares fitted to the batch, as the Gaussian NLL's maximum-likelihood fit.

The model N(m(x), sigma^2) with m(x) = beta_0 + ... + beta_d x^d and theta = (beta, s), s = log sigma:
per sample l = log(2 pi)/2 + s + (y - m(x))^2 e^(-2s) / 2. Its minimiser over a batch is least squares
for beta and s = log(RSS / n) / 2 (the maximum-likelihood variance), which start Newton at the
minimum (one evaluation confirms it). Data y = m*(x) + exp(S(x)) e with the scenario's noise law
(``data.noise_log_scale``: S, heteroscedastic noise); with r = y - m(x) = c(x) + e'(x),
c = m* + mu_e e^S - m and e' the centred noise of variance v e^(2S), third and fourth central moments
mu_3 e^(3S), mu_4 e^(4S):

    R(theta) = log(2 pi)/2 + s + e^(-2s) E[c^2 + v e^(2S)] / 2,
    gradient: beta_a: -e^(-2s) r x^a,  s: 1 - e^(-2s) r^2,

so J and K need E r^k | x up to k = 4. Heteroscedastic noise makes the model-based (inverse Fisher)
variance of the slope wrong and the sandwich right (White 1980); the model is well specified (J = K,
tr = d + 2) only for normal, homoscedastic noise and a mean of degree <= d.
"""

from __future__ import annotations

import math

import numpy as np

from mcloss.laws.distributions import describe
from mcloss.maths.numerics import polynomial, polynomial_logit
from mcloss.maths.tails import TermTail

from .base import register_variant
from .conditional import degree, input_expectation, require_moment
from .fitted import Family, FittedModel, Stratum, fit_degree, hankel, laws_rule, powers, weighted_sums
from .gan import polynomial_coefficients
from .gaussian_nll_inputs import ConditionalGaussianNLL

HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


class GaussianFamily(Family):
    """The Gaussian NLL of a degree-d mean and a constant log sigma, on pairs (x, y)."""

    def __init__(self, d: int, rule, inputs, truth, noise_moments, noise, log_scale, normal_noise: bool):
        self.d = d
        self.names = (*(f"mean_{a}" for a in range(d + 1)), "log_sigma")
        self._strata = (Stratum("pairs", 1.0, rule),)
        self.inputs, self.truth, self.noise, self.log_scale = inputs, truth, noise, log_scale
        self.noise_moments = noise_moments
        self.normal_noise = normal_noise

    @property
    def strata(self):
        return self._strata

    def well_specified(self):
        return self.normal_noise and degree(self.log_scale) == 0 and degree(self.truth) <= self.d

    # --- batch side ---------------------------------------------------------------------
    def prepare(self, samples):
        x, y = samples["pairs"]
        return x, y, powers(x, 2 * self.d)

    def _residual(self, theta, data, n):
        x, y, p = data
        return y[:n] - polynomial_logit(x[:n], theta[:-1]), p[:, :n]

    def separated(self, hessian, data, counts):
        """n <= d + 1 samples: least squares interpolates, RSS = 0 and the NLL falls to -inf as sigma -> 0."""
        return counts["pairs"] <= self.d + 1

    def warm_start(self, data, counts, previous):
        n = counts["pairs"]
        x, y, p = data
        beta = np.linalg.solve(hankel(weighted_sums(p[:, :n], np.ones(n)) / n, self.d + 1),
                               weighted_sums(p[: self.d + 1, :n], y[:n]) / n)
        r = y[:n] - polynomial_logit(x[:n], beta)
        return np.append(beta, 0.5 * math.log(float(np.add.reduce(r * r)) / n))

    def batch(self, theta, data, counts):
        n = counts["pairs"]
        r, p = self._residual(theta, data, n)
        e2 = math.exp(-2.0 * theta[-1])
        m2 = float(np.add.reduce(r * r)) / n
        rx = weighted_sums(p[: self.d + 1], r) / n
        grad = np.append(-e2 * rx, 1.0 - e2 * m2)
        hess = np.zeros((self.d + 2, self.d + 2))
        hess[:-1, :-1] = e2 * hankel(weighted_sums(p, np.ones(n)) / n, self.d + 1)
        hess[:-1, -1] = hess[-1, :-1] = 2.0 * e2 * rx
        hess[-1, -1] = 2.0 * e2 * m2
        return HALF_LOG_2PI + theta[-1] + 0.5 * e2 * m2, grad, hess

    def losses(self, theta, data):
        r, _ = self._residual(theta, data, data[0].shape[0])
        return HALF_LOG_2PI + theta[-1] + 0.5 * math.exp(-2.0 * theta[-1]) * r * r

    def batch_spread(self, theta, data, counts):
        n = counts["pairs"]
        r, p = self._residual(theta, data, n)
        e2 = math.exp(-2.0 * theta[-1])
        r2 = r * r
        g_s = 1.0 - e2 * r2
        kmat = np.zeros((self.d + 2, self.d + 2))
        kmat[:-1, :-1] = e2**2 * hankel(weighted_sums(p, r2) / n, self.d + 1)
        kmat[:-1, -1] = kmat[-1, :-1] = -e2 * weighted_sums(p[: self.d + 1], r * g_s) / n
        kmat[-1, -1] = float(np.add.reduce(g_s * g_s)) / n
        mean = np.append(-e2 * weighted_sums(p[: self.d + 1], r) / n, float(np.add.reduce(g_s)) / n)
        loss = 0.5 * e2 * r2
        return kmat - np.outer(mean, mean), float(np.add.reduce((loss - loss.mean()) ** 2))

    # --- population side ----------------------------------------------------------------
    def moments_given_x(self, x, beta):
        """E r^k | x for k = 1..4 (r = y - m(x)), from the noise's central moments scaled by e^(kS(x))."""
        mu, v, mu3, mu4 = self.noise_moments
        scale = np.exp(polynomial_logit(x, self.log_scale))
        c = polynomial_logit(x, self.truth) + mu * scale - polynomial_logit(x, beta)
        v, mu3, mu4 = v * scale**2, mu3 * scale**3, mu4 * scale**4
        return c, c * c + v, c**3 + 3 * c * v + mu3, c**4 + 6 * c * c * v + 4 * c * mu3 + mu4

    def population_start(self):
        """Least squares under p(x) and the log of its residual spread: the minimiser, up to rounding."""
        rule = self._strata[0].rule
        x = rule.nodes
        p = powers(x, 2 * self.d)
        c0, r2 = self.moments_given_x(x, [0.0])[:2]
        beta = np.linalg.solve(hankel(rule.expect(p), self.d + 1), rule.expect(p[: self.d + 1] * c0))
        return np.append(beta, 0.5 * math.log(float(rule.expect(self.moments_given_x(x, beta)[1]))))

    def _population_terms(self, theta, x):
        e2 = math.exp(-2.0 * theta[-1])
        r1, r2, r3, r4 = self.moments_given_x(x, theta[:-1])
        return e2, r1, r2, r3, r4

    def population(self, theta):
        rule = self._strata[0].rule
        x = rule.nodes
        e2, r1, r2, _, _ = self._population_terms(theta, x)
        p = powers(x, 2 * self.d)
        m2 = float(rule.expect(r2))
        rx = rule.expect(p[: self.d + 1] * r1)
        hess = np.zeros((self.d + 2, self.d + 2))
        hess[:-1, :-1] = e2 * hankel(rule.expect(p), self.d + 1)
        hess[:-1, -1] = hess[-1, :-1] = 2.0 * e2 * rx
        hess[-1, -1] = 2.0 * e2 * m2
        return HALF_LOG_2PI + theta[-1] + 0.5 * e2 * m2, np.append(-e2 * rx, 1.0 - e2 * m2), hess

    def population_spread(self, theta):
        rule = self._strata[0].rule
        x = rule.nodes
        e2, r1, r2, r3, r4 = self._population_terms(theta, x)
        p = powers(x, 2 * self.d)
        kmat = np.zeros((self.d + 2, self.d + 2))
        kmat[:-1, :-1] = e2**2 * hankel(rule.expect(p * r2), self.d + 1)
        kmat[:-1, -1] = kmat[-1, :-1] = -e2 * rule.expect(p[: self.d + 1] * (r1 - e2 * r3))
        kmat[-1, -1] = float(rule.expect(1.0 - 2.0 * e2 * r2 + e2**2 * r4))
        mean = np.append(-e2 * rule.expect(p[: self.d + 1] * r1), 1.0 - e2 * float(rule.expect(r2)))
        loss_var = 0.25 * e2**2 * (float(rule.expect(r4)) - float(rule.expect(r2)) ** 2)
        return kmat - np.outer(mean, mean), loss_var

    def risk(self, thetas):
        thetas = np.atleast_2d(np.asarray(thetas, dtype=np.float64))
        rule = self._strata[0].rule
        x = rule.nodes
        _, base_r2, _, _ = self.moments_given_x(x, [0.0])      # c0 = m* + mu_e e^S, E r^2 = c0^2 + v
        c0 = self.moments_given_x(x, [0.0])[0]
        v = base_r2 - c0 * c0
        out = np.empty(thetas.shape[0])
        for start in range(0, thetas.shape[0], 1024):
            block = thetas[start : start + 1024]
            m = np.repeat(block[:, -2:-1], x.shape[0], axis=1)
            for a in range(block.shape[1] - 3, -1, -1):
                m *= x
                m += block[:, a : a + 1]
            c = c0 - m
            out[start : start + 1024] = (HALF_LOG_2PI + block[:, -1]
                                         + 0.5 * np.exp(-2.0 * block[:, -1]) * rule.expect(c * c + v))
        return out

    def adaptive(self, theta):
        q = self.d + 2
        e2 = math.exp(-2.0 * theta[-1])

        def moment(k, power):
            return input_expectation(lambda x: self.moments_given_x(x, theta[:-1])[k - 1] * x**power
                                     if k else x**power, self.inputs)

        m2 = moment(2, 0)
        rx = np.array([moment(1, a) for a in range(self.d + 1)])
        jmat, kmat = np.zeros((q, q)), np.zeros((q, q))
        for a in range(self.d + 1):
            for b in range(self.d + 1):
                jmat[a, b] = e2 * moment(0, a + b)
                kmat[a, b] = e2**2 * moment(2, a + b)
            jmat[a, -1] = jmat[-1, a] = 2.0 * e2 * rx[a]
            kmat[a, -1] = kmat[-1, a] = -e2 * (rx[a] - e2 * moment(3, a))
        jmat[-1, -1] = 2.0 * e2 * m2
        kmat[-1, -1] = 1.0 - 2.0 * e2 * m2 + e2**2 * moment(4, 0)
        mean = np.append(-e2 * rx, 1.0 - e2 * m2)
        return HALF_LOG_2PI + theta[-1] + 0.5 * e2 * m2, mean, jmat, kmat - np.outer(mean, mean)

    # --- tails ----------------------------------------------------------------------------
    def terms(self, stream, sample, theta):
        x, y = sample
        r = y - polynomial_logit(x, theta[:-1])
        e2 = math.exp(-2.0 * theta[-1])
        out = {"loss_pairs": HALF_LOG_2PI + theta[-1] + 0.5 * e2 * r * r}
        for a in range(self.d + 1):
            out[f"score_pairs_{a}"] = -e2 * r * x**a
        out[f"score_pairs_{self.d + 1}"] = 1.0 - e2 * r * r
        return out

    def growth(self):
        k = float(max(degree(self.truth), self.d))
        inputs = TermTail(self.inputs, 2 * k, 2 * k) if k else TermTail.bounded()
        noise = TermTail(self.noise, 2.0, 2.0)
        return {"loss": (inputs, noise), "score": (inputs, noise)}


class FittedGaussianNLL(FittedModel):
    """Least squares (and the maximum-likelihood variance) fitted to each batch."""

    def __init__(self, spec, key):
        FittedModel.__init__(self, spec, key)
        d = fit_degree(spec, key)
        self.fixed = ConditionalGaussianNLL({**spec, "model": {"mean": [0.0], "sigma": 1.0}}, key)
        fixed = self.fixed
        log_scale = polynomial_coefficients(spec["data"].get("noise_log_scale", [0.0]), f"{key}.data.noise_log_scale",
                                            "s0 + s1 x + ... (lowest order first)")
        require_moment(fixed.noise, 4, f"{key}.data.noise", spec["data"]["noise"],
                       "the sandwich K of the fitted log sigma needs E e^4")
        require_moment(fixed.inputs, 4 * max(d, degree(fixed.truth)), f"{key}.inputs", spec["inputs"],
                       "the sandwich K of a polynomial mean needs these moments of x")
        self.family = GaussianFamily(d, laws_rule(fixed.inputs), fixed.inputs, fixed.truth, fixed.noise_moments,
                                     fixed.noise, log_scale, fixed.noise.dist.name == "norm")
        self.check_theory()

    def describe(self):
        scale = "" if degree(self.family.log_scale) == 0 and self.family.log_scale[0] == 0.0 else \
            f"exp({polynomial(self.family.log_scale)}) "
        return (f"x ~ {describe(self.spec['inputs'])}, y = {polynomial(self.fixed.truth)} + {scale}e, "
                f"e ~ {describe(self.spec['data']['noise'])}; least squares of degree {self.family.d} fitted to "
                "each batch")


FittedGaussianNLL.name = ConditionalGaussianNLL.name       # not in the class body: see fitted_logistic
register_variant(FittedGaussianNLL, "fit")
