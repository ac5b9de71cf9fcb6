"""Sweeps: expansion into scenarios, checks, table columns, exact curves, common random numbers, reruns."""

import copy
import json
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.integrate
import scipy.stats
import yaml
from PIL import Image

from common import GAN, first_problem, snakemake
from mcloss.errors import ConfigError
from mcloss.estimands import build
from mcloss.evidence.summarise import CONVERGENCE_COLUMNS, SUMMARY_COLUMNS
from mcloss.laws.streams import scenario_key
from mcloss.pipeline import sweeps
from mcloss.simulate.engine import simulate

OPTIMAL = {**copy.deepcopy(GAN), "discriminator": "optimal"}


def config_with(sweep_entries, scenarios=None):
    return {"scenarios": scenarios or {"g": copy.deepcopy(GAN), "opt": copy.deepcopy(OPTIMAL)},
            "sweeps": sweep_entries}


# --- names and expansion ---------------------------------------------------------------------------


@pytest.mark.parametrize("value, text", [
    (0.1 + 0.2, "0.3"), (0.25, "0.25"), (1.0, "1"), (4, "4"), (-0.5, "-0.5"), (-0.0, "0"), (1e-7, "1e-07"),
    (123456789.123, "123456789.123"), (2.0 / 3.0, "0.666666666667"), ("logistic", "logistic"),
])
def test_values_are_written_without_float_noise(value, text):
    assert sweeps.format_value(value) == text


def test_points_are_the_cartesian_product_with_readable_file_safe_names():
    entry = {"scenario": "g", "vary": {"real_fraction": [0.25, 0.5], "discriminator.logit.1": [1.0, 0.1 + 0.2]}}
    config = config_with({"s": entry})
    base = copy.deepcopy(config["scenarios"]["g"])
    sweep = sweeps.expand("s", entry, config["scenarios"])
    assert [p.name for p in sweep.points] == [
        "s__real_fraction=0.25__discriminator.logit.1=1", "s__real_fraction=0.25__discriminator.logit.1=0.3",
        "s__real_fraction=0.5__discriminator.logit.1=1", "s__real_fraction=0.5__discriminator.logit.1=0.3",
    ]
    second = sweep.points[1]
    assert second.spec["real_fraction"] == 0.25
    assert second.spec["discriminator"]["logit"] == [-0.5, 0.1 + 0.2]   # the value itself, not its name
    assert second.spec["data"] == base["data"] and second.spec["generator"] == base["generator"]
    assert config["scenarios"]["g"] == base                             # the base is not modified
    assert sweep.x == "real_fraction" and sweep.series_keys == ["discriminator.logit.1"]
    assert all(sweeps._SAFE.match(p.name) for p in sweep.points)
    assert sweeps.series_values(sweep) == [{"discriminator.logit.1": 1.0}, {"discriminator.logit.1": 0.1 + 0.2}]


def test_schema_fills_the_documented_defaults_and_leaves_the_overrides_to_the_top_level():
    config = config_with({"s": {"scenario": "opt", "vary": {"generator.loc": [0.0, 1.0]}}})
    assert first_problem(config) is None
    entry = config["sweeps"]["s"]
    assert entry["common_random_numbers"] is False and entry["curve_points"] == 200
    assert "replicates" not in entry and "batch_sizes" not in entry and "x" not in entry
    assert first_problem({"scenarios": {"g": copy.deepcopy(GAN)}}) is None   # sweeps are optional


@pytest.mark.parametrize("entry, key, allowed", [
    ({"scenario": "nope", "vary": {"generator.loc": [0.0]}}, "sweeps.s.scenario", "g, opt"),
    ({"scenario": "g", "vary": {"generator.shift": [0.0]}}, "sweeps.s.vary.generator.shift", "generator.loc"),
    ({"scenario": "g", "vary": {"discriminator.logit.7": [0.0]}}, "sweeps.s.vary.discriminator.logit.7",
     "discriminator.logit.1"),
    ({"scenario": "g", "vary": {"generator.loc": [0.0, 1.0]}, "x": "real_fraction"}, "sweeps.s.x", "generator.loc"),
    ({"scenario": "g", "vary": {"generator.loc": []}}, "sweeps.s.vary.generator.loc", "at least 1"),
    ({"scenario": "g", "vary": {}}, "sweeps.s.vary", "at least 1"),
    ({"scenario": "g", "vary": {"real_fraction": [0.5, 1.5]}}, "sweeps.s[real_fraction=1.5].real_fraction",
     "0 < real_fraction < 1"),
    ({"scenario": "g", "vary": {"generator.scale": [1.0, -2.0]}}, "sweeps.s[generator.scale=-2].generator.scale",
     "> 0"),
    ({"scenario": "g", "vary": {"generator.loc": [0.0], "data.dist": ["norm", "nrom"]}},
     "sweeps.s[generator.loc=0,data.dist=nrom].data.dist", "scipy.stats"),
    ({"scenario": "g", "vary": {"generator.loc": [0.5, 0.5]}}, "sweeps.s.vary.generator.loc[1]", "distinct"),
    ({"scenario": "g", "vary": {"data.dist": ["norm", "logistic"]}}, "sweeps.s.vary.data.dist", "numbers"),
    ({"scenario": "g", "vary": {"generator.loc": [0.0]}, "quantities": ["bce", "jsd"]}, "sweeps.s.quantities[1]",
     "e_real"),
    ({"scenario": "g", "vary": {"generator.loc": [0.0]}, "colour": "red"}, "sweeps.s.colour", "vary"),
    ({"scenario": "g", "vary": {"generator.loc": [0.0]}, "batch_sizes": {"min": 100, "max": 10}},
     "sweeps.s.batch_sizes.max", "max >= min"),
])
def test_rejections_name_the_sweep_key_in_one_line(entry, key, allowed):
    message = first_problem(config_with({"s": entry}))
    assert message is not None
    assert message.startswith(f"config key {key}:"), message
    assert "allowed:" in message and allowed in message.split("allowed:", 1)[1], message
    assert "\n" not in message


def test_a_point_may_not_take_a_scenarios_name_or_a_column_name():
    scenarios = {"g": copy.deepcopy(GAN), "s__generator.loc=1": copy.deepcopy(GAN)}
    with pytest.raises(ConfigError, match="has the name of a scenario"):
        sweeps.expand("s", {"scenario": "g", "vary": {"generator.loc": [1.0]}}, scenarios)
    spec = {**copy.deepcopy(GAN), "n": 3}
    with pytest.raises(ConfigError, match="config key sweeps.s.vary.n: the name of a table column"):
        sweeps.expand("s", {"scenario": "g", "vary": {"n": [1, 2]}}, {"g": spec})


def test_snakemake_stops_on_a_bad_sweep_before_any_job(tmp_path):
    config = config_with({"s": {"scenario": "g", "vary": {"generator.sd": [1.0]}}})
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    run = snakemake(tmp_path, "--cores", 1)
    assert run.returncode != 0
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("config error: config key sweeps.s.vary.generator.sd: no such "
                                                   "key in scenarios.g; allowed: "), run.stderr
    assert not (tmp_path / "results").exists()


# --- tables --------------------------------------------------------------------------------------------


def test_tables_gain_a_sweep_column_and_one_per_varied_key():
    config = config_with({
        "a": {"scenario": "opt", "vary": {"generator.loc": [0.0, 0.5]}},
        "b": {"scenario": "g", "vary": {"real_fraction": [0.25], "data.dist": ["norm"]}},
    })
    expanded = sweeps.expand_all(config)
    names = ["opt", "a__generator.loc=0", "a__generator.loc=0.5", "b__real_fraction=0.25__data.dist=norm"]
    frame = pd.DataFrame({"scenario": names, "estimate": [1.0, 2.0, 3.0, 4.0]})
    out = sweeps.label(frame, expanded)
    assert list(out.columns) == ["scenario", "estimate", "sweep", "generator.loc", "real_fraction", "data.dist"]
    assert list(out.sweep) == ["", "a", "a", "b"]
    np.testing.assert_array_equal(out["generator.loc"], [np.nan, 0.0, 0.5, np.nan])
    np.testing.assert_array_equal(out["real_fraction"], [np.nan, np.nan, np.nan, 0.25])
    assert list(out["data.dist"]) == ["", "", "", "norm"]
    assert out["generator.loc"].dtype == np.float64
    assert sweeps.label(frame, {}) is frame          # no sweeps: the tables keep their columns
    assert sweeps.RESERVED_COLUMNS >= set(SUMMARY_COLUMNS) | set(CONVERGENCE_COLUMNS)


# --- exact curves ----------------------------------------------------------------------------------------


def test_curve_x_values_are_round_numbers_spanning_the_grid():
    xs = sweeps.curve_x([0.0, 0.25, 4.0], 200)
    assert xs[0] == 0.0 and xs[-1] == 4.0 and xs.size == 201
    np.testing.assert_allclose(np.diff(xs), 0.02, rtol=0, atol=1e-12)
    fractions = sweeps.curve_x([0.1, 0.9], 200)
    assert fractions.size == 201 and fractions[1] == 0.104
    geometric = sweeps.curve_x([0.01, 10.0], 50)
    assert sweeps.axis_scale([0.01, 10.0]) == "log" and geometric[0] == 0.01 and geometric[-1] == 10.0
    np.testing.assert_allclose(np.diff(np.log(geometric)), np.log(1000) / 49, rtol=1e-2)   # 4 digits
    assert list(sweeps.curve_x([2.0], 200)) == [2.0]


def jsd_by_definition(mu):
    """JSD(N(0,1) || N(mu,1)) = (KL(p||m) + KL(q||m)) / 2 by direct quadrature (no mcloss code)."""
    p, q = scipy.stats.norm(0, 1), scipy.stats.norm(mu, 1)

    def integrand(x):
        lp, lq = p.logpdf(x), q.logpdf(x)
        lm = np.logaddexp(lp, lq) - math.log(2)
        return 0.5 * (math.exp(lp) * (lp - lm) + math.exp(lq) * (lq - lm))

    return scipy.integrate.quad(integrand, -np.inf, np.inf, epsabs=1e-13, epsrel=1e-12, limit=400)[0]


def test_exact_curve_of_the_optimal_discriminator_is_minus_log4_plus_twice_the_jsd():
    xs = sweeps.curve_x([0.0, 4.0], 9)
    curve, skipped = sweeps.exact_curve(OPTIMAL, "generator.loc", xs, [{}])
    assert not skipped
    value = curve[curve.quantity == "value"].set_index("generator.loc").exact
    assert list(value.index) == list(xs)
    for mu, v in value.items():
        assert v == pytest.approx(-math.log(4.0) + 2.0 * jsd_by_definition(mu), abs=1e-7)
    assert value.iloc[0] == pytest.approx(-math.log(4.0), abs=1e-12)   # p_g = p_data: D* = 1/2


def test_exact_bce_curve_is_linear_in_the_real_fraction_and_gaps_are_reported():
    xs = sweeps.curve_x([0.1, 0.9], 12)
    series = [{"generator.scale": 1.0}, {"generator.scale": 2.0}]
    curve, skipped = sweeps.exact_curve(GAN, "real_fraction", xs, series)
    assert not skipped and list(curve.columns) == ["generator.scale", "real_fraction", "quantity", "exact"]
    for scale in (1.0, 2.0):
        bce = curve[(curve.quantity == "bce") & (curve["generator.scale"] == scale)].sort_values("real_fraction")
        pi, y = bce.real_fraction.to_numpy(), bce.exact.to_numpy()
        # bce(pi) = -(pi E_data[log D] + (1 - pi) E_g[log(1 - D)]): a straight line through its ends.
        line = y[0] + (y[-1] - y[0]) * (pi - pi[0]) / (pi[-1] - pi[0])
        np.testing.assert_allclose(y, line, rtol=0, atol=1e-12)
    # A real fraction that is no ratio of small whole numbers is no scenario: left out, and said so.
    curve, skipped = sweeps.exact_curve(GAN, "real_fraction", [0.5, 0.1234567891], [{}])
    assert set(curve.real_fraction) == {0.5} and len(skipped) == 1 and "real_fraction" in skipped[0]


# --- common random numbers ---------------------------------------------------------------------------


def test_common_random_numbers_shrink_the_variance_of_differences_between_neighbouring_points():
    """Var(A - B) = Var A + Var B - 2 Cov(A, B): with shared streams Cov > 0 and the difference is sharper."""
    config = config_with({
        "crn": {"scenario": "opt", "vary": {"generator.loc": [0.5, 0.75]}, "common_random_numbers": True},
        "ind": {"scenario": "opt", "vary": {"generator.loc": [0.5, 0.75]}},
    })
    expanded = sweeps.expand_all(config)
    names = sweeps.random_names(expanded)
    assert names == {p.name: "sweep:crn" for p in expanded["crn"].points}
    replicates, n = 400, np.array([2000])
    result = {}
    for label, sweep in expanded.items():
        a, b = (simulate(build(p.spec, p.name), n, range(replicates), 5, scenario_key(names.get(p.name, p.name)))
                .estimate["value"][:, -1] for p in sweep.points)
        cov = np.cov(a, b, ddof=1)
        var_diff = np.var(a - b, ddof=1)
        assert var_diff == pytest.approx(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1], rel=1e-10)
        result[label] = (var_diff, cov[0, 0] + cov[1, 1], cov[0, 1] / math.sqrt(cov[0, 0] * cov[1, 1]))
    crn, ind = result["crn"], result["ind"]
    assert crn[2] > 0.5                                      # positively correlated estimates
    assert abs(ind[2]) < 4 / math.sqrt(replicates)           # independent points: no correlation
    assert crn[0] < 0.1 * ind[0]                             # the variance of the difference shrinks
    assert abs(ind[0] - ind[1]) < 4 * ind[1] * math.sqrt(2 / (replicates - 1))


# --- end to end -------------------------------------------------------------------------------------------

SWEEP_CONFIG = {
    "seed": 11,
    "replicates": 20,
    "replicates_per_job": 20,
    "batch_sizes": {"min": 1, "max": 5000, "per_decade": 4},
    "analysis": {"slope_min_n": 50, "bootstrap": 20, "paths": 3},
    "scenarios": {"bal": copy.deepcopy(GAN)},
    "sweeps": {
        # One point a job, so that the tests below see which points a change reruns; grouped points are
        # tested by test_points_per_job_changes_the_jobs_not_the_results.
        "shift": {"scenario": "bal", "vary": {"generator.loc": [0.0, 0.5, 1.5]}, "x": "generator.loc",
                  "curve_points": 20, "points_per_job": 1},
        "mix": {"scenario": "bal", "vary": {"real_fraction": [0.25, 0.5], "generator.scale": [1.0, 2.0]},
                "x": "real_fraction", "common_random_numbers": True, "curve_points": 20, "replicates": 30,
                "batch_sizes": {"max": 2000}, "points_per_job": 1},
    },
}
TARGETS = ["results/tables/summary.csv", "results/tables/convergence.csv", "results/figures/sweeps/shift.png",
           "results/figures/sweeps/mix.png"]


def run_ok(directory, *args):
    run = snakemake(directory, *args)
    assert run.returncode == 0, run.stderr[-3000:]
    return run.stdout + run.stderr


def planned_jobs(directory, *args):
    """(rule, scenario/sweep/table wildcard) of every job a dry run plans."""
    text = run_ok(directory, "--dry-run", *args)
    jobs, rule = set(), None
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith(("rule ", "localrule ")) and stripped.endswith(":"):
            rule = stripped.split()[1][:-1]
            jobs.add((rule, None))
        elif stripped.startswith("wildcards:") and rule:
            jobs.discard((rule, None))
            wildcards = dict(part.split("=", 1) for part in stripped[len("wildcards:"):].strip().split(", "))
            jobs.add((rule, wildcards.get("scenario") or wildcards.get("sweep") or wildcards.get("table")))
            rule = None
    return jobs


def point_jobs(config, *names):
    """The sweep_points jobs (rule, no wildcard) that hold the points ``names`` of ``config``'s sweeps."""
    jobs = set()
    for sweep in sweeps.expand_all(config).values():
        for i, point in enumerate(sweep.points):
            if point.name in names:
                start = i - i % sweep.points_per_job
                jobs.add((f"sweep_points_{sweep.name}_{start}", None))
    return jobs


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("sweeps")
    (directory / "config.yaml").write_text(yaml.safe_dump(SWEEP_CONFIG, sort_keys=False))
    run_ok(directory, "--cores", "2", *TARGETS)
    return directory


def read_config(directory):
    return yaml.safe_load((directory / "config.yaml").read_text())


def edited_copy(run_dir, tmp_path, edit):
    """A copy of the finished run (results and snakemake's records) with an edited config."""
    directory = tmp_path / "edited"
    shutil.copytree(run_dir, directory, symlinks=True)
    shutil.rmtree(directory / ".snakemake" / "locks", ignore_errors=True)
    config = copy.deepcopy(SWEEP_CONFIG)
    edit(config)
    (directory / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return directory


@pytest.mark.slow
def test_summary_and_convergence_tables_carry_the_sweep_columns(run_dir):
    summary = pd.read_csv(run_dir / "results" / "tables" / "summary.csv")
    assert list(summary.columns) == SUMMARY_COLUMNS + ["sweep", "generator.loc", "real_fraction", "generator.scale"]
    conv = pd.read_csv(run_dir / "results" / "tables" / "convergence.csv")
    assert list(conv.columns) == CONVERGENCE_COLUMNS + ["sweep", "generator.loc", "real_fraction", "generator.scale"]
    plain = conv[conv.scenario == "bal"]
    assert plain.sweep.isna().all() and plain["generator.loc"].isna().all()
    shift = conv[conv.sweep == "shift"]
    assert sorted(set(shift["generator.loc"])) == [0.0, 0.5, 1.5] and shift.real_fraction.isna().all()
    mix = conv[conv.sweep == "mix"]
    assert set(zip(mix.real_fraction, mix["generator.scale"])) == {(0.25, 1.0), (0.25, 2.0), (0.5, 1.0), (0.5, 2.0)}
    assert (mix.replicates == 30).all() and (mix.n_max == 2000).all()        # the sweep's own overrides
    assert (shift.replicates == 20).all() and (shift.n_max == 5000).all()


@pytest.mark.slow
def test_estimates_at_the_largest_n_lie_within_their_intervals_of_the_exact_curve(run_dir):
    conv = pd.read_csv(run_dir / "results" / "tables" / "convergence.csv")
    points = conv[conv.sweep.notna()]
    assert len(points) == 7 * 4
    assert (np.abs(points.estimate - points.exact) <= 4 * points.estimate_mcse).all()
    curve = pd.read_csv(run_dir / "results" / "sweeps" / "shift" / "exact_curve.csv")
    assert curve["generator.loc"].min() == 0.0 and curve["generator.loc"].max() == 1.5
    for loc in (0.0, 1.5):   # the curve's ends are the first and last points, computed on their own
        for q, exact in conv[(conv.sweep == "shift") & (conv["generator.loc"] == loc)][["quantity", "exact"]].values:
            on_curve = curve[(curve["generator.loc"] == loc) & (curve.quantity == q)].exact.iloc[0]
            assert on_curve == pytest.approx(exact, abs=1e-12)
    mix_curve = pd.read_csv(run_dir / "results" / "sweeps" / "mix" / "exact_curve.csv")
    assert set(mix_curve["generator.scale"]) == {1.0, 2.0}


@pytest.mark.slow
def test_sweep_figures_are_written_with_their_provenance(run_dir):
    for sweep, count in (("shift", 3), ("mix", 4)):
        stem = run_dir / "results" / "figures" / "sweeps" / sweep
        assert stem.with_suffix(".pdf").read_bytes().startswith(b"%PDF")
        meta = json.loads(Image.open(stem.with_suffix(".png")).text["Description"])
        assert meta["sweep"] == sweep and len(meta["points"]) == count and meta["seed"] == 11


@pytest.mark.slow
def test_common_random_numbers_reach_the_simulations(run_dir):
    def last(point, quantity):
        files = sorted((run_dir / "results" / "simulations" / point).glob("*.npz"))
        return np.concatenate([np.load(f)[f"estimate/{quantity}"][:, -1] for f in files])

    # Under common random numbers the real stream is shared: changing only the generator leaves e_real as it is.
    a = last("mix__real_fraction=0.5__generator.scale=1", "e_real")
    b = last("mix__real_fraction=0.5__generator.scale=2", "e_real")
    np.testing.assert_array_equal(a, b)
    # Independent points draw their own real samples.
    assert not np.array_equal(last("shift__generator.loc=0", "e_real"), last("shift__generator.loc=0.5", "e_real"))


@pytest.mark.slow
def test_the_default_target_draws_point_figures_only_on_request(run_dir, tmp_path):
    points = [p for s in sweeps.expand_all(SWEEP_CONFIG).values() for p in s.points]
    jobs = planned_jobs(run_dir)
    assert not {("figures", p.name) for p in points} & jobs

    def request(config):
        config["sweeps"]["shift"]["point_figures"] = True

    jobs = planned_jobs(edited_copy(run_dir, tmp_path, request))
    shift = [p for p in points if p.sweep == "shift"]
    assert {("figures", p.name) for p in shift} <= jobs
    assert not {("figures", p.name) for p in points if p.sweep == "mix"} & jobs


@pytest.mark.slow
def test_editing_one_value_reruns_only_that_points_jobs_and_the_aggregates_reading_it(run_dir, tmp_path):
    def edit(config):
        config["sweeps"]["shift"]["vary"]["generator.loc"] = [0.0, 0.75, 1.5]     # an inner value: same range
        config["sweeps"]["mix"]["vary"]["generator.scale"] = [1.0, 3.0]           # a series: new curve lines

    directory = edited_copy(run_dir, tmp_path, edit)
    jobs = planned_jobs(directory, *TARGETS)
    new = ["shift__generator.loc=0.75", "mix__real_fraction=0.25__generator.scale=3",
           "mix__real_fraction=0.5__generator.scale=3"]
    assert len(point_jobs(read_config(directory), *new)) == 3
    assert jobs == point_jobs(read_config(directory), *new) | {
        ("summary_table", None), ("tables", "convergence"), ("sweep_figure", "shift"), ("sweep_figure", "mix"),
        ("sweep_curve", "mix")}


@pytest.mark.slow
def test_a_changed_range_recomputes_the_exact_curve(run_dir, tmp_path):
    directory = edited_copy(run_dir, tmp_path, lambda c: c["sweeps"]["shift"]["vary"].update(
        {"generator.loc": [0.0, 0.5, 2.0]}))
    jobs = planned_jobs(directory, *TARGETS)
    assert jobs == point_jobs(read_config(directory), "shift__generator.loc=2") | {
        ("summary_table", None), ("tables", "convergence"), ("sweep_figure", "shift"), ("sweep_curve", "shift")}


@pytest.mark.slow
def test_more_replicates_from_the_command_line_run_only_the_new_blocks(run_dir):
    jobs = planned_jobs(run_dir, "--config", "replicates=40", "--", *TARGETS)
    simulated = {scenario for rule, scenario in jobs if rule == "simulate"}
    assert simulated == {"bal"}
    # A sweep point's new block is made by the job holding the point (which redoes its old block too: Snakemake
    # removes a job's outputs before running it); mix sets its own replicates and does not rerun.
    assert {rule for rule, _ in jobs if rule.startswith("sweep_points_")} == {
        rule for rule, _ in point_jobs(SWEEP_CONFIG, "shift__generator.loc=0", "shift__generator.loc=0.5",
                                       "shift__generator.loc=1.5")}


@pytest.mark.slow
def test_removed_points_and_sweeps_leave_every_table_and_figure(run_dir, tmp_path):
    def edit(config):
        config["sweeps"]["shift"]["vary"]["generator.loc"] = [0.0, 1.5]
        del config["sweeps"]["mix"]

    directory = edited_copy(run_dir, tmp_path, edit)
    targets = TARGETS[:3]
    assert planned_jobs(directory, *targets) == {("summary_table", None), ("tables", "convergence"),
                                                 ("sweep_figure", "shift")}
    run_ok(directory, "--cores", "2", *targets)
    for table in ("summary", "convergence"):
        frame = pd.read_csv(directory / "results" / "tables" / f"{table}.csv")
        assert set(frame.scenario) == {"bal", "shift__generator.loc=0", "shift__generator.loc=1.5"}
        assert "real_fraction" not in frame.columns and "generator.scale" not in frame.columns
    meta = json.loads(Image.open(directory / "results" / "figures" / "sweeps" / "shift.png").text["Description"])
    assert [p["scenario"] for p in meta["points"]] == ["shift__generator.loc=0", "shift__generator.loc=1.5"]


@pytest.mark.slow
def test_points_per_job_changes_the_jobs_not_the_results(run_dir, tmp_path):
    def group(config):
        config["sweeps"]["shift"]["points_per_job"] = 2   # jobs of points 0-1 and 2
        config["sweeps"]["mix"]["points_per_job"] = 8     # one job for its 4 points

    directory = edited_copy(run_dir, tmp_path, group)
    points = [p for s in sweeps.expand_all(SWEEP_CONFIG).values() for p in s.points]
    for point in points:   # every grouped job runs (a group whose points and params are unchanged would not)
        shutil.rmtree(directory / "results" / "simulations" / point.name)
    # ... and recomputes its points: the cache of finished points would copy them (tests/test_point_cache.py).
    shutil.rmtree(directory / "results" / ".cache")
    jobs = planned_jobs(directory, *TARGETS)
    assert {rule for rule, _ in jobs if rule.startswith("sweep_points_")} == {
        "sweep_points_shift_0", "sweep_points_shift_2", "sweep_points_mix_0"}
    run_ok(directory, "--cores", "2", *TARGETS)
    for table in ("summary", "convergence"):
        path = Path("results") / "tables" / f"{table}.csv"
        assert (directory / path).read_bytes() == (run_dir / path).read_bytes()
    for point in points:
        for path in (run_dir / "results" / "simulations" / point.name).glob("*.npz"):
            assert (directory / path.relative_to(run_dir)).read_bytes() == path.read_bytes(), path


def test_a_scenario_may_set_its_own_replicates_and_batch_sizes(tmp_path):
    """Scenario-level replicates/batch_sizes override the top level; a sweep's own override wins over both."""
    config = copy.deepcopy(SWEEP_CONFIG)
    config["scenarios"]["small"] = {**copy.deepcopy(GAN), "replicates": 40, "batch_sizes": {"max": 300}}
    config["sweeps"] = {"onsmall": {"scenario": "small", "vary": {"generator.loc": [0.0, 1.0]}, "curve_points": 5},
                        "own": {"scenario": "small", "vary": {"generator.loc": [2.0]}, "curve_points": 5,
                                "replicates": 20}}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    text = run_ok(tmp_path, "--dry-run", "results/tables/summary.csv")
    blocks = {path.strip().removeprefix("results/simulations/") for line in text.splitlines()
              if "output: results/simulations/" in line
              for path in line.split("output:", 1)[1].split(",")}
    # replicates_per_job 20: 40 replicates are two blocks, the top-level 20 one.
    assert {"small/replicates_0-20.npz", "small/replicates_20-40.npz", "bal/replicates_0-20.npz"} <= blocks
    assert "onsmall__generator.loc=1/replicates_20-40.npz" in blocks        # inherits the base scenario's 40
    assert "own__generator.loc=2/replicates_0-20.npz" in blocks
    assert "own__generator.loc=2/replicates_20-40.npz" not in blocks      # the sweep's own 20 wins
    # The scenario's own largest batch size reaches its jobs; the top-level one stays for the others.
    run_ok(tmp_path, "--cores", "2", "results/tables/scenarios/small/summary.csv",
           "results/tables/scenarios/bal/summary.csv")
    small = pd.read_csv(tmp_path / "results" / "tables" / "scenarios" / "small" / "summary.csv")
    bal = pd.read_csv(tmp_path / "results" / "tables" / "scenarios" / "bal" / "summary.csv")
    assert small.n.max() == 300 and bal.n.max() == SWEEP_CONFIG["batch_sizes"]["max"]
    assert (small.replicates == 40).all() and (bal.replicates == SWEEP_CONFIG["replicates"]).all()


def test_sweeps_whose_rule_names_would_collide_stop_with_one_line(tmp_path):
    config = copy.deepcopy(SWEEP_CONFIG)
    shift = config["sweeps"]["shift"]
    config["sweeps"] = {"a-b": copy.deepcopy(shift), "a_x2d_b": copy.deepcopy(shift)}   # '-' escapes to _x2d_
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    run = snakemake(tmp_path, "--dry-run")
    assert run.returncode != 0
    assert "config error: sweeps 'a-b' and 'a_x2d_b' give the same rule names" in run.stderr
    config["sweeps"] = {"a-b": copy.deepcopy(shift), "a.b": copy.deepcopy(shift), "a_b": copy.deepcopy(shift)}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    assert snakemake(tmp_path, "--dry-run").returncode == 0      # distinct once escaped
