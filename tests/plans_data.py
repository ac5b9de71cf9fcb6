"""Synthetic summary and convergence rows of a sweep over sampling plans (four plans, two quantities)."""

import numpy as np
import pandas as pd

from mcloss.estimands import Quantity


def plans_data(quantities=("bce", "e_real")):
    rng = np.random.default_rng(0)
    n = np.unique(np.round(np.logspace(0, 4, 17)))
    plans = {"p_iid": "iid", "p_anti": "antithetic", "p_cv": "control_variate", "p_sobol": "sobol"}
    factor = {"iid": 1.0, "antithetic": 0.5, "control_variate": 0.3, "sobol": 0.1}
    rows, conv, variances = [], [], {}
    for point, plan in plans.items():
        variances[point] = {}
        for k, q in enumerate(quantities):
            v = factor[plan] * (1 + k)
            slope = -1.0 if plan == "sobol" else -0.5
            y = np.sqrt(v) * n ** slope * np.exp(rng.normal(0, 0.05, n.size))
            rows += [{"scenario": point, "quantity": q, "n": m, "rmse": r, "rmse_mcse": 0.05 * r} for m, r in zip(n, y)]
            conv.append({"scenario": point, "quantity": q, "slope": slope - 0.01 * k, "slope_ci_low": slope - 0.03,
                         "slope_ci_high": slope + 0.03})
            variances[point][q] = np.nan if plan == "sobol" else v
    qs = [Quantity(q, q, f"meaning of {q}") for q in quantities]
    return pd.DataFrame(rows), pd.DataFrame(conv), variances, plans, qs

