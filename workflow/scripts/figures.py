"""Convergence, sample-path, CLT and zip figures of one scenario, and its identity figure if it has
identities: rules `figures` and `figures_with_identities`."""

from mcloss.pipeline.scripting import open_log

log = open_log(snakemake.log[0])  # noqa: F821

import pandas as pd  # noqa: E402

from mcloss.estimands import build  # noqa: E402
from mcloss.evidence.summarise import no_variance  # noqa: E402
from mcloss.outputs.figures import zipplot  # noqa: E402
from mcloss.outputs.figures.clt import clt_figure  # noqa: E402
from mcloss.outputs.figures.convergence import convergence_figure  # noqa: E402
from mcloss.outputs.figures.identity import identity_figure  # noqa: E402
from mcloss.outputs.figures.paths import paths_figure  # noqa: E402
from mcloss.outputs.figures.style import save  # noqa: E402
from mcloss.outputs.provenance import record  # noqa: E402
from mcloss.pipeline.results import read_analysis, read_exact, read_variances  # noqa: E402
from mcloss.simulate.engine import load  # noqa: E402

p, w, inp, out = snakemake.params, snakemake.wildcards, snakemake.input, snakemake.output  # noqa: F821
estimand = build(p.spec, f"scenarios.{w.scenario}")
sim = load(inp.simulations)
limits, _ = read_exact(inp.exact)
variances = read_variances(inp.exact)
summary, convergence = pd.read_csv(inp.summary), pd.read_csv(inp.convergence)
title = f"{w.scenario}: {estimand.describe()}  (R = {sim.replicates.size} replicates, seed {p.seed})"
provenance = record(scenario=w.scenario, spec=p.spec, seed=p.seed, replicates=p.replicates,
                    batch_sizes=p.batch_sizes, analysis=p.analysis)
no_clt = [q for q, info in read_analysis(inp.exact).items() if no_variance(info)]
# Each figure is drawn, written and closed before the next: one open figure at a time.
figures = {
    "convergence": lambda: convergence_figure(summary, convergence, estimand.quantities, title, sim,
                                              estimand.identities),
    "paths": lambda: paths_figure(sim, summary, estimand.quantities, limits, p.analysis["paths"], title, variances,
                                  no_clt, estimand.identities),
    "clt": lambda: clt_figure(sim, convergence, estimand.quantities, limits, title, no_clt, estimand.identities),
    "zip": lambda: zipplot.zip_figure(
        sim, estimand.quantities, limits, variances,
        f"{w.scenario}: zip plots of the 95% CLT interval (R = {sim.replicates.size} replicates, seed {p.seed})",
        estimand.identities),
}
if "identities_pdf" in out.keys():
    figures["identities"] = lambda: identity_figure(sim, estimand.identities, limits, p.analysis["paths"], title,
                                                    estimand.quantities)
for name, draw in figures.items():
    written = save(draw(), out[f"{name}_pdf"][: -len(".pdf")], f"{w.scenario}: {name}", provenance)
    log.info("wrote %s", ", ".join(map(str, written)))
