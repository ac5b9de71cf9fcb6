rule exact:
    """Exact limits of a scenario's quantities by quadrature, with their independent cross-checks."""
    output:
        "results/exact/{scenario}.json",
    params:
        code=code("exact.py"),
        spec=scenario_spec,
    log:
        "results/logs/exact/{scenario}.log",
    benchmark:
        "results/benchmarks/exact/{scenario}.tsv"
    resources:
        mem_mb=300,
        runtime=10,
    threads: 1
    conda:
        "../envs/mcloss.yaml"
    script:
        "../scripts/exact.py"
