"""Checking a configuration before any job runs.

The JSON schema (workflow/schemas/config.schema.yaml) fixes the keys, types and
defaults; the estimands then check what a schema cannot (distribution names and
their parameters, probabilities, ...). Either way the user gets one line that
names the key and what is allowed.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from mcloss.errors import ConfigError
from mcloss.estimands import Estimand, build


def _dotted(path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def _strict_integer(checker, instance) -> bool:
    return isinstance(instance, int) and not isinstance(instance, bool)


#: The schema's validator with only true ints as integers (jsonschema counts 100000.0 as one), so that
#: `normalise_numbers` finds every integral float to turn into an int.
_StrictValidator = jsonschema.validators.extend(
    jsonschema.Draft202012Validator,
    type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine("integer", _strict_integer))


def _type_errors(errors):
    for error in errors:
        if error.validator == "type":
            yield error
        yield from _type_errors(error.context or [])


def _as_number(value: Any, types: list[str]) -> Any:
    """``value`` as the number the schema wants, or ``value`` itself when it is none."""
    if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        value = float(value)          # 1e5: a number to a user, a string to YAML 1.1 (and so to Snakemake)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    if "integer" in types and math.isfinite(value) and float(value).is_integer():
        return int(value)
    return float(value) if "number" in types else value


def load_schema(schema_path) -> dict:
    """The config schema as a mapping, parsed once per process (and again if the file changes); do not mutate it.

    The workflow reads it several times while Snakemake parses it (number normalisation, the one-line errors,
    the claims' defaults, the paper's defaults), and every job of a cluster run parses the workflow again.
    """
    path = Path(schema_path).resolve()
    return _parsed_schema(str(path), path.stat().st_mtime_ns)


@functools.cache
def _parsed_schema(path: str, mtime_ns: int) -> dict:
    # libyaml's loader where PyYAML has it (same YAML, ~8x faster on the 600-line schema); the schema is ours,
    # so the pure-Python loader's error marks (kept for users' configs) are not needed here.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(path) as fh:
        return yaml.load(fh, Loader=loader)  # noqa: S506 (a safe loader)


def normalise_numbers(config: dict, schema_path: str) -> dict:
    """``config`` (changed in place and returned) with numbers written as the schema wants them.

    Where the schema wants an integer, an integral float (``100000.0``, what ``--config`` makes of ``1e5``) or a
    numeric string (``'1e5'``, what a YAML 1.1 loader makes of it, Snakemake's and PyYAML's alike) becomes the int;
    where it wants a number, a numeric string becomes the float. A non-integral value stays as it is, for the
    schema to refuse with its one line. The one place both the pipeline (workflow/rules/common.smk) and the
    ``mcloss`` command (`mcloss.pipeline.project.Project`) read numbers.
    """
    validator = _StrictValidator(load_schema(schema_path))
    for _ in range(100):              # a conversion can only remove errors; the bound is a guard
        changed = False
        for error in _type_errors(validator.iter_errors(config)):
            types = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
            if not ({"integer", "number"} & set(types)) or not error.absolute_path:
                continue
            *parents, last = error.absolute_path
            holder = config
            for part in parents:
                holder = holder[part]
            value = _as_number(holder[last], types)
            if value is not holder[last] and (type(value) is not type(holder[last]) or value != holder[last]):
                holder[last] = value
                changed = True
        if not changed:
            break
    return config


def load_config_file(path, key: str = "--configfile") -> dict:
    """A YAML config file as a mapping, or a one-line ConfigError at ``key`` with the line and column of a YAML error.

    Used by the ``mcloss`` command and by the workflow before Snakemake reads its config.yaml (whose own error
    gives no line).
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(key, f"no such file {str(path)!r}", "a YAML config such as config.yaml")
    try:
        config = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = " ".join(str(getattr(err, "problem", "") or err).split())
        raise ConfigError(key, f"{path} is not valid YAML{where}: {problem}",
                          "a YAML mapping of config keys") from err
    if not isinstance(config, dict):
        raise ConfigError(key, f"{path} does not hold a mapping", "a YAML mapping of config keys")
    return config


def schema_error(config: Mapping[str, Any], schema_path: str) -> ConfigError | None:
    """The most relevant schema violation of ``config`` as a one-line ConfigError, or None."""
    validator = jsonschema.Draft202012Validator(load_schema(schema_path))
    error = jsonschema.exceptions.best_match(validator.iter_errors(config))
    if error is None:
        return None
    path = list(error.absolute_path)
    sub = error.schema if isinstance(error.schema, Mapping) else {}
    if error.validator == "additionalProperties":
        known = sorted(sub.get("properties", {}))
        unknown = sorted(set(error.instance) - set(known)) if isinstance(error.instance, Mapping) else []
        key = _dotted(path + unknown[:1])
        return ConfigError(key, "unknown key", ", ".join(known) or "no further keys")
    if "propertyNames" in error.schema_path:
        return ConfigError(_dotted(path + [str(error.instance)]), "name is not file-safe",
                           "letters, digits, '_', '.', '-', starting with a letter or digit")
    if error.validator == "enum":
        return ConfigError(_dotted(path), f"{error.instance!r} is not allowed",
                           ", ".join(map(str, error.validator_value)))
    if error.validator == "required":
        return ConfigError(_dotted(path), error.message, ", ".join(error.validator_value))
    if error.validator in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        bounds = [f"{op} {sub[k]}" for k, op in (("minimum", ">="), ("exclusiveMinimum", ">"),
                                                  ("maximum", "<="), ("exclusiveMaximum", "<")) if k in sub]
        allowed = "a number " + " and ".join(bounds)
    elif error.validator == "type":
        allowed = f"a value of type {error.validator_value}"
        wanted = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        allowed = sub.get("allowed") or allowed
        if ("integer" in wanted and isinstance(error.instance, float)
                and math.isfinite(error.instance)):
            return ConfigError(_dotted(path), f"{error.instance:g} is not a whole number",
                               "an integer (1e5 and 100000.0 are read as 100000)")
    elif error.validator in ("minItems", "minProperties"):
        allowed = f"at least {error.validator_value} item(s)"
    else:
        # A key may state what it allows in one line (`allowed:` in the schema), else its description says it.
        allowed = sub.get("allowed") or sub.get("description") or str(error.validator_value)
    return ConfigError(_dotted(path), error.message, allowed)


def check(config: Mapping[str, Any], schema_path: str) -> dict[str, Estimand]:
    """Validate ``config`` and return its estimands by scenario name; raise ConfigError otherwise."""
    problem = schema_error(config, schema_path)
    if problem is not None:
        raise problem
    sizes = config["batch_sizes"]
    if sizes["max"] < sizes["min"]:
        raise ConfigError("batch_sizes.max", f"{sizes['max']} is smaller than batch_sizes.min = {sizes['min']}",
                          "max >= min")
    for name, spec in config["scenarios"].items():
        own = {**sizes, **(spec.get("batch_sizes") or {})}
        if own["max"] < own["min"]:
            raise ConfigError(f"scenarios.{name}.batch_sizes.max",
                              f"{own['max']} is smaller than the batch_sizes.min = {own['min']} it runs with",
                              "max >= min")
    estimands = {name: build(spec, f"scenarios.{name}") for name, spec in config["scenarios"].items()}
    check_claims(config, schema_path)
    return estimands


def check_claims(config: Mapping[str, Any], schema_path: str) -> None:
    """The `claims:` mapping: known claim ids, scenarios that exist and suit each claim's rule.

    A claim left at its default assignment may name scenarios this config lacks, or that lack
    what its rule reads (it is then `not run`); one the user assigned must name existing
    scenarios of the right estimand with the keys the rule reads, else it is an error (a
    mapping equal to the default cannot be told apart from it, and is treated as the default).
    """
    from mcloss.judge.claims import CLAIMS

    defaults = {k: v.get("default") for k, v in load_schema(schema_path)["properties"]["claims"]["properties"].items()}
    by_id = {c.claim_id: c for c in CLAIMS}
    scenarios = dict(config.get("scenarios") or {})
    # A sweep point (<sweep>__<key>=<value>) has its base scenario's estimand.
    for sweep_name, sweep in (config.get("sweeps") or {}).items():
        base = scenarios.get(sweep.get("scenario")) if isinstance(sweep, Mapping) else None
        if base is not None:
            scenarios[f"{sweep_name}__"] = base
    for claim_id, names in (config.get("claims") or {}).items():
        if claim_id not in by_id:
            raise ConfigError(f"claims.{claim_id}", "unknown claim id", ", ".join(sorted(by_id)))
        names = list(names or [])
        specs = {}
        for i, name in enumerate(names):
            spec = scenarios.get(name) or next((v for k, v in scenarios.items()
                                                if k.endswith("__") and str(name).startswith(k)), None)
            if spec is None and names != defaults.get(claim_id):
                raise ConfigError(f"claims.{claim_id}[{i}]", f"unknown scenario {name!r}",
                                  ", ".join(sorted(config.get("scenarios") or {})))
            if spec is not None:
                specs[name] = spec
        if not specs:
            continue          # nothing of it in this run: `not run`
        problem = by_id[claim_id].problem(names, specs)
        if problem is not None and names == defaults.get(claim_id):
            continue          # a default the user did not choose, on a scenario not made for it: `not run`
        if problem is not None:
            position, what, allowed = problem
            raise ConfigError(f"claims.{claim_id}[{position}]", what, allowed)


def _typed(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _typed(v) for key, v in value.items()}
    if isinstance(value, list):
        return [_typed(v) for v in value]
    if isinstance(value, str):
        try:
            parsed = yaml.safe_load(value)
        except yaml.YAMLError:
            return value
        if isinstance(parsed, str):
            try:
                return float(parsed)      # 1e5: a number to a user, a string to YAML 1.1
            except ValueError:
                return value
        return parsed if isinstance(parsed, (bool, int, float)) or parsed is None else value
    return value


def typed_overrides(overrides: Mapping[str, Any]) -> dict[str, Any]:
    """``--config`` values with the strings inside mappings and lists read as a YAML config file would.

    Snakemake parses ``--config 'batch_sizes={max: 10000}'`` with YAML's BaseLoader, which keeps
    every scalar a string ('10000'); numbers, booleans and null are converted back here. A
    top-level ``key=value`` is already typed by Snakemake and left as it is.
    """
    return {key: (_typed(value) if isinstance(value, (Mapping, list)) else value)
            for key, value in overrides.items()}


def _depth(key: str, mapping: Any) -> tuple[int, str]:
    """How many leading parts of the dotted ``key`` name entries of ``mapping``, and that prefix.

    Keys are matched against the mapping's own names, longest first, since a scenario name may hold a dot
    (``plans__model.mean=1``); ``[i]`` parts index lists.
    """
    depth, node, rest, found = 0, mapping, key, ""
    while rest:
        if isinstance(node, Mapping):
            names = {str(k): k for k in node}
            match = max((k for k in names if rest == k or rest.startswith((k + ".", k + "["))), key=len, default=None)
            if match is None:
                break
            node, rest = node[names[match]], rest[len(match):]
            found += ("." if found else "") + match
            rest = rest[1:] if rest.startswith(".") else rest
        elif isinstance(node, list) and (index := re.match(r"\[(\d+)\]\.?", rest)) and int(index[1]) < len(node):
            node, rest = node[int(index[1])], rest[index.end():]
            found += f"[{index[1]}]"
        else:
            break
        depth += 1
    return depth, found


def source_hint(problem: ConfigError, sources: Sequence[tuple[str, Mapping[str, Any]]]) -> str:
    """The one-line message of ``problem`` with where its value was set.

    ``sources`` are (label, mapping) pairs from the highest precedence to the lowest: ``--config`` (the
    command line's values), then each ``--configfile`` from the last to the first, then the workflow's
    config.yaml (unless --replace-workflow-config dropped it). The source whose entries reach deepest into
    the key wins (the first of equals): a value set on the command line is named ``--config``, with how nested
    keys are written there, a value from a file names the file and the key found in it. A key no source
    holds (``--configfile`` itself, a scenario name on the mcloss command line) gets no hint.
    """
    best, label, found = 0, "", ""
    for name, mapping in sources:
        depth, prefix = _depth(problem.key, mapping)
        if depth > best:
            best, label, found = depth, name, prefix
    if not best:
        return str(problem)
    if label == "--config":
        top = problem.key.split(".")[0].split("[")[0]
        return (f"{problem} (from --config; nested keys are written --config '{top}={{key: value}}', "
                f"e.g. --config 'batch_sizes={{max: 10000}}')")
    return f"{problem} (from {label}, key {found})"


def override_hint(problem: ConfigError, overrides: Mapping[str, Any]) -> str:
    """The one-line message of ``problem``, with how to write a nested key when --config set it."""
    return source_hint(problem, [("--config", overrides)])
