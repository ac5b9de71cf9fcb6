rule benchmarks:
    """Wall time, CPU time and peak memory per rule, summed over its jobs' benchmark files."""
    input:
        # Every other target of rule all: this job runs last, when every other job
        # has written its benchmark file (results/benchmarks/<rule>/...), which it reads.
        lambda wildcards: [path for path in rules.all.input if not path.startswith("results/tables/benchmarks.")],
    output:
        csv="results/tables/benchmarks.csv",
        markdown="results/tables/benchmarks.md",
        latex="results/tables/benchmarks.tex",
    log:
        "results/logs/benchmarks.log",
    benchmark:
        "results/benchmarks/benchmarks.tsv"
    conda:
        "../envs/mcloss.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        code=code("benchmarks.py"),
        directory="results/benchmarks",
    script:
        "../scripts/benchmarks.py"
