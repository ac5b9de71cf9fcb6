"""Text for figures and tables: polynomials, LaTeX escaping, numbers rounded to their Monte Carlo error.

Every printed number of a table goes through `with_mcse` or `significant`, every
cell of a .tex file through `latex_escape`, so what a reader copies is both
compilable and no more precise than the simulation supports.
"""

from __future__ import annotations

import math
import re

#: Placeholder of a number that does not exist (no limit, infinite variance): an em dash.
DASH = "—"

_LATEX = {
    "\\": r"\textbackslash{}",
    "%": r"\%",
    "_": r"\_",
    "&": r"\&",
    "#": r"\#",
    "$": r"\$",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    DASH: "---",
    "±": r"$\pm$",
    "≥": r"$\geq$",
    "≤": r"$\leq$",
    "−": "-",
    "×": r"$\times$",
}


#: Set as math: the rate of the verdicts, and a minus sign before a number (a hyphen would break the line there).
_TOKENS = {"n^-1/2": r"$n^{-1/2}$", "-": "$-$"}


def latex_escape(text: str) -> str:
    """``text`` with LaTeX's special characters escaped, character by character (so escapes are never re-escaped).

    Backslash, braces, ``% _ & # $ ~ ^`` become their text-mode forms; the few
    non-ASCII signs the tables use (em dash, ±, ≥, ≤, minus, ×) become LaTeX markup, and
    the rate ``n^-1/2`` of the verdicts and the minus sign of a negative number are set as math.
    """
    parts = re.split(r"(n\^-1/2|(?<![\w.])-(?=\d))", str(text))
    return "".join(_TOKENS[part] if i % 2 else "".join(_LATEX.get(ch, ch) for ch in part)
                   for i, part in enumerate(parts))


def significant(value: float, digits: int = 4) -> str:
    """``value`` to ``digits`` significant digits (an em dash where it is not finite)."""
    value = float(value)
    if not math.isfinite(value):
        return DASH
    return f"{value:.{digits}g}"


def median_iqr(median: float, iqr: float) -> str:
    """The median and IQR across replicates, labelled (``median 1.055, IQR 0.012``): what a verdict without a
    finite variance reads, in place of a bare mean. An em dash where the median is not finite."""
    if not math.isfinite(float(median)):
        return DASH
    return f"median {significant(median, 4)}, IQR {significant(iqr, 2)}"


def _decimals(mcse: float, digits: int) -> int:
    """Decimal place of the ``digits``-th significant digit of ``mcse`` (negative: left of the point)."""
    return digits - 1 - math.floor(math.log10(abs(mcse)))


def with_mcse(value: float, mcse: float, digits: int = 2, fallback: int = 6) -> tuple[str, str]:
    """(value, mcse) as strings, the MCSE to ``digits`` significant digits and the value to the same decimal place.

    E.g. (0.693147, 0.001234) -> ("0.6931", "0.0012"). Where the MCSE is 0 or not
    finite the value gets ``fallback`` significant digits and the MCSE an em dash;
    a non-finite value is an em dash.
    """
    value, mcse = float(value), float(mcse)
    if not math.isfinite(value):
        return DASH, DASH
    if not math.isfinite(mcse) or mcse <= 0.0:
        return significant(value, fallback), DASH
    places = _decimals(mcse, digits)
    # Rounding the MCSE may carry into a new digit (0.0996 -> 0.10): fix the place from the rounded MCSE.
    rounded = round(mcse, places)
    places = _decimals(rounded, digits) if rounded > 0 else places
    if places > 0:
        return f"{value:.{places}f}", f"{mcse:.{places}f}"
    step = 10.0 ** (-places)
    return f"{round(value / step) * step:.0f}", f"{round(mcse / step) * step:.0f}"


def slope(value: float, low: float, high: float) -> str:
    """A fitted slope and its CI to two decimals (a bootstrap CI resolves no finer): ``-0.50 [-0.53, -0.47]``."""
    if not math.isfinite(float(value)):
        return DASH
    def fixed(x: float) -> str:
        text = f"{x:.2f}"
        return "0.00" if text == "-0.00" else text   # a signed zero says nothing

    ci = f" [{fixed(low)}, {fixed(high)}]" if math.isfinite(float(low)) and math.isfinite(float(high)) else ""
    return f"{fixed(value)}{ci}"


def plus_minus(value: float, mcse: float, digits: int = 2) -> str:
    """``value ± mcse`` rounded by `with_mcse`; the value alone where the MCSE is 0 (no spread) or undefined."""
    text, error = with_mcse(value, mcse, digits)
    return text if error == DASH else f"{text} ± {error}"
