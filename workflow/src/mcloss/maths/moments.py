"""Prefix statistics of a per-sample term: the running (count, mean, M2) the engine records.

The estimand interface, the sampling plans and the engine all speak of a term through
these three arrays, one entry per checkpoint; nothing here knows where the samples came from.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TermStats:
    """Prefix statistics of one per-sample term at each checkpoint.

    ``count[k]`` samples lie behind checkpoint k; ``mean`` is their mean and
    ``m2`` the sum of squared deviations from it (Chan et al. 1979 updates).
    """

    count: np.ndarray
    mean: np.ndarray
    m2: np.ndarray

    @property
    def total(self) -> np.ndarray:
        return self.count * self.mean

    @property
    def var(self) -> np.ndarray:
        """Unbiased sample variance; NaN where fewer than two samples."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.count >= 2, self.m2 / np.maximum(self.count - 1, 1), np.nan)
