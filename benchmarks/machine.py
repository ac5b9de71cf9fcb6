"""The machine a benchmark ran on, printed with every figure (CPUs differ: AVX-512 vs AVX2 exp/log)."""

from __future__ import annotations

import platform
from pathlib import Path


def cpu_model() -> str:
    """The CPU's model name (from /proc/cpuinfo where there is one) and whether it has AVX-512."""
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or platform.machine()
    name = next((line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name")),
                platform.machine())
    return f"{name} ({'AVX-512' if ' avx512f' in info else 'no AVX-512'})"
