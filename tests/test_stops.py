"""Tests of the stop loader: the real ATD table and Riga feed, synthetic GTFS, broken inputs."""

from __future__ import annotations

import csv
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest
import shapely
from pyproj import Transformer

from accessibility import (
    AccessibilityError,
    CRSError,
    InputFileError,
    MissingColumnError,
    get_report,
    load_stops,
    mark_intercity,
    settings,
)
from accessibility.io.stops import parse_route_list, route_type_mode
from accessibility.projection import inside_latvia

TO_3059 = Transformer.from_crs("EPSG:4326", "EPSG:3059", always_xy=True)


# --------------------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def atd_path(real_data: Path) -> Path:
    return real_data / "atd_regional_bus_stops" / "gtfs_atd.csv"


@pytest.fixture(scope="module")
def atd_stops(atd_path: Path):
    return load_stops(atd_path)


@pytest.fixture(scope="module")
def atd_rows(atd_path: Path) -> list[dict[str, str]]:
    with atd_path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.realdata
def test_real_atd_counts(atd_stops, atd_rows) -> None:
    assert len(atd_rows) == 10_179
    assert len(atd_stops) == 10_179
    assert atd_stops["mode"].value_counts().to_dict() == {"bus": 10_169, "rail": 10}
    assert atd_stops["stop_id"].is_unique
    report = get_report(atd_stops)
    assert report["read"] == 10_179 and report["rejected"] == 0
    assert report["notes"]["by_mode"] == {"bus": 10_169, "rail": 10}


@pytest.mark.realdata
def test_real_atd_intercity_and_truncation_match_a_plain_reading(
    atd_stops, atd_rows, atd_path
) -> None:
    # Independent: the csv module and a regex on the raw text, no code of the package.
    def listed(row: dict[str, str]) -> list[str]:
        return [t.strip() for t in row["marsrutu_saraksts"].replace("…", "").split(",")]

    intercity_ids = {
        r["id"] for r in atd_rows if any(re.fullmatch(r"7\d{3}", t) for t in listed(r))
    }
    truncated_ids = {r["id"] for r in atd_rows if r["marsrutu_saraksts"].endswith(" …")}
    assert len(intercity_ids) == 3_764
    assert len(truncated_ids) == 158
    listed_ids = atd_stops.loc[atd_stops["intercity_evidence"] == "listed", "stop_id"]
    assert set(listed_ids) == intercity_ids
    # The default reading adds the cut lists inferred intercity, and only those.
    extra = set(atd_stops.loc[atd_stops["intercity"], "stop_id"]) - intercity_ids
    assert extra and extra <= truncated_ids
    ignored = load_stops(atd_path, cut_lists="ignore")
    assert set(ignored.loc[ignored["intercity"], "stop_id"]) == intercity_ids
    assert get_report(ignored)["notes"]["intercity_stops"] == 3_764
    assert set(atd_stops.loc[atd_stops["routes_truncated"], "stop_id"]) == truncated_ids
    notes = get_report(atd_stops)["notes"]
    assert notes["intercity_stops"] == 3_764 + len(extra)
    assert notes["intercity_stops_range"] == [3_764, 3_764 + 62]
    assert notes["routes_truncated_stops"] == 158
    assert notes["truncated_not_intercity_stops"] == len(truncated_ids - intercity_ids) == 62
    assert (
        "assumption" in notes["intercity_assumption"]
        and "not a statement of the ATD" in notes["intercity_assumption"]
    )


@pytest.mark.realdata
def test_real_atd_rows_are_carried_faithfully(atd_stops, atd_rows) -> None:
    by_id = atd_stops.set_index("stop_id")
    for raw in atd_rows[::997]:
        stop = by_id.loc[raw["id"]]
        assert stop["stop_name"] == raw["nosaukums"]
        assert stop["route_count"] == int(raw["marsruti"])
        assert stop["routes"] == sorted(
            {t.strip() for t in raw["marsrutu_saraksts"].replace("…", "").split(",")},
            key=lambda t: (not t.isdigit(), int(t) if t.isdigit() else 0, t),
        )
        x, y = TO_3059.transform(float(raw["x"]), float(raw["y"]))
        assert stop.geometry.x == pytest.approx(x, abs=1e-6)
        assert stop.geometry.y == pytest.approx(y, abs=1e-6)
    assert all(
        isinstance(r, list) and all(isinstance(t, str) for t in r) for r in atd_stops["routes"]
    )


@pytest.mark.realdata
def test_real_atd_every_stop_inside_latvia(atd_stops, atd_rows) -> None:
    assert atd_stops.crs.to_epsg() == 3059
    x = shapely.get_x(atd_stops.geometry.to_numpy())
    y = shapely.get_y(atd_stops.geometry.to_numpy())
    assert inside_latvia(x, y).all()
    west, south, east, north = settings.LATVIA_BOUNDS_LONLAT
    lon = np.array([float(r["x"]) for r in atd_rows])
    lat = np.array([float(r["y"]) for r in atd_rows])
    assert ((lon > west) & (lon < east) & (lat > south) & (lat < north)).all()


@pytest.mark.realdata
def test_real_riga_gtfs_without_stop_times(real_data: Path) -> None:
    stops = load_stops(real_data / "rigas-satiksme-gtfs")
    assert len(stops) == 1_658
    assert stops["stop_id"].is_unique
    assert (stops["routes"].map(len) == 0).all()
    assert not stops["intercity"].any()
    report = get_report(stops)
    assert "stop_times.txt" in report["notes"]["routes_unknown"]
    assert report["rejected"] == 0
    # Three modes in routes.txt and no link from stops to routes: the mode stays unknown.
    assert set(stops["mode"]) == {"unknown"}
    west, south, east, north = 23.90, 56.85, 24.39, 57.08
    lonlat = Transformer.from_crs("EPSG:3059", "EPSG:4326", always_xy=True)
    lon, lat = lonlat.transform(
        shapely.get_x(stops.geometry.to_numpy()), shapely.get_y(stops.geometry.to_numpy())
    )
    assert ((lon > west) & (lon < east) & (lat > south) & (lat < north)).all()


# --------------------------------------------------------------------------- synthetic GTFS

BOM = "\ufeff"
GTFS = {
    "stops.txt": [
        "stop_id, stop_name, stop_lat, stop_lon, location_type, parent_station",
        'S1, "Centrs", 56.9500000, 24.1000000, 0, ',
        "S2, Skola, 56.9600000, 24.1200000, , ",
        "S3, Tramvajs, 56.9700000, 24.1300000, 0, ",
        "ST1, Stacija, 56.9800000, 24.1400000, 1, ",
        "P1, Stacija 1. perons, 56.9801000, 24.1401000, 0, ST1",
        "BA1, Perona zona, 56.9801500, 24.1401500, 4, P1",
        "E1, Ieeja, 56.9802000, 24.1402000, 2, ST1",
        "S4, Neapkalpota, 56.9900000, 24.1500000, 0, ",
    ],
    "routes.txt": [
        "route_id, route_short_name, route_long_name, route_type",
        "r1, 7937, Rīga–Liepāja, 3",
        "r2, 5490, Vietējais, 700",
        "r3, 1, Tramvajs, 900",
        "R4, , Vilciens, 2",
        "r5, 7937, Rīga–Liepāja caur, 200",
    ],
    "trips.txt": [
        "route_id, service_id, trip_id",
        "r1, wk, t1",
        "r2, wk, t2",
        "r3, wk, t3",
        "R4, wk, t4",
        "r5, wk, t5",
    ],
    "stop_times.txt": [
        "trip_id, arrival_time, departure_time, stop_id, stop_sequence",
        "t1, 08:00:00, 08:00:00, S1, 1",
        "t2, 08:10:00, 08:10:00, S1, 1",
        "t2, 08:20:00, 08:20:00, S2, 2",
        "t3, 09:00:00, 09:00:00, S3, 1",
        "t4, 10:00:00, 10:00:00, BA1, 1",
        "t5, 11:00:00, 11:00:00, S1, 1",
    ],
}


def _write_feed(folder: Path, files: dict[str, list[str]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, lines in files.items():
        (folder / name).write_text(BOM + "\r\n".join(lines) + "\r\n", encoding="utf-8")
    return folder


def _zip_feed(path: Path, files: dict[str, list[str]]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, lines in files.items():
            archive.writestr(name, (BOM + "\n".join(lines) + "\n").encode("utf-8"))
    return path


@pytest.fixture(params=["folder", "zip"])
def feed(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    if request.param == "folder":
        return _write_feed(tmp_path / "feed", GTFS)
    return _zip_feed(tmp_path / "feed.zip", GTFS)


def test_gtfs_routes_modes_and_intercity(feed: Path) -> None:
    stops = load_stops(feed).set_index("stop_id")
    assert list(stops.index) == ["S1", "S2", "S3", "P1", "S4"]
    assert stops.loc["S1", "routes"] == ["5490", "7937"]
    assert stops.loc["S1", "intercity"]
    assert stops.loc["S1", "mode"] == "bus"
    assert stops.loc["S1", "stop_name"] == "Centrs"
    assert stops.loc["S2", "routes"] == ["5490"] and not stops.loc["S2", "intercity"]
    assert stops.loc["S3", "routes"] == ["1"] and stops.loc["S3", "mode"] == "tram"
    # The boarding area's rail route counts for its parent platform; the blank short name
    # falls back to the route_id.
    assert stops.loc["P1", "routes"] == ["R4"] and stops.loc["P1", "mode"] == "rail"
    assert stops.loc["S4", "routes"] == [] and stops.loc["S4", "mode"] == "unknown"
    assert stops["route_count"].tolist() == [2, 1, 1, 1, 0]
    assert not stops["routes_truncated"].any()
    x, y = TO_3059.transform(24.1, 56.95)
    assert stops.loc["S1", "geometry"].x == pytest.approx(x, abs=1e-6)
    assert stops.loc["S1", "geometry"].y == pytest.approx(y, abs=1e-6)


def test_gtfs_report_accounts_for_every_row(feed: Path) -> None:
    report = get_report(load_stops(feed))
    assert report["read"] == 8
    assert report["loaded"] == 5
    reasons = report["rejected_by_reason"]
    assert sum(reasons.values()) == 3
    assert any("station (location_type 1)" in r for r in reasons)
    assert any("boarding area (location_type 4)" in r for r in reasons)
    assert any("entrance/exit (location_type 2)" in r for r in reasons)
    notes = report["notes"]
    assert notes["intercity_stops"] == 1
    assert notes["routes_named_by_route_id"] == 1
    assert notes["stops_without_routes"] == 1
    assert notes["location_types"] == {"0": 5, "1": 1, "4": 1, "2": 1}
    assert "routes_unknown" not in notes


def test_gtfs_without_stop_times(tmp_path: Path) -> None:
    files = {k: v for k, v in GTFS.items() if k != "stop_times.txt"}
    stops = load_stops(_zip_feed(tmp_path / "feed.zip", files))
    assert len(stops) == 5
    assert (stops["routes"].map(len) == 0).all() and not stops["intercity"].any()
    notes = get_report(stops)["notes"]
    assert "could not be aggregated" in notes["routes_unknown"]
    assert "mode_unknown" in notes


def test_gtfs_single_mode_feed_without_stop_times_keeps_the_mode(tmp_path: Path) -> None:
    files = {
        "stops.txt": GTFS["stops.txt"][:3],
        "routes.txt": ["route_id,route_short_name,route_type", "a,7001,3", "b,5001,3"],
        "trips.txt": ["route_id,service_id,trip_id", "a,wk,t1"],
    }
    stops = load_stops(_write_feed(tmp_path / "feed", files))
    assert stops["mode"].tolist() == ["bus", "bus"]


def test_gtfs_stops_txt_path_reads_its_folder(tmp_path: Path) -> None:
    folder = _write_feed(tmp_path / "feed", GTFS)
    assert load_stops(folder / "stops.txt")["stop_id"].tolist() == ["S1", "S2", "S3", "P1", "S4"]


def test_gtfs_broken_feeds(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="stops.txt is missing"):
        load_stops(_zip_feed(tmp_path / "nostops.zip", {"routes.txt": GTFS["routes.txt"]}))
    empty_folder = tmp_path / "empty"
    empty_folder.mkdir()
    with pytest.raises(InputFileError, match="stops.txt is missing"):
        load_stops(empty_folder)
    corrupt = tmp_path / "corrupt.zip"
    corrupt.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(InputFileError, match="corrupt.zip"):
        load_stops(corrupt)
    no_lat = {"stops.txt": ["stop_id,stop_name,stop_lon", "A,a,24.1"]}
    with pytest.raises(MissingColumnError) as caught:
        load_stops(_zip_feed(tmp_path / "nolat.zip", no_lat))
    assert caught.value.field == "stop_lat" and "nolat.zip/stops.txt" in str(caught.value)
    bad_times = dict(GTFS)
    bad_times["stop_times.txt"] = ["trip_id,arrival_time", "t1,08:00:00"]
    with pytest.raises(MissingColumnError, match="stop_id"):
        load_stops(_write_feed(tmp_path / "badtimes", bad_times))


def test_gtfs_dangling_references_are_counted(tmp_path: Path) -> None:
    files = dict(GTFS)
    files["stop_times.txt"] = GTFS["stop_times.txt"] + ["tX, 12:00:00, 12:00:00, S2, 3"]
    files["trips.txt"] = GTFS["trips.txt"] + ["rX, wk, t9"]
    files["stop_times.txt"] = files["stop_times.txt"] + ["t9, 12:00:00, 12:00:00, S2, 4"]
    files["stop_times.txt"] = files["stop_times.txt"] + ["t1, 12:00:00, 12:00:00, NOWHERE, 5"]
    notes = get_report(load_stops(_write_feed(tmp_path / "feed", files)))["notes"]
    assert notes["stop_times_unknown_trip"] == 1
    assert notes["trips_unknown_route"] == 1
    assert notes["stop_times_unknown_stop"] == 1


# --------------------------------------------------------------------------- ATD and plain tables

ATD_HEADER = "id,nosaukums,marsruti,marsrutu_saraksts,veidi,x,y"


def _write(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def test_atd_table_parsing(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "gtfs_atd.csv",
        [
            ATD_HEADER,
            '1,Ābeles,3,"5490, 5493, 7937",autobuss,25.4881431,56.3259665',
            (
                '2,Bērzi,14,"5421, 5423, 5429, 6506, 6596, 6611, 7152, 7165, 7653, 7736, 7769, '
                '7905 …",autobuss,26.0198230,57.3993335'
            ),
            (
                '3,Ceriņi,13,"5421, 5423, 5429, 6506, 6596, 6611, 6612, 6613, 6614, 6615, 6616, '
                '6617 …",autobuss,26.0,57.4'
            ),
            "4,Stacija,1,Bānītis,vilciens,27.0,57.2",
            '5,Kalni,2,"K7410, E7",autobuss,25.0,57.0',
        ],
    )
    stops = load_stops(path).set_index("stop_id")
    assert stops.loc["1", "routes"] == ["5490", "5493", "7937"]
    assert stops.loc["1", "intercity"] and not stops.loc["1", "routes_truncated"]
    assert stops.loc["2", "routes_truncated"] and stops.loc["2", "intercity"]
    assert stops.loc["2", "routes"][-1] == "7905" and len(stops.loc["2", "routes"]) == 12
    assert stops.loc["2", "route_count"] == 14
    assert stops.loc["3", "routes_truncated"] and not stops.loc["3", "intercity"]
    assert stops.loc["4", "mode"] == "rail" and stops.loc["4", "routes"] == ["Bānītis"]
    # K7410 is not a four-digit number: the default rule does not count it.
    assert not stops.loc["5", "intercity"]
    notes = get_report(load_stops(path))["notes"]
    assert notes["routes_truncated_stops"] == 2
    assert notes["truncated_not_intercity_stops"] == 1
    assert "may have one among the unlisted routes" in notes["truncation_warning"]
    assert notes["format"] == "ATD stop table"


def test_intercity_rules(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "gtfs_atd.csv",
        [
            ATD_HEADER,
            '1,A,2,"5490, 7937",autobuss,25.1,57.0',
            '2,B,2,"K7410, E7",autobuss,25.2,57.0',
            '3,C,1,"37",autobuss,25.3,57.0',
        ],
    )
    assert load_stops(path)["intercity"].tolist() == [True, False, False]
    # Every matching route is listed, also those after the first match at a stop.
    assert get_report(load_stops(path, intercity=r"\d{4}|K7410"))["notes"]["intercity_routes"] == [
        "5490",
        "7937",
        "K7410",
    ]
    assert load_stops(path, intercity=r"K?7\d{3}")["intercity"].tolist() == [True, True, False]
    # fullmatch: "7" alone matches route "E7" only as a whole, which it is not.
    assert load_stops(path, intercity=r"7")["intercity"].tolist() == [False, False, False]
    by_function = load_stops(path, intercity=lambda route: route.startswith("E"))
    assert by_function["intercity"].tolist() == [False, True, False]
    assert "intercity_assumption" not in get_report(by_function)["notes"]
    with pytest.raises(AccessibilityError, match="not a valid regular expression"):
        load_stops(path, intercity="7(")
    with pytest.raises(AccessibilityError, match="regular expression or a function"):
        load_stops(path, intercity=7)  # type: ignore[arg-type]

    stops = load_stops(path)
    wider = mark_intercity(stops, r"K?7\d{3}|\d{2}")
    assert wider["intercity"].tolist() == [True, True, True]
    assert get_report(wider)["notes"]["intercity_stops"] == 3
    assert stops["intercity"].tolist() == [True, False, False]  # the input is not changed
    assert get_report(mark_intercity(wider))["notes"]["intercity_stops"] == 1
    bare = stops[["stop_id", "routes", "geometry"]].copy()
    assert mark_intercity(bare)["intercity"].tolist() == [True, False, False]
    with pytest.raises(MissingColumnError, match="routes"):
        mark_intercity(stops.drop(columns="routes"))


def test_plain_stop_table(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "stops.csv",
        [
            "stop_id;stop_name;routes;x;y;operator",
            "a;Pirmā;7937,5490;500000;300000;ATD",
            "b;Otrā;;510000;310000;ATD",
        ],
    )
    with pytest.raises(CRSError, match="crs="):
        load_stops(path)
    stops = load_stops(path, crs="EPSG:3059")
    assert stops["routes"].tolist() == [["5490", "7937"], []]
    assert stops["intercity"].tolist() == [True, False]
    assert stops["mode"].tolist() == ["bus", "bus"]
    assert stops["operator"].tolist() == ["ATD", "ATD"]
    assert stops.geometry.iloc[0].coords[0] == (500000.0, 300000.0)
    notes = get_report(stops)["notes"]
    assert "bus stop" in notes["mode_assumed"]


def test_plain_table_with_lonlat_and_mode(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "stops.csv",
        [
            "stop_id,name,lat,lon,mode,routes",
            'a,Pirmā,56.95,24.10,tram,"1, 2"',
            "b,Otrā,56.96,24.11,trolejbuss,",
            "c,Trešā,56.97,24.12,kuģis,",
        ],
    )
    stops = load_stops(path)
    assert stops["mode"].tolist() == ["tram", "trolleybus", "kuģis"]
    assert stops["stop_name"].tolist() == ["Pirmā", "Otrā", "Trešā"]
    assert get_report(stops)["notes"]["unrecognised_modes"] == ["kuģis"]


def test_plain_table_without_routes_column(tmp_path: Path) -> None:
    path = _write(tmp_path / "stops.csv", ["stop_id,lon,lat", "a,24.1,56.9"])
    stops = load_stops(path)
    assert stops["routes"].tolist() == [[]]
    assert "routes_unknown" in get_report(stops)["notes"]


# --------------------------------------------------------------------------- broken tables


def test_broken_rows_are_rejected_with_reasons(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "gtfs_atd.csv",
        [
            ATD_HEADER,
            "10,Labā,1,7937,autobuss,25.0000000,57.0000000",
            "10,Dublikāts,1,7937,autobuss,25.1000000,57.1000000",
            "11,Bez koordinātām,1,7937,autobuss,,57.0",
            "12,Teksts,1,7937,autobuss,abc,57.0",
            "13,Samainītas,1,7937,autobuss,57.2000000,25.2000000",
            "14,Ārzemēs,1,7937,autobuss,13.4,52.5",
            ",Bez id,1,7937,autobuss,25.3,57.3",
            '15,Komats,1,7937,autobuss,"25,4","57,4"',
        ],
    )
    stops = load_stops(path)
    assert stops["stop_id"].tolist() == ["10", "13", "15"]
    assert stops.loc[0, "stop_name"] == "Labā"
    report = get_report(stops)
    assert report["read"] == 8 and report["loaded"] == 3
    rows = {(r["row"], r["reason"], r["field"]) for r in report["rejected_rows"]}
    assert rows == {
        (3, "duplicate stop_id (the first row with it is kept)", "stop_id"),
        (4, "missing coordinates", "x"),
        (5, "non-numeric coordinates", "x"),
        (7, "outside Latvia", "x/y"),
        (8, "missing stop_id", "stop_id"),
    }
    # Swapped longitude/latitude is corrected, not rejected: Latvia's ranges do not overlap.
    assert report["notes"]["swapped_lonlat_corrected"] == 1
    assert report["notes"]["swapped_lonlat_rows"] == [6]
    x, y = TO_3059.transform(25.2, 57.2)
    swapped = stops.set_index("stop_id").loc["13", "geometry"]
    assert (swapped.x, swapped.y) == (pytest.approx(x, abs=1e-6), pytest.approx(y, abs=1e-6))
    x, y = TO_3059.transform(25.4, 57.4)
    comma = stops.set_index("stop_id").loc["15", "geometry"]
    assert (comma.x, comma.y) == (pytest.approx(x, abs=1e-6), pytest.approx(y, abs=1e-6))


def test_empty_header_only_and_missing_column(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(InputFileError, match="empty.csv: file is empty"):
        load_stops(empty)
    header = _write(tmp_path / "header.csv", [ATD_HEADER])
    with pytest.raises(InputFileError, match="holds no rows"):
        load_stops(header)
    no_list = _write(tmp_path / "nolist.csv", ["id,nosaukums,x,y", "1,A,25.0,57.0"])
    with pytest.raises(MissingColumnError) as caught:
        load_stops(no_list)
    assert caught.value.field == "marsrutu_saraksts"
    assert "nolist.csv" in str(caught.value)
    no_coords = _write(tmp_path / "nocoords.csv", ["stop_id,stop_name", "1,A"])
    with pytest.raises(MissingColumnError, match="nocoords.csv.*no coordinate columns"):
        load_stops(no_coords)
    with pytest.raises(InputFileError, match="file not found"):
        load_stops(tmp_path / "absent.csv")
    with pytest.raises(InputFileError, match="unknown file type"):
        load_stops(_write(tmp_path / "stops.geojson", ["{}"]))


def test_cp1257_and_bom(tmp_path: Path) -> None:
    lines = [
        ATD_HEADER,
        "1,Ķegums,1,7937,autobuss,24.7,56.74",
        "2,Ērgļi,1,5490,autobuss,25.64,56.9",
    ]
    baltic = load_stops(_write(tmp_path / "baltic.csv", lines, encoding="cp1257"))
    assert baltic["stop_name"].tolist() == ["Ķegums", "Ērgļi"]
    assert "cp1257" in get_report(baltic)["notes"]["encoding"]
    bom = load_stops(_write(tmp_path / "bom.csv", lines, encoding="utf-8-sig"))
    assert bom["stop_id"].tolist() == ["1", "2"]
    assert bom["stop_name"].tolist() == ["Ķegums", "Ērgļi"]
    assert "encoding" not in get_report(bom)["notes"]


# --------------------------------------------------------------------------- helpers


def test_parse_route_list() -> None:
    assert parse_route_list("5490, 5493, 5494") == (["5490", "5493", "5494"], False)
    assert parse_route_list("7905, 5421 …") == (["5421", "7905"], True)
    assert parse_route_list("12;7;7") == (["7", "12"], False)
    assert parse_route_list("K7410, 5490, E7") == (["5490", "E7", "K7410"], False)
    assert parse_route_list(None) == ([], False)
    assert parse_route_list(float("nan")) == ([], False)


@pytest.mark.parametrize(
    ("route_type", "mode"),
    [
        (0, "tram"),
        (2, "rail"),
        (3, "bus"),
        (11, "trolleybus"),
        (100, "rail"),
        (200, "bus"),
        (401, "metro"),
        (700, "bus"),
        (717, "bus"),
        (800, "trolleybus"),
        (900, "tram"),
        (1000, "ferry"),
        (1700, "other"),
        (99, "other"),
    ],
)
def test_route_type_mode(route_type: int, mode: str) -> None:
    assert route_type_mode(route_type) == mode


def test_gtfs_in_cp1257(tmp_path: Path) -> None:
    files = {
        "stops.txt": ["stop_id,stop_name,stop_lat,stop_lon", "Ā1,Ērgļi,56.90,25.64"],
        "routes.txt": ["route_id,route_short_name,route_type", "r1,7001,3"],
        "trips.txt": ["route_id,service_id,trip_id", "r1,wk,t1"],
        "stop_times.txt": ["trip_id,stop_id,stop_sequence", "t1,Ā1,1"],
    }
    folder = tmp_path / "feed"
    folder.mkdir()
    for name, lines in files.items():
        (folder / name).write_bytes(("\n".join(lines) + "\n").encode("cp1257"))
    stops = load_stops(folder)
    assert stops["stop_id"].tolist() == ["Ā1"] and stops["stop_name"].tolist() == ["Ērgļi"]
    assert stops["routes"].tolist() == [["7001"]] and stops["intercity"].tolist() == [True]
    assert "cp1257" in get_report(stops)["notes"]["encoding"]
