"""Slopes and standardised errors of every scenario x quantity in one figure: rule `overview_figure`."""

from mcloss.pipeline.scripting import open_log

log = open_log(snakemake.log[0])  # noqa: F821

import pandas as pd  # noqa: E402

from mcloss.outputs.figures.overview import overview_figure  # noqa: E402
from mcloss.outputs.figures.style import save  # noqa: E402
from mcloss.outputs.paper import check_columns, select, select_sweeps  # noqa: E402
from mcloss.outputs.provenance import record  # noqa: E402

p, inp, out = snakemake.params, snakemake.input, snakemake.output  # noqa: F821
verdicts = pd.read_csv(inp.verdicts)
check_columns(verdicts)
verdicts = pd.concat([select(verdicts, p.paper["quantities"], p.scenarios),
                      select_sweeps(verdicts, p.paper["quantities"], p.sweeps)], ignore_index=True)
title = (f"Rate of convergence and error at the largest n, all scenarios (R = {p.replicates} replicates, "
         f"seed {p.seed})")
fig = overview_figure(verdicts, title)
provenance = record(seed=p.seed, replicates=p.replicates, scenarios=p.scenarios, sweeps=p.sweeps, paper=p.paper)
log.info("wrote %s", save(fig, out.pdf[: -len(".pdf")], "overview", provenance))
