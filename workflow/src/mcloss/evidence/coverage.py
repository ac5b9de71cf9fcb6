"""Coverage of the CLT interval across batch sizes and scenarios, and binomial proportions.

A proportion of R replicates (a coverage, a rejection rate) is reported with its
Wilson score interval (Wilson 1927), which stays inside [0, 1] and keeps its width
at 0 and 1 successes, where the Wald interval p +- z sqrt(p (1 - p) / R) collapses
to a point ("1.000 +- 0.000"):

    centre = (p + z^2 / (2R)) / (1 + z^2 / R)
    half   = z / (1 + z^2 / R) * sqrt(p (1 - p) / R + z^2 / (4 R^2))

The coverage judgment. Replicate i's interval theta_i +- 1.96 se_i covers the exact
limit theta or not, so R times the coverage at one (scenario, quantity, n) is
Binomial(R, c). Coverage is *nominal* at a cell when |c - 0.95| <= 2 MCSE with the
MCSE taken at the nominal value, sqrt(0.95 x 0.05 / R), which does not vanish when
every replicate covers. Only cells whose limit has a finite, positive asymptotic
variance lim n Var are judged (infinite variance: the CLT interval has no sqrt(n)
scale; zero: the estimator is degenerate or converges faster; no limit: nothing to
cover); the others are listed with the reason.

The verdict of the CLT-coverage claim, over all judged cells:
- ``refuted`` if coverage at the largest n of some i.i.d. scenario is off nominal,
- ``holds`` if no judged cell at any n is off nominal,
- ``partly holds`` otherwise (off nominal only at small n or for dependent data),
- ``inconclusive`` if no cell can be judged.
"Off nominal" for the verdict uses the Bonferroni bound z_{1 - 0.01 / (2m)} MCSE for
the m judged cells, so that cells off by chance change the verdict with probability
at most 1% whatever the seed; the table lists every cell at 2 MCSE as well.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
import scipy.stats

NOMINAL = 0.95
#: Cells within this many MCSE (at the nominal coverage) of it are listed as nominal.
LIST_MCSE = 2.0
#: Family-wise error of the verdict: chance that any cell is off nominal by chance.
FAMILY_ERROR = 0.01

COVERAGE_COLUMNS = ["scenario", "quantity", "n", "replicates", "covered", "coverage", "wilson_low",
                    "wilson_high", "mcse_at_nominal", "z_vs_nominal", "nominal_2mcse", "iid"]
EXCLUDED_COLUMNS = ["scenario", "quantity", "reason"]


def wilson_interval(successes, trials, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of successes / trials (arrays broadcast); NaN where trials = 0."""
    k = np.asarray(successes, dtype=np.float64)
    n = np.asarray(trials, dtype=np.float64)
    z = float(scipy.stats.norm.ppf(0.5 + level / 2.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denominator = 1.0 + z * z / n
        centre = (p + z * z / (2.0 * n)) / denominator
        half = z / denominator * np.sqrt(p * (1.0 - p) / n + z * z / (4.0 * n * n))
        low, high = np.maximum(centre - half, 0.0), np.minimum(centre + half, 1.0)
    bad = ~(n > 0)
    return np.where(bad, np.nan, low), np.where(bad, np.nan, high)


def binomial_mcse(successes, trials) -> np.ndarray:
    """MCSE of successes / trials, Agresti-Coull style: sqrt(p~ (1 - p~) / (n + z^2)), p~ = (k + z^2/2) / (n + z^2).

    Unlike sqrt(p (1 - p) / n) it is not 0 at 0 or n successes, where the proportion is
    still uncertain (z = 1.96).
    """
    k = np.asarray(successes, dtype=np.float64)
    n = np.asarray(trials, dtype=np.float64)
    z2 = float(scipy.stats.norm.ppf(0.975)) ** 2
    adjusted = (k + z2 / 2.0) / (n + z2)
    return np.sqrt(adjusted * (1.0 - adjusted) / (n + z2))


def format_proportion(successes: int, trials: int, what: str = "coverage", why_not: str | None = None) -> str:
    """'coverage 0.951 [0.925, 0.968] (380/400)': the proportion with its 95% Wilson interval.

    ``why_not`` (or no trials) gives 'coverage: not applicable: <why>' instead of NaNs.
    """
    if why_not is not None or not trials:
        return f"{what}: not applicable: {why_not or 'no usable replicates'}"
    low, high = wilson_interval(successes, trials)
    return f"{what} {successes / trials:.3f} [{float(low):.3f}, {float(high):.3f}] ({successes}/{trials})"


def describe_coverage(coverage: float, replicates: int, exact: float) -> str:
    """A coverage proportion of ``replicates`` for a figure or table, or why there is none (never 'nan +- nan')."""
    if not math.isfinite(exact):
        return "coverage: not applicable: no finite limit (centred at the median)"
    if not (math.isfinite(coverage) and replicates > 0):
        return "coverage: not applicable: degenerate or non-finite estimates"
    return format_proportion(int(round(coverage * replicates)), int(replicates))


def exclusion_reason(exact: float, variance: float) -> str | None:
    """Why a quantity's CLT coverage is not judged, or None when it is (finite positive variance)."""
    if not math.isfinite(exact):
        return "no finite limit"
    if math.isinf(variance):
        return "infinite asymptotic variance (convergence slower than n^-1/2)"
    if not math.isfinite(variance):
        return "asymptotic variance unknown or undefined"
    if variance <= 0.0:
        return "zero asymptotic variance (degenerate at the n^-1/2 scale)"
    return None


def coverage_cells(summary: pd.DataFrame, variances: Mapping[str, Mapping[str, float]],
                   iid: Mapping[str, bool]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every judged (scenario, quantity, n) cell with its coverage, and the excluded (scenario, quantity).

    ``summary`` is the stacked summary table (columns scenario, quantity, n, replicates,
    exact, coverage); ``variances`` the exact asymptotic variances by scenario;
    ``iid`` whether a scenario's streams are all i.i.d. (missing: not known).
    The count of covering replicates is coverage x replicates, rounded.
    """
    cells, excluded = [], []
    for (scenario, quantity), rows in summary.groupby(["scenario", "quantity"], sort=False):
        exact = float(rows.exact.iloc[0])
        variance = float(variances.get(scenario, {}).get(quantity, float("nan")))
        reason = exclusion_reason(exact, variance)
        usable = rows[np.isfinite(rows.coverage.astype(float)) & (rows.replicates > 0)]
        if reason is None and usable.empty:
            reason = "no finite coverage in the summary (degenerate or non-finite estimates)"
        if reason is not None:
            excluded.append({"scenario": scenario, "quantity": quantity, "reason": reason})
            continue
        trials = usable.replicates.to_numpy(dtype=np.int64)
        covered = np.rint(usable.coverage.to_numpy(dtype=np.float64) * trials).astype(np.int64)
        low, high = wilson_interval(covered, trials)
        mcse = np.sqrt(NOMINAL * (1.0 - NOMINAL) / trials)
        z = (covered / trials - NOMINAL) / mcse
        cells.append(pd.DataFrame({
            "scenario": scenario, "quantity": quantity, "n": usable.n.to_numpy(), "replicates": trials,
            "covered": covered, "coverage": covered / trials, "wilson_low": low, "wilson_high": high,
            "mcse_at_nominal": mcse, "z_vs_nominal": z, "nominal_2mcse": np.abs(z) <= LIST_MCSE,
            "iid": iid.get(scenario, None)}))
    table = pd.concat(cells, ignore_index=True) if cells else pd.DataFrame(columns=COVERAGE_COLUMNS)
    return table.reindex(columns=COVERAGE_COLUMNS), pd.DataFrame(excluded, columns=EXCLUDED_COLUMNS)


def verdict_threshold(cells: int) -> float:
    """Bonferroni bound in MCSE for ``cells`` judged cells at family-wise error FAMILY_ERROR."""
    return float(scipy.stats.norm.isf(FAMILY_ERROR / (2.0 * max(cells, 1))))


def _where(rows: pd.DataFrame, limit: int = 6) -> str:
    parts = [f"{r.scenario}/{r.quantity} n = {int(r.n):,}: {r.coverage:.3f} [{r.wilson_low:.3f}, {r.wilson_high:.3f}]"
             for r in rows.head(limit).itertuples()]
    more = len(rows) - limit
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def judge(cells: pd.DataFrame, excluded: pd.DataFrame) -> dict:
    """The CLT-coverage verdict (module docstring) with its rule and a listing of the cells."""
    rule = ("coverage of the 95% CLT interval in every (scenario, quantity, n) with a finite, positive asymptotic "
            "variance, against 0.95 with the binomial MCSE at 0.95; refuted if an i.i.d. scenario is off nominal at "
            "its largest n, holds if no cell is, partly holds otherwise; off nominal = beyond the Bonferroni bound "
            f"(family-wise error {FAMILY_ERROR:g}); cells are also listed at {LIST_MCSE:g} MCSE")
    skipped = "; ".join(f"{r.scenario}/{r.quantity} ({r.reason})" for r in excluded.itertuples()) or "none"
    if cells.empty:
        return {"verdict": "inconclusive", "rule": rule, "cells": 0, "threshold": float("nan"),
                "detail": f"no scenario has a finite-variance limit; excluded: {skipped}"}
    k = verdict_threshold(len(cells))
    off = cells[np.abs(cells.z_vs_nominal) > k]
    n_max = cells.groupby(["scenario", "quantity"]).n.transform("max")
    at_large = cells[cells.n == n_max]
    off_large_iid = at_large[(np.abs(at_large.z_vs_nominal) > k) & at_large.iid.eq(True)]
    if not off_large_iid.empty:
        verdict = "refuted"
    elif off.empty:
        verdict = "holds"
    else:
        verdict = "partly holds"
    listed_off = cells[~cells.nominal_2mcse.astype(bool)]
    nominal_large = at_large[at_large.nominal_2mcse.astype(bool)]
    off_large = at_large[~at_large.nominal_2mcse.astype(bool)]
    detail = (f"{len(cells)} cells judged (bound {k:.2f} MCSE), {len(off)} off nominal; at the largest n nominal "
              f"within {LIST_MCSE:g} MCSE: "
              + (", ".join(f"{r.scenario}/{r.quantity}" for r in nominal_large.itertuples()) or "none")
              + f"; at the largest n not within {LIST_MCSE:g} MCSE: " + (_where(off_large) or "none")
              + "; off nominal beyond the bound: " + (_where(off.sort_values("z_vs_nominal")) or "none")
              + f"; {len(listed_off)} of {len(cells)} cells outside {LIST_MCSE:g} MCSE"
              + f"; lowest: {_where(cells.nsmallest(1, 'coverage'))}; excluded: {skipped}")
    return {"verdict": verdict, "rule": rule, "detail": detail, "cells": len(cells), "threshold": k}


def small_n(grid, at_least: int = 10) -> int:
    """The smallest batch size >= at_least of a grid (the smallest one if none is)."""
    grid = np.sort(np.asarray(grid, dtype=np.int64))
    big = grid[grid >= at_least]
    return int(big[0] if big.size else grid[0])


def independent_scenarios(iid_table: pd.DataFrame, bases: Mapping[str, str] | None = None) -> dict[str, bool]:
    """Scenario -> True when none of its streams is serially dependent (from the i.i.d. check tables).

    ``bases`` maps a sweep point whose streams draw i.i.d. to its base scenario (the i.i.d. check runs on
    base scenarios only): the point inherits the base's flag, so an i.i.d. point off nominal at its largest
    n can refute the claim like any scenario. Points under antithetic or Sobol' sampling are not mapped.
    """
    if iid_table.empty:
        return {}
    flags = {scenario: not rows.dependent.astype(bool).any() for scenario, rows in iid_table.groupby("scenario")}
    flags.update({point: flags[base] for point, base in (bases or {}).items() if base in flags})
    return flags
