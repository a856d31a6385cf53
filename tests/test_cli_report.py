"""Tests of the report, plan and map commands: outputs, study files and one-line errors."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from accessibility.cli import main
from accessibility.demo import region as synthetic


@pytest.fixture(scope="module")
def study_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("study")
    paths = synthetic.write_region(folder / "region")
    lines = ["[study]", 'name = "Synthetic study"', "target_count = 22", "", "[study.inputs]"]
    lines += [
        f'{key} = "region/{path.name}"'
        for key, path in paths.items()
        if key in ("units", "population", "stops", "libraries", "centres", "streets")
    ]
    study = folder / "study.toml"
    study.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return study


def test_plan_command_follows_the_study_file(
    study_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["plan", "--config", str(study_file), "--out", str(tmp_path), "--quiet"]) == 0
    plan = pd.read_csv(tmp_path / "tables" / "plan.csv")
    assert len(plan) == 22  # 23 units, target 22: one town-parish pair shares a centre
    shared = pd.read_csv(tmp_path / "tables" / "plan_shared_units.csv")
    assert len(shared) == 1
    assert not (tmp_path / "maps").exists() and not (tmp_path / "report.md").exists()
    assert "target_count = 22" in (tmp_path / "study.resolved.toml").read_text(encoding="utf-8")
    assert "Wrote:" in capsys.readouterr().out


def test_map_command_writes_maps_only(study_file: Path, tmp_path: Path) -> None:
    assert (
        main(["map", "--config", str(study_file), "--out", str(tmp_path), "--quiet", "--no-sheets"])
        == 0
    )
    assert (tmp_path / "maps" / "plan.png").stat().st_size > 0
    assert (tmp_path / "map.html").stat().st_size > 0
    assert not (tmp_path / "tables").exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["report", "--config", "missing.toml"], "study file not found"),
        (["report", "--data-dir", "/no/such/folder"], "does not exist"),
        (["plan", "--target", "zero"], "invalid int value"),
    ],
)
def test_user_mistakes_end_with_one_line(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) if "zero" in argv else _no_raise():
        code = main([*argv, "--out", str(tmp_path / "out"), "--quiet"])
        assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]
    assert "Traceback" not in err[0]


class _no_raise:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> bool:
        return False


@pytest.mark.realdata
def test_plan_command_on_the_real_data(real_data: Path, tmp_path: Path) -> None:
    code = main(
        ["plan", "--data-dir", str(real_data), "--out", str(tmp_path), "--target", "587", "--quiet"]
    )
    assert code == 0
    plan = pd.read_csv(tmp_path / "tables" / "plan.csv")
    assert len(plan) == 587
    units = pd.read_csv(tmp_path / "tables" / "plan" / "units.csv", dtype={"unit_code": str})
    assert len(units) == 592
