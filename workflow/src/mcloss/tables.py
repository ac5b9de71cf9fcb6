"""Tables as tidy CSV (full precision) plus Markdown and LaTeX (booktabs) for citing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def _formatted(frame: pd.DataFrame, digits: int) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_float_dtype(out[column]):
            out[column] = ["" if np.isnan(v) else f"{v:.{digits}g}" for v in out[column]]
    return out


def to_markdown(frame: pd.DataFrame, digits: int = 6) -> str:
    """GitHub-flavoured Markdown table, numbers to ``digits`` significant digits."""
    return _formatted(frame, digits).to_markdown(index=False) + "\n"


def to_latex(frame: pd.DataFrame, caption: str, label: str, digits: int = 6) -> str:
    """LaTeX longtable with booktabs rules (needs \\usepackage{booktabs,longtable})."""
    align = "".join("r" if pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
                    else "l" for c in frame.columns)
    return _formatted(frame, digits).to_latex(index=False, longtable=True, caption=caption, label=label,
                                              escape=True, column_format=align)


def write_table(frame: pd.DataFrame, csv_path, caption: str, label: str) -> None:
    """Write ``frame`` to csv_path and to .md and .tex beside it."""
    csv_path = Path(csv_path)
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(csv_path, index=False)
    csv_path.with_suffix(".md").write_text(to_markdown(frame))
    csv_path.with_suffix(".tex").write_text(to_latex(frame, caption, label))
