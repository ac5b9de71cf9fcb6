# Rules with one benchmark file per sweep (benchmarks/<rule>/<sweep>.tsv).
SWEEP_RULES = ["sweep_curve", "sweep_figure", "plans_figure", "plan_efficiency", "fitted_sweep_figure"]


rule benchmarks:
    """Wall time, CPU time and peak memory per rule, summed over its jobs' benchmark files."""
    input:
        # Every other target of rule all: this job runs last, when every other job
        # has written its benchmark file (results/benchmarks/<rule>/...), which it reads.
        lambda wildcards: [path for path in rules.all.input if not path.startswith(f"{RESULTS}/tables/benchmarks.")],
    output:
        csv=f"{RESULTS}/tables/benchmarks.csv",
        markdown=f"{RESULTS}/tables/benchmarks.md",
        latex=f"{RESULTS}/tables/benchmarks.tex",
    log:
        f"{RESULTS}/logs/benchmarks.log",
    benchmark:
        f"{RESULTS}/benchmarks/benchmarks.tsv"
    conda:
        "../envs/mcloss.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        code=code("benchmarks.py"),
        directory=f"{RESULTS}/benchmarks",
        # The jobs of this config, for the rules with one benchmark file per scenario, sweep or block: a file
        # of a scenario or sweep the config no longer has lies beside them and is not counted.
        jobs={
            "simulate": [f"{s}/replicates_{a}-{b}" for s in BASE_SCENARIOS for a, b in replicate_blocks(s)],
            "summarise": BASE_SCENARIOS,
            "figures": drawn_scenarios(),
            "fitted_figure": [s for s in drawn_scenarios() if s in FITTED],
            "sweep_points": [f"{w.name}/points_{a}-{a + len(p)}" for w, a, p in sweep_point_groups()],
            **{rule: list(SWEEPS) for rule in SWEEP_RULES},
        },
    script:
        "../scripts/benchmarks.py"
