"""Running estimates of a block of replicates: snakemake rule `simulate`."""

from mcloss.pipeline.scripting import open_log

log = open_log(snakemake.log[0])  # noqa: F821 (snakemake is injected by the script directive)

from mcloss.estimands import build  # noqa: E402
from mcloss.pipeline.jobs import simulate_block  # noqa: E402

p, w, out = snakemake.params, snakemake.wildcards, snakemake.output  # noqa: F821
simulate_block(w.scenario, build(p.spec, f"scenarios.{w.scenario}"), p.grid, range(int(w.start), int(w.stop)),
               p.seed, p.scenario_key, p.chunk_size, out.simulation, out.timing)
