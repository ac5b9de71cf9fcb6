"""Which moments of a per-sample term are finite, decided from the tails first.

An estimand declares, for each quantity, the per-sample terms it averages and how
fast each grows in the tails of its law (`TermTail`): |term(x)| ~ c |x|^k as
x -> -inf (``left``) and x -> +inf (``right``), k = 0 for a bounded term and None
where the growth is not known (e.g. log D* of an arbitrary pair of laws). The
law's tail index alpha (P(|X| > x) ~ x^-alpha per side; inf for light tails)
then gives the term's tail index alpha / k, and

    E|term| < inf  iff  alpha / k > 1,        E term^2 < inf  iff  alpha / k > 2.

For a term tail index a in (1, 2] the mean of n terms converges, but its spread
shrinks like n^(1/a - 1), slower than n^-1/2 (the generalised CLT: the centred
sum over n^(1/a) has a stable limit); a = 2 is the boundary (n^-1/2 up to a
sqrt(log n) factor).

The tail index comes from a table of scipy families where it is known in closed
form, else from the local slope of log P(X > x) on log x far out (in log space,
from ``logsf``). Where the growth is unknown, the moment integral's tail is
examined directly: the mass of |term|^p p on decade shells, in log space
(`mcloss.maths.exact.tail_mass_decay`). What none of these settles is reported as
unresolved (None) with a reason: never as infinite.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .exact import tail_mass_decay

INF = math.inf


@dataclass(frozen=True)
class TermTail:
    """A per-sample term of a quantity and its growth in the tails of its law.

    ``law`` is a frozen continuous scipy.stats distribution (None for a discrete
    stream: then the term takes finitely many values and is bounded); ``left``,
    ``right`` the polynomial degree k of |term(x)| as x -> -inf / +inf (0: bounded,
    None: unknown); ``term`` the function itself (needed only when a degree is unknown).
    """

    law: Any = None
    left: float | None = 0.0
    right: float | None = 0.0
    term: Callable[[np.ndarray], np.ndarray] | None = None

    @classmethod
    def bounded(cls) -> TermTail:
        return cls()


@dataclass(frozen=True)
class TailReport:
    """What the tails say about one quantity: finite E|term| and E term^2 (None: unresolved)."""

    mean_finite: bool | None
    var_finite: bool | None
    term_index: float          # smallest tail index of its terms (inf: all moments finite; nan: unknown)
    expected_slope: float      # of the spread of the estimate on log n (nan where no rate applies)
    reason: str

    def as_dict(self) -> dict:
        return {"mean_finite": self.mean_finite, "var_finite": self.var_finite, "term_index": self.term_index,
                "expected_slope": self.expected_slope, "reason": self.reason}


# Tail indices (left, right) of scipy families with power tails, from their shape parameters.
# Families not listed and with a bounded support side are light on that side.
_POWER_TAILS: dict[str, Callable[[dict], tuple[float, float]]] = {
    "t": lambda k: (k["df"], k["df"]),
    "cauchy": lambda k: (1.0, 1.0),
    "halfcauchy": lambda k: (INF, 1.0),
    "levy": lambda k: (INF, 0.5),
    "levy_l": lambda k: (0.5, INF),
    "pareto": lambda k: (INF, k["b"]),
    "lomax": lambda k: (INF, k["c"]),
    "invgamma": lambda k: (INF, k["a"]),
    "invweibull": lambda k: (INF, k["c"]),
    "fisk": lambda k: (INF, k["c"]),
    "burr12": lambda k: (INF, k["c"] * k["d"]),
    "burr": lambda k: (INF, k["c"] * k["d"]),
    "genpareto": lambda k: (INF, 1.0 / k["c"] if k["c"] > 0 else INF),
    "f": lambda k: (INF, k["dfd"] / 2.0),
    "betaprime": lambda k: (INF, k["b"]),
    "loglaplace": lambda k: (INF, k["c"]),
}
# Families whose tails are lighter than any power (every moment finite), on both sides.
_LIGHT = {"norm", "logistic", "laplace", "gumbel_r", "gumbel_l", "expon", "gamma", "chi", "chi2", "rayleigh",
          "weibull_min", "weibull_max", "lognorm", "exponnorm", "skewnorm", "gennorm", "hypsecant", "maxwell",
          "invgauss", "halfnorm", "halflogistic", "erlang", "nakagami", "rice", "loggamma", "uniform", "beta",
          "triang", "truncnorm", "norminvgauss", "genlogistic", "exponweib", "foldnorm"}


def _numeric_index(law, side: str) -> float | None:
    """Tail index from the local slope of log P(tail > x) on log x, at two far quantiles (None: unclear)."""
    probs = (1e-9, 1e-13)
    slopes = []
    for p in probs:
        x = float(law.isf(p)) if side == "right" else float(law.ppf(p))
        if not math.isfinite(x) or x == 0.0:
            return None
        x2 = x * 1.5
        logs = (law.logsf(x), law.logsf(x2)) if side == "right" else (law.logcdf(x), law.logcdf(x2))
        if not all(math.isfinite(v) for v in logs):
            return INF                     # the tail mass underflows: lighter than any power we can see
        slopes.append(-(logs[1] - logs[0]) / math.log(1.5))
    if slopes[1] > 1.25 * slopes[0] or slopes[1] > 200.0:
        return INF                         # steepening: lighter than any power
    if abs(slopes[1] - slopes[0]) <= 0.05 * max(slopes[1], 1e-9):
        return slopes[1]
    return None


def tail_index(law, side: str) -> float | None:
    """alpha with P(X > x) ~ x^-alpha (side 'right') or P(X < -x) ~ x^-alpha ('left'); inf: light; None: unknown."""
    lo, hi = law.support()
    if (side == "left" and math.isfinite(lo)) or (side == "right" and math.isfinite(hi)):
        return INF
    name, kwds = law.dist.name, dict(law.kwds)
    shapes = [s.strip() for s in (law.dist.shapes or "").split(",") if s.strip()]
    kwds.update(zip(shapes, law.args))
    if name in _POWER_TAILS:
        left, right = _POWER_TAILS[name](kwds)
        return float(left if side == "left" else right)
    if name in _LIGHT:
        return INF
    return _numeric_index(law, side)


def _moment_by_tail_integral(tail: TermTail, power: float) -> tuple[bool | None, str]:
    """E|term|^power finite, from the decay of its tail masses in log space."""
    if tail.term is None:
        return None, "the term's growth is not declared and no term function is given"
    law = tail.law
    lo, hi = law.support()
    verdicts = []
    for a, b in ((-INF, float(law.ppf(0.01))), (float(law.ppf(0.99)), INF)):
        if (math.isinf(a) and math.isfinite(lo)) or (math.isinf(b) and math.isfinite(hi)):
            continue

        def absolute(x, term=tail.term):
            return abs(float(term(np.asarray([x]))[0])) ** power * math.exp(law.logpdf(x))

        decay = tail_mass_decay(absolute, a, b)
        verdicts.append(decay)
    if any(d is None for d in verdicts):
        return None, f"the tail integral of |term|^{power:g} neither shrinks nor grows clearly"
    finite = all(d > 0.005 for d in verdicts)
    return finite, f"tail integral of |term|^{power:g} in log space {'converges' if finite else 'diverges'}"


def term_index(tail: TermTail) -> float | None:
    """Tail index of |term(X)|: min over sides of alpha / k (inf if bounded or light; None: unknown)."""
    if tail.law is None:
        return INF
    found = INF
    for side, degree in (("left", tail.left), ("right", tail.right)):
        if degree == 0:
            continue
        alpha = tail_index(tail.law, side)
        if alpha is None or degree is None:
            if alpha == INF:
                continue          # a light tail: any polynomial growth has every moment
            return None
        if alpha != INF:
            found = min(found, alpha / degree)
    return found


def expected_slope(index: float) -> float:
    """Slope of log spread on log n: -1/2 for a finite variance, 1/a - 1 for a term tail index a in (1, 2]."""
    if not math.isfinite(index) or index > 2.0:
        return -0.5
    if index <= 1.0:
        return float("nan")
    return 1.0 / index - 1.0


def analyse(tails: tuple[TermTail, ...]) -> TailReport:
    """Finite mean and variance of a quantity whose per-sample terms are ``tails``."""
    if not tails:
        return TailReport(None, None, float("nan"), float("nan"), "no term tails declared")
    indices, notes = [], []
    mean_finite, var_finite = True, True
    for tail in tails:
        index = term_index(tail)
        if index is not None:
            indices.append(index)
            continue
        # Growth or law tail unknown: the moment integrals' tails themselves.
        m, why_m = _moment_by_tail_integral(tail, 1.0)
        v, why_v = _moment_by_tail_integral(tail, 2.0) if m else (False if m is False else None, why_m)
        notes.append(f"{why_m}; {why_v}" if why_m != why_v else why_m)
        mean_finite = None if (m is None or mean_finite is None) else (mean_finite and m)
        var_finite = None if (v is None or var_finite is None) else (var_finite and v)
    index = min(indices) if indices else INF
    if index <= 1.0:
        mean_finite, var_finite = False, False
    elif index <= 2.0 and var_finite is not None:
        var_finite = False
    if mean_finite is False:
        var_finite = False
    if math.isfinite(index):
        notes.insert(0, f"term tail index {index:.4g}: E|term| {'finite' if index > 1 else 'infinite'}, "
                        f"E term^2 {'finite' if index > 2 else 'infinite'}")
    elif indices:
        notes.insert(0, "bounded or light-tailed terms: every moment finite")
    if not mean_finite:
        slope = float("nan")
    elif var_finite:
        slope = -0.5
    elif var_finite is False and 1.0 < index <= 2.0:
        slope = expected_slope(index)
    else:
        slope = float("nan")       # infinite variance without a known index: no expected rate
    return TailReport(mean_finite, var_finite, index if indices else float("nan"), slope, "; ".join(notes))


def reports(estimand) -> dict[str, TailReport]:
    """A TailReport per quantity of ``estimand``.

    Quantities with declared term tails (`Estimand.term_tails`) are analysed from them;
    the others fall back on the exact values: a finite limit means a finite E|term|, and
    a finite declared asymptotic variance a finite E term^2 (else unresolved).
    """
    declared = estimand.term_tails()
    out = {}
    for q in estimand.quantities:
        if q.name in declared:
            out[q.name] = analyse(tuple(declared[q.name]))
            continue
        exact = float(estimand.exact().get(q.name, float("nan")))
        var = float(estimand.asymptotic_variance().get(q.name, float("nan")))
        mean_finite = True if math.isfinite(exact) else None
        var_finite = True if (mean_finite and math.isfinite(var)) else None
        out[q.name] = TailReport(mean_finite, var_finite, float("nan"), -0.5 if var_finite else float("nan"),
                                 "no term tails declared: finiteness from the exact value"
                                 + (" and asymptotic variance" if var_finite else ""))
    return out


def quantity_analysis(estimand, unresolved: str = "") -> dict[str, dict]:
    """Per quantity, what the verdict rules need besides the simulation (written to exact.json).

    The tails (finite E|term|, E term^2, term tail index, expected slope), the estimand's limit
    notes (random limit / no limit by construction) and its declared O(1/n) bias coefficient;
    ``unresolved`` names a quadrature that did not settle the exact values.
    """
    from .exact import InaccurateQuadrature

    try:
        found = {k: v.as_dict() for k, v in reports(estimand).items()}
    except InaccurateQuadrature as err:
        found = {q.name: TailReport(None, None, float("nan"), float("nan"), f"unresolved: {err}").as_dict()
                 for q in estimand.quantities}
    notes, bias = estimand.limit_notes(), estimand.bias_per_n()
    for name, info in found.items():
        kind, why = notes.get(name, ("", ""))
        info.update(limit_kind=kind, limit_reason=why, bias_per_n=float(bias.get(name, 0.0)), unresolved=unresolved)
    return found
