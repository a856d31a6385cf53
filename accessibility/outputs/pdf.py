"""The run report as an A4 PDF, laid out with fpdf2 (no browser, nothing downloaded).

The same :class:`~accessibility.outputs.report.Report` blocks as the Markdown and HTML pages:
headings, paragraphs, bullets, tables that wrap inside the text width, and the map figures
(PNG at 300 dpi) scaled to the page. Text is set in DejaVu Sans, which ships with matplotlib
and covers every Latvian letter.
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib
import pandas as pd

from ..io.write import atomic_path
from .report import Bullets, Heading, Image, Paragraph, Report, Table, _cut, _format

__all__ = ["write_pdf"]

#: A4 page and margins (mm): a 170 mm text width, as the printed maps.
PAGE_MARGIN_MM = 20.0
_TEXT_WIDTH_MM = 210.0 - 2 * PAGE_MARGIN_MM
_FONT = "DejaVu"
_BODY_PT = 9.5
_TABLE_PT = 7.0


def _font_file(name: str) -> Path:
    return Path(matplotlib.get_data_path()) / "fonts" / "ttf" / name


def write_pdf(report: Report, path: str | os.PathLike[str]) -> Path:
    """Write the report as an A4 PDF (atomically) and return its path.

    Parameters
    ----------
    report
        The report blocks.
    path
        Target file (``report.pdf``).
    """
    from fpdf import FPDF

    pdf = FPDF(format="A4", unit="mm")
    pdf.set_margins(PAGE_MARGIN_MM, PAGE_MARGIN_MM, PAGE_MARGIN_MM)
    pdf.set_auto_page_break(True, margin=PAGE_MARGIN_MM)
    pdf.add_font(_FONT, "", str(_font_file("DejaVuSans.ttf")))
    pdf.add_font(_FONT, "B", str(_font_file("DejaVuSans-Bold.ttf")))
    pdf.add_font(_FONT, "I", str(_font_file("DejaVuSans-Oblique.ttf")))
    pdf.set_title(report.title)
    pdf.set_creation_date(_creation_date())
    pdf.add_page()
    pdf.set_font(_FONT, "B", 15)
    pdf.multi_cell(_TEXT_WIDTH_MM, 7, report.title, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    for block in report.blocks:
        if isinstance(block, Heading):
            pdf.ln(3)
            pdf.set_font(_FONT, "B", 12 if block.level <= 2 else 10.5)
            pdf.multi_cell(_TEXT_WIDTH_MM, 6, block.text, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        elif isinstance(block, Paragraph):
            pdf.set_font(_FONT, "", _BODY_PT)
            pdf.multi_cell(_TEXT_WIDTH_MM, 4.6, block.text, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1.5)
        elif isinstance(block, Bullets):
            pdf.set_font(_FONT, "", _BODY_PT)
            for item in block.items:
                pdf.set_x(PAGE_MARGIN_MM)
                pdf.cell(4, 4.6, "•")
                pdf.multi_cell(_TEXT_WIDTH_MM - 4, 4.6, item, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1.5)
        elif isinstance(block, Table):
            _table(pdf, block)
        elif isinstance(block, Image):
            _image(pdf, block)
    target = Path(path)
    with atomic_path(target) as tmp:
        pdf.output(str(tmp))
    return target


def _creation_date() -> _dt.datetime:
    """``SOURCE_DATE_EPOCH`` when set (reproducible builds), else now."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if epoch.strip().isdigit():
        return _dt.datetime.fromtimestamp(int(epoch), tz=_dt.UTC)
    return _dt.datetime.now(_dt.UTC)


def _column_widths(frame: pd.DataFrame, cells: list[list[str]]) -> list[float]:
    """Widths in proportion to each column's typical text, within the text width.

    A column gets at least its longest header word and at most half the page, so long
    reasons wrap while codes and figures stay on one line.
    """
    weights = []
    for j, column in enumerate(frame.columns):
        longest_word = max((len(w) for w in str(column).split()), default=1)
        texts = [row[j] for row in cells] or [""]
        typical = sorted(len(t) for t in texts)[int(0.9 * (len(texts) - 1))]
        weights.append(max(longest_word, min(typical, 60), 3))
    total = sum(weights)
    return [_TEXT_WIDTH_MM * w / total for w in weights]


#: Table cells: line height and padding (mm), and the grey of the header row.
_TABLE_LINE_MM = 3.4
_TABLE_PADDING_MM = 0.8
_HEADER_GREY = 240


def _table(pdf: Any, block: Table) -> None:
    """A table across the text width: wrapped cells, a grey header repeated on every page,
    a line between rows.

    Laid out here rather than by fpdf2's table, which sets every cell twice with its general
    line breaking (a second of the report per hundred rows): words are measured once each.
    """
    shown, note = _cut(block)
    cells = [[_format(v, block.float_format) for v in row] for row in shown.itertuples(index=False)]
    pdf.ln(1)
    if block.caption:
        pdf.set_font(_FONT, "I", 8.5)
        pdf.multi_cell(_TEXT_WIDTH_MM, 4.5, block.caption, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(_FONT, "", _TABLE_PT)
    widths = _column_widths(shown, cells)
    right = [c in block.numeric or pd.api.types.is_numeric_dtype(shown[c]) for c in shown.columns]
    header = [str(c) for c in shown.columns]
    body_width = _measure(pdf, "")
    pdf.set_font(_FONT, "B", _TABLE_PT)
    head_width = _measure(pdf, "B")
    head_lines = [
        _wrap(t, w - 2 * _TABLE_PADDING_MM, head_width) for t, w in zip(header, widths, strict=True)
    ]
    pdf.set_font(_FONT, "", _TABLE_PT)

    def draw_header() -> None:
        pdf.set_font(_FONT, "B", _TABLE_PT)
        pdf.set_fill_color(_HEADER_GREY)
        height = _row_height(head_lines)
        pdf.rect(PAGE_MARGIN_MM, pdf.get_y(), _TEXT_WIDTH_MM, height, style="F")
        _draw_row(pdf, head_lines, widths, [False] * len(widths), height)
        pdf.set_font(_FONT, "", _TABLE_PT)

    bottom = pdf.h - PAGE_MARGIN_MM
    head_height = _row_height(head_lines)
    body = [
        [_wrap(t, w - 2 * _TABLE_PADDING_MM, body_width) for t, w in zip(row, widths, strict=True)]
        for row in cells
    ]
    # A row taller than a page goes on over the next pages, a page's worth of lines at a time.
    room = int((bottom - PAGE_MARGIN_MM - head_height - 2 * _TABLE_PADDING_MM) // _TABLE_LINE_MM)
    body = [part for lines in body for part in _split(lines, room)]
    first = True
    for lines in body:
        height = _row_height(lines)
        if first or pdf.get_y() + height > bottom:
            if not first:
                _rule(pdf)  # the line under the last row of the page
            if not first or pdf.get_y() + head_height + height > bottom:
                pdf.add_page()
            draw_header()
            first = False
        _rule(pdf)
        _draw_row(pdf, lines, widths, right, height)
    if first:  # a table of no rows still shows its header
        draw_header()
    if note:
        pdf.set_font(_FONT, "I", 7.5)
        pdf.multi_cell(_TEXT_WIDTH_MM, 4, note, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)


def _measure(pdf: Any, style: str) -> Callable[[str], float]:
    """Width (mm) of a word in the current font, measured once per word."""
    widths: dict[str, float] = {}
    size = pdf.font_size_pt

    def width(word: str) -> float:
        found = widths.get(word)
        if found is None:
            pdf.set_font(_FONT, style, size)
            found = widths[word] = pdf.get_string_width(word)
        return found

    return width


def _wrap(text: str, width: float, measure: Callable[[str], float]) -> list[tuple[str, float]]:
    """Lines of ``text`` (and their widths) within ``width``: broken at spaces, and a word
    wider than the cell broken between letters."""
    space = measure(" ")
    lines: list[tuple[str, float]] = []
    for paragraph in text.split("\n"):
        line: str | None = None
        used = 0.0
        for word in paragraph.split(" "):
            size = measure(word)
            if line is not None and used + space + size <= width:
                line, used = f"{line} {word}", used + space + size
                continue
            if line is not None:
                lines.append((line, used))
            while size > width and len(word) > 1:
                cut = len(word) - 1
                while cut > 1 and measure(word[:cut]) > width:
                    cut -= 1
                lines.append((word[:cut], measure(word[:cut])))
                word = word[cut:]
                size = measure(word)
            line, used = word, size
        lines.append((line or "", used))
    return lines


def _split(lines: list[list[tuple[str, float]]], room: int) -> list[list[list[tuple[str, float]]]]:
    """A row's cells cut into parts of at most ``room`` lines each."""
    tallest = max((len(cell) for cell in lines), default=0)
    if tallest <= room:
        return [lines]
    return [[cell[k : k + room] for cell in lines] for k in range(0, tallest, room)]


def _row_height(lines: list[list[tuple[str, float]]]) -> float:
    return max(len(cell) for cell in lines) * _TABLE_LINE_MM + 2 * _TABLE_PADDING_MM


def _rule(pdf: Any) -> None:
    y = pdf.get_y()
    pdf.line(PAGE_MARGIN_MM, y, PAGE_MARGIN_MM + _TEXT_WIDTH_MM, y)


def _draw_row(
    pdf: Any,
    lines: list[list[tuple[str, float]]],
    widths: list[float],
    right: list[bool],
    height: float,
) -> None:
    """Write one row's cells from the current height and move below it."""
    top = pdf.get_y()
    # The baseline of a line, as fpdf2's cells place it.
    baseline = 0.5 * _TABLE_LINE_MM + 0.3 * pdf.font_size
    x = PAGE_MARGIN_MM
    for cell, width, align_right in zip(lines, widths, right, strict=True):
        # Cells are centred vertically in their row, as fpdf2's tables set them.
        first = top + (height - len(cell) * _TABLE_LINE_MM) / 2 + baseline
        for k, (text, used) in enumerate(cell):
            if text:
                left = (
                    x + width - _TABLE_PADDING_MM - used if align_right else x + _TABLE_PADDING_MM
                )
                pdf.text(left, first + k * _TABLE_LINE_MM, text)
        x += width
    pdf.set_xy(PAGE_MARGIN_MM, top + height)


def _image(pdf: object, block: Image) -> None:
    """A figure at the text width, on a new page when it does not fit the rest of this one."""
    from PIL import Image as PILImage

    with PILImage.open(block.path) as picture:
        width_px, height_px = picture.size
    width = _TEXT_WIDTH_MM
    height = width * height_px / width_px
    room = 297.0 - 2 * PAGE_MARGIN_MM - 8
    if height > room:  # a tall map: fit the page height instead
        width, height = width * room / height, room
    if pdf.get_y() + height + 8 > 297.0 - PAGE_MARGIN_MM:  # type: ignore[attr-defined]
        pdf.add_page()  # type: ignore[attr-defined]
    pdf.image(str(block.path), x=PAGE_MARGIN_MM, w=width, h=height)  # type: ignore[attr-defined]
    pdf.set_font(_FONT, "I", 8.5)  # type: ignore[attr-defined]
    pdf.multi_cell(_TEXT_WIDTH_MM, 4.5, block.caption, new_x="LMARGIN", new_y="NEXT")  # type: ignore[attr-defined]
    pdf.ln(2)  # type: ignore[attr-defined]
