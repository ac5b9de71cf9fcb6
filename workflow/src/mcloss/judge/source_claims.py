"""The claims of the two source texts: one rule function per claim and its `Claim` entry.

Owns the source labels (`SOURCE_*`), the rules that judge each claim of the GAN
derivation and of the cross-entropy answers from the evidence, and their catalogue
entries (`SOURCE_CLAIMS`, in the order claims.md lists them). A new claim of the sources
goes here. May import: mcloss.judge.claim_rules, mcloss.judge.verdicts and the stages
below judge (mcloss.evidence for the i.i.d. and coverage claims); never mcloss.judge.claims
or mcloss.judge.plan_claims.

Every rule reads the per-quantity verdicts through the predicates of claim_rules (the
claims-side mapping `limits`, premises first) and returns the row fields of `claim_row`
for the scenario that decided it; its `rule` text, printed beside the verdict in
claims.md, states what would flip it to each of holds / refuted / premise not met /
inconclusive, and an inconclusive row says what would settle it.
"""

from __future__ import annotations

import math

import numpy as np

from mcloss.evidence import coverage, iid

from . import verdicts as v
from .claim_rules import (
    CONTROL_LEVEL,
    HOLDS,
    INCONCLUSIVE,
    LEVEL,
    PREMISE,
    REFUTED,
    Z_LIMIT,
    Claim,
    Evidence,
    claim_row,
    combine,
    converges,
    describe_rate,
    describe_ratio,
    each_scenario,
    fig,
    has_variance,
    identity_claim,
    identity_holds,
    limit_row,
    limits,
    n_var,
    premise,
    ratio_row,
    ratio_verdict,
    settle_quantity,
    variance_interval,
    variance_ratio,
)
from .fit_claims import dependent_fit_one

SOURCE_GAN_Q = "GAN discriminator loss derivation (question)"
SOURCE_GAN_A = "GAN discriminator loss derivation (answer)"
SOURCE_GAN_C = "GAN discriminator loss derivation (comments)"
SOURCE_CE_A1 = "Cross-entropy vs binary cross-entropy (answer 1)"
SOURCE_CE_C1 = "Cross-entropy vs binary cross-entropy (comments on answer 1)"
SOURCE_CE_A2 = "Cross-entropy vs binary cross-entropy (answer 2)"


def _gan_limit_pz_one(ev, name):
    bce, fake = ev.row(name, "bce"), ev.row(name, "e_fake")
    return limit_row(ev, [bce, fake], fig(name, "convergence"),
                     "holds if bce and e_fake both converge to their exact limits (e_fake's an expectation over "
                     "p_z); refuted if either converges elsewhere, has no limit or a random one; premise not met "
                     "without a finite mean or with dependent streams; else inconclusive",
                     f"bce: {describe_rate(bce)}; e_fake: {describe_rate(fake)}")


def gan_limit_pz(ev: Evidence, s: list[str]) -> dict:
    return each_scenario(ev, s, _gan_limit_pz_one)


def gan_real_fraction(ev: Evidence, s: list[str]) -> dict:
    fixed, random = ev.row(s[0], "bce"), ev.row(s[1], "bce")
    rule = (f"premise not met unless both have a finite mean and variance, i.i.d. streams and the same exact limit "
            f"(else the pair differs in more than its composition); refuted: a limit elsewhere or missing, or the "
            f"{100 * LEVEL:g}% F interval of the n Var ratio random/fixed excludes theory's (label term); "
            "inconclusive: it contains theory and 1 (too few replicates to show the larger variance); holds: it "
            "contains theory and lies above 1")
    detail = f"fixed: {describe_rate(fixed)}; random: {describe_rate(random)}"
    verdict, note, shown = limits(ev, [fixed, random])
    same_limit = abs(float(fixed.exact) - float(random.exact)) <= 1e-12
    variance = has_variance(fixed) and has_variance(random)
    theory = ev.variances.get(s[1], {}).get("bce", math.nan) / ev.variances.get(s[0], {}).get("bce", math.nan)
    def both(word):
        return (f"{s[0]} (fixed, {fixed.verdict}): {word}; {s[1]} (random, {random.verdict}): {word}")

    why = (note if verdict == PREMISE else None if verdict != HOLDS
           else f"the exact limits differ ({fixed.exact:.6g} vs {random.exact:.6g})" if not same_limit
           else "no finite, non-zero variance of both (a variance ratio needs one)" if not variance
           else "the label term is zero (theory's ratio is 1)" if abs(theory - 1.0) <= 1e-12 else None)
    if why:
        return {**claim_row(shown, fig(s[1], "convergence"), PREMISE, rule, f"premise not met: {why}; {detail}"),
                "scenarios": both(PREMISE)}
    if verdict != HOLDS:
        return {**claim_row(shown, fig(s[1], "convergence"), verdict, rule, detail, note), "scenarios": both(verdict)}
    measured = variance_ratio(ev, s[1], s[0], "bce")
    verdict, settle = ratio_verdict(theory, measured, always_resolve=True)
    if not math.isfinite(theory):
        verdict, settle = INCONCLUSIVE, "an exact asymptotic variance of both compositions, not more data"
    return {**ratio_row(s[1], "n Var ratio random/fixed (bce)", theory, measured["ratio"], measured["interval"],
                        random.verdict, fig(s[1], "convergence"), verdict, rule,
                        f"{detail}; {describe_ratio(measured, theory)} (theory: the label term)", settle),
            "scenarios": both(verdict)}


def _gan_misplaced_scaling_one(ev, name):
    typeset, bce = ev.row(name, "as_typeset"), ev.row(name, "bce")
    rows = ev.summary[(ev.summary.scenario == name) & (ev.summary.quantity == "as_typeset")].sort_values("n")
    rows = rows[rows.n >= typeset.fit_min_n]
    growth = float(np.polyfit(np.log(rows.n), np.log(np.abs(rows.mean_estimate)), 1)[0])
    last = float(rows.mean_estimate.iloc[-1])
    mcse = float(rows.emp_se.iloc[-1]) / math.sqrt(float(rows.replicates.iloc[-1]))
    scaled = -float(bce.exact)     # the scaled expectation (1/2) E log D + (1/2) E log(1 - D) at pi = 1/2
    near = abs(last - scaled) <= Z_LIMIT * mcse + 1e-9 * (1.0 + abs(scaled))
    why, settle = premise(ev, bce), ""
    if why:
        verdict = PREMISE
    elif converges(bce) and abs(growth - 1.0) <= 0.1:
        verdict = REFUTED          # grows like m
    elif converges(bce) and abs(growth) <= 0.1:
        verdict = HOLDS if near else REFUTED   # settles: on the scaled limit, or elsewhere
    else:
        verdict = INCONCLUSIVE     # the control (the correctly scaled BCE) failed, or neither pattern
        settle = (settle_quantity(bce) if not converges(bce) else
                  f"a longer grid (n_max now {int(typeset.n_max):,}) to tell growth like n from settling")
    return claim_row(typeset, fig(name, "paths"), verdict,
                     "refuted if |mean estimate| grows like n (slope of log|mean| on log n within 0.1 of 1), or "
                     "settles (slope within 0.1 of 0) more than 4 MCSE from the scaled limit -BCE, while the "
                     "correctly scaled BCE converges; holds if it settles on -BCE (as when E_g[log(1-D)] is "
                     "negligible over the grid, e.g. D ~ 0 on the fakes); premise not met when the scaled BCE has "
                     "no finite mean; else inconclusive",
                     (f"premise not met: {why}; " if why else "")
                     + f"slope of log|mean as_typeset| on log n: {growth:.3f}; mean at n = {int(typeset.n_max):,}: "
                     f"{last:.6g} (+- {mcse:.2g}) vs scaled limit {scaled:.6g}; as_typeset: {typeset.verdict}; "
                     f"correctly scaled: {describe_rate(bce)}", settle)


def gan_misplaced_scaling(ev: Evidence, s: list[str]) -> dict:
    return each_scenario(ev, s, _gan_misplaced_scaling_one)


OPTIMAL_RULE = ("holds: the exact check holds (V(D*) by quadrature vs -log 4 + 2 JSD, both finite), V converges, "
                "and with p_g = p_data V converges to -log 4 (degenerate there: zero variance); refuted: the check "
                "fails or a limit is elsewhere or missing; premise not met: the second scenario's p_g is not "
                "p_data, or no finite mean; inconclusive: the check is missing or not finite, or a verdict is "
                "inconclusive")


def _optimal_part(ev, name):
    value = ev.row(name, "value")
    check = ev.exact_checks[(ev.exact_checks.scenario == name) & (ev.exact_checks.check == "value_at_optimal_D")]
    finite = (not check.empty) and all(np.isfinite(float(check[c].iloc[0])) for c in ("value", "reference"))
    detail = (f"V(D*) by quadrature vs -log 4 + 2 JSD: |diff| = "
              f"{float(check.abs_diff.iloc[0]) if not check.empty else math.nan:.2g}; {describe_rate(value)}")
    if finite and not bool(check.holds.iloc[0]):
        return claim_row(value, fig(name, "convergence"), REFUTED, OPTIMAL_RULE, detail)
    if not finite:
        return claim_row(value, fig(name, "convergence"), INCONCLUSIVE, OPTIMAL_RULE, detail,
                         f"{name}: a finite quadrature of V(D*) and of -log 4 + 2 JSD (exact check)")
    return limit_row(ev, [value], fig(name, "convergence"), OPTIMAL_RULE, detail)


def _equal_part(ev, name):
    equal = ev.row(name, "value")
    spec = ev.scenarios.get(name) or {}
    same_laws = spec.get("data") == spec.get("generator") if spec else abs(equal.exact + math.log(4.0)) <= 1e-12
    named = (" - the degenerate case: D* = 1/2 on every sample, so every replicate is -log 4 to rounding"
             if equal.verdict == v.DEGENERATE else "")
    detail = (f"p_g = p_data: exact {equal.exact:.15g} vs -log 4 = {-math.log(4.0):.15g}, {equal.verdict}{named} "
              f"({equal.reason})")
    if not same_laws:
        return claim_row(equal, fig(name, "convergence"), PREMISE, OPTIMAL_RULE,
                         f"premise not met: p_g differs from p_data in {name}; {detail}")
    if abs(equal.exact + math.log(4.0)) > 1e-12:
        return claim_row(equal, fig(name, "convergence"), REFUTED, OPTIMAL_RULE, detail)
    return limit_row(ev, [equal], fig(name, "convergence"), OPTIMAL_RULE, detail)


def gan_optimal_jsd(ev: Evidence, s: list[str]) -> dict:
    return combine([_optimal_part(ev, s[0])] + [_equal_part(ev, name) for name in s[1:]], OPTIMAL_RULE)


def _input_dependent(ev: Evidence, scenario: str) -> bool:
    return "inputs" in (ev.scenarios.get(scenario) or {})


def ce2_equals_bce(ev, s):
    return each_scenario(ev, s, lambda ev, name: identity_claim(
        ev, name, "bce", "ce2", (), "identity(bce == ce2) on every batch (refuted if any batch differs by more "
        "than the tolerance); an algebraic identity, checked in code"))


def _nll_is_cross_entropy_one(ev, name):
    if not _input_dependent(ev, name):
        return identity_claim(ev, name, "ce", "ce_from_counts", (),
                               "identity(mean NLL == H(empirical, q)) on every batch (refuted if any batch differs "
                               "by more than the tolerance); an algebraic identity, checked in code")
    # With q depending on x the empirical law is that of the pairs (x, y): the mean NLL is its
    # cross-entropy with q(.|x), computed twice (this package's and scipy's log-softmax) and converging.
    smoothing = ev.identity(name, "ce", "ce_smoothing_split")
    part = identity_claim(ev, name, "h_pq", "nll_scipy", ("h_pq",),
                           "input-dependent model: identity(mean NLL == cross-entropy of the empirical (x, y) law "
                           "and q(.|x), by two log-softmax routes) and identity(smoothed ce == (1 - eps) NLL + "
                           "eps mean_k(-log q_k)) on every batch (refuted if either breaks), and the NLL converges "
                           "to E_x H(p(.|x), q(.|x)) (refuted elsewhere or without a limit)")
    if not identity_holds(smoothing):
        part.update(verdict=REFUTED, settle="")
    part["detail"] += (f"; max per-batch |ce - ce_smoothing_split| = {smoothing.max_abs_deviation:.3g} "
                       f"(tolerance {smoothing.tolerance:g})")
    return part


def nll_is_cross_entropy(ev, s):
    return each_scenario(ev, s, _nll_is_cross_entropy_one)


def _mse_gaussian_nll_one(ev, name):
    constant_sigma = ev.identities[(ev.identities.scenario == name)
                                   & (ev.identities.identity == "nll == nll_from_mse")]
    if not constant_sigma.empty:
        return identity_claim(ev, name, "nll", "nll_from_mse", ("mse", "nll"),
                               "identity(nll == mse / (2 sigma^2) + log(2 pi sigma^2) / 2) on every batch (refuted "
                               "if broken), and both converge (at n^-1/2 or slower: heavy-tailed targets converge "
                               "slower; refuted elsewhere or without a limit; premise not met without a finite mean)")
    # A heteroscedastic model: the claim's premise (a fixed variance) fails, and the data must show that
    # the affine map then fails too: the gap NLL - affine(MSE) converges to its exact, non-zero value.
    part = identity_claim(ev, name, "nll", "nll_from_weighted", ("nll", "nll_affine_gap"),
                           "heteroscedastic model (sigma depends on x, outside the claim's premise): identity(nll "
                           "== weighted MSE / 2 + mean log sigma(x) + log(2 pi) / 2) on every batch, and the gap "
                           "nll - affine(mse) converges to its exact value, which must be non-zero (more than 4 "
                           "MCSE from 0 at the largest n; else inconclusive), showing the fixed variance is needed")
    gap = ev.row(name, "nll_affine_gap")
    exact, mcse = float(gap.exact), float(gap.estimate_mcse)
    if part["verdict"] == HOLDS and not math.isfinite(mcse):
        # A gap that converges slower than n^-1/2 has no MCSE to resolve it from 0 with.
        part.update(verdict=INCONCLUSIVE, settle=f"{name}/nll_affine_gap: a finite variance of the gap (its MCSE "
                    "resolves the gap from 0); no number of replicates gives one")
    elif part["verdict"] == HOLDS and not abs(exact) > Z_LIMIT * mcse:
        if exact == 0.0:
            part.update(verdict=PREMISE, detail="premise not met: the exact gap is 0 (sigma(x) is constant "
                        "in effect); " + part["detail"])
        else:
            needed = math.ceil(float(gap.replicates) * (Z_LIMIT * mcse / abs(exact)) ** 2) + 1
            part.update(verdict=INCONCLUSIVE, settle=f"{name}/nll_affine_gap: R >= {needed} replicates (now "
                        f"{int(gap.replicates)}) resolve the exact gap from 0 at 4 MCSE")
    part["detail"] += f"; exact gap {exact:.6g} vs MCSE {mcse:.2g}"
    return part


def mse_gaussian_nll(ev, s):
    return each_scenario(ev, s, _mse_gaussian_nll_one)


def _bce_bernoulli_mle_one(ev, name):
    if _input_dependent(ev, name):
        # q(x) is no constant: no sample-mean minimiser; the NLL route is scipy's Bernoulli logpmf per sample.
        ident = ev.identity(name, "bce", "bce_bernoulli")
        bce, calibration = ev.row(name, "bce"), ev.row(name, "calibration")
        part = limit_row(ev, [bce, calibration], fig(name, "convergence"),
                         "input-dependent model: identity(batch BCE == mean -log Bernoulli(y; q(x)) by "
                         "scipy.stats.bernoulli.logpmf) on every batch (refuted if broken), and bce and calibration "
                         "(mean y - q(x)) converge to their exact limits (i.i.d. samples presumed)",
                         f"Bernoulli identity max |diff| {ident.max_abs_deviation:.3g}; bce: {describe_rate(bce)}; "
                         f"calibration: {describe_rate(calibration)}")
    else:
        ident = ev.identity(name, "bce", "bce_binomial")
        mle, min_bce = ev.row(name, "mle_p"), ev.row(name, "min_bce")
        part = limit_row(ev, [mle, min_bce], fig(name, "convergence"),
                         "identity(sum BCE == -log Binomial(k; n, q) + log C(n, k)) (refuted if broken), and mle_p "
                         "-> p and min_bce -> H(p) converge (min_bce judged against H(p) plus its declared bias "
                         "-1/(2n): a plug-in estimator; i.i.d. samples presumed: the likelihood is a product)",
                         f"binomial identity max |diff| {ident.max_abs_deviation:.3g}; mle_p: {describe_rate(mle)}; "
                         f"min_bce: {describe_rate(min_bce)}")
    if not identity_holds(ident):
        part.update(verdict=REFUTED, settle="")
    return part


def bce_bernoulli_mle(ev, s):
    return each_scenario(ev, s, _bce_bernoulli_mle_one)


def _label_smoothing_one(ev, name):
    ce = ev.row(name, "ce")
    eps = ev.scenarios.get(name, {}).get("label_smoothing", float("nan"))
    return limit_row(ev, [ce], fig(name, "convergence"),
                     "holds if ce converges to (1 - eps) H(p, q) + eps mean_k(-log q_k) (averaged over x for an "
                     "input-dependent model); refuted if it converges elsewhere or has no limit",
                     f"eps = {eps}; {describe_rate(ce)}")


def label_smoothing(ev, s):
    return each_scenario(ev, s, _label_smoothing_one)


DEPENDENT_RULE = ("per chain: premise not met if its labels are independent (no dependent stream in the i.i.d. "
                  "check, n Var(p_hat) = p(1-p) in theory, no declared random limit); holds if it has no limit or "
                  "a random one; refuted if it converges (at n^-1/2 with n Var(p_hat) inside the "
                  f"{100 * CONTROL_LEVEL:.4g}% chi-squared interval around theory's (1+rho)/(1-rho) p(1-p), the "
                  "control; a failed control is inconclusive): dependence alone does not stop convergence")


def _dependent_data_one(ev, name):
    if name in ev.fits:
        return dependent_fit_one(ev, name)      # a model trained on the dependent batch
    row = ev.row(name, "mle_p")
    theory = ev.variances.get(name, {}).get("mle_p", math.nan)
    p = float(row.exact)
    iid_var = p * (1.0 - p) if math.isfinite(p) else math.nan
    streams = ev.dependent_streams(name)
    inflated = math.isfinite(theory / iid_var) and abs(theory / iid_var - 1.0) > 1e-9
    detail = f"chain {name}: {describe_rate(row)}"
    if not (streams or inflated or getattr(row, "limit_kind", "") == v.RANDOM_LIMIT):
        return claim_row(row, fig(name, "convergence"), PREMISE, DEPENDENT_RULE,
                         f"premise not met: its labels are independent; {detail}")
    if row.verdict in (v.RANDOM_LIMIT, v.NO_LIMIT):
        return claim_row(row, fig(name, "convergence"), HOLDS, DEPENDENT_RULE, detail)
    if row.verdict == v.CONVERGES:
        value, replicates = n_var(ev, name, "mle_p")
        low, high = variance_interval(value, replicates)
        detail += (f"; n Var(p_hat) / p(1-p) = {value / iid_var:.3f} [{low / iid_var:.3f}, {high / iid_var:.3f}] "
                   f"vs theory (1+rho)/(1-rho) = {theory / iid_var:.3f}")
        if not low <= theory <= high:
            return claim_row(row, fig(name, "convergence"), INCONCLUSIVE, DEPENDENT_RULE, detail,
                             f"{name}: a chain whose measured n Var agrees with theory (a broken control, not "
                             "more data)")
    if row.verdict in v.CONVERGING or row.verdict == v.ELSEWHERE:
        return claim_row(row, fig(name, "convergence"), REFUTED, DEPENDENT_RULE, detail)
    return claim_row(row, fig(name, "convergence"), INCONCLUSIVE, DEPENDENT_RULE, detail, settle_quantity(row))


def dependent_data(ev: Evidence, s: list[str]) -> dict:
    return each_scenario(ev, s, _dependent_data_one)


def iid_check(ev: Evidence, s: list[str]) -> dict:
    return {"evidence": "results/tables/iid.csv", **iid.judge_claim(ev.iid, s)}


def _cauchy_one(ev, name):
    bce = ev.row(name, "bce")
    return limit_row(ev, [bce], fig(name, "paths"),
                     "per scenario's BCE: holds if it converges (at n^-1/2 or slower: heavy but finite-mean tails "
                     "such as t(3) with a quadratic logit still have a limit); refuted if it converges elsewhere or "
                     "has no limit although E|log D| is finite; premise not met where E|log D| is infinite and the "
                     "pipeline reports no limit (Cauchy data, linear logit: outside the law of large numbers)",
                     describe_rate(bce))


def cauchy_no_lln(ev: Evidence, s: list[str]) -> dict:
    return each_scenario(ev, s, _cauchy_one)


def clt_coverage(ev: Evidence, s: list[str]) -> dict:
    # Only the assigned scenarios, at their largest n (mcloss.evidence.coverage); smaller n are listed.
    independent = coverage.independent_scenarios(ev.iid, ev.sweep_bases)
    cells, excluded = coverage.coverage_cells(ev.summary[ev.summary.scenario.isin(s)], ev.variances, independent)
    parts = coverage.scenario_outcomes(cells, excluded, s)
    rows = [{"scenario": p["scenario"], "quantity": p["quantity"], "exact": coverage.NOMINAL,
             "estimate": p["coverage"], "ci_low": p["wilson_low"], "ci_high": p["wilson_high"],
             "verdict": p["verdict"], "evidence": "results/tables/coverage.csv", "rule": coverage.RULE,
             "detail": p["detail"], "settle": p["settle"], "quantity_verdict": ""} for p in parts]
    out = combine(rows, coverage.RULE)
    out["detail"] = coverage.describe(cells, excluded, s) + " || " + out["detail"]
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
          "'By the law of large numbers' the batch BCE has a limit. Checked where the law's premise, a finite "
          "mean, holds only just (t(3) data, quadratic logit: finite mean, infinite variance, slower convergence); "
          "where it fails (Cauchy data: E|log D(x)| is infinite) the claim is not tested, and the pipeline must "
          "report no limit there rather than print one.",
          cauchy_no_lln,
          "simulation", ("gan_discriminator",)),
    Claim("clt-coverage", SOURCE_GAN_A,
          "The usual 95% CLT interval estimate +- 1.96 s_n/sqrt(n) covers the limit 95% of the time.",
          clt_coverage,
          "simulation", ()),
)
