# Configuration checks and the helpers every rule file uses.
import sys
from pathlib import Path

from snakemake.utils import validate

import mcloss.config as config_checks
from mcloss.errors import ConfigError
from mcloss.grid import batch_grid
from mcloss.streams import scenario_key

SCHEMA = str(Path(workflow.basedir) / "workflow" / "schemas" / "config.schema.yaml")

# Fail before any job runs, with one line naming the key: the schema first
# (before defaults are filled in, so the message is about what the user wrote),
# then what only the estimands can check.
_problem = config_checks.schema_error(config, SCHEMA)
if _problem is not None:
    sys.exit(f"config error: {_problem}")
validate(config, SCHEMA)
try:
    ESTIMANDS = config_checks.check(config, SCHEMA)
except ConfigError as err:
    sys.exit(f"config error: {err}")

SCENARIOS = list(config["scenarios"])
FIGURES = ["convergence", "paths", "clt"]
TABLES = ["summary", "convergence", "identities", "exact_checks"]


wildcard_constraints:
    scenario="|".join(SCENARIOS) or "NONE",
    start=r"\d+",
    stop=r"\d+",


def grid(scenario):
    """Batch sizes of a scenario, snapped to its estimand's unit."""
    sizes = config["batch_sizes"]
    unit = ESTIMANDS[scenario].batch_unit
    return [int(n) for n in batch_grid(sizes["min"], sizes["max"], sizes["per_decade"], unit)]


def replicate_blocks():
    """[start, stop) ranges of replicates, one per simulate job."""
    total, size = config["replicates"], config["replicates_per_job"]
    return [(start, min(start + size, total)) for start in range(0, total, size)]


def simulations(wildcards):
    return [
        f"results/simulations/{wildcards.scenario}/replicates_{start}-{stop}.npz"
        for start, stop in replicate_blocks()
    ]


def scenario_spec(wildcards):
    return config["scenarios"][wildcards.scenario]


def all_outputs():
    outputs = [f"results/tables/{table}.csv" for table in TABLES]
    outputs += [
        f"results/figures/{scenario}/{figure}.{ext}"
        for scenario in SCENARIOS
        for figure in FIGURES
        for ext in ("pdf", "png")
    ]
    outputs += [
        f"results/figures/{scenario}/identities.{ext}"
        for scenario in SCENARIOS
        if ESTIMANDS[scenario].identities
        for ext in ("pdf", "png")
    ]
    return outputs
