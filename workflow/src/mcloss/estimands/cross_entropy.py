"""Cross-entropy of a fixed categorical model, with label smoothing (second source text).

Labels y ~ Categorical(p) over K classes; the model gives every input the same
distribution q (from probabilities or logits, log q = logits - logsumexp(logits)).
With PyTorch's label smoothing eps the target of a label y is
t = (1 - eps) onehot(y) + eps / K, and the batch loss is

    CE_n = (1/n) sum_i -sum_k t_ik log q_k
         = (1 - eps) (1/n) sum_i (-log q_{y_i}) + eps mean_k(-log q_k)
         = H((1 - eps) p_hat_n + eps / K, q),

p_hat_n being the batch's empirical label distribution: the loss of a batch is
the cross-entropy between its (smoothed) empirical distribution and the model.
By the law of large numbers CE_n -> (1 - eps) H(p, q) + eps mean_k(-log q_k),
and H(p, q) = H(p) + KL(p || q).

The plug-in H(p_hat_n) and KL(p_hat_n || q) also converge (with O(1/n) bias);
their standard errors are the delta method's, sqrt((sum_k p_k g_k^2 - (sum_k p_k g_k)^2) / n)
with g the gradient (-log p_k for H, log(p_k / q_k) for KL) evaluated at p_hat_n.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping

import numpy as np

from mcloss.errors import ConfigError
from mcloss.laws.streams import CategoricalSampler, StreamSpec
from mcloss.maths.formula import Probability
from mcloss.maths.tails import TermTail

from .base import Estimand, ExactCheck, Identity, Quantity
from .formulas import Branch, Frame, Part

# scipy.special is imported by the functions that use it: every job loads every estimand module, and a
# simulate job of a GAN or Gaussian NLL scenario needs none of it (0.3 s of start-up, issue 24).

#: How far from 1 a list of probabilities may sum (they are then renormalised).
SUM_TOLERANCE = 1e-9
#: Largest spread of logits accepted: exp(-700) ~ 1e-304 is still a normal positive float.
MAX_LOGIT_RANGE = 700.0


def _finite_number(value, key: str, allowed: str) -> float:
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or not math.isfinite(value):
        raise ConfigError(key, f"must be a finite number, got {value!r}", allowed)
    return float(value)


def probability(value, key: str) -> float:
    """A probability strictly between 0 and 1 (so that every log is finite)."""
    p = _finite_number(value, key, "a number strictly between 0 and 1")
    if not 0.0 < p < 1.0:
        raise ConfigError(key, f"must be strictly between 0 and 1, got {value!r}", "a number strictly between 0 and 1")
    return p


def probability_vector(value, key: str) -> np.ndarray:
    """K >= 2 probabilities in (0, 1) summing to 1 within SUM_TOLERANCE, renormalised to sum to 1."""
    allowed = f"a list of K >= 2 numbers, each strictly between 0 and 1, summing to 1 (within {SUM_TOLERANCE:g})"
    if not isinstance(value, (list, tuple)) or len(value) < 2:
        raise ConfigError(key, f"must be a list of at least 2 probabilities, got {value!r}", allowed)
    probs = np.array([probability(v, f"{key}[{i}]") for i, v in enumerate(value)])
    total = math.fsum(probs)
    if abs(total - 1.0) > SUM_TOLERANCE:
        raise ConfigError(key, f"sums to {total!r}, not 1", allowed)
    return probs / total


def log_softmax(logits) -> np.ndarray:
    """log q_k = t_k - logsumexp(t): normalised log-probabilities of logits t."""
    import scipy.special

    t = np.asarray(logits, dtype=np.float64)
    return t - scipy.special.logsumexp(t)


def smoothed_class_losses(log_q: np.ndarray, eps: float) -> np.ndarray:
    """a_k = -sum_j t_j log q_j for the smoothed target t = (1 - eps) onehot(k) + eps / K.

    a_k = (1 - eps) (-log q_k) + eps mean_j(-log q_j); the per-sample loss of a
    label y is a_y (a table look-up, so the hot path is one gather).
    """
    nll = -np.asarray(log_q, dtype=np.float64)
    return (1.0 - eps) * nll + eps * nll.mean()


def parse_model(spec, key: str, classes: int) -> np.ndarray:
    """log q of ``{probs: [...]}`` or ``{logits: [...]}`` with ``classes`` entries."""
    allowed = "exactly one of {probs: [q_1, ..., q_K]} or {logits: [t_1, ..., t_K]}"
    if not isinstance(spec, Mapping) or len(spec) != 1 or next(iter(spec)) not in ("probs", "logits"):
        given = sorted(spec) if isinstance(spec, Mapping) else spec
        raise ConfigError(key, f"must give exactly one of probs, logits; got {given!r}", allowed)
    kind, value = next(iter(spec.items()))
    if not isinstance(value, (list, tuple)) or len(value) != classes:
        size = len(value) if isinstance(value, (list, tuple)) else "no"
        raise ConfigError(f"{key}.{kind}", f"has {size} entries but the labels have K = {classes} classes",
                          f"a list of K = {classes} entries, one per class of the labels")
    if kind == "probs":
        return np.log(probability_vector(value, f"{key}.probs"))
    logits = [_finite_number(v, f"{key}.logits[{i}]", "finite numbers") for i, v in enumerate(value)]
    if max(logits) - min(logits) > MAX_LOGIT_RANGE:
        # Beyond this some q_k = exp(log q_k) underflows to 0 and the scipy cross-checks lose their logs.
        raise ConfigError(f"{key}.logits", f"spans {max(logits) - min(logits):g}, more than {MAX_LOGIT_RANGE:g}",
                          f"logits with max - min <= {MAX_LOGIT_RANGE:g}")
    return log_softmax(logits)


def label_smoothing(value, key: str) -> float:
    eps = _finite_number(value, key, "a number >= 0 and < 1")
    if not 0.0 <= eps < 1.0:
        raise ConfigError(key, f"must be >= 0 and < 1, got {value!r}", "a number >= 0 and < 1")
    return eps


def _spread(weights: np.ndarray, values: np.ndarray) -> np.ndarray:
    """sum_k w_k v_k^2 - (sum_k w_k v_k)^2 along axis 0 (>= 0), with 0 * inf read as 0."""
    with np.errstate(invalid="ignore"):
        first = np.where(weights > 0, weights * values, 0.0).sum(axis=0)
        second = np.where(weights > 0, weights * values * values, 0.0).sum(axis=0)
    return np.maximum(second - first * first, 0.0)


class CrossEntropy(Estimand):
    """Batch cross-entropy of a fixed categorical model q on labels y ~ Categorical(p)."""

    name = "cross_entropy"

    def __init__(self, spec, key):
        super().__init__(spec, key)
        labels = spec.get("labels")
        if not isinstance(labels, Mapping) or set(labels) != {"probs"}:
            raise ConfigError(f"{key}.labels", f"got {labels!r}", "{probs: [p_1, ..., p_K]}")
        self.p = probability_vector(labels["probs"], f"{key}.labels.probs")
        self.classes = self.p.size
        self.log_q = parse_model(spec.get("model"), f"{key}.model", self.classes)
        self.eps = label_smoothing(spec.get("label_smoothing", 0.0), f"{key}.label_smoothing")
        self.losses = smoothed_class_losses(self.log_q, self.eps)

    # --- streams and terms ------------------------------------------------------
    @property
    def streams(self):
        return (StreamSpec("labels", CategoricalSampler(tuple(float(x) for x in self.p))),)

    def stream_counts(self, n):
        return {"labels": np.asarray(n, dtype=np.int64)}

    def terms(self, stream, sample):
        # One indicator per class: its prefix mean is the empirical frequency p_hat_k.
        out = {"loss": self.losses[sample]}
        for k in range(self.classes):
            out[f"is_{k}"] = (sample == k).astype(np.float64)
        return out

    # --- quantities -------------------------------------------------------------
    @property
    def quantities(self):
        return (
            Quantity("ce", r"$\frac{1}{n}\sum_i -\sum_k t_{ik}\log q_k$",
                     "batch cross-entropy with label smoothing eps (per-sample mean)"),
            Quantity("ce_from_counts", r"$H((1-\epsilon)\hat p_n+\epsilon/K,\,q)$",
                     "cross-entropy of the batch's smoothed empirical label distribution"),
            Quantity("h_pq", r"$H(\hat p_n, q)$", "unsmoothed cross-entropy H(p_hat, q) -> H(p, q)"),
            Quantity("entropy", r"$H(\hat p_n)$", "plug-in entropy of the labels H(p_hat) -> H(p)"),
            Quantity("kl", r"$KL(\hat p_n\,\|\,q)$", "plug-in KL(p_hat || q) = H(p_hat, q) - H(p_hat)"),
        )

    @property
    def identities(self):
        return (Identity("ce", "ce_from_counts", 1e-12,
                         "mean per-sample loss = H((1-eps) p_hat + eps/K, q) on every batch"),)

    def estimates(self, n, stats):
        import scipy.special

        n = np.asarray(n, dtype=np.float64)
        loss = stats["loss"]
        p_hat = np.stack([stats[f"is_{k}"].mean for k in range(self.classes)])
        nll = -self.log_q[:, None]
        target = (1.0 - self.eps) * p_hat + self.eps / self.classes
        ce_counts = (target * nll).sum(axis=0)
        h_pq = (p_hat * nll).sum(axis=0)
        entropy = scipy.special.entr(p_hat).sum(axis=0)
        with np.errstate(divide="ignore"):
            log_p_hat = np.log(p_hat)
        # The loss of one sample takes the value a_k with frequency p_hat_k: its
        # unbiased variance is n/(n-1) times the spread of a under p_hat.
        small = np.where(n >= 2, n - 1.0, np.nan)
        return {
            "ce": (loss.mean, np.sqrt(loss.var / loss.count)),
            "ce_from_counts": (ce_counts, np.sqrt(_spread(p_hat, self.losses[:, None]) / small)),
            "h_pq": (h_pq, np.sqrt(_spread(p_hat, nll) / small)),
            "entropy": (entropy, np.sqrt(_spread(p_hat, -log_p_hat) / n)),
            "kl": (h_pq - entropy, np.sqrt(_spread(p_hat, log_p_hat - self.log_q[:, None]) / n)),
        }

    # --- exact limits -----------------------------------------------------------
    def exact(self):
        import scipy.special

        nll = -self.log_q
        h_pq = float(self.p @ nll)
        entropy = float(scipy.special.entr(self.p).sum())
        ce = (1.0 - self.eps) * h_pq + self.eps * float(nll.mean())
        return {
            "ce": ce,
            "ce_from_counts": ce,
            "h_pq": h_pq,
            "entropy": entropy,
            "kl": float(np.sum(self.p * (np.log(self.p) - self.log_q))),
        }

    def asymptotic_variance(self):
        """lim n Var = Var_p(g(Y)) with g the per-class loss (ce, h_pq) or the delta-method gradient."""
        log_p = np.log(self.p)
        spread = lambda g: float(_spread(self.p, np.asarray(g)))  # noqa: E731
        ce = spread(self.losses)
        return {"ce": ce, "ce_from_counts": ce, "h_pq": spread(-self.log_q), "entropy": spread(-log_p),
                "kl": spread(log_p - self.log_q)}

    def term_tails(self):
        # Every term takes one of K values: bounded, all moments finite.
        return {q.name: (TermTail.bounded(),) for q in self.quantities}

    def bias_per_n(self):
        """Plug-in entropy: E H(p_hat) = H(p) - (K - 1) / (2n) + O(n^-2) (Miller 1955); H(p_hat, q) is
        linear in p_hat (unbiased), so KL(p_hat || q) = H(p_hat, q) - H(p_hat) has bias +(K - 1) / (2n)."""
        half = (self.classes - 1) / 2.0
        return {"entropy": -half, "kl": half}

    def exact_checks(self):
        import scipy.stats

        exact = self.exact()
        q = np.exp(self.log_q)
        target = (1.0 - self.eps) * self.p + self.eps / self.classes
        direct = -math.fsum(t * lq for t, lq in zip(target, self.log_q))
        return [
            ExactCheck("entropy", exact["entropy"], float(scipy.stats.entropy(self.p)), 1e-12,
                       "H(p) = -sum p log p against scipy.stats.entropy(p)"),
            ExactCheck("kl", exact["kl"], float(scipy.stats.entropy(self.p, q)), 1e-12,
                       "KL(p || q) against scipy.stats.entropy(p, q)"),
            ExactCheck("h_pq_decomposition", exact["h_pq"],
                       float(scipy.stats.entropy(self.p) + scipy.stats.entropy(self.p, q)), 1e-12,
                       "H(p, q) = -sum p log q equals H(p) + KL(p || q)"),
            ExactCheck("smoothed_ce_direct_sum", exact["ce"], direct, 1e-12,
                       "(1-eps) H(p, q) + eps mean_k(-log q_k) = -sum_k ((1-eps) p_k + eps/K) log q_k"),
        ]

    def formula_frame(self) -> Frame:
        """Formula variables: the observed class's q_y and logit t_y, lse = log sum_k e^(t_k), K; E f = sum_k p_k f(k).

        The logits are the model's own (``logits:``), or log q for ``probs:`` (lse = 0 up to rounding).
        """
        import scipy.special

        model = self.spec["model"]
        logits = np.asarray(model["logits"] if "logits" in model else self.log_q, dtype=np.float64)
        lse = float(scipy.special.logsumexp(logits))
        log_q = logits - lse

        def env(y):
            return {"t_y": logits[y], "lse": lse, "_log_q_y": log_q[y], "K": float(self.classes)}

        part = Part("labels", env, (), tuple(Branch(float(self.p[k]), lambda k=k: env(k))
                                             for k in range(self.classes)))
        return Frame(("q_y", "t_y", "lse", "K"), {"": part}, {"q_y": Probability(log="_log_q_y")})

    def describe(self):
        kind, values = next(iter(self.spec["model"].items()))
        model = ("q = " if kind == "probs" else "q = softmax") + f"({', '.join(f'{x:.3g}' for x in values)})"
        return (f"y ~ Categorical({', '.join(f'{x:.3g}' for x in self.p)}), {model}, "
                f"label smoothing {self.eps:g}")
