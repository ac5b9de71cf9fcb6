"""The verdict vocabulary and the rules that assign it, one scenario x quantity at a time.

Every verdict is one of six strings; the mathematics (the tails of the terms, declared
by the estimand: mcloss.maths.tails) says which kind of limit to expect, and the measured
evidence must agree with it, else the verdict is ``inconclusive`` with the reason.
The rules, in the order they are applied (thresholds in the constants below):

1. ``random limit`` / ``no limit`` declared by the estimand (a non-ergodic chain, an
   unscaled sum): confirmed when the spread across replicates does not shrink (upper
   end of the 95% CI of its log-log slope above -0.25); else inconclusive.
2. ``degenerate``: the spread across replicates is zero to rounding at every n
   (EmpSE <= 1e-12 (1 + |exact|)) and the estimate equals the exact value to rounding.
   No CI, z or coverage exists for it.
3. ``no limit``: the tails say E|term| = infinity (term tail index <= 1) and the
   interquartile range (IQR) of the estimate across replicates does not shrink (upper
   end of its slope CI above -0.25); if it does shrink, inconclusive.
4. unresolved tails (neither the index nor the log-space tail integral decides), or an
   exact value quadrature could not settle: ``inconclusive``.
5. ``converges, slower than n^-1/2``: E|term| finite, E term^2 infinite (term tail
   index a in (1, 2]). Expected slope of the spread on log n: 1/a - 1. Measured: the
   slope of log IQR across replicates (EmpSE, its MCSE, z, CIs and coverage assume a
   variance and are not used). Confirmed when the IQR shrinks (CI upper end < 0), at
   least as fast as theory (CI lower end <= expected + 0.1) and the median estimate at
   the largest n is within 2 IQR of the exact value; else inconclusive.
6. ``converges at n^-1/2``: finite variance. The mean estimate at the largest n lies
   within 4 MCSE of exact + b/n (b the estimand's declared O(1/n) bias, reported as
   ``declared_bias``), and the RMSE shrinks at least as fast as n^-1/2 (lower end of
   the slope CI <= -0.45; a faster rate, e.g. an O(1/n) error at p = 1/2, is accepted).
   Otherwise inconclusive with the failing part named.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

CONVERGES = "converges at n^-1/2"
SLOWER = "converges, slower than n^-1/2"
NO_LIMIT = "no limit"
RANDOM_LIMIT = "random limit"
DEGENERATE = "degenerate"
INCONCLUSIVE = "inconclusive"
VERDICTS = (CONVERGES, SLOWER, NO_LIMIT, RANDOM_LIMIT, DEGENERATE, INCONCLUSIVE)
#: Verdicts under which a quantity has a deterministic limit it reaches.
CONVERGING = (CONVERGES, SLOWER, DEGENERATE)

Z_LIMIT = 4.0          # |estimate - (exact + bias)| / MCSE
RATE_EDGE = -0.45      # n^-1/2 with a margin for the curvature of a finite grid
RATE_MARGIN = 0.1      # slower rates: at least as fast as theory, within this
NO_SHRINK = -0.25      # spread slopes above this (CI upper end) do not shrink like any useful power
IQR_LIMIT = 2.0        # |median - exact| / IQR at the largest n
ROUNDING = 1e-12

COLUMNS = ["scenario", "estimand", "quantity", "unit", "verdict", "reason", "exact", "estimate",
           "estimate_mcse", "n_max", "slope", "slope_ci_low", "slope_ci_high", "expected_slope", "declared_bias",
           "slope_of", "term_tail_index", "replicates", "nonfinite"]


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


def _ci(row: Mapping, prefix: str) -> str:
    return (f"{_num(row, prefix):.3f} [{_num(row, prefix + '_ci_low'):.3f}, {_num(row, prefix + '_ci_high'):.3f}]")


def judge_quantity(row: Mapping) -> Verdict:
    """The verdict on one scenario x quantity from its evidence row (a convergence-table row).

    Reads: exact, estimate, estimate_mcse, n_max, max_emp_se, slope (+ _ci_low/_ci_high: log RMSE,
    or log EmpSE where there is no exact value), iqr_slope (+ CI), median, iqr, mean_finite,
    var_finite, expected_slope, declared_bias, limit_kind, limit_reason, tails_reason.
    """
    exact, estimate, mcse = _num(row, "exact"), _num(row, "estimate"), _num(row, "estimate_mcse")
    kind = row.get("limit_kind") if isinstance(row.get("limit_kind"), str) else ""
    tails = row.get("tails_reason") if isinstance(row.get("tails_reason"), str) else ""
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
        if spread <= rounding and abs(estimate - exact) <= rounding:
            return Verdict(DEGENERATE, f"every replicate equals the exact value {exact:.15g} to rounding at every n "
                                       f"(largest EmpSE {spread:.2g}): zero variance, no CI or coverage", "rmse")
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
        unresolved = row.get("unresolved") if isinstance(row.get("unresolved"), str) else ""
        return Verdict(INCONCLUSIVE, "E|term| is finite but the exact value is unknown"
                       + (f": {unresolved}" if unresolved else ""), "rmse")
    if var_finite is False:
        expected = _num(row, "expected_slope")
        low = _num(row, "iqr_slope_ci_low")
        median, iqr = _num(row, "median"), _num(row, "iqr")
        problems = []
        if not _num(row, "iqr_slope_ci_high") < 0.0:
            problems.append("the IQR does not shrink (upper end of its slope CI >= 0)")
        if not (math.isfinite(expected) and low <= expected + RATE_MARGIN):
            problems.append(f"it shrinks slower than theory's n^{expected:.3f}")
        if not abs(median - exact) <= IQR_LIMIT * iqr:
            problems.append(f"the median estimate {median:.6g} is more than {IQR_LIMIT:g} IQR ({iqr:.3g}) from exact")
        measured = (f"IQR slope {_ci(row, 'iqr_slope')} vs expected {expected:.3f} ({tails}); median estimate "
                    f"{median:.6g}, IQR {iqr:.3g} at n = {int(_num(row, 'n_max')):,}; no CI, z or coverage "
                    "(infinite variance)")
        if problems:
            return Verdict(INCONCLUSIVE, "finite mean, infinite variance, but " + " and ".join(problems) + "; "
                           + measured, "iqr")
        return Verdict(SLOWER, "finite mean, infinite variance: " + measured, "iqr")
    bias = _num(row, "declared_bias")
    bias = 0.0 if not math.isfinite(bias) else bias
    z = (estimate - exact - bias) / mcse if mcse > 0 else float("nan")
    low = _num(row, "slope_ci_low")
    near = math.isfinite(z) and abs(z) <= Z_LIMIT
    fast = low <= RATE_EDGE
    measured = (f"estimate {estimate:.6g} +- {mcse:.2g} (MCSE) vs exact {exact:.6g}"
                + (f" + declared bias {bias:.3g}" if bias else "") + f" (z = {z:.2f}); RMSE slope "
                f"{_ci(row, 'slope')}")
    note = "" if var_finite else " (variance not declared: judged as finite)"
    if near and fast:
        # "at n^-1/2" means at least that fast: a clearly faster rate (e.g. randomized QMC) is named as such.
        faster = " (faster than n^-1/2)" if _num(row, "slope_ci_high") < -0.5 - RATE_MARGIN else ""
        return Verdict(CONVERGES, measured + faster + note, "rmse")
    problems = ([] if near else [f"the estimate is {z:.1f} MCSE from exact + bias"]) + (
        [] if fast else ["the RMSE shrinks slower than n^-1/2 although the variance is finite"])
    return Verdict(INCONCLUSIVE, " and ".join(problems) + "; " + measured + note, "rmse")


def claim_status(verdicts: list[str]) -> str:
    """How a claim "these quantities converge" reads a list of quantity verdicts.

    holds: every one converges (at n^-1/2, slower, or degenerate at its limit); refuted: one
    has no limit or a random limit; otherwise inconclusive.
    """
    if verdicts and all(v in CONVERGING for v in verdicts):
        return "holds"
    if any(v in (NO_LIMIT, RANDOM_LIMIT) for v in verdicts):
        return "refuted"
    return "inconclusive"
