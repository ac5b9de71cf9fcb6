"""All sweeps' efficiency rows, as CSV, Markdown and LaTeX: snakemake rule `efficiency_table`."""

from mcloss.pipeline.scripting import open_log

log = open_log(snakemake.log[0])  # noqa: F821

import pandas as pd  # noqa: E402

from mcloss.outputs.tables import LATEX, write_table  # noqa: E402

frame = pd.concat([pd.read_csv(path) for path in snakemake.input], ignore_index=True)  # noqa: F821
frame = frame.sort_values(["sweep", "scenario"], kind="stable", ignore_index=True)
log.info("efficiency: %d rows", len(frame))
write_table(frame, snakemake.output.csv,  # noqa: F821
            "RMSE, CPU seconds per replicate and efficiency 1/(MSE x time) of each sampling plan relative to iid, "
            "with Monte Carlo SEs.", "tab:efficiency", **LATEX["efficiency"])
