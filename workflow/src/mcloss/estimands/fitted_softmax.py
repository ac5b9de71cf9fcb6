"""Softmax (multinomial logistic) regression fitted to the batch.

Class logits T_0(x) = 0 (the reference class, for identifiability) and T_k(x) = sum_a theta_{k,a} x^a
for k = 1..K-1; per sample, with label smoothing eps and target tau = (1 - eps) onehot(y) + eps / K,
l = logsumexp(T(x)) - sum_k tau_k T_k(x), with gradient (q_k - tau_k) x^a and Hessian
q_k (delta_kl - q_l) x^(a+b), q = softmax(T). Given x, E tau = (1 - eps) P(x) + eps / K and
Cov tau = (1 - eps)^2 (diag P - P P'), which give E l, E gradient, K and Var l in closed form; the
outer expectations use the inputs' quantile rule. Well specified (J = K, tr = (K - 1)(d + 1)) when
eps = 0 and every A_k - A_0 of the truth has degree <= d. The first-order theory: estimands.fitted.
"""

from __future__ import annotations

import numpy as np

from mcloss.laws.distributions import describe
from mcloss.maths.tails import TermTail

from .base import register_variant
from .conditional import degree, input_expectation, require_moment
from .cross_entropy_inputs import ConditionalCrossEntropy, class_logits
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
from .fitted_logistic import SEPARATION

# scipy.special is imported by the functions that use it: every job loads every estimand module, and a
# simulate job of a GAN or Gaussian NLL scenario needs none of it (0.3 s of start-up, issue 24).


class SoftmaxFamily(Family):
    """Smoothed cross-entropy of K-class softmax logits of degree d (class 0 pinned at 0)."""

    def __init__(self, d: int, classes: int, eps: float, rule, inputs, truth: np.ndarray):
        self.d, self.classes, self.eps = d, classes, eps
        self.names = tuple(f"theta_{k}_{a}" for k in range(1, classes) for a in range(d + 1))
        self._strata = (Stratum("pairs", 1.0, rule),)
        self.inputs, self.truth = inputs, truth

    @property
    def strata(self):
        return self._strata

    def well_specified(self):
        return self.eps == 0.0 and all(degree(row - self.truth[0]) <= self.d for row in self.truth)

    def _logits(self, theta, x):
        """T (K, n): class 0 at 0, class k from theta's k-th block."""
        blocks = np.reshape(theta, (self.classes - 1, self.d + 1))
        return np.vstack([np.zeros((1, x.shape[0])), class_logits(x, blocks)])

    def _matrix(self, blocks: np.ndarray) -> np.ndarray:
        """The (K-1)(d+1) square matrix of blocks[k, l] (each a (d+1) x (d+1) Hankel of moments)."""
        p = self.d + 1
        index = np.add.outer(np.arange(p), np.arange(p))
        return np.block([[blocks[k, m][index] for m in range(self.classes - 1)] for k in range(self.classes - 1)])

    # --- batch side ---------------------------------------------------------------------
    def prepare(self, samples):
        x, y = samples["pairs"]
        onehot = (np.arange(self.classes)[:, None] == np.asarray(y)[None, :]).astype(np.float64)
        p = powers(x, 2 * self.d)
        # The last element: the powers' prefix sums, the design's moments at every n (for `separated`).
        return x, (1.0 - self.eps) * onehot + self.eps / self.classes, p, np.cumsum(p, axis=1)

    def separated(self, hessian, data, counts):
        """As for logistic regression (estimands.fitted_logistic): the curvature relative to the design's
        (one block per free class) below SEPARATION means the batch's loss falls to its infimum along a ray."""
        n = counts["pairs"]
        design = np.kron(np.eye(self.classes - 1), hankel(data[3][:, n - 1] / n, self.d + 1))
        return curvature_ratio(hessian, design) < SEPARATION

    def _pieces(self, theta, data, n):
        import scipy.special

        x, target, p, _ = data
        t = self._logits(theta, x[:n])
        lse = scipy.special.logsumexp(t, axis=0)
        q = np.exp(t - lse)
        loss = lse - np.add.reduce(target[:, :n] * t, axis=0)
        return loss, q, q - target[:, :n], p[:, :n]

    def batch(self, theta, data, counts):
        n = counts["pairs"]
        loss, q, r, p = self._pieces(theta, data, n)
        grad = np.concatenate([weighted_sums(p[: self.d + 1], r[k]) for k in range(1, self.classes)]) / n
        blocks = np.empty((self.classes - 1, self.classes - 1, 2 * self.d + 1))
        for k in range(1, self.classes):
            for m in range(1, self.classes):
                w = q[k] * ((k == m) - q[m])
                blocks[k - 1, m - 1] = weighted_sums(p, w) / n
        return float(np.add.reduce(loss)) / n, grad, self._matrix(blocks)

    def losses(self, theta, data):
        return self._pieces(theta, data, data[0].shape[0])[0]

    def batch_spread(self, theta, data, counts):
        n = counts["pairs"]
        loss, _, r, p = self._pieces(theta, data, n)
        blocks = np.empty((self.classes - 1, self.classes - 1, 2 * self.d + 1))
        for k in range(1, self.classes):
            for m in range(1, self.classes):
                blocks[k - 1, m - 1] = weighted_sums(p, r[k] * r[m]) / n
        mean = np.concatenate([weighted_sums(p[: self.d + 1], r[k]) for k in range(1, self.classes)]) / n
        return self._matrix(blocks) - np.outer(mean, mean), float(np.add.reduce((loss - loss.mean()) ** 2))

    # --- population side ----------------------------------------------------------------
    def given_x(self, theta, x):
        """q, E tau, E(l|x), E(l^2|x) and Cov(tau|x) (K, K, n) at the inputs x."""
        import scipy.special

        t = self._logits(theta, x)
        lse = scipy.special.logsumexp(t, axis=0)
        q = np.exp(t - lse)
        prob = scipy.special.softmax(class_logits(x, self.truth), axis=0)
        mean_tau = (1.0 - self.eps) * prob + self.eps / self.classes
        mean_loss = lse - np.add.reduce(mean_tau * t, axis=0)
        # l = lse - (1 - eps) T_y - eps mean T: Var(l | x) = (1 - eps)^2 Var_y T_y.
        spread = (1.0 - self.eps) ** 2 * (np.add.reduce(prob * t * t, axis=0) - np.add.reduce(prob * t, axis=0) ** 2)
        cov = (1.0 - self.eps) ** 2 * (prob[:, None, :] * np.eye(self.classes)[:, :, None]
                                       - prob[:, None, :] * prob[None, :, :])
        return q, mean_tau, mean_loss, mean_loss**2 + spread, cov

    def _population_blocks(self, theta, expect, x):
        q, mean_tau, loss, loss2, cov = self.given_x(theta, x)
        p = powers(x, 2 * self.d)
        r = q - mean_tau
        hess = np.empty((self.classes - 1, self.classes - 1, 2 * self.d + 1))
        kblocks = np.empty_like(hess)
        for k in range(1, self.classes):
            for m in range(1, self.classes):
                hess[k - 1, m - 1] = expect(p * (q[k] * ((k == m) - q[m])))
                kblocks[k - 1, m - 1] = expect(p * (r[k] * r[m] + cov[k, m]))
        grad = np.concatenate([expect(p[: self.d + 1] * r[k]) for k in range(1, self.classes)])
        return float(expect(loss)), grad, self._matrix(hess), self._matrix(kblocks), float(expect(loss2))

    def population(self, theta):
        rule = self._strata[0].rule
        value, grad, hess, _, _ = self._population_blocks(theta, rule.expect, rule.nodes)
        return value, grad, hess

    def population_spread(self, theta):
        rule = self._strata[0].rule
        value, grad, _, kmat, loss2 = self._population_blocks(theta, rule.expect, rule.nodes)
        return kmat - np.outer(grad, grad), loss2 - value**2

    def risk(self, thetas):
        thetas = np.atleast_2d(np.asarray(thetas, dtype=np.float64))
        rule = self._strata[0].rule
        return np.array([float(rule.expect(self.given_x(theta, rule.nodes)[2])) for theta in thetas])

    def adaptive(self, theta):
        """R, gradient, J, K entry by entry, each a scalar adaptive quadrature of its integrand over p(x)."""
        p = self.d + 1
        index = [(k, a) for k in range(1, self.classes) for a in range(p)]

        def entry(integrand):
            def f(x):
                q, mean_tau, loss, _, cov = self.given_x(theta, x)
                return integrand(x, q, q - mean_tau, loss, cov)
            return input_expectation(f, self.inputs)

        value = entry(lambda x, q, r, loss, cov: loss)
        grad = np.array([entry(lambda x, q, r, loss, cov, k=k, a=a: r[k] * x**a) for k, a in index])
        size = len(index)
        jmat, kmat = np.empty((size, size)), np.empty((size, size))
        for i, (k, a) in enumerate(index):
            for j, (m, b) in enumerate(index):
                jmat[i, j] = entry(lambda x, q, r, loss, cov, k=k, m=m, e=a + b: q[k] * ((k == m) - q[m]) * x**e)
                kmat[i, j] = entry(lambda x, q, r, loss, cov, k=k, m=m, e=a + b: (r[k] * r[m] + cov[k, m]) * x**e)
        return value, grad, jmat, kmat - np.outer(grad, grad)

    # --- tails ----------------------------------------------------------------------------
    def terms(self, stream, sample, theta):
        x, y = sample
        data = self.prepare({"pairs": (x, y)})
        loss, _, r, _ = self._pieces(theta, data, x.shape[0])
        out = {"loss_pairs": loss}
        for k in range(1, self.classes):
            for a in range(self.d + 1):
                out[f"score_pairs_{(k - 1) * (self.d + 1) + a}"] = r[k] * x**a
        return out

    def growth(self):
        tail = TermTail(self.inputs, float(self.d), float(self.d)) if self.d else TermTail.bounded()
        return {"loss": (tail,), "score": (tail,)}


class FittedCrossEntropy(FittedModel):
    """Softmax regression fitted to each batch (smoothed cross-entropy minimised)."""

    def __init__(self, spec, key):
        FittedModel.__init__(self, spec, key)
        d = fit_degree(spec, key)
        classes = len(spec.get("labels", {}).get("logits", [[0.0], [0.0]])) if isinstance(spec.get("labels"),
                                                                                          dict) else 2
        self.fixed = ConditionalCrossEntropy({**spec, "model": {"logits": [[0.0]] * max(classes, 2)}}, key)
        fixed = self.fixed
        require_moment(fixed.inputs, 2 * d, f"{key}.inputs", spec["inputs"],
                       f"the sandwich K of degree-{d} logits needs E|x|^{2 * d}")
        self.family = SoftmaxFamily(d, fixed.classes, fixed.eps, laws_rule(fixed.inputs), fixed.inputs, fixed.truth)
        self.check_theory()

    def describe(self):
        return (f"x ~ {describe(self.spec['inputs'])}, {self.family.classes}-class softmax truth; softmax "
                f"regression of degree {self.family.d} fitted to each batch"
                + (f", label smoothing {self.family.eps:g}" if self.family.eps else ""))


FittedCrossEntropy.name = ConditionalCrossEntropy.name       # not in the class body: see fitted_logistic
register_variant(FittedCrossEntropy, "fit")
