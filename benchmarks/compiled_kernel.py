"""Would a compiled kernel earn its place? The GAN terms by numpy against one fused numba loop.

    .venv/bin/python benchmarks/compiled_kernel.py     (seconds; needs numba, which the project does not
                                                        depend on: without it, it says so and stops)

numba is not among the project's packages. To measure anyway, install it beside the environment,
not into it, without its dependencies (``--target`` would otherwise put a second numpy ahead of the
pinned one): ``.venv/bin/pip install --no-deps --target /tmp/numba numba llvmlite``, then run this
script with ``PYTHONPATH=/tmp/numba``. The script stops if the numpy it imports is not the pinned one.

On one chunk of the real stream of a GAN scenario (default ``gan_balanced`` of config.yaml:
``chunk_size`` standard-normal draws, logit c0 + c1 x), one thread, best of 7 timings:

* ``numpy``: the engine's own per-sample term, ``estimand.terms`` (the logit by Horner's scheme, then
  log D = min(t, 0) - log1p(exp(-|t|)) in numpy passes, ``mcloss.maths.numerics``), and its sum;
* ``numba``: the same formula in one compiled loop that also sums, ``math.exp`` and ``math.log1p``
  per value (what numba compiles them to: scalar libm calls unless Intel's SVML is present);
* ``exp_log``: one ``np.exp`` and one ``np.log`` per value, the floor of any log-sigmoid.

Each is timed with numpy's kernels for this CPU and, on an AVX-512 machine, again in a child process
with ``NPY_DISABLE_CPU_FEATURES=X86_V4`` (numpy's AVX2 kernels). The last line is, exactly:
``numba/numpy=X.XX`` (this CPU's kernels) followed by `` numba/numpy[X86_V3]=Y.YY`` where measured.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import yaml  # noqa: E402
from machine import cpu_model, exp_log_kernels  # noqa: E402

from mcloss.estimands import build  # noqa: E402
from mcloss.laws.streams import scenario_key, stream_rng  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def pinned_numpy() -> str | None:
    """numpy's version in requirements.lock (None if the file has no pin)."""
    lock = ROOT / "requirements.lock"
    found = [line.split("==", 1)[1].split()[0] for line in lock.read_text().splitlines()
             if line.startswith("numpy==")] if lock.exists() else []
    return found[0] if found else None


def best_ns(run, size: int, repeats: int = 200) -> float:
    """Best of 7 timings of ``repeats`` calls, in ns per value."""
    best = float("inf")
    for _ in range(7):
        started = time.perf_counter()
        for _ in range(repeats):
            run()
        best = min(best, (time.perf_counter() - started) / repeats)
    return best / size * 1e9


def measure(config_path: str, scenario: str) -> dict:
    """ns per value of numpy, numba and exp_log on one chunk, and the largest difference numba - numpy."""
    import numba

    with open(config_path) as fh:
        config = yaml.safe_load(fh)
    estimand = build(config["scenarios"][scenario], f"scenarios.{scenario}")
    coefficients = estimand.logit_coefficients
    if coefficients is None or len(coefficients) != 2:
        raise SystemExit(f"{scenario}: needs a logistic discriminator with an affine logit [c0, c1]")
    c0, c1 = coefficients
    names = [stream.name for stream in estimand.streams]
    if "real" not in names:
        raise SystemExit(f"{scenario}: needs fixed composition (a 'real' stream); its streams are {names}")
    size = int(config.get("chunk_size", 1 << 16))
    s = names.index("real")
    draw = estimand.streams[s].sampler.start(stream_rng(int(config["seed"]), scenario_key(scenario), s, 0))
    x = np.ascontiguousarray(draw(size))

    @numba.njit(fastmath=False, cache=False)
    def fused(x, c0, c1, out):
        total = 0.0
        for i in range(x.size):
            t = c0 + c1 * x[i]
            value = min(t, 0.0) - math.log1p(math.exp(-abs(t)))
            out[i] = value
            total += value
        return total

    out = np.empty(size)
    fused(x, c0, c1, out)  # compile outside the timing
    by_numpy = estimand.terms("real", x)["log_d_real"]
    scratch = (-np.abs(x), np.empty(size), 1.0 + np.abs(x))
    found = {
        "numpy": best_ns(lambda: np.add.reduce(estimand.terms("real", x)["log_d_real"]), size),
        "numba": best_ns(lambda: fused(x, c0, c1, out), size),
        "exp_log": best_ns(lambda: (np.exp(scratch[0], out=scratch[1]), np.log(scratch[2], out=scratch[1])), size),
    }
    return {"kernels": exp_log_kernels(), "numba": numba.__version__, "svml": bool(numba.config.USING_SVML),
            "ns": found, "max_abs_diff": float(np.max(np.abs(out - by_numpy)))}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default=str(ROOT / "config.yaml"))
    parser.add_argument("--scenario", default="gan_balanced")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        import numba  # noqa: F401
    except ImportError:
        print("numba is not installed (it is not a dependency of the project): nothing to measure. "
              "See this script's docstring for how to install it beside the environment.")
        return 0
    pinned = pinned_numpy()
    if pinned and np.__version__ != pinned:
        raise SystemExit(f"numpy {np.__version__} from {np.__file__} is not the pinned {pinned} "
                         "(requirements.lock): install numba with --no-deps, see the docstring")
    result = measure(args.config, args.scenario)
    if args.json:
        print(json.dumps(result))
        return 0
    results = [result]
    if result["kernels"] == "X86_V4":
        child = subprocess.run([sys.executable, __file__, "--json", "--config", args.config, "--scenario",
                                args.scenario], env={**os.environ, "NPY_DISABLE_CPU_FEATURES": "X86_V4"},
                               capture_output=True, text=True, check=True)
        results.append(json.loads(child.stdout.strip().splitlines()[-1]))
    print(f"machine: {cpu_model()}, numpy {np.__version__}, numba {result['numba']} (Intel SVML: "
          f"{'yes' if result['svml'] else 'no'}); scenario {args.scenario}, one chunk, one thread")
    print(f"{'numpy kernels':<14} {'numpy ns':>9} {'numba ns':>9} {'exp_log ns':>11} {'numba/numpy':>12} "
          f"{'max |numba - numpy|':>20}")
    for r in results:
        ns = r["ns"]
        print(f"{r['kernels']:<14} {ns['numpy']:>9.2f} {ns['numba']:>9.2f} {ns['exp_log']:>11.2f} "
              f"{ns['numba'] / ns['numpy']:>12.2f} {r['max_abs_diff']:>20.2e}")
    line = f"numba/numpy={results[0]['ns']['numba'] / results[0]['ns']['numpy']:.2f}"
    if len(results) > 1:
        line += f" numba/numpy[X86_V3]={results[1]['ns']['numba'] / results[1]['ns']['numpy']:.2f}"
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
