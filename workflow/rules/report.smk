# Markdown results rendered as HTML pages, so that `snakemake --report` shows them (it shows HTML inline).


rule report_page:
    """results/<page>.md as a standalone HTML page (claims.md; SUMMARY.md where a rule writes it)."""
    input:
        "results/{page}.md",
    output:
        report(
            "results/report/{page}.html",
            caption="../report/page.rst",
            category="Claims",
            subcategory="All scenarios",
            labels={"page": "{page}"},
        ),
    wildcard_constraints:
        page="claims|SUMMARY",
    log:
        "results/logs/report_page/{page}.log",
    benchmark:
        "results/benchmarks/report_page/{page}.tsv"
    resources:
        mem_mb=300,
        runtime=2,
    threads: 1
    conda:
        "../envs/mcloss.yaml"
    script:
        "../scripts/report_page.py"
