"""Several points of a sweep in one process: rules `sweep_points_*` (workflow/rules/sweep_points.smk).

Per point, what rules `simulate` and `summarise` do for a scenario (the same mcloss.pipeline.jobs functions, so the
same bytes), minus the i.i.d. check, which a point inherits from its base scenario.
"""

from mcloss.pipeline.scripting import open_log

log = open_log(snakemake.log[0])  # noqa: F821

from mcloss.estimands import build  # noqa: E402
from mcloss.pipeline import jobs  # noqa: E402

p, out = snakemake.params, snakemake.output  # noqa: F821
simulations, timings = iter(out.simulations), iter(out.timings)
for i, point in enumerate(p.points):
    name = point["scenario"]
    estimand = build(point["spec"], f"scenarios.{name}")
    paths = []
    for start, stop in point["blocks"]:
        paths.append(next(simulations))
        jobs.simulate_block(name, estimand, point["grid"], range(start, stop), p.seed, point["scenario_key"],
                            p.chunk_size, paths[-1], next(timings))
    jobs.write_exact(estimand, out.exact[i])
    tables = {table: out[table][i] for table in ("summary", "convergence", "identities", "exact_checks")}
    jobs.summarise(name, estimand, paths, out.exact[i], tables, p.slope_min_n, p.bootstrap, p.seed,
                   point["scenario_key"], tails=p.tails)
