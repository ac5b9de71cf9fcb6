"""Exact limits by quadrature against closed forms and independent numerical routes."""

import math

import numpy as np
import pytest
import scipy.integrate
import scipy.stats

from mcloss.estimands import build
from mcloss.maths.exact import entropy, expectation, jensen_shannon, scalar_logpdf


def gauss_hermite_mean(f, loc, scale, points=200):
    """E f(X), X ~ N(loc, scale^2), by Gauss-Hermite quadrature: an independent route."""
    x, w = np.polynomial.hermite_e.hermegauss(points)
    return float(np.sum(w * f(loc + scale * x)) / math.sqrt(2 * math.pi))


def test_constant_discriminator_closed_form(gan_spec):
    gan_spec["discriminator"] = {"logit": [0.7]}
    exact = build(gan_spec, "s").exact()
    # D = sigmoid(c) everywhere: E log D = -log(1 + e^-c), E log(1 - D) = -log(1 + e^c).
    assert exact["e_real"] == pytest.approx(-math.log1p(math.exp(-0.7)), abs=1e-12)
    assert exact["e_fake"] == pytest.approx(-math.log1p(math.exp(0.7)), abs=1e-12)
    assert exact["bce"] == pytest.approx(0.5 * (math.log1p(math.exp(-0.7)) + math.log1p(math.exp(0.7))), abs=1e-12)


@pytest.mark.parametrize("coefficients", [[-0.5, 1.5], [0.3, -2.0], [0.2, 0.4, -0.3]])
def test_logistic_discriminator_against_gauss_hermite(gan_spec, coefficients):
    gan_spec["discriminator"] = {"logit": coefficients}
    gan_spec["generator"] = {"dist": "norm", "loc": 1.3, "scale": 0.7}
    exact = build(gan_spec, "s").exact()
    logit = lambda x: np.polynomial.polynomial.polyval(x, coefficients)  # noqa: E731
    e_real = gauss_hermite_mean(lambda x: -np.logaddexp(0, -logit(x)), 0.0, 1.0)
    e_fake = gauss_hermite_mean(lambda x: -np.logaddexp(0, logit(x)), 1.3, 0.7)
    assert exact["e_real"] == pytest.approx(e_real, abs=1e-9)
    assert exact["e_fake"] == pytest.approx(e_fake, abs=1e-9)
    assert exact["bce"] == pytest.approx(-(e_real + e_fake) / 2, abs=1e-9)
    assert exact["value"] == pytest.approx(e_real + e_fake, abs=1e-9)


def test_real_fraction_weights_the_limit(gan_spec):
    half = build(gan_spec, "s").exact()
    gan_spec["real_fraction"] = 0.25
    quarter = build(gan_spec, "s").exact()
    assert quarter["bce"] == pytest.approx(-(0.25 * half["e_real"] + 0.75 * half["e_fake"]), abs=1e-14)


def test_optimal_discriminator_with_equal_laws_gives_minus_log_4(gan_spec):
    gan_spec["discriminator"] = "optimal"
    gan_spec["generator"] = dict(gan_spec["data"])
    exact = build(gan_spec, "s").exact()
    assert exact["value"] == pytest.approx(-math.log(4.0), abs=1e-12)
    assert exact["bce"] == pytest.approx(math.log(2.0), abs=1e-12)


@pytest.mark.parametrize("generator", [
    {"dist": "norm", "loc": 1.0, "scale": 1.0},
    {"dist": "norm", "loc": 0.5, "scale": 2.0},
    {"dist": "t", "df": 4.0, "loc": 0.0, "scale": 1.0},
])
def test_value_at_optimal_discriminator_is_jsd(gan_spec, generator):
    gan_spec["discriminator"] = "optimal"
    gan_spec["generator"] = generator
    estimand = build(gan_spec, "s")
    p, q = estimand.data, estimand.generator
    # JSD by Simpson's rule on x = sinh(s) (reaching |x| ~ 4000 for the t tails), in log
    # densities: independent of exact.py's quadrature.
    s = np.linspace(-9, 9, 400_001)
    x, jacobian = np.sinh(s), np.cosh(s)
    lp, lq = p.logpdf(x), q.logpdf(x)
    lm = np.logaddexp(lp, lq) - math.log(2.0)
    kl_pm = np.exp(lp) * (lp - lm) * jacobian
    kl_qm = np.exp(lq) * (lq - lm) * jacobian
    jsd = 0.5 * scipy.integrate.simpson(kl_pm, x=s) + 0.5 * scipy.integrate.simpson(kl_qm, x=s)
    assert estimand.exact()["value"] == pytest.approx(-math.log(4.0) + 2.0 * jsd, abs=1e-6)
    assert jensen_shannon(p, q) == pytest.approx(jsd, abs=1e-6)
    checks = {c.name: c for c in estimand.exact_checks()}
    check = checks["value_at_optimal_D"]
    assert abs(check.value - check.reference) <= check.tolerance


def test_two_normals_jsd_is_bounded_by_log_2():
    jsd = jensen_shannon(scipy.stats.norm(0, 1), scipy.stats.norm(50, 1))
    assert jsd == pytest.approx(math.log(2.0), abs=1e-9)


@pytest.mark.parametrize("dist", [scipy.stats.norm(2, 3), scipy.stats.gamma(2.5), scipy.stats.t(5),
                                  scipy.stats.expon(scale=0.1)])
def test_entropy_by_quadrature_matches_scipy_closed_form(dist):
    assert entropy(dist) == pytest.approx(float(dist.entropy()), abs=1e-9)


def test_expectation_matches_scipy_expect_on_skewed_laws():
    dist = scipy.stats.lognorm(0.8, loc=0.0, scale=2.0)
    f = lambda x: np.log1p(x) * np.sin(x)  # noqa: E731
    assert expectation(f, dist) == pytest.approx(dist.expect(lambda x: math.log1p(x) * math.sin(x)), abs=1e-8)


def test_no_finite_limit_for_cauchy_data_is_nan(gan_spec):
    gan_spec["data"] = {"dist": "cauchy", "loc": 0.0, "scale": 1.0}
    exact = build(gan_spec, "s").exact()
    assert math.isnan(exact["e_real"]) and math.isnan(exact["bce"])
    assert math.isfinite(exact["e_fake"])


def test_moment_divergence_detected():
    assert math.isnan(expectation(lambda x: x**2, scipy.stats.t(1.5)))
    assert expectation(lambda x: x**2, scipy.stats.t(3.0)) == pytest.approx(3.0, abs=1e-9)


def test_random_composition_has_the_same_limit_and_the_label_term_in_its_variance(gan_spec):
    fixed = build(gan_spec, "s")
    gan_spec["composition"] = "random"
    random = build(gan_spec, "s")
    assert random.exact()["bce"] == pytest.approx(fixed.exact()["bce"], abs=1e-14)
    e_real, e_fake = fixed.exact()["e_real"], fixed.exact()["e_fake"]
    label_term = 0.25 * (e_real - e_fake) ** 2
    assert random.asymptotic_variance()["bce"] - fixed.asymptotic_variance()["bce"] == pytest.approx(label_term,
                                                                                                      rel=1e-8)


def test_asymptotic_variance_against_gauss_hermite(gan_spec):
    var = build(gan_spec, "s").asymptotic_variance()
    f = lambda x: -np.logaddexp(0, -(-0.5 + 1.5 * x))  # noqa: E731
    m1, m2 = gauss_hermite_mean(f, 0.0, 1.0), gauss_hermite_mean(lambda x: f(x) ** 2, 0.0, 1.0)
    assert var["e_real"] == pytest.approx((m2 - m1**2) / 0.5, rel=1e-8)


def test_estimator_as_typeset_has_no_limit(gan_spec):
    gan_spec["as_typeset"] = True
    assert math.isnan(build(gan_spec, "s").exact()["as_typeset"])


def test_explicit_generator_integrates_over_p_z(gan_spec):
    """E_{p_z}[f(G(z))] (quadrature over p_z) equals E_{p_g}[f] for the pushforward p_g = G#p_z."""
    by_law = build(gan_spec, "s").exact()
    gan_spec["generator"] = {"latent": {"dist": "norm", "loc": 0.0, "scale": 1.0}, "map": [1.0, 1.0]}
    explicit = build(gan_spec, "s")
    assert explicit.exact()["e_fake"] == pytest.approx(by_law["e_fake"], abs=1e-10)
    assert all(abs(c.value - c.reference) <= c.tolerance for c in explicit.exact_checks())
    # A nonlinear G: Gauss-Hermite over z directly.
    gan_spec["generator"]["map"] = [1.0, 0.8, 0.3]
    nonlinear = build(gan_spec, "s").exact()["e_fake"]
    g = lambda z: 1.0 + 0.8 * z + 0.3 * z**2  # noqa: E731
    assert nonlinear == pytest.approx(gauss_hermite_mean(lambda z: -np.logaddexp(0, -0.5 + 1.5 * g(z)), 0, 1),
                                      abs=1e-9)


def test_variance_of_a_constant_term_is_zero_not_rounding(gan_spec):
    gan_spec["discriminator"] = "optimal"
    gan_spec["generator"] = dict(gan_spec["data"])
    # E f^2 - (E f)^2 would leave ~4e-16 of cancellation here; the centred integral leaves ~1e-33.
    assert abs(build(gan_spec, "s").asymptotic_variance()["bce"]) <= 1e-30


def test_slowly_converging_tails_are_not_called_divergent():
    # E|X| is finite for t(1.1) although QUADPACK cannot integrate its tail to tolerance: the tail is
    # integrated again in log space, never read as "no limit". Reference: the integral in u = F(x).
    dist = scipy.stats.t(1.1)
    log_d = lambda x: -np.logaddexp(0, -(-0.5 + 1.5 * x))  # noqa: E731
    reference = sum(scipy.integrate.quad(lambda u: log_d(dist.ppf(u)), a, b, limit=500, epsabs=1e-14,
                                         epsrel=1e-12)[0]
                    for a, b in [(0, 1e-12), (1e-12, 1e-8), (1e-8, 1e-4), (1e-4, 0.5), (0.5, 1)])
    assert expectation(log_d, dist) == pytest.approx(reference, abs=1e-9)
    assert math.isnan(expectation(np.abs, scipy.stats.t(0.9)))          # E|X| = infinity


def test_an_unsettled_tail_raises_rather_than_guessing():
    from mcloss.maths.exact import InaccurateQuadrature, tail_mass_decay

    # Shell masses decaying by 0.01 decades per decade: neither clearly finite nor infinite.
    assert tail_mass_decay(lambda x: x ** -1.01 if x > 0 else 0.0, 1.0, math.inf) is None
    with pytest.raises(InaccurateQuadrature):
        expectation(np.abs, scipy.stats.t(1.01))


@pytest.mark.parametrize("dist", [
    scipy.stats.norm(0.3, 1.7), scipy.stats.norm(0.0, 1.05), scipy.stats.t(3, loc=-1.0, scale=0.5),
    scipy.stats.t(2.5, scale=1.05), scipy.stats.gamma(2.0, scale=1.05), scipy.stats.johnsonsb(0.5, 1.5, scale=1.05),
    scipy.stats.anglit(scale=1.05), scipy.stats.truncnorm(-1.0, 2.0, scale=1.05), scipy.stats.t(1.05),
    scipy.stats.cauchy(2.0),
    scipy.stats.gamma(2.5, scale=0.7), scipy.stats.uniform(-1.0, 3.0), scipy.stats.logistic(0.1, 2.0),
    scipy.stats.laplace(), scipy.stats.lognorm(0.6, scale=2.0), scipy.stats.beta(2.0, 3.5), scipy.stats.expon(0.5),
    scipy.stats.gumbel_r(1.0, 0.3),
])
def test_the_quadratures_logpdf_is_scipys_bit_for_bit(dist):
    points = dist.ppf(np.linspace(1e-9, 1 - 1e-9, 201))
    lo, hi = dist.support()
    # Also the support's ends and their neighbours one ulp inside, where (x - loc) / scale may round onto them.
    ends = [e for end in (lo, hi) if math.isfinite(end) for e in (end, np.nextafter(end, np.inf),
                                                                   np.nextafter(end, -np.inf))]
    points = np.concatenate([points[np.isfinite(points)], ends])
    fast = scalar_logpdf(dist)
    with np.errstate(all="ignore"):
        # Equal values, or NaN where scipy's own is NaN (assert_array_equal compares NaN as equal).
        np.testing.assert_array_equal([fast(float(x)) for x in points], [float(dist.logpdf(x)) for x in points])


def test_a_law_without_the_private_path_falls_back_to_logpdf():
    class Law:   # a frozen-law look-alike: logpdf only
        def logpdf(self, x):
            return -0.5 * x * x

    assert scalar_logpdf(Law())(3.0) == -4.5


@pytest.mark.parametrize("f, dist", [
    (lambda x: -np.logaddexp(0, -(-0.5 + 1.5 * x)), scipy.stats.norm(0.0, 1.0)),       # log D: one sign
    (lambda x: x - 0.2 * x**3, scipy.stats.norm(0.3, 1.7)),                             # changes sign
    (lambda x: -np.logaddexp(0, -(-0.5 + 1.5 * x)), scipy.stats.t(1.1)),                # the log-space tail
    (np.abs, scipy.stats.t(0.9)),                                                       # a divergent tail: NaN
    (lambda x: np.where(x < 0, -0.0, x), scipy.stats.uniform(-1.0, 2.0)),              # -0.0 against 0.0
])
def test_evaluating_each_node_once_gives_the_same_bits(monkeypatch, f, dist):
    import mcloss.maths.exact as exact

    memoised = expectation(f, dist)
    monkeypatch.setattr(exact, "MEMOISE", False)
    assert repr(expectation(f, dist)) == repr(memoised)


def test_the_memo_computes_each_value_once_and_tells_the_signs_of_zero_apart():
    from mcloss.maths.exact import _memoised

    calls = []
    once = _memoised(lambda x: calls.append(x) or math.copysign(1.0, x))
    assert [once(x) for x in (0.5, 0.5, 0.0, -0.0, -0.0)] == [1.0, 1.0, 1.0, -1.0, -1.0]
    assert calls == [0.5, 0.0, -0.0]


def test_the_memo_halves_the_evaluations_of_a_one_signed_integrand(monkeypatch):
    import mcloss.maths.exact as exact

    def evaluations() -> int:
        seen = []
        expectation(lambda x: (seen.append(1), -np.logaddexp(0, -(-0.5 + 1.5 * x)))[1], scipy.stats.norm())
        return len(seen)

    counts = {}
    for memoise in (True, False):
        monkeypatch.setattr(exact, "MEMOISE", memoise)
        counts[memoise] = evaluations()
    assert counts[True] * 2 == counts[False]
