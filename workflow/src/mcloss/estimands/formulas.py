"""Losses typed as formulas in the config (``losses:``), beside the estimand's own quantities.

A scenario of binary_cross_entropy, cross_entropy, gaussian_nll or gan_discriminator may name
per-sample losses as formulas of its variables (docs/formulas.md):

    losses: {focal: "-(1-q)**gamma*y*log(q) - q**gamma*(1-y)*log(1-q)"}     constants: {gamma: 2}

Each becomes a reported quantity, the batch mean L_n = (1/n) sum_i f(v_i) of the compiled formula
(`mcloss.maths.formula`: parsed with ast, compiled from the checked tree into numpy calls, never
eval'd). For the GAN a loss is ``{real: f_r, fake: f_f}`` and the batch loss is the pooled mean

    L_n = (1/n) [sum_real f_r(x_i) + sum_fake f_f(G(z_j))]  ->  pi E_data f_r + (1 - pi) E_{p_z} f_f(G(Z)),

as the discriminator's BCE is. Its exact limit and lim n Var come from the estimand's *frame*
(`Frame`): the laws the variables are functions of and the discrete outcomes (labels) summed with
their probabilities, integrated by `mcloss.maths.piecewise` split at the formula's kinks (the
sign changes of the arguments of abs, maximum, minimum, clip and of where's comparison), so a
hinge gets its value to 1e-12, not 1e-4. The term's tails are measured from the compiled formula
along each law's quantiles (`measured_growth`) and then checked, like every declared growth, by
the independent evidence of `mcloss.maths.tails` and Hill's index of the data.

An estimand that supports formulas declares `formula_frame()`; the wrapper here adds the terms,
estimates, exact values and tails, and delegates everything else. Optional ``identities:
[[a, b], ...]`` between any two quantities (built-in or formula) are checked on every batch.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mcloss.errors import ConfigError
from mcloss.maths.formula import Formula, Probability, check_constants, compile_formula
from mcloss.maths.piecewise import expect, expect_nested
from mcloss.maths.tails import TermTail

from .base import WRAPPERS, Estimand, Identity, Quantity

#: Relative tolerance of a formula's exact value and lim n Var (the piecewise rule's settling test).
RTOL = 1e-11
#: Tolerance of a user identity between two quantities on every batch, relative to max(1, |value|).
IDENTITY_TOLERANCE = 1e-12
#: The tail probability where the measurement of a formula's growth starts (`measured_growth`).
GROWTH_START = 1e-6
NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Branch:
    """One discrete outcome of a sample (a label): its probability and the formula's variables, given the laws'."""

    weight: Callable[..., Any]
    env: Callable[..., dict[str, Any]]


@dataclass(frozen=True)
class Part:
    """Where one side of a formula loss lives.

    ``env(sample)`` gives the variables of a chunk of ``stream``'s samples. For the exact value,
    the variables are functions of the continuous ``laws`` (none, one, or x then the noise e) and
    of the ``branches`` (the labels, weighted by their probabilities given the laws' values):
    E f = E_laws sum_b w_b f(env_b).
    """

    stream: str
    env: Callable[[Any], dict[str, Any]]
    laws: tuple[Any, ...]
    branches: tuple[Branch, ...]


@dataclass(frozen=True)
class Frame:
    """What an estimand offers formulas: their variables and how each side's terms are drawn and integrated."""

    variables: tuple[str, ...]
    parts: Mapping[str, Part]
    probabilities: Mapping[str, Probability] = field(default_factory=dict)
    #: side -> share of the batch (the GAN's pi and 1 - pi); one side "" with share 1 otherwise.
    shares: Mapping[str, float] = field(default_factory=lambda: {"": 1.0})
    #: Random GAN composition: the one stream holding both sides, its label 1 for a real sample.
    mixed_stream: str | None = None
    #: lim n Var over the i.i.d. value: (1 + rho) / (1 - rho) for Markov labels (every f(y) is affine in y).
    variance_factor: float = 1.0
    #: Why the limit is random (a frozen chain), else "".
    random_limit: str = ""


@dataclass(frozen=True)
class FormulaLoss:
    name: str
    formulas: Mapping[str, Formula]      # side -> compiled formula

    def text(self) -> str:
        if set(self.formulas) == {""}:
            return self.formulas[""].text
        return "; ".join(f"{side}: {f.text}" for side, f in self.formulas.items())


def _term(name: str, side: str) -> str:
    return f"formula.{name}" + (f".{side}" if side else "")


def measured_growth(term: Callable[[np.ndarray], np.ndarray], law) -> tuple[float | None, float | None]:
    """Degrees k of |term(x)| ~ c |x|^k as x -> -inf and +inf, measured from the term itself.

    0 on a bounded side of the support and where |term| does not grow. Else the slopes of log|term|
    on log|x| at |x| = b, 10^3 b, 10^6 b, 10^9 b (b the law's 1e-6 quantile, at least 1): the last
    slope where the last two agree within 0.02 (a multiple of 1/2 when within 0.05 of one); None
    where they do not (faster than any power, e.g. exp(x), or not yet settled), and the tails
    then settle the moments by the term's tail integral (`mcloss.maths.tails`).
    """
    low, high = (float(b) for b in law.support())
    found: list[float | None] = []
    for sign, bound, start in ((-1.0, low, law.ppf(GROWTH_START)), (1.0, high, law.isf(GROWTH_START))):
        if math.isfinite(bound):
            found.append(0.0)
            continue
        x = sign * max(1.0, abs(float(start))) * 10.0 ** (3.0 * np.arange(4))
        with np.errstate(all="ignore"):
            value = np.abs(np.asarray(term(x), dtype=np.float64))
        if not np.all(np.isfinite(value)):
            found.append(None)
            continue
        if np.all(value <= value[0] * (1.0 + 1e-9) + 1e-300):
            found.append(0.0)           # not growing: bounded (or decaying) on this side
            continue
        with np.errstate(all="ignore"):
            slopes = np.diff(np.log(value)) / np.diff(np.log(np.abs(x)))
        if not np.all(np.isfinite(slopes[-2:])) or abs(slopes[-1] - slopes[-2]) > 0.02:
            found.append(None)
            continue
        degree = float(slopes[-1])
        half = round(2.0 * degree) / 2.0
        found.append(max(0.0, half if abs(half - degree) < 0.05 else degree))
    return found[0], found[1]


class WithFormulas(Estimand):
    """An estimand plus the losses of its scenario's ``losses:`` mapping (and ``identities:``)."""

    def __init__(self, base: Estimand, spec, key):
        Estimand.__init__(self, spec, key)
        self.inner = base
        self.name = base.name
        raw = spec.get("losses") or {}
        if not isinstance(raw, Mapping):
            raise ConfigError(f"{key}.losses", f"got {raw!r}", "a mapping name -> formula")
        if "losses" in spec and not raw:
            raise ConfigError(f"{key}.losses", "is empty", "a mapping name -> formula")
        self.frame: Frame | None = None
        self.losses: list[FormulaLoss] = []
        if raw:
            frame_of = getattr(base, "formula_frame", None)
            if frame_of is None:
                raise ConfigError(f"{key}.losses", f"estimand {base.name} has no formula variables",
                                  "binary_cross_entropy, cross_entropy, gaussian_nll, gan_discriminator")
            self.frame = frame_of()
            self._compile(raw, spec, key)
        self.user_identities = self._identities(spec.get("identities"), key)

    def _compile(self, raw: Mapping, spec, key: str) -> None:
        frame = self.frame
        constants = check_constants(spec.get("constants") or {}, f"{key}.constants", frame.variables)
        own = {q.name for q in self.inner.quantities}
        sides = tuple(frame.shares)
        for name, text in raw.items():
            where = f"{key}.losses.{name}"
            if not isinstance(name, str) or not NAME.match(name) or name in own:
                raise ConfigError(where, "is not a name of its own" + (f" ({name} is one of the estimand's "
                                  "quantities)" if name in own else ""),
                                  "a letter then letters, digits, '_'; not " + ", ".join(sorted(own)))
            if sides == ("",):
                texts = {"": text}
            else:
                if not isinstance(text, Mapping) or set(text) != set(sides):
                    raise ConfigError(where, f"got {text!r}", "{" + ", ".join(f"{s}: <formula>" for s in sides)
                                      + "}: one formula per side of the batch")
                texts = {side: text[side] for side in sides}
            # A constant loss ("0") may reach here as a number (YAML, or the config's number normalisation).
            texts = {side: repr(float(t)) if isinstance(t, (int, float)) and not isinstance(t, bool) else t
                     for side, t in texts.items()}
            formulas = {side: compile_formula(t, where + (f".{side}" if side else ""), frame.variables,
                                              constants, frame.probabilities) for side, t in texts.items()}
            self.losses.append(FormulaLoss(name, formulas))

    def _identities(self, raw, key) -> tuple[Identity, ...]:
        if raw is None:
            return ()
        names = [q.name for q in self.quantities]
        found = []
        for i, pair in enumerate(raw if isinstance(raw, list) else [raw]):
            if (not isinstance(pair, list) or len(pair) != 2 or not all(isinstance(p, str) for p in pair)
                    or not isinstance(raw, list)):
                raise ConfigError(f"{key}.identities", f"got {pair!r}", "a list of pairs [a, b] of quantity names")
            for name in pair:
                if name not in names:
                    raise ConfigError(f"{key}.identities.{i}", f"{name!r} is not a quantity of this scenario",
                                      ", ".join(names))
            found.append(Identity(pair[0], pair[1], IDENTITY_TOLERANCE,
                                  f"{pair[0]} = {pair[1]} on every batch (config identity)"))
        return tuple(found)

    def __getattr__(self, name):
        # Only reached for what this class does not define: the wrapped estimand's own helpers. (Named
        # `inner`, not `base`: mcloss.laws.plans.Planned keeps its estimand as `base`, and code that unwraps a
        # plan must not unwrap the formulas too.)
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)

    # --- what the engine needs -------------------------------------------------
    @property
    def streams(self):
        return self.inner.streams

    @property
    def batch_unit(self):
        return self.inner.batch_unit

    def stream_counts(self, n):
        return self.inner.stream_counts(n)

    def terms(self, stream, sample):
        out = self.inner.terms(stream, sample)
        frame = self.frame
        if frame is None:
            return out
        if stream == frame.mixed_stream:
            label, value = sample
            env = frame.parts["real"].env(value)
            for loss in self.losses:
                real, fake = loss.formulas["real"](env), loss.formulas["fake"](env)
                out[_term(loss.name, "")] = np.where(label == 1.0, real, fake).astype(np.float64)
            return out
        for side, part in frame.parts.items():
            if part.stream != stream:
                continue
            env = part.env(sample)
            shape = max((np.shape(v) for v in env.values()), key=len)
            for loss in self.losses:
                # A formula of constants only (e.g. "0") is one value: every sample of the chunk has it.
                out[_term(loss.name, side)] = np.array(np.broadcast_to(loss.formulas[side](env), shape),
                                                       dtype=np.float64)
        return out

    def estimates(self, n, stats):
        found = self.inner.estimates(n, stats)
        nf = np.asarray(n, dtype=np.float64)
        for loss in self.losses:
            if self.frame.mixed_stream is not None or set(self.frame.shares) == {""}:
                term = stats[_term(loss.name, "")]
                found[loss.name] = (term.mean, np.sqrt(term.var / term.count))
                continue
            parts = [stats[_term(loss.name, side)] for side in self.frame.shares]
            total = sum(p.total for p in parts)
            spread = sum(p.count * p.var for p in parts)
            found[loss.name] = (total / nf, np.sqrt(spread) / nf)
        return found

    # --- what the analysis needs -----------------------------------------------
    @property
    def quantities(self):
        extra = tuple(Quantity(loss.name, loss.name.replace("_", r"\_"), f"formula loss: {loss.text()}",
                               unit="loss units") for loss in self.losses)
        return (*self.inner.quantities, *extra)

    @property
    def identities(self):
        return (*self.inner.identities, *self.user_identities)

    def _side_moments(self, loss: FormulaLoss, side: str) -> tuple[float, float]:
        """E f and Var f of one side's term over its part's law (settled: NaN with the reason kept)."""
        cache = self.__dict__.setdefault("_moments", {})
        if (loss.name, side) in cache:
            return cache[(loss.name, side)]
        formula, part = loss.formulas[side], self.frame.parts[side]
        where = f" ({side} side)" if side else ""
        mean = self.settle(f"exact value{where}", (loss.name,),
                           lambda: part_expectation(part, formula, lambda v: v, f"E {loss.name}{where}"))
        var = float("nan")
        if math.isfinite(mean):
            var = self.settle(f"lim n Var{where}", (loss.name,), lambda: part_expectation(
                part, formula, lambda v: (v - mean) ** 2, f"Var {loss.name}{where}"))
        cache[(loss.name, side)] = (mean, var)
        return mean, var

    def _formula_limits(self) -> tuple[dict[str, float], dict[str, float]]:
        exact, variance = {}, {}
        frame = self.frame
        for loss in self.losses:
            if frame.random_limit:
                exact[loss.name] = variance[loss.name] = float("nan")
                continue
            moments = {side: self._side_moments(loss, side) for side in frame.shares}
            exact[loss.name] = sum(frame.shares[s] * moments[s][0] for s in frame.shares)
            pooled = sum(frame.shares[s] * moments[s][1] for s in frame.shares)
            if frame.mixed_stream is not None:
                # Random composition adds the label term pi (1 - pi) (E_r - E_f)^2 (law of total variance).
                pi = frame.shares["real"]
                pooled += pi * (1.0 - pi) * (moments["real"][0] - moments["fake"][0]) ** 2
            variance[loss.name] = frame.variance_factor * pooled
        return exact, variance

    def exact(self):
        return {**self.inner.exact(), **self._formula_limits()[0]}

    def asymptotic_variance(self):
        return {**self.inner.asymptotic_variance(), **self._formula_limits()[1]}

    def unresolved(self):
        self.exact()
        self.asymptotic_variance()
        notes = dict(self.inner.unresolved())
        mine = self.__dict__.get("_unresolved", {})
        for name, reasons in mine.items():
            notes[name] = "; ".join(f"{what} unresolved: {why}" for what, why in reasons.items())
        return notes

    def term_tails(self):
        tails = dict(self.inner.term_tails())
        for loss in self.losses:
            found = []
            for side in self.frame.shares:
                found.extend(part_tails(self.frame.parts[side], loss.formulas[side]))
            tails[loss.name] = tuple(found) or (TermTail.bounded(),)
        return tails

    def measured_tails(self) -> tuple[str, ...]:
        """The quantities whose tails are measured from a formula (mcloss.maths.tails.reports: to be confirmed)."""
        return tuple(loss.name for loss in self.losses)

    def limit_notes(self):
        notes = dict(self.inner.limit_notes())
        if self.frame is not None and self.frame.random_limit:
            notes.update({loss.name: ("random limit", self.frame.random_limit) for loss in self.losses})
        return notes

    def bias_per_n(self):
        return self.inner.bias_per_n()

    def exact_checks(self):
        return self.inner.exact_checks()

    def describe(self):
        # Names only: the formulas are each quantity's meaning (panel titles, tables), and a title has 3 lines.
        if not self.losses:
            return self.inner.describe()
        return self.inner.describe() + "; formula losses " + ", ".join(loss.name for loss in self.losses)


# --- the exact side -------------------------------------------------------------------------
def _branch_values(part: Part, formula: Formula, g, *values):
    """sum_b w_b g(f(env_b)) at the laws' values."""
    total = 0.0
    for branch in part.branches:
        with np.errstate(all="ignore"):
            term = g(np.asarray(formula(branch.env(*values)), dtype=np.float64))
            weight = branch.weight(*values) if callable(branch.weight) else branch.weight
            total = total + np.where(np.asarray(weight) == 0.0, 0.0, weight * term)
    return total


def _branch_kinks(part: Part, formula: Formula, *values) -> list[np.ndarray]:
    found = []
    for branch in part.branches:
        found.extend(formula.kinks(branch.env(*values)))
    return found


def part_expectation(part: Part, formula: Formula, g: Callable[[np.ndarray], np.ndarray], what: str) -> float:
    """E_laws sum_b w_b g(f(env_b)): a finite sum, a piecewise rule over one law, or nested over two."""
    if not part.laws:
        return float(np.sum(_branch_values(part, formula, g)))
    if len(part.laws) == 1:
        return expect(lambda u: _branch_values(part, formula, g, u), part.laws[0],
                      lambda u: _branch_kinks(part, formula, u), rtol=RTOL, what=what)
    outer, inner = part.laws
    return expect_nested(lambda x, e: _branch_values(part, formula, g, x, e), outer, inner,
                         lambda x, e: _branch_kinks(part, formula, x, e), rtol=RTOL, what=what)


def part_tails(part: Part, formula: Formula) -> list[TermTail]:
    """The term's growth along each law's quantiles, the other law's variable held at its median."""
    if not part.laws:
        return [TermTail.bounded()]
    medians = [float(law.median()) for law in part.laws]
    found = []
    for i, law in enumerate(part.laws):
        def term(u, i=i):
            values = [np.full(np.shape(u), m) for m in medians]
            values[i] = np.asarray(u, dtype=np.float64)
            parts = [np.abs(np.asarray(formula(b.env(*values)), dtype=np.float64)) for b in part.branches]
            return np.max(np.broadcast_arrays(*parts), axis=0)
        left, right = measured_growth(term, law)
        found.append(TermTail(law, left, right, term))
    return found


def with_formulas(estimand: Estimand, spec: Mapping[str, Any], key: str) -> Estimand:
    """The estimand, wrapped with its scenario's formula losses when it has ``losses`` or ``identities``."""
    if "losses" not in spec and "identities" not in spec and "constants" not in spec:
        return estimand
    if "constants" in spec and "losses" not in spec:
        raise ConfigError(f"{key}.constants", "is set but the scenario has no `losses`", "constants used by losses")
    if "fit" in spec:
        # A fitted scenario runs on the fit path (mcloss.simulate.fitting), which reads the fitted estimand itself.
        what = "losses" if "losses" in spec else "identities"
        raise ConfigError(f"{key}.{what}", f"`{what}` score a fixed model, but this scenario fits one (`fit`)",
                          f"{what} on a scenario with `model` (or `discriminator`)")
    return WithFormulas(estimand, spec, key)

WRAPPERS.append(with_formulas)
