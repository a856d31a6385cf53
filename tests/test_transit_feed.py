"""Reading GTFS timetables: times past midnight, calendars, BOM and spaces, rejected rows."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest
from transit_helpers import write_feed

from accessibility._errors import InputFileError, MissingColumnError
from accessibility.transit import active_services, load_feed, trips_on

STOPS = {"A": (500_000.0, 300_000.0), "B": (505_000.0, 300_000.0), "C": (510_000.0, 300_000.0)}


def _basic(tmp_path):
    return write_feed(
        tmp_path / "feed",
        STOPS,
        [
            (
                "t1",
                "7001",
                "WK",
                [
                    ("A", "08:00:00", "08:00:00"),
                    ("B", "08:10:00", "08:11:00"),
                    ("C", "08:30:00", "08:30:00"),
                ],
            ),
            ("late", "5001", "WK", [("A", "23:50:00", "23:50:00"), ("C", "25:05:00", "25:05:00")]),
        ],
        extra={
            "calendar_dates.txt": "service_id,date,exception_type\nWK,20240312,2\nWK,20240316,1\n"
        },
    )


def test_arrays_and_times_past_midnight(tmp_path):
    feed = load_feed(_basic(tmp_path))
    assert feed.n_stops == 3 and feed.n_trips == 2
    assert feed.trip_start.tolist() == [0, 3, 5]
    assert feed.st_arr.dtype == np.int32 and feed.st_stop.dtype == np.int32
    assert feed.st_arr.tolist() == [28_800, 29_400, 30_600, 85_800, 90_300]
    assert feed.st_dep[1] == 29_460
    # Coordinates come back in EPSG:3059 metres.
    assert feed.stop_x[1] - feed.stop_x[0] == pytest.approx(5000, abs=0.01)


def test_calendar_and_exceptions(tmp_path):
    feed = load_feed(_basic(tmp_path))
    wk = list(feed.service_id).index("WK")
    assert active_services(feed, "2024-03-11")[wk]  # a Monday
    assert not active_services(feed, "2024-03-12")[wk]  # removed by calendar_dates
    assert not active_services(feed, "2024-03-17")[wk]  # a Sunday
    assert active_services(feed, "2024-03-16")[wk]  # a Saturday added by calendar_dates
    assert not active_services(feed, "2025-01-06")[wk]  # after the end date
    # On Tuesday 12 March only the Monday trip running past midnight remains, a day earlier.
    trips, shift = trips_on(feed, "2024-03-12")
    assert feed.trip_id[trips].tolist() == ["late"] and shift.tolist() == [-86_400]
    trips, shift = trips_on(feed, "2024-03-11")
    assert sorted(feed.trip_id[trips].tolist()) == ["late", "t1"] and set(shift.tolist()) == {0}


def test_bom_spaces_and_bad_rows_counted(tmp_path):
    folder = _basic(tmp_path)
    stops = (folder / "stops.txt").read_text().replace(",", ", ")
    (folder / "stops.txt").write_bytes(
        b"\xef\xbb\xbf" + (stops + "D, No place, , \nA, Again, 56.9, 24.1\n").encode()
    )
    times = (folder / "stop_times.txt").read_text()
    times = (
        "\ufeff"
        + times.replace(",", ", ")
        + (
            "t1, 08:40:00, 08:40:00, ZZ, 4\n"  # unknown stop
            "t9, 08:40:00, 08:40:00, A, 1\n"  # unknown trip
            "t1, 8h50, 8h50, A, 5\n"  # unreadable time
            "t1, 08:55:00, 08:55:00, A, x\n"  # unreadable sequence
        )
    )
    (folder / "stop_times.txt").write_text(times, encoding="utf-8")
    feed = load_feed(folder)
    reasons = feed.report.reasons()
    assert reasons["unknown stop_id"] == 1
    assert reasons["unknown trip_id"] == 1
    assert reasons["unreadable arrival_time or departure_time"] == 1
    assert reasons["unreadable stop_sequence"] == 1
    assert reasons["missing or unreadable coordinates"] == 1
    assert reasons["duplicate stop_id (the first row is kept)"] == 1
    rows = {r["row"] for r in feed.report.rejected}
    assert "stop_times.txt:7" in rows  # the first appended row: header is row 1
    assert feed.n_stops == 3 and feed.st_arr.tolist()[:3] == [28_800, 29_400, 30_600]
    assert feed.report.loaded == feed.report.read - len(feed.report.rejected)


def test_zip_same_as_folder_and_interpolation(tmp_path):
    folder = write_feed(
        tmp_path / "f",
        STOPS,
        [
            (
                "t",
                "7001",
                "WK",
                [("A", "08:00:00", "08:00:00"), ("B", "", ""), ("C", "08:20:00", "08:20:00")],
            )
        ],
    )
    archive = tmp_path / "feed.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for file in folder.iterdir():
            z.write(file, f"gtfs/{file.name}")
    a, b = load_feed(folder), load_feed(archive)
    assert a.st_arr.tolist() == b.st_arr.tolist() == [28_800, 29_400, 30_000]
    assert a.report.notes["stop_times_interpolated"] == 1


def test_backwards_trip_rejected_and_frequencies(tmp_path):
    folder = write_feed(
        tmp_path / "f",
        STOPS,
        [
            ("bad", "7001", "WK", [("A", "08:00:00", "08:00:00"), ("B", "07:50:00", "07:50:00")]),
            ("f", "5001", "WK", [("A", "00:00:00", "00:00:00"), ("C", "00:15:00", "00:15:00")]),
        ],
        extra={
            "frequencies.txt": "trip_id,start_time,end_time,headway_secs\nf,06:00:00,07:00:00,1200\n"
        },
    )
    feed = load_feed(folder)
    assert feed.report.reasons()["trip times run backwards or an end stop is untimed"] == 2
    assert feed.report.notes["frequency_trips_expanded"] == 3
    starts = feed.st_dep[feed.trip_start[:-1]]
    assert sorted(starts.tolist()) == [21_600, 22_800, 24_000]


def test_missing_file_and_column(tmp_path):
    folder = _basic(tmp_path)
    (folder / "stop_times.txt").write_text("trip_id,stop_id,arrival_time\nt1,A,08:00:00\n")
    with pytest.raises(MissingColumnError, match="stop_sequence"):
        load_feed(folder)
    (folder / "stop_times.txt").unlink()
    with pytest.raises(InputFileError, match="stop_times.txt is missing"):
        load_feed(folder)
    with pytest.raises(InputFileError, match="not found"):
        load_feed(tmp_path / "nowhere.zip")


@pytest.mark.realdata
def test_real_data_has_only_the_stop_table(real_data):
    from accessibility.transit import find_timetable

    found = find_timetable(real_data)
    if found.path is None:
        assert "gtfs_atd.csv" in found.note and "without timetables" in found.note
    else:
        assert load_feed(found.path).n_trips > 0


def test_find_timetable_prefers_the_gtfs_zip(tmp_path):
    from accessibility.transit import find_timetable

    folder = _basic(tmp_path)
    data = tmp_path / "data"
    data.mkdir()
    with zipfile.ZipFile(data / "gtfs-latvia-lv.zip", "w") as z:
        for file in folder.iterdir():
            z.write(file, file.name)
    found = find_timetable(data)
    assert found.path == data / "gtfs-latvia-lv.zip" and "stop_times.txt" in found.note
    assert load_feed(found.path).n_trips == 2
    (data / "gtfs-latvia-lv.zip").unlink()
    assert find_timetable(data).path is None


def test_parse_times_fast_and_slow_paths():
    import pandas as pd

    from accessibility.transit.feed import parse_times

    cells = ["08:00:00", "8:05:00", "25:10:00", "", None, "xx", "08:61:00", "100:00:00", "08:0a:00"]
    assert parse_times(pd.Series(cells)).tolist() == [
        28_800,
        29_100,
        90_600,
        -1,
        -1,
        -2,
        -2,
        360_000,
        -2,
    ]
    # A non-ASCII cell sends every cell the slow way, with the same answers.
    assert parse_times(pd.Series(["08:00:00", "ā8:00:00", "1:00:00"])).tolist() == [
        28_800,
        -2,
        3_600,
    ]
