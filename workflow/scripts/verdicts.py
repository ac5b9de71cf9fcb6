"""The verdict table of every scenario x quantity and the one-page summary: rule `verdicts`."""

from mcloss.pipeline.scripting import open_log

log = open_log(snakemake.log[0])  # noqa: F821

from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402

from mcloss.judge import findings  # noqa: E402
from mcloss.outputs import pages  # noqa: E402
from mcloss.outputs.tables import LATEX, to_latex  # noqa: E402

inp, out, p = snakemake.input, snakemake.output, snakemake.params  # noqa: F821
table = findings.verdict_table(pd.read_csv(inp.convergence))
claims = pd.read_csv(inp.claims)
log.info("verdicts: %s", findings.counts(table))
table.to_csv(out.csv, index=False)
Path(out.markdown).write_text(pages.verdicts_markdown(table, p.seed, p.replicates))
Path(out.latex).write_text(to_latex(table.drop(columns=["reason"]), "Verdict per scenario and quantity.",
                                    "tab:verdicts", **LATEX["verdicts"]))
Path(out.summary).write_text(pages.summary_page(table, claims, p.seed, p.replicates, p.figures, p.run))
