"""A simulate job's start-up (issue 24): what a fresh interpreter imports to build and simulate a scenario.

Each test runs a new Python process that imports what workflow/scripts/simulate.py imports, builds the
scenarios and runs `simulate_block` on them as the job does (writing its .npz and timing file), then prints
the scipy modules it loaded. scipy.stats (with scipy.integrate, optimize and special, 1 s of the old 1.4 s
start-up) must not be among them for laws numpy draws; benchmarks/startup.py measures the times.
"""

import ast
import json
import os
import subprocess
import sys

from common import ROOT

CODE = r"""
import json, sys
from pathlib import Path

from mcloss.estimands import build
from mcloss.pipeline.jobs import simulate_block
from mcloss.pipeline.scripting import open_log

from mcloss.laws.streams import scenario_key
from mcloss.maths.grid import batch_grid

out = Path(sys.argv[1])
for name, spec in json.loads(sys.argv[2]).items():
    estimand = build(spec, f"scenarios.{name}")
    grid = batch_grid(1, 10_000, 4, estimand.batch_unit).tolist()
    simulate_block(name, estimand, grid, range(0, 3), 20261122, scenario_key(name), 4096,
                   out / f"{name}.npz", out / f"{name}.csv")
    assert (out / f"{name}.npz").stat().st_size > 0
print(json.dumps(sorted(m for m in sys.modules if m == "scipy" or m.startswith("scipy."))))
"""

NORM, T3, CAUCHY = ({"dist": "norm", "loc": 1.0, "scale": 2.0}, {"dist": "t", "df": 3.0, "loc": 0.0, "scale": 1.0},
                    {"dist": "cauchy", "loc": 0.0, "scale": 1.0})
#: Scenarios whose laws numpy draws and whose terms need numpy alone.
NUMPY_ONLY = {
    "gan_t_cauchy": {"estimand": "gan_discriminator", "data": T3, "generator": CAUCHY,
                     "discriminator": {"logit": [-0.5, 1.5]}, "real_fraction": 0.5},
    "gan_random": {"estimand": "gan_discriminator", "data": CAUCHY, "generator": NORM,
                   "discriminator": {"logit": [0.2, 1.0, -0.3]}, "real_fraction": 0.25, "composition": "random"},
    "gan_latent": {"estimand": "gan_discriminator", "data": NORM,
                   "generator": {"latent": T3, "map": [1.0, 0.8, 0.3]}, "discriminator": {"logit": [-0.5, 1.5]}},
    "gan_optimal": {"estimand": "gan_discriminator", "data": NORM, "generator": {**NORM, "loc": 0.0},
                    "discriminator": "optimal"},
    "mse_vs_nll": {"estimand": "gaussian_nll", "data": NORM, "model": {"mean": 0.5, "sigma": 1.5}},
    "mse_t": {"estimand": "gaussian_nll", "data": {**T3, "df": 5.0}, "model": {"mean": 0.5, "sigma": 1.5}},
}
#: Scenarios whose terms or estimates use scipy.special (log-pmfs, entropies, sigmoids), still not scipy.stats.
SPECIAL = {
    "bce_vs_ce2": {"estimand": "binary_cross_entropy", "labels": {"p": 0.3}, "model": {"p": 0.6}},
    "ce_three_class": {"estimand": "cross_entropy", "labels": {"probs": [0.5, 0.3, 0.2]},
                       "model": {"probs": [0.25, 0.25, 0.5]}, "label_smoothing": 0.1},
    "bce_logistic": {"estimand": "binary_cross_entropy", "inputs": NORM, "labels": {"logit": [0.2, 1.0, -0.5]},
                     "model": {"logit": [0.1, 0.8]}},
    "nll_hetero": {"estimand": "gaussian_nll", "inputs": {"dist": "uniform", "loc": -1.0, "scale": 2.0},
                   "data": {"mean": [1.0, 2.0], "noise": T3}, "model": {"mean": [0.5, 1.5], "log_sigma": [0.2, 0.5]}},
}


def fresh(*args: str) -> list[str]:
    """What a new interpreter running ``python -c *args`` prints last (JSON), with this checkout's package first."""
    path = os.pathsep.join(p for p in (str(ROOT / "workflow" / "src"), os.environ.get("PYTHONPATH")) if p)
    run = subprocess.run([sys.executable, "-c", *args], capture_output=True, text=True, cwd=ROOT, check=False,
                         env={**os.environ, "PYTHONPATH": path})
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.splitlines()[-1])


def loaded(specs, tmp_path) -> list[str]:
    return fresh(CODE, str(tmp_path), json.dumps(specs))


def test_a_simulate_job_of_norm_t_and_cauchy_laws_imports_no_scipy(tmp_path):
    assert loaded(NUMPY_ONLY, tmp_path) == []


def test_a_simulate_job_of_the_other_fixed_models_imports_scipy_special_but_not_scipy_stats(tmp_path):
    modules = loaded(SPECIAL, tmp_path)
    assert "scipy.special" in modules
    assert not {"scipy.stats", "scipy.integrate", "scipy.optimize"} & set(modules)


def test_the_tables_script_imports_no_scipy_stats():
    """What workflow/scripts/tables.py imports at its top (pandas, the estimands, the table writers, the sweeps):
    its intervals need only ndtri (evidence.summarise.Z95, evidence.coverage), not scipy.stats."""
    script = (ROOT / "workflow" / "scripts" / "tables.py").read_text()
    imports = "\n".join(ast.unparse(node) for node in ast.parse(script).body
                        if isinstance(node, (ast.Import, ast.ImportFrom)))
    modules = set(fresh(imports + "\nimport json, sys\n"
                        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('scipy'))))"))
    assert "scipy.stats" not in modules and "scipy.integrate" not in modules
