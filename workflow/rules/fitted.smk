rule fitted_tables:
    """Wald-interval coverage and first-order terms of every model trained on the batch (mcloss.evidence.fitted)."""
    input:
        simulations=simulation_files(FITTED),
        exact=expand(f"{RESULTS}/exact/{{scenario}}.json", scenario=FITTED),
    output:
        csv=f"{RESULTS}/tables/fitted.csv",
        markdown=f"{RESULTS}/tables/fitted.md",
        latex=f"{RESULTS}/tables/fitted.tex",
        first_order_csv=f"{RESULTS}/tables/fitted_first_order.csv",
        first_order_markdown=f"{RESULTS}/tables/fitted_first_order.md",
        first_order_latex=f"{RESULTS}/tables/fitted_first_order.tex",
    log:
        f"{RESULTS}/logs/fitted_tables.log",
    benchmark:
        f"{RESULTS}/benchmarks/fitted_tables.tsv"
    conda:
        "../envs/mcloss.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        code=code("fitted_tables.py"),
        scenarios=FITTED,
    script:
        "../scripts/fitted_tables.py"


rule fitted_figure:
    """Losses, first-order terms and Wald-interval coverage of one model trained on the batch (PDF and PNG)."""
    input:
        simulations=simulations,
        exact=f"{RESULTS}/exact/{{scenario}}.json",
    output:
        pdf=f"{RESULTS}/figures/{{scenario}}/fitted.pdf",
        png=report(
            f"{RESULTS}/figures/{{scenario}}/fitted.png",
            caption="../report/fitted.rst",
            category="Figures",
            subcategory="{scenario}",
            labels={"scenario": "{scenario}", "figure": "fitted"},
        ),
    log:
        f"{RESULTS}/logs/fitted_figure/{{scenario}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/fitted_figure/{{scenario}}.tsv"
    wildcard_constraints:
        scenario=_alternatives(FITTED),
    conda:
        "../envs/mcloss.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        code=code("fitted_figure.py"),
        spec=scenario_spec,
        seed=config["seed"],
        replicates=lambda wildcards: replicates(wildcards.scenario),
        batch_sizes=lambda wildcards: batch_sizes(wildcards.scenario),
    script:
        "../scripts/fitted_figure.py"


rule fitted_sweep_figure:
    """A sweep of a fitted scenario: n x the excess risk and the train gap against tr(J^-1 K)/2 at each point."""
    input:
        first_order=f"{RESULTS}/tables/fitted_first_order.csv",
        exact=lambda wildcards: [f"{RESULTS}/exact/{p.name}.json" for p in SWEEPS[wildcards.sweep].points],
    output:
        pdf=f"{RESULTS}/figures/sweeps/{{sweep}}_first_order.pdf",
        png=report(
            f"{RESULTS}/figures/sweeps/{{sweep}}_first_order.png",
            caption="../report/fitted_sweep.rst",
            category="Figures",
            subcategory="Sweeps",
            labels={"sweep": "{sweep}", "figure": "first order"},
        ),
    log:
        f"{RESULTS}/logs/fitted_sweep_figure/{{sweep}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/fitted_sweep_figure/{{sweep}}.tsv"
    wildcard_constraints:
        sweep=_alternatives(FITTED_SWEEPS),
    conda:
        "../envs/mcloss.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        code=code("fitted_sweep_figure.py"),
        scenario=lambda wildcards: SWEEPS[wildcards.sweep].scenario,
        x=lambda wildcards: SWEEPS[wildcards.sweep].x,
        points=sweep_points,
        seed=config["seed"],
        replicates=lambda wildcards: replicates(SWEEPS[wildcards.sweep].points[0].name),
    script:
        "../scripts/fitted_sweep_figure.py"
