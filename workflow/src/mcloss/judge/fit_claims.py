"""Claims about models trained on the batch (mcloss.estimands.fitted), judged from the summary tables.

Each rule reads, at the largest n of a fitted scenario, the summary row (mean - exact and its MCSE,
the coverage of the per-replicate interval, which for a coefficient uses the sandwich standard
error) and the scenario's theory (Evidence.fits: tr(J^-1 K), the declared O(1/n) constants b, the
exact asymptotic coverage). The first-order statistic of a quantity is n (mean - exact) with MCSE
n x bias_mcse, and z = (n (mean - exact) - b) / (n x MCSE) (mcloss.evidence.fitted). The train gap
L_n(theta*) - L_n(theta_hat) and the excess risk have O(1/n) spread, so their first-order term is
measured at any n; each rule can come out either way (tests/test_fit_claims.py flips each branch).
May import the stages below judge and `claim_rules`, `verdicts`.
"""

from __future__ import annotations

import math

from . import verdicts as v
from .claim_rules import HOLDS, INCONCLUSIVE, PREMISE, REFUTED, Z_LIMIT, Claim, Evidence, each_scenario, fig

SOURCE_GAN_A = "GAN discriminator loss derivation (answer)"
SOURCE_CE_C1 = "Cross-entropy vs binary cross-entropy (comments on answer 1)"
SOURCE_BEYOND = "beyond the sources"


def first_order(ev: Evidence, name: str, quantity: str) -> dict:
    """n, n (mean - exact), its MCSE, the declared b and z at the scenario's largest n (summary table)."""
    rows = ev.summary[(ev.summary.scenario == name) & (ev.summary.quantity == quantity)]
    row = rows.loc[rows.n.idxmax()]
    n = float(row.n)
    b = float(ev.fits[name]["bias_per_n"].get(quantity, 0.0))
    error, mcse = n * float(row.bias), n * float(row.bias_mcse)
    z = (error - b) / mcse if mcse > 0 else math.nan
    return {"n": int(n), "error": error, "mcse": mcse, "b": b, "z": z, "replicates": int(row.replicates)}


def _row(name: str, quantity: str, exact: float, estimate: float, mcse: float, verdict: str, rule: str,
         detail: str, settle: str = "", figure: str = "fitted") -> dict:
    return {"scenario": name, "quantity": quantity, "exact": exact, "estimate": estimate,
            "ci_low": estimate - 1.96 * mcse, "ci_high": estimate + 1.96 * mcse, "verdict": verdict,
            "evidence": fig(name, figure), "rule": rule, "detail": detail,
            "settle": settle if verdict == INCONCLUSIVE else "", "quantity_verdict": ""}


def _describe(quantity: str, f: dict) -> str:
    return (f"n (mean - exact) of {quantity} at n = {f['n']:,}: {f['error']:.4g} +- {f['mcse']:.2g} (MCSE) vs "
            f"first order {f['b']:.4g} (z = {f['z']:.2f}, R = {f['replicates']})")


def _first_order_verdict(checks: list[tuple[str, dict]], positive: list[dict]) -> tuple[str, str]:
    """refuted if any |z| > Z_LIMIT; holds if none and every term in ``positive`` is detectably > 0."""
    if any(not math.isfinite(f["z"]) for _, f in checks):
        return INCONCLUSIVE, "no MCSE at the largest n"
    if any(abs(f["z"]) > Z_LIMIT for _, f in checks):
        return REFUTED, ""
    if all(f["error"] - Z_LIMIT * f["mcse"] > 0.0 for f in positive):
        return HOLDS, ""
    return INCONCLUSIVE, "more replicates R (the first-order term is not yet told from 0)"


OPTIMISM_RULE = (f"per fitted scenario at its largest n: refuted if n (mean - exact) of the excess risk or of the "
                 f"train gap L_n(theta*) - L_n(theta_hat) lies more than {Z_LIMIT:g} MCSE from tr(J^-1 K)/2 (so "
                 f"the optimism test - train, their sum in mean, is not tr(J^-1 K)/n); holds if both lie within and "
                 f"both exceed 0 by more than {Z_LIMIT:g} MCSE; inconclusive otherwise (more replicates)")


def _optimism_one(ev: Evidence, name: str) -> dict:
    theory = ev.fits[name]
    excess, gap = first_order(ev, name, "excess_risk"), first_order(ev, name, "train_gap")
    verdict, settle = _first_order_verdict([("excess_risk", excess), ("train_gap", gap)], [excess, gap])
    specified = (f"; well specified: tr(J^-1 K) = p = {theory['parameters']}" if theory["well_specified"]
                 and theory.get("dependence", 1.0) == 1.0 else f"; tr(J^-1 K) = {theory['trace']:.6g}, p = "
                 f"{theory['parameters']}")
    detail = f"{_describe('excess_risk', excess)}; {_describe('train_gap', gap)}{specified}"
    return _row(name, "n x optimism (excess + gap)", theory["trace"], excess["error"] + gap["error"],
                math.hypot(excess["mcse"], gap["mcse"]), verdict, OPTIMISM_RULE, detail, settle)


def optimism_tic(ev: Evidence, s: list[str]) -> dict:
    return each_scenario(ev, s, _optimism_one)


GAN_RULE = (f"per fitted discriminator at the largest n: refuted if n (mean - exact) of the train gap (half the "
            f"batch value's overstatement V_n(D_hat) - V_n(D*)) or of the test value V(D_hat) - V* lies more than "
            f"{Z_LIMIT:g} MCSE from its first-order term (tr(J^-1 K)/2, -tr(J^-1 K)); holds if both lie within and "
            f"the overstatement exceeds 0 by more than {Z_LIMIT:g} MCSE (the JSD estimate (V_n + log 4)/2 is biased "
            "upward by tr/(2n)); inconclusive otherwise")


def _gan_one(ev: Evidence, name: str) -> dict:
    theory = ev.fits[name]
    gap, test = first_order(ev, name, "train_gap"), first_order(ev, name, "test_value")
    verdict, settle = _first_order_verdict([("train_gap", gap), ("test_value", test)], [gap])
    detail = (f"{_describe('train_gap', gap)}; {_describe('test_value', test)}; the trained D's batch value "
              f"overstates V* by {2 * gap['error']:.4g}/n in mean (first order tr(J^-1 K)/n, tr = "
              f"{theory['trace']:.6g} with the stratified K of m real and m fake samples)")
    return _row(name, "n x (V_n(D_hat) - V_n(D*))", theory["trace"], 2.0 * gap["error"], 2.0 * gap["mcse"], verdict,
                GAN_RULE, detail, settle)


def gan_trained_discriminator(ev: Evidence, s: list[str]) -> dict:
    return each_scenario(ev, s, _gan_one)


MLE_RULE = (f"per fitted logistic regression at the largest n: refuted if a coefficient converges elsewhere or "
            f"its sandwich 95% interval's coverage lies more than {Z_LIMIT:g} binomial SE (at 0.95) from 0.95; holds "
            "if every coefficient converges to theta* (the minimiser of the population BCE, the KL projection of the "
            "truth on the model) and every coverage lies within; inconclusive otherwise")


def _coverage_at_top(ev: Evidence, name: str, quantity: str) -> tuple[float, int]:
    rows = ev.summary[(ev.summary.scenario == name) & (ev.summary.quantity == quantity)]
    row = rows.loc[rows.n.idxmax()]
    return float(row.coverage), int(row.replicates)


def _mle_one(ev: Evidence, name: str) -> dict:
    theory = ev.fits[name]
    rows = [ev.row(name, q) for q in theory["names"]]
    parts, verdict = [], HOLDS
    for row in rows:
        cover, r = _coverage_at_top(ev, name, row.quantity)
        se = math.sqrt(0.95 * 0.05 / r)
        model = theory["coverage_asymptotic"]["model"][theory["names"].index(row.quantity)]
        parts.append(f"{row.quantity}: {row.verdict} (estimate {row.estimate:.6g} vs theta* {row.exact:.6g}); "
                     f"sandwich coverage {cover:.3f} (R = {r}, {abs(cover - 0.95) / se:.2f} SE from 0.95; "
                     f"model-based in the limit {model:.4f})")
        if row.verdict == v.ELSEWHERE or abs(cover - 0.95) > Z_LIMIT * se:
            verdict = REFUTED
        elif (row.verdict not in v.CONVERGING or not math.isfinite(cover)) and verdict == HOLDS:
            verdict = INCONCLUSIVE      # no coverage measured (NaN) says nothing either way
    shown = rows[-1]
    return _row(name, shown.quantity, shown.exact, shown.estimate, shown.estimate_mcse, verdict, MLE_RULE,
                "; ".join(parts), "more replicates R or a larger n_max")


def logistic_regression_mle(ev: Evidence, s: list[str]) -> dict:
    return each_scenario(ev, s, _mle_one)


DEPENDENT_FIT_RULE = ("per fitted model on dependent labels: premise not met if its samples are independent "
                      "(dependence factor 1); holds if the fit has no limit or a random one; refuted if it converges "
                      f"and, the control, its i.i.d. interval covers within {Z_LIMIT:g} binomial SE of the exact "
                      "under-coverage 2 Phi(1.96 sqrt((1-rho)/(1+rho))) - 1 (a failed control is inconclusive): "
                      "dependence alone does not stop the fit converging, it makes its textbook intervals too short")


def dependent_fit_one(ev: Evidence, name: str) -> dict:
    """The dependent-data claim on a fitted scenario (its theory's `dependence` > 1)."""
    theory = ev.fits[name]
    q = theory["names"][0]
    row = ev.row(name, q)
    factor = float(theory.get("dependence", 1.0))
    exact_cover = theory["coverage_asymptotic"]["sandwich"][0]
    cover, r = _coverage_at_top(ev, name, q)
    se = math.sqrt(exact_cover * (1 - exact_cover) / r)
    detail = (f"fitted {q}: {row.verdict}; n Var inflated by (1+rho)/(1-rho) = {factor:.4g}; i.i.d. interval "
              f"coverage {cover:.3f} (R = {r}) vs exact {exact_cover:.4f}")
    if factor == 1.0:
        verdict = PREMISE
    elif row.verdict in (v.RANDOM_LIMIT, v.NO_LIMIT):
        verdict = HOLDS
    elif row.verdict in v.CONVERGING or row.verdict == v.ELSEWHERE:
        verdict = REFUTED if abs(cover - exact_cover) <= Z_LIMIT * se else INCONCLUSIVE
    else:
        verdict = INCONCLUSIVE
    return _row(name, q, exact_cover, cover, se, verdict, DEPENDENT_FIT_RULE, detail,
                "a fit whose coverage agrees with theory (a broken control, not more data)")


#: The fitted models' claims, in the order of the claims table (after the source texts' own).
FIT_CLAIMS = (
    Claim("gan-trained-discriminator", SOURCE_GAN_A,
          "The discriminator trained by BCE on the batch (labels 1 for real, 0 for fake) estimates V(D*, G) = "
          "-log 4 + 2 JSD: its batch value overstates V* by tr(J^-1 K)/n + o(1/n) (c/m), so the JSD estimate is "
          "biased upward.", gan_trained_discriminator, "simulation", ("gan_discriminator",)),
    Claim("logistic-regression-mle", SOURCE_CE_C1,
          "BCE relates to logistic regression: the BCE minimiser converges to the population minimiser theta*, "
          "and the sandwich interval covers at the nominal rate.", logistic_regression_mle, "simulation",
          ("binary_cross_entropy",)),
    Claim("optimism-tic", SOURCE_BEYOND,
          "A model fitted to the batch has optimism (test risk - training loss) tr(J^-1 K)/n + o(1/n) in mean "
          "(Takeuchi 1976), d/n when well specified (Akaike 1973).", optimism_tic, "simulation", ()),
)
