import numpy as np
import pytest

from mcloss.maths.grid import batch_grid


def test_grid_is_geometric_and_ends_at_max():
    grid = batch_grid(1, 10**6, 8)
    assert grid[0] == 1 and grid[-1] == 10**6
    assert np.all(np.diff(grid) > 0)
    # 8 points a decade over 6 decades; small n collapse after rounding.
    assert 40 <= grid.size <= 49
    assert {10, 100, 1000, 10**4, 10**5} <= set(grid.tolist())


@pytest.mark.parametrize("unit", [2, 4, 10, 3])
def test_grid_snaps_to_unit(unit):
    grid = batch_grid(1, 10**5, 8, unit)
    assert np.all(grid % unit == 0)
    assert grid[0] == unit
    assert grid[-1] == (10**5 // unit) * unit


def test_grid_rejects_bad_bounds():
    with pytest.raises(ValueError):
        batch_grid(10, 5, 8)
