"""Exact limits, performance measures, rate of convergence, identities and i.i.d. check of one scenario:
rule `summarise` (one job: all of it is cheap next to the sampling and reruns together)."""

from mcloss.pipeline.scripting import open_log

log = open_log(snakemake.log[0])  # noqa: F821

from mcloss.estimands import build  # noqa: E402
from mcloss.pipeline import jobs  # noqa: E402

p, w, inp, out = snakemake.params, snakemake.wildcards, snakemake.input, snakemake.output  # noqa: F821
estimand = build(p.spec, f"scenarios.{w.scenario}")
jobs.write_exact(estimand, out.exact)
jobs.summarise(w.scenario, estimand, inp.simulations, out.exact, out, p.slope_min_n, p.bootstrap, p.seed,
               p.scenario_key, tails=p.tails)
jobs.iid_check(w.scenario, estimand, p.seed, p.scenario_key, p.replicates, p.iid["samples"], p.iid["alpha"],
               p.iid["bins"], p.iid["lags"], out.iid)
