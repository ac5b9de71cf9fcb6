"""The engine's fast paths give the statistics of the plain definitions.

Short segments between checkpoints are summarised together (``reduceat``), long ones
one at a time with a reused scratch array; the per-sample log-sigmoid avoids log1p.
Whatever the path, the prefix means and variances are those of numpy on the same
values, non-finite values are counted, and blocks of replicates do not matter.
"""

import numpy as np
import pytest

from mcloss.estimands import build
from mcloss.maths.grid import batch_grid
from mcloss.maths.numerics import log1m_sigmoid, log_sigmoid, softplus
from mcloss.simulate.engine import simulate, stream_statistics


def replay(values):
    state = {"pos": 0}

    def draw(k):
        start = state["pos"]
        state["pos"] += k
        return values[start:start + k]

    return draw


@pytest.mark.parametrize("chunk_size", [7, 1000, 4096, 1 << 16])
def test_dense_checkpoints_across_chunks_match_numpy(chunk_size):
    rng = np.random.default_rng(4)
    values = rng.standard_normal(30_000) * 2.5 - 1.0
    # Every count up to 50, repeats, a dense geometric grid and counts on chunk edges.
    counts = np.unique(np.concatenate([np.arange(51), batch_grid(1, 30_000, 60), [4096, 8192, 28_000]]))
    counts = np.sort(np.concatenate([counts, [17, 17, 4096]]))
    stats, bad = stream_statistics(replay(values), lambda x: {"x": x}, counts, chunk_size)
    s = stats["x"]
    assert bad == {"x": 0} and s.count.tolist() == counts.tolist()
    for k, c in enumerate(counts):
        if c == 0:
            assert np.isnan(s.mean[k])
            continue
        assert s.mean[k] == pytest.approx(values[:c].mean(), rel=1e-13, abs=1e-13)
        if c >= 2:
            assert s.var[k] == pytest.approx(values[:c].var(ddof=1), rel=1e-12)


def test_short_segments_keep_the_variance_under_a_large_offset():
    rng = np.random.default_rng(5)
    values = 1e9 + rng.standard_normal(5000)
    counts = np.arange(1, 5001)  # one checkpoint per sample: every segment is short
    stats, _ = stream_statistics(replay(values), lambda x: {"x": x}, counts, 4096)
    for c in (2, 10, 999, 4096, 5000):
        assert stats["x"].var[c - 1] == pytest.approx(np.var(values[:c] - 1e9, ddof=1), rel=1e-6)


def test_nonfinite_values_inside_short_segments_are_counted():
    values = np.array([1.0, 2.0, np.inf, 3.0, np.nan, 4.0, 5.0, 6.0])
    stats, bad = stream_statistics(replay(values), lambda x: {"x": x}, np.array([1, 2, 4, 6, 8]), 8)
    assert bad["x"] == 2
    assert stats["x"].mean[0] == 1.0 and stats["x"].mean[1] == 1.5
    assert not np.isfinite(stats["x"].mean[2:]).any()


def test_split_invariance_holds_on_the_fast_paths(gan_spec):
    estimand = build(gan_spec, "s")
    grid = batch_grid(1, 70_000, 40, estimand.batch_unit)  # dense: many short segments, two chunks
    whole = simulate(estimand, grid, range(4), 9, 13, chunk_size=1 << 15)
    for r in range(4):
        alone = simulate(estimand, grid, range(r, r + 1), 9, 13, chunk_size=1 << 15)
        for q in whole.estimate:
            assert np.array_equal(whole.estimate[q][r], alone.estimate[q][0], equal_nan=True)
            assert np.array_equal(whole.se[q][r], alone.se[q][0], equal_nan=True)


def test_log_sigmoid_in_place_and_on_odd_shapes_equals_the_fresh_result():
    rng = np.random.default_rng(6)
    t = np.concatenate([rng.standard_normal(1000) * 30, [0.0, -0.0, 745.0, -745.0, 1e308, -1e308]])
    for f in (log_sigmoid, log1m_sigmoid, softplus):
        fresh = f(t)
        inplace = t.copy()
        assert f(inplace, out=inplace) is inplace and np.array_equal(inplace, fresh)
        grid = t[:1000].reshape(40, 25)
        assert np.array_equal(f(grid.T), f(np.ascontiguousarray(grid.T)))  # non-contiguous input
        assert np.array_equal(f(grid.T).ravel(), f(grid.T.ravel()))
        assert f(np.float64(2.0)).shape == ()
    # log(1 + exp(-745)) is the smallest subnormal: the correction keeps it, log alone gives 0.
    assert log_sigmoid(np.array([745.0]))[0] == -np.exp(-745.0) != 0.0
    assert np.isnan(log_sigmoid(np.array([np.nan]))[0])
