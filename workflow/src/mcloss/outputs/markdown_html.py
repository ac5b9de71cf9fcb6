"""The Markdown the pipeline writes (claims.md, SUMMARY.md), as a standalone HTML page for the Snakemake report.

The report shows HTML inline but offers Markdown only as a download, and no Markdown
library is a dependency; the pages use a small subset, converted here: ATX headings,
pipe tables, ``-``/``*``/``1.`` list items, paragraphs, and inline code, bold and
italic. Everything else is shown as escaped text, so nothing is lost or executed.
"""

from __future__ import annotations

import html
import re

_STYLE = ("body{font-family:sans-serif;max-width:70em;margin:1em auto;line-height:1.4}"
          "table{border-collapse:collapse;font-size:90%}td,th{border:1px solid #bbb;padding:2px 6px;"
          "vertical-align:top}th{background:#eee}code{background:#f3f3f3}")
_LIST = re.compile(r"^\s*(?:[-*]|\d+\.)\s+")


def inline(text: str) -> str:
    """Escaped ``text`` with `code`, **bold** and *italic* as HTML (nothing inside code is interpreted)."""
    parts = text.split("`")
    out = []
    for i, part in enumerate(parts):
        escaped = html.escape(part, quote=False)
        if i % 2 == 1 and i < len(parts) - 1:
            out.append(f"<code>{escaped}</code>")
            continue
        if i % 2 == 1:  # an unmatched backtick: keep it as text
            escaped = "`" + escaped
        escaped = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", escaped)
        escaped = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"<em>\1</em>", escaped)
        out.append(escaped)
    return "".join(out)


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def to_html(markdown: str, title: str) -> str:
    """A complete HTML page of ``markdown`` (see the module docstring for the subset understood)."""
    body: list[str] = []
    lines = markdown.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
        elif m := re.match(r"^(#{1,6})\s+(.*)$", line):
            level = len(m.group(1))
            body.append(f"<h{level}>{inline(m.group(2))}</h{level}>")
            i += 1
        elif line.lstrip().startswith("|"):
            block = []
            while i < len(lines) and lines[i].lstrip().startswith("|"):
                block.append(lines[i])
                i += 1
            rows = [_cells(r) for r in block if not re.fullmatch(r"[\s|:\-]+", r)]
            head, rest = rows[0], rows[1:]
            body.append("<table><thead><tr>" + "".join(f"<th>{inline(c)}</th>" for c in head) + "</tr></thead><tbody>"
                        + "".join("<tr>" + "".join(f"<td>{inline(c)}</td>" for c in r) + "</tr>" for r in rest)
                        + "</tbody></table>")
        elif _LIST.match(line):
            items = []
            while i < len(lines) and _LIST.match(lines[i]):
                items.append(_LIST.sub("", lines[i], count=1))
                i += 1
            body.append("<ul>" + "".join(f"<li>{inline(t)}</li>" for t in items) + "</ul>")
        else:
            paragraph = []
            while (i < len(lines) and lines[i].strip() and not lines[i].lstrip().startswith(("#", "|"))
                   and not _LIST.match(lines[i])):
                paragraph.append(lines[i].strip())
                i += 1
            body.append(f"<p>{inline(' '.join(paragraph))}</p>")
    return (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
            f"<style>{_STYLE}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n")
