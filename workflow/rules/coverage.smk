rule coverage_table:
    """CLT-interval coverage at every n of every scenario with a finite-variance limit (mcloss.evidence.coverage)."""
    input:
        summary=f"{RESULTS}/tables/summary.csv",
        exact=expand(f"{RESULTS}/exact/{{scenario}}.json", scenario=SCENARIOS),
        iid=expand(
            f"{RESULTS}/tables/scenarios/{{scenario}}/iid.csv",
            scenario=[s for s in SCENARIOS if s not in SWEEP_OF],
        ),
    output:
        csv=f"{RESULTS}/tables/coverage.csv",
        markdown=f"{RESULTS}/tables/coverage.md",
        latex=f"{RESULTS}/tables/coverage.tex",
        excluded=f"{RESULTS}/tables/coverage_excluded.csv",
        excluded_markdown=f"{RESULTS}/tables/coverage_excluded.md",
        excluded_latex=f"{RESULTS}/tables/coverage_excluded.tex",
    log:
        f"{RESULTS}/logs/coverage_table.log",
    benchmark:
        f"{RESULTS}/benchmarks/coverage_table.tsv"
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
