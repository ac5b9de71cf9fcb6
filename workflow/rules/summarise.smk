rule summarise:
    """Exact limits, MCSE summaries, rate of convergence, identities and i.i.d. check of one scenario."""

    # One job: all of it is cheap next to the sampling and reruns together.
    input:
        simulations=simulations,
    output:
        exact=f"{RESULTS}/exact/{{scenario}}.json",
        summary=f"{RESULTS}/tables/scenarios/{{scenario}}/summary.csv",
        convergence=f"{RESULTS}/tables/scenarios/{{scenario}}/convergence.csv",
        identities=f"{RESULTS}/tables/scenarios/{{scenario}}/identities.csv",
        exact_checks=f"{RESULTS}/tables/scenarios/{{scenario}}/exact_checks.csv",
        iid=f"{RESULTS}/tables/scenarios/{{scenario}}/iid.csv",
    log:
        f"{RESULTS}/logs/summarise/{{scenario}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/summarise/{{scenario}}.tsv"
    wildcard_constraints:
        scenario=_alternatives(BASE_SCENARIOS),
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
        replicates=lambda wildcards: replicates(wildcards.scenario),
        slope_min_n=config["analysis"]["slope_min_n"],
        bootstrap=config["analysis"]["bootstrap"],
        tails=TAIL_SETTINGS,
        iid=IID_SETTINGS,
    script:
        "../scripts/summarise.py"


rule tables:
    """The short tables of all scenarios stacked, as CSV, Markdown and LaTeX."""
    input:
        tables=expand(f"{RESULTS}/tables/scenarios/{{scenario}}/{{{{table}}}}.csv", scenario=SCENARIOS),
        sweep_point_simulations=sweep_point_simulations(),
    output:
        csv=f"{RESULTS}/tables/{{table}}.csv",
        markdown=f"{RESULTS}/tables/{{table}}.md",
        latex=f"{RESULTS}/tables/{{table}}.tex",
    log:
        f"{RESULTS}/logs/tables/{{table}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/tables/{{table}}.tsv"
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
        tables=expand(f"{RESULTS}/tables/scenarios/{{scenario}}/summary.csv", scenario=SCENARIOS),
        sweep_point_simulations=sweep_point_simulations(),
    output:
        # Not in the report: 1,100 rows would add about 0.5 MB to it; the compact tables are there.
        csv=f"{RESULTS}/tables/summary.csv",
        markdown=f"{RESULTS}/tables/summary.md",
    log:
        f"{RESULTS}/logs/tables/summary.log",
    benchmark:
        f"{RESULTS}/benchmarks/tables/summary.tsv"
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
