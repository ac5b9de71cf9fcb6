"""A law's tail index per side, and scipy's own word on its moments: the law-level evidence of `tails`.

The tail index alpha of a side is the exponent of P(X > x) ~ L(x) x^-alpha as x -> +inf (``right``) or
of P(X < -x) as x -> +inf (``left``), L slowly varying; inf where the side is bounded or falls faster
than any power (every moment of that side finite). E|X|^j < inf iff alpha > j on both sides.

Three routes give it, in this order (`side_index` names the one used):

- **bounded support**: a finite end of ``law.support()`` makes that side light (inf).
- **family table**: the scipy families below, with alpha in closed form from their shapes. Each row
  follows from the family's survival function (or density) as written in scipy's documentation; each
  is checked against scipy's moments by tests/test_tail_audit.py, at scipy's own default shapes.
- **sf slope**: the local slope of log P(tail > x) on log x at two far quantiles (1e-9, 1e-13), read from
  ``logsf``/``logcdf`` at ``isf``/``ppf``. It is a hypothesis good to about `SLOPE_TOLERANCE` (the two
  probes must agree that closely; slowly varying factors bias it), so a moment whose threshold lies
  within that tolerance is left undecided. Where scipy's ``isf`` returns a point at which its own
  ``sf`` underflows (levy_stable: ``sf(isf(1e-9)) = 0``), or ``logsf`` is not finite, the slope is
  unknown (None), never light: underflow is a numerical limit, not a tail.

`scipy_moment_finite` is the independent check: scipy's ``stats(moments="mv")`` (finite or inf/nan)
for orders 1 and 2 and ``moment(j)`` for even j >= 4, computed on the standard law (loc 0, scale 1:
finiteness does not depend on them). A value that came with a QUADPACK IntegrationWarning, an even
moment that is not positive, or one below (E X^2)^(j/2) (Lyapunov's inequality) is not evidence (None):
scipy's generic numerical moments can return a finite number for a divergent integral. (They can
also miss a divergence without any of these signs: studentized_range(3, 10) gets a finite E X^10 by
nquad although its sf ~ x^-10. Such a miss makes the sources disagree, and the tails unresolved.)
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable

import numpy as np

INF = math.inf

#: Relative precision of a tail index read from the slope of log sf: the two probes must agree this closely.
SLOPE_TOLERANCE = 0.05


def _stable(k: dict) -> tuple[float, float]:
    # alpha < 2: P(X > x) ~ c (1 + beta) x^-alpha and P(X < -x) ~ c (1 - beta) x^-alpha (Samorodnitsky &
    # Taqqu, Prop. 1.2.15), so beta = -1 (+1) leaves the right (left) side lighter than any power;
    # alpha = 2 is the normal law, light on both sides.
    alpha, beta = k["alpha"], k["beta"]
    if alpha >= 2.0:
        return INF, INF
    return (INF if beta == 1.0 else alpha), (INF if beta == -1.0 else alpha)


def _kappa4(k: dict) -> tuple[float, float]:
    # Quantile x(F) = (1 - ((1 - F^h) / h)^k) / k. As F -> 1, (1 - F^h) / h ~ 1 - F, so for k < 0
    # x ~ (1 - F)^k / |k|: P(X > x) ~ x^(1/k). As F -> 0 with h < 0 < k, x ~ -F^(h k) / (k |h|^k):
    # P(X < -x) ~ x^(-1 / (|h| k)). Every other side is bounded or exponential.
    h, kk = k["h"], k["k"]
    return (-1.0 / (h * kk) if (h < 0 < kk) else INF), (-1.0 / kk if kk < 0 else INF)


# (left, right) tail indices from the shape parameters; the survival function that gives each is in the
# comment. A side that is bounded for these shapes is caught by the support check before the table.
POWER_TAILS: dict[str, Callable[[dict], tuple[float, float]]] = {
    "t": lambda k: (k["df"], k["df"]),                  # density ~ |x|^-(df + 1)
    "cauchy": lambda k: (1.0, 1.0),
    "skewcauchy": lambda k: (1.0, 1.0),                 # density ~ |x|^-2 / (1 +- a)^2 per side
    "halfcauchy": lambda k: (INF, 1.0),
    "foldcauchy": lambda k: (INF, 1.0),                 # |Cauchy(c, 1)|
    "levy": lambda k: (INF, 0.5),                       # sf = 2 Phi(1 / sqrt x) - 1 ~ x^-1/2
    "levy_l": lambda k: (0.5, INF),
    "levy_stable": _stable,
    "landau": lambda k: (INF, 1.0),                     # density ~ x^-2 on the right, double-exponential left
    "alpha": lambda k: (INF, 1.0),                      # density = phi(a - 1/x) / (x^2 Phi(a)) ~ x^-2
    "pareto": lambda k: (INF, k["b"]),                  # sf = x^-b
    "lomax": lambda k: (INF, k["c"]),                   # sf = (1 + x)^-c
    "invgamma": lambda k: (INF, k["a"]),                # density ~ x^-(a + 1)
    "invweibull": lambda k: (INF, k["c"]),              # sf = 1 - exp(-x^-c) ~ x^-c
    "fisk": lambda k: (INF, k["c"]),                    # sf = 1 / (1 + x^c)
    "burr": lambda k: (INF, k["c"]),                    # Burr III: sf = 1 - (1 + x^-c)^-d ~ d x^-c
    "burr12": lambda k: (INF, k["c"] * k["d"]),         # Burr XII: sf = (1 + x^c)^-d ~ x^-(c d)
    "mielke": lambda k: (INF, k["s"]),                  # cdf = x^k / (1 + x^s)^(k/s): sf ~ (k/s) x^-s
    "kappa3": lambda k: (INF, k["a"]),                  # cdf = x (a + x^a)^(-1/a): sf ~ x^-a
    "genpareto": lambda k: (INF, 1.0 / k["c"] if k["c"] > 0 else INF),   # sf = (1 + c x)^(-1/c)
    "genextreme": lambda k: (INF, -1.0 / k["c"] if k["c"] < 0 else INF),  # Frechet side for c < 0
    "gengamma": lambda k: (INF, -k["c"] * k["a"] if k["c"] < 0 else INF),  # c < 0: density ~ x^(c a - 1)
    "f": lambda k: (INF, k["dfd"] / 2.0),               # density ~ x^-(dfd/2 + 1)
    "ncf": lambda k: (INF, k["dfd"] / 2.0),
    "betaprime": lambda k: (INF, k["b"]),               # density ~ x^-(b + 1)
    "loglaplace": lambda k: (INF, k["c"]),              # sf = x^-c / 2 for x >= 1
    "dpareto_lognorm": lambda k: (INF, k["a"]),         # Pareto factor on the right: sf ~ x^-a
    "rel_breitwigner": lambda k: (INF, 3.0),            # density ~ x^-4
    "jf_skew_t": lambda k: (2.0 * k["a"], 2.0 * k["b"]),  # density ~ |x|^-(2a + 1) left, x^-(2b + 1) right
    "crystalball": lambda k: (k["m"] - 1.0, INF),       # power-law left side: density ~ |x|^-m
    "studentized_range": lambda k: (INF, k["df"]),      # range / s, s^2 ~ chi2(df) / df: sf ~ x^-df
    "tukeylambda": lambda k: ((-1.0 / k["lam"],) * 2 if k["lam"] < 0 else (INF, INF)),  # x(F) ~ F^lam / lam
    "kappa4": _kappa4,
}
# Families whose unbounded sides fall faster than any power: every moment finite, though not all are
# light in the exponential sense (lognorm, gibrat, johnsonsu, powerlognorm have log-normal tails).
LIGHT = frozenset({
    "norm", "logistic", "laplace", "laplace_asymmetric", "gumbel_r", "gumbel_l", "expon", "gamma", "chi", "chi2",
    "rayleigh", "weibull_min", "weibull_max", "exponweib", "exponpow", "lognorm", "gibrat", "johnsonsu",
    "powerlognorm", "exponnorm", "skewnorm", "gennorm", "halfgennorm", "hypsecant", "maxwell", "invgauss",
    "recipinvgauss", "wald", "halfnorm", "halflogistic", "erlang", "nakagami", "rice", "loggamma", "genlogistic",
    "norminvgauss", "genhyperbolic", "geninvgauss", "foldnorm", "fatiguelife", "moyal", "ncx2",
    "pearson3", "powernorm", "gompertz", "dgamma", "dweibull", "kstwobign", "uniform", "beta", "triang",
    "truncnorm", "vonmises"})   # vonmises: scipy's support is the real line, its mass lies in [-pi, pi]


def shapes_of(law) -> dict[str, float]:
    """The shape parameters of a frozen law by name (given positionally or by keyword)."""
    names = [s.strip() for s in (law.dist.shapes or "").split(",") if s.strip()]
    found = {k: float(v) for k, v in law.kwds.items() if k in names}
    found.update({name: float(v) for name, v in zip(names, law.args)})
    return found


def _numeric_index(law, side: str) -> float | None:
    """Tail index from the local slope of log P(tail > x) on log x, at two far quantiles (None: unclear).

    At p = 1e-9 and 1e-13, x = isf(p) (ppf(p) on the left) and the slope is -(log P(> 1.5x) - log P(> x)) /
    log 1.5. Rules: scipy's sf must agree with its isf at x (|log sf(x) - log p| <= 1% of |log p|) and both
    logs must be finite and decreasing, else None (underflow or an inaccurate sf is not a light tail);
    a slope that steepens by more than 25% between the probes, or exceeds 200, is a tail lighter than any
    power we could need (inf); two slopes within `SLOPE_TOLERANCE` give the farther one; else None.
    """
    probs = (1e-9, 1e-13)
    slopes = []
    for p in probs:
        x = float(law.isf(p)) if side == "right" else float(law.ppf(p))
        if not math.isfinite(x) or (x <= 0.0 if side == "right" else x >= 0.0):
            return None
        x2 = x * 1.5
        with np.errstate(all="ignore"):
            logs = ((float(law.logsf(x)), float(law.logsf(x2))) if side == "right"
                    else (float(law.logcdf(x)), float(law.logcdf(x2))))
        if not all(math.isfinite(v) for v in logs) or not logs[1] < logs[0]:
            return None
        if abs(logs[0] - math.log(p)) > 0.01 * abs(math.log(p)):
            return None                    # sf and isf disagree: scipy's far tail is not accurate here
        slopes.append(-(logs[1] - logs[0]) / math.log(1.5))
    if slopes[1] > 1.25 * slopes[0] or slopes[1] > 200.0:
        return INF                         # steepening: lighter than any power
    if abs(slopes[1] - slopes[0]) <= SLOPE_TOLERANCE * max(slopes[1], 1e-9):
        return slopes[1]
    return None


def side_index(law, side: str) -> tuple[float | None, str, float]:
    """(alpha, route, relative tolerance) of one side: inf light, None unknown; route as in the module doc."""
    lo, hi = law.support()
    if (side == "left" and math.isfinite(lo)) or (side == "right" and math.isfinite(hi)):
        return INF, "bounded support", 0.0
    name = law.dist.name
    if name in POWER_TAILS:
        left, right = POWER_TAILS[name](shapes_of(law))
        return float(left if side == "left" else right), "family table", 0.0
    if name in LIGHT:
        return INF, "family table", 0.0
    return _numeric_index(law, side), "sf slope", SLOPE_TOLERANCE


def tail_index(law, side: str) -> float | None:
    """alpha with P(X > x) ~ x^-alpha (side 'right') or P(X < -x) ~ x^-alpha ('left'); inf: light; None: unknown."""
    return side_index(law, side)[0]


def moment_finite(index: float | None, order: float, tolerance: float = 0.0) -> bool | None:
    """E|Y|^order < inf for a tail index ``index`` of Y: index > order.

    None where the index is unknown, or lies within ``tolerance`` (relative) of ``order`` (an index read
    from a slope cannot tell a moment at its threshold).
    """
    if index is None:
        return None
    if tolerance > 0 and abs(index - order) <= tolerance * order:
        return None
    return index > order


def scipy_moment_finite(law, order: int) -> bool | None:
    """E|X|^order < inf by scipy's own moments (orders 1, 2 and even orders >= 4; None: scipy does not say)."""
    if order not in (1, 2) and (order < 4 or order % 2):
        return None                        # an odd moment can cancel, or be scipy's garbage (pareto(2.5))
    shapes = tuple(sorted(shapes_of(law).items()))
    return _scipy_moment(law.dist.name, shapes, order)


@functools.lru_cache(maxsize=1024)
def _scipy_moment(name: str, shapes: tuple, order: int) -> bool | None:
    mean, var = _scipy_mv(name, shapes)
    if order <= 2:
        return judge_moment(order, (mean, var)[order - 1], var)
    return judge_moment(order, _scipy_call(lambda law: float(law.moment(order)), name, shapes), var)


def judge_moment(order: int, value: float | None, var: float | None) -> bool | None:
    """What scipy's value of E X^order (``var``: its variance) says about E|X|^order: finite, infinite, or None.

    inf/nan: infinite (scipy's closed forms return them for divergent moments). A finite value counts only
    if it is possible: a variance >= 0, and for order >= 4, E X^j >= (E X^2)^(j/2) >= Var^(j/2) (Lyapunov),
    with a finite variance. None (no value) stays None.
    """
    if value is None:
        return None
    if not math.isfinite(value):
        return False
    if order == 2 and value < 0:
        return None
    if order > 2 and not (var is not None and math.isfinite(var) and value > 0
                          and value >= var ** (order / 2) * (1 - 1e-9)):
        return None
    return True


@functools.lru_cache(maxsize=512)
def _scipy_mv(name: str, shapes: tuple) -> tuple[float | None, float | None]:
    found = _scipy_call(lambda law: tuple(float(v) for v in law.stats(moments="mv")), name, shapes)
    return found if found is not None else (None, None)


def _scipy_call(what, name: str, shapes: tuple):
    """``what`` of the standard law, or None where scipy raises or its quadrature warns."""
    # Imported here: the family table above needs no scipy (a simulate job checks its laws by it alone).
    import scipy.integrate
    import scipy.stats

    law = getattr(scipy.stats, name)(**dict(shapes))
    with warnings.catch_warnings(record=True) as caught, np.errstate(all="ignore"):
        warnings.simplefilter("always")
        try:
            value = what(law)
        except (ArithmeticError, ValueError, TypeError):
            return None                    # scipy's numerics raised: it states nothing
    if any(issubclass(w.category, scipy.integrate.IntegrationWarning) for w in caught):
        return None
    return value
