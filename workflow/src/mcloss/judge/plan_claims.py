"""Claims beyond the sources: what the sampling plans buy, judged from the pipeline's tables.

Owns the rules of the sampling-plan claims and their `Claim` entries (`PLAN_CLAIMS`); a
new claim beyond the sources goes here. May import: mcloss.judge.claim_rules and the
stages below judge; never mcloss.judge.claims or mcloss.judge.source_claims.

Same shape as the source texts' claims (judge(evidence, scenarios) -> the row fields of
`claim_rules.claim_row`), same Evidence: the exact json's ``variances`` of a plan point hold
that plan's lim n Var (mcloss.laws.plan_exact), so an exact factor is
variances[plan point] / variances[iid point]. Rules (thresholds in claim_rules):

- rqmc-rate (scenarios: a sobol point, optionally its iid point): holds when the upper end
  of the 95% bootstrap CI of the slope of log RMSE on log n is <= -0.9 (RQMC_SLOPE: about
  n^-1, clearly beating n^-1/2) and the estimate at the largest n lies within 4 MCSE of the
  exact limit; refuted when the CI's lower end is above -0.9 or the limit is elsewhere or
  missing; premise not met without a finite variance; inconclusive otherwise (more R or a
  longer grid). The RMSE ratio iid / sobol at the largest common n is reported.
- antithetic-factor, control-variate-factor (scenarios: pairs iid point, plan point): per
  pair the measured ratio n Var_plan / n Var_iid at the largest n (n EmpSE^2 on R_plan and
  R_iid independent replicates) gets an F interval, ratio / F_{1-a/2}(R_plan - 1, R_iid - 1)
  to ratio / F_{a/2}(...), simultaneous at 99% (LEVEL) over the claim's k pairs (each at 1 - 0.01/k,
  Bonferroni). Per pair: refuted when the interval excludes the exact factor (a factor above
  1, a loss, is as much a test of the formula as a gain); inconclusive when it contains it
  but also 1 while the exact factor is <= 1/2 or >= 2 (the run cannot tell the plan's effect
  from none: the settle text gives the R per point with which the interval excludes 1 with
  probability 0.99), or when no exact factor exists; premise not met without a finite
  variance; holds otherwise. The detail prints each interval and its power to exclude 1.
- antithetic-negative-control (scenarios: iid point, antithetic point, on a term even in
  u around 1/2): premise not met when the exact factor is below 1 (no negative control);
  refuted when the interval lies below 1 (the data show a gain); else as a factor claim.

Power: `replicates_needed(k)` is the R per point with which a factor of 1/2 or 2 is told from 1
with probability 0.99 at the simultaneous level for k pairs; config.yaml's plan sweeps run at
least that many (tests/test_sampling.py checks it).
"""

from __future__ import annotations

import math

import numpy as np

from . import verdicts as v
from .claim_rules import (
    HOLDS,
    INCONCLUSIVE,
    LEVEL,
    POWER,
    PREMISE,
    REFUTED,
    RESOLVE,
    Z_LIMIT,
    Claim,
    Evidence,
    claim_row,
    combine,
    converges,
    describe_rate,
    describe_ratio,
    flag,
    needs_resolving,
    power_to_exclude_one,
    premise,
    ratio_row,
    ratio_verdict,
    replicates_for_power,
    variance_ratio,
)

SOURCE_BEYOND = "beyond the sources"
RQMC_SLOPE = -0.9


def _main_quantity(ev: Evidence, scenario: str) -> str:
    """The scenario's first reported quantity (bce, ce, mse, ...), as its convergence table lists them."""
    return str(ev.convergence[ev.convergence.scenario == scenario].quantity.iloc[0])


def _pairs(s: list[str]) -> list[tuple[str, str]]:
    if len(s) < 2 or len(s) % 2:
        raise ValueError(f"needs pairs (iid point, plan point), got {s}")
    return list(zip(s[0::2], s[1::2]))


def pair_level(pairs: int) -> float:
    """Level of each pair's interval so that a claim's k intervals hold together at LEVEL (Bonferroni)."""
    return 1.0 - (1.0 - LEVEL) / max(pairs, 1)


def replicates_needed(pairs: int) -> int:
    """Replicates per point with which a factor at either edge of RESOLVE is told from 1 with probability POWER."""
    return int(max(replicates_for_power(edge, pair_level(pairs), POWER) for edge in RESOLVE))


def _no_variance(ev: Evidence, iid: str, planned: str, q: str) -> str | None:
    """Why a pair has no variance factor (no finite, positive n Var of the iid point), or None."""
    base = ev.variances.get(iid, {}).get(q, math.nan)
    for row in (ev.row(iid, q), ev.row(planned, q)):
        why = premise(ev, row, iid=False)
        verdict = getattr(row, "verdict", "")
        if why or verdict in (v.SLOWER, v.NO_LIMIT, v.RANDOM_LIMIT) or flag(row, "var_finite") is False:
            return why or f"{row.scenario}/{q}: {verdict or 'no verdict'}, no finite variance (a variance factor " \
                          "presumes one)"
    if not (math.isfinite(base) and base > 0.0):
        return f"{iid}/{q}: exact n Var {base:.4g} (a variance factor needs a finite, positive one)"
    return None


def _pair(ev: Evidence, iid: str, planned: str, plan: str, level: float, negative: bool, rule: str) -> dict:
    q = _main_quantity(ev, planned)
    label, figure = f"n Var ratio {plan}/iid ({q})", f"results/figures/plans/{planned.split('__')[0]}.png"
    why = _no_variance(ev, iid, planned, q)
    if why:
        return claim_row(ev.row(planned, q), figure, PREMISE, rule, f"premise not met: {why}")
    exact = ev.variances.get(planned, {}).get(q, math.nan) / ev.variances[iid][q]
    measured = variance_ratio(ev, planned, iid, q, level)
    detail = f"{planned} vs {iid}: {describe_ratio(measured, exact)}"
    if needs_resolving(exact):
        power = power_to_exclude_one(exact, measured["r_top"], measured["r_bottom"], level)
        detail += f"; power to exclude 1 at this R: {power:.3f}"
    if not math.isfinite(exact):
        verdict, settle = INCONCLUSIVE, f"{planned}: an exact factor for this plan (quadrature), not more data"
    elif negative and exact < 1.0:
        verdict, settle = PREMISE, ""
        detail = f"premise not met: the exact factor {exact:.4g} < 1 promises a gain (no negative control); {detail}"
    elif negative and measured["interval"][1] < 1.0:
        verdict, settle = REFUTED, ""
    else:
        verdict, settle = ratio_verdict(exact, measured)
    return ratio_row(planned, label, exact, measured["ratio"], measured["interval"],
                     getattr(ev.row(planned, q), "verdict", ""),
                     figure, verdict, rule, detail, settle)


def _factor_claim(ev: Evidence, s: list[str], plan: str, negative: bool = False) -> dict:
    pairs = _pairs(s)
    level = pair_level(len(pairs))
    simultaneous = (f"{100 * level:.4g}% F intervals ({100 * LEVEL:g}% together over {len(pairs)} pairs)"
                    if len(pairs) > 1 else f"a {100 * level:g}% F interval")
    rule = (f"per (iid, {plan}) pair, {simultaneous} for the n Var ratio at the largest n: refuted if it excludes "
            f"the exact factor (quadrature), inconclusive if it also contains 1 while the factor is <= "
            f"{RESOLVE[0]:g} or >= {RESOLVE[1]:g}, or no exact factor exists; premise not met without a finite "
            "variance; holds otherwise")
    if negative:
        rule += ("; negative control: premise not met if the exact factor is below 1, refuted if the interval "
                 "lies below 1 (a gain)")
    return combine([_pair(ev, iid, planned, plan, level, negative, rule) for iid, planned in pairs], rule)


def antithetic_factor(ev: Evidence, s: list[str]) -> dict:
    return _factor_claim(ev, s, "antithetic")


def control_variate_factor(ev: Evidence, s: list[str]) -> dict:
    return _factor_claim(ev, s, "control_variate")


def antithetic_negative_control(ev: Evidence, s: list[str]) -> dict:
    return _factor_claim(ev, s[:2], "antithetic", negative=True)


def rqmc_rate(ev: Evidence, s: list[str]) -> dict:
    q = _main_quantity(ev, s[0])
    row = ev.row(s[0], q)
    detail = describe_rate(row)
    if len(s) > 1:
        iid = ev.summary[(ev.summary.scenario == s[1]) & (ev.summary.quantity == q)].set_index("n")
        sobol = ev.summary[(ev.summary.scenario == s[0]) & (ev.summary.quantity == q)].set_index("n")
        common = sorted(set(iid.index) & set(sobol.index))
        if common:
            n = common[-1]
            ratio = float(iid.rmse[n] / sobol.rmse[n])
            detail += (f"; RMSE iid / sobol at n = {int(n):,}: {ratio:.4g} (RMSE {sobol.rmse[n]:.3g} vs "
                       f"{iid.rmse[n]:.3g})")
    why = premise(ev, row, iid=False) or (f"{q}: no finite variance" if flag(row, "var_finite") is False else None)
    settle = ""
    if why:
        verdict, detail = PREMISE, f"premise not met: {why}; {detail}"
    elif getattr(row, "verdict", "") in (v.ELSEWHERE, v.NO_LIMIT, v.RANDOM_LIMIT) or row.slope_ci_low > RQMC_SLOPE:
        verdict = REFUTED
    elif row.slope_ci_high <= RQMC_SLOPE and converges_near(row):
        verdict = HOLDS
    else:
        verdict = INCONCLUSIVE
        settle = (f"{s[0]}: more replicates R or a longer grid (now R = {int(row.replicates)}, n_max = "
                  f"{int(row.n_max):,}) to place the slope CI on one side of {RQMC_SLOPE}")
    return claim_row(row, f"results/figures/plans/{s[0].split('__')[0]}.png", verdict,
                     f"holds: the slope CI's upper end <= {RQMC_SLOPE} (about n^-1) and the estimate at the largest "
                     f"n within {Z_LIMIT:g} MCSE of the exact limit; refuted: the CI's lower end above {RQMC_SLOPE}, "
                     "or the limit elsewhere or missing; premise not met without a finite variance; else "
                     "inconclusive", detail, settle)


def converges_near(row) -> bool:
    """The estimate at the largest n within 4 MCSE of a finite exact limit plus its declared bias (no rate
    condition); never where a failed exact cross-check withheld the quantity's verdict (rule 9)."""
    if not np.isfinite(row.exact) or "exact cross-check failed" in str(getattr(row, "reason", "")):
        return False
    if converges(row):
        return True
    bias = float(getattr(row, "declared_bias", 0.0) or 0.0)
    bias = bias if np.isfinite(bias) else 0.0
    return bool(abs(row.estimate - row.exact - bias) <= Z_LIMIT * row.estimate_mcse)


PLAN_CLAIMS = (
    Claim("rqmc-rate", SOURCE_BEYOND,
          "Randomized QMC (scrambled Sobol' points through the inverse CDF) beats the n^-1/2 rate on a smooth "
          "loss: its RMSE shrinks about like n^-1.", rqmc_rate),
    Claim("antithetic-factor", SOURCE_BEYOND,
          "Antithetic pairs u, 1 - u multiply the variance by (Var f + Cov(f(U), f(1-U))) / Var f, computed "
          "by quadrature.", antithetic_factor),
    Claim("control-variate-factor", SOURCE_BEYOND,
          "A control variate with known mean multiplies the variance by 1 - rho^2, computed by quadrature.",
          control_variate_factor),
    Claim("antithetic-negative-control", SOURCE_BEYOND,
          "Negative control: for a term even in u around 1/2 antithetic pairs do not help (exact factor >= 1).",
          antithetic_negative_control),
)
