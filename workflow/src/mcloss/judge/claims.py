"""The claims catalogue and its evaluation: every claim, judged from the evidence into the claims table.
Owns `CLAIMS` (the source texts' claims, mcloss.judge.source_claims, those about models trained on
the batch, mcloss.judge.fit_claims, those about formula losses, mcloss.judge.formula_claims, then the
sampling plans', mcloss.judge.plan_claims, in the order
results/claims.md lists them) and `judge`, and
re-exports the names read as `mcloss.judge.claims.X` (Evidence, the table's columns, the
rule functions). May import: the claims modules of mcloss.judge (none imports this one)
and the stages below judge. The rest of this docstring is printed in results/claims.md,
under "How verdicts are reached" (mcloss.outputs.pages.claims_markdown).

Every verdict follows from stated rules applied to the summary tables; nothing is
typed in by hand. A claim gets one of five words (`claim_rules.LEGEND`):

- `holds`: the evidence agrees with the claim, and the run could have contradicted it;
- `refuted`: the evidence contradicts the claim;
- `premise not met`: the scenario cannot test the claim (no finite mean, or variance,
  where the claim presumes one; a serially dependent stream for a claim about i.i.d.
  samples; no dependent stream for a claim about dependence; a pair of scenarios that
  differ in more than the claim varies). Never `refuted`;
- `inconclusive`: too little evidence; the `settle` column says what would decide it
  (more replicates R, a larger n, more draws per stream, or an exact value no data give);
- `not run`: the claim's scenarios are not in the configuration (or lack what the rule reads).

`partly holds` is gone: every rule that used it either lacked evidence (now
`inconclusive`, with the R that would settle it) or met a counterexample (now `refuted`,
with the scenarios that agree listed beside it).

The rules read the per-quantity verdicts of mcloss.judge.verdicts (`converges at
n^-1/2`, `converges, slower than n^-1/2`, `degenerate`, `converges elsewhere`, `no
limit`, `random limit`, `inconclusive`) by these mappings:

- "X converges" (gan-limit-pz, label-smoothing, cauchy-no-lln, the limit part of the
  identity claims): premise not met if a quantity has no finite mean (the tails say
  E|term| is infinite and the verdict is `no limit`) or, for claims about i.i.d.
  samples, if the i.i.d. check marks a stream dependent or the limit is random by
  construction; else refuted if a quantity `converges elsewhere` (a wrong limit), has
  no limit or a random one; holds if every one converges (at n^-1/2, slower, or
  degenerate at its exact value); inconclusive otherwise, settled by more replicates R
  or a larger n_max (or by an exact value or a resolved tail index, which no data give).
- identity(s, a == b): the largest per-batch |a - b| over all replicates and n is within
  the identity's tolerance; a broken identity refutes whatever the limits say. Identities
  are algebra checked in code (evidence_kind `algebraic (code check)`); claims that also
  need a limit are `both`.
- Variance ratios (antithetic-factor, control-variate-factor, antithetic-negative-control,
  gan-real-fraction): n Var = n EmpSE^2 at the largest n on R replicates; the ratio of two
  independent points has the F interval ratio / F_{1-a/2}(R_top - 1, R_bottom - 1) to
  ratio / F_{a/2}(...), at 99% (simultaneous over a claim's k pairs: each at 1 - 0.01/k).
  Refuted if it excludes the exact ratio; inconclusive if it contains it and also 1
  where the exact ratio is <= 1/2 or >= 2 (gan-real-fraction: always, as it claims a
  larger variance), with the R per scenario that excludes 1 with probability 0.99;
  premise not met without a finite variance; holds otherwise. Controls (dependent-data's
  n Var against theory) use the chi-squared interval at the level of 4 sigma (0.99994).
- First-order terms of models trained on the batch (gan-trained-discriminator, optimism-tic):
  n (mean - exact) at the largest n with MCSE n x bias_mcse against the declared constant b of
  E estimate = exact + b/n (tr(J^-1 K)/2 for the excess risk and the train gap); refuted beyond
  4 MCSE, holds within when the term is also told from 0 by 4 MCSE, inconclusive otherwise.
  Coverage claims (logistic-regression-mle; dependent-data on a fitted scenario) compare the
  share of R covering intervals at the largest n with 0.95, or with the exact asymptotic
  coverage, within 4 binomial SE.
- Formula losses (focal-gamma-zero, lsgan-optimal-value): an identity on every batch, or an exact
  limit against a closed form computed by an independent quadrature (within 1e-9), and the
  formula's quantity converging by the mapping above.
- Several scenarios: each gets its own verdict (column `scenarios`); the first refuted
  one decides, else the first inconclusive, else the first that holds; `premise not met`
  only when no assigned scenario can test the claim. The row's numbers (estimate, CI,
  quantity verdict) are those of the deciding scenario (column `scenario`).
- Each claim's own rule (in its `rule` column) states how these combine, including what
  would flip it; mcloss.evidence.iid (iid-check) and mcloss.evidence.coverage
  (clt-coverage) state theirs with their bounds.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from .claim_rules import (
    CLAIM_COLUMNS,
    DECIDES_FIRST,
    EVIDENCE_KINDS,
    INCONCLUSIVE,
    LEGEND,
    NOT_RUN,
    VERDICTS,
    Z_LIMIT,
    Claim,
    Evidence,
)
from .fit_claims import FIT_CLAIMS, gan_trained_discriminator, logistic_regression_mle, optimism_tic
from .formula_claims import FORMULA_CLAIMS, focal_gamma_zero, lsgan_optimal_value
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
    "CLAIMS", "CLAIM_COLUMNS", "DECIDES_FIRST", "EVIDENCE_KINDS", "FIT_CLAIMS", "FORMULA_CLAIMS", "LEGEND",
    "PLAN_CLAIMS", "SOURCE_CLAIMS", "VERDICTS",
    "Z_LIMIT",
    "Claim", "Evidence", "judge",
    # the source texts' rules, read by the tests as claims.<rule>
    "bce_bernoulli_mle", "cauchy_no_lln", "ce2_equals_bce", "clt_coverage", "dependent_data", "gan_limit_pz",
    "gan_misplaced_scaling", "gan_optimal_jsd", "gan_real_fraction", "iid_check", "label_smoothing",
    "mse_gaussian_nll", "nll_is_cross_entropy",
    # the fitted models' rules
    "gan_trained_discriminator", "logistic_regression_mle", "optimism_tic",
    # the formula losses' rules
    "focal_gamma_zero", "lsgan_optimal_value",
]

#: Every claim, in the order of the table: the source texts' own, those about fitted models, then the sampling plans'.
CLAIMS: tuple[Claim, ...] = SOURCE_CLAIMS + FIT_CLAIMS + FORMULA_CLAIMS + PLAN_CLAIMS


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
            rows.append({**head, "scenario": ",".join(scenarios), "verdict": NOT_RUN,
                         "scenarios": "; ".join(f"{s}: {NOT_RUN}" for s in missing),
                         "detail": f"scenarios not in this run: {', '.join(missing) or '(none assigned)'}"})
            continue
        try:
            row = {**head, **claim.judge(evidence, scenarios)}
        except (KeyError, IndexError, ValueError, TypeError) as err:
            # An assigned scenario that does not report what the rule reads (wrong estimand, empty table).
            rows.append({**head, "scenario": ",".join(scenarios), "verdict": NOT_RUN,
                         "scenarios": "; ".join(f"{s}: {NOT_RUN}" for s in scenarios),
                         "detail": f"the assigned scenarios lack what the rule reads: {type(err).__name__}: {err}"})
            continue
        if row["verdict"] not in VERDICTS:
            raise RuntimeError(f"claim {claim.claim_id}: rule returned {row['verdict']!r}, not one of {VERDICTS}")
        if not row.get("scenarios"):
            row["scenarios"] = f"{row['scenario']}: {row['verdict']}"
        if row["verdict"] != INCONCLUSIVE:
            row["settle"] = ""
        rows.append(row)
    return pd.DataFrame(rows).reindex(columns=CLAIM_COLUMNS)
