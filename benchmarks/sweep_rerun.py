"""What one edited value of a sweep costs to rerun, against the whole sweep (issue 24).

    .venv/bin/python benchmarks/sweep_rerun.py                     (4 points of 10+ s each; a few minutes)
    .venv/bin/python benchmarks/sweep_rerun.py --points-per-job 1  (one job a point)

A scratch config holds one sweep of ``--points`` values of the generator's location over a
gan_balanced-like scenario, each point sampling ``--replicates`` replicates up to ``--n-max`` (400 x 10^6
by default: 4 x 10^8 samples, about 10 s of one core at 17 to 30 ns a sample). Three runs in one scratch
directory, one after the other, each making only the sweep's point tables (its `sweep_points` jobs):

1. the whole sweep from scratch;
2. one inner value edited (the third point moved halfway towards the fourth);
3. one value inserted in the middle of the sweep.

Each run's seconds are the wall times `s` of the benchmark files of the `sweep_points` jobs it ran (the
files are removed before the next run). The Done-when of issue 24 is ``edit/whole <= 0.5``. The last line
is, exactly: ``whole_s=W.W edit_s=E.E insert_s=I.I edit/whole=R.RR insert/whole=S.SS``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]

from machine import cpu_model  # noqa: E402

from mcloss.evidence.jobstats import read_benchmark  # noqa: E402
from mcloss.pipeline.sweeps import expand_all  # noqa: E402


def scratch_config(values: list[float], replicates: int, n_max: int, points_per_job: int) -> dict:
    base = {"estimand": "gan_discriminator", "data": {"dist": "norm", "loc": 0.0, "scale": 1.0},
            "generator": {"dist": "norm", "loc": 1.0, "scale": 1.0}, "discriminator": {"logit": [-0.5, 1.5]},
            "real_fraction": 0.5}
    return {"seed": 1, "replicates": replicates, "replicates_per_job": replicates,
            "batch_sizes": {"min": 1, "max": n_max, "per_decade": 4},
            "analysis": {"bootstrap": 200, "tail_samples": 10000},
            "scenarios": {"base": base}, "claims": {},
            "sweeps": {"shift": {"scenario": "base", "vary": {"generator.loc": values}, "x": "generator.loc",
                                 "points_per_job": points_per_job}}}


def run(directory: Path, config: dict, cores: int) -> tuple[float, int, float]:
    """Make the sweep's point tables under ``config``; (sum of the sweep jobs' seconds, jobs, wall seconds)."""
    (directory / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    benchmarks = directory / "results" / "benchmarks" / "sweep_points"
    for old in benchmarks.rglob("*.tsv"):
        old.unlink()
    targets = [f"results/tables/scenarios/{p.name}/summary.csv" for p in expand_all(config)["shift"].points]
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"),
                             "--directory", str(directory), "--cores", str(cores), *targets],
                            capture_output=True, text=True)
    wall = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"snakemake failed:\n{result.stderr[-3000:]}")
    files = sorted(benchmarks.rglob("*.tsv"))
    return sum(float(read_benchmark(path)["s"]) for path in files), len(files), wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=4)
    parser.add_argument("--replicates", type=int, default=400)
    parser.add_argument("--n-max", type=int, default=1_000_000)
    parser.add_argument("--points-per-job", type=int, default=25)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--directory", type=Path, default=None, help="scratch directory (default: a temporary one)")
    args = parser.parse_args()
    print(f"machine: {cpu_model()}")
    values = [round(float(v), 6) for v in np.linspace(0.0, 2.0, args.points)]
    edited = list(values)
    edited[len(values) // 2] = round((values[len(values) // 2] + values[len(values) // 2 + 1]) / 2, 6)
    inserted = sorted(edited + [round((edited[0] + edited[1]) / 2, 6)])
    with tempfile.TemporaryDirectory(prefix="mcloss-sweep-rerun-") as scratch:
        directory = args.directory or Path(scratch)
        directory.mkdir(parents=True, exist_ok=True)
        seconds = {}
        for label, vals in (("whole", values), ("edit", edited), ("insert", inserted)):
            config = scratch_config(vals, args.replicates, args.n_max, args.points_per_job)
            seconds[label], jobs, wall = run(directory, config, args.cores)
            print(f"{label:6s} generator.loc={vals}: {jobs} sweep_points jobs, {seconds[label]:.1f} s in their "
                  f"benchmark files, {wall:.1f} s of wall time")
    whole = seconds["whole"]
    print(f"whole_s={whole:.1f} edit_s={seconds['edit']:.1f} insert_s={seconds['insert']:.1f} "
          f"edit/whole={seconds['edit'] / whole:.2f} insert/whole={seconds['insert'] / whole:.2f}")


if __name__ == "__main__":
    main()
