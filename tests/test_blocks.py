"""replicates_per_job: auto (mcloss.pipeline.project): blocks sized by their work, results independent of them."""

import copy
import math

import numpy as np
import pytest

from common import GAN, first_problem
from mcloss.estimands import build
from mcloss.pipeline import project
from mcloss.pipeline.project import (
    MIN_JOBS,
    SMALL_SECONDS,
    TARGET_JOB_SECONDS,
    Project,
    replicate_blocks,
    replicate_seconds,
)
from mcloss.simulate.engine import load, save, simulate


def covers(blocks, replicates):
    return [b for block in blocks for b in range(*block)] == list(range(replicates))


@pytest.mark.parametrize("replicates", [2, 7, 400, 10_000])
@pytest.mark.parametrize("seconds", [1e-6, 0.003, 0.03, 0.3, 3.0, 60.0])
def test_auto_blocks_cover_the_replicates_in_jobs_of_about_the_target(replicates, seconds):
    blocks = replicate_blocks(replicates, "auto", seconds)
    assert covers(blocks, replicates)
    total = replicates * seconds
    if total <= SMALL_SECONDS:
        assert blocks == [(0, replicates)]           # a cheap scenario is one job
        return
    assert len(blocks) >= min(MIN_JOBS, replicates)   # enough jobs for the cores
    size = blocks[0][1] - blocks[0][0]
    # No job much above the target unless a single replicate is; never more jobs than needed for it.
    assert size * seconds <= max(TARGET_JOB_SECONDS, seconds)
    # Not smaller than needed: one more replicate a job would pass the target, or the jobs would fall under MIN_JOBS.
    assert (size + 1) * seconds > TARGET_JOB_SECONDS or size == math.ceil(replicates / MIN_JOBS)


def test_an_integer_splits_as_before():
    assert replicate_blocks(10, 4, 1.0) == [(0, 4), (4, 8), (8, 10)]
    assert replicate_blocks(10, 100, 1.0) == [(0, 10)]


def test_more_replicates_add_blocks_once_the_scenario_is_large():
    seconds = 0.5   # 40 replicates a job
    small, large = replicate_blocks(400, "auto", seconds), replicate_blocks(1000, "auto", seconds)
    assert large[: len(small)] == small


def test_the_estimated_cost_follows_the_plan_and_the_largest_n():
    iid, sobol = build(GAN, "s"), build({**GAN, "sampling": "sobol"}, "s")
    assert replicate_seconds(iid, [1, 1000]) == pytest.approx(1000 * project.SECONDS_PER_SAMPLE)
    assert replicate_seconds(sobol, [1, 1000]) > replicate_seconds(iid, [1, 1000])
    assert replicate_seconds(iid, [1, 10**6]) == pytest.approx(1000 * replicate_seconds(iid, [1, 1000]))


def test_auto_is_the_default_and_a_pure_function_of_the_config():
    config = {"replicates": 400, "batch_sizes": {"max": 10**6}, "scenarios": {"a": copy.deepcopy(GAN)}}
    blocks = Project(copy.deepcopy(config)).blocks("a")
    assert Project(copy.deepcopy(config)).config["replicates_per_job"] == "auto"
    assert blocks == Project(copy.deepcopy(config)).blocks("a") and len(blocks) >= MIN_JOBS
    assert Project({**copy.deepcopy(config), "replicates_per_job": 100}).blocks("a") == [
        (0, 100), (100, 200), (200, 300), (300, 400)]


@pytest.mark.parametrize("value", ["sometimes", 0, 1.5])
def test_other_values_are_refused_in_one_line(value):
    problem = first_problem({"replicates_per_job": value})
    assert problem is not None and "replicates_per_job" in problem and "\n" not in problem


@pytest.mark.parametrize("sampling", ["iid", "antithetic", "sobol"])
def test_the_simulation_is_byte_identical_whatever_the_blocks(tmp_path, sampling):
    estimand = build({**GAN, "sampling": sampling}, "s")
    grid = [2, 8, 64, 512]
    splits = {"whole": [(0, 12)], "auto": replicate_blocks(12, "auto", 2.0), "odd": [(0, 5), (5, 7), (7, 12)]}
    assert len(splits["auto"]) > 1
    loaded = {}
    for name, blocks in splits.items():
        paths = []
        for start, stop in blocks:
            paths.append(tmp_path / f"{name}_{start}-{stop}.npz")
            save(simulate(estimand, grid, range(start, stop), 3, 17, chunk_size=1 << 10), paths[-1])
        loaded[name] = load(paths)
    for name in ("auto", "odd"):
        for q in loaded["whole"].estimate:
            assert loaded[name].estimate[q].tobytes() == loaded["whole"].estimate[q].tobytes()
            assert loaded[name].se[q].tobytes() == loaded["whole"].se[q].tobytes()
        np.testing.assert_array_equal(loaded[name].replicates, np.arange(12))
