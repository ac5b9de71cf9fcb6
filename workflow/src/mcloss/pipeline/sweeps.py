"""Config sweeps: one scenario per point of a parameter grid.

A sweep names a base scenario and lists values for dotted keys into it
(``generator.loc``, ``discriminator.logit.1``: mapping keys and list indices).
Its points are the cartesian product of the lists, first key slowest; each point
is an ordinary scenario, the base with those values set, named

    <sweep>__<key>=<value>[__<key>=<value> ...]      e.g.  jsd_vs_shift__generator.loc=0.25

with numbers written by ``format(v, '.12g')`` (0.30000000000000004 -> 0.3), so a
name is stable, readable and safe in a file path. The points run through the same
rules as any scenario; nothing else about them is special.

Common random numbers. By default a point's streams are keyed by its own name,
so the points are independent. With ``common_random_numbers: true`` every point
draws from the streams keyed by the sweep (``sweep:<name>``): replicate r of two
points uses the same underlying uniforms. Each point's estimates keep their law,
but the estimates of neighbouring points become positively correlated, so the
variance of a difference, Var(A - B) = Var A + Var B - 2 Cov(A, B), shrinks
below the Var A + Var B of independent points: the shape of the curve over the
sweep is estimated more precisely than its individual points.
"""

from __future__ import annotations

import copy
import itertools
import math
import numbers
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mcloss.errors import ConfigError
from mcloss.estimands import Estimand, build
from mcloss.evidence.summarise import CONVERGENCE_COLUMNS, SUMMARY_COLUMNS

#: Separates the sweep's name from its values, and one key=value from the next.
SEPARATOR = "__"
#: Characters a point name may contain (file-safe, no wildcard or shell meaning).
_SAFE = re.compile(r"^[A-Za-z0-9_.+=-]+$")
#: Table columns a varied key must not shadow.
RESERVED_COLUMNS = frozenset(SUMMARY_COLUMNS) | frozenset(CONVERGENCE_COLUMNS) | {"sweep"}
#: Varied keys that may be a sweep's x although their values are names: their figure is categorical
#: (a sweep over `sampling` is drawn by mcloss.outputs.figures.plans, not by the numeric sweep figure).
CATEGORICAL_X = frozenset({"sampling"})
#: Defaults of the optional keys of a sweep (the schema documents them).
#: Points of a sweep simulated and summarised in one job: the start-up of a job (about 2 s of CPU) is paid
#: once for all of them. A point of a cheap sweep costs about 0.13 s of CPU (benchmarks/sweep_overhead.py),
#: so 25 points make a job of a few seconds; a sweep of 200 points still gives 8 jobs to run in parallel.
DEFAULT_POINTS_PER_JOB = 25
DEFAULT_CURVE_POINTS = 200


def format_value(value: Any) -> str:
    """A varied value as it appears in a point name: numbers to 12 significant digits."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, str)):
        raise TypeError(f"a swept value must be a number or a string, got {value!r}")
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        text = format(float(value), ".12g")
        return "0" if text == "-0" else text
    return value


def point_name(sweep: str, values: Sequence[tuple[str, Any]]) -> str:
    """Scenario name of the sweep point with the given (key, value) pairs."""
    return SEPARATOR.join([sweep] + [f"{key}={format_value(value)}" for key, value in values])


def _parts(dotted: str) -> list[str]:
    return dotted.split(".")


def lookup(spec: Any, dotted: str) -> Any:
    """The value at a dotted key (mapping keys; list indices as integers); KeyError if absent."""
    node = spec
    for part in _parts(dotted):
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise KeyError(dotted)
    return node


def with_value(spec: Mapping[str, Any], dotted: str, value: Any) -> dict:
    """A deep copy of ``spec`` with the dotted key (which must exist) set to ``value``."""
    lookup(spec, dotted)
    out = copy.deepcopy(dict(spec))
    *path, last = _parts(dotted)
    node: Any = out
    for part in path:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return out


def leaf_keys(spec: Any, prefix: str = "") -> list[str]:
    """Every dotted key of a scenario spec that holds a number or a string."""
    if isinstance(spec, Mapping):
        items = [(str(k), v) for k, v in spec.items()]
    elif isinstance(spec, list):
        items = [(str(i), v) for i, v in enumerate(spec)]
    else:
        return [prefix]
    keys: list[str] = []
    for k, v in items:
        keys += leaf_keys(v, f"{prefix}.{k}" if prefix else k)
    return keys


def quantity_units(base: Mapping[str, Any], points: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Unit of every quantity of a sweep's points (``points``: their varied values), from their estimands."""
    units: dict[str, str] = {}
    for point in points:
        spec: Mapping[str, Any] = base
        for dotted, value in point.items():
            spec = with_value(spec, dotted, value)
        units.update({q.name: q.unit for q in build(spec, "sweep point").quantities})
    return units


def with_optional_keys(spec: Mapping[str, Any], keys) -> Mapping[str, Any]:
    """``spec`` with the optional keys among ``keys`` that it leaves out set to their defaults.

    ``sampling`` (default iid) is sweepable without being written into the base scenario.
    """
    if "sampling" in keys and "sampling" not in spec:
        return {**spec, "sampling": "iid"}
    return spec


@dataclass(frozen=True)
class Point:
    """One grid point of a sweep: a scenario named after the sweep and its values."""

    name: str
    sweep: str
    values: tuple[tuple[str, Any], ...]
    spec: Mapping[str, Any]


@dataclass(frozen=True)
class Sweep:
    """A base scenario, the values of its varied keys, and the axis of its figure."""

    name: str
    scenario: str
    vary: tuple[tuple[str, tuple[Any, ...]], ...]
    x: str
    common_random_numbers: bool
    curve_points: int
    point_figures: bool
    points_per_job: int
    replicates: int | None
    batch_sizes: Mapping[str, int] | None
    quantities: tuple[str, ...] | None
    points: tuple[Point, ...]
    x_scale: str = "auto"

    @property
    def keys(self) -> list[str]:
        return [key for key, _ in self.vary]

    @property
    def value_lists(self) -> dict[str, tuple[Any, ...]]:
        """Varied key -> its values, in config order."""
        return dict(self.vary)

    @property
    def series_keys(self) -> list[str]:
        """The varied keys other than x: one line of the figure per combination of their values."""
        return [key for key in self.keys if key != self.x]

    @property
    def random_name(self) -> str:
        """The name whose hash keys the streams of all points under common random numbers."""
        # ':' cannot occur in a scenario name, so this key is no scenario's own.
        return f"sweep:{self.name}"


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def expand(name: str, entry: Mapping[str, Any], scenarios: Mapping[str, Mapping[str, Any]]) -> Sweep:
    """The sweep ``name`` of the config, with its points; ConfigError if it cannot be expanded.

    Checks what the schema cannot: the base scenario exists, every varied key
    exists in it, x is a varied numeric key, and every point gets its own
    file-safe name. The points' estimands are built by `check`.
    """
    key = f"sweeps.{name}"
    base = entry.get("scenario")
    if base not in scenarios:
        raise ConfigError(f"{key}.scenario", f"unknown scenario {base!r}", ", ".join(scenarios) or "(none defined)")
    spec = scenarios[base]
    vary = entry.get("vary")
    if not isinstance(vary, Mapping) or not vary:
        raise ConfigError(f"{key}.vary", "must map at least one dotted key to a list of values",
                          "{<dotted key>: [value, ...]}, e.g. {generator.loc: [0.0, 0.5, 1.0]}")
    spec = with_optional_keys(spec, vary)
    pairs = []
    for dotted, values in vary.items():
        where = f"{key}.vary.{dotted}"
        try:
            lookup(spec, dotted)
        except KeyError:
            raise ConfigError(where, f"no such key in scenarios.{base}", ", ".join(leaf_keys(spec))) from None
        if dotted in RESERVED_COLUMNS:
            raise ConfigError(where, "the name of a table column", "a key other than " + ", ".join(
                sorted(RESERVED_COLUMNS)))
        if not isinstance(values, list) or not values:
            raise ConfigError(where, "empty list of values" if isinstance(values, list) else f"got {values!r}",
                              "a non-empty list of numbers or strings")
        seen: dict[str, Any] = {}
        for i, value in enumerate(values):
            if isinstance(value, bool) or not isinstance(value, (numbers.Real, str)):
                raise ConfigError(f"{where}[{i}]", f"got {value!r}", "a number or a string")
            if _is_number(value) and not math.isfinite(value):
                raise ConfigError(f"{where}[{i}]", f"got {value!r}", "a finite number")
            text = format_value(value)
            if not _SAFE.match(text):
                raise ConfigError(f"{where}[{i}]", f"{value!r} cannot be part of a file name",
                                  "letters, digits and _ . + - =")
            if text in seen:
                raise ConfigError(f"{where}[{i}]", f"{value!r} repeats {seen[text]!r} (same point name)",
                                  "distinct values")
            seen[text] = value
        pairs.append((dotted, tuple(values)))
    x = entry.get("x", pairs[0][0])
    if x not in vary:
        raise ConfigError(f"{key}.x", f"{x!r} is not a varied key", ", ".join(vary))
    if x not in CATEGORICAL_X and not all(_is_number(v) for v in vary[x]):
        raise ConfigError(f"{key}.vary.{x}", "the x axis of the sweep needs numbers",
                          "numbers (or make another varied key the x axis)")
    if entry.get("x_scale") == "log" and min(vary[x]) <= 0:
        raise ConfigError(f"{key}.x_scale", f"log, but {x} takes the value {min(vary[x])!r}",
                          "auto or linear, or positive values of x")
    points = []
    for combination in itertools.product(*(values for _, values in pairs)):
        values = tuple(zip((dotted for dotted, _ in pairs), combination))
        point_spec = dict(spec)
        for dotted, value in values:
            try:
                point_spec = with_value(point_spec, dotted, value)
            except KeyError:
                raise ConfigError(f"{key}.vary.{dotted}", "lies inside another varied key's value",
                                  "keys that do not contain one another") from None
        point = Point(point_name(name, values), name, values, point_spec)
        if point.name in scenarios:
            raise ConfigError(f"{key}.vary", f"point {point.name!r} has the name of a scenario",
                              "scenario names without '__'")
        points.append(point)
    return Sweep(name=name, scenario=base, vary=tuple(pairs), x=x,
                 common_random_numbers=bool(entry.get("common_random_numbers", False)),
                 curve_points=int(entry.get("curve_points", DEFAULT_CURVE_POINTS)),
                 point_figures=bool(entry.get("point_figures", False)),
                 points_per_job=int(entry.get("points_per_job", DEFAULT_POINTS_PER_JOB)),
                 replicates=entry.get("replicates"), batch_sizes=entry.get("batch_sizes"),
                 quantities=tuple(entry["quantities"]) if entry.get("quantities") else None, points=tuple(points),
                 x_scale=str(entry.get("x_scale", "auto")))


def expand_all(config: Mapping[str, Any]) -> dict[str, Sweep]:
    """Every sweep of the config, expanded (no estimand is built)."""
    scenarios = config.get("scenarios") or {}
    return {name: expand(name, entry, scenarios) for name, entry in (config.get("sweeps") or {}).items()}


def check(config: Mapping[str, Any]) -> tuple[dict[str, Sweep], dict[str, Estimand]]:
    """Expand the sweeps and build every point's estimand; ConfigError on the first problem.

    A point that is not a valid scenario is reported at ``sweeps.<sweep>[<values>].<key>``.
    """
    sweeps = expand_all(config)
    if sweeps and "sweeps" in (config.get("scenarios") or {}):
        raise ConfigError("scenarios.sweeps", "the name holds the sweep figures (results/figures/sweeps/)",
                          "any other scenario name")
    estimands: dict[str, Estimand] = {}
    for sweep in sweeps.values():
        for point in sweep.points:
            label = ",".join(f"{k}={format_value(v)}" for k, v in point.values)
            estimands[point.name] = build(point.spec, f"sweeps.{sweep.name}[{label}]")
            known = [q.name for q in estimands[point.name].quantities]
            for i, name in enumerate(sweep.quantities or ()):
                if name not in known:
                    raise ConfigError(f"sweeps.{sweep.name}.quantities[{i}]",
                                      f"{name!r} is not a quantity of point {point.name}", ", ".join(known))
        base = (config.get("scenarios") or {}).get(sweep.scenario) or {}
        sizes = {**config.get("batch_sizes", {}), **(base.get("batch_sizes") or {}), **(sweep.batch_sizes or {})}
        if sizes and sizes.get("max", 1) < sizes.get("min", 1):
            raise ConfigError(f"sweeps.{sweep.name}.batch_sizes.max",
                              f"{sizes['max']} is smaller than the batch_sizes.min = {sizes['min']} it runs with",
                              "max >= min")
    return sweeps, estimands


def sorted_points(sweep: Sweep) -> list[Point]:
    """The sweep's points in increasing x (numbers compare as numbers: 1.5, 2, 10, not 1.5, 10, 2), the other
    keys' combinations in config order for equal x; config order for a categorical x."""
    if sweep.x in CATEGORICAL_X:
        return list(sweep.points)
    return sorted(sweep.points, key=lambda point: float(dict(point.values)[sweep.x]))  # stable


def random_names(sweeps: Mapping[str, Sweep]) -> dict[str, str]:
    """Point -> the name its random streams are keyed by, for points under common random numbers."""
    return {point.name: sweep.random_name for sweep in sweeps.values() if sweep.common_random_numbers
            for point in sweep.points}


def table_columns(sweeps: Mapping[str, Sweep]) -> list[str]:
    """Columns the stacked tables gain: ``sweep``, then each varied key (first seen first)."""
    if not sweeps:
        return []
    keys = dict.fromkeys(key for sweep in sweeps.values() for key in sweep.keys)
    return ["sweep", *keys]


def label(frame: pd.DataFrame, sweeps: Mapping[str, Sweep]) -> pd.DataFrame:
    """``frame`` (with a ``scenario`` column) plus the sweep columns of `table_columns`.

    A row of a sweep point gets the sweep's name and the values it set; every
    other cell of these columns is empty (NaN), so a sweep's rows pivot on its keys.
    """
    columns = table_columns(sweeps)
    if not columns:
        return frame
    points = {point.name: point for sweep in sweeps.values() for point in sweep.points}
    out = frame.copy()
    found = [points.get(name) for name in out["scenario"]]
    out["sweep"] = [p.sweep if p else "" for p in found]
    for key in columns[1:]:
        cells = [dict(p.values).get(key) if p else None for p in found]
        given = [c for c in cells if c is not None]
        if given and all(_is_number(c) for c in given):
            out[key] = np.array([np.nan if c is None else float(c) for c in cells], dtype=np.float64)
        else:
            out[key] = ["" if c is None else str(c) for c in cells]
    return out


#: Positive x values spanning this factor (a decade) or more get a log axis under ``x_scale: auto``.
LOG_SPAN = 10.0


def axis_scale(values: Sequence[float], choice: str = "auto") -> str:
    """The x axis of a sweep (config ``x_scale``): ``choice`` if 'linear' or 'log' (log needs positive values);
    under 'auto', 'log' when the values are positive and span a decade or more (`LOG_SPAN`), else 'linear'."""
    lo, hi = min(values), max(values)
    if choice == "linear" or lo <= 0:
        return "linear"
    return "log" if choice == "log" or hi / lo >= LOG_SPAN else "linear"


def _nice_step(raw: float) -> float:
    """``raw`` rounded to one significant digit (0.00402 -> 0.004)."""
    exponent = math.floor(math.log10(raw))
    return round(raw / 10.0**exponent) * 10.0**exponent


def curve_x(values: Sequence[float], points: int, scale: str = "auto") -> np.ndarray:
    """About ``points`` x values from min(values) to max(values), for the exact curve.

    Linear: lo + k * step with step = (hi - lo) / (points - 1) rounded to one
    significant digit, so the values are round numbers (a real fraction 0.104 is
    the ratio 13/125 an estimand can use, 0.1040201... is not). Log: geometric,
    to 4 significant digits. Always ends with hi; numbers rounded to 12 digits.
    """
    lo, hi = float(min(values)), float(max(values))
    if hi == lo or points < 2:
        return np.array([lo])
    if axis_scale(values, scale) == "log":
        xs = np.geomspace(lo, hi, points)
        xs = np.array([float(format(v, ".4g")) for v in xs])
    else:
        step = _nice_step((hi - lo) / (points - 1))
        count = int(math.floor((hi - lo) / step + 1e-9))
        xs = np.array([float(format(lo + k * step, ".12g")) for k in range(count + 1)])
    xs = np.unique(np.concatenate([xs[(xs > lo) & (xs < hi)], [lo, hi]]))
    return xs


def exact_curve(base: Mapping[str, Any], x: str, xs: Sequence[float], series: Sequence[Mapping[str, Any]],
                key: str = "sweep") -> tuple[pd.DataFrame, list[str]]:
    """Exact limits of every quantity at each x, for each combination of the other varied keys.

    Returns a long table (the series keys, x, quantity, exact) and, for x values
    at which the scenario is not valid (e.g. a real fraction with no small
    denominator), the one-line reasons; those x values are left out of the curve.
    """
    rows, skipped = [], []
    for others in series:
        spec = dict(with_optional_keys(base, [x, *others]))
        for dotted, value in others.items():
            spec = with_value(spec, dotted, value)
        for value in xs:
            try:
                estimand = build(with_value(spec, x, float(value)), f"{key}[{x}={format_value(float(value))}]")
                limits = estimand.exact()
            except ConfigError as err:
                skipped.append(str(err))
                continue
            for quantity in estimand.quantities:
                rows.append({**others, x: float(value), "quantity": quantity.name,
                             "exact": float(limits[quantity.name])})
    columns = [*(series[0] if series else {}), x, "quantity", "exact"]
    return pd.DataFrame(rows, columns=columns), skipped


def series_values(sweep: Sweep) -> list[dict[str, Any]]:
    """Each combination of the values of the non-x keys ([{}] if x is the only key)."""
    others = [(key, values) for key, values in sweep.vary if key != sweep.x]
    return [dict(zip((k for k, _ in others), combo)) for combo in itertools.product(*(v for _, v in others))]
