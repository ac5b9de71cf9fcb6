"""The convergence table: the evidence of each scenario x quantity with the verdict its rules give.

mcloss.evidence.summarise measures (estimate, CI, coverage, slopes, tails copied from
the exact json); the rules of mcloss.judge.verdicts read one row at a time and add
``verdict``, ``reason``, ``verdict_slope_of`` and ``detectable_bias`` (Z_LIMIT MCSE at the
largest n, for verdicts with a finite variance). Where the verdict has no variance (slower, no
limit, random limit), or the data contradict the declared tails, the MCSE, CI, z and coverage are
emptied; a degenerate estimator's spread
is rounding, so its CI, z and coverage are emptied too. Failed exact cross-checks (rule 9 of
mcloss.judge.verdicts) make every verdict of the scenario that rests on an exact value inconclusive.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from mcloss.estimands import ExactCheck
from mcloss.evidence.summarise import CONVERGENCE_COLUMNS, CONVERGENCE_VARIANCE_COLUMNS, check_holds, convergence_rows

from .verdicts import (
    DEGENERATE,
    INCONCLUSIVE,
    NO_LIMIT,
    RANDOM_LIMIT,
    RESTS_ON_EXACT,
    SLOWER,
    detectable_bias,
    judge_quantity,
    tails_contradicted,
)

#: Verdicts without a variance: their MCSE, CI, z and coverage are emptied.
_NO_VARIANCE = (SLOWER, NO_LIMIT, RANDOM_LIMIT)


def failed_checks(checks: Sequence[ExactCheck | Mapping]) -> list[tuple[str, tuple[str, ...]]]:
    """Each exact cross-check that fails (`mcloss.evidence.summarise.check_holds`): (name and numbers, the
    quantities it vouches for; empty: all)."""
    failed = []
    for check in checks:
        check = check if isinstance(check, ExactCheck) else ExactCheck(**check)
        if not check_holds(check):
            failed.append((f"{check.name} ({check.value:.10g} vs reference {check.reference:.10g}, tolerance "
                           f"{check.tolerance:.2g})", tuple(check.quantities)))
    return failed


def convergence_table(*args, checks: Sequence[ExactCheck] = (), **kwargs) -> pd.DataFrame:
    """The rows of `mcloss.evidence.summarise.convergence_rows` (same arguments), judged.

    ``checks``: the scenario's exact cross-checks (mcloss.estimands.ExactCheck, or their dicts as
    exact.json stores them); if one fails, every verdict in `RESTS_ON_EXACT` becomes inconclusive with
    the failed checks named and the verdict it would otherwise have had; a check that names the quantities it
    vouches for (`ExactCheck.quantities`) puts only those in doubt.
    """
    failed = failed_checks(checks)
    rows = convergence_rows(*args, **kwargs)
    for row in rows:
        verdict = judge_quantity(row)
        name, reason = verdict.verdict, verdict.reason
        doubts = [text for text, covers in failed if not covers or row["quantity"] in covers]
        if doubts and name in RESTS_ON_EXACT:
            reason = (f"exact cross-check failed: {'; '.join(doubts)}; the exact value is in doubt, so the verdict "
                      f"that rests on it ({name}: {reason}) is withheld")
            name = INCONCLUSIVE
        row.update(verdict=name, reason=reason, verdict_slope_of=verdict.slope_of,
                   detectable_bias=detectable_bias(name, row.get("estimate_mcse", np.nan),
                                                   row.get("iqr", np.nan)))
        if verdict.verdict in _NO_VARIANCE or tails_contradicted(row):
            row.update(dict.fromkeys(CONVERGENCE_VARIANCE_COLUMNS, np.nan))
        if verdict.verdict == DEGENERATE:
            row.update(ci_low=np.nan, ci_high=np.nan, z_score=np.nan, coverage=np.nan, coverage_mcse=np.nan)
    return pd.DataFrame(rows, columns=CONVERGENCE_COLUMNS)
