"""Cross-entropy of a softmax model whose class logits are polynomials in x (x ~ p(x)).

P(y = k | x) = softmax(A(x))_k (``labels: {logits: [[...], ...]}``, one polynomial per class,
lowest order first; ragged lists are padded with zeros), the model log q(x) = log_softmax(T(x)).
Per sample, with label smoothing eps,

    l = (1 - eps) (-log q_y(x)) + eps mean_k(-log q_k(x)),
    E(l | x) = sum_k p_k(x) l_k(x),    Var(l | x) = sum_k p_k(x) (l_k(x) - E(l | x))^2,

so the batch loss converges to E_x[H(t(x), q(x))] with t = (1 - eps) p + eps / K. The shared
machinery and the model family: estimands.conditional.
"""

from __future__ import annotations

import numpy as np

from mcloss.errors import ConfigError
from mcloss.laws.distributions import describe
from mcloss.maths.formula import Probability
from mcloss.maths.numerics import polynomial_logit

from .base import Estimand, ExactCheck, Identity, Quantity, register_variant
from .conditional import Conditional, degree, inputs_law, known, one_key, poly, require_moment, scipy_expect, tolerance
from .cross_entropy import CrossEntropy, label_smoothing
from .formulas import Branch, Frame, Part
from .gan import polynomial_coefficients

# scipy.special is imported by the functions that use it: every job loads every estimand module, and a
# simulate job of a GAN or Gaussian NLL scenario needs none of it (0.3 s of start-up, issue 24).


def class_logits(x: np.ndarray, coefficients: np.ndarray) -> np.ndarray:
    """T[k, i] = sum_j C[k, j] x_i^j for a (K, degree + 1) coefficient matrix C: shape (K, n).

    Classes along the first axis, so that the reductions over classes below are
    elementwise operations between K contiguous rows (fast for small K).
    """
    x = np.asarray(x, dtype=np.float64)
    return np.stack([polynomial_logit(x, row) for row in coefficients])


def column_log_softmax(logits: np.ndarray) -> np.ndarray:
    """log softmax over the classes (axis 0): T - max - log sum exp(T - max) (no overflow, no log 0)."""
    shifted = logits - logits.max(axis=0)
    return shifted - np.log(np.exp(shifted).sum(axis=0))


def _ragged(values, key: str, form: str) -> np.ndarray:
    """A list of coefficient lists (one per class) as a (K, max length) matrix, padded with zeros."""
    if not isinstance(values, list) or len(values) < 2:
        raise ConfigError(key, f"must be a list of K >= 2 coefficient lists, got {values!r}",
                          f"[[...], [...], ...]: one list {form} per class")
    rows = [polynomial_coefficients(v, f"{key}[{k}]", form) for k, v in enumerate(values)]
    out = np.zeros((len(rows), max(map(len, rows))))
    for k, row in enumerate(rows):
        out[k, : len(row)] = row
    return out


class ConditionalCrossEntropy(Conditional, CrossEntropy):
    """Batch cross-entropy of a softmax model q(x) on y | x ~ Categorical(softmax(A(x))), x ~ p(x)."""

    def __init__(self, spec, key):
        Estimand.__init__(self, spec, key)
        self.inputs = inputs_law(spec, key)
        form = "c0 + c1 x + ... (lowest order first)"
        one_key(spec.get("labels"), f"{key}.labels", ("logits",),
                "{logits: [[...], [...], ...]}: one polynomial in x per class, P(y|x) = softmax")
        self.truth = _ragged(spec["labels"]["logits"], f"{key}.labels.logits", form)
        one_key(spec.get("model"), f"{key}.model", ("logits",),
                "{logits: [[...], [...], ...]}: one polynomial in x per class, q(x) = softmax")
        self.model = _ragged(spec["model"]["logits"], f"{key}.model.logits", form)
        self.classes = self.truth.shape[0]
        if self.model.shape[0] != self.classes:
            raise ConfigError(f"{key}.model.logits", f"has {self.model.shape[0]} classes but the labels have "
                              f"K = {self.classes}", f"K = {self.classes} coefficient lists, one per class")
        self.eps = label_smoothing(spec.get("label_smoothing", 0.0), f"{key}.label_smoothing")
        # -log q_k(x) <= 2 max_j |T_j(x)| + log K: polynomial of the model's degree.
        k = max(degree(row) for row in self.model)
        require_moment(self.inputs, 2 * k, f"{key}.inputs", spec["inputs"],
                       f"the loss of a degree-{k} model grows like |x|^{k} and its variance needs E|x|^{2 * k}")

    def draw_labels(self, x, rng):
        probs = np.exp(column_log_softmax(class_logits(x, self.truth)))
        u = rng.random(x.shape[0])
        # Class k when u falls in [F_{k-1}, F_k); the last class also takes u above a rounded F_{K-1} < 1.
        label = np.zeros(x.shape[0], dtype=np.intp)
        cdf = np.zeros(x.shape[0])
        for k in range(self.classes - 1):
            cdf += probs[k]
            label += u >= cdf
        return label

    def terms(self, stream, sample):
        import scipy.special

        x, y = sample
        logits = class_logits(x, self.model)
        log_q = column_log_softmax(logits)
        columns = np.arange(y.size)
        # The smoothed target as a (K, n) matrix, dotted with log q: the loss as PyTorch defines it.
        target = np.full(log_q.shape, self.eps / self.classes)
        target[y, columns] += 1.0 - self.eps
        nll = -log_q[y, columns]
        log_p = column_log_softmax(class_logits(x, self.truth))[y, columns]
        return {
            "ce": -(target * log_q).sum(axis=0),
            "ce_smoothing_split": (1.0 - self.eps) * nll - self.eps * log_q.mean(axis=0),
            "h_pq": nll,
            "nll_scipy": -scipy.special.log_softmax(logits, axis=0)[y, columns],
            "entropy": -log_p,
            "kl": log_p + nll,
        }

    @property
    def quantities(self):
        return (
            Quantity("ce", r"$\frac{1}{n}\sum_i -\sum_k t_{ik}\log q_k(x_i)$",
                     "batch cross-entropy with label smoothing eps (smoothed target times log-softmax)"),
            Quantity("ce_smoothing_split",
                     r"$(1-\epsilon)\,\overline{-\log q_{y}}+\epsilon\,\overline{\mathrm{mean}_k(-\log q_k)}$",
                     "the same batch as (1 - eps) NLL + eps mean_k(-log q_k(x))"),
            Quantity("h_pq", r"$\frac{1}{n}\sum -\log q_{y_i}(x_i)$",
                     "unsmoothed cross-entropy of the batch's empirical (x, y) law and q -> E_x H(p(x), q(x))"),
            Quantity("nll_scipy", r"$-\frac{1}{n}\sum\log\mathrm{softmax}(T(x_i))_{y_i}$",
                     "the batch's categorical NLL through scipy.special.log_softmax"),
            Quantity("entropy", r"$\frac{1}{n}\sum -\log p_{y_i}(x_i)$",
                     "mean -log p(y|x) under the true conditional -> E_x H(p(x))"),
            Quantity("kl", r"$\frac{1}{n}\sum\log\frac{p_{y_i}(x_i)}{q_{y_i}(x_i)}$",
                     "mean log-ratio -> E_x KL(p(x) || q(x)) = limit of h_pq - entropy"),
        )

    @property
    def identities(self):
        return (
            Identity("ce", "ce_smoothing_split", 1e-12,
                     "smoothed target . (-log q) = (1 - eps) NLL + eps mean_k(-log q_k) on every batch"),
            Identity("h_pq", "nll_scipy", 1e-12,
                     "the NLL from this package's log-softmax = the NLL from scipy.special.log_softmax on every batch"),
        )

    def term_of(self, quantity):
        return {"ce_smoothing_split": "ce", "nll_scipy": "h_pq"}.get(quantity, quantity)

    def growth(self):
        # -log softmax(T(x))_y grows at most like the largest degree among the class polynomials.
        model = max(degree(row) for row in self.model)
        truth = max(degree(row) for row in self.truth)
        return {"ce": model, "h_pq": model, "entropy": truth, "kl": max(model, truth)}

    def class_values(self, x, quantity):
        """P(y = k | x) and the term's value for each class k, both (K, n)."""
        log_p = column_log_softmax(class_logits(x, self.truth))
        log_q = column_log_softmax(class_logits(x, self.model))
        if quantity == "ce":
            g = (1.0 - self.eps) * -log_q - self.eps * log_q.mean(axis=0)
        elif quantity == "h_pq":
            g = -log_q
        elif quantity == "entropy":
            g = -log_p
        else:
            g = log_p - log_q
        return np.exp(log_p), g

    def conditional(self, quantity):
        def mean_given(x):
            p, g = self.class_values(x, quantity)
            return (p * g).sum(axis=0)

        def var_given(x):
            p, g = self.class_values(x, quantity)
            return (p * (g - (p * g).sum(axis=0)) ** 2).sum(axis=0)

        return mean_given, var_given

    def exact_checks(self):
        import scipy.special

        exact = self.exact()

        def scipy_routes(x):
            p = np.exp(column_log_softmax(class_logits(x, self.truth)))
            q = np.exp(column_log_softmax(class_logits(x, self.model)))
            target = (1.0 - self.eps) * p + self.eps / self.classes
            # H(t, q) = H(t) + KL(t || q) for the smoothed target t, by scipy's entr and rel_entr.
            entropy = scipy.special.entr(target).sum(axis=0)
            return entropy + scipy.special.rel_entr(target, q).sum(axis=0), scipy.special.entr(p).sum(axis=0)

        def centred(x, mu):
            p, g = self.class_values(x, "ce")
            return (p * (g - mu) ** 2).sum(axis=0)

        ce = scipy_expect(lambda x: scipy_routes(x)[0], self.inputs)
        entropy = scipy_expect(lambda x: scipy_routes(x)[1], self.inputs)
        return known([
            ExactCheck("ce_entropy_plus_kl", exact["ce"], ce, tolerance(ce),
                       "limit against E_x[H(t(x)) + KL(t(x) || q(x))], t = (1-eps) p(x) + eps/K "
                       "(scipy.special.entr, rel_entr; scipy's expect)"),
            ExactCheck("conditional_entropy", exact["entropy"], entropy, tolerance(entropy),
                       "E_x H(p(x)) against scipy.special.entr under scipy's expect"),
            ExactCheck("h_pq_decomposition", exact["h_pq"], exact["entropy"] + exact["kl"],
                       tolerance(exact["h_pq"]), "E_x H(p, q) = E_x H(p) + E_x KL(p || q)"),
            self.variance_check("ce", centred),
        ])

    def formula_frame(self) -> Frame:
        """Formula variables q_y, t_y, lse, K, x (the model's logits T(x)); E f = E_x sum_k P(k | x) f(x, k)."""
        import scipy.special

        def logits(x):
            x = np.asarray(x, dtype=np.float64)
            return class_logits(x.reshape(-1), self.model).reshape((self.classes, *x.shape))

        def env(x, y):
            t = logits(x)
            lse = scipy.special.logsumexp(t, axis=0)
            t_y = np.take_along_axis(t, np.asarray(y, dtype=np.intp)[None], axis=0)[0] if np.ndim(y) else t[y]
            return {"x": x, "t_y": t_y, "lse": lse, "_log_q_y": t_y - lse, "K": float(self.classes)}

        def p(x, k):
            x = np.asarray(x, dtype=np.float64)
            return np.exp(column_log_softmax(class_logits(x.reshape(-1), self.truth))[k]).reshape(x.shape)

        part = Part("pairs", lambda sample: env(*sample), (self.inputs,),
                    tuple(Branch(lambda x, k=k: p(x, k), lambda x, k=k: env(x, k)) for k in range(self.classes)))
        return Frame(("q_y", "t_y", "lse", "K", "x"), {"": part}, {"q_y": Probability(log="_log_q_y")})

    def describe(self):
        def softmax(matrix):
            return "softmax(" + ", ".join(poly(row) for row in matrix) + ")"

        return (f"x ~ {describe(self.spec['inputs'])}, y|x ~ {softmax(self.truth)}, q(x) = {softmax(self.model)}, "
                f"label smoothing {self.eps:g}")


# Takes over its estimand's name when a scenario has an `inputs` block (estimands.base.build).
register_variant(ConditionalCrossEntropy, "inputs")
