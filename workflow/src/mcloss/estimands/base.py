"""What an estimand declares, and nothing more.

An estimand names its sample streams (`streams`, each with its sampler), how
many samples of each stream a batch of size n holds (`stream_counts`), the
per-sample terms computed from a stream's samples (`terms`), how each reported
quantity and its standard error are formed from the prefix statistics of the
terms (`estimates`), and the exact limit of each quantity (`exact`). The engine,
the rules and the plots are generic over these five things. Optional
declarations refine the verdicts: how the terms grow in the tails (`term_tails`),
limits that are random or absent by construction (`limit_notes`) and known
O(1/n) biases (`bias_per_n`). A number that no quadrature settles is NaN for the
quantities that rest on it alone, with the reason (`settle`, `unresolved`).
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from mcloss.laws.streams import StreamSpec
from mcloss.maths.exact import InaccurateQuadrature
from mcloss.maths.moments import TermStats
from mcloss.maths.tails import TermTail

#: name -> estimand class; filled by subclassing (see Estimand.__init_subclass__).
REGISTRY: dict[str, type[Estimand]] = {}
#: name -> {spec key: class}: a variant builds a scenario of that estimand whose spec has the key
#: (e.g. `inputs`: an input-dependent model); kept apart so that the plain estimand modules do not
#: import their variants (and an edit to one variant's module reruns only its scenarios).
VARIANTS: dict[str, dict[str, type[Estimand]]] = {}
#: Which variant key wins where a spec has several (a fitted model with inputs is fitted): higher first.
PRECEDENCE = {"fit": 1}
#: Functions (estimand, spec, key) -> estimand applied in turn to every built estimand, registered by
#: their modules (formula losses: `formulas.with_formulas`), so that this module imports none of them.
WRAPPERS: list[Callable[[Estimand, Mapping[str, Any], str], Estimand]] = []


def register_variant(cls: type[Estimand], key: str) -> None:
    """Let ``cls`` build the scenarios of estimand ``cls.name`` whose spec has ``key``."""
    VARIANTS.setdefault(cls.name, {})[key] = cls


@dataclass(frozen=True)
class Quantity:
    """A reported quantity: its name, a plot label, a one-line meaning and its unit (for axes)."""

    name: str
    label: str
    meaning: str
    unit: str = "nats"


@dataclass(frozen=True)
class Identity:
    """Two quantities that must agree on every batch: |left - right| <= tolerance x max(1, |left|)."""

    left: str
    right: str
    tolerance: float
    meaning: str


@dataclass(frozen=True)
class ExactCheck:
    """An exact value computed two independent ways (e.g. quadrature vs closed form)."""

    name: str
    value: float
    reference: float
    tolerance: float
    meaning: str
    #: The quantities whose exact value the check vouches for; empty: every quantity of the scenario.
    quantities: tuple[str, ...] = ()


def unsettled(compute: Callable[[], float]) -> tuple[float, str]:
    """``(compute(), "")``, or ``(NaN, reason)`` where its quadrature does not settle the value.

    For the references of exact checks: an unknown reference is NaN (the check then fails, it
    never holds by default), and only that check loses its reference.
    """
    try:
        return compute(), ""
    except InaccurateQuadrature as err:
        return float("nan"), str(err)


def unresolved_reference(meaning: str, reason: str) -> str:
    """A check's meaning, with the reason its reference is unknown (unchanged when it is known)."""
    return f"{meaning} (reference unresolved: {reason})" if reason else meaning


class Estimand(abc.ABC):
    """Base class; subclasses register themselves under their ``name``."""

    name: ClassVar[str]

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:
            REGISTRY[cls.name] = cls

    def __init__(self, spec: Mapping[str, Any], key: str):
        """Parse and check the scenario ``spec`` found at config key ``key``."""
        self.spec = dict(spec)
        self.key = key

    # --- what the engine needs -------------------------------------------------
    @property
    @abc.abstractmethod
    def streams(self) -> tuple[StreamSpec, ...]:
        """The sample streams, in a fixed order (the order is part of the seeding)."""

    @property
    def batch_unit(self) -> int:
        """Batch sizes are snapped to multiples of this (e.g. so n * real_fraction is whole)."""
        return 1

    @abc.abstractmethod
    def stream_counts(self, n: np.ndarray) -> dict[str, np.ndarray]:
        """Samples of each stream in a batch of size n (non-decreasing in n)."""

    @abc.abstractmethod
    def terms(self, stream: str, sample: Any) -> dict[str, np.ndarray]:
        """Per-sample terms computed from a chunk of ``stream``'s samples."""

    @abc.abstractmethod
    def estimates(self, n: np.ndarray, stats: Mapping[str, TermStats]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Estimate and its standard error for each quantity, at every checkpoint."""

    # --- what the analysis needs -----------------------------------------------
    @property
    @abc.abstractmethod
    def quantities(self) -> tuple[Quantity, ...]:
        """The reported quantities, in display order."""

    @property
    def identities(self) -> tuple[Identity, ...]:
        return ()

    @abc.abstractmethod
    def exact(self) -> dict[str, float]:
        """Exact limit of each quantity as n -> infinity (NaN: there is none)."""

    def asymptotic_variance(self) -> dict[str, float]:
        """lim n Var(estimate) of each quantity, where known (NaN or absent: unknown).

        Claims about variance (random composition, dependent data) compare the
        measured n Var with these.
        """
        return {}

    def term_tails(self) -> dict[str, tuple[TermTail, ...]]:
        """Per quantity, the per-sample terms it averages and their growth in the tails.

        Decides which moments are finite (mcloss.maths.tails); a quantity left out falls back
        on its exact value and asymptotic variance (finite: finite moments; else unresolved).
        """
        return {}

    def limit_notes(self) -> dict[str, tuple[str, str]]:
        """Quantities whose limit is known not to be a number, by construction: name -> (verdict, reason).

        The verdict is ``random limit`` (e.g. a non-ergodic chain) or ``no limit`` (e.g. an
        unscaled sum); the data then only have to confirm that the spread does not shrink.
        """
        return {}

    def bias_per_n(self) -> dict[str, float]:
        """Known leading bias b of a quantity, E estimate - exact = b / n + o(1/n) (absent: 0).

        Plug-in functionals such as H(p_hat) have one; the verdict rules judge the estimate
        against exact + b / n and report b / n beside it.
        """
        return {}

    def exact_checks(self) -> list[ExactCheck]:
        """Exact values cross-checked against an independent computation."""
        return []

    # --- what no quadrature settled ---------------------------------------------
    def settle(self, what: str, quantities: Iterable[str], compute: Callable[[], float]) -> float:
        """``compute()``, or NaN where its quadrature does not settle the value (InaccurateQuadrature).

        ``quantities`` are those whose exact value or lim n Var rests on this number: each keeps the
        reason under ``what`` (e.g. "lim n Var"), which `unresolved` reports; the other quantities
        keep their values. Unknown, never guessed: NaN here is not "no finite limit".
        """
        try:
            return compute()
        except InaccurateQuadrature as err:
            notes = self.__dict__.setdefault("_unresolved", {})
            for name in quantities:
                notes.setdefault(name, {})[what] = str(err)
            return float("nan")

    def unresolved(self) -> dict[str, str]:
        """Per quantity, why its exact value or lim n Var is NaN although one may exist (absent: settled).

        Computes both first (`exact`, `asymptotic_variance`), so it does not depend on what was asked before.
        """
        self.exact()
        self.asymptotic_variance()
        notes = self.__dict__.get("_unresolved", {})
        return {q.name: "; ".join(f"{what} unresolved: {why}" for what, why in notes[q.name].items())
                for q in self.quantities if q.name in notes}

    def describe(self) -> str:
        """One line naming the laws and parameters, for captions and titles."""
        return self.name


def build(spec: Mapping[str, Any], key: str) -> Estimand:
    """The estimand object for a scenario spec (``spec['estimand']`` names its class)."""
    from mcloss.errors import ConfigError

    from . import load_all

    load_all()
    name = spec.get("estimand")
    if name not in REGISTRY:
        raise ConfigError(f"{key}.estimand", f"unknown estimand {name!r}", ", ".join(sorted(REGISTRY)))
    from mcloss.laws.plans import planned

    # How the streams draw (config key `sampling`) wraps the estimand; iid returns it unchanged.
    cls = REGISTRY[name]
    present = [k for k in VARIANTS.get(name, {}) if k in spec]
    if present:
        cls = VARIANTS[name][max(present, key=lambda k: PRECEDENCE.get(k, 0))]
    estimand = cls(spec, key)
    for wrap in WRAPPERS:
        estimand = wrap(estimand, spec, key)
    return planned(estimand, spec, key)
