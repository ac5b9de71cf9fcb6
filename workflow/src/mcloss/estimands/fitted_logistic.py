"""Logistic models trained on the batch: logistic regression (BCE with inputs) and the GAN discriminator.

Both minimise the pooled binary cross-entropy of a logit polynomial t(x) = theta_0 + theta_1 x + ...:
per sample l = softplus((1 - 2y) t(x)) (= -log sigmoid(t) for y = 1, -log(1 - sigmoid(t)) for y = 0,
formed from the logit), with gradient (sigmoid(t) - y) x^a and Hessian sigmoid(t)(1 - sigmoid(t)) x^(a+b).
Logistic regression draws pairs (x, y), y | x ~ Bernoulli(sigmoid(a(x))); the GAN's batch pools m = n/2
real samples (y = 1, x ~ p_data) and n - m fakes (y = 0, x = G(z)): the discriminator of a batch is the
logistic regression of real against fake with the batch's composition (Goodfellow et al. 2014, the BCE
of the first source text), and its batch value V_n = mean log D(real) + mean log(1 - D(fake)) = -2 L_n.
With the family holding log p_data / p_g (two normals, a quadratic logit) the population maximiser is
D* and V* = -log 4 + 2 JSD(p_data || p_g) (checked). The first-order theory: estimands.fitted.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from mcloss.errors import ConfigError
from mcloss.laws.distributions import describe, log_density_ratio_polynomial
from mcloss.maths.exact import jensen_shannon
from mcloss.maths.numerics import polynomial, polynomial_logit, softplus
from mcloss.maths.quantile_rule import QuantileRule
from mcloss.maths.tails import TermTail

from .base import ExactCheck, Quantity, register_variant
from .binary_cross_entropy import BinaryCrossEntropy
from .binary_cross_entropy_inputs import ConditionalBinaryCrossEntropy
from .conditional import degree, input_expectation, require_moment
from .fitted import (
    Family,
    FittedModel,
    Stratum,
    curvature_ratio,
    fit_degree,
    hankel,
    laws_rule,
    powers,
    weighted_sums,
)
from .gan import GanDiscriminator

# scipy.special is imported by the functions that use it: every job loads every estimand module, and a
# simulate job of a GAN or Gaussian NLL scenario needs none of it (0.3 s of start-up, issue 24).

LOG4 = math.log(4.0)
#: Smallest curvature of the fitted loss relative to the design's, below which a batch counts as separated.
SEPARATION = 1e-6


def _logits(thetas: np.ndarray, x: np.ndarray) -> np.ndarray:
    """t(x_j) for every row of ``thetas`` (M, p) and node x_j: (M, N), by Horner's scheme elementwise."""
    t = np.repeat(thetas[:, -1:], x.shape[0], axis=1)
    for a in range(thetas.shape[1] - 2, -1, -1):
        t *= x
        t += thetas[:, a : a + 1]
    return t


class LogisticFamily(Family):
    """Pooled BCE of a degree-d logit over strata; stratum s has P(y = 1 | x) = ``label[s](x)``.

    ``sample_x[s]`` maps a drawn sample of stream s to (x, y) (y None: the stratum's constant label),
    ``laws[s]`` is (law of the drawn variable, map to x, tail degree of x in it) for the rule and the tails.
    """

    def __init__(self, d: int, strata: tuple[Stratum, ...], label: dict[str, Callable[[np.ndarray], np.ndarray]],
                 sample_xy: dict[str, Callable], tails: dict[str, tuple], truth_in_family: bool):
        self.d = d
        self.names = tuple(f"theta_{a}" for a in range(d + 1))
        self._strata = strata
        self.label = label
        self.sample_xy = sample_xy
        self.tails = tails
        self.truth_in_family = truth_in_family

    @property
    def strata(self):
        return self._strata

    def well_specified(self):
        return self.truth_in_family

    # --- batch side ---------------------------------------------------------------------
    def prepare(self, samples):
        """One array of (x, y) whose prefix of length n is the batch of size n.

        A single stream is taken as drawn; the GAN's two strata (m = n/2 each) are interleaved real, fake,
        real, fake, ..., so that the batch of size n is again a prefix, and every sum is one reduction over
        one array rather than two. Also: the sign s = 1 - 2y of l = softplus(s t), the powers of x and their
        prefix sums (the design's moments at every n, for `separated`), formed once per replicate.
        """
        parts = [self.sample_xy[s.stream](samples[s.stream]) for s in self.strata]
        parts = [(x, np.full(x.shape[0], 1.0 if s.stream == "real" else 0.0) if y is None else y)
                 for s, (x, y) in zip(self.strata, parts)]
        if len(parts) == 1:
            x, y = parts[0]
        else:
            size = min(part[0].shape[0] for part in parts)
            x, y = (np.stack([part[k][:size] for part in parts], axis=1).reshape(-1) for k in (0, 1))
        p = powers(x, 2 * self.d)
        return {"x": x, "y": y, "sign": 1.0 - 2.0 * y, "powers": p, "design": np.cumsum(p, axis=1),
                "strata": len(parts)}

    @staticmethod
    def _size(counts) -> int:
        return sum(counts.values())

    def separated(self, hessian, data, counts):
        """A separated batch: the loss falls to its infimum along a ray, on which every weight sigma(1 - sigma)
        that the direction sees vanishes; Newton stops there once the decrement (of the order of those weights)
        is below its tolerance. So the rule: the curvature relative to the design's, min over directions v of
        v'Hv / v'(sum x^(a+b)/n)v, below SEPARATION (weights of e^-14 or less in that direction) means
        separated, or so nearly that no fit is meaningful. tests/test_fitted.py checks both sides."""
        n = self._size(counts)
        return curvature_ratio(hessian, hankel(data["design"][:, n - 1] / n, self.d + 1)) < SEPARATION

    def _pieces(self, theta, data, n, value_only=False):
        """Per-sample l, r = sigmoid(t) - y and w = sigmoid(t)(1 - sigmoid(t)) over the first n samples.

        One exp and one log1p for all three: with e = exp(-|t|), l = max(s t, 0) + log1p(e) (s = 1 - 2y),
        sigmoid(t) = 1/(1 + e) or e/(1 + e) by the sign of t, and w = e / (1 + e)^2.
        """
        t = polynomial_logit(data["x"][:n], theta)
        e = np.exp(-np.abs(t))
        loss = np.maximum(t * data["sign"][:n], 0.0)
        loss += np.log1p(e)
        if value_only:
            return loss, None, None
        inv = 1.0 / (1.0 + e)
        sig = np.where(t >= 0.0, inv, e * inv)
        return loss, sig - data["y"][:n], e * inv * inv

    def batch(self, theta, data, counts):
        n = self._size(counts)
        loss, r, w = self._pieces(theta, data, n)
        p = data["powers"][:, :n]
        # Kept for batch_spread: Newton's last evaluation is where K_hat is formed, which saves a pass.
        data["last"] = (theta.copy(), n, loss, r)
        return (float(np.add.reduce(loss)) / n, weighted_sums(p[: self.d + 1], r) / n,
                hankel(weighted_sums(p, w) / n, self.d + 1))

    def losses(self, theta, data):
        """The per-sample losses at theta of the whole drawn path (L_n(theta) is the mean of the first n)."""
        return self._pieces(theta, data, data["x"].shape[0], True)[0]

    def batch_spread(self, theta, data, counts):
        """K_hat: the covariance of the gradients, within each stratum (the GAN's real and fake) and averaged."""
        n = self._size(counts)
        last = data.get("last")
        if last is not None and last[1] == n and np.array_equal(last[0], theta):
            loss, r = last[2], last[3]
        else:
            loss, r, _ = self._pieces(theta, data, n)
        p = data["powers"][:, :n]
        kmat = hankel(weighted_sums(p, r * r) / n, self.d + 1)
        if data["strata"] == 1:
            mean = weighted_sums(p[: self.d + 1], r) / n
            return kmat - np.outer(mean, mean), float(np.add.reduce((loss - loss.mean()) ** 2))
        loss_ss = 0.0
        for label in (1.0, 0.0):           # equal shares: K_hat = (Cov_real + Cov_fake) / 2
            mine = data["y"][:n] == label
            mean = weighted_sums(p[: self.d + 1], np.where(mine, r, 0.0)) / mine.sum()
            kmat -= 0.5 * np.outer(mean, mean)
            own = loss[mine]
            loss_ss += float(np.add.reduce((own - own.mean()) ** 2))
        return kmat, loss_ss

    # --- population side ----------------------------------------------------------------
    def _conditional(self, stratum: Stratum, t: np.ndarray, x: np.ndarray):
        """P(y=1|x), E(l|x), E(l^2|x), E(r|x), E(r^2|x), sigma(1 - sigma) at the logits t."""
        import scipy.special

        p = self.label[stratum.stream](x)
        sig = scipy.special.expit(t)
        up, down = softplus(-t), softplus(t)           # l at y = 1 and at y = 0
        return (p, p * up + (1 - p) * down, p * up**2 + (1 - p) * down**2, sig - p,
                p * (1 - sig) ** 2 + (1 - p) * sig**2, sig * (1 - sig))

    def population(self, theta):
        value, grad, moments = 0.0, np.zeros(self.d + 1), np.zeros(2 * self.d + 1)
        for s in self.strata:
            x, rule = s.rule.nodes, s.rule
            _, loss, _, r, _, w = self._conditional(s, polynomial_logit(x, theta), x)
            p = powers(x, 2 * self.d)
            value += s.share * float(rule.expect(loss))
            grad += s.share * rule.expect(p[: self.d + 1] * r)
            moments += s.share * rule.expect(p * w)
        return value, grad, hankel(moments, self.d + 1)

    def population_spread(self, theta):
        kmat, loss_var = np.zeros((self.d + 1, self.d + 1)), 0.0
        for s in self.strata:
            x, rule = s.rule.nodes, s.rule
            _, loss, loss2, r, r2, _ = self._conditional(s, polynomial_logit(x, theta), x)
            p = powers(x, 2 * self.d)
            mean_score = rule.expect(p[: self.d + 1] * r)
            kmat += s.share * (hankel(rule.expect(p * r2), self.d + 1) - np.outer(mean_score, mean_score))
            loss_var += s.share * (float(rule.expect(loss2)) - float(rule.expect(loss)) ** 2)
        return kmat, loss_var

    def risk(self, thetas):
        thetas = np.atleast_2d(np.asarray(thetas, dtype=np.float64))
        out = np.zeros(thetas.shape[0])
        for s in self.strata:
            x = s.rule.nodes
            for start in range(0, thetas.shape[0], 1024):
                t = _logits(thetas[start : start + 1024], x)
                out[start : start + 1024] += s.share * s.rule.expect(self._conditional(s, t, x)[1])
        return out

    def adaptive(self, theta):
        """R, gradient, J, K by scipy's adaptive tanh-sinh over each stratum's own law (input_expectation)."""
        p = self.d + 1
        value, grad, jmat, kmat = 0.0, np.zeros(p), np.zeros((p, p)), np.zeros((p, p))
        for s in self.strata:
            law, to_x, _ = self.tails[s.stream]

            def moment(pick, a, b=0, s=s, to_x=to_x, law=law):
                def f(z):
                    x = to_x(z)
                    return self._conditional(s, polynomial_logit(x, theta), x)[pick] * x ** (a + b)
                return input_expectation(f, law)

            value += s.share * moment(1, 0)
            mean_score = np.array([moment(3, a) for a in range(p)])
            grad += s.share * mean_score
            for a in range(p):
                for b in range(a, p):
                    jmat[a, b] += s.share * moment(5, a, b)
                    kmat[a, b] += s.share * (moment(4, a, b) - mean_score[a] * mean_score[b])
        upper = np.triu_indices(p, 1)
        jmat[upper[::-1]], kmat[upper[::-1]] = jmat[upper], kmat[upper]
        return value, grad, jmat, kmat

    # --- tails ----------------------------------------------------------------------------
    def terms(self, stream, sample, theta):
        import scipy.special

        x, y = self.sample_xy[stream](sample)
        label = (1.0 if stream == "real" else 0.0) if y is None else y
        t = polynomial_logit(x, theta)
        out = {f"loss_{stream}": softplus((1.0 - 2.0 * label) * t)}
        r = scipy.special.expit(t) - label
        for a in range(self.d + 1):
            out[f"score_{stream}_{a}"] = r * x**a
        return out

    def growth(self):
        tails = tuple(TermTail(law, float(self.d * k), float(self.d * k)) if self.d * k else TermTail.bounded()
                      for law, _, k in self.tails.values())
        return {"loss": tails, "score": tails}


class FittedBinary(FittedModel):
    """A binary fit: logistic regression with inputs (FittedBinaryCrossEntropy), logit(p_hat) without."""

    def __new__(cls, spec, key):
        if cls is FittedBinary:
            cls = FittedBinaryCrossEntropy if "inputs" in spec else FittedBernoulli
        return super().__new__(cls)


class FittedBinaryCrossEntropy(FittedBinary):
    """Logistic regression fitted to each batch: theta_hat = argmin BCE, q(x) = sigmoid(theta_hat(x))."""

    def __init__(self, spec, key):
        import scipy.special

        FittedModel.__init__(self, spec, key)
        d = fit_degree(spec, key)
        self.fixed = ConditionalBinaryCrossEntropy({**spec, "model": {"logit": [0.0]}}, key)
        self.inputs, truth = self.fixed.inputs, self.fixed.truth
        require_moment(self.inputs, 2 * d, f"{key}.inputs", spec["inputs"],
                       f"the sandwich K of a degree-{d} logit needs E|x|^{2 * d}")
        rule = laws_rule(self.inputs)
        self.family = LogisticFamily(
            d, (Stratum("pairs", 1.0, rule),),
            label={"pairs": lambda x: scipy.special.expit(polynomial_logit(x, truth))},
            sample_xy={"pairs": lambda sample: sample},
            tails={"pairs": (self.inputs, lambda x: x, 1)},
            truth_in_family=degree(truth) <= d)
        self.check_theory()

    def describe(self):
        return (f"x ~ {describe(self.spec['inputs'])}, P(y=1|x) = sigmoid({polynomial(self.fixed.truth)}), "
                f"logistic regression of degree {self.family.d} fitted to each batch")


class ConstantLogisticFamily(LogisticFamily):
    """The degree-0 fit without inputs: theta_hat = logit(p_hat), on i.i.d. or Markov labels.

    Its score sigmoid(theta) - y and loss are affine in y, so for a stationary two-state chain their n Var
    is the i.i.d. one times (1 + rho) / (1 - rho) exactly (`dependence`); the model-based and the i.i.d.
    sandwich intervals both estimate p (1 - p) and under-cover by that factor.
    """

    def __init__(self, p: float, dependence: float):
        rule = QuantileRule(nodes=np.zeros(1), weights=np.ones(1))
        super().__init__(0, (Stratum("labels", 1.0, rule),), label={"labels": lambda x: np.full_like(x, p)},
                         sample_xy={"labels": lambda y: (np.zeros(y.shape[0]), y)},
                         tails={"labels": (None, lambda x: x, 0)}, truth_in_family=True)
        self.p, self.dependence = p, dependence

    def adaptive(self, theta):
        """Closed forms: R = -(p log q + (1 - p) log(1 - q)), gradient q - p, J = q (1 - q), K = p (1 - p)."""
        import scipy.special

        q = float(scipy.special.expit(theta[0]))
        p = self.p
        risk = -(p * math.log(q) + (1.0 - p) * math.log1p(-q))
        return risk, np.array([q - p]), np.array([[q * (1.0 - q)]]), np.array([[p * (1.0 - p)]])


class FittedBernoulli(FittedBinary):
    """The logit of P(y = 1) fitted to each batch of labels without inputs (degree 0): logit(p_hat)."""

    def __init__(self, spec, key):
        FittedModel.__init__(self, spec, key)
        if fit_degree(spec, key) != 0:
            raise ConfigError(f"{key}.fit.degree", "a fit of degree >= 1 needs inputs x (an `inputs` block)",
                              "0 (the logit of P(y = 1) alone), or add inputs")
        self.fixed = BinaryCrossEntropy({**spec, "model": {"p": 0.5}}, key)
        if not self.fixed.ergodic:
            raise ConfigError(f"{key}.labels.markov", "a frozen chain has no limit to fit", "stay1, stay0 < 1")
        self.family = ConstantLogisticFamily(float(self.fixed.p), float(self.fixed.dependence_factor))
        self.check_theory()

    def describe(self):
        return f"{self.fixed.describe().split(', q')[0]}; the logit of P(y = 1) fitted to each batch"


class FittedGanDiscriminator(FittedModel):
    """The GAN discriminator's logit polynomial fitted to each batch (m = n/2 real, n/2 fake samples)."""

    def __init__(self, spec, key):
        FittedModel.__init__(self, spec, key)
        d = fit_degree(spec, key)
        self.fixed = GanDiscriminator({**spec, "discriminator": {"logit": [0.0]}}, key)
        gan = self.fixed
        if gan.composition != "fixed" or gan.pi != 0.5:
            raise ConfigError(f"{key}.real_fraction", "a fitted discriminator is trained on batches of m real and "
                              f"m fake samples (V_n = -2 L_n), got real_fraction {spec.get('real_fraction')!r} "
                              f"and composition {gan.composition!r}", "real_fraction: 0.5, composition: fixed")
        require_moment(gan.data, 2 * d, f"{key}.data", spec["data"], f"the sandwich K of a degree-{d} logit needs "
                       f"E|x|^{2 * d}")
        g_map = gan.g_map
        to_x = (lambda z: z) if g_map is None else (lambda z: polynomial_logit(z, g_map))
        fake_law = gan.fake_law
        fake_rule = laws_rule(fake_law)
        fake_rule = QuantileRule(nodes=to_x(fake_rule.nodes), weights=fake_rule.weights)
        require_moment(fake_law, 2 * d * (1 if g_map is None else max(degree(g_map), 1)), f"{key}.generator",
                       spec["generator"], f"the sandwich K of a degree-{d} logit needs E|G(z)|^{2 * d}")
        self.ratio = (log_density_ratio_polynomial(gan.data, gan.generator) if gan.generator is not None else None)
        self.family = LogisticFamily(
            d, (Stratum("real", 0.5, laws_rule(gan.data)), Stratum("fake", 0.5, fake_rule)),
            label={"real": np.ones_like, "fake": np.zeros_like},
            sample_xy={"real": lambda z: (z, None), "fake": lambda z: (to_x(z), None)},
            tails={"real": (gan.data, lambda x: x, 1),
                   "fake": (fake_law, to_x, 1 if g_map is None else max(degree(g_map), 1))},
            truth_in_family=False)
        self.check_theory()

    @property
    def quantities(self):
        return (*self.base_quantities,
                Quantity("train_value", r"$V_n(\hat D_n)$", "the batch value at the batch's own maximiser -> V* "
                         "from above"),
                Quantity("test_value", r"$V(\hat D_n)$", "the population value of the fitted discriminator -> V* "
                         "from below"),
                Quantity("jsd_hat", r"$(V_n(\hat D_n)+\log 4)/2$", "the trained discriminator's JSD estimate "
                         "(biased upward)"))

    def derived(self, estimate, se):
        """V = -2 L (m = n/2 real and fake samples): the batch value, the test value and the JSD estimate."""
        return {"train_value": (-2.0 * estimate["train_loss"], 2.0 * se["train_loss"]),
                "test_value": (-2.0 * estimate["test_risk"], 2.0 * se["test_risk"]),
                "jsd_hat": ((LOG4 - 2.0 * estimate["train_loss"]) / 2.0, se["train_loss"])}

    def exact(self):
        found = super().exact()
        value = -2.0 * found["train_loss"]
        return {**found, "train_value": value, "test_value": value, "jsd_hat": (value + LOG4) / 2.0}

    def bias_per_n(self):
        trace = self.theory["trace"]
        return {**super().bias_per_n(), "train_value": trace, "test_value": -trace, "jsd_hat": trace / 2.0}

    def asymptotic_variance(self):
        loss_var = self.theory["loss_var"]
        return {**super().asymptotic_variance(), "train_value": 4.0 * loss_var, "test_value": 0.0,
                "jsd_hat": loss_var}

    def term_tails(self):
        growth = self.family.growth()
        return {**super().term_tails(), "train_value": growth["loss"], "test_value": growth["score"],
                "jsd_hat": growth["loss"]}

    def estimates(self, n, stats):
        found = super().estimates(n, stats)
        return {**found, **self.derived({q: v[0] for q, v in found.items()}, {q: v[1] for q, v in found.items()})}

    def extra_checks(self):
        if self.ratio is None or degree(self.ratio) > self.family.d:
            return []
        # The family holds logit D* = log p_data - log p_g: the population maximiser is D*.
        jsd = jensen_shannon(self.fixed.data, self.fixed.generator)
        value = self.exact()["test_value"]
        return [ExactCheck("value_is_jsd", value, -LOG4 + 2.0 * jsd, 1e-9 * max(1.0, abs(value)),
                           "the logit family holds log p_data/p_g: V* = -log 4 + 2 JSD(p_data || p_g) "
                           "(JSD by quadrature of the densities)", ("train_value", "test_value", "jsd_hat"))]

    def describe(self):
        laws = self.fixed.describe().split(", logit(D)")[0]
        return f"{laws}, discriminator logit of degree {self.family.d} fitted " \
               "to each batch"


# Not class attributes: a `name` in the class body would register these as the estimands themselves.
FittedBinary.name = BinaryCrossEntropy.name
FittedGanDiscriminator.name = GanDiscriminator.name
register_variant(FittedBinary, "fit")
register_variant(FittedGanDiscriminator, "fit")
