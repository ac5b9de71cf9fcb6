"""What the figure kinds share: the greys, the seaborn theme, panel layout, titles, legend and saving.
May import `mcloss.outputs.provenance` and `mcloss.estimands` (no sibling figure module).

Black and greys with distinct line styles and markers, so every figure reads
in greyscale; every axis names its quantity and unit (Quantity.unit, samples) and every
figure the number of replicates R. Saved as vector PDF and 110 dpi greyscale PNG, each
carrying the config values, seed and package versions in its metadata.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import seaborn as sns  # noqa: E402

from mcloss.estimands import Quantity  # noqa: E402
from mcloss.outputs.provenance import as_text  # noqa: E402

GREY = "0.55"
LIGHT = "0.85"
#: Behind text drawn over data, so that lines and bands cannot make it unreadable.
TEXT_BOX = {"boxstyle": "square,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.85}


def apply_style() -> None:
    """The seaborn theme every figure is drawn in (set before its figure is made)."""
    sns.set_theme(context="paper", style="ticks", font_scale=1.0,
                  rc={"axes.grid": True, "grid.color": "0.92", "pdf.fonttype": 42, "savefig.bbox": "tight"})


def panels(count: int, height: float = 2.8, width: float = 2.9):
    """A figure of ``count`` panels (up to 4 in a row, else rows of 3) and the list of its visible axes."""
    columns = count if count <= 4 else 3
    rows = math.ceil(count / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(width * columns, height * rows + 0.6), squeeze=False,
                             layout="constrained")
    for ax in axes.flat[count:]:
        ax.set_visible(False)
    return fig, list(axes.flat[:count])


def save(fig, stem, title: str, provenance: dict) -> list[Path]:
    """Write ``stem``.pdf and ``stem``.png with provenance metadata; close the figure."""
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    text = as_text(provenance)
    pdf, png = stem.with_suffix(".pdf"), stem.with_suffix(".png")
    # Lay the figure out and measure its tight box once, for both files: given a layout engine or
    # bbox_inches="tight", savefig draws the whole figure once more before drawing it for real, and the
    # PDF and the PNG would each pay that (a fifth of a figure job's saving time; docs/performance.md).
    fig.draw_without_rendering()
    bbox = fig.get_tightbbox().padded(matplotlib.rcParams["savefig.pad_inches"])
    # None, not "none" (a placeholder engine would still trigger that draw); with these rcParams off,
    # whatever a matplotlibrc says, None removes the engine instead of installing a fresh one.
    with matplotlib.rc_context({"figure.autolayout": False, "figure.constrained_layout.use": False}):
        fig.set_layout_engine(None)
    assert fig.get_layout_engine() is None
    fig.savefig(pdf, bbox_inches=bbox,
                metadata={"Title": title, "Subject": text, "Creator": "mcloss", "CreationDate": None})
    _save_png(fig, png, {"Title": title, "Description": text, "Software": "mcloss"}, bbox)
    plt.close(fig)
    return [pdf, png]


#: Resolution of the PNGs (the PDFs are vector): sharp on screen, light in the HTML report.
PNG_DPI = 110


def _save_png(fig, path: Path, metadata: dict, bbox) -> None:
    """8-bit greyscale PNG of ``fig`` with text metadata, cut to ``bbox`` (inches, the PDF's box).

    The figures are black and greys by design (legible in greyscale), so one channel
    loses nothing and makes the file (and the report that embeds it) 2-3 times smaller
    than matplotlib's RGBA.
    """
    import io

    from PIL import Image, PngImagePlugin

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=PNG_DPI, bbox_inches=bbox)
    image = Image.open(buffer)
    flat = Image.new("RGBA", image.size, "white")
    flat.alpha_composite(image.convert("RGBA"))
    info = PngImagePlugin.PngInfo()
    for key, value in metadata.items():
        info.add_text(key, value)
    flat.convert("L").save(path, optimize=True, pnginfo=info)


def quantity_title(q: Quantity, width: int = 44) -> str:
    """The quantity's name and its meaning, wrapped (not cut) to ``width`` characters per line."""
    return q.name + "\n" + textwrap.fill(q.meaning, width, break_on_hyphens=False)


def wrap_title(title: str, fig) -> str:
    """``title`` wrapped to the figure's width (about 15 characters of 9 pt text per inch), each line kept."""
    width = int(15 * fig.get_figwidth())
    return "\n".join(textwrap.fill(line, width) for line in title.splitlines())


def finish(fig, axes, title: str) -> None:
    """One legend for all panels, below them, and the scenario as the (wrapped) title."""
    # Every panel's entries, once each (a panel may add one, e.g. an overflow bin).
    entries: dict[str, object] = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            entries.setdefault(label, handle)
    handles, labels = list(entries.values()), list(entries)
    if labels:
        fig.legend(handles, labels, loc="outside lower center", ncol=min(len(labels), 4), fontsize=8,
                   frameon=False)
    fig.suptitle(wrap_title(title, fig), fontsize=9)


def log_n_axis(ax) -> None:
    """A log-scaled x axis labelled as the batch size n."""
    ax.set_xscale("log")
    ax.set_xlabel("batch size $n$ (samples)")


#: Corners of a panel tried for an annotation, in order of preference (axes coordinates and alignment).
_CORNERS = [((0.03, 0.04), "left", "bottom"), ((0.97, 0.96), "right", "top"), ((0.97, 0.04), "right", "bottom"),
            ((0.03, 0.96), "left", "top")]


def annotate_free(ax, text: str, fontsize: float = 7.0, **kwargs):
    """``text`` in the first corner of ``ax`` whose box covers no data point (lines and markers drawn so far),
    else the corner that covers fewest; the box's size is estimated from the characters and the panel's size."""
    ax.autoscale_view()
    to_axes = ax.transScale + ax.transLimits
    points = [to_axes.transform(line.get_xydata()) for line in ax.get_lines()
              if line.get_transform() == ax.transData and line.get_xydata().size]
    # Densify the lines between their vertices, so a line crossing a corner counts, not only its markers.
    dense = [a + t * (b - a) for xy in points for a, b in zip(xy[:-1], xy[1:]) for t in np.linspace(0, 1, 12)]
    xy = np.vstack([*points, np.array(dense).reshape(-1, 2)]) if points else np.empty((0, 2))
    xy = xy[np.all(np.isfinite(xy), axis=1)]
    lines = text.split("\n")
    bbox = ax.get_position()
    fig_w, fig_h = ax.figure.get_size_inches()
    width = (max(len(line) for line in lines) * 0.55 * fontsize / 72 + 0.1) / max(bbox.width * fig_w * 0.8, 0.5)
    height = (len(lines) * 1.3 * fontsize / 72 + 0.08) / max(bbox.height * fig_h * 0.8, 0.5)
    best = None
    for (x0, y0), ha, va in _CORNERS:
        left = x0 - width if ha == "right" else x0
        bottom = y0 - height if va == "top" else y0
        inside = int(np.sum((xy[:, 0] >= left) & (xy[:, 0] <= left + width)
                            & (xy[:, 1] >= bottom) & (xy[:, 1] <= bottom + height)))
        if best is None or inside < best[0]:
            best = (inside, (x0, y0), ha, va)
        if inside == 0:
            break
    _, (x0, y0), ha, va = best
    return ax.text(x0, y0, text, transform=ax.transAxes, fontsize=fontsize, ha=ha, va=va, **kwargs)
