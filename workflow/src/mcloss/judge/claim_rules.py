"""The machinery every claim's rule shares: its evidence, its entry, its row, its words and the predicates it reads.

Owns `Evidence` (the pipeline's tables, indexed for the rules), `Claim` (a claim's entry
in the catalogue), the claims table's columns (`CLAIM_COLUMNS`), the claim words
(`VERDICTS`, `LEGEND`), the thresholds (`Z_LIMIT`, `LEVEL`, `POWER`, `RESOLVE`), the
predicates on a quantity's verdict (`converges`, `premise`, `limits`: the claims-side
mapping of the per-quantity verdicts, `converges elsewhere` included), the interval
arithmetic of variance ratios (`ratio_interval`, `variance_interval`, `power_to_exclude_one`,
`replicates_for_power`), the row a rule returns (`claim_row`, `describe_rate`, `settle_quantity`,
`fig`, `identity_claim`) and how several scenarios combine (`combine`, `each_scenario`, `DECIDES_FIRST`).
May import: mcloss.judge.verdicts and the stages below judge; never another claims module
(they all import this one).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.special

from . import verdicts as v

CLAIM_COLUMNS = ["claim_id", "source", "statement", "scenario", "quantity", "exact", "estimate", "ci_low",
                 "ci_high", "verdict", "evidence", "rule", "detail", "evidence_kind", "quantity_verdict", "scenarios",
                 "settle"]
HOLDS, REFUTED, PREMISE, INCONCLUSIVE, NOT_RUN = "holds", "refuted", "premise not met", "inconclusive", "not run"
VERDICTS = (HOLDS, REFUTED, PREMISE, INCONCLUSIVE, NOT_RUN)
#: What each claim word means, printed as the legend of claims.md and SUMMARY.md.
LEGEND = {
    HOLDS: "the evidence agrees with the claim, and the run could have contradicted it",
    REFUTED: "the evidence contradicts the claim (a limit missing or elsewhere, an identity broken, an "
             "interval excluding the predicted value)",
    PREMISE: "the scenario cannot test the claim: no finite mean (or variance) where the claim presumes one, "
             "a serially dependent stream for a claim about i.i.d. samples, no dependent stream for a claim "
             "about dependence, a pair of scenarios that differ in more than the claim varies",
    INCONCLUSIVE: "too little evidence to decide, or a control of the evidence failed; `settle` (\"to settle\") "
                  "says what would decide it (more replicates R, a larger n, more draws per stream, an exact value)",
    NOT_RUN: "the claim's scenarios are not in this run's configuration",
}
EVIDENCE_KINDS = ("simulation", "algebraic (code check)", "both")
Z_LIMIT = 4.0          # MCSE bounds of the sanity checks (identities' gaps, a limit near its exact value)
LEVEL = 0.99           # simultaneous level of the intervals a variance-ratio claim is decided by
POWER = 0.99           # the chance a run must have of excluding a ratio of 1 where the exact one is outside RESOLVE
RESOLVE = (0.5, 2.0)   # exact ratios outside this band must be told from 1 (else the claim is inconclusive)
#: Level of the interval of a control (a check that the evidence is sound, not the claim): as strict as 4 sigma.
CONTROL_LEVEL = 1.0 - 2.0 * float(scipy.special.ndtr(-Z_LIMIT))   # norm.sf(Z) is ndtr(-Z), bit for bit
#: The per-quantity verdict of a limit that settles away from its exact value (mcloss.judge.verdicts).


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
    #: Fitted scenario -> its theory (the `fit` record of results/exact/<scenario>.json).
    fits: Mapping[str, Mapping] = field(default_factory=dict)

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

    def dependent_streams(self, scenario: str) -> list[str]:
        """The scenario's serially dependent streams by the i.i.d. check's table (a sweep point: its base's)."""
        if self.iid is None or self.iid.empty or "dependent" not in self.iid:
            return []
        base = self.sweep_bases.get(scenario, scenario)
        rows = self.iid[(self.iid.scenario == base) & self.iid.dependent.astype(bool)]
        return [str(name) for name in rows.get("stream", pd.Series(dtype=str))]


@dataclass(frozen=True)
class Claim:
    """A claim in the catalogue: who made it, what it says, the rule that judges it and what the rule needs."""

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


# --- what the rules read ------------------------------------------------------------
def flag(row, key: str) -> bool | None:
    """A True/False column of a convergence row (None when absent or unknown)."""
    value = getattr(row, key, None)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str):
        return {"true": True, "false": False}.get(value.strip().lower())
    return bool(value)


def converges(row) -> bool:
    """The quantity reaches its exact limit (its per-quantity verdict, mcloss.judge.verdicts)."""
    return getattr(row, "verdict", None) in v.CONVERGING


def identity_holds(row: pd.Series) -> bool:
    return bool(row.holds)


def has_variance(row) -> bool:
    """A CI, z or coverage exists: the quantity converges at n^-1/2 (or elsewhere, with a finite variance)."""
    verdict = getattr(row, "verdict", None)
    return verdict == v.CONVERGES or (verdict == v.ELSEWHERE and flag(row, "var_finite") is True)


def premise(ev: Evidence, row, iid: bool = True) -> str | None:
    """Why the row's scenario cannot test a claim about this quantity's limit, or None.

    No finite mean: the tails say E|term| is infinite and the data agree (verdict ``no limit``).
    A claim about i.i.d. samples (``iid``): a stream the i.i.d. check marks dependent, or a
    limit declared random (a non-ergodic chain).
    """
    verdict = getattr(row, "verdict", None)
    if flag(row, "mean_finite") is False and verdict == v.NO_LIMIT:
        return f"{row.quantity}: no finite mean ({getattr(row, 'tails_reason', '') or 'E|term| infinite'})"
    if iid:
        streams = ev.dependent_streams(row.scenario)
        if streams:
            return (f"serially dependent stream {', '.join(streams)} (i.i.d. check), and the claim presumes i.i.d. "
                    "samples")
        if getattr(row, "limit_kind", "") == v.RANDOM_LIMIT:
            return (f"{row.quantity}: a random limit by construction ({getattr(row, 'limit_reason', '')}), and the "
                    "claim presumes i.i.d. samples")
    return None


def status(*rows) -> str:
    """The claims-side reading of quantity verdicts for "these quantities converge to their exact limits".

    holds: every one converges (at n^-1/2, slower, or degenerate at its limit); refuted: one
    converges elsewhere, has no limit or a random limit; otherwise inconclusive. Premises are
    checked first, by `limits`.
    """
    verdicts = [getattr(r, "verdict", v.INCONCLUSIVE) for r in rows]
    if any(verdict in (v.ELSEWHERE, v.NO_LIMIT, v.RANDOM_LIMIT) for verdict in verdicts):
        return REFUTED
    if verdicts and all(verdict in v.CONVERGING for verdict in verdicts):
        return HOLDS
    return INCONCLUSIVE


def settle_quantity(row) -> str:
    """What would settle an inconclusive quantity verdict (more data, or what no data can give)."""
    where = f"{row.scenario}/{row.quantity}"
    if "mean_finite" in getattr(row, "index", ()) and flag(row, "mean_finite") is None:
        return f"{where}: a resolved tail index (whether E|term| is finite), not more data"
    if flag(row, "mean_finite") is True and not np.isfinite(float(getattr(row, "exact", np.nan))):
        return f"{where}: an exact value (the quadrature did not settle it), not more data"
    reason = str(getattr(row, "reason", ""))
    if "exact cross-check failed" in reason:
        return f"{where}: an exact value its cross-check confirms (the check failed), not more data"
    if "contradict the declared tails" in reason:
        return f"{where}: a declared tail index the data confirm (they contradict it), not more data"
    if "mean_finite" in getattr(row, "index", ()) and flag(row, "var_finite") is None:
        return f"{where}: a resolved tail index (whether E term^2 is finite), not more data"
    replicates = getattr(row, "replicates", np.nan)
    now = f"now R = {int(replicates)}, " if np.isfinite(float(replicates)) else ""
    return f"{where}: more replicates R or a larger n_max ({now}n_max = {int(row.n_max):,})"


def limits(ev: Evidence, rows, iid: bool = True) -> tuple[str, str, object]:
    """(verdict, note, deciding row) for "these quantities converge to their exact limits": a failed premise
    first (`premise`: ``premise not met``, the note says why), then `status` (an inconclusive verdict's note
    says what would settle it). The deciding row is the first that fails, else the first."""
    for row in rows:
        why = premise(ev, row, iid)
        if why:
            return PREMISE, why, row
    verdict = status(*rows)
    failing = [r for r in rows if not converges(r)]
    if verdict == REFUTED:
        return verdict, "", next((r for r in failing if getattr(r, "verdict", None) in
                                  (v.ELSEWHERE, v.NO_LIMIT, v.RANDOM_LIMIT)), rows[0])
    if verdict == INCONCLUSIVE:
        return verdict, "; ".join(settle_quantity(r) for r in failing), (failing or list(rows))[0]
    return verdict, "", rows[0]


def limit_row(ev: Evidence, rows, figure: str, rule: str, detail: str, iid: bool = True) -> dict:
    """The claims row of a rule that is `limits` over ``rows``: premise reason in the detail, settle text."""
    verdict, note, shown = limits(ev, rows, iid)
    if verdict == PREMISE:
        detail = f"premise not met: {note}; {detail}"
    return claim_row(shown, figure, verdict, rule, detail, note if verdict == INCONCLUSIVE else "")


def n_var(evidence: Evidence, scenario: str, quantity: str) -> tuple[float, int]:
    """n Var of the estimate at the largest n (n EmpSE^2) and the number of replicates it is measured on."""
    last = evidence.summary[(evidence.summary.scenario == scenario) & (evidence.summary.quantity == quantity)]
    last = last.sort_values("n").iloc[-1]
    return float(last.n * last.emp_se**2), int(last.replicates)


# --- intervals of variances and their ratios (normal estimates: n^-1/2 limits at large n) ----------------
def ratio_interval(ratio: float, r_top: int, r_bottom: int, level: float = LEVEL) -> tuple[float, float]:
    """Interval for sigma_top^2 / sigma_bottom^2 from the ratio of two independent sample variances on
    r_top and r_bottom replicates: ratio / F_{1-a/2}(r_top - 1, r_bottom - 1) to ratio / F_{a/2}(...)."""
    import scipy.stats  # here: the workflow imports this module while it parses (0.7 s of every Snakemake start)

    a, d1, d2 = 1.0 - level, r_top - 1, r_bottom - 1
    return (float(ratio / scipy.stats.f.ppf(1.0 - a / 2.0, d1, d2)),
            float(ratio / scipy.stats.f.ppf(a / 2.0, d1, d2)))


def variance_interval(value: float, replicates: int, level: float = CONTROL_LEVEL) -> tuple[float, float]:
    """Interval for a variance from a sample variance on ``replicates`` values: (R - 1) s^2 / chi^2_{R-1}."""
    import scipy.stats

    a, d = 1.0 - level, replicates - 1
    return (float(value * d / scipy.stats.chi2.isf(a / 2.0, d)), float(value * d / scipy.stats.chi2.ppf(a / 2.0, d)))


def power_to_exclude_one(factor: float, r_top: int, r_bottom: int, level: float = LEVEL) -> float:
    """Chance that `ratio_interval` excludes 1 when the true ratio is ``factor`` (F distribution)."""
    import scipy.stats

    d1, d2, a = r_top - 1, r_bottom - 1, 1.0 - level
    if factor < 1.0:
        return float(scipy.stats.f.cdf(scipy.stats.f.ppf(a / 2.0, d1, d2) / factor, d1, d2))
    return float(scipy.stats.f.sf(scipy.stats.f.ppf(1.0 - a / 2.0, d1, d2) / factor, d1, d2))


def replicates_for_power(factor: float, level: float = LEVEL, power: float = POWER) -> float:
    """The fewest replicates per scenario (equal on both sides) with which `ratio_interval` excludes 1 with
    probability ``power`` when the true ratio is ``factor``; inf for a factor of 1 (or not finite)."""
    if not (math.isfinite(factor) and factor > 0.0) or abs(math.log(factor)) < 1e-9:
        return math.inf
    low, high = 2, 4
    while power_to_exclude_one(factor, high, high, level) < power:
        low, high = high, high * 2
        if high > 1 << 40:
            return math.inf
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if power_to_exclude_one(factor, middle, middle, level) >= power else (middle, high)
    return float(high)


def needs_resolving(factor: float) -> bool:
    """Whether an exact ratio lies outside `RESOLVE` (edges included, to rounding), where a run must tell it from 1."""
    return math.isfinite(factor) and not (RESOLVE[0] * (1.0 + 1e-9) < factor < RESOLVE[1] * (1.0 - 1e-9))


def variance_ratio(ev: Evidence, top: str, bottom: str, quantity: str, level: float = LEVEL) -> dict:
    """n Var ratio top / bottom at the largest n, its replicate counts and `ratio_interval` at ``level``."""
    v_top, r_top = n_var(ev, top, quantity)
    v_bottom, r_bottom = n_var(ev, bottom, quantity)
    ratio = v_top / v_bottom
    return {"ratio": ratio, "r_top": r_top, "r_bottom": r_bottom, "level": level,
            "interval": ratio_interval(ratio, r_top, r_bottom, level)}


def ratio_verdict(exact: float, measured: dict, always_resolve: bool = False) -> tuple[str, str]:
    """(verdict, settle) of "the variance ratio is ``exact``" from `variance_ratio`'s interval.

    refuted: the interval excludes the exact ratio; inconclusive: it contains it, but also 1 where the
    exact ratio must be told from 1 (outside `RESOLVE`, or always with ``always_resolve``): the settle
    text names the replicates per scenario with which the interval excludes 1 with probability `POWER`;
    holds otherwise.
    """
    low, high = measured["interval"]
    if not low <= exact <= high:
        return REFUTED, ""
    if low <= 1.0 <= high and (always_resolve or needs_resolving(exact)):
        needed = replicates_for_power(exact, measured["level"])
        return INCONCLUSIVE, (f"R >= {needed:.0f} replicates per scenario (now {measured['r_top']} and "
                              f"{measured['r_bottom']}) exclude a ratio of 1 with probability {POWER:g} at the "
                              f"exact ratio {exact:.4g}")
    return HOLDS, ""


def describe_ratio(measured: dict, exact: float) -> str:
    """'ratio 0.1389, 99% interval [0.09, 0.2] (F, R = 100/100) vs exact 0.1461'."""
    low, high = measured["interval"]
    return (f"n Var ratio {measured['ratio']:.4g}, {100 * measured['level']:.4g}% interval [{low:.4g}, {high:.4g}] "
            f"(F on R = {measured['r_top']}/{measured['r_bottom']} replicates) vs exact {exact:.4g}; "
            f"{'excludes' if not low <= 1.0 <= high else 'contains'} 1")


# --- the row a rule returns ----------------------------------------------------------
def describe_rate(row) -> str:
    """The quantity's verdict and the numbers behind it (no z or CI where no variance exists)."""
    verdict = getattr(row, "verdict", None)
    if isinstance(verdict, str) and verdict:
        return f"{verdict} ({row.reason})"
    return (f"estimate {row.estimate:.6g} +- {row.estimate_mcse:.2g} (MCSE) vs exact {row.exact:.6g} at "
            f"n = {int(row.n_max):,}; slope {row.slope:.3f} [{row.slope_ci_low:.3f}, {row.slope_ci_high:.3f}]")


def claim_row(row, evidence_figure: str, verdict: str, rule: str, detail: str, settle: str = "") -> dict:
    """A rule's part of a claims row, its numbers from the convergence row ``row`` of the deciding scenario
    (no estimate without a limit, no CI without a variance)."""
    quantity_verdict = getattr(row, "verdict", "")
    limitless = quantity_verdict in (v.NO_LIMIT, v.RANDOM_LIMIT)
    variance = has_variance(row)
    return {"scenario": row.scenario, "quantity": row.quantity, "exact": row.exact,
            "estimate": np.nan if limitless else row.estimate, "ci_low": row.ci_low if variance else np.nan,
            "ci_high": row.ci_high if variance else np.nan, "verdict": verdict, "evidence": evidence_figure,
            "rule": rule, "detail": detail, "settle": settle,
            "quantity_verdict": quantity_verdict if isinstance(quantity_verdict, str) else ""}


def ratio_row(scenario: str, label: str, exact: float, ratio: float, interval: tuple[float, float],
              quantity_verdict: str, figure: str, verdict: str, rule: str, detail: str, settle: str = "") -> dict:
    """A claims row whose headline is a measured variance ratio with its interval against the exact one."""
    return {"scenario": scenario, "quantity": label, "exact": exact, "estimate": ratio, "ci_low": interval[0],
            "ci_high": interval[1], "verdict": verdict, "evidence": figure, "rule": rule, "detail": detail,
            "settle": settle, "quantity_verdict": quantity_verdict}


def fig(scenario: str, name: str) -> str:
    """The path of a scenario's figure, the evidence a claims row points to."""
    return f"results/figures/{scenario}/{name}.png"


def identity_claim(ev: Evidence, name: str, left: str, right: str, converging: tuple[str, ...],
                    rule: str) -> dict:
    """identity(left == right) on every batch of ``name`` (refuted if broken) and `limits` over ``converging``
    (holds when there are none)."""
    ident = ev.identity(name, left, right)
    rows = [ev.row(name, q) for q in converging]
    detail = (f"max per-batch |{left} - {right}| = {ident.max_abs_deviation:.3g} over {int(ident.batches):,} "
              f"batches (tolerance {ident.tolerance:g})")
    if rows:
        detail += "; " + "; ".join(f"{r.quantity}: {describe_rate(r)}" for r in rows)
        part = limit_row(ev, rows, fig(name, "identities"), rule, detail)
    else:
        shown = ev.row(name, left)
        part = claim_row(shown, fig(name, "identities"), HOLDS, rule,
                         detail + f"; {left} (for information, not part of the rule): {describe_rate(shown)}")
    if not identity_holds(ident):
        part.update(verdict=REFUTED, settle="")
    return part


#: Which assigned scenario decides a claim: the first whose verdict comes first here. So one refuting
#: scenario refutes, one inconclusive leaves it inconclusive, and `premise not met` decides only when no
#: assigned scenario can test the claim.
DECIDES_FIRST = (REFUTED, INCONCLUSIVE, HOLDS, PREMISE)
COMBINATION = ("over several scenarios the first " + " / ".join(DECIDES_FIRST) + " one decides (scenarios "
               "that cannot test the claim decide only when none can)")


def combine(parts: list[dict], rule: str | None = None) -> dict:
    """One claims row from per-scenario parts (each a `claim_row`): the deciding part's numbers
    (`DECIDES_FIRST`), every part's verdict in ``scenarios``, every part's detail."""
    if len(parts) == 1:
        return {"scenarios": f"{parts[0]['scenario']}: {parts[0]['verdict']}", **parts[0]}
    decider = min(parts, key=lambda part: DECIDES_FIRST.index(part["verdict"]))
    rules = list(dict.fromkeys(part["rule"] for part in parts))
    settles = [part["settle"] for part in parts if part["verdict"] == INCONCLUSIVE and part.get("settle")]
    return {**decider, "rule": (rule or " | ".join(rules)) + f" ({COMBINATION})",
            "scenarios": "; ".join(f"{part['scenario']}: {part['verdict']}" for part in parts),
            "settle": "; ".join(dict.fromkeys(settles)) if decider["verdict"] == INCONCLUSIVE else "",
            "detail": " || ".join(f"{part['scenario']}: {part['verdict']}: {_unprefixed(part)}" for part in parts)}


def _unprefixed(part: dict) -> str:
    """A part's detail without a leading repeat of its verdict ('premise not met: ...')."""
    head = f"{part['verdict']}: "
    return part["detail"][len(head):] if part["detail"].startswith(head) else part["detail"]


def each_scenario(ev: Evidence, s: list[str], judge_one: Callable[[Evidence, str], dict]) -> dict:
    """A claim judged on every assigned scenario in turn, combined by `combine`."""
    return combine([judge_one(ev, name) for name in s])
