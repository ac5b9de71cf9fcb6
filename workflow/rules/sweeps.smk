# Cross-scenario figures of the sweeps (config `sweeps`); the points themselves
# are scenarios and run by the other rules.


rule sweep_curve:
    """Exact limits of a sweep's quantities on a dense grid of its x axis (quadrature at each x)."""
    output:
        f"{RESULTS}/sweeps/{{sweep}}/exact_curve.csv",
    log:
        f"{RESULTS}/logs/sweep_curve/{{sweep}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/sweep_curve/{{sweep}}.tsv"
    conda:
        "../envs/mcloss.yaml"
    threads: 1
    resources:
        mem_mb=300,
        runtime=20,
    params:
        code=code("sweep_curve.py"),
        spec=sweep_base_spec,
        curve=sweep_curve_settings,
    script:
        "../scripts/sweep_curve.py"


rule sweep_figure:
    """Over a sweep, by regime: what each point's verdict lets it show against the exact curve, its error, its rate."""
    input:
        curve=f"{RESULTS}/sweeps/{{sweep}}/exact_curve.csv",
        convergences=sweep_tables("convergence"),
    output:
        pdf=f"{RESULTS}/figures/sweeps/{{sweep}}.pdf",
        png=report(
            f"{RESULTS}/figures/sweeps/{{sweep}}.png",
            caption="../report/sweep.rst",
            category="Figures",
            subcategory="Sweeps",
            labels={"sweep": "{sweep}", "figure": "sweep"},
        ),
    log:
        f"{RESULTS}/logs/sweep_figure/{{sweep}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/sweep_figure/{{sweep}}.tsv"
    conda:
        "../envs/mcloss.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        code=code("sweep_figure.py"),
        scenario=lambda wildcards: SWEEPS[wildcards.sweep].scenario,
        spec=sweep_base_spec,
        x=lambda wildcards: SWEEPS[wildcards.sweep].x,
        x_scale=lambda wildcards: SWEEPS[wildcards.sweep].x_scale,
        quantities=lambda wildcards: list(SWEEPS[wildcards.sweep].quantities or []),
        points=sweep_points,
        common_random_numbers=lambda wildcards: SWEEPS[wildcards.sweep].common_random_numbers,
        seed=config["seed"],
        replicates=lambda wildcards: replicates(SWEEPS[wildcards.sweep].points[0].name),
        batch_sizes=lambda wildcards: batch_sizes(SWEEPS[wildcards.sweep].points[0].name),
    script:
        "../scripts/sweep_figure.py"
