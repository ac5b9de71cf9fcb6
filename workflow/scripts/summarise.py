"""Performance measures, rate of convergence and identities of one scenario: rule `summarise`."""

from mcloss.scripting import open_log

log = open_log(snakemake.log[0])  # noqa: F821

from mcloss import summarise as s  # noqa: E402
from mcloss.engine import load  # noqa: E402
from mcloss.estimands import ExactCheck, build  # noqa: E402
from mcloss.results import read_analysis, read_exact  # noqa: E402

p, w, out = snakemake.params, snakemake.wildcards, snakemake.output  # noqa: F821
estimand = build(p.spec, f"scenarios.{w.scenario}")
sim = load(snakemake.input.simulations)  # noqa: F821
limits, checks = read_exact(snakemake.input.exact)  # noqa: F821
analysis = read_analysis(snakemake.input.exact)  # noqa: F821
log.info("%d replicates, %d batch sizes", sim.replicates.size, sim.n.size)

s.summary_table(w.scenario, estimand.name, sim, estimand.quantities, limits, analysis).to_csv(out.summary,
                                                                                              index=False)
convergence = s.convergence_table(w.scenario, sim, estimand.quantities, limits, p.slope_min_n, p.bootstrap, p.seed,
                                  p.scenario_key, analysis, estimand.name)
convergence.to_csv(out.convergence, index=False)
for row in convergence.itertuples():
    log.info("%s: %s (%s)", row.quantity, row.verdict, row.reason)
s.identity_table(w.scenario, sim, estimand.identities).to_csv(out.identities, index=False)
s.exact_check_table(w.scenario, [ExactCheck(**c) for c in checks]).to_csv(out.exact_checks, index=False)
