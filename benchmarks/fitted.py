"""CPU time and memory of models trained on the batch, side by side with the same scenario's fixed model.

    .venv/bin/python benchmarks/fitted.py [--n-max 1000000] [--replicates 3] [--rounds 3]

For each fitted scenario (the logistic regression, the GAN discriminator and least squares of config.yaml)
and its fixed-model twin (the same laws, the model at theta*, i.e. the engine's prefix means), one process
and one thread time replicates on the default grid up to each n_max in 10^4, 10^5, 10^6, interleaved round by
round (the median of the rounds' process CPU times, so a burst of load hits both alike). Printed per scenario
and n_max: seconds per replicate, ns per sample of the largest batch (the whole grid's work divided by n_max),
seconds per fit (the grid has len(grid) fits per replicate), the ratio fitted/fixed, and the peak resident
memory added by one fitted replicate at n_max (tracemalloc). The CPU model and numpy's exp/log kernels come
first: the ratio is the target (issue 21: at R = 400, n up to 10^5, "at most a few times" the fixed model).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import yaml  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import cpu_model, exp_log_kernels  # noqa: E402

from mcloss.estimands import build  # noqa: E402
from mcloss.maths.grid import batch_grid  # noqa: E402
from mcloss.simulate.fitting import run  # noqa: E402

SCENARIOS = ("bce_logistic_fit", "gan_fitted", "nll_hetero_fit")


def fixed_twin(spec: dict, theta: list[float]) -> dict:
    """The same scenario with the model fixed at theta* (what the engine runs for a fixed model)."""
    spec = {k: v for k, v in spec.items() if k not in ("fit", "batch_sizes", "replicates")}
    if spec["estimand"] == "gan_discriminator":
        return {**spec, "discriminator": {"logit": theta}}
    if spec["estimand"] == "gaussian_nll":
        return {**spec, "model": {"mean": theta[:-1], "sigma": float(np.exp(theta[-1]))}}
    return {**spec, "model": {"logit": theta}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n-max", type=int, nargs="*", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--replicates", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    config = yaml.safe_load((Path(__file__).resolve().parents[1] / "config.yaml").read_text())
    print(f"CPU: {cpu_model()}; numpy exp/log kernels: {exp_log_kernels()}; numpy {np.__version__}")
    print("scenario          n_max      fitted s/rep  fixed s/rep  ratio  ns/sample  ms/fit  peak MB/rep")
    for name in SCENARIOS:
        spec = config["scenarios"][name]
        fitted = build(spec, f"scenarios.{name}")
        fixed = build(fixed_twin(spec, fitted.theory["theta_star"]), f"scenarios.{name}")
        for n_max in args.n_max:
            n_min = int(spec.get("batch_sizes", {}).get("min", 1))
            grid = batch_grid(n_min, n_max, config["batch_sizes"]["per_decade"], fitted.batch_unit)
            times: dict[str, list[float]] = {"fitted": [], "fixed": []}
            for r in range(args.rounds):
                order = ("fitted", "fixed") if r % 2 == 0 else ("fixed", "fitted")
                for kind in order:
                    estimand = fitted if kind == "fitted" else fixed
                    started = time.process_time()
                    run(estimand, grid, range(r * args.replicates, (r + 1) * args.replicates), config["seed"], 1,
                        config["chunk_size"])
                    times[kind].append((time.process_time() - started) / args.replicates)
            tracemalloc.start()
            run(fitted, grid, range(1), config["seed"], 1, config["chunk_size"])
            peak = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
            a, b = statistics.median(times["fitted"]), statistics.median(times["fixed"])
            print(f"{name:17s} {n_max:>9,d}  {a:12.4f}  {b:11.4f}  {a / b:5.2f}  {a / n_max * 1e9:9.1f}  "
                  f"{a / len(grid) * 1e3:6.2f}  {peak:11.1f}")


if __name__ == "__main__":
    main()
