# The paper table and the overview figure (config `paper`), from results/verdicts.csv.
import mcloss.outputs.paper
from mcloss.estimands import REGISTRY

# Every quantity name an estimand has in some scenario (a scenario's options may add quantities).
_PAPER_QUANTITIES = {}
for _estimand in ESTIMANDS.values():
    _names = _PAPER_QUANTITIES.setdefault(_estimand.name, [])
    _names += [q.name for q in _estimand.quantities if q.name not in _names]
_PAPER_DEFAULTS = config_checks.load_schema(SCHEMA)["properties"]["paper"]["properties"]["quantities"]["default"]
try:
    mcloss.outputs.paper.check_config(config["paper"], _PAPER_QUANTITIES, list(REGISTRY), _PAPER_DEFAULTS)
except ConfigError as err:
    _config_exit(err)

# Sweep points are not scenario rows: each numeric sweep gets a block (mcloss.outputs.paper.select_sweeps).
PAPER_SCENARIOS = [s for s in SCENARIOS if s not in SWEEP_OF]


PAPER_SWEEPS = [
    {
        "name": name,
        "scenario": sweep.scenario,
        "x": sweep.x,
        "quantities": list(sweep.quantities or []) or None,
        "points": [paper_point(sweep, p) for p in sweep.points],
    }
    for name, sweep in SWEEPS.items()
    if sweep.x not in mcloss.pipeline.sweeps.CATEGORICAL_X
]


rule paper_table:
    """One row per scenario x headline quantity: exact, estimate, slope, coverage, verdict."""
    input:
        verdicts=f"{RESULTS}/verdicts.csv",
        convergence=f"{RESULTS}/tables/convergence.csv",
    output:
        csv=f"{RESULTS}/tables/paper.csv",
        markdown=f"{RESULTS}/tables/paper.md",
        latex=f"{RESULTS}/tables/paper.tex",
    log:
        f"{RESULTS}/logs/paper_table.log",
    benchmark:
        f"{RESULTS}/benchmarks/paper_table.tsv"
    conda:
        "../envs/mcloss.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        code=code("paper.py"),
        paper=config["paper"],
        scenarios=PAPER_SCENARIOS,
        sweeps=PAPER_SWEEPS,
        seed=config["seed"],
        replicates=config["replicates"],
    script:
        "../scripts/paper.py"


rule overview_figure:
    """Slope with CI against the theoretical rate and standardised error at n_max, every scenario x quantity."""
    input:
        verdicts=f"{RESULTS}/verdicts.csv",
    output:
        pdf=f"{RESULTS}/figures/overview.pdf",
        png=report(
            f"{RESULTS}/figures/overview.png",
            caption="../report/overview.rst",
            category="Figures",
            subcategory="All scenarios",
            labels={"figure": "overview"},
        ),
    log:
        f"{RESULTS}/logs/overview_figure.log",
    benchmark:
        f"{RESULTS}/benchmarks/overview_figure.tsv"
    conda:
        "../envs/mcloss.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        code=code("overview_figure.py"),
        paper=config["paper"],
        scenarios=PAPER_SCENARIOS,
        sweeps=PAPER_SWEEPS,
        seed=config["seed"],
        replicates=config["replicates"],
    script:
        "../scripts/overview_figure.py"
