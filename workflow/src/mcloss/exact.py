"""Exact expectations by adaptive quadrature, and the closed forms that check them.

E f(X) = int f(x) p(x) dx is split at quantiles of X (so that the mass is found
whatever the location and scale) and each piece is integrated with
scipy.integrate.quad (QUADPACK; infinite pieces by its change of variable).
An integral that QUADPACK flags as divergent or inaccurate is reported as NaN,
"no finite limit", rather than as a number.
"""

from __future__ import annotations

import math
import warnings
from typing import Callable

import numpy as np
import scipy.integrate
import scipy.special

_BREAK_PROBS = (1e-6, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 1 - 1e-6)


class InaccurateQuadrature(ArithmeticError):
    """QUADPACK neither converged nor reported divergence: the exact value is unknown."""


def expectation(f: Callable[[np.ndarray], np.ndarray], dist, rtol: float = 1e-10) -> float:
    """E f(X), X ~ dist (a frozen continuous scipy.stats distribution).

    Returns NaN when E|f(X)| is not finite (QUADPACK reports divergence of the
    integral of |f| p), because then the law of large numbers has no limit to
    converge to; raises InaccurateQuadrature when it neither converges nor
    reports divergence.
    """
    lo, hi = dist.support()
    cuts = np.unique(np.concatenate([[lo], dist.ppf(_BREAK_PROBS), [hi]]))

    def integrand(x):
        return float(f(np.asarray([x]))[0]) * math.exp(dist.logpdf(x))

    def absolute(x):
        return abs(integrand(x))

    total = 0.0
    for a, b in zip(cuts[:-1], cuts[1:]):
        if not b > a:
            continue
        for fn in (absolute, integrand):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", scipy.integrate.IntegrationWarning)
                value, error = scipy.integrate.quad(fn, a, b, limit=500, epsabs=1e-13, epsrel=rtol)
            divergent = any("divergent" in str(w.message) for w in caught)
            if divergent or math.isinf(value):
                return float("nan")
            # A warning with a small error estimate (slow oscillating tails) is accepted. A
            # large one is not evidence of divergence (t(1.1) tails defeat QUADPACK although
            # E|X| is finite): stop rather than report "no limit" or a wrong number.
            if not math.isfinite(value) or error > max(1e-9, 1e-7 * abs(value)):
                if math.isinf(a) or math.isinf(b):
                    if _tail_diverges(absolute, a, b):
                        return float("nan")
                raise InaccurateQuadrature(
                    f"quadrature of an expectation over {dist.dist.name}{dist.args or ''} {dist.kwds or ''} on "
                    f"[{a:g}, {b:g}] did not converge (estimate {value:.6g} +- {error:.2g}): exact value unknown")
        total += value
    return total


def _tail_diverges(absolute: Callable[[float], float], a: float, b: float, decades: int = 16) -> bool:
    """Whether int |f| p over an infinite tail diverges, from its mass on decade shells.

    Shells [c + w 10^k, c + w 10^(k+1)] outward from the finite end c: for a finite
    integral the shell masses shrink geometrically (a power-law tail x^-(1+alpha)
    loses a factor 10^alpha per decade); masses that do not shrink over the last
    decades (alpha <= 0.005) mean divergence.
    """
    end, sign = (b, -1.0) if math.isinf(a) else (a, 1.0)
    width = max(1.0, abs(end))
    masses = []
    for k in range(decades):
        lo, hi = end + sign * width * (10.0**k - 1.0), end + sign * width * (10.0 ** (k + 1) - 1.0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", scipy.integrate.IntegrationWarning)
            mass, _ = scipy.integrate.quad(absolute, min(lo, hi), max(lo, hi), limit=200)
        masses.append(mass)
    tail = np.asarray(masses[-4:])
    if not np.all(tail > 0):
        return False
    alpha = -float(np.mean(np.diff(np.log10(tail))))
    return alpha <= 0.005


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


def log_binomial_coefficient(n, k) -> np.ndarray:
    """log C(n, k) via log-gamma (exact for the float range)."""
    return scipy.special.gammaln(np.asarray(n) + 1.0) - scipy.special.gammaln(np.asarray(k) + 1.0) - scipy.special.gammaln(
        np.asarray(n) - np.asarray(k) + 1.0
    )
