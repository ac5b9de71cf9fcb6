rule coverage_table:
    """CLT-interval coverage at every n of every scenario with a finite-variance limit (mcloss.evidence.coverage)."""
    input:
        summary="results/tables/summary.csv",
        exact=expand("results/exact/{scenario}.json", scenario=SCENARIOS),
        iid=expand(
            "results/tables/scenarios/{scenario}/iid.csv",
            scenario=[s for s in SCENARIOS if s not in SWEEP_OF],
        ),
    output:
        csv="results/tables/coverage.csv",
        markdown="results/tables/coverage.md",
        latex="results/tables/coverage.tex",
        excluded="results/tables/coverage_excluded.csv",
        excluded_markdown="results/tables/coverage_excluded.md",
        excluded_latex="results/tables/coverage_excluded.tex",
    log:
        "results/logs/coverage_table.log",
    benchmark:
        "results/benchmarks/coverage_table.tsv"
    conda:
        "../envs/mcloss.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        code=code("coverage_table.py"),
        bases=iid_sweep_bases(),
    script:
        "../scripts/coverage_table.py"
