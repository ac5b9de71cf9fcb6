"""What a checked loss formula compiles to: the function table, the tree, its stable rewrites, numpy closures.

`mcloss.maths.formula` checks config text against the grammar and builds the tree of this module
(`Num`, `Var`, `Op`: numbers, environment names, named operations); here the tree is rewritten
stably and compiled into nested Python closures calling numpy, wrapped in a `Formula`. Nothing here
reads text.

The stable rewrites replace the textbook forms of a probability variable P by forms computed from its
logit T (P = sigmoid(T)) or its log L (P = e^L) without cancellation:

    log P      -> log_sigmoid(T)       | L
    log(1 - P) -> log1m_sigmoid(T)     | log1mexp(L) = log(1 - e^L)
    1 - P      -> sigmoid(-T)          | -expm1(L)
    P          -> sigmoid(T)           | exp(L)

so a formula copied from a paper stays finite at saturated predictions (T = +-800).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import NamedTuple

import numpy as np

from .numerics import log1m_sigmoid, log_sigmoid, softplus

Value = np.ndarray | float


def expit(u):
    """sigmoid(u) by scipy.special.expit, imported on first use: a simulate job loads every estimand module,
    and one whose laws numpy draws imports no scipy at all (issue 24)."""
    import scipy.special

    return scipy.special.expit(u)


def _log1mexp(log_p: np.ndarray) -> np.ndarray:
    """log(1 - e^L) for L <= 0: log(-expm1(L)) for L > -log 2, else log1p(-exp(L)) (Maechler 2012).

    Each branch is used where its argument carries no cancellation: near L = 0, 1 - e^L is formed
    by expm1 to full relative accuracy; far below, e^L is small and log1p keeps it.
    """
    near_zero = log_p > -math.log(2.0)
    return np.where(near_zero, np.log(-np.expm1(log_p)), np.log1p(-np.exp(log_p)))


class Function(NamedTuple):
    """A function a formula may call: how many arguments it takes, what computes it, what it means."""

    arity: int
    implementation: Callable[..., np.ndarray]
    meaning: str


#: The functions a formula may call, by name. Those marked "kink" in their meaning are where
#: `Formula.kinks` looks for points at which the formula is not smooth.
FUNCTIONS: Mapping[str, Function] = MappingProxyType({
    "log": Function(1, np.log, "natural logarithm log u"),
    "log1p": Function(1, np.log1p, "log(1 + u), accurate for small u"),
    "exp": Function(1, np.exp, "e^u"),
    "expm1": Function(1, np.expm1, "e^u - 1, accurate for small u"),
    "sqrt": Function(1, np.sqrt, "square root"),
    "abs": Function(1, np.abs, "|u| (kink at u = 0)"),
    "square": Function(1, np.square, "u^2"),
    "tanh": Function(1, np.tanh, "hyperbolic tangent"),
    "sigmoid": Function(1, expit, "1 / (1 + e^-u), without overflow"),
    "softplus": Function(1, softplus, "log(1 + e^u) = max(u, 0) + log1p(e^-|u|)"),
    "log_sigmoid": Function(1, log_sigmoid, "log sigmoid(u) = min(u, 0) - log1p(e^-|u|)"),
    "log1m_sigmoid": Function(1, log1m_sigmoid, "log(1 - sigmoid(u)) = -max(u, 0) - log1p(e^-|u|)"),
    "log1mexp": Function(1, _log1mexp, "log(1 - e^u) for u <= 0, without cancellation"),
    "logaddexp": Function(2, np.logaddexp, "log(e^a + e^b), without overflow"),
    "minimum": Function(2, np.minimum, "the smaller of a and b (kink at a = b)"),
    "maximum": Function(2, np.maximum, "the larger of a and b (kink at a = b)"),
    "where": Function(3, np.where, "where(a OP b, x, y): x where the comparison holds, else y (jump at a = b)"),
    "clip": Function(3, np.clip, "u limited to [lo, hi] (kinks at u = lo and u = hi)"),
})

#: Every operation a tree may hold: the operators, the comparisons (only inside where) and the functions.
IMPLEMENTATIONS: Mapping[str, Callable[..., np.ndarray]] = MappingProxyType({
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.true_divide, "pow": np.power,
    "neg": np.negative, "lt": np.less, "le": np.less_equal, "gt": np.greater, "ge": np.greater_equal,
    "eq": np.equal, "ne": np.not_equal, **{name: f.implementation for name, f in FUNCTIONS.items()},
})


@dataclass(frozen=True)
class Probability:
    """How a probability variable P of the formula is computed stably (exactly one field set).

    ``logit``: P = sigmoid(env[logit]); ``log``: log P = env[log].
    """

    logit: str | None = None
    log: str | None = None

    def __post_init__(self):
        if [self.logit, self.log].count(None) != 1:
            raise ValueError("a Probability is given by exactly one of logit= and log=")


# --- the checked tree: numbers, environment names and named operations ---------------------------------------
@dataclass(frozen=True)
class Num:
    """A float64 number: a literal or a constant of the config."""

    value: float


@dataclass(frozen=True)
class Var:
    """A name read from the environment when the formula is evaluated."""

    name: str


@dataclass(frozen=True)
class Op:
    """An operation (a key of `IMPLEMENTATIONS`) applied to its arguments."""

    name: str
    args: tuple[Num | Var | Op, ...]


Node = Num | Var | Op


def one_line(text: str, limit: int = 60) -> str:
    """``text`` for a one-line message: whitespace runs as one space, control characters escaped, cut short."""
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in " ".join(text.split()))
    return text if len(text) <= limit else text[:limit - 3] + "..."


def walk(node: Node) -> Iterator[Node]:
    """``node`` and every node below it, parents first."""
    yield node
    if isinstance(node, Op):
        for argument in node.args:
            yield from walk(argument)


# --- stable rewrites of probability variables -----------------------------------------------------------------
def _stable(form: str, p: Probability) -> Node:
    """``form`` of P ("value" P, "complement" 1 - P, "log" log P, "log1m" log(1 - P)) from its logit or log."""
    if p.logit is not None:
        t = Var(p.logit)
        return {"value": Op("sigmoid", (t,)), "complement": Op("sigmoid", (Op("neg", (t,)),)),
                "log": Op("log_sigmoid", (t,)), "log1m": Op("log1m_sigmoid", (t,))}[form]
    log_p = Var(p.log)
    return {"value": Op("exp", (log_p,)), "complement": Op("neg", (Op("expm1", (log_p,)),)),
            "log": log_p, "log1m": Op("log1mexp", (log_p,))}[form]


def rewrite(node: Node, probabilities: Mapping[str, Probability]) -> Node:
    """``node`` with every textbook form of a probability variable replaced by its stable form, outermost first."""
    def probability(n: Node) -> Probability | None:
        return probabilities.get(n.name) if isinstance(n, Var) else None

    def complement(n: Node) -> Probability | None:  # 1 - P
        if isinstance(n, Op) and n.name == "sub" and n.args[0] == Num(1.0):
            return probability(n.args[1])
        return None

    if probability(node):
        return _stable("value", probability(node))
    if not isinstance(node, Op):
        return node
    only = node.args[0]
    if node.name == "log" and probability(only):
        return _stable("log", probability(only))
    if node.name == "log" and complement(only):
        return _stable("log1m", complement(only))
    if node.name == "log1p" and isinstance(only, Op) and only.name == "neg" and probability(only.args[0]):
        return _stable("log1m", probability(only.args[0]))
    if complement(node):
        return _stable("complement", complement(node))
    return Op(node.name, tuple(rewrite(argument, probabilities) for argument in node.args))


# --- compiling: closures over numpy, and the kinks ------------------------------------------------------------
def closure(node: Node) -> Callable[[Mapping[str, np.ndarray]], np.ndarray]:
    """A function of the environment computing ``node`` by numpy calls (no eval, exec or compile)."""
    if isinstance(node, Num):
        value = np.float64(node.value)
        return lambda env: value
    if isinstance(node, Var):
        return operator.itemgetter(node.name)
    implementation = IMPLEMENTATIONS[node.name]
    parts = tuple(closure(argument) for argument in node.args)
    if len(parts) == 1:
        (a,) = parts
        return lambda env: implementation(a(env))
    if len(parts) == 2:
        a, b = parts
        return lambda env: implementation(a(env), b(env))
    return lambda env: implementation(*(part(env) for part in parts))


def kink_expressions(node: Node) -> list[Node]:
    """Expressions whose sign change is a kink or a jump of ``node``, each once, in the order found."""
    found: list[Node] = []
    for n in walk(node):
        if not isinstance(n, Op):
            continue
        if n.name == "abs":
            found.append(n.args[0])
        elif n.name in ("minimum", "maximum"):
            found.append(Op("sub", n.args))
        elif n.name == "where":
            found.append(Op("sub", n.args[0].args))
        elif n.name == "clip":
            found += [Op("sub", (n.args[0], n.args[1])), Op("sub", (n.args[0], n.args[2]))]
    return list(dict.fromkeys(found))


def _shaped(value: np.ndarray, env: Mapping[str, Value], arrays: Mapping[str, np.ndarray]) -> np.ndarray:
    """``value`` as a float64 array of the broadcast shape of every value in ``env``, never one of its arrays."""
    value = np.asarray(value, dtype=np.float64)
    shape = np.broadcast_shapes(*(np.shape(v) for v in env.values()))
    if value.shape != shape:
        return np.array(np.broadcast_to(value, shape))
    return value.copy() if any(value is a for a in arrays.values()) else value


@dataclass(frozen=True, eq=False)  # equal only to itself: the same text with other constants is another f
class Formula:
    """A compiled formula: f(env) by numpy calls on the environment's arrays, with its kinks.

    ``needs`` are the environment names it reads after the stable rewrites (the logit t, not the
    probability q = sigmoid(t)). Calling it gives f at ``env`` as float64, broadcast over every value
    of ``env``; values that are not finite (log 0, 0/0, overflow) are returned, not raised: the caller
    counts them.
    """

    text: str
    needs: frozenset[str]
    _evaluate: Callable[[Mapping[str, np.ndarray]], np.ndarray] = field(repr=False)
    _kink_functions: tuple[Callable[[Mapping[str, np.ndarray]], np.ndarray], ...] = field(repr=False)

    def _arrays(self, env: Mapping[str, Value]) -> dict[str, np.ndarray]:
        missing = sorted(self.needs - set(env))
        if missing:
            raise KeyError(f"the formula `{one_line(self.text)}` needs {', '.join(missing)} in its environment")
        return {name: np.asarray(env[name], dtype=np.float64) for name in self.needs}

    def __call__(self, env: Mapping[str, Value]) -> np.ndarray:
        arrays = self._arrays(env)
        with np.errstate(all="ignore"):
            return _shaped(self._evaluate(arrays), env, arrays)

    def kinks(self, env: Mapping[str, Value]) -> list[np.ndarray]:
        """At ``env``, every expression whose sign change is a kink or jump of f (to split quadrature there).

        abs(u) -> u; minimum(a, b), maximum(a, b) -> a - b; where(a OP b, x, y) -> a - b;
        clip(u, lo, hi) -> u - lo and u - hi. Each is broadcast like the value of the formula.
        """
        arrays = self._arrays(env)
        with np.errstate(all="ignore"):
            return [_shaped(kink(arrays), env, arrays) for kink in self._kink_functions]




def compile_tree(text: str, node: Node, probabilities: Mapping[str, Probability]) -> Formula:
    """The `Formula` of the checked tree ``node`` (written as ``text``), after the stable rewrites."""
    node = rewrite(node, probabilities)
    needs = frozenset(n.name for n in walk(node) if isinstance(n, Var))
    return Formula(text, needs, closure(node), tuple(closure(kink) for kink in kink_expressions(node)))
