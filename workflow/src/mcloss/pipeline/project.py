"""A checked configuration and the per-scenario settings the rules use, outside Snakemake.

The same steps as workflow/rules/common.smk: the schema (one-line error naming the key),
its defaults, the estimands' own checks, the sweeps expanded into scenarios; then each
scenario's replicates, batch-size grid and random-stream key. `mcloss` (cli.py) uses it
to compute what the pipeline would, without running it.
"""

from __future__ import annotations

import math
from pathlib import Path

from mcloss.errors import ConfigError
from mcloss.laws.plans import plan as sampling_plan
from mcloss.laws.streams import scenario_key
from mcloss.maths.grid import batch_grid, power_of_two_grid
from mcloss.simulate.fitting import is_fitted

from . import sweeps as sweeps_module
from .config import check, load_config_file, normalise_numbers, schema_error

SCHEMA = Path(__file__).resolve().parents[3] / "schemas" / "config.schema.yaml"


# --- per-scenario settings: the one definition, used by workflow/rules/common.smk and by Project ---
def scenario_replicates(config, spec, sweep=None) -> int:
    """Replicates of a scenario: its sweep's own setting, else the scenario's, else the top-level one."""
    if sweep is not None and sweep.replicates:
        return int(sweep.replicates)
    return int(spec.get("replicates", config["replicates"]))


def scenario_batch_sizes(config, spec, sweep=None) -> dict:
    """min, max and per_decade of a scenario's batch sizes, key by key: sweep over scenario over top level."""
    return {**config["batch_sizes"], **(spec.get("batch_sizes") or {}),
            **((sweep.batch_sizes or {}) if sweep is not None else {})}


def scenario_grid(sizes, estimand, siblings=()) -> list[int]:
    """Batch sizes of a scenario, snapped to its estimand's unit.

    Scrambled nets are balanced at powers of two, so a sobol scenario runs on them (per_decade does not
    apply), and so does every point of a sweep over ``sampling`` with a sobol point (``siblings``: the
    estimands of the sweep's points), so that every n is compared across plans (docs/sampling-plans.md).
    """
    unit = estimand.batch_unit
    if any(sampling_plan(e) == "sobol" for e in (estimand, *siblings)):
        return [int(n) for n in power_of_two_grid(sizes["min"], sizes["max"], unit)]
    return [int(n) for n in batch_grid(sizes["min"], sizes["max"], sizes["per_decade"], unit)]


# --- replicate blocks: one simulate job each (replicates_per_job, an integer or auto) ---
#: Seconds of one core a sample costs, as the SLURM runtimes assume (benchmarks/run.py: 17 to 34 ns).
SECONDS_PER_SAMPLE = 30e-9
#: Sampling a job of replicates_per_job: auto aims at.
TARGET_JOB_SECONDS = 20.0
#: A scenario of less sampling than this is one job; above it, at least MIN_JOBS jobs.
SMALL_SECONDS = 5.0
#: Jobs a scenario of more than SMALL_SECONDS gets at least: the two cores of the machine the defaults are tuned
#: for. A constant, not --cores: the blocks name the files, so they must not change with the command line.
MIN_JOBS = 2
#: Cost of a sample under a plan relative to iid (docs/sampling-plans.md: antithetic 2.10, sobol 2.07).
PLAN_COST = {"antithetic": 2.1, "sobol": 2.1}
#: Cost of a sample of n_max for a model trained on each batch, relative to SECONDS_PER_SAMPLE: fits at every
#: batch size of the grid, 280-1000 ns a sample of n_max (benchmarks/fitted.py, docs/performance.md), so 30.
FITTED_COST = 30.0


def replicate_seconds(estimand, grid) -> float:
    """Estimated seconds of one core to simulate one replicate: samples up to the largest n times their cost."""
    factor = PLAN_COST.get(sampling_plan(estimand), 1.0) * (FITTED_COST if is_fitted(estimand) else 1.0)
    return grid[-1] * SECONDS_PER_SAMPLE * factor


def auto_block_size(replicates: int, seconds_per_replicate: float) -> int:
    """Replicates a job under replicates_per_job: auto, a pure function of the config.

    One job when the scenario's sampling is estimated under SMALL_SECONDS. Otherwise as many replicates as make
    TARGET_JOB_SECONDS (a size that does not depend on the number of replicates, so that more replicates add
    blocks where they can), but at most replicates / MIN_JOBS, so that the scenario gets MIN_JOBS jobs.
    """
    if replicates * seconds_per_replicate <= SMALL_SECONDS:
        return replicates
    size = max(1, int(TARGET_JOB_SECONDS / seconds_per_replicate))
    return max(1, min(size, math.ceil(replicates / MIN_JOBS)))


def replicate_blocks(replicates: int, setting, seconds_per_replicate: float) -> list[tuple[int, int]]:
    """[start, stop) of each block of replicates; ``setting`` is replicates_per_job (an integer or 'auto')."""
    size = auto_block_size(replicates, seconds_per_replicate) if setting == "auto" else int(setting)
    return [(start, min(start + size, replicates)) for start in range(0, replicates, size)]


class Project:
    """A checked configuration, with the per-scenario settings the rules use (workflow/rules/common.smk)."""

    def __init__(self, config: dict):
        from snakemake.utils import validate

        normalise_numbers(config, str(SCHEMA))
        problem = schema_error(config, str(SCHEMA))
        if problem is not None:
            raise problem
        validate(config, str(SCHEMA))
        self.config = config
        self.estimands = check(config, str(SCHEMA))
        self.sweeps, points = sweeps_module.check(config)
        self.estimands.update(points)
        self.specs = dict(config["scenarios"])
        self.sweep_of = {}
        for sweep in self.sweeps.values():
            for point in sweep.points:
                self.specs[point.name] = point.spec
                self.sweep_of[point.name] = sweep
        self.random_names = sweeps_module.random_names(self.sweeps)

    @classmethod
    def from_file(cls, path) -> Project:
        return cls(load_config_file(path))

    def names(self, chosen=None, sweep_points: bool = False) -> list[str]:
        known = list(self.specs) if sweep_points else list(self.config["scenarios"])
        if not chosen:
            return known
        for name in chosen:
            if name not in self.specs:
                raise ConfigError("scenario", f"no such scenario {name!r}", ", ".join(self.specs))
        return list(chosen)

    def replicates(self, name: str) -> int:
        return scenario_replicates(self.config, self.specs[name], self.sweep_of.get(name))

    def grid(self, name: str) -> list[int]:
        sweep = self.sweep_of.get(name)
        sizes = scenario_batch_sizes(self.config, self.specs[name], sweep)
        plans = sweep is not None and "sampling" in sweep.keys
        siblings = [self.estimands[p.name] for p in sweep.points] if plans else []
        return scenario_grid(sizes, self.estimands[name], siblings)

    def blocks(self, name: str) -> list[tuple[int, int]]:
        """The replicate blocks of a scenario, as the pipeline splits them into jobs."""
        return replicate_blocks(self.replicates(name), self.config["replicates_per_job"],
                                replicate_seconds(self.estimands[name], self.grid(name)))

    def scenario_key(self, name: str) -> int:
        return scenario_key(self.random_names.get(name, name))
