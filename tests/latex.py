"""Compile generated .tex tables with pdflatex inside a minimal article (shared by the LaTeX tests)."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

PREAMBLE = r"""\documentclass{article}
\usepackage[T1]{fontenc}
\usepackage[utf8]{inputenc}
\usepackage{booktabs,longtable,graphicx}
\begin{document}
"""


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


def compile_tex(tex: Path, workdir: Path) -> tuple[int, str, int]:
    """(pdflatex return code, log tail, pages) of ``tex`` \\input into a minimal article in ``workdir``."""
    workdir.mkdir(parents=True, exist_ok=True)
    doc = workdir / f"{tex.stem}_doc.tex"
    doc.write_text(PREAMBLE + "\\input{" + str(tex.resolve()) + "}\n\\end{document}\n")
    run = subprocess.run([pdflatex(), "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", doc.name],
                         cwd=workdir, capture_output=True, text=True, errors="replace")
    # longtable needs a second pass for its column widths; its first pass already shows every error.
    log = run.stdout
    pages = re.search(r"Output written on .* \((\d+) pages?", log)
    # The whole log: warnings such as 'Float too large for page' come before its last lines.
    return run.returncode, log, int(pages.group(1)) if pages else 0
