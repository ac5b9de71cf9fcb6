"""Sampling laws given in the config as ``{dist: <scipy.stats name>, **keywords}``.

Any continuous distribution of scipy.stats is accepted with its own shape
keywords plus ``loc`` and ``scale``; the spec is checked here, before any job
runs, so that a typo fails with one line naming the key instead of deep in a job.
The law is a `mcloss.laws.families.Law`: the families numpy draws (`NATIVE`) are
checked without scipy.stats, which a simulate job of those families then never imports.
"""

from __future__ import annotations

import difflib
import math
import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np

from mcloss.errors import ConfigError
from mcloss.maths.tail_table import side_index

from .families import NATIVE, Family, Law


def continuous_names() -> list[str]:
    """Names of all continuous distributions in scipy.stats."""
    import scipy.stats

    return sorted(
        name
        for name in dir(scipy.stats)
        if isinstance(getattr(scipy.stats, name), scipy.stats.rv_continuous)
    )


#: Other names of scipy's laws, used only to suggest the scipy name of an unknown one (never accepted):
#: the names other libraries and textbooks use, which difflib's close matches miss (student_t is not close to t).
ALIASES = {
    "student_t": "t", "students_t": "t", "studentt": "t", "student": "t",
    "gaussian": "norm", "normal": "norm", "gauss": "norm",
    "exponential": "expon", "exp": "expon",
    "lognormal": "lognorm", "log_normal": "lognorm",
    "halfnormal": "halfnorm", "half_normal": "halfnorm",
    "chisquare": "chi2", "chi_square": "chi2", "chisquared": "chi2", "chi_squared": "chi2",
    "weibull": "weibull_min", "gumbel": "gumbel_r", "inverse_gamma": "invgamma",
    "inverse_gaussian": "invgauss", "beta_prime": "betaprime", "half_cauchy": "halfcauchy",
    "fisher": "f", "snedecor": "f", "frechet": "invweibull", "generalized_pareto": "genpareto",
    "gev": "genextreme", "triangular": "triang", "rectangular": "uniform",
}


def suggestions(name: str, names: list[str]) -> list[str]:
    """Up to three known names for an unknown ``name``: its alias's scipy name first, then difflib's close matches."""
    key = str(name).strip().lower().replace("-", "_").replace("'", "").replace(" ", "_")
    alias = ALIASES.get(key) or ALIASES.get(key.replace("_", ""))
    close = difflib.get_close_matches(str(name), names, n=3)
    return ([alias] if alias in names else []) + [c for c in close if c != alias][: 3 - (alias in names)]


def _kappa4_unconfirmable(shapes: Mapping[str, float]) -> tuple[str, str] | None:
    # scipy's kappa4 moments are numerical integrals that return NaN for finite moments when h < 0 (the
    # mean of kappa4(h=-0.1, k=0.1), tail index 100) or k < 0 (the variance at k = -0.4, tail index 2.5),
    # so its tail index could never be confirmed (tests/test_tail_audit.py shows both).
    for name in ("h", "k"):
        if shapes[name] < 0:
            return name, f"{name} < 0"
    return None


#: Laws (or regions of their shapes) whose tails mcloss.maths.tails cannot confirm against scipy's own
#: moments: name -> (the shapes -> (offending shape, what is wrong) or None, what to use instead).
UNCONFIRMABLE = {
    "kappa4": (_kappa4_unconfirmable,
               "h >= 0 and k >= 0; for a power right tail use genextreme (kappa4 with h = 0, c = k) or "
               "genpareto (h = 1, c = -k)"),
}


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def make_distribution(spec: Mapping[str, Any], key: str) -> Law:
    """Return the law described by ``spec`` (a `Law`: numpy's draws for a native family, else scipy's).

    ``key`` is the dotted config key of the spec, used in error messages.
    Raises ConfigError for an unknown name, a missing or unknown keyword, a
    non-numeric value, scale <= 0, shape values outside the family's domain, or a
    region of shapes listed in `UNCONFIRMABLE` (whose tails scipy's moments cannot confirm).
    A family of `NATIVE` is checked by its own table (scipy's shape names and domain), without scipy.stats.
    """
    if not isinstance(spec, Mapping) or "dist" not in spec:
        raise ConfigError(key, "must be a mapping with a 'dist' entry", "{dist: <name>, loc: .., scale: .., <shapes>}")
    name = spec["dist"]
    if not (isinstance(name, str) and name in NATIVE):
        names = continuous_names()
        if name not in names:
            close = suggestions(name, names)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise ConfigError(
                f"{key}.dist",
                f"unknown distribution {name!r}{hint}",
                "a continuous scipy.stats distribution, e.g. norm, t, cauchy, gamma, lognorm, expon, uniform",
            )
    family = Family(name)
    shapes = [s.strip() for s in (family.shapes or "").split(",") if s.strip()]
    allowed = shapes + ["loc", "scale"]
    keywords = {k: v for k, v in spec.items() if k != "dist"}
    for k, v in keywords.items():
        if k not in allowed:
            raise ConfigError(f"{key}.{k}", f"not a parameter of scipy.stats.{name}", ", ".join(allowed))
        if not _is_number(v) or not np.isfinite(v):
            raise ConfigError(f"{key}.{k}", f"must be a finite number, got {v!r}", "a finite number")
    for s in shapes:
        if s not in keywords:
            raise ConfigError(f"{key}.{s}", f"missing shape parameter of scipy.stats.{name}", ", ".join(allowed))
    if keywords.get("scale", 1.0) <= 0:
        raise ConfigError(f"{key}.scale", f"must be > 0, got {keywords['scale']!r}", "a number > 0")
    if name in UNCONFIRMABLE:
        check, instead = UNCONFIRMABLE[name]
        found = check({k: float(v) for k, v in keywords.items()})
        if found is not None:
            shape, what = found
            raise ConfigError(f"{key}.{shape}", f"scipy.stats.{name} with {what}: scipy's own moments come out "
                              "NaN there although they are finite, so the tail analysis cannot be confirmed", instead)
    law = family(**{k: float(v) for k, v in keywords.items()})
    # A native law's domain is its table's (scipy's _argcheck: it draws natively only inside it), any
    # other law's where scipy's median is finite (NaN outside the domain). scipy's median also fails at
    # absurd shapes inside the domain (beta(3, 1e300), pareto(1e-8)), which a native law no longer refuses.
    outside = law.native is None if name in NATIVE else not np.isfinite(law.ppf(0.5))
    if outside:
        raise ConfigError(key, f"parameters {keywords} are outside the domain of scipy.stats.{name}",
                          f"shapes {', '.join(shapes) or '(none)'} as documented by scipy.stats.{name}")
    return law


def finite_moment_by_table(law, order: float) -> bool | None:
    """E|X|^order < inf for a law of a `NATIVE` family, by its tail index (mcloss.maths.tail_table):
    min(alpha_left, alpha_right) > order, where each side is bounded or in the family table. None for any
    other law (ask scipy's moments). Needs no scipy: what a simulate job checks when it builds its scenario.
    """
    if getattr(law, "native", None) is None:
        return None
    indices = [side_index(law, side) for side in ("left", "right")]
    if any(route not in ("bounded support", "family table") for _, route, _ in indices):
        return None
    return min(alpha for alpha, _, _ in indices) > order


def describe(spec: Mapping[str, Any]) -> str:
    """Short human label, e.g. ``norm(loc=0, scale=1)``."""
    args = ", ".join(f"{k}={v:g}" for k, v in spec.items() if k != "dist")
    return f"{spec['dist']}({args})"


def _mean_std(law) -> tuple[float, float]:
    """A normal law's mean and standard deviation: loc and scale as scipy's mean() and std() return them
    (0 * scale + loc and sqrt(1 * scale^2), which are loc and scale to the bit), without scipy for a `Law`."""
    if getattr(law, "native", None) is None:
        return float(law.mean()), float(law.std())
    _, _, loc, scale = law.native
    return 0.0 * scale + loc, math.sqrt(1.0 * scale * scale)


def log_density_ratio_polynomial(p, q) -> list[float] | None:
    """Coefficients [c0, c1, c2] of log p(x) - log q(x) when that is a polynomial in x, else None.

    For two normal laws N(m_p, s_p^2) and N(m_q, s_q^2) the log-density ratio is the quadratic
    log(s_q / s_p) - (x - m_p)^2 / (2 s_p^2) + (x - m_q)^2 / (2 s_q^2): evaluating it by Horner's
    scheme costs a few multiply-adds per sample instead of two ``logpdf`` calls, and for equal
    laws every coefficient is exactly 0 (D* = 1/2 to the bit). Other families keep the logpdf path.
    """
    if getattr(p.dist, "name", None) != "norm" or getattr(q.dist, "name", None) != "norm":
        return None
    m_p, s_p = _mean_std(p)
    m_q, s_q = _mean_std(q)
    a_p, a_q = 0.5 / s_p**2, 0.5 / s_q**2
    return [math.log(s_q / s_p) - a_p * m_p**2 + a_q * m_q**2,
            2.0 * (a_p * m_p - a_q * m_q),
            a_q - a_p]
