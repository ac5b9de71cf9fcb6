"""Wall time, job count and per-rule CPU of a whole pipeline run, old code against new, side by side.

    .venv/bin/python benchmarks/default_run.py                   (two full runs: ~15 min on 2 cores)
    .venv/bin/python benchmarks/default_run.py --baseline none   (this checkout only)
    .venv/bin/python benchmarks/default_run.py --config benchmarks/configs/quick-d54821a.yaml --baseline d54821a
                                                                 (the quick run against d54821a: ~2 min)

Each code version is exported (``git archive``) into its own scratch directory, given the same
config (default ``benchmarks/configs/8790d95.yaml``, the default config of commit 8790d95, so that
new default scenarios do not blur the comparison) and run from scratch with ``snakemake --cores N``,
one version after the other on this machine, in this environment (the exported package shadows the
installed one through PYTHONPATH). Printed per version: wall time, number of jobs, and CPU seconds
per rule summed over the jobs' benchmark files; then the ratio new/baseline of the wall times.

The last line is, exactly: ``wall_new/wall_baseline=X.XX`` (or ``wall_new=S`` without a baseline).
A JSON record goes to benchmarks/output/default_run-<config name>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow" / "src"))

from machine import cpu_model  # noqa: E402

from mcloss.evidence.jobstats import rule_totals  # noqa: E402


def export(revision: str | None, into: Path) -> Path:
    """The tree of ``revision`` (None: the working tree as committed plus local edits) in ``into``."""
    into.mkdir(parents=True)
    if revision is None:
        ignore = shutil.ignore_patterns(".git", ".venv", ".snakemake", "results", "__pycache__", "output")
        shutil.copytree(ROOT, into, ignore=ignore, dirs_exist_ok=True)
        return into
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", revision], capture_output=True,
                             check=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def run(tree: Path, config: Path, cores: int) -> dict:
    """One from-scratch pipeline run in ``tree``: wall seconds, jobs and per-rule CPU."""
    shutil.copy(config, tree / "config.yaml")
    env = {**os.environ, "PYTHONPATH": str(tree / "workflow" / "src")}
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "snakemake", "--cores", str(cores), "--quiet", "all"],
                            cwd=tree, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"snakemake failed in {tree}:\n{result.stderr[-3000:]}")
    table = rule_totals(tree / "results" / "benchmarks")
    rules = {row.rule: {"jobs": int(row.jobs), "cpu_s": float(row.cpu_time_s)} for row in table.itertuples()}
    return {"wall_s": wall, "jobs": rules.get("(all)", {}).get("jobs", 0), "rules": rules}




def report(name: str, measured: dict) -> None:
    print(f"\n{name}: wall {measured['wall_s']:.1f} s, {measured['jobs']} jobs")
    print(f"  {'rule':<22} {'jobs':>5} {'CPU s':>9}")
    for rule, row in measured["rules"].items():
        print(f"  {rule:<22} {row['jobs']:>5} {row['cpu_s']:>9.1f}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default=str(ROOT / "benchmarks" / "configs" / "8790d95.yaml"))
    parser.add_argument("--baseline", default="8790d95", help="git revision to compare with, or 'none'")
    parser.add_argument("--cores", type=int, default=2)
    args = parser.parse_args(argv)
    config = Path(args.config).resolve()
    print(f"machine: {cpu_model()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
          f"load average {os.getloadavg()[0]:.2f} at start; config {config.name}, --cores {args.cores}")
    record = {"machine": cpu_model(), "config": config.name, "cores": args.cores}
    with tempfile.TemporaryDirectory() as scratch:
        new = run(export(None, Path(scratch) / "new"), config, args.cores)
        report("this checkout", new)
        record["new"] = new
        if args.baseline != "none":
            old = run(export(args.baseline, Path(scratch) / "baseline"), config, args.cores)
            report(f"baseline {args.baseline}", old)
            record["baseline"] = old
    out = ROOT / "benchmarks" / "output"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"default_run-{config.stem}.json").write_text(json.dumps(record, indent=1))
    print(f"\nload average {os.getloadavg()[0]:.2f} at the end")
    if "baseline" in record:
        print(f"wall_new/wall_baseline={new['wall_s'] / record['baseline']['wall_s']:.2f}")
    else:
        print(f"wall_new={new['wall_s']:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
