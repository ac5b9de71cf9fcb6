rule run_config:
    """The resolved config of the run, with the command that gave it and the code version (mcloss.pipeline.runs)."""
    output:
        report(f"{RESULTS}/config.yaml", caption="../report/run_config.rst", category="Run"),
    log:
        f"{RESULTS}/logs/run_config.log",
    benchmark:
        f"{RESULTS}/benchmarks/run_config.tsv"
    conda:
        "../envs/mcloss.yaml"
    threads: 1
    resources:
        mem_mb=300,
        runtime=2,
    params:
        code=code("run_config.py"),
        config=config,
        command=RUN_COMMAND,
        version=mcloss.pipeline.runs.code_version(workflow.basedir),
    script:
        "../scripts/run_config.py"
