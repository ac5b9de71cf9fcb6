"""Time to draw and save (PDF + PNG) each figure kind on synthetic data: the current saving, ticks and fonts against
the old ones (--old: matplotlib's own log ticks, every minor tick labelled where it chose to, PIL's PNG optimize,
matplotlib's own font subsets and ps.fonttype 3, a whole draw without output before the layout's box).

    PYTHONPATH=workflow/src .venv/bin/python benchmarks/figures.py [--rounds 3] [--old]

Prints the median seconds per figure of each kind over ``--rounds`` rounds, with both settings unless --old or
--new picks one, and the CPU. Results depend on the machine's load: say so when quoting them.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from machine import cpu_model  # noqa: E402

#: The current settings, kept before --old replaces them.
CURRENT = {}


def measure(old: bool, rounds: int, kinds) -> dict[str, float]:
    from mcloss.outputs.figures import style

    CURRENT.setdefault("fonts", style.fonts_without_layout_tables)
    CURRENT.setdefault("lay_out", style.lay_out)
    style.MINOR_SUBS, style.PNG_OPTIMIZE = ("auto", True) if old else ((2.0, 5.0), False)
    # The old fonts: matplotlib's own subsets (layout tables decoded) and ps.fonttype 3, whose 256-code subsets
    # put every character past U+00FF in a second copy of the font; the old layout: a whole draw without output.
    style.PROJECT_RC["ps.fonttype"] = 3 if old else 42
    style.fonts_without_layout_tables = contextlib.nullcontext if old else CURRENT["fonts"]
    style.lay_out = (lambda fig: fig.draw_without_rendering()) if old else CURRENT["lay_out"]
    times: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(rounds):
            for kind, draw in kinds.items():
                start = time.perf_counter()
                style.save(draw(), Path(tmp) / kind, kind, {"seed": 1})
                times.setdefault(kind, []).append(time.perf_counter() - start)
    return {kind: statistics.median(values) for kind, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    pick = parser.add_mutually_exclusive_group()
    pick.add_argument("--old", action="store_true", help="only the old ticks and PNG optimize")
    pick.add_argument("--new", action="store_true", help="only the current settings")
    args = parser.parse_args()
    from figure_kinds import figure_kinds

    kinds = figure_kinds("bench", replicates=100, n_max=10_000, points=33, paths_drawn=20)
    settings = [s for s, on in (("old", not args.new), ("new", not args.old)) if on]
    results = {s: measure(s == "old", args.rounds, kinds) for s in settings}
    print(f"CPU: {cpu_model()}; median of {args.rounds} rounds, seconds per figure (draw + PDF + PNG)")
    print(f"{'kind':<12}" + "".join(f"{s:>10}" for s in settings) + ("     ratio" if len(settings) == 2 else ""))
    for kind in results[settings[0]]:
        row = [results[s][kind] for s in settings]
        ratio = f"{row[1] / row[0]:10.2f}" if len(row) == 2 else ""
        print(f"{kind:<12}" + "".join(f"{t:10.3f}" for t in row) + ratio)


if __name__ == "__main__":
    main()
