"""Tests of the library and centre loaders: CSV, GeoJSON, GeoPackage, OpenStreetMap XML and PBF."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import osmium
import pytest
import shapely
from osmium.osm.mutable import Node, Relation, Way
from pyproj import Transformer
from shapely.geometry import Point, Polygon

from accessibility import (
    CRSError,
    InputFileError,
    MissingColumnError,
    get_report,
    load_centres,
    load_libraries,
)

TO_3059 = Transformer.from_crs("EPSG:4326", "EPSG:3059", always_xy=True)


def _write(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def _xy(geom) -> tuple[float, float]:
    return geom.x, geom.y


# --------------------------------------------------------------------------- CSV


def test_csv_lonlat_with_ids_kind_and_extra_columns(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "libraries.csv",
        [
            "id,name,longitude,latitude,address,kind",
            "L1,Ogres Centrālā bibliotēka,24.6050,56.8160,Brīvības iela 33,",
            "L2,Ikšķiles bibliotēka,24.4990,56.8370,Peldu iela 2,branch",
        ],
    )
    libraries = load_libraries(path)
    assert libraries.columns.tolist()[:4] == ["site_id", "name", "kind", "address"]
    assert libraries["site_id"].tolist() == ["L1", "L2"]
    assert libraries["kind"].tolist() == ["library", "branch"]
    assert libraries["address"].tolist() == ["Brīvības iela 33", "Peldu iela 2"]
    assert libraries.crs.to_epsg() == 3059
    x, y = TO_3059.transform(24.6050, 56.8160)
    assert _xy(libraries.geometry.iloc[0]) == (
        pytest.approx(x, abs=1e-6),
        pytest.approx(y, abs=1e-6),
    )
    report = get_report(libraries)
    assert report["read"] == 2 and report["loaded"] == 2
    assert report["notes"]["by_kind"] == {"branch": 1, "library": 1}


def test_csv_xy_needs_crs(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "centres.csv", ["name;x;y", "Centrs A;506000,5;311000", "Centrs B;512000;313000"]
    )
    with pytest.raises(CRSError, match="pass crs="):
        load_centres(path)
    centres = load_centres(path, crs="EPSG:3059")
    assert centres["site_id"].tolist() == ["centre-0001", "centre-0002"]
    assert centres["kind"].tolist() == ["centre", "centre"]
    assert _xy(centres.geometry.iloc[0]) == (506000.5, 311000.0)
    assert "no id column" in get_report(centres)["notes"]["site_id_generated"]
    # x/y stated as longitude/latitude through crs= are accepted as well.
    lonlat = _write(tmp_path / "lonlat_xy.csv", ["x,y", "24.6050,56.8160"])
    x, y = TO_3059.transform(24.6050, 56.8160)
    assert _xy(load_centres(lonlat, crs="EPSG:4326").geometry.iloc[0]) == (
        pytest.approx(x, abs=1e-6),
        pytest.approx(y, abs=1e-6),
    )


def test_csv_broken_rows(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "libraries.csv",
        [
            "site_id,name,lon,lat",
            "1,Laba,24.1,56.9",
            "1,Dublikāts,24.2,56.9",
            "2,Bez koordinātas,,56.9",
            "3,Teksts,24.1,ziemeļi",
            "4,Samainītas,56.95,24.15",
            "5,Berlīne,13.4,52.5",
            "6,Bezgalība,inf,56.9",
        ],
    )
    libraries = load_libraries(path)
    assert libraries["site_id"].tolist() == ["1", "4"]
    report = get_report(libraries)
    assert report["read"] == 7 and report["loaded"] == 2
    assert {(r["row"], r["reason"], r["field"]) for r in report["rejected_rows"]} == {
        (3, "duplicate site_id (the first row with it is kept)", "site_id"),
        (4, "missing coordinates", "lon"),
        (5, "non-numeric coordinates", "lat"),
        (7, "outside Latvia", "lon/lat"),
        (8, "non-numeric coordinates", "lon"),
    }
    assert report["notes"]["swapped_lonlat_corrected"] == 1
    x, y = TO_3059.transform(24.15, 56.95)
    assert _xy(libraries.geometry.iloc[1]) == (
        pytest.approx(x, abs=1e-6),
        pytest.approx(y, abs=1e-6),
    )


def test_csv_encodings_empty_and_missing_columns(tmp_path: Path) -> None:
    lines = [
        "id;nosaukums;lon;lat",
        "1;Ķeguma bibliotēka;24.72;56.74",
        "2;Ērgļu bibliotēka;25.64;56.90",
    ]
    baltic = load_libraries(_write(tmp_path / "baltic.csv", lines, encoding="cp1257"))
    assert baltic["name"].tolist() == ["Ķeguma bibliotēka", "Ērgļu bibliotēka"]
    assert "cp1257" in get_report(baltic)["notes"]["encoding"]
    bom = load_libraries(_write(tmp_path / "bom.csv", lines, encoding="utf-8-sig"))
    assert bom["site_id"].tolist() == ["1", "2"] and bom["name"].iloc[0] == "Ķeguma bibliotēka"

    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(InputFileError, match="empty.csv: file is empty"):
        load_libraries(empty)
    with pytest.raises(InputFileError, match="holds no rows"):
        load_libraries(_write(tmp_path / "header.csv", ["id,name,lon,lat"]))
    with pytest.raises(MissingColumnError) as caught:
        load_libraries(_write(tmp_path / "nocoords.csv", ["id,name,address", "1,A,B"]))
    assert "nocoords.csv" in str(caught.value) and caught.value.field == "lon"
    with pytest.raises(InputFileError, match="file not found"):
        load_libraries(tmp_path / "absent.csv")
    with pytest.raises(InputFileError, match="unknown file type"):
        load_libraries(_write(tmp_path / "sites.xlsx", ["x"]))


# --------------------------------------------------------------------------- vector layers


def test_geojson_in_wgs84(tmp_path: Path) -> None:
    layer = gpd.GeoDataFrame(
        {"id": [1, 2, 3, 4], "name": ["A", "B", "C", "D"], "phone": ["1", "2", "3", "4"]},
        geometry=[
            Point(24.1, 56.95),
            Point(56.96, 24.2),
            Point(13.4, 52.5),
            Polygon([(24.0, 56.0), (24.01, 56.0), (24.01, 56.01), (24.0, 56.01)]),
        ],
        crs="EPSG:4326",
    )
    path = tmp_path / "libraries.geojson"
    layer.to_file(path, driver="GeoJSON")
    libraries = load_libraries(path)
    assert libraries["site_id"].tolist() == ["1", "2", "4"]
    assert libraries["phone"].tolist() == ["1", "2", "4"]
    assert set(libraries.geom_type) == {"Point"}
    report = get_report(libraries)
    assert report["notes"]["swapped_lonlat_corrected"] == 1
    assert report["notes"]["polygons_as_centroid"] == 1
    assert [(r["row"], r["reason"]) for r in report["rejected_rows"]] == [(3, "outside Latvia")]
    x, y = TO_3059.transform(24.2, 56.96)
    assert _xy(libraries.geometry.iloc[1]) == (
        pytest.approx(x, abs=1e-6),
        pytest.approx(y, abs=1e-6),
    )
    # The centroid is taken in metres: compare with an independent projection of the square.
    square = shapely.transform(
        layer.geometry.iloc[3], lambda c: np.column_stack(TO_3059.transform(c[:, 0], c[:, 1]))
    )
    assert libraries.geometry.iloc[2].distance(square.centroid) < 1e-6


def test_gpkg_in_lks92_with_duplicates_and_empty_geometry(tmp_path: Path) -> None:
    layer = gpd.GeoDataFrame(
        {
            "site_id": ["c1", "c2", "c1", "c3"],
            "name": ["A", "B", "C", "D"],
            "kind": ["centre", "", "centre", "centre"],
        },
        geometry=[Point(506000, 311000), Point(512000, 313000), Point(520000, 320000), None],
        crs="EPSG:3059",
    )
    path = tmp_path / "centres.gpkg"
    layer.to_file(path, driver="GPKG")
    centres = load_centres(path)
    assert centres["site_id"].tolist() == ["c1", "c2"]
    assert centres["kind"].tolist() == ["centre", "centre"]
    assert [_xy(g) for g in centres.geometry] == [(506000.0, 311000.0), (512000.0, 313000.0)]
    reasons = {(r["row"], r["reason"]) for r in get_report(centres)["rejected_rows"]}
    assert reasons == {
        (3, "duplicate site_id (the first row with it is kept)"),
        (4, "missing or empty geometry"),
    }


def test_vector_without_crs(tmp_path: Path) -> None:
    layer = gpd.GeoDataFrame({"name": ["A"]}, geometry=[Point(506000, 311000)])
    path = tmp_path / "nocrs.shp"
    with pytest.warns(UserWarning, match="crs"):
        layer.to_file(path)
    with pytest.raises(CRSError, match="no coordinate reference system"):
        load_centres(path)
    assert _xy(load_centres(path, crs="EPSG:3059").geometry.iloc[0]) == (506000.0, 311000.0)


# --------------------------------------------------------------------------- OpenStreetMap

# A library node inside a library building (the same library twice), a second library drawn
# only as a building, a lone node, one node outside Latvia and a multipolygon relation.
_OSM_NODES = {
    1: (24.1000, 56.9500, {}),
    2: (24.1010, 56.9500, {}),
    3: (24.1010, 56.9506, {}),
    4: (24.1000, 56.9506, {}),
    5: (
        24.1005,
        56.9503,
        {"amenity": "library", "name": "Centrālā bibliotēka", "opening_hours": "Mo-Fr 10:00-18:00"},
    ),
    6: (24.2000, 57.0000, {}),
    7: (24.2010, 57.0000, {}),
    8: (24.2010, 57.0006, {}),
    9: (25.5000, 56.5000, {"amenity": "library", "name": "Pagasta bibliotēka"}),
    10: (13.4000, 52.5000, {"amenity": "library", "name": "Berlin"}),
    11: (25.0, 57.0, {"amenity": "cafe"}),
}
_OSM_WAYS = {
    100: ([1, 2, 3, 4, 1], {"building": "yes", "amenity": "library"}),
    101: ([6, 7, 8, 6], {"building": "yes", "amenity": "library", "name": "Skolas bibliotēka"}),
    102: ([1, 2], {"highway": "footway"}),
}


def _osm_xml(path: Path) -> Path:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="tests">']
    for node_id, (lon, lat, tags) in _OSM_NODES.items():
        body = "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items())
        lines.append(f'<node id="{node_id}" lat="{lat}" lon="{lon}" version="1">{body}</node>')
    for way_id, (refs, tags) in _OSM_WAYS.items():
        body = "".join(f'<nd ref="{r}"/>' for r in refs) + "".join(
            f'<tag k="{k}" v="{v}"/>' for k, v in tags.items()
        )
        lines.append(f'<way id="{way_id}" version="1">{body}</way>')
    lines.append(
        '<relation id="500" version="1"><member type="way" ref="102" role="outer"/>'
        '<tag k="type" v="multipolygon"/><tag k="amenity" v="library"/></relation>'
    )
    lines.append("</osm>")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _osm_pbf(path: Path) -> Path:
    writer = osmium.SimpleWriter(str(path))
    try:
        for node_id, (lon, lat, tags) in _OSM_NODES.items():
            writer.add_node(Node(id=node_id, location=(lon, lat), tags=tags))
        for way_id, (refs, tags) in _OSM_WAYS.items():
            writer.add_way(Way(id=way_id, nodes=refs, tags=tags))
        writer.add_relation(
            Relation(
                id=500,
                members=[("w", 102, "outer")],
                tags={"type": "multipolygon", "amenity": "library"},
            )
        )
    finally:
        writer.close()
    return path


@pytest.fixture(params=["xml", "pbf"])
def osm_file(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    if request.param == "xml":
        return _osm_xml(tmp_path / "libraries.osm")
    return _osm_pbf(tmp_path / "libraries.osm.pbf")


def test_osm_libraries(osm_file: Path) -> None:
    libraries = load_libraries(osm_file).set_index("site_id")
    assert sorted(libraries.index) == ["osm-node-5", "osm-node-9", "osm-way-101"]
    assert libraries.loc["osm-node-5", "name"] == "Centrālā bibliotēka"
    assert libraries.loc["osm-node-5", "opening_hours"] == "Mo-Fr 10:00-18:00"
    assert libraries.loc["osm-way-101", "name"] == "Skolas bibliotēka"
    assert libraries.loc["osm-way-101", "osm_type"] == "way"
    assert libraries.loc["osm-way-101", "building"] == "yes"
    assert set(libraries["kind"]) == {"library"}
    x, y = TO_3059.transform(25.5, 56.5)
    assert _xy(libraries.loc["osm-node-9", "geometry"]) == (
        pytest.approx(x, abs=1e-6),
        pytest.approx(y, abs=1e-6),
    )
    # The building's centroid, computed independently from its projected corners.
    corners = np.column_stack(TO_3059.transform([24.2, 24.201, 24.201], [57.0, 57.0, 57.0006]))
    expected = Polygon(corners).centroid
    assert libraries.loc["osm-way-101", "geometry"].distance(expected) < 1e-6

    report = get_report(load_libraries(osm_file))
    assert report["read"] == 5
    assert {(r["row"], r["reason"]) for r in report["rejected_rows"]} == {
        ("way 100", "OSM library area holding a library node (counted once, as the node)"),
        ("node 10", "outside Latvia"),
    }
    assert report["notes"]["relations_not_read"]["ids"] == [500]


def test_osm_for_centres_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="cannot be read from OpenStreetMap"):
        load_centres(_osm_xml(tmp_path / "centres.osm"))


def test_osm_way_with_missing_nodes(tmp_path: Path) -> None:
    path = tmp_path / "cut.osm"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><osm version="0.6">'
        '<node id="1" lat="56.9" lon="24.1" version="1"/>'
        '<way id="7" version="1"><nd ref="1"/><nd ref="2"/><nd ref="1"/>'
        '<tag k="amenity" v="library"/></way>'
        "</osm>",
        encoding="utf-8",
    )
    libraries = load_libraries(path)
    assert len(libraries) == 0
    assert (
        get_report(libraries)["rejected_rows"][0]["reason"]
        == "OSM way with nodes missing from the file"
    )


def test_osm_without_libraries(tmp_path: Path) -> None:
    path = tmp_path / "none.osm"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><osm version="0.6">'
        '<node id="1" lat="56.9" lon="24.1" version="1"><tag k="amenity" v="cafe"/></node></osm>',
        encoding="utf-8",
    )
    libraries = load_libraries(path)
    assert len(libraries) == 0 and libraries.crs.to_epsg() == 3059
    assert "no object tagged" in get_report(libraries)["notes"]["empty"]


@pytest.mark.parametrize(
    ("lon", "lat"), [("lng", "lat"), ("Longitude", "Latitude"), ("LON", "LAT")]
)
def test_csv_longitude_column_names(tmp_path: Path, lon: str, lat: str) -> None:
    path = _write(tmp_path / "libraries.csv", [f"name,{lat},{lon}", "A,56.8160,24.6050"])
    x, y = TO_3059.transform(24.6050, 56.8160)
    point = load_libraries(path).geometry.iloc[0]
    assert _xy(point) == (pytest.approx(x, abs=1e-6), pytest.approx(y, abs=1e-6))
