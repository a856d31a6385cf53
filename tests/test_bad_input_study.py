"""Bad input: study files with the mistakes people make, and data folders that hold two
candidates for one dataset."""

from __future__ import annotations

from pathlib import Path

import pytest
from _corrupt import data_folder

from accessibility._errors import AmbiguousDatasetError, StudyFileError
from accessibility.cli import main
from accessibility.io.datasets import locate_dataset
from accessibility.run.study import read_study


def _study(tmp_path: Path, body: str, *, bom: bool = False) -> Path:
    path = tmp_path / "study.toml"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + body.encode("utf-8"))
    return path


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            '[study.inputs]\nlibrarys = "my.csv"\n',
            r"unknown input 'librarys'.*did you mean 'libraries'",
        ),
        ('[study.inputs]\nbogus_layer = "x.csv"\n', r"unknown input 'bogus_layer'"),
        (
            "[study]\nstop_distanse = 700\n",
            r"unknown study parameter 'stop_distanse'.*'stop_distance'",
        ),
        ("[study]\nname = 'x'\n[other]\nkey = 1\n", r"unknown table or key 'other'"),
        ('[study]\nintercity_pattern = "7\\\\d{3"\n', r"unmatched '\{' .* literal brace"),
        ('[study]\nintercity_pattern = "7*"\n', r"matches an empty route number"),
        ('[study]\nintercity_pattern = "7\\\\d(3"\n', r"not a regular expression"),
        ("[study]\nstop_distance = nan\n", r"'stop_distance' must be a positive number"),
        ("[study]\ngrid_resolution = 5\n", r"'grid_resolution' must be .* from 10 to 50000"),
        ("[study]\nmax_snap = inf\n", r"'max_snap'"),
        ("[study]\ndistance_thresholds = [700, -1]\n", r"'distance_thresholds'"),
        ('[study]\nplanner = "pmedian"\n', r"'planner' must be one of"),
        ("[study]\ntarget_count = 587.5\n", r"'target_count' must be a positive whole number"),
    ],
)
def test_study_mistakes_are_errors_naming_the_key(tmp_path: Path, body: str, expected: str) -> None:
    with pytest.raises(StudyFileError, match=expected) as caught:
        read_study(_study(tmp_path, body))
    assert "\n" not in str(caught.value)


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    study = read_study(
        _study(tmp_path, '[study]\nname = "Latvija"\nstop_distance = 700\n', bom=True)
    )
    assert study.name == "Latvija" and study.stop_distance == 700.0


def test_the_default_pattern_and_a_literal_brace_are_fine(tmp_path: Path) -> None:
    study = read_study(
        _study(tmp_path, '[study]\nintercity_pattern = "(K?7\\\\d{3})|\\\\{x\\\\}"\n')
    )
    assert study.intercity_pattern == "(K?7\\d{3})|\\{x\\}"


def test_two_files_that_could_be_the_same_dataset_are_an_error(tmp_path: Path) -> None:
    for folder in ("old", "new"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "libraries.csv").write_text("id,name,lon,lat\n", encoding="utf-8")
    with pytest.raises(AmbiguousDatasetError) as caught:
        locate_dataset("libraries", tmp_path)
    message = str(caught.value)
    assert str(tmp_path / "new" / "libraries.csv") in message
    assert str(tmp_path / "old" / "libraries.csv") in message
    assert "[study.inputs] libraries" in message


@pytest.mark.realdata
def test_the_study_settles_an_ambiguity_and_every_choice_is_printed(
    real_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = data_folder(real_data, tmp_path / "data", population=False, stops=False)
    rows = "id,name,lon,lat\n1,Rīgas Centrālā bibliotēka,24.1052,56.9496\n"
    for sub in ("stale", "fresh"):
        (folder / sub).mkdir()
        (folder / sub / "libraries.csv").write_text(rows, encoding="utf-8")
    out = tmp_path / "out"
    assert main(["plan", "--data-dir", str(folder), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "could both be it" in err and "stale" in err and "fresh" in err
    study = _study(
        tmp_path, f'[study]\n[study.inputs]\nlibraries = "{folder / "fresh" / "libraries.csv"}"\n'
    )
    argv = ["plan", "--config", str(study), "--data-dir", str(folder), "--out", str(out), "--quiet"]
    assert main([*argv, "--planner", "none"]) == 0
    printed = capsys.readouterr().out
    assert f"using libraries: {folder / 'fresh' / 'libraries.csv'} (named in the study)" in printed
    assert "using units: " in printed and "using classifier: " in printed


def test_the_datasets_listing_shows_an_ambiguity_instead_of_failing(tmp_path: Path) -> None:
    from accessibility.io.datasets import available_datasets

    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "centres.csv").write_text("id,name,lon,lat\n", encoding="utf-8")
    table = available_datasets(tmp_path).set_index("key")
    assert not table.at["centres", "found"]
    assert "could both be it" in table.at["centres", "message"]
