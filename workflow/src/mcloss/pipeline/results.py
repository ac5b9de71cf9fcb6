"""Reading the pipeline's intermediate files."""

from __future__ import annotations

import json


def read_exact(path) -> tuple[dict[str, float], list[dict]]:
    """Exact limits (JSON null -> NaN: no finite limit) and cross-checks, from mcloss.pipeline.jobs.write_exact."""
    with open(path) as fh:
        data = json.load(fh)
    limits = {k: (float("nan") if v is None else float(v)) for k, v in data["limits"].items()}
    return limits, data["checks"]


def read_variances(path) -> dict[str, float]:
    """lim n Var of each quantity written by mcloss.pipeline.jobs.write_exact (NaN where unknown)."""
    with open(path) as fh:
        data = json.load(fh)
    return {k: (float("nan") if v is None else float(v)) for k, v in data.get("variances", {}).items()}


def read_analysis(path) -> dict[str, dict]:
    """Per-quantity tails, limit notes and bias written by mcloss.pipeline.jobs.write_exact ({} for older files)."""
    with open(path) as fh:
        data = json.load(fh)
    out = {}
    for name, info in data.get("analysis", {}).items():
        info = dict(info)
        for key in ("term_index", "expected_slope"):
            info[key] = float("nan") if info.get(key) is None else float(info[key])
        out[name] = info
    return out
