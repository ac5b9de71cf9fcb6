"""A checked configuration and the per-scenario settings the rules use, outside Snakemake.

The same steps as workflow/rules/common.smk: the schema (one-line error naming the key),
its defaults, the estimands' own checks, the sweeps expanded into scenarios; then each
scenario's replicates, batch-size grid and random-stream key. `mcloss` (cli.py) uses it
to compute what the pipeline would, without running it.
"""

from __future__ import annotations

from pathlib import Path

from mcloss.errors import ConfigError
from mcloss.laws.plans import plan as sampling_plan
from mcloss.laws.streams import scenario_key
from mcloss.maths.grid import batch_grid, power_of_two_grid

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

    def scenario_key(self, name: str) -> int:
        return scenario_key(self.random_names.get(name, name))
