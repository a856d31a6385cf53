"""The run report as an A4 PDF, laid out with fpdf2 (no browser, nothing downloaded).

The same :class:`~accessibility.outputs.report.Report` blocks as the Markdown and HTML pages:
headings, paragraphs, bullets, tables that wrap inside the text width, and the map figures
(PNG at 300 dpi) scaled to the page. Text is set in DejaVu Sans, which ships with matplotlib
and covers every Latvian letter.
"""

from __future__ import annotations

import datetime as _dt
import os
from pathlib import Path

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


def _table(pdf: object, block: Table) -> None:
    shown, note = _cut(block)
    cells = [[_format(v, block.float_format) for v in row] for row in shown.itertuples(index=False)]
    pdf.ln(1)  # type: ignore[attr-defined]
    if block.caption:
        pdf.set_font(_FONT, "I", 8.5)  # type: ignore[attr-defined]
        pdf.multi_cell(_TEXT_WIDTH_MM, 4.5, block.caption, new_x="LMARGIN", new_y="NEXT")  # type: ignore[attr-defined]
    pdf.set_font(_FONT, "", _TABLE_PT)  # type: ignore[attr-defined]
    widths = _column_widths(shown, cells)
    right = [c in block.numeric or pd.api.types.is_numeric_dtype(shown[c]) for c in shown.columns]
    with pdf.table(  # type: ignore[attr-defined]
        col_widths=widths,
        width=_TEXT_WIDTH_MM,
        line_height=3.4,
        padding=0.8,
        borders_layout="HORIZONTAL_LINES",
        headings_style=_heading_style(),
        repeat_headings=1,
        first_row_as_headings=True,
    ) as table:
        header = table.row()
        for column in shown.columns:
            header.cell(str(column))
        for row in cells:
            line = table.row()
            for text, align_right in zip(row, right, strict=True):
                line.cell(text, align="R" if align_right else "L")
    if note:
        pdf.set_font(_FONT, "I", 7.5)  # type: ignore[attr-defined]
        pdf.multi_cell(_TEXT_WIDTH_MM, 4, note, new_x="LMARGIN", new_y="NEXT")  # type: ignore[attr-defined]
    pdf.ln(2)  # type: ignore[attr-defined]


def _heading_style() -> object:
    from fpdf.fonts import FontFace

    return FontFace(family=_FONT, emphasis="BOLD", fill_color=(240, 240, 240))


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
