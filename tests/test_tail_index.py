"""Tail indices measured from the simulated terms (mcloss.evidence.tail_index): Hill's estimator, its
interval, the terms a quantity depends on, and the rule that lets the data contradict a declared index."""

import math

import numpy as np
import pytest
import scipy.stats

from mcloss.estimands import build
from mcloss.evidence.tail_index import contradicts, dependencies, hill, order_statistics_count, quantity_indices
from mcloss.laws.streams import scenario_key


@pytest.mark.parametrize("alpha", [0.8, 1.5, 3.0])
def test_hill_interval_covers_an_exact_pareto_index(alpha):
    x = scipy.stats.pareto(alpha).rvs(size=10**6, random_state=np.random.default_rng(7))
    found = hill(x, x.size)
    assert found.k == 1000
    assert found.low <= alpha <= found.high
    # The interval is that of an exact Pareto tail: +-6% at k = 1000, not a vague one.
    chi2 = scipy.stats.chi2(2000)
    assert found.high / found.low == pytest.approx(chi2.ppf(0.975) / chi2.ppf(0.025))


def test_hill_interval_covers_at_the_nominal_rate():
    # 200 exact Pareto samples: 95% intervals miss alpha = 2 about 10 times (binomial: 1 to 20 at 1e-4 odds).
    rng = np.random.default_rng(3)
    fits = (hill(scipy.stats.pareto(2.0).rvs(size=40_000, random_state=rng), 40_000) for _ in range(200))
    misses = sum(not (f.low <= 2.0 <= f.high) for f in fits)
    assert 1 <= misses <= 20


def test_light_and_bounded_tails():
    rng = np.random.default_rng(5)
    normal = hill(np.abs(rng.standard_normal(10**6)), 10**6)
    assert normal.low > 8.0                      # far beyond 2: the variance exists
    labels = hill(np.repeat([0.3, 1.2], 5000), 10_000)
    assert labels.index == math.inf               # the k + 1 largest tie: bounded
    assert math.isnan(hill(np.zeros(100), 100).index)   # nothing positive: nothing to say


def test_only_the_largest_values_matter():
    rng = np.random.default_rng(11)
    x = scipy.stats.pareto(1.5).rvs(size=10**5, random_state=rng)
    k = order_statistics_count(x.size)
    top = np.sort(x)[-(k + 1):]
    assert hill(top, x.size) == hill(x, x.size)


@pytest.mark.parametrize(("declared", "low", "high", "flipped"), [
    (math.inf, 1.2, 1.8, "E term^2 finite"),        # declared light, data heavy
    (3.0, 1.5, 1.9, "E term^2 finite"),
    (1.5, 2.3, 2.9, "E term^2 infinite"),          # declared slower, data say a variance exists
    (1.5, 0.6, 0.9, "E|term| finite"),
    (0.8, 1.2, 1.6, "E|term| infinite"),
])
def test_an_interval_wholly_across_a_boundary_contradicts(declared, low, high, flipped):
    assert contradicts(declared, low, high).startswith(flipped)


@pytest.mark.parametrize(("declared", "low", "high"), [
    (math.inf, 6.0, 9.0), (3.0, 1.8, 3.5), (1.5, 1.2, 1.9), (1.5, 1.8, 2.4), (0.8, 0.7, 1.1),
    (math.inf, math.nan, math.nan), (math.nan, 1.0, 1.5),
])
def test_agreement_or_too_little_evidence_contradicts_nothing(declared, low, high):
    assert contradicts(declared, low, high) == ""


GAN_T = {"estimand": "gan_discriminator", "data": {"dist": "norm", "loc": 0.0, "scale": 1.0},
         "generator": {"dist": "t", "df": 1.5, "loc": 0.0, "scale": 1.0},
         "discriminator": {"logit": [0.0, 1.0]}, "real_fraction": 0.5}


def test_quantities_read_only_the_terms_they_average():
    estimand = build(GAN_T, "s")
    found = quantity_indices(estimand, 1, scenario_key("s"), replicates=4, samples=250_000)
    # A linear logit: log(1 - D(G(z))) grows like |z| on one side, so the fake term has t(1.5)'s index.
    fake = found["e_fake"]
    assert fake["data_tail_index_ci_low"] <= 1.5 <= fake["data_tail_index_ci_high"]
    # The real side (normal data) is light: its index is far above 2, whatever the generator.
    assert found["e_real"]["data_tail_index_ci_low"] > 4.0
    assert fake["data_tail_values"] == 1_000_000


def test_dependencies_follow_the_estimates():
    estimand = build(GAN_T, "s")
    means = {"log_d_real": -0.7, "log_1md_fake": -0.9}
    uses = dependencies(estimand, {t: means.get(t, -0.5) for t in _term_names(estimand)})
    assert all(uses[q.name] for q in estimand.quantities)
    assert not any("fake" in t for t in uses["e_real"])


def _term_names(estimand):
    names = []
    for s in estimand.streams:
        names += list(estimand.terms(s.name, s.sampler.start(np.random.default_rng(0))(4)))
    return names


# --- rule 3 of mcloss.judge.verdicts: the data may contradict the declared tails -------------------------------
def _row(**overrides):
    """A convergence row that converges at n^-1/2 on its declared tails (light: term index inf)."""
    from test_verdicts import evidence

    return evidence(**{"term_tail_index": math.inf, "data_tail_index": 9.0, "data_tail_index_ci_low": 8.5,
                       "data_tail_index_ci_high": 9.6, "data_tail_term": "t", "data_tail_values": 10**7,
                       "tails_reason": "bounded or light-tailed terms", **overrides})


def test_data_that_contradict_the_declared_tails_make_the_verdict_inconclusive():
    from mcloss.judge import verdicts as v

    assert v.judge_quantity(_row()).verdict == v.CONVERGES
    heavy = v.judge_quantity(_row(data_tail_index=1.5, data_tail_index_ci_low=1.45, data_tail_index_ci_high=1.56))
    assert heavy.verdict == v.INCONCLUSIVE
    assert "the data contradict the declared tails" in heavy.reason and "Hill index 1.5" in heavy.reason
    # An interval straddling 2 or no measurement at all leaves the declared tails standing.
    assert v.judge_quantity(_row(data_tail_index_ci_low=1.9, data_tail_index_ci_high=2.3)).verdict == v.CONVERGES
    assert v.judge_quantity(_row(data_tail_index_ci_low=math.nan, data_tail_index_ci_high=math.nan)).verdict \
        == v.CONVERGES
    # Declared infinite mean (no limit) but the data's index is above 1: the premise of "no limit" fails too.
    no_mean = _row(mean_finite=False, var_finite=False, term_tail_index=0.8, iqr_slope_ci_high=0.1,
                   data_tail_index_ci_low=1.3, data_tail_index_ci_high=1.6)
    assert v.judge_quantity(no_mean).verdict == v.INCONCLUSIVE
    assert v.judge_quantity({**no_mean, "data_tail_index_ci_low": 0.7, "data_tail_index_ci_high": 0.9}).verdict \
        == v.NO_LIMIT


def test_a_contradicted_quantity_prints_no_interval(tmp_path):
    from mcloss.judge.convergence import convergence_table
    from mcloss.maths.grid import batch_grid
    from mcloss.simulate.engine import simulate

    estimand = build(GAN_T, "s")
    key = scenario_key("s")
    sim = simulate(estimand, batch_grid(10, 2000, 4), range(40), 1, key, chunk_size=512)
    exact = estimand.exact()
    # Declared light tails for every quantity (a wrong declaration), the data say index 1.5 for e_fake.
    analysis = {q.name: {"mean_finite": True, "var_finite": True, "term_index": math.inf, "expected_slope": -0.5,
                         "reason": "declared light"} for q in estimand.quantities}
    data = quantity_indices(estimand, 1, key, replicates=4, samples=250_000)
    table = convergence_table("s", sim, estimand.quantities, exact, 10, 50, 1, key, analysis, estimand.name,
                              tail_evidence=data).set_index("quantity")
    fake = table.loc["e_fake"]
    assert fake.verdict == "inconclusive" and "contradict" in fake.reason
    assert math.isnan(fake.ci_low) and math.isnan(fake.estimate_mcse) and math.isnan(fake.coverage)
    assert fake.data_tail_index_ci_low <= 1.5 <= fake.data_tail_index_ci_high
    assert "contradict" not in table.loc["e_real"].reason


def test_a_failed_check_withholds_only_the_verdicts_it_vouches_for():
    from mcloss.estimands import ExactCheck
    from mcloss.judge.convergence import convergence_table
    from mcloss.maths.grid import batch_grid
    from mcloss.simulate.engine import simulate

    spec = {**GAN_T, "generator": {"dist": "norm", "loc": 0.5, "scale": 1.0}}
    estimand = build(spec, "s")
    key = scenario_key("s")
    sim = simulate(estimand, batch_grid(10, 4000, 4), range(60), 1, key, chunk_size=512)
    exact = estimand.exact()
    bad = ExactCheck("e_fake_check", exact["e_fake"], exact["e_fake"] + 1.0, 1e-9, "planted",
                     ("bce", "e_fake", "value"))

    from mcloss.maths.tails import quantity_analysis

    analysis = quantity_analysis(estimand)

    def table(checks):
        return convergence_table("s", sim, estimand.quantities, exact, 10, 50, 1, key, analysis,
                                 checks=checks).set_index("quantity").verdict

    assert (table([]) == "converges at n^-1/2").all()
    withheld = table([bad])
    assert withheld["e_real"] == "converges at n^-1/2"
    assert (withheld[["bce", "e_fake", "value"]] == "inconclusive").all()
    # A check that names no quantity puts every one in doubt.
    assert (table([ExactCheck("any", 1.0, 2.0, 1e-9, "planted")]) == "inconclusive").all()


def test_a_tail_lighter_than_any_power_does_not_read_as_a_power_below_two():
    # The squared lognormal(1) term has every moment, yet Hill's estimate at k alone sits below 2 at N = 8e6.
    from mcloss.evidence.tail_index import hill_over_thresholds

    rng = np.random.default_rng(1)
    n = 8_000_000
    term = (scipy.stats.lognorm(1.0).rvs(size=n, random_state=rng) - math.exp(0.5)) ** 2
    at_k = hill(term, n)
    assert at_k.high < 2.0                                   # alone, it would contradict "E term^2 finite"
    both = hill_over_thresholds(term, n)
    assert both.low <= at_k.low and both.high > 2.0
    assert contradicts(math.inf, both.low, both.high) == ""
    # A clean power tail still contradicts a declared light tail through the hull.
    pareto = scipy.stats.pareto(1.5).rvs(size=n, random_state=rng)
    hull = hill_over_thresholds(pareto, n)
    assert hull.low <= 1.5 <= hull.high and contradicts(math.inf, hull.low, hull.high)
