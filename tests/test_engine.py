"""The one-pass engine against plain numpy on the same samples."""

import numpy as np
import pytest

from mcloss.estimands import build
from mcloss.laws.streams import scenario_key, stream_rng
from mcloss.maths.grid import batch_grid
from mcloss.maths.numerics import log1m_sigmoid, log_sigmoid
from mcloss.simulate.engine import load, save, simulate, stream_statistics


def test_prefix_statistics_equal_plain_means_of_the_same_samples():
    rng = np.random.default_rng(1)
    values = rng.standard_normal(10_000) * 3 + 7
    counts = np.array([0, 1, 2, 2, 17, 1024, 1025, 5000, 10_000])

    state = {"pos": 0}

    def draw(k):
        start = state["pos"]
        state["pos"] += k
        return values[start:start + k]

    stats, bad = stream_statistics(draw, lambda x: {"x": x}, counts, chunk_size=1000)
    s = stats["x"]
    assert s.count.tolist() == counts.tolist()
    for k, c in enumerate(counts):
        if c == 0:
            continue
        np.testing.assert_allclose(s.mean[k], values[:c].mean(), rtol=1e-13, atol=1e-13)
        if c >= 2:
            np.testing.assert_allclose(s.var[k], values[:c].var(ddof=1), rtol=1e-12)
    assert bad == {"x": 0}



def test_running_variance_is_stable_under_a_large_offset():
    rng = np.random.default_rng(2)
    values = 1e9 + rng.standard_normal(200_000)
    state = {"pos": 0}

    def draw(k):
        start = state["pos"]
        state["pos"] += k
        return values[start:start + k]

    stats, _ = stream_statistics(draw, lambda x: {"x": x}, np.array([200_000]), chunk_size=4096)
    # The naive E[x^2] - E[x]^2 loses every digit here; the pairwise update keeps ~1e-7.
    assert stats["x"].var[0] == pytest.approx(np.var(values - 1e9, ddof=1), rel=1e-6)


def test_nonfinite_terms_are_counted():
    values = np.array([1.0, np.inf, 2.0, np.nan, 3.0])
    state = {"pos": 0}

    def draw(k):
        start = state["pos"]
        state["pos"] += k
        return values[start:start + k]

    stats, bad = stream_statistics(draw, lambda x: {"x": x}, np.array([1, 5]), chunk_size=2)
    assert bad["x"] == 2
    assert stats["x"].mean[0] == 1.0 and not np.isfinite(stats["x"].mean[1])


def test_gan_estimates_equal_direct_batch_bce_on_the_same_draws(gan_spec):
    estimand = build(gan_spec, "s")
    grid = batch_grid(1, 5000, 8, estimand.batch_unit)
    key, seed = scenario_key("s"), 99
    sim = simulate(estimand, grid, range(3), seed, key, chunk_size=1024)
    for r in range(3):
        # Regenerate the replicate's streams and form the batch BCE the textbook way.
        x = estimand.data.rvs(size=2500, random_state=stream_rng(seed, key, 0, r))
        g = estimand.generator.rvs(size=2500, random_state=stream_rng(seed, key, 1, r))
        for k, n in enumerate(grid):
            m = n // 2
            t_x, t_g = -0.5 + 1.5 * x[:m], -0.5 + 1.5 * g[: n - m]
            bce = -(log_sigmoid(t_x).sum() + log1m_sigmoid(t_g).sum()) / n
            assert sim.estimate["bce"][r, k] == pytest.approx(bce, rel=1e-12, abs=1e-12)
            value = log_sigmoid(t_x).mean() + log1m_sigmoid(t_g).mean()
            assert sim.estimate["value"][r, k] == pytest.approx(value, rel=1e-12, abs=1e-12)


def test_results_do_not_depend_on_how_replicates_are_split(gan_spec, tmp_path):
    estimand = build(gan_spec, "s")
    grid = batch_grid(1, 3000, 6, estimand.batch_unit)
    whole = simulate(estimand, grid, range(7), 5, 11)
    parts = [simulate(estimand, grid, range(a, b), 5, 11) for a, b in [(4, 7), (0, 1), (1, 4)]]
    paths = []
    for i, part in enumerate(parts):
        paths.append(tmp_path / f"part{i}.npz")
        save(part, paths[-1])
    joined = load(paths)
    assert joined.replicates.tolist() == list(range(7))
    for q in whole.estimate:
        assert np.array_equal(whole.estimate[q], joined.estimate[q], equal_nan=True)
        assert np.array_equal(whole.se[q], joined.se[q], equal_nan=True)


def test_streams_are_independent_of_scenario_order_and_distinct():
    assert scenario_key("gan_balanced") == scenario_key("gan_balanced")
    assert scenario_key("gan_balanced") != scenario_key("gan_optimal")
    a = stream_rng(1, 2, 0, 0).random(4)
    assert not np.array_equal(a, stream_rng(1, 2, 1, 0).random(4))
    assert not np.array_equal(a, stream_rng(1, 2, 0, 1).random(4))
    assert np.array_equal(a, stream_rng(1, 2, 0, 0).random(4))


def test_random_composition_and_as_typeset_match_direct_computation(gan_spec):
    gan_spec["composition"] = "random"
    gan_spec["real_fraction"] = 0.25
    estimand = build(gan_spec, "s")
    grid = np.array([1, 7, 100, 3000])
    sim = simulate(estimand, grid, range(2), 3, 4, chunk_size=1024)
    rng = stream_rng(3, 4, 0, 1)
    # The mixture sampler's draw order, chunk by chunk: labels, data candidates, fake candidates.
    labels, values = [], []
    for size in (1024, 1024, 952):
        y = (rng.random(size) < 0.25).astype(float)
        a = estimand.data.rvs(size=size, random_state=rng)
        b = estimand.generator.rvs(size=size, random_state=rng)
        labels.append(y)
        values.append(np.where(y == 1.0, a, b))
    y, v = np.concatenate(labels), np.concatenate(values)
    t = -0.5 + 1.5 * v
    loss = -np.where(y == 1.0, log_sigmoid(t), log1m_sigmoid(t))
    for k, n in enumerate(grid):
        assert sim.estimate["bce"][1, k] == pytest.approx(loss[:n].mean(), rel=1e-12)
        assert sim.estimate["real_share"][1, k] == pytest.approx(y[:n].mean(), abs=1e-15)

    gan_spec.update(composition="fixed", real_fraction=0.5, as_typeset=True)
    estimand = build(gan_spec, "s")
    sim = simulate(estimand, np.array([2, 1000]), range(1), 3, 4)
    x = estimand.data.rvs(size=500, random_state=stream_rng(3, 4, 0, 0))
    g = estimand.generator.rvs(size=500, random_state=stream_rng(3, 4, 1, 0))
    typeset = log_sigmoid(-0.5 + 1.5 * x).sum() / 1000 + log1m_sigmoid(-0.5 + 1.5 * g).sum()
    assert sim.estimate["as_typeset"][0, 1] == pytest.approx(typeset, rel=1e-12)


def test_explicit_generator_draws_z_and_applies_g(gan_spec):
    gan_spec["generator"] = {"latent": {"dist": "norm", "loc": 0.0, "scale": 1.0}, "map": [1.0, 0.8, 0.3]}
    estimand = build(gan_spec, "s")
    sim = simulate(estimand, np.array([10, 4000]), range(1), 5, 6)
    z = estimand.latent.rvs(size=2000, random_state=stream_rng(5, 6, 1, 0))
    g = 1.0 + 0.8 * z + 0.3 * z**2
    assert sim.estimate["e_fake"][0, 1] == pytest.approx(log1m_sigmoid(-0.5 + 1.5 * g).mean(), rel=1e-12)
