# Sampling plans side by side (config key `sampling`, docs/sampling-plans.md): for every sweep that varies
# `sampling`, the efficiency of each plan relative to iid and one figure of RMSE against n per plan.


rule plan_efficiency:
    """RMSE, CPU time and efficiency 1/(MSE x time) relative to iid of each point of a sweep over sampling."""
    input:
        summaries=sweep_tables("summary"),
        timings=plan_timings,
    output:
        f"{RESULTS}/tables/plans/{{sweep}}/efficiency.csv",
    log:
        f"{RESULTS}/logs/plan_efficiency/{{sweep}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/plan_efficiency/{{sweep}}.tsv"
    conda:
        "../envs/mcloss.yaml"
    threads: 1
    resources:
        mem_mb=300,
        runtime=5,
    params:
        code=code("plan_efficiency.py"),
        points=sweep_points,
        scenario=lambda wildcards: SWEEPS[wildcards.sweep].scenario,
    script:
        "../scripts/plan_efficiency.py"


rule efficiency_table:
    """The efficiency rows of every sweep over sampling, as CSV, Markdown and LaTeX."""
    input:
        expand(f"{RESULTS}/tables/plans/{{sweep}}/efficiency.csv", sweep=PLAN_SWEEPS),
    output:
        # Not in the report (every n x plan, ~200 kB): the plans figures there show the same RMSEs.
        csv=f"{RESULTS}/tables/efficiency.csv",
        markdown=f"{RESULTS}/tables/efficiency.md",
        latex=f"{RESULTS}/tables/efficiency.tex",
    log:
        f"{RESULTS}/logs/tables/efficiency.log",
    benchmark:
        f"{RESULTS}/benchmarks/tables/efficiency.tsv"
    conda:
        "../envs/mcloss.yaml"
    threads: 1
    resources:
        mem_mb=300,
        runtime=5,
    params:
        code=code("efficiency_table.py"),
    script:
        "../scripts/efficiency_table.py"


rule plans_figure:
    """RMSE against n, one line per sampling plan with its 95% Monte Carlo band, fitted slope and exact line."""
    input:
        summaries=sweep_tables("summary"),
        convergences=sweep_tables("convergence"),
        exact=lambda wildcards: [f"{RESULTS}/exact/{p.name}.json" for p in SWEEPS[wildcards.sweep].points],
    output:
        # Only the PNG goes into the report (the PDF is for papers).
        pdf=f"{RESULTS}/figures/plans/{{sweep}}.pdf",
        png=report(
            f"{RESULTS}/figures/plans/{{sweep}}.png",
            caption="../report/plans.rst",
            category="Sampling plans",
            labels={"sweep": "{sweep}", "figure": "plans"},
        ),
    log:
        f"{RESULTS}/logs/plans_figure/{{sweep}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/plans_figure/{{sweep}}.tsv"
    conda:
        "../envs/mcloss.yaml"
    threads: 1
    resources:
        mem_mb=600,
        runtime=5,
    params:
        code=code("plans_figure.py"),
        points=sweep_points,
        scenario=lambda wildcards: SWEEPS[wildcards.sweep].scenario,
        spec=sweep_base_spec,
        quantities=lambda wildcards: list(SWEEPS[wildcards.sweep].quantities or []),
        seed=config["seed"],
        replicates=lambda wildcards: replicates(SWEEPS[wildcards.sweep].points[0].name),
        batch_sizes=lambda wildcards: batch_sizes(SWEEPS[wildcards.sweep].points[0].name),
    script:
        "../scripts/plans_figure.py"
