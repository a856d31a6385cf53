"""Service areas follow the streets, including partly reached edges, and agree with nearest()."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from accessibility.network.distance import nearest
from accessibility.network.service_areas import service_areas, substrings
from accessibility.network.walk import walk_network


@pytest.fixture
def streets():
    return walk_network(
        gpd.GeoSeries(
            [
                shapely.LineString([(0, 0), (100, 0), (100, 100)]),
                shapely.LineString([(0, 50), (200, 50)]),  # a bridge: never reached
                shapely.LineString([(100, 0), (300, 0)]),
            ],
            crs="EPSG:3059",
        )
    )


def test_reached_length_by_hand(streets) -> None:
    facility = gpd.GeoSeries(
        [shapely.Point(50, 10), shapely.Point(5000, 0)], crs="EPSG:3059", index=["A", "B"]
    )
    areas = service_areas(facility, [30, 100, 400], streets, buffer=1.0)
    assert areas["facility"].tolist() == ["A", "A", "A", "B", "B", "B"]
    assert areas["distance"].tolist() == [30, 100, 400] * 2
    # 10 m access leg, then 20 m each way; then 90 m each way: 50 + 50 + 40 up + 40 on;
    # then everything but the bridge (400 m of street).
    assert areas["reached_length_m"].tolist()[:3] == pytest.approx([40.0, 180.0, 400.0])
    # Buffered lines: area about 2 m times the length reached plus the leg, plus round ends.
    assert areas.area.iloc[0] == pytest.approx(2 * (40 + 10), abs=4)
    assert areas.area.iloc[1] == pytest.approx(2 * (180 + 10), abs=6)
    assert not areas.geometry.iloc[2].intersects(shapely.Point(150, 50))  # the bridge
    assert areas.geometry.iloc[1].contains(shapely.Point(100, 39))
    assert not areas.geometry.iloc[1].contains(shapely.Point(100, 42))
    assert areas["reason"].tolist()[3:] == ["facility beyond max_snap"] * 3
    assert areas.geometry.iloc[3].is_empty
    assert areas.crs == "EPSG:3059"


def test_area_agrees_with_nearest_on_random_network() -> None:
    rng = np.random.default_rng(7)
    pts = rng.uniform(0, 1000, (40, 2))
    from scipy.spatial import Delaunay

    tri = Delaunay(pts)
    pairs = {
        tuple(sorted((int(s[a]), int(s[b]))))
        for s in tri.simplices
        for a, b in ((0, 1), (1, 2), (0, 2))
    }
    lines = [
        shapely.LineString([pts[a], (pts[a] + pts[b]) / 2 + rng.normal(0, 15, 2), pts[b]])
        for a, b in sorted(pairs)
        if rng.random() > 0.35
    ]
    net = walk_network(gpd.GeoSeries(lines, crs="EPSG:3059"))
    facility = gpd.GeoSeries([shapely.Point(500, 480)], crs="EPSG:3059")
    areas = service_areas(facility, [300, 650], net, buffer=0.01)
    # Probe points lying on the streets: inside the area exactly when walked within the distance.
    edges = rng.integers(0, net.n_edges, 600)
    probes = shapely.line_interpolate_point(
        net.edge_geometry[edges], rng.random(600), normalized=True
    )
    walked = nearest(gpd.GeoSeries(probes, crs="EPSG:3059"), facility, net)["distance"].to_numpy()
    for level, area in zip(areas["distance"], areas.geometry):
        inside = shapely.contains(area, probes) | shapely.touches(area, probes)
        clear = np.abs(walked - level) > 0.1
        assert clear.sum() > 500
        np.testing.assert_array_equal(inside[clear], (walked <= level)[clear])


def test_substrings_follow_curves() -> None:
    line = shapely.LineString([(0, 0), (10, 0), (10, 10)])
    out = substrings(
        np.array([line, line, line], dtype=object),
        np.array([5.0, 0.0, 12.0]),
        np.array([15.0, 20.0, 13.0]),
    )
    assert out[0].equals(shapely.LineString([(5, 0), (10, 0), (10, 5)]))
    assert out[1].equals(line)
    assert out[2].equals(shapely.LineString([(10, 2), (10, 3)]))


def test_bad_distances(streets) -> None:
    facility = gpd.GeoSeries([shapely.Point(0, 0)], crs="EPSG:3059")
    with pytest.raises(ValueError):
        service_areas(facility, [-5], streets)
    with pytest.raises(ValueError):
        service_areas(facility, 100, streets, buffer=0)
    single = service_areas(facility, 100, streets)
    assert len(single) == 1 and single["reached_length_m"].iloc[0] == pytest.approx(100.0)


def test_empty_input_and_access_leg_longer_than_distance(streets) -> None:
    empty = service_areas(gpd.GeoSeries([], crs="EPSG:3059"), [100], streets)
    assert len(empty) == 0 and "facility" in empty.columns
    facilities = gpd.GeoSeries([shapely.Point(50, 60), shapely.Point(50, 0)], crs="EPSG:3059")
    areas = service_areas(facilities, [100, 10], streets)
    assert areas["facility"].tolist() == [0, 0, 1, 1]
    assert areas["distance"].tolist() == [10, 100, 10, 100]
    # The facility at (50, 60) snaps to the bridge 10 m below it: a 10 m budget is spent on
    # the access leg; 100 m leave 90 m: 50 m to the bridge end on one side, 90 m on the other.
    assert areas["reached_length_m"].iloc[0] == pytest.approx(0.0)
    assert areas["reached_length_m"].iloc[1] == pytest.approx(140.0)
    assert areas["reached_length_m"].iloc[2] == pytest.approx(20.0)
