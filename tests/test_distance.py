"""nearest, within and distance_matrix: hand-computed examples, edge cases, CRS handling."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from accessibility import CRSError
from accessibility.network.distance import distance_matrix, nearest, within
from accessibility.network.walk import WalkNetwork, walk_network


@pytest.fixture
def streets() -> WalkNetwork:
    """An L-shaped street (0,0)-(100,0)-(100,100) and a bridge (0,50)-(200,50) over it."""
    lines = gpd.GeoSeries(
        [
            shapely.LineString([(0, 0), (100, 0), (100, 100)]),
            shapely.LineString([(0, 50), (200, 50)]),
        ],
        crs="EPSG:3059",
    )
    return walk_network(lines)


def points(coords, index=None) -> gpd.GeoSeries:
    return gpd.GeoSeries(
        shapely.points(np.asarray(coords, dtype=float)), crs="EPSG:3059", index=index
    )


def test_hand_example_distances(streets: WalkNetwork) -> None:
    origins = points([[20, 10], [60, 0], [100, 60], [1000, 1000], [0, 50]])
    targets = points([[105, 60], [40, -1]], index=["a", "b"])
    result = nearest(origins, targets, streets)
    # (20,10): 10 m access leg to (20,0), 20 m along to (40,0), 1 m to b = 31.
    # (60,0): on the street, 20 m back to (40,0), 1 m to b = 21.
    # (100,60): on the street at a's foot, a is 5 m off it = 5.
    assert result["distance"].tolist()[:3] == pytest.approx([31.0, 21.0, 5.0])
    assert result["target"].tolist()[:3] == ["b", "b", "a"]
    assert result["snap_distance"].tolist()[:3] == pytest.approx([10.0, 0.0, 0.0])
    assert (result["method"] == "network").all()
    # Far away: flagged, not attached to the nearest street 900 m off.
    assert result["reason"].iloc[3] == "origin beyond max_snap"
    assert result["distance"].iloc[3] == np.inf
    # On the bridge: it crosses the street without a shared vertex, so no way down.
    assert result["reason"].iloc[4] == "unreachable"
    assert result["distance"].iloc[4] == np.inf
    assert result.index.equals(origins.index)


def test_full_matrix_by_hand(streets: WalkNetwork) -> None:
    origins = points([[20, 10], [60, 0], [100, 60]])
    targets = points([[105, 60], [40, -1]])
    matrix = distance_matrix(origins, targets, 1000, streets)
    # (20,10)->a: 10 + 80 along x + 60 up + 5 = 155; (60,0)->a: 40 + 60 + 5 = 105;
    # (100,60)->b: 60 down + 60 along + 1 = 121.
    np.testing.assert_allclose(matrix.toarray(), [[155, 31], [105, 21], [5, 121]])
    limited = distance_matrix(origins, targets, 100, streets)
    assert limited.nnz == 3  # 31, 21 and 5
    assert limited[0, 0] == 0 and limited[1, 0] == 0


def test_two_points_on_one_edge_get_the_along_edge_distance() -> None:
    # One long edge; a detour would be impossible, nodes are 1000 m apart.
    net = walk_network(gpd.GeoSeries([shapely.LineString([(0, 0), (1000, 0)])], crs="EPSG:3059"))
    origins = points([[300, 3], [500, 0], [700, -4]])
    targets = points([[420, 0]])
    result = nearest(origins, targets, net)
    assert result["distance"].tolist() == pytest.approx([123.0, 80.0, 284.0])
    matrix = distance_matrix(targets, origins, 500, net)
    np.testing.assert_allclose(matrix.toarray(), [[123.0, 80.0, 284.0]])


def test_point_exactly_on_target_is_zero_and_stored(streets: WalkNetwork) -> None:
    # Off the network by 30 m: the walk would be 60 m, but the origin is the target.
    origins = points([[50, 30], [100, 0]])
    targets = points([[50, 30], [100, 0]])
    for net in (streets, None):
        matrix = distance_matrix(origins, targets, 10, net)
        assert matrix.nnz == 2
        assert matrix[0, 0] == 0.0 and matrix[1, 1] == 0.0
        coo = matrix.tocoo()
        assert sorted(zip(coo.row.tolist(), coo.col.tolist())) == [(0, 0), (1, 1)]
        result = nearest(origins, targets, net)
        assert result["distance"].tolist() == [0.0, 0.0]
        assert result["target"].tolist() == [0, 1]


def test_max_distance_and_within(streets: WalkNetwork) -> None:
    origins = points([[20, 10], [60, 0], [0, 50]])
    targets = points([[105, 60]])
    result = within(origins, targets, 120, streets)
    assert result["within"].tolist() == [False, True, False]
    assert result["distance"].iloc[1] == pytest.approx(105.0)
    assert result["reason"].tolist() == ["beyond max_distance", "", "unreachable"]
    assert result["distance"].iloc[0] == np.inf
    # Without the limit the same origin is found, 155 m away: never a large finite stand-in.
    assert nearest(origins, targets, streets)["distance"].iloc[0] == pytest.approx(155.0)
    assert not np.isfinite(nearest(origins, targets, streets)["distance"].iloc[2])


def test_no_targets_and_missing_geometry(streets: WalkNetwork) -> None:
    origins = gpd.GeoSeries([shapely.Point(20, 0), None], crs="EPSG:3059")
    empty = points(np.zeros((0, 2)))
    assert nearest(origins, empty, streets)["reason"].tolist() == [
        "no targets",
        "origin missing geometry",
    ]
    far_targets = points([[5000, 5000]])
    result = nearest(origins, far_targets, streets)
    assert result["reason"].tolist() == ["no target within max_snap", "origin missing geometry"]
    assert result.attrs["notes"]["targets_beyond_max_snap"] == 1
    assert distance_matrix(origins, far_targets, 1e6, streets).nnz == 0


def test_euclidean_is_labelled_and_uses_metres() -> None:
    origins = points([[0, 0], [10, 0]])
    targets = points([[3, 4]], index=["x"])
    result = nearest(origins, targets)
    assert result["distance"].tolist() == pytest.approx([5.0, np.hypot(7, 4)])
    assert (result["method"] == "euclidean").all()
    assert result["snap_distance"].isna().all()
    assert within(origins, targets, 6)["within"].tolist() == [True, False]


def test_geographic_input_is_projected_not_measured_in_degrees() -> None:
    # Two points in Riga 0.01 degree of longitude apart: about 590 m at 56.95 N.
    lonlat = gpd.GeoSeries(shapely.points([[24.10, 56.95], [24.11, 56.95]]), crs="EPSG:4326")
    result = nearest(lonlat.iloc[[0]], lonlat.iloc[[1]])
    assert result["distance"].iloc[0] == pytest.approx(607.0, abs=20)
    with pytest.raises(CRSError):
        nearest(gpd.GeoSeries([shapely.Point(0, 0)]), lonlat)


def test_polygon_origins_use_representative_points(streets: WalkNetwork) -> None:
    square = gpd.GeoSeries([shapely.box(10, 5, 30, 15)], crs="EPSG:3059")
    result = nearest(square, points([[20, 0]]), streets)
    assert result.attrs["notes"]["origins_representative_points"] == 1
    assert result["distance"].iloc[0] == pytest.approx(10.0)


def test_network_in_other_crs_inputs() -> None:
    lines = gpd.GeoSeries([shapely.LineString([(24.10, 56.95), (24.12, 56.95)])], crs="EPSG:4326")
    net = walk_network(lines)
    assert net.edge_length[0] == pytest.approx(1215, abs=15)
    origins = gpd.GeoSeries([shapely.Point(24.10, 56.95)], crs="EPSG:4326")
    targets = gpd.GeoSeries([shapely.Point(24.12, 56.95)], crs="EPSG:4326")
    assert nearest(origins, targets, net)["distance"].iloc[0] == pytest.approx(net.edge_length[0])


def test_oneway_foot_is_respected() -> None:
    net = WalkNetwork.from_arrays(
        [[0, 0], [100, 0], [100, 100], [0, 100]],
        [0, 1, 2, 3],
        [1, 2, 3, 0],
        edge_oneway=[True, False, False, False],
    )
    a, b = points([[0, 0]]), points([[100, 0]])
    assert nearest(a, b, net)["distance"].iloc[0] == pytest.approx(100.0)
    # Against the one-way edge the walk goes round the square.
    assert nearest(b, a, net)["distance"].iloc[0] == pytest.approx(300.0)
    assert distance_matrix(b, a, 1000, net).toarray()[0, 0] == pytest.approx(300.0)
    assert distance_matrix(a, b, 1000, net).toarray()[0, 0] == pytest.approx(100.0)
    # Two points on the one-way edge: along it one way, round the square the other.
    first, second = points([[20, 0]]), points([[70, 0]])
    assert nearest(first, second, net)["distance"].iloc[0] == pytest.approx(50.0)
    assert nearest(second, first, net)["distance"].iloc[0] == pytest.approx(350.0)
    assert distance_matrix(second, first, 1000, net).toarray()[0, 0] == pytest.approx(350.0)


def test_invalid_limits_raise(streets: WalkNetwork) -> None:
    with pytest.raises(ValueError, match="cutoff"):
        distance_matrix(points([[0, 0]]), points([[1, 1]]), -1, streets)
    with pytest.raises(ValueError, match="distance"):
        within(points([[0, 0]]), points([[1, 1]]), float("nan"))


def test_benchmark_script_runs_quick(capsys) -> None:
    import runpy
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "scripts" / "bench_distance.py"
    argv = sys.argv
    sys.argv = [str(script), "--quick", "--no-pandana"]
    try:
        with pytest.raises(SystemExit) as done:
            runpy.run_path(str(script), run_name="__main__")
    finally:
        sys.argv = argv
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "nearest() warm / raw kernel" in out
    assert "networkx search alone" in out


@pytest.mark.realdata
def test_real_bus_stops_straight_line_matches_geodesic(real_data) -> None:
    """ATD bus stops (lon/lat): EPSG:3059 distances agree with geodesic ones to 0.05%."""
    import pandas as pd
    from pyproj import Geod

    table = pd.read_csv(real_data / "atd_regional_bus_stops" / "gtfs_atd.csv", dtype={"id": str})
    assert len(table) == 10_179
    stops = gpd.GeoSeries(shapely.points(table[["x", "y"]].to_numpy()), crs="EPSG:4326")
    origins, targets = stops.iloc[::2], stops.iloc[1::2]
    result = nearest(origins, targets)
    assert result["reason"].eq("").all() and np.isfinite(result["distance"]).all()
    o = shapely.get_coordinates(origins.values)
    t = shapely.get_coordinates(targets.loc[result["target"].to_numpy()].values)
    _, _, geodesic = Geod(ellps="GRS80").inv(o[:, 0], o[:, 1], t[:, 0], t[:, 1])
    far = geodesic > 50  # relative error is meaningless for stops a few metres apart
    ratio = result["distance"].to_numpy()[far] / geodesic[far]
    assert np.abs(ratio - 1).max() < 5e-4
    # within() and the matrix agree with nearest(): an origin has a stored pair within 700 m
    # exactly when its nearest target is within 700 m.
    close = (result["distance"] <= 700).to_numpy()
    assert 0.5 < close.mean() < 1.0
    np.testing.assert_array_equal(within(origins, targets, 700)["within"].to_numpy(), close)
    pairs = distance_matrix(origins, targets, 700)
    np.testing.assert_array_equal(np.diff(pairs.indptr) > 0, close)
    row_min = np.minimum.reduceat(pairs.data, pairs.indptr[:-1][close])
    np.testing.assert_allclose(row_min, result["distance"].to_numpy()[close])
