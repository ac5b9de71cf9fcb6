rule summarise:
    """Performance measures with MCSEs, rate of convergence and identities of one scenario."""
    input:
        simulations=simulations,
        exact="results/exact/{scenario}.json",
    output:
        summary="results/tables/scenarios/{scenario}/summary.csv",
        convergence="results/tables/scenarios/{scenario}/convergence.csv",
        identities="results/tables/scenarios/{scenario}/identities.csv",
        exact_checks="results/tables/scenarios/{scenario}/exact_checks.csv",
    params:
        code=code("summarise.py"),
        spec=scenario_spec,
        seed=config["seed"],
        scenario_key=lambda wildcards: scenario_key(wildcards.scenario),
        slope_min_n=config["analysis"]["slope_min_n"],
        bootstrap=config["analysis"]["bootstrap"],
    log:
        "results/logs/summarise/{scenario}.log",
    benchmark:
        "results/benchmarks/summarise/{scenario}.tsv"
    resources:
        mem_mb=1000,
        runtime=10,
    threads: 1
    conda:
        "../envs/mcloss.yaml"
    script:
        "../scripts/summarise.py"


rule tables:
    """All scenarios' tables stacked, as CSV, Markdown and LaTeX."""
    input:
        expand("results/tables/scenarios/{scenario}/{{table}}.csv", scenario=SCENARIOS),
    output:
        csv=report(
            "results/tables/{table}.csv",
            caption="../report/tables.rst",
            category="Tables",
            labels={"table": "{table}"},
        ),
        markdown="results/tables/{table}.md",
        latex="results/tables/{table}.tex",
    wildcard_constraints:
        table="|".join(TABLES),
    params:
        code=code("tables.py"),
        scenarios=config["scenarios"],
        sweeps=config.get("sweeps") or {},
    log:
        "results/logs/tables/{table}.log",
    benchmark:
        "results/benchmarks/tables/{table}.tsv"
    resources:
        mem_mb=500,
        runtime=5,
    threads: 1
    conda:
        "../envs/mcloss.yaml"
    script:
        "../scripts/tables.py"
