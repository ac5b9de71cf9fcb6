"""The geometric grid of batch sizes at which running estimates are recorded."""

from __future__ import annotations

import numpy as np


def batch_grid(n_min: int, n_max: int, per_decade: int, unit: int = 1) -> np.ndarray:
    """Batch sizes n_k = n_min * 10^(k / per_decade) up to n_max, snapped to multiples of ``unit``.

    Rounded to whole multiples of ``unit`` (so that e.g. n * real_fraction is a
    whole number of real samples), duplicates removed; n_max (rounded down to a
    multiple of ``unit``) is always the last point.
    """
    if not (1 <= n_min <= n_max) or per_decade < 1 or unit < 1:
        raise ValueError("need 1 <= n_min <= n_max, per_decade >= 1, unit >= 1")
    top = max(unit, (n_max // unit) * unit)
    steps = int(np.floor(per_decade * np.log10(n_max / n_min) + 1e-9))
    raw = n_min * 10.0 ** (np.arange(steps + 1) / per_decade)
    snapped = np.maximum(unit, np.rint(raw / unit).astype(np.int64) * unit)
    grid = np.unique(np.append(snapped[snapped <= top], top))
    return grid.astype(np.int64)


def power_of_two_grid(n_min: int, n_max: int, unit: int = 1) -> np.ndarray:
    """The powers of two 2^k with n_min <= 2^k <= n_max that are multiples of ``unit`` (randomized QMC).

    A scrambled Sobol' net is balanced at 2^k points, so the batch sizes of ``sampling: sobol`` are
    these (``per_decade`` does not apply). Raises ValueError when there is none.
    """
    if not (1 <= n_min <= n_max) or unit < 1:
        raise ValueError("need 1 <= n_min <= n_max, unit >= 1")
    powers = [1 << k for k in range(int(n_max).bit_length()) if n_min <= (1 << k) <= n_max and (1 << k) % unit == 0]
    if not powers:
        raise ValueError(f"no power of two between {n_min} and {n_max} is a multiple of {unit}")
    return np.asarray(powers, dtype=np.int64)
