"""Is a sampler's output what it claims to be? Rejection rates of two tests over all replicate streams.

A test run on one stream rejects or not, and which depends on the seed; what is a
property of the test is its *rejection rate* over the R replicate streams of a
scenario, a Binomial(R, rate) proportion reported with its MCSE (Agresti-Coull, never 0) and Wilson interval
(mcloss.evidence.coverage). On i.i.d. streams a valid level-alpha test rejects at rate alpha;
a rate far above alpha on a stream with the right marginal law is size distortion
or power against dependence.

The tests, per stream of N draws (the first ``samples`` draws of replicate r's
stream, from the same SeedSequence key as the simulation):

- Pearson's chi-squared goodness of fit of the draws to the stream's marginal law
  (a continuous law on ``bins`` equiprobable cells of u = F(x); a discrete one on its
  classes), X^2 = sum (O - E)^2 / E against chi^2_{K-1}. It tests the marginal law
  only: under positive serial dependence the class counts are over-dispersed, for a
  two-state chain with lag-1 autocorrelation rho by (1 + rho) / (1 - rho), so X^2 is
  about (1 + rho) / (1 - rho) chi^2_1 and the test rejects a *correct* marginal at
  rate P(chi^2_1 > q_{1-alpha} (1 - rho) / (1 + rho)), not alpha (``gof_rate_theory``);
  under negative dependence it rejects less often than alpha.
- The Ljung-Box portmanteau test Q = N (N + 2) sum_{k=1}^{L} r_k^2 / (N - k) against
  chi^2_L (Ljung & Box 1978), r_k the lag-k autocorrelation. Chosen over a runs test
  because it sees linear dependence at every lag up to L, of either sign and for any
  marginal (a runs test about the median looks at the sign sequence, i.e. at lag 1
  of a binary series only). A constant series (a frozen chain) has no
  autocorrelation; it is counted as a rejection (``constant`` counts them), since it
  is the limit of perfect persistence.

The verdict on "an i.i.d. hypothesis can be checked with Pearson's chi-squared test"
(`judge_claim`) compares the rates with alpha in units of the binomial MCSE at alpha,
sqrt(alpha (1 - alpha) / R), with the bound K_MCSE = 4 (a rate off by chance moves
the verdict with probability about 6e-5 per rate, so seeds do not change it):

0. power of the control: its lower bound alpha - K_MCSE MCSE must be above 0, else a test
   that never rejects passes it; that needs R >= `min_replicates` (305 at alpha = 0.05).
   Fewer on an i.i.d. stream, or no i.i.d. stream at all: ``inconclusive`` (settle: that R,
   or an i.i.d. scenario). `control_bounds` adds the bounds and whether the lower one can
   trigger to results/tables/iid.csv;
1. control: on every i.i.d. stream both tests reject at alpha (within K_MCSE MCSE);
   otherwise ``inconclusive`` (a sampler or a test is broken);
2. no dependent stream among the assigned scenarios: ``premise not met`` (nothing to detect);
3. the dependent streams the Ljung-Box test detects (rate above alpha + K_MCSE MCSE);
   none: ``inconclusive`` (settle: more draws per stream);
4. on one of them Pearson's rate is not above alpha + K_MCSE MCSE (blind), or below the
   Ljung-Box rate by more than K_MCSE paired MCSE (it misses dependence a serial test
   sees, flagging it only through its size distortion): ``refuted``;
5. otherwise (within K_MCSE paired MCSE of the Ljung-Box rate, or above, on all): ``holds``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.special

from mcloss.laws.streams import Marginal, stream_rng

from .coverage import binomial_mcse, wilson_interval

# chi2.sf(x, k) is scipy.special.chdtrc(k, x) and chi2.isf(p, k) chdtri(k, p), what scipy.stats itself calls:
# scipy.stats is not imported here, as the workflow imports this module while it parses (0.7 s a start).

#: Replicate streams tested together (memory: BLOCK x samples float64 values).
BLOCK = 256
#: Rates within this many binomial MCSE of alpha sit at alpha; beyond it they are above or below.
K_MCSE = 4.0

IID_COLUMNS = ["scenario", "stream", "dependent", "replicates", "samples", "alpha", "gof_test", "gof_dof",
               "gof_rejections", "gof_rate", "gof_mcse", "gof_ci_low", "gof_ci_high", "gof_rate_theory",
               "serial_test", "serial_dof", "serial_rejections", "serial_rate", "serial_mcse", "serial_ci_low",
               "serial_ci_high", "both_rejections", "constant"]


# --- the two statistics, one row per replicate stream ------------------------------
def pearson(series: np.ndarray, marginal: Marginal, bins: int = 50) -> tuple[np.ndarray, int]:
    """Pearson's X^2 of each row of ``series`` (streams x draws) against the marginal, and its dof."""
    x = np.atleast_2d(series)
    rows, size = x.shape
    if marginal.cdf is not None:
        cells = np.minimum((np.asarray(marginal.cdf(x)) * bins).astype(np.int64), bins - 1)
        expected = np.full(bins, size / bins)
    else:
        probs = np.asarray(marginal.probs, dtype=np.float64)
        cells = x.astype(np.int64)
        expected = size * probs
    k = expected.size
    offset = (np.arange(rows, dtype=np.int64) * k)[:, None]
    observed = np.bincount((cells + offset).ravel(), minlength=rows * k).reshape(rows, k)
    return ((observed - expected) ** 2 / expected).sum(axis=1), k - 1


def ljung_box(series: np.ndarray, lags: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Ljung-Box Q over lags 1..lags of each row, and which rows are constant (Q = inf there)."""
    x = np.atleast_2d(np.asarray(series, dtype=np.float64))
    size = x.shape[1]
    centred = x - x.mean(axis=1, keepdims=True)
    denominator = np.einsum("ij,ij->i", centred, centred)
    constant = denominator == 0.0
    q = np.zeros(x.shape[0])
    with np.errstate(invalid="ignore", divide="ignore"):
        for k in range(1, lags + 1):
            r = np.einsum("ij,ij->i", centred[:, :-k], centred[:, k:]) / denominator
            q += r * r / (size - k)
    q *= size * (size + 2.0)
    return np.where(constant, np.inf, q), constant


def lag1(series: np.ndarray) -> tuple[float, float]:
    """Lag-1 autocorrelation r_1 of one series and the p-value of its Ljung-Box test at one lag."""
    x = np.asarray(series, dtype=np.float64)
    q, constant = ljung_box(x, 1)
    if constant[0]:
        return 1.0, 0.0
    r1 = math.copysign(math.sqrt(q[0] * (x.size - 1) / (x.size * (x.size + 2.0))),
                       float(np.dot(x[:-1] - x.mean(), x[1:] - x.mean())))
    return r1, float(scipy.special.chdtrc(1, q[0]))


def check_stream(sampler, rng: np.random.Generator, size: int, bins: int = 50) -> dict:
    """Draw ``size`` samples from ``sampler`` and test them once; one table row (for one stream)."""
    marginal = sampler.marginal()
    series = np.asarray(marginal.values(sampler.start(rng)(size)))
    statistic, dof = pearson(series, marginal, bins)
    r1, p_lag1 = lag1(series)
    return {"samples": int(size), "dependent": bool(marginal.dependent), "gof_chi2": float(statistic[0]),
            "gof_dof": dof, "gof_p": float(scipy.special.chdtrc(dof, statistic[0])), "lag1": r1, "lag1_p": p_lag1}


# --- rejection rates over the replicate streams ---------------------------------------
def _rate(rejections: int, replicates: int) -> dict[str, float]:
    low, high = wilson_interval(rejections, replicates)
    rate = rejections / replicates
    return {"rejections": int(rejections), "rate": rate, "mcse": float(binomial_mcse(rejections, replicates)),
            "ci_low": float(low), "ci_high": float(high)}


def rejection_rates(streams, seed: int, key, replicates: int, samples: int, alpha: float = 0.05, bins: int = 50,
                    lags: int = 10) -> list[dict]:
    """One row per stream: rejection rates of Pearson's and the Ljung-Box test over replicates 0..R-1.

    ``streams`` are an estimand's StreamSpecs; stream s of replicate r is drawn from
    ``stream_rng(seed, key, s, r)``, the simulation's key.
    """
    rows = []
    for index, stream in enumerate(streams):
        marginal = stream.sampler.marginal()
        gof, serial, constant = [], [], []
        for start in range(0, replicates, BLOCK):
            # Blocks of replicates bound memory (BLOCK x samples values); each row is its replicate's own stream.
            draws = [stream.sampler.start(stream_rng(seed, key, index, r))(samples)
                     for r in range(start, min(start + BLOCK, replicates))]
            series = np.stack([np.asarray(marginal.values(d)) for d in draws])
            x2, dof = pearson(series, marginal, bins)
            q, flat = ljung_box(series, lags)
            gof.append(scipy.special.chdtrc(dof, x2) <= alpha)
            serial.append(scipy.special.chdtrc(lags, q) <= alpha)
            constant.append(flat)
        gof, serial, constant = np.concatenate(gof), np.concatenate(serial), np.concatenate(constant)
        critical = scipy.special.chdtri(dof, alpha)
        inflation = float(marginal.inflation)
        theory = (float(scipy.special.chdtrc(dof, critical / inflation)) if 0.0 < inflation < math.inf
                  else (1.0 if inflation == math.inf else math.nan))
        g, s = _rate(int(gof.sum()), replicates), _rate(int(serial.sum()), replicates)
        cells = f"{bins} equiprobable cells of F(x)" if marginal.cdf is not None else "classes"
        rows.append({
            "stream": stream.name, "dependent": bool(marginal.dependent), "replicates": int(replicates),
            "samples": int(samples), "alpha": float(alpha),
            "gof_test": f"Pearson chi-squared ({cells})",
            "gof_dof": int(dof), **{f"gof_{k}": v for k, v in g.items()}, "gof_rate_theory": theory,
            "serial_test": f"Ljung-Box, lags 1..{lags}", "serial_dof": int(lags),
            **{f"serial_{k}": v for k, v in s.items()}, "both_rejections": int((gof & serial).sum()),
            "constant": int(constant.sum())})
    return rows


# --- the verdict ------------------------------------------------------------------------
def null_mcse(alpha: float, replicates: int) -> float:
    """Binomial MCSE of a rejection rate when the true rate is alpha."""
    return math.sqrt(alpha * (1.0 - alpha) / replicates)


def classify(rate: float, alpha: float, replicates: int, k: float = K_MCSE) -> str:
    """'at alpha', 'above alpha' or 'below alpha': the rate against alpha in null MCSE."""
    z = (rate - alpha) / null_mcse(alpha, replicates)
    return "above alpha" if z > k else ("below alpha" if z < -k else "at alpha")


def paired_mcse(row) -> float:
    """MCSE of Pearson's rate minus the Ljung-Box rate, the two tests run on the same streams."""
    r = row.replicates
    only_gof = (row.gof_rejections - row.both_rejections) / r
    only_serial = (row.serial_rejections - row.both_rejections) / r
    difference = only_gof - only_serial
    return math.sqrt(max(only_gof + only_serial - difference * difference, 0.0) / r)


def lower_bound_can_trigger(alpha: float, replicates: int, k: float = K_MCSE) -> bool:
    """Whether a rate of 0 is 'below alpha' at R replicates: the control's lower bound is above 0."""
    return classify(0.0, alpha, replicates, k) == "below alpha"


def min_replicates(alpha: float, k: float = K_MCSE) -> int:
    """The fewest replicates at which the control's lower bound can trigger (305 at alpha = 0.05, k = 4)."""
    r = max(int(k * k * (1.0 - alpha) / alpha) - 1, 1)
    while not lower_bound_can_trigger(alpha, r, k):
        r += 1
    return r


def control_bounds(table: pd.DataFrame) -> pd.DataFrame:
    """The i.i.d. table with the control's bounds alpha -+ K_MCSE null MCSE and whether the lower can trigger."""
    out = table.copy()
    mcse = np.sqrt(out.alpha * (1.0 - out.alpha) / out.replicates)
    out["control_low"], out["control_high"] = out.alpha - K_MCSE * mcse, out.alpha + K_MCSE * mcse
    out["lower_bound_can_trigger"] = [lower_bound_can_trigger(a, int(r)) for a, r in zip(out.alpha, out.replicates)]
    return out


def _describe(row) -> str:
    return (f"{row.scenario}/{row.stream}: chi-squared {row.gof_rate:.3f} [{row.gof_ci_low:.3f}, "
            f"{row.gof_ci_high:.3f}]" + (f" (theory {row.gof_rate_theory:.3f})"
                                         if np.isfinite(row.gof_rate_theory) and row.dependent else "")
            + f", Ljung-Box {row.serial_rate:.3f} [{row.serial_ci_low:.3f}, {row.serial_ci_high:.3f}]")


RULE = (f"rejection rates at alpha over all R replicate streams, compared with alpha in binomial MCSE at alpha "
        f"(bound {K_MCSE:g}): i.i.d. controls must be present, able to fall below alpha (R >= min_replicates) and "
        f"sit at alpha for both tests (else inconclusive); premise not met without a dependent stream; among the "
        f"dependent streams the Ljung-Box test detects (none: inconclusive), refuted if Pearson's rate is not above "
        f"alpha or is below the Ljung-Box rate by more than {K_MCSE:g} paired MCSE on one, holds otherwise")


def _role(row, detected: bool, misses: bool) -> str:
    if not row.dependent:
        at = all(classify(rate, row.alpha, row.replicates) == "at alpha" for rate in (row.gof_rate, row.serial_rate))
        return f"{row.stream}: i.i.d. control, {'at alpha' if at else 'NOT at alpha'}"
    if not detected:
        return f"{row.stream}: dependent, not detected by Ljung-Box"
    return (f"{row.stream}: dependent, Pearson {row.gof_rate:.3f} vs Ljung-Box {row.serial_rate:.3f}"
            + (" (Pearson misses it)" if misses else ""))


def judge_claim(table: pd.DataFrame, scenarios: Sequence[str]) -> dict:
    """Verdict on 'an i.i.d. hypothesis can be checked with Pearson's chi-squared test' (module docstring).

    Returns verdict, rule, detail, settle, the deciding scenario, every scenario's role and the headline
    number: Pearson's rejection rate on the deciding stream with its Wilson interval, against alpha.
    """
    table = table[table.scenario.isin(scenarios)]
    out = {"verdict": "inconclusive", "rule": RULE, "estimate": math.nan, "ci_low": math.nan, "ci_high": math.nan,
           "exact": math.nan, "quantity": "", "settle": "", "scenario": ",".join(scenarios), "scenarios": ""}
    if table.empty:
        return {**out, "detail": "no stream tested in the assigned scenarios",
                "settle": "the i.i.d. check of the assigned scenarios"}
    dependent = table.dependent.astype(bool)
    controls, chains = table[~dependent], table[dependent]
    detected = [r for r in chains.itertuples() if classify(r.serial_rate, r.alpha, r.replicates) == "above alpha"]
    blind = [r for r in detected if classify(r.gof_rate, r.alpha, r.replicates) != "above alpha"
             or r.gof_rate - r.serial_rate < -K_MCSE * max(paired_mcse(r), 1e-12)]
    roles, seen, missed = {}, {r.Index for r in detected}, {r.Index for r in blind}
    for r in table.itertuples():
        roles.setdefault(r.scenario, []).append(_role(r, r.Index in seen, r.Index in missed))
    lines = [f"{len(controls)} i.i.d. stream(s): " + ("; ".join(map(_describe, controls.itertuples())) or "none"),
             f"{len(chains)} dependent stream(s): " + ("; ".join(map(_describe, chains.itertuples())) or "none")]
    out["scenarios"] = "; ".join(f"{name}: {', '.join(text)}" for name, text in roles.items())
    short = [r for r in controls.itertuples() if not lower_bound_can_trigger(r.alpha, r.replicates)]
    failed = [r for r in controls.itertuples()
              if classify(r.gof_rate, r.alpha, r.replicates) != "at alpha"
              or classify(r.serial_rate, r.alpha, r.replicates) != "at alpha"]
    if controls.empty or short:
        alpha = float(table.alpha.iloc[0])
        return {**out, "detail": ("no i.i.d. stream: the tests' size is unchecked" if controls.empty else
                                  "the control's lower bound cannot trigger at R = "
                                  + ", ".join(f"{r.replicates} ({r.scenario}/{r.stream})" for r in short))
                + ". " + ". ".join(lines),
                "settle": ("an i.i.d. scenario among the assigned (the control)" if controls.empty else
                           f"R >= {min_replicates(alpha)} replicates on the i.i.d. streams, so that a test that "
                           "never rejects fails the control")}
    if failed:
        return {**out, "detail": "control failed (an i.i.d. stream's rate is not at alpha): "
                + "; ".join(map(_describe, failed)) + ". " + ". ".join(lines),
                "settle": "a control at alpha (a sampler or a test is broken; not more data)"}
    if chains.empty:
        return {**out, "verdict": "premise not met", "detail": "no dependent stream among the assigned scenarios. "
                + ". ".join(lines)}
    if not detected:
        return {**out, "detail": "the Ljung-Box test detects none of the dependent streams. " + ". ".join(lines),
                "settle": f"more draws per stream (analysis.iid_samples, now {int(chains.samples.max())}) so the "
                          "serial test detects the dependence"}
    head = (blind or detected)[0]
    return {**out, "verdict": "refuted" if blind else "holds", "scenario": head.scenario,
            "quantity": f"chi-squared rejection rate ({head.stream})", "exact": head.alpha,
            "estimate": head.gof_rate, "ci_low": head.gof_ci_low, "ci_high": head.gof_ci_high,
            "detail": f"alpha = {head.alpha:g}, R = {int(head.replicates)} streams of {int(head.samples):,} draws "
                      f"(control bounds [{head.alpha - K_MCSE * null_mcse(head.alpha, head.replicates):.4f}, "
                      f"{head.alpha + K_MCSE * null_mcse(head.alpha, head.replicates):.4f}], lower bound can "
                      f"trigger); " + ". ".join(lines)}
