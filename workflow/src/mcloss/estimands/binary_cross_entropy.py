"""Binary cross-entropy as a Bernoulli negative log-likelihood (second source text).

Labels y ~ Bernoulli(p); the model predicts q = P(y = 1) for every input. The
batch BCE

    BCE_n = -(1/n) sum_i [y_i log q + (1 - y_i) log(1 - q)]

is the 2-class cross-entropy (q_1 = q, q_2 = 1 - q, target onehot(y) over the
two classes), and with k = sum_i y_i positives

    n BCE_n = -log Binomial(k; n, q) + log C(n, k),

the negative log-likelihood of the batch. By the law of large numbers
BCE_n -> -(p log q + (1 - p) log(1 - q)) = H(p) + KL(p || q) (Bernoulli form).
With ``labels: {markov: {stay1, stay0}}`` the labels are a stationary two-state
Markov chain (the "dependent data" of the source's comments): p_hat_n still
converges to the stationary p, with n Var(p_hat) -> p (1 - p) (1 + rho) / (1 - rho);
a frozen chain (stay1 = stay0 = 1) has no limit.
Its minimiser over q is the sample mean p_hat_n -> p, where the minimum is
H(p_hat_n) -> H(p); the delta method gives its standard error
|log(p_hat / (1 - p_hat))| sqrt(p_hat (1 - p_hat) / n), which degenerates at
p = 1/2 (the derivative vanishes and n (log 2 - H(p_hat)) is asymptotically chi-squared).

log q and log(1 - q) come from the logit (log_sigmoid, log1m_sigmoid) or from
p as log(p), log1p(-p); the binomial log-pmf (scipy.stats.binom's formula,
`mcloss.maths.exact.binomial_logpmf`) is given the smaller of q and 1 - q (with k
and n - k swapped), so its logs are never of a probability rounded to 1.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping

import numpy as np

from mcloss.errors import ConfigError
from mcloss.laws.streams import BernoulliSampler, MarkovSampler, StreamSpec
from mcloss.maths.exact import binomial_logpmf, log_binomial_coefficient
from mcloss.maths.formula import Probability
from mcloss.maths.numerics import log1m_sigmoid, log_sigmoid
from mcloss.maths.tails import TermTail

from .base import Estimand, ExactCheck, Identity, Quantity
from .cross_entropy import log_softmax, probability, smoothed_class_losses
from .formulas import Branch, Frame, Part

# scipy.special is imported by the functions that use it: every job loads every estimand module, and a
# simulate job of a GAN or Gaussian NLL scenario needs none of it (0.3 s of start-up, issue 24).

#: Largest |logit| accepted: sigmoid(-700) ~ 1e-304 is still a normal positive float.
MAX_LOGIT = 700.0


def _bernoulli_entropy(p: np.ndarray) -> np.ndarray:
    import scipy.special

    return scipy.special.entr(p) + scipy.special.entr(1.0 - p)


def _markov_chain(spec, key: str) -> MarkovSampler:
    if not isinstance(spec, Mapping) or set(spec) != {"stay1", "stay0"}:
        raise ConfigError(key, f"got {spec!r}", "{stay1: P(1 -> 1), stay0: P(0 -> 0)}")
    for name in ("stay1", "stay0"):
        value = spec[name]
        if not isinstance(value, numbers.Real) or isinstance(value, bool) or not 0.0 <= value <= 1.0:
            raise ConfigError(f"{key}.{name}", f"must be a probability, got {value!r}", "a number in [0, 1]")
    if (spec["stay1"] == 1.0) != (spec["stay0"] == 1.0):
        # Exactly one absorbing state: the chain ends there and p would be 0 or 1.
        raise ConfigError(key, "exactly one state is absorbing (stay = 1)",
                          "both stay1, stay0 < 1 (ergodic) or both = 1 (frozen)")
    return MarkovSampler(float(spec["stay1"]), float(spec["stay0"]))


class BinaryCrossEntropy(Estimand):
    """Batch BCE of a fixed prediction q on labels y ~ Bernoulli(p)."""

    name = "binary_cross_entropy"

    def __init__(self, spec, key):
        super().__init__(spec, key)
        labels = spec.get("labels")
        allowed_labels = "exactly one of {p: P(y = 1)} or {markov: {stay1: .., stay0: ..}}"
        if not isinstance(labels, Mapping) or len(labels) != 1 or next(iter(labels)) not in ("p", "markov"):
            raise ConfigError(f"{key}.labels", f"got {labels!r}", allowed_labels)
        self.chain = None
        if "markov" in labels:
            self.chain = _markov_chain(labels["markov"], f"{key}.labels.markov")
            # A frozen chain has no unique stationary law: no limit to converge to.
            self.p = self.chain.stationary_p if self.ergodic else float("nan")
        else:
            self.p = probability(labels["p"], f"{key}.labels.p")
        model = spec.get("model")
        allowed = "exactly one of {p: q} (0 < q < 1) or {logit: t} (q = sigmoid(t))"
        if not isinstance(model, Mapping) or len(model) != 1 or next(iter(model)) not in ("p", "logit"):
            given = sorted(model) if isinstance(model, Mapping) else model
            raise ConfigError(f"{key}.model", f"must give exactly one of p, logit; got {given!r}", allowed)
        if "p" in model:
            q = probability(model["p"], f"{key}.model.p")
            self.log_q, self.log_1mq = math.log(q), math.log1p(-q)
            # Logits of the 2-class model [q, 1 - q]; log_softmax returns them unchanged up to rounding.
            self.logits2 = np.array([self.log_q, self.log_1mq])
            self.model_text = f"q = {q:g}"
        else:
            t = model["logit"]
            if not isinstance(t, numbers.Real) or isinstance(t, bool) or not math.isfinite(t):
                raise ConfigError(f"{key}.model.logit", f"must be a finite number, got {t!r}", "a finite number")
            if abs(t) > MAX_LOGIT:
                # Beyond this q or 1 - q underflows to 0, and the binomial log-pmf and scipy's
                # Bernoulli cross-checks, which take probabilities, lose their logs.
                raise ConfigError(f"{key}.model.logit", f"|{t!r}| is larger than {MAX_LOGIT:g}",
                                  f"a number between -{MAX_LOGIT:g} and {MAX_LOGIT:g}")
            t = float(t)
            self.log_q = float(log_sigmoid(np.array([t]))[0])
            self.log_1mq = float(log1m_sigmoid(np.array([t]))[0])
            self.logits2 = np.array([t, 0.0])
            self.model_text = f"q = sigmoid({t:g})"
        self.q, self.q_complement = math.exp(self.log_q), math.exp(self.log_1mq)
        # Class 0 is "y = 1" (q_1 = q), class 1 is "y = 0" (q_2 = 1 - q).
        self.class_losses = smoothed_class_losses(log_softmax(self.logits2), 0.0)

    # --- streams and terms ------------------------------------------------------
    @property
    def ergodic(self) -> bool:
        return self.chain is None or self.chain.stay1 < 1.0

    @property
    def dependence_factor(self) -> float:
        """lim n Var(p_hat) / (p (1 - p)) = (1 + rho) / (1 - rho), rho = stay1 + stay0 - 1 (1 for i.i.d.)."""
        if self.chain is None:
            return 1.0
        rho = self.chain.stay1 + self.chain.stay0 - 1.0
        return (1.0 + rho) / (1.0 - rho) if rho < 1.0 else float("nan")

    @property
    def streams(self):
        if self.chain is not None:
            return (StreamSpec("labels", self.chain),)
        return (StreamSpec("labels", BernoulliSampler(self.p)),)

    def stream_counts(self, n):
        return {"labels": np.asarray(n, dtype=np.int64)}

    def terms(self, stream, sample):
        y = sample
        bce = -(y * self.log_q + (1.0 - y) * self.log_1mq)
        ce2 = self.class_losses[(y == 0.0).astype(np.intp)]
        return {"y": y, "bce": bce, "ce2": ce2}

    # --- quantities -------------------------------------------------------------
    @property
    def quantities(self):
        return (
            Quantity("bce", r"$-\frac{1}{n}\sum[y_i\log q+(1-y_i)\log(1-q)]$",
                     "batch binary cross-entropy -> H(p) + KL(p || q)"),
            Quantity("ce2", r"$\frac{1}{n}\sum_i -\sum_{j=1}^2 t_{ij}\log q_j$",
                     "the same batch through the 2-class cross-entropy"),
            Quantity("bce_binomial", r"$[-\log \mathrm{Bin}(k;n,q)+\log\binom{n}{k}]/n$",
                     "binomial NLL of the batch's k positives, plus log C(n, k), over n"),
            Quantity("mle_p", r"$\hat p_n=\bar y$", "minimiser of the batch BCE over q: the sample mean -> p",
                     unit="probability"),
            Quantity("min_bce", r"$H(\hat p_n)$", "minimum of the batch BCE over q: H(p_hat) -> H(p)"),
        )

    @property
    def identities(self):
        return (
            Identity("bce", "ce2", 1e-12, "BCE = cross-entropy over 2 classes, q_1 = q, q_2 = 1 - q"),
            Identity("bce", "bce_binomial", 1e-9, "n BCE = -log Binomial(k; n, q) + log C(n, k)"),
        )

    def _binomial_nll(self, n: np.ndarray, k: np.ndarray) -> np.ndarray:
        """-log Binomial(k; n, q) by scipy.stats.binom's formula (the same bits, no scipy.stats), given
        whichever of q, 1 - q is <= 1/2."""
        if self.q <= 0.5:
            return -binomial_logpmf(k, n, self.q)
        return -binomial_logpmf(n - k, n, self.q_complement)

    def estimates(self, n, stats):
        nf = np.asarray(n, dtype=np.float64)
        y, bce, ce2 = stats["y"], stats["bce"], stats["ce2"]
        bce_se = np.sqrt(bce.var / bce.count)
        k = np.rint(y.count * y.mean)
        binomial = (self._binomial_nll(nf, k) + log_binomial_coefficient(nf, k)) / nf
        p_hat = y.mean
        interior = (p_hat > 0.0) & (p_hat < 1.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            slope = np.where(interior, np.log(p_hat) - np.log1p(-p_hat), 0.0)
        min_se = np.abs(slope) * np.sqrt(p_hat * (1.0 - p_hat) / nf)
        return {
            "bce": (bce.mean, bce_se),
            "ce2": (ce2.mean, np.sqrt(ce2.var / ce2.count)),
            "bce_binomial": (binomial, bce_se),
            "mle_p": (p_hat, np.sqrt(y.var / y.count)),
            "min_bce": (_bernoulli_entropy(p_hat), min_se),
        }

    # --- exact limits -----------------------------------------------------------
    def exact(self):
        p = self.p
        if not self.ergodic:
            # Each replicate keeps its first label: p_hat is 0 or 1 at every n, so H(p_hat) = 0 exactly,
            # while the other quantities settle on a value that depends on the replicate (a random limit).
            return {q.name: (0.0 if q.name == "min_bce" else float("nan")) for q in self.quantities}
        bce = -(p * self.log_q + (1.0 - p) * self.log_1mq)
        return {
            "bce": bce,
            "ce2": bce,
            "bce_binomial": bce,
            "mle_p": p,
            "min_bce": float(_bernoulli_entropy(np.array(p))),
        }

    def asymptotic_variance(self):
        """lim n Var: p(1-p) times the squared jump of the per-sample term between y = 0 and y = 1."""
        p, factor = self.p, self.dependence_factor
        if not self.ergodic:
            return {q.name: (0.0 if q.name == "min_bce" else float("nan")) for q in self.quantities}
        # Every quantity is (to first order) affine in p_hat, so Markov dependence
        # multiplies each by the same (1 + rho) / (1 - rho).
        bce = factor * p * (1.0 - p) * (self.log_q - self.log_1mq) ** 2
        return {"bce": bce, "ce2": bce, "bce_binomial": bce, "mle_p": factor * p * (1.0 - p),
                "min_bce": factor * p * (1.0 - p) * (math.log(p) - math.log1p(-p)) ** 2}

    def term_tails(self):
        # Terms take two values (y = 0 or 1): bounded, all moments finite.
        return {q.name: (TermTail.bounded(),) for q in self.quantities}

    def limit_notes(self):
        if self.ergodic:
            return {}
        reason = ("non-ergodic chain (stay1 = stay0 = 1): each replicate keeps its first label, so the "
                  "estimate settles on a value that differs between replicates")
        return {q.name: ("random limit", reason) for q in self.quantities if q.name != "min_bce"}

    def bias_per_n(self):
        """E H(p_hat) = H(p) - (1/2) Var(p_hat) / (p (1 - p)) + ... = H(p) - factor / (2n) (second-order
        delta method; factor = (1 + rho) / (1 - rho) for Markov labels, 1 for i.i.d.)."""
        if not self.ergodic:
            return {}
        return {"min_bce": -self.dependence_factor / 2.0}

    def exact_checks(self):
        if not self.ergodic:
            return []
        import scipy.stats

        exact = self.exact()
        p2, q2 = [self.p, 1.0 - self.p], [self.q, self.q_complement]
        # scipy is given the smaller of q, 1 - q (outcomes swapped if need be), as in _binomial_nll.
        if self.q <= 0.5:
            log_pmf1, log_pmf0 = scipy.stats.bernoulli(self.q).logpmf([1, 0])
        else:
            log_pmf1, log_pmf0 = scipy.stats.bernoulli(self.q_complement).logpmf([0, 1])
        return [
            ExactCheck("bce_decomposition", exact["bce"],
                       float(scipy.stats.entropy(p2) + scipy.stats.entropy(p2, q2)), 1e-12,
                       "-(p log q + (1-p) log(1-q)) = H(p) + KL(p || q), Bernoulli form (scipy.stats.entropy)"),
            ExactCheck("bce_bernoulli_nll", exact["bce"],
                       -float(self.p * log_pmf1 + (1.0 - self.p) * log_pmf0), 1e-12,
                       "limit = E_p[-log Bernoulli(Y; q)] (scipy.stats.bernoulli)"),
            ExactCheck("ce2_two_class_sum", exact["bce"], float(np.dot(p2, self.class_losses)), 1e-12,
                       "limit = -sum_j p_j log q_j over the 2 classes (log_softmax of the logits)"),
            ExactCheck("min_bce_entropy", exact["min_bce"], float(scipy.stats.bernoulli(self.p).entropy()), 1e-12,
                       "H(p) against scipy.stats.bernoulli(p).entropy()"),
        ]

    def formula_frame(self) -> Frame:
        """Formula variables: the label y, the model's q and its logit t (constants); E f = p f(1) + (1 - p) f(0)."""
        t = self.log_q - self.log_1mq

        def env(y):
            return {"y": y, "t": t}

        part = Part("labels", env, (), (Branch(1.0 - self.p, lambda: env(0.0)), Branch(self.p, lambda: env(1.0))))
        reason = "" if self.ergodic else self.limit_notes()["bce"][1]
        return Frame(("y", "q", "t"), {"": part}, {"q": Probability(logit="t")},
                     variance_factor=self.dependence_factor if self.ergodic else 1.0, random_limit=reason)

    def describe(self):
        if self.chain is not None:
            return (f"y Markov (stay1 = {self.chain.stay1:g}, stay0 = {self.chain.stay0:g}, stationary p = "
                    f"{self.p:g}), {self.model_text}")
        return f"y ~ Bernoulli({self.p:g}), {self.model_text}"
