"""Checking a configuration before any job runs.

The JSON schema (workflow/schemas/config.schema.yaml) fixes the keys, types and
defaults; the estimands then check what a schema cannot (distribution names and
their parameters, probabilities, ...). Either way the user gets one line that
names the key and what is allowed.
"""

from __future__ import annotations

from collections.abc import Mapping
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


def schema_error(config: Mapping[str, Any], schema_path: str) -> ConfigError | None:
    """The most relevant schema violation of ``config`` as a one-line ConfigError, or None."""
    with open(schema_path) as fh:
        schema = yaml.safe_load(fh)
    validator = jsonschema.Draft202012Validator(schema)
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
    elif error.validator in ("minItems", "minProperties"):
        allowed = f"at least {error.validator_value} item(s)"
    else:
        allowed = sub.get("description") or str(error.validator_value)
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

    with open(schema_path) as fh:
        defaults = {k: v.get("default") for k, v in
                    yaml.safe_load(fh)["properties"]["claims"]["properties"].items()}
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


def override_hint(problem: ConfigError, overrides: Mapping[str, Any]) -> str:
    """The one-line message of ``problem``, with how to write a nested key when --config set it."""
    top = problem.key.split(".")[0].split("[")[0]
    if top not in overrides:
        return str(problem)
    return (f"{problem} (from --config; nested keys are written --config '{top}={{key: value}}', "
            f"e.g. --config 'batch_sizes={{max: 10000}}')")
