"""Estimands: one module each; every module in this package is loaded and registers its classes."""

import importlib
import pkgutil

from .base import REGISTRY, Estimand, ExactCheck, Identity, Quantity, TermStats, build

__all__ = ["REGISTRY", "Estimand", "ExactCheck", "Identity", "Quantity", "TermStats", "build", "load_all"]


def load_all() -> dict:
    """Import every estimand module so that each registers itself; returns the registry."""
    for info in pkgutil.iter_modules(__path__):
        if info.name != "base":
            importlib.import_module(f"{__name__}.{info.name}")
    return REGISTRY
