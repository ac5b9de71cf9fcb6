"""The estimands: what is estimated, from which streams, and its exact limit (after `laws`).

An estimand (interface in `base`) declares only its sample streams, its per-sample terms,
how the estimate is formed from the prefix means, its exact limit and how its terms grow
in the tails; one module each (`gan`, `binary_cross_entropy`, `cross_entropy`,
`gaussian_nll`), the input-dependent variants in modules of their own; `formulas` adds the losses a
scenario types as formulas (`losses:`) to any estimand that declares a `formula_frame`. Every module of this
package is loaded by `load_all` and registers its classes by name: a new estimand is a new
module here, and touches neither the engine, the rules nor the figures.
May import: `mcloss.laws`, `mcloss.maths`, `mcloss.errors`.
"""

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
