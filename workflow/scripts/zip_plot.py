"""Zip plots of the CLT interval at a small n and at the largest n: rule `zip_plot`."""

from mcloss.scripting import open_log

log = open_log(snakemake.log[0])  # noqa: F821

from mcloss import plotting, zipplot  # noqa: E402
from mcloss.engine import load  # noqa: E402
from mcloss.estimands import build  # noqa: E402
from mcloss.provenance import record  # noqa: E402
from mcloss.results import read_exact, read_variances  # noqa: E402

p, w, inp, out = snakemake.params, snakemake.wildcards, snakemake.input, snakemake.output  # noqa: F821
estimand = build(p.spec, f"scenarios.{w.scenario}")
sim = load(inp.simulations)
limits, _ = read_exact(inp.exact)
title = f"{w.scenario}: zip plots of the 95% CLT interval (R = {sim.replicates.size} replicates, seed {p.seed})"
fig = zipplot.zip_figure(sim, estimand.quantities, limits, read_variances(inp.exact), title)
provenance = record(scenario=w.scenario, spec=p.spec, seed=p.seed, replicates=p.replicates,
                    batch_sizes=p.batch_sizes)
log.info("wrote %s", plotting.save(fig, out.pdf[: -len(".pdf")], f"{w.scenario}: zip plot", provenance))
