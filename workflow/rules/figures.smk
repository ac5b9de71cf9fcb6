rule figures:
    """Convergence, sample-path, CLT and zip figures of one scenario (PDF and PNG)."""

    # One job: the figures read the same simulations, and a plotting job's start-up (about 2.5 s of CPU) is paid once.
    input:
        simulations=simulations,
        exact=f"{RESULTS}/exact/{{scenario}}.json",
        summary=f"{RESULTS}/tables/scenarios/{{scenario}}/summary.csv",
        convergence=f"{RESULTS}/tables/scenarios/{{scenario}}/convergence.csv",
    output:
        **figure_outputs(identities=False),
    log:
        f"{RESULTS}/logs/figures/{{scenario}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/figures/{{scenario}}.tsv"
    wildcard_constraints:
        scenario=_alternatives([s for s in SCENARIOS if not ESTIMANDS[s].identities]),
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


use rule figures as figures_with_identities with:
    output:
        **figure_outputs(identities=True),
    wildcard_constraints:
        scenario=_alternatives([s for s in SCENARIOS if ESTIMANDS[s].identities]),
