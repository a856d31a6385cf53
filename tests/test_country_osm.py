"""The synthetic country extract: generated small, read back as a walking network and libraries."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import networkx as nx
import numpy as np
import pytest
from pyproj import Transformer
from scipy.sparse.csgraph import dijkstra

import accessibility as acc
import accessibility.network._cache as network_cache
from accessibility.io._osm import read_osm
from accessibility.io.library_counts import (
    describe_library_source,
    libraries_per_municipality,
    read_library_counts,
)
from accessibility.network.walk import WALK_FILTER

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "synthetic_country_osm.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("synthetic_country_osm", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Dataclasses look their module up in sys.modules while the class is being made.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def country(real_data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    script = _script()
    out = tmp_path_factory.mktemp("country") / "synthetic.osm.pbf"
    builder, libraries = script.build(real_data, 0.01, 0)
    counts = script.write(builder, libraries, out)
    return out, counts


def test_small_country_file_has_what_was_written(country: tuple[Path, dict]) -> None:
    path, counts = country
    data = read_osm(path, node_filter={"amenity": "library"}, way_filter=None)
    assert len(data.ways) == counts["ways"]
    assert len(data.nodes.tags) == counts["libraries"]
    tags = data.ways.tags
    kinds = {t.get("highway", t.get("route", t.get("building") and "building")) for t in tags}
    assert {"trunk", "residential", "footway", "steps", "track", "ferry", "building"} <= kinds
    assert any(t.get("foot") == "no" for t in tags)
    assert any(t.get("oneway") == "yes" for t in tags)


def test_walking_network_keeps_walkable_ways_only(country: tuple[Path, dict]) -> None:
    path, _ = country
    network = acc.walk_network(path)
    data = read_osm(path, way_filter={"highway": True})
    walkable = np.array([WALK_FILTER(t) for t in data.ways.tags])
    assert network.report["ways_kept"] == int(walkable.sum())
    assert walkable.sum() < len(walkable)  # foot=no, private and motorway ways were left out
    # Nodes of ferries and buildings are in no edge.
    everything = read_osm(path, way_filter=None)
    unwalked = [
        i
        for i, t in enumerate(everything.ways.tags)
        if "highway" not in t and ("route" in t or "building" in t)
    ]
    inner = np.concatenate([everything.ways.node_refs(i)[1:-1] for i in unwalked])
    assert not np.isin(network.node_id, inner).any()
    # One country: the largest component holds nearly every node.
    assert network.report["largest_component_nodes"] > 0.95 * network.n_nodes


def test_network_distances_match_networkx_on_the_raw_ways(country: tuple[Path, dict]) -> None:
    """Shortest walks between OSM nodes equal networkx's on a graph of the raw way segments."""
    path, _ = country
    network = acc.walk_network(path)
    data = read_osm(path, way_filter=lambda t: WALK_FILTER(t), way_keys=("highway",))
    lon, lat = data.nodes.locate(data.ways.refs)
    x, y = Transformer.from_crs(4326, 3059, always_xy=True).transform(lon, lat)
    graph = nx.Graph()
    for i in range(len(data.ways)):
        a, b = data.ways.offsets[i], data.ways.offsets[i + 1]
        refs = data.ways.refs[a:b]
        seg = np.hypot(np.diff(x[a:b]), np.diff(y[a:b]))
        for u, v, w in zip(refs[:-1].tolist(), refs[1:].tolist(), seg.tolist(), strict=True):
            if not graph.has_edge(u, v) or graph[u][v]["weight"] > w:
                graph.add_edge(u, v, weight=w)
    rng = np.random.default_rng(1)
    largest = np.flatnonzero(network.component_labels() == 0)
    sources = rng.choice(largest, 3, replace=False)
    targets = rng.choice(largest, 40, replace=False)
    csr, _ = network.graph()
    ours = dijkstra(csr, indices=sources)[:, targets]
    for k, s in enumerate(sources):
        theirs = nx.single_source_dijkstra_path_length(graph, int(network.node_id[s]))
        expected = np.array([theirs[int(network.node_id[t])] for t in targets])
        np.testing.assert_allclose(ours[k], expected, rtol=1e-9, atol=1e-6)


def test_network_cache_loads_the_same_network(
    country: tuple[Path, dict], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, _ = country
    monkeypatch.setenv(network_cache.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(network_cache, "CACHE_MIN_BYTES", 0)
    built = acc.walk_network(path)
    entries = list((tmp_path / "cache").glob("walk-*.npz"))
    assert len(entries) == 1 and built.source["cache"] == str(entries[0])
    loaded = acc.walk_network(path)
    assert loaded.source["cache"] == str(entries[0]) and "built" in loaded.source
    for name in ("node_xy", "edge_u", "edge_v", "edge_oneway", "node_id"):
        np.testing.assert_array_equal(getattr(built, name), getattr(loaded, name))
    np.testing.assert_allclose(built.edge_length, loaded.edge_length, rtol=0, atol=1e-9)
    # Another filter is another entry; a custom callable is never cached.
    acc.walk_network(path, walk_filter=acc.WalkFilter(exclude_highway=frozenset()))
    assert len(list((tmp_path / "cache").glob("walk-*.npz"))) == 2
    acc.walk_network(path, walk_filter=lambda tags: "highway" in tags)
    assert len(list((tmp_path / "cache").glob("walk-*.npz"))) == 2
    monkeypatch.setenv(network_cache.CACHE_ENV, "0")
    assert "cache" not in acc.walk_network(path).source


def test_libraries_from_the_country_file_against_csb(
    country: tuple[Path, dict], real_data: Path
) -> None:
    path, counts = country
    libraries = acc.load_libraries(path)
    assert len(libraries) == counts["libraries"]
    assert "synthetic" in describe_library_source(libraries)
    csb = read_library_counts(real_data)
    assert len(csb) == 43 and sum(csb.values()) == 712
    units = acc.load_units(acc.find_dataset("units", real_data))
    table = libraries_per_municipality(libraries, units, csb)
    assert len(table) == 43
    assert table["found"].sum() + table.attrs["outside_units"] == len(libraries)
    # The generator writes about 85 % of CSB's count; placement jitter moves a few across borders.
    assert 0.75 < table["found"].sum() / 712 < 0.95


def test_library_source_is_described_for_the_ministry_comparison(tmp_path: Path) -> None:
    import osmium
    from osmium.osm.mutable import Node

    path = tmp_path / "real-looking.osm.pbf"
    writer = osmium.SimpleWriter(str(path))  # pyosmium's own generator header
    writer.add_node(Node(id=1, location=(24.1, 56.95), tags={"amenity": "library", "name": "B"}))
    writer.close()
    from_osm = acc.load_libraries(path)
    assert len(from_osm) == 1
    assert "OpenStreetMap amenity=library" in describe_library_source(from_osm)
    table = tmp_path / "libraries.csv"
    table.write_text("id,name,lon,lat\n1,B,24.1,56.95\n", encoding="utf-8")
    assert describe_library_source(acc.load_libraries(table)) == ""
