# Markdown results rendered as HTML pages, so that `snakemake --report` shows them (it shows HTML inline,
# Markdown and CSV only as downloads).

# Tables shown in the report as pages (the summary is too long to read there: its CSV is attached instead;
# the benchmarks are not, as that table is written last, from every other target's benchmark file).
REPORT_TABLES = [t for t in TABLES if t != "summary"] + ["iid"]


rule report_page:
    "" f"{RESULTS}/<page>.md as a standalone HTML page (claims.md; SUMMARY.md where a rule writes it)." ""
    input:
        f"{RESULTS}/{{page}}.md",
    output:
        report(
            f"{RESULTS}/report/{{page}}.html",
            caption="../report/page.rst",
            category="Claims",
            subcategory="All scenarios",
            labels={"page": "{page}"},
        ),
    log:
        f"{RESULTS}/logs/report_page/{{page}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/report_page/{{page}}.tsv"
    wildcard_constraints:
        page="claims|SUMMARY",
    conda:
        "../envs/mcloss.yaml"
    threads: 1
    resources:
        mem_mb=300,
        runtime=2,
    params:
        code=code("report_page.py"),
    script:
        "../scripts/report_page.py"


rule table_page:
    """The Markdown view of a table as an HTML page for the report (the CSV and LaTeX lie beside the .md)."""
    input:
        f"{RESULTS}/tables/{{table}}.md",
    output:
        report(
            f"{RESULTS}/report/tables/{{table}}.html",
            caption="../report/tables.rst",
            category="Tables",
            subcategory="All scenarios",
            labels={"table": "{table}"},
        ),
    log:
        f"{RESULTS}/logs/table_page/{{table}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/table_page/{{table}}.tsv"
    wildcard_constraints:
        table="|".join(REPORT_TABLES + ["paper"]),
    conda:
        "../envs/mcloss.yaml"
    threads: 1
    resources:
        mem_mb=300,
        runtime=2,
    params:
        code=code("report_page.py"),
    script:
        "../scripts/report_page.py"
