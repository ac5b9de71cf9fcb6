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
    import scipy.special  # here, not at the top: every estimand module imports this one (issue 24)

    lower, upper = scipy.special.expit(g), scipy.special.expit(-g)
    x = _quantiles(law, lower, upper)
    return np.unique(x[np.isfinite(x)])


def _values_at(kinks: Kinks, j: int, rows: int, row: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Kink argument j at one point per entry: entry i at ``points[i]`` of row ``row[i]``.

    Row r's points sit in columns 0, 1, ... of a (rows, width) array (NaN elsewhere): one evaluation of the
    kinks, however many rows there are.
    """
    slot = np.arange(row.size) - np.searchsorted(row, row, sorter=None)
    width = int(slot.max()) + 1 if row.size else 1
    at = np.full((rows, width), np.nan)
    at[row, slot] = points
    with np.errstate(all="ignore"):
        value = np.broadcast_to(np.asarray(kinks(at)[j], dtype=np.float64), at.shape)
    return value[row, slot]


def _double_roots(kinks: Kinks, j: int, rows: int, grid: np.ndarray, value: np.ndarray, iterations: int = 90):
    """Brackets (row, lo, hi) around the roots of a kink argument that dips through 0 between two grid points.

    A pair of roots closer together than the grid (square(y - m) < eps^2) shows no sign change on it, only
    a local minimum of |k| with the same sign on both sides. Golden-section search for the extremum of k
    there (towards 0); where it has the other sign, each side of it brackets one root.
    """
    a = np.abs(value)
    inner = (a[:, 1:-1] < a[:, :-2]) & (a[:, 1:-1] <= a[:, 2:]) & (np.sign(value[:, :-2]) == np.sign(value[:, 1:-1])) \
        & (np.sign(value[:, 2:]) == np.sign(value[:, 1:-1])) & (value[:, 1:-1] != 0)
    row, col = np.nonzero(inner)
    if row.size == 0:
        return row, np.empty(0), np.empty(0)
    col = col + 1
    sign = np.sign(value[row, col])
    lo, hi = grid[col - 1].copy(), grid[col + 1].copy()
    ratio = (np.sqrt(5.0) - 1.0) / 2.0
    for _ in range(iterations):
        c, d = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
        fc, fd = sign * _values_at(kinks, j, rows, row, c), sign * _values_at(kinks, j, rows, row, d)
        left = ~(fc > fd)                       # the minimum of sign * k lies in [lo, d]
        lo, hi = np.where(left, lo, c), np.where(left, d, hi)
    middle = 0.5 * (lo + hi)
    crossed = sign * _values_at(kinks, j, rows, row, middle) < 0
    row, middle, col = row[crossed], middle[crossed], col[crossed]
    return (np.concatenate([row, row]), np.concatenate([grid[col - 1], middle]),
            np.concatenate([middle, grid[col + 1]]))


def _bisect(kinks: Kinks, j: int, rows: int, row: np.ndarray, lo: np.ndarray, hi: np.ndarray,
            iterations: int = 200) -> np.ndarray:
    """The sign changes of kink argument j inside the brackets [lo, hi] (one per bracket), to adjacent floats."""
    order = np.argsort(row, kind="stable")
    row, lo, hi = row[order], lo[order].copy(), hi[order].copy()
    lo_sign = np.sign(_values_at(kinks, j, rows, row, lo))
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        if np.all((mid == lo) | (mid == hi)):
            break
        left = np.sign(_values_at(kinks, j, rows, row, mid)) == lo_sign
        lo, hi = np.where(left, mid, lo), np.where(left, hi, mid)
    return row, 0.5 * (lo + hi)


def kink_points(kinks: Kinks, law, rows: int = 1, grid: np.ndarray | None = None) -> list[np.ndarray]:
    """Per row, the sorted points x where a kink argument changes sign (bracketed on a quantile grid, bisected).

    ``kinks(x)`` takes x of shape (rows, m) and returns arrays broadcastable to it, one per kink argument.
    A sign change between two neighbouring grid points, or a dip through 0 between them (two close roots,
    `_double_roots`), is refined by bisection to adjacent floats; a kink argument that touches 0 without
    changing sign is no kink (the term is smooth there). ``grid``: extra points to bracket on (sorted).
    """
    base = _bracket_grid(law)
    grid = base if grid is None else np.unique(np.concatenate([base, grid[np.isfinite(grid)]]))
    x = np.broadcast_to(grid, (rows, grid.size))
    found: list[list[float]] = [[] for _ in range(rows)]
    with np.errstate(all="ignore"):
        values = [np.broadcast_to(np.asarray(k, dtype=np.float64), x.shape) for k in kinks(x)]
    for j, value in enumerate(values):
        sign = np.sign(value)
        change = (sign[:, :-1] * sign[:, 1:] < 0) | ((sign[:, :-1] == 0) & (sign[:, 1:] != 0) & (np.arange(
            grid.size - 1) > 0))
        row, col = np.nonzero(change)
        dip_row, dip_lo, dip_hi = _double_roots(kinks, j, rows, grid, value)
        row = np.concatenate([row, dip_row]).astype(np.intp)
        if row.size == 0:
            continue
        row, points = _bisect(kinks, j, rows, row, np.concatenate([grid[col], dip_lo]),
                              np.concatenate([grid[col + 1], dip_hi]))
        for r, point in zip(row, points):
            found[r].append(float(point))
    return [np.unique(np.asarray(points, dtype=np.float64)) for points in found]


def _missed(kinks: Kinks, rows: int, nodes: np.ndarray, weights: np.ndarray, pieces: int) -> list[np.ndarray]:
    """Per row, the nodes of the final rule between which a kink argument changes sign inside one piece.

    The bracketing grid can miss a feature narrower than its spacing; the rule's nodes, denser, may not.
    Returns bracket ends [a, b] (as a (k, 2) array per row) to bisect; empty when every piece is clean.
    """
    x = nodes.reshape(rows, pieces, -1)
    used = weights.reshape(rows, pieces, -1) > 0
    found: list[list[tuple[float, float]]] = [[] for _ in range(rows)]
    with np.errstate(all="ignore"):
        values = [np.broadcast_to(np.asarray(k, dtype=np.float64), nodes.shape).reshape(x.shape)
                  for k in kinks(nodes)]
    for value in values:
        both = used[..., :-1] & used[..., 1:]
        change = both & (np.sign(value[..., :-1]) * np.sign(value[..., 1:]) < 0)
        for r, p, i in zip(*np.nonzero(change)):
            found[r].append((float(x[r, p, i]), float(x[r, p, i + 1])))
    return [np.asarray(f, dtype=np.float64).reshape(-1, 2) for f in found]


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
    import scipy.special

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
    step until every row's value changes by at most rtol x max(1, |value|); then checks the kinks at
    the final nodes: a sign change inside a piece (a feature the bracketing grid missed) is bisected,
    split at and integrated again. InaccurateQuadrature if a rule does not settle.
    """
    points = kink_points(kinks, law, rows) if kinks is not None else [np.empty(0)] * rows
    for _ in range(4):
        ends = _pieces(law, points)
        value, nodes, weights = _settle(f, law, ends, rtol, what)
        if kinks is None:
            return value
        missed = _missed(kinks, rows, nodes, weights, ends[0].shape[1])
        if not any(m.size for m in missed):
            return value
        row = np.concatenate([np.full(m.shape[0], r) for r, m in enumerate(missed)]).astype(np.intp)
        brackets = np.concatenate(missed)
        added = [np.empty(0)] * rows
        for j in range(len(kinks(np.zeros((rows, 1))))):
            sign = np.sign(_values_at(kinks, j, rows, np.sort(row), brackets[np.argsort(row, kind="stable"), 0]))
            other = np.sign(_values_at(kinks, j, rows, np.sort(row), brackets[np.argsort(row, kind="stable"), 1]))
            keep = sign * other < 0
            if not np.any(keep):
                continue
            order = np.argsort(row, kind="stable")
            r, found = _bisect(kinks, j, rows, row[order][keep], brackets[order, 0][keep], brackets[order, 1][keep])
            for i in range(rows):
                added[i] = np.concatenate([added[i], found[r == i]])
        # Nodes within rounding of a break already made can straddle it: only a new point is a missed kink.
        new = [a[np.all(np.abs(a[:, None] - p[None, :]) > 1e-9 * np.maximum(1.0, np.abs(a))[:, None], axis=1)]
               if p.size else a for p, a in zip(points, added)]
        if not any(a.size for a in new):
            return value
        points = [np.unique(np.concatenate([p, a])) for p, a in zip(points, new)]
    raise InaccurateQuadrature(f"quadrature of {law.dist.name}{law.args or ''} {law.kwds or ''} for {what}: its "
                               "kinks kept appearing inside the pieces: exact value unknown")


def _settle(f, law, ends, rtol: float, what: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The rule's value on the pieces ``ends`` at halving steps, until two agree; with the last nodes and weights."""
    previous = None
    for step in STEPS:
        nodes, weights = _rule(law, ends, step)
        with np.errstate(all="ignore"):
            value = _sum(np.broadcast_to(np.asarray(f(nodes), dtype=np.float64), nodes.shape), weights)
        with np.errstate(invalid="ignore"):
            settled = previous is not None and np.all(np.abs(value - previous) <= rtol * np.maximum(1.0, np.abs(value)))
        if settled:
            return value, nodes, weights
        previous = value
    raise InaccurateQuadrature(f"tanh-sinh quadrature of {law.dist.name}{law.args or ''} {law.kwds or ''} for "
                               f"{what} did not settle to {rtol:g} at step {STEPS[-1]:g}: exact value unknown")


def expect(f: Callable[[np.ndarray], np.ndarray], law, kinks: Kinks | None = None, rtol: float = 1e-12,
           what: str = "an expectation") -> float:
    """E f(X), X ~ law, split at the points where one of ``kinks(x)`` changes sign (`expect_rows` with one row)."""
    return float(expect_rows(f, law, kinks, 1, rtol, what)[0])


def _outer_kinks(kinks, inner) -> Kinks:
    """The kink arguments that do not involve e (equal at two values of e), as functions of x alone."""
    e1, e2 = float(inner.median()), float(inner.ppf(0.3))

    def at(x, e):
        flat = np.asarray(x, dtype=np.float64).reshape(-1, 1)
        with np.errstate(all="ignore"):
            return [np.broadcast_to(np.asarray(k, dtype=np.float64), flat.shape).reshape(np.shape(x))
                    for k in kinks(flat, np.full(flat.shape, e))]

    def outer(x):
        first, second = at(x, e1), at(x, e2)
        return [a for a, b in zip(first, second) if np.array_equal(a, b, equal_nan=True)]

    return outer


def expect_nested(f: Callable[[np.ndarray, np.ndarray], np.ndarray], outer, inner,
                  kinks: Callable[[np.ndarray, np.ndarray], Sequence[np.ndarray]] | None = None,
                  rtol: float = 1e-12, what: str = "an expectation") -> float:
    """E_X E_E f(X, E), X ~ outer and E ~ inner independent, the inner integral split at its kinks for each x.

    A kink whose argument involves e is averaged out by the inner integral where the inner law has a
    smooth density: the inner rule, at every outer node (the rows of `expect_rows`), is split where it
    changes sign in e. A kink argument that does not involve e (the same at two values of e, e.g.
    maximum(0, x - 0.3)) stays a kink of x -> E_E f(x, E): the outer rule is split at its roots.
    ``f(x, e)`` and ``kinks(x, e)`` take x of shape (rows, 1) and e of shape (rows, m).
    """
    ends = _pieces(outer, [np.empty(0)] if kinks is None else kink_points(_outer_kinks(kinks, inner), outer))
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
