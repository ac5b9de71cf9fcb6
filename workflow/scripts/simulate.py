"""Running estimates of a block of replicates: snakemake rule `simulate`."""

from mcloss.scripting import open_log

log = open_log(snakemake.log[0])  # noqa: F821 (snakemake is injected by the script directive)

import time  # noqa: E402

from mcloss.engine import save, simulate  # noqa: E402
from mcloss.estimands import build  # noqa: E402

p, w = snakemake.params, snakemake.wildcards  # noqa: F821
estimand = build(p.spec, f"scenarios.{w.scenario}")
replicates = range(int(w.start), int(w.stop))
log.info("scenario %s: %s; replicates %d-%d; n up to %d", w.scenario, estimand.describe(), replicates.start,
         replicates.stop - 1, p.grid[-1])
started = time.perf_counter()
sim = simulate(estimand, p.grid, replicates, p.seed, p.scenario_key, p.chunk_size)
log.info("done in %.2f s", time.perf_counter() - started)
for term, counts in sim.nonfinite.items():
    if counts.any():
        log.warning("term %s: %d non-finite values in %d replicates", term, counts.sum(), (counts > 0).sum())
save(sim, snakemake.output[0])  # noqa: F821
