"""The sweep figure by regime, sweep rows in the paper table and the overview, and the overlap checks (issue 23)."""

import matplotlib.pyplot as plt
import matplotlib.text
import numpy as np
import pandas as pd
import pytest
from overlaps import text_over_data, text_overlaps

from common import GAN
from mcloss.errors import ConfigError
from mcloss.estimands import Quantity
from mcloss.judge.verdicts import CONVERGES, INCONCLUSIVE, NO_LIMIT, SLOWER
from mcloss.outputs.figures.overview import overview_figure
from mcloss.outputs.figures.sweep import coverage_count, point_kind, sweep_figure
from mcloss.outputs.paper import VERDICT_COLUMNS, paper_rows, paper_view, select_sweeps
from mcloss.pipeline import sweeps

DF = [1.5, 2.0, 3.0, 5.0, 30.0]
#: A runaway mean of a point without a limit: the figure must not draw it.
RUNAWAY = 48.3


def t_df_convergence() -> pd.DataFrame:
    """Judged convergence rows of a sweep over t's df with a quadratic logit, as the pipeline writes them
    (bce only): no limit at df 1.5 and 2, slower at 3, n^-1/2 at 5 and 30 (points in text order, as files are)."""
    rows = []
    spec = {1.5: (NO_LIMIT, np.nan, RUNAWAY, 7.5, 8.4, 0.16), 2.0: (NO_LIMIT, np.nan, 2.4, 1.98, 0.74, 0.13),
            3.0: (SLOWER, 1.0576, 1.044, 1.035, 0.042, -0.27), 5.0: (CONVERGES, 0.8718, 0.8719, 0.8708, 0.0116, -0.56),
            30.0: (CONVERGES, 0.7989, 0.7987, 0.7987, 0.0039, -0.54)}
    for df in sorted(DF, key=lambda v: f"{v:g}"):            # 1.5, 2, 3, 30, 5: the order of the file names
        verdict, exact, estimate, median, iqr, slope = spec[df]
        finite = verdict == CONVERGES
        half = 0.0012 * 1.96 if finite else np.nan
        rows.append({
            "scenario": f"t_df__data.df={df:g}", "quantity": "bce", "meaning": "batch BCE", "exact": exact,
            "n_max": 10000, "estimate": estimate, "ci_low": estimate - half, "ci_high": estimate + half,
            "median": median, "iqr": iqr, "verdict": verdict, "verdict_slope_of": "rmse" if finite else "iqr",
            "slope": -0.5 if finite else -0.2, "slope_ci_low": -0.6, "slope_ci_high": -0.4,
            "iqr_slope": np.nan if finite else slope, "iqr_slope_ci_low": slope - 0.1, "iqr_slope_ci_high": slope + 0.1,
            "expected_slope": -0.5 if finite else (-1 / 3 if verdict == SLOWER else np.nan), "fit_min_n": 100,
            "data.df": df,
        })
    return pd.DataFrame(rows)


def t_df_curve() -> pd.DataFrame:
    xs = np.geomspace(1.5, 30.0, 60)
    # The limit exists for df > 2 and runs off to infinity as df -> 2.
    exact = np.where(xs > 2.0, 0.79 + 0.08 / np.maximum(xs - 2.0, 1e-9) ** 0.9, np.nan)
    return pd.DataFrame({"data.df": xs, "quantity": "bce", "exact": exact})


@pytest.fixture()
def t_df_figure():
    conv = t_df_convergence()
    fig = sweep_figure(conv, t_df_curve(), "data.df", [], [Quantity("bce", "bce", "batch BCE", unit="nats")],
                       "t_df: data.df swept in a GAN with t data (R = 60 replicates, seed 1)",
                       log_x=sweeps.axis_scale(conv["data.df"].tolist()) == "log")
    yield fig
    plt.close(fig)


def _drawn_y(ax) -> np.ndarray:
    """Every y value a panel draws in data coordinates (lines and error bar ends), not the axis marks."""
    ys = [line.get_ydata() for line in ax.get_lines() if line.get_transform() == ax.transData]
    ys += [np.asarray(seg)[:, 1] for c in ax.collections if hasattr(c, "get_segments") for seg in c.get_segments()]
    return np.concatenate([np.asarray(y, dtype=float) for y in ys])


def test_no_limit_points_are_marks_on_the_axis_never_their_runaway_value(t_df_figure):
    top, mid, rate = t_df_figure.axes[:3]
    assert not np.any(np.isclose(_drawn_y(top), RUNAWAY)) and not np.any(np.isclose(_drawn_y(top), 2.4))
    assert top.get_ylim()[1] < 2.0                       # the df = 1.5 point does not flatten the others
    # A cross on the axis (axes coordinates in y) at df 1.5 and 2, in the value and error panels.
    for ax in (top, mid):
        marks = [line for line in ax.get_lines() if line.get_marker() == "x"]
        assert sorted(float(m.get_xdata()[0]) for m in marks) == [1.5, 2.0]
        assert all(m.get_transform() != ax.transData for m in marks)
    # The slower point: its median (open marker) with a bar as long as the IQR, not a mean with a CI.
    opened = [line for line in top.get_lines() if line.get_markerfacecolor() in ("white", (1, 1, 1, 1))]
    assert [(float(line.get_xdata()[0]), float(line.get_ydata()[0])) for line in opened] == [(3.0, 1.035)]
    filled = sorted(float(line.get_xdata()[0]) for line in top.get_lines()
                    if line.get_marker() == "o" and line.get_markerfacecolor() in ("black", (0, 0, 0, 1)))
    assert filled == [5.0, 30.0]
    texts = [t.get_text() for t in t_df_figure.findobj(matplotlib.text.Text)]
    assert any(t.startswith("2 of 2 95% CIs cover") for t in texts)
    assert any("no limit (nothing drawn at its value" in t for t in texts)
    assert top.get_xscale() == "log"
    assert [t.get_text() for t in rate.get_xticklabels()] == ["1.5", "2", "3", "5", "30"]
    assert "n ≥ 100" in rate.get_ylabel()


def test_sweep_figure_text_covers_neither_text_nor_data(t_df_figure):
    assert text_overlaps(t_df_figure) == []
    assert text_over_data(t_df_figure) == []


def test_coverage_counts_only_points_with_a_ci():
    conv = t_df_convergence()
    assert coverage_count(conv) == (2, 2)
    # A point without a finite variance never counts, even if someone filled in an interval for it.
    widened = conv.assign(ci_low=conv.estimate - 100.0, ci_high=conv.estimate + 100.0)
    assert coverage_count(widened) == (2, 2)
    assert point_kind(NO_LIMIT, 0.0, 1.0) is None and point_kind(SLOWER, 0.0, 1.0) == "iqr"
    assert point_kind(CONVERGES, np.nan, np.nan) == "unsure" and point_kind(INCONCLUSIVE, 0.0, 1.0) == "unsure"


def test_axis_scale_is_log_from_a_decade_and_a_config_choice():
    assert sweeps.axis_scale(DF) == "log" and sweeps.axis_scale([1.0, 10.0]) == "log"
    assert sweeps.axis_scale([0.1, 0.9]) == "linear" and sweeps.axis_scale([0.0, 4.0], "log") == "linear"
    assert sweeps.axis_scale(DF, "linear") == "linear" and sweeps.axis_scale([1.0, 2.0], "log") == "log"
    scenarios = {"g": GAN}
    assert sweeps.expand("s", {"scenario": "g", "vary": {"generator.loc": [0.5, 1.0]}, "x_scale": "log"},
                         scenarios).x_scale == "log"
    with pytest.raises(ConfigError, match="sweeps.s.x_scale"):
        sweeps.expand("s", {"scenario": "g", "vary": {"generator.loc": [0.0, 1.0]}, "x_scale": "log"}, scenarios)


def test_sweep_points_sort_as_numbers():
    sweep = sweeps.expand("s", {"scenario": "g", "vary": {"generator.loc": [10, 1.5, 2, 3]}}, {"g": GAN})
    assert [dict(p.values)["generator.loc"] for p in sweeps.sorted_points(sweep)] == [1.5, 2, 3, 10]


def _verdicts(conv: pd.DataFrame) -> pd.DataFrame:
    out = conv.assign(estimand="gan_discriminator", unit="nats", reason="", estimate_mcse=np.where(
        conv.verdict == CONVERGES, 0.0012, np.nan), declared_bias=0.0, replicates=60)
    return out[VERDICT_COLUMNS]


SWEEP = {"name": "t_df", "scenario": "gan_t3", "x": "data.df", "quantities": None,
         "points": [{"scenario": f"t_df__data.df={v:g}", "x": v, "values": {"data.df": v}}
                    for v in sorted(DF, key=lambda v: f"{v:g}")]}


def test_paper_table_has_a_block_per_sweep_in_increasing_x():
    conv = t_df_convergence()
    verdicts = _verdicts(conv)
    rows = select_sweeps(verdicts, {"gan_discriminator": ["bce", "as_typeset"]}, [SWEEP])
    assert list(rows.label) == [f"bce, data.df = {v:g}" for v in DF]
    view = paper_view(paper_rows(rows, conv.assign(coverage=0.95, coverage_mcse=0.02)))
    assert set(view.scenario) == {"sweep t_df: data.df in gan_t3"}
    no_limit = view[view.quantity == "bce, data.df = 1.5"].iloc[0]
    assert no_limit["estimate ± MCSE"] == "—" and no_limit["coverage [Wilson]"] == "—"
    assert view[view.quantity == "bce, data.df = 3"].iloc[0]["estimate ± MCSE"].startswith("median 1.035")
    assert view[view.quantity == "bce, data.df = 5"].iloc[0]["coverage [Wilson]"] != "—"


def test_overview_has_the_sweep_block_and_only_the_verdicts_it_draws():
    verdicts = select_sweeps(_verdicts(t_df_convergence()), {}, [SWEEP])
    fig = overview_figure(verdicts, "overview (R = 60 replicates, seed 1)")
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert "sweep t_df: data.df in gan_t3" in labels and "bce, data.df = 1.5" in labels
    assert labels.index("bce, data.df = 1.5") < labels.index("bce, data.df = 30")
    texts = [t.get_text() for t in fig.findobj(matplotlib.text.Text)]
    assert "inconclusive" not in texts and any("IQR slope" in t for t in texts)
    assert text_overlaps(fig) == [] and text_over_data(fig) == []
    plt.close(fig)


def test_text_over_data_check_can_fail():
    fig, ax = plt.subplots()
    ax.plot([0.0, 1.0], [0.0, 1.0], label="data")
    ax.text(0.5, 0.5, "slope -0.50")
    assert text_over_data(fig) == [("slope -0.50", "data")]
    plt.close(fig)
