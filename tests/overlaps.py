"""Layout checks shared by the figure tests: text against text, and text against the data (lines, markers,
error bars) drawn in the same panel."""

import itertools

import matplotlib.collections
import matplotlib.text
import numpy as np


def _drawn(fig):
    renderer = fig.canvas.get_renderer()
    fig.draw(renderer)
    return renderer


def text_overlaps(fig):
    """Pairs of visible, non-empty text artists whose window extents intersect."""
    renderer = _drawn(fig)
    # Tick labels outside an axis' view interval exist as artists but are not drawn.
    undrawn = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            lo, hi = sorted(axis.get_view_interval())
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                if not lo - 1e-9 * abs(hi - lo) <= tick.get_loc() <= hi + 1e-9 * abs(hi - lo):
                    undrawn.update(id(t) for t in (tick.label1, tick.label2))
    texts = [t for t in fig.findobj(matplotlib.text.Text) if t.get_visible() and t.get_text().strip()
             and id(t) not in undrawn]
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in texts]
    return [(a, b) for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2)
            if box_a.width > 0 and box_b.width > 0 and box_a.overlaps(box_b)]


def _polylines(ax):
    """Display coordinates of what a panel draws as data: each line's vertices (and whether it has markers and
    a visible line between them), and each line collection's segments (error bars)."""
    for line in ax.get_lines():
        if not line.get_visible() or line.get_xydata().size == 0:
            continue
        xy = line.get_transform().transform(np.asarray(line.get_xydata(), dtype=float))
        marked = line.get_marker() not in (None, "None", "", " ", "none")
        joined = line.get_linestyle() not in ("None", "", " ", "none")
        yield line, xy, marked, joined
    for collection in ax.collections:
        if isinstance(collection, matplotlib.collections.LineCollection) and collection.get_visible():
            for segment in collection.get_segments():
                if len(segment):
                    yield collection, collection.get_transform().transform(np.asarray(segment, float)), False, True


def text_over_data(fig, samples: int = 40):
    """(text, artist) pairs where a visible text inside a panel covers a marker, a data line or an error bar
    of that panel. Only a reference line (axhline, axvline) under a text on an opaque box is not counted."""
    renderer = _drawn(fig)
    hits = []
    for ax in fig.axes:
        for text in ax.texts:
            if not (text.get_visible() and text.get_text().strip()):
                continue
            box = text.get_window_extent(renderer)
            patch = text.get_bbox_patch()
            boxed = patch is not None and patch.get_facecolor()[3] > 0.5
            for artist, xy, marked, joined in _polylines(ax):
                # A reference line (axhline, axvline: not in data coordinates) may pass under a boxed label;
                # the data may not: a box over them hides them.
                reference = artist.get_transform() != ax.transData
                if boxed and reference and artist.get_zorder() < text.get_zorder():
                    continue
                finite = np.all(np.isfinite(xy), axis=1)
                points = xy[finite] if marked else np.empty((0, 2))
                if joined and len(xy) > 1:
                    t = np.linspace(0.0, 1.0, samples)[:, None]
                    pieces = [a + t * (b - a) for a, b in zip(xy[:-1], xy[1:])
                              if np.all(np.isfinite(a)) and np.all(np.isfinite(b))]
                    points = np.vstack([points, *pieces]) if pieces else points
                if any(box.contains(x, y) for x, y in points):
                    hits.append((text.get_text(), artist.get_label() or type(artist).__name__))
    return hits
