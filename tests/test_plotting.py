"""mcloss.outputs.figures.style.save lays a figure out once and writes the same region to the PDF and PNG."""

import re

import matplotlib.pyplot as plt
from PIL import Image

from mcloss.outputs.figures import style


def _figure():
    fig, axes = style.panels(2)
    for ax in axes:
        ax.plot([1, 10, 100], [1.0, 0.3, 0.1])
        ax.set_xscale("log")
        ax.set_xlabel("batch size $n$ (samples), a label long enough to reach the panel's edge")
    fig.suptitle("scenario: a title")
    return fig


def _mediabox(pdf) -> tuple[float, float]:
    x0, y0, x1, y1 = map(float, re.search(rb"/MediaBox \[ *([\d.]+) ([\d.]+) ([\d.]+) ([\d.]+) *\]",
                                          pdf.read_bytes()).groups())
    return x1 - x0, y1 - y0


def test_pdf_and_png_show_the_same_tight_region(tmp_path):
    fig = _figure()
    number, full_width_pt = fig.number, fig.get_figwidth() * 72
    written = style.save(fig, tmp_path / "f", "f", {"seed": 1})
    assert [p.name for p in written] == ["f.pdf", "f.png"]
    width_pt, height_pt = _mediabox(tmp_path / "f.pdf")
    png = Image.open(tmp_path / "f.png")
    # Same box: the PNG is the PDF's page at PNG_DPI (to a pixel of rounding each way).
    assert abs(png.size[0] - width_pt * style.PNG_DPI / 72) <= 1.5
    assert abs(png.size[1] - height_pt * style.PNG_DPI / 72) <= 1.5
    # Tight, not the whole canvas: the constrained layout's outer margin is cut away.
    assert width_pt != full_width_pt
    assert png.mode == "L" and png.info["Title"] == "f" and '"seed": 1' in png.info["Description"]
    assert number not in plt.get_fignums()  # closed


def test_the_box_holds_every_label(tmp_path):
    """What the PDF's own renderer measures as the figure's extent lies inside the saved page."""
    fig = _figure()
    style.save(fig, tmp_path / "g", "g", {})
    width_pt, height_pt = _mediabox(tmp_path / "g.pdf")
    again = _figure()
    again.savefig(tmp_path / "reference.pdf", bbox_inches="tight")  # matplotlib lays out and measures
    plt.close(again)
    ref_width, ref_height = _mediabox(tmp_path / "reference.pdf")
    # The label-driven extent agrees with the PDF renderer's to a point or two (hinting differs).
    assert abs(width_pt - ref_width) < 3 and abs(height_pt - ref_height) < 3
