"""The figures' theme and PDF fonts without seaborn's and matplotlib's slow paths, and with their results.

`style.apply_style` sets a frozen copy of seaborn's theme (importing seaborn imports scipy.stats, about 1 s of every
figure job); `style.fonts_without_layout_tables` makes matplotlib's font subsets from fonts without their OpenType
layout tables (0.05 s a subset instead of 0.2 s). Both are checked here against what they replace.
"""

import json
import os
import subprocess
import sys

import matplotlib
import pytest

from common import ROOT

matplotlib.use("Agg")
from matplotlib import font_manager  # noqa: E402
from matplotlib.backends import _backend_pdf_ps  # noqa: E402

from mcloss.outputs.figures import style  # noqa: E402

SRC = str(ROOT / "workflow" / "src")

# A child process prints every rcParam and the single-letter colours after one way of setting the theme.
DUMP = r"""
import json, sys
import matplotlib
matplotlib.use("Agg")
from matplotlib import colors
how = sys.argv[1]
if how == "seaborn":
    import seaborn as sns
    from mcloss.outputs.figures.style import PROJECT_RC
    sns.set_theme(context="paper", style="ticks", font_scale=1.0, rc=PROJECT_RC)
else:
    import ast
    # Every import of the figure job's script (workflow/scripts/figures.py), then its theme.
    tree = ast.parse(open(sys.argv[2]).read())
    exec(compile(ast.Module([n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))], []), "i", "exec"))
    from mcloss.outputs.figures.style import apply_style
    apply_style()
rc = {key: repr(value) for key, value in matplotlib.rcParams.items()}
codes = {code: list(colors.to_rgb(code)) for code in "bgrmyck"}
print(json.dumps({"rc": rc, "codes": codes, "seaborn": "seaborn" in sys.modules,
                  "scipy.stats": "scipy.stats" in sys.modules}))
"""


def _theme(how: str) -> dict:
    done = subprocess.run([sys.executable, "-c", DUMP, how, str(ROOT / "workflow" / "scripts" / "figures.py")],
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": SRC, "MPLBACKEND": "Agg"})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def differences(mine: dict, theirs: dict, ignore=("image.cmap",)) -> list[str]:
    """The rcParams and colour codes in which two dumps differ (``ignore``: keys left out on purpose)."""
    keys = sorted(set(mine["rc"]) | set(theirs["rc"]))
    found = [k for k in keys if k not in ignore and mine["rc"].get(k) != theirs["rc"].get(k)]
    found += [f"colour {c}" for c in "bgrmyck" if mine["codes"][c] != theirs["codes"][c]]
    return found


@pytest.fixture(scope="module")
def themes():
    return {"frozen": _theme("frozen"), "seaborn": _theme("seaborn")}


def test_the_frozen_theme_is_seaborns_in_every_rcparam_and_colour_code(themes):
    assert differences(themes["frozen"], themes["seaborn"]) == []
    # The one key left out is a colormap only seaborn registers; no figure draws a colormap.
    assert themes["seaborn"]["rc"]["image.cmap"] == "'rocket'"


def test_the_comparison_sees_a_changed_key_and_a_changed_colour(themes):
    changed = json.loads(json.dumps(themes["frozen"]))
    changed["rc"]["lines.linewidth"] = "1.5"
    changed["codes"]["k"] = [0.0, 0.0, 0.0]
    assert differences(changed, themes["seaborn"]) == ["lines.linewidth", "colour k"]
    assert differences(themes["frozen"], themes["seaborn"], ignore=()) == ["image.cmap"]


def test_figure_jobs_import_neither_seaborn_nor_scipy_stats(themes):
    assert not themes["frozen"]["seaborn"] and not themes["frozen"]["scipy.stats"]
    assert themes["seaborn"]["seaborn"] and themes["seaborn"]["scipy.stats"]   # what the frozen copy avoids


def _subsets(text: str):
    """matplotlib's own subset of DejaVu Sans for the glyphs of ``text``, and the one made without layout tables."""
    path = font_manager.FontPath(font_manager.findfont("DejaVu Sans"), 0)
    font = matplotlib.ft2font.FT2Font(path.path)
    glyphs = {font.get_char_index(ord(c)) for c in text}
    with _backend_pdf_ps.get_glyphs_subset(path, glyphs) as theirs:
        theirs_font, theirs_map = theirs.font, dict(theirs.glyph_index_map)
        theirs_tables = set(theirs_font.keys())
        theirs_glyphs = _glyph_data(theirs_font, theirs_map, glyphs)
    with style.fonts_without_layout_tables(), _backend_pdf_ps.get_glyphs_subset(path, glyphs) as mine:
        mine_font, mine_map = mine.font, dict(mine.glyph_index_map)
        mine_tables = set(mine_font.keys())
        mine_glyphs = _glyph_data(mine_font, mine_map, glyphs)
    return theirs_tables, theirs_glyphs, mine_tables, mine_glyphs


def _glyph_data(font, index_map, glyphs):
    """Per requested glyph: its outline (coordinates, end points, flags or components) and advance width."""
    order = font.getGlyphOrder()
    glyf, hmtx = font["glyf"], font["hmtx"]
    data = {}
    for gid in sorted(glyphs):
        name = order[index_map[gid]]
        glyph = glyf[name]
        outline = (list(glyph.coordinates) if glyph.numberOfContours > 0 else None,
                   list(getattr(glyph, "endPtsOfContours", [])), bytes(getattr(glyph, "flags", b"")),
                   [(c.glyphName, c.x, c.y) for c in getattr(glyph, "components", [])])
        data[gid] = (outline, hmtx[name])
    return data


def test_fonts_without_layout_tables_keep_every_outline_and_width():
    text = "Estimate − exact limit (nats) ≤ 1.96 σ/√n: finite"
    theirs_tables, theirs, mine_tables, mine = _subsets(text)
    assert mine == theirs and len(mine) == len(set(text))
    assert {"GSUB", "GPOS"} <= theirs_tables              # what matplotlib's own subset carries (and decodes)
    assert not mine_tables & set(style.LAYOUT_TABLES)
    assert theirs_tables - mine_tables <= set(style.LAYOUT_TABLES)


def test_the_font_loader_is_restored_after_saving():
    from fontTools import subset

    before = subset.load_font
    with style.fonts_without_layout_tables():
        assert subset.load_font is not before
    assert subset.load_font is before
    with pytest.raises(RuntimeError), style.fonts_without_layout_tables():
        raise RuntimeError
    assert subset.load_font is before


def test_a_minus_sign_does_not_embed_a_second_copy_of_the_font(tmp_path):
    import matplotlib.pyplot as plt

    def fonts(rc):
        style.apply_style()
        with matplotlib.rc_context(rc):
            fig = plt.figure(figsize=(2, 1))
            fig.text(0.1, 0.5, "estimate − exact = −0.25")
            fig.savefig(tmp_path / "m.pdf")
            plt.close(fig)
        return (tmp_path / "m.pdf").read_bytes().count(b"/FontDescriptor /FontName")

    assert fonts({}) == 1
    assert fonts({"ps.fonttype": 3}) == 2      # matplotlib's default: the minus sign starts a second subset


def _figure_kinds():
    """Each figure kind of a scenario job and the plans figure (tests/figure_kinds.py), plus a secondary axis."""
    from figure_kinds import figure_kinds

    return {**figure_kinds(), "secondary axis": _secondary_axis_figure}


def _secondary_axis_figure():
    """What the fitted sweep figure does: a second x axis on top (laid out at draw time) and an outside legend."""
    style.apply_style()
    fig, (ax,) = style.panels(1, height=3.2, width=4.6)
    ax.plot([1, 2, 4, 8], [0.5, 0.7, 0.6, 0.9], "o-", label="n x excess risk")
    ax.secondary_xaxis("top", functions=(lambda d: d + 1.0, lambda p: p - 1.0)).set_xlabel("parameters p")
    ax.set_xlabel("degree")
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center")
    return fig


def test_laying_out_gives_the_positions_and_box_of_a_full_draw():
    import matplotlib.pyplot as plt

    def layout(fig):
        return [ax.get_position().bounds for ax in fig.axes], fig.get_tightbbox().bounds

    for kind, draw in _figure_kinds().items():
        full = draw()
        full.draw_without_rendering()
        expected = layout(full)
        fig = draw()
        style.lay_out(fig)
        assert layout(fig) == expected, kind
        untouched = draw()                   # not laid out: the comparison can fail
        assert layout(untouched) != expected, kind
        for figure in (full, fig, untouched):
            plt.close(figure)


def test_the_clt_density_is_scipys_to_the_bit():
    import numpy as np
    import scipy.stats

    from mcloss.outputs.figures.clt import standard_normal_pdf

    grid = np.concatenate([np.linspace(-40.0, 40.0, 200_001), [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-300, 38.6]])
    np.testing.assert_array_equal(standard_normal_pdf(grid), scipy.stats.norm.pdf(grid))
    assert standard_normal_pdf(0.0) == scipy.stats.norm.pdf(0.0)
