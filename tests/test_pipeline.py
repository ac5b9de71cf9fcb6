"""End to end: snakemake on a small config in a temporary directory."""

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.stats
import yaml

from common import snakemake
from mcloss.evidence.summarise import CONVERGENCE_COLUMNS, SUMMARY_COLUMNS

pytestmark = pytest.mark.slow

# Laws and coefficients the default config does not use.
UNSEEN = {
    "estimand": "gan_discriminator",
    "data": {"dist": "gamma", "a": 3.0, "loc": 0.0, "scale": 0.5},
    "generator": {"dist": "t", "df": 6.0, "loc": 1.0, "scale": 0.8},
    "discriminator": {"logit": [0.4, -0.9, 0.15]},
    "real_fraction": 0.3,
}
OPTIMAL = {
    "estimand": "gan_discriminator",
    "data": {"dist": "logistic", "loc": 0.0, "scale": 1.0},
    "generator": {"dist": "norm", "loc": 0.5, "scale": 1.5},
    "discriminator": "optimal",
    "real_fraction": 0.5,
}


def run_pipeline(directory, cores, replicates_per_job, *extra):
    config = {
        "seed": 7,
        "replicates": 30,
        "replicates_per_job": replicates_per_job,
        "batch_sizes": {"min": 1, "max": 20000, "per_decade": 4},
        "analysis": {"slope_min_n": 50, "bootstrap": 50, "paths": 5},
        "scenarios": {"unseen": UNSEEN, "optimal": OPTIMAL},
    }
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "config.yaml").write_text(yaml.safe_dump(config))
    run = snakemake(directory, "--cores", cores, *extra)
    assert run.returncode == 0, run.stderr[-3000:]
    return directory / "results"


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    return run_pipeline(tmp_path_factory.mktemp("run_a"), 2, 10)


def test_tables_and_figures_are_written(results):
    summary = pd.read_csv(results / "tables" / "summary.csv")
    assert list(summary.columns) == SUMMARY_COLUMNS
    assert set(summary.scenario) == {"unseen", "optimal"}
    assert (summary.replicates == 30).all()
    assert list(pd.read_csv(results / "tables" / "convergence.csv").columns) == CONVERGENCE_COLUMNS
    for table in ("summary", "convergence", "identities", "exact_checks"):
        for ext in ("csv", "md", "tex")[: 2 if table == "summary" else 3]:
            assert (results / "tables" / f"{table}.{ext}").stat().st_size > 0
    # The long summary table is CSV and Markdown only; the short ones also LaTeX (compiled below).
    assert not (results / "tables" / "summary.tex").exists()
    assert "\\toprule" in (results / "tables" / "convergence.tex").read_text()
    for scenario in ("unseen", "optimal"):
        for figure in ("convergence", "paths", "clt"):
            assert (results / "figures" / scenario / f"{figure}.pdf").read_bytes().startswith(b"%PDF")
            assert (results / "figures" / scenario / f"{figure}.png").read_bytes().startswith(b"\x89PNG")


def independent_limit(spec):
    """-(pi E_data[log D] + (1 - pi) E_g[log(1 - D)]) with scipy's own expect()."""
    data = getattr(scipy.stats, spec["data"]["dist"])(**{k: v for k, v in spec["data"].items() if k != "dist"})
    gen = getattr(scipy.stats, spec["generator"]["dist"])(
        **{k: v for k, v in spec["generator"].items() if k != "dist"})
    if spec["discriminator"] == "optimal":
        log_d = lambda x: data.logpdf(x) - np.logaddexp(data.logpdf(x), gen.logpdf(x))  # noqa: E731
        log_1md = lambda x: gen.logpdf(x) - np.logaddexp(data.logpdf(x), gen.logpdf(x))  # noqa: E731
    else:
        c = spec["discriminator"]["logit"]
        log_d = lambda x: -np.logaddexp(0.0, -np.polynomial.polynomial.polyval(x, c))  # noqa: E731
        log_1md = lambda x: -np.logaddexp(0.0, np.polynomial.polynomial.polyval(x, c))  # noqa: E731
    pi = spec["real_fraction"]
    e_real = data.expect(log_d, epsabs=1e-12, epsrel=1e-12, limit=200)
    e_fake = gen.expect(log_1md, epsabs=1e-12, epsrel=1e-12, limit=200)
    return -(pi * e_real + (1 - pi) * e_fake)


@pytest.mark.parametrize("scenario, spec", [("unseen", UNSEEN), ("optimal", OPTIMAL)])
def test_largest_n_estimate_is_within_4_mcse_of_an_independent_exact_value(results, scenario, spec):
    conv = pd.read_csv(results / "tables" / "convergence.csv")
    row = conv[(conv.scenario == scenario) & (conv.quantity == "bce")].iloc[0]
    exact = independent_limit(spec)
    assert row.exact == pytest.approx(exact, abs=1e-7)
    assert abs(row.estimate - exact) <= 4 * row.estimate_mcse
    assert row.n_max == 20000


def test_optimal_scenario_checks_the_jsd_identity(results):
    checks = pd.read_csv(results / "tables" / "exact_checks.csv")
    row = checks[checks.scenario == "optimal"].iloc[0]
    assert bool(row.holds) and row.abs_diff <= 1e-7


def test_summary_is_byte_identical_across_cores_and_job_splits(results, tmp_path):
    other = run_pipeline(tmp_path / "run_b", 1, 7, "results/tables/summary.csv", "results/tables/convergence.csv")
    assert (other / "tables" / "summary.csv").read_bytes() == (results / "tables" / "summary.csv").read_bytes()
    assert (other / "tables" / "convergence.csv").read_bytes() == (results / "tables" / "convergence.csv").read_bytes()
    assert len(list((other / "simulations" / "unseen").glob("*.npz"))) == math.ceil(30 / 7)


def test_claims_table_and_report(results):
    table = pd.read_csv(results / "claims.csv")
    from mcloss.judge.claims import CLAIM_COLUMNS, CLAIMS

    assert list(table.columns) == CLAIM_COLUMNS
    assert set(table.claim_id) == {c.claim_id for c in CLAIMS}
    # This small config has none of the default claims' scenarios: every claim says so.
    assert set(table.verdict) == {"not run"}
    run = snakemake(results.parent, "--report", "results/report.html")
    assert run.returncode == 0, run.stderr[-3000:]
    html = (results / "report.html").read_text(errors="replace")
    import json
    import re

    embedded = json.loads(re.search(r"var results = (\{.*?\});\s*\n", html, re.S).group(1))
    names = {Path(path).name for path in embedded}
    assert {"convergence.png", "paths.png", "clt.png", "convergence.html", "claims.csv", "claims.html"} <= names
    # One image per figure: the PDFs are for papers, not for the report.
    assert not any(path.endswith(".pdf") for path in embedded)
    clt = embedded["results/figures/unseen/clt.png"]
    assert "R = 30" in clt["caption"] and "seed 7" in clt["caption"] and "n = 20000" in clt["caption"]
    categories = json.loads(re.search(r"var categories = (\{.*?\});\s*\n", html, re.S).group(1))
    assert {"Figures", "Tables", "Claims"} <= set(categories) and {"unseen", "optimal"} <= set(categories["Figures"])


def test_iid_rates_coverage_table_and_zip_plots_are_written(results):
    from mcloss.evidence.coverage import COVERAGE_COLUMNS
    from mcloss.evidence.iid import IID_COLUMNS

    iid = pd.concat([pd.read_csv(results / "tables" / "scenarios" / s / "iid.csv") for s in ("unseen", "optimal")])
    assert list(iid.columns) == IID_COLUMNS
    # Every replicate's streams are tested: R = 30 trials per rate, and the Wilson interval brackets it.
    assert (iid.replicates == 30).all() and (iid.gof_ci_low <= iid.gof_rate).all()
    cells = pd.read_csv(results / "tables" / "coverage.csv")
    assert list(cells.columns) == COVERAGE_COLUMNS and len(cells) > 0
    assert (cells.covered <= cells.replicates).all()
    excluded = pd.read_csv(results / "tables" / "coverage_excluded.csv")
    assert not set(zip(cells.scenario, cells.quantity)) & set(zip(excluded.scenario, excluded.quantity))
    for scenario in ("unseen", "optimal"):
        assert (results / "figures" / scenario / "zip.pdf").read_bytes().startswith(b"%PDF")
        assert (results / "figures" / scenario / "zip.png").read_bytes().startswith(b"\x89PNG")


def test_verdicts_and_summary_page_are_written_without_claim_scenarios(results):
    from mcloss.judge.verdicts import COLUMNS, VERDICTS, WITH_VARIANCE, Z_LIMIT

    table = pd.read_csv(results / "verdicts.csv")
    assert list(table.columns) == COLUMNS
    assert set(table.scenario) == {"unseen", "optimal"} and set(table.verdict) <= set(VERDICTS)
    # The detectable bias: 4 MCSE at the largest n where the verdict has a variance, empty elsewhere.
    with_variance = table.verdict.isin(WITH_VARIANCE)
    assert with_variance.any()
    assert np.allclose(table.detectable_bias[with_variance], Z_LIMIT * table.estimate_mcse[with_variance], rtol=1e-12)
    assert table.detectable_bias[~with_variance].isna().all()
    page = (results / "SUMMARY.md").read_text()
    assert page.startswith("# What this run found") and "`unseen`" in page and "`optimal`" in page
    assert "figures/unseen/convergence.png" in page and "every claim is `not run`" in page


def test_every_generated_tex_file_compiles(results, tmp_path):
    from latex import OVERFULL_TOLERANCE, compile_tex, overfull

    texs = sorted(results.rglob("*.tex"))
    assert {t.name for t in texs} >= {"convergence.tex", "identities.tex", "exact_checks.tex", "iid.tex",
                                      "benchmarks.tex"}
    for tex in texs:
        code, log, _ = compile_tex(tex, tmp_path / tex.stem)
        assert code == 0, f"{tex.name} does not compile:\n{log}"
        # ... and fits an article with 2 cm margins (tests/test_latex_fit.py checks every kind on wider rows).
        assert max(overfull(log), default=0.0) <= OVERFULL_TOLERANCE, (tex.name, overfull(log))


def test_paper_table_and_overview_figure(results, tmp_path):
    # The paper table and the overview read results/verdicts.csv, written by rule verdicts.
    from latex import compile_tex

    run = snakemake(results.parent, "--cores", 1, "results/tables/paper.tex", "results/figures/overview.png")
    assert run.returncode == 0, run.stderr[-3000:]
    paper = pd.read_csv(results / "tables" / "paper.csv")
    # The default rows: the headline bce of each GAN scenario (neither sets as_typeset).
    assert set(zip(paper.scenario, paper.quantity)) == {(s, "bce") for s in ("unseen", "optimal")}
    code, log, pages = compile_tex(results / "tables" / "paper.tex", tmp_path)
    assert code == 0 and pages == 1, log
    assert (results / "figures" / "overview.png").read_bytes().startswith(b"\x89PNG")
