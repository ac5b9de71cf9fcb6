"""CPU cost of each sampling plan relative to iid, side by side (mcloss.laws.plans).

    .venv/bin/python benchmarks/plans.py [--scenario gan_balanced] [--n 262144] [--rounds 5]

One replicate of the scenario of config.yaml under each plan, on the power-of-two grid
up to n (the grid a sweep with a sobol point uses), in one process and one thread. The
plans are interleaved (the order rotates from round to round) and each is summarised by
the median of its process CPU time over the rounds, so a burst of load from other
processes hits all of them alike. Prints, per plan, the ratio to iid; the last line is
``antithetic/iid=A.AA sobol/iid=S.SS control_variate/iid=C.CC``. The pipeline's own
measurement of the same cost is results/tables/efficiency.csv (column seconds).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import yaml

from mcloss.estimands import build
from mcloss.maths.grid import power_of_two_grid
from mcloss.simulate.engine import simulate

PLANS = ("iid", "antithetic", "sobol", "control_variate")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", default="gan_balanced")
    parser.add_argument("--n", type=int, default=1 << 18)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    config = yaml.safe_load((Path(__file__).resolve().parents[1] / "config.yaml").read_text())
    spec = config["scenarios"][args.scenario]
    estimands = {plan: build({**spec, "sampling": plan}, f"scenarios.{args.scenario}") for plan in PLANS}
    grid = power_of_two_grid(2, args.n, estimands["iid"].batch_unit)
    seconds: dict[str, list[float]] = {plan: [] for plan in PLANS}
    for r in range(args.rounds):
        order = PLANS[r % len(PLANS):] + PLANS[: r % len(PLANS)]
        for plan in order:
            started = time.process_time()
            simulate(estimands[plan], grid, range(r, r + 1), config["seed"], 1, config["chunk_size"])
            seconds[plan].append(time.process_time() - started)
    base = statistics.median(seconds["iid"])
    for plan in PLANS:
        print(f"{plan:16s} median {statistics.median(seconds[plan]):.4f} s per replicate (n = {args.n:,})")
    print(" ".join(f"{plan}/iid={statistics.median(seconds[plan]) / base:.2f}" for plan in PLANS[1:]))


if __name__ == "__main__":
    main()
