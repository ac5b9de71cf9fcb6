"""Tables as tidy CSV (full precision) plus Markdown and LaTeX (booktabs) for citing.

The CSV keeps every column at full precision; the Markdown and LaTeX versions are
views for reading: numbers rounded (estimates to their MCSE, see mcloss.outputs.formatting),
every LaTeX cell and the caption escaped, and the caption's claims kept in one place.
A LaTeX table is a ``tabular`` in a ``table`` float or a ``longtable``, upright or turned
(``landscape``) to fit an article with 2 cm margins; it needs
``\\usepackage{booktabs,longtable,array,graphicx,pdflscape}``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .formatting import DASH, latex_escape, median_iqr, plus_minus, significant, slope


def _formatted(frame: pd.DataFrame, digits: int) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_float_dtype(out[column]):
            out[column] = ["" if np.isnan(v) else f"{v:.{digits}g}" for v in out[column]]
    return out


def _numeric(frame: pd.DataFrame, column: str) -> bool:
    kind = frame[column]
    if pd.api.types.is_numeric_dtype(kind) and not pd.api.types.is_bool_dtype(kind):
        return True
    # Formatted numbers (strings): right-aligned when every cell looks like a number, an interval or a dash.
    cells = [str(c) for c in kind]
    return bool(cells) and all(c[:1] in "-+[0123456789" or c.startswith(DASH) for c in cells if c)


def to_markdown(frame: pd.DataFrame, digits: int = 6) -> str:
    """GitHub-flavoured Markdown table, numbers to ``digits`` significant digits."""
    return _formatted(frame, digits).to_markdown(index=False) + "\n"


#: Tables longer than this many rows are set as a longtable (a float cannot break across pages).
LONG = 40

#: Text widths (pt) a table must fit: an article with 2 cm margins, the narrower of A4 and US letter paper, upright
#: and turned (pdflscape's landscape, whose line is the text height), with a little room to spare.
PORTRAIT_WIDTH, LANDSCAPE_WIDTH = 470.0, 660.0
#: How much wider than the text a table set with ``fit`` may be and still be scaled down upright.
FIT_RATIO = 1.3
#: The font sizes a wide table may step down to, largest first, with the width (pt) of a digit in each (measured
#: with \\settowidth; Computer Modern's small sizes are relatively wide: 0.57, 0.61 and 0.73 em).
SIZES = {"footnotesize": 4.55, "scriptsize": 4.27, "tiny": 3.65}
#: Widths of characters relative to a digit: narrow punctuation and spaces, capitals and wide letters, the
#: escaped underscore; any other character counts as a digit (lower-case letters average a little less).
_NARROW, _WIDE = " []().,;:'|!iljft", "ABCDEFGHIJKLMNOPQRSTUVWXYZmw—%&#"
_WIDTHS = {"narrow": 0.6, "wide": 1.45, "_": 1.35, "±": 1.75, "lower": 0.94}
#: Measured widths over these estimates, in a sample of cells (0.88 to 0.93).
_CALIBRATION = 0.93
#: The size of an em (pt) at each font size, for the width of a p column given in em.
_EM = {"footnotesize": 8.0, "scriptsize": 7.0, "tiny": 5.0}
#: A text column whose longest cell is longer than this many characters wraps (a p column this many ems wide).
WRAP = 28
HEADER_LINE = 10


def _header_lines(name: str, limit: int = HEADER_LINE) -> list[str]:
    """A column name broken at its underscores and spaces into lines of at most ``limit`` characters (a longer
    part stays whole): `data_tail_index_ci_low` -> `data_tail_`, `index_ci_`, `low`."""
    parts = [p for p in re.split(r"(?<=[_ ])", name) if p]
    lines: list[str] = []
    for part in parts:
        if lines and len(lines[-1]) + len(part.rstrip()) <= limit:
            lines[-1] += part
        else:
            lines.append(part)
    return [line.rstrip() for line in lines] or [name]


def _stacked(name: str, cells: Iterable[str]) -> list[str]:
    """The header's lines: stacked (`_header_lines`) only where the name is wider than the column's cells."""
    widest = max((_chars(str(c)) for c in cells), default=0.0)
    return [name] if _chars(name) <= widest else _header_lines(name)


def _header_cell(name: str, align: str, cells: Iterable[str]) -> str:
    lines = _stacked(name, cells)
    if len(lines) == 1:
        return latex_escape(name)
    return rf"\shortstack[{align}]{{" + r"\\\relax ".join(latex_escape(line) for line in lines) + "}"


def _chars(text: str) -> float:
    """Width of ``text`` in digit widths (`_WIDTHS`)."""
    return _CALIBRATION * sum(_WIDTHS["narrow"] if c in _NARROW else _WIDTHS["wide"] if c in _WIDE
               else _WIDTHS["lower"] if c.islower() else _WIDTHS.get(c, 1.0) for c in text)


def _length_pt(length: str, size: str) -> float | None:
    """A LaTeX length in em, cm, mm or pt as pt at font ``size`` (None for anything else, e.g. 0.3\\linewidth)."""
    match = re.fullmatch(r"([0-9.]+)(em|cm|mm|pt)", length.strip())
    if match is None:
        return None
    unit = {"em": _EM[size], "cm": 28.45, "mm": 2.845, "pt": 1.0}[match[2]]
    return float(match[1]) * unit


def _natural_width(text: pd.DataFrame, shown: list[str], numeric: Mapping[str, bool], widths: Mapping[str, str],
                   heading: str, size: str, colsep: float) -> float:
    """Estimated width (pt) of the table at font ``size``: each column its widest cell or header line, a p column
    its width."""
    digit = SIZES[size]
    total = 0.0
    for column in shown:
        if column in widths:
            chars = (_length_pt(widths[column], size) or WRAP * 0.6 * _EM[size]) / digit
        else:
            chars = max([_chars(str(c)) for c in text[column]] + [0])
        chars = max(chars, max(_chars(line) for line in _stacked(column, text[column])))
        total += chars * digit + 2 * colsep
    return max(total, _chars(heading) * digit + 2 * colsep)


def to_latex(frame: pd.DataFrame, caption: str, label: str, digits: int = 6, longtable: bool | None = None,
             notes: str = "", group: str | None = "scenario", widths: Mapping[str, str] | None = None,
             size: str = "footnotesize", colsep: str = "3pt", fit: bool = False,
             columns: Sequence[str] | None = None) -> str:
    """A booktabs table of ``frame``: cells, header and caption LaTeX-escaped, numbers to ``digits`` digits.

    ``notes`` (plain text, escaped) is set below the rule in small type. ``group``: a
    column whose value heads a block of rows (a spanning italic row) instead of
    repeating in a column of its own (ignored when absent); ``longtable``: default
    for more than `LONG` rows; ``widths``: column -> LaTeX width of a wrapping
    (``p``) column; ``size``: font size command; ``colsep``: half the space between
    columns (LaTeX's tabcolsep); ``fit``: a (non-long) table wider than the text is scaled down to the text
    width (``\\resizebox``, needs ``\\usepackage{graphicx}``), never up. The label is used verbatim (it must
    be a valid LaTeX label: letters, digits, ``:-.``).

    Every table fits the text of an article with 2 cm margins: column names are stacked at their underscores,
    a text column longer than `WRAP` characters wraps (a ragged ``p`` column, ``\\usepackage{array}``), and a
    table estimated wider than `PORTRAIT_WIDTH` steps down its font (`SIZES`, to scriptsize) and then is turned
    on its own page (``landscape``, ``\\usepackage{pdflscape}``), stepping down to tiny there if it must (a
    table with ``fit`` is scaled instead when it is at most `FIT_RATIO` too wide). ``columns``: only these
    columns (and ``group``) are set, the rest stay in the CSV (a compact view of a wide table, see `LATEX`).
    """
    if columns is not None:
        left_out = [c for c in frame.columns if c not in columns and c != group]
        frame = frame[[c for c in frame.columns if c not in left_out]]
        if left_out:
            notes = (notes + " " if notes else "") + f"In the CSV, not shown here: {', '.join(left_out)}."
    text = _formatted(frame, digits).astype(str)
    group = group if group in frame.columns and len(frame.columns) > 1 else None
    longtable = len(frame) > LONG if longtable is None else longtable
    widths = dict(widths or {})
    shown = [c for c in frame.columns if c != group]
    numeric = {c: _numeric(frame, c) for c in shown}
    wrapped = {c: WRAP for c in shown if c not in widths and not numeric[c]
               and max([len(str(v)) for v in text[c]] + [0]) > WRAP}
    for column in wrapped:
        widths[column] = f"{WRAP * 0.6:.1f}em"
    heading = max((str(v) for v in text[group]), key=len, default="") if group is not None else ""
    space = float(colsep.removesuffix("pt")) if colsep.endswith("pt") else 3.0
    sizes = list(SIZES)[list(SIZES).index(size):] if size in SIZES else [size]
    choices = [(s, False) for s in sizes if s != "tiny"] + [(s, True) for s in sizes]
    # A table scaled to the text (fit) may be a little wider than the text: it shrinks, it does not overflow.
    stretch = FIT_RATIO if fit and not longtable else 1.0
    size, landscape = next(((s, turned) for s, turned in choices if s not in SIZES or _natural_width(
        text, shown, numeric, widths, heading, s, space) <= stretch * (LANDSCAPE_WIDTH if turned else
                                                                        PORTRAIT_WIDTH)),
        (sizes[-1], None))
    if landscape is None:         # wider than a turned page even in tiny: scale it (a float) to the page
        landscape, fit = True, True
    ragged = r">{\raggedright\arraybackslash}"
    align = "".join(f"{ragged}p{{{widths[c]}}}" if c in widths else ("r" if numeric[c] else "l") for c in shown)
    header = " & ".join(_header_cell(c, "r" if numeric[c] and c not in widths else "l", text[c])
                        for c in shown) + r" \\"
    rows, current = [], None
    for _, row in text.iterrows():
        if group is not None and row[group] != current:
            current = row[group]
            rule = [r"\addlinespace"] if rows else []
            rows += rule + [rf"\multicolumn{{{len(shown)}}}{{l}}{{\textit{{{latex_escape(current)}}}}} \\"]
        rows.append(" & ".join(latex_escape(row[c]) for c in shown) + r" \\")
    caption_line = rf"\caption{{{latex_escape(caption)}}}\label{{{label}}}"
    note = [rf"\multicolumn{{{len(shown)}}}{{p{{0.95\linewidth}}}}{{\footnotesize {latex_escape(notes)}}} \\"
            ] if notes else []
    if longtable:
        lines = [r"\begingroup", f"\\{size}", rf"\setlength{{\tabcolsep}}{{{colsep}}}",
                 rf"\begin{{longtable}}{{{align}}}", caption_line + r" \\", r"\toprule", header, r"\midrule",
                 r"\endfirsthead", r"\toprule", header, r"\midrule", r"\endhead", r"\bottomrule", r"\endfoot",
                 *rows, *note, r"\end{longtable}", r"\endgroup"]
    else:
        # \width is the tabular's natural width inside \resizebox: scale only what would overflow.
        scale = ([r"\resizebox{\ifdim\width>\linewidth\linewidth\else\width\fi}{!}{%"], ["}"]) if fit else ([], [])
        lines = [r"\begin{table}[htbp]", r"\centering", f"\\{size}", rf"\setlength{{\tabcolsep}}{{{colsep}}}",
                 caption_line, *scale[0], rf"\begin{{tabular}}{{{align}}}", r"\toprule", header, r"\midrule", *rows,
                 r"\bottomrule", *note, r"\end{tabular}", *scale[1], r"\end{table}"]
    if landscape:
        lines = [r"\begin{landscape}", *lines, r"\end{landscape}"]
    return "\n".join(lines) + "\n"


#: The LaTeX options of the tables the pipeline writes, by name (the scripts and tests/test_outputs.py use them):
#: a wrapped verdict, and compact column sets for the widest (every column stays in the CSV and Markdown).
LATEX = {
    "convergence": {"widths": {"verdict": "5.5em"}},
    "verdicts": {"digits": 4, "widths": {"verdict": "5.5em"},
                 "columns": ["scenario", "quantity", "verdict", "exact", "estimate", "estimate_mcse", "n_max", "slope",
                             "slope_ci_low", "slope_ci_high", "expected_slope", "replicates"]},
    "iid": {"digits": 4,
            "columns": ["scenario", "stream", "dependent", "replicates", "samples", "alpha", "gof_rate", "gof_ci_low",
                        "gof_ci_high", "serial_rate", "serial_ci_low", "serial_ci_high", "both_rejections",
                        "control_low", "control_high", "lower_bound_can_trigger"]},
    "efficiency": {"digits": 4},
    "coverage": {"digits": 4},
}


def write_table(frame: pd.DataFrame, csv_path, caption: str, label: str, view: pd.DataFrame | None = None,
                latex: bool = True, notes: str = "", **latex_options) -> list[Path]:
    """Write ``frame`` to csv_path, and ``view`` (default ``frame``) to .md and, if ``latex``, .tex beside it.

    ``latex_options`` go to `to_latex` (group, widths, size).
    """
    csv_path = Path(csv_path)
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    view = frame if view is None else view
    frame.to_csv(csv_path, index=False)
    written = [csv_path, csv_path.with_suffix(".md")]
    markdown = to_markdown(view)
    if notes:
        markdown += "\n" + notes + "\n"
    written[1].write_text(markdown)
    if latex:
        written.append(csv_path.with_suffix(".tex"))
        written[2].write_text(to_latex(view, caption, label, notes=notes, **latex_options))
    return written


def duplicates(identities: Mapping[str, Iterable[tuple[str, str]]]) -> set[tuple[str, str]]:
    """(scenario, quantity) pairs equal on every batch to another quantity shown: each identity's right-hand side.

    ``identities`` maps a scenario to its (left, right) identity pairs; the right-hand
    sides are dropped from the compact views (the identities table and figure show them).
    """
    return {(scenario, right) for scenario, pairs in identities.items() for _, right in pairs}


def convergence_view(convergence: pd.DataFrame, hide: set[tuple[str, str]] = frozenset()) -> pd.DataFrame:
    """Compact view of the convergence table: one short line per scenario x quantity, printed by its verdict.

    Columns: scenario (with n_max), quantity, exact, estimate at n_max, coverage, the fitted slope with its
    CI, and the verdict. What a row prints follows its verdict (mcloss.judge.verdicts), as in the paper table:
    an MCSE and a coverage (with its 95% Wilson interval) only under ``converges at n^-1/2`` and
    ``converges elsewhere`` (finite variance); under ``converges, slower than n^-1/2`` (and a wrong limit
    found without a variance) the median and IQR across replicates at n_max, labelled so (`median_iqr`), as
    the verdict read them; the bare estimate (four digits) where the limit is degenerate or the evidence
    inconclusive, or where a table has no median; an em dash where there is no limit. The
    slope is of log RMSE on log n, of log IQR where the verdict reads the IQR (no finite variance, marked
    "(IQR)"), or of log EmpSE where it reads the EmpSE (a wrong limit, marked "(EmpSE)"). Without a verdict
    column (older tables) a finite exact value counts as converging. Rows in ``hide`` (see `duplicates`) are
    left out.
    """
    from mcloss.evidence.coverage import wilson_interval
    from mcloss.judge.verdicts import CONVERGES, DEGENERATE, ELSEWHERE, INCONCLUSIVE, SLOWER

    rows = []
    for r in convergence.itertuples(index=False):
        if (r.scenario, r.quantity) in hide:
            continue
        has_limit = bool(np.isfinite(r.exact))
        verdict = getattr(r, "verdict", None)
        verdict = verdict if isinstance(verdict, str) else (CONVERGES if has_limit else "no limit")
        # A wrong limit found by the median rule (infinite variance) has no MCSE: printed like `slower`.
        finite_variance = verdict in (CONVERGES, ELSEWHERE) and bool(np.isfinite(r.estimate_mcse))
        if finite_variance:
            estimate = plus_minus(r.estimate, r.estimate_mcse)
        elif verdict in (SLOWER, ELSEWHERE) and np.isfinite(getattr(r, "median", np.nan)):
            # No finite variance: the verdict read the median and IQR at n_max, so the table shows them.
            estimate = median_iqr(r.median, r.iqr)
        elif verdict in (SLOWER, DEGENERATE, INCONCLUSIVE, ELSEWHERE) and np.isfinite(r.estimate):
            estimate = significant(r.estimate, 6 if verdict == DEGENERATE else 4)
        else:
            estimate = DASH
        coverage = DASH
        if finite_variance and np.isfinite(r.coverage) and r.replicates > 0:
            low, high = wilson_interval(int(round(r.coverage * r.replicates)), int(r.replicates))
            coverage = f"{r.coverage:.3f} [{float(low):.3f}, {float(high):.3f}]"
        if getattr(r, "verdict_slope_of", "") == "iqr":
            rate = slope(r.iqr_slope, r.iqr_slope_ci_low, r.iqr_slope_ci_high) + " (IQR)"
        elif verdict == ELSEWHERE and np.isfinite(getattr(r, "emp_se_slope", np.nan)):
            rate = slope(r.emp_se_slope, r.emp_se_slope_ci_low, r.emp_se_slope_ci_high) + " (EmpSE)"
        elif verdict == DEGENERATE:
            rate = DASH
        else:
            rate = slope(r.slope, r.slope_ci_low, r.slope_ci_high)
        rows.append({
            "scenario": f"{r.scenario} (n_max = {int(r.n_max):,})",
            "quantity": r.quantity,
            "exact": significant(r.exact, 6) if has_limit else DASH,
            "estimate ± MCSE": estimate,
            "coverage [Wilson]": coverage,
            "slope [95% CI]": rate,
            "verdict": verdict,
        })
    return pd.DataFrame(rows)


def short_view(frame: pd.DataFrame, drop: Sequence[str] = ("meaning",)) -> pd.DataFrame:
    """``frame`` without long free-text columns (their text stays in the CSV)."""
    return frame.drop(columns=[c for c in drop if c in frame.columns])
