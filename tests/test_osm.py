"""Tests of the OpenStreetMap reader (XML and PBF written by the tests)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import osmium
import pytest
from osmium.osm.mutable import Node, Way

from accessibility import InputFileError
from accessibility.io._osm import read_osm

# id -> (lon, lat, tags); node 99 is referenced by a way but absent from the file.
NODES = {
    1: (24.1000001, 56.9500001, {}),
    2: (24.1100000, 56.9600000, {}),
    3: (24.1234567, 56.9712345, {"amenity": "library", "name": "Bibliotēka"}),
    4: (24.1300000, 56.9800000, {"shop": "bakery"}),
    5: (24.1400000, 56.9900000, {"amenity": "library", "name": "Otrā"}),
}
WAYS = {
    10: ([1, 2, 3], {"highway": "footway"}),
    11: ([2, 99], {"highway": "motorway"}),
    12: ([1, 2, 4, 1], {"amenity": "library", "name": "Ēka"}),
    13: ([1, 2], {}),
    14: ([3, 4], {"highway": "path", "foot": "yes"}),
}


def _write_xml(path: Path) -> Path:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="tests">']
    for node_id, (lon, lat, tags) in NODES.items():
        body = "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items())
        lines.append(
            f'<node id="{node_id}" lat="{lat:.7f}" lon="{lon:.7f}" version="1">{body}</node>'
        )
    for way_id, (refs, tags) in WAYS.items():
        body = "".join(f'<nd ref="{r}"/>' for r in refs)
        body += "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items())
        lines.append(f'<way id="{way_id}" version="1">{body}</way>')
    lines.append("</osm>")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _write_pbf(path: Path) -> Path:
    writer = osmium.SimpleWriter(str(path))
    try:
        for node_id, (lon, lat, tags) in NODES.items():
            writer.add_node(Node(id=node_id, location=(lon, lat), tags=tags))
        for way_id, (refs, tags) in WAYS.items():
            writer.add_way(Way(id=way_id, nodes=refs, tags=tags))
    finally:
        writer.close()
    return path


@pytest.fixture(params=["xml", "pbf"])
def osm_file(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    if request.param == "xml":
        return _write_xml(tmp_path / "sample.osm")
    return _write_pbf(tmp_path / "sample.osm.pbf")


def test_default_reads_tagged_ways_with_locations(osm_file: Path) -> None:
    data = read_osm(osm_file)
    # Way 13 has no tags: the default keeps tagged ways only.
    assert data.ways.ids.tolist() == [10, 11, 12, 14]
    assert data.ways.node_refs(0).tolist() == [1, 2, 3]
    assert data.ways.node_refs(2).tolist() == [1, 2, 4, 1]
    assert data.ways.offsets.tolist() == [0, 3, 5, 9, 11]
    assert data.ways.tags[3] == {"highway": "path", "foot": "yes"}
    # No node tags by default, but every way node has its coordinates.
    assert data.nodes.tags == {}
    assert data.nodes.ids.tolist() == [1, 2, 3, 4, 99]
    lon, lat = data.way_lonlat(0)
    np.testing.assert_allclose(lon, [NODES[i][0] for i in (1, 2, 3)], atol=1e-9)
    np.testing.assert_allclose(lat, [NODES[i][1] for i in (1, 2, 3)], atol=1e-9)


def test_missing_way_node_is_nan_and_counted(osm_file: Path) -> None:
    data = read_osm(osm_file)
    assert data.missing_nodes == 1
    lon, lat = data.way_lonlat(1)
    assert np.isfinite(lon[0]) and np.isnan(lon[1]) and np.isnan(lat[1])


def test_mapping_filters_match_values(osm_file: Path) -> None:
    data = read_osm(
        osm_file,
        node_filter={"amenity": "library"},
        way_filter={"highway": {"footway", "path"}},
    )
    assert data.ways.ids.tolist() == [10, 14]
    assert sorted(data.nodes.tags) == [3, 5]
    assert data.nodes.tags[3] == {"amenity": "library", "name": "Bibliotēka"}
    # Node 5 is kept though no way uses it; node 99 is not, since way 11 was filtered out.
    assert data.nodes.ids.tolist() == [1, 2, 3, 4, 5]
    assert data.missing_nodes == 0


def test_mapping_keys_are_or_and_true_means_any_value(osm_file: Path) -> None:
    data = read_osm(osm_file, node_filter={"shop": True, "name": "Otrā"}, way_filter=False)
    assert sorted(data.nodes.tags) == [4, 5]
    assert len(data.ways) == 0


def test_callable_filter_and_everything_tagged(osm_file: Path) -> None:
    data = read_osm(
        osm_file,
        node_filter=None,
        way_filter=lambda tags: tags.get("amenity") == "library",
    )
    assert sorted(data.nodes.tags) == [3, 4, 5]
    assert data.ways.ids.tolist() == [12]
    assert data.ways.is_closed().tolist() == [True]


def test_precise_coordinates(osm_file: Path) -> None:
    data = read_osm(osm_file, node_filter={"name": True}, way_filter=False)
    lon, lat = data.nodes.locate([3])
    assert lon[0] == pytest.approx(24.1234567, abs=1e-9)
    assert lat[0] == pytest.approx(56.9712345, abs=1e-9)
    missing_lon, _ = data.nodes.locate(np.array([12345]))
    assert np.isnan(missing_lon[0])


def test_xml_and_pbf_give_identical_results(tmp_path: Path) -> None:
    xml = read_osm(_write_xml(tmp_path / "a.osm"), node_filter=None)
    pbf = read_osm(_write_pbf(tmp_path / "a.osm.pbf"), node_filter=None)
    np.testing.assert_array_equal(xml.nodes.ids, pbf.nodes.ids)
    np.testing.assert_array_equal(xml.nodes.lon, pbf.nodes.lon)
    np.testing.assert_array_equal(xml.ways.refs, pbf.ways.refs)
    assert xml.ways.tags == pbf.ways.tags
    assert xml.nodes.tags == pbf.nodes.tags


def test_larger_pbf_matches_an_independent_count(tmp_path: Path) -> None:
    """A grid of 40 x 40 nodes with a way along every row and column, checked by construction."""
    path = tmp_path / "grid.osm.pbf"
    size = 40
    writer = osmium.SimpleWriter(str(path))
    try:
        for r in range(size):
            for c in range(size):
                writer.add_node(
                    Node(id=r * size + c + 1, location=(24.0 + c * 1e-3, 56.9 + r * 1e-3))
                )
        for r in range(size):
            writer.add_way(
                Way(
                    id=r + 1,
                    nodes=[r * size + c + 1 for c in range(size)],
                    tags={"highway": "residential"},
                )
            )
        for c in range(size):
            writer.add_way(
                Way(
                    id=size + c + 1,
                    nodes=[r * size + c + 1 for r in range(size)],
                    tags={"highway": "service"},
                )
            )
    finally:
        writer.close()
    data = read_osm(path, way_filter={"highway": "residential"})
    assert len(data.ways) == size
    assert len(data.ways.refs) == size * size
    assert len(data.nodes) == size * size
    # Row r, column c sits at (24 + c/1000, 56.9 + r/1000).
    lon, lat = data.way_lonlat(7)
    np.testing.assert_allclose(lon, 24.0 + np.arange(size) * 1e-3, atol=1e-9)
    np.testing.assert_allclose(lat, np.full(size, 56.907), atol=1e-9)


def test_missing_unknown_and_broken_files(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="file not found"):
        read_osm(tmp_path / "absent.osm")
    text = tmp_path / "roads.csv"
    text.write_text("a,b\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="not an OpenStreetMap file"):
        read_osm(text)
    broken_xml = tmp_path / "broken.osm"
    broken_xml.write_text("this is not xml", encoding="utf-8")
    with pytest.raises(InputFileError, match="broken.osm: cannot read"):
        read_osm(broken_xml)
    broken_pbf = tmp_path / "broken.osm.pbf"
    broken_pbf.write_bytes(b"\x00\x01garbage")
    with pytest.raises(InputFileError, match="broken.osm.pbf: cannot read"):
        read_osm(broken_pbf)


def test_bad_filter_specifications(osm_file: Path) -> None:
    with pytest.raises(ValueError, match="at least one key"):
        read_osm(osm_file, way_filter={})
    with pytest.raises(ValueError, match="cannot be False"):
        read_osm(osm_file, way_filter={"highway": False})


def test_relations_listed_with_tags_only(tmp_path: Path) -> None:
    path = tmp_path / "rel.osm"
    _write_xml(path)
    text = path.read_text(encoding="utf-8").replace(
        "</osm>",
        '<relation id="20" version="1"><member type="way" ref="12" role="outer"/>'
        '<tag k="type" v="multipolygon"/><tag k="amenity" v="library"/></relation>'
        '<relation id="21" version="1"><member type="way" ref="10" role=""/>'
        '<tag k="type" v="route"/></relation></osm>',
    )
    path.write_text(text, encoding="utf-8")
    data = read_osm(
        path,
        node_filter={"amenity": "library"},
        way_filter=False,
        relation_filter={"amenity": "library"},
    )
    assert data.relations.ids.tolist() == [20]
    assert data.relations.tags == [{"type": "multipolygon", "amenity": "library"}]
    assert sorted(data.nodes.tags) == [3, 5]
    assert len(data.ways) == 0
    assert len(read_osm(path).relations) == 0


def test_callable_filter_sees_only_objects_with_the_prefilter_keys(osm_file: Path) -> None:
    seen: list[dict[str, str]] = []

    def walkable(tags: dict[str, str]) -> bool:
        seen.append(tags)
        return tags.get("highway") != "motorway"

    data = read_osm(osm_file, way_filter=walkable, way_keys=("highway",))
    assert data.ways.ids.tolist() == [10, 14]
    # The library building (way 12) and the untagged way never reached Python.
    assert all("highway" in tags for tags in seen) and len(seen) == 3
    with pytest.raises(ValueError, match="at least one key"):
        read_osm(osm_file, way_filter=walkable, way_keys=())
