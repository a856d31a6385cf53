"""assign_units: points to territorial units by location, borders and points outside."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import Point, box

from accessibility import assign_units, get_report, load_units
from accessibility._loadreport import LoadReport, attach


def _units() -> gpd.GeoDataFrame:
    # Two adjacent 1 km squares sharing the border x = 641 000.
    return gpd.GeoDataFrame(
        {
            "unit_code": ["0038410", "0038200"],
            "unit_name": ["Aronas pagasts", "Madona"],
            "unit_kind": ["parish", "town"],
            "municipality_code": ["0038000", "0038000"],
            "municipality_name": ["Madonas novads", "Madonas novads"],
        },
        geometry=[box(640_000, 280_000, 641_000, 281_000), box(641_000, 280_000, 642_000, 281_000)],
        crs="EPSG:3059",
    )


def _points() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"site_id": ["a", "b", "border", "far", "empty"]},
        geometry=[
            Point(640_500, 280_500),
            Point(641_500, 280_500),
            Point(641_000, 280_500),
            Point(700_000, 300_000),
            None,
        ],
        index=[10, 20, 30, 40, 50],
        crs="EPSG:3059",
    )


def test_inside_border_and_outside() -> None:
    out = assign_units(_points(), _units())
    assert out.index.tolist() == [10, 20, 30, 40, 50]
    assert out["unit_code"].tolist()[:3] == ["0038410", "0038200", "0038200"]
    assert out["municipality_code"].tolist()[:3] == ["0038000", "0038000", "0038000"]
    assert out[["unit_code", "municipality_code"]].isna().sum().tolist() == [2, 2]
    assert out.loc[[40, 50], "unit_code"].isna().all()
    notes = get_report(out)["notes"]
    assert notes["outside_units"] == {"count": 2, "ids": ["far", "empty"]}
    # On the shared border: the touching unit with the smallest code, whatever the unit order.
    assert notes["on_border"] == {"count": 1, "ids": ["border"]}
    reversed_units = assign_units(_points(), _units().iloc[::-1])
    assert reversed_units["unit_code"].equals(out["unit_code"])


def test_any_crs_in_working_crs_out() -> None:
    points = _points().iloc[:2].to_crs("EPSG:4326")
    units = _units().to_crs("EPSG:3857")
    out = assign_units(points, units)
    assert out.crs.to_epsg() == 3059
    assert out["unit_code"].tolist() == ["0038410", "0038200"]
    assert out.geometry.distance(_points().geometry.iloc[:2], align=False).max() < 0.01


def test_existing_codes_replaced_and_report_kept() -> None:
    points = _points().iloc[:2].copy()
    points["unit_code"] = ["stale", "stale"]
    report = LoadReport(source="libraries.csv", read=3)
    report.reject(4, "no coordinates", field="lat")
    attach(points, report)
    out = assign_units(points, _units())
    assert out["unit_code"].tolist() == ["0038410", "0038200"]
    merged = get_report(out)
    assert merged["source"] == "libraries.csv" and merged["rejected"] == 1
    assert merged["notes"]["outside_units"]["count"] == 0
    # The input is not modified.
    assert points["unit_code"].tolist() == ["stale", "stale"]


def test_ids_from_the_index_when_no_id_column() -> None:
    points = _points().drop(columns="site_id")
    notes = get_report(assign_units(points, _units()))["notes"]
    assert notes["outside_units"]["ids"] == [40, 50]


@pytest.mark.realdata
def test_real_units_own_points_come_back(real_data: Path) -> None:
    units = load_units(real_data / "csb_territorial_units_2024_01_01")
    # A point guaranteed inside each polygon must be assigned to that very unit.
    points = gpd.GeoDataFrame(
        {"site_id": units["unit_code"].to_numpy()},
        geometry=shapely.point_on_surface(units.geometry.to_numpy()),
        crs=units.crs,
    ).to_crs("EPSG:4326")
    out = assign_units(points, units)
    assert (out["unit_code"] == out["site_id"]).all()
    assert (out["municipality_code"].to_numpy() == units["municipality_code"].to_numpy()).all()
    # Independent check on random points: brute-force point-in-polygon with shapely.
    rng = np.random.default_rng(7)
    west, south, east, north = units.total_bounds
    xy = rng.uniform([west, south], [east, north], size=(400, 2))
    random_points = gpd.GeoDataFrame(geometry=shapely.points(xy), crs=units.crs)
    assigned = assign_units(random_points, units)
    got = [c if isinstance(c, str) else None for c in assigned["unit_code"]]
    geoms = units.geometry.to_numpy()
    codes = units["unit_code"].to_numpy()
    expected = []
    for p in random_points.geometry:
        hits = codes[shapely.contains(geoms, p)]
        expected.append(min(hits) if len(hits) else None)
    assert got == expected
    assert (
        0 < sum(c is None for c in got) == get_report(assigned)["notes"]["outside_units"]["count"]
    )
