"""The synthetic region: deterministic files in the official formats that round-trip through the loaders."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from accessibility import settings
from accessibility.demo import region as synthetic
from accessibility.io.datasets import find_dataset
from accessibility.io.population import load_population
from accessibility.io.stops import load_stops
from accessibility.io.units import assign_units, load_units
from accessibility.network.walk import walk_network
from accessibility.projection import inside_latvia


@pytest.fixture(scope="module")
def truth() -> synthetic.SyntheticRegion:
    return synthetic.build_region()


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("region")
    synthetic.write_region(out)
    return out


@pytest.fixture(scope="module")
def layers(folder: Path) -> dict:
    return synthetic.load_region(folder)


def _hashes(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file()
    }


def test_write_region_returns_the_official_file_names(folder: Path) -> None:
    names = {p.name for p in folder.iterdir()}
    for expected in (
        "Territorial_units_LV_1.2m_(synthetic).shp",
        "Territorial_units_LV_1.2m_(synthetic).prj",
        "Territorial_units_LV_1.2m_(synthetic).cpg",
        "Administrativas_teritorijas_2021.shp",
        "raditaju_atlase_aprobacija.xlsx",
        "gtfs_atd.csv",
        "gtfs-latvia-lv.zip",
        "libraries.csv",
        "centres.csv",
        "streets.gpkg",
    ):
        assert expected in names
    # The staging folder is gone: nothing hidden or half-written is left behind.
    assert not [n for n in names if n.startswith(".")]


def test_same_seed_gives_byte_identical_files(tmp_path: Path, folder: Path) -> None:
    again = tmp_path / "again"
    synthetic.write_region(again)
    assert _hashes(again) == _hashes(folder)
    other = tmp_path / "other"
    synthetic.write_region(other, seed=7)
    differ = {k for k, v in _hashes(other).items() if _hashes(folder).get(k) != v}
    assert "Territorial_units_LV_1.2m_(synthetic).shp" in differ
    assert "raditaju_atlase_aprobacija.xlsx" in differ


def test_units_round_trip(layers: dict, truth: synthetic.SyntheticRegion) -> None:
    units = layers["units"]
    assert units.crs.to_epsg() == settings.CRS_EPSG
    assert list(units["unit_code"]) == list(truth.units["unit_code"])
    assert units["unit_kind"].value_counts().to_dict() == {"parish": 20, "town": 2, "state_city": 1}
    assert units.attrs["load_report"]["rejected"] == 0
    assert units.geometry.is_valid.all()
    # Units tile the region: no overlaps, and the areas are those generated.
    assert units.geometry.area.sum() == pytest.approx(truth.units.geometry.area.sum(), rel=1e-9)
    assert shapely.union_all(units.geometry.values).area == pytest.approx(
        units.geometry.area.sum(), rel=1e-6
    )
    west, south, east, north = units.total_bounds
    assert inside_latvia(np.array([west, east]), np.array([south, north])).all()


def test_municipalities_round_trip(layers: dict) -> None:
    municipalities = layers["municipalities"]
    assert set(municipalities["municipality_code"]) == {"0008000", "0060000"}
    assert dict(
        zip(municipalities["municipality_code"], municipalities["municipality_kind"], strict=True)
    ) == {
        "0008000": "state_city",
        "0060000": "novads",
    }
    assert municipalities.attrs["load_report"]["notes"]["unmatched_names"] == []
    units = layers["units"]
    for row in municipalities.itertuples():
        mine = units[units["municipality_code"] == row.municipality_code]
        assert row.geometry.area == pytest.approx(mine.geometry.area.sum(), rel=1e-6)


def test_population_round_trip(
    layers: dict, truth: synthetic.SyntheticRegion, folder: Path
) -> None:
    population = layers["population"]
    latest = truth.population[truth.population["year"] == 2024]
    assert int(population["population"].sum()) == int(latest["population"].sum())
    merged = population.merge(latest, on="unit_code", suffixes=("", "_made"))
    assert len(merged) == 23
    assert (merged["population"] == merged["population_made"]).all()
    report = population.attrs["load_report"]
    assert report["notes"]["missing_in_table"] == [] and report["notes"]["missing_in_units"] == []
    every_year = load_population(folder / "raditaju_atlase_aprobacija.xlsx", year="all")
    by_year = every_year.groupby("year")["population"].sum()
    assert by_year.to_dict() == truth.population.groupby("year")["population"].sum().to_dict()
    assert by_year[2011] > by_year[2024]  # the region shrinks, as the real one does


def test_stop_table_round_trip(layers: dict, truth: synthetic.SyntheticRegion) -> None:
    stops = layers["stops"].set_index("stop_id")
    made = truth.stops.set_index("stop_id")
    assert sorted(stops.index) == sorted(made.index)
    made = made.loc[stops.index]
    # Listed routes give the generator's reading; the cut village stop is inferred intercity
    # from the routes of the stops around it, as it truly is.
    assert (stops["intercity_evidence"].eq("listed") == made["intercity"]).all()
    assert (stops["intercity"] == made["intercity"] | made["intercity_served"]).all()
    assert (stops["routes_truncated"] == made["routes_truncated"]).all()
    assert (stops["route_count"] == made["route_count"]).all()
    assert [list(r) for r in stops["routes"]] == [list(r) for r in made["routes"]]
    # The generated quirk: a cut route list hides the 7xxx routes of one village stop (both sides).
    hidden = made["routes_truncated"] & ~made["intercity"] & made["intercity_served"]
    assert hidden.sum() == 2
    assert made.loc[hidden, "stop_name"].nunique() == 1
    assert stops.attrs["load_report"]["notes"]["truncated_not_intercity_stops"] == 2
    assert (stops.loc[hidden[hidden].index, "intercity_evidence"] == "cut_inferred").all()
    village = made.loc[hidden, "stop_name"].iloc[0]
    assert village in {v for _, v in synthetic._PARISHES}
    hidden_routes = set(made.loc[hidden, "routes_all"].iloc[0]) - set(
        stops.loc[hidden, "routes"].iloc[0]
    )
    assert any(r.startswith("7") for r in hidden_routes)
    # The state city's bus station lists its intercity routes uncut.
    station = stops[stops["stop_name"] == f"{synthetic._CITY} autoosta"]
    assert len(station) == 2
    assert station["intercity"].all() and not station["routes_truncated"].any()
    assert all(any(r.startswith("7") for r in routes) for routes in station["routes"])
    distance = stops.geometry.distance(gpd.GeoSeries(made.geometry, crs=settings.CRS), align=False)
    assert float(distance.max()) < 0.05


def test_gtfs_zip_round_trip(folder: Path, truth: synthetic.SyntheticRegion) -> None:
    stops = load_stops(folder / "gtfs-latvia-lv.zip").set_index("stop_id")
    made = truth.stops.set_index("stop_id").loc[stops.index]
    assert len(stops) == len(truth.stops)
    # The feed lists every route, so the intercity flag is the one served, not the one listed.
    assert (stops["intercity"] == made["intercity_served"]).all()
    assert [sorted(r) for r in stops["routes"]] == [list(r) for r in made["routes_all"]]
    with zipfile.ZipFile(folder / "gtfs-latvia-lv.zip") as archive:
        assert {"stops.txt", "routes.txt", "trips.txt", "stop_times.txt"} <= set(archive.namelist())


def test_sites_round_trip(layers: dict, truth: synthetic.SyntheticRegion) -> None:
    for key in ("libraries", "centres"):
        loaded = layers[key].set_index("site_id")
        made = truth.__getattribute__(key).set_index("site_id").loc[loaded.index]
        assert len(loaded) == len(made)
        assert list(loaded["name"]) == list(made["name"])
        assert float(loaded.geometry.distance(made.geometry, align=False).max()) < 0.05
    names = " ".join(layers["libraries"]["name"])
    assert '"' in names and "ā" in names
    # Every site lies inside a unit; one parish has no library of its own.
    placed = assign_units(layers["libraries"], layers["units"])
    assert placed["unit_code"].notna().all()
    parishes = set(layers["units"].loc[layers["units"]["unit_kind"] == "parish", "unit_code"])
    assert len(parishes - set(placed["unit_code"])) == 1


def test_some_libraries_are_far_from_intercity_stops(layers: dict) -> None:
    intercity = layers["stops"][layers["stops"]["intercity"]]
    libraries = layers["libraries"]
    xy = np.column_stack([intercity.geometry.x, intercity.geometry.y])
    nearest = [float(np.min(np.hypot(*(xy - (p.x, p.y)).T))) for p in libraries.geometry]
    near = sum(d <= settings.STOP_RULE_DISTANCE_M for d in nearest)
    assert 0 < near < len(libraries)


def test_streets_form_one_connected_walking_network(
    layers: dict, truth: synthetic.SyntheticRegion
) -> None:
    streets = layers["streets"]
    assert set(streets.geom_type) == {"LineString"}
    assert streets.length.sum() == pytest.approx(truth.streets.length.sum(), rel=1e-9)
    network = walk_network(streets)
    assert network.report["components"] == 1
    # Lines meet only at shared end vertices: no crossing without a junction.
    tree = shapely.STRtree(streets.geometry.values)
    left, _ = tree.query(streets.geometry.values, predicate="crosses")
    assert len(left) == 0
    bounds = streets.total_bounds
    assert inside_latvia(bounds[[0, 2]], bounds[[1, 3]]).all()


def test_nearly_everyone_lives_within_snapping_reach_of_a_street(layers: dict) -> None:
    from accessibility.coverage.demand import population_points

    points = population_points(layers["units"], layers["population"])
    streets = shapely.STRtree(layers["streets"].geometry.values)
    _, gap = streets.query_nearest(points.geometry.values, return_distance=True, all_matches=False)
    population = points["population"].to_numpy()
    near = population[gap <= 500.0].sum() / population.sum()
    assert near > 0.97
    # The countryside is reached by minor roads and tracks, not only by the roads between villages.
    kinds = layers["streets"]["highway"].value_counts()
    assert kinds["track"] > 500 and kinds["unclassified"] > kinds["track"] // 2
    assert len(layers["streets"]) < 6_000


def test_manifest_matches_the_files(folder: Path, layers: dict) -> None:
    manifest = json.loads((folder / "synthetic_manifest.json").read_text(encoding="utf-8"))
    assert manifest["units"] == len(layers["units"])
    assert manifest["stops"] == len(layers["stops"])
    listed = layers["stops"]["intercity_evidence"] == "listed"
    assert manifest["stops_intercity_listed"] == int(listed.sum())
    assert manifest["libraries"] == len(layers["libraries"])
    assert manifest["population_total"] == int(layers["population"]["population"].sum())
    assert len(manifest["villages_without_bus"]) == 2
    hiding = layers["stops"][layers["stops"]["routes_truncated"] & ~listed]
    assert manifest["stops_hiding_intercity_names"] == sorted(set(hiding["stop_name"]))
    assert sum(manifest["street_segments_by_highway"].values()) == len(layers["streets"])


def test_find_dataset_reads_the_synthetic_folder(folder: Path) -> None:
    found = {
        key: find_dataset(key, folder).name
        for key in (
            "units",
            "municipalities",
            "population",
            "stops",
            "libraries",
            "centres",
            "streets",
        )
    }
    assert found["units"] == "Territorial_units_LV_1.2m_(synthetic).shp"
    assert found["stops"] == "gtfs-latvia-lv.zip"
    assert load_units(find_dataset("units", folder)).shape[0] == 23


def test_load_region_without_folder_uses_a_temporary_one() -> None:
    layers = synthetic.load_region()
    assert layers["folder"] is None
    assert len(layers["units"]) == 23 and len(layers["centres"]) == 4


def test_fictional_names_do_not_clash_with_real_units(
    real_data: Path, truth: synthetic.SyntheticRegion
) -> None:
    real = load_units(find_dataset("units", real_data))
    assert not set(truth.units["unit_name"]) & set(real["unit_name"])
    assert not set(truth.units["unit_code"]) & set(real["unit_code"])
    assert not set(truth.units["municipality_code"]) & set(real["municipality_code"])


def test_population_workbook_mirrors_the_real_layout(real_data: Path, folder: Path) -> None:
    from openpyxl import load_workbook

    real = load_workbook(find_dataset("population", real_data), read_only=True)
    made = load_workbook(folder / "raditaju_atlase_aprobacija.xlsx", read_only=True)
    sheet = synthetic.POPULATION_SHEET
    assert sheet in real.sheetnames and sheet in made.sheetnames
    real_rows = list(real[sheet].iter_rows(values_only=True))
    made_rows = list(made[sheet].iter_rows(values_only=True))
    assert made_rows[0] == real_rows[0]
    assert [r[0] for r in made_rows[-3:]] == [r[0] for r in real_rows[-3:]]
    assert all(v is None for v in made_rows[-4])
    assert isinstance(made_rows[1][3], str) and len(made_rows[1][3]) == 7


def test_population_frame_is_long_format(truth: synthetic.SyntheticRegion) -> None:
    frame = truth.population
    assert isinstance(frame, pd.DataFrame)
    assert set(frame["year"]) == set(synthetic.POPULATION_YEARS)
    assert (frame["population"] > 0).all()
