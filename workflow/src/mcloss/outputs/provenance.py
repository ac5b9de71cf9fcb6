"""What made a result: config values, seed and package versions, as a dict and a string."""

from __future__ import annotations

import json
import platform
from importlib import metadata

PACKAGES = ("numpy", "scipy", "pandas", "matplotlib", "seaborn", "snakemake", "mcloss")


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def record(**values) -> dict:
    """The given config values plus the package versions."""
    return {**values, "versions": versions()}


def as_text(record_: dict) -> str:
    return json.dumps(record_, sort_keys=True, default=str)
