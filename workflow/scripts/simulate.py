"""Running estimates of a block of replicates: snakemake rule `simulate`."""

from mcloss.scripting import open_log

log = open_log(snakemake.log[0])  # noqa: F821 (snakemake is injected by the script directive)

import time  # noqa: E402

from mcloss.engine import save, simulate  # noqa: E402
from mcloss.estimands import build  # noqa: E402
from mcloss.plans import write_timings  # noqa: E402
from mcloss.sampling import plan  # noqa: E402

p, w = snakemake.params, snakemake.wildcards  # noqa: F821
estimand = build(p.spec, f"scenarios.{w.scenario}")
replicates = range(int(w.start), int(w.stop))
log.info("scenario %s: %s; replicates %d-%d; n up to %d", w.scenario, estimand.describe(), replicates.start,
         replicates.stop - 1, p.grid[-1])
if plan(estimand) == "sobol":
    log.info("sampling sobol: batch sizes are the powers of two in [batch_sizes.min, batch_sizes.max]; "
             "batch_sizes.per_decade does not apply")
started = time.perf_counter()
seconds = []
sim = simulate(estimand, p.grid, replicates, p.seed, p.scenario_key, p.chunk_size, seconds=seconds)
log.info("done in %.2f s", time.perf_counter() - started)
# Compute time per replicate, beside (not in) the simulation: the tables of results stay byte-identical.
write_timings(snakemake.output.timing, w.scenario, plan(estimand), replicates, seconds)  # noqa: F821
for term, counts in sim.nonfinite.items():
    if counts.any():
        log.warning("term %s: %d non-finite values in %d replicates", term, counts.sum(), (counts > 0).sum())
save(sim, snakemake.output.simulation)  # noqa: F821
