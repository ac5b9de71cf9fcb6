"""Sampling laws given in the config as ``{dist: <scipy.stats name>, **keywords}``.

Any continuous distribution of scipy.stats is accepted with its own shape
keywords plus ``loc`` and ``scale``; the spec is checked here, before any job
runs, so that a typo fails with one line naming the key instead of deep in a job.
"""

from __future__ import annotations

import difflib
import numbers
from typing import Any, Mapping

import numpy as np
import scipy.stats

from .errors import ConfigError


def continuous_names() -> list[str]:
    """Names of all continuous distributions in scipy.stats."""
    return sorted(
        name
        for name in dir(scipy.stats)
        if isinstance(getattr(scipy.stats, name), scipy.stats.rv_continuous)
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def make_distribution(spec: Mapping[str, Any], key: str):
    """Return the frozen scipy.stats distribution described by ``spec``.

    ``key`` is the dotted config key of the spec, used in error messages.
    Raises ConfigError for an unknown name, a missing or unknown keyword, a
    non-numeric value, scale <= 0 or shape values outside the family's domain.
    """
    if not isinstance(spec, Mapping) or "dist" not in spec:
        raise ConfigError(key, "must be a mapping with a 'dist' entry", "{dist: <name>, loc: .., scale: .., <shapes>}")
    name = spec["dist"]
    names = continuous_names()
    if name not in names:
        close = difflib.get_close_matches(str(name), names, n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise ConfigError(
            f"{key}.dist",
            f"unknown distribution {name!r}{hint}",
            "a continuous scipy.stats distribution, e.g. norm, t, cauchy, gamma, lognorm, expon, uniform",
        )
    family = getattr(scipy.stats, name)
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
    frozen = family(**{k: float(v) for k, v in keywords.items()})
    if not np.isfinite(frozen.ppf(0.5)):
        raise ConfigError(key, f"parameters {keywords} are outside the domain of scipy.stats.{name}",
                          f"shapes {', '.join(shapes) or '(none)'} as documented by scipy.stats.{name}")
    return frozen


def describe(spec: Mapping[str, Any]) -> str:
    """Short human label, e.g. ``norm(loc=0, scale=1)``."""
    args = ", ".join(f"{k}={v:g}" for k, v in spec.items() if k != "dist")
    return f"{spec['dist']}({args})"
