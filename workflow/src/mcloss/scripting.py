"""What every Snakemake script does first: send its output and warnings to the rule's log."""

from __future__ import annotations

import logging
import sys
from pathlib import Path


def open_log(path) -> logging.Logger:
    """Route stdout, stderr, warnings and logging of this process to ``path``; return a logger."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    stream = open(path, "w", buffering=1)
    sys.stdout = sys.stderr = stream
    logging.basicConfig(stream=stream, level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s",
                        force=True)
    logging.captureWarnings(True)
    # fontTools logs every subsetting step of a PDF at INFO: noise in a rule's log.
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    return logging.getLogger("mcloss")
