"""Bad input that reaches the outputs: names with markup, and errors nobody foresaw."""

from __future__ import annotations

import pandas as pd
import pytest

from accessibility import cli
from accessibility.outputs.report import Bullets, Heading, Paragraph, Report, Table, to_markdown


def test_report_md_escapes_names_as_report_html_does() -> None:
    name = "Centre *new* [draft](http://x) <b>|x|</b>"
    report = Report(f"Study {name}").add(
        Heading(name), Paragraph(name), Bullets([name]), Table(pd.DataFrame({"name": [name]}))
    )
    text = to_markdown(report)
    assert "*new*" not in text and "[draft](" not in text and "<b>" not in text
    assert text.count("\\*new\\*") == 5
    # The table cell keeps its pipes as text, so the row still has one cell.
    row = next(line for line in text.splitlines() if "draft" in line and line.startswith("| "))
    assert row.count(" | ") == 0


def test_an_unforeseen_error_is_one_line_and_the_traceback_needs_debug(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(args):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setitem(cli.COMMANDS, "datasets", (*cli.COMMANDS["datasets"][:2], broken))
    assert cli.main(["datasets"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "ZeroDivisionError" in err and "--debug" in err
    with pytest.raises(ZeroDivisionError):
        cli.main(["--debug", "datasets"])
