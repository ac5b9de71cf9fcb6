"""Cost and efficiency of the sampling plans, side by side (results/tables/efficiency.*).

Each simulate job writes the CPU seconds of each of its replicates (the whole
sample path up to the largest n) to a side file, so the simulation and summary
tables stay byte-identical. The cost of a batch of size n is taken as
t(n) = t_path n / n_max (the work per replicate is proportional to the samples
drawn, every checkpoint being on one path). For a plan p and the iid point of
the same sweep (the same scenario otherwise), at each n:

    efficiency(p) / efficiency(iid) = (MSE_iid t_iid) / (MSE_p t_p)

with MCSE by the delta method on the log: independent points, so the relative
variances of MSE_p, MSE_iid, t_p and t_iid add (the MSE MCSEs are Morris et al.'s,
the time's is the replicates' spread / sqrt(R)).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pandas is imported where a table is made: simulate jobs, which write timings, skip it
    import pandas as pd

TIMING_COLUMNS = ["scenario", "sampling", "replicate", "cpu_seconds"]
EFFICIENCY_COLUMNS = [
    "sweep", "scenario", "base_scenario", "sampling", "quantity", "n", "replicates", "rmse", "rmse_mcse",
    "seconds", "seconds_mcse", "mse_x_seconds", "relative_efficiency", "relative_efficiency_mcse",
]


def write_timings(path, scenario: str, sampling: str, replicates: range, seconds: Sequence[float]) -> None:
    """The CPU seconds of each replicate of a simulate job, as CSV (columns TIMING_COLUMNS).

    Written with the csv module, not pandas: a simulate job then does not import pandas (0.4 s of start-up).
    """
    import csv

    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(TIMING_COLUMNS)
        writer.writerows([scenario, sampling, r, repr(float(s))] for r, s in zip(replicates, seconds))


def efficiency_table(summaries: Mapping[str, pd.DataFrame], timings: Mapping[str, pd.DataFrame],
                     points: Sequence[Mapping[str, object]], sweep: str, base_scenario: str) -> pd.DataFrame:
    """One row per point x quantity x n of a sweep over ``sampling`` (EFFICIENCY_COLUMNS).

    ``points``: [{"scenario": name, "values": {key: value}}] as the sweep expands; the
    reference of a point is the point with sampling iid and the same other values.
    """
    rows = []
    by_values = {}
    for point in points:
        others = tuple(sorted((k, str(v)) for k, v in point["values"].items() if k != "sampling"))
        by_values[(others, str(point["values"].get("sampling", "iid")))] = point["scenario"]
    for point in points:
        name = point["scenario"]
        sampling = str(point["values"].get("sampling", "iid"))
        others = tuple(sorted((k, str(v)) for k, v in point["values"].items() if k != "sampling"))
        reference = by_values.get((others, "iid"))
        summary, timing = summaries[name], timings[name]
        n_max = float(summary["n"].max())
        t = timing["cpu_seconds"].to_numpy(dtype=np.float64)
        t_mean, t_mcse = float(t.mean()), float(t.std(ddof=1) / np.sqrt(t.size)) if t.size > 1 else np.nan
        ref = None
        if reference is not None:
            rt = timings[reference]["cpu_seconds"].to_numpy(dtype=np.float64)
            ref = (summaries[reference].set_index(["quantity", "n"]), float(rt.mean()),
                   float(rt.std(ddof=1) / np.sqrt(rt.size)) if rt.size > 1 else np.nan)
        for row in summary.itertuples(index=False):
            scale = float(row.n) / n_max
            mse = float(row.rmse) ** 2
            mse_mcse = 2.0 * float(row.rmse) * float(row.rmse_mcse)
            seconds, seconds_mcse = t_mean * scale, t_mcse * scale
            relative, relative_mcse = np.nan, np.nan
            if reference == name:
                relative, relative_mcse = 1.0, 0.0   # the reference itself: 1 exactly, no Monte Carlo error
            elif ref is not None and (row.quantity, row.n) in ref[0].index:
                r = ref[0].loc[(row.quantity, row.n)]
                r_mse, r_mse_mcse = float(r.rmse) ** 2, 2.0 * float(r.rmse) * float(r.rmse_mcse)
                r_seconds, r_seconds_mcse = ref[1] * scale, ref[2] * scale
                with np.errstate(invalid="ignore", divide="ignore"):
                    relative = (r_mse * r_seconds) / (mse * seconds)
                    relative_mcse = relative * np.sqrt((mse_mcse / mse) ** 2 + (r_mse_mcse / r_mse) ** 2
                                                       + (seconds_mcse / seconds) ** 2
                                                       + (r_seconds_mcse / r_seconds) ** 2)
            rows.append({"sweep": sweep, "scenario": name, "base_scenario": base_scenario, "sampling": sampling,
                         "quantity": row.quantity, "n": int(row.n), "replicates": int(row.replicates),
                         "rmse": float(row.rmse), "rmse_mcse": float(row.rmse_mcse), "seconds": seconds,
                         "seconds_mcse": seconds_mcse, "mse_x_seconds": mse * seconds,
                         "relative_efficiency": relative, "relative_efficiency_mcse": relative_mcse})
    import pandas as pd

    return pd.DataFrame(rows, columns=EFFICIENCY_COLUMNS)
