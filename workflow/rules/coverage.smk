rule coverage_table:
    """Coverage of the CLT interval at every n of every scenario with a finite-variance limit (mcloss.coverage)."""
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


rule zip_plot:
    """Zip plots (Morris et al. 2019) of the CLT interval at a small n and at the largest n."""
    input:
        simulations=simulations,
        exact="results/exact/{scenario}.json",
    output:
        # Not in the report: 400 ranked intervals per panel make dense images (~120 kB each), and the report
        # stays under 8 MB with the coverage table (coverage.csv) standing for them.
        pdf="results/figures/{scenario}/zip.pdf",
        png="results/figures/{scenario}/zip.png",
    log:
        "results/logs/zip_plot/{scenario}.log",
    benchmark:
        "results/benchmarks/zip_plot/{scenario}.tsv"
    conda:
        "../envs/mcloss.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        code=code("zip_plot.py"),
        spec=scenario_spec,
        seed=config["seed"],
        replicates=lambda wildcards: replicates(wildcards.scenario),
        batch_sizes=lambda wildcards: batch_sizes(wildcards.scenario),
    script:
        "../scripts/zip_plot.py"
