"""The losses, first-order terms and interval coverage of one model trained on the batch: rule `fitted_figure`."""

from mcloss.pipeline.scripting import open_log

log = open_log(snakemake.log[0])  # noqa: F821

import json  # noqa: E402

from mcloss.estimands import build  # noqa: E402
from mcloss.outputs.figures.fitted import fitted_figure, no_minimiser_note  # noqa: E402
from mcloss.outputs.figures.style import save  # noqa: E402
from mcloss.outputs.provenance import record  # noqa: E402
from mcloss.simulate.engine import load  # noqa: E402

p, w, inp, out = snakemake.params, snakemake.wildcards, snakemake.input, snakemake.output  # noqa: F821
estimand = build(p.spec, f"scenarios.{w.scenario}")
sim = load(inp.simulations)
with open(inp.exact) as fh:
    theory = json.load(fh)["fit"]
title = f"{w.scenario}: {estimand.describe()}  (R = {sim.replicates.size} replicates, seed {p.seed})"
provenance = record(scenario=w.scenario, spec=p.spec, seed=p.seed, replicates=p.replicates,
                    batch_sizes=p.batch_sizes)
written = save(fitted_figure(sim, theory, title, no_minimiser_note(sim)), out.pdf[: -len(".pdf")],
               f"{w.scenario}: fitted", provenance)
log.info("wrote %s", ", ".join(map(str, written)))
