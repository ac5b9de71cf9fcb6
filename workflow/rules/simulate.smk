rule simulate:
    """Running estimates of one block of replicates at every batch size (one pass per replicate)."""

    # A sweep's points are simulated by its sweep_points_* jobs (sweep_points.smk), several points a job.
    output:
        simulation=f"{RESULTS}/simulations/{{scenario}}/replicates_{{start}}-{{stop}}.npz",
        timing=f"{RESULTS}/simulations/{{scenario}}/replicates_{{start}}-{{stop}}.seconds.csv",
    log:
        f"{RESULTS}/logs/simulate/{{scenario}}/replicates_{{start}}-{{stop}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/simulate/{{scenario}}/replicates_{{start}}-{{stop}}.tsv"
    wildcard_constraints:
        scenario=_alternatives(BASE_SCENARIOS),
    conda:
        "../envs/mcloss.yaml"
    threads: 1
    resources:
        mem_mb=400,
        runtime=30,
    params:
        code=code("simulate.py"),
        spec=scenario_spec,
        seed=config["seed"],
        scenario_key=lambda wildcards: scenario_key(wildcards.scenario),
        grid=lambda wildcards: grid(wildcards.scenario),
        chunk_size=config["chunk_size"],
    script:
        "../scripts/simulate.py"
