# A sweep's points, several to a job (sweeps.<name>.points_per_job): each job simulates every replicate
# block of its points and writes, per point, the files the per-scenario rules would (simulations, exact
# values, tables), so the figures and tables downstream read them as any scenario's. One rule per job,
# with its files listed: editing one value of a sweep reruns the job that holds that point, not the sweep.
for _sweep, _start, _points in sweep_point_groups():
    _stop = _start + len(_points)

    rule:
        name:
            f"sweep_points_{rule_name(_sweep.name)}_{_start}"
        output:
            **sweep_points_outputs(_points),
        log:
            f"{RESULTS}/logs/sweep_points/{_sweep.name}/points_{_start}-{_stop}.log",
        benchmark:
            f"{RESULTS}/benchmarks/sweep_points/{_sweep.name}/points_{_start}-{_stop}.tsv"
        conda:
            "../envs/mcloss.yaml"
        threads: 1
        resources:
            mem_mb=1000,
            runtime=sweep_points_runtime(_points),
        params:
            code=sweep_points_code(_points),
            points=sweep_points_params(_points),
            seed=config["seed"],
            chunk_size=config["chunk_size"],
            slope_min_n=config["analysis"]["slope_min_n"],
            bootstrap=config["analysis"]["bootstrap"],
            tails=TAIL_SETTINGS,
        script:
            "../scripts/sweep_points.py"
