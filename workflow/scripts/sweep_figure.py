"""The figure of one sweep, over all its points: snakemake rule `sweep_figure`."""

from mcloss.pipeline.scripting import open_log

log = open_log(snakemake.log[0])  # noqa: F821

import pandas as pd  # noqa: E402

from mcloss.estimands import Quantity, build  # noqa: E402
from mcloss.outputs.figures.style import save  # noqa: E402
from mcloss.outputs.figures.sweep import sweep_figure, varying_quantities  # noqa: E402
from mcloss.outputs.provenance import record  # noqa: E402
from mcloss.pipeline import sweeps  # noqa: E402

p, w, inp, out = snakemake.params, snakemake.wildcards, snakemake.input, snakemake.output  # noqa: F821
values = pd.DataFrame([{"scenario": point["scenario"], **point["values"]} for point in p.points])
keys = [k for k in p.points[0]["values"] if k != p.x]
convergence = pd.concat([pd.read_csv(path) for path in inp.convergences], ignore_index=True).merge(values)
curve = pd.read_csv(inp.curve)
base = build(p.spec, f"scenarios.{p.scenario}")
# The points' own quantities (a varied key may change the set), as their convergence tables name them.
meaning = dict(zip(convergence.quantity, convergence.meaning))
# By default only what changes with x, once: not the limits that stay put, nor the sides of identities.
hide = [i.right for i in base.identities]
names = (p.quantities or varying_quantities(convergence, hide)
         or [name for name in meaning if name not in hide])
units = sweeps.quantity_units(p.spec, [point["values"] for point in p.points])
quantities = [Quantity(name, name, meaning[name], unit=units[name]) for name in names]
title = (f"{w.sweep}: {p.x} swept in {p.scenario} ({base.describe()})\n"
         f"R = {p.replicates} replicates per point, seed {p.seed}"
         + (", common random numbers across points" if p.common_random_numbers else ", independent points"))
fig = sweep_figure(convergence, curve, p.x, keys, quantities, title,
                   log_x=sweeps.axis_scale(values[p.x].tolist(), p.x_scale) == "log")
provenance = record(sweep=w.sweep, scenario=p.scenario, spec=p.spec, points=p.points, x=p.x, seed=p.seed,
                    replicates=p.replicates, batch_sizes=p.batch_sizes,
                    common_random_numbers=p.common_random_numbers)
log.info("wrote %s", save(fig, out.pdf[: -len(".pdf")], f"sweep {w.sweep}", provenance))
