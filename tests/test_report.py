"""Tests of the report renderer: Markdown and HTML from one content, escaping, table cuts, images."""

from __future__ import annotations

import base64
from pathlib import Path

import pandas as pd

from accessibility.outputs.report import (
    Bullets,
    Heading,
    Image,
    Paragraph,
    Report,
    Table,
    to_html,
    to_markdown,
    write_report,
)

_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def _sample(tmp_path: Path) -> Report:
    image = tmp_path / "maps" / "map.png"
    image.parent.mkdir()
    image.write_bytes(_PNG)
    table = pd.DataFrame(
        {
            "unit": ['Kalēji "Lejas" <b>', "A|B"],
            "population": pd.array([1234, None], dtype="Int64"),
            "share": [0.5, float("inf")],
            "ok": [True, False],
        }
    )
    return Report("Coverage – Latvija").add(
        Heading("Headline"),
        Paragraph("91 of 100 sites <within> 700 m."),
        Bullets(["one & two", "ā ē ī"]),
        Table(table, caption="Units"),
        Image(image, caption="Map"),
    )


def test_markdown_has_all_blocks_and_escapes_pipes(tmp_path: Path) -> None:
    text = to_markdown(_sample(tmp_path), relative_to=tmp_path)
    assert text.startswith("# Coverage – Latvija\n")
    assert "## Headline" in text
    assert "- one & two" in text
    assert "A\\|B" in text
    assert "| 1,234 |" in text  # numpy and nullable integers get thousands separators
    assert "| – |" in text  # a missing value is a dash, not "nan" or "<NA>"
    assert "| yes |" in text and "| no |" in text
    assert "∞" in text
    assert "![Map](maps/map.png)" in text


def test_html_escapes_names_and_embeds_images(tmp_path: Path) -> None:
    page = to_html(_sample(tmp_path))
    assert "<b>" not in page.replace("<body>", "")
    assert "Kalēji &quot;Lejas&quot; &lt;b&gt;" in page
    assert "&lt;within&gt;" in page
    assert "data:image/png;base64," in page
    assert "http://" not in page and "https://" not in page


def test_long_tables_say_they_were_cut(tmp_path: Path) -> None:
    frame = pd.DataFrame({"n": range(120)})
    report = Report("T").add(Table(frame, max_rows=10))
    md = to_markdown(report)
    assert "Showing the first 10 of 120 rows" in md
    assert "| 9 |" in md and "| 10 |" not in md


def test_write_report_writes_both_files(tmp_path: Path) -> None:
    paths = write_report(_sample(tmp_path), tmp_path / "out")
    assert paths["markdown"].read_text(encoding="utf-8").startswith("# Coverage")
    assert paths["html"].read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]
