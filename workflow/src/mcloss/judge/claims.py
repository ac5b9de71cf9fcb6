"""Verdicts on the source texts' claims, from the pipeline's own measurements.

Every verdict follows from stated rules applied to the summary tables; nothing
is typed in by hand. A claim's verdict (holds / refuted / partly holds /
inconclusive / not run) is read from the per-quantity verdicts of mcloss.judge.verdicts
(`converges at n^-1/2`, `converges, slower than n^-1/2`, `no limit`, `random
limit`, `degenerate`, `inconclusive`), by these mappings:

- "X converges" (gan-limit-pz, label-smoothing, and the convergence part of the
  identity claims): holds if every quantity involved converges (at n^-1/2, slower,
  or degenerate at its exact value); refuted if one has no limit or a random limit;
  inconclusive otherwise (a rule could not confirm what the mathematics says).
- identity(s, a == b): the largest per-batch |a - b| over all replicates and n is
  within the identity's tolerance. Identities are algebra checked in code
  (evidence_kind `algebraic (code check)`); claims that also need a limit are `both`.
- n Var ratio: n_max * EmpSE^2 at the largest n against the exact asymptotic
  variance; agrees when within 4 MCSE (MCSE by the delta method from EmpSE's). Only
  for quantities that converge at n^-1/2 (a variance exists).
- Each claim's own rule (in its `rule` column) states how these combine, including
  what would flip it.
A claim whose scenarios are missing from the configuration gets `not run`; one
whose control checks fail (so the evidence cannot decide) gets `inconclusive`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mcloss.evidence import coverage, iid

from . import verdicts as v

CLAIM_COLUMNS = ["claim_id", "source", "statement", "scenario", "quantity", "exact", "estimate", "ci_low",
                 "ci_high", "verdict", "evidence", "rule", "detail", "evidence_kind", "quantity_verdict"]
Z_LIMIT = 4.0
VERDICTS = ("holds", "refuted", "partly holds", "inconclusive", "not run")
EVIDENCE_KINDS = ("simulation", "algebraic (code check)", "both")

SOURCE_GAN_Q = "GAN discriminator loss derivation (question)"
SOURCE_GAN_A = "GAN discriminator loss derivation (answer)"
SOURCE_GAN_C = "GAN discriminator loss derivation (comments)"
SOURCE_CE_A1 = "Cross-entropy vs binary cross-entropy (answer 1)"
SOURCE_CE_C1 = "Cross-entropy vs binary cross-entropy (comments on answer 1)"
SOURCE_CE_A2 = "Cross-entropy vs binary cross-entropy (answer 2)"


@dataclass
class Evidence:
    """The pipeline's tables, indexed for the rules."""

    summary: pd.DataFrame
    convergence: pd.DataFrame
    identities: pd.DataFrame
    exact_checks: pd.DataFrame
    iid: pd.DataFrame
    variances: Mapping[str, Mapping[str, float]]
    scenarios: Mapping[str, Mapping] = field(default_factory=dict)
    #: Sweep point -> base scenario, for points drawing i.i.d. (their i.i.d. check is the base's).
    sweep_bases: Mapping[str, str] = field(default_factory=dict)

    def row(self, scenario: str, quantity: str) -> pd.Series:
        found = self.convergence[(self.convergence.scenario == scenario) & (self.convergence.quantity == quantity)]
        if found.empty:
            raise KeyError(f"{scenario}/{quantity}")
        return found.iloc[0]

    def identity(self, scenario: str, left: str, right: str) -> pd.Series:
        found = self.identities[(self.identities.scenario == scenario)
                                & (self.identities.identity == f"{left} == {right}")]
        if found.empty:
            raise KeyError(f"{scenario}/{left} == {right}")
        return found.iloc[0]


# --- the rules -------------------------------------------------------------------
def converges(row: pd.Series) -> bool:
    """The quantity reaches a deterministic limit (its per-quantity verdict, mcloss.judge.verdicts)."""
    return getattr(row, "verdict", None) in v.CONVERGING


def no_limit(row: pd.Series) -> bool:
    return getattr(row, "verdict", None) == v.NO_LIMIT


def identity_holds(row: pd.Series) -> bool:
    return bool(row.holds)


def status(*rows: pd.Series) -> str:
    """holds / refuted / inconclusive for "these quantities converge" (verdicts.claim_status)."""
    return v.claim_status([getattr(r, "verdict", v.INCONCLUSIVE) for r in rows])


def n_var(evidence: Evidence, scenario: str, quantity: str) -> tuple[float, float]:
    """n Var of the estimate at the largest n, and its MCSE (delta method from EmpSE's MCSE)."""
    last = evidence.summary[(evidence.summary.scenario == scenario) & (evidence.summary.quantity == quantity)]
    last = last.sort_values("n").iloc[-1]
    value = last.n * last.emp_se**2
    return float(value), float(2.0 * last.n * last.emp_se * last.emp_se_mcse)


def _describe_rate(row) -> str:
    """The quantity's verdict and the numbers behind it (no z or CI where no variance exists)."""
    verdict = getattr(row, "verdict", None)
    if isinstance(verdict, str) and verdict:
        return f"{verdict} ({row.reason})"
    return (f"estimate {row.estimate:.6g} +- {row.estimate_mcse:.2g} (MCSE) vs exact {row.exact:.6g} at "
            f"n = {int(row.n_max):,}; slope {row.slope:.3f} [{row.slope_ci_low:.3f}, {row.slope_ci_high:.3f}]")


def _base(row, evidence_figure: str, verdict: str, rule: str, detail: str) -> dict:
    quantity_verdict = getattr(row, "verdict", "")
    limitless = quantity_verdict in (v.NO_LIMIT, v.RANDOM_LIMIT)
    return {"scenario": row.scenario, "quantity": row.quantity, "exact": row.exact,
            "estimate": np.nan if limitless else row.estimate, "ci_low": row.ci_low, "ci_high": row.ci_high,
            "verdict": verdict, "evidence": evidence_figure, "rule": rule, "detail": detail,
            "quantity_verdict": quantity_verdict if isinstance(quantity_verdict, str) else ""}


def fig(scenario: str, name: str) -> str:
    return f"results/figures/{scenario}/{name}.png"


# --- the claims ------------------------------------------------------------------
def gan_limit_pz(ev: Evidence, s: list[str]) -> dict:
    bce, fake = ev.row(s[0], "bce"), ev.row(s[0], "e_fake")
    return _base(bce, fig(s[0], "convergence"), status(bce, fake),
                 "holds if bce and e_fake both converge (e_fake's exact value an expectation over p_z); refuted if "
                 "either has no limit or a random limit; else inconclusive",
                 f"bce: {_describe_rate(bce)}; e_fake: {_describe_rate(fake)}")


def gan_real_fraction(ev: Evidence, s: list[str]) -> dict:
    fixed, random = ev.row(s[0], "bce"), ev.row(s[1], "bce")
    same_limit = abs(fixed.exact - random.exact) <= 1e-12
    detail = f"fixed: {_describe_rate(fixed)}; random: {_describe_rate(random)}"
    rule = ("holds: both compositions converge at n^-1/2 to the same pi-weighted limit and the n Var ratio "
            "random/fixed agrees with theory (within 4 MCSE) and exceeds 1 by more than 4 MCSE; partly holds: "
            "it agrees but is not resolved from 1; refuted: a limit is missing or the ratio is below 1 by more "
            "than 4 MCSE; inconclusive otherwise")
    both_clt = fixed.verdict == v.CONVERGES and random.verdict == v.CONVERGES
    if not (same_limit and both_clt):
        verdict = "refuted" if status(fixed, random) == "refuted" or not same_limit else "inconclusive"
        return _base(random, fig(s[1], "convergence"), verdict, rule,
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
    return _base(random, fig(s[1], "convergence"), verdict, rule,
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
    return _base(typeset, fig(s[0], "paths"), verdict,
                 "refuted if |mean estimate| grows like n (slope of log|mean| on log n within 0.1 of 1) while the "
                 "correctly scaled BCE converges; holds if it settles (slope within 0.1 of 0) on the scaled limit "
                 "-BCE (within 4 MCSE), which happens when E_g[log(1-D)] is negligible over the grid, e.g. a "
                 "discriminator with D ~ 0 on the fakes",
                 f"slope of log|mean as_typeset| on log n: {growth:.3f}; mean at n = {int(typeset.n_max):,}: "
                 f"{last:.6g} vs scaled limit {scaled:.6g}; as_typeset: {typeset.verdict}; correctly scaled: "
                 f"{_describe_rate(bce)}")


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
              f"{float(check.abs_diff.iloc[0]) if not check.empty else float('nan'):.2g}; {_describe_rate(value)}")
    if equal is not None:
        named = (" - the degenerate case: D* = 1/2 on every sample, so every replicate is -log 4 to rounding"
                 if equal.verdict == v.DEGENERATE else "")
        detail += (f"; p_g = p_data: exact {equal.exact:.15g} vs -log 4 = {-math.log(4.0):.15g}, "
                   f"{equal.verdict}{named} ({equal.reason})")
    return _base(value, fig(s[0], "convergence"), verdict,
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
        detail += "; " + "; ".join(f"{r.quantity}: {_describe_rate(r)}" for r in rows)
    else:
        detail += f"; {left} (for information, not part of the rule): {_describe_rate(shown)}"
    return _base(shown, fig(s[0], "identities"), verdict, rule, detail)


#: How the verdicts of several scenarios assigned to one claim combine: the worst one, in this order.
WORST_FIRST = ("refuted", "inconclusive", "partly holds", "holds")


def each_scenario(ev: Evidence, s: list[str], judge_one: Callable[[Evidence, str], dict]) -> dict:
    """A claim judged on every assigned scenario in turn; its verdict is the worst of theirs (WORST_FIRST).

    The row's numbers are the first scenario's; the detail lists each scenario's verdict and evidence.
    """
    parts = [judge_one(ev, name) for name in s]
    if len(parts) == 1:
        return parts[0]
    verdict = min((part["verdict"] for part in parts), key=WORST_FIRST.index)
    rules = list(dict.fromkeys(part["rule"] for part in parts))
    return {**parts[0], "scenario": ",".join(s), "verdict": verdict,
            "rule": " | ".join(rules) + " (over several scenarios: the worst of their verdicts, in the order "
                    + " < ".join(WORST_FIRST) + ")",
            "detail": " || ".join(f"{name}: {part['verdict']}: {part['detail']}" for name, part in zip(s, parts))}


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
        return _base(bce, fig(name, "convergence"), verdict,
                     "input-dependent model: identity(batch BCE == mean -log Bernoulli(y; q(x)) by "
                     "scipy.stats.bernoulli.logpmf) on every batch, and bce and calibration (mean y - q(x)) "
                     "converge",
                     f"Bernoulli identity max |diff| {ident.max_abs_deviation:.3g}; bce: {_describe_rate(bce)}; "
                     f"calibration: {_describe_rate(calibration)}")
    ident = ev.identity(name, "bce", "bce_binomial")
    mle, min_bce = ev.row(name, "mle_p"), ev.row(name, "min_bce")
    verdict = status(mle, min_bce) if identity_holds(ident) else "refuted"
    return _base(mle, fig(name, "convergence"), verdict,
                 "identity(sum BCE == -log Binomial(k; n, q) + log C(n, k)), and mle_p -> p and min_bce -> H(p) "
                 "converge (min_bce judged against H(p) plus its declared bias -1/(2n): a plug-in estimator)",
                 f"binomial identity max |diff| {ident.max_abs_deviation:.3g}; mle_p: {_describe_rate(mle)}; "
                 f"min_bce: {_describe_rate(min_bce)}")


def bce_bernoulli_mle(ev, s):
    return each_scenario(ev, s, _bce_bernoulli_mle_one)


def _label_smoothing_one(ev, name):
    ce = ev.row(name, "ce")
    eps = ev.scenarios.get(name, {}).get("label_smoothing", float("nan"))
    return _base(ce, fig(name, "convergence"), status(ce),
                 "holds if ce converges to (1 - eps) H(p, q) + eps mean_k(-log q_k) (averaged over x for an "
                 "input-dependent model); refuted if it has no limit",
                 f"eps = {eps}; {_describe_rate(ce)}")


def label_smoothing(ev, s):
    return each_scenario(ev, s, _label_smoothing_one)


def dependent_data(ev: Evidence, s: list[str]) -> dict:
    ergodic = ev.row(s[0], "mle_p")
    frozen = ev.row(s[1], "mle_p") if len(s) > 1 else None
    theory = ev.variances[s[0]].get("mle_p", float("nan"))
    iid_var = ergodic.exact * (1 - ergodic.exact) if math.isfinite(ergodic.exact) else float("nan")
    ergodic_ok = ergodic.verdict == v.CONVERGES
    frozen_fails = frozen is not None and frozen.verdict in (v.RANDOM_LIMIT, v.NO_LIMIT)
    detail = f"ergodic chain: {_describe_rate(ergodic)}"
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
        detail += f"; non-ergodic chain: {_describe_rate(frozen)}"
    return _base(ergodic, fig(s[0], "convergence"), verdict,
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
    out = _base(rows[0], fig(s[0], "paths"), verdict,
                "over the assigned scenarios' BCE: holds if every one converges (at n^-1/2 or slower: heavy but "
                 "finite-mean tails such as t(3) with a quadratic logit, or t(1.05), still have a limit), refuted if "
                 "none has a limit (E|log D| infinite: Cauchy data with a linear logit), partly holds if some do "
                "and some do not, inconclusive if any verdict is",
                "; ".join(f"{r.scenario}: {_describe_rate(r)}" for r in rows))
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


@dataclass(frozen=True)
class Claim:
    claim_id: str
    source: str
    statement: str
    judge: Callable[[Evidence, list[str]], dict]
    evidence_kind: str = "simulation"
    #: Estimand each assigned scenario must have, by position (the last repeats); () = any.
    estimands: tuple[str, ...] = ()
    #: Scenario keys the rule reads: (position or None for all, key, required value).
    needs: tuple[tuple[int | None, str, object], ...] = ()
    min_count: int = 1

    def problem(self, names: list[str], specs: Mapping[str, Mapping]) -> tuple[int, str, str] | None:
        """(position, what is wrong, what is allowed) for an assignment of present scenarios, or None."""
        if len(names) < self.min_count:
            return (len(names), f"needs {self.min_count} scenarios, got {len(names)}",
                    f"{self.min_count} scenario names")
        for i, name in enumerate(names):
            spec = specs.get(name)
            if spec is None:
                continue
            if self.estimands:
                wanted = self.estimands[min(i, len(self.estimands) - 1)]
                if spec.get("estimand") != wanted:
                    return i, f"scenario {name!r} has estimand {spec.get('estimand')!r}", f"a {wanted} scenario"
            for position, key, value in self.needs:
                if position in (None, i) and spec.get(key) != value:
                    return i, f"scenario {name!r} has {key}: {spec.get(key)!r}", f"a scenario with {key}: {value}"
        return None


CLAIMS = (
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


def judge(evidence: Evidence, assignment: Mapping[str, list[str]]) -> pd.DataFrame:
    """One row per claim: its verdict under the rules, from the scenarios assigned to it."""
    rows = []
    available = set(evidence.convergence.scenario) | set(evidence.iid.scenario)
    for claim in CLAIMS:
        scenarios = list(assignment.get(claim.claim_id, []))
        head = {"claim_id": claim.claim_id, "source": claim.source, "statement": claim.statement,
                "evidence_kind": claim.evidence_kind}
        missing = [s for s in scenarios if s not in available]
        if not scenarios or missing:
            rows.append({**head, "scenario": ",".join(scenarios), "verdict": "not run",
                         "detail": f"scenarios not in this run: {', '.join(missing) or '(none assigned)'}"})
            continue
        try:
            rows.append({**head, **claim.judge(evidence, scenarios)})
        except (KeyError, IndexError, ValueError, TypeError) as err:
            # An assigned scenario that does not report what the rule reads (wrong estimand, empty table).
            rows.append({**head, "scenario": ",".join(scenarios), "verdict": "not run",
                         "detail": f"the assigned scenarios lack what the rule reads: {type(err).__name__}: {err}"})
    return pd.DataFrame(rows).reindex(columns=CLAIM_COLUMNS)


def markdown(table: pd.DataFrame, seed: int, replicates: int) -> str:
    """The claims table for people: verdicts first, then the rules and the numbers behind each."""
    lines = [
        "# Claims of the source texts, checked",
        "",
        f"Seed {seed}, {replicates} replicates per scenario (sweep points may set fewer). Regenerate with "
        "`snakemake --cores N` "
        "(this file is `results/claims.md`; the tidy version is `results/claims.csv`).",
        "",
        "| claim | verdict | evidence kind | scenario | quantity verdict | estimate (95% CI) | exact | evidence |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in table.itertuples():
        qv = _text(row.quantity_verdict)
        if np.isfinite(row.estimate) and np.isfinite(row.ci_low):
            estimate = f"{row.estimate:.6g} ({row.ci_low:.6g}, {row.ci_high:.6g})"
        elif np.isfinite(row.estimate):
            estimate = f"{row.estimate:.6g} (no CI: {'zero variance' if qv == v.DEGENERATE else 'no variance'})"
        else:
            estimate = ""
        if np.isfinite(row.exact):
            exact = f"{row.exact:.6g}"
        else:
            exact = {v.RANDOM_LIMIT: "random", v.NO_LIMIT: "none"}.get(qv, "unknown" if _text(row.quantity) else "")
        lines.append(f"| `{row.claim_id}` | **{row.verdict}** | {_text(row.evidence_kind)} | {row.scenario} "
                     f"{_text(row.quantity)} | {qv} | {estimate} | {exact} | {_text(row.evidence)} |")
    lines += ["", "## Claims, rules and numbers", ""]
    for row in table.itertuples():
        lines += [f"### `{row.claim_id}`: {row.verdict}", "", f"*{row.source}*: {row.statement}", "",
                  f"- rule: {row.rule if isinstance(row.rule, str) else 'n/a'}", f"- measured: {row.detail}", ""]
    lines += ["## How verdicts are reached", "", __doc__.split("\n\n", 1)[1].strip(), "",
              "### Per-quantity verdicts (mcloss.judge.verdicts)", "", v.__doc__.split("\n\n", 1)[1].strip(), ""]
    return "\n".join(lines)


def _text(value) -> str:
    return value if isinstance(value, str) else ""


# Claims beyond the source texts (sampling plans: mcloss.judge.plan_claims) are judged by the same machinery and
# listed after the sources' own; imported last because that module builds on the definitions above.
from .plan_claims import PLAN_CLAIMS  # noqa: E402

CLAIMS = CLAIMS + PLAN_CLAIMS
