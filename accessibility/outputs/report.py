"""The run report: the same content rendered as Markdown and as a self-contained HTML page."""

from __future__ import annotations

import base64
import html
import numbers
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..io.write import write_text


@dataclass
class Heading:
    """A section heading (level 1 is the title)."""

    text: str
    level: int = 2


@dataclass
class Paragraph:
    """A paragraph of plain text (no markup; it is escaped in HTML)."""

    text: str


@dataclass
class Bullets:
    """A bulleted list of plain-text items."""

    items: Sequence[str]


@dataclass
class Table:
    """A table with a caption; at most ``max_rows`` rows are shown, and the cut is said."""

    frame: pd.DataFrame
    caption: str = ""
    max_rows: int = 50
    float_format: str = "{:,.1f}"
    #: Columns of text that hold figures (already formatted for print), aligned right.
    numeric: Sequence[str] = ()


@dataclass
class Image:
    """A figure file (PNG) with its caption; embedded in HTML so the page travels alone."""

    path: Path
    caption: str = ""


Block = Heading | Paragraph | Bullets | Table | Image


@dataclass
class Report:
    """An ordered list of blocks that renders to Markdown and HTML."""

    title: str
    blocks: list[Block] = field(default_factory=list)

    def add(self, *blocks: Block) -> Report:
        """Append blocks and return the report (for chaining)."""
        self.blocks.extend(blocks)
        return self


def to_markdown(report: Report, *, relative_to: Path | None = None) -> str:
    """Render the report as Markdown; image paths are written relative to ``relative_to``."""
    lines = [f"# {md_escape(report.title)}", ""]
    for block in report.blocks:
        if isinstance(block, Heading):
            lines += ["#" * max(block.level, 2) + " " + md_escape(block.text), ""]
        elif isinstance(block, Paragraph):
            lines += [md_escape(block.text), ""]
        elif isinstance(block, Bullets):
            lines += [f"- {md_escape(item)}" for item in block.items] + [""]
        elif isinstance(block, Table):
            shown, note = _cut(block)
            if block.caption:
                lines += [f"*{md_escape(block.caption)}*", ""]
            lines += _markdown_table(shown, block.float_format, block.numeric) + [""]
            if note:
                lines += [note, ""]
        elif isinstance(block, Image):
            target = _relative(block.path, relative_to)
            caption = md_escape(block.caption)
            lines += [f"![{caption}]({target})", "", f"*{caption}*", ""]
    return "\n".join(lines).rstrip() + "\n"


def to_html(report: Report) -> str:
    """Render the report as one self-contained HTML page (styles inline, images embedded)."""
    esc = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{esc(report.title)}</title>",
        "<style>" + _CSS + "</style>",
        "</head><body><main>",
        f"<h1>{esc(report.title)}</h1>",
    ]
    for block in report.blocks:
        if isinstance(block, Heading):
            level = min(max(block.level, 2), 6)
            parts.append(f"<h{level}>{esc(block.text)}</h{level}>")
        elif isinstance(block, Paragraph):
            parts.append(f"<p>{esc(block.text)}</p>")
        elif isinstance(block, Bullets):
            parts.append("<ul>" + "".join(f"<li>{esc(i)}</li>" for i in block.items) + "</ul>")
        elif isinstance(block, Table):
            shown, note = _cut(block)
            parts.append("<table>")
            if block.caption:
                parts.append(f"<caption>{esc(block.caption)}</caption>")
            parts.append(
                "<thead><tr>"
                + "".join(f"<th>{esc(str(c))}</th>" for c in shown.columns)
                + "</tr></thead><tbody>"
            )
            right = [c in block.numeric for c in shown.columns]
            for row in shown.itertuples(index=False):
                cells = "".join(
                    f'<td class="{"num" if _is_number(v) or r else "txt"}">{esc(_format(v, block.float_format))}</td>'
                    for v, r in zip(row, right, strict=True)
                )
                parts.append(f"<tr>{cells}</tr>")
            parts.append("</tbody></table>")
            if note:
                parts.append(f'<p class="note">{esc(note)}</p>')
        elif isinstance(block, Image):
            data = base64.b64encode(Path(block.path).read_bytes()).decode("ascii")
            parts.append(
                f'<figure><img alt="{esc(block.caption)}" src="data:image/png;base64,{data}">'
                f"<figcaption>{esc(block.caption)}</figcaption></figure>"
            )
    parts.append("</main></body></html>")
    return "\n".join(parts) + "\n"


def write_report(
    report: Report, out_dir: str | os.PathLike[str], stem: str = "report"
) -> dict[str, Path]:
    """Write ``stem.md`` and ``stem.html`` into ``out_dir`` atomically; return their paths."""
    out = Path(out_dir)
    md = write_text(out / f"{stem}.md", to_markdown(report, relative_to=out))
    page = write_text(out / f"{stem}.html", to_html(report))
    return {"markdown": md, "html": page}


def _cut(block: Table) -> tuple[pd.DataFrame, str]:
    """The rows to show and a note saying how many were left out (never cut silently)."""
    frame = block.frame
    if len(frame) <= block.max_rows:
        return frame, ""
    return frame.head(block.max_rows), (
        f"Showing the first {block.max_rows} of {len(frame)} rows; the full table is in the CSV output."
    )


def _markdown_table(
    frame: pd.DataFrame, float_format: str, numeric: Sequence[str] = ()
) -> list[str]:
    header = "| " + " | ".join(_md_cell(str(c)) for c in frame.columns) + " |"
    align = (
        "| "
        + " | ".join(
            "---:" if pd.api.types.is_numeric_dtype(frame[c]) or c in numeric else "---"
            for c in frame.columns
        )
        + " |"
    )
    rows = [
        "| " + " | ".join(_md_cell(_format(v, float_format)) for v in row) + " |"
        for row in frame.itertuples(index=False)
    ]
    return [header, align, *rows]


#: Characters that Markdown reads as markup anywhere in a line (emphasis, links, code, HTML).
#: An underscore inside a word (``unit_name``) is no emphasis in CommonMark and is left as it is.
_MD_SPECIAL = re.compile(r"([\\`*\[\]<>]|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z]))")
#: Markup that only counts at the start of a line (heading, quote, list item).
_MD_LINE_START = re.compile(r"^(\s*)([#>+-](?=\s|$)|\d+(?=\.(?:\s|$)))")


def md_escape(text: str) -> str:
    """Text as Markdown shows it literally: names are data, not markup (as ``html.escape`` does
    for the HTML report), and a newline does not start a new block."""
    text = _MD_SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")
    return _MD_LINE_START.sub(
        lambda m: m.group(1) + (m.group(2) + "\\" if m.group(2).isdigit() else "\\" + m.group(2)),
        text,
    )


def _md_cell(text: str) -> str:
    # A pipe would end the cell; a newline would end the row.
    return md_escape(text).replace("|", "\\|")


def _is_number(value: object) -> bool:
    return isinstance(value, (numbers.Real, np.number)) and not isinstance(value, (bool, np.bool_))


def _format(value: object, float_format: str) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return "–"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (numbers.Integral, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (numbers.Real, np.floating)):
        if value == float("inf"):
            return "∞"
        return float_format.format(float(value))
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value))
    return str(value)


def _relative(path: Path, base: Path | None) -> str:
    if base is None:
        return Path(path).as_posix()
    try:
        return Path(os.path.relpath(Path(path).resolve(), Path(base).resolve())).as_posix()
    except ValueError:
        return Path(path).as_posix()


# The page is an A4 text block (170 mm wide) on screen and in print; cells wrap, long words
# (file names) included, so that no table is wider than the page.
_CSS = """
@page{size:A4;margin:20mm}
body{font-family:"DejaVu Sans",Arial,sans-serif;color:#222;margin:0;background:#fafafa}
main{max-width:170mm;margin:0 auto;padding:1.5rem;background:#fff}
@media print{main{max-width:none;padding:0}body{background:#fff}}
h1{font-size:1.7rem}h2{font-size:1.3rem;border-bottom:1px solid #ccc;padding-bottom:.2rem;margin-top:2rem}
table{border-collapse:collapse;margin:1rem 0;font-size:.75rem;width:100%}
td,th{overflow-wrap:anywhere;hyphens:auto}tr{break-inside:avoid}
caption{text-align:left;font-style:italic;margin-bottom:.3rem}
th,td{border:1px solid #ddd;padding:.25rem .5rem;vertical-align:top}th{background:#f0f0f0;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}
figure{margin:1rem 0}img{max-width:100%;height:auto;border:1px solid #ddd}
figcaption{font-size:.85rem;font-style:italic}.note{font-size:.85rem;color:#555}
"""
