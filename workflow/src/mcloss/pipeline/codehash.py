"""Hashes of the package source a job runs, so that Snakemake reruns it when that code changes.

Snakemake tracks a rule's script, params and inputs, not the modules the script
imports. Each rule therefore gets a `code` param: a hash of the `mcloss` modules
its script imports, followed transitively through the package's own imports,
plus the module of the scenario's estimand (loaded by name at run time, so no
import statement names it) and what that module imports. Editing
estimands/gaussian_nll.py thus changes the hash of the gaussian_nll scenarios'
jobs only; editing engine.py changes every `simulate` job's.

The hash is of each module's syntax tree (``ast.dump``), not of its bytes: a
comment or a reformatting does not rerun anything, a changed docstring does.
What each file's tree gives is kept in ``__pycache__`` beside the package (`DISK_CACHE`).
"""

from __future__ import annotations

import ast
import atexit
import hashlib
import json
import os
from functools import cache
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[1]
PACKAGE = PACKAGE_DIR.name
#: What `_parsed` found for each source file, kept between processes: every Snakemake process (and every job
#: of a cluster run, which parses the workflow again) hashes the same ~100 modules, which took ~1 s of its
#: start-up. Keyed by path, modification time and size, so an edited file is parsed again; a cache that
#: cannot be read or written is ignored.
DISK_CACHE = PACKAGE_DIR / "__pycache__" / "mcloss-codehash.json"


def _module_file(name: str) -> Path | None:
    """File of module ``mcloss.a.b`` in this package (None for other packages or unknown modules)."""
    parts = name.split(".")
    if parts[0] != PACKAGE:
        return None
    base = PACKAGE_DIR.joinpath(*parts[1:])
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _module_name(path: Path) -> str:
    relative = path.resolve().relative_to(PACKAGE_DIR).with_suffix("")
    parts = [PACKAGE, *relative.parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _package_of(path: Path) -> str:
    """The package a module's relative imports start from."""
    name = _module_name(path)
    return name if path.name == "__init__.py" else name.rpartition(".")[0]


def _parse_file(path: Path) -> tuple[str, tuple[Path, ...]]:
    """(digest of the ast dump, files of the package modules it imports) of one source file."""
    tree = ast.parse(path.read_text(), filename=str(path))
    in_package = path.resolve().is_relative_to(PACKAGE_DIR)
    found: list[Path] = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                if not in_package:
                    continue
                anchor = _package_of(path).split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                module = ".".join(anchor + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            # `from mcloss.outputs import tables` names a module; `from .base import build` a name in one.
            names = [module] + [f"{module}.{alias.name}" for alias in node.names]
        for name in names:
            # Importing mcloss.a.b runs mcloss/__init__.py and mcloss/a/__init__.py first.
            parts = name.split(".")
            for end in range(1, len(parts) + 1):
                file = _module_file(".".join(parts[:end]))
                if file is not None:
                    found.append(file)
    return hashlib.blake2b(ast.dump(tree).encode(), digest_size=16).hexdigest(), tuple(dict.fromkeys(found))



@cache
def _disk() -> dict:
    try:
        found = json.loads(DISK_CACHE.read_text())
        return found if isinstance(found, dict) else {}
    except (OSError, ValueError):
        return {}


_NEW: dict[str, list] = {}


@atexit.register
def _save() -> None:
    if not _NEW:
        return
    try:
        merged = {**_disk(), **_NEW}
        DISK_CACHE.parent.mkdir(exist_ok=True)
        partial = DISK_CACHE.with_name(f".{DISK_CACHE.name}.{os.getpid()}")
        partial.write_text(json.dumps(merged))
        os.replace(partial, DISK_CACHE)      # atomic: a concurrent reader sees the old file or the new one
    except OSError:
        pass


@cache
def _parsed(path: Path) -> tuple[str, tuple[Path, ...]]:
    """(digest of the ast dump, files of the package modules it imports) of one source file (`_parse_file`),
    from the disk cache when the file is unchanged."""
    stat = path.stat()
    key = f"{path}|{stat.st_mtime_ns}|{stat.st_size}"
    hit = _disk().get(key)
    if isinstance(hit, list) and len(hit) == 2:
        return hit[0], tuple(Path(p) for p in hit[1])
    digest, imports = _parse_file(path)
    _NEW[key] = [digest, [str(p) for p in imports]]
    return digest, imports


def closure(*paths) -> list[Path]:
    """The given files and every package module they import, directly or not, in a stable order."""
    return list(_closure(tuple(Path(p).resolve() for p in paths)))


@cache
def _closure(paths: tuple[Path, ...]) -> tuple[Path, ...]:
    # Cached like `_parsed`: the workflow asks for the same closures for every job of a rule (184 calls in a
    # dry run of the default config), and the sources do not change while Snakemake parses the workflow.
    seen: dict[Path, None] = {}
    todo = list(paths)
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen[path] = None
        todo.extend(p for p in _parsed(path)[1] if p not in seen)
    return tuple(sorted(seen, key=str))


def module_file(module: str) -> Path:
    """Source file of a module of this package, e.g. ``type(estimand).__module__``."""
    file = _module_file(module)
    if file is None:
        raise ValueError(f"{module} is not a module of {PACKAGE}")
    return file


def source_hash(script, *modules: str) -> str:
    """Hash of the package code that ``script`` imports, plus ``modules`` and what they import.

    ``script`` itself is left out (Snakemake tracks a rule's script); only files of
    this package enter the hash, named by their path inside it.
    """
    return _source_hash(str(Path(script).resolve()), modules)


@cache
def _source_hash(script: str, modules: tuple[str, ...]) -> str:
    script = Path(script)
    roots = [script, *(module_file(m) for m in modules)]
    digest = hashlib.blake2b(digest_size=8)
    for path in closure(*roots):
        if path == script:
            continue
        digest.update(str(path.relative_to(PACKAGE_DIR)).encode() + b"\0" + _parsed(path)[0].encode() + b"\0")
    return digest.hexdigest()
