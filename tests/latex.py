"""Compile generated .tex tables with pdflatex inside a minimal article (shared by the LaTeX tests)."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

#: A standard article with 2 cm margins (set by hand: no geometry package) that loads what the tables need and
#: nothing else; ``{paper}`` is a4paper or letterpaper.
PREAMBLE = r"""\documentclass[{paper}]{{article}}
\setlength{{\textwidth}}{{\dimexpr\paperwidth-4cm\relax}}
\setlength{{\textheight}}{{\dimexpr\paperheight-4cm\relax}}
\setlength{{\oddsidemargin}}{{\dimexpr2cm-1in\relax}}
\setlength{{\evensidemargin}}{{\oddsidemargin}}
\setlength{{\topmargin}}{{\dimexpr2cm-1in\relax}}
\setlength{{\headheight}}{{0pt}}
\setlength{{\headsep}}{{0pt}}
\usepackage{{booktabs,longtable,amsmath,graphicx,array,pdflscape}}
\begin{{document}}
"""
#: Overfull boxes up to this many pt are rounding (TeX reports 0.1 pt ones), not a table wider than the text.
OVERFULL_TOLERANCE = 1.0


def overfull(log: str) -> list[float]:
    """Widths (pt) by which the boxes of a pdflatex log overflow, horizontally."""
    return [float(w) for w in re.findall(r"Overfull \\hbox \(([0-9.]+)pt too wide\)", log)]


def pdflatex():
    """Path of pdflatex; without it the test fails in CI (CI=true) and is skipped, saying why, elsewhere."""
    found = shutil.which("pdflatex")
    if found is None:
        message = ("pdflatex not found: the LaTeX tables cannot be checked. Install it with "
                   "`apt-get install --no-install-recommends texlive-latex-base texlive-latex-recommended` (.ci/run "
                   "does so in CI)")
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


def compile_tex(tex: Path, workdir: Path, paper: str = "a4paper") -> tuple[int, str, int]:
    """(pdflatex return code, log, pages) of ``tex`` \\input into the article of `PREAMBLE` in ``workdir``."""
    workdir.mkdir(parents=True, exist_ok=True)
    doc = workdir / f"{tex.stem}_{paper}_doc.tex"
    doc.write_text(PREAMBLE.format(paper=paper) + "\\input{" + str(tex.resolve()) + "}\n\\end{document}\n")
    # longtable needs a second pass for its column widths (the first may report boxes the second does not have).
    passes = 2 if "longtable" in tex.read_text() else 1
    for _ in range(passes):
        run = subprocess.run([pdflatex(), "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", doc.name],
                             cwd=workdir, capture_output=True, text=True, errors="replace")
        if run.returncode != 0:
            break
    log = run.stdout
    pages = re.search(r"Output written on .* \((\d+) pages?", log)
    # The whole log: warnings such as 'Float too large for page' come before its last lines.
    return run.returncode, log, int(pages.group(1)) if pages else 0
