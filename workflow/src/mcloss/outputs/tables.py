"""Tables as tidy CSV (full precision) plus Markdown and LaTeX (booktabs) for citing.

The CSV keeps every column at full precision; the Markdown and LaTeX versions are
views for reading: numbers rounded (estimates to their MCSE, see mcloss.outputs.formatting),
every LaTeX cell and the caption escaped, and the caption's claims kept in one place.
A LaTeX table is a ``tabular`` in a ``table`` float (needs ``\\usepackage{booktabs}``),
or a ``longtable`` when asked (``\\usepackage{booktabs,longtable}``).
"""

from __future__ import annotations

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


def to_latex(frame: pd.DataFrame, caption: str, label: str, digits: int = 6, longtable: bool | None = None,
             notes: str = "", group: str | None = "scenario", widths: Mapping[str, str] | None = None,
             size: str = "footnotesize", colsep: str = "3pt", fit: bool = False) -> str:
    """A booktabs table of ``frame``: cells, header and caption LaTeX-escaped, numbers to ``digits`` digits.

    ``notes`` (plain text, escaped) is set below the rule in small type. ``group``: a
    column whose value heads a block of rows (a spanning italic row) instead of
    repeating in a column of its own (ignored when absent); ``longtable``: default
    for more than `LONG` rows; ``widths``: column -> LaTeX width of a wrapping
    (``p``) column; ``size``: font size command; ``colsep``: half the space between
    columns (LaTeX's tabcolsep); ``fit``: a (non-long) table wider than the text is scaled down to the text
    width (``\\resizebox``, needs ``\\usepackage{graphicx}``), never up. The label is used verbatim (it must
    be a valid LaTeX label: letters, digits, ``:-.``).
    """
    text = _formatted(frame, digits).astype(str)
    group = group if group in frame.columns and len(frame.columns) > 1 else None
    longtable = len(frame) > LONG if longtable is None else longtable
    widths = dict(widths or {})
    shown = [c for c in frame.columns if c != group]
    align = "".join(f"p{{{widths[c]}}}" if c in widths else ("r" if _numeric(frame, c) else "l") for c in shown)
    header = " & ".join(latex_escape(c) for c in shown) + r" \\"
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
    return "\n".join(lines) + "\n"


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
