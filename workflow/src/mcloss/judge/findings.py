"""What a run found: the per-scenario x quantity verdict table and its counts.

Built from the stacked convergence table (whose `verdict` and `reason` the
rules of mcloss.judge.verdicts filled in per scenario) and the claims table, for any
configuration: a run without any of the source texts' scenarios still gets them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import verdicts as v

#: Which slope the verdict used: the columns it is read from (the EmpSE slope from ``slope`` in older tables).
_SLOPES = {"iqr": ("iqr_slope", "iqr_slope_ci_low", "iqr_slope_ci_high"),
           "rmse": ("slope", "slope_ci_low", "slope_ci_high"),
           "emp_se": ("emp_se_slope", "emp_se_slope_ci_low", "emp_se_slope_ci_high")}


def _finite(value) -> bool:
    try:
        return bool(np.isfinite(float(value)))
    except (TypeError, ValueError):
        return False


def verdict_table(convergence: pd.DataFrame) -> pd.DataFrame:
    """One row per scenario x quantity, columns verdicts.COLUMNS.

    slope* are the slope the verdict rests on (``slope_of``: rmse, emp_se or iqr; empty for a
    degenerate estimator, whose spread is rounding); estimate_mcse is left empty where no variance
    exists (a verdict without one, tails that say var_finite False, or an inconclusive verdict on tails
    that do not say var_finite True), estimate where there
    is no (deterministic) limit, expected_slope where no rate applies; detectable_bias is Z_LIMIT
    MCSE at the largest n under a verdict with a finite variance (verdicts.detectable_bias).
    """
    rows = []
    for row in convergence.to_dict("records"):
        slope_of = row.get("verdict_slope_of")
        if not isinstance(slope_of, str) or slope_of not in _SLOPES:
            slope_of = row.get("slope_of") if row.get("slope_of") in _SLOPES else "rmse"
        columns = _SLOPES[slope_of]
        if slope_of == "emp_se" and not _finite(row.get(columns[0])):
            columns = _SLOPES["rmse"]          # no exact value (the slope is of EmpSE) or an older table
        verdict = row.get("verdict") if isinstance(row.get("verdict"), str) else v.INCONCLUSIVE
        stated = str(row.get("var_finite")).strip().lower()      # True / False / None / NaN, or as read from CSV
        # No variance: a verdict without one, tails that deny it, or an inconclusive verdict on unresolved tails.
        no_variance = (verdict in (v.SLOWER, v.NO_LIMIT, v.RANDOM_LIMIT) or stated == "false"
                       or (verdict == v.INCONCLUSIVE and stated != "true"))
        mcse = np.nan if no_variance else row["estimate_mcse"]
        limitless = verdict in (v.NO_LIMIT, v.RANDOM_LIMIT)
        # No rate to expect without a limit, and a degenerate estimator's slope is that of rounding noise.
        rateless = limitless or verdict == v.DEGENERATE
        rows.append({
            "scenario": row["scenario"], "estimand": row.get("estimand", ""), "quantity": row["quantity"],
            "unit": row.get("unit", ""), "verdict": verdict, "reason": row.get("reason", ""),
            "exact": row["exact"], "estimate": np.nan if limitless else row["estimate"],
            "estimate_mcse": mcse, "detectable_bias": v.detectable_bias(verdict, mcse, row.get("iqr", np.nan)),
            "n_max": row["n_max"],
            "slope": np.nan if verdict == v.DEGENERATE else row.get(columns[0], np.nan),
            "slope_ci_low": np.nan if verdict == v.DEGENERATE else row.get(columns[1], np.nan),
            "slope_ci_high": np.nan if verdict == v.DEGENERATE else row.get(columns[2], np.nan),
            "expected_slope": np.nan if rateless else row.get("expected_slope", np.nan),
            "declared_bias": row.get("declared_bias", 0.0), "slope_of": slope_of,
            "term_tail_index": row.get("term_tail_index", np.nan),
            "data_tail_index": row.get("data_tail_index", np.nan),
            "data_tail_index_ci_low": row.get("data_tail_index_ci_low", np.nan),
            "data_tail_index_ci_high": row.get("data_tail_index_ci_high", np.nan),
            "replicates": row.get("replicates", np.nan),
            "nonfinite": row.get("nonfinite", 0),
        })
    table = pd.DataFrame(rows, columns=v.COLUMNS)
    for column in ("exact", "estimate", "estimate_mcse", "detectable_bias", "slope", "slope_ci_low", "slope_ci_high",
                   "expected_slope", "declared_bias", "term_tail_index", "data_tail_index", "data_tail_index_ci_low",
                   "data_tail_index_ci_high"):
        table[column] = pd.to_numeric(table[column], errors="coerce").astype(float)
    return table


def counts(table: pd.DataFrame) -> dict[str, int]:
    """Rows per verdict, in the vocabulary's order (zeros included)."""
    found = table.verdict.value_counts()
    return {name: int(found.get(name, 0)) for name in v.VERDICTS}
