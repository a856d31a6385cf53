"""The analyst scripts on the real data: regenerate_figures.py and plan_scenarios.py, run as a user runs them."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tomllib
from pathlib import Path
from types import ModuleType

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from scipy.spatial import cKDTree

import accessibility as acc

REPO_ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = REPO_ROOT / "scripts"
STUDY = REPO_ROOT / "data" / "studies" / "latvia-2024.toml"

#: Population register total of the 592 units for 2024 (raim_pmlp_indicators_by_territorial_unit/PROVENANCE.md).
POPULATION_2024 = 2_041_552

#: Grid used by the scenario run in these tests: coarser than the default 1 km, to keep it quick.
SCENARIO_RESOLUTION = 2000.0


def run_script(name: str, *args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``scripts/<name>`` in a fresh interpreter, as ``python scripts/<name> ...``."""
    env = {**os.environ, "MPLBACKEND": "Agg"}
    return subprocess.run(
        [sys.executable, str(SCRIPTS / name), *map(str, args)],
        check=False,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture(scope="module")
def regenerated(real_data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("regenerated")
    done = run_script(
        "regenerate_figures.py",
        "--study",
        STUDY,
        "--out",
        out,
        "--data-dir",
        real_data,
        "--no-sheets",
        "--quiet",
        cwd=out,
    )
    assert done.returncode == 0, done.stderr
    return out, done.stdout


@pytest.fixture(scope="module")
def scenarios(real_data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("scenarios")
    done = run_script(
        "plan_scenarios.py",
        "--data-dir",
        real_data,
        "--out",
        out,
        "--resolution",
        SCENARIO_RESOLUTION,
        cwd=out,
    )
    assert done.returncode == 0, done.stderr
    return out, done.stdout


@pytest.mark.realdata
@pytest.mark.slow
def test_regenerate_writes_every_table_map_and_report(regenerated: tuple[Path, str]) -> None:
    out, stdout = regenerated
    for relative in (
        "report.md",
        "report.html",
        "map.html",
        "maps/plan.png",
        "maps/plan.svg",
        "tables/plan.csv",
        "tables/plan_shared_units.csv",
        "tables/plan/units.csv",
        "tables/comparison.csv",
        "headline.json",
        "manifest.json",
        "study.resolved.toml",
    ):
        path = out / relative
        assert path.is_file() and path.stat().st_size > 0, relative
        # Every written file is printed, so the user can find it.
        assert str(path) in stdout, relative
    assert "Plan: 587 centres for 592 units (target 587)" in stdout
    assert "Headline figures:" in stdout
    assert "missing libraries:" in stdout  # no library coordinates: said, not hidden


@pytest.mark.realdata
@pytest.mark.slow
def test_regenerated_plan_has_587_centres_for_592_units(
    regenerated: tuple[Path, str], real_data: Path
) -> None:
    out, _ = regenerated
    plan = pd.read_csv(out / "tables" / "plan.csv", dtype={"unit_code": str})
    assert len(plan) == 587
    assert plan["site_id"].is_unique
    units = pd.read_csv(out / "tables" / "plan" / "units.csv", dtype={"unit_code": str})
    assert len(units) == 592 and units["unit_code"].is_unique
    assert int(units["population"].sum()) == POPULATION_2024
    assert (units["centres"] >= 1).all()  # every unit is served, five of them by a shared centre
    shared = pd.read_csv(out / "tables" / "plan_shared_units.csv", dtype=str)
    assert len(shared) == 5
    served = {code for listed in plan["units_served"].astype(str) for code in listed.split(";")}
    assert served == set(units["unit_code"])

    # The resolved study names the data folder given on the command line and the study's values.
    resolved = tomllib.loads((out / "study.resolved.toml").read_text(encoding="utf-8"))["study"]
    assert Path(resolved["data_dir"]) == real_data.resolve()
    assert resolved["population_year"] == 2024
    assert resolved["target_count"] == 587
    assert resolved["stop_distance"] == 700.0
    assert resolved["grid_resolution"] == 1000.0


@pytest.mark.realdata
@pytest.mark.slow
def test_scenarios_compare_targets_and_planners(
    scenarios: tuple[Path, str], real_data: Path
) -> None:
    out, stdout = scenarios
    table = pd.read_csv(out / "scenarios.csv").set_index("scenario")
    expected = [
        f"{planner} {target}"
        for target in (592, 587)
        for planner in ("one_per_unit", "p_median", "mclp")
    ]
    assert list(table.index) == expected
    assert (table["sites"] == table["target"]).all()
    assert (table["population"] == POPULATION_2024).all()
    assert table.loc["one_per_unit 587", "shared_pairs"] == 5
    assert table.loc["one_per_unit 592", "shared_pairs"] == 0
    assert (table.loc[["one_per_unit 592", "one_per_unit 587"], "units_without_centre"] == 0).all()
    assert (table["method"] == "euclidean").all()
    for name in expected:
        assert name in stdout

    # Each model does best at what it optimises, among scenarios with the same number of centres.
    for target in (592, 587):
        rows = table[table["target"] == target]
        assert rows["mean_distance_m"].idxmin() == f"p_median {target}"
        assert rows["share_beyond_700m"].idxmin() == f"mclp {target}"
        assert table.loc[f"p_median {target}", "gap"] < 0.01

    # Recompute the printed figures from the written sites, independently of the package.
    units = acc.load_units(acc.find_dataset("units", real_data))
    population = acc.load_population(acc.find_dataset("population", real_data), 2024, units=units)
    points = acc.population_points(units, population, resolution=SCENARIO_RESOLUTION)
    people = points["population"].to_numpy(dtype=float)
    people_xy = np.column_stack([points.geometry.x, points.geometry.y])
    stops = acc.load_stops(acc.find_dataset("stops", real_data))
    intercity = stops[stops["intercity"]]
    intercity_tree = cKDTree(np.column_stack([intercity.geometry.x, intercity.geometry.y]))
    layers = set(pyogrio.list_layers(out / "scenario_sites.gpkg")[:, 0])
    for name in expected:
        layer = name.replace(" ", "_")
        assert layer in layers
        sites = gpd.read_file(out / "scenario_sites.gpkg", layer=layer)
        assert len(sites) == table.loc[name, "sites"]
        xy = np.column_stack([sites.geometry.x, sites.geometry.y])
        distance, _ = cKDTree(xy).query(people_xy)
        assert people @ distance / people.sum() == pytest.approx(
            table.loc[name, "mean_distance_m"], rel=1e-6
        )
        beyond = people[distance > 2000].sum()
        assert beyond == pytest.approx(table.loc[name, "population_beyond_2000m"])
        to_stop, _ = intercity_tree.query(xy)
        assert int((to_stop <= 700).sum()) == table.loc[name, "sites_meeting_rule"]


@pytest.mark.realdata
@pytest.mark.slow
def test_scenarios_write_their_summary(scenarios: tuple[Path, str]) -> None:
    import json

    out, stdout = scenarios
    summary = json.loads((out / "scenarios.json").read_text(encoding="utf-8"))
    assert summary["units"] == 592
    assert summary["targets"] == [592, 587]
    assert summary["population"] == POPULATION_2024
    assert summary["population_year"] == 2024
    assert "straight-line" in summary["method"] and "straight-line" in stdout


def load_script(name: str) -> ModuleType:
    """Import ``scripts/<name>`` as a module, to call its ``main`` in this process."""
    spec = importlib.util.spec_from_file_location(name.removesuffix(".py"), SCRIPTS / name)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("script", "args", "expected"),
    [
        (
            "regenerate_figures.py",
            ["--study", "missing.toml", "--out", "o"],
            "study file not found",
        ),
        ("regenerate_figures.py", ["--out", "o"], "--study"),
        (
            "regenerate_figures.py",
            ["--study", str(STUDY), "--out", "o", "--data-dir", "no-such-folder"],
            "no-such-folder does not exist",
        ),
        ("plan_scenarios.py", ["--out", "o", "--data-dir", "no-such-folder"], "does not exist"),
        ("plan_scenarios.py", ["--out", "o", "--targets", "0"], "positive numbers of centres"),
        ("plan_scenarios.py", ["--out", "o", "--targets", "many"], "invalid int value"),
    ],
)
def test_user_errors_exit_2_with_one_line(
    script: str,
    args: list[str],
    expected: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    try:
        status = load_script(script).main(args)
    except SystemExit as stop:  # argparse's own errors
        status = stop.code
    assert status == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], lines
    assert lines[0].startswith(f"{script}: error: ")
    assert not (tmp_path / "o").exists()


def test_a_user_error_ends_the_process_with_status_2(tmp_path: Path) -> None:
    done = run_script(
        "regenerate_figures.py", "--study", "missing.toml", "--out", "o", cwd=tmp_path
    )
    assert done.returncode == 2
    assert done.stderr == "regenerate_figures.py: error: missing.toml: study file not found\n"
    assert done.stdout == ""
