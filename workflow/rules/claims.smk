rule claims:
    """A verdict on each claim of the source texts, by the rules of mcloss.judge.claims."""
    input:
        summary="results/tables/summary.csv",
        convergence="results/tables/convergence.csv",
        identities="results/tables/identities.csv",
        exact_checks="results/tables/exact_checks.csv",
        exact=expand("results/exact/{scenario}.json", scenario=SCENARIOS),
        iid=expand("results/tables/scenarios/{scenario}/iid.csv", scenario=[s for s in SCENARIOS if s not in SWEEP_OF]),
    output:
        csv=report("results/claims.csv", caption="../report/claims.rst", category="Claims"),
        markdown="results/claims.md",
        iid_csv=report(
            "results/tables/iid.csv", caption="../report/iid.rst", category="Tables", labels={"table": "iid"}
        ),
        iid_markdown="results/tables/iid.md",
        iid_latex="results/tables/iid.tex",
    log:
        "results/logs/claims.log",
    benchmark:
        "results/benchmarks/claims.tsv"
    conda:
        "../envs/mcloss.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        code=code("claims.py"),
        assignment=config["claims"],
        scenarios=config["scenarios"],
        seed=config["seed"],
        replicates=config["replicates"],
        bases=iid_sweep_bases(),
    script:
        "../scripts/claims.py"
