"""A project that stands on its own: reruns after code edits, unreadable files, and the `mcloss` command.

One small pipeline run in a temporary copy of the repository (its own workflow/src on PYTHONPATH,
so that editing the copy's package never touches the real source) serves every test here.
"""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from common import copy_repository

pytestmark = pytest.mark.slow

CONFIG = {
    "seed": 11,
    "replicates": 200,
    "replicates_per_job": 100,
    "batch_sizes": {"min": 1, "max": 4000, "per_decade": 4},
    "analysis": {"slope_min_n": 10, "bootstrap": 20, "paths": 2, "iid_samples": 1000},
    "scenarios": {
        "gan": {"estimand": "gan_discriminator", "data": {"dist": "norm", "loc": 0.0, "scale": 1.0},
                "generator": {"dist": "norm", "loc": 1.0, "scale": 1.0}, "discriminator": {"logit": [-0.5, 1.5]},
                "real_fraction": 0.5},
        "bce": {"estimand": "binary_cross_entropy", "labels": {"p": 0.3}, "model": {"p": 0.6}},
        "mse": {"estimand": "gaussian_nll", "data": {"dist": "gamma", "a": 2.0, "scale": 0.5},
                "model": {"mean": 0.5, "sigma": 1.5}},
    },
}
TARGETS = ["results/tables/summary.csv", "results/tables/convergence.csv"]


def environment(repo: Path) -> dict:
    """This copy's package first on the path, for snakemake and for every job it starts."""
    return {**os.environ, "PYTHONPATH": str(repo / "workflow" / "src")}


def run(repo: Path, *args, check=True):
    result = subprocess.run([sys.executable, "-m", "snakemake", "--cores", "2", *map(str, args)], cwd=repo,
                            env=environment(repo), capture_output=True, text=True)
    if check:
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return result


def mcloss(repo: Path, *args):
    return subprocess.run([sys.executable, "-m", "mcloss.cli", *map(str, args)], cwd=repo, env=environment(repo),
                          capture_output=True, text=True)


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    repo = copy_repository(tmp_path_factory.mktemp("repo"))
    (repo / "config.yaml").write_text(yaml.safe_dump(CONFIG))
    run(repo, *TARGETS)
    return repo


def pending(repo: Path) -> set[tuple[str, str]]:
    """(rule, output) of every job a rerun would do, from snakemake --summary."""
    result = run(repo, "--summary", *TARGETS)
    rows = [line.split("\t") for line in result.stdout.splitlines() if "\t" in line]
    header, body = rows[0], rows[1:]
    table = pd.DataFrame(body, columns=header)
    table = table[table.plan != "no update"]
    return set(zip(table.rule, table.output_file))


@pytest.mark.parametrize("module, scenarios", [
    ("estimands/binary_cross_entropy.py", {"bce"}),
    ("estimands/cross_entropy.py", {"bce"}),   # binary_cross_entropy imports it
])
def test_editing_an_estimand_reruns_its_scenarios_only(repo, module, scenarios):
    assert pending(repo) == set()
    path = repo / "workflow" / "src" / "mcloss" / module
    original = path.read_bytes()
    try:
        path.write_text(original.decode() + "\n\ndef _edited():\n    return 1\n")
        jobs = pending(repo)
        simulated = {out.split("/")[2] for rule, out in jobs if rule == "simulate"}
        assert simulated == scenarios, jobs
        assert {out.split("/")[2].removesuffix(".json") for rule, out in jobs
                if rule == "summarise" and out.startswith("results/exact/")} == scenarios
        summarised = {out.split("/")[3] for rule, out in jobs if rule == "summarise" and "/scenarios/" in out}
        assert summarised == scenarios, jobs
        # A comment is not code: nothing reruns.
        path.write_text(original.decode() + "\n# a comment\n")
        assert pending(repo) == set()
    finally:
        path.write_bytes(original)
    assert pending(repo) == set()


def test_editing_the_engine_reruns_every_simulation(repo):
    path = repo / "workflow" / "src" / "mcloss" / "simulate" / "engine.py"
    original = path.read_bytes()
    try:
        path.write_text(original.decode() + "\n\ndef _edited():\n    return 1\n")
        jobs = pending(repo)
        assert {out.split("/")[2] for rule, out in jobs if rule == "simulate"} == set(CONFIG["scenarios"])
        assert {out.split("/")[3] for rule, out in jobs if rule == "summarise" and "/scenarios/" in out} == set(
            CONFIG["scenarios"])                                    # summarise loads the simulations
    finally:
        path.write_bytes(original)


def test_replay_is_bit_identical_to_the_pipeline(repo, tmp_path):
    for scenario, replicate in (("gan", 0), ("bce", 157), ("mse", 99)):
        out = tmp_path / f"{scenario}_{replicate}.csv"
        result = mcloss(repo, "replay", scenario, replicate, "--out", out)
        assert result.returncode == 0, result.stderr
        replayed = pd.read_csv(out)
        start = 0 if replicate < 100 else 100
        with np.load(repo / "results" / "simulations" / scenario / f"replicates_{start}-{start + 100}.npz") as z:
            row = list(z["replicates"]).index(replicate)
            assert np.array_equal(replayed["n"].to_numpy(), z["n"])
            quantities = [k.split("/", 1)[1] for k in z.files if k.startswith("estimate/")]
            assert quantities
            for q in quantities:
                np.testing.assert_array_equal(replayed[q].to_numpy(), z[f"estimate/{q}"][row])
                np.testing.assert_array_equal(replayed[f"{q}_se"].to_numpy(), z[f"se/{q}"][row])


def test_plan_agrees_with_measured_empirical_se(repo):
    """R implied by the measured EmpSE at the largest n, EmpSE^2 / E^2, against plan's lim n Var / (n E^2).

    The measured R carries the EmpSE's Monte Carlo error: its MCSE is 2 EmpSE MCSE(EmpSE) / E^2.
    """
    target = 1e-4
    result = mcloss(repo, "plan", "--target-mcse", target, "--csv")
    assert result.returncode == 0, result.stderr
    plan = pd.read_csv(pd.io.common.StringIO(result.stdout))
    summary = pd.read_csv(repo / "results" / "tables" / "summary.csv")
    last = summary[summary.n == summary.groupby("scenario").n.transform("max")]
    merged = plan.merge(last, on=["scenario", "quantity", "n"])
    finite = merged[merged.replicates_bias.notna()]
    assert len(finite) >= 10 and set(finite.scenario) == set(CONFIG["scenarios"])
    for row in finite.itertuples():
        measured = row.emp_se**2 / target**2
        mcse = 2 * row.emp_se * row.emp_se_mcse / target**2
        # + 1: plan rounds up to whole replicates.
        assert abs(measured - row.replicates_bias) <= 3 * mcse + 1, (row.scenario, row.quantity, measured,
                                                                      row.replicates_bias, mcse)
        assert row.replicates_coverage == 1900
    # And it could fail: a plan off by a factor of 2 would not pass for most quantities.
    off = [abs(r.emp_se**2 / target**2 - 2 * r.replicates_bias) <= 3 * 2 * r.emp_se * r.emp_se_mcse / target**2
           for r in finite.itertuples()]
    assert sum(off) < len(off) / 2


def test_exact_prints_every_scenario(repo):
    result = mcloss(repo, "exact", "--csv")
    assert result.returncode == 0, result.stderr
    table = pd.read_csv(pd.io.common.StringIO(result.stdout))
    written = {}
    for scenario in CONFIG["scenarios"]:
        data = json.loads((repo / "results" / "exact" / f"{scenario}.json").read_text())
        for q, v in data["limits"].items():
            written[(scenario, q)] = (math.nan if v is None else v, data["variances"].get(q))
    assert len(table) == len(written)
    for row in table.itertuples():
        exact, var = written[(row.scenario, row.quantity)]
        assert (math.isnan(exact) and math.isnan(row.exact)) or row.exact == pytest.approx(exact, rel=1e-12)
        if var is not None:
            assert row.lim_n_var == pytest.approx(var, rel=1e-12)


@pytest.mark.parametrize("args, key", [
    (["replay", "nope", "0"], "scenario"),
    (["replay", "gan", "200"], "replicate"),
    (["exact", "--configfile", "missing.yaml"], "--configfile"),
    (["plan", "--target-mcse", "0.01", "--scenario", "nope"], "scenario"),
])
def test_cli_errors_are_one_line(repo, args, key):
    result = mcloss(repo, *args)
    assert result.returncode == 2
    assert result.stderr.startswith(f"config error: config key {key}:"), result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_cli_config_errors_name_the_key(repo, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({**CONFIG, "replicates": "many"}))
    result = mcloss(repo, "exact", "--configfile", bad)
    assert result.returncode == 2 and result.stderr.startswith("config error: config key replicates:")
    assert result.stderr.count("\n") == 1


def test_a_corrupt_simulation_fails_with_one_line_naming_it(repo):
    """Last in this module: it damages a file of the shared run (and repairs it the documented way)."""
    relative = "results/simulations/gan/replicates_0-100.npz"
    path = repo / relative
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    result = run(repo, *TARGETS, check=False)
    assert result.returncode != 0
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.startswith("error: cannot read")]
    assert len(lines) == 1, result.stderr[-3000:]
    assert f"--forcerun {relative}" in lines[0]
    log = (repo / "results" / "logs" / "summarise" / "gan.log").read_text()
    assert "Traceback" not in log and f"cannot read {relative}" in log
    # The recovery the message names.
    run(repo, *TARGETS, "--forcerun", relative)
    assert path.read_bytes() == data
