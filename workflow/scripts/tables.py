"""One table over all scenarios, as CSV, Markdown and LaTeX: rule `tables`."""

from mcloss.scripting import open_log

log = open_log(snakemake.log[0])  # noqa: F821

import pandas as pd  # noqa: E402

from mcloss import sweeps  # noqa: E402
from mcloss.tables import write_table  # noqa: E402

table = snakemake.wildcards.table  # noqa: F821
frames = [pd.read_csv(path) for path in snakemake.input]  # noqa: F821
frame = pd.concat([f for f in frames if not f.empty] or frames[:1], ignore_index=True)
# Scenarios in name order, each keeping its own row order: the bytes do not depend on the config's order.
frame = frame.sort_values("scenario", kind="stable", ignore_index=True)
if table in ("summary", "convergence"):
    params = snakemake.params  # noqa: F821
    frame = sweeps.label(frame, sweeps.expand_all({"scenarios": params.scenarios, "sweeps": params.sweeps}))
log.info("%s: %d rows from %d scenarios", table, len(frame), len(frames))
caption = {
    "summary": "Monte Carlo performance of the batch estimates at each batch size n (Morris et al. 2019).",
    "convergence": "Estimates at the largest n with 95% CIs, and the fitted rate of convergence.",
    "identities": "Largest per-batch deviation of quantities that must agree on every batch.",
    "exact_checks": "Exact values against independent computations.",
}[table]
write_table(frame, snakemake.output.csv, caption, f"tab:{table}")  # noqa: F821
