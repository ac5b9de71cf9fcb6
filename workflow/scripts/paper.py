"""The compact paper table from the verdicts and convergence tables: rule `paper_table`."""

from mcloss.pipeline.scripting import open_log

log = open_log(snakemake.log[0])  # noqa: F821

import pandas as pd  # noqa: E402

from mcloss.outputs import paper  # noqa: E402
from mcloss.outputs.tables import write_table  # noqa: E402

p, inp, out = snakemake.params, snakemake.input, snakemake.output  # noqa: F821
table = pd.read_csv(inp.verdicts)
swept = paper.select_sweeps(table, p.paper["quantities"], p.sweeps)
verdicts = pd.concat([paper.select(table, p.paper["quantities"], p.scenarios), swept], ignore_index=True)
rows = paper.paper_rows(verdicts, pd.read_csv(inp.convergence))
log.info("paper table: %d rows, columns %s", len(rows), p.paper["columns"])
caption = (f"Batch losses at the largest batch size n against their exact limits (seed {p.seed}, "
           f"R = {p.replicates} replicates per scenario unless it sets its own). Estimate ± Monte Carlo SE, "
           "rounded to the SE (for 'slower', whose variance is infinite, the median and IQR across replicates); "
           "slope of log RMSE on log n (of log IQR across replicates for 'slower') with its "
           "bootstrap 95% CI (-0.5 is the n^-1/2 rate); "
           "coverage of the nominal 95% CI with its 95% Wilson interval. An em dash: the quantity has no limit, "
           "no finite variance or no spread, as the verdict says. "
           + ("A sweep heads a block of its own: its headline quantities at each point, in increasing x. "
              if len(swept) else "") + f"{paper.VERDICT_LEGEND}.")
write_table(rows, out.csv, caption, "tab:paper", view=paper.paper_view(rows, p.paper["columns"]),
            **paper.latex_layout(p.paper["columns"]))
