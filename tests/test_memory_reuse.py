"""reuse_freed_memory (every job's first step): chunk-sized arrays reuse freed memory instead of fresh pages."""

import os
import subprocess
import sys
import textwrap

import pytest

from mcloss.pipeline.scripting import reuse_freed_memory

# A fresh process, so that nothing earlier in the test session has set the allocator.
PROBE = textwrap.dedent("""
    import resource

    import numpy as np

    from mcloss.pipeline.scripting import reuse_freed_memory


    def page_faults():
        # 20 chunks of four 512 kB terms (65,536 samples), each written and then freed, as the engine's chunks are.
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        for _ in range(20):
            terms = [np.ones(65536) for _ in range(4)]
            del terms
        return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


    page_faults()
    default = page_faults()
    was_set = reuse_freed_memory()
    page_faults()
    print(default, page_faults(), was_set)
""")


def _glibc() -> bool:
    try:
        return (os.confstr("CS_GNU_LIBC_VERSION") or "").startswith("glibc")
    except (ValueError, OSError):
        return False


@pytest.mark.skipif(not _glibc(), reason="mallopt is glibc's")
def test_freed_chunk_arrays_are_reused_instead_of_faulted_in_again():
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    default, kept, was_set = done.stdout.split()
    assert was_set == "True"
    # 20 x 4 arrays of 128 pages: by default most are fresh pages again at every chunk ...
    assert int(default) >= 20 * 4 * 128 // 2
    # ... and with the memory kept, (almost) none are.
    assert int(kept) <= int(default) // 20


@pytest.mark.skipif(_glibc(), reason="only without glibc")
def test_without_glibc_nothing_is_changed():
    assert reuse_freed_memory() is False
