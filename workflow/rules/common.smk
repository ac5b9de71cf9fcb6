# Configuration checks and the helpers every rule file uses.
import math
import re
import shlex
import sys
from pathlib import Path

from snakemake.utils import update_config, validate

import mcloss.laws.plans
import mcloss.laws.streams
import mcloss.pipeline.config as config_checks
import mcloss.pipeline.runs
import mcloss.pipeline.sweeps
import mcloss.simulate.fitting
from mcloss.errors import ConfigError
from mcloss.laws.plans import plan as sampling_plan
from mcloss.pipeline.codehash import source_hash
from mcloss.pipeline.project import replicate_blocks as project_blocks
from mcloss.pipeline.project import replicate_seconds, scenario_batch_sizes, scenario_grid, scenario_replicates

SCHEMA = str(Path(workflow.basedir) / "workflow" / "schemas" / "config.schema.yaml")

# Snakemake reads the values nested in --config 'key={...}' as strings; read them as YAML would.
_overrides = workflow.config_settings.overwrite_config or {}
update_config(config, config_checks.typed_overrides(_overrides))
# Numbers as the schema wants them (1e5 and 100000.0 where an integer is wanted), as `mcloss` reads them.
config_checks.normalise_numbers(config, SCHEMA)


def _shown(path):
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


# Where a value was set, for the error messages: the command line, the --configfile files (the last one
# wins), the workflow's config.yaml (unless --replace-workflow-config dropped it).
_cli_files = list(workflow.overwrite_configfiles or [])
# The workflow's own config files (config.yaml), as its `configfile:` directive read them.
_defaults = [path for path in workflow.configfiles[len(_cli_files) :] if Path(path).is_file()]
_replaced = bool(workflow.config_settings.replace_workflow_config and _overrides)
SOURCES = [("--config", config_checks.typed_overrides(dict(workflow.config_settings.config or {})))]
SOURCES += [(f"--configfile {_shown(path)}", config_checks.load_config_file(path)) for path in reversed(_cli_files)]
if not _replaced:
    SOURCES += [(_shown(path), config_checks.load_config_file(path)) for path in _defaults]
if _cli_files and _defaults and not _replaced and workflow.is_main_process:
    # Said once, at the start: the defaults' scenarios and sweeps stay in the run.
    print(
        f"mcloss: --configfile {', '.join(_shown(p) for p in _cli_files)} is merged into "
        f"{', '.join(_shown(p) for p in _defaults)} (its keys override, the defaults' scenarios and sweeps are "
        "kept); add --replace-workflow-config to run it alone",
        file=sys.stderr,
    )


def _config_exit(err):
    sys.exit(f"config error: {config_checks.source_hint(err, SOURCES)}")


# Fail before any job runs, with one line naming the key: the schema first
# (before defaults are filled in, so the message is about what the user wrote),
# then what only the estimands can check.
_problem = config_checks.schema_error(config, SCHEMA)
if _problem is not None:
    _config_exit(_problem)
validate(config, SCHEMA)
try:
    ESTIMANDS = config_checks.check(config, SCHEMA)
    # Sweeps: each grid point is a scenario of its own (mcloss.pipeline.sweeps), run by the same rules.
    SWEEPS, _point_estimands = mcloss.pipeline.sweeps.check(config)
except ConfigError as err:
    _config_exit(err)

ESTIMANDS.update(_point_estimands)
SPECS = dict(config["scenarios"])
SWEEP_OF = {}
for _sweep in SWEEPS.values():
    for _point in _sweep.points:
        SPECS[_point.name] = _point.spec
        SWEEP_OF[_point.name] = _sweep
RANDOM_NAMES = mcloss.pipeline.sweeps.random_names(SWEEPS)

SCENARIOS = list(SPECS)
# The config's own scenarios (not sweep points): one simulate job per replicate block, one summarise job each.
BASE_SCENARIOS = list(config["scenarios"])

# A run knows its config (mcloss.pipeline.runs): it writes to its own folder, RESULTS, and its config.yaml there.
# The command that gives this config: its --configfile files and --config values, not the other options.
RUN_COMMAND = shlex.join(
    ["snakemake", "--cores", "N"]
    + [arg for path in _cli_files for arg in ("--configfile", _shown(path))]
    + (["--replace-workflow-config"] if _replaced else [])
    + mcloss.pipeline.runs.config_args(dict(workflow.config_settings.config or {}))
)
try:
    mcloss.pipeline.runs.check_name(config["run_name"])
except ConfigError as err:
    _config_exit(err)
RESULTS = mcloss.pipeline.runs.folder(config["run_name"])
# What SUMMARY.md, claims.md and the report say of the run: its name, folder, config hash, regenerating command.
RUN = {
    "name": config["run_name"],
    "folder": RESULTS,
    "hash": mcloss.pipeline.runs.config_hash(config),
    "command": mcloss.pipeline.runs.rerun_command(RESULTS),
}
if workflow.is_main_process:
    _other = mcloss.pipeline.runs.other_run(RESULTS, BASE_SCENARIOS, RUN_COMMAND.replace(" --cores N", ""))
    if _other is None and any(arg.startswith("--report") for arg in sys.argv):
        _other = mcloss.pipeline.runs.stale_report(RESULTS, config)
    if _other is not None:
        _config_exit(_other)
try:
    # 128-bit stream keys; two scenarios drawing different numbers must not share one.
    KEYS = mcloss.laws.streams.unique_keys({name: RANDOM_NAMES.get(name, name) for name in SCENARIOS})
except ConfigError as err:
    _config_exit(err)
FIGURES = ["convergence", "paths", "clt"]
# Scenarios whose model is trained on each batch (a `fit` block): their fits run in mcloss.simulate.fitting.
FITTED = [s for s in SCENARIOS if mcloss.simulate.fitting.is_fitted(ESTIMANDS[s])]
# Sweeps of a fitted scenario over a numeric key: their first-order terms get a figure of their own.
FITTED_SWEEPS = [
    name
    for name, sweep in SWEEPS.items()
    if sweep.scenario in FITTED and sweep.x not in mcloss.pipeline.sweeps.CATEGORICAL_X
]
# What the i.i.d. check of a scenario reads (rule summarise); bins is fixed, the rest is config.
IID_SETTINGS = {
    "samples": config["analysis"]["iid_samples"],
    "alpha": config["analysis"]["iid_alpha"],
    "lags": config["analysis"]["iid_lags"],
    "bins": 50,
}
# The data's check of the declared tails (rules summarise, sweep_points: mcloss.evidence.tail_index).
TAIL_SETTINGS = {
    "replicates": config["analysis"]["tail_replicates"],
    "samples": config["analysis"]["tail_samples"],
}
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
    point of such a sweep uses the same streams), checked for collisions at parse time
    (mcloss.laws.streams.unique_keys). Shadows mcloss.laws.streams.scenario_key for the rules,
    which all call it with the scenario's name.
    """
    return KEYS[name]


def replicates(scenario):
    """Replicates of a scenario (the scenario, or else its sweep, may set its own; a sweep's wins)."""
    return scenario_replicates(config, SPECS[scenario], SWEEP_OF.get(scenario))


def batch_sizes(scenario):
    """min, max and per_decade of a scenario's batch sizes (sweep over scenario over the top level)."""
    return scenario_batch_sizes(config, SPECS[scenario], SWEEP_OF.get(scenario))


# What only the plans can check (an even chunk_size for antithetic pairs, a power of two for sobol).
try:
    mcloss.laws.plans.check_plans(ESTIMANDS, config["chunk_size"], batch_sizes)
except ConfigError as err:
    _config_exit(err)


def grid(scenario):
    """Batch sizes of a scenario, snapped to its estimand's unit (powers of two under sobol)."""
    sweep = SWEEP_OF.get(scenario)
    siblings = [ESTIMANDS[p.name] for p in sweep.points] if sweep is not None and "sampling" in sweep.keys else []
    return scenario_grid(batch_sizes(scenario), ESTIMANDS[scenario], siblings)


def replicate_blocks(scenario):
    """[start, stop) ranges of a scenario's replicates, one per simulate job (replicates_per_job: a number, or
    auto: about 20 s of sampling a job, a pure function of the config; mcloss.pipeline.project)."""
    seconds = replicate_seconds(ESTIMANDS[scenario], grid(scenario))
    return project_blocks(replicates(scenario), config["replicates_per_job"], seconds)


def simulation_files(scenarios, suffix=".npz"):
    """The files of every replicate block of ``scenarios``, named as the simulate rule names them; with
    suffix ".seconds.csv", their CPU-time side files."""
    return [
        f"{RESULTS}/simulations/{scenario}/replicates_{start}-{stop}{suffix}"
        for scenario in scenarios
        for start, stop in replicate_blocks(scenario)
    ]


def simulations(wildcards):
    return simulation_files([wildcards.scenario])


def scenario_spec(wildcards):
    return SPECS[wildcards.scenario]


def drawn_scenarios():
    """Scenarios with figures of their own: a sweep point only on request (point_figures), the sweep figure covers it."""
    return [s for s in SCENARIOS if s not in SWEEP_OF or SWEEP_OF[s].point_figures]


def all_outputs():
    outputs = [f"{RESULTS}/tables/{table}.csv" for table in TABLES]
    drawn = drawn_scenarios()
    outputs += [
        f"{RESULTS}/figures/{scenario}/{figure}.{ext}"
        for scenario in drawn
        for figure in FIGURES
        for ext in ("pdf", "png")
    ]
    outputs += [
        f"{RESULTS}/figures/{scenario}/identities.{ext}"
        for scenario in drawn
        if ESTIMANDS[scenario].identities
        for ext in ("pdf", "png")
    ]
    outputs += [
        f"{RESULTS}/figures/sweeps/{sweep}.{ext}"
        for sweep in SWEEPS
        if SWEEPS[sweep].x not in mcloss.pipeline.sweeps.CATEGORICAL_X
        for ext in ("pdf", "png")
    ]
    # Zip plots of the CLT interval (rule figures); a scenario without a finite-variance limit gets a
    # figure saying so, since which limits exist is known only after rule summarise has run.
    outputs += [f"{RESULTS}/figures/{scenario}/zip.{ext}" for scenario in drawn for ext in ("pdf", "png")]
    outputs += [f"{RESULTS}/tables/coverage.csv"]
    if FITTED:
        outputs += [f"{RESULTS}/tables/fitted.csv", f"{RESULTS}/tables/fitted_first_order.csv"]
        outputs += [f"{RESULTS}/figures/{s}/fitted.{ext}" for s in drawn if s in FITTED for ext in ("pdf", "png")]
        outputs += [f"{RESULTS}/figures/sweeps/{s}_first_order.{ext}" for s in FITTED_SWEEPS for ext in ("pdf", "png")]
    outputs += plan_outputs()
    return outputs


def figure_outputs(identities):
    """The files of the figures rules (FIGURES and the zip plot of a scenario; its identity figure if it has one)."""
    names = FIGURES + (["identities"] if identities else [])
    outputs = {f"{name}_pdf": f"{RESULTS}/figures/{{scenario}}/{name}.pdf" for name in names + ["zip"]}
    # Only the PNG goes into the report (the PDF is for papers): one image per figure keeps it light.
    outputs |= {
        f"{name}_png": report(
            f"{RESULTS}/figures/{{scenario}}/{name}.png",
            caption=f"../report/{name}.rst",
            category="Figures",
            subcategory="{scenario}",
            labels={"scenario": "{scenario}", "figure": name},
        )
        for name in names
    }
    # Not in the report: 400 ranked intervals per panel make dense images (~120 kB each), and the report
    # stays under 8 MB with the coverage table (coverage.csv) standing for them.
    outputs["zip_png"] = f"{RESULTS}/figures/{{scenario}}/zip.png"
    return outputs


def summary_figures():
    """Per drawn scenario, (figure name, path relative to results/) for the links in SUMMARY.md."""
    drawn = drawn_scenarios()
    found = {s: [(figure, f"figures/{s}/{figure}.png") for figure in FIGURES] for s in drawn}
    for s in drawn:
        if s in FITTED:
            found[s].append(("fitted", f"figures/{s}/fitted.png"))
    for sweep in SWEEPS:
        # A sweep over `sampling` (categorical x) is drawn by the plans figure, the others by the sweep figure.
        figure = f"figures/plans/{sweep}.png" if sweep in PLAN_SWEEPS else f"figures/sweeps/{sweep}.png"
        for point in SWEEPS[sweep].points:
            found.setdefault(point.name, [("sweep", figure)])
    return found


def iid_sweep_bases():
    """Sweep point -> its base scenario, for the points whose streams draw i.i.d. (no antithetic/Sobol' plan):
    they inherit the base's i.i.d. check in the coverage claim (mcloss.evidence.coverage.independent_scenarios)."""
    return {
        point.name: sweep.scenario
        for sweep in SWEEPS.values()
        for point in sweep.points
        if sampling_plan(ESTIMANDS[point.name]) in ("iid", "control_variate")
    }


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
        "series": mcloss.pipeline.sweeps.series_values(sweep),
        # Only when set: a sweep that leaves the default keeps its curve (and its params) as before.
        **({"scale": sweep.x_scale} if sweep.x_scale != "auto" else {}),
    }


def sweep_points(wildcards):
    """The sweep's points: scenario name and the values it sets."""
    return [{"scenario": p.name, "values": dict(p.values)} for p in SWEEPS[wildcards.sweep].points]


def sweep_tables(table):
    def inputs(wildcards):
        return [f"{RESULTS}/tables/scenarios/{p.name}/{table}.csv" for p in SWEEPS[wildcards.sweep].points]

    return inputs


# Sampling plans (rules in plans.smk): the sweeps that vary `sampling`.
PLAN_SWEEPS = [name for name, sweep in SWEEPS.items() if "sampling" in sweep.keys]


def plan_timings(wildcards):
    """The per-replicate CPU time files of every point of a sweep."""
    return simulation_files([p.name for p in SWEEPS[wildcards.sweep].points], ".seconds.csv")


def plan_outputs():
    """The efficiency table and one figure per sweep over sampling (none without such a sweep)."""
    if not PLAN_SWEEPS:
        return []
    return [f"{RESULTS}/tables/efficiency.{ext}" for ext in ("csv", "md", "tex")] + [
        f"{RESULTS}/figures/plans/{sweep}.{ext}" for sweep in PLAN_SWEEPS for ext in ("pdf", "png")
    ]


def _estimand_modules(scenario):
    """The modules of a scenario's estimand (a sampling plan wraps one: mcloss.laws.plans.Planned; both count)."""
    modules = []
    estimand = ESTIMANDS.get(scenario) if scenario is not None else None
    while estimand is not None:
        modules.append(type(estimand).__module__)
        estimand = estimand.__dict__.get("base")
    return modules


def _script(script):
    return Path(workflow.basedir) / "workflow" / "scripts" / script


def code(script):
    """A rule's `code` param: hash of the mcloss source its script runs (mcloss.pipeline.codehash).

    Per scenario (or sweep), the hash covers the module of its estimand too, so that
    editing one estimand reruns that estimand's jobs and nothing else.
    """

    def param(wildcards):
        scenario = getattr(wildcards, "scenario", None) or (
            SWEEPS[wildcards.sweep].scenario if hasattr(wildcards, "sweep") else None
        )
        return source_hash(_script(script), *_estimand_modules(scenario))

    return param


# Sweep points (rules in sweep_points.smk): consecutive points of a sweep, points_per_job to a job.
def sweep_point_groups():
    """(sweep, index of its first point, its points) for each sweep_points job."""
    groups = []
    for sweep in SWEEPS.values():
        size = sweep.points_per_job
        groups += [(sweep, start, sweep.points[start : start + size]) for start in range(0, len(sweep.points), size)]
    return groups


def sweep_points_code(points):
    """The `code` param of a sweep_points job: its script and the estimand modules of its points."""
    modules = sorted({m for point in points for m in _estimand_modules(point.name)})
    return source_hash(_script("sweep_points.py"), *modules)


def sweep_points_params(points):
    """What each point of a sweep_points job needs: its spec, stream key, batch sizes and replicate blocks, and
    the hash of the code the job runs for it (its estimand's module, not its neighbours'), which keys the cache
    of finished points with the rest (mcloss.pipeline.point_cache)."""
    return [
        {
            "scenario": point.name,
            "code": source_hash(_script("sweep_points.py"), *_estimand_modules(point.name)),
            "spec": SPECS[point.name],
            "scenario_key": scenario_key(point.name),
            "grid": grid(point.name),
            "blocks": [list(block) for block in replicate_blocks(point.name)],
        }
        for point in points
    ]


def sweep_points_outputs(points):
    """The per-point files of a sweep_points job, as the per-scenario rules name them (point after point)."""
    names = [p.name for p in points]
    outputs = {
        "simulations": simulation_files(names),
        "timings": simulation_files(names, ".seconds.csv"),
        "exact": [f"{RESULTS}/exact/{p.name}.json" for p in points],
    }
    for table in TABLES:
        outputs[table] = [f"{RESULTS}/tables/scenarios/{p.name}/{table}.csv" for p in points]
    return outputs


def sweep_point_simulations():
    """Every simulation file of every sweep point, for the stacked tables to list among their inputs.

    Their scripts do not read them: they are listed so that a block a point lacks (more replicates) reruns
    the point's sweep_points job, whose tables exist already; Snakemake looks only at the outputs that a
    later job asks for.
    """
    return simulation_files([point.name for sweep in SWEEPS.values() for point in sweep.points])


def rule_name(text):
    """``text`` made fit for a rule name (letters, digits and _ kept; any other character as _x<hex>_)."""
    return re.sub(r"[^A-Za-z0-9_]", lambda match: f"_x{ord(match.group()):02x}_", text)


def sweep_points_runtime(points):
    """Minutes of a sweep_points job: 10, plus six times its sampling at 30 ns a sample (benchmarks/run.py
    measures about 17 ns on one core; the factor 6 is simulate's own margin: 30 minutes for 100 replicates
    at n = 10^8), plus a minute per point for the exact values and summaries."""
    samples = sum(replicates(p.name) * grid(p.name)[-1] for p in points)
    return 10 + len(points) + math.ceil(6 * samples * 30e-9 / 60)


_names = {}
for _sweep in SWEEPS.values():
    _name = f"sweep_points_{rule_name(_sweep.name)}"
    if _name in _names:
        sys.exit(
            f"config error: sweeps {_names[_name]!r} and {_sweep.name!r} give the same rule names (rename one); "
            "allowed: sweep names that differ in more than _ . -"
        )
    _names[_name] = _sweep.name


def paper_point(sweep, point):
    """A sweep point as the paper table's sweep block reads it (mcloss.outputs.paper.select_sweeps)."""
    values = dict(point.values)
    return {"scenario": point.name, "x": values[sweep.x], "values": values}
