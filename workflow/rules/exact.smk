rule exact:
    """Exact limits of a scenario's quantities by quadrature, with their independent cross-checks."""
    output:
        "results/exact/{scenario}.json",
    log:
        "results/logs/exact/{scenario}.log",
    benchmark:
        "results/benchmarks/exact/{scenario}.tsv"
    conda:
        "../envs/mcloss.yaml"
    threads: 1
    resources:
        mem_mb=300,
        runtime=10,
    params:
        code=code("exact.py"),
        spec=scenario_spec,
    script:
        "../scripts/exact.py"
