"""Exact values that fail one at a time: a quadrature that does not settle drops only its own value.

Each test makes one quadrature of a scenario fail (InaccurateQuadrature, as an unsettled tail
raises it) and checks that the quantities resting on it, and only those, lose that value, with
the reason kept per quantity (in the estimand's `unresolved`, the exact json's analysis and the
`mcloss exact` / `plan` tables), while every other value equals the one computed without the
failure. Before, one failure dropped every exact limit of the scenario.
"""

import copy
import json
import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import scipy.stats

import mcloss.estimands.gan as gan_module
import mcloss.estimands.gaussian_nll as nll_module
import mcloss.laws.plans as plans_module
from common import GAN
from mcloss import cli
from mcloss.estimands import build
from mcloss.maths.exact import InaccurateQuadrature
from mcloss.pipeline import jobs

INJECTED = "injected: the tail neither converges nor diverges clearly"
BCE_INPUTS = {"estimand": "binary_cross_entropy", "inputs": {"dist": "norm", "loc": 0.0, "scale": 1.0},
              "labels": {"logit": [0.2, 1.0, -0.5]}, "model": {"logit": [0.1, 0.8]}}
MSE = {"estimand": "gaussian_nll", "data": {"dist": "gamma", "a": 2.0, "scale": 0.5},
       "model": {"mean": 0.5, "sigma": 1.5}}


def built(spec):
    return build(copy.deepcopy(spec), "scenarios.s")


def same(a: float, b: float) -> bool:
    """Bit-equal, NaN equal to NaN."""
    return (math.isnan(a) and math.isnan(b)) or a == b


def fail_on_fake_side(monkeypatch, estimand, variance: bool):
    """Make the quadrature over the fake stream's law fail: of its variance (``variance``) or of its mean."""
    real_expectation = gan_module.expectation

    def expectation(f, dist, *args, **kwargs):
        is_mean = f == estimand.fake_log_1md
        if dist is estimand.fake_law and is_mean != variance:
            raise InaccurateQuadrature(INJECTED)
        return real_expectation(f, dist, *args, **kwargs)

    monkeypatch.setattr(gan_module, "expectation", expectation)


def written(estimand, tmp_path) -> dict:
    path = tmp_path / "exact.json"
    jobs.write_exact(estimand, path)
    return json.loads(path.read_text())


@pytest.fixture(scope="module")
def gan_reference(tmp_path_factory):
    """The GAN scenario's exact json with every quadrature settled."""
    return written(built(GAN), tmp_path_factory.mktemp("reference"))


def test_a_failing_variance_quadrature_keeps_every_limit_and_the_other_side(monkeypatch, tmp_path, gan_reference):
    estimand = built(GAN)
    fail_on_fake_side(monkeypatch, estimand, variance=True)
    data = written(estimand, tmp_path)
    # Every exact limit stays (only a variance failed), bit for bit.
    assert data["limits"] == gan_reference["limits"]
    assert all(v is not None for v in data["limits"].values())
    # The real side's lim n Var stays; those resting on the fake side's variance are unknown (null).
    assert data["variances"]["e_real"] == gan_reference["variances"]["e_real"]
    assert {q for q, v in data["variances"].items() if v is None} == {"bce", "e_fake", "value"}
    # The reason, per quantity, where the verdicts read it.
    noted = {q for q, info in data["analysis"].items() if info["unresolved"]}
    assert noted == {"bce", "e_fake", "value"}
    assert all(INJECTED in data["analysis"][q]["unresolved"] and "lim n Var" in data["analysis"][q]["unresolved"]
               for q in noted)
    # The cross-checks (scipy's expect, another route) are all still made.
    assert data["checks"] == gan_reference["checks"]


def test_a_failing_mean_quadrature_drops_only_what_rests_on_it(monkeypatch, tmp_path, gan_reference):
    estimand = built(GAN)
    fail_on_fake_side(monkeypatch, estimand, variance=False)
    data = written(estimand, tmp_path)
    assert data["limits"]["e_real"] == gan_reference["limits"]["e_real"]
    assert data["variances"]["e_real"] == gan_reference["variances"]["e_real"]
    assert {q for q, v in data["limits"].items() if v is None} == {"bce", "e_fake", "value"}
    assert {q for q, v in data["variances"].items() if v is None} == {"bce", "e_fake", "value"}
    assert data["analysis"]["e_real"]["unresolved"] == ""
    assert all("exact value" in data["analysis"][q]["unresolved"] for q in ("bce", "e_fake", "value"))
    # The real side's check is made as before; the fake side's value is unknown, so it has nothing to check.
    assert [c for c in data["checks"] if c["name"].startswith("e_real")] == [
        c for c in gan_reference["checks"] if c["name"].startswith("e_real")]
    assert not [c for c in data["checks"] if c["name"].startswith("e_fake")]


def test_the_estimand_says_which_quantities_are_unresolved(monkeypatch):
    estimand = built(GAN)
    assert estimand.unresolved() == {}
    estimand = built(GAN)
    fail_on_fake_side(monkeypatch, estimand, variance=True)
    # Asked first, before exact() or asymptotic_variance(): it computes what it reports.
    notes = estimand.unresolved()
    assert set(notes) == {"bce", "e_fake", "value"} and all(INJECTED in why for why in notes.values())


def test_a_conditional_variance_that_fails_drops_only_its_term(monkeypatch):
    reference = built(BCE_INPUTS)
    estimand = built(BCE_INPUTS)
    original = estimand.total_variance

    def total_variance(term):
        if term == "calibration":
            raise InaccurateQuadrature(INJECTED)
        return original(term)

    monkeypatch.setattr(estimand, "total_variance", total_variance)
    expected_exact, expected_var = reference.exact(), reference.asymptotic_variance()
    assert estimand.exact() == expected_exact
    variances = estimand.asymptotic_variance()
    assert math.isnan(variances["calibration"])
    assert all(variances[q] == expected_var[q] for q in variances if q != "calibration")
    assert set(estimand.unresolved()) == {"calibration"}


def test_a_conditional_mean_that_fails_drops_only_its_quantity(monkeypatch):
    reference = built(BCE_INPUTS)
    estimand = built(BCE_INPUTS)
    original = estimand.conditional

    def conditional(term):
        mean_given, var_given = original(term)
        if term != "calibration":
            return mean_given, var_given

        def failing(x):
            raise InaccurateQuadrature(INJECTED)

        return failing, var_given

    monkeypatch.setattr(estimand, "conditional", conditional)
    exact, expected = estimand.exact(), reference.exact()
    assert math.isnan(exact["calibration"])
    assert all(exact[q] == expected[q] for q in exact if q != "calibration")
    assert set(estimand.unresolved()) == {"calibration"}
    checks = {c.name: c for c in estimand.exact_checks()}
    expected_checks = {c.name: c for c in reference.exact_checks()}
    # The unknown value has nothing to check; every other check is the same.
    assert set(checks) == set(expected_checks) - {"calibration"}
    assert all(checks[name] == expected_checks[name] for name in checks)


def test_a_check_whose_reference_fails_loses_only_that_reference(monkeypatch):
    reference = built(MSE)
    expected = {c.name: c for c in reference.exact_checks()}
    estimand = built(MSE)
    model = scipy.stats.norm(MSE["model"]["mean"], MSE["model"]["sigma"])
    probe = np.array([0.3, 1.0, 2.5])
    real_expectation = nll_module.expectation

    def expectation(f, dist, *args, **kwargs):
        # The reference of the NLL check: E[-log N(Y; m, sigma^2)].
        if np.allclose(f(probe), -model.logpdf(probe)):
            raise InaccurateQuadrature(INJECTED)
        return real_expectation(f, dist, *args, **kwargs)

    monkeypatch.setattr(nll_module, "expectation", expectation)
    checks = {c.name: c for c in estimand.exact_checks()}
    assert set(checks) == set(expected)
    failed = checks["nll_quadrature"]
    assert math.isnan(failed.reference) and INJECTED in failed.meaning
    # An unknown reference fails its check (|value - NaN| <= tolerance is false): it never holds by default.
    for check, holds in ((expected["nll_quadrature"], True), (failed, False)):
        assert (abs(check.value - check.reference) <= check.tolerance) is holds
    assert all(checks[name] == expected[name] for name in checks if name != "nll_quadrature")
    assert estimand.exact() == reference.exact()
    assert all(same(a, b) for a, b in zip(estimand.asymptotic_variance().values(),
                                          reference.asymptotic_variance().values()))


def test_a_plan_variance_that_fails_keeps_the_limits(monkeypatch, tmp_path):
    spec = {**GAN, "sampling": "antithetic"}
    reference = written(built(spec), tmp_path)

    def quantity_variances(*args, **kwargs):
        raise InaccurateQuadrature(INJECTED)

    monkeypatch.setattr(plans_module, "quantity_variances", quantity_variances)
    data = written(built(spec), tmp_path)
    assert data["limits"] == reference["limits"] and data["checks"] == reference["checks"]
    assert all(v is None for v in data["variances"].values())
    assert all(INJECTED in info["unresolved"] for info in data["analysis"].values())
    assert data["plan"] == "antithetic" and INJECTED in data["plan_unresolved"]


def test_the_tables_show_an_unresolved_value_as_an_empty_cell_with_its_note(monkeypatch):
    reference = built(GAN)
    estimand = built(GAN)
    fail_on_fake_side(monkeypatch, estimand, variance=True)
    project = SimpleNamespace(estimands={"s": estimand})
    table = cli.exact_table(project, ["s"]).set_index("quantity")
    exact, var = reference.exact(), reference.asymptotic_variance()
    assert all(table.loc[q, "exact"] == exact[q] for q in exact)
    assert table.loc["e_real", "lim_n_var"] == var["e_real"] and table.loc["e_real", "note"] == ""
    for q in ("bce", "e_fake", "value"):
        assert math.isnan(table.loc[q, "lim_n_var"]) and INJECTED in table.loc[q, "note"]
    shown = cli._show(table.reset_index(), as_csv=False)
    assert "nan" not in shown.lower() and INJECTED in shown
    plan = cli.plan_table(project, ["s"], 0.01, 1000).set_index("quantity")
    expected = cli.plan_table(SimpleNamespace(estimands={"s": reference}), ["s"], 0.01, 1000).set_index("quantity")
    assert plan.loc["e_real"].equals(expected.loc["e_real"])
    for q in ("bce", "e_fake", "value"):
        assert pd.isna(plan.loc[q, "replicates_bias"]) and not pd.isna(expected.loc[q, "replicates_bias"])
        assert INJECTED in plan.loc[q, "note"]


def test_the_default_values_are_those_of_the_reference_computation(gan_reference):
    """Nothing failed: the json's values are what the estimand computes directly, no note anywhere."""
    estimand = built(GAN)
    assert gan_reference["limits"] == estimand.exact()
    assert gan_reference["variances"] == estimand.asymptotic_variance()
    assert all(info["unresolved"] == "" for info in gan_reference["analysis"].values())


def test_a_failed_exact_check_reaches_the_convergence_verdicts(tmp_path):
    """`summarise` hands the scenario's exact checks to the convergence table: one failed check withholds
    the verdicts of the quantities it vouches for that rest on an exact value, and names the check."""
    from mcloss.maths.grid import batch_grid
    from mcloss.simulate.engine import save, simulate

    estimand = built(GAN)
    grid = batch_grid(1, 2000, 4, estimand.batch_unit)
    simulation = tmp_path / "block.npz"
    save(simulate(estimand, grid, range(40), 11, 3, 4096), simulation)

    def verdicts(name, checks):
        path = tmp_path / f"{name}.json"
        jobs.write_exact(estimand, path)
        data = json.loads(path.read_text())
        data["checks"] = checks(data["checks"])
        path.write_text(json.dumps(data))
        outputs = {key: tmp_path / f"{name}_{key}.csv" for key in ("summary", "convergence", "identities",
                                                                   "exact_checks")}
        jobs.summarise("s", estimand, [simulation], path, outputs, 10, 20, 11, 3)
        return pd.read_csv(outputs["convergence"]).set_index("quantity")

    settled = verdicts("settled", lambda checks: checks)
    # The first check's reference moved by 1 (its tolerance is far smaller): it fails.
    failed = verdicts("failed", lambda checks: [{**checks[0], "reference": checks[0]["value"] + 1.0}] + checks[1:])
    check = estimand.exact_checks()[0]
    assert not settled.reason.str.contains("exact cross-check failed").any()
    judged = settled.verdict != "inconclusive"
    vouched = judged & settled.index.isin(check.quantities or settled.index)
    assert vouched.any() and (judged & ~vouched).any()
    # Every verdict the check vouches for (and the settled run reached) names the failed check and is withheld;
    # the others stand.
    assert failed.reason[vouched].str.contains(f"exact cross-check failed: {check.name}", regex=False).all()
    assert (failed.verdict[vouched] == "inconclusive").all()
    assert (failed.verdict[judged & ~vouched] == settled.verdict[judged & ~vouched]).all()
