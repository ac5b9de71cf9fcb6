"""The laws of the config as light objects: numpy draws for the families numpy's Generator implements.

A `Law` is a family name with its keywords (shapes by name, ``loc``, ``scale``): X = loc + scale Z,
Z of the family's standard law. For the families of `NATIVE` it draws Z by a numpy
``Generator`` method and knows its support and domain itself, so that a simulate job never
imports scipy.stats (whose import, with scipy.integrate, optimize and special, was 60-90% of a job's
start-up, issue 24). Everything else (``ppf``, ``logpdf``, ``mean``, ``moment``, ``expect``, ...)
is the frozen scipy.stats law's, created on first use (`Law.frozen`); every other family draws
by scipy's own ``rvs`` too. ``law.dist`` (a `Family`), ``law.args`` and ``law.kwds`` read as a frozen
scipy law's do.

The draws, each times scale plus loc (scipy's order: ``Z * scale + loc``):

=============  ==================================  =========================================
family         Z                                   numbers, against scipy 1.17's ``rvs``
=============  ==================================  =========================================
norm           standard_normal                     the same bits (scipy calls the same method)
t              standard_t(df)                      the same bits
gamma          standard_gamma(a)                   the same bits
beta           beta(a, b)                          the same bits
uniform        uniform(0, 1)                       the same bits
expon          standard_exponential                the same bits
logistic       logistic                            the same bits
laplace        laplace(0, 1)                       the same bits
lognorm        exp(s standard_normal)              the same bits
chi2           chisquare(df)                       the same bits
f              f(dfn, dfd)                         the same bits
halfnorm       |standard_normal|                   the same bits
triang         triangular(0, c, 1)                 the same bits
cauchy         standard_cauchy                     new: scipy inverts a uniform, ppf(U)
halfcauchy     |standard_cauchy|                   new (inversion)
lomax          pareto(c): exp(E / c) - 1           new (inversion)
pareto         1 + pareto(b)                       new (inversion)
weibull_min    weibull(c): E^(1/c)                 new (inversion)
weibull_max    -weibull(c)                         new (inversion)
gumbel_r       gumbel: -log(-log U)                new (inversion)
gumbel_l       -gumbel                             new (inversion)
powerlaw       power(a): (1 - e^-E)^(1/a)          new (inversion)
=============  ==================================  =========================================

(E standard exponential, U uniform.) Each "new" row draws the same law by numpy's own
transformation of its variates instead of scipy's ppf of one uniform: the law is the same, the
numbers are not (docs/reproducibility.md); tests/test_families.py checks every row against scipy's
cdf, and the "same bits" rows against scipy's ``rvs`` bit for bit.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

INF = math.inf


def _positive(*shapes: float) -> bool:
    # scipy's default _argcheck: every shape > 0.
    return all(s > 0 for s in shapes)


@dataclass(frozen=True)
class Native:
    """A family numpy draws: its shape names (scipy's order), domain, standard support and standard draw."""

    shapes: tuple[str, ...]
    draw: Callable[..., Any]                      # (rng, size, *shapes) -> Z
    support: tuple[float, float] = (-INF, INF)    # of Z (scipy's a, b)
    domain: Callable[..., bool] = _positive       # scipy's _argcheck
    same_bits: bool = True                        # scipy's rvs calls the same numpy method


#: The families drawn by numpy, by scipy.stats name (the table of the module docstring).
NATIVE: dict[str, Native] = {
    "norm": Native((), lambda rng, size: rng.standard_normal(size)),
    "t": Native(("df",), lambda rng, size, df: rng.standard_t(df, size=size)),
    "gamma": Native(("a",), lambda rng, size, a: rng.standard_gamma(a, size), (0.0, INF)),
    "beta": Native(("a", "b"), lambda rng, size, a, b: rng.beta(a, b, size), (0.0, 1.0)),
    "uniform": Native((), lambda rng, size: rng.uniform(0.0, 1.0, size), (0.0, 1.0)),
    "expon": Native((), lambda rng, size: rng.standard_exponential(size), (0.0, INF)),
    "logistic": Native((), lambda rng, size: rng.logistic(size=size)),
    "laplace": Native((), lambda rng, size: rng.laplace(0, 1, size=size)),
    "lognorm": Native(("s",), lambda rng, size, s: np.exp(s * rng.standard_normal(size)), (0.0, INF)),
    "chi2": Native(("df",), lambda rng, size, df: rng.chisquare(df, size), (0.0, INF)),
    "f": Native(("dfn", "dfd"), lambda rng, size, dfn, dfd: rng.f(dfn, dfd, size), (0.0, INF)),
    "halfnorm": Native((), lambda rng, size: abs(rng.standard_normal(size=size)), (0.0, INF)),
    "triang": Native(("c",), lambda rng, size, c: rng.triangular(0, c, 1, size), (0.0, 1.0),
                     domain=lambda c: 0 <= c <= 1),
    "cauchy": Native((), lambda rng, size: rng.standard_cauchy(size), same_bits=False),
    "halfcauchy": Native((), lambda rng, size: np.abs(rng.standard_cauchy(size)), (0.0, INF), same_bits=False),
    "lomax": Native(("c",), lambda rng, size, c: rng.pareto(c, size), (0.0, INF), same_bits=False),
    "pareto": Native(("b",), lambda rng, size, b: rng.pareto(b, size) + 1.0, (1.0, INF), same_bits=False),
    "weibull_min": Native(("c",), lambda rng, size, c: rng.weibull(c, size), (0.0, INF), same_bits=False),
    "weibull_max": Native(("c",), lambda rng, size, c: -rng.weibull(c, size), (-INF, 0.0), same_bits=False),
    "gumbel_r": Native((), lambda rng, size: rng.gumbel(size=size), same_bits=False),
    "gumbel_l": Native((), lambda rng, size: -rng.gumbel(size=size), same_bits=False),
    "powerlaw": Native(("a",), lambda rng, size, a: rng.power(a, size), (0.0, 1.0), same_bits=False),
}


@functools.cache
def scipy_family(name: str):
    """scipy.stats' own family ``name`` (an rv_continuous instance); imports scipy.stats."""
    import scipy.stats

    return getattr(scipy.stats, name)


class Family:
    """A continuous family by its scipy.stats name; calling it with keywords gives a `Law`.

    ``name`` and ``shapes`` (scipy's comma-separated shape names, None without shapes) need no scipy for
    the families of `NATIVE`; any other attribute is scipy's family's (``_parse_args``, ``_logpdf``, ...).
    """

    def __init__(self, name: str):
        self.name = name

    @property
    def shapes(self) -> str | None:
        native = NATIVE.get(self.name)
        if native is None:
            return scipy_family(self.name).shapes
        return ", ".join(native.shapes) or None

    def __call__(self, *args, **kwds) -> Law:
        return Law(self, args, kwds)

    def __getattr__(self, attr: str):
        if attr.startswith("__") or attr == "name":
            raise AttributeError(attr)
        return getattr(scipy_family(self.name), attr)

    def __repr__(self) -> str:
        return f"Family({self.name!r})"


class Law:
    """X = loc + scale Z, Z of family ``dist``'s standard law with shapes ``kwds`` (the config's keywords).

    Draws and support are numpy's for the families of `NATIVE` given by keyword with scale > 0 inside
    their domain; everything else is the frozen scipy.stats law's (`frozen`, created on first use).
    """

    def __init__(self, family: Family, args: tuple = (), kwds: dict | None = None):
        self.dist, self.args, self.kwds = family, tuple(args), dict(kwds or {})
        self.native = self._native()

    def _native(self) -> tuple[Native, tuple[float, ...], float, float] | None:
        """(the family's row, its shapes, loc, scale) where numpy draws this law, else None."""
        native = NATIVE.get(self.dist.name)
        if native is None or self.args or not set(self.kwds) <= {*native.shapes, "loc", "scale"}:
            return None
        if not all(s in self.kwds for s in native.shapes):
            return None
        shapes = tuple(float(self.kwds[s]) for s in native.shapes)
        loc, scale = float(self.kwds.get("loc", 0.0)), float(self.kwds.get("scale", 1.0))
        if not (all(map(math.isfinite, (*shapes, loc, scale))) and scale > 0 and native.domain(*shapes)):
            return None
        return native, shapes, loc, scale

    @functools.cached_property
    def frozen(self):
        """The frozen scipy.stats law (imports scipy.stats on first use)."""
        return scipy_family(self.dist.name)(*self.args, **self.kwds)

    def rvs(self, size=None, random_state=None):
        """Draws: ``Z * scale + loc`` by numpy for a native law and a Generator, else scipy's ``rvs``."""
        if self.native is None or not isinstance(random_state, np.random.Generator):
            return self.frozen.rvs(size=size, random_state=random_state)
        native, shapes, loc, scale = self.native
        return native.draw(random_state, size, *shapes) * scale + loc

    def support(self):
        """(a scale + loc, b scale + loc), [a, b] the standard law's support, as scipy computes it."""
        if self.native is None:
            return self.frozen.support()
        native, _, loc, scale = self.native
        a, b = native.support
        return a * scale + loc, b * scale + loc

    def __reduce__(self):
        # Rebuilt from its family and keywords: its table row holds functions, which pickle does not carry.
        return Law, (self.dist, self.args, self.kwds)

    def __getattr__(self, attr: str):
        # Only what the instance does not have: scipy's methods, through the frozen law.
        if attr.startswith("__") or attr in ("dist", "args", "kwds", "native", "frozen"):
            raise AttributeError(attr)
        return getattr(self.frozen, attr)

    def __repr__(self) -> str:
        return f"{self.dist.name}({', '.join(f'{k}={v!r}' for k, v in self.kwds.items())})"
