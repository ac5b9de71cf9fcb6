"""The claims catalogue and its evaluation: every claim, judged from the evidence into the claims table.
Owns `CLAIMS` (the source texts' claims, mcloss.judge.source_claims, then those beyond them,
mcloss.judge.plan_claims, in the order results/claims.md lists them) and `judge`, and
re-exports the names read as `mcloss.judge.claims.X` (Evidence, the table's columns, the
rule functions). May import: the claims modules of mcloss.judge (none imports this one)
and the stages below judge. The rest of this docstring is printed in results/claims.md,
under "How verdicts are reached" (mcloss.outputs.pages.claims_markdown).

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

from collections.abc import Mapping

import pandas as pd

from .claim_rules import CLAIM_COLUMNS, EVIDENCE_KINDS, VERDICTS, WORST_FIRST, Z_LIMIT, Claim, Evidence
from .plan_claims import PLAN_CLAIMS
from .source_claims import (
    SOURCE_CLAIMS,
    bce_bernoulli_mle,
    cauchy_no_lln,
    ce2_equals_bce,
    clt_coverage,
    dependent_data,
    gan_limit_pz,
    gan_misplaced_scaling,
    gan_optimal_jsd,
    gan_real_fraction,
    iid_check,
    label_smoothing,
    mse_gaussian_nll,
    nll_is_cross_entropy,
)

__all__ = [
    "CLAIMS", "CLAIM_COLUMNS", "EVIDENCE_KINDS", "PLAN_CLAIMS", "SOURCE_CLAIMS", "VERDICTS", "WORST_FIRST", "Z_LIMIT",
    "Claim", "Evidence", "judge",
    # the source texts' rules, read by the tests as claims.<rule>
    "bce_bernoulli_mle", "cauchy_no_lln", "ce2_equals_bce", "clt_coverage", "dependent_data", "gan_limit_pz",
    "gan_misplaced_scaling", "gan_optimal_jsd", "gan_real_fraction", "iid_check", "label_smoothing",
    "mse_gaussian_nll", "nll_is_cross_entropy",
]

#: Every claim, in the order of the table: the source texts' own, then those beyond them (sampling plans).
CLAIMS: tuple[Claim, ...] = SOURCE_CLAIMS + PLAN_CLAIMS


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
