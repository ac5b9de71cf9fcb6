"""Efficiency of each sampling plan of one sweep relative to iid: snakemake rule `plan_efficiency`."""

from mcloss.pipeline.scripting import open_log

log = open_log(snakemake.log[0])  # noqa: F821

import pandas as pd  # noqa: E402

from mcloss.evidence.efficiency import efficiency_table  # noqa: E402

p, w, inp = snakemake.params, snakemake.wildcards, snakemake.input  # noqa: F821
summaries = {}
for path in inp.summaries:
    frame = pd.read_csv(path)
    summaries[str(frame["scenario"].iloc[0])] = frame
timings = pd.concat([pd.read_csv(path) for path in inp.timings], ignore_index=True)
by_point = {name: frame for name, frame in timings.groupby("scenario")}
table = efficiency_table(summaries, by_point, p.points, w.sweep, p.scenario)
log.info("%s: %d rows, cost t(n) = t_path n / n_max (CPU seconds per replicate)", w.sweep, len(table))
table.to_csv(snakemake.output[0], index=False)  # noqa: F821
