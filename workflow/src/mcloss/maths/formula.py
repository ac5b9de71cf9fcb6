"""Loss formulas typed in a config: the grammar they must keep, checked before anything is computed.

Owns the only way config text becomes arithmetic. The text is parsed by ``ast.parse(text, mode="eval")``
and never passed to eval, exec or compile; every node of the syntax tree is checked against a small grammar

    expr := number | name | expr (+ - * / **) expr | (- +) expr | f(expr, ...)
            | where(expr (< <= > >= == !=) expr, expr, expr)

(names: the caller's variables and constants; f: a function of `FUNCTIONS` with exactly its arity), with
no exponent tower, no exponent of size over 64 that involves no variable, at most 500 characters and 64
levels of nesting. What passes becomes the tree of `mcloss.maths.formula_tree` (every literal and
constant a float64, so no Python big integer is ever formed), which rewrites the textbook forms of
probability variables stably and compiles it into closures calling numpy. What fails raises a one-line
`ConfigError` naming the offending token, while compiling.

The public API is this module's: `compile_formula`, `check_constants`, `Formula`, `Probability`,
`FUNCTIONS`, `MAX_LENGTH`.
"""

from __future__ import annotations

import ast
import keyword
import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from ..errors import ConfigError
from .formula_tree import FUNCTIONS, Formula, Node, Num, Op, Probability, Var, closure, compile_tree, one_line, walk

__all__ = ["FUNCTIONS", "MAX_LENGTH", "Formula", "Probability", "check_constants", "compile_formula"]

#: Longest formula accepted (characters); checked before the text is parsed.
MAX_LENGTH = 500
#: Deepest nesting accepted: of brackets in the text and of expressions in the tree.
MAX_DEPTH = 64
#: Largest size of an exponent that involves no variable.
MAX_EXPONENT = 64.0
_EMPTY: Mapping = MappingProxyType({})

_BINARY = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow"}
_COMPARE = {ast.Lt: "lt", ast.LtE: "le", ast.Gt: "gt", ast.GtE: "ge", ast.Eq: "eq", ast.NotEq: "ne"}
_REJECTED = {
    ast.Attribute: "an attribute (`.`)", ast.Subscript: "a subscript (`[...]`)", ast.Lambda: "a lambda",
    ast.ListComp: "a comprehension", ast.SetComp: "a comprehension", ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a generator expression", ast.JoinedStr: "an f-string", ast.List: "a list",
    ast.Tuple: "a tuple", ast.Dict: "a dict", ast.Set: "a set", ast.BoolOp: "`and`/`or`",
    ast.IfExp: "an if-expression", ast.NamedExpr: "an assignment expression (`:=`)",
    ast.Starred: "unpacking (`*`)", ast.Compare: "a comparison outside the first argument of `where`",
    ast.Not: "`not`", ast.Invert: "the operator `~`", ast.Mod: "the operator `%`", ast.FloorDiv: "the operator `//`",
    ast.MatMult: "the operator `@`", ast.BitAnd: "the operator `&`", ast.BitOr: "the operator `|`",
    ast.BitXor: "the operator `^`", ast.LShift: "the operator `<<`", ast.RShift: "the operator `>>`",
}
_SYNTAX = ("numbers, the variables and constants, + - * / **, unary - and +, calls of the functions by name, "
           "one comparison (< <= > >= == !=) as the first argument of where")
_FUNCTION_LIST = "functions " + ", ".join(FUNCTIONS)


@dataclass(frozen=True)
class _Context:
    """What a check needs to say where a formula went wrong and what it may use instead."""

    text: str
    key: str
    variables: frozenset[str]
    constants: Mapping[str, float]

    def token(self, node: ast.AST) -> str:
        return one_line(ast.get_source_segment(self.text, node) or ast.dump(node))

    def names(self) -> str:
        constants = ", ".join(sorted(self.constants)) or "none"
        return f"variables {', '.join(sorted(self.variables)) or 'none'}; constants {constants}"

    def reject(self, node: ast.AST, problem: str, allowed: str | None = _SYNTAX) -> ConfigError:
        return ConfigError(self.key, f"`{self.token(node)}` {problem}", allowed)


def _convert(node: ast.expr, ctx: _Context) -> Node:
    """The checked tree of ``node``: raises `ConfigError` at the first construct outside the grammar."""
    if isinstance(node, ast.Constant):
        return Num(_literal(node, ctx))
    if isinstance(node, ast.Name):
        return _name(node, ctx)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.UAdd | ast.USub):
        operand = _convert(node.operand, ctx)
        if isinstance(node.op, ast.UAdd):
            return operand
        # Negating a literal is exact: -2 is the number -2, so it counts as a literal exponent.
        return Num(-operand.value) if isinstance(operand, Num) else Op("neg", (operand,))
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        if isinstance(node.op, ast.Pow) and any(isinstance(n, ast.BinOp) and isinstance(n.op, ast.Pow)
                                                for n in ast.walk(node.right)):
            raise ctx.reject(node, f"has `**` in the exponent `{ctx.token(node.right)}` (no exponent towers)")
        converted = Op(_BINARY[type(node.op)], (_convert(node.left, ctx), _convert(node.right, ctx)))
        if isinstance(node.op, ast.Pow):
            _check_exponent(node, converted.args[1], ctx)
        return converted
    if isinstance(node, ast.Call):
        return _call(node, ctx)
    what = _REJECTED.get(type(getattr(node, "op", None)), _REJECTED.get(type(node), type(node).__name__))
    raise ctx.reject(node, f"uses {what}, which is not allowed")


def _literal(node: ast.Constant, ctx: _Context) -> float:
    """A numeric literal as a float64: int and float only (not bool, complex, str, bytes, None, ...)."""
    if type(node.value) not in (int, float):
        raise ctx.reject(node, "is not a number (only int and float literals are)")
    try:
        value = float(node.value)
    except OverflowError:
        value = math.inf
    if not math.isfinite(value):
        raise ctx.reject(node, "is not a finite float64 number")
    return value


def _name(node: ast.Name, ctx: _Context) -> Node:
    if node.id.startswith("_"):
        raise ctx.reject(node, "is not an allowed name (no name starts with `_`)", ctx.names())
    if node.id in ctx.constants:
        return Num(ctx.constants[node.id])
    if node.id in ctx.variables:
        return Var(node.id)
    if node.id in FUNCTIONS:
        raise ctx.reject(node, f"is a function: call it as {node.id}(...)", ctx.names())
    raise ctx.reject(node, "is not an allowed name", ctx.names())


def _call(node: ast.Call, ctx: _Context) -> Node:
    if not isinstance(node.func, ast.Name):
        raise ctx.reject(node.func, "is not a function name: only the functions listed may be called",
                         _FUNCTION_LIST)
    name = node.func.id
    if name.startswith("_") or name not in FUNCTIONS:
        raise ctx.reject(node.func, "is not an allowed function", _FUNCTION_LIST)
    if node.keywords:
        raise ctx.reject(node, "passes keyword arguments, which are not allowed")
    for argument in node.args:
        if isinstance(argument, ast.Starred):
            raise ctx.reject(argument, "uses unpacking (`*`), which is not allowed")
    arity = FUNCTIONS[name].arity
    if len(node.args) != arity:
        raise ctx.reject(node, f"gives `{name}` {len(node.args)} argument(s); it takes {arity}", _FUNCTION_LIST)
    first = _comparison(node.args[0], ctx) if name == "where" else _convert(node.args[0], ctx)
    return Op(name, (first, *(_convert(argument, ctx) for argument in node.args[1:])))


def _comparison(node: ast.expr, ctx: _Context) -> Op:
    """The first argument of where: exactly one comparison of two expressions."""
    if not isinstance(node, ast.Compare):
        raise ctx.reject(node, "is not a comparison: the first argument of `where` is one comparison")
    if len(node.ops) != 1:
        raise ctx.reject(node, "is a chained comparison: write one comparison (combine with nested where)")
    if type(node.ops[0]) not in _COMPARE:
        raise ctx.reject(node, "uses a comparison other than < <= > >= == !=")
    return Op(_COMPARE[type(node.ops[0])], (_convert(node.left, ctx), _convert(node.comparators[0], ctx)))


def _check_exponent(node: ast.BinOp, exponent: Node, ctx: _Context) -> None:
    """An exponent free of variables (a literal, a constant, arithmetic on them) must have size <= 64."""
    if any(isinstance(n, Var) for n in walk(exponent)):
        return
    with np.errstate(all="ignore"):
        value = float(closure(exponent)({}))
    if not abs(value) <= MAX_EXPONENT:  # also refuses nan
        raise ctx.reject(node, f"has a huge exponent {value:g} (its size must be at most {MAX_EXPONENT:g})")


def _check_depth(tree: ast.Expression, ctx: _Context) -> None:
    """At most MAX_DEPTH nested expressions, found without recursion (the checks after it recurse)."""
    stack: list[tuple[ast.AST, int]] = [(tree.body, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ctx.reject(node, f"is nested deeper than {MAX_DEPTH} levels")
        stack.extend((child, depth + isinstance(child, ast.expr)) for child in ast.iter_child_nodes(node))


def _parse(text: object, key: str) -> ast.Expression:
    """The syntax tree of ``text``, after the checks that need no tree (type, length, bracket depth)."""
    if not isinstance(text, str):
        raise ConfigError(key, f"a formula must be a string, not {type(text).__name__}", "text such as "
                          "`-y*log(q) - (1-y)*log(1-q)`")
    if len(text) > MAX_LENGTH:
        raise ConfigError(key, f"the formula `{one_line(text, 30)}` is {len(text)} characters long",
                          f"at most {MAX_LENGTH}")
    depth = deepest = 0
    for character in text:
        depth += (character in "([{") - (character in ")]}")
        deepest = max(deepest, depth)
    if deepest > MAX_DEPTH:
        raise ConfigError(key, f"the formula `{one_line(text, 30)}` nests brackets {deepest} deep",
                          f"at most {MAX_DEPTH}")
    try:
        return ast.parse(text, mode="eval")
    except SyntaxError as error:
        column = max((error.offset or 1) - 1, 0)
        line = (text.splitlines() or [""])[max((error.lineno or 1) - 1, 0)]
        where = f"line {error.lineno} " if (error.lineno or 1) > 1 else ""
        near = f"near `{one_line(line[column:], 20)}`" if line[column:].strip() else "at the end of the line"
        raise ConfigError(key, f"syntax error at {where}column {column + 1} {near}: {one_line(error.msg)}",
                          _SYNTAX) from None
    except (RecursionError, MemoryError, ValueError) as error:
        raise ConfigError(key, f"the formula `{one_line(text, 30)}` cannot be parsed "
                                   f"({type(error).__name__})", _SYNTAX) from None


def check_constants(constants: Mapping[str, float], key: str, variables: Collection[str]) -> dict[str, float]:
    """The user's constants as float64 values, after checking each name and value.

    A name must be an identifier, not a keyword, not start with `_` and not shadow a variable or a
    function; a value must be a finite real number (bool is not one). Errors name ``{key}.{name}``.
    """
    if not isinstance(constants, Mapping):
        raise ConfigError(key, f"constants must be a mapping of names to numbers, not {type(constants).__name__}")
    variables = frozenset(variables)
    allowed = (f"identifiers not starting with `_`, other than the variables ({', '.join(sorted(variables))}) "
               "and the function names")
    checked = {}
    for name, value in constants.items():
        label = f"{key}.{name if isinstance(name, str) and name.isprintable() else repr(name)}"
        if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
            raise ConfigError(label, "a constant's name must be an identifier", allowed)
        if name.startswith("_"):
            raise ConfigError(label, "a constant's name must not start with `_`", allowed)
        if name in variables or name in FUNCTIONS:
            what = "variable" if name in variables else "function"
            raise ConfigError(label, f"the constant shadows the {what} `{name}`", allowed)
        if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.integer | np.floating):
            raise ConfigError(label, f"a constant must be a real number, not {type(value).__name__}",
                              "finite int or float values")
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            raise ConfigError(label, f"a constant must be finite, not {one_line(str(value), 20)}",
                              "finite int or float values")
        checked[name] = number
    return checked


def compile_formula(text: object, key: str, variables: Collection[str], constants: Mapping[str, float] = _EMPTY,
                    probabilities: Mapping[str, Probability] = _EMPTY) -> Formula:
    """The formula ``text`` (config key ``key``) checked, rewritten stably and compiled to numpy calls.

    ``variables``: the names it may use; ``constants``: user constants, substituted as float64
    values; ``probabilities``: which variables are probabilities and how each is computed stably.
    Raises `ConfigError` (one line, naming the offending token) for anything outside the grammar.
    """
    constants = check_constants(constants, key, variables)
    tree = _parse(text, key)
    ctx = _Context(text, key, frozenset(variables), constants)
    _check_depth(tree, ctx)
    return compile_tree(text, _convert(tree.body, ctx), probabilities)

