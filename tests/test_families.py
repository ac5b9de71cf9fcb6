"""The laws numpy draws (mcloss.laws.families): each follows scipy's law, bit for bit where scipy's rvs calls
the same numpy method; their shape names, domains, supports and moment checks are scipy's."""

import itertools
import math
import pickle

import numpy as np
import pytest
import scipy.stats

from mcloss.errors import ConfigError
from mcloss.estimands import build
from mcloss.estimands.conditional import finite_moment
from mcloss.laws.distributions import _mean_std, finite_moment_by_table, log_density_ratio_polynomial, make_distribution
from mcloss.laws.families import NATIVE, Family, Law
from mcloss.laws.streams import IIDSampler, MixtureSampler, scenario_key, stream_rng
from mcloss.maths.grid import batch_grid
from mcloss.maths.tail_table import scipy_moment_finite
from mcloss.simulate.engine import simulate

#: Shapes inside each native family's domain, among them its edges and both light and heavy tails.
SHAPES = {
    "norm": [{}], "t": [{"df": 0.7}, {"df": 3.0}, {"df": 30.0}], "gamma": [{"a": 0.3}, {"a": 2.0}],
    "beta": [{"a": 0.5, "b": 2.0}, {"a": 3.0, "b": 3.0}], "uniform": [{}], "expon": [{}], "logistic": [{}],
    "laplace": [{}], "lognorm": [{"s": 0.5}, {"s": 2.0}], "chi2": [{"df": 1.0}, {"df": 7.5}],
    "f": [{"dfn": 3.0, "dfd": 5.0}, {"dfn": 10.0, "dfd": 12.0}], "halfnorm": [{}],
    "triang": [{"c": 0.0}, {"c": 0.3}, {"c": 1.0}], "cauchy": [{}], "halfcauchy": [{}],
    "lomax": [{"c": 1.5}, {"c": 5.0}], "pareto": [{"b": 2.5}, {"b": 0.8}], "weibull_min": [{"c": 0.7}, {"c": 2.0}],
    "weibull_max": [{"c": 1.5}], "gumbel_r": [{}], "gumbel_l": [{}], "powerlaw": [{"a": 0.5}, {"a": 3.0}],
}
CASES = [(name, shapes) for name, values in SHAPES.items() for shapes in values]


def law_of(name, shapes, loc=0.5, scale=2.0):
    return make_distribution({"dist": name, **shapes, "loc": loc, "scale": scale}, "data")


def test_every_native_family_is_tested():
    assert set(SHAPES) == set(NATIVE)


@pytest.mark.parametrize("name, shapes", CASES)
def test_native_draws_follow_scipys_law(name, shapes):
    """20,000 draws (loc 0.5, scale 2) against scipy's cdf (Kolmogorov-Smirnov), inside scipy's support,
    and their mean against scipy's where the variance is finite (within 5 standard errors)."""
    law = law_of(name, shapes)
    frozen = getattr(scipy.stats, name)(**shapes, loc=0.5, scale=2.0)
    x = law.rvs(size=20_000, random_state=np.random.default_rng(20261122))
    assert x.shape == (20_000,) and x.dtype == np.float64
    assert scipy.stats.kstest(x, frozen.cdf).pvalue > 1e-3
    lo, hi = frozen.support()
    assert np.all((x >= lo) & (x <= hi))
    mean, var = (float(v) for v in frozen.stats(moments="mv"))
    if math.isfinite(var):
        assert abs(x.mean() - mean) < 5.0 * math.sqrt(var / x.size)
    spread = frozen.ppf(0.75) - frozen.ppf(0.25)
    assert np.quantile(x, 0.5) == pytest.approx(float(frozen.median()), abs=0.05 * spread)


@pytest.mark.parametrize("name, shapes", [c for c in CASES if NATIVE[c[0]].same_bits])
def test_rows_that_call_scipys_numpy_method_give_scipys_numbers_to_the_bit(name, shapes):
    """Chunks of several sizes from one generator: the same values as scipy's rvs on a twin generator, and the
    generators end in the same state (the same random words were used: the next draws agree too)."""
    law, frozen = law_of(name, shapes), getattr(scipy.stats, name)(**shapes, loc=0.5, scale=2.0)
    for seed in (0, 7):
        ours, theirs = np.random.default_rng(seed), np.random.default_rng(seed)
        for size in (1, 5, 1000, 4096):
            a, b = law.rvs(size=size, random_state=ours), frozen.rvs(size=size, random_state=theirs)
            assert a.tobytes() == b.tobytes()
        assert ours.bit_generator.state == theirs.bit_generator.state


@pytest.mark.parametrize("name", [n for n, row in NATIVE.items() if not row.same_bits])
def test_rows_that_scipy_inverts_draw_other_numbers(name):
    """scipy draws these by ppf(U); numpy transforms its own variates: the law is the same, the numbers not."""
    shapes = SHAPES[name][0]
    a = law_of(name, shapes).rvs(size=100, random_state=np.random.default_rng(1))
    b = getattr(scipy.stats, name)(**shapes, loc=0.5, scale=2.0).rvs(size=100, random_state=np.random.default_rng(1))
    assert not np.array_equal(a, b)


@pytest.mark.parametrize("name, shapes", CASES)
def test_shape_names_support_and_domain_are_scipys(name, shapes):
    family = getattr(scipy.stats, name)
    assert Family(name).shapes == family.shapes
    for loc, scale in ((0.0, 1.0), (0.5, 2.0), (-3.0, 0.25)):
        law = law_of(name, shapes, loc, scale)
        assert law.native is not None
        assert tuple(map(float, law.support())) == tuple(map(float, law.frozen.support()))
    grid = (-1.0, 0.0, 1e-300, 0.5, 1.0, 1.5, 1e300)
    for values in itertools.product(grid, repeat=len(NATIVE[name].shapes)):
        assert NATIVE[name].domain(*values) == bool(family._argcheck(*values)), values


def test_make_distribution_refuses_shapes_outside_a_native_domain_in_one_line():
    for spec in ({"dist": "t", "df": -1.0}, {"dist": "triang", "c": 1.5}, {"dist": "beta", "a": 0.0, "b": 1.0}):
        with pytest.raises(ConfigError, match="outside the domain of scipy.stats"):
            make_distribution(spec, "scenarios.s.data")
    with pytest.raises(ConfigError, match="not a parameter of scipy.stats.t"):
        make_distribution({"dist": "t", "df": 3.0, "nu": 1.0}, "scenarios.s.data")
    with pytest.raises(ConfigError, match="missing shape parameter of scipy.stats.gamma"):
        make_distribution({"dist": "gamma"}, "scenarios.s.data")


@pytest.mark.parametrize("name, shapes", CASES)
def test_moment_check_by_the_family_table_agrees_with_scipys_moments(name, shapes):
    """E|X|^j finite (j = 2, 4, 6) by the table's tail index as by scipy's own moments where they say anything
    (`scipy_moment_finite`: the variance's closed form for j = 2, and moment(j) only where it is possible).

    The build-time check used to read moment(j) itself, whose numerical integral is finite for divergent
    moments (t(3).moment(6) = 135, pareto(0.8).moment(2) = -0.67): it let such inputs laws through."""
    law = law_of(name, shapes)
    for order in (2, 4, 6):
        scipy_says = scipy_moment_finite(law, order)
        if order == 2:
            assert scipy_says is not None
        if scipy_says is not None:
            assert finite_moment_by_table(law, order) == scipy_says, order
        assert finite_moment(law, order) == finite_moment_by_table(law, order)


def test_moment_check_by_table_leaves_other_families_to_scipy():
    assert finite_moment_by_table(make_distribution({"dist": "burr12", "c": 2.0, "d": 1.0}, "data"), 2) is None
    assert finite_moment_by_table(scipy.stats.norm(), 2) is None


def test_a_normal_laws_mean_and_std_are_scipys_to_the_bit():
    rng = np.random.default_rng(3)
    for loc, scale in zip(rng.normal(0, 10, 50), np.exp(rng.normal(0, 5, 50))):
        law = make_distribution({"dist": "norm", "loc": float(loc), "scale": float(scale)}, "data")
        frozen = scipy.stats.norm(loc, scale)
        assert _mean_std(law) == (float(frozen.mean()), float(frozen.std()))
    p, q = (make_distribution({"dist": "norm", "loc": m, "scale": s}, "d") for m, s in ((0.3, 1.7), (-1.1, 0.6)))
    assert log_density_ratio_polynomial(p, q) == log_density_ratio_polynomial(p.frozen, q.frozen)


def test_a_law_reads_as_a_frozen_scipy_law():
    law = make_distribution({"dist": "t", "df": 4.0, "loc": 1.0}, "data")
    assert isinstance(law, Law) and law.dist.name == "t" and law.args == () and law.kwds == {"df": 4.0, "loc": 1.0}
    assert law.ppf(0.3) == scipy.stats.t(df=4.0, loc=1.0).ppf(0.3)
    assert law.dist._parse_args(**law.kwds)[1] == 1.0            # scipy's family behind the light one
    again = law.dist(**{**law.kwds, "scale": 2.0})
    assert isinstance(again, Law) and again.std() == pytest.approx(2.0 * math.sqrt(2.0))
    copy = pickle.loads(pickle.dumps(law))
    assert copy.kwds == law.kwds and copy.rvs(3, random_state=np.random.default_rng(0)).tolist() == \
        law.rvs(3, random_state=np.random.default_rng(0)).tolist()
    # A legacy RandomState (or a seed) is not a Generator: scipy draws.
    assert law.rvs(5, random_state=np.random.RandomState(1)).tolist() == \
        scipy.stats.t(df=4.0, loc=1.0).rvs(5, random_state=np.random.RandomState(1)).tolist()


def test_streams_of_native_laws_draw_from_the_generator_they_are_given():
    """The stream's generator is the only source: the same spawn key gives the same draws, another key others."""
    data, other = (make_distribution(s, "d") for s in ({"dist": "cauchy"}, {"dist": "t", "df": 3.0}))
    for sampler in (IIDSampler(data), MixtureSampler(0.3, data, other)):
        def draws(replicate, sampler=sampler):
            out = sampler.start(stream_rng(1, 2, 0, replicate))(1000)
            return np.concatenate([np.ravel(a) for a in (out if isinstance(out, tuple) else (out,))])

        assert draws(5).tobytes() == draws(5).tobytes()
        assert draws(5).tobytes() != draws(6).tobytes()


def test_a_scenario_of_native_laws_gives_the_same_replicates_whatever_the_blocks():
    """t data, Cauchy generator (random composition: both laws in one stream), 4 replicates in one block and in
    two: the same estimates to the bit, since replicate r draws from its own generator only."""
    spec = {"estimand": "gan_discriminator", "data": {"dist": "t", "df": 3.0},
            "generator": {"dist": "cauchy", "loc": 1.0}, "discriminator": {"logit": [-0.5, 1.5]},
            "real_fraction": 0.5, "composition": "random"}
    estimand, grid, key = build(spec, "s"), batch_grid(1, 5000, 4), scenario_key("blocks")
    whole = simulate(estimand, grid, range(0, 4), 7, key, chunk_size=1024)
    parts = [simulate(estimand, grid, block, 7, key, chunk_size=1024) for block in (range(0, 1), range(1, 4))]
    for q in whole.estimate:
        joined = np.concatenate([p.estimate[q] for p in parts])
        assert joined.tobytes() == whole.estimate[q].tobytes()
