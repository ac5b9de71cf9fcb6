"""What a point of a large sweep costs beyond its own sampling: planning, job start-up and aggregation.

    .venv/bin/python benchmarks/sweep_overhead.py                 (200 points; a few minutes on 2 cores)
    .venv/bin/python benchmarks/sweep_overhead.py --points 50

A scratch config holds one sweep of ``--points`` values of the generator's location over a
gan_balanced-like scenario, with little sampling per point (``--replicates`` replicates up to
``--n-max``), so that what is measured is the pipeline around the sampling. Measured, one after the
other on this machine: the dry run's wall time (``snakemake -n``), the full run's wall time and its
jobs' CPU (benchmark files), and the sampling itself: the same replicates through
``mcloss.simulate.engine.simulate`` in this process. Per point: wall beyond sampling = (wall - sampling /
cores) / points, CPU beyond sampling = (CPU of all jobs - sampling) / points.

The last line is, exactly: ``dry_run_s=X.X wall_per_point_s=Y.YYY cpu_per_point_s=Z.ZZZ``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]

from machine import cpu_model  # noqa: E402

from mcloss.estimands import build  # noqa: E402
from mcloss.evidence.jobstats import rule_totals  # noqa: E402
from mcloss.laws.streams import scenario_key  # noqa: E402
from mcloss.maths.grid import batch_grid  # noqa: E402
from mcloss.pipeline.sweeps import check as expand_sweeps  # noqa: E402
from mcloss.simulate.engine import simulate  # noqa: E402


def scratch_config(points: int, replicates: int, n_max: int) -> dict:
    base = {"estimand": "gan_discriminator", "data": {"dist": "norm", "loc": 0.0, "scale": 1.0},
            "generator": {"dist": "norm", "loc": 1.0, "scale": 1.0}, "discriminator": {"logit": [-0.5, 1.5]},
            "real_fraction": 0.5}
    values = [round(float(v), 6) for v in np.linspace(-2.0, 2.0, points)]
    return {"seed": 1, "replicates": replicates, "replicates_per_job": replicates,
            "batch_sizes": {"min": 1, "max": n_max, "per_decade": 4},
            "scenarios": {"base": base}, "claims": {},
            "sweeps": {"big": {"scenario": "base", "vary": {"generator.loc": values}, "x": "generator.loc"}}}


def snakemake(directory: Path, *args: str) -> float:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"),
                             "--directory", str(directory), *args], capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"snakemake {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return time.perf_counter() - started


def sampling_seconds(config: dict) -> float:
    """CPU seconds of the engine alone on every point's replicates (what the simulate jobs sample)."""
    sweeps, _ = expand_sweeps(config)
    started = time.process_time()
    sizes = config["batch_sizes"]
    for sweep in sweeps.values():
        for point in sweep.points:
            estimand = build(point.spec, f"sweeps.{sweep.name}")
            grid = batch_grid(sizes["min"], sizes["max"], sizes["per_decade"], estimand.batch_unit)
            simulate(estimand, grid, range(config["replicates"]), config["seed"], scenario_key(point.name))
    return time.process_time() - started


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=200)
    parser.add_argument("--replicates", type=int, default=20)
    parser.add_argument("--n-max", type=int, default=1000)
    parser.add_argument("--cores", type=int, default=2)
    args = parser.parse_args(argv)
    config = scratch_config(args.points, args.replicates, args.n_max)
    print(f"machine: {cpu_model()}, {os.cpu_count()} CPUs; load average "
          f"{os.getloadavg()[0]:.2f} at start; {args.points} points x {args.replicates} replicates up to "
          f"n = {args.n_max}, --cores {args.cores}")
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        (directory / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
        dry = snakemake(directory, "-n", "--quiet")
        wall = snakemake(directory, "--cores", str(args.cores), "--quiet")
        totals = rule_totals(directory / "results" / "benchmarks")
        print(f"  {'rule':<22} {'jobs':>5} {'CPU s':>9}")
        for row in totals.itertuples():
            print(f"  {row.rule:<22} {row.jobs:>5} {row.cpu_time_s:>9.1f}")
        jobs = int(totals.jobs.iloc[-1])
        cpu = float(totals.cpu_time_s.iloc[-1])
    sampling = sampling_seconds(config)
    wall_point = (wall - sampling / args.cores) / args.points
    cpu_point = (cpu - sampling) / args.points
    print(f"dry run {dry:.1f} s; run {wall:.1f} s wall, {jobs} jobs, {cpu:.1f} s CPU; sampling alone {sampling:.2f} s")
    print(f"per point beyond sampling: {wall_point:.3f} s wall (target <= 0.3), {cpu_point:.3f} s CPU; "
          f"dry run {'<' if dry < 10 else '>='} 10 s (target < 10)")
    print(f"load average {os.getloadavg()[0]:.2f} at the end")
    print(f"dry_run_s={dry:.1f} wall_per_point_s={wall_point:.3f} cpu_per_point_s={cpu_point:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
