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
    log:
        "results/logs/summarise/{scenario}.log",
    benchmark:
        "results/benchmarks/summarise/{scenario}.tsv"
    conda:
        "../envs/mcloss.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        code=code("summarise.py"),
        spec=scenario_spec,
        seed=config["seed"],
        scenario_key=lambda wildcards: scenario_key(wildcards.scenario),
        slope_min_n=config["analysis"]["slope_min_n"],
        bootstrap=config["analysis"]["bootstrap"],
    script:
        "../scripts/summarise.py"


rule tables:
    """The short tables of all scenarios stacked, as CSV, Markdown and LaTeX."""
    input:
        expand("results/tables/scenarios/{scenario}/{{table}}.csv", scenario=SCENARIOS),
    output:
        csv="results/tables/{table}.csv",
        markdown="results/tables/{table}.md",
        latex="results/tables/{table}.tex",
    log:
        "results/logs/tables/{table}.log",
    benchmark:
        "results/benchmarks/tables/{table}.tsv"
    wildcard_constraints:
        table="|".join(t for t in TABLES if t != "summary"),
    conda:
        "../envs/mcloss.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        code=code("tables.py"),
        scenarios=config["scenarios"],
        sweeps=config.get("sweeps") or {},
    script:
        "../scripts/tables.py"


rule summary_table:
    """The long summary table (one row per scenario x quantity x n): CSV and Markdown only, no LaTeX."""
    input:
        expand("results/tables/scenarios/{scenario}/summary.csv", scenario=SCENARIOS),
    output:
        # Not in the report: 1,100 rows would add about 0.5 MB to it; the compact tables are there.
        csv="results/tables/summary.csv",
        markdown="results/tables/summary.md",
    log:
        "results/logs/tables/summary.log",
    benchmark:
        "results/benchmarks/tables/summary.tsv"
    conda:
        "../envs/mcloss.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        code=code("tables.py"),
        scenarios=config["scenarios"],
        sweeps=config.get("sweeps") or {},
    script:
        "../scripts/tables.py"
