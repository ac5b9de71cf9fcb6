rule benchmarks:
    """Wall time, CPU time and peak memory per rule, summed over its jobs' benchmark files."""
    input:
        # Every other target of rule all: this job runs last, when every other job
        # has written its benchmark file (results/benchmarks/<rule>/...), which it reads.
        lambda wildcards: [path for path in rules.all.input if not path.startswith(f"{RESULTS}/tables/benchmarks.")],
    output:
        csv=f"{RESULTS}/tables/benchmarks.csv",
        markdown=f"{RESULTS}/tables/benchmarks.md",
        latex=f"{RESULTS}/tables/benchmarks.tex",
    log:
        f"{RESULTS}/logs/benchmarks.log",
    benchmark:
        f"{RESULTS}/benchmarks/benchmarks.tsv"
    conda:
        "../envs/mcloss.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        code=code("benchmarks.py"),
        directory=f"{RESULTS}/benchmarks",
    script:
        "../scripts/benchmarks.py"
