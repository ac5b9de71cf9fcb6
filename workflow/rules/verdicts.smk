rule verdicts:
    """One verdict per scenario x quantity (mcloss.verdicts) and the one-page summary of the run."""
    input:
        convergence="results/tables/convergence.csv",
        claims="results/claims.csv",
    output:
        csv=report("results/verdicts.csv", caption="../report/verdicts.rst", category="Claims"),
        markdown="results/verdicts.md",
        latex="results/verdicts.tex",
        summary="results/SUMMARY.md",
    params:
        seed=config["seed"],
        replicates=config["replicates"],
        figures=summary_figures(),
    log:
        "results/logs/verdicts.log",
    benchmark:
        "results/benchmarks/verdicts.tsv"
    resources:
        mem_mb=500,
        runtime=5,
    threads: 1
    conda:
        "../envs/mcloss.yaml"
    script:
        "../scripts/verdicts.py"
