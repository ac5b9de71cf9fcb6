"""What every Snakemake script does first: send its output and warnings to the rule's log, and keep freed
memory for the next arrays."""

from __future__ import annotations

import ctypes
import logging
import os
import sys
from pathlib import Path

from mcloss.errors import ConfigError, CorruptFileError

#: Errors whose message says all a user needs: reported as one line, without a traceback.
ONE_LINE_ERRORS = (ConfigError, CorruptFileError)


def _report(kind, error, traceback) -> None:
    if not issubclass(kind, ONE_LINE_ERRORS):
        sys.__excepthook__(kind, error, traceback)
        return
    line = f"error: {error}"
    # The log and Snakemake's own output (the script's original stderr) both get the line.
    for stream in {sys.stderr, sys.__stderr__}:
        print(line, file=stream, flush=True)


#: glibc's mallopt parameters (malloc.h).
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
#: Blocks below this size come from the heap, not from mmap: 32 MB, glibc's largest allowed value on 64-bit,
#: so that chunks of up to about 4 million samples (32 MB a term) are covered too.
MMAP_THRESHOLD = 32 << 20
#: Up to this much freed memory at the top of the heap stays mapped instead of going back to the kernel
#: (dozens of chunks' terms at the default chunk size).
TRIM_THRESHOLD = 64 << 20


def reuse_freed_memory() -> bool:
    """Have glibc's malloc keep freed memory for the next allocations; True where both settings were made.

    A job allocates its per-chunk arrays afresh: 512 kB a term for a chunk of 65,536 samples. glibc serves
    blocks that large by mmap at first and then from its heap, but returns the heap's top to the kernel once
    more than twice its current mmap threshold is free there: for the engine's chunks that is about 1 MB,
    less than one chunk's terms (2 MB for four), so every chunk's arrays landed on fresh pages that the kernel
    zero-fills at their first touch (a page fault each 4 kB). Both thresholds are set, since setting either
    one stops glibc's own adjustment of the other. Measured in docs/performance.md: a cross-entropy chunk's
    terms cost 20 ns a sample that way and 2.5 ns with the memory kept. The numbers computed are the same:
    only where the arrays live changes. Elsewhere (macOS, musl, Windows) nothing is changed.
    """
    try:
        if not os.confstr("CS_GNU_LIBC_VERSION").startswith("glibc"):
            return False
        mallopt = ctypes.CDLL(None).mallopt
    except (AttributeError, OSError, ValueError, TypeError):
        return False
    mmap_set = mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
    trim_set = mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    return bool(mmap_set) and bool(trim_set)


def open_log(path) -> logging.Logger:
    """Route stdout, stderr, warnings and logging of this process to ``path``; return a logger.

    Also `reuse_freed_memory`, so that every job, whatever it computes, runs with the same allocator settings.
    """
    reuse_freed_memory()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    stream = open(path, "w", buffering=1)
    sys.stdout = sys.stderr = stream
    logging.basicConfig(stream=stream, level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s",
                        force=True)
    logging.captureWarnings(True)
    sys.excepthook = _report
    # fontTools logs every subsetting step of a PDF at INFO: noise in a rule's log.
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    return logging.getLogger("mcloss")
