"""The claims of the two source texts: one rule function per claim and its `Claim` entry.

Owns the source labels (`SOURCE_*`), the rules that judge each claim of the GAN
derivation and of the cross-entropy answers from the evidence, and their catalogue
entries (`SOURCE_CLAIMS`, in the order claims.md lists them). A new claim of the sources
goes here. May import: mcloss.judge.claim_rules, mcloss.judge.verdicts and the stages
below judge (mcloss.evidence for the i.i.d. and coverage claims); never mcloss.judge.claims
or mcloss.judge.plan_claims.

Every rule reads the per-quantity verdicts through the predicates of claim_rules and
returns the row fields of `claim_row`; its `rule` text, printed beside the verdict in
claims.md, states what would flip it.
"""

from __future__ import annotations

import math

import numpy as np

from mcloss.evidence import coverage, iid

from . import verdicts as v
from .claim_rules import (
    Z_LIMIT,
    Claim,
    Evidence,
    claim_row,
    converges,
    describe_rate,
    each_scenario,
    fig,
    identity_holds,
    n_var,
    status,
)

SOURCE_GAN_Q = "GAN discriminator loss derivation (question)"
SOURCE_GAN_A = "GAN discriminator loss derivation (answer)"
SOURCE_GAN_C = "GAN discriminator loss derivation (comments)"
SOURCE_CE_A1 = "Cross-entropy vs binary cross-entropy (answer 1)"
SOURCE_CE_C1 = "Cross-entropy vs binary cross-entropy (comments on answer 1)"
SOURCE_CE_A2 = "Cross-entropy vs binary cross-entropy (answer 2)"


def gan_limit_pz(ev: Evidence, s: list[str]) -> dict:
    bce, fake = ev.row(s[0], "bce"), ev.row(s[0], "e_fake")
    return claim_row(bce, fig(s[0], "convergence"), status(bce, fake),
                     "holds if bce and e_fake both converge (e_fake's exact value an expectation over p_z); refuted if "
                     "either has no limit or a random limit; else inconclusive",
                     f"bce: {describe_rate(bce)}; e_fake: {describe_rate(fake)}")


def gan_real_fraction(ev: Evidence, s: list[str]) -> dict:
    fixed, random = ev.row(s[0], "bce"), ev.row(s[1], "bce")
    same_limit = abs(fixed.exact - random.exact) <= 1e-12
    detail = f"fixed: {describe_rate(fixed)}; random: {describe_rate(random)}"
    rule = ("holds: both compositions converge at n^-1/2 to the same pi-weighted limit and the n Var ratio "
            "random/fixed agrees with theory (within 4 MCSE) and exceeds 1 by more than 4 MCSE; partly holds: "
            "it agrees but is not resolved from 1; refuted: a limit is missing or the ratio is below 1 by more "
            "than 4 MCSE; inconclusive otherwise")
    both_clt = fixed.verdict == v.CONVERGES and random.verdict == v.CONVERGES
    if not (same_limit and both_clt):
        verdict = "refuted" if status(fixed, random) == "refuted" or not same_limit else "inconclusive"
        return claim_row(random, fig(s[1], "convergence"), verdict, rule,
                         detail + ("" if same_limit else "; the two exact limits differ"))
    v_fixed, e_fixed = n_var(ev, s[0], "bce")
    v_random, e_random = n_var(ev, s[1], "bce")
    ratio = v_random / v_fixed
    ratio_err = ratio * math.hypot(e_fixed / v_fixed, e_random / v_random)
    theory = ev.variances[s[1]]["bce"] / ev.variances[s[0]]["bce"]
    agrees = abs(ratio - theory) <= Z_LIMIT * ratio_err
    larger = ratio - 1.0 > Z_LIMIT * ratio_err
    if agrees and larger:
        verdict = "holds"
    elif agrees:
        verdict = "partly holds"   # the label term is too small to resolve with these replicates
    elif 1.0 - ratio > Z_LIMIT * ratio_err:
        verdict = "refuted"        # random labels gave a smaller variance
    else:
        verdict = "inconclusive"   # the measured ratio contradicts the theory: a broken control
    return claim_row(random, fig(s[1], "convergence"), verdict, rule,
                     f"{detail}; n Var ratio random/fixed {ratio:.3f} +- {ratio_err:.3f} vs theory {theory:.3f} "
                     "(label term)")


def gan_misplaced_scaling(ev: Evidence, s: list[str]) -> dict:
    typeset, bce = ev.row(s[0], "as_typeset"), ev.row(s[0], "bce")
    rows = ev.summary[(ev.summary.scenario == s[0]) & (ev.summary.quantity == "as_typeset")].sort_values("n")
    rows = rows[rows.n >= typeset.fit_min_n]
    growth = float(np.polyfit(np.log(rows.n), np.log(np.abs(rows.mean_estimate)), 1)[0])
    last = float(rows.mean_estimate.iloc[-1])
    scaled = -float(bce.exact)     # the scaled expectation (1/2) E log D + (1/2) E log(1 - D) at pi = 1/2
    tolerance = Z_LIMIT * float(typeset.estimate_mcse) + 1e-9 * (1.0 + abs(scaled))
    if abs(growth - 1.0) <= 0.1 and converges(bce):
        verdict = "refuted"
    elif abs(growth) <= 0.1 and converges(bce) and abs(last - scaled) <= tolerance:
        verdict = "holds"          # it settles on the scaled limit over the whole grid, like the scaled one
    else:
        verdict = "inconclusive"   # the control (the correctly scaled BCE) failed, or neither pattern
    return claim_row(typeset, fig(s[0], "paths"), verdict,
                     "refuted if |mean estimate| grows like n (slope of log|mean| on log n within 0.1 of 1) while the "
                     "correctly scaled BCE converges; holds if it settles (slope within 0.1 of 0) on the scaled limit "
                     "-BCE (within 4 MCSE), which happens when E_g[log(1-D)] is negligible over the grid, e.g. a "
                     "discriminator with D ~ 0 on the fakes",
                     f"slope of log|mean as_typeset| on log n: {growth:.3f}; mean at n = {int(typeset.n_max):,}: "
                     f"{last:.6g} vs scaled limit {scaled:.6g}; as_typeset: {typeset.verdict}; correctly scaled: "
                     f"{describe_rate(bce)}")


def gan_optimal_jsd(ev: Evidence, s: list[str]) -> dict:
    value = ev.row(s[0], "value")
    check = ev.exact_checks[(ev.exact_checks.scenario == s[0]) & (ev.exact_checks.check == "value_at_optimal_D")]
    check_ok = (not check.empty) and bool(check.holds.iloc[0])
    equal = ev.row(s[1], "value") if len(s) > 1 else None
    equal_ok = equal is not None and abs(equal.exact + math.log(4.0)) <= 1e-12 and converges(equal)
    quantity_status = status(value, *([equal] if equal is not None else []))
    if check_ok and quantity_status == "holds" and equal_ok:
        verdict = "holds"
    elif not check_ok or quantity_status == "refuted" or (equal is not None and converges(equal)
                                                          and not equal_ok):
        verdict = "refuted"
    else:
        verdict = "inconclusive"
    detail = (f"V(D*) by quadrature vs -log 4 + 2 JSD: |diff| = "
              f"{float(check.abs_diff.iloc[0]) if not check.empty else float('nan'):.2g}; {describe_rate(value)}")
    if equal is not None:
        named = (" - the degenerate case: D* = 1/2 on every sample, so every replicate is -log 4 to rounding"
                 if equal.verdict == v.DEGENERATE else "")
        detail += (f"; p_g = p_data: exact {equal.exact:.15g} vs -log 4 = {-math.log(4.0):.15g}, "
                   f"{equal.verdict}{named} ({equal.reason})")
    return claim_row(value, fig(s[0], "convergence"), verdict,
                     "holds: the exact check holds (quadrature vs -log 4 + 2 JSD), V converges, and with p_g = p_data "
                     "V converges to -log 4 (degenerate there: zero variance); refuted if a check or a limit fails",
                     detail)


def _identity_claim(ev: Evidence, s: list[str], left: str, right: str, converging: tuple[str, ...],
                    rule: str) -> dict:
    ident = ev.identity(s[0], left, right)
    rows = [ev.row(s[0], q) for q in converging]
    limits = status(*rows) if rows else "holds"
    if not identity_holds(ident):
        verdict = "refuted"
    else:
        verdict = limits
    shown = rows[0] if rows else ev.row(s[0], left)
    detail = (f"max per-batch |{left} - {right}| = {ident.max_abs_deviation:.3g} over {int(ident.batches):,} "
              f"batches (tolerance {ident.tolerance:g})")
    if rows:
        detail += "; " + "; ".join(f"{r.quantity}: {describe_rate(r)}" for r in rows)
    else:
        detail += f"; {left} (for information, not part of the rule): {describe_rate(shown)}"
    return claim_row(shown, fig(s[0], "identities"), verdict, rule, detail)


def _input_dependent(ev: Evidence, scenario: str) -> bool:
    return "inputs" in (ev.scenarios.get(scenario) or {})


def ce2_equals_bce(ev, s):
    return each_scenario(ev, s, lambda ev, name: _identity_claim(
        ev, [name], "bce", "ce2", (), "identity(bce == ce2) on every batch (refuted if any batch differs by more "
        "than the tolerance); an algebraic identity, checked in code"))


def _nll_is_cross_entropy_one(ev, name):
    if not _input_dependent(ev, name):
        return _identity_claim(ev, [name], "ce", "ce_from_counts", (),
                               "identity(mean NLL == H(empirical, q)) on every batch (refuted if any batch differs "
                               "by more than the tolerance); an algebraic identity, checked in code")
    # With q depending on x the empirical law is that of the pairs (x, y): the mean NLL is its
    # cross-entropy with q(.|x), computed twice (this package's and scipy's log-softmax) and converging.
    smoothing = ev.identity(name, "ce", "ce_smoothing_split")
    part = _identity_claim(ev, [name], "h_pq", "nll_scipy", ("h_pq",),
                           "input-dependent model: identity(mean NLL == cross-entropy of the empirical (x, y) law "
                           "and q(.|x), by two log-softmax routes) and identity(smoothed ce == (1 - eps) NLL + "
                           "eps mean_k(-log q_k)) on every batch, and the NLL converges to E_x H(p(.|x), q(.|x))")
    if not identity_holds(smoothing):
        part["verdict"] = "refuted"
    part["detail"] += (f"; max per-batch |ce - ce_smoothing_split| = {smoothing.max_abs_deviation:.3g} "
                       f"(tolerance {smoothing.tolerance:g})")
    return part


def nll_is_cross_entropy(ev, s):
    return each_scenario(ev, s, _nll_is_cross_entropy_one)


def _mse_gaussian_nll_one(ev, name):
    constant_sigma = ev.identities[(ev.identities.scenario == name)
                                   & (ev.identities.identity == "nll == nll_from_mse")]
    if not constant_sigma.empty:
        return _identity_claim(ev, [name], "nll", "nll_from_mse", ("mse", "nll"),
                               "identity(nll == mse / (2 sigma^2) + log(2 pi sigma^2) / 2) on every batch, and both "
                               "converge (at n^-1/2 or slower: heavy-tailed targets converge slower)")
    # A heteroscedastic model: the claim's premise (a fixed variance) fails, and the data must show that
    # the affine map then fails too: the gap NLL - affine(MSE) converges to its exact, non-zero value.
    part = _identity_claim(ev, [name], "nll", "nll_from_weighted", ("nll", "nll_affine_gap"),
                           "heteroscedastic model (sigma depends on x, outside the claim's premise): identity(nll "
                           "== weighted MSE / 2 + mean log sigma(x) + log(2 pi) / 2) on every batch, and the gap "
                           "nll - affine(mse) converges to its exact value, which must be non-zero (more than 4 "
                           "MCSE from 0 at the largest n), showing the fixed variance is needed")
    gap = ev.row(name, "nll_affine_gap")
    nonzero = abs(float(gap.exact)) > Z_LIMIT * float(gap.estimate_mcse)
    if part["verdict"] == "holds" and not nonzero:
        part["verdict"] = "inconclusive"
    part["detail"] += f"; exact gap {float(gap.exact):.6g} vs MCSE {float(gap.estimate_mcse):.2g}"
    return part


def mse_gaussian_nll(ev, s):
    return each_scenario(ev, s, _mse_gaussian_nll_one)


def _bce_bernoulli_mle_one(ev, name):
    if _input_dependent(ev, name):
        # q(x) is no constant: no sample-mean minimiser; the NLL route is scipy's Bernoulli logpmf per sample.
        ident = ev.identity(name, "bce", "bce_bernoulli")
        bce, calibration = ev.row(name, "bce"), ev.row(name, "calibration")
        verdict = status(bce, calibration) if identity_holds(ident) else "refuted"
        return claim_row(bce, fig(name, "convergence"), verdict,
                         "input-dependent model: identity(batch BCE == mean -log Bernoulli(y; q(x)) by "
                         "scipy.stats.bernoulli.logpmf) on every batch, and bce and calibration (mean y - q(x)) "
                         "converge",
                         f"Bernoulli identity max |diff| {ident.max_abs_deviation:.3g}; bce: {describe_rate(bce)}; "
                         f"calibration: {describe_rate(calibration)}")
    ident = ev.identity(name, "bce", "bce_binomial")
    mle, min_bce = ev.row(name, "mle_p"), ev.row(name, "min_bce")
    verdict = status(mle, min_bce) if identity_holds(ident) else "refuted"
    return claim_row(mle, fig(name, "convergence"), verdict,
                     "identity(sum BCE == -log Binomial(k; n, q) + log C(n, k)), and mle_p -> p and min_bce -> H(p) "
                     "converge (min_bce judged against H(p) plus its declared bias -1/(2n): a plug-in estimator)",
                     f"binomial identity max |diff| {ident.max_abs_deviation:.3g}; mle_p: {describe_rate(mle)}; "
                     f"min_bce: {describe_rate(min_bce)}")


def bce_bernoulli_mle(ev, s):
    return each_scenario(ev, s, _bce_bernoulli_mle_one)


def _label_smoothing_one(ev, name):
    ce = ev.row(name, "ce")
    eps = ev.scenarios.get(name, {}).get("label_smoothing", float("nan"))
    return claim_row(ce, fig(name, "convergence"), status(ce),
                     "holds if ce converges to (1 - eps) H(p, q) + eps mean_k(-log q_k) (averaged over x for an "
                     "input-dependent model); refuted if it has no limit",
                     f"eps = {eps}; {describe_rate(ce)}")


def label_smoothing(ev, s):
    return each_scenario(ev, s, _label_smoothing_one)


def dependent_data(ev: Evidence, s: list[str]) -> dict:
    ergodic = ev.row(s[0], "mle_p")
    frozen = ev.row(s[1], "mle_p") if len(s) > 1 else None
    theory = ev.variances[s[0]].get("mle_p", float("nan"))
    iid_var = ergodic.exact * (1 - ergodic.exact) if math.isfinite(ergodic.exact) else float("nan")
    ergodic_ok = ergodic.verdict == v.CONVERGES
    frozen_fails = frozen is not None and frozen.verdict in (v.RANDOM_LIMIT, v.NO_LIMIT)
    detail = f"ergodic chain: {describe_rate(ergodic)}"
    agrees, dependent = False, False
    if ergodic_ok:
        value, err = n_var(ev, s[0], "mle_p")
        agrees = abs(value - theory) <= Z_LIMIT * err
        dependent = abs(theory / iid_var - 1.0) > 1e-9
        detail += (f"; n Var(p_hat) / p(1-p) = {value / iid_var:.3f} (+- {err / iid_var:.3f}) vs theory "
                   f"(1+rho)/(1-rho) = {theory / iid_var:.3f}")
    if not ergodic_ok and ergodic.verdict in (v.RANDOM_LIMIT, v.NO_LIMIT) and frozen_fails:
        verdict = "holds"          # neither chain converges
    elif not ergodic_ok:
        verdict = "inconclusive"
    elif not agrees:
        verdict = "inconclusive"   # the measured variance contradicts the chain's theory: a broken control
    elif frozen_fails and dependent:
        verdict = "partly holds"
    else:
        verdict = "refuted"        # i.i.d. labels, or dependent ones that converge and nothing fails
    if frozen is not None:
        detail += f"; non-ergodic chain: {describe_rate(frozen)}"
    return claim_row(ergodic, fig(s[0], "convergence"), verdict,
                     "partly holds: the ergodic chain converges at n^-1/2 with n Var inflated as theory says, and the "
                     "non-ergodic one has a random limit (dependence alone does not stop convergence; losing "
                     "ergodicity does); holds: neither converges; refuted: the chain converges and nothing fails, "
                     "or its labels are independent", detail)


def iid_check(ev: Evidence, s: list[str]) -> dict:
    result = iid.judge_claim(ev.iid, s)
    return {"scenario": ",".join(s), "evidence": "results/tables/iid.csv", **result}


def cauchy_no_lln(ev: Evidence, s: list[str]) -> dict:
    rows = [ev.row(name, "bce") for name in s]
    converging = [r for r in rows if converges(r)]
    limitless = [r for r in rows if r.verdict in (v.NO_LIMIT, v.RANDOM_LIMIT)]
    if len(converging) == len(rows):
        verdict = "holds"
    elif len(limitless) == len(rows):
        verdict = "refuted"
    elif converging and limitless and len(converging) + len(limitless) == len(rows):
        verdict = "partly holds"
    else:
        verdict = "inconclusive"
    out = claim_row(rows[0], fig(s[0], "paths"), verdict,
                    "over the assigned scenarios' BCE: holds if every one converges (at n^-1/2 or slower: heavy "
                    "but finite-mean tails such as t(3) with a quadratic logit, or t(1.05), still have a limit), "
                    "refuted if none has a limit (E|log D| infinite: Cauchy data with a linear logit), partly holds "
                    "if some do and some do not, inconclusive if any verdict is",
                    "; ".join(f"{r.scenario}: {describe_rate(r)}" for r in rows))
    out["scenario"] = ",".join(s)
    return out


def clt_coverage(ev: Evidence, s: list[str]) -> dict:
    # Every scenario of the run with a finite-variance limit, at every n (mcloss.evidence.coverage); ``s`` names the
    # scenarios the claim was assigned, all of which are among them.
    independent = coverage.independent_scenarios(ev.iid, ev.sweep_bases)
    cells, excluded = coverage.coverage_cells(ev.summary, ev.variances, independent)
    result = coverage.judge(cells, excluded)
    out = {"scenario": ",".join(s), "quantity": "coverage (all judged cells)", "exact": coverage.NOMINAL,
           "estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan, "verdict": result["verdict"],
           "evidence": "results/tables/coverage.csv", "rule": result["rule"], "detail": result["detail"]}
    if not cells.empty:
        # The headline number: the lowest coverage of any judged cell, with its Wilson interval.
        low = cells.loc[cells.coverage.idxmin()]
        out.update(quantity=f"lowest coverage ({low.scenario}/{low.quantity}, n = {int(low.n):,})",
                   estimate=float(low.coverage), ci_low=float(low.wilson_low), ci_high=float(low.wilson_high))
    return out


#: The source texts' claims, in the order of the claims table.
SOURCE_CLAIMS = (
    Claim("gan-limit-pz", SOURCE_GAN_A,
          "The balanced-batch BCE converges to -1/2(E_{p_data}[log D] + E_{p_z}[log(1-D(G(z)))]): the expectation "
          "is over p_z itself; the asker's alternative distribution is not needed.", gan_limit_pz,
          "simulation", ("gan_discriminator",)),
    Claim("gan-real-fraction", SOURCE_GAN_C,
          "With a real fraction pi the limit is the pi-weighted one; drawing labels at random gives the same "
          "limit with a larger variance (the label term).", gan_real_fraction,
          "simulation", ("gan_discriminator",), ((1, "composition", "random"),), 2),
    Claim("gan-misplaced-scaling", SOURCE_GAN_A,
          "The estimator as typeset, (1/2m) sum log D(x_i) + sum log(1-D(G(z_i))), equals the scaled expectation "
          "by the law of large numbers.", gan_misplaced_scaling,
          "both", ("gan_discriminator",), ((0, "as_typeset", True),)),
    Claim("gan-optimal-jsd", SOURCE_GAN_A,
          "At the optimal discriminator the value is V(D*) = -log 4 + 2 JSD(p_data||p_g), and -log 4 when "
          "p_g = p_data (Goodfellow et al. 2014).", gan_optimal_jsd,
          "both", ("gan_discriminator",), ((None, "discriminator", "optimal"),)),
    Claim("ce2-equals-bce", SOURCE_CE_A2,
          "The cross-entropy with 2 classes is the binary cross-entropy.", ce2_equals_bce,
          "algebraic (code check)", ("binary_cross_entropy",)),
    Claim("nll-is-cross-entropy", SOURCE_CE_A1,
          "A negative log-likelihood is the cross-entropy between the empirical distribution and the model.",
          nll_is_cross_entropy,
          "algebraic (code check)", ("cross_entropy",)),
    Claim("bce-bernoulli-mle", SOURCE_CE_A1,
          "BCE is the Bernoulli (binomial) negative log-likelihood, minimised by the sample mean.",
          bce_bernoulli_mle,
          "both", ("binary_cross_entropy",)),
    Claim("mse-gaussian-nll", SOURCE_CE_C1,
          "MSE is, up to scale and offset, the Gaussian negative log-likelihood with fixed variance.",
          mse_gaussian_nll,
          "both", ("gaussian_nll",)),
    Claim("label-smoothing", SOURCE_CE_A2,
          "With soft labels (label smoothing) the target is no longer one-hot; the loss converges to "
          "(1-eps) H(p,q) + eps mean_k(-log q_k).", label_smoothing,
          "simulation", ("cross_entropy",)),
    Claim("dependent-data", SOURCE_CE_C1,
          "If your training data is dependent your trained binomial model won't converge.", dependent_data,
          "simulation", ("binary_cross_entropy",)),
    Claim("iid-check", SOURCE_CE_C1,
          "An i.i.d. sampling hypothesis can be checked with Pearson's chi-squared test.", iid_check,
          "simulation", ()),
    Claim("cauchy-no-lln", SOURCE_GAN_A,
          "'By the law of large numbers' the batch BCE has a limit. Checked where it fails (Cauchy data: "
          "E|log D(x)| is infinite, the pipeline must report no limit rather than print one) and where it holds "
          "only just (t(3) data, quadratic logit: finite mean, infinite variance, slower convergence).",
          cauchy_no_lln,
          "simulation", ("gan_discriminator",)),
    Claim("clt-coverage", SOURCE_GAN_A,
          "The usual 95% CLT interval estimate +- 1.96 s_n/sqrt(n) covers the limit 95% of the time.",
          clt_coverage,
          "simulation", ()),
)
