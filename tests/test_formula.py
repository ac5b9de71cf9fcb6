"""Loss formulas from the config: hostile text is refused unevaluated, what passes computes the stated maths.

The safety half feeds the compiler text that would run code, read files or exhaust memory in an
``eval``-based design, and checks each is refused with a one-line ConfigError naming the token, while
eval, exec and code-producing compile are patched to fail the test. The numeric half checks the stable
rewrites against mcloss.maths.numerics at saturated logits (t = +-800), the kinks, the constants and
broadcasting.
"""

import ast
import builtins
from pathlib import Path

import numpy as np
import pytest
import scipy.special

from common import ROOT
from mcloss.errors import ConfigError
from mcloss.maths.formula import (
    FUNCTIONS,
    MAX_LENGTH,
    Probability,
    check_constants,
    compile_formula,
)
from mcloss.maths.numerics import log1m_sigmoid, log_sigmoid

KEY = "scenarios.s.losses.l"
VARIABLES = ("y", "q", "t", "x", "m", "d", "p", "lp")
LOGIT = {"q": Probability(logit="t")}
LOG = {"p": Probability(log="lp")}
BCE = "-y*log(q) - (1-y)*log(1-q)"
FOCAL = "-(1-q)**gamma * y*log(q) - q**gamma * (1-y)*log(1-q)"
HUBER = "where(abs(y - m) <= delta, 0.5*(y-m)**2, delta*(abs(y-m) - 0.5*delta))"
#: Logits from saturated to saturated, both signs, with the region where a naive 1 - q cancels.
T = np.concatenate([[-800.0, -745.0, -100.0], np.linspace(-40, 40, 801), [100.0, 745.0, 800.0]])
Y = np.array([[0.0], [1.0]])  # a column: every formula below is evaluated on the (2, len(T)) grid


def close(got, expected, tolerance=1e-12):
    """|got - expected| <= tolerance * max(1, |expected|) everywhere, and both finite."""
    got, expected = np.broadcast_arrays(np.asarray(got, dtype=float), np.asarray(expected, dtype=float))
    assert np.isfinite(got).all() and np.isfinite(expected).all()
    error = np.abs(got - expected) / np.maximum(1.0, np.abs(expected))
    assert error.max() <= tolerance, f"max relative error {error.max():.3g}"


def bce_reference(y, t):
    return -(y * log_sigmoid(t) + (1 - y) * log1m_sigmoid(t))


# --- safety ---------------------------------------------------------------------------------------------------
@pytest.fixture
def no_code_execution(monkeypatch):
    """eval, exec, compile to code and imports of os-like modules fail the test; ast-only parsing is allowed."""
    real_compile, real_import = builtins.compile, builtins.__import__

    def forbidden(*args, **kwargs):
        pytest.fail(f"config text reached eval/exec: {args[:1]}")

    def ast_only_compile(source, filename, mode, flags=0, *args, **kwargs):
        if not flags & ast.PyCF_ONLY_AST:
            pytest.fail(f"compile() to code of {source!r}")
        return real_compile(source, filename, mode, flags, *args, **kwargs)

    def guarded_import(name, *args, **kwargs):
        if name.partition(".")[0] in {"os", "subprocess", "shutil", "socket", "pty", "ctypes"}:
            pytest.fail(f"import of {name} while compiling a formula")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    monkeypatch.setattr(builtins, "compile", ast_only_compile)
    monkeypatch.setattr(builtins, "__import__", guarded_import)


HOSTILE = [  # (formula, a token the message must name)
    ("__import__('os').system('touch {tmp}/pwned')", "__import__"),
    ("().__class__.__bases__[0].__subclasses__()", "__subclasses__"),
    ("q.__class__", "q.__class__"),
    ("(lambda: 1)()", "lambda"),
    ("[x for x in q]", "[x for x in q]"),
    ("sum(i for i in y)", "`sum`"),
    ("'a' * 10", "'a'"),
    ("f'{q}'", "f'{q}'"),
    ("2 ** 2 ** 10", "2 ** 10"),
    ("q ** 1e6", "huge exponent"),
    ("10 ** 400", "huge exponent"),
    ("q ** (gamma * 40)", "huge exponent"),
    ("q ** exp(y ** 2)", "y ** 2"),
    ("open('{tmp}/opened', 'w')", "`open`"),
    ("eval('1')", "`eval`"),
    ("exec('1')", "`exec`"),
    ("getattr(q, 'x')", "`getattr`"),
    ("globals()", "`globals`"),
    ("y[0]", "y[0]"),
    ("y if q else t", "if-expression"),
    ("q and y", "q and y"),
    ("not q", "not"),
    ("q < 1", "where"),
    ("where(0 < q < 1, q, y)", "0 < q < 1"),
    ("where(q, y, t)", "comparison"),
    ("where(q is y, y, t)", "q is y"),
    ("log(q, 2)", "log(q, 2)"),
    ("log(x=q)", "log(x=q)"),
    ("log(*q)", "*q"),
    ("q(1)", "`q`"),
    ("log", "`log`"),
    ("unknown_fn(q)", "unknown_fn"),
    ("zz + 1", "`zz`"),
    ("_secret", "_secret"),
    ("q % 2", "%"),
    ("q // 2", "//"),
    ("q @ q", "@"),
    ("~q", "~"),
    ("q << 2", "<<"),
    ("(q := 1)", ":="),
    ("*q", "*q"),
    ("{1: 2}", "{1: 2}"),
    ("{q}", "{q}"),
    ("(q, y)", "tuple"),
    ("1j", "1j"),
    ("True", "True"),
    ("None", "None"),
    ("...", "..."),
    ("b'x'", "b'x'"),
    ("1e400", "1e400"),
    ("1" * 400, "1111"),
    ("q +", "column"),
    ("q\x00", "\\x00"),
    ("x" * (MAX_LENGTH + 1), f"{MAX_LENGTH + 1} characters"),
    ("-" * 10_000 + "q", "10001 characters"),
    ("(" * 200 + "q" + ")" * 200, "200 deep"),
    ("-" * 100 + "q", "deeper than 64"),
    ("+".join(["q"] * 70), "deeper than 64"),
    (3, "not int"),
    (["q"], "not list"),
    (None, "not NoneType"),
]


@pytest.mark.parametrize("text, token", HOSTILE, ids=[repr(t)[:40] for t, _ in HOSTILE])
def test_hostile_formulas_are_refused_unevaluated(text, token, tmp_path, no_code_execution):
    if isinstance(text, str):
        text = text.replace("{tmp}", str(tmp_path))
    with pytest.raises(ConfigError) as caught:
        compile_formula(text, KEY, VARIABLES, {"gamma": 2.0}, LOGIT)
    message = str(caught.value)
    assert "\n" not in message and "\r" not in message and "\x00" not in message
    assert message.startswith(f"config key {KEY}: ")
    assert token in message, message
    assert not list(tmp_path.iterdir()), "a side effect of the formula happened"
    assert not Path("/tmp/pwned").exists()


def test_the_messages_say_what_is_allowed():
    def message(text):
        with pytest.raises(ConfigError) as caught:
            compile_formula(text, KEY, ("y", "q"), {"gamma": 1.0})
        return str(caught.value)

    assert message("zz").endswith("allowed: variables q, y; constants gamma")
    assert "allowed: functions log, log1p" in message("cos(q)")
    assert "it takes 3" in message("where(q < 1, q)")
    assert "one comparison" in message("q < 1").split("allowed:")[1]


def test_depth_limit_is_exact_and_reached_without_recursion(monkeypatch):
    deepest = "-" * 63 + "q"  # 64 nested expressions
    assert compile_formula(deepest, KEY, VARIABLES)({"q": 2.0}) == -2.0
    with pytest.raises(ConfigError, match="deeper than 64"):
        compile_formula("-" + deepest, KEY, VARIABLES)
    assert compile_formula("(" * 64 + "q" + ")" * 64, KEY, VARIABLES)({"q": 3.0}) == 3.0

    def exhausted(*args, **kwargs):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(ast, "parse", exhausted)  # the parser itself giving up
    with pytest.raises(ConfigError, match="cannot be parsed .RecursionError."):
        compile_formula("q", KEY, VARIABLES)


def test_exponent_rules():
    env = {"q": np.array([0.5, 2.0]), "y": np.array([1.0, 3.0])}
    np.testing.assert_array_equal(compile_formula("q ** 64", KEY, VARIABLES)(env), env["q"] ** 64)
    np.testing.assert_array_equal(compile_formula("q ** -64", KEY, VARIABLES)(env), env["q"] ** -64.0)
    np.testing.assert_array_equal(compile_formula("q ** y", KEY, VARIABLES)(env), [0.5, 8.0])
    for text, gamma in [("q ** 64.5", 1.0), ("q ** -65", 1.0), ("q ** gamma", 65.0), ("q ** log(-1)", 1.0)]:
        with pytest.raises(ConfigError, match="huge exponent"):
            compile_formula(text, KEY, VARIABLES, {"gamma": gamma})
    # Literals are float64 throughout: 10 ** 60 is the float, never a Python int.
    value = compile_formula("10 ** 60 + 1", KEY, VARIABLES)({})
    assert value.dtype == np.float64 and value == 1e60


def test_the_compiler_never_reaches_eval_exec_or_compile():
    # The modules' own code: no call of eval, exec, compile or __import__ anywhere.
    for module in ("formula.py", "formula_tree.py"):
        tree = ast.parse((ROOT / "workflow" / "src" / "mcloss" / "maths" / module).read_text())
        called = {node.func.id for node in ast.walk(tree) if isinstance(node, ast.Call)
                  and isinstance(node.func, ast.Name)}
        assert not called & {"eval", "exec", "compile", "__import__"}, module


def test_benign_formulas_compile_and_run_with_eval_exec_compile_forbidden(no_code_execution):
    f = compile_formula(HUBER, KEY, VARIABLES, {"delta": 1.0})
    np.testing.assert_array_equal(f({"y": np.array([0.5, 2.0]), "m": 0.0}), [0.125, 1.5])


# --- the functions and the stable rewrites --------------------------------------------------------------------
def test_every_function_compiles_with_its_arity_and_is_documented():
    docs = (ROOT / "docs" / "formulas.md").read_text()
    x = np.array([-0.5, 0.1, 3.0])
    for name, function in FUNCTIONS.items():
        texts, values = ["x", "0.25", "2.0"], [x, 0.25, 2.0]
        if name == "where":
            texts, values = ["x < 0.5", "x", "-x"], [x < 0.5, x, -x]
        f = compile_formula(f"{name}({', '.join(texts[:function.arity])})", KEY, VARIABLES)
        with np.errstate(all="ignore"):
            expected = function.implementation(*values[:function.arity])
        np.testing.assert_array_equal(f({"x": x}), expected, err_msg=name)
        assert f"`{name}`" in docs, f"{name} is not in docs/formulas.md"
    assert str(MAX_LENGTH) in docs


def test_sigmoid_softplus_log_sigmoid_match_scipy():
    u = np.linspace(-700, 700, 14_001)
    for name, reference in [("sigmoid", scipy.special.expit), ("softplus", scipy.special.softplus),
                            ("log_sigmoid", scipy.special.log_expit), ("tanh", np.tanh)]:
        got = compile_formula(f"{name}(x)", KEY, VARIABLES)({"x": u})
        np.testing.assert_allclose(got, reference(u), rtol=1e-14, atol=0, err_msg=name)
    # log1mexp(log sigmoid t) = log(1 - sigmoid t), across its branch point log sigmoid t = -log 2 (t = 0).
    f = compile_formula("log1mexp(log_sigmoid(x))", KEY, VARIABLES)
    close(f({"x": u}), log1m_sigmoid(u))


@pytest.mark.parametrize("text", [BCE, "-(y*log(q) + (1.0 - y)*log((1.0 - q)))", "-y*log(q) - (1-y)*log1p(-q)",
                                  "-y*log(+q) - (1-y)*log(1 - (q))"])
def test_cross_entropy_from_logits_is_exact_at_saturation(text):
    f = compile_formula(text, KEY, VARIABLES, probabilities=LOGIT)
    assert f.needs == {"y", "t"}
    close(f({"y": Y, "t": T}), bce_reference(Y, T))


def test_without_the_rewrite_the_same_formula_is_infinite():
    # What the rewrite prevents: q = sigmoid(t) rounds to 0 or 1 and a log is -inf.
    naive = compile_formula(BCE, KEY, VARIABLES)({"y": Y, "q": scipy.special.expit(T)})
    assert not np.isfinite(naive).all()


def test_focal_loss():
    env = {"y": Y, "t": T}
    focal0 = compile_formula(FOCAL, KEY, VARIABLES, {"gamma": 0.0}, LOGIT)
    close(focal0(env), bce_reference(Y, T))
    q, log_q, log_1mq = scipy.special.expit(T), log_sigmoid(T), log1m_sigmoid(T)
    expected = -(1 - q) ** 2 * Y * log_q - q ** 2 * (1 - Y) * log_1mq
    close(compile_formula(FOCAL, KEY, VARIABLES, {"gamma": 2.0}, LOGIT)(env), expected)


def test_complement_has_no_cancellation():
    # 1 - sigmoid(40) is 4.2e-18; formed as 1 - q it would be 0.
    t = np.array([-800.0, 0.0, 40.0, 800.0])
    got = compile_formula("1 - q", KEY, VARIABLES, probabilities=LOGIT)({"t": t})
    np.testing.assert_allclose(got, scipy.special.expit(-t), rtol=1e-15, atol=0)
    assert got[2] > 0
    np.testing.assert_allclose(compile_formula("q", KEY, VARIABLES, probabilities=LOGIT)({"t": t}),
                               scipy.special.expit(t), rtol=1e-15, atol=0)


def test_cross_entropy_from_log_probabilities():
    t = T[T <= 700]  # log sigmoid t itself rounds to 0 beyond about 745: the log loses what is left
    lp = log_sigmoid(t)
    f = compile_formula(BCE.replace("q", "p"), KEY, VARIABLES, probabilities=LOG)
    assert f.needs == {"y", "lp"}
    close(f({"y": Y, "lp": lp}), bce_reference(Y, t))
    close(compile_formula("1 - p", KEY, VARIABLES, probabilities=LOG)({"lp": lp}), scipy.special.expit(-t),
          1e-13)
    close(compile_formula("p", KEY, VARIABLES, probabilities=LOG)({"lp": lp}), scipy.special.expit(t), 1e-13)


def test_a_probability_is_given_one_way():
    with pytest.raises(ValueError):
        Probability()
    with pytest.raises(ValueError):
        Probability(logit="t", log="lp")


# --- kinks, known values, constants, broadcasting ---------------------------------------------------------------
def test_hinge_kink_is_a_minus_b():
    f = compile_formula("maximum(0, 1 - t)", KEY, VARIABLES)
    t = np.array([-2.0, 0.5, 1.0, 3.0])
    np.testing.assert_array_equal(f({"t": t}), [3.0, 0.5, 0.0, 0.0])
    (kink,) = f.kinks({"t": t})
    np.testing.assert_array_equal(kink, 0 - (1 - t))


def test_huber_values_and_kinks():
    f = compile_formula(HUBER, KEY, VARIABLES, {"delta": 1.0})
    env = {"y": np.array([0.5, 2.0, -3.0, 1.0, 0.0]), "m": 0.0}
    np.testing.assert_array_equal(f(env), [0.125, 1.5, 2.5, 0.5, 0.0])
    kinks = f.kinks(env)
    assert len(kinks) == 2  # |y - m| - delta from where, y - m from abs (once, though written twice)
    np.testing.assert_array_equal(kinks[0], np.abs(env["y"]) - 1.0)
    np.testing.assert_array_equal(kinks[1], env["y"])
    assert all(k.shape == (5,) for k in kinks)


def test_clip_and_rewritten_kinks():
    f = compile_formula("clip(x, -1, 2) + where(q < 0.25, 0, 1)", KEY, VARIABLES, probabilities=LOGIT)
    x, t = np.array([-3.0, 0.0, 5.0]), np.array([-2.0, 0.0, 2.0])
    kinks = f.kinks({"x": x, "t": t})
    np.testing.assert_array_equal(kinks[0], x + 1)
    np.testing.assert_array_equal(kinks[1], x - 2)
    np.testing.assert_allclose(kinks[2], scipy.special.expit(t) - 0.25, rtol=1e-15)  # in t, not q
    assert compile_formula(BCE, KEY, VARIABLES, probabilities=LOGIT).kinks({"y": Y, "t": T}) == []


def test_constants_are_substituted_and_sweepable():
    results = []
    for gamma in (1.0, 2.0):
        f = compile_formula("x ** gamma + c", KEY, VARIABLES, {"gamma": gamma, "c": 1})
        assert f.needs == {"x"}
        results.append(f)
    assert [f({"x": np.array([3.0])})[0] for f in results] == [4.0, 10.0]
    assert results[0] != results[1]  # the same text with other constants is another formula
    assert check_constants({"gamma": 2, "c": np.float32(0.5)}, KEY, VARIABLES) == {"gamma": 2.0, "c": 0.5}


@pytest.mark.parametrize("name, value, problem", [
    ("1x", 1.0, "identifier"), ("a-b", 1.0, "identifier"), ("lambda", 1.0, "identifier"), (3, 1.0, "identifier"),
    ("_a", 1.0, "`_`"), ("q", 1.0, "variable `q`"), ("log", 1.0, "function `log`"), ("a", True, "bool"),
    ("a", "1.0", "str"), ("a", None, "NoneType"), ("a", float("inf"), "finite"), ("a", float("nan"), "finite"),
    ("a", 10 ** 400, "finite"), ("a", 1j, "complex"),
])
def test_check_constants_errors(name, value, problem):
    with pytest.raises(ConfigError) as caught:
        check_constants({name: value}, f"{KEY}.constants", VARIABLES)
    message = str(caught.value)
    assert message.startswith(f"config key {KEY}.constants.{name}: ") and problem in message, message
    with pytest.raises(ConfigError):
        compile_formula("y", KEY, VARIABLES, {name: value})


def test_broadcasting_scalars_and_arrays():
    f = compile_formula("y * t + x", KEY, VARIABLES)
    env = {"y": np.array([[0], [1]]), "t": np.array([1.0, 2.0, 3.0]), "x": 2.0}
    got = f(env)
    assert got.dtype == np.float64 and got.shape == (2, 3)
    np.testing.assert_array_equal(got, [[2.0, 2.0, 2.0], [3.0, 4.0, 5.0]])
    assert compile_formula("y * x", KEY, VARIABLES)({"y": 2, "x": 0.5}).shape == ()
    # A value that reads no array still has the environment's shape; the result is never an input array.
    np.testing.assert_array_equal(compile_formula("2", KEY, VARIABLES)({"t": np.zeros(4)}), np.full(4, 2.0))
    t = np.array([1.0, 2.0])
    out = compile_formula("+t", KEY, VARIABLES)({"t": t})
    out[0] = 9.0
    assert t[0] == 1.0


def test_non_finite_values_come_out_without_warnings():
    f = compile_formula("log(x) + 1 / (x - 1)", KEY, VARIABLES)
    with np.errstate(all="raise"):
        got = f({"x": np.array([0.0, -1.0, 1.0, 2.0])})
    assert got[0] == -np.inf and np.isnan(got[1]) and got[2] == np.inf and got[3] == np.log(2.0) + 1.0
    with pytest.raises(KeyError, match="needs x"):
        f({"y": 1.0})
