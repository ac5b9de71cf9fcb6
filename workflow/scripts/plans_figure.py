"""RMSE against n per sampling plan of one sweep: snakemake rule `plans_figure`."""

from mcloss.pipeline.scripting import open_log

log = open_log(snakemake.log[0])  # noqa: F821

import pandas as pd  # noqa: E402

from mcloss.estimands import Quantity, build  # noqa: E402
from mcloss.outputs.figures.plans import exact_plan_variances, plans_figure  # noqa: E402
from mcloss.outputs.figures.style import save  # noqa: E402
from mcloss.outputs.provenance import record  # noqa: E402
from mcloss.pipeline import sweeps  # noqa: E402

p, w, inp, out = snakemake.params, snakemake.wildcards, snakemake.input, snakemake.output  # noqa: F821
summary = pd.concat([pd.read_csv(path) for path in inp.summaries], ignore_index=True)
convergence = pd.concat([pd.read_csv(path) for path in inp.convergences], ignore_index=True)
plans = {point["scenario"]: str(point["values"].get("sampling", "iid")) for point in p.points}
variances = {point["scenario"]: exact_plan_variances(path) for point, path in zip(p.points, inp.exact)}
# The other varied keys: in the title when one combination, in the line labels otherwise.
others = [{k: v for k, v in point["values"].items() if k != "sampling"} for point in p.points]
spec = dict(p.spec)
for key, value in others[0].items():
    spec = sweeps.with_value(spec, key, value)
shared = all(o == others[0] for o in others)
labels = {point["scenario"]: plans[point["scenario"]] + ("" if shared else " (" + ", ".join(
    f"{k}={sweeps.format_value(v)}" for k, v in o.items()) + ")") for point, o in zip(p.points, others)}
base = build(spec, f"scenarios.{p.scenario}")
meaning = dict(zip(convergence.quantity, convergence.meaning))
units = {q.name: q.unit for q in base.quantities}
names = p.quantities or [base.quantities[0].name]
quantities = [Quantity(name, name, meaning[name], units.get(name, "nats")) for name in names]
title = (f"{w.sweep}: sampling plans in {p.scenario}"
         + (" with " + ", ".join(f"{k}={sweeps.format_value(v)}" for k, v in others[0].items())
            if shared and others[0] else "") + f" ({base.describe()})\n"
         f"R = {p.replicates} replicates per plan, seed {p.seed}")
fig = plans_figure(summary, convergence, variances, plans, quantities, title, labels)
provenance = record(sweep=w.sweep, scenario=p.scenario, spec=p.spec, points=p.points, seed=p.seed,
                    replicates=p.replicates, batch_sizes=p.batch_sizes)
log.info("wrote %s", save(fig, out.pdf[: -len(".pdf")], f"plans {w.sweep}", provenance))
