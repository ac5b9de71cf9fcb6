"""The first-order terms over a sweep of a fitted scenario (e.g. its degree): rule `fitted_sweep_figure`."""

from mcloss.pipeline.scripting import open_log

log = open_log(snakemake.log[0])  # noqa: F821

import json  # noqa: E402
from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402

from mcloss.outputs.figures.fitted import first_order_sweep_figure  # noqa: E402
from mcloss.outputs.figures.style import save  # noqa: E402
from mcloss.outputs.provenance import record  # noqa: E402

p, w, inp, out = snakemake.params, snakemake.wildcards, snakemake.input, snakemake.output  # noqa: F821
fits = {}
for path in inp.exact:
    with open(path) as fh:
        fits[Path(path).stem] = json.load(fh)["fit"]
rows = pd.read_csv(inp.first_order)
title = (f"sweep {w.sweep} of {p.scenario}: the fitted model's first-order terms against tr(J^-1 K)/2 "
         f"(R = {p.replicates} replicates per point, seed {p.seed})")
figure = first_order_sweep_figure(rows, p.points, p.x, {k: f["trace"] for k, f in fits.items()},
                                  {k: f["parameters"] for k, f in fits.items()}, title)
written = save(figure, out.pdf[: -len(".pdf")], f"sweep {w.sweep}: first order",
               record(sweep=w.sweep, seed=p.seed, points=p.points))
log.info("wrote %s", ", ".join(map(str, written)))
