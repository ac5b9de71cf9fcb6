"""Which moments of a per-sample term are finite: a hypothesis from the tails, checked by independent evidence.

An estimand declares, for each quantity, the per-sample terms it averages and how
fast each grows in the tails of its law (`TermTail`): |term(x)| ~ c |x|^k as
x -> -inf (``left``) and x -> +inf (``right``), k = 0 for a bounded term and None
where the growth is not known (e.g. log D* of an arbitrary pair of laws). The
law's tail index alpha (P(|X| > x) ~ x^-alpha per side; inf where every moment of
that side is finite: `mcloss.maths.tail_table`) then gives the term's tail index
a = min over sides of alpha / k, and

    E|term| < inf  iff  a > 1,        E term^2 < inf  iff  a > 2.

For a term tail index a in (1, 2] the mean of n terms converges, but its spread
shrinks like n^(1/a - 1), slower than n^-1/2 (the generalised CLT: the centred
sum over n^(1/a) has a stable limit); a = 2 is the boundary (n^-1/2 up to a
sqrt(log n) factor).

The index is a hypothesis (from the family table, the slope of log sf, or bounded
support; where the growth is unknown, the mass of |term|^p on decade shells of the
tail in log space, `mcloss.maths.exact.tail_mass_decay`). It must agree with the
independent sources that speak:

- **scipy moments** of each law: E|X|^j finite iff min(alpha_left, alpha_right) > j, for
  j = 1 and 2 (``stats(moments="mv")``) and, for a term growing like |x|^k on every side
  that is not light, j = k (k even) and 2k (``moment(j)``), which are E|term| and E term^2
  themselves; where the index cannot decide such a moment (a slope within its tolerance of
  the threshold) scipy's answer decides it.
- **variance quadrature** (`reports`): the estimand's lim n Var of the quantity
  (``asymptotic_variance()``) is finite iff E term^2 is (for quantities with an ordinary limit).

The sources that agreed are named in ``TailReport.sources``. Where two disagree, the
finiteness they disagree on is unresolved (None, with both sources and what each says in
the reason), and the verdict rules say ``inconclusive``: never a CI. What no source
settles is unresolved too; never infinite by default.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .exact import InaccurateQuadrature, tail_mass_decay
from .tail_table import moment_finite, scipy_moment_finite, shapes_of, side_index, tail_index

INF = math.inf
#: The sources, in the order they are named: the hypothesis's routes, then the checks.
SOURCES = ("bounded terms", "bounded support", "family table", "sf slope", "tail integral", "scipy moments",
           "variance quadrature")
__all__ = ["INF", "TailReport", "TermTail", "analyse", "expected_slope", "quantity_analysis", "reports",
           "tail_index", "term_index"]


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
    """What the tails say about one quantity: finite E|term| and E term^2 (None: unresolved).

    ``sources`` names the independent sources that agreed, in the order consulted (e.g. "family table,
    scipy moments, variance quadrature"); where two disagreed it reads "<one> vs <other>".
    """

    mean_finite: bool | None
    var_finite: bool | None
    term_index: float          # smallest tail index of its terms (inf: all moments finite; nan: unknown)
    expected_slope: float      # of the spread of the estimate on log n (nan where no rate applies)
    reason: str
    sources: str = ""

    def as_dict(self) -> dict:
        return {"mean_finite": self.mean_finite, "var_finite": self.var_finite, "term_index": self.term_index,
                "expected_slope": self.expected_slope, "reason": self.reason, "sources": self.sources}


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
    return _hypothesis(tail)[0]


def _hypothesis(tail: TermTail) -> tuple[float | None, float, list[str]]:
    """(term tail index, its relative tolerance, the routes that gave it) from the declared growth."""
    if tail.law is None:
        return INF, 0.0, ["bounded terms"]
    found, tolerance, routes = INF, 0.0, []
    for side, degree in (("left", tail.left), ("right", tail.right)):
        if degree == 0:
            continue
        alpha, route, tol = side_index(tail.law, side)
        routes.append(route)
        if alpha is None or degree is None:
            if alpha == INF:
                continue          # a light tail: any growth slower than exp has every moment
            return None, 0.0, routes
        if alpha != INF and alpha / degree <= found:
            found, tolerance = alpha / degree, tol
    return found, tolerance, routes or ["bounded terms"]


@dataclass
class _Finding:
    """One term's (or one quantity's) finiteness and the sources behind it."""

    mean: bool | None
    var: bool | None
    index: float | None
    sources: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    conflict: bool = False


def _describe(law) -> str:
    args = ", ".join(f"{k}={v:g}" for k, v in shapes_of(law).items())
    return f"{law.dist.name}({args})"


def _law_checks(tail: TermTail) -> tuple[dict[int, bool], list[str], tuple[str, str] | None]:
    """scipy's moments of the term's law against the law's tail index alpha = min(alpha_left, alpha_right).

    Rule: E|X|^j is finite iff alpha > j, for j = 1, 2 and, where |term| ~ |x|^k (integer k) on every
    side that is not light, j = k and 2k; each j at which scipy states a value (`scipy_moment_finite`)
    and the index decides (`moment_finite`, within the index's tolerance) must agree. Returns (scipy's
    finiteness of E|term|^p, p = 1, 2, where E|X|^(p k) is that term moment; ["scipy moments"] if scipy
    spoke; on a disagreement, (the pair of sources, what each says), else None).
    """
    law = tail.law
    sides = {side: side_index(law, side) for side in ("left", "right")}
    alphas = [s[0] for s in sides.values()]
    if all(a == INF and route == "bounded support" for a, route, _ in sides.values()):
        return {}, [], None       # bounded: every moment finite by the support alone
    alpha = None if None in alphas else min(alphas)
    tolerance = max(s[2] for s in sides.values())
    # E|term|^p is E|X|^(p k) when |term| ~ |x|^k on every side that is not light.
    degrees = {d for (side, d) in (("left", tail.left), ("right", tail.right)) if sides[side][0] != INF}
    k = next(iter(degrees)) if len(degrees) == 1 else None
    k = int(k) if k is not None and k > 0 and float(k).is_integer() else None
    orders = sorted({1, 2} | ({k, 2 * k} if k else set()))
    said, mapped = {}, {}
    for j in orders:
        scipy_says = scipy_moment_finite(law, j)
        if scipy_says is None:
            continue
        said[j] = scipy_says
        hypothesis = moment_finite(alpha, j, tolerance)
        if hypothesis is not None and hypothesis != scipy_says:
            route = min(sides.values(), key=lambda s: s[0])[1]       # the side whose index binds
            moment = "E|X|" if j == 1 else f"E|X|^{j}"
            return {}, [], (f"{route} vs scipy moments", f"the {route} gives {_describe(law)} the tail index "
                            f"{alpha:.4g} ({moment} {_word(hypothesis)}), scipy moments say {moment} "
                            f"{_word(scipy_says)}")
        if k and j % k == 0 and j // k in (1, 2):
            mapped[j // k] = scipy_says
    return mapped, (["scipy moments"] if said else []), None


def _term_finding(tail: TermTail) -> _Finding:
    index, tolerance, routes = _hypothesis(tail)
    if tail.law is None or (tail.left == 0 and tail.right == 0):
        return _Finding(True, True, INF, ["bounded terms"])
    mapped, checked, conflict = _law_checks(tail)
    if conflict:
        pair, what = conflict
        return _Finding(None, None, None, [pair], [what], conflict=True)
    if index is None:
        # Growth or law tail unknown: the moment integrals' tails themselves; scipy's moments where the
        # integral does not settle and a law moment is the term moment.
        m, why_m = _moment_by_tail_integral(tail, 1.0)
        v, why_v = _moment_by_tail_integral(tail, 2.0) if m else (None, why_m)
        m = mapped.get(1) if m is None else m
        if v is None and m:
            v = mapped.get(2)
        note = f"{why_m}; {why_v}" if why_m != why_v else why_m
        routes = (["tail integral"] if tail.term is not None else []) + checked
        return _Finding(m, False if m is False else v, None, routes, [note])
    mean = moment_finite(index, 1.0, tolerance)
    var = moment_finite(index, 2.0, tolerance)
    mean = mapped.get(1) if mean is None else mean
    var = mapped.get(2) if var is None else var
    if mean is False:
        var = False
    return _Finding(mean, var, index, sorted(set(routes), key=routes.index) + checked)


def _combine(findings: list[_Finding]) -> _Finding:
    """A quantity's finiteness from its terms': an infinite moment of one term wins, then unresolved."""
    def join(values):
        return False if False in values else (None if None in values else True)

    indices = [f.index for f in findings if f.index is not None]
    named = {s for f in findings for s in f.sources}
    sources = sorted(named, key=lambda s: (SOURCES.index(s) if s in SOURCES else len(SOURCES), s))
    return _Finding(join([f.mean for f in findings]), join([f.var for f in findings]),
                    min(indices) if indices else None, sources, [n for f in findings for n in f.notes],
                    any(f.conflict for f in findings))


def expected_slope(index: float) -> float:
    """Slope of log spread on log n: -1/2 for a finite variance, 1/a - 1 for a term tail index a in (1, 2]."""
    if not math.isfinite(index) or index > 2.0:
        return -0.5
    if index <= 1.0:
        return float("nan")
    return 1.0 / index - 1.0


def _report(found: _Finding) -> TailReport:
    mean, var, index = found.mean, found.var, found.index
    if found.conflict:
        mean, var = None, None
    if mean is False:
        var = False
    notes = list(found.notes)
    if found.conflict:
        notes.insert(0, "tails unresolved: the sources disagree")
    elif index is not None and math.isfinite(index):
        notes.insert(0, f"term tail index {index:.4g}: E|term| {_word(mean)}, E term^2 {_word(var)}")
    elif index is not None and mean and var:
        notes.insert(0, "every moment of the terms finite (bounded, or tails falling faster than any power)")
    elif index is not None:
        notes.insert(0, "term tail index inf where the growth is declared (every moment finite there)")
    # The sources that agreed, where anything was decided; on a conflict, the pairs that disagreed.
    if found.conflict:
        agreed = [s for s in found.sources if " vs " in s]
    else:
        agreed = found.sources if mean is not None else []
        if agreed:
            notes.append(f"agreed: {', '.join(agreed)}")
    if mean is not True:
        slope = float("nan")
    elif var:
        slope = -0.5
    elif var is False and index is not None and 1.0 < index <= 2.0:
        slope = expected_slope(index)
    else:
        slope = float("nan")       # infinite variance without a known index: no expected rate
    shown = float("nan") if (index is None or found.conflict) else index
    return TailReport(mean, var, shown, slope, "; ".join(notes), ", ".join(agreed))


def _word(finite: bool | None) -> str:
    return {True: "finite", False: "infinite", None: "unresolved"}[finite]


def analyse(tails: tuple[TermTail, ...]) -> TailReport:
    """Finite mean and variance of a quantity whose per-sample terms are ``tails``."""
    if not tails:
        return TailReport(None, None, float("nan"), float("nan"), "no term tails declared")
    return _report(_combine([_term_finding(t) for t in tails]))


def _quadrature_check(report: TailReport, variance: float | None) -> TailReport:
    """``report`` confirmed or contradicted by the quadrature's lim n Var (None: it did not speak).

    Rule: lim n Var finite iff E term^2 finite (inf and nan are the quadrature's word for divergent). Agreeing,
    "variance quadrature" joins the sources; disagreeing, E|term| and E term^2 both become unresolved (the
    hypothesis that gave the one gave the other).
    """
    if variance is None or report.var_finite is None:
        return report
    finite = math.isfinite(variance)
    if finite == report.var_finite:
        sources = ", ".join(s for s in (report.sources, "variance quadrature") if s)
        reason = report.reason.rsplit("; agreed: ", 1)[0] + f"; agreed: {sources}"
        return TailReport(report.mean_finite, report.var_finite, report.term_index, report.expected_slope,
                          reason, sources)
    said = f"{report.sources or 'the tails'} say E term^2 {_word(report.var_finite)}"
    return TailReport(None, None, float("nan"), float("nan"),
                      f"tails unresolved: the sources disagree; {said} ({report.reason}), the variance "
                      f"quadrature gives lim n Var = {variance:.6g}{'' if finite else ' (divergent)'}",
                      f"{report.sources or 'tails'} vs variance quadrature")


def _variances(estimand) -> tuple[dict[str, float], dict[str, str]]:
    """The i.i.d. estimand's lim n Var per quantity, and why a NaN among them is unknown, not divergent.

    A sampling plan (`mcloss.laws.plans.Planned`, which keeps its estimand as ``base``) changes the factor
    (Sobol' has no n^-1/2 law at all), not whether E term^2 is finite: the unplanned estimand's is read.
    A NaN is divergent unless the estimand's ``unresolved()`` names the quantity (a quadrature that did not
    settle); it is asked only when there is a NaN, since it computes the values again.
    """
    plain = getattr(estimand, "base", estimand)   # a Planned's estimand (formula wrappers keep theirs as `inner`)
    try:
        found = {k: float(v) for k, v in plain.asymptotic_variance().items()}
        unsettled = (dict(plain.unresolved()) if hasattr(plain, "unresolved")
                     and not all(math.isfinite(v) for v in found.values()) else {})
    except ArithmeticError as err:          # InaccurateQuadrature among them: no evidence either way
        return {}, {q.name: f"lim n Var unresolved ({err})" for q in estimand.quantities}
    return found, unsettled


def reports(estimand, variances: Mapping[str, float] | None = None,
            unsettled: Mapping[str, str] | None = None) -> dict[str, TailReport]:
    """A TailReport per quantity of ``estimand``.

    Quantities with declared term tails (`Estimand.term_tails`) are analysed from them (`analyse`) and
    then checked against ``variances`` (lim n Var per quantity; default: the estimand's own
    ``asymptotic_variance()``): finite vs inf/nan must agree with E term^2 finite, else both moments are
    unresolved (`_quadrature_check`). Not checked: quantities with a limit note (random or no limit by
    construction), quantities missing from ``variances``, and those in ``unsettled`` (quantity -> why its
    value is NaN because no quadrature settled it; default: the estimand's ``unresolved()``). Quantities
    without declared tails fall back on the exact values: a finite limit means a finite E|term|, and a
    finite asymptotic variance a finite E term^2 (else unresolved).
    """
    declared = estimand.term_tails()
    if variances is None:
        variances, found = _variances(estimand)
        unsettled = found if unsettled is None else unsettled
    unsettled = unsettled or {}
    notes = estimand.limit_notes()
    # Growth measured numerically (a formula typed in the config), not derived: only a settled quadrature of
    # its exact value and lim n Var confirms it (a pole inside the support, or a term growing faster than any
    # power, is invisible to the measurement); one that did not settle leaves both moments unresolved.
    measured = set(estimand.measured_tails()) if hasattr(estimand, "measured_tails") else set()
    out = {}
    for q in estimand.quantities:
        var = None if (q.name not in variances or q.name in unsettled) else float(variances[q.name])
        if q.name in declared:
            report = _quadrature_check(analyse(tuple(declared[q.name])), None if q.name in notes else var)
            why = unsettled.get(q.name)
            if why and q.name in measured and ((report.mean_finite is True and "exact value" in why)
                                               or (report.var_finite is True and "lim n Var" in why)):
                # A finite moment the quadrature did not settle is not confirmed (an infinite one is consistent).
                report = TailReport(None, None, float("nan"), float("nan"), "tails unresolved: the growth measured "
                                    f"from the formula says finite, which its quadrature does not confirm ({why})",
                                    "")
            elif why and report.var_finite is not None:
                report = TailReport(report.mean_finite, report.var_finite, report.term_index,
                                    report.expected_slope, f"{report.reason}; not checked by the variance "
                                    f"quadrature ({why})", report.sources)
            out[q.name] = report
            continue
        exact = float(estimand.exact().get(q.name, float("nan")))
        mean_finite = True if math.isfinite(exact) else None
        var_finite = True if (mean_finite and var is not None and math.isfinite(var)) else None
        out[q.name] = TailReport(mean_finite, var_finite, float("nan"), -0.5 if var_finite else float("nan"),
                                 "no term tails declared: finiteness from the exact value"
                                 + (" and asymptotic variance" if var_finite else ""),
                                 "exact value" + (", variance quadrature" if var_finite else "")
                                 if mean_finite else "")
    return out


def quantity_analysis(estimand, unresolved: str = "", variances: Mapping[str, float] | None = None,
                      unsettled: Mapping[str, str] | None = None) -> dict[str, dict]:
    """Per quantity, what the verdict rules need besides the simulation (written to exact.json).

    The tails (finite E|term|, E term^2, term tail index, expected slope, the sources that agreed), the
    estimand's limit notes (random limit / no limit by construction) and its declared O(1/n) bias
    coefficient; ``unresolved`` names a quadrature that did not settle the exact values. ``variances`` and
    ``unsettled``: the lim n Var already computed and, per quantity, why one is NaN although it may be
    finite (else `reports` asks the estimand, computing them again).
    """
    try:
        found = {k: v.as_dict() for k, v in reports(estimand, variances, unsettled).items()}
    except InaccurateQuadrature as err:
        found = {q.name: TailReport(None, None, float("nan"), float("nan"), f"unresolved: {err}").as_dict()
                 for q in estimand.quantities}
    notes, bias = estimand.limit_notes(), estimand.bias_per_n()
    for name, info in found.items():
        kind, why = notes.get(name, ("", ""))
        info.update(limit_kind=kind, limit_reason=why, bias_per_n=float(bias.get(name, 0.0)), unresolved=unresolved)
    return found
