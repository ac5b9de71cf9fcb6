rule claims:
    """A verdict on each claim of the source texts, by the rules of mcloss.judge.claims."""
    input:
        summary=f"{RESULTS}/tables/summary.csv",
        convergence=f"{RESULTS}/tables/convergence.csv",
        identities=f"{RESULTS}/tables/identities.csv",
        exact_checks=f"{RESULTS}/tables/exact_checks.csv",
        exact=expand(f"{RESULTS}/exact/{{scenario}}.json", scenario=SCENARIOS),
        iid=expand(
            f"{RESULTS}/tables/scenarios/{{scenario}}/iid.csv", scenario=[s for s in SCENARIOS if s not in SWEEP_OF]
        ),
    output:
        csv=report(f"{RESULTS}/claims.csv", caption="../report/claims.rst", category="Claims"),
        markdown=f"{RESULTS}/claims.md",
        iid_csv=report(
            f"{RESULTS}/tables/iid.csv", caption="../report/iid.rst", category="Tables", labels={"table": "iid"}
        ),
        iid_markdown=f"{RESULTS}/tables/iid.md",
        iid_latex=f"{RESULTS}/tables/iid.tex",
    log:
        f"{RESULTS}/logs/claims.log",
    benchmark:
        f"{RESULTS}/benchmarks/claims.tsv"
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
        run=RUN,
        bases=iid_sweep_bases(),
    script:
        "../scripts/claims.py"
