"""The accessibility command: demo output, fetch and datasets, and one-line errors with exit status 2."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from accessibility import cli
from accessibility.io import datasets


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(datasets.CACHE_DIR_ENV, str(tmp_path / "cache"))
    monkeypatch.delenv("ACCESSIBILITY_DATA", raising=False)
    monkeypatch.delenv("ACCESSIBILITY_MIRROR", raising=False)


def _one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_demo_writes_the_region_and_its_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "demo"
    assert cli.main(["demo", "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    manifest = json.loads((out / "region" / "synthetic_manifest.json").read_text(encoding="utf-8"))
    layers = summary["layers"]
    assert layers["units"]["rows"] == manifest["units"] == 23
    assert layers["units"]["by_unit_kind"] == {"parish": 20, "state_city": 1, "town": 2}
    assert layers["population"]["total_by_year"] == {"2024": manifest["population_total"]}
    # The village stop whose cut list hides its 7xxx routes (both sides) is inferred intercity.
    assert layers["stops"]["intercity"] == manifest["stops_intercity_listed"] + 2
    assert layers["libraries"]["rows"] == manifest["libraries"]
    assert layers["units"]["crs"] == "EPSG:3059"
    assert summary["bounds_lonlat"][0] > 20.8 and summary["bounds_lonlat"][3] < 58.1
    markdown = (out / "summary.md").read_text(encoding="utf-8")
    assert "| units | 23 |" in markdown
    stdout = capsys.readouterr().out.strip().splitlines()
    # The run ends with the list of the files it wrote, every one of which exists.
    written = [line.strip() for line in stdout[stdout.index("Wrote:") + 1 :]]
    assert str(out / "summary.md") in written and str(out / "summary.json") in written
    assert str(out / "region" / "gtfs_atd.csv") in written
    assert all(Path(p).exists() for p in written)


def test_unknown_option_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        cli.main(["demo", "--no-such-option"])
    assert caught.value.code == 2
    assert "unrecognized arguments" in _one_line_error(capsys)


def test_missing_command_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        cli.main([])
    assert caught.value.code == 2
    _one_line_error(capsys)


def test_missing_data_folder_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--data-dir", str(tmp_path / "nowhere"), "datasets"]) == 2
    assert "does not exist" in _one_line_error(capsys)


def test_fetch_unknown_dataset_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["fetch", "--dataset", "roads"]) == 2
    assert "unknown dataset 'roads'" in _one_line_error(capsys)


def test_fetch_offline_is_exit_2_with_the_manual_steps(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("ACCESSIBILITY_MIRROR", f"http://127.0.0.1:{port}")
    assert cli.main(["fetch", "--dataset", "stops", "--timeout", "3"]) == 2
    line = _one_line_error(capsys)
    assert "by hand" in line and "gtfs-latvia-lv.zip" in line


def test_demo_into_a_file_path_is_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    assert cli.main(["demo", "--out", str(blocker)]) == 2
    _one_line_error(capsys)


@pytest.mark.realdata
def test_datasets_lists_found_and_missing(
    real_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["--data-dir", str(real_data), "datasets"]) == 0
    out = capsys.readouterr().out
    assert "[found]   units:" in out and "(2024.01.01.)" in out
    assert "[missing] libraries:" in out


def test_console_script_runs_as_a_module() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "accessibility.cli", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert result.stdout.startswith("accessibility ")
