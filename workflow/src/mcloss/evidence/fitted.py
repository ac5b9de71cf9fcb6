"""What the fits of a fitted scenario show against their first-order theory (mcloss.estimands.fitted).

Two tidy tables, per fitted scenario and batch size n:

- `coverage_rows` (results/tables/fitted.csv): per coefficient and kind of standard error (``model``:
  the inverse Hessian J_hat^-1 / n; ``sandwich``: J_hat^-1 K_hat J_hat^-1 / n with the i.i.d. K_hat),
  the share of replicates whose 95% Wald interval theta_hat +- 1.96 se holds theta*, with its 95%
  Wilson interval, beside the exact asymptotic coverage 2 Phi(1.96 sqrt(v_kind / v_true)) - 1 (v_true =
  lim n Var theta_hat). Also the mean coefficient and its MCSE, and how many batches had no finite
  minimiser (``no_minimiser``: their coefficients are NaN and count in no coverage).
- `first_order_rows` (results/tables/fitted_first_order.csv): per quantity with a declared O(1/n) term b
  (E estimate = exact + b / n + o(1/n): test risk +tr/2, training loss -tr/2, optimism +tr, ...),
  n (mean - exact) with its MCSE n sd / sqrt(R) and z = (n (mean - exact) - b) / MCSE. Where the
  variance of the estimate is O(1/n) (the train gap, the excess risk), n x MCSE stays bounded and the
  first-order term is measured at every n; the optimism and the training loss carry L_n(theta*)'s
  O(n^-1/2) noise, so their n x MCSE grows like sqrt(n).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from mcloss.estimands.fitted import Z95 as Z
from mcloss.evidence.coverage import wilson_interval

COVERAGE_COLUMNS = ["scenario", "n", "parameter", "theta_star", "mean", "mean_mcse", "se_kind", "coverage",
                    "coverage_low", "coverage_high", "coverage_asymptotic", "replicates", "no_minimiser"]
FIRST_ORDER_COLUMNS = ["scenario", "n", "quantity", "exact", "n_times_error", "n_times_error_mcse",
                       "first_order", "z", "replicates", "no_minimiser"]


def coverage_rows(scenario: str, sim, theory: Mapping) -> pd.DataFrame:
    """One row per (n, coefficient, se kind): coverage of the 95% Wald interval against its exact limit."""
    rows = []
    for j, name in enumerate(theory["names"]):
        est = sim.estimate[name]
        finite = np.isfinite(est)
        k = finite.sum(axis=0)
        star = theory["theta_star"][j]
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(k > 0, np.nansum(est, axis=0) / np.maximum(k, 1), np.nan)
            sd = np.sqrt(np.nansum((est - mean) ** 2, axis=0) / np.maximum(k - 1, 1))
        for kind, se in (("model", sim.model_se[name]), ("sandwich", sim.se[name])):
            usable = finite & np.isfinite(se)
            trials = usable.sum(axis=0)
            covered = (usable & (np.abs(np.where(usable, est, 0.0) - star) <= Z * np.where(usable, se, 0.0))).sum(0)
            low, high = wilson_interval(covered, trials)
            with np.errstate(invalid="ignore", divide="ignore"):
                share = np.where(trials > 0, covered / np.maximum(trials, 1), np.nan)
            for i, n in enumerate(sim.n):
                rows.append({"scenario": scenario, "n": int(n), "parameter": name, "theta_star": star,
                             "mean": mean[i], "mean_mcse": sd[i] / np.sqrt(k[i]) if k[i] > 1 else np.nan,
                             "se_kind": kind, "coverage": share[i], "coverage_low": low[i],
                             "coverage_high": high[i],
                             "coverage_asymptotic": theory["coverage_asymptotic"][kind][j],
                             "replicates": int(trials[i]), "no_minimiser": int((~finite[:, i]).sum())})
    return pd.DataFrame(rows, columns=COVERAGE_COLUMNS)


def first_order_rows(scenario: str, sim, exact: Mapping[str, float], bias: Mapping[str, float],
                     quantities: Sequence[str]) -> pd.DataFrame:
    """One row per (n, quantity with a declared b): n (mean - exact) and its MCSE against b."""
    rows = []
    for q in quantities:
        if q not in bias or q not in sim.estimate:
            continue
        est = sim.estimate[q]
        finite = np.isfinite(est)
        k = finite.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.nansum(est, axis=0) / np.maximum(k, 1)
            sd = np.sqrt(np.nansum((est - mean) ** 2, axis=0) / np.maximum(k - 1, 1))
        for i, n in enumerate(sim.n):
            error, mcse = n * (mean[i] - exact[q]), n * sd[i] / np.sqrt(max(k[i], 1))
            rows.append({"scenario": scenario, "n": int(n), "quantity": q, "exact": exact[q],
                         "n_times_error": error if k[i] else np.nan, "n_times_error_mcse": mcse if k[i] > 1 else np.nan,
                         "first_order": bias[q], "z": (error - bias[q]) / mcse if k[i] > 1 and mcse > 0 else np.nan,
                         "replicates": int(k[i]), "no_minimiser": int((~finite[:, i]).sum())})
    return pd.DataFrame(rows, columns=FIRST_ORDER_COLUMNS)
