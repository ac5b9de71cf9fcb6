"""E f(X) for a term that is smooth except at known kinks: tanh-sinh in probability space, split at the kinks.

    E f(X) = int_0^1 f(Q(u)) du = sum over pieces [u_a, u_b] of int f(Q(u)) du,

where the u_k are the probabilities F(x_k) of the points x_k at which one of the term's *kink
arguments* k_j(x) changes sign (abs(k) is not differentiable at k = 0, maximum(a, b) where
a - b = 0, where(a < b, ..) jumps there). Inside a piece the integrand is smooth, and the
tanh-sinh rule in u (Takahasi & Mori 1974; as `mcloss.maths.quantile_rule`)

    u(t) = u_a + (u_b - u_a) (1 + tanh(pi/2 sinh t)) / 2

converges double-exponentially, even with the integrable endpoint singularities of a term growing
polynomially in a heavy tail; a kink left inside a piece would cut it to an algebraic rate (1e-4,
not 1e-8, for a hinge). The x_k are bracketed on a grid of quantiles and refined by bisection in x
to full precision, then mapped to u with the law's cdf and sf (so a piece in a far tail keeps its
width). The step is halved until two successive rules agree to ``rtol``; InaccurateQuadrature
otherwise (the value is unknown, never guessed).

Rows: ``expect_rows`` integrates many functions at once, one per row, each with kinks of its own:
the inner integral of a nested expectation E_x E_e f(x, e) at every outer node x (the rows).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import scipy.special

from .exact import InaccurateQuadrature

#: Nodes whose u or 1 - u is below this carry weight below ~1e-290 and are left out.
SMALLEST_U = 1e-280
#: The tanh-sinh variable's range: beyond |t| = 6.1, min(u, 1 - u) < SMALLEST_U.
T_MAX = 6.1
#: Probabilities of the bracketing grid (tanh-sinh spaced, so both tails are searched down to ~1e-200).
BRACKET_STEP = 1.0 / 24.0
#: Steps of the rule tried in turn; two successive agreeing values settle the integral.
STEPS = (1.0 / 4.0, 1.0 / 8.0, 1.0 / 16.0, 1.0 / 32.0, 1.0 / 64.0)

Kinks = Callable[[np.ndarray], Sequence[np.ndarray]]


def _quantiles(law, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Q(u) from u (``lower``) or 1 - u (``upper``), whichever is the smaller: full precision in both tails."""
    with np.errstate(all="ignore"):
        return np.where(lower <= upper, law.ppf(np.minimum(lower, 0.5)), law.isf(np.minimum(upper, 0.5)))


def _bracket_grid(law) -> np.ndarray:
    """Points x of the law at tanh-sinh spaced probabilities, increasing (finite ones only)."""
    t = np.arange(-T_MAX, T_MAX + BRACKET_STEP / 2, BRACKET_STEP)
    g = np.pi * np.sinh(t)
    lower, upper = scipy.special.expit(g), scipy.special.expit(-g)
    x = _quantiles(law, lower, upper)
    return np.unique(x[np.isfinite(x)])


def kink_points(kinks: Kinks, law, rows: int = 1, iterations: int = 200) -> list[np.ndarray]:
    """Per row, the sorted points x where a kink argument changes sign (bracketed on a quantile grid, bisected).

    ``kinks(x)`` takes x of shape (rows, m) and returns arrays broadcastable to it, one per kink argument.
    A sign change between two neighbouring grid points is refined by bisection to adjacent floats; a
    kink argument that touches 0 without changing sign is no kink (the term is smooth there).
    """
    grid = _bracket_grid(law)
    x = np.broadcast_to(grid, (rows, grid.size))
    found: list[list[float]] = [[] for _ in range(rows)]
    with np.errstate(all="ignore"):
        values = [np.broadcast_to(np.asarray(k, dtype=np.float64), x.shape) for k in kinks(x)]
    for j, value in enumerate(values):
        sign = np.sign(value)
        change = (sign[:, :-1] * sign[:, 1:] < 0) | ((sign[:, :-1] == 0) & (sign[:, 1:] != 0) & (np.arange(
            grid.size - 1) > 0))
        row, col = np.nonzero(change)
        if row.size == 0:
            continue
        # Row r's brackets sit in columns 0, 1, ... of a (rows, width) array (NaN elsewhere): each step
        # evaluates the kink at one point per bracket, however many rows there are.
        slot = np.arange(row.size) - np.searchsorted(row, row)
        width = int(slot.max()) + 1
        lo, hi = grid[col].copy(), grid[col + 1].copy()
        lo_sign = sign[row, col]
        for _ in range(iterations):
            mid = 0.5 * (lo + hi)
            if np.all((mid == lo) | (mid == hi)):
                break
            at = np.full((rows, width), np.nan)
            at[row, slot] = mid
            with np.errstate(all="ignore"):
                mid_value = np.broadcast_to(np.asarray(kinks(at)[j], dtype=np.float64), at.shape)
            left = np.sign(mid_value[row, slot]) == lo_sign
            lo, hi = np.where(left, mid, lo), np.where(left, hi, mid)
        for r, point in zip(row, 0.5 * (lo + hi)):
            found[r].append(float(point))
    return [np.unique(np.asarray(points, dtype=np.float64)) for points in found]


def _pieces(law, points: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per row, the pieces' ends as (u_a, 1 - u_a, u_b, 1 - u_b), each (rows, P), padded with empty pieces."""
    width = 1 + max((p.size for p in points), default=0)
    rows = len(points)
    lower = np.ones((rows, width + 1))
    upper = np.zeros((rows, width + 1))
    lower[:, 0], upper[:, 0] = 0.0, 1.0
    for r, p in enumerate(points):
        if p.size:
            lower[r, 1:p.size + 1], upper[r, 1:p.size + 1] = law.cdf(p), law.sf(p)
    return lower[:, :-1], upper[:, :-1], lower[:, 1:], upper[:, 1:]


def _rule(law, ends, step: float) -> tuple[np.ndarray, np.ndarray]:
    """Nodes x and weights w, each (rows, P * m), of the tanh-sinh rule of step ``step`` on every piece."""
    lo_a, up_a, lo_b, up_b = (e[..., None] for e in ends)
    t = np.arange(-T_MAX, T_MAX + step / 2, step)
    g = np.pi * np.sinh(t)
    rise, fall = scipy.special.expit(g), scipy.special.expit(-g)     # (1 + tanh(g/2)) / 2 and its complement
    # The width from whichever end is known to full precision (a piece in the upper tail: from 1 - u).
    width = np.where(up_a < 0.5, up_a - up_b, lo_b - lo_a)
    lower = lo_a + width * rise
    upper = up_b + width * fall
    weights = width * step * np.pi * np.cosh(t) * rise * fall
    keep = (np.minimum(lower, upper) >= SMALLEST_U) & (width > 0.0)
    nodes = _quantiles(law, np.where(keep, lower, 0.5), np.where(keep, upper, 0.5))
    keep &= np.isfinite(nodes)
    rows = lo_a.shape[0]
    return (np.where(keep, nodes, np.nanmedian(nodes)).reshape(rows, -1),
            np.where(keep, weights, 0.0).reshape(rows, -1))


def _sum(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        products = values * weights
    # Far in a tail a term may overflow where its weight is ~0 (as mcloss.maths.quantile_rule).
    products = np.where(np.isfinite(products) | (weights > 1e-200), products, 0.0)
    return np.add.reduce(products, axis=-1)


def expect_rows(f: Callable[[np.ndarray], np.ndarray], law, kinks: Kinks | None = None, rows: int = 1,
                rtol: float = 1e-12, what: str = "an expectation") -> np.ndarray:
    """E f_r(X) for r = 0 ... rows - 1, X ~ law (a frozen continuous scipy.stats law), split at each row's kinks.

    ``f(x)`` takes x of shape (rows, m) and returns values of that shape (row r: f_r). Halves the
    step until every row's value changes by at most rtol x max(1, |value|); InaccurateQuadrature if not.
    """
    points = kink_points(kinks, law, rows) if kinks is not None else [np.empty(0)] * rows
    ends = _pieces(law, points)
    previous = None
    for step in STEPS:
        nodes, weights = _rule(law, ends, step)
        with np.errstate(all="ignore"):
            value = _sum(np.broadcast_to(np.asarray(f(nodes), dtype=np.float64), nodes.shape), weights)
        if previous is not None and np.all(np.abs(value - previous) <= rtol * np.maximum(1.0, np.abs(value))):
            return value
        previous = value
    raise InaccurateQuadrature(f"tanh-sinh quadrature of {law.dist.name}{law.args or ''} {law.kwds or ''} for "
                               f"{what} did not settle to {rtol:g} at step {STEPS[-1]:g}: exact value unknown")


def expect(f: Callable[[np.ndarray], np.ndarray], law, kinks: Kinks | None = None, rtol: float = 1e-12,
           what: str = "an expectation") -> float:
    """E f(X), X ~ law, split at the points where one of ``kinks(x)`` changes sign (`expect_rows` with one row)."""
    return float(expect_rows(f, law, kinks, 1, rtol, what)[0])


def expect_nested(f: Callable[[np.ndarray, np.ndarray], np.ndarray], outer, inner,
                  kinks: Callable[[np.ndarray, np.ndarray], Sequence[np.ndarray]] | None = None,
                  rtol: float = 1e-12, what: str = "an expectation") -> float:
    """E_X E_E f(X, E), X ~ outer and E ~ inner independent, the inner integral split at its kinks for each x.

    The outer integrand x -> E_E f(x, E) is smooth where the inner law has a smooth density (the
    inner integral averages the kinks out), so the outer rule is unsplit; the inner one, at every
    outer node (the rows of `expect_rows`), is split where a kink argument changes sign in e.
    ``f(x, e)`` and ``kinks(x, e)`` take x of shape (rows, 1) and e of shape (rows, m).
    """
    ends = _pieces(outer, [np.empty(0)])
    previous = None
    for step in STEPS[:-1]:
        nodes, weights = _rule(outer, ends, step)
        x = nodes.reshape(-1, 1)
        inner_kinks = None if kinks is None else (lambda e, x=x: kinks(x, e))
        values = expect_rows(lambda e, x=x: f(x, e), inner, inner_kinks, rows=x.shape[0], rtol=rtol, what=what)
        value = float(_sum(values[None, :], weights)[0])
        if previous is not None and abs(value - previous) <= rtol * max(1.0, abs(value)):
            return value
        previous = value
    raise InaccurateQuadrature(f"nested tanh-sinh quadrature over {outer.dist.name} and {inner.dist.name} for "
                               f"{what} did not settle to {rtol:g}: exact value unknown")
