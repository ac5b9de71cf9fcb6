"""What the figure kinds share: the greys, the seaborn theme, panel layout, titles, legend and saving.
May import `mcloss.outputs.provenance` and `mcloss.estimands` (no sibling figure module).

Black and greys with distinct line styles and markers, so every figure reads
in greyscale; every axis names its quantity and unit (Quantity.unit, samples) and every
figure the number of replicates R. Saved as vector PDF and 110 dpi greyscale PNG, each
carrying the config values, seed and package versions in its metadata.
"""

from __future__ import annotations

import contextlib
import math
import re
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib import colors, ticker  # noqa: E402
from matplotlib.rcsetup import cycler  # noqa: E402

from mcloss.estimands import Quantity  # noqa: E402
from mcloss.outputs.provenance import as_text  # noqa: E402

GREY = "0.55"
LIGHT = "0.85"
#: Behind text drawn over data, so that lines and bands cannot make it unreadable.
TEXT_BOX = {"boxstyle": "square,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.85}


#: seaborn's "paper" context is its "notebook" sizes times 0.8.
_PAPER = 0.8
#: seaborn's "deep" palette (its default colour cycle).
_DEEP = ["#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3", "#937860", "#DA8BC3", "#8C8C8C", "#CCB974", "#64B5CD"]
#: Every rcParam ``seaborn.set_theme(context="paper", style="ticks", font_scale=1.0)`` sets (seaborn 0.13.2), as
#: it sets it, but ``image.cmap`` ("rocket", a colormap only importing seaborn registers; no figure draws a
#: colormap). Frozen because importing seaborn imports scipy.stats, about 1 s of every figure job's start-up;
#: tests/test_figure_theme.py checks it against seaborn's own, every rcParam and colour code.
SEABORN_THEME = {
    "axes.axisbelow": True, "axes.edgecolor": ".15", "axes.facecolor": "white", "axes.grid": False,
    "axes.labelcolor": ".15", "axes.labelsize": 12 * _PAPER, "axes.linewidth": 1.25 * _PAPER,
    "axes.prop_cycle": cycler(color=[colors.to_rgb(c) for c in _DEEP]),
    "axes.spines.bottom": True, "axes.spines.left": True, "axes.spines.right": True, "axes.spines.top": True,
    "axes.titlesize": 12 * _PAPER, "figure.facecolor": "white", "font.family": ["sans-serif"],
    "font.sans-serif": ["Arial", "DejaVu Sans", "Liberation Sans", "Bitstream Vera Sans", "sans-serif"],
    "font.size": 12 * _PAPER, "grid.color": ".8", "grid.linestyle": "-", "grid.linewidth": 1 * _PAPER,
    "legend.fontsize": 11 * _PAPER, "legend.title_fontsize": 12 * _PAPER, "lines.linewidth": 1.5 * _PAPER,
    "lines.markersize": 6 * _PAPER, "lines.solid_capstyle": "round", "patch.edgecolor": "w",
    "patch.force_edgecolor": True, "patch.linewidth": 1 * _PAPER, "text.color": ".15",
    **{f"{axis}.{key}": value for axis in ("xtick", "ytick") for key, value in (
        ("color", ".15"), ("direction", "out"), ("labelsize", 11 * _PAPER), ("major.size", 6 * _PAPER),
        ("major.width", 1.25 * _PAPER), ("minor.size", 4 * _PAPER), ("minor.width", 1 * _PAPER))},
    "xtick.bottom": True, "xtick.top": False, "ytick.left": True, "ytick.right": False,
}
#: The single-letter colours seaborn's color_codes=True redefines ("deep6" and a near-black k).
SEABORN_COLOR_CODES = dict(zip("bgrmyck", [*(_DEEP[i] for i in (0, 2, 3, 4, 8, 9)), (0.1, 0.1, 0.1)]))
#: The project's own keys on top: light grids, and Type 42 (TrueType) fonts in the PDFs, which journals accept
#: where they refuse Type 3. ``ps.fonttype`` too: matplotlib 3.11's PDF writer sizes its font subsets by it, and
#: at Type 3's 256 codes every character past U+00FF (the minus sign, Greek letters) starts a second copy of
#: the font in every PDF.
PROJECT_RC = {"axes.grid": True, "grid.color": "0.92", "pdf.fonttype": 42, "ps.fonttype": 42,
              "savefig.bbox": "tight"}


def apply_style() -> None:
    """The seaborn theme every figure is drawn in (set before its figure is made)."""
    matplotlib.rcParams.update({**SEABORN_THEME, **PROJECT_RC})
    for code, colour in SEABORN_COLOR_CODES.items():
        colors.colorConverter.colors[code] = colors.to_rgb(colour)  # as seaborn.set_color_codes does it


def panels(count: int, height: float = 2.8, width: float = 2.9):
    """A figure of ``count`` panels (up to 4 in a row, else rows of 3) and the list of its visible axes."""
    columns = count if count <= 4 else 3
    rows = math.ceil(count / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(width * columns, height * rows + 0.6), squeeze=False,
                             layout="constrained")
    for ax in axes.flat[count:]:
        ax.set_visible(False)
    return fig, list(axes.flat[:count])


def lay_out(fig) -> None:
    """Run the figure's layout engine as ``Figure.draw`` does before drawing: the axes positions are then final.

    Not ``fig.draw_without_rendering()``, which after the layout also walks every artist with drawing switched
    off, for nothing the tight box does not measure again; skipping that walk saves a tenth of the layout's
    time. tests/test_figure_theme.py checks the same axes positions and box on each figure kind it can draw."""
    engine = fig.get_layout_engine()
    if fig.axes and engine is not None:
        try:
            engine.execute(fig)
        except ValueError:   # as Figure.draw: a layout that cannot be applied leaves the axes where they are
            pass


def save(fig, stem, title: str, provenance: dict) -> list[Path]:
    """Write ``stem``.pdf and ``stem``.png with provenance metadata; close the figure."""
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    text = as_text(provenance)
    pdf, png = stem.with_suffix(".pdf"), stem.with_suffix(".png")
    # Lay the figure out and measure its tight box once, for both files: given a layout engine or
    # bbox_inches="tight", savefig draws the whole figure once more before drawing it for real, and the
    # PDF and the PNG would each pay that (a fifth of a figure job's saving time; docs/performance.md).
    lay_out(fig)
    bbox = fig.get_tightbbox().padded(matplotlib.rcParams["savefig.pad_inches"])
    # None, not "none" (a placeholder engine would still trigger that draw); with these rcParams off,
    # whatever a matplotlibrc says, None removes the engine instead of installing a fresh one.
    with matplotlib.rc_context({"figure.autolayout": False, "figure.constrained_layout.use": False}):
        fig.set_layout_engine(None)
    assert fig.get_layout_engine() is None
    with fonts_without_layout_tables():
        fig.savefig(pdf, bbox_inches=bbox,
                    metadata={"Title": title, "Subject": text, "Creator": "mcloss", "CreationDate": None})
    _save_png(fig, png, {"Title": title, "Description": text, "Software": "mcloss"}, bbox)
    plt.close(fig)
    return [pdf, png]


#: OpenType tables that shape text (substitutions, positioning, kerning, maths layout). matplotlib lays its text
#: out from the installed font and writes every glyph's position into the PDF, so the font embedded in a PDF needs
#: outlines and advance widths, never these.
LAYOUT_TABLES = ("GSUB", "GPOS", "GDEF", "BASE", "JSTF", "MATH", "kern")


@contextlib.contextmanager
def fonts_without_layout_tables():
    """While open, matplotlib subsets the fonts it embeds (``_backend_pdf_ps.get_glyphs_subset``, its options
    unchanged) from a copy without LAYOUT_TABLES: the same outlines and widths, without decoding the layout
    tables first: 0.05 s a subset of DejaVu Sans instead of 0.2 s, and a figure job writes about ten of them
    (docs/performance.md, "Fonts in the PDFs"). tests/test_figure_theme.py checks the outlines and widths against
    matplotlib's own subset."""
    from fontTools import subset

    load = subset.load_font

    def load_without_layout(*args, **kwargs):
        font = load(*args, **kwargs)
        for tag in LAYOUT_TABLES:
            if tag in font:
                del font[tag]
        return font

    subset.load_font = load_without_layout
    try:
        yield
    finally:
        subset.load_font = load


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
    # Not PIL's ``optimize`` (several times the encoding time for a few per cent of size; benchmarks/figures.py).
    flat.convert("L").save(path, optimize=PNG_OPTIMIZE, pnginfo=info)


#: PIL's ``optimize`` for the PNGs (off: see ``_save_png``; benchmarks/figures.py --old turns it back on).
PNG_OPTIMIZE = False


def quantity_title(q: Quantity, width: int = 40, same_as: tuple[str, ...] = ()) -> str:
    """The quantity's name and its meaning, wrapped (not cut) to ``width`` characters per line; ``same_as`` names
    the quantities equal to it on every batch (the right-hand sides of its identities), which get no panel."""
    name = q.name
    if same_as:
        name += " = " + " = ".join(same_as) + "\n(identical on every batch:\nsee the identities figure)"
    return name + "\n" + textwrap.fill(q.meaning, width, break_on_hyphens=False)


def shown(quantities, identities=()) -> tuple[list, dict[str, tuple[str, ...]]]:
    """The quantities that get a panel (no right-hand side of an identity: it is equal to its left-hand side on
    every batch) and, for each left-hand side drawn, the names of the quantities it stands for."""
    right = {i.right: i.left for i in identities}
    names = {q.name for q in quantities}

    def root(name: str) -> str:
        seen = set()
        while name in right and right[name] in names and name not in seen:
            seen.add(name)
            name = right[name]
        return name

    kept = [q for q in quantities if root(q.name) == q.name]
    same = {q.name: tuple(r for r in (x.name for x in quantities) if r != q.name and root(r) == q.name)
            for q in kept}
    return kept, {k: v for k, v in same.items() if v}


#: The law families written out by the config and their short forms for titles (loc/scale as in scipy).
_SHORT = [(re.compile(r"\bnorm\(loc=([^,()]+), scale=1\)"), r"N(\1, 1)"),
          (re.compile(r"\bnorm\(loc=([^,()]+), scale=([^,()]+)\)"), r"N(\1, \2^2)"),
          (re.compile(r"\bcauchy\(loc=([^,()]+), scale=([^,()]+)\)"), r"Cauchy(\1, \2)"),
          (re.compile(r"\bt\(df=([^,()]+), loc=0, scale=1\)"), r"t_\1"),
          (re.compile(r"\bt\(df=([^,()]+), loc=0, scale=([^,()]+)\)"), r"\2 t_\1"),
          (re.compile(r"\bgamma\(a=([^,()]+), scale=([^,()]+)\)"), r"Gamma(shape \1, scale \2)")]


def short_description(text: str) -> str:
    """``text`` with the config's scipy-style laws in the usual short forms: norm(loc=0, scale=1) -> N(0, 1)
    (mean, variance), norm(loc=0, scale=0.5) -> N(0, 0.5^2), uniform(loc=a, scale=b) -> U(a, a+b), ..."""
    for pattern, short in _SHORT:
        text = pattern.sub(short, text)

    def uniform(match) -> str:
        low, scale = float(match.group(1)), float(match.group(2))
        return f"U({low:g}, {low + scale:g})"

    return re.sub(r"\buniform\(loc=([-\d.e]+), scale=([-\d.e]+)\)", uniform, text)


#: Most lines a figure title may take; its font shrinks (down to TITLE_SIZES[-1]) before a fourth line is used.
TITLE_LINES = 3
TITLE_SIZES = (9.0, 8.5, 8.0, 7.5, 7.0, 6.5)
_SCENARIO_TITLE = re.compile(r"^(?P<head>[\w.-]+): (?P<body>.*?)\s+(?P<tail>\(R = [^()]*\))$", re.S)


def title_lines(title: str, width_in: float, fontsize: float) -> list[str]:
    """``title`` in lines of a figure ``width_in`` inches wide at ``fontsize`` pt (13.5 characters of 9 pt text
    per inch: 15 on average, less with wide glyphs). A scenario's title "name: description  (R = ..., seed ...)"
    puts the name and R on the first line and the (shortened) description below it."""
    width = max(int(13.5 * 9 / fontsize * width_in), 20)
    match = _SCENARIO_TITLE.match(title.strip())
    if match:
        parts = [f"{match['head']} {match['tail']}", short_description(match["body"])]
    else:
        parts = [short_description(line) for line in title.splitlines()]
    return [wrapped for part in parts for wrapped in (textwrap.wrap(part, width, break_on_hyphens=False) or [""])]


def set_title(fig, title: str, fontsize: float = 9.0) -> tuple[str, float]:
    """The figure's title in at most TITLE_LINES lines (the largest font up to ``fontsize`` that allows it; never
    cut); returns the text and font size used."""
    sizes = [size for size in TITLE_SIZES if size <= fontsize] or [fontsize]
    for size in sizes:
        lines = title_lines(title, fig.get_figwidth(), size)
        if len(lines) <= TITLE_LINES:
            break
    text = "\n".join(lines)
    fig.suptitle(text, fontsize=size)
    return text, size


def wrap_title(title: str, fig) -> str:
    """``title`` wrapped to the figure's width as ``set_title`` would at 9 pt (each line kept)."""
    return "\n".join(title_lines(title, fig.get_figwidth(), 9.0))


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
    set_title(fig, title)


#: Minor ticks of a log axis: at 2 and 5 times each power of ten, unlabelled (benchmarks/figures.py --old: all).
MINOR_SUBS: tuple[float, ...] | str = (2.0, 5.0)
#: A log axis whose major ticks all lie in this range is labelled in plain numbers (0.01, 1, 1000), else in
#: powers of ten; never a mixture.
PLAIN_RANGE = (1e-3, 1e4)


class _Majors(ticker.LogLocator):
    """Powers of ten; where the view holds fewer than two, 1, 2 and 5 times them (so every axis has labels)."""

    def __init__(self):
        super().__init__(base=10.0, subs=(1.0,))

    def tick_values(self, vmin, vmax):
        self._subs = np.array([1.0])
        values = super().tick_values(vmin, vmax)
        lo, hi = sorted((vmin, vmax))
        if np.sum((values >= lo * (1 - 1e-9)) & (values <= hi * (1 + 1e-9))) < 2:
            self._subs = np.array([1.0, 2.0, 5.0])
            values = super().tick_values(vmin, vmax)
        return values


class LogLabels(ticker.Formatter):
    """One format for all labels of a log axis: plain numbers where every tick lies in PLAIN_RANGE, else
    m x 10^k in mathtext (m = 1 written as 10^k)."""

    def __call__(self, x, pos=None):
        return self.format_ticks([x])[0]

    def format_ticks(self, values):
        values = [float(v) for v in values]
        # Only the ticks in view decide (the locator also returns one beyond each end, never drawn).
        lo, hi = sorted(self.axis.get_view_interval()) if self.axis is not None else (-np.inf, np.inf)
        shown = [v for v in values if v and lo * (1 - 1e-9) <= v <= hi * (1 + 1e-9)] or values
        plain = all(PLAIN_RANGE[0] <= abs(v) <= PLAIN_RANGE[1] for v in shown if v)
        return [self._plain(v) if plain else self._power(v) for v in values]

    @staticmethod
    def _plain(v: float) -> str:
        return f"{v:.6f}".rstrip("0").rstrip(".") if abs(v) < 1 else f"{v:.0f}"

    @staticmethod
    def _power(v: float) -> str:
        if v <= 0:
            return f"{v:g}"
        k = math.floor(math.log10(v) + 1e-9)
        m = round(v / 10.0 ** k, 6)
        return rf"$10^{{{k}}}$" if m == 1 else rf"${m:g}\times10^{{{k}}}$"


def log_ticks(axis) -> None:
    """Majors at powers of ten (1, 2, 5 on a short range) labelled by LogLabels, minors at MINOR_SUBS unlabelled."""
    if MINOR_SUBS == "auto":   # matplotlib's own (benchmarks/figures.py --old)
        return
    axis.set_major_locator(_Majors())
    axis.set_major_formatter(LogLabels())
    axis.set_minor_locator(ticker.LogLocator(base=10.0, subs=MINOR_SUBS, numticks=12))
    axis.set_minor_formatter(ticker.NullFormatter())


def log_n_axis(ax) -> None:
    """A log-scaled x axis labelled as the batch size n."""
    ax.set_xscale("log")
    log_ticks(ax.xaxis)
    ax.set_xlabel("batch size $n$ (samples)")


def log_y_axis(ax) -> None:
    """A log-scaled y axis with the ticks of ``log_ticks``."""
    ax.set_yscale("log")
    log_ticks(ax.yaxis)


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
