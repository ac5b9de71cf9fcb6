"""Exact expectations by adaptive quadrature, and the closed forms that check them.

E f(X) = int f(x) p(x) dx is split at quantiles of X (so that the mass is found
whatever the location and scale) and each piece is integrated with
scipy.integrate.quad (QUADPACK; infinite pieces by its change of variable). scipy.integrate and
scipy.special are imported where they are used: a simulate job imports this module, not them.
A QUADPACK warning is not a verdict: an infinite tail that QUADPACK cannot settle
is integrated again in log space, and reported as NaN ("no finite limit") only
when its mass on decade shells does not shrink; what neither route settles raises
InaccurateQuadrature (the exact value is unknown, never guessed).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import numpy as np

#: Quantile levels at which an expectation over a law is split (the mass is found wherever the law puts it).
BREAK_PROBS = (1e-6, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 1 - 1e-6)


class InaccurateQuadrature(ArithmeticError):
    """QUADPACK neither converged nor reported divergence: the exact value is unknown."""


def expectation(f: Callable[[np.ndarray], np.ndarray], dist, rtol: float = 1e-10) -> float:
    """E f(X), X ~ dist (a frozen continuous scipy.stats distribution).

    Returns NaN only when E|f(X)| is shown to be infinite: the mass of |f| p on
    decade shells of an infinite tail, integrated in log space, does not shrink
    (`tail_mass_decay`). A QUADPACK warning alone ("probably divergent, or slowly
    convergent") never does: such a tail is integrated again in log space,
    x = c + w (e^u - 1), where a power tail x^-(1+alpha) becomes e^(-alpha u).
    Raises InaccurateQuadrature when neither route settles the value.
    """
    lo, hi = dist.support()
    cuts = np.unique(np.concatenate([[lo], dist.ppf(BREAK_PROBS), [hi]]))
    logpdf = scalar_logpdf(dist)

    def integrand(x):
        return float(f(np.asarray([x]))[0]) * math.exp(logpdf(x))

    def absolute(x):
        return abs(integrand(x))

    total = 0.0
    for a, b in zip(cuts[:-1], cuts[1:]):
        if not b > a:
            continue
        value = _piece(integrand, absolute, a, b, rtol)
        if not math.isfinite(value):
            if math.isinf(a) or math.isinf(b):
                return float("nan")
            raise InaccurateQuadrature(
                f"quadrature of an expectation over {dist.dist.name}{dist.args or ''} {dist.kwds or ''} on "
                f"[{a:g}, {b:g}] did not converge: exact value unknown")
        total += value
    return total


def scalar_logpdf(dist) -> Callable[[float], float]:
    """log p(x) for one x, as ``dist.logpdf(x)`` computes it, for a frozen continuous law.

    ``logpdf`` checks and broadcasts its arguments on every call (about 0.1 ms, most of a quadrature's
    time); this evaluates what it evaluates strictly inside the support, the law's own ``_logpdf`` at
    z = (x - loc) / scale minus log(scale) (numpy's log, as scipy takes it), with the arguments parsed
    once. Where z is not strictly inside the standard support (an end, or a point that rounds onto or
    past one) it is scipy's own path, so the values are the same (tests/test_exact.py compares them bit
    for bit).
    """
    law = getattr(dist, "dist", None)
    try:
        shapes, loc, scale = law._parse_args(*dist.args, **dist.kwds)
        log_scale = float(np.log(np.asarray([scale], dtype=float))[0])
        shapes = tuple(np.asarray([value], dtype=float) for value in shapes)
        lo, hi = (float(end) for end in law._get_support(*shapes))
        law._logpdf(np.asarray([0.5 * (lo + hi) if math.isfinite(lo + hi) else 0.0]), *shapes)
    except Exception:   # not an rv_continuous frozen law: scipy's own path
        return lambda x: float(dist.logpdf(x))

    def logpdf(x: float) -> float:
        z = (x - loc) / scale
        if not lo < z < hi:
            return float(dist.logpdf(x))
        return float(law._logpdf(np.asarray([z]), *shapes)[0] - log_scale)

    return logpdf


def _quad(fn, a, b, rtol):
    import scipy.integrate

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", scipy.integrate.IntegrationWarning)
        value, error = scipy.integrate.quad(fn, a, b, limit=500, epsabs=1e-13, epsrel=rtol)
    return value, error, bool(caught)


def _accurate(value: float, error: float) -> bool:
    return math.isfinite(value) and error <= max(1e-9, 1e-7 * abs(value))


#: Whether `_piece` evaluates f p once per node for its two quadratures (off only to test that it changes nothing).
MEMOISE = True


def _memoised(fn: Callable[[float], float]) -> Callable[[float], float]:
    """``fn`` computing each value once (keyed by x and its sign: f(-0.0) may differ from f(0.0))."""
    values: dict[tuple[float, float], float] = {}

    def once(x: float) -> float:
        key = (x, math.copysign(1.0, x))
        value = values.get(key)
        if value is None:
            value = values[key] = fn(x)
        return value

    return once


def _piece(integrand, absolute, a: float, b: float, rtol: float) -> float:
    """int_a^b f p; NaN where an infinite tail of |f| p is divergent; raises where unresolved."""
    infinite = math.isinf(a) or math.isinf(b)
    # The piece is integrated twice, |f| p and then f p. Where f keeps its sign QUADPACK meets the same error
    # estimates, so it evaluates the second integrand at the first one's nodes: each value is computed once (a
    # third less time for the default scenarios' exact values, docs/performance.md) and the results are the same
    # to the bit. The tail checks below evaluate elsewhere and are not memoised.
    once = _memoised(integrand) if MEMOISE else integrand
    abs_value, abs_error, abs_warned = _quad((lambda x: abs(once(x))) if MEMOISE else absolute, a, b, rtol)
    settled = not abs_warned and _accurate(abs_value, abs_error)
    if settled or not infinite:
        value, error, warned = _quad(once, a, b, rtol)
        if settled and not warned and _accurate(value, error):
            return value
    if not infinite:
        if _accurate(value, error):
            return value   # a warning with a small error estimate (an integrable singularity)
        raise InaccurateQuadrature(f"quadrature on [{a:g}, {b:g}] did not converge (estimate {value:.6g} +- "
                                   f"{error:.2g}): exact value unknown")
    decay = tail_mass_decay(absolute, a, b)
    if decay is None:
        raise InaccurateQuadrature(f"the tail on [{a:g}, {b:g}] neither converges nor diverges clearly: "
                                   "exact value unknown")
    if decay <= DIVERGENT_DECAY:
        return float("nan")
    value, error = _log_space(integrand, a, b, rtol, decay)
    if not _accurate(value, error):
        raise InaccurateQuadrature(f"log-space quadrature of the tail on [{a:g}, {b:g}] did not converge "
                                   f"(estimate {value:.6g} +- {error:.2g}): exact value unknown")
    return value


#: Shell masses of a tail shrinking by less than this many decades per decade of x: divergent.
DIVERGENT_DECAY = 0.005
#: ... by more than this: convergent. Between the two the tail is unresolved.
CONVERGENT_DECAY = 0.02
_SHELLS = 24           # decades of x beyond the finite end (x up to ~1e24 times its scale)


def _log_map(a: float, b: float):
    end, sign = (b, -1.0) if math.isinf(a) else (a, 1.0)
    width = max(1.0, abs(end))

    def pulled_back(fn):
        # x = end + sign * width * (e^u - 1), dx = width e^u du
        def g(u):
            x = end + sign * width * math.expm1(u)
            if not math.isfinite(x):
                return 0.0
            with np.errstate(over="ignore"):
                # far out a density's x^2 may overflow: its logpdf is then -inf, the weight 0
                return fn(x) * width * math.exp(u)
        return g

    return pulled_back


def _shell_masses(fn, a: float, b: float) -> np.ndarray:
    import scipy.integrate

    g = _log_map(a, b)(fn)
    edges = np.arange(_SHELLS + 1) * math.log(10.0)
    masses = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", scipy.integrate.IntegrationWarning)
            # Masses to ~1e-4 relative are plenty for a decay rate.
            masses.append(scipy.integrate.quad(g, lo, hi, limit=50, epsrel=1e-4)[0])
    return np.asarray(masses)


def tail_mass_decay(absolute: Callable[[float], float], a: float, b: float) -> float | None:
    """Decades lost per decade of x by the mass of |f| p on decade shells of an infinite tail.

    Shells [10^k, 10^(k+1)] of the distance from the finite end, integrated in log
    space. A power tail |f| p ~ x^-(1+alpha) gives alpha (> 0: finite, <= 0: infinite);
    light tails give masses that vanish (returned as inf). None: the last shells do
    not follow a power law clearly enough to tell.
    """
    masses = _shell_masses(absolute, a, b)
    positive = masses > 0
    if not positive.any() or not positive[-8:].all():
        return math.inf          # the mass vanishes: a light tail
    logs = np.log10(masses[-8:])
    decay = -float(np.polyfit(np.arange(8.0), logs, 1)[0])
    if decay <= DIVERGENT_DECAY or decay >= CONVERGENT_DECAY:
        return decay
    return None


def _log_space(integrand, a: float, b: float, rtol: float, decay: float) -> tuple[float, float]:
    """The tail integral in log space, out to where the shell masses (shrinking by 10^-decay per decade
    of x) fall below 1e-16 of the first, or x ~ 1e150 (x^2 still finite); a geometric remainder beyond is added and
    counted in the error estimate."""
    import scipy.integrate

    g = _log_map(a, b)(integrand)
    decades = 150 if not math.isfinite(decay) else int(min(150, math.ceil(16.0 / decay) + 2))
    edges = np.concatenate([[0.0, 1.0, 3.0], np.arange(1, decades + 1) * math.log(10.0)])
    value = error = last = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", scipy.integrate.IntegrationWarning)
            last, e = scipy.integrate.quad(g, lo, hi, limit=200, epsabs=1e-16, epsrel=rtol)
        value, error = value + last, error + e
    if math.isfinite(decay) and decay > 0:
        ratio = 10.0 ** -decay
        remainder = last * ratio / (1.0 - ratio)
        value, error = value + remainder, error + 0.1 * abs(remainder)
    return value, error


def entropy(dist) -> float:
    """Differential entropy H(p) = -E log p(X) by quadrature (checks scipy's closed forms)."""
    return -expectation(dist.logpdf, dist)


def jensen_shannon(p, q) -> float:
    """JSD(p || q) = H(m) - (H(p) + H(q)) / 2 with m = (p + q) / 2, in nats.

    H(m) is the only part computed by quadrature; H(p) and H(q) come from the
    distributions' own ``entropy()`` (closed forms for most scipy families), so
    this route is independent of the discriminator-based one in estimands/gan.py.
    """

    def log_m(x):
        return np.logaddexp(p.logpdf(x), q.logpdf(x)) - math.log(2.0)

    h_m = -0.5 * (expectation(log_m, p) + expectation(log_m, q))
    return h_m - 0.5 * (float(p.entropy()) + float(q.entropy()))


def triangular_discrimination(p, q) -> float:
    """Delta(p, q) = int (p - q)^2 / (p + q) dx (Le Cam's triangular discrimination, in [0, 2]).

    With r = log p - log q, (p - q)^2 / (p + q) = (p + q) tanh^2(r / 2), so Delta = E_p tanh^2(r/2) +
    E_q tanh^2(r/2): two bounded expectations by QUADPACK (`expectation`), no ratio of small densities.
    The least-squares GAN's discriminator loss at D* = p / (p + q), real fraction 1/2, is 1/4 - Delta/8.
    """

    def squared(x):
        return np.tanh(0.5 * (p.logpdf(x) - q.logpdf(x))) ** 2

    return expectation(squared, p) + expectation(squared, q)


def log_binomial_coefficient(n, k) -> np.ndarray:
    """log C(n, k) via log-gamma (exact for the float range)."""
    import scipy.special

    n, k = np.asarray(n), np.asarray(k)
    return scipy.special.gammaln(n + 1.0) - scipy.special.gammaln(k + 1.0) - scipy.special.gammaln(n - k + 1.0)


def binomial_logpmf(k, n, p) -> np.ndarray:
    """log Binomial(k; n, p) = log C(n, k) + k log p + (n - k) log(1 - p), for whole 0 <= k <= n.

    Written as scipy.stats.binom computes it inside its support (scipy 1.17's ``binom._logpmf``:
    gammaln(n + 1) - (gammaln(k + 1) + gammaln(n - k + 1)) + xlogy(k, p) + xlog1py(n - k, -p)), so the
    values are ``scipy.stats.binom.logpmf(k, n, p)``'s to the bit (tests/test_binary_cross_entropy.py),
    without importing scipy.stats.
    """
    import scipy.special as sc

    k, n = np.floor(np.asarray(k, dtype=np.float64)), np.asarray(n, dtype=np.float64)
    combiln = sc.gammaln(n + 1) - (sc.gammaln(k + 1) + sc.gammaln(n - k + 1))
    return combiln + sc.xlogy(k, p) + sc.xlog1py(n - k, -p)


def bernoulli_logpmf(y, p) -> np.ndarray:
    """log Bernoulli(y; p) = y log p + (1 - y) log(1 - p), y in {0, 1}: `binomial_logpmf` with n = 1,
    which is how scipy.stats.bernoulli computes it (the same bits)."""
    return binomial_logpmf(y, 1.0, p)
