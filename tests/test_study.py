"""Tests of study files: parsing, validation, TOML round trip and input checksums."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from accessibility._errors import StudyFileError
from accessibility.run.study import Study, file_checksums, read_study, study_to_toml


def test_read_study_resolves_relative_paths(tmp_path: Path) -> None:
    (tmp_path / "study.toml").write_text(
        '[study]\nname = "Test"\ndata_dir = "data"\nstop_distance = 500\n'
        "distance_thresholds = [5000, 700]\ntarget_count = 587\n\n"
        '[study.inputs]\nlibraries = "libs/libraries.csv"\n',
        encoding="utf-8",
    )
    study = read_study(tmp_path / "study.toml")
    assert study.name == "Test"
    assert study.stop_distance == 500.0
    assert study.distance_thresholds == (700.0, 5000.0)
    assert study.target_count == 587
    assert study.data_dir == str((tmp_path / "data").resolve())
    assert study.inputs["libraries"] == str((tmp_path / "libs" / "libraries.csv").resolve())


def test_study_round_trips_through_toml(tmp_path: Path) -> None:
    study = Study(name='Quote " and ā', population_year=2024, inputs={"units": "/x/u.shp"})
    text = study_to_toml(study)
    (tmp_path / "s.toml").write_text(text, encoding="utf-8")
    again = read_study(tmp_path / "s.toml")
    assert again == study
    assert study_to_toml(again) == text


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[study]\nstop_distanse = 700\n", "unknown study parameter"),
        ("[study]\nstop_distance = -5\n", "positive number"),
        ("[study]\nplanner = 'magic'\n", "one of"),
        ("[study]\nintercity_pattern = '7[\\\\d'\n", "regular expression"),
        ("[study\n", "not a valid TOML"),
        ("[study]\npopulation_year = true\n", "whole number"),
    ],
)
def test_bad_study_files_name_the_problem(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(StudyFileError, match=message) as info:
        read_study(path)
    assert str(path) in str(info.value)


def test_missing_study_file(tmp_path: Path) -> None:
    with pytest.raises(StudyFileError, match="not found"):
        read_study(tmp_path / "nope.toml")


def test_checksums_cover_shapefile_sidecars(tmp_path: Path) -> None:
    for ext, content in ((".shp", b"a"), (".dbf", b"bb"), (".prj", b"ccc")):
        (tmp_path / f"layer{ext}").write_bytes(content)
    (tmp_path / "other.csv").write_bytes(b"x")
    sums = file_checksums({"units": tmp_path / "layer.shp"})
    files = sums["units"]["files"]
    assert sorted(files) == ["layer.dbf", "layer.prj", "layer.shp"]
    assert files["layer.dbf"]["sha256"] == hashlib.sha256(b"bb").hexdigest()
    assert files["layer.prj"]["bytes"] == 3


def test_share_rules_are_the_planners() -> None:
    from accessibility.planning.one_per_unit import SHARE_RULES
    from accessibility.run.study import SHARE_RULES as STUDY_RULES

    assert set(STUDY_RULES) == set(SHARE_RULES)
