"""Snapping attaches points to the nearest edge (not node), exactly, with max_snap enforced."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from accessibility.network import snapping
from accessibility.network.snapping import snap, snap_points
from accessibility.network.walk import walk_network


def random_network(seed: int):
    rng = np.random.default_rng(seed)
    lines = []
    for _ in range(60):
        n = int(rng.integers(2, 6))
        start = rng.uniform(0, 2000, 2)
        # Some long edges (several sample spacings) with bends.
        lines.append(shapely.LineString(start + np.cumsum(rng.normal(0, 150, (n, 2)), axis=0)))
    return walk_network(gpd.GeoSeries(lines, crs="EPSG:3059")), rng


def reference(network, xy, max_snap):
    """Brute force: distance to every edge, nearest one, its position along the edge."""
    pts = shapely.points(xy)
    dist = shapely.distance(pts[:, None], network.edge_geometry[None, :])
    edge = dist.argmin(axis=1)
    best = dist[np.arange(len(xy)), edge]
    pos = shapely.line_locate_point(network.edge_geometry[edge], pts)
    return edge, best, pos, best <= max_snap


@pytest.mark.parametrize("samples", [8, 1])
def test_snap_matches_brute_force(monkeypatch, samples: int) -> None:
    # With one sample per point most answers cannot be proven and take the R-tree path.
    monkeypatch.setattr(snapping, "SAMPLES_PER_POINT", samples)
    network, rng = random_network(1)
    xy = rng.uniform(-300, 2300, (400, 2))
    xy[:20] = network.node_xy[:20]  # on nodes
    result = snap(network, xy, max_snap=120.0)
    edge, best, pos, ok = reference(network, xy, 120.0)
    np.testing.assert_array_equal(result.ok, ok)
    np.testing.assert_allclose(result.distance[ok], best[ok], atol=1e-9)
    assert (result.distance[~ok] == np.inf).all()
    # Where two edges are equally near (at a shared node) either may be chosen; the point on
    # the network must be the same.
    here = shapely.line_interpolate_point(
        network.edge_geometry[result.edge[ok]], result.position[ok]
    )
    there = shapely.line_interpolate_point(network.edge_geometry[edge[ok]], pos[ok])
    assert shapely.distance(here, there).max() < 1e-6
    assert (result.edge[ok] == edge[ok]).mean() > 0.9


def test_nearest_edge_not_nearest_node() -> None:
    # A long street: the point is 5 m from its middle but 500 m from either end node.
    network = walk_network(
        gpd.GeoSeries([shapely.LineString([(0, 0), (1000, 0)])], crs="EPSG:3059")
    )
    out = snap_points(
        network, gpd.GeoSeries([shapely.Point(500, 5), shapely.Point(500, 700)], crs="EPSG:3059")
    )
    assert out["snap_distance"].iloc[0] == pytest.approx(5.0)
    assert out["position"].iloc[0] == pytest.approx(500.0)
    assert out.geometry.iloc[0].equals(shapely.Point(500, 0))
    assert not out["snapped"].iloc[1] and out["edge"].iloc[1] == -1
    assert out["snap_distance"].iloc[1] == np.inf
    assert out.geometry.iloc[1].is_empty


def test_snap_in_lonlat_input() -> None:
    network = walk_network(
        gpd.GeoSeries([shapely.LineString([(24.10, 56.95), (24.12, 56.95)])], crs="EPSG:4326")
    )
    out = snap_points(network, gpd.GeoSeries([shapely.Point(24.11, 56.9501)], crs="EPSG:4326"))
    # 0.0001 degree of latitude is about 11 m; never 0.0001 "metres".
    assert out["snap_distance"].iloc[0] == pytest.approx(11.1, abs=0.3)
