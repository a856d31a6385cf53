"""Walking distances on random networks agree with an independent networkx computation."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.spatial import Delaunay

from accessibility.network.distance import distance_matrix, nearest
from accessibility.network.walk import walk_network

MAX_SNAP = 60.0


def random_lines(rng: np.random.Generator) -> list[shapely.LineString]:
    """A planar-ish street net (thinned Delaunay edges), a few bridges and an island."""
    n = int(rng.integers(6, 40))
    pts = rng.uniform(0, 1000, size=(n, 2))
    tri = Delaunay(pts)
    pairs = set()
    for simplex in tri.simplices:
        for a, b in ((0, 1), (1, 2), (0, 2)):
            pairs.add(tuple(sorted((int(simplex[a]), int(simplex[b])))))
    pairs = sorted(pairs)
    keep = rng.random(len(pairs)) > 0.3
    lines = []
    for (a, b), k in zip(pairs, keep):
        if not k:
            continue
        # Some edges get a bend (an interior vertex that is not a node).
        if rng.random() < 0.3:
            mid = (pts[a] + pts[b]) / 2 + rng.normal(0, 20, 2)
            lines.append(shapely.LineString([pts[a], mid, pts[b]]))
        else:
            lines.append(shapely.LineString([pts[a], pts[b]]))
    # Bridges: cross the net without sharing a vertex.
    for _ in range(int(rng.integers(0, 3))):
        lines.append(shapely.LineString(rng.uniform(0, 1000, size=(2, 2))))
    # An island far away.
    lines.append(shapely.LineString([(3000, 3000), (3100, 3000), (3100, 3080)]))
    return lines


def random_points(rng: np.random.Generator, net, k: int) -> np.ndarray:
    """Points anywhere, on nodes, in the middle of edges, beyond max_snap, and on the island."""
    out = []
    for _ in range(k):
        kind = rng.integers(0, 5)
        if kind == 0:
            out.append(net.node_xy[rng.integers(0, net.n_nodes)])
        elif kind == 1:
            geom = net.edge_geometry[rng.integers(0, net.n_edges)]
            out.append(
                np.array(shapely.line_interpolate_point(geom, 0.5, normalized=True).coords[0])
            )
        elif kind == 2:
            out.append(rng.uniform(-200, 1200, 2))
        elif kind == 3:
            out.append(np.array([3050.0, 3000.0]) + rng.normal(0, 10, 2))
        else:
            out.append(rng.uniform(0, 1000, 2))
    return np.array(out)


def independent(net, origins: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """All origin-target walking distances from a brute-force snap and networkx Dijkstra.

    No virtual nodes: a pair on different edges goes via the four end-node combinations,
    a pair on the same edge also along the edge directly.
    """
    graph = nx.Graph()
    graph.add_nodes_from(range(net.n_nodes))
    for u, v, length in zip(net.edge_u, net.edge_v, net.edge_length):
        if not graph.has_edge(u, v) or graph[u][v]["weight"] > length:
            graph.add_edge(int(u), int(v), weight=float(length))
    node_dist = dict(nx.all_pairs_dijkstra_path_length(graph, weight="weight"))

    def attach(xy):
        point = shapely.Point(xy)
        d = shapely.distance(point, net.edge_geometry)
        e = int(np.argmin(d))
        if d[e] > MAX_SNAP:
            return None
        pos = float(shapely.line_locate_point(net.edge_geometry[e], point))
        return e, pos, float(d[e])

    o_att = [attach(p) for p in origins]
    t_att = [attach(p) for p in targets]
    out = np.full((len(origins), len(targets)), np.inf)
    for i, oa in enumerate(o_att):
        for j, ta in enumerate(t_att):
            if np.array_equal(origins[i], targets[j]):
                out[i, j] = 0.0
                continue
            if oa is None or ta is None:
                continue
            eo, po, so = oa
            et, pt, st_ = ta
            lo, lt = net.edge_length[eo], net.edge_length[et]
            ends_o = ((net.edge_u[eo], po), (net.edge_v[eo], lo - po))
            ends_t = ((net.edge_u[et], pt), (net.edge_v[et], lt - pt))
            best = np.inf
            if eo == et:
                best = abs(po - pt)
            for a, da in ends_o:
                for b, db in ends_t:
                    best = min(best, da + node_dist[int(a)].get(int(b), np.inf) + db)
            out[i, j] = so + best + st_
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1))
def test_nearest_and_matrix_match_networkx(seed: int) -> None:
    rng = np.random.default_rng(seed)
    lines = gpd.GeoSeries(random_lines(rng), crs="EPSG:3059")
    net = walk_network(lines)
    origins = random_points(rng, net, int(rng.integers(1, 25)))
    targets = random_points(rng, net, int(rng.integers(1, 8)))
    if rng.random() < 0.3:
        origins[0] = targets[0]  # an origin exactly on a target
    expected = independent(net, origins, targets)

    o_layer = gpd.GeoSeries(shapely.points(origins), crs="EPSG:3059")
    t_layer = gpd.GeoSeries(
        shapely.points(targets), crs="EPSG:3059", index=[f"t{j}" for j in range(len(targets))]
    )
    result = nearest(o_layer, t_layer, net, max_snap=MAX_SNAP)
    best = expected.min(axis=1)
    np.testing.assert_allclose(result["distance"].to_numpy(), best, rtol=1e-9, atol=1e-6)
    for i, label in enumerate(result["target"]):
        if np.isfinite(best[i]):
            j = int(label[1:])
            assert expected[i, j] == pytest.approx(best[i], abs=1e-6)
            assert result["reason"].iloc[i] == ""
        else:
            assert result["reason"].iloc[i] != ""
            assert result["distance"].iloc[i] == np.inf

    cutoff = float(rng.uniform(100, 1500))
    matrix = distance_matrix(o_layer, t_layer, cutoff, net, max_snap=MAX_SNAP)
    dense = to_dense_inf(matrix)
    want = np.where(expected <= cutoff, expected, np.inf)
    # Pairs within rounding of the cutoff may fall either side.
    edge = np.abs(expected - cutoff) < 1e-6
    np.testing.assert_allclose(dense[~edge], want[~edge], rtol=1e-9, atol=1e-6)
    # The transposed question gives the transposed matrix (the network is undirected).
    back = distance_matrix(t_layer, o_layer, cutoff, net, max_snap=MAX_SNAP)
    np.testing.assert_allclose(to_dense_inf(back), dense.T, rtol=1e-9, atol=1e-6)


def to_dense_inf(matrix) -> np.ndarray:
    """Stored entries as they are (zeros included), absent entries as inf."""
    dense = np.full(matrix.shape, np.inf)
    coo = matrix.tocoo()
    dense[coo.row, coo.col] = coo.data
    return dense
