"""The code follows the ecosystem's formatters and linters: ruff (lint + import order), snakefmt and snakemake --lint.

Both tools are pinned in the test extras (pyproject.toml) and configured in pyproject.toml, so this
test runs the same checks locally and in CI.
"""

import shutil
import subprocess
import sys
from pathlib import Path

from common import ROOT

BIN = Path(sys.executable).parent


def _tool(name):
    path = BIN / name
    found = str(path) if path.exists() else shutil.which(name)
    assert found, f"{name} is not installed: pip install -e '.[test]' (pinned in pyproject.toml)"
    return found


def test_ruff_lint_and_import_order():
    result = subprocess.run([_tool("ruff"), "check", "--no-cache", "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_snakefmt_rules():
    rules = ["Snakefile", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "workflow" / "rules").glob("*.smk"))]
    result = subprocess.run([_tool("snakefmt"), "--check", "--diff", *rules], cwd=ROOT, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_snakemake_lint_finds_nothing(tmp_path):
    # Snakemake's own linter (rules with log, params, no absolute paths, helpers apart from rules, ...).
    result = subprocess.run([sys.executable, "-m", "snakemake", "--lint", "--snakefile", str(ROOT / "Snakefile"),
                             "--directory", str(ROOT)], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0 and "Lints for" not in result.stdout + result.stderr, result.stdout + result.stderr
