"""Inverse CDFs of common continuous laws straight from scipy.special (the sampler seam's fast path).

A frozen scipy.stats law's ``ppf``/``isf`` checks its arguments, builds masks and scatters the
result back (``np.place``) around the family's own formula ``_ppf(u) * scale + loc``; for the
uniforms a plan hands over (clipped into (0, 1), valid parameters, checked at config time) only
the formula matters. `quantile_functions` returns it for the families below, each written as
scipy 1.17 writes it, so the numbers are the ppf's to the bit (``tests/test_sampling.py`` compares
them on a grid of u including both tails), and ``(dist.ppf, dist.isf)`` for every other family:

========  =====================================  =====================================
family    ppf(u)                                 isf(u) = ppf(1 - u)
========  =====================================  =====================================
norm      ndtri(u)                               -ndtri(u)
logistic  logit(u)                               -logit(u)
expon     -log1p(-u)                             -log(u)
uniform   u                                      1 - u
t         stdtrit(df, u)                         -stdtrit(df, u)
cauchy    tan(pi (u - 1/2)), cotangent tails     -ppf(u)
========  =====================================  =====================================

(each times scale plus loc). scipy's Cauchy quantile is a Boost ufunc with no public name, so
the Cauchy row is numpy's: tan(pi (u - 1/2)) for u in [1/4, 3/4] and -1/tan(pi u),
1/tan(pi (1 - u)) in the tails, where u - 1/2 and 1 - u are exact; it agrees with scipy's to a
few ulps, not to the bit (docs/reproducibility.md).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

# scipy.special is imported where it is used: an iid stream needs no quantile function.

Quantile = Callable[[np.ndarray], np.ndarray]


def _cauchy_ppf(u: np.ndarray) -> np.ndarray:
    """Standard Cauchy quantile tan(pi (u - 1/2)), accurate to a few ulps over (0, 1) including both tails."""
    out = np.empty(np.shape(u))
    low, high = u < 0.25, u > 0.75
    middle = ~(low | high)
    out[low] = -1.0 / np.tan(np.pi * u[low])
    out[high] = 1.0 / np.tan(np.pi * (1.0 - u[high]))
    out[middle] = np.tan(np.pi * (u[middle] - 0.5))
    return out


def _standard(name: str, shapes: dict[str, float]) -> tuple[Quantile, Quantile] | None:
    """The standard law's (ppf, isf) for the families with a scipy.special inverse, else None."""
    import scipy.special as sc

    if name == "norm":
        return sc.ndtri, lambda u: -sc.ndtri(u)
    if name == "logistic":
        return sc.logit, lambda u: -sc.logit(u)
    if name == "expon":
        return lambda u: -sc.log1p(-u), lambda u: -np.log(u)
    if name == "uniform":
        return lambda u: u, lambda u: 1.0 - u
    if name == "t":
        df = shapes["df"]
        return lambda u: sc.stdtrit(df, u), lambda u: -sc.stdtrit(df, u)
    if name == "cauchy":
        return _cauchy_ppf, lambda u: -_cauchy_ppf(u)
    return None


#: The families `quantile_functions` computes itself (every other one goes through ppf/isf).
FAST_FAMILIES = ("norm", "logistic", "expon", "uniform", "t", "cauchy")


def quantile_functions(dist) -> tuple[Quantile, Quantile]:
    """(ppf, isf) of a frozen scipy.stats law, for u strictly inside (0, 1).

    By a scipy.special formula for the families of `FAST_FAMILIES` given by keywords (as
    mcloss.laws.distributions freezes every law), else the law's own ``ppf`` and ``isf``.
    """
    name = getattr(getattr(dist, "dist", None), "name", None)
    kwds = dict(getattr(dist, "kwds", {}) or {})
    if getattr(dist, "args", ()) or name not in FAST_FAMILIES:
        return dist.ppf, dist.isf
    loc, scale = float(kwds.pop("loc", 0.0)), float(kwds.pop("scale", 1.0))
    standard = _standard(name, {k: float(v) for k, v in kwds.items()})
    if standard is None:
        return dist.ppf, dist.isf
    ppf, isf = standard
    # scipy's order of operations: _ppf(u) * scale + loc.
    return (lambda u: ppf(u) * scale + loc), (lambda u: isf(u) * scale + loc)
