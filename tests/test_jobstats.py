"""Per-rule totals of Snakemake benchmark files."""

import math

import pytest

from mcloss.evidence.jobstats import COLUMNS, rule_totals

HEADER = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"


def write(path, *lines):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + "".join(f"{s}\t0:00:0{int(s)}\t{rss}\t0\t0\t0\t0\t0\t0\t{cpu}\n" for s, rss, cpu in lines))


def test_rule_totals_sum_jobs_per_rule_and_overall(tmp_path):
    write(tmp_path / "simulate" / "a" / "replicates_0-10.tsv", (2.0, 120.5, 1.5))
    write(tmp_path / "simulate" / "a" / "replicates_10-20.tsv", (4.0, 130.0, 3.5))
    write(tmp_path / "exact" / "a.tsv", (1.0, "-", 0.5))  # too short for memory sampling
    write(tmp_path / "claims.tsv", (3.0, 90.0, 2.0), (5.0, 95.0, 4.0))  # repeated: the mean counts
    write(tmp_path / "benchmarks.tsv", (9.0, 50.0, 9.0))
    table = rule_totals(tmp_path, exclude=("benchmarks",))
    assert list(table.columns) == COLUMNS
    rows = table.set_index("rule")
    assert list(rows.index) == ["simulate", "claims", "exact", "(all)"]  # by total time, then the sum
    assert rows.loc["simulate", "jobs"] == 2 and rows.loc["simulate", "total_s"] == 6.0
    assert rows.loc["simulate", "cpu_time_s"] == 5.0 and rows.loc["simulate", "max_rss_mb"] == 130.0
    assert rows.loc["claims", "total_s"] == 4.0 and rows.loc["claims", "cpu_time_s"] == 3.0
    assert math.isnan(rows.loc["exact", "max_rss_mb"])
    assert rows.loc["(all)", "jobs"] == 4 and rows.loc["(all)", "total_s"] == pytest.approx(11.0)
    assert rows.loc["(all)", "max_rss_mb"] == 130.0


def test_no_benchmark_files_give_an_empty_table(tmp_path):
    assert list(rule_totals(tmp_path).columns) == COLUMNS and rule_totals(tmp_path).empty


def test_files_of_jobs_no_longer_in_the_config_are_not_counted(tmp_path):
    write(tmp_path / "simulate" / "a" / "replicates_0-10.tsv", (2.0, 120.5, 1.5))
    write(tmp_path / "simulate" / "gone" / "replicates_0-10.tsv", (40.0, 120.5, 1.5))   # a removed scenario
    write(tmp_path / "figures" / "a.tsv", (1.0, 100.0, 1.0))
    write(tmp_path / "figures" / "gone.tsv", (30.0, 100.0, 1.0))
    write(tmp_path / "claims.tsv", (3.0, 90.0, 2.0))
    rows = rule_totals(tmp_path, keep={"simulate": ["a/replicates_0-10"], "figures": ["a"]}).set_index("rule")
    assert rows.loc["simulate", "total_s"] == 2.0 and rows.loc["figures", "total_s"] == 1.0
    assert rows.loc["(all)", "jobs"] == 3 and rows.loc["(all)", "total_s"] == 6.0
    assert rule_totals(tmp_path).set_index("rule").loc["(all)", "jobs"] == 5   # without keep: every file
