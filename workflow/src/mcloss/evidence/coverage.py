"""Coverage of the CLT interval across batch sizes and scenarios, and binomial proportions.

A proportion of R replicates (a coverage, a rejection rate) is reported with its
Wilson score interval (Wilson 1927), which stays inside [0, 1] and keeps its width
at 0 and 1 successes, where the Wald interval p +- z sqrt(p (1 - p) / R) collapses
to a point ("1.000 +- 0.000"):

    centre = (p + z^2 / (2R)) / (1 + z^2 / R)
    half   = z / (1 + z^2 / R) * sqrt(p (1 - p) / R + z^2 / (4 R^2))

The coverage judgment. Replicate i's interval theta_i +- 1.96 se_i covers the exact
limit theta or not, so R times the coverage at one (scenario, quantity, n) is
Binomial(R, c). Coverage is listed as *nominal* at a cell when |c - 0.95| <= 2 MCSE with
the MCSE taken at the nominal value, sqrt(0.95 x 0.05 / R), which does not vanish when
every replicate covers. Only cells whose limit has a finite, positive asymptotic
variance lim n Var are judged (infinite variance: the CLT interval has no sqrt(n)
scale; zero: the estimator is degenerate or converges faster; no limit: nothing to
cover); the others are listed with the reason.

The verdict of the CLT-coverage claim reads only the scenarios assigned to it, and in
each (scenario, quantity) only the cell at its largest n, where the CLT promises 0.95
(smaller n are listed, not judged: the CLT is asymptotic). With m such cells over the
assigned scenarios whose streams are not marked dependent, the bound is the Bonferroni
z_{1 - 0.01 / (2m)} MCSE (family-wise error 1%, so the verdict does not follow the seed).
Per assigned scenario (`scenario_outcomes`):

- ``premise not met``: a serially dependent stream (the i.i.d. standard error ignores the
  autocorrelation), or no quantity with a finite, positive asymptotic variance;
- ``refuted``: a cell at its largest n beyond the bound (under- or over-coverage);
- ``inconclusive``: the run could not flag a coverage DETECT = 0.05 away from 0.95 (bound
  x MCSE > DETECT); it says the R that could (`replicates_to_detect`);
- ``holds`` otherwise.
The claim combines them like any claim over several scenarios (mcloss.judge.claim_rules).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
import scipy.special

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
    # The normal quantile as scipy.stats.norm.ppf computes it (ndtri, the same bits), without scipy.stats: the
    # jobs that print coverages (tables, figures) need nothing else of it.
    z = float(scipy.special.ndtri(0.5 + level / 2.0))
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
    z2 = float(scipy.special.ndtri(0.975)) ** 2       # norm.ppf(0.975), as in wilson_interval
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
    import scipy.stats

    return float(scipy.stats.norm.isf(FAMILY_ERROR / (2.0 * max(cells, 1))))


#: The smallest departure from 0.95 a run must be able to flag at the largest n (else inconclusive).
DETECT = 0.05
RULE = ("coverage of the 95% CLT interval at the largest n of each (assigned scenario, quantity) with a finite, "
        "positive asymptotic variance, against 0.95 in binomial MCSE at 0.95; bound: Bonferroni over those cells "
        f"(family-wise error {FAMILY_ERROR:g}); per scenario: premise not met for dependent streams or no such "
        "quantity, refuted if a cell is beyond the bound, inconclusive if bound x MCSE exceeds "
        f"{DETECT:g} (too few replicates to flag a coverage of {NOMINAL - DETECT:.2f}), holds otherwise; smaller n "
        f"are listed (at {LIST_MCSE:g} MCSE), not judged")


def largest_n_cells(cells: pd.DataFrame) -> pd.DataFrame:
    """The cell at the largest n of every (scenario, quantity)."""
    if cells.empty:
        return cells
    return cells[cells.n == cells.groupby(["scenario", "quantity"]).n.transform("max")]


def replicates_to_detect(bound: float, detect: float = DETECT) -> int:
    """The fewest replicates with which bound x MCSE at 0.95 is at most ``detect``."""
    return int(math.ceil(bound * bound * NOMINAL * (1.0 - NOMINAL) / (detect * detect)))


def _cell(r) -> str:
    return (f"{r.scenario}/{r.quantity} n = {int(r.n):,}: {r.coverage:.3f} [{r.wilson_low:.3f}, "
            f"{r.wilson_high:.3f}] ({int(r.covered)}/{int(r.replicates)}, z = {r.z_vs_nominal:.2f})")


def scenario_outcomes(cells: pd.DataFrame, excluded: pd.DataFrame, scenarios) -> list[dict]:
    """Per assigned scenario: its verdict (module docstring), detail, settle text and headline cell (the cell
    at its largest n farthest from 0.95, with its Wilson interval; NaN without one)."""
    testable = largest_n_cells(cells[~cells.iid.eq(False)]) if not cells.empty else cells
    bound = verdict_threshold(len(testable))
    out = []
    for scenario in scenarios:
        mine, top = cells[cells.scenario == scenario], largest_n_cells(cells[cells.scenario == scenario])
        part = {"scenario": scenario, "quantity": "coverage at the largest n", "coverage": math.nan,
                "wilson_low": math.nan, "wilson_high": math.nan, "settle": ""}
        if not top.empty:
            worst = top.loc[top.z_vs_nominal.abs().idxmax()]
            part.update(quantity=f"coverage at the largest n ({worst.quantity}, n = {int(worst.n):,})",
                        coverage=float(worst.coverage), wilson_low=float(worst.wilson_low),
                        wilson_high=float(worst.wilson_high))
        listing = "; ".join(_cell(r) for r in top.itertuples())
        if mine.empty:
            why = "; ".join(f"{r.quantity}: {r.reason}" for r in excluded[excluded.scenario == scenario].itertuples())
            part.update(verdict="premise not met",
                        detail=f"premise not met: no quantity with a finite, positive asymptotic variance ({why})")
        elif mine.iid.eq(False).any():
            part.update(verdict="premise not met", detail="premise not met: serially dependent streams (the i.i.d. "
                        f"standard error ignores the autocorrelation); at the largest n: {listing}")
        elif (top.z_vs_nominal.abs() > bound).any():
            part.update(verdict="refuted", detail=f"off nominal beyond {bound:.2f} MCSE at the largest n: {listing}")
        elif (bound * top.mcse_at_nominal > DETECT).any():
            needed = replicates_to_detect(bound)
            part.update(verdict="inconclusive", detail=f"within {bound:.2f} MCSE at the largest n, but that bound is "
                        f"wider than {DETECT:g}: {listing}", settle=f"{scenario}: R >= {needed} replicates (now "
                        f"{int(top.replicates.min())}) flag a coverage {DETECT:g} from 0.95")
        else:
            detectable = bound * top.mcse_at_nominal.max()
            part.update(verdict="holds", detail=f"within {bound:.2f} MCSE (detectable departure {detectable:.3f}) at "
                        f"the largest n: {listing}")
        out.append(part)
    return out


def describe(cells: pd.DataFrame, excluded: pd.DataFrame, scenarios) -> str:
    """What the coverage claim read: the deciding cells, the smaller n off nominal, the excluded quantities."""
    testable = largest_n_cells(cells[~cells.iid.eq(False)]) if not cells.empty else cells
    smaller = cells[~cells.index.isin(largest_n_cells(cells).index)] if not cells.empty else cells
    off = smaller[~smaller.nominal_2mcse.astype(bool)] if not smaller.empty else smaller
    skipped = "; ".join(f"{r.scenario}/{r.quantity} ({r.reason})" for r in excluded.itertuples()) or "none"
    return (f"assigned: {', '.join(scenarios)}; {len(testable)} cells at the largest n decide (bound "
            f"{verdict_threshold(len(testable)):.2f} MCSE); at smaller n (not judged) {len(off)} of {len(smaller)} "
            f"cells outside {LIST_MCSE:g} MCSE"
            + (f", lowest {_cell(off.loc[off.coverage.idxmin()])}" if not off.empty else "")
            + f"; excluded: {skipped}")


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
