"""Damped Newton minimisation of a smooth convex function, with the outcome stated.

Each step solves H d = -g and halves d until the function decreases (Armijo's condition with
constant 1e-4; near the minimum, where values differ by rounding only, the full step). It stops
when the Newton decrement g' H^-1 g falls below ``tolerance`` x (1 + |f|), after one last step
taken without evaluating f again (theta is then within O(decrement) of the minimiser, f within
O(decrement^1.5)). It reports failure instead of a value where there is no finite minimiser: a
parameter that grows past ``bound`` (logistic separation: the batch loss decreases along a ray
to its infimum and no finite theta attains it), a singular or indefinite Hessian, or
``max_steps`` steps. The p x p solves are LAPACK calls on matrices of a few rows: deterministic,
no threads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

#: Newton decrements below this (relative to 1 + |f|) take the full step without a line search.
FULL_STEP = 1e-10


@dataclass(frozen=True)
class Minimum:
    """theta, f, gradient and Hessian at the last point; ``found`` False: no finite minimiser (why)."""

    theta: np.ndarray
    value: float
    gradient: np.ndarray
    hessian: np.ndarray
    steps: int
    found: bool
    why: str = ""
    #: Where gradient and Hessian were last evaluated (theta itself, unless the last step was taken unevaluated).
    evaluated_at: np.ndarray | None = None


def minimise(fgh: Callable[[np.ndarray], tuple[float, np.ndarray, np.ndarray]], start: np.ndarray,
             tolerance: float = 1e-24, max_steps: int = 100, bound: float = 1e6) -> Minimum:
    """The minimiser of f from ``start``; ``fgh(theta)`` returns (f, gradient, Hessian)."""
    theta = np.array(start, dtype=np.float64)
    value, grad, hess = fgh(theta)
    for step in range(max_steps + 1):
        if not (np.isfinite(value) and np.all(np.isfinite(grad)) and np.all(np.isfinite(hess))):
            return Minimum(theta, value, grad, hess, step, False, "non-finite loss, gradient or Hessian")
        try:
            direction = -np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            return Minimum(theta, value, grad, hess, step, False, "singular Hessian")
        decrement = -float(grad @ direction)
        if not decrement >= 0.0:        # negative, or NaN from an ill-conditioned solve
            return Minimum(theta, value, grad, hess, step, False, "Hessian not positive definite")
        if decrement <= tolerance * (1.0 + abs(value)):
            # The last Newton step is taken without another evaluation: in the region of quadratic
            # convergence it leaves theta within O(decrement) of the minimiser, and f falls by decrement / 2
            # to within O(decrement^3/2). The gradient and Hessian returned are those of the last evaluation.
            return Minimum(theta + direction, value - 0.5 * decrement, grad, hess, step, True, "", theta)
        if step == max_steps:
            break
        scale = 1.0
        # Near the minimum (decrement below FULL_STEP) the values differ by rounding alone and cannot judge a
        # step: Newton's full step is taken, as in its region of quadratic convergence it should be.
        while decrement > FULL_STEP * (1.0 + abs(value)):
            trial = theta + scale * direction
            trial_value, trial_grad, trial_hess = fgh(trial)
            if np.isfinite(trial_value) and trial_value <= value - 1e-4 * scale * decrement:
                break
            scale *= 0.5
            if scale < 1e-10:
                # No decrease along a Newton direction whose decrement is above FULL_STEP: not a minimum.
                return Minimum(theta, value, grad, hess, step, False, "line search failed")
        if decrement <= FULL_STEP * (1.0 + abs(value)):
            trial = theta + direction
            trial_value, trial_grad, trial_hess = fgh(trial)
        theta, value, grad, hess = trial, trial_value, trial_grad, trial_hess
        if np.max(np.abs(theta)) > bound:
            return Minimum(theta, value, grad, hess, step + 1, False,
                           f"a coefficient passed {bound:g} (separated batch: no finite minimiser)")
    return Minimum(theta, value, grad, hess, max_steps, False, f"no convergence in {max_steps} Newton steps")
