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


# --- the package's layers (docs/architecture.md) ---------------------------------------------------------------
PACKAGE = ROOT / "workflow" / "src" / "mcloss"
#: Modules this large mix concerns; the architecture splits them (issue: no module over about 400 lines).
MAX_MODULE_LINES = 450


def _lint_imports(project: Path, source: Path):
    """lint-imports with the contracts of pyproject.toml, over the package found under ``source``."""
    import os

    env = {**os.environ, "PYTHONPATH": str(source)}
    return subprocess.run([_tool("lint-imports"), "--no-cache", "--config", str(project / "pyproject.toml")],
                          cwd=project, capture_output=True, text=True, env=env)


def test_layers_and_no_circles():
    result = _lint_imports(ROOT, PACKAGE.parent)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout, result.stdout


def _planted(tmp_path, edits: dict[str, str]) -> subprocess.CompletedProcess:
    """lint-imports over a copy of the package with ``edits`` (module path -> appended line)."""
    source = tmp_path / "src"
    shutil.copytree(PACKAGE, source / "mcloss", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    for relative, line in edits.items():
        path = source / "mcloss" / relative
        path.write_text((path.read_text() if path.exists() else '"""A planted module."""\n') + line + "\n")
    return _lint_imports(tmp_path, source)


def test_a_planted_upward_import_breaks_the_layers(tmp_path):
    # maths is the lowest stage but errors: importing the outputs stage from it must be refused.
    result = _planted(tmp_path, {"maths/grid.py": "from mcloss.outputs import tables  # noqa"})
    assert result.returncode != 0
    assert "mcloss.maths.grid -> mcloss.outputs.tables" in result.stdout, result.stdout


def test_a_planted_circle_breaks_the_acyclic_contract(tmp_path):
    # Two modules of one stage importing each other: allowed by the layers, refused by the circle contract.
    result = _planted(tmp_path, {"evidence/coverage.py": "from mcloss.evidence import iid  # noqa"})
    assert result.returncode != 0
    assert "No cycles are allowed in mcloss.evidence" in result.stdout, result.stdout


def test_a_module_outside_every_stage_is_refused(tmp_path):
    # The layers contract is exhaustive: a new top-level module must be given a stage.
    result = _planted(tmp_path, {"helpers.py": "import math  # noqa"})
    assert result.returncode != 0
    assert "mcloss.helpers" in result.stdout, result.stdout


def test_no_module_mixes_concerns_by_size():
    sizes = {str(p.relative_to(PACKAGE)): len(p.read_text().splitlines()) for p in PACKAGE.rglob("*.py")}
    large = {name: lines for name, lines in sizes.items() if lines > MAX_MODULE_LINES}
    assert not large, f"modules over {MAX_MODULE_LINES} lines (split them by concern): {large}"


def test_every_stage_says_what_it_owns_and_may_import():
    for init in sorted(PACKAGE.glob("*/__init__.py")):
        doc = (init.read_text().split('"""')[1:2] or [""])[0]
        assert "May import" in doc, f"{init.relative_to(ROOT)}: the docstring names no imports it may make"
