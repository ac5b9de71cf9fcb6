"""Per-batch identities of one scenario on the same axes: rule `identity_figure`."""

from mcloss.scripting import open_log

log = open_log(snakemake.log[0])  # noqa: F821

from mcloss import plotting  # noqa: E402
from mcloss.engine import load  # noqa: E402
from mcloss.estimands import build  # noqa: E402
from mcloss.provenance import record  # noqa: E402
from mcloss.results import read_exact  # noqa: E402

p, w, inp, out = snakemake.params, snakemake.wildcards, snakemake.input, snakemake.output  # noqa: F821
estimand = build(p.spec, f"scenarios.{w.scenario}")
sim = load(inp.simulations)
limits, _ = read_exact(inp.exact)
title = f"{w.scenario}: {estimand.describe()}  (R = {sim.replicates.size} replicates, seed {p.seed})"
fig = plotting.identity_figure(sim, estimand.identities, limits, p.analysis["paths"], title, estimand.quantities)
provenance = record(scenario=w.scenario, spec=p.spec, seed=p.seed, replicates=p.replicates,
                    batch_sizes=p.batch_sizes, analysis=p.analysis)
log.info("wrote %s", plotting.save(fig, out.pdf[: -len(".pdf")], f"{w.scenario}: identities", provenance))
