"""Speed and memory of the one-pass engine against its floor and the naive way.

    .venv/bin/python benchmarks/run.py            (about 20 s; see README, "Performance")

On one scenario of config.yaml (default ``gan_balanced``), one replicate at a time,
in one process and one thread:

* ``rng_only``: the scenario's samples alone: the same sampler calls with the same
  chunking as the engine, values discarded. The floor: no engine can be faster.
* ``engine``:   ``mcloss.simulate.engine.simulate`` on the same draws: losses, running sums and
  the checkpoint statistics at every batch size of the grid.
* ``naive``:    what tutorials do: a fresh sample at every batch size of the grid
  (one sampler call per stream and n), its per-sample losses (the estimand's own
  ``terms``, so the loss code is the same), mean and variance with numpy.
* ``exp_log``:  for reference only, one ``np.exp`` and one ``np.log`` per sample on
  preallocated chunk-sized arrays: what any numerically sound log-sigmoid costs at
  least (a log D needs an exponential and a logarithm), whatever the engine around it.

The three are interleaved (the order rotates from round to round) and each is
summarised by its median over rounds, so that a burst of load from other processes
hits all of them alike. Then each of ``--peak-n`` runs as its own subprocess, one
replicate block of one replicate with the grid up to that n, as a pipeline job does
(simulate, then save), and its peak resident set size is read from the kernel
(``os.wait4`` rusage of that child).

The floor of a sound engine is one draw plus one exp and one log per sample, so the
engine's target is stated against ``rng_only + exp_log`` measured in the same run (a CPU
with AVX-512 vectorises float64 exp/log and one without does not: a ratio to the floor
measured side by side holds on both). ``naive/engine`` is printed next to its bound:
re-sampling at every grid point draws sum(grid) samples against the engine's n_max.
``--compare`` scenarios (default ``gan_optimal``) run the engine interleaved with the main
scenario's, as simulate CPU per replicate relative to it.

numpy picks its exp/log kernels by CPU at run time (``numpy.lib.introspect.opt_func_info``): AVX-512
(X86_V4) or AVX2 (X86_V3). On an AVX-512 machine the timings are then repeated in a child process with
``NPY_DISABLE_CPU_FEATURES=X86_V4``, so that numpy runs its AVX2 kernels, and the engine's ratio to the
floor is printed for that family too (``--no-avx2``: skip it). Same CPU, other kernels: what an AVX2
machine's numpy does, not a stand-in for its caches and clocks.

The last line is, exactly:
``engine/rng_only=X.XX naive/engine=Y.YY peak_mb_growth=Z.ZZ engine/(rng+exp_log)=W.WW``
(peak_mb_growth: peak RSS at the largest --peak-n over the peak at the smallest).
A JSON record of the run goes to benchmarks/output/latest.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# One thread, whatever the machine: no library may fan out behind our back.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import yaml  # noqa: E402
from machine import cpu_model, exp_log_kernels  # noqa: E402

from mcloss.estimands import TermStats, build  # noqa: E402
from mcloss.laws.streams import scenario_key, stream_rng  # noqa: E402
from mcloss.maths.grid import batch_grid  # noqa: E402
from mcloss.pipeline.scripting import reuse_freed_memory  # noqa: E402
from mcloss.simulate.engine import save, simulate  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
#: The engine's guard (issue 24: 1.15 needs a compiled kernel with a vector math library, docs/performance.md).
ENGINE_GUARD = 1.4
TARGETS = {"engine/(rng+exp_log)": ("<=", ENGINE_GUARD), "peak_mb_growth": ("<=", 1.1)}
#: A compared scenario's simulate CPU per replicate, relative to the main scenario's.
COMPARE_TARGET = 1.5
PEAK_LIMIT_MB = 200.0


class Scenario:
    """One scenario of a config: its estimand, grid, seeding and chunking."""

    def __init__(self, config: dict, name: str, n_max: int | None = None):
        spec = config["scenarios"][name]
        self.name = name
        self.estimand = build(spec, f"scenarios.{name}")
        sizes = config["batch_sizes"]
        self.n_max = int(n_max or sizes["max"])
        self.grid = batch_grid(int(sizes["min"]), self.n_max, int(sizes["per_decade"]), self.estimand.batch_unit)
        self.counts = self.estimand.stream_counts(self.grid)
        self.seed = int(config["seed"])
        self.key = scenario_key(name)
        self.chunk = int(config.get("chunk_size", 1 << 16))
        self.samples = int(sum(int(c[-1]) for c in self.counts.values()))

    # --- the three variants, one replicate each -----------------------------------------
    def rng_only(self, r: int) -> None:
        for s, stream in enumerate(self.estimand.streams):
            draw = stream.sampler.start(stream_rng(self.seed, self.key, s, r))
            total, pos = int(self.counts[stream.name][-1]), 0
            while pos < total:
                size = min(self.chunk, total - pos)
                draw(size)
                pos += size

    def engine(self, r: int):
        return simulate(self.estimand, self.grid, range(r, r + 1), self.seed, self.key, self.chunk)

    def exp_log(self, r: int) -> None:
        buffers = self._buffers
        for stream in self.estimand.streams:
            total, pos = int(self.counts[stream.name][-1]), 0
            while pos < total:
                size = min(self.chunk, total - pos)
                np.exp(buffers[0][:size], out=buffers[1][:size])
                np.log(buffers[2][:size], out=buffers[1][:size])
                pos += size

    @property
    def _buffers(self):
        if not hasattr(self, "_scratch"):
            rng = np.random.default_rng(0)
            # Arguments and results in the ranges of the log-sigmoid: exp(-|t|), log(1 + e).
            self._scratch = (-np.abs(rng.standard_normal(self.chunk)), np.empty(self.chunk),
                             1.0 + rng.random(self.chunk))
        return self._scratch

    def naive(self, r: int) -> None:
        est = self.estimand
        draws = [stream.sampler.start(stream_rng(self.seed, self.key, s, r)) for s, stream in enumerate(est.streams)]
        with np.errstate(invalid="ignore", divide="ignore"):
            for k, n in enumerate(self.grid):
                stats = {}
                for draw, stream in zip(draws, est.streams):
                    count = int(self.counts[stream.name][k])
                    for term, v in est.terms(stream.name, draw(count)).items():
                        mean = np.mean(v) if count else np.nan
                        stats[term] = TermStats(count=np.array([count]), mean=np.array([mean]),
                                                m2=np.array([np.var(v) * count if count else np.nan]))
                est.estimates(np.array([n]), stats)


def timed_rounds(scenario: Scenario, rounds: int, replicates: int,
                 compared: tuple[Scenario, ...] = ()) -> dict[str, list[float]]:
    """Seconds per replicate of each variant, per round; the variants' order rotates by round."""
    runs = {name: getattr(scenario, name) for name in ("rng_only", "engine", "naive", "exp_log")}
    runs.update({f"engine[{other.name}]": other.engine for other in compared})
    variants = list(runs)
    for name in variants:  # warm-up: imports, caches, first-touch of buffers
        runs[name](0)
    times: dict[str, list[float]] = {name: [] for name in variants}
    for i in range(rounds):
        order = variants[i % len(variants):] + variants[:i % len(variants)]
        for name in order:
            run = runs[name]
            started = time.perf_counter()
            for r in range(1, replicates + 1):
                run(r)
            times[name].append((time.perf_counter() - started) / replicates)
    return times


def peak_job(config_path: str, scenario: str, n_max: int, out: str) -> None:
    """Child process: one replicate block (one replicate) up to n_max, saved like the rule does."""
    with open(config_path) as fh:
        config = yaml.safe_load(fh)
    sc = Scenario(config, scenario, n_max)
    started = time.perf_counter()
    save(sc.engine(0), out)
    print(json.dumps({"seconds": time.perf_counter() - started}))


def measure_peak(config_path: str, scenario: str, n_max: int) -> tuple[float, float]:
    """(peak RSS in MB, seconds of simulate) of a fresh process running one job up to n_max."""
    with tempfile.TemporaryDirectory() as tmp:
        child = subprocess.Popen(
            [sys.executable, __file__, "--peak-job", str(n_max), "--config", config_path, "--scenario", scenario,
             "--out", str(Path(tmp) / "block.npz")],
            stdout=subprocess.PIPE, text=True)
        _, status, usage = os.wait4(child.pid, 0)
        output = child.stdout.read()
        child.stdout.close()
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            raise SystemExit(f"peak-memory job for n={n_max} failed with exit code {child.returncode}")
    # ru_maxrss is in KiB on Linux, in bytes on macOS.
    scale = 1 / 1024 if sys.platform != "darwin" else 1 / 1024 / 1024
    return usage.ru_maxrss * scale, json.loads(output.strip().splitlines()[-1])["seconds"]


def avx2_timings(args) -> dict | None:
    """The timings again, in a child process whose numpy runs its AVX2 (X86_V3) kernels; None if it fails."""
    command = [sys.executable, __file__, "--timings-only", "--config", args.config, "--scenario", args.scenario,
               "--rounds", str(args.rounds), "--replicates", str(args.replicates), "--compare", *args.compare]
    env = {**os.environ, "NPY_DISABLE_CPU_FEATURES": "X86_V4"}
    done = subprocess.run(command, env=env, stdout=subprocess.PIPE, text=True)  # its stderr shows
    try:
        if done.returncode != 0:
            raise ValueError(f"exit code {done.returncode}")
        return json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError) as err:  # JSONDecodeError is a ValueError
        print(f"the timings with numpy's AVX2 kernels failed ({err}); the rest of the run stands")
        return None


def verdict(name: str, value: float) -> str:
    op, bound = TARGETS[name]
    met = value <= bound if op == "<=" else value >= bound
    return f"{name} = {value:.2f} (target {op} {bound:g}): {'met' if met else 'NOT met'}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default=str(ROOT / "config.yaml"))
    parser.add_argument("--scenario", default="gan_balanced")
    parser.add_argument("--compare", nargs="*", default=["gan_optimal"],
                        help="scenarios whose engine time per replicate is compared with --scenario's")
    parser.add_argument("--rounds", type=int, default=9, help="interleaved rounds (medians over them)")
    parser.add_argument("--replicates", type=int, default=3, help="replicates per variant and round")
    parser.add_argument("--peak-n", type=int, nargs="+", default=[10**5, 10**6, 10**7, 10**8],
                        help="largest batch sizes at which one job's peak memory is measured")
    parser.add_argument("--no-avx2", action="store_true",
                        help="on an AVX-512 machine, do not repeat the timings with numpy's AVX2 kernels")
    parser.add_argument("--timings-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--peak-job", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    # The allocator settings of every job (mcloss.pipeline.scripting.open_log), in every process of this benchmark.
    reuse_freed_memory()
    if args.peak_job:
        peak_job(args.config, args.scenario, args.peak_job, args.out)
        return 0

    with open(args.config) as fh:
        config = yaml.safe_load(fh)
    sc = Scenario(config, args.scenario)
    # Compared scenarios on the main one's grid, so that a replicate has the same size.
    compared = tuple(Scenario(config, name, sc.n_max) for name in args.compare if name in config["scenarios"])
    if args.timings_only:
        times = timed_rounds(sc, args.rounds, args.replicates, compared)
        print(json.dumps({"kernels": exp_log_kernels(), "samples": sc.samples,
                          "median": {name: float(np.median(v)) for name, v in times.items()}}))
        return 0
    load_before = os.getloadavg()
    started = time.perf_counter()
    print(f"machine: {cpu_model()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"numpy {np.__version__} (exp/log kernels {exp_log_kernels()}); load average {load_before[0]:.2f} "
          f"(1 min) at start")
    print(f"scenario {sc.name}: {sc.estimand.describe()}")
    print(f"grid: {sc.grid.size} batch sizes {sc.grid[0]}..{sc.n_max} (sum of the grid = "
          f"{sc.grid.sum() / sc.n_max:.2f} x n_max), {sc.samples} samples per replicate, chunk_size {sc.chunk}; "
          f"{args.rounds} interleaved rounds x {args.replicates} replicates, one thread")

    times = timed_rounds(sc, args.rounds, args.replicates, compared)
    median = {name: float(np.median(v)) for name, v in times.items()}
    print()
    print(f"{'variant':<24} {'s/replicate':>12} {'ns/sample':>10} {'min..max s':>19} {'x rng_only':>11}")
    for name, v in times.items():
        print(f"{name:<24} {median[name]:>12.4f} {median[name] / sc.samples * 1e9:>10.2f} "
              f"{min(v):>9.4f}..{max(v):<9.4f} {median[name] / median['rng_only']:>11.2f}")

    per_sample = {name: value / sc.samples * 1e9 for name, value in median.items()}
    extra = per_sample["engine"] - per_sample["rng_only"]
    print(f"engine - rng_only = {extra:.2f} ns/sample, of which one exp and one log (exp_log) "
          f"{per_sample['exp_log']:.2f}; the rest ({extra - per_sample['exp_log']:.2f}) is every other pass "
          f"over the samples, the checkpoint statistics and Python")

    peaks = []
    print()
    print(f"{'n_max':>12} {'peak RSS MB':>12} {'simulate s':>11}   (one job: one replicate, fresh process)")
    for n in args.peak_n:
        mb, seconds = measure_peak(args.config, args.scenario, n)
        peaks.append({"n_max": n, "peak_mb": mb, "seconds": seconds})
        print(f"{n:>12.0e} {mb:>12.1f} {seconds:>11.2f}")

    ratios = {
        "engine/rng_only": median["engine"] / median["rng_only"],
        "naive/engine": median["naive"] / median["engine"],
        "peak_mb_growth": peaks[-1]["peak_mb"] / peaks[0]["peak_mb"],
        "engine/(rng+exp_log)": median["engine"] / (median["rng_only"] + median["exp_log"]),
    }
    naive_bound = float(sc.grid.sum() / sc.n_max)
    load_after = os.getloadavg()
    print()
    for name, value in ratios.items():
        if name in TARGETS:
            print(verdict(name, value))
    print(f"engine/rng_only = {ratios['engine/rng_only']:.2f} (no target: the floor is rng + exp_log, above)")
    print(f"naive/engine = {ratios['naive/engine']:.2f}; bound sum(grid)/n_max = {naive_bound:.2f} (re-sampling "
          f"at every grid point draws that many times the engine's samples; more only if its per-call cost adds)")
    for other in compared:
        ratio = median[f"engine[{other.name}]"] / median["engine"]
        ratios[f"engine[{other.name}]/engine"] = ratio
        print(f"engine[{other.name}]/engine[{sc.name}] = {ratio:.2f} simulate CPU per replicate, same grid "
              f"(target <= {COMPARE_TARGET:g}): {'met' if ratio <= COMPARE_TARGET else 'NOT met'}")
    avx2 = avx2_timings(args) if not args.no_avx2 and exp_log_kernels() == "X86_V4" else None
    if avx2 is not None:
        floor = avx2["median"]["rng_only"] + avx2["median"]["exp_log"]
        ratio = avx2["median"]["engine"] / floor
        # Named by the kernels the child reports running, should disabling X86_V4 ever not take.
        ratios[f"engine/(rng+exp_log)[{avx2['kernels']}]"] = ratio
        ns = {name: value / avx2["samples"] * 1e9 for name, value in avx2["median"].items()}
        print(f"with numpy's AVX2 kernels (NPY_DISABLE_CPU_FEATURES=X86_V4, exp/log {avx2['kernels']}): rng_only "
              f"{ns['rng_only']:.2f}, engine {ns['engine']:.2f}, exp_log {ns['exp_log']:.2f} ns/sample: "
              f"engine/(rng+exp_log) = {ratio:.2f} (guard <= {ENGINE_GUARD}): "
              f"{'met' if ratio <= ENGINE_GUARD else 'NOT met'}")
    worst = max(p["peak_mb"] for p in peaks)
    met = "met" if worst < PEAK_LIMIT_MB else "NOT met"
    print(f"largest peak {worst:.1f} MB (target < {PEAK_LIMIT_MB:g} MB): {met}")
    print(f"load average {load_after[0]:.2f} (1 min) at the end; {time.perf_counter() - started:.0f} s in all")

    record = {"machine": cpu_model(), "cpus": os.cpu_count(), "load_average": [load_before, load_after],
              "scenario": sc.name, "grid_points": int(sc.grid.size), "n_max": sc.n_max, "chunk_size": sc.chunk,
              "rounds": args.rounds, "replicates": args.replicates, "seconds_per_replicate": times,
              "median": median, "avx2": avx2, "peaks": peaks, "ratios": ratios, "naive_bound": naive_bound}
    out = ROOT / "benchmarks" / "output"
    out.mkdir(parents=True, exist_ok=True)
    (out / "latest.json").write_text(json.dumps(record, indent=1))
    print(f"engine/rng_only={ratios['engine/rng_only']:.2f} naive/engine={ratios['naive/engine']:.2f} "
          f"peak_mb_growth={ratios['peak_mb_growth']:.2f} engine/(rng+exp_log)={ratios['engine/(rng+exp_log)']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
