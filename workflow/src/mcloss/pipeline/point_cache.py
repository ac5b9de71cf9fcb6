"""Finished sweep points kept outside the jobs' outputs, so that a rerun job redoes only what changed.

A `sweep_points_*` job holds several points of a sweep (``points_per_job``). Editing one value of the
sweep changes that job's outputs and params, so Snakemake reruns it, and removes every declared output of
it first: the points of the job that did not change would be sampled again. This cache keeps, per point,
a copy of every file the job wrote for it (its replicate blocks, their CPU seconds, its exact values and
its tables) under ``results/.cache/points/<key>/``, outside any rule's outputs; a job asked to make a point
whose key is there copies the files instead of computing them.

The key is a SHA-256 of everything the point's files depend on: the point's name (written into its
tables), spec, stream key, batch-size grid and replicate blocks, the hash of the package code its job
runs for it (its script, what that imports and its estimand's module: mcloss.pipeline.codehash), every
other param of the job (seed, chunk_size, the analysis settings), and the versions of Python, numpy,
scipy and pandas. Any of these changing gives a new key, so a cached copy is used only where recomputing
would write the same bytes (``tests/test_point_cache.py`` compares a rerun that reused the cache with
a run from scratch). Each entry has a manifest with the SHA-256 of each file, checked before a copy: a
damaged entry is recomputed (and replaced), never copied.

Entries are never removed by the pipeline: clear them all with ``rm -rf results/.cache``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import platform
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

log = logging.getLogger("mcloss")

#: Where the entries live, relative to the working directory of the run.
CACHE_DIR = Path("results") / ".cache" / "points"
MANIFEST = "manifest.json"


def _versions() -> dict[str, str]:
    import numpy
    import pandas
    import scipy

    return {"python": platform.python_version(), "numpy": numpy.__version__, "scipy": scipy.__version__,
            "pandas": pandas.__version__}


def _plain(value: Any) -> Any:
    """``value`` as JSON-able builtins (Snakemake may hand params over as its own list and mapping types)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        return value.item()
    return value


def point_key(settings: Mapping[str, Any]) -> str:
    """The cache key of a point: a hash of ``settings`` (all that its files depend on) and the versions."""
    text = json.dumps({"settings": _plain(settings), "versions": _versions()}, sort_keys=True,
                      separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _copy_atomically(source: Path, target: Path) -> None:
    """``source`` copied to ``target`` by a temporary file renamed into place (never a half-written target)."""
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        shutil.copyfile(source, partial)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def restore(key: str, outputs: Mapping[str, str | os.PathLike], root: Path = CACHE_DIR) -> bool:
    """Copy the entry ``key`` to ``outputs`` (entry file name -> output path); False if there is no sound entry.

    Sound: its manifest lists exactly the files of ``outputs`` and each file has the SHA-256 listed.
    """
    entry = Path(root) / key
    try:
        manifest = json.loads((entry / MANIFEST).read_text())
    except (OSError, ValueError):
        return False
    files = manifest.get("files", {})
    if set(files) != set(outputs):
        log.warning("cache entry %s lists other files than the job writes; recomputing", entry)
        return False
    for name, digest in files.items():
        try:
            ok = _digest(entry / name) == digest
        except OSError:
            ok = False
        if not ok:
            log.warning("cache entry %s: %s is missing or damaged; recomputing", entry, name)
            return False
    for name, target in outputs.items():
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        _copy_atomically(entry / name, Path(target))
    return True


def store(key: str, outputs: Mapping[str, str | os.PathLike], about: Mapping[str, Any],
          root: Path = CACHE_DIR) -> None:
    """Keep a copy of ``outputs`` (entry file name -> path just written) as the entry ``key``.

    Written to a temporary directory and renamed into place, so an entry is complete or absent; a damaged
    entry of the same key is replaced. ``about`` (the point's name, its settings) goes into the manifest for
    whoever reads the cache by hand. Failing to store (a full disk) is logged, not fatal: the outputs stand.
    """
    root = Path(root)
    entry, partial = root / key, root / f".{key}.{os.getpid()}.partial"
    try:
        partial.mkdir(parents=True, exist_ok=True)
        files = {}
        for name, source in outputs.items():
            shutil.copyfile(source, partial / name)
            files[name] = _digest(partial / name)
        (partial / MANIFEST).write_text(json.dumps({"files": files, "about": _plain(about),
                                                    "versions": _versions()}, indent=1, sort_keys=True))
        if entry.exists():
            shutil.rmtree(entry)
        os.replace(partial, entry)
    except OSError as err:
        log.warning("could not keep point %s in the cache %s: %s", about.get("scenario"), entry, err)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
