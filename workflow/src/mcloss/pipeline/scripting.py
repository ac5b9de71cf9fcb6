"""What every Snakemake script does first: send its output and warnings to the rule's log."""

from __future__ import annotations

import logging
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


def open_log(path) -> logging.Logger:
    """Route stdout, stderr, warnings and logging of this process to ``path``; return a logger."""
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
