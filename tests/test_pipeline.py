"""End-to-end tests of the main job: the synthetic region and the national run on the real data."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from accessibility._errors import DataNotFoundError
from accessibility.demo import region as synthetic
from accessibility.run import pipeline
from accessibility.run.study import Study, read_study


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def region(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    paths = synthetic.write_region(tmp_path_factory.mktemp("region"))
    return {key: str(path) for key, path in paths.items() if key in pipeline.LAYER_KEYS}


@pytest.fixture(scope="module")
def demo_run(
    region: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> pipeline.RunResult:
    out = tmp_path_factory.mktemp("demo")
    # Only the region's files: no dataset of the real data folder joins the synthetic run.
    folder = Path(next(iter(region.values()))).parent
    return pipeline.run(Study(name="Demo", inputs=region), out, data_dir=folder, progress=False)


def test_demo_run_writes_every_output(demo_run: pipeline.RunResult) -> None:
    files = demo_run.files
    for key in (
        "gpkg",
        "plan_csv",
        "plan_parquet",
        "comparison",
        "manifest",
        "study",
        "report_md",
        "report_html",
        "interactive_map",
        "map_existing_png",
        "map_plan_png",
        "map_plan_svg",
    ):
        assert key in files and files[key].stat().st_size > 0, key
    # The synthetic region has every layer but CSB's library count (a national table).
    assert set(demo_run.inputs.missing) == {"library_counts"}
    units = demo_run.inputs.layers["units"]
    plan_units = pd.read_csv(files["plan_units_csv"], dtype={"unit_code": str})
    assert sorted(plan_units["unit_code"]) == sorted(units["unit_code"])
    assert len(demo_run.plan) == len(units)  # one centre per unit by default
    layers = set(gpd.list_layers(files["gpkg"])["name"])
    assert {"existing_units", "plan_units", "plan", "stops", "centres", "libraries"} <= layers


def test_demo_run_figures_trace_to_the_inputs(demo_run: pipeline.RunResult) -> None:
    population = demo_run.inputs.layers["population"]
    table = demo_run.plan_coverage.units
    assert int(table["population"].sum()) == int(population["population"].sum())
    comparison = demo_run.comparison.set_index("scenario")
    assert set(comparison.index) == {
        "existing centres",
        "every library a centre",
        "plan",
        "at least one per unit + 10 more",
        "at most 50,000 people per centre",
    }
    n_units = len(demo_run.inputs.layers["units"])
    assert comparison.loc["at least one per unit + 10 more", "sites"] == n_units + 10
    # No demo unit holds 50,000 people: the cap scenario is one centre per unit.
    assert comparison.loc["at most 50,000 people per centre", "sites"] == n_units
    assert {"gini", "theil", "palma", "p90_distance_m"} <= set(comparison.columns)
    why = demo_run.plan_details["justification"]
    assert len(why) == len(demo_run.plan)
    # Everyone is the nearest of some centre, except people the walk cannot reach at all.
    reached = population["population"].sum() - comparison.loc["plan", "population_unreached"]
    assert why["population_assigned"].sum() == pytest.approx(reached, rel=1e-9)
    assert comparison.loc["existing centres", "sites"] == len(demo_run.inputs.layers["centres"])
    assert comparison.loc["plan", "sites"] == len(demo_run.plan)
    checked = demo_run.site_checks["libraries"]
    assert len(checked) == len(demo_run.inputs.layers["libraries"])
    report = demo_run.files["report_md"].read_text(encoding="utf-8")
    share = f"{checked['meets_rule'].mean():.1%} of libraries ({int(checked['meets_rule'].sum())} of {len(checked)})"
    assert share in report
    assert "walking distance" in report


def test_same_inputs_give_byte_identical_tables(
    region: dict[str, str], demo_run: pipeline.RunResult, tmp_path: Path
) -> None:
    again = pipeline.run(
        Study(name="Demo", inputs=region), tmp_path, progress=False, municipality_sheets=False
    )
    first_dir = demo_run.files["manifest"].parent
    for key in (
        "plan_csv",
        "comparison",
        "existing_units_csv",
        "plan_units_csv",
        "gpkg",
        "plan_parquet",
        "manifest",
    ):
        relative = demo_run.files[key].relative_to(first_dir)
        assert _digest(again.files[key]) == _digest(tmp_path / relative), key


def test_resolved_study_and_manifest_allow_a_rerun(demo_run: pipeline.RunResult) -> None:
    study = read_study(demo_run.files["study"])
    assert study.inputs.keys() == demo_run.inputs.paths.keys()
    manifest = json.loads(demo_run.files["manifest"].read_text(encoding="utf-8"))
    assert manifest["version"]
    units_files = manifest["inputs"]["units"]["files"]
    assert any(name.endswith(".shp") for name in units_files)
    assert all(len(entry["sha256"]) == 64 for entry in units_files.values())


def test_missing_units_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DataNotFoundError, match="units"):
        pipeline.run(Study(data_dir=str(tmp_path)), tmp_path / "out", progress=False)


def test_a_file_where_the_output_folder_should_be_is_an_error(
    region: dict[str, str], tmp_path: Path
) -> None:
    blocker = tmp_path / "out"
    blocker.write_text("", encoding="utf-8")
    with pytest.raises(ValueError, match="not a folder"):
        pipeline.run(Study(inputs=region), blocker, progress=False)


@pytest.mark.realdata
def test_national_report_on_the_real_data(real_data: Path, tmp_path: Path) -> None:
    study = Study(name="Latvia 2024", population_year=2024, target_count=587)
    result = pipeline.run(study, tmp_path, data_dir=real_data, progress=False)
    # The real data has no library or centre coordinates and no street network: said plainly.
    assert set(result.inputs.missing) == {"libraries", "centres", "streets"}
    report = result.files["report_md"].read_text(encoding="utf-8")
    assert "What could not be computed" in report
    assert "proxy sites" in report and "straight-line distance, not a walk" in report
    # Every unit present, population preserved.
    units = pd.read_csv(result.files["plan_units_csv"], dtype={"unit_code": str})
    assert len(units) == 592 and units["unit_code"].is_unique
    assert int(units["population"].sum()) == 2_041_552
    # The plan: 587 centres; five town-parish pairs share one; every unit served.
    assert len(result.plan) == 587
    shared = pd.read_csv(result.files["plan_shared_units"], dtype=str)
    assert len(shared) == 5
    assert (units["centres"] >= 1).all()
    proxies = pd.read_csv(
        result.files["stop_rule_proxy_most_served_stop"], dtype={"unit_code": str}
    )
    assert len(proxies) == 589  # three units have no bus stop at all
    assert set(proxies["method"].dropna()) == {"euclidean"}
    sheets = [key for key in result.files if key.startswith("sheet_")]
    assert len(sheets) == 2 * 43  # a PNG and an SVG per municipality
    assert sum(result.files[key].suffix == ".svg" for key in sheets) == 43
    assert result.files["map_plan_png"].stat().st_size > 100_000
