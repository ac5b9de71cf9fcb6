"""The sampler seam's quantile functions against the frozen laws' ppf, side by side (mcloss.laws.quantiles).

    .venv/bin/python benchmarks/quantiles.py [--size 65536] [--rounds 9]

Per family of mcloss.laws.quantiles.FAST_FAMILIES, one chunk of uniforms (the engine's chunk_size) mapped by the
law's ``ppf`` and by `quantile_functions`, interleaved over the rounds (medians of process CPU time), in one
process. Prints ns per value of each and their ratio; the last line is ``fast/ppf[<family>]=R.RR ...``.
Timings on a loaded machine vary; the ratios, measured in the same minutes, are what compares.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from mcloss.laws.distributions import make_distribution
from mcloss.laws.quantiles import quantile_functions

LAWS = {
    "norm": {"dist": "norm", "loc": 0.3, "scale": 1.7},
    "logistic": {"dist": "logistic", "loc": -0.2, "scale": 2.5},
    "expon": {"dist": "expon", "loc": 1.0, "scale": 0.5},
    "uniform": {"dist": "uniform", "loc": -1.0, "scale": 3.0},
    "t": {"dist": "t", "df": 5.0, "loc": 0.5, "scale": 1.0},
    "cauchy": {"dist": "cauchy", "loc": 0.0, "scale": 1.0},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=1 << 16)
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    u = np.random.default_rng(0).random(args.size)
    ratios = []
    for family, spec in LAWS.items():
        dist = make_distribution(spec, family)
        fast, _ = quantile_functions(dist)
        seconds = {"ppf": [], "fast": []}
        for _ in range(args.rounds):
            for name, f in (("ppf", dist.ppf), ("fast", fast)):
                started = time.process_time()
                f(u)
                seconds[name].append(time.process_time() - started)
        ppf, quick = (statistics.median(seconds[k]) * 1e9 / args.size for k in ("ppf", "fast"))
        print(f"{family:9s} ppf {ppf:7.2f} ns/value  fast {quick:7.2f} ns/value  fast/ppf {quick / ppf:.2f}")
        ratios.append(f"fast/ppf[{family}]={quick / ppf:.2f}")
    print(" ".join(ratios))


if __name__ == "__main__":
    main()
