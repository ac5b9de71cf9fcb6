"""Claims beyond the sources: what the sampling plans buy, judged from the pipeline's tables.

Owns the rules of the sampling-plan claims and their `Claim` entries (`PLAN_CLAIMS`); a
new claim beyond the sources goes here. May import: mcloss.judge.claim_rules and the
stages below judge; never mcloss.judge.claims or mcloss.judge.source_claims.

Same shape as the source texts' claims (judge(evidence, scenarios) -> the row fields of
`claim_rules.claim_row`), same Evidence: the exact json's ``variances`` of a plan point hold
that plan's lim n Var (mcloss.laws.plan_exact), so an exact factor is
variances[plan point] / variances[iid point]. Rules (thresholds below):

- rqmc-rate (scenarios: a sobol point, optionally its iid point): the estimate at the
  largest n lies within 4 MCSE of the exact limit and the upper end of the 95% bootstrap
  CI of the slope of log RMSE on log n is <= -0.9 (beats n^-1/2 clearly); the RMSE ratio
  iid / sobol at the largest common n is reported.
- antithetic-factor, control-variate-factor (scenarios: pairs iid point, plan point):
  for every pair, the measured ratio n Var_plan / n Var_iid at the largest n (n EmpSE^2,
  MCSE by the delta method, independent points) lies within 4 MCSE of the exact factor
  (a factor above 1, a loss, is as much a test of the formula as a gain); a pair without
  a finite exact factor makes the claim inconclusive.
- antithetic-negative-control (scenarios: iid point, antithetic point, on a term even in
  u around 1/2): the exact factor is >= 1 and the measured ratio agrees with it within
  4 MCSE, so the data show no gain; a measured ratio below 1 by more than 4 MCSE refutes it.
"""

from __future__ import annotations

import math

import numpy as np

from .claim_rules import Z_LIMIT, Claim, Evidence, claim_row, converges, describe_rate, n_var

SOURCE_BEYOND = "beyond the sources"
RQMC_SLOPE = -0.9


def _main_quantity(ev: Evidence, scenario: str) -> str:
    """The scenario's first reported quantity (bce, ce, mse, ...), as its convergence table lists them."""
    return str(ev.convergence[ev.convergence.scenario == scenario].quantity.iloc[0])


def variance_ratio(ev: Evidence, iid: str, plan: str, quantity: str) -> dict[str, float]:
    """Measured n Var ratio plan / iid at the largest n with its MCSE, and the exact factor."""
    v_iid, e_iid = n_var(ev, iid, quantity)
    v_plan, e_plan = n_var(ev, plan, quantity)
    ratio = v_plan / v_iid
    exact = ev.variances[plan].get(quantity, math.nan) / ev.variances[iid].get(quantity, math.nan)
    return {"ratio": ratio, "mcse": ratio * math.hypot(e_iid / v_iid, e_plan / v_plan), "exact": exact}


def _pairs(s: list[str]) -> list[tuple[str, str]]:
    if len(s) < 2 or len(s) % 2:
        raise ValueError(f"needs pairs (iid point, plan point), got {s}")
    return list(zip(s[0::2], s[1::2]))


def _factor_claim(ev: Evidence, s: list[str], plan: str) -> dict:
    parts, agree, known = [], [], []
    for iid, planned in _pairs(s):
        q = _main_quantity(ev, planned)
        r = variance_ratio(ev, iid, planned, q)
        agree.append(math.isfinite(r["exact"]) and abs(r["ratio"] - r["exact"]) <= Z_LIMIT * r["mcse"])
        known.append(math.isfinite(r["exact"]) and r["exact"] > 0.0)
        parts.append(f"{planned} {q}: n Var ratio {r['ratio']:.4f} +- {r['mcse']:.4f} (MCSE) vs exact factor "
                     f"{r['exact']:.4f} (z = {(r['ratio'] - r['exact']) / r['mcse']:.2f})")
    if not all(known):
        verdict = "inconclusive"   # no exact factor (e.g. a stream needing two uniforms per sample)
    else:
        verdict = "holds" if all(agree) else "refuted"
    row = ev.row(s[1], _main_quantity(ev, s[1]))
    return claim_row(row, f"results/figures/plans/{s[1].split('__')[0]}.png", verdict,
                     f"for every (iid, {plan}) pair, the measured n Var ratio at the largest n lies within "
                     f"{Z_LIMIT:g} MCSE of the exact factor (quadrature)", "; ".join(parts))


def antithetic_factor(ev: Evidence, s: list[str]) -> dict:
    return _factor_claim(ev, s, "antithetic")


def control_variate_factor(ev: Evidence, s: list[str]) -> dict:
    return _factor_claim(ev, s, "control_variate")


def antithetic_negative_control(ev: Evidence, s: list[str]) -> dict:
    iid, planned = s[0], s[1]
    q = _main_quantity(ev, planned)
    r = variance_ratio(ev, iid, planned, q)
    agrees = math.isfinite(r["exact"]) and abs(r["ratio"] - r["exact"]) <= Z_LIMIT * r["mcse"]
    gain = r["ratio"] < 1.0 - Z_LIMIT * r["mcse"]
    if not r["exact"] >= 1.0:
        verdict = "inconclusive"   # not a negative control: the exact factor promises a gain
    elif gain:
        verdict = "refuted"
    else:
        verdict = "holds" if agrees else "inconclusive"
    return claim_row(ev.row(planned, q), f"results/figures/plans/{planned.split('__')[0]}.png", verdict,
                     "holds: exact factor >= 1 (a term even in u around 1/2) and the measured n Var ratio agrees "
                     "with it within 4 MCSE; refuted: the measured ratio is below 1 by more than 4 MCSE",
                     f"{planned} {q}: n Var ratio antithetic/iid {r['ratio']:.4f} +- {r['mcse']:.4f} vs exact factor "
                     f"{r['exact']:.4f}")


def rqmc_rate(ev: Evidence, s: list[str]) -> dict:
    q = _main_quantity(ev, s[0])
    row = ev.row(s[0], q)
    fast = bool(row.slope_ci_high <= RQMC_SLOPE)
    ok = fast and converges_near(row)
    detail = describe_rate(row)
    if len(s) > 1:
        iid = ev.summary[(ev.summary.scenario == s[1]) & (ev.summary.quantity == q)].set_index("n")
        sobol = ev.summary[(ev.summary.scenario == s[0]) & (ev.summary.quantity == q)].set_index("n")
        common = sorted(set(iid.index) & set(sobol.index))
        if common:
            n = common[-1]
            ratio = float(iid.rmse[n] / sobol.rmse[n])
            detail += (f"; RMSE iid / sobol at n = {int(n):,}: {ratio:.4g} (RMSE {sobol.rmse[n]:.3g} +- "
                       f"{sobol.rmse_mcse[n]:.2g} vs {iid.rmse[n]:.3g} +- {iid.rmse_mcse[n]:.2g})")
    return claim_row(row, f"results/figures/plans/{s[0].split('__')[0]}.png", "holds" if ok else "refuted",
                     f"the estimate at the largest n within {Z_LIMIT:g} MCSE of the exact limit and the slope CI's "
                     f"upper end <= {RQMC_SLOPE} (faster than n^-1/2)", detail)


def converges_near(row) -> bool:
    """The estimate at the largest n within 4 MCSE of a finite exact limit (no rate condition)."""
    if not np.isfinite(row.exact):
        return False
    if converges(row):
        return True
    return bool(abs(row.estimate - row.exact) <= Z_LIMIT * row.estimate_mcse)


PLAN_CLAIMS = (
    Claim("rqmc-rate", SOURCE_BEYOND,
          "Randomized QMC (scrambled Sobol' points through the inverse CDF) beats the n^-1/2 rate on a smooth "
          "loss.", rqmc_rate),
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
