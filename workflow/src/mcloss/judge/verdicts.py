"""The verdict vocabulary and the rules that assign it, one scenario x quantity at a time.

Every verdict is one of seven strings; the mathematics (the tails of the terms, declared
by the estimand: mcloss.maths.tails) says which kind of limit to expect, and the measured
evidence must agree with it, else the verdict is ``inconclusive`` with the reason.
The tests of a converging rate are two-sided, so the data can contradict a wrong premise.
The rules, in the order they are applied (thresholds in the constants below):

1. ``random limit`` / ``no limit`` declared by the estimand (a non-ergodic chain, an
   unscaled sum): confirmed when the spread across replicates does not shrink (upper
   end of the 95% CI of its log-log slope above -0.25); else inconclusive.
2. ``degenerate``: the spread across replicates is zero to rounding at every n
   (EmpSE <= 1e-12 (1 + |exact|)) and the estimate equals the exact value to rounding.
   No CI, z or coverage exists for it.
3. the data contradict the declared tails: the tail index measured from the simulated
   terms (Hill's estimator on the sqrt(N) largest |term| of N values re-drawn from the
   simulation's own generators, with its 95% interval: mcloss.evidence.tail_index) lies
   wholly on the other side of 1 (E|term|) or 2 (E term^2) than the declared term tail
   index: ``inconclusive``, naming both sources; no MCSE, CI, z or coverage. An interval
   that straddles the boundary, or a measurement with too few values, contradicts nothing.
4. ``no limit``: the tails say E|term| = infinity (term tail index <= 1) and the
   interquartile range (IQR) of the estimate across replicates does not shrink (upper
   end of its slope CI above -0.25); if it does shrink, inconclusive.
5. unresolved tails (the finiteness of E|term| or of E term^2 undecided: neither the
   index nor the log-space tail integral decides), or an exact value quadrature could
   not settle: ``inconclusive`` (no MCSE, CI, z or coverage where the variance is unresolved;
   no CI, z or coverage where the exact value is unknown).
6. E|term| finite, E term^2 infinite (term tail index a in (1, 2]): expected slope of the
   spread on log n: 1/a - 1. Measured: the slope of log IQR across replicates (EmpSE, its
   MCSE, z, CIs and coverage assume a variance and are not used). The rate agrees with
   theory when the IQR shrinks, and not much slower than theory says (CI upper end <
   min(0, expected + 0.2): it excludes a flat line and rates 0.2 slower than theory, as
   NO_SHRINK does for n^-1/2), and its slope CI reaches theory's within 0.1 both ways
   (CI low <= expected + 0.1 and CI high >= expected - 0.1).
   a. ``converges, slower than n^-1/2``: the rate agrees and the median estimate at the
      largest n is within 2 IQR of the exact value; ``detectable_bias`` is those 2 IQR.
   b. otherwise inconclusive with the failing part named; a clearly faster rate than
      declared (CI high < expected - 0.1) is named as a contradiction of the declared
      tails. A median more than 2 IQR from the exact value is not read as a wrong limit:
      for a skewed law of infinite variance the median of the mean differs from the mean
      by a multiple of the IQR that drifts slowly with n (Pareto(1.1) terms: 1.98, 2.28,
      2.42 IQR at n = 10^3, 10^4, 10^5 around the right limit).
7. ``converges at n^-1/2``: finite variance (the tails say E term^2 < infinity). The mean
   estimate at the largest n lies within 4 MCSE of exact + b/n (|z| <= 4; b the
   estimand's declared O(1/n) bias, reported as ``declared_bias``) and the RMSE
   shrinks like n^-1/2 or faster: the 95% CI of its log-log slope reaches -0.45 (lower
   end <= -0.45; a faster rate, e.g. an O(1/n) error at p = 1/2, is accepted and named)
   and excludes a flat line and anything slower than n^-1/4 (upper end < -0.25). The
   reason states the smallest bias the run could have detected, 4 MCSE at the largest n
   in the quantity's unit (column ``detectable_bias``).
8. ``converges elsewhere``: finite variance, the spread across replicates shrinks like
   n^-1/2 (the slope CI of log EmpSE, which a wrong limit does not level off as it does
   the RMSE, has lower end <= -0.45 and upper end < -0.25), but the estimate settles away
   from the exact value: |z| > 4 at the largest n and |z| larger than at the earlier
   checkpoint (b/n subtracted at each n). The reason gives the distance in MCSE and the
   estimate against the exact value; ``detectable_bias`` is reported as under rule 7.
   Any other failure of rule 7 is inconclusive (too little evidence) with the failing
   part named.
9. failed exact cross-checks (applied by mcloss.judge.convergence): a check fails when
   its value or reference is not finite or they differ by more than its tolerance. A
   failed check puts the exact values it vouches for in doubt (those of the quantities it
   names, else every quantity of the scenario), so each such verdict that rests on an
   exact value (``converges at n^-1/2``, ``converges, slower than n^-1/2``,
   ``degenerate``, ``converges elsewhere``) becomes inconclusive with the check named;
   ``no limit`` and ``random limit`` do not use an exact value and stay.

Hygiene: a quantity whose tails do not state a finite variance (rules 1, 3, 4, 5 and 6), or
whose verdict has none, gets no MCSE, CI, z or coverage in any CSV (mcloss.evidence.summarise
and mcloss.judge.convergence blank them).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from mcloss.evidence.tail_index import contradicts

CONVERGES = "converges at n^-1/2"
SLOWER = "converges, slower than n^-1/2"
NO_LIMIT = "no limit"
RANDOM_LIMIT = "random limit"
DEGENERATE = "degenerate"
#: The spread shrinks as declared but the estimate settles away from the exact value: a wrong limit.
ELSEWHERE = "converges elsewhere"
INCONCLUSIVE = "inconclusive"
VERDICTS = (CONVERGES, SLOWER, NO_LIMIT, RANDOM_LIMIT, DEGENERATE, ELSEWHERE, INCONCLUSIVE)
#: Verdicts under which a quantity has a deterministic limit it reaches.
CONVERGING = (CONVERGES, SLOWER, DEGENERATE)

Z_LIMIT = 4.0          # |estimate - (exact + bias)| / MCSE; also the detectable bias, in MCSE
RATE_EDGE = -0.45      # n^-1/2 with a margin for the curvature of a finite grid (slope CI lower end <= this)
RATE_MARGIN = 0.1      # slower rates: the IQR slope CI reaches theory's 1/a - 1 within this, both ways
NO_SHRINK = -0.25      # spread slopes above this (CI upper end) do not shrink like any useful power
SLOWER_EDGE = 0.2      # slower rates: the IQR slope CI's upper end lies below theory's + this (and below 0)
IQR_LIMIT = 2.0        # |median - exact| / IQR at the largest n
ROUNDING = 1e-12
#: Verdicts that rest on an exact value: a failed exact cross-check makes them inconclusive (rule 9).
RESTS_ON_EXACT = (CONVERGES, SLOWER, DEGENERATE, ELSEWHERE)
#: Verdicts that may rest on a finite variance: where their MCSE exists, so do a z and a detectable bias.
WITH_VARIANCE = (CONVERGES, ELSEWHERE)

COLUMNS = ["scenario", "estimand", "quantity", "unit", "verdict", "reason", "exact", "estimate",
           "estimate_mcse", "detectable_bias", "n_max", "slope", "slope_ci_low", "slope_ci_high", "expected_slope",
           "declared_bias", "slope_of", "term_tail_index", "data_tail_index", "data_tail_index_ci_low",
           "data_tail_index_ci_high", "replicates", "nonfinite"]


@dataclass(frozen=True)
class Verdict:
    verdict: str
    reason: str
    slope_of: str          # which spread the slope columns describe: rmse, emp_se or iqr


def _num(row: Mapping, key: str) -> float:
    value = row.get(key, float("nan"))
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def _flag(row: Mapping, key: str) -> bool | None:
    value = row.get(key)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str):
        return {"true": True, "false": False}.get(value.strip().lower())
    return bool(value)


def _text(row: Mapping, key: str) -> str:
    value = row.get(key)
    return value if isinstance(value, str) else ""


def _ci(row: Mapping, prefix: str) -> str:
    return (f"{_num(row, prefix):.3f} [{_num(row, prefix + '_ci_low'):.3f}, {_num(row, prefix + '_ci_high'):.3f}]")


def detectable_bias(verdict: str, mcse: float, iqr: float = float("nan")) -> float:
    """The smallest bias the run could have detected at the largest n: Z_LIMIT MCSE where the verdict has a
    finite variance (`WITH_VARIANCE`), IQR_LIMIT IQR (of the median) for ``converges, slower than n^-1/2``;
    NaN otherwise."""
    mcse, iqr = float(mcse), float(iqr)
    if verdict in WITH_VARIANCE and math.isfinite(mcse):
        return Z_LIMIT * mcse
    if verdict == SLOWER and math.isfinite(iqr):
        return IQR_LIMIT * iqr
    return float("nan")


def tails_contradicted(row: Mapping) -> str:
    """Rule 3: where the data's tail index (``data_tail_index_ci_*``) contradicts ``term_tail_index``; "" if nowhere."""
    return contradicts(_num(row, "term_tail_index"), _num(row, "data_tail_index_ci_low"),
                       _num(row, "data_tail_index_ci_high"))


def _data_index(row: Mapping) -> str:
    return (f"Hill index {_num(row, 'data_tail_index'):.3g} [{_num(row, 'data_tail_index_ci_low'):.3g}, "
            f"{_num(row, 'data_tail_index_ci_high'):.3g}] of term {_text(row, 'data_tail_term') or '?'} from "
            f"{int(_num(row, 'data_tail_values')):,} values")


def _shrinks_like_root_n(row: Mapping, prefix: str) -> bool:
    """The two-sided n^-1/2 rate test on the slope CI ``prefix``: reaches RATE_EDGE and stays below NO_SHRINK."""
    return _num(row, prefix + "_ci_low") <= RATE_EDGE and _num(row, prefix + "_ci_high") < NO_SHRINK


def judge_quantity(row: Mapping) -> Verdict:
    """The verdict on one scenario x quantity from its evidence row (a convergence-table row).

    Reads: exact, estimate, estimate_mcse, n_max, max_emp_se, unit, slope (+ _ci_low/_ci_high: log RMSE,
    or log EmpSE where there is no exact value), emp_se_slope (+ CI), iqr_slope (+ CI), median, iqr,
    n_earlier, estimate_earlier, estimate_mcse_earlier, median_earlier, iqr_earlier, mean_finite,
    var_finite, term_tail_index, data_tail_index (+ CI, term, values), expected_slope, declared_bias, limit_kind,
    limit_reason, tails_reason, unresolved.
    """
    exact = _num(row, "exact")
    kind, tails = _text(row, "limit_kind"), _text(row, "tails_reason")
    if kind in (RANDOM_LIMIT, NO_LIMIT):
        prefix, slope_of = ("slope", "emp_se") if kind == RANDOM_LIMIT else ("iqr_slope", "iqr")
        high = _num(row, prefix + "_ci_high")
        why = row.get("limit_reason") or kind
        if high > NO_SHRINK:
            return Verdict(kind, f"{why}; the spread across replicates does not shrink (slope {_ci(row, prefix)})",
                           slope_of)
        return Verdict(INCONCLUSIVE, f"declared {kind} ({why}) but the spread shrinks (slope {_ci(row, prefix)})",
                       slope_of)
    spread = _num(row, "max_emp_se")
    if math.isfinite(exact):
        rounding = ROUNDING * (1.0 + abs(exact))
        if spread <= rounding and abs(_num(row, "estimate") - exact) <= rounding:
            return Verdict(DEGENERATE, f"every replicate equals the exact value {exact:.15g} to rounding at every n "
                                       f"(largest EmpSE {spread:.2g}): zero variance, no CI or coverage", "rmse")
    clash = tails_contradicted(row)
    if clash:
        return Verdict(INCONCLUSIVE, f"the data contradict the declared tails: {clash} (data: {_data_index(row)}; "
                                     f"declared: {tails or 'no tail information'}): no MCSE, CI, z or coverage",
                       "iqr")
    mean_finite, var_finite = _flag(row, "mean_finite"), _flag(row, "var_finite")
    if mean_finite is False:
        if _num(row, "iqr_slope_ci_high") > NO_SHRINK:
            return Verdict(NO_LIMIT, f"E|term| is infinite ({tails}); the IQR across replicates does not shrink "
                                     f"(slope {_ci(row, 'iqr_slope')})", "iqr")
        return Verdict(INCONCLUSIVE, f"the tails say E|term| is infinite ({tails}) but the IQR shrinks (slope "
                                     f"{_ci(row, 'iqr_slope')})", "iqr")
    if mean_finite is None:
        return Verdict(INCONCLUSIVE, f"finiteness of E|term| unresolved: {tails or 'no tail information'}", "rmse")
    if not math.isfinite(exact):
        unresolved = _text(row, "unresolved")
        return Verdict(INCONCLUSIVE, "E|term| is finite but the exact value is unknown"
                       + (f": {unresolved}" if unresolved else ""), "rmse")
    if var_finite is None:
        return Verdict(INCONCLUSIVE, f"E|term| is finite but the finiteness of E term^2 is unresolved "
                                     f"({tails or 'no tail information'}): no MCSE, CI, z or coverage", "iqr")
    if var_finite is False:
        return _judge_slower(row, exact, tails)
    return _judge_finite_variance(row, exact)


def _judge_slower(row: Mapping, exact: float, tails: str) -> Verdict:
    """Rule 6: finite mean, infinite variance; the IQR's rate against theory's 1/a - 1, both ways."""
    expected = _num(row, "expected_slope")
    low, high = _num(row, "iqr_slope_ci_low"), _num(row, "iqr_slope_ci_high")
    median, iqr = _num(row, "median"), _num(row, "iqr")
    problems = []
    if math.isfinite(expected) and high < expected - RATE_MARGIN:
        problems.append(f"the IQR shrinks faster than the declared tails allow (upper end of its slope CI "
                        f"{high:.3f} < {expected:.3f} - {RATE_MARGIN:g}): the data contradict the declared term tail "
                        f"index {_num(row, 'term_tail_index'):.3g}")
    edge = min(0.0, expected + SLOWER_EDGE) if math.isfinite(expected) else 0.0
    if not high < edge:
        problems.append(f"the IQR does not shrink, or not clearly faster than {SLOWER_EDGE:g} slower than theory "
                        f"(upper end of its slope CI {high:.3f} >= {edge:.3f})")
    if not (math.isfinite(expected) and low <= expected + RATE_MARGIN):
        problems.append(f"it shrinks slower than theory's n^{expected:.3f}")
    measured = (f"IQR slope {_ci(row, 'iqr_slope')} vs expected {expected:.3f} ({tails}); median estimate "
                f"{median:.6g}, IQR {iqr:.3g} at n = {int(_num(row, 'n_max')):,}; no CI, z or coverage "
                "(infinite variance)")
    if problems:
        return Verdict(INCONCLUSIVE, "finite mean, infinite variance, but " + " and ".join(problems) + "; "
                       + measured, "iqr")
    off = abs(median - exact) / iqr if iqr > 0 else float("inf")
    if off <= IQR_LIMIT:
        return Verdict(SLOWER, "finite mean, infinite variance: " + measured, "iqr")
    return Verdict(INCONCLUSIVE, f"finite mean, infinite variance, but the median estimate is {off:.2f} IQR "
                                 f"(more than {IQR_LIMIT:g}) from exact: for a skewed law of infinite variance the "
                                 "median of the mean need not be near the mean at feasible n, so no wrong limit is "
                                 "inferred; " + measured, "iqr")


def _judge_finite_variance(row: Mapping, exact: float) -> Verdict:
    """Rules 7 and 8: finite variance; the estimate against exact + b/n, the RMSE's and the EmpSE's rates."""
    estimate, mcse = _num(row, "estimate"), _num(row, "estimate_mcse")
    n_max, n_earlier = _num(row, "n_max"), _num(row, "n_earlier")
    bias = _num(row, "declared_bias")
    bias = 0.0 if not math.isfinite(bias) else bias
    z = (estimate - exact - bias) / mcse if mcse > 0 else float("nan")
    mcse_earlier = _num(row, "estimate_mcse_earlier")
    z_earlier = ((_num(row, "estimate_earlier") - exact - bias * n_max / n_earlier) / mcse_earlier
                 if mcse_earlier > 0 and n_earlier > 0 else float("nan"))
    near = math.isfinite(z) and abs(z) <= Z_LIMIT
    rate = _shrinks_like_root_n(row, "slope")
    unit = _text(row, "unit")
    measured = (f"estimate {estimate:.6g} +- {mcse:.2g} (MCSE) vs exact {exact:.6g}"
                + (f" + declared bias {bias:.3g}" if bias else "") + f" (z = {z:.2f}); RMSE slope "
                f"{_ci(row, 'slope')}")
    detectable = (f"; a bias above {Z_LIMIT * mcse:.2g}{' ' + unit if unit else ''} would have been detected "
                  f"({Z_LIMIT:g} MCSE at n = {int(n_max):,})")
    if near and rate:
        # "at n^-1/2" means at least that fast: a clearly faster rate (e.g. randomized QMC) is named as such.
        faster = " (faster than n^-1/2)" if _num(row, "slope_ci_high") < -0.5 - RATE_MARGIN else ""
        return Verdict(CONVERGES, measured + faster + detectable, "rmse")
    spread = _shrinks_like_root_n(row, "emp_se_slope")
    growing = math.isfinite(z_earlier) and abs(z) > abs(z_earlier)
    earlier = (f"z = {z_earlier:.2f} at n = {int(n_earlier):,}" if math.isfinite(z_earlier)
               else "no earlier z")
    if not near and math.isfinite(z) and spread and growing:
        return Verdict(ELSEWHERE, f"the spread shrinks like n^-1/2 (EmpSE slope {_ci(row, 'emp_se_slope')}) but "
                                  f"the estimate settles away from the exact value: {z:.1f} MCSE from exact + bias "
                                  f"at the largest n, up from {earlier}; estimate {estimate:.6g} +- {mcse:.2g} vs "
                                  f"exact {exact:.6g}" + (f" + declared bias {bias:.3g}" if bias else "")
                                  + f", a distance of {estimate - exact - bias:.3g}{' ' + unit if unit else ''}",
                       "emp_se")
    problems = []
    if not near:
        problems.append(f"the estimate is {z:.1f} MCSE from exact + bias"
                        + (f" but a wrong limit is not established (EmpSE slope {_ci(row, 'emp_se_slope')}, "
                           f"{earlier})" if math.isfinite(z) else ""))
    if not _num(row, "slope_ci_low") <= RATE_EDGE:
        problems.append(f"the RMSE shrinks slower than n^-1/2 although the variance is finite (lower end of its "
                        f"slope CI > {RATE_EDGE:g})")
    if not _num(row, "slope_ci_high") < NO_SHRINK:
        problems.append(f"the RMSE slope CI does not exclude a flat line or a rate slower than n^-1/4 (upper end "
                        f">= {NO_SHRINK:g})")
    return Verdict(INCONCLUSIVE, " and ".join(problems) + "; " + measured, "rmse")
