"""Property tests of the CSV and GTFS readers: whatever the bytes, a reader returns what the file
holds or raises one of the toolkit's errors; it never crashes with another exception and never
loses a row without counting it."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accessibility import load_stops
from accessibility._errors import AccessibilityError
from accessibility.io._tables import read_text_table

# Cell text as people type it: Latvian letters, spaces, quotes, separators, digits. No NUL
# and no newline (a newline inside a quoted cell is valid CSV but not in these exports).
_CELL = st.text(
    alphabet=st.sampled_from(list("abcĀāČčĒēĢģĪīĶķĻļŅņŠšŪūŽž 0123456789-.,;'\"")),
    max_size=12,
)
_NAME = st.text(alphabet=st.sampled_from(list("abcdefxyz_")), min_size=1, max_size=8)

_SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _csv(header: list[str], rows: list[list[str]], sep: str) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=sep, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


@_SETTINGS
@given(
    header=st.lists(_NAME, min_size=1, max_size=5, unique=True),
    data=st.data(),
    sep=st.sampled_from([",", ";", "\t"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1257"]),
)
def test_a_quoted_csv_reads_back_cell_for_cell(
    tmp_path: Path, header: list[str], data: st.DataObject, sep: str, encoding: str
) -> None:
    rows = data.draw(
        st.lists(st.lists(_CELL, min_size=len(header), max_size=len(header)), max_size=8)
    )
    path = tmp_path / "table.csv"
    path.write_bytes(_csv(header, rows, sep).encode(encoding))
    table = read_text_table(path, sep=sep, dtype=str)
    assert list(table.columns) == header
    assert len(table) == len(rows)
    # Spaces around cells are stripped by the reader; empty cells read as missing.
    expected = [[cell.strip() for cell in row] for row in rows]
    got = [["" if pd.isna(v) else str(v).strip() for v in row] for row in table.to_numpy()]
    assert got == expected


@_SETTINGS
@given(content=st.binary(max_size=300))
def test_any_bytes_give_a_table_or_a_toolkit_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "junk.csv"
    path.write_bytes(content)
    try:
        read_text_table(path)
    except AccessibilityError as exc:
        assert str(path) in str(exc)


_STOP = st.fixed_dictionaries(
    {
        "stop_id": st.text(alphabet="0123456789abc", min_size=0, max_size=4),
        "stop_name": _CELL,
        "stop_lat": st.one_of(
            st.floats(55.6, 58.1), st.floats(allow_nan=True, allow_infinity=True), _CELL
        ),
        "stop_lon": st.one_of(
            st.floats(20.8, 28.3), st.floats(allow_nan=True, allow_infinity=True), _CELL
        ),
    }
)


@_SETTINGS
@given(stops=st.lists(_STOP, max_size=8), route=st.sampled_from(["7001", "5123", "K7410", ""]))
def test_a_gtfs_feed_loads_counted_or_fails_in_one_line(
    tmp_path: Path, stops: list[dict[str, object]], route: str
) -> None:
    feed = tmp_path / "feed"
    feed.mkdir(exist_ok=True)
    rows = [[str(s[k]) for k in ("stop_id", "stop_name", "stop_lat", "stop_lon")] for s in stops]
    (feed / "stops.txt").write_text(
        _csv(["stop_id", "stop_name", "stop_lat", "stop_lon"], rows, ","), encoding="utf-8"
    )
    (feed / "routes.txt").write_text(
        _csv(["route_id", "route_short_name", "route_type"], [["r1", route, "3"]], ","),
        encoding="utf-8",
    )
    (feed / "trips.txt").write_text(
        _csv(["route_id", "service_id", "trip_id"], [["r1", "s", "t1"]], ","), encoding="utf-8"
    )
    times = [["t1", "08:00:00", "08:00:00", r[0], str(i)] for i, r in enumerate(rows)]
    (feed / "stop_times.txt").write_text(
        _csv(["trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"], times, ","),
        encoding="utf-8",
    )
    try:
        loaded = load_stops(feed)
    except AccessibilityError as exc:
        assert "\n" not in str(exc).strip()
        return
    report = loaded.attrs["load_report"]
    # Every row read is either loaded or rejected with a reason: none vanishes.
    assert report["read"] == len(stops)
    assert report["loaded"] == len(loaded)
    assert report["loaded"] + report["rejected"] == report["read"]
    assert all(r["reason"] for r in report["rejected_rows"])
    # Whatever was kept lies in Latvia's box, in EPSG:3059 metres.
    if len(loaded):
        assert loaded.crs.to_epsg() == 3059
        assert loaded.geometry.x.between(295_000, 775_000).all()


@pytest.mark.parametrize("sep", [",", ";"])
def test_a_blank_line_inside_a_csv_is_not_the_end(tmp_path: Path, sep: str) -> None:
    path = tmp_path / "t.csv"
    path.write_text(f"a{sep}b\n1{sep}2\n\n3{sep}4\n", encoding="utf-8")
    assert read_text_table(path)["a"].tolist() == ["1", "3"]
