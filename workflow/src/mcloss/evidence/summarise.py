"""Monte Carlo performance measures of the running estimates, with their MCSEs.

Following Morris, White & Crowther (2019, Stat. Med. 38:2074, Table 6), for R
replicate estimates theta_i of a quantity with exact value theta at batch size n:

    bias      = mean(theta_i) - theta                 MCSE = EmpSE / sqrt(R)
    EmpSE     = sd(theta_i)                           MCSE = EmpSE / sqrt(2 (R - 1))
    MSE       = mean((theta_i - theta)^2)             MCSE = sd((theta_i - theta)^2) / sqrt(R)
    RMSE      = sqrt(MSE)                             MCSE = MCSE(MSE) / (2 RMSE)   (delta method)
    coverage  = mean(|theta_i - theta| <= z se_i)     MCSE = sqrt(cov (1 - cov) / R)
    ModSE     = sqrt(mean(se_i^2))

with z = Phi^{-1}(0.975) and se_i the replicate's own CLT standard error. The
convergence rate is the slope of log RMSE on log n (about -1/2 when the CLT
applies), with a percentile interval from resampling the replicates, which keeps
the dependence between the points of one sample path.
Non-finite estimates are excluded from the measures and counted in ``nonfinite``.

Hygiene: a quantity whose tail analysis does not state a finite variance (var_finite not
True, or a declared no/random limit: `no_variance`) gets no MCSE, z, CI, model SE or
coverage in the summary and convergence tables (NaN). Without any tail analysis (None or
empty) nothing is blanked. An exact cross-check holds only when its value and reference are
finite and within its tolerance (`check_holds`).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import scipy.special

from mcloss.estimands import ExactCheck, Identity, Quantity
from mcloss.laws.streams import ANALYSIS_STREAM, stream_rng
from mcloss.simulate.engine import Simulation

from . import tail_index

# scipy.stats.norm.ppf(0.975), which is ndtri(0.975) to the bit: a job that needs only this quantile (tables,
# figures' modules) need not import scipy.stats (with scipy.integrate and optimize, 1 s of start-up).
Z95 = float(scipy.special.ndtri(0.975))
#: Spread below this (relative to 1 + |exact|) is rounding: the estimator is degenerate.
DEGENERATE = 1e-12

SUMMARY_COLUMNS = [
    "scenario", "estimand", "quantity", "n", "replicates", "nonfinite", "exact", "mean_estimate",
    "bias", "bias_mcse", "emp_se", "emp_se_mcse", "mod_se", "rmse", "rmse_mcse", "coverage", "coverage_mcse",
]

CONVERGENCE_COLUMNS = [
    "scenario", "quantity", "meaning", "exact", "n_max", "replicates", "estimate", "estimate_mcse", "ci_low",
    "ci_high", "z_score", "coverage", "coverage_mcse", "slope_of", "slope", "slope_ci_low", "slope_ci_high",
    "fit_min_n", "fit_points", "emp_se_slope", "emp_se_slope_ci_low", "emp_se_slope_ci_high", "iqr_slope",
    "iqr_slope_ci_low", "iqr_slope_ci_high", "median", "iqr", "n_earlier", "estimate_earlier",
    "estimate_mcse_earlier", "z_score_earlier", "median_earlier", "iqr_earlier", "max_emp_se", "estimand", "unit",
    "mean_finite", "var_finite", "term_tail_index", *tail_index.COLUMNS, "expected_slope", "declared_bias",
    "limit_kind", "limit_reason", "tails_reason", "unresolved", "nonfinite", "verdict", "reason", "verdict_slope_of",
    "detectable_bias",
]
#: Measures that assume a finite variance: blanked for a quantity without one (see the module docstring).
SUMMARY_VARIANCE_COLUMNS = ("bias_mcse", "emp_se_mcse", "mod_se", "rmse_mcse", "coverage", "coverage_mcse")
CONVERGENCE_VARIANCE_COLUMNS = ("estimate_mcse", "ci_low", "ci_high", "z_score", "coverage", "coverage_mcse",
                                "estimate_mcse_earlier", "z_score_earlier")


def performance(estimates: np.ndarray, ses: np.ndarray, exact: float) -> dict[str, np.ndarray]:
    """Performance measures per column of ``estimates`` (replicates x batch sizes)."""
    finite = np.isfinite(estimates)
    r = finite.sum(axis=0)
    x = np.where(finite, estimates, np.nan)
    # Columns with no finite estimate give NaN measures (and are counted in `nonfinite`).
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(x, axis=0) if x.size else np.full(x.shape[1], np.nan)
        emp_se = np.nanstd(x, axis=0, ddof=1)
        emp_se = np.where(r >= 2, emp_se, np.nan)
        emp_se_mcse = emp_se / np.sqrt(2.0 * (r - 1))
        bias = mean - exact
        bias_mcse = emp_se / np.sqrt(r)
        sq = (x - exact) ** 2
        mse = np.nanmean(sq, axis=0)
        mse_mcse = np.nanstd(sq, axis=0, ddof=1) / np.sqrt(r)
        rmse = np.sqrt(mse)
        rmse_mcse = np.where(rmse > 0, mse_mcse / (2.0 * rmse), np.nan)
        s = np.where(finite, ses, np.nan)
        mod_se = np.sqrt(np.nanmean(s**2, axis=0))
        usable = finite & np.isfinite(ses)
        covered = np.abs(estimates - exact) <= Z95 * ses
        k = usable.sum(axis=0)
        coverage = np.where(k > 0, (covered & usable).sum(axis=0) / np.maximum(k, 1), np.nan)
        # No limit, or a degenerate estimator (zero spread, zero SE: every replicate is the
        # limit up to rounding): an interval of width 0 says nothing, so no coverage.
        degenerate = (emp_se <= DEGENERATE * (1.0 + abs(exact))) & (mod_se <= DEGENERATE * (1.0 + abs(exact)))
        coverage = np.where(degenerate, np.nan, coverage)
        if not math.isfinite(exact):
            coverage = np.full_like(coverage, np.nan)
        coverage_mcse = np.sqrt(coverage * (1 - coverage) / k)
    return {
        "replicates": r, "nonfinite": (~finite).sum(axis=0), "exact": np.full(r.shape, exact),
        "mean_estimate": mean, "bias": bias, "bias_mcse": bias_mcse, "emp_se": emp_se,
        "emp_se_mcse": emp_se_mcse, "mod_se": mod_se, "rmse": rmse, "rmse_mcse": rmse_mcse,
        "coverage": coverage, "coverage_mcse": coverage_mcse,
    }


def no_variance(info: Mapping | None) -> bool:
    """Whether the analysis ``info`` of a quantity (exact.json) rules out a CLT interval: E term^2 not stated
    finite (var_finite False or unresolved), no limit or a random one. Such quantities get no MCSE, CI, z or
    coverage anywhere. ``None`` (no tail analysis supplied) rules out nothing."""
    if info is None:
        return False
    return info.get("var_finite") is not True or bool(info.get("limit_kind"))


def quantity_info(analysis: Mapping[str, Mapping] | None, name: str) -> dict | None:
    """The tail analysis of quantity ``name``, or None when no analysis was supplied at all (None or empty)."""
    return dict(analysis.get(name) or {}) if analysis else None


def summary_table(scenario: str, estimand: str, sim: Simulation, quantities: Sequence[Quantity],
                  exact: Mapping[str, float], analysis: Mapping[str, Mapping] | None = None) -> pd.DataFrame:
    """Tidy table, one row per quantity x batch size, columns SUMMARY_COLUMNS (`SUMMARY_VARIANCE_COLUMNS`
    blanked for a quantity without a finite variance, see `no_variance`)."""
    frames = []
    for q in quantities:
        measures = performance(sim.estimate[q.name], sim.se[q.name], float(exact[q.name]))
        if no_variance(quantity_info(analysis, q.name)):
            measures.update({column: np.full(sim.n.shape, np.nan) for column in SUMMARY_VARIANCE_COLUMNS})
        frame = pd.DataFrame({"scenario": scenario, "estimand": estimand, "quantity": q.name, "n": sim.n, **measures})
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)[SUMMARY_COLUMNS]


def _ols_slope(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Least-squares slope of y on x along the last axis."""
    xc = x - x.mean()
    yc = y - y.mean(axis=-1, keepdims=True)
    return (yc * xc).sum(axis=-1) / (xc * xc).sum()


def bootstrap_index(replicates: int, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """Resamples (rows) of replicate indices, drawn with replacement."""
    return rng.integers(0, replicates, size=(resamples, replicates))


def _fitted_points(n: np.ndarray, min_n: int) -> np.ndarray:
    """The batch sizes a rate is fitted on: n >= min_n (at least three; all of them otherwise)."""
    use = n >= min_n
    return use if use.sum() >= 3 else np.ones_like(use)


def _slope_with_ci(x: np.ndarray, est: np.ndarray, resample: np.ndarray, spread) -> tuple[float, float, float]:
    """OLS slope of ``spread(est)`` (one value per column) on ``x``, and its bootstrap 95% CI over the rows."""
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        slope = float(_ols_slope(x, spread(est)))
        boot = _ols_slope(x, spread(est[resample]))
    boot = boot[np.isfinite(boot)]
    low, high = (np.quantile(boot, [0.025, 0.975]) if boot.size else (np.nan, np.nan))
    return slope, float(low), float(high)


def rate_of_convergence(estimates: np.ndarray, n: np.ndarray, exact: float, min_n: int,
                        resample: np.ndarray) -> dict[str, float]:
    """Slope of log RMSE (log EmpSE if there is no exact limit) on log n, with a bootstrap 95% CI.

    Uses the batch sizes n >= min_n (at least three; all of them otherwise); ``resample``
    is a `bootstrap_index` matrix, shared by the quantities of a scenario so that
    quantities equal on every replicate get equal intervals.
    """
    use = _fitted_points(n, min_n)
    x = np.log(n[use].astype(np.float64))
    has_limit = math.isfinite(exact)

    def spread(block):
        with np.errstate(invalid="ignore", divide="ignore"):
            if has_limit:
                return np.log(np.sqrt(np.nanmean((block - exact) ** 2, axis=-2)))
            return np.log(np.nanstd(block, axis=-2, ddof=1))

    slope, low, high = _slope_with_ci(x, estimates[:, use], resample, spread)
    return {"slope_of": "rmse" if has_limit else "emp_se", "slope": slope, "slope_ci_low": low,
            "slope_ci_high": high, "fit_min_n": int(n[use][0]), "fit_points": int(use.sum())}


IQR_COLUMNS = ("iqr_slope", "iqr_slope_ci_low", "iqr_slope_ci_high")


def iqr_rate(estimates: np.ndarray, n: np.ndarray, min_n: int, resample: np.ndarray) -> dict[str, float]:
    """Slope of log IQR (across replicates) on log n with a bootstrap 95% CI: a spread that needs no variance."""
    use = _fitted_points(n, min_n)
    est = estimates[:, use]
    quantile = np.quantile if np.isfinite(est).all() else np.nanquantile   # the NaN-aware one sorts slowly

    def spread(block):
        q75, q25 = quantile(block, [0.75, 0.25], axis=-2)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(q75 - q25)

    slope, low, high = _slope_with_ci(np.log(n[use].astype(np.float64)), est, resample, spread)
    return {"iqr_slope": slope, "iqr_slope_ci_low": low, "iqr_slope_ci_high": high}


def earlier_index(n: np.ndarray) -> int | None:
    """The checkpoint a wrong limit is compared with: the largest n <= n_max / 10, else the smallest n (None
    with a single batch size)."""
    if n.size < 2:
        return None
    before = np.flatnonzero(n[:-1] <= n[-1] / 10)
    return int(before[-1]) if before.size else 0


EARLIER_COLUMNS = ("n_earlier", "estimate_earlier", "estimate_mcse_earlier", "z_score_earlier", "median_earlier",
                   "iqr_earlier")
EMP_SE_COLUMNS = ("emp_se_slope", "emp_se_slope_ci_low", "emp_se_slope_ci_high")


def _quartiles(column: np.ndarray) -> tuple[float, float, float]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        q25, median, q75 = (float(v) for v in np.nanquantile(column, [0.25, 0.5, 0.75]))
    return q25, median, q75


def _earlier(est: np.ndarray, n: np.ndarray, every: Mapping[str, np.ndarray]) -> dict[str, float]:
    """The estimate, its MCSE and raw z, the median and IQR at the `earlier_index` checkpoint (NaN without one)."""
    j = earlier_index(n)
    if j is None:
        return dict.fromkeys(EARLIER_COLUMNS, np.nan)
    mcse = float(every["bias_mcse"][j])
    q25, median, q75 = _quartiles(est[:, j])
    return {"n_earlier": int(n[j]), "estimate_earlier": float(every["mean_estimate"][j]),
            "estimate_mcse_earlier": mcse, "z_score_earlier": float(every["bias"][j] / mcse) if mcse > 0 else np.nan,
            "median_earlier": median, "iqr_earlier": q75 - q25}


def _data_tails(found: Mapping | None) -> dict:
    """The data's tail index of a quantity (mcloss.evidence.tail_index.COLUMNS); empty where not measured."""
    if not found:
        return {**dict.fromkeys(tail_index.COLUMNS, np.nan), "data_tail_term": "", "data_tail_values": 0}
    return {c: found[c] for c in tail_index.COLUMNS}


def convergence_rows(scenario: str, sim: Simulation, quantities: Sequence[Quantity], exact: Mapping[str, float],
                     min_n: int, resamples: int, seed: int, key: int, analysis: Mapping[str, Mapping] | None = None,
                     estimand: str = "", tail_evidence: Mapping[str, Mapping] | None = None) -> list[dict]:
    """One row per quantity: the estimate at the largest n with its 95% CI and the rates (no verdict yet).

    ``analysis`` (exact.json's per-quantity tails, limit notes and bias) is copied into the row for
    the verdict rules (mcloss.judge.convergence adds the verdict); where it rules out a variance
    (`no_variance`) the `CONVERGENCE_VARIANCE_COLUMNS` (MCSE, CI, z, coverage) are left empty, and so is the
    EmpSE slope where an exact value exists (a wrong-limit test needs a variance).
    Besides the RMSE slope, ``emp_se_slope`` (+ CI) is the slope of log EmpSE on log n (the spread around the
    replicates' own mean, which a wrong limit does not level off; equal to ``slope`` where there is no exact
    value), and the ``*_earlier`` columns are the estimate, its MCSE, raw z = bias / MCSE, median and IQR at
    ``n_earlier`` (`earlier_index`), against which the rules check that a distance from exact grows with n.
    ``tail_evidence`` (quantity -> mcloss.evidence.tail_index.quantity_indices' columns) is the data's tail
    index of each quantity, copied into the row (empty where not measured).
    """
    rows = []
    resample = bootstrap_index(sim.replicates.size, resamples, stream_rng(seed, key, ANALYSIS_STREAM, 0))
    for q in quantities:
        est = sim.estimate[q.name]
        info = quantity_info(analysis, q.name)
        blank = no_variance(info)
        info = info or {}
        limit = float(exact[q.name])
        last = performance(est[:, -1:], sim.se[q.name][:, -1:], limit)
        every = performance(est, sim.se[q.name], limit)
        rate = rate_of_convergence(est, sim.n, limit, min_n, resample)
        if not math.isfinite(limit):
            emp_se = dict(zip(EMP_SE_COLUMNS, (rate["slope"], rate["slope_ci_low"], rate["slope_ci_high"])))
        elif blank:
            emp_se = dict.fromkeys(EMP_SE_COLUMNS, np.nan)
        else:
            spread = rate_of_convergence(est, sim.n, np.nan, min_n, resample)
            emp_se = dict(zip(EMP_SE_COLUMNS, (spread["slope"], spread["slope_ci_low"], spread["slope_ci_high"])))
        mean, mcse = float(last["mean_estimate"][0]), float(last["bias_mcse"][0])
        q25, median, q75 = _quartiles(est[:, -1])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            max_spread = float(np.nanmax(every["emp_se"])) if np.isfinite(every["emp_se"]).any() else np.nan
        bias_b = float(info.get("bias_per_n", 0.0) or 0.0)
        # The IQR's slope (a bootstrap of quantiles: costly) only where the verdict may rest on it.
        needs_iqr = blank or info.get("mean_finite") is not True
        row = {
            "scenario": scenario, "quantity": q.name, "meaning": q.meaning, "exact": limit,
            "n_max": int(sim.n[-1]), "replicates": int(last["replicates"][0]), "estimate": mean,
            "estimate_mcse": mcse, "ci_low": mean - Z95 * mcse, "ci_high": mean + Z95 * mcse,
            "z_score": float(last["bias"][0] / mcse) if mcse > 0 else np.nan,
            "coverage": float(last["coverage"][0]), "coverage_mcse": float(last["coverage_mcse"][0]), **rate,
            **emp_se,
            **(iqr_rate(est, sim.n, min_n, resample) if needs_iqr else dict.fromkeys(IQR_COLUMNS, np.nan)),
            "median": median, "iqr": q75 - q25, **_earlier(est, sim.n, every), "max_emp_se": max_spread,
            "estimand": estimand, "unit": q.unit, "mean_finite": info.get("mean_finite"),
            "var_finite": info.get("var_finite"), "term_tail_index": info.get("term_index", np.nan),
            **_data_tails((tail_evidence or {}).get(q.name)),
            "expected_slope": info.get("expected_slope", np.nan), "declared_bias": bias_b / float(sim.n[-1]),
            "limit_kind": info.get("limit_kind") or "", "limit_reason": info.get("limit_reason") or "",
            "tails_reason": info.get("reason") or "", "unresolved": info.get("unresolved") or "",
            "nonfinite": int(last["nonfinite"][0]),
        }
        if not math.isfinite(limit):
            # No limit: a CLT interval, its z and its coverage do not exist.
            row.update(ci_low=np.nan, ci_high=np.nan, z_score=np.nan, coverage=np.nan, coverage_mcse=np.nan,
                       z_score_earlier=np.nan)
        if blank:
            row.update(dict.fromkeys(CONVERGENCE_VARIANCE_COLUMNS, np.nan))
        rows.append(row)
    return rows


def identity_table(scenario: str, sim: Simulation, identities: Sequence[Identity]) -> pd.DataFrame:
    """Largest per-batch deviation |left - right| over every replicate and batch size.

    An identity holds when every |left - right| / max(1, |left|) is within its tolerance
    (rounding grows with the size of the numbers).
    """
    rows = []
    for ident in identities:
        left = sim.estimate[ident.left]
        dev = np.abs(left - sim.estimate[ident.right])
        scaled = dev / np.maximum(1.0, np.abs(left))
        finite = np.isfinite(dev)
        worst = float(dev[finite].max()) if finite.any() else np.nan
        worst_scaled = float(scaled[finite].max()) if finite.any() else np.nan
        rows.append({"scenario": scenario, "identity": f"{ident.left} == {ident.right}", "meaning": ident.meaning,
                     "batches": int(finite.sum()), "nonfinite": int((~finite).sum()),
                     "max_abs_deviation": worst, "max_scaled_deviation": worst_scaled,
                     "tolerance": ident.tolerance,
                     "holds": bool(finite.all() and worst_scaled <= ident.tolerance)})
    return pd.DataFrame(rows, columns=["scenario", "identity", "meaning", "batches", "nonfinite",
                                       "max_abs_deviation", "max_scaled_deviation", "tolerance", "holds"])


def check_holds(check: ExactCheck) -> bool:
    """An exact cross-check holds when its value, reference and tolerance are finite and |value - reference| is
    within the tolerance: an infinite or NaN value or reference fails (inf - inf is no agreement, and a tolerance
    relative to an infinite reference is infinite)."""
    value, reference, tolerance = float(check.value), float(check.reference), float(check.tolerance)
    finite = math.isfinite(value) and math.isfinite(reference) and math.isfinite(tolerance)
    return bool(finite and abs(value - reference) <= tolerance)


def exact_check_table(scenario: str, checks: Sequence[ExactCheck]) -> pd.DataFrame:
    """Exact values against their independent computations (``holds``: `check_holds`)."""
    rows = [{"scenario": scenario, "check": c.name, "meaning": c.meaning, "value": c.value, "reference": c.reference,
             "abs_diff": abs(c.value - c.reference), "tolerance": c.tolerance,
             "holds": check_holds(c)} for c in checks]
    return pd.DataFrame(rows, columns=["scenario", "check", "meaning", "value", "reference", "abs_diff",
                                       "tolerance", "holds"])
