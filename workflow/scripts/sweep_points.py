"""Several points of a sweep in one process: rules `sweep_points_*` (workflow/rules/sweep_points.smk).

Per point, what rules `simulate` and `summarise` do for a scenario (the same mcloss.pipeline.jobs functions, so the
same bytes), minus the i.i.d. check, which a point inherits from its base scenario. A point whose files are in the
cache of finished points (mcloss.pipeline.point_cache, keyed by everything they depend on) is copied from it
instead: editing one value of a sweep recomputes only that point, whatever job holds it.
"""

from mcloss.pipeline.scripting import open_log

log = open_log(snakemake.log[0])  # noqa: F821

from pathlib import Path  # noqa: E402

from mcloss.estimands import build  # noqa: E402
from mcloss.pipeline import jobs, point_cache  # noqa: E402

TABLES = ("summary", "convergence", "identities", "exact_checks")
p, out = snakemake.params, snakemake.output  # noqa: F821
# Every param but the job's own code hash (each point carries its own) and the list of points.
shared = {name: value for name, value in p.items() if name not in ("code", "points")}
simulations, timings = iter(out.simulations), iter(out.timings)
counts = {"computed": 0, "reused": 0}
for i, point in enumerate(p.points):
    name = point["scenario"]
    paths = [(next(simulations), next(timings)) for _ in point["blocks"]]
    files = {Path(path).name: path for pair in paths for path in pair}
    files["exact.json"] = out.exact[i]
    files.update({f"{table}.csv": out[table][i] for table in TABLES})
    key = point_cache.point_key({**shared, **point})
    if point_cache.restore(key, files):
        counts["reused"] += 1
        log.info("point %s: reused from the cache (%s)", name, point_cache.CACHE_DIR / key)
        continue
    estimand = build(point["spec"], f"scenarios.{name}")
    for (start, stop), (simulation, timing) in zip(point["blocks"], paths):
        jobs.simulate_block(name, estimand, point["grid"], range(start, stop), p.seed, point["scenario_key"],
                            p.chunk_size, simulation, timing)
    jobs.write_exact(estimand, out.exact[i])
    tables = {table: out[table][i] for table in TABLES}
    jobs.summarise(name, estimand, [simulation for simulation, _ in paths], out.exact[i], tables, p.slope_min_n,
                   p.bootstrap, p.seed, point["scenario_key"], tails=p.tails)
    point_cache.store(key, files, {"scenario": name, "settings": {**shared, **point}})
    counts["computed"] += 1
    log.info("point %s: computed", name)
log.info("points computed: %d, reused from the cache: %d", counts["computed"], counts["reused"])
