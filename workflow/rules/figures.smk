rule figures:
    """Convergence, sample-path and CLT figures of one scenario (PDF and PNG)."""
    input:
        simulations=simulations,
        exact="results/exact/{scenario}.json",
        summary="results/tables/scenarios/{scenario}/summary.csv",
        convergence="results/tables/scenarios/{scenario}/convergence.csv",
    output:
        # Only the PNG goes into the report (the PDF is for papers): one image per figure keeps it light.
        **{f"{figure}_pdf": f"results/figures/{{scenario}}/{figure}.pdf" for figure in FIGURES},
        **{
            f"{figure}_png": report(
                f"results/figures/{{scenario}}/{figure}.png",
                caption=f"../report/{figure}.rst",
                category="Figures",
                subcategory="{scenario}",
                labels={"scenario": "{scenario}", "figure": figure},
            )
            for figure in FIGURES
        },
    log:
        "results/logs/figures/{scenario}.log",
    benchmark:
        "results/benchmarks/figures/{scenario}.tsv"
    conda:
        "../envs/mcloss.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        code=code("figures.py"),
        spec=scenario_spec,
        seed=config["seed"],
        replicates=lambda wildcards: replicates(wildcards.scenario),
        batch_sizes=lambda wildcards: batch_sizes(wildcards.scenario),
        analysis=config["analysis"],
        description=lambda wildcards: ESTIMANDS[wildcards.scenario].describe(),
    script:
        "../scripts/figures.py"


rule identity_figure:
    """Quantities that must agree on every batch, drawn on the same axes (scenarios with identities)."""
    input:
        simulations=simulations,
        exact="results/exact/{scenario}.json",
    output:
        pdf="results/figures/{scenario}/identities.pdf",
        png=report(
            "results/figures/{scenario}/identities.png",
            caption="../report/identities.rst",
            category="Figures",
            subcategory="{scenario}",
            labels={"scenario": "{scenario}", "figure": "identities"},
        ),
    log:
        "results/logs/identity_figure/{scenario}.log",
    benchmark:
        "results/benchmarks/identity_figure/{scenario}.tsv"
    conda:
        "../envs/mcloss.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        code=code("identity_figure.py"),
        spec=scenario_spec,
        seed=config["seed"],
        replicates=lambda wildcards: replicates(wildcards.scenario),
        batch_sizes=lambda wildcards: batch_sizes(wildcards.scenario),
        analysis=config["analysis"],
        description=lambda wildcards: ESTIMANDS[wildcards.scenario].describe(),
    script:
        "../scripts/identity_figure.py"
