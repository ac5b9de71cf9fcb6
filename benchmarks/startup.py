"""Start-up of each job kind (simulate, summarise, figures, tables): this checkout against a base commit.

    .venv/bin/python benchmarks/startup.py                  (base f9f24bc: about 5 minutes on 2 cores)
    .venv/bin/python benchmarks/startup.py --base none      (this checkout only)

The base commit is exported (``git archive``) into a scratch directory; both versions then run in this
environment, each through PYTHONPATH, interleaved round by round (so that load from other processes hits
both alike). For each job kind and version:

* ``script s``: wall time of a fresh interpreter importing what the rule's script imports at its top
  (its top-level ``import`` statements, read from ``workflow/scripts/<kind>.py``), median of ``--rounds``
  (7); ``python -c pass`` (the interpreter alone) is printed beside it.
* ``script imports``: the sum of the self times of ``python -X importtime`` over those imports (median).
* ``job imports``: the same sum over a whole job (median of ``--job-rounds``, 3, after one round that writes
  every job's inputs), run in a fresh interpreter: the script itself, with a stand-in for Snakemake's
  ``snakemake`` object, on a small scenario (``gan_balanced`` of configs/quick.yaml, 4 replicates, n up to
  1000), so that the imports its functions make while they run count too (a summarise job needs
  scipy.stats for its i.i.d. tests whatever it imports first). Snakemake's own
  preamble of a script job (it unpickles the ``snakemake`` object) is the same for both versions and is
  not included. ``-X importtime`` slows imports a little; the script column is measured without it.
  The three largest packages of the job imports (by self time) are listed per version.

A table per job kind goes to stdout with the CPU model; a JSON record to benchmarks/output/startup.json.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow" / "src"))

from default_run import export  # noqa: E402
from machine import cpu_model  # noqa: E402

KINDS = ("simulate", "summarise", "figures", "tables")
SCENARIO = "gan_balanced"
SPEC = {"estimand": "gan_discriminator", "data": {"dist": "norm", "loc": 0.0, "scale": 1.0},
        "generator": {"dist": "norm", "loc": 1.0, "scale": 1.0}, "discriminator": {"logit": [-0.5, 1.5]},
        "real_fraction": 0.5, "as_typeset": True}
ANALYSIS = {"slope_min_n": 10, "bootstrap": 50, "paths": 4, "tail_replicates": 2, "tail_samples": 1000,
            "iid_samples": 2000, "iid_alpha": 0.01, "iid_lags": 5}
FIGURES = ("convergence", "paths", "clt", "zip")
MARKER = "--- job starts ---"

# The child: a stand-in for Snakemake's object (attributes, items by name or position, keys()), then the script.
CHILD = r"""
import json, runpy, sys

class Named(list):
    def __init__(self, named=None, items=()):
        named = named or {}
        super().__init__([*items, *named.values()])
        self._named = dict(named)
    def __getattr__(self, name):
        try:
            return self._named[name]
        except KeyError:
            raise AttributeError(name) from None
    def __getitem__(self, key):
        return self._named[key] if isinstance(key, str) else super().__getitem__(key)
    def keys(self):
        return self._named.keys()
    def get(self, key, default=None):
        return self._named.get(key, default)

script, job, MARKER = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
snakemake = type("Snakemake", (), {})()
for part in ("params", "wildcards", "input", "output"):
    setattr(snakemake, part, Named(job[part]))
snakemake.log = Named(items=[job["log"]])
print(MARKER, file=sys.stderr, flush=True)
runpy.run_path(script, init_globals={"snakemake": snakemake}, run_name="__main__")
"""


def jobs(work: Path, key: list[int], grid: list[int]) -> dict[str, dict]:
    """The params, wildcards, inputs and outputs of one job of each kind, as the rules give them, in ``work``."""
    sim = str(work / "simulations" / "replicates_0-4.npz")
    tables = {name: str(work / "tables" / f"{name}.csv")
              for name in ("summary", "convergence", "identities", "exact_checks", "iid")}
    exact = str(work / "exact.json")
    figures = {f"{name}_{ext}": str(work / "figures" / f"{name}.{ext}") for name in FIGURES for ext in ("pdf", "png")
               if not (name == "zip" and ext == "png")}
    common = {"spec": SPEC, "seed": 20261122, "scenario_key": key}
    return {
        "simulate": {"params": {**common, "grid": grid, "chunk_size": 65536},
                     "wildcards": {"scenario": SCENARIO, "start": "0", "stop": "4"}, "input": {},
                     "output": {"simulation": sim, "timing": sim.replace(".npz", ".seconds.csv")}},
        "summarise": {"params": {**common, "replicates": 4, "slope_min_n": ANALYSIS["slope_min_n"],
                                 "bootstrap": ANALYSIS["bootstrap"],
                                 "tails": {"replicates": ANALYSIS["tail_replicates"],
                                           "samples": ANALYSIS["tail_samples"]},
                                 "iid": {"samples": ANALYSIS["iid_samples"], "alpha": ANALYSIS["iid_alpha"],
                                         "lags": ANALYSIS["iid_lags"], "bins": 50}},
                      "wildcards": {"scenario": SCENARIO}, "input": {"simulations": [sim]},
                      "output": {"exact": exact, **tables}},
        "figures": {"params": {**common, "replicates": 4, "batch_sizes": {"min": 1, "max": 1000, "per_decade": 4},
                               "analysis": ANALYSIS, "description": ""},
                    "wildcards": {"scenario": SCENARIO},
                    "input": {"simulations": [sim], "exact": exact, "summary": tables["summary"],
                              "convergence": tables["convergence"]},
                    "output": figures},
        "tables": {"params": {"scenarios": {SCENARIO: SPEC}, "sweeps": {}}, "wildcards": {"table": "convergence"},
                   "input": {"tables": [tables["convergence"]], "sweep_point_simulations": []},
                   "output": {name: str(work / "stacked" / f"convergence.{ext}")
                              for name, ext in (("csv", "csv"), ("markdown", "md"), ("latex", "tex"))}},
    }


def script_imports(script: Path) -> str:
    """The top-level import statements of a rule's script, as one program."""
    tree = ast.parse(script.read_text())
    return "\n".join(ast.unparse(node) for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom)))


def import_times(text: str) -> dict[str, float]:
    """Seconds of self import time per top-level package, from ``-X importtime`` lines."""
    found: dict[str, float] = defaultdict(float)
    for line in text.splitlines():
        if not line.startswith("import time:") or line.rstrip().endswith("imported package"):
            continue
        self_us, _, name = line.removeprefix("import time:").split("|")
        found[name.strip().split(".")[0]] += float(self_us) / 1e6
    return dict(found)


def env_for(tree: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(tree / "workflow" / "src"), "PYTHONDONTWRITEBYTECODE": "1"}


def timed(args: list[str], env: dict[str, str], log: Path | None = None) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    done = subprocess.run(args, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        said = "\n".join(line for line in (log.read_text() if log else done.stderr).splitlines()
                         if not line.startswith("import time:"))
        raise SystemExit(f"{' '.join(args[:3])} failed:\n{said[-3000:]}")
    return wall, done


def run_job(tree: Path, kind: str, job: dict, work: Path) -> dict[str, float]:
    """One job of ``kind`` in a fresh interpreter under -X importtime: self import seconds per package."""
    log = work / "logs" / f"{kind}.log"
    for path in [log, *job["output"].values()]:          # Snakemake makes the outputs' folders
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    _, done = timed([sys.executable, "-X", "importtime", "-c", CHILD, str(tree / "workflow" / "scripts" / f"{kind}.py"),
                     json.dumps({**job, "log": str(log)}), MARKER], env_for(tree), log)
    # Before the script's open_log the lines go to stderr (after the marker: the job's), then to its log.
    return import_times(done.stderr.partition(MARKER)[2] + log.read_text())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="f9f24bc", help="the commit to compare with (none: this checkout only)")
    parser.add_argument("--rounds", type=int, default=7, help="rounds of the script imports")
    parser.add_argument("--job-rounds", type=int, default=3, help="rounds of the whole jobs")
    parser.add_argument("--kinds", nargs="+", choices=KINDS, default=list(KINDS),
                        help="job kinds to time (a later kind reads the files an earlier one writes: keep the order)")
    args = parser.parse_args(argv)
    kinds = [kind for kind in KINDS if kind in args.kinds]

    from mcloss.laws.streams import scenario_key
    from mcloss.maths.grid import batch_grid

    key, grid = list(scenario_key(SCENARIO)), batch_grid(1, 1000, 4).tolist()
    scratch = Path(tempfile.mkdtemp(prefix="mcloss-startup-"))
    trees = {"this": ROOT} if args.base == "none" else {f"base {args.base}": export(args.base, scratch / "base"),
                                                         "this": ROOT}
    works = {name: scratch / f"work-{i}" for i, name in enumerate(trees)}
    script = {name: {kind: [] for kind in kinds} for name in trees}
    script_us = {name: {kind: [] for kind in kinds} for name in trees}
    job = {name: {kind: [] for kind in kinds} for name in trees}
    bare = []
    # Round 0 warms the caches and writes every job's inputs; the versions' order alternates from round to round.
    for round_ in range(max(args.rounds, args.job_rounds) + 1):
        bare.append(timed([sys.executable, "-c", "pass"], dict(os.environ))[0])
        for name, tree in (list(trees.items()) if round_ % 2 else list(trees.items())[::-1]):
            specs = jobs(works[name], key, grid)
            for kind in kinds:
                if 1 <= round_ <= args.rounds:
                    code = script_imports(tree / "workflow" / "scripts" / f"{kind}.py")
                    script[name][kind].append(timed([sys.executable, "-c", code], env_for(tree))[0])
                    traced = timed([sys.executable, "-X", "importtime", "-c", code], env_for(tree))[1]
                    script_us[name][kind].append(sum(import_times(traced.stderr).values()))
                if round_ <= args.job_rounds:
                    times = run_job(tree, kind, specs[kind], works[name])
                    if round_:
                        job[name][kind].append(times)

    print(f"CPU: {cpu_model()}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; Python "
          f"{platform.python_version()}; medians of {args.rounds} (script) and {args.job_rounds} (job) rounds; "
          "`python -c pass` "
          f"{statistics.median(bare[1:]):.3f} s")
    print(f"{'job':<10} {'version':<14} {'script s':>9} {'script imports':>15} {'job imports':>12}  largest in the job")
    record = {"machine": cpu_model(), "base": args.base, "rounds": args.rounds, "job_rounds": args.job_rounds,
              "python_pass_s": statistics.median(bare[1:]), "jobs": {}}
    for kind in kinds:
        for name in trees:
            packages = {p: statistics.median(t.get(p, 0.0) for t in job[name][kind])
                        for p in set().union(*job[name][kind])}
            total = statistics.median(sum(t.values()) for t in job[name][kind])
            largest = sorted(packages.items(), key=lambda item: -item[1])[:3]
            row = {"script_s": statistics.median(script[name][kind]),
                   "script_imports_s": statistics.median(script_us[name][kind]), "job_imports_s": total,
                   "largest": dict(largest)}
            record["jobs"].setdefault(kind, {})[name] = row
            print(f"{kind:<10} {name:<14} {row['script_s']:>9.3f} {row['script_imports_s']:>15.3f} "
                  f"{total:>12.3f}  " + ", ".join(f"{p} {s:.2f}" for p, s in largest))
    shutil.rmtree(scratch)
    out = ROOT / "benchmarks" / "output"
    out.mkdir(exist_ok=True)
    (out / "startup.json").write_text(json.dumps(record, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
