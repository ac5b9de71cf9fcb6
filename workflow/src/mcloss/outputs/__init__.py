"""What a reader cites: tables, pages and figures (after `judge`).

Owns number formatting (`formatting`), tidy CSV plus Markdown and LaTeX tables
(`tables`), the paper table (`paper`), the Markdown pages of a run (`pages`) and their
HTML for the report (`markdown_html`), provenance captions (`provenance`) and the
figures (`figures/`, one module per figure kind around a shared style). A new figure
goes in `figures/`.
May import: `mcloss.judge` and every stage below it.
"""
