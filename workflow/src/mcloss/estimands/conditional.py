"""Input-dependent models: x ~ p(x), y | x from a true conditional law, the prediction a polynomial in x.

A scenario of binary_cross_entropy, cross_entropy or gaussian_nll with an ``inputs``
block is built by the classes here (subclasses of the constant-prediction ones, so
they carry the same estimand name; see ``variant``). One stream draws pairs (x, y):
x from the inputs law, then y from its conditional law given x. Every loss is the
mean of a per-sample term l(x_i, y_i), so by the law of large numbers

    L_n = (1/n) sum_i l(x_i, y_i)  ->  E_x E_{y|x} l(x, y),

and, the pairs being i.i.d., n Var(L_n) = Var l(X, Y) = E_x Var(l | x) + Var_x E(l | x)
(law of total variance). The conditional moments are closed forms in x; the outer
expectations are one-dimensional quadratures over p(x) (mcloss.maths.exact.expectation,
split at quantiles of p(x)). Every log-probability is formed from logits (log-sigmoid,
log-softmax), never from a rounded probability.

Models (coefficients lowest order first; missing higher terms are 0):

- binary_cross_entropy: P(y = 1 | x) = sigmoid(a(x)), ``labels: {logit: [a0, a1, ...]}``; the
  model q(x) = sigmoid(t(x)), ``model: {logit: [t0, t1, ...]}``. Per sample
  l = -(y log q(x) + (1 - y) log(1 - q(x))), so E(l | x) = p(x) (-log q) + (1 - p) (-log(1 - q))
  and Var(l | x) = p (1 - p) t(x)^2 (the two values differ by log q - log(1 - q) = t).
- cross_entropy: P(y = k | x) = softmax(A(x))_k, ``labels: {logits: [[...], ...]}`` (one polynomial
  per class); the model log q(x) = log_softmax(T(x)). Per sample, with label smoothing eps,
  l = (1 - eps) (-log q_y(x)) + eps mean_k(-log q_k(x)).
- gaussian_nll: y = m*(x) + e, ``data: {mean: [b0, b1, ...], noise: <any law with finite
  variance>}`` (the noise need not have mean 0: its mean mu_e shifts y); the model predicts
  N(m(x), sigma(x)^2) with ``model: {mean: [...], sigma: s}`` or, heteroscedastic,
  ``model: {mean: [...], log_sigma: [s0, s1, ...]}``. Every term is alpha(x) r^2 + beta(x),
  r = y - m(x) = c(x) + e', c = m* - m + mu_e, e' the centred noise; so
  E(term | x) = alpha (c^2 + v) + beta and Var(term | x) = alpha^2 (4 c^2 v + 4 c mu_3 + mu_4 - v^2)
  with v, mu_3, mu_4 the noise's central moments.

Tails: the per-sample terms grow polynomially in x (|log sigmoid(t)| ~ |t(x)| ~ |t_k| |x|^k for a
degree-k logit; (y - m(x))^2 ~ x^(2k) for a degree-k mean error), so the inputs law must have
the moments that make the limit and the variance finite; that is checked when the scenario
is built (one-line ConfigError naming ``inputs``), as is a heteroscedastic model on an
unbounded inputs law (1/sigma(x)^2 = exp(-2 s(x)) is not polynomial).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.integrate
import scipy.special
import scipy.stats

from mcloss.errors import ConfigError
from mcloss.laws.distributions import describe, make_distribution
from mcloss.laws.streams import Marginal, StreamSpec
from mcloss.maths.exact import _BREAK_PROBS, InaccurateQuadrature
from mcloss.maths.numerics import log1m_sigmoid, log_sigmoid, polynomial_logit
from mcloss.maths.tails import TermTail

from .base import Estimand, ExactCheck, Identity, Quantity, register_variant
from .binary_cross_entropy import BinaryCrossEntropy
from .cross_entropy import CrossEntropy, label_smoothing
from .gan import _coefficients
from .gaussian_nll import HALF_LOG_2PI, GaussianNLL

#: Relative tolerance of the exact checks: two QUADPACK routes, each asked for 1e-10 or better.
CHECK_TOLERANCE = 1e-9


# --- helpers ------------------------------------------------------------------------
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


def degree(coefficients) -> int:
    """Degree of a polynomial (trailing zero coefficients do not count)."""
    nonzero = [i for i, c in enumerate(coefficients) if c != 0.0]
    return nonzero[-1] if nonzero else 0


def _ragged(values, key: str, form: str) -> np.ndarray:
    """A list of coefficient lists (one per class) as a (K, max length) matrix, padded with zeros."""
    if not isinstance(values, list) or len(values) < 2:
        raise ConfigError(key, f"must be a list of K >= 2 coefficient lists, got {values!r}",
                          f"[[...], [...], ...]: one list {form} per class")
    rows = [_coefficients(v, f"{key}[{k}]", form) for k, v in enumerate(values)]
    out = np.zeros((len(rows), max(map(len, rows))))
    for k, row in enumerate(rows):
        out[k, : len(row)] = row
    return out


def _one_key(value, key: str, allowed: tuple[str, ...], form: str) -> str:
    if not isinstance(value, Mapping) or set(value) not in [{name} for name in allowed]:
        given = sorted(value) if isinstance(value, Mapping) else value
        raise ConfigError(key, f"with inputs, must give exactly {' or '.join(allowed)}; got {given!r}", form)
    return next(iter(value))


def finite_moment(dist, order: int) -> bool:
    """Whether E|X|^order is finite (always on a bounded support; else scipy's moment of even order)."""
    if order <= 0 or all(math.isfinite(b) for b in dist.support()):
        return True
    even = order + order % 2
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            value = float(dist.moment(even))
        except (ValueError, OverflowError, ArithmeticError):
            return False
    return math.isfinite(value)


def require_moment(dist, order: int, key: str, spec, why: str) -> None:
    """ConfigError naming ``key`` unless E|X|^order is finite."""
    if not finite_moment(dist, order):
        raise ConfigError(key, f"{describe(spec)} has E|x|^{order} = infinity, but {why}",
                          f"a law with finite moments up to order {order} (e.g. norm, uniform, gamma, t with "
                          f"df > {order})")


def _inputs(spec, key: str):
    return make_distribution(spec.get("inputs"), f"{key}.inputs")


def input_expectation(f: Callable[[np.ndarray], np.ndarray], dist, rtol: float = 1e-13) -> float:
    """E f(X), X ~ dist, by tanh-sinh quadrature (scipy.integrate.tanhsinh) on the pieces between quantiles of X.

    Vectorised: f is called on arrays of x (every piece at once), so a limit costs a few
    dozen numpy calls rather than thousands of scalar ones. The pieces are those of
    mcloss.maths.exact.expectation (quantiles 1e-6 ... 1 - 1e-6, infinite end pieces kept
    infinite). Far in a tail, where the density is below e^-690, a product that
    overflows counts as 0 (the moments checked at build time make that mass negligible).
    Raises InaccurateQuadrature when tanh-sinh does not converge.
    """
    lo, hi = (float(v) for v in dist.support())
    cuts = np.unique(np.concatenate([[lo], dist.ppf(_BREAK_PROBS), [hi]]))
    a, b = cuts[:-1], cuts[1:]

    def integrand(x):
        flat = x.reshape(-1)
        with np.errstate(all="ignore"):
            log_density = dist.logpdf(flat)
            value = f(flat) * np.exp(log_density)
            value[~np.isfinite(value) & (log_density < -690.0)] = 0.0
        return value.reshape(x.shape)

    result = scipy.integrate.tanhsinh(integrand, a[b > a], b[b > a], atol=1e-16, rtol=rtol)
    if not np.all(result.success):
        raise InaccurateQuadrature(f"tanh-sinh quadrature over {dist.dist.name}{dist.args or ''} {dist.kwds or ''} "
                                   f"did not converge (status {np.asarray(result.status).tolist()})")
    return float(np.sum(result.integral))


def _mean_se(stats, name: str) -> tuple[np.ndarray, np.ndarray]:
    term = stats[name]
    return term.mean, np.sqrt(term.var / term.count)


def _scipy_expect(f: Callable[[np.ndarray], np.ndarray], dist) -> float:
    """E f(X) by the distribution's own expect(): adaptive QUADPACK over the support, no quantile splits.

    A value that overflows beyond the 1e-12 tail quantiles (e.g. scipy's log of a
    probability rounded to 0 there) counts as 0: the moments checked at build time
    bound what that tail holds far below the checks' tolerance.
    """
    def guarded(x: float) -> float:
        value = float(f(np.asarray([x]))[0])
        if not math.isfinite(value) and min(float(dist.cdf(x)), float(dist.sf(x))) < 1e-12:
            return 0.0
        return value

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", scipy.integrate.IntegrationWarning)
        return float(dist.expect(guarded, epsabs=1e-13, epsrel=1e-12, limit=500))


def _close(reference: float) -> float:
    return CHECK_TOLERANCE * max(1.0, abs(reference))


@dataclass(frozen=True)
class PairSampler:
    """Pairs (x, y): x ~ ``inputs``, then y = ``given(x, rng)`` from the conditional law of y given x.

    A chunk of k pairs draws the k inputs first, then what ``given`` needs; the numbers
    therefore depend on the chunk size (a config parameter), as MixtureSampler's do.
    """

    inputs: Any
    given: Callable[[np.ndarray, np.random.Generator], np.ndarray]

    def start(self, rng: np.random.Generator):
        def draw(k: int):
            x = self.inputs.rvs(size=k, random_state=rng)
            return x, self.given(x, rng)

        return draw

    def marginal(self) -> Marginal:
        # The inputs alone follow p(x); y | x is checked by the estimates against the exact limits.
        return Marginal(values=lambda sample: sample[0], cdf=self.inputs.cdf)


class _Conditional:
    """What the three input-dependent estimands share: one stream of pairs, means of per-sample terms."""

    inputs: Any

    @property
    def streams(self):
        return (StreamSpec("pairs", PairSampler(self.inputs, self.draw_labels)),)

    def stream_counts(self, n):
        return {"pairs": np.asarray(n, dtype=np.int64)}

    def estimates(self, n, stats):
        return {q.name: _mean_se(stats, self.term_of(q.name)) for q in self.quantities}

    def term_of(self, quantity: str) -> str:
        """The per-sample term whose mean is ``quantity`` (the same name unless an identity repeats it)."""
        return quantity

    # The exact side: each quantity has a conditional mean and variance given x.
    def conditional(self, quantity: str) -> tuple[Callable, Callable]:
        raise NotImplementedError

    def _mean(self, quantity: str) -> float:
        cache = self.__dict__.setdefault("_means", {})
        if quantity not in cache:
            cache[quantity] = input_expectation(self.conditional(quantity)[0], self.inputs)
        return cache[quantity]

    def exact(self):
        return {q.name: self._mean(self.term_of(q.name)) for q in self.quantities}

    def total_variance(self, quantity: str) -> float:
        """Var l = E_x Var(l | x) + Var_x E(l | x), the second integrated centred."""
        mean_given, var_given = self.conditional(quantity)
        mu = self._mean(quantity)
        return (input_expectation(var_given, self.inputs)
                + input_expectation(lambda x: (mean_given(x) - mu) ** 2, self.inputs))

    def asymptotic_variance(self):
        found = {}
        for q in self.quantities:
            key = self.term_of(q.name)
            found[q.name] = found[key] if key in found else self.total_variance(key)
        return found

    # What the verdict rules read (mcloss.maths.tails, mcloss.judge.verdicts). The constant-model parents declare
    # bounded terms, Markov chains and plug-in biases, none of which applies once q depends on x.
    def growth(self) -> dict[str, int]:
        """Per quantity, the polynomial degree k in x of |term| (|term| ~ |x|^k in both tails)."""
        raise NotImplementedError

    def term_tails(self):
        found = {}
        for q in self.quantities:
            k = self.growth()[self.term_of(q.name)]
            found[q.name] = (TermTail(self.inputs, float(k), float(k)),) if k else (TermTail.bounded(),)
        return found

    def limit_notes(self):
        return {}

    def bias_per_n(self):
        # Every quantity is a plain mean of i.i.d. per-sample terms: unbiased.
        return {}

    def variance_check(self, quantity: str, direct: Callable[[np.ndarray, float], np.ndarray]) -> ExactCheck:
        """lim n Var by total variance against E_x E_{y|x}(l - mu)^2 integrated directly (scipy's expect)."""
        value = self.asymptotic_variance()[quantity]
        mu = self._mean(quantity)
        reference = _scipy_expect(lambda x: direct(x, mu), self.inputs)
        return ExactCheck(f"{quantity}_total_variance", value, reference, _close(reference),
                          f"lim n Var({quantity}) = E_x Var(l|x) + Var_x E(l|x) against E_x E_y|x (l - mu)^2 "
                          "(scipy's expect)")


# --- binary cross-entropy --------------------------------------------------------------
class ConditionalBinaryCrossEntropy(_Conditional, BinaryCrossEntropy):
    """Batch BCE of a logistic model q(x) = sigmoid(t(x)) on y | x ~ Bernoulli(sigmoid(a(x))), x ~ p(x)."""

    def __init__(self, spec, key):
        Estimand.__init__(self, spec, key)
        self.inputs = _inputs(spec, key)
        form = "a0 + a1 x + a2 x^2 + ... (the logit, lowest order first)"
        _one_key(spec.get("labels"), f"{key}.labels", ("logit",), "{logit: [a0, a1, ...]}: P(y=1|x) = sigmoid(a(x))")
        self.truth = _coefficients(spec["labels"]["logit"], f"{key}.labels.logit", form)
        _one_key(spec.get("model"), f"{key}.model", ("logit",), "{logit: [t0, t1, ...]}: q(x) = sigmoid(t(x))")
        self.model = _coefficients(spec["model"]["logit"], f"{key}.model.logit", form)
        # |l| <= |t(x)| + log 2: its variance needs E t(X)^2.
        k = degree(self.model)
        require_moment(self.inputs, 2 * k, f"{key}.inputs", spec["inputs"],
                       f"the BCE of a degree-{k} model logit grows like |x|^{k} and its variance needs E|x|^{2 * k}")

    def draw_labels(self, x, rng):
        return (rng.random(x.shape[0]) < scipy.special.expit(polynomial_logit(x, self.truth))).astype(np.float64)

    def growth(self):
        k = degree(self.model)
        return {"bce": k, "ce2": k, "bce_bernoulli": k, "calibration": 0}

    def terms(self, stream, sample):
        x, y = sample
        t = polynomial_logit(x, self.model)
        log_q, log_1mq = log_sigmoid(t), log1m_sigmoid(t)
        bce = -(y * log_q + (1.0 - y) * log_1mq)
        # The 2-class model [q, 1 - q] has logits [t, 0]: log q_j = logit_j - logsumexp(t, 0) (numpy's logaddexp).
        normaliser = np.logaddexp(t, 0.0)
        ce2 = normaliser - np.where(y == 1.0, t, 0.0)
        # scipy is given the smaller of q, 1 - q, sigmoid(-|t|) (outcome swapped if need be): no log of a rounded 1.
        small = t <= 0.0
        smaller = scipy.special.expit(-np.abs(t))
        bernoulli = -scipy.stats.bernoulli.logpmf(np.where(small, y, 1.0 - y), smaller)
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
                     "the batch's Bernoulli negative log-likelihood (scipy.stats.bernoulli.logpmf)"),
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
        t = polynomial_logit(x, self.model)
        return scipy.special.expit(polynomial_logit(x, self.truth)), t

    def conditional(self, quantity):
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
            reference = _scipy_expect(f, self.inputs)
            checks.append(ExactCheck(name, exact["bce"], reference, _close(reference),
                                     f"limit by quantile-split quadrature against {meaning}, by scipy's expect"))
        reference = _scipy_expect(calibration, self.inputs)
        checks.append(ExactCheck("calibration", exact["calibration"], reference, _close(reference),
                                 "E_x[p(x) - q(x)] by scipy's expect"))
        checks.append(self.variance_check("bce", centred))
        return checks

    def describe(self):
        return (f"x ~ {describe(self.spec['inputs'])}, P(y=1|x) = sigmoid({_poly(self.truth)}), "
                f"q(x) = sigmoid({_poly(self.model)})")


def _poly(coefficients) -> str:
    terms = [f"{c:g}" + ("" if i == 0 else (" x" if i == 1 else f" x^{i}"))
             for i, c in enumerate(coefficients) if c != 0.0 or i == 0]
    return " + ".join(terms).replace("+ -", "- ")


# --- cross-entropy -----------------------------------------------------------------
class ConditionalCrossEntropy(_Conditional, CrossEntropy):
    """Batch cross-entropy of a softmax model q(x) on y | x ~ Categorical(softmax(A(x))), x ~ p(x)."""

    def __init__(self, spec, key):
        Estimand.__init__(self, spec, key)
        self.inputs = _inputs(spec, key)
        form = "c0 + c1 x + ... (lowest order first)"
        _one_key(spec.get("labels"), f"{key}.labels", ("logits",),
                 "{logits: [[...], [...], ...]}: one polynomial in x per class, P(y|x) = softmax")
        self.truth = _ragged(spec["labels"]["logits"], f"{key}.labels.logits", form)
        _one_key(spec.get("model"), f"{key}.model", ("logits",),
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

        ce = _scipy_expect(lambda x: scipy_routes(x)[0], self.inputs)
        entropy = _scipy_expect(lambda x: scipy_routes(x)[1], self.inputs)
        return [
            ExactCheck("ce_entropy_plus_kl", exact["ce"], ce, _close(ce),
                       "limit against E_x[H(t(x)) + KL(t(x) || q(x))], t = (1-eps) p(x) + eps/K "
                       "(scipy.special.entr, rel_entr; scipy's expect)"),
            ExactCheck("conditional_entropy", exact["entropy"], entropy, _close(entropy),
                       "E_x H(p(x)) against scipy.special.entr under scipy's expect"),
            ExactCheck("h_pq_decomposition", exact["h_pq"], exact["entropy"] + exact["kl"],
                       _close(exact["h_pq"]), "E_x H(p, q) = E_x H(p) + E_x KL(p || q)"),
            self.variance_check("ce", centred),
        ]

    def describe(self):
        def softmax(matrix):
            return "softmax(" + ", ".join(_poly(row) for row in matrix) + ")"

        return (f"x ~ {describe(self.spec['inputs'])}, y|x ~ {softmax(self.truth)}, q(x) = {softmax(self.model)}, "
                f"label smoothing {self.eps:g}")


# --- Gaussian NLL --------------------------------------------------------------------
class ConditionalGaussianNLL(_Conditional, GaussianNLL):
    """Batch MSE and Gaussian NLL of N(m(x), sigma(x)^2) on y = m*(x) + e, x ~ p(x)."""

    def __init__(self, spec, key):
        Estimand.__init__(self, spec, key)
        self.inputs = _inputs(spec, key)
        data = spec.get("data")
        if not isinstance(data, Mapping) or set(data) != {"mean", "noise"}:
            raise ConfigError(f"{key}.data", f"with inputs, got {data!r}",
                              "{mean: [b0, b1, ...], noise: <distribution>}: y = b0 + b1 x + ... + noise")
        self.truth = _coefficients(data["mean"], f"{key}.data.mean", "b0 + b1 x + ... (lowest order first)")
        self.noise = make_distribution(data["noise"], f"{key}.data.noise")
        mean, var = float(self.noise.mean()), float(self.noise.var())
        if not (math.isfinite(mean) and math.isfinite(var)):
            raise ConfigError(f"{key}.data.noise", f"{describe(data['noise'])} has no finite variance",
                              "a law with finite variance, e.g. norm, uniform, laplace, t with df > 2")
        skew, kurtosis = (float(v) for v in self.noise.stats(moments="sk"))
        self.noise_moments = (mean, var, skew * var**1.5, (kurtosis + 3.0) * var**2)
        model = spec.get("model")
        allowed = "{mean: [m0, m1, ...], sigma: s} with s > 0, or {mean: [m0, m1, ...], log_sigma: [s0, s1, ...]}"
        if not isinstance(model, Mapping) or set(model) not in ({"mean", "sigma"}, {"mean", "log_sigma"}):
            raise ConfigError(f"{key}.model", f"with inputs, got {model!r}", allowed)
        self.model = _coefficients(model["mean"], f"{key}.model.mean", "m0 + m1 x + ... (lowest order first)")
        if "sigma" in model:
            sigma = model["sigma"]
            if isinstance(sigma, bool) or not isinstance(sigma, (int, float)) or not (math.isfinite(sigma)
                                                                                     and sigma > 0):
                raise ConfigError(f"{key}.model.sigma", f"must be a finite number > 0, got {sigma!r}",
                                  "a number > 0")
            self.log_sigma = [math.log(float(sigma))]
        else:
            self.log_sigma = _coefficients(model["log_sigma"], f"{key}.model.log_sigma",
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

    def draw_labels(self, x, rng):
        return polynomial_logit(x, self.truth) + self.noise.rvs(size=x.shape[0], random_state=rng)

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
            Quantity("mse", r"$\frac{1}{n}\sum(y_i-m(x_i))^2$", "batch MSE -> E_x[(m*(x) + mu_e - m(x))^2] + Var e",
                     unit="squared units of y"),
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
        found = {q: _mean_se(stats, q) for q in ("mse", "nll")}
        nll_se = found["nll"][1]
        if self.constant_sigma:
            scale = 0.5 / self.sigma0**2
            mse, mse_se = found["mse"]
            found["nll_from_mse"] = (scale * mse + HALF_LOG_2PI + self.log_sigma[0], scale * mse_se)
        else:
            weighted = 0.5 * stats["weighted_sq"].mean + stats["log_sigma"].mean + HALF_LOG_2PI
            found["nll_from_weighted"] = (weighted, nll_se)   # the same per-sample term, summed apart
            found["nll_affine_gap"] = _mean_se(stats, "nll_affine_gap")
        return found

    def term_of(self, quantity):
        return "nll" if quantity in ("nll_from_mse", "nll_from_weighted") else quantity

    def growth(self):
        d = 2 * max(degree(self.truth), degree(self.model))
        return {"mse": d, "nll": d, "nll_affine_gap": d}

    def term_tails(self):
        # (m*(x) - m(x) + e)^2 / sigma(x)^2: x^(2d) in the inputs' tails (sigma(x) is bounded on the bounded
        # inputs a heteroscedastic model needs) plus e^2 in the noise's.
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

    def offset(self, x):
        """c(x) = m*(x) + mu_e - m(x): the mean residual given x."""
        return polynomial_logit(x, self.truth) + self.noise_moments[0] - polynomial_logit(x, self.model)

    def conditional(self, quantity):
        _, v, mu3, mu4 = self.noise_moments

        def mean_given(x):
            alpha, beta = self.alpha_beta(x, quantity)
            c = self.offset(x)
            return alpha * (c * c + v) + beta

        def var_given(x):
            alpha, _ = self.alpha_beta(x, quantity)
            c = self.offset(x)
            return alpha * alpha * (4.0 * c * c * v + 4.0 * c * mu3 + mu4 - v * v)

        return mean_given, var_given

    def total_variance(self, quantity):
        if not math.isfinite(self.noise_moments[3]):
            return float("nan")   # E e^4 infinite: the variance of r^2 does not exist
        return super().total_variance(quantity)

    def exact_checks(self):
        exact = self.exact()

        # The noise's first two raw moments by its own expect() (not by mean() and var()).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", scipy.integrate.IntegrationWarning)
            m1, m2 = (float(self.noise.expect(lambda e, j=j: e**j, epsabs=1e-14, epsrel=1e-12)) for j in (1, 2))

        def nll_given(x):
            # E_e[-log N(m*(x) + e; m(x), sigma(x)^2)] expanded in the raw moments, log-density from scipy.
            c0 = polynomial_logit(x, self.truth) - polynomial_logit(x, self.model)
            sigma = np.exp(polynomial_logit(x, self.log_sigma))
            at_mean = -scipy.stats.norm.logpdf(c0, 0.0, sigma)   # c0^2 / (2 sigma^2) + log sigma + log 2 pi / 2
            return at_mean + (2.0 * c0 * m1 + m2) / (2.0 * sigma**2)

        reference = _scipy_expect(nll_given, self.inputs)
        checks = [
            ExactCheck("nll_scipy_expect", exact["nll"], reference, _close(reference),
                       "limit against scipy's expect over x of -log N(c0(x); 0, sigma(x)^2) + (2 c0 E e + E e^2) / "
                       "(2 sigma^2), E e and E e^2 by the noise law's expect()"),
        ]
        def mse_given(x):
            c0 = polynomial_logit(x, self.truth) - polynomial_logit(x, self.model)
            return c0 * c0 + 2.0 * c0 * m1 + m2

        mse = _scipy_expect(mse_given, self.inputs)
        checks.append(ExactCheck("mse_scipy_expect", exact["mse"], mse, _close(mse),
                                 "E_x[(m*(x) - m(x))^2 + 2 (m* - m) E e + E e^2] by scipy's expect"))
        if math.isfinite(self.noise_moments[3]):
            def centred(x, mu):
                alpha, beta = self.alpha_beta(x, "nll")
                c = self.offset(x)
                _, v, mu3, mu4 = self.noise_moments
                # E[(alpha r^2 + beta - mu)^2 | x] from the raw moments of r = c + e'.
                r2 = c * c + v
                r4 = c**4 + 6.0 * c * c * v + 4.0 * c * mu3 + mu4
                return alpha * alpha * r4 + 2.0 * alpha * (beta - mu) * r2 + (beta - mu) ** 2

            checks.append(self.variance_check("nll", centred))
        return checks

    def describe(self):
        model = (f"sigma = {self.sigma0:g}" if self.constant_sigma
                 else f"log sigma(x) = {_poly(self.log_sigma)}")
        return (f"x ~ {describe(self.spec['inputs'])}, y = {_poly(self.truth)} + e, "
                f"e ~ {describe(self.spec['data']['noise'])}, model N({_poly(self.model)}, sigma^2), {model}")


# Each takes over its estimand's name when a scenario has an `inputs` block (estimands.base.build).
for _variant in (ConditionalBinaryCrossEntropy, ConditionalCrossEntropy, ConditionalGaussianNLL):
    register_variant(_variant, "inputs")
