"""The convergence table: the evidence of each scenario x quantity with the verdict its rules give.

mcloss.evidence.summarise measures (estimate, CI, coverage, slopes, tails copied from
the exact json); the rules of mcloss.judge.verdicts read one row at a time and add
``verdict``, ``reason`` and ``verdict_slope_of``. A degenerate estimator's spread is
rounding, so its CI, z and coverage are emptied.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mcloss.evidence.summarise import CONVERGENCE_COLUMNS, convergence_rows

from .verdicts import DEGENERATE, judge_quantity


def convergence_table(*args, **kwargs) -> pd.DataFrame:
    """The rows of `mcloss.evidence.summarise.convergence_rows` (same arguments), judged."""
    rows = convergence_rows(*args, **kwargs)
    for row in rows:
        verdict = judge_quantity(row)
        row.update(verdict=verdict.verdict, reason=verdict.reason, verdict_slope_of=verdict.slope_of)
        if verdict.verdict == DEGENERATE:
            row.update(ci_low=np.nan, ci_high=np.nan, z_score=np.nan, coverage=np.nan, coverage_mcse=np.nan)
    return pd.DataFrame(rows, columns=CONVERGENCE_COLUMNS)
