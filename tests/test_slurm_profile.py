"""The SLURM profile plans the jobs the config implies, each with its rule's resources.

A dry run (`snakemake -n --profile profiles/slurm`) needs no cluster: it builds the
DAG with the profile's settings and prints every job with the resources it would be
submitted with. The real submission is exercised by tests/slurm_cluster.sh (CI).
"""

import math
import re
import subprocess
import sys

import pytest
import yaml

from common import GAN, ROOT

PROFILE = ROOT / "profiles" / "slurm"
SCENARIOS = {
    "fixed": GAN,
    "optimal": {**GAN, "discriminator": "optimal", "real_fraction": 0.25},
}
CONFIG = {
    "seed": 3,
    "replicates": 30,
    "replicates_per_job": 7,
    "batch_sizes": {"min": 1, "max": 1000, "per_decade": 4},
    "analysis": {"slope_min_n": 10, "bootstrap": 20, "paths": 5},
    "scenarios": SCENARIOS,
    # A sweep, so that its generated rules (sweep_points_<sweep>_<first point>) are planned too.
    "sweeps": {"shift": {"scenario": "fixed", "vary": {"generator.loc": [0.0, 0.5, 1.0]}, "points_per_job": 2}},
}


def dry_run(directory, *extra):
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "config.yaml").write_text(yaml.safe_dump(CONFIG))
    run = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", "--snakefile", str(ROOT / "Snakefile"), "--directory",
         str(directory), *extra],
        capture_output=True, text=True,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return run.stdout + run.stderr


def job_counts(output):
    """The dry run's "Job stats" table: rule -> number of jobs."""
    lines = output[output.index("Job stats:"):].splitlines()[3:]
    counts = {}
    for line in lines:
        name, count = line.split()
        if name == "total":
            return counts, int(count)
        counts[name] = int(count)
    raise AssertionError("no total line in the job stats")


def planned_resources(output):
    """rule -> the resources of each of its planned jobs, as {name: value} dicts."""
    planned = {}
    for block in re.split(r"\n(?=\[[^\]]+\]\nrule )", output):
        rule = re.search(r"^rule (\w+):", block, re.M)
        resources = re.search(r"^\s+resources: (.*)$", block, re.M)
        if rule and resources:
            pairs = dict(item.split("=", 1) for item in resources.group(1).split(", "))
            planned.setdefault(rule.group(1), []).append(pairs)
    return planned


@pytest.fixture(scope="module")
def with_profile(tmp_path_factory):
    return dry_run(tmp_path_factory.mktemp("slurm"), "--profile", str(PROFILE))


def test_dry_run_plans_the_jobs_the_config_implies(with_profile):
    counts, total = job_counts(with_profile)
    blocks = math.ceil(CONFIG["replicates"] / CONFIG["replicates_per_job"])
    assert counts["simulate"] == len(SCENARIOS) * blocks == 10
    assert counts["summarise"] == counts["figures"] == len(SCENARIOS)   # neither GAN scenario has identities
    assert counts["sweep_points_shift_0"] == counts["sweep_points_shift_2"] == 1
    assert counts["benchmarks"] == 1 and counts["all"] == 1
    assert sum(counts.values()) == total


def test_every_job_is_submitted_with_the_profiles_resources(with_profile):
    profile = yaml.safe_load((PROFILE / "config.yaml").read_text())
    assert profile["executor"] == "slurm"
    defaults = profile["default-resources"]
    assert "PLACEHOLDER" in defaults["slurm_partition"] and "PLACEHOLDER" in defaults["slurm_account"]
    planned = planned_resources(with_profile)
    counts, _ = job_counts(with_profile)
    for rule, jobs in planned.items():
        if rule == "all":  # no action: Snakemake completes it itself, nothing is submitted
            continue
        assert len(jobs) == counts[rule]
        if rule.startswith("sweep_points_"):
            # Named after their sweep, so not in the profile: the cluster's defaults and the rule's own runtime
            # (test_profile_resources_are_the_rules_own), which grows with the job's sampling.
            for job in jobs:
                assert job["slurm_partition"] == defaults["slurm_partition"] and int(job["cpus_per_task"]) == 1
                assert 10 < int(job["runtime"]) < 60
            continue
        wanted = profile["set-resources"].get(rule)
        assert wanted is not None, f"rule {rule} has no entry under set-resources in profiles/slurm/config.yaml"
        for job in jobs:
            assert job["slurm_partition"] == defaults["slurm_partition"]
            assert job["slurm_account"] == defaults["slurm_account"]
            assert int(job["cpus_per_task"]) == wanted["cpus_per_task"] == 1
            assert int(job["mem_mb"]) == wanted["mem_mb"] and int(job["runtime"]) == wanted["runtime"]


def test_profile_resources_are_the_rules_own(with_profile, tmp_path):
    # Without the profile, each job carries the resources its rule declares.
    own = planned_resources(dry_run(tmp_path / "local"))
    via_profile = planned_resources(with_profile)
    assert set(own) == set(via_profile)
    for rule, jobs in own.items():
        if rule == "all":
            continue
        for key in ("mem_mb", "runtime"):
            assert {job[key] for job in jobs} == {job[key] for job in via_profile[rule]}, (rule, key)
