"""Input-dependent models (x ~ p(x), y | x, polynomial predictions): exact values, estimates, identities, errors."""

import copy
import functools
import hashlib
import math

import numpy as np
import pandas as pd
import pytest
import scipy.integrate
import scipy.special
import scipy.stats
import yaml

from common import ROOT, SCHEMA, assert_one_line_error, first_problem, snakemake
from mcloss.errors import ConfigError
from mcloss.estimands import build
from mcloss.estimands.binary_cross_entropy import BinaryCrossEntropy
from mcloss.estimands.binary_cross_entropy_inputs import ConditionalBinaryCrossEntropy
from mcloss.estimands.cross_entropy import CrossEntropy
from mcloss.estimands.cross_entropy_inputs import ConditionalCrossEntropy
from mcloss.estimands.gaussian_nll import GaussianNLL
from mcloss.estimands.gaussian_nll_inputs import ConditionalGaussianNLL
from mcloss.laws.streams import scenario_key
from mcloss.maths.grid import batch_grid
from mcloss.pipeline import codehash
from mcloss.simulate.engine import simulate

NORMAL = {"dist": "norm", "loc": 0.0, "scale": 1.0}
UNIFORM = {"dist": "uniform", "loc": -1.0, "scale": 2.0}
BCE = {"estimand": "binary_cross_entropy", "inputs": NORMAL, "labels": {"logit": [0.2, 1.0, -0.5]},
       "model": {"logit": [0.1, 0.8]}}
CE = {"estimand": "cross_entropy", "inputs": NORMAL, "labels": {"logits": [[0.0], [0.5, 1.0], [-0.3, 0.2, 0.4]]},
      "model": {"logits": [[0.0], [0.4, 0.9], [0.0, 0.3]]}, "label_smoothing": 0.1}
NLL = {"estimand": "gaussian_nll", "inputs": UNIFORM,
       "data": {"mean": [1.0, 2.0], "noise": {"dist": "norm", "loc": 0.0, "scale": 0.5}},
       "model": {"mean": [0.5, 1.5], "sigma": 1.5}}
HETERO = {**NLL, "data": {"mean": [1.0, 2.0, -0.5], "noise": {"dist": "gamma", "a": 2.0, "loc": -1.0, "scale": 0.5}},
          "model": {"mean": [0.5, 1.5], "log_sigma": [0.2, 0.5]}}
# Heteroscedastic data too: y = m*(x) + exp(s(x)) e, s quadratic (bounded inputs), skewed noise of mean 0.5.
SCALED = {**HETERO, "data": {"mean": [1.0, 2.0, -0.5], "noise": {"dist": "gamma", "a": 2.0, "loc": -0.5, "scale": 0.5},
                             "noise_log_scale": [0.1, -0.7, 0.3]}}


# --- independent high-order Gauss rules (not QUADPACK, not the estimand's helpers) --------------
def gauss_normal(f, nodes=160):
    """E f(X), X ~ N(0, 1), by probabilists' Gauss-Hermite with ``nodes`` nodes."""
    x, w = np.polynomial.hermite_e.hermegauss(nodes)
    return float(np.dot(w, f(x)) / math.sqrt(2.0 * math.pi))


def gauss_uniform(f, nodes=80):
    """E f(X), X ~ U(-1, 1), by Gauss-Legendre."""
    x, w = np.polynomial.legendre.leggauss(nodes)
    return float(np.dot(w, f(x)) / 2.0)


def poly(coefficients, x):
    return np.polynomial.polynomial.polyval(x, coefficients)


def bce_terms(x):
    """P(y=1|x) and the loss at y = 1 and y = 0 (softplus forms)."""
    t = poly(BCE["model"]["logit"], x)
    return scipy.special.expit(poly(BCE["labels"]["logit"], x)), np.logaddexp(0.0, -t), np.logaddexp(0.0, t)


def ce_terms(x, eps=0.1):
    log_p = scipy.special.log_softmax(np.stack([poly(c, x) for c in CE["labels"]["logits"]], axis=1), axis=1)
    log_q = scipy.special.log_softmax(np.stack([poly(c, x) for c in CE["model"]["logits"]], axis=1), axis=1)
    loss = -(1.0 - eps) * log_q - eps * log_q.mean(axis=1, keepdims=True)
    return np.exp(log_p), loss, log_p, log_q


def noise_rule(spec):
    """Nodes and weights of the noise law: Gauss-Hermite for norm, generalised Gauss-Laguerre for gamma."""
    law = spec["data"]["noise"]
    if law["dist"] == "norm":
        z, w = np.polynomial.hermite_e.hermegauss(40)
        return law["loc"] + law["scale"] * z, w / math.sqrt(2.0 * math.pi)
    g, w = scipy.special.roots_genlaguerre(40, law["a"] - 1.0)
    return law["loc"] + law["scale"] * g, w / math.gamma(law["a"])


def nll_moments(spec, x):
    """E(nll | x) and E(nll^2 | x), the noise integrated by its own Gauss rule (nll is a polynomial in e)."""
    e, w = noise_rule(spec)
    if "noise_log_scale" in spec["data"]:
        e = e[None, :] * np.exp(poly(spec["data"]["noise_log_scale"], x))[:, None]   # exp(s(x)) e at each x
    m_true, m = poly(spec["data"]["mean"], x)[:, None], poly(spec["model"]["mean"], x)[:, None]
    log_sigma = (poly(spec["model"]["log_sigma"], x) if "log_sigma" in spec["model"]
                 else np.full(x.shape, math.log(spec["model"]["sigma"])))[:, None]
    nll = -scipy.stats.norm.logpdf(m_true + e, m, np.exp(log_sigma))
    return (nll * w).sum(axis=1), (nll * nll * w).sum(axis=1)


def test_gauss_rules_have_converged():
    """The reference rules agree with themselves at fewer nodes: they are accurate to far below 1e-10."""
    def f(x):
        p, one, zero = bce_terms(x)
        return p * one + (1 - p) * zero
    assert abs(gauss_normal(f, 160) - gauss_normal(f, 100)) < 1e-13


def test_bce_exact_agrees_with_gauss_hermite_to_1e10():
    estimand = build(BCE, "s")
    assert type(estimand) is ConditionalBinaryCrossEntropy and estimand.name == "binary_cross_entropy"
    exact, variance = estimand.exact(), estimand.asymptotic_variance()

    def mean(x):
        p, one, zero = bce_terms(x)
        return p * one + (1 - p) * zero

    bce = gauss_normal(mean)
    assert abs(exact["bce"] - bce) < 1e-10
    assert exact["ce2"] == exact["bce_bernoulli"] == exact["bce"]
    p_minus_q = gauss_normal(lambda x: bce_terms(x)[0] - scipy.special.expit(poly(BCE["model"]["logit"], x)))
    assert abs(exact["calibration"] - p_minus_q) < 1e-10

    def centred(x):
        p, one, zero = bce_terms(x)
        return p * (one - bce) ** 2 + (1 - p) * (zero - bce) ** 2

    assert abs(variance["bce"] - gauss_normal(centred)) < 1e-10


def test_calibration_limit_is_zero_for_the_true_conditional():
    estimand = build({**BCE, "model": {"logit": [0.2, 1.0, -0.5]}}, "s")
    assert abs(estimand.exact()["calibration"]) < 1e-12
    assert abs(build(BCE, "s").exact()["calibration"]) > 1e-2


def test_cross_entropy_exact_agrees_with_gauss_hermite_to_1e10():
    estimand = build(CE, "s")
    assert type(estimand) is ConditionalCrossEntropy
    exact, variance = estimand.exact(), estimand.asymptotic_variance()
    ce = gauss_normal(lambda x: (ce_terms(x)[0] * ce_terms(x)[1]).sum(axis=1))
    h_pq = gauss_normal(lambda x: -(ce_terms(x)[0] * ce_terms(x)[3]).sum(axis=1))
    entropy = gauss_normal(lambda x: scipy.stats.entropy(ce_terms(x)[0], axis=1))
    kl = gauss_normal(lambda x: scipy.stats.entropy(ce_terms(x)[0], np.exp(ce_terms(x)[3]), axis=1))
    for name, value in (("ce", ce), ("ce_smoothing_split", ce), ("h_pq", h_pq), ("nll_scipy", h_pq),
                        ("entropy", entropy), ("kl", kl)):
        assert abs(exact[name] - value) < 1e-10, name
    ce_var = gauss_normal(lambda x: (ce_terms(x)[0] * (ce_terms(x)[1] - ce) ** 2).sum(axis=1))
    assert abs(variance["ce"] - ce_var) < 1e-10


@pytest.mark.parametrize("spec", [NLL, HETERO, SCALED], ids=["constant_sigma", "heteroscedastic", "noise_log_scale"])
def test_gaussian_exact_agrees_with_gauss_legendre_to_1e10(spec):
    estimand = build(spec, "s")
    assert type(estimand) is ConditionalGaussianNLL
    exact, variance = estimand.exact(), estimand.asymptotic_variance()
    nll = gauss_uniform(lambda x: nll_moments(spec, x)[0])
    nll2 = gauss_uniform(lambda x: nll_moments(spec, x)[1])
    assert abs(exact["nll"] - nll) < 1e-10
    assert abs(variance["nll"] - (nll2 - nll**2)) < 1e-9   # E l^2 - (E l)^2 loses a digit to cancellation
    law = spec["data"]["noise"]
    noise = (scipy.stats.norm(law["loc"], law["scale"]) if law["dist"] == "norm"
             else scipy.stats.gamma(law["a"], loc=law["loc"], scale=law["scale"]))
    k = (lambda x: np.exp(poly(spec["data"]["noise_log_scale"], x))) if spec is SCALED else (lambda x: 1.0)
    mse = gauss_uniform(lambda x: (poly(spec["data"]["mean"], x) + k(x) * noise.mean() - poly(spec["model"]["mean"], x))
                        ** 2 + k(x) ** 2 * noise.var())
    assert abs(exact["mse"] - mse) < 1e-10
    if spec is not NLL:
        sigma0 = math.exp(0.2)
        gap = nll - (mse / (2 * sigma0**2) + math.log(sigma0) + 0.5 * math.log(2 * math.pi))
        assert abs(exact["nll_affine_gap"] - gap) < 1e-10 and abs(gap) > 1e-3
        assert "nll_from_mse" not in exact and exact["nll_from_weighted"] == exact["nll"]
    else:
        assert exact["nll_from_mse"] == exact["nll"]


@pytest.mark.parametrize("spec", [
    BCE, CE, NLL, HETERO, SCALED,
    {**BCE, "inputs": {"dist": "t", "df": 5.0}},
    {**CE, "inputs": {"dist": "lognorm", "s": 0.8}},
    {**BCE, "inputs": {"dist": "gamma", "a": 0.5}},
    {**NLL, "inputs": {"dist": "t", "df": 9.0}, "data": {"mean": [1.0, 2.0], "noise": {"dist": "laplace"}}},
    {**NLL, "inputs": {"dist": "t", "df": 9.0},
     "data": {"mean": [1.0, 2.0], "noise": {"dist": "laplace", "loc": 0.3}, "noise_log_scale": [0.4]}},
], ids=["bce", "ce", "nll", "hetero", "scaled", "bce_t5", "ce_lognorm", "bce_gamma", "nll_t9_laplace",
        "nll_t9_laplace_constant_scale"])
def test_exact_checks_agree(spec):
    checks = build(spec, "s").exact_checks()
    assert len(checks) >= 3
    for check in checks:
        assert abs(check.value - check.reference) <= check.tolerance, check


@pytest.mark.parametrize("spec", [BCE, CE, NLL, HETERO], ids=["bce", "ce", "nll", "hetero"])
def test_estimates_within_4_mcse_and_identities_on_every_batch(spec):
    estimand = build(spec, "s")
    grid = batch_grid(1, 20000, 4)
    replicates = 40
    sim = simulate(estimand, grid, range(replicates), 20261130, scenario_key("conditional"), chunk_size=8192)
    exact, variance = estimand.exact(), estimand.asymptotic_variance()
    assert all(int(c.sum()) == 0 for c in sim.nonfinite.values())
    for name, limit in exact.items():
        last = sim.estimate[name][:, -1]
        mcse = last.std(ddof=1) / math.sqrt(replicates)
        assert abs(last.mean() - limit) <= 4 * mcse, (name, last.mean(), limit, mcse)
        # The per-replicate SE matches the exact lim n Var (within 15% at n = 20000).
        assert np.median(sim.se[name][:, -1]) ** 2 * grid[-1] == pytest.approx(variance[name], rel=0.15), name
    for identity in estimand.identities:
        left, right = sim.estimate[identity.left], sim.estimate[identity.right]
        deviation = np.abs(left - right) / np.maximum(1.0, np.abs(left))
        assert np.all(deviation <= identity.tolerance), identity


def test_heteroscedastic_nll_is_not_the_affine_map_of_the_mse():
    """The rule 'NLL = affine(MSE)' must fail here: the gap's estimate is away from 0, at its exact value."""
    estimand = build(HETERO, "s")
    sim = simulate(estimand, batch_grid(1, 20000, 4), range(20), 5, scenario_key("gap"), chunk_size=8192)
    gap = sim.estimate["nll_affine_gap"][:, -1]
    assert abs(gap.mean()) > 6 * gap.std(ddof=1) / math.sqrt(gap.size)
    assert [i.right for i in estimand.identities] == ["nll_from_weighted"]
    assert [i.right for i in build(NLL, "s").identities] == ["nll_from_mse"]


# --- data.noise_log_scale: y = m*(x) + exp(s(x)) e ----------------------------------------------------------
#: Recorded before noise_log_scale existed (same seed, grid and chunks): the estimates and SEs of a short run
#: (sha256 over every quantity's arrays, sorted by name), the limits and lim n Var, and the first draws of y.
BEFORE_NOISE_LOG_SCALE = {
    "nll": ("8622218dafa14571b8cd93e5b1564056183dcd44618aa9b3ea7c4dd27a2f177e",
            {"mse": 0.5833333333333329, "nll": 1.4540332709424657, "nll_from_mse": 1.4540332709424657},
            {"mse": 0.5472222222222217, "nll": 0.02702331961591219, "nll_from_mse": 0.02702331961591219},
            [-0.7652019129703855, -1.0627510381892267, 2.089131672003493]),
    "hetero": ("633f44716a1bb86c557b52eac0a7fb9551424805c7d59b45aed05d0d4a0ea055",
               {"mse": 0.7166666666666663, "nll": 1.3766846497532552, "nll_from_weighted": 1.3766846497532552,
                "nll_affine_gap": 0.017548100052479414},
               {"mse": 2.369523809523809, "nll": 0.3384078067804691, "nll_from_weighted": 0.3384078067804691,
                "nll_affine_gap": 0.09421437233152313},
               [-1.2990073220756382, -0.498887291337511, 6.368620847072768]),
}


@pytest.mark.parametrize("name, spec, scale", [("nll", NLL, None), ("hetero", HETERO, None),
                                               ("nll", NLL, [0.0]), ("hetero", HETERO, [0.0, 0.0])])
def test_absent_noise_log_scale_keeps_the_numbers_bit_for_bit(name, spec, scale):
    """Without the key (or with s = 0) the draws, the run and the exact side are those of before the key."""
    if scale is not None:
        spec = {**spec, "data": {**spec["data"], "noise_log_scale": scale}}
    estimand = build(spec, "s")
    sim = simulate(estimand, batch_grid(1, 1000, 2), range(3), 7, scenario_key("golden"), chunk_size=256)
    digest = hashlib.sha256()
    for q in sorted(sim.estimate):
        digest.update(sim.estimate[q].tobytes())
        digest.update(sim.se[q].tobytes())
    _, y = estimand.streams[0].sampler.start(np.random.default_rng(3))(5)
    run, exact, variance, first = BEFORE_NOISE_LOG_SCALE[name]
    assert digest.hexdigest() == run
    assert estimand.exact() == exact and estimand.asymptotic_variance() == variance
    assert y[:3].tolist() == first
    assert ("exp(" in estimand.describe()) == (scale is not None)


def test_noise_log_scale_scales_the_mse_limit_as_its_closed_form_and_the_monte_carlo_mean():
    """x ~ U(-1, 1), y = 1 + 2 x + exp(-0.5 + x) e, e ~ N(0, 1), model N(0.5 + 1.5 x, 1):
    lim MSE = E[(0.5 + 0.5 x)^2] + E[exp(2 (-0.5 + x))]."""
    spec = {**NLL, "data": {"mean": [1.0, 2.0], "noise": NORMAL, "noise_log_scale": [-0.5, 1.0]},
            "model": {"mean": [0.5, 1.5], "sigma": 1.0}}
    estimand = build(spec, "s")
    assert "y = 1 + 2 x + exp(-0.5 + 1 x) e" in estimand.describe()
    bias = scipy.integrate.quad(lambda x: 0.5 * (0.5 + 0.5 * x) ** 2, -1.0, 1.0, epsabs=1e-14, epsrel=1e-13)[0]
    noise = scipy.integrate.quad(lambda x: 0.5 * math.exp(2.0 * (-0.5 + x)), -1.0, 1.0, epsabs=1e-14, epsrel=1e-13)[0]
    exact = estimand.exact()
    assert abs(exact["mse"] - (bias + noise)) < 1e-10
    assert abs(exact["mse"] - build({**spec, "data": {**spec["data"], "noise_log_scale": [-0.5]}}, "s").exact()["mse"]
               ) > 0.1   # the x-dependence of the scale matters
    for check in estimand.exact_checks():
        assert abs(check.value - check.reference) <= check.tolerance, check
    replicates = 200
    sim = simulate(estimand, np.asarray([2000]), range(replicates), 20261201, scenario_key("noise_log_scale"),
                   chunk_size=2000)
    mse = sim.estimate["mse"][:, -1]
    mcse = mse.std(ddof=1) / math.sqrt(replicates)
    assert abs(mse.mean() - exact["mse"]) <= 4 * mcse, (mse.mean(), exact["mse"], mcse)
    # The replicates' spread is the exact lim n Var (total variance with exp(2 s), exp(4 s) moments) at n = 2000.
    assert mse.var(ddof=1) * 2000 == pytest.approx(estimand.asymptotic_variance()["mse"], rel=0.25)


def test_noise_log_scale_rejections_name_the_key():
    scaled = {**NLL, "data": {**NLL["data"], "noise_log_scale": [-0.5, 1.0]}}
    for scale, key, allowed in (([0.1, float("nan")], "scenarios.g.data.noise_log_scale[1]", "finite"),
                                ([float("inf")], "scenarios.g.data.noise_log_scale[0]", "finite"),
                                (0.5, "scenarios.g.data.noise_log_scale", "array"),
                                ([], "scenarios.g.data.noise_log_scale", "at least 1"),
                                (["a"], "scenarios.g.data.noise_log_scale[0]", "number")):
        spec = {**scaled, "data": {**scaled["data"], "noise_log_scale": scale}}
        assert_one_line_error(first_problem({"scenarios": {"g": spec}}), key, allowed)
    # Built directly (no schema), a number is refused by the estimand itself.
    with pytest.raises(ConfigError, match=r"^config key s\.data\.noise_log_scale: .*allowed: a non-empty list"):
        build({**scaled, "data": {**scaled["data"], "noise_log_scale": 0.5}}, "s")
    # A non-constant s(x) on unbounded inputs: exp(k s(x)) is not polynomial (as the model's log_sigma).
    for inputs in (NORMAL, {"dist": "t", "df": 9.0}):
        assert_one_line_error(first_problem({"scenarios": {"g": {**scaled, "inputs": inputs}}}),
                              "scenarios.g.data.noise_log_scale", "bounded support")
    # A constant scale is a rescaled noise law: allowed on any inputs law with the moments.
    constant = {**scaled, "inputs": NORMAL, "data": {**scaled["data"], "noise_log_scale": [0.3, 0.0]}}
    assert first_problem({"scenarios": {"g": constant}}) is None


def test_identities_catch_a_wrong_term():
    """Replacing one side of an identity by a different loss breaks it: the check can fail."""
    estimand = build(BCE, "s")
    draw = estimand.streams[0].sampler.start(np.random.default_rng(3))
    terms = estimand.terms("pairs", draw(1000))
    assert abs(terms["bce"].mean() - terms["calibration"].mean()) > 1e-3
    y = draw(1000)
    flipped = estimand.terms("pairs", (y[0], 1.0 - y[1]))
    assert abs(flipped["bce"].mean() - estimand.terms("pairs", y)["bce_bernoulli"].mean()) > 1e-3


def test_labels_follow_the_true_conditional():
    """y | x: the share of y = 1 among x near x0 matches sigmoid(a(x0)) (a binned chi-square-free check)."""
    estimand = build(BCE, "s")
    x, y = estimand.streams[0].sampler.start(np.random.default_rng(11))(400000)
    for x0 in (-1.0, 0.0, 1.5):
        near = np.abs(x - x0) < 0.02
        p = scipy.special.expit(poly(BCE["labels"]["logit"], x[near]))
        assert abs(y[near].mean() - p.mean()) <= 4 * math.sqrt((p * (1 - p)).sum()) / near.sum()
    estimand = build(CE, "s")
    x, y = estimand.streams[0].sampler.start(np.random.default_rng(12))(400000)
    p = ce_terms(x)[0]
    counts = np.bincount(y, minlength=3)
    assert np.all(np.abs(counts - p.sum(axis=0)) <= 4 * np.sqrt((p * (1 - p)).sum(axis=0)))


def test_ragged_coefficients_are_padded_with_zeros():
    padded = build({**CE, "model": {"logits": [[0.0, 0.0, 0.0], [0.4, 0.9, 0.0], [0.0, 0.3]]}}, "s")
    assert padded.exact() == build(CE, "s").exact()


def test_an_edit_to_one_variant_reruns_only_its_scenarios(monkeypatch):
    """Each variant has a module of its own: editing the Gaussian one changes only its scenarios' code hash."""
    script = ROOT / "workflow" / "scripts" / "simulate.py"
    modules = {spec["estimand"]: type(build(spec, "s")).__module__ for spec in (BCE, CE, NLL)}
    assert modules == {name: f"mcloss.estimands.{name}_inputs"
                       for name in ("binary_cross_entropy", "cross_entropy", "gaussian_nll")}
    files = {name: codehash.module_file(module) for name, module in modules.items()}
    for name, file in files.items():
        found = codehash.closure(file)
        assert [other for other in files.values() if other in found] == [file], name
    # The scenarios without inputs: their modules import no variant.
    modules.update(constant_gaussian_nll="mcloss.estimands.gaussian_nll",
                   constant_bce="mcloss.estimands.binary_cross_entropy")
    before = {name: codehash.source_hash(script, module) for name, module in modules.items()}
    assert len(set(before.values())) == len(before)

    parsed, edited = codehash._parsed, files["gaussian_nll"]

    def after_an_edit(path):
        tree, imports = parsed(path)
        return (tree + " edited" if path == edited else tree), imports

    monkeypatch.setattr(codehash, "_parsed", after_an_edit)
    # source_hash caches its results per process: a fresh cache for the edited sources, the original restored after.
    monkeypatch.setattr(codehash, "_source_hash", functools.cache(codehash._source_hash.__wrapped__))
    after = {name: codehash.source_hash(script, module) for name, module in modules.items()}
    assert [name for name in modules if after[name] != before[name]] == ["gaussian_nll"]


def test_constant_forms_build_the_unchanged_classes():
    """Without inputs the scenarios are today's: the same classes, quantities and values."""
    old = [
        ({"estimand": "binary_cross_entropy", "labels": {"p": 0.3}, "model": {"p": 0.6}}, BinaryCrossEntropy),
        ({"estimand": "cross_entropy", "labels": {"probs": [0.5, 0.3, 0.2]}, "model": {"probs": [0.25, 0.25, 0.5]}},
         CrossEntropy),
        ({"estimand": "gaussian_nll", "data": {"dist": "norm", "loc": 1.0, "scale": 2.0},
          "model": {"mean": 0.5, "sigma": 1.5}}, GaussianNLL),
    ]
    for spec, cls in old:
        assert type(build(spec, "s")) is cls
        config = {"scenarios": {"g": copy.deepcopy(spec)}}
        assert first_problem(config) is None
    assert [q.name for q in build(old[0][0], "s").quantities] == ["bce", "ce2", "bce_binomial", "mle_p", "min_bce"]


def test_default_filling_leaves_conditional_scenarios_alone():
    """snakemake's validate() writes schema defaults: none may land inside a conditional block."""
    from snakemake.utils import validate

    config = {"scenarios": {"b": copy.deepcopy(BCE), "c": copy.deepcopy(CE), "h": copy.deepcopy(HETERO)}}
    validate(config, SCHEMA)
    assert config["scenarios"]["h"]["model"] == HETERO["model"]
    assert config["scenarios"]["h"]["data"] == HETERO["data"]
    assert config["scenarios"]["c"]["labels"] == CE["labels"]
    assert config["scenarios"]["b"]["model"] == BCE["model"]
    assert first_problem(config) is None


def _with(spec, mutate):
    scenario = copy.deepcopy(spec)
    mutate(scenario)
    return scenario


@pytest.mark.parametrize("spec, mutate, key, allowed", [
    (CE, lambda s: s["model"]["logits"].pop(), "scenarios.g.model.logits", "K = 3"),
    (CE, lambda s: s["model"].update(logits=[[0.0], [], [1.0]]), "scenarios.g.model.logits[1]", "at least 1"),
    (CE, lambda s: s["labels"].update(logits=[[0.0], [float("nan")], [1.0]]), "scenarios.g.labels.logits[1][0]",
     "finite"),
    (CE, lambda s: s.update(labels={"probs": [0.5, 0.5]}), "scenarios.g.labels", "logits"),
    (CE, lambda s: s.update(label_smoothing=1.0), "scenarios.g.label_smoothing", "< 1"),
    (BCE, lambda s: s["model"].update(logit=[]), "scenarios.g.model.logit", "at least 1"),
    (BCE, lambda s: s["labels"].update(logit=[0.1, float("inf")]), "scenarios.g.labels.logit[1]", "finite"),
    (BCE, lambda s: s.update(model={"p": 0.6}), "scenarios.g.model", "logit"),
    (BCE, lambda s: s.update(model={"logit": 0.5}), "scenarios.g.model.logit", "a non-empty list"),
    (BCE, lambda s: s.update(labels={"p": 0.3}), "scenarios.g.labels", "logit"),
    (BCE, lambda s: s.update(inputs={"dist": "cauchy"}), "scenarios.g.inputs", "finite moments up to order 2"),
    (BCE, lambda s: s.update(inputs={"dist": "t", "df": 2.0}), "scenarios.g.inputs", "finite moments up to order 2"),
    (BCE, lambda s: s.update(inputs={"dist": "nrom"}), "scenarios.g.inputs.dist", "scipy.stats"),
    (CE, lambda s: s.update(inputs={"dist": "t", "df": 1.5}), "scenarios.g.inputs", "finite moments up to order 2"),
    (NLL, lambda s: s.update(inputs={"dist": "t", "df": 3.0}), "scenarios.g.inputs", "finite moments up to order 4"),
    (HETERO, lambda s: s.update(inputs=NORMAL), "scenarios.g.inputs", "bounded support"),
    (NLL, lambda s: s["data"].update(noise={"dist": "cauchy"}), "scenarios.g.data.noise", "finite variance"),
    (NLL, lambda s: s.update(data={"dist": "norm"}), "scenarios.g.data", "noise"),
    (NLL, lambda s: s["model"].update(sigma=-1.0), "scenarios.g.model.sigma", "> 0"),
    (NLL, lambda s: s["model"].update(log_sigma=[0.0]), "scenarios.g.model", "log_sigma"),
    (NLL, lambda s: s["model"].update(mean=[]), "scenarios.g.model.mean", "at least 1"),
    (NLL, lambda s: s["model"].update(mean=[1.0, float("nan")]), "scenarios.g.model.mean[1]", "finite"),
])
def test_rejections_name_the_key_and_what_is_allowed(spec, mutate, key, allowed):
    message = first_problem({"scenarios": {"g": _with(spec, mutate)}})
    assert_one_line_error(message, key, allowed)


def test_constant_model_quantities_are_not_offered_with_inputs():
    """mle_p, min_bce and ce_from_counts need a constant model: a sweep asking for one is refused."""
    config = {"scenarios": {"b": copy.deepcopy(BCE)},
              "sweeps": {"s": {"scenario": "b", "vary": {"model.logit.0": [0.0, 0.1]}, "quantities": ["mle_p"]}}}
    message = first_problem(config)
    assert message.startswith("config key sweeps.s.quantities[0]:") and "calibration" in message, message


@pytest.mark.slow
def test_pipeline_tables_for_input_dependent_scenarios(tmp_path):
    """End to end (tables only): identities hold on every batch, exact checks hold, estimates near the limits."""
    config = {
        "seed": 4, "replicates": 20, "replicates_per_job": 20,
        "batch_sizes": {"min": 1, "max": 5000, "per_decade": 4},
        "analysis": {"slope_min_n": 50, "bootstrap": 20, "paths": 5},
        "scenarios": {"bce": BCE, "ce": CE, "hetero": HETERO},
    }
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    tables = [f"results/tables/{name}.csv" for name in ("convergence", "identities", "exact_checks")]
    run = snakemake(tmp_path, "--cores", 2, *tables)
    assert run.returncode == 0, run.stderr[-3000:]
    identities = pd.read_csv(tmp_path / tables[1])
    assert set(identities.identity) == {"bce == ce2", "bce == bce_bernoulli", "ce == ce_smoothing_split",
                                        "h_pq == nll_scipy", "nll == nll_from_weighted"}
    assert identities.holds.all() and (identities.nonfinite == 0).all()
    checks = pd.read_csv(tmp_path / tables[2])
    assert set(checks.scenario) == {"bce", "ce", "hetero"} and checks.holds.all()
    convergence = pd.read_csv(tmp_path / tables[0])
    assert (np.abs(convergence.z_score) <= 4).all(), convergence[["scenario", "quantity", "z_score"]]
    gap = convergence[(convergence.scenario == "hetero") & (convergence.quantity == "nll_affine_gap")].iloc[0]
    assert gap.exact == pytest.approx(build(HETERO, "s").exact()["nll_affine_gap"], abs=1e-12)


def test_degree_zero_models_reproduce_the_constant_estimands():
    """Polynomials of degree 0 make x irrelevant: the limits and variances are the constant-prediction ones."""
    a, t = 0.4, -0.3
    pairs = [
        ({**BCE, "labels": {"logit": [a]}, "model": {"logit": [t]}},
         {"estimand": "binary_cross_entropy", "labels": {"p": float(scipy.special.expit(a))}, "model": {"logit": t}},
         ("bce", "ce2")),
        ({**CE, "labels": {"logits": [[0.0], [0.5], [-0.3]]}, "model": {"logits": [[0.1], [0.4], [0.0]]}},
         {"estimand": "cross_entropy", "labels": {"probs": scipy.special.softmax([0.0, 0.5, -0.3]).tolist()},
          "model": {"logits": [0.1, 0.4, 0.0]}, "label_smoothing": 0.1},
         ("ce", "h_pq", "entropy", "kl")),
        ({**NLL, "data": {"mean": [1.0], "noise": {"dist": "gamma", "a": 2.0, "scale": 0.5}},
          "model": {"mean": [0.5], "sigma": 1.5}},
         {"estimand": "gaussian_nll", "data": {"dist": "gamma", "a": 2.0, "loc": 1.0, "scale": 0.5},
          "model": {"mean": 0.5, "sigma": 1.5}},
         ("mse", "nll", "nll_from_mse")),
    ]
    for conditional, constant, names in pairs:
        new, old = build(conditional, "s"), build(constant, "s")
        assert type(new) is not type(old) and new.name == old.name
        for name in names:
            assert new.exact()[name] == pytest.approx(old.exact()[name], rel=1e-12, abs=1e-13), name
            assert new.asymptotic_variance()[name] == pytest.approx(old.asymptotic_variance()[name],
                                                                    rel=1e-9, abs=1e-13), name


# --- what the verdict rules read ------------------------------------------------------------
def _tails_of(spec):
    from mcloss.maths.tails import reports

    estimand = build(spec, "scenarios.s")
    return estimand, reports(estimand)


def test_input_dependent_bce_terms_grow_like_the_model_logit():
    spec = {"estimand": "binary_cross_entropy", "inputs": {"dist": "t", "df": 5.0},
            "labels": {"logit": [0.2, 1.0]}, "model": {"logit": [0.1, 0.8, -0.5]}}
    estimand, found = _tails_of(spec)
    # |bce term| ~ 0.5 x^2 in t(5)'s tails: tail index 5 / 2, so a finite variance; calibration is bounded.
    assert found["bce"].term_index == pytest.approx(2.5) and found["bce"].var_finite
    assert found["calibration"].term_index == float("inf")
    assert estimand.limit_notes() == {} and estimand.bias_per_n() == {}


def test_input_dependent_cross_entropy_entropy_follows_the_truth_and_kl_the_larger_degree():
    spec = {"estimand": "cross_entropy", "inputs": {"dist": "t", "df": 9.0},
            "labels": {"logits": [[0.0], [0.5, 1.0, 0.3]]}, "model": {"logits": [[0.0], [0.4, 0.9]]}}
    estimand, found = _tails_of(spec)
    assert found["ce"].term_index == pytest.approx(9.0) and found["h_pq"].term_index == pytest.approx(9.0)
    assert found["entropy"].term_index == pytest.approx(4.5) and found["kl"].term_index == pytest.approx(4.5)
    # The constant model's plug-in entropy bias does not apply to a mean of -log p(y|x).
    assert estimand.bias_per_n() == {}


def test_input_dependent_gaussian_terms_read_both_the_inputs_and_the_noise():
    spec = {"estimand": "gaussian_nll", "inputs": {"dist": "t", "df": 20.0},
            "data": {"mean": [1.0, 2.0], "noise": {"dist": "t", "df": 5.0}},
            "model": {"mean": [0.5, 1.5], "sigma": 1.5}}
    _, found = _tails_of(spec)
    # (m*(x) - m(x) + e)^2: x^2 in t(20)'s tails (index 10), e^2 in t(5)'s (index 5 / 2): the smaller wins.
    assert found["mse"].term_index == pytest.approx(2.5) and found["nll"].var_finite
