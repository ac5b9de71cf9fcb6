"""A run knows its config (mcloss.pipeline.runs): its folder, its config.yaml, and no mixing of two runs."""

import copy
import json
import re

import pandas as pd
import pytest
import yaml

from common import GAN, assert_one_line_error, first_problem, snakemake
from mcloss.errors import ConfigError
from mcloss.outputs import pages
from mcloss.pipeline import runs

TINY = {
    "replicates": 4,
    "replicates_per_job": 4,
    "batch_sizes": {"min": 1, "max": 1000, "per_decade": 2},
    "analysis": {"slope_min_n": 10, "bootstrap": 50, "paths": 2, "tail_replicates": 1, "tail_samples": 10000,
                 "iid_samples": 1000},
    "claims": {},
    "sweeps": {},
}


def tiny(seed, scenario, **extra):
    return {**copy.deepcopy(TINY), "seed": seed, "scenarios": {scenario: copy.deepcopy(GAN)}, **extra}


# --- the module --------------------------------------------------------------------------------------------------
def test_the_default_run_writes_to_results_and_a_named_one_to_its_own_folder():
    assert runs.folder("default") == "results"
    assert runs.folder("mine") == "results/mine"
    runs.check_name("mine")
    for reserved in ("figures", "tables", "SUMMARY.md", "config.yaml"):
        with pytest.raises(ConfigError, match="config key run_name: .*; allowed: "):
            runs.check_name(reserved)


def test_the_config_hash_ignores_key_order_and_sees_every_value():
    config = tiny(1, "a")
    shuffled = dict(reversed(list(config.items())))
    assert runs.config_hash(config) == runs.config_hash(shuffled)
    assert runs.config_hash(config) != runs.config_hash({**config, "seed": 2})


def test_the_written_config_is_a_config_file_of_the_same_hash():
    config = tiny(3, "a", run_name="mine")
    text = runs.config_text(config, "snakemake --cores N --configfile mine.yaml", "mcloss 0.1.0")
    assert text.startswith("# ")
    assert "# command: snakemake --cores N --configfile mine.yaml" in text
    assert "--configfile results/mine/config.yaml --replace-workflow-config" in text
    assert runs.config_hash(yaml.safe_load(text)) == runs.config_hash(config)
    assert runs.config_args({"replicates": 10, "batch_sizes": {"max": 100}}) == [
        "--config", "replicates=10", "batch_sizes={max: 100}"]


def test_a_named_runs_claims_point_at_its_own_files():
    evidence = "results/figures/g/clt.png; results/tables/iid.csv"
    assert runs.relocate(evidence, "results/mine") == "results/mine/figures/g/clt.png; results/mine/tables/iid.csv"
    assert runs.relocate(evidence, "results") == evidence
    assert runs.relocate("my_results/x.csv", "results/mine") == "my_results/x.csv"
    assert runs.relocate(float("nan"), "results/mine") != runs.relocate(float("nan"), "results/mine")   # NaN kept


def test_a_folder_holding_another_runs_scenarios_is_refused_in_one_line(tmp_path):
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(tiny(1, "a") | {"scenarios": {"a": GAN, "b": GAN}}))
    folder = str(tmp_path)
    assert runs.other_run(folder, ["a", "b"], "snakemake") is None
    assert runs.other_run(folder, ["a", "b", "c"], "snakemake") is None   # more scenarios: the same run
    error = runs.other_run(folder, ["a"], "snakemake --configfile mine.yaml")
    assert_one_line_error(str(error), "run_name", "run_name=NAME")
    assert "b" in str(error).split(";")[0] and f"delete {folder}/" in str(error)
    assert runs.other_run(str(tmp_path / "empty"), ["x"], "snakemake") is None
    # A folder of a run made before runs wrote their config.yaml: its scenarios are its exact values' files.
    legacy = tmp_path / "legacy"
    for name in ("a", "b", "sweep__x=1"):
        (legacy / "exact").mkdir(parents=True, exist_ok=True)
        (legacy / "exact" / f"{name}.json").write_text("{}")
    assert runs.other_run(str(legacy), ["a", "b"], "snakemake") is None
    assert "exact/, written before" in str(runs.other_run(str(legacy), ["a"], "snakemake"))


def test_a_report_of_another_config_is_refused(tmp_path):
    config = tiny(1, "a")
    (tmp_path / "config.yaml").write_text(runs.config_text(config, "snakemake", "v"))
    assert runs.stale_report(str(tmp_path), config) is None
    error = runs.stale_report(str(tmp_path), {**config, "seed": 2})
    assert_one_line_error(str(error), "run_name", f"--configfile {tmp_path}/config.yaml")


def test_summary_and_claims_name_the_config_and_the_command_that_regenerates_the_run():
    run = {"name": "mine", "folder": "results/mine", "hash": "0123456789ab",
           "command": runs.rerun_command("results/mine")}
    claims = pd.DataFrame(columns=["claim_id", "verdict", "scenario", "scenarios", "settle"])
    page = pages.summary_page(pd.DataFrame(columns=["scenario", "estimand", "quantity", "verdict"]), claims, 1, 10,
                              {}, run)
    assert "`results/mine/config.yaml` (hash 0123456789ab)" in page
    assert "`snakemake --cores N --configfile results/mine/config.yaml --replace-workflow-config`" in page
    text = pages.claims_markdown(pd.DataFrame(columns=claims.columns), seed=1, replicates=10, run=run)
    regenerate = next(line for line in text.splitlines() if "Regenerate with" in line)
    assert "Regenerate with `snakemake --cores N --configfile results/mine/config.yaml --replace-workflow-config`" \
        in regenerate and "results/mine/claims.md" in regenerate


@pytest.mark.parametrize("plan", ["antithetic", "sobol", "control_variate"])
def test_sampling_plans_of_an_input_dependent_model_are_refused_in_one_line(plan):
    scenario = {"estimand": "binary_cross_entropy", "inputs": {"dist": "norm", "loc": 0.0, "scale": 1.0},
                "labels": {"logit": [0.2, 1.0]}, "model": {"logit": [0.1, 0.8]}, "sampling": plan}
    message = first_problem({"scenarios": {"c": scenario}})
    assert_one_line_error(message, "scenarios.c.sampling", "iid")
    assert "`inputs`" in message and "antithetic, sobol and control_variate" in message
    assert first_problem({"scenarios": {"c": {**scenario, "sampling": "iid"}}}) is None


# --- two runs, one after the other, with the README's commands ----------------------------------------------------
def _embedded(html):
    """The report's files (path -> record) and categories, as Snakemake's report page holds them."""
    results = json.loads(re.search(r"var results = (\{.*?\});\s*\n", html, re.S).group(1))
    categories = json.loads(re.search(r"var categories = (\{.*?\});\s*\n", html, re.S).group(1))
    return results, categories


def _config_errors(run):
    return [line for line in run.stderr.splitlines() if line.startswith("config error:")]


@pytest.mark.slow
def test_a_second_config_never_mixes_with_the_first_run(tmp_path):
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(tiny(11, "first_gan")))
    (tmp_path / "mine.yaml").write_text(yaml.safe_dump(tiny(22, "second_gan")))
    # The first run up to its config.yaml and summary table (what the guard and the checks below read).
    first = snakemake(tmp_path, "--cores", 2, "results/config.yaml", "results/tables/summary.csv")
    assert first.returncode == 0, first.stderr[-3000:]
    results = tmp_path / "results"
    summary = (results / "tables" / "summary.csv").read_bytes()
    assert list(yaml.safe_load((results / "config.yaml").read_text())["scenarios"]) == ["first_gan"]

    # The second config into the same folder: one line, before any job, and the first run untouched.
    mine = ["--configfile", tmp_path / "mine.yaml", "--replace-workflow-config"]
    second = snakemake(tmp_path, "--cores", 2, *mine)
    assert second.returncode != 0
    errors = _config_errors(second)
    assert len(errors) == 1 and "config key run_name: results/ holds another run" in errors[0], second.stderr[-2000:]
    assert "first_gan" in errors[0] and "run_name=NAME" in errors[0]
    assert not (results / "simulations" / "second_gan").exists()
    assert (results / "tables" / "summary.csv").read_bytes() == summary
    # A report of the second config over the first run (what the issue met): refused in one line as well.
    report = snakemake(tmp_path, "--report", "results/report.html", *mine)
    assert report.returncode != 0 and len(_config_errors(report)) == 1, report.stderr[-2000:]
    assert not (results / "report.html").exists()
    # The same run with another value is not another run (only a dry run here: it would rerun everything).
    same = snakemake(tmp_path, "--cores", 1, "--dry-run", "--config", "seed=12")
    assert same.returncode == 0 and not _config_errors(same), same.stderr[-2000:]

    # Named, the second run has a folder of its own; its summary, tables, config and report are its own.
    named = snakemake(tmp_path, "--cores", 2, *mine, "--config", "run_name=mine")
    assert named.returncode == 0, named.stderr[-3000:]
    own = results / "mine"
    stored = yaml.safe_load((own / "config.yaml").read_text())
    assert list(stored["scenarios"]) == ["second_gan"] and stored["seed"] == 22 and stored["run_name"] == "mine"
    page = (own / "SUMMARY.md").read_text()
    assert "`second_gan`" in page and "first_gan" not in page and "Seed 22," in page
    assert "`results/mine/config.yaml`" in page
    for table in ("summary", "convergence", "exact_checks", "coverage", "iid", "paper"):
        assert set(pd.read_csv(own / "tables" / f"{table}.csv").scenario) == {"second_gan"}, table
    claims = (own / "claims.md").read_text()
    assert "Regenerate with `snakemake --cores N --configfile results/mine/config.yaml --replace-workflow-config`" \
        in claims
    assert (results / "tables" / "summary.csv").read_bytes() == summary   # the first run is as it was
    assert sorted(p.name for p in (own / "figures").iterdir()) == ["overview.pdf", "overview.png", "second_gan"]

    report = snakemake(tmp_path, "--report", "results/mine/report.html", *mine, "--config", "run_name=mine")
    assert report.returncode == 0, report.stderr[-3000:]
    html = (own / "report.html").read_text(errors="replace")
    embedded, categories = _embedded(html)
    assert embedded and all(path.startswith("results/mine/") for path in embedded)
    assert "results/mine/config.yaml" in embedded and "results/mine/report/SUMMARY.html" in embedded
    assert "second_gan" in categories["Figures"] and "first_gan" not in html
    # Its front page names the run, the config it was made by, its scenarios and seed.
    assert "results/mine/config.yaml</tt>" in html and "(second_gan; seed 22," in html
