"""Formatting, tables, the paper table and overview figure, the report pages and the figure fixes (issue #15)."""

import dataclasses

import matplotlib.text
import numpy as np
import pandas as pd
import pytest
import scipy.stats
from latex import compile_tex
from overlaps import text_over_data, text_overlaps

from common import GAN
from mcloss.judge.verdicts import CONVERGES, DEGENERATE, ELSEWHERE, INCONCLUSIVE, NO_LIMIT, RANDOM_LIMIT, SLOWER
from mcloss.maths.numerics import polynomial
from mcloss.outputs.figures.clt import clt_figure, overflow_counts
from mcloss.outputs.figures.convergence import convergence_figure
from mcloss.outputs.figures.identity import identity_figure
from mcloss.outputs.figures.overview import overview_figure, standardised_error
from mcloss.outputs.figures.paths import paths_figure
from mcloss.outputs.figures.sweep import varying_quantities
from mcloss.outputs.formatting import DASH, latex_escape, with_mcse
from mcloss.outputs.markdown_html import to_html
from mcloss.outputs.paper import (
    DEFAULT_COLUMNS,
    SHORT_VERDICTS,
    VERDICT_COLUMNS,
    VERDICT_LEGEND,
    check_columns,
    check_config,
    latex_layout,
    paper_rows,
    paper_view,
    select,
)
from mcloss.outputs.tables import convergence_view, duplicates, to_latex

# --- formatting ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("coefficients, variable, text", [
    ([-0.5, 1.5], "x", "-0.5 + 1.5 x"),
    ([1.0, 0.8, -0.3], "x", "1 + 0.8 x - 0.3 x^2"),
    ([0.0, -2.0, 0.0, 0.25], "z", "-2 z + 0.25 z^3"),
    ([2.0, 0.0], "x", "2"),
    ([0.0, 0.0], "x", "0"),
])
def test_polynomial_prints_signs_as_a_person_writes_them(coefficients, variable, text):
    assert polynomial(coefficients, variable) == text
    assert "+ -" not in polynomial(coefficients, variable)


def test_gan_title_has_no_plus_minus():
    from mcloss.estimands import build

    spec = {**GAN, "discriminator": {"logit": [0.5, 1.0, -0.3]}}
    assert "logit(D) = 0.5 + 1 x - 0.3 x^2" in build(spec, "scenarios.t").describe()


def test_latex_escape_escapes_every_special_character_once():
    raw = r"50% of a_b & c #1 $5 {x} ~y ^z \cmd"
    out = latex_escape(raw)
    assert out == (r"50\% of a\_b \& c \#1 \$5 \{x\} \textasciitilde{}y \textasciicircum{}z "
                   r"\textbackslash{}cmd")
    # No special character is left bare: each is preceded by a backslash or is part of a macro we emitted.
    stripped = (out.replace(r"\textbackslash{}", "").replace(r"\textasciitilde{}", "")
                .replace(r"\textasciicircum{}", ""))
    for ch in "%_&#$":
        assert all(stripped[i - 1] == "\\" for i, c in enumerate(stripped) if c == ch)


@pytest.mark.parametrize("value, mcse, digits, expected", [
    (0.693147, 0.001234, 2, ("0.6931", "0.0012")),
    (0.693147, 0.0996, 2, ("0.69", "0.10")),      # the MCSE rounds up into a new digit
    (12345.6, 23.4, 2, ("12346", "23")),
    (12345.6, 234.0, 2, ("12350", "230")),
    (1.5, 0.0, 2, ("1.5", DASH)),                  # no spread: no MCSE
    (float("nan"), 0.1, 2, (DASH, DASH)),
    (0.95, 0.0109, 1, ("0.95", "0.01")),
])
def test_with_mcse_rounds_the_estimate_to_the_mcse(value, mcse, digits, expected):
    assert with_mcse(value, mcse, digits) == expected


# --- tables ---------------------------------------------------------------------------------------------


def convergence_frame():
    rows = []
    for scenario, quantity, exact, estimate in [("a_1", "ce", 1.0, 1.001), ("a_1", "ce_from_counts", 1.0, 1.001),
                                                ("b%", "bce", float("nan"), 3.0)]:
        rows.append({"scenario": scenario, "quantity": quantity, "meaning": "x" * 200, "exact": exact, "n_max": 1000,
                     "replicates": 50, "estimate": estimate, "estimate_mcse": 0.0012, "ci_low": estimate - 0.01,
                     "ci_high": estimate + 0.01, "z_score": 0.5, "coverage": 0.94, "coverage_mcse": 0.034,
                     "slope_of": "rmse", "slope": -0.51, "slope_ci_low": -0.55, "slope_ci_high": -0.47,
                     "fit_min_n": 100, "fit_points": 8})
    return pd.DataFrame(rows)


def test_convergence_view_is_compact_drops_identity_duplicates_and_prints_no_ci_without_a_limit():
    frame = convergence_frame()
    view = convergence_view(frame, duplicates({"a_1": [("ce", "ce_from_counts")]}))
    assert list(view.quantity) == ["ce", "bce"]
    assert view.loc[0, "estimate ± MCSE"] == "1.0010 ± 0.0012"
    assert view.loc[0, "coverage [Wilson]"] == wilson_text(0.94, 50)
    assert view.loc[1, "coverage [Wilson]"] == DASH and view.loc[1, "exact"] == DASH
    assert view.loc[1, "estimate ± MCSE"] == DASH and view.loc[1, "verdict"] == "no limit"
    assert view.loc[0, "scenario"] == "a_1 (n_max = 1,000)"
    assert max(len(line) for line in view.to_markdown(index=False).splitlines()) < 160


@pytest.mark.parametrize("verdict, estimate, coverage, rate", [
    (CONVERGES, "1.0010 ± 0.0012", True, "-0.51 [-0.55, -0.47]"),
    (SLOWER, "1.001", False, "-0.33 [-0.36, -0.30] (IQR)"),
    (NO_LIMIT, DASH, False, "-0.51 [-0.55, -0.47]"),
    (DEGENERATE, "1.001", False, DASH),
    (ELSEWHERE, "1.0010 ± 0.0012", True, "-0.49 [-0.52, -0.46] (EmpSE)"),
])
def test_convergence_view_prints_by_the_verdict(verdict, estimate, coverage, rate):
    # The same numbers under each verdict: an MCSE and a coverage only with a finite variance, the IQR slope
    # where the verdict reads it, the EmpSE slope for a wrong limit (a constant rule would print one wrongly).
    row = convergence_frame().iloc[[0]].assign(
        verdict=verdict, verdict_slope_of={SLOWER: "iqr", ELSEWHERE: "emp_se"}.get(verdict, "rmse"),
        iqr_slope=-0.33, iqr_slope_ci_low=-0.36, iqr_slope_ci_high=-0.30, emp_se_slope=-0.49,
        emp_se_slope_ci_low=-0.52, emp_se_slope_ci_high=-0.46)
    view = convergence_view(row).iloc[0]
    assert view["estimate ± MCSE"] == estimate and view["slope [95% CI]"] == rate
    assert (view["coverage [Wilson]"] != DASH) == coverage and view["verdict"] == verdict


def test_a_wrong_limit_without_a_variance_prints_no_mcse_or_coverage():
    row = convergence_frame().iloc[[0]].assign(verdict=ELSEWHERE, verdict_slope_of="iqr", estimate_mcse=np.nan,
                                               iqr_slope=-0.33, iqr_slope_ci_low=-0.36, iqr_slope_ci_high=-0.30)
    view = convergence_view(row).iloc[0]
    assert view["estimate ± MCSE"] == "1.001" and view["coverage [Wilson]"] == DASH
    assert view["slope [95% CI]"] == "-0.33 [-0.36, -0.30] (IQR)"


def test_latex_table_escapes_cells_header_and_caption():
    frame = pd.DataFrame({"scenario_name": ["a_1&b"], "share %": [0.5]})
    tex = to_latex(frame, "Estimates with 95% CIs & #1", "tab:x")
    assert r"95\% CIs \& \#1" in tex and r"a\_1\&b" in tex and r"share \%" in tex
    # A name wider than its cells is stacked at its underscores.
    assert r"\shortstack[l]{scenario\_\\\relax name}" in tex
    assert r"\toprule" in tex and r"\bottomrule" in tex


def test_every_table_view_compiles(tmp_path):
    frame = convergence_frame()
    view = convergence_view(frame, duplicates({"a_1": [("ce", "ce_from_counts")]}))
    path = tmp_path / "convergence.tex"
    path.write_text(to_latex(view, "Estimates at n_max with 95% CIs ~ {braces} ^ $", "tab:convergence",
                             notes="Not shown: ce_from_counts (100% equal)."))
    code, log, pages = compile_tex(path, tmp_path / "build")
    assert code == 0, log
    assert pages == 1


# --- paper table ----------------------------------------------------------------------------------------


def verdict_row(scenario, quantity, verdict, estimand="gan_discriminator", exact=0.7, estimate=0.7012, mcse=0.0011,
                slope=-0.5):
    return {"scenario": scenario, "estimand": estimand, "quantity": quantity, "unit": "nats", "verdict": verdict,
            "reason": "rule", "exact": exact, "estimate": estimate, "estimate_mcse": mcse, "n_max": 100000,
            "slope": slope, "slope_ci_low": slope - 0.03, "slope_ci_high": slope + 0.03, "expected_slope": -0.5,
            "declared_bias": 0.0, "replicates": 400}


def wilson_text(coverage, replicates=400):
    """The paper table's coverage cell, from scipy's Wilson interval (an independent route)."""
    ci = scipy.stats.binomtest(round(coverage * replicates), replicates).proportion_ci(method="wilson")
    return f"{coverage:.3f} [{ci.low:.3f}, {ci.high:.3f}]"


def synthetic_verdicts():
    return pd.DataFrame([
        verdict_row("gan_ok", "bce", CONVERGES),
        verdict_row("gan_ok", "e_real", CONVERGES),
        verdict_row("gan_ok", "value", CONVERGES),
        verdict_row("gan_slow", "bce", SLOWER, slope=-0.3),
        verdict_row("gan_cauchy", "bce", NO_LIMIT, exact=float("nan"), estimate=12.0, mcse=4.0, slope=0.1),
        verdict_row("frozen", "bce", RANDOM_LIMIT, estimand="binary_cross_entropy", exact=float("nan")),
        verdict_row("equal", "value", DEGENERATE, mcse=0.0, estimate=0.7),
        verdict_row("short", "bce", INCONCLUSIVE, slope=-0.45),
        verdict_row("shifted", "bce", ELSEWHERE, estimate=0.7200, mcse=0.0011),
        verdict_row("shifted_heavy", "bce", ELSEWHERE, estimate=0.7200, mcse=float("nan"), slope=-0.3),
    ], columns=VERDICT_COLUMNS)


def synthetic_convergence(verdicts):
    return verdicts[["scenario", "quantity"]].assign(coverage=0.948, coverage_mcse=0.011)


def test_paper_rows_print_ci_and_coverage_only_where_the_variance_is_finite():
    verdicts = synthetic_verdicts()
    rows = paper_rows(verdicts, synthetic_convergence(verdicts))
    view = paper_view(rows, DEFAULT_COLUMNS).set_index(rows.scenario + ":" + rows.quantity)
    assert view.loc["gan_ok:bce", "estimate ± MCSE"] == "0.7012 ± 0.0011"
    assert view.loc["gan_ok:bce", "coverage [Wilson]"] == wilson_text(0.948)
    assert view.loc["gan_ok:bce", "slope [95% CI]"] == "-0.50 [-0.53, -0.47]"
    # Slower: the limit and slope are shown, no MCSE and no coverage.
    assert "±" not in view.loc["gan_slow:bce", "estimate ± MCSE"]
    assert view.loc["gan_slow:bce", "coverage [Wilson]"] == DASH
    assert view.loc["gan_slow:bce", "slope [95% CI]"] == "-0.30 [-0.33, -0.27]"
    # No limit / random limit: nothing but the verdict.
    for key in ("gan_cauchy:bce", "frozen:bce"):
        assert (view.loc[key, ["exact", "estimate ± MCSE", "slope [95% CI]", "coverage [Wilson]"]] == DASH).all()
    assert view.loc["gan_cauchy:bce", "verdict"] == NO_LIMIT
    # Degenerate: the exact value, no spread.
    assert view.loc["equal:value", "exact"] == "0.7" and view.loc["equal:value", "coverage [Wilson]"] == DASH
    # Converges elsewhere: finite variance, so an MCSE and a coverage; its short name is in the legend.
    assert view.loc["shifted:bce", "estimate ± MCSE"] == "0.7200 ± 0.0011"
    assert view.loc["shifted:bce", "coverage [Wilson]"] == wilson_text(0.948)
    assert view.loc["shifted:bce", "verdict"] == SHORT_VERDICTS[ELSEWHERE]
    assert f"{SHORT_VERDICTS[ELSEWHERE]} = {ELSEWHERE}" in VERDICT_LEGEND
    assert all(f"{short} = {full}" in VERDICT_LEGEND for full, short in SHORT_VERDICTS.items())
    # ... found by the median rule (infinite variance, no MCSE): the bare estimate and no coverage.
    assert view.loc["shifted_heavy:bce", "estimate ± MCSE"] == "0.72"
    assert view.loc["shifted_heavy:bce", "coverage [Wilson]"] == DASH


def test_slower_rows_show_the_median_and_iqr_at_n_max_not_the_mean():
    # The verdict `slower` read the median and IQR (no finite variance): both tables print them, labelled.
    verdicts = synthetic_verdicts()
    convergence = synthetic_convergence(verdicts).assign(median=0.70345, iqr=0.01234)
    rows = paper_rows(verdicts, convergence)
    assert list(rows.columns[-2:]) == ["median", "iqr"]
    assert list(rows.columns[:-2]) == list(paper_rows(verdicts, synthetic_convergence(verdicts)).columns)
    view = paper_view(rows, DEFAULT_COLUMNS).set_index(rows.scenario + ":" + rows.quantity)
    assert view.loc["gan_slow:bce", "estimate ± MCSE"] == "median 0.7035, IQR 0.012"
    assert view.loc["shifted_heavy:bce", "estimate ± MCSE"] == "median 0.7035, IQR 0.012"
    assert view.loc["gan_ok:bce", "estimate ± MCSE"] == "0.7012 ± 0.0011"
    assert view.loc["short:bce", "estimate ± MCSE"] == "0.7012"
    frame = convergence_frame().iloc[[0]].assign(verdict=SLOWER, verdict_slope_of="iqr", median=1.00049, iqr=0.0213,
                                                 iqr_slope=-0.33, iqr_slope_ci_low=-0.36, iqr_slope_ci_high=-0.30)
    assert convergence_view(frame).iloc[0]["estimate ± MCSE"] == "median 1, IQR 0.021"   # 4 significant digits
    assert convergence_view(frame.assign(median=1.2345)).iloc[0]["estimate ± MCSE"] == "median 1.234, IQR 0.021"
    assert convergence_view(frame.assign(verdict=CONVERGES)).iloc[0]["estimate ± MCSE"] == "1.0010 ± 0.0012"


def test_paper_rows_follow_the_verdict_not_the_numbers():
    # The same numbers under a flipped verdict print differently (a constant rule would fail one of the two).
    verdicts = synthetic_verdicts().iloc[[0]]
    converges = paper_view(paper_rows(verdicts, synthetic_convergence(verdicts)))
    flipped = paper_view(paper_rows(verdicts.assign(verdict=NO_LIMIT), synthetic_convergence(verdicts)))
    column = "coverage [Wilson]"
    assert converges.iloc[0][column] != DASH and flipped.iloc[0][column] == DASH


def test_paper_select_chooses_rows_and_columns():
    verdicts = synthetic_verdicts()
    chosen = select(verdicts, {"gan_discriminator": ["value", "bce"]}, ["gan_ok", "frozen", "missing"])
    assert list(zip(chosen.scenario, chosen.quantity)) == [("gan_ok", "value"), ("gan_ok", "bce"), ("frozen", "bce")]
    view = paper_view(paper_rows(chosen, synthetic_convergence(chosen)), ["quantity", "verdict"])
    assert list(view.columns) == ["quantity", "verdict"]


def test_paper_contract_and_config_errors():
    with pytest.raises(ValueError, match="lacks columns"):
        check_columns(synthetic_verdicts().drop(columns="expected_slope"))
    with pytest.raises(ValueError, match="unknown verdicts"):
        check_columns(synthetic_verdicts().assign(verdict="converges"))
    from common import assert_one_line_error
    from mcloss.errors import ConfigError

    known = {"gan_discriminator": ["bce", "value"]}
    with pytest.raises(ConfigError) as err:
        check_config({"quantities": {"gan_discriminator": ["bce", "vlaue"]}}, known, ["gan_discriminator", "x"])
    assert_one_line_error(str(err.value), "paper.quantities.gan_discriminator", "value")
    with pytest.raises(ConfigError) as err:
        check_config({"quantities": {"gann": ["bce"]}}, known, ["gan_discriminator"])
    assert_one_line_error(str(err.value), "paper.quantities.gann", "gan_discriminator")
    check_config({"quantities": {"cross_entropy": ["ce"]}}, known, ["gan_discriminator", "cross_entropy"])
    # A default name absent from this config's scenarios (as_typeset needs a scenario that asks for it) is fine.
    defaults = {"gan_discriminator": ["bce", "as_typeset"]}
    check_config({"quantities": defaults}, known, ["gan_discriminator"], defaults)
    with pytest.raises(ConfigError):
        check_config({"quantities": {"gan_discriminator": ["as_typset"]}}, known, ["gan_discriminator"], defaults)


def default_size_verdicts():
    """The default config's paper table: each scenario of config.yaml with the default quantities of its estimand
    (the schema's paper.quantities) that it has, and the widest numbers the default run prints."""
    import yaml

    from common import ROOT, SCHEMA

    scenarios = yaml.safe_load((ROOT / "config.yaml").read_text())["scenarios"]
    with open(SCHEMA) as fh:
        defaults = yaml.safe_load(fh)["properties"]["paper"]["properties"]["quantities"]["default"]
    from mcloss.estimands import build

    rows = []
    for i, (name, spec) in enumerate(scenarios.items()):
        known = {q.name for q in build(spec, name).quantities}
        for q in (q for q in defaults[spec["estimand"]] if q in known):
            verdict = [CONVERGES, SLOWER, NO_LIMIT, DEGENERATE][i % 4]
            # -log 4 to six digits, a five-decimal MCSE.
            rows.append(verdict_row(name, q, verdict, exact=-1.3862944, estimate=-1.3862911, mcse=0.000123,
                                    slope=-0.4987))
    assert len(rows) >= len(scenarios)   # every scenario has a row
    return pd.DataFrame(rows, columns=VERDICT_COLUMNS)


def test_paper_table_compiles_on_one_page_without_overfull_lines(tmp_path):
    from mcloss.outputs.tables import write_table

    verdicts = default_size_verdicts()
    rows = paper_rows(verdicts, synthetic_convergence(verdicts))
    write_table(rows, tmp_path / "paper.csv", "Caption with 95% CIs, n^-1/2 & n_max.", "tab:paper",
                view=paper_view(rows), **latex_layout())
    code, log, pages = compile_tex(tmp_path / "paper.tex", tmp_path / "build")
    assert code == 0, log
    assert pages == 1
    # One page means the float fits the text block, not that it runs over the footer.
    assert "Overfull \\hbox" not in log and "Float too large" not in log


# --- overview figure ------------------------------------------------------------------------------------


def test_overview_standardised_error_only_with_finite_variance():
    verdicts = synthetic_verdicts()
    z = standardised_error(verdicts)
    assert z[0] == pytest.approx((0.7012 - 0.7) / 0.0011, rel=1e-12)
    assert np.isnan(z[3]) and np.isnan(z[4]) and np.isnan(z[6])   # slower, no limit, degenerate
    assert np.isnan(standardised_error(verdicts.iloc[[0]].assign(verdict=SLOWER)))[0]
    shifted = verdicts.index[verdicts.verdict == ELSEWHERE][0]            # a wrong limit: its z is the finding
    assert z[shifted] == pytest.approx((0.7200 - 0.7) / 0.0011, rel=1e-12)


def test_overview_figure_marks_rows_and_has_no_overlapping_text():
    fig = overview_figure(synthetic_verdicts(), "overview (R = 50 replicates, seed 1)")
    texts = [t.get_text() for t in fig.findobj(matplotlib.text.Text)]
    assert NO_LIMIT in texts and RANDOM_LIMIT in texts
    # A wrong limit gets its own marker (a filled triangle) and legend entry, not its verdict's name as text.
    assert ELSEWHERE not in texts and f"{ELSEWHERE} (EmpSE slope)" in texts
    markers = [line.get_marker() for line in fig.axes[0].get_lines()]
    assert markers.count("v") == int((synthetic_verdicts().verdict == ELSEWHERE).sum()) == 2
    assert "— no variance" in texts and "— MCSE 0" not in texts      # the wrong limit without an MCSE
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert "gan_ok: bce" in labels and "gan_discriminator" in labels and "binary_cross_entropy" in labels
    assert text_overlaps(fig) == [] and text_over_data(fig) == []


# --- report pages ---------------------------------------------------------------------------------------


def test_markdown_page_renders_headings_tables_code_and_escapes():
    md = ("# Claims\n\nA *rule* with **bold** and `a_b * c`.\n\n| id | verdict |\n|---|---|\n"
          "| `x_1` | **holds** <b> |\n\n- one\n- two\n")
    page = to_html(md, "claims.md")
    assert "<h1>Claims</h1>" in page
    assert "<em>rule</em>" in page and "<strong>bold</strong>" in page and "<code>a_b * c</code>" in page
    assert "<td><code>x_1</code></td><td><strong>holds</strong> &lt;b&gt;</td>" in page
    assert "<ul><li>one</li><li>two</li></ul>" in page


# --- figure fixes ---------------------------------------------------------------------------------------


def test_overflow_counts():
    z = np.array([-9.0, -4.6, -4.5, 0.0, 4.5, 4.50001, np.inf, np.nan, 30.0])
    assert overflow_counts(z, 4.5) == (2, 2)


def test_varying_quantities_keeps_what_changes_with_x_once():
    frame = pd.DataFrame({"scenario": ["p1", "p2"] * 4,
                          "quantity": ["bce"] * 2 + ["ce2"] * 2 + ["flat"] * 2 + ["none"] * 2,
                          "exact": [1.0, 2.0, 1.0, 2.0, 3.0, 3.0, np.nan, np.nan]})
    assert varying_quantities(frame, hide=["ce2"]) == ["bce"]
    assert varying_quantities(frame) == ["bce", "ce2"]


@pytest.fixture(scope="module")
def small_run():
    """A tiny in-process simulation of a GAN scenario with heavy-tailed data (some z beyond the range)."""
    from mcloss.estimands import build
    from mcloss.evidence import summarise
    from mcloss.judge.convergence import convergence_table
    from mcloss.simulate.engine import simulate

    spec = {**GAN, "data": {"dist": "t", "df": 2.5, "loc": 0.0, "scale": 1.0},
            "discriminator": {"logit": [0.5, 1.0, -0.3]}}
    estimand = build(spec, "scenarios.small")
    n = np.array([2, 10, 100, 1000])   # n = 1 has no real sample at real fraction 1/2
    sim = simulate(estimand, n, range(40), seed=3, scenario_key=11)
    exact = estimand.exact()
    summary = summarise.summary_table("small", estimand.name, sim, estimand.quantities, exact)
    convergence = convergence_table("small", sim, estimand.quantities, exact, 10, 20, 3, 11)
    title = f"small: {estimand.describe()}  (R = 40 replicates, seed 3)"
    return estimand, sim, summary, convergence, exact, title


def test_clt_figure_counts_overflow_and_has_no_overlapping_text(small_run):
    estimand, sim, summary, convergence, exact, title = small_run
    # Pull two replicates far out so both overflow bins are used.
    sim.estimate["bce"][0, -1] = exact["bce"] + 50 * sim.se["bce"][0, -1]
    sim.estimate["bce"][1, -1] = exact["bce"] - 50 * sim.se["bce"][1, -1]
    fig = clt_figure(sim, convergence, estimand.quantities, exact, title)
    texts = [t.get_text() for t in fig.findobj(matplotlib.text.Text)]
    z = (sim.estimate["bce"][:, -1] - exact["bce"]) / sim.se["bce"][:, -1]
    below, above = overflow_counts(z)
    assert below >= 1 and above >= 1
    assert f"{below}\n< −4.5" in texts and f"{above}\n> 4.5" in texts
    assert text_overlaps(fig) == []
    assert text_over_data(fig) == []


@pytest.mark.parametrize("name", ["convergence", "paths", "identity"])
def test_figures_have_full_titles_and_no_overlapping_text(small_run, name):
    estimand, sim, summary, convergence, exact, title = small_run
    if name == "convergence":
        fig = convergence_figure(summary, convergence, estimand.quantities, title)
    elif name == "paths":
        fig = paths_figure(sim, summary, estimand.quantities, exact, 5, title)
    else:
        from mcloss.estimands import Identity

        ident = Identity("bce", "bce", 1e-12, "the same quantity twice, a long meaning " * 3)
        fig = identity_figure(sim, [ident], exact, 5, title, estimand.quantities)
        assert all("nats" not in ax.get_ylabel() for ax in fig.axes if "difference" in ax.get_ylabel())
    texts = " ".join(t.get_text() for t in fig.findobj(matplotlib.text.Text))
    assert "..." not in texts
    assert "- 0.3 x^2" in fig._suptitle.get_text().replace("\n", " ")
    assert text_overlaps(fig) == []
    assert text_over_data(fig) == []


def test_text_overlap_check_can_fail():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.text(0.5, 0.5, "coverage 0.95")
    ax.text(0.52, 0.5, "overlapping")
    assert text_overlaps(fig) == [("coverage 0.95", "overlapping")]
    plt.close(fig)


def test_plus_minus_drops_a_zero_mcse():
    from mcloss.outputs.formatting import plus_minus

    assert plus_minus(0.948, 0.0111) == "0.948 ± 0.011"
    assert plus_minus(1.0, 0.0) == "1"   # every replicate covered: no spread to print
    from mcloss.outputs.formatting import slope

    assert slope(-0.001, -0.004, 0.002) == "0.00 [0.00, 0.00]"
    assert slope(-0.5, float("nan"), 0.1) == "-0.50"


def test_long_table_is_a_longtable_across_pages(tmp_path):
    frame = pd.DataFrame({"scenario": [f"sweep__real_fraction={i // 4}" for i in range(120)],
                          "quantity": ["bce", "e_real", "e_fake", "value"] * 30, "estimate": np.linspace(-1, 1, 120)})
    tex = to_latex(frame, "Long table, 100% of the rows.", "tab:long")
    assert tex.count(r"\begin{longtable}") == 1 and r"\multicolumn{2}{l}{\textit{sweep\_\_real\_fraction=0}}" in tex
    path = tmp_path / "long.tex"
    path.write_text(tex)
    code, log, pages = compile_tex(path, tmp_path / "build")
    assert code == 0, log
    assert pages >= 2 and "Overfull \\hbox" not in log


@pytest.fixture(scope="module")
def bce_run():
    """A tiny run of a scenario with identities (bce = ce2 = bce_binomial on every batch)."""
    from mcloss.estimands import build
    from mcloss.evidence import summarise
    from mcloss.judge.convergence import convergence_table
    from mcloss.simulate.engine import simulate

    estimand = build({"estimand": "binary_cross_entropy", "labels": {"p": 0.3}, "model": {"p": 0.6}},
                     "scenarios.bce")
    sim = simulate(estimand, np.array([2, 10, 100, 1000]), range(30), seed=5, scenario_key=12)
    exact = estimand.exact()
    summary = summarise.summary_table("bce", estimand.name, sim, estimand.quantities, exact)
    convergence = convergence_table("bce", sim, estimand.quantities, exact, 10, 20, 3, 12)
    return estimand, sim, summary, convergence, exact, f"bce: {estimand.describe()}  (R = 30 replicates, seed 5)"


def _panel_names(fig):
    return [ax.get_title().split("\n")[0] for ax in fig.axes if ax.get_visible() and ax.get_title()]


@pytest.mark.parametrize("name", ["convergence", "paths", "clt", "zip"])
def test_an_identitys_right_hand_side_gets_no_panel(bce_run, name):
    from mcloss.outputs.figures.zipplot import zip_figure

    estimand, sim, summary, convergence, exact, title = bce_run
    idents = estimand.identities
    rights = {i.right for i in idents}
    assert rights == {"ce2", "bce_binomial"}
    q = estimand.quantities
    fig = {"convergence": lambda: convergence_figure(summary, convergence, q, title, sim, idents),
           "paths": lambda: paths_figure(sim, summary, q, exact, 5, title, identities=idents),
           "clt": lambda: clt_figure(sim, convergence, q, exact, title, identities=idents),
           "zip": lambda: zip_figure(sim, q, exact, estimand.asymptotic_variance(), title, idents)}[name]()
    if name == "zip":
        labels = [t.get_text() for ax in fig.axes for t in ax.texts]
        assert "bce = ce2 = bce_binomial" in labels
        assert not any(label in rights for label in labels)
    else:
        names = _panel_names(fig)
        assert names[0] == "bce = ce2 = bce_binomial"
        assert "identities figure" in fig.axes[0].get_title()
        # One panel per quantity that is no identity's right-hand side, and none for ce2 or bce_binomial.
        assert len(names) == len(q) - 2 and not any(n.split(" ")[0] in rights for n in names)
    assert text_overlaps(fig) == []
    plt_close(fig)


def plt_close(fig):
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_paths_that_leave_the_range_are_marked_on_the_edge_with_a_count(small_run):
    from mcloss.outputs.figures.paths import exits

    estimand, sim, summary, convergence, exact, title = small_run
    estimate = {k: v.copy() for k, v in sim.estimate.items()}
    sim_copy = dataclasses.replace(sim, estimate=estimate)
    estimate["bce"][0, 2] = exact["bce"] + 1e6     # far above at n = 100, back afterwards
    estimate["bce"][1, 1] = exact["bce"] - 1e6     # far below at n = 10
    fig = paths_figure(sim_copy, summary, estimand.quantities, exact, 40, title)
    ax = fig.axes[[q.name for q in estimand.quantities].index("bce")]
    low, high = ax.get_ylim()
    rows = estimate["bce"][:40]
    leaving = [i for i, row in enumerate(rows) if np.any((row > high) | (row < low))]
    assert {0, 1} <= set(leaving)
    assert f"{len(leaving)} of 40 paths leave the range" in ax.get_xlabel()
    assert len(exits(sim.n.astype(float), rows, low, high)) == len(leaving)
    up = [line for line in ax.get_lines() if line.get_marker() == "^"]
    down = [line for line in ax.get_lines() if line.get_marker() == "v"]
    assert up and down
    # On the edge, where each marked path first leaves, and not clipped away.
    assert np.allclose(up[0].get_ydata(), high) and not up[0].get_clip_on()
    assert 100.0 in up[0].get_xdata() and 10.0 in down[0].get_xdata()
    assert np.allclose(down[0].get_ydata(), low)
    plt_close(fig)


def test_the_iqr_band_of_the_paths_is_visible_above_the_background(small_run):
    estimand, sim, summary, convergence, exact, title = small_run
    fig = paths_figure(sim, summary, estimand.quantities, exact, 5, title, no_variance=["bce"])
    ax = fig.axes[0]
    band = [c for c in ax.collections if "IQR" in str(c.get_label())]
    assert len(band) == 1
    (band,) = band
    # Above the grid (drawn at the axis' zorder), below the paths, with a dark edge and a hatch.
    assert ax.xaxis.get_zorder() < band.get_zorder() < 2.0
    assert band.get_hatch() and band.get_edgecolor()[0][:3].mean() < 0.5
    plt_close(fig)


def test_clt_figure_has_no_empty_framed_axes(small_run):
    estimand, sim, summary, convergence, exact, title = small_run
    no_clt = ["bce", "e_real"]
    fig = clt_figure(sim, convergence, estimand.quantities, exact, title, no_clt)
    framed = [ax for ax in fig.axes if ax.get_visible() and ax.axison]
    assert len(framed) == len(estimand.quantities) - len(no_clt)
    for ax in framed:
        assert ax.patches and any(line.get_xydata().size for line in ax.get_lines())
    notes = [ax for ax in fig.axes if ax.get_visible() and not ax.axison]
    assert [ax.get_title().split("\n")[0] for ax in notes] == no_clt
    assert all("no CLT standardisation" in ax.texts[0].get_text() for ax in notes)
    assert text_overlaps(fig) == []
    plt_close(fig)
