"""End to end: a sweep over `sampling` through the rules (efficiency table, plans figure, timing side files)."""

import copy

import pandas as pd
import yaml

from common import GAN, snakemake
from mcloss.evidence.efficiency import EFFICIENCY_COLUMNS, TIMING_COLUMNS

CONFIG = {
    "seed": 7, "replicates": 8, "replicates_per_job": 4, "chunk_size": 1024,
    "batch_sizes": {"min": 2, "max": 2048, "per_decade": 4},
    "scenarios": {"gan": copy.deepcopy(GAN)},
    "sweeps": {"plans": {"scenario": "gan", "vary": {"sampling": ["iid", "sobol"]}, "x": "sampling",
                         "quantities": ["bce"]}},
}
TARGETS = ["results/tables/efficiency.csv", "results/figures/plans/plans.png",
           "results/tables/scenarios/plans__sampling=sobol/summary.csv"]


def test_a_sweep_over_sampling_runs_through_the_rules(tmp_path):
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(CONFIG, sort_keys=False))
    run = snakemake(tmp_path, "--cores", "2", *TARGETS)
    assert run.returncode == 0, run.stderr[-3000:]
    table = pd.read_csv(tmp_path / "results/tables/efficiency.csv")
    assert list(table.columns) == EFFICIENCY_COLUMNS
    assert set(table.sampling) == {"iid", "sobol"}
    assert (table[table.sampling == "iid"].relative_efficiency == 1.0).all()
    for ext in ("md", "tex"):
        assert (tmp_path / f"results/tables/efficiency.{ext}").stat().st_size > 0
    assert (tmp_path / "results/figures/plans/plans.pdf").stat().st_size > 0
    # A sweep with a sobol point runs every point on the powers of two; sobol has no per-replicate interval.
    sobol = pd.read_csv(tmp_path / "results/tables/scenarios/plans__sampling=sobol/summary.csv")
    assert sorted(set(sobol.n)) == [2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048]
    assert sobol.coverage.isna().all()
    timing = pd.read_csv(tmp_path / "results/simulations/plans__sampling=sobol/replicates_4-8.seconds.csv")
    assert list(timing.columns) == TIMING_COLUMNS and list(timing.replicate) == [4, 5, 6, 7]
    log = (tmp_path / "results/logs/sweep_points/plans/points_0-2.log").read_text()   # the sweep's one job
    assert "per_decade does not apply" in log
    # The same numbers with one job per point and one core.
    other = tmp_path / "other"
    other.mkdir()
    (other / "config.yaml").write_text(yaml.safe_dump({**CONFIG, "replicates_per_job": 8}, sort_keys=False))
    again = snakemake(other, "--cores", "1", TARGETS[-1])
    assert again.returncode == 0, again.stderr[-3000:]
    assert (other / TARGETS[-1]).read_bytes() == (tmp_path / TARGETS[-1]).read_bytes()
