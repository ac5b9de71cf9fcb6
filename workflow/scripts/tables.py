"""One table over all scenarios, as CSV, Markdown and (short tables) LaTeX: rules `tables`, `summary_table`."""

from mcloss.pipeline.scripting import open_log

log = open_log(snakemake.log[0])  # noqa: F821

import pandas as pd  # noqa: E402

from mcloss.estimands import build  # noqa: E402
from mcloss.outputs.formatting import significant  # noqa: E402
from mcloss.outputs.tables import LATEX, convergence_view, duplicates, short_view, write_table  # noqa: E402
from mcloss.pipeline import sweeps  # noqa: E402

table, params = snakemake.wildcards.get("table", "summary"), snakemake.params  # noqa: F821
frames = [pd.read_csv(path) for path in snakemake.input.tables]  # noqa: F821
frame = pd.concat([f for f in frames if not f.empty] or frames[:1], ignore_index=True)
# Scenarios in name order, each keeping its own row order: the bytes do not depend on the config's order.
frame = frame.sort_values("scenario", kind="stable", ignore_index=True)
expanded = sweeps.expand_all({"scenarios": params.scenarios, "sweeps": params.sweeps})
if table in ("summary", "convergence"):
    frame = sweeps.label(frame, expanded)
log.info("%s: %d rows from %d scenarios", table, len(frame), len(frames))
caption = {
    "summary": "Monte Carlo performance of the batch estimates at each batch size n (Morris et al. 2019).",
    "convergence": "Estimates at the largest n with 95% CIs (estimate rounded to its Monte Carlo SE), coverage of "
                   "the 95% CI over the replicates, and the fitted slope of log RMSE on log n with its bootstrap "
                   "95% CI; without a finite variance, the median and IQR across replicates and the slope of "
                   "log IQR.",
    "identities": "Largest per-batch deviation of quantities that must agree on every batch.",
    "exact_checks": "Exact values against independent computations.",
}[table]
view, notes = short_view(frame), ""
if table == "convergence":
    specs = {**params.scenarios, **{p.name: p.spec for s in expanded.values() for p in s.points}}
    pairs = {name: [(i.left, i.right) for i in build(spec, f"scenarios.{name}").identities]
             for name, spec in specs.items() if name in set(frame.scenario)}
    hidden = duplicates(pairs) & set(zip(frame.scenario, frame.quantity))
    view = convergence_view(frame, hidden)
    if hidden:
        names = sorted({q for _, q in hidden})
        notes = (f"Not shown: {', '.join(names)}, equal on every batch to a quantity shown (identities table); "
                 "all quantities and full precision in convergence.csv.")
if table == "identities":
    # Deviations are rounding errors: their size matters, not their sixth digit.
    deviations = ("max_abs_deviation", "max_scaled_deviation")
    view = view.assign(**{c: [significant(v, 3) for v in view[c]] for c in deviations})
    view = view.rename(columns={"max_abs_deviation": "max |diff|", "max_scaled_deviation": "max scaled |diff|"})
write_table(frame, snakemake.output.csv, caption, f"tab:{table}", view=view,  # noqa: F821
            latex="latex" in snakemake.output.keys(), notes=notes, **LATEX.get(table, {}))  # noqa: F821
