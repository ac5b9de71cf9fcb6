"""mcloss.outputs.figures.style.save lays a figure out once and writes the same region to the PDF and PNG."""

import re

import matplotlib.pyplot as plt
import numpy as np
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


def test_plans_lines_differ_in_marker_and_style_and_exact_lines_are_on_top():
    from plans_data import plans_data

    from mcloss.outputs.figures.plans import plans_figure

    summary, convergence, variances, plans, quantities = plans_data()
    fig = plans_figure(summary, convergence, variances, plans, quantities, "plans: a sweep\nR = 400, seed 1")
    for ax in fig.axes:
        data = [line for line in ax.get_lines() if line.get_gid() != "exact"]
        exact = [line for line in ax.get_lines() if line.get_gid() == "exact"]
        assert len(data) == 4 and len(exact) == 3   # Sobol' has no exact line
        assert len({line.get_marker() for line in data}) == 4
        assert len({str(line.get_linestyle()) for line in data}) == 4
        top = max(artist.get_zorder() for artist in [*data, *ax.collections])
        assert all(line.get_zorder() > top for line in exact)
        # Each panel's own legend gives that panel's slopes (they differ between the quantities).
        slopes = [convergence[(convergence.quantity == ax.get_title().split("\n")[0])
                              & (convergence.scenario == point)].slope.iloc[0] for point in plans]
        legend = " ".join(t.get_text() for t in ax.get_legend().get_texts())
        assert all(f"slope {s:.2f}" in legend for s in slopes)
    plt.close(fig)


def test_titles_of_the_default_scenarios_take_at_most_three_lines():
    import yaml

    from common import ROOT
    from mcloss.estimands import build

    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    for name, spec in config["scenarios"].items():
        estimand = build(spec, f"scenarios.{name}")
        title = f"{name}: {estimand.describe()}  (R = {config['replicates']} replicates, seed {config['seed']})"
        count = len(style.shown(estimand.quantities, estimand.identities)[0])
        for panels in {count, min(count, 2)}:   # the per-quantity figures, and one of two panels (fitted, zip)
            fig, _ = style.panels(panels)
            text, size = style.set_title(fig, title)
            assert len(text.split("\n")) <= style.TITLE_LINES, (name, text)
            assert name in text and "R = " in text and "loc=" not in text   # short law names
            renderer = fig.canvas.get_renderer()
            assert fig._suptitle.get_window_extent(renderer).width <= fig.bbox.width * 1.02, (name, size)
            plt.close(fig)


def test_short_descriptions():
    assert style.short_description("x ~ norm(loc=0, scale=1), e ~ norm(loc=0, scale=0.5)") == \
        "x ~ N(0, 1), e ~ N(0, 0.5^2)"
    assert style.short_description("x ~ uniform(loc=-1, scale=2)") == "x ~ U(-1, 1)"


def _labels(axis):
    lo, hi = sorted(axis.get_view_interval())
    return [t.get_text() for t in axis.get_ticklabels() if lo <= t.get_position()[axis.axis_name == "y"] <= hi]


def test_log_axes_use_one_label_format_and_minor_ticks_at_2_and_5():
    plain, power = re.compile(r"^\d+(\.\d+)?$"), re.compile(r"^\$(\d+(\.\d+)?\\times)?10\^\{-?\d+\}\$$")
    for low, high in [(1, 1e6), (0.6, 0.9), (0.3, 3), (1e-5, 1e-2), (2e-5, 5e-5), (1e-2, 10), (1e-3, 1e4)]:
        fig, ax = plt.subplots()
        ax.plot([1, 1e5], [low, high])
        style.log_n_axis(ax)
        style.log_y_axis(ax)
        ax.set_ylim(low, high)
        fig.canvas.draw()
        for axis in (ax.xaxis, ax.yaxis):
            labels = _labels(axis)
            assert len(labels) >= 2, (low, high, labels)
            assert all(plain.match(t) for t in labels) or all(power.match(t) for t in labels), labels
            assert not any(t.get_text() for t in axis.get_minorticklabels())
            lo, hi = sorted(axis.get_view_interval())
            minors = [x for x in axis.get_minorticklocs() if lo <= x <= hi]
            mantissas = {round(x / 10 ** np.floor(np.log10(x) + 1e-9), 6) for x in minors}
            assert mantissas <= {2.0, 5.0}
        plt.close(fig)


def test_png_is_8_bit_greyscale_and_pdf_keeps_type_42_fonts(tmp_path):
    fig = _figure()
    style.save(fig, tmp_path / "h", "h", {})
    png = Image.open(tmp_path / "h.png")
    assert png.mode == "L" and png.getextrema()[0] < 128   # 8-bit greyscale with dark ink
    assert b"/FontType 42" in (tmp_path / "h.pdf").read_bytes() or b"/CIDFontType2" in (tmp_path / "h.pdf").read_bytes()
