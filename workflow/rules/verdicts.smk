rule verdicts:
    """One verdict per scenario x quantity (mcloss.judge.verdicts) and the one-page summary of the run."""
    input:
        convergence="results/tables/convergence.csv",
        claims="results/claims.csv",
    output:
        csv=report("results/verdicts.csv", caption="../report/verdicts.rst", category="Claims"),
        markdown="results/verdicts.md",
        latex="results/verdicts.tex",
        summary="results/SUMMARY.md",
    log:
        "results/logs/verdicts.log",
    benchmark:
        "results/benchmarks/verdicts.tsv"
    conda:
        "../envs/mcloss.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        code=code("verdicts.py"),
        seed=config["seed"],
        replicates=config["replicates"],
        figures=summary_figures(),
    script:
        "../scripts/verdicts.py"
