"""The machinery every claim's rule shares: its evidence, its entry, its row and the predicates it reads.

Owns `Evidence` (the pipeline's tables, indexed for the rules), `Claim` (a claim's entry
in the catalogue), the claims table's columns and vocabularies (`CLAIM_COLUMNS`,
`VERDICTS`, `EVIDENCE_KINDS`), the threshold `Z_LIMIT`, the predicates on a quantity's
verdict (`converges`, `no_limit`, `identity_holds`, `status`), `n_var`, the row a rule
returns (`claim_row`, `describe_rate`, `fig`) and how several scenarios combine
(`each_scenario`, `WORST_FIRST`). May import: mcloss.judge.verdicts and the stages
below judge; never another claims module (they all import this one).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import verdicts as v

CLAIM_COLUMNS = ["claim_id", "source", "statement", "scenario", "quantity", "exact", "estimate", "ci_low",
                 "ci_high", "verdict", "evidence", "rule", "detail", "evidence_kind", "quantity_verdict"]
Z_LIMIT = 4.0
VERDICTS = ("holds", "refuted", "partly holds", "inconclusive", "not run")
EVIDENCE_KINDS = ("simulation", "algebraic (code check)", "both")


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


def describe_rate(row) -> str:
    """The quantity's verdict and the numbers behind it (no z or CI where no variance exists)."""
    verdict = getattr(row, "verdict", None)
    if isinstance(verdict, str) and verdict:
        return f"{verdict} ({row.reason})"
    return (f"estimate {row.estimate:.6g} +- {row.estimate_mcse:.2g} (MCSE) vs exact {row.exact:.6g} at "
            f"n = {int(row.n_max):,}; slope {row.slope:.3f} [{row.slope_ci_low:.3f}, {row.slope_ci_high:.3f}]")


def claim_row(row, evidence_figure: str, verdict: str, rule: str, detail: str) -> dict:
    """A rule's part of a claims row, its numbers from the convergence row ``row`` (no estimate without a limit)."""
    quantity_verdict = getattr(row, "verdict", "")
    limitless = quantity_verdict in (v.NO_LIMIT, v.RANDOM_LIMIT)
    return {"scenario": row.scenario, "quantity": row.quantity, "exact": row.exact,
            "estimate": np.nan if limitless else row.estimate, "ci_low": row.ci_low, "ci_high": row.ci_high,
            "verdict": verdict, "evidence": evidence_figure, "rule": rule, "detail": detail,
            "quantity_verdict": quantity_verdict if isinstance(quantity_verdict, str) else ""}


def fig(scenario: str, name: str) -> str:
    """The path of a scenario's figure, the evidence a claims row points to."""
    return f"results/figures/{scenario}/{name}.png"


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
