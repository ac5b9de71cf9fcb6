"""Exact variance-reduction factors of the sampling plans, by quadrature over the uniform.

A stream draws X = F^-1(U), U ~ U(0, 1), and each per-sample term is f(X) = h(U)
with h = f o F^-1. For the terms t, t' of one stream (means mu_t):

    iid              C(t, t')      = int_0^1 (h_t(u) - mu_t)(h_t'(u) - mu_t') du
    antithetic       C_a(t, t')    = C(t, t') + (A(t, t') + A(t', t)) / 2,
                     A(t, t')      = int_0^1 (h_t(u) - mu_t)(h_t'(1 - u) - mu_t') du
                     (n Var of the mean of n = 2m samples in m pairs; for one term the
                     per-pair variance is (Var f + Cov(f(U), f(1 - U))) / 2)
    control variate  C_c(t, t')    = C(t, t') - C(t, c) C(t', c) / C(c, c)
                     (one term: (1 - rho^2) Var f, rho = Corr(f, c))

are the limits of n Cov of the prefix means of a stream of n samples. A
quantity's lim n Var then follows by the delta method over the estimand's own
`estimates`: with g_t = d q / d mu_t (central differences at the exact means) and
n_s / n -> share_s for stream s, lim n Var q = sum_s sum_{t,t' in s} g_t g_t' C(t, t') / share_s.
Streams are independent of one another, so there are no cross-stream terms.

The integrals are split at the u of the law's jumps (discrete labels) and at fixed
quantile levels, and h(1 - u) is evaluated from the upper tail (F^-1(1 - u) as
``isf(u)``), so neither endpoint loses digits. Streams needing more than one
uniform per sample (random-composition GAN batches) get NaN: no 1-d quadrature.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from mcloss.maths.moments import TermStats

from .inversion import inversion

#: Gauss-Legendre nodes per piece; the pieces of (0, 1/2) are geometric towards 0 (10^-16 ... 10^-1), so a
#: term growing like sqrt(log 1/u) at the ends (a log-density of a normal law) is smooth on each piece.
_NODES = 48
_CUTS = tuple(10.0**-k for k in range(16, 0, -1)) + (0.2, 0.3, 0.4)


def _nodes(breaks) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Legendre nodes and weights on (0, 1/2), split at ``_CUTS`` and at ``breaks`` inside it."""
    cuts = np.unique(np.concatenate([[0.0, 0.5], _CUTS, [b for b in breaks if 0.0 < b < 0.5]]))
    x, w = np.polynomial.legendre.leggauss(_NODES)
    a, b = cuts[:-1, None], cuts[1:, None]
    return (0.5 * (b - a) * x + 0.5 * (a + b)).ravel(), (0.5 * (b - a) * w).ravel()


def stream_covariances(base, stream: str) -> dict[str, object]:
    """Term means and the matrices C, A and the control's cross-moments of one stream (see the module).

    Returns {"terms": [...], "mean": array, "C": matrix, "A": matrix, "Cc": vector C(t, c),
    "Vc": C(c, c)}; every entry NaN when a sample needs more than one uniform. Each integral over
    (0, 1) is folded onto (0, 1/2): int_0^1 g(u) du = int_0^{1/2} g(v) + g(1 - v) dv, with g(1 - v)
    evaluated from the upper tail.
    """
    spec = next(s for s in base.streams if s.name == stream)
    inv = inversion(spec.sampler, stream, f"{base.key}.sampling")
    names = list(base.terms(stream, inv.probe()))
    k = len(names)
    if inv.dims != 1:
        nan = np.full((k, k), np.nan)
        return {"terms": names, "mean": np.full(k, np.nan), "C": nan, "A": nan, "Cc": np.full(k, np.nan),
                "Vc": float("nan")}
    # A jump of the 1-d map at u = b lies at v = b (lower half) or v = 1 - b (upper half, folded).
    v, w = _nodes([b for b in inv.breaks] + [1.0 - b for b in inv.breaks])

    def values(upper: bool) -> np.ndarray:
        sample = inv.sample(v[:, None], np.full(v.size, upper))
        found = base.terms(stream, sample)
        with np.errstate(invalid="ignore"):
            c = inv.control(sample)
        return np.column_stack([np.asarray(found[t], dtype=np.float64) for t in names]
                               + [np.asarray(c, dtype=np.float64)])

    low, high = values(False), values(True)      # h(v) and h(1 - v), terms then the control
    mean = w @ (low + high)
    dl, dh = low - mean, high - mean              # centred before any product: no cancellation
    C = (dl * w[:, None]).T @ dl + (dh * w[:, None]).T @ dh
    cross = (dl * w[:, None]).T @ dh              # int_0^{1/2} d(v)_i d(1 - v)_j dv
    A = (cross + cross.T)[:k, :k]                 # + int_{1/2}^1, the same pairs with roles swapped
    return {"terms": names, "mean": mean[:k], "C": C[:k, :k], "A": A, "Cc": C[:k, k], "Vc": float(C[k, k]),
            "control_mean": float(mean[k])}


def plan_covariance(moments: Mapping[str, object], plan: str) -> np.ndarray:
    """lim n Cov of the prefix means of a stream's terms under ``plan`` (sobol: zero, o(1/n))."""
    C, A = np.asarray(moments["C"]), np.asarray(moments["A"])
    if plan == "iid":
        return C
    if plan == "antithetic":
        return C + 0.5 * (A + A.T)
    if plan == "control_variate":
        Cc, Vc = np.asarray(moments["Cc"]), float(moments["Vc"])
        if not Vc > 0:
            return C
        return C - np.outer(Cc, Cc) / Vc
    if plan == "sobol":
        return np.zeros_like(C)
    raise ValueError(f"unknown plan {plan!r}")


def term_factors(base) -> dict[str, dict[str, float]]:
    """Per term: its exact variance-reduction factors, lim Var_plan / Var_iid of its prefix mean."""
    out = {}
    for spec in base.streams:
        m = stream_covariances(base, spec.name)
        for i, t in enumerate(m["terms"]):
            var = float(m["C"][i, i])
            out[t] = {"variance": var,
                      "antithetic": float(plan_covariance(m, "antithetic")[i, i] / var) if var > 0 else math.nan,
                      "control_variate": (float(plan_covariance(m, "control_variate")[i, i] / var)
                                          if var > 0 else math.nan)}
    return out


def quantity_variances(base, plans=("iid", "antithetic", "control_variate")) -> dict[str, dict[str, float]]:
    """lim n Var of every quantity under each plan, by the delta method over the estimand's `estimates`."""
    moments = {s.name: stream_covariances(base, s.name) for s in base.streams}
    big = np.array([1 << 40], dtype=np.int64)
    counts = base.stream_counts(big)
    share = {s: float(counts[s][0]) / float(big[0]) for s in moments}
    means = {t: float(m["mean"][i]) for m in moments.values() for i, t in enumerate(m["terms"])}

    def evaluate(shift: Mapping[str, float]) -> dict[str, float]:
        stats = {}
        for s, m in moments.items():
            for t in m["terms"]:
                stats[t] = TermStats(count=counts[s], mean=np.array([means[t] + shift.get(t, 0.0)]),
                                     m2=np.zeros(1))
        with np.errstate(all="ignore"):
            return {q: float(np.asarray(v[0])[0]) for q, v in base.estimates(big, stats).items()}

    grads: dict[str, dict[str, float]] = {}
    for t, mu in means.items():
        h = 1e-5 * (1.0 + abs(mu))
        up, down = evaluate({t: h}), evaluate({t: -h})
        for q in up:
            grads.setdefault(q, {})[t] = (up[q] - down[q]) / (2 * h)
    out: dict[str, dict[str, float]] = {}
    for plan in plans:
        for q, g in grads.items():
            total = 0.0
            for s, m in moments.items():
                vec = np.array([g.get(t, 0.0) for t in m["terms"]])
                if not np.any(vec):
                    continue
                if share[s] == 0.0:
                    total = math.nan
                    continue
                total += float(vec @ plan_covariance(m, plan) @ vec) / share[s]
            out.setdefault(q, {})[plan] = total
    return out
