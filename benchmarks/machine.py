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


def exp_log_kernels() -> str:
    """The CPU family of the kernels numpy runs for float64 exp and log in this process (X86_V4 is AVX-512,
    X86_V3 AVX2; NPY_DISABLE_CPU_FEATURES=X86_V4 makes an AVX-512 machine's numpy run its AVX2 ones)."""
    from numpy.lib.introspect import opt_func_info

    found = {e["dd"]["current"] for e in opt_func_info(func_name="^(exp|log)$", signature="float64").values()}
    return "/".join(sorted(found))
