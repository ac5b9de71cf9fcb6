"""Binary cross-entropy of a logistic model whose logit is a polynomial in x (x ~ p(x)).

P(y = 1 | x) = sigmoid(a(x)) (``labels: {logit: [a0, a1, ...]}``), the model q(x) = sigmoid(t(x))
(``model: {logit: [t0, t1, ...]}``), coefficients lowest order first. Per sample
l = -(y log q(x) + (1 - y) log(1 - q(x))), so

    E(l | x) = p(x) (-log q(x)) + (1 - p(x)) (-log(1 - q(x))),    Var(l | x) = p (1 - p) t(x)^2

(the two values differ by log q - log(1 - q) = t), and the batch BCE converges to
E_x[H(p(x)) + KL(p(x) || q(x))]. The shared machinery and the model family: estimands.conditional.
"""

from __future__ import annotations

import numpy as np

from mcloss.laws.distributions import describe
from mcloss.maths.exact import bernoulli_logpmf
from mcloss.maths.formula import Probability
from mcloss.maths.numerics import log1m_sigmoid, log_sigmoid, polynomial_logit

from .base import Estimand, ExactCheck, Identity, Quantity, register_variant
from .binary_cross_entropy import BinaryCrossEntropy
from .conditional import Conditional, degree, inputs_law, known, one_key, poly, require_moment, scipy_expect, tolerance
from .formulas import Branch, Frame, Part
from .gan import polynomial_coefficients

# scipy.special is imported by the functions that use it: every job loads every estimand module, and a
# simulate job of a GAN or Gaussian NLL scenario needs none of it (0.3 s of start-up, issue 24).


class ConditionalBinaryCrossEntropy(Conditional, BinaryCrossEntropy):
    """Batch BCE of a logistic model q(x) = sigmoid(t(x)) on y | x ~ Bernoulli(sigmoid(a(x))), x ~ p(x)."""

    def __init__(self, spec, key):
        Estimand.__init__(self, spec, key)
        self.inputs = inputs_law(spec, key)
        form = "a0 + a1 x + a2 x^2 + ... (the logit, lowest order first)"
        one_key(spec.get("labels"), f"{key}.labels", ("logit",), "{logit: [a0, a1, ...]}: P(y=1|x) = sigmoid(a(x))")
        self.truth = polynomial_coefficients(spec["labels"]["logit"], f"{key}.labels.logit", form)
        one_key(spec.get("model"), f"{key}.model", ("logit",), "{logit: [t0, t1, ...]}: q(x) = sigmoid(t(x))")
        self.model = polynomial_coefficients(spec["model"]["logit"], f"{key}.model.logit", form)
        # |l| <= |t(x)| + log 2: its variance needs E t(X)^2.
        k = degree(self.model)
        require_moment(self.inputs, 2 * k, f"{key}.inputs", spec["inputs"],
                       f"the BCE of a degree-{k} model logit grows like |x|^{k} and its variance needs E|x|^{2 * k}")

    def draw_labels(self, x, rng):
        import scipy.special

        return (rng.random(x.shape[0]) < scipy.special.expit(polynomial_logit(x, self.truth))).astype(np.float64)

    def growth(self):
        k = degree(self.model)
        return {"bce": k, "ce2": k, "bce_bernoulli": k, "calibration": 0}

    def terms(self, stream, sample):
        import scipy.special

        x, y = sample
        t = polynomial_logit(x, self.model)
        log_q, log_1mq = log_sigmoid(t), log1m_sigmoid(t)
        bce = -(y * log_q + (1.0 - y) * log_1mq)
        # The 2-class model [q, 1 - q] has logits [t, 0]: log q_j = logit_j - logsumexp(t, 0) (numpy's logaddexp).
        normaliser = np.logaddexp(t, 0.0)
        ce2 = normaliser - np.where(y == 1.0, t, 0.0)
        # The log-pmf is given the smaller of q, 1 - q, sigmoid(-|t|) (outcome swapped if need be): no log of a
        # rounded 1. scipy.stats.bernoulli's formula (xlogy, xlog1py), its bits, without importing scipy.stats.
        small = t <= 0.0
        smaller = scipy.special.expit(-np.abs(t))
        bernoulli = -bernoulli_logpmf(np.where(small, y, 1.0 - y), smaller)
        q = np.where(small, smaller, 1.0 - smaller)
        return {"bce": bce, "ce2": ce2, "bce_bernoulli": bernoulli, "calibration": y - q}

    @property
    def quantities(self):
        return (
            Quantity("bce", r"$-\frac{1}{n}\sum[y_i\log q(x_i)+(1-y_i)\log(1-q(x_i))]$",
                     "batch BCE -> E_x[H(p(x)) + KL(p(x) || q(x))]"),
            Quantity("ce2", r"$\frac{1}{n}\sum_i -\sum_{j=1}^2 t_{ij}\log q_j(x_i)$",
                     "the same batch through the 2-class cross-entropy (log q_j = logit_j - logsumexp(t(x), 0))"),
            Quantity("bce_bernoulli", r"$-\frac{1}{n}\sum\log\mathrm{Bernoulli}(y_i;q(x_i))$",
                     "the batch's Bernoulli negative log-likelihood (scipy.stats.bernoulli's log-pmf: "
                     "scipy.special.xlogy, xlog1py)"),
            Quantity("calibration", r"$\frac{1}{n}\sum(y_i-q(x_i))$",
                     "mean of y - q(x) -> E_x[p(x) - q(x)], 0 when q is the true conditional", unit="probability"),
        )

    @property
    def identities(self):
        return (
            Identity("bce", "ce2", 1e-12, "BCE = cross-entropy over 2 classes, q_1 = q(x), q_2 = 1 - q(x)"),
            Identity("bce", "bce_bernoulli", 1e-12, "BCE = -(1/n) sum log Bernoulli(y_i; q(x_i)) (scipy)"),
        )

    def _p_and_values(self, x):
        """P(y = 1 | x) and the term's values at y = 1 and y = 0, for bce and calibration."""
        import scipy.special

        t = polynomial_logit(x, self.model)
        return scipy.special.expit(polynomial_logit(x, self.truth)), t

    def conditional(self, quantity):
        import scipy.special

        def values(x):
            p, t = self._p_and_values(x)
            if quantity == "calibration":
                return p, 1.0 - scipy.special.expit(t), -scipy.special.expit(t)
            return p, -log_sigmoid(t), -log1m_sigmoid(t)

        def mean_given(x):
            p, one, zero = values(x)
            return p * one + (1.0 - p) * zero

        def var_given(x):
            p, one, zero = values(x)
            return p * (1.0 - p) * (one - zero) ** 2

        return mean_given, var_given

    def term_of(self, quantity):
        return "calibration" if quantity == "calibration" else "bce"

    def exact_checks(self):
        import scipy.special
        import scipy.stats

        exact = self.exact()

        def entropy_plus_kl(x):
            p, t = self._p_and_values(x)
            p2 = np.array([p, 1.0 - p])
            q2 = np.array([scipy.special.expit(t), scipy.special.expit(-t)])
            return (scipy.special.entr(p2) + scipy.special.rel_entr(p2, q2)).sum(axis=0)

        def bernoulli_nll(x):
            p, t = self._p_and_values(x)
            # scipy is given the smaller of q, 1 - q (outcomes swapped if need be), as in terms().
            smaller, swap = scipy.special.expit(-np.abs(t)), t > 0.0
            return -sum(scipy.stats.bernoulli.pmf(y, p)
                        * scipy.stats.bernoulli.logpmf(np.where(swap, 1 - y, y), smaller) for y in (0, 1))

        def calibration(x):
            p, t = self._p_and_values(x)
            return p - scipy.special.expit(t)

        def centred(x, mu):
            p, t = self._p_and_values(x)
            return p * (-log_sigmoid(t) - mu) ** 2 + (1.0 - p) * (-log1m_sigmoid(t) - mu) ** 2

        checks = []
        for name, f, meaning in (
                ("bce_entropy_plus_kl", entropy_plus_kl,
                 "E_x[H(p(x)) + KL(p(x) || q(x))] (scipy.special.entr, rel_entr)"),
                ("bce_bernoulli_nll", bernoulli_nll, "E_x E_y|x[-log Bernoulli(y; q(x))] (scipy.stats.bernoulli)")):
            reference = scipy_expect(f, self.inputs)
            checks.append(ExactCheck(name, exact["bce"], reference, tolerance(reference),
                                     f"limit by quantile-split quadrature against {meaning}, by scipy's expect"))
        reference = scipy_expect(calibration, self.inputs)
        checks.append(ExactCheck("calibration", exact["calibration"], reference, tolerance(reference),
                                 "E_x[p(x) - q(x)] by scipy's expect"))
        checks.append(self.variance_check("bce", centred))
        return known(checks)

    def formula_frame(self) -> Frame:
        """Formula variables y, q, t = t(x), x; E f = E_x[p(x) f(x, 1) + (1 - p(x)) f(x, 0)]."""
        import scipy.special

        def env(x, y):
            return {"x": x, "y": y, "t": polynomial_logit(x, self.model)}

        def p(x):
            return scipy.special.expit(polynomial_logit(x, self.truth))

        part = Part("pairs", lambda sample: env(*sample), (self.inputs,),
                    (Branch(lambda x: 1.0 - p(x), lambda x: env(x, 0.0)), Branch(p, lambda x: env(x, 1.0))))
        return Frame(("y", "q", "t", "x"), {"": part}, {"q": Probability(logit="t")})

    def describe(self):
        return (f"x ~ {describe(self.spec['inputs'])}, P(y=1|x) = sigmoid({poly(self.truth)}), "
                f"q(x) = sigmoid({poly(self.model)})")


# Takes over its estimand's name when a scenario has an `inputs` block (estimands.base.build).
register_variant(ConditionalBinaryCrossEntropy, "inputs")
