"""The paper table: one row per scenario x headline quantity, from the verdicts and convergence tables.

Input contract (``results/verdicts.csv``, one row per scenario x quantity): the columns
`VERDICT_COLUMNS`, the verdict one of `VERDICTS`. The coverage of the 95% CI comes from
``results/tables/convergence.csv`` (columns scenario, quantity, coverage, coverage_mcse), and so do the median
and IQR across replicates at n_max (columns median, iqr, added at the end of paper.csv).

What a row prints follows from its verdict and nothing else:

- ``converges at n^-1/2``: exact, estimate ± MCSE at n_max, slope [95% CI], coverage with its 95% Wilson
  interval (R from the `replicates` column);
- ``converges elsewhere`` (a wrong limit): with a finite variance, exact, estimate ± MCSE at n_max, the
  slope of log EmpSE [95% CI] (the spread the verdict read), coverage with its Wilson interval (the
  intervals miss the exact value: that is the finding); found by the median rule (infinite variance, no
  MCSE in verdicts.csv), as ``converges, slower than n^-1/2`` below;
- ``converges, slower than n^-1/2``: exact, the median and IQR across replicates at n_max (labelled so: the
  variance is infinite, the mean has no MCSE and the verdict read the median and IQR), slope [95% CI]; no coverage;
- ``inconclusive``: exact, estimate (no MCSE: the variance need not be finite), slope [95% CI]; no coverage;
- ``no limit``, ``random limit``, ``degenerate``: no exact value, MCSE, slope or coverage
  (an em dash), the verdict column says why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from mcloss.errors import ConfigError
from mcloss.evidence.coverage import wilson_interval
from mcloss.judge.verdicts import CONVERGES, DEGENERATE, ELSEWHERE, INCONCLUSIVE, SLOWER, VERDICTS

from .formatting import DASH, median_iqr, plus_minus, significant, slope

VERDICT_COLUMNS = [
    "scenario", "estimand", "quantity", "unit", "verdict", "reason", "exact", "estimate", "estimate_mcse", "n_max",
    "slope", "slope_ci_low", "slope_ci_high", "expected_slope", "declared_bias", "replicates",
]

#: Verdicts under which the estimate's variance is finite, so an MCSE, a CI and a coverage mean something.
FINITE_VARIANCE = {CONVERGES, ELSEWHERE}
#: Verdicts under which a finite limit exists (or may: inconclusive), so the exact value and the slope are shown.
RATE_SHOWN = {CONVERGES, SLOWER, ELSEWHERE, INCONCLUSIVE}
#: A degenerate estimate equals its limit on every batch: the exact value is shown, nothing random.
EXACT_SHOWN = RATE_SHOWN | {DEGENERATE}

#: Columns the config key paper.columns may name, in their default order.
COLUMNS = ["scenario", "quantity", "unit", "n_max", "exact", "estimate", "slope", "coverage", "verdict"]
DEFAULT_COLUMNS = ["scenario", "quantity", "exact", "estimate", "slope", "coverage", "verdict"]
HEADERS = {
    "scenario": "scenario", "quantity": "quantity", "unit": "unit", "n_max": "n_max", "exact": "exact",
    "estimate": "estimate ± MCSE", "slope": "slope [95% CI]", "coverage": "coverage [Wilson]",
    "verdict": "verdict",
}


def check_columns(verdicts: pd.DataFrame) -> None:
    """ValueError naming the missing columns or an unknown verdict (the contract above)."""
    missing = [c for c in VERDICT_COLUMNS if c not in verdicts.columns]
    if missing:
        raise ValueError(f"verdicts table lacks columns {missing}")
    unknown = sorted(set(verdicts.verdict) - set(VERDICTS))
    if unknown:
        raise ValueError(f"unknown verdicts {unknown}; allowed: {', '.join(VERDICTS)}")


def check_config(paper: Mapping, quantities: Mapping[str, Sequence[str]], registered: Sequence[str],
                 defaults: Mapping[str, Sequence[str]] | None = None) -> None:
    """ConfigError at ``paper.quantities.<estimand>`` for an estimand or quantity name that does not exist.

    ``registered`` names every estimand class; ``quantities`` maps each estimand used
    by the config's scenarios to the names of its quantities (an estimand no scenario
    uses is allowed). Names in ``defaults`` (the schema's default lists) are always
    allowed, so the defaults fit any config: e.g. ``as_typeset`` exists only where a
    scenario asks for it. Columns are checked by the schema.
    """
    defaults = defaults or {}
    for estimand, names in (paper.get("quantities") or {}).items():
        if estimand not in registered:
            raise ConfigError(f"paper.quantities.{estimand}", "is not an estimand", ", ".join(sorted(registered)))
        known = list(quantities.get(estimand, names)) + list(defaults.get(estimand, []))
        unknown = [q for q in names if q not in known]
        if unknown:
            raise ConfigError(f"paper.quantities.{estimand}", f"names unknown quantities {unknown}",
                              ", ".join(dict.fromkeys(known)))


def select(verdicts: pd.DataFrame, quantities: Mapping[str, Sequence[str]],
           scenarios: Sequence[str] | None = None) -> pd.DataFrame:
    """The rows to print: for each scenario (in ``scenarios`` order, default the table's), its estimand's
    chosen quantities in the order given; an estimand absent from ``quantities`` keeps all its quantities."""
    order = list(scenarios) if scenarios is not None else list(dict.fromkeys(verdicts.scenario))
    rows = []
    for scenario in order:
        block = verdicts[verdicts.scenario == scenario]
        if block.empty:
            continue
        chosen = quantities.get(block.estimand.iloc[0])
        names = list(block.quantity) if chosen is None else [q for q in chosen if q in set(block.quantity)]
        rows += [block[block.quantity == q].iloc[0] for q in names]
    return pd.DataFrame(rows, columns=verdicts.columns).reset_index(drop=True)


def sweep_label(x: str, value) -> str:
    """How a sweep point is named in a row: ``data.df = 1.5``."""
    return f"{x} = {value:g}" if isinstance(value, (int, float)) else f"{x} = {value}"


def select_sweeps(verdicts: pd.DataFrame, quantities: Mapping[str, Sequence[str]],
                  sweeps: Sequence[Mapping]) -> pd.DataFrame:
    """One block of rows per sweep: its headline quantities, each over the sweep's points in increasing x.

    ``sweeps``: mappings with ``name``, ``scenario`` (the base), ``x``, ``quantities`` (the sweep's own, or
    None) and ``points`` (``{"scenario": point name, "x": its x value, "values": every varied value}``).
    The headline quantities are the sweep's own that the paper names for the estimand (``quantities``), else
    the sweep's own, else the paper's; points sort as numbers (1.5, 2, 10). Added columns: ``sweep``,
    ``heading`` (the block's title) and ``label`` (quantity and x value, the row's name in the views).
    """
    rows = []
    for sweep in sweeps:
        points = sorted(sweep["points"], key=lambda p: (0, float(p["x"])) if isinstance(p["x"], (int, float))
                        else (1, 0.0))
        block = verdicts[verdicts.scenario.isin([p["scenario"] for p in points])]
        if block.empty:
            continue
        present = list(dict.fromkeys(block.quantity))
        paper = quantities.get(block.estimand.iloc[0])
        own = list(sweep.get("quantities") or [])
        names = ([q for q in own if paper is None or q in paper] or own) if own else (paper or present)
        heading = f"sweep {sweep['name']}: {sweep['x']} in {sweep['scenario']}"
        for name in [q for q in names if q in present]:
            for point in points:
                row = block[(block.scenario == point["scenario"]) & (block.quantity == name)]
                if row.empty:
                    continue
                others = [sweep_label(k, v) for k, v in (point.get("values") or {}).items() if k != sweep["x"]]
                rows.append({**row.iloc[0].to_dict(), "sweep": sweep["name"], "heading": heading,
                             "label": ", ".join([name, sweep_label(sweep["x"], point["x"]), *others])})
    return pd.DataFrame(rows, columns=[*verdicts.columns, "sweep", "heading", "label"])


def paper_rows(verdicts: pd.DataFrame, convergence: pd.DataFrame) -> pd.DataFrame:
    """Tidy full-precision table: ``verdicts`` plus coverage and coverage_mcse, blanked where the verdict
    says they do not exist (estimate_mcse, coverage and the slope CI set to NaN, see the module docstring)."""
    check_columns(verdicts)
    cov = convergence[["scenario", "quantity", "coverage", "coverage_mcse"]
                      + [c for c in ("median", "iqr") if c in convergence.columns]]
    out = verdicts.merge(cov, on=["scenario", "quantity"], how="left")
    # A wrong limit found by the median rule has no variance: no MCSE in verdicts.csv, so no coverage either.
    finite = out.verdict.isin(FINITE_VARIANCE).to_numpy() & np.isfinite(out.estimate_mcse.to_numpy(float))
    rate = out.verdict.isin(RATE_SHOWN).to_numpy()
    exact = out.verdict.isin(EXACT_SHOWN).to_numpy()
    for column in ("estimate_mcse", "coverage", "coverage_mcse"):
        out[column] = np.where(finite, out[column], np.nan)
    for column in ("slope", "slope_ci_low", "slope_ci_high"):
        out[column] = np.where(rate, out[column], np.nan)
    out["exact"] = np.where(exact, out["exact"], np.nan)
    return out


def _coverage(coverage: float, replicates: float) -> str:
    """Coverage with its 95% Wilson interval: never "1.000 ± 0.000" at 0 or 1, where the binomial MCSE vanishes."""
    if not (np.isfinite(coverage) and np.isfinite(replicates) and replicates > 0):
        return DASH
    low, high = wilson_interval(int(round(coverage * replicates)), int(replicates))
    return f"{coverage:.3f} [{float(low):.3f}, {float(high):.3f}]"


#: The two long verdicts, shortened in the formatted views (the caption says what they stand for; the CSV keeps
#: the full words) so that a row fits on one line of an article's text width.
SHORT_VERDICTS = {CONVERGES: "n^-1/2", SLOWER: "slower", ELSEWHERE: "elsewhere"}
VERDICT_LEGEND = ("Verdicts: n^-1/2 = converges at n^-1/2; slower = converges, slower than n^-1/2 (finite mean, "
                  "infinite variance); elsewhere = converges elsewhere (the spread shrinks but the estimate settles "
                  "away from the exact value)")


def paper_view(rows: pd.DataFrame, columns: Sequence[str] = DEFAULT_COLUMNS) -> pd.DataFrame:
    """Formatted cells of `paper_rows` output: estimate rounded to its MCSE, em dashes where nothing exists,
    the verdict shortened by SHORT_VERDICTS."""
    cells = []
    for r in rows.itertuples(index=False):
        swept = isinstance(getattr(r, "heading", None), str)
        cell = {
            "scenario": r.heading if swept else r.scenario,
            "quantity": r.label if swept else r.quantity,
            "unit": r.unit,
            "n_max": f"{int(r.n_max):,}",
            "exact": significant(r.exact, 6),
            # Without a finite variance the estimate has no MCSE to round to: four digits (six if exact).
            "estimate": (plus_minus(r.estimate, r.estimate_mcse) if np.isfinite(r.estimate_mcse)
                         else median_iqr(r.median, r.iqr)
                         if r.verdict in (SLOWER, ELSEWHERE) and np.isfinite(getattr(r, "median", np.nan))
                         else significant(r.estimate, 6 if r.verdict == DEGENERATE else 4)
                         if r.verdict in EXACT_SHOWN else DASH),
            "slope": slope(r.slope, r.slope_ci_low, r.slope_ci_high),
            "coverage": _coverage(r.coverage, getattr(r, "replicates", float("nan"))),
            "verdict": SHORT_VERDICTS.get(r.verdict, r.verdict),
        }
        cells.append({HEADERS[c]: cell[c] for c in columns})
    return pd.DataFrame(cells, columns=[HEADERS[c] for c in columns])


def latex_layout(columns: Sequence[str] = DEFAULT_COLUMNS) -> dict:
    """`mcloss.outputs.tables.to_latex` options that fit the default table on one page of an article: scenarios as
    group headings, one line per row, script size, scaled down to the text width if wider (graphicx)."""
    return {"group": "scenario" if "scenario" in columns else None, "size": "scriptsize", "colsep": "2pt",
            "fit": True}
