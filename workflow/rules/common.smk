# Configuration checks and the helpers every rule file uses.
import re
import sys
from pathlib import Path

from snakemake.utils import update_config, validate

import mcloss.config as config_checks
import mcloss.streams
import mcloss.sweeps
from mcloss.codehash import source_hash
from mcloss.errors import ConfigError
from mcloss.grid import batch_grid

SCHEMA = str(Path(workflow.basedir) / "workflow" / "schemas" / "config.schema.yaml")

# Snakemake reads the values nested in --config 'key={...}' as strings; read them as YAML would.
_overrides = workflow.config_settings.overwrite_config or {}
update_config(config, config_checks.typed_overrides(_overrides))

# Fail before any job runs, with one line naming the key: the schema first
# (before defaults are filled in, so the message is about what the user wrote),
# then what only the estimands can check.
_problem = config_checks.schema_error(config, SCHEMA)
if _problem is not None:
    sys.exit(f"config error: {config_checks.override_hint(_problem, _overrides)}")
validate(config, SCHEMA)
try:
    ESTIMANDS = config_checks.check(config, SCHEMA)
    # Sweeps: each grid point is a scenario of its own (mcloss.sweeps), run by the same rules.
    SWEEPS, _point_estimands = mcloss.sweeps.check(config)
except ConfigError as err:
    sys.exit(f"config error: {config_checks.override_hint(err, _overrides)}")

ESTIMANDS.update(_point_estimands)
SPECS = dict(config["scenarios"])
SWEEP_OF = {}
for _sweep in SWEEPS.values():
    for _point in _sweep.points:
        SPECS[_point.name] = _point.spec
        SWEEP_OF[_point.name] = _sweep
RANDOM_NAMES = mcloss.sweeps.random_names(SWEEPS)

SCENARIOS = list(SPECS)
FIGURES = ["convergence", "paths", "clt"]
TABLES = ["summary", "convergence", "identities", "exact_checks"]


def _alternatives(names):
    # Scenario names may contain '.', '+' and '=', which are regex syntax.
    return "|".join(re.escape(name) for name in names) or "NONE"


wildcard_constraints:
    scenario=_alternatives(SCENARIOS),
    sweep=_alternatives(SWEEPS),
    start=r"\d+",
    stop=r"\d+",


def scenario_key(name):
    """Key of a scenario's random streams: the stable hash of the name it draws from.

    That is its own name, or its sweep's under common_random_numbers (so every
    point of such a sweep uses the same streams). Shadows mcloss.streams.scenario_key
    for the rules, which all call it with the scenario's name.
    """
    return mcloss.streams.scenario_key(RANDOM_NAMES.get(name, name))


def replicates(scenario):
    """Replicates of a scenario (a sweep may set its own)."""
    sweep = SWEEP_OF.get(scenario)
    return sweep.replicates if sweep is not None and sweep.replicates else config["replicates"]


def batch_sizes(scenario):
    """min, max and per_decade of a scenario's batch sizes (a sweep may override any of them)."""
    sweep = SWEEP_OF.get(scenario)
    return {**config["batch_sizes"], **((sweep.batch_sizes or {}) if sweep is not None else {})}


def grid(scenario):
    """Batch sizes of a scenario, snapped to its estimand's unit."""
    sizes = batch_sizes(scenario)
    unit = ESTIMANDS[scenario].batch_unit
    return [int(n) for n in batch_grid(sizes["min"], sizes["max"], sizes["per_decade"], unit)]


def replicate_blocks(scenario):
    """[start, stop) ranges of a scenario's replicates, one per simulate job."""
    total, size = replicates(scenario), config["replicates_per_job"]
    return [(start, min(start + size, total)) for start in range(0, total, size)]


def simulations(wildcards):
    return [
        f"results/simulations/{wildcards.scenario}/replicates_{start}-{stop}.npz"
        for start, stop in replicate_blocks(wildcards.scenario)
    ]


def scenario_spec(wildcards):
    return SPECS[wildcards.scenario]


def all_outputs():
    outputs = [f"results/tables/{table}.csv" for table in TABLES]
    # A sweep point's own figures only on request (point_figures): the sweep figure covers it.
    drawn = [s for s in SCENARIOS if s not in SWEEP_OF or SWEEP_OF[s].point_figures]
    outputs += [
        f"results/figures/{scenario}/{figure}.{ext}"
        for scenario in drawn
        for figure in FIGURES
        for ext in ("pdf", "png")
    ]
    outputs += [
        f"results/figures/{scenario}/identities.{ext}"
        for scenario in drawn
        if ESTIMANDS[scenario].identities
        for ext in ("pdf", "png")
    ]
    outputs += [f"results/figures/sweeps/{sweep}.{ext}" for sweep in SWEEPS for ext in ("pdf", "png")]
    return outputs


# Sweeps (rules in sweeps.smk).
def sweep_base_spec(wildcards):
    return config["scenarios"][SWEEPS[wildcards.sweep].scenario]


def sweep_curve_settings(wildcards):
    """What the exact curve of a sweep depends on: not the inner grid values, only their range."""
    sweep = SWEEPS[wildcards.sweep]
    return {
        "x": sweep.x,
        "range": [min(sweep.value_lists[sweep.x]), max(sweep.value_lists[sweep.x])],
        "points": sweep.curve_points,
        "series": mcloss.sweeps.series_values(sweep),
    }


def sweep_points(wildcards):
    """The sweep's points: scenario name and the values it sets."""
    return [{"scenario": p.name, "values": dict(p.values)} for p in SWEEPS[wildcards.sweep].points]


def sweep_tables(table):
    def inputs(wildcards):
        return [f"results/tables/scenarios/{p.name}/{table}.csv" for p in SWEEPS[wildcards.sweep].points]

    return inputs


def code(script):
    """A rule's `code` param: hash of the mcloss source its script runs (mcloss.codehash).

    Per scenario (or sweep), the hash covers the module of its estimand too, so that
    editing one estimand reruns that estimand's jobs and nothing else.
    """
    path = Path(workflow.basedir) / "workflow" / "scripts" / script

    def param(wildcards):
        scenario = getattr(wildcards, "scenario", None) or (
            SWEEPS[wildcards.sweep].scenario if hasattr(wildcards, "sweep") else None
        )
        modules = [type(ESTIMANDS[scenario]).__module__] if scenario is not None else []
        return source_hash(path, *modules)

    return param
