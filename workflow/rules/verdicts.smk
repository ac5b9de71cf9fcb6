rule verdicts:
    """One verdict per scenario x quantity (mcloss.judge.verdicts) and the one-page summary of the run."""
    input:
        convergence=f"{RESULTS}/tables/convergence.csv",
        claims=f"{RESULTS}/claims.csv",
    output:
        csv=report(f"{RESULTS}/verdicts.csv", caption="../report/verdicts.rst", category="Claims"),
        markdown=f"{RESULTS}/verdicts.md",
        latex=f"{RESULTS}/verdicts.tex",
        summary=f"{RESULTS}/SUMMARY.md",
    log:
        f"{RESULTS}/logs/verdicts.log",
    benchmark:
        f"{RESULTS}/benchmarks/verdicts.tsv"
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
        run=RUN,
        figures=summary_figures(),
    script:
        "../scripts/verdicts.py"
