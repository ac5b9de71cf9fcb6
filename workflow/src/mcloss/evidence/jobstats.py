"""Per-rule totals of the benchmark files Snakemake writes for every job.

A rule's ``benchmark:`` file (TSV, one line per measurement) holds the job's wall
time ``s``, its ``cpu_time`` (user + system, seconds) and its peak ``max_rss`` (MB).
Files live at ``<directory>/<rule>/...`` or ``<directory>/<rule>.tsv``, the layout of
every rule of this workflow, so the rule is the first component of the path.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path

import pandas as pd

COLUMNS = ["rule", "jobs", "total_s", "mean_s", "max_s", "cpu_time_s", "max_rss_mb"]


def read_benchmark(path) -> dict[str, float]:
    """Wall time, CPU time and peak RSS of one job (the mean over repeats, if the rule repeats)."""
    frame = pd.read_csv(path, sep="\t")
    rss = pd.to_numeric(frame["max_rss"], errors="coerce")  # "-" where the job was too short to sample
    return {"s": float(frame["s"].mean()), "cpu_time": float(pd.to_numeric(frame["cpu_time"], errors="coerce").mean()),
            "max_rss": float(rss.max()) if rss.notna().any() else float("nan")}


def rule_totals(directory, exclude: tuple[str, ...] = (), keep: Mapping[str, Collection[str]] | None = None
                ) -> pd.DataFrame:
    """One row per rule: jobs, total/mean/max wall seconds, total CPU seconds, largest peak RSS.

    The last row, rule ``(all)``, sums over every job. Rules in ``exclude`` are left out. ``keep`` maps a rule to
    its current jobs (the file's path under the rule's folder, without .tsv): a file of that rule for any other
    job (a scenario, sweep or replicate block no longer in the config) is left out, as it is not of this run.
    """
    directory = Path(directory)
    keep = keep or {}
    rows = []
    for path in sorted(directory.rglob("*.tsv")):
        parts = path.relative_to(directory).parts
        rule = parts[0] if len(parts) > 1 else path.stem
        job = "/".join(parts[1:])[: -len(".tsv")]
        if rule not in exclude and (rule not in keep or job in keep[rule]):
            rows.append({"rule": rule, **read_benchmark(path)})
    if not rows:
        return pd.DataFrame(columns=COLUMNS)
    jobs = pd.DataFrame(rows)
    table = jobs.groupby("rule", sort=False).agg(
        jobs=("s", "size"), total_s=("s", "sum"), mean_s=("s", "mean"), max_s=("s", "max"),
        cpu_time_s=("cpu_time", "sum"), max_rss_mb=("max_rss", "max")).reset_index()
    table = table.sort_values("total_s", ascending=False, kind="stable")
    total = {"rule": "(all)", "jobs": len(jobs), "total_s": jobs.s.sum(), "mean_s": jobs.s.mean(),
             "max_s": jobs.s.max(), "cpu_time_s": jobs.cpu_time.sum(), "max_rss_mb": jobs.max_rss.max()}
    return pd.concat([table, pd.DataFrame([total])], ignore_index=True)[COLUMNS]
