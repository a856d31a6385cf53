"""Read a GTFS feed (zip or folder) into compact integer arrays, with a load report."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Transformer

from .. import settings
from .._errors import InputFileError, MissingColumnError
from .._loadreport import LoadReport
from ..io._tables import decode_bytes, read_text_table, read_zip_member, zip_members

#: Seconds in a day; GTFS times may run past 24:00:00 for trips that start the evening before.
DAY = 86_400


@dataclass
class Feed:
    """A GTFS timetable held as numpy arrays (one row per stop, route, trip, stop time).

    Stop times are sorted by trip and ``stop_sequence``; the stop times of trip ``t`` are rows
    ``trip_start[t]:trip_start[t + 1]`` of ``st_stop``, ``st_arr`` and ``st_dep`` (seconds since
    the start of the service day, past 86,400 for times after midnight). Every other array
    refers to stops, routes, trips and services by position.
    """

    source: str
    stop_id: np.ndarray
    stop_name: np.ndarray
    stop_x: np.ndarray
    stop_y: np.ndarray
    route_id: np.ndarray
    route_short_name: np.ndarray
    route_type: np.ndarray
    service_id: np.ndarray
    trip_id: np.ndarray
    trip_route: np.ndarray
    trip_service: np.ndarray
    trip_start: np.ndarray
    st_stop: np.ndarray
    st_arr: np.ndarray
    st_dep: np.ndarray
    calendar_service: np.ndarray
    calendar_days: np.ndarray
    calendar_start: np.ndarray
    calendar_end: np.ndarray
    dates_service: np.ndarray
    dates_date: np.ndarray
    dates_type: np.ndarray
    transfer_from: np.ndarray
    transfer_to: np.ndarray
    transfer_type: np.ndarray
    transfer_seconds: np.ndarray
    report: LoadReport = field(repr=False)

    @property
    def n_stops(self) -> int:
        """Number of stops."""
        return len(self.stop_id)

    @property
    def n_trips(self) -> int:
        """Number of trips (frequency-based trips expanded into one trip per departure)."""
        return len(self.trip_id)

    def stops_frame(self) -> gpd.GeoDataFrame:
        """The stops as a GeoDataFrame in EPSG:3059 (``stop_id``, ``stop_name``, ``geometry``)."""
        return gpd.GeoDataFrame(
            {"stop_id": self.stop_id.astype(str), "stop_name": self.stop_name},
            geometry=gpd.points_from_xy(self.stop_x, self.stop_y),
            crs=settings.CRS,
        )

    def route_numbers_of_trips(self) -> np.ndarray:
        """The route number of each trip: ``route_short_name``, else ``route_id``."""
        return self.route_short_name[self.trip_route]


# --------------------------------------------------------------------------- reading


def _feed_bytes(feed: Path, name: str, *, required: bool) -> tuple[str, bytes | None]:
    """The label (for messages) and bytes of ``name`` in a GTFS zip or folder (None if absent)."""
    if feed.is_dir():
        file = feed / name
        if not file.is_file():
            if required:
                raise InputFileError(feed, f"not a GTFS timetable: {name} is missing")
            return str(file), None
        try:
            return str(file), file.read_bytes()
        except OSError as exc:
            raise InputFileError(file, f"cannot be read: {exc}") from exc
    if not zip_members(feed, name):
        if required:
            raise InputFileError(feed, f"not a GTFS timetable: {name} is missing from the zip")
        return f"{feed}/{name}", None
    member, data = read_zip_member(feed, name)
    return f"{feed}/{member}", data


def _small_table(feed: Path, name: str, required: tuple[str, ...], *, optional: bool = False):
    label, data = _feed_bytes(feed, name, required=not optional)
    if data is None:
        return label, None
    if not data.strip():
        if optional:
            return label, None
        raise InputFileError(label, "file is empty")
    table = read_text_table(label, data=data, sep=",", required=required)
    return label, table


def _big_table(label: str, data: bytes, columns: tuple[str, ...], optional: tuple[str, ...]):
    """Only the named columns of a large file, as text; a BOM and spaces after commas are fine."""
    end = data.find(b"\n")
    head, _ = decode_bytes(data[: end if end >= 0 else len(data)], source=label)
    header = [h.strip() for h in head.rstrip("\r").split(",")]
    missing = [c for c in columns if c not in header]
    if missing:
        raise MissingColumnError(label, f"required column {missing[0]!r} missing", field=missing[0])
    wanted = set(columns) | set(optional)
    options: dict[str, Any] = {
        "usecols": lambda c: c.strip() in wanted,
        "dtype": str,
        "skipinitialspace": True,
        "keep_default_na": False,
    }
    try:
        try:
            table = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", **options)
        except UnicodeDecodeError:
            text, _ = decode_bytes(data, source=label)
            table = pd.read_csv(io.StringIO(text), **options)
    except (pd.errors.ParserError, ValueError) as exc:
        raise InputFileError(label, f"cannot be parsed: {exc}") from exc
    table.columns = [c.strip() for c in table.columns]
    for column in table.columns:
        table[column] = table[column].str.strip()
    return table


def parse_times(values: pd.Series) -> np.ndarray:
    """GTFS ``H:MM:SS`` times as seconds (int64); -1 for blank, -2 for unreadable cells.

    Hours may exceed 23 (a trip running past midnight of its service day).
    """
    text = values.fillna("").astype(str).to_numpy(dtype=str)
    out = np.full(len(text), -2, dtype=np.int64)
    lengths = np.char.str_len(text) if len(text) else np.zeros(0, dtype=np.int64)
    out[lengths == 0] = -1
    # The usual "HH:MM:SS" cells are read from their bytes at once; the others one by one.
    fixed = np.flatnonzero(lengths == 8)
    try:
        encoded = text[fixed].astype("S8")
    except UnicodeEncodeError:  # a non-ASCII cell: every cell the slow way
        encoded, fixed = None, fixed[:0]
    if len(fixed):
        raw = np.frombuffer(encoded.tobytes(), dtype=np.uint8).reshape(-1, 8)
        digits = raw.astype(np.int64) - ord("0")
        is_digit = (digits >= 0) & (digits <= 9)
        ok = (
            is_digit[:, [0, 1, 3, 4, 6, 7]].all(axis=1)
            & (raw[:, 2] == ord(":"))
            & (raw[:, 5] == ord(":"))
        )
        h = digits[:, 0] * 10 + digits[:, 1]
        m = digits[:, 3] * 10 + digits[:, 4]
        sec = digits[:, 6] * 10 + digits[:, 7]
        ok &= (m < 60) & (sec < 61)
        out[fixed[ok]] = h[ok] * 3600 + m[ok] * 60 + sec[ok]
    slow = (lengths > 0) & (out == -2)
    slow[fixed] = False
    for i in np.flatnonzero(slow):
        parts = text[i].split(":")
        if len(parts) == 3 and all(p.isdigit() for p in parts):
            h, m, sec = (int(p) for p in parts)
            if m < 60 and sec < 61:
                out[i] = h * 3600 + m * 60 + sec
    return out


def _codes(values: pd.Series, index: pd.Index) -> np.ndarray:
    return index.get_indexer(values.fillna("").astype(str))


def _reject_rows(
    report: LoadReport, file: str, mask: np.ndarray, reason: str, field: str, ids
) -> None:
    for i in np.flatnonzero(mask):
        report.reject(f"{file}:{i + 2}", reason, field=field, id=ids[i])


def load_feed(path: str | PathLike[str]) -> Feed:
    """Read a GTFS timetable: stops, routes, trips, stop_times, calendar, calendar_dates,
    and the optional frequencies and transfers.

    Parameters
    ----------
    path
        A GTFS ``.zip`` or a folder holding the ``.txt`` files. A byte-order mark, spaces after
        commas and Windows line ends are tolerated (the ATD's feeds have them).

    Returns
    -------
    Feed
        The timetable as arrays. ``feed.report`` (a :class:`~accessibility._loadreport.LoadReport`)
        counts stop times read and rejected; every rejected row of any file is listed as
        ``"file:row"`` (row 1 is the header) with the reason and the field. Rejections: stops
        with missing or unreadable coordinates or a duplicate id, trips with an unknown route,
        stop times with an unknown trip or stop, an unreadable time or ``stop_sequence``, and
        trips left with fewer than two stop times or whose times run backwards. Untimed
        intermediate stop times are interpolated (counted in ``notes``). Frequency-based trips
        are expanded into one trip per departure (counted in ``notes``).

    Raises
    ------
    InputFileError
        If the path is missing, a required file or column is absent, or a file cannot be parsed.
    """
    feed = Path(path)
    if not feed.exists():
        raise InputFileError(feed, "file not found")
    if not (feed.is_dir() or feed.suffix.lower() == ".zip"):
        raise InputFileError(feed, "expected a GTFS .zip or a folder of GTFS .txt files")
    report = LoadReport(source=str(feed))
    notes = report.notes
    notes["format"] = "GTFS timetable"

    # ---- stops
    _, stops = _small_table(feed, "stops.txt", ("stop_id", "stop_lat", "stop_lon"))
    ids = stops["stop_id"].fillna("").astype(str)
    lon = pd.to_numeric(stops["stop_lon"], errors="coerce").to_numpy(dtype=float)
    lat = pd.to_numeric(stops["stop_lat"], errors="coerce").to_numpy(dtype=float)
    bad_id = (ids == "").to_numpy()
    dup = ids.duplicated().to_numpy() & ~bad_id
    bad_xy = ~(np.isfinite(lon) & np.isfinite(lat)) | (np.abs(lat) > 90) | (np.abs(lon) > 180)
    _reject_rows(report, "stops.txt", bad_id, "missing stop_id", "stop_id", ids.to_numpy())
    _reject_rows(
        report,
        "stops.txt",
        dup,
        "duplicate stop_id (the first row is kept)",
        "stop_id",
        ids.to_numpy(),
    )
    _reject_rows(
        report,
        "stops.txt",
        bad_xy & ~bad_id & ~dup,
        "missing or unreadable coordinates",
        "stop_lat",
        ids.to_numpy(),
    )
    keep = ~(bad_id | dup | bad_xy)
    to_3059 = Transformer.from_crs(settings.LONLAT_CRS, settings.CRS, always_xy=True)
    x, y = to_3059.transform(lon[keep], lat[keep])
    stop_id = ids.to_numpy()[keep].astype(object)
    names = stops["stop_name"] if "stop_name" in stops.columns else pd.Series("", index=stops.index)
    stop_name = names.fillna("").astype(str).to_numpy()[keep].astype(object)
    stop_index = pd.Index(stop_id)
    notes["stops"] = int(keep.sum())
    read = len(stops)

    # ---- routes
    _, routes = _small_table(feed, "routes.txt", ("route_id",))
    routes = routes.drop_duplicates("route_id")
    route_id = routes["route_id"].fillna("").astype(str).to_numpy().astype(object)
    short = (
        routes["route_short_name"].fillna("").astype(str)
        if "route_short_name" in routes.columns
        else pd.Series("", index=routes.index)
    ).to_numpy()
    short = np.where(short == "", route_id, short).astype(object)
    rtype = (
        pd.to_numeric(routes["route_type"], errors="coerce").fillna(-1).astype(np.int64).to_numpy()
        if "route_type" in routes.columns
        else np.full(len(routes), -1, dtype=np.int64)
    )
    route_index = pd.Index(route_id)
    read += len(routes)

    # ---- calendar and calendar_dates
    services: dict[str, None] = {}
    _, cal = _small_table(
        feed, "calendar.txt", ("service_id", "start_date", "end_date"), optional=True
    )
    days = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    cal_rows: list[tuple[str, list[bool], int, int]] = []
    if cal is not None:
        read += len(cal)
        missing = [d for d in days if d not in cal.columns]
        if missing:
            raise MissingColumnError(
                "calendar.txt", f"required column {missing[0]!r} missing", field=missing[0]
            )
        for i, row in enumerate(cal.itertuples(index=False)):
            r = row._asdict()
            start = pd.to_numeric(r["start_date"], errors="coerce")
            end = pd.to_numeric(r["end_date"], errors="coerce")
            flags = [str(r[d]).strip() for d in days]
            if pd.isna(start) or pd.isna(end) or any(f not in ("0", "1") for f in flags):
                report.reject(
                    f"calendar.txt:{i + 2}",
                    "unreadable dates or weekday flags",
                    field="start_date",
                    id=r["service_id"],
                )
                continue
            services.setdefault(str(r["service_id"]), None)
            cal_rows.append((str(r["service_id"]), [f == "1" for f in flags], int(start), int(end)))
    _, cdates = _small_table(
        feed, "calendar_dates.txt", ("service_id", "date", "exception_type"), optional=True
    )
    cd_rows: list[tuple[str, int, int]] = []
    if cdates is not None:
        read += len(cdates)
        date = pd.to_numeric(cdates["date"], errors="coerce")
        kind = pd.to_numeric(cdates["exception_type"], errors="coerce")
        for i, (sid, d, k) in enumerate(
            zip(cdates["service_id"].astype(str), date, kind, strict=True)
        ):
            if pd.isna(d) or k not in (1, 2):
                report.reject(
                    f"calendar_dates.txt:{i + 2}",
                    "unreadable date or exception_type",
                    field="date",
                    id=sid,
                )
                continue
            services.setdefault(sid, None)
            cd_rows.append((sid, int(d), int(k)))
    if cal is None and cdates is None:
        raise InputFileError(
            feed, "not a GTFS timetable: neither calendar.txt nor calendar_dates.txt"
        )

    # ---- trips
    _, trips = _small_table(feed, "trips.txt", ("route_id", "service_id", "trip_id"))
    read += len(trips)
    trip_ids = trips["trip_id"].fillna("").astype(str)
    t_route = _codes(trips["route_id"], route_index)
    for sid in trips["service_id"].fillna("").astype(str):
        services.setdefault(sid, None)
    service_index = pd.Index(list(services))
    t_service = _codes(trips["service_id"], service_index)
    t_dup = trip_ids.duplicated().to_numpy()
    t_ids = trip_ids.to_numpy()
    _reject_rows(report, "trips.txt", t_route < 0, "unknown route_id", "route_id", t_ids)
    _reject_rows(
        report,
        "trips.txt",
        t_dup & (t_route >= 0),
        "duplicate trip_id (the first row is kept)",
        "trip_id",
        t_ids,
    )
    t_keep = (t_route >= 0) & ~t_dup
    trip_index = pd.Index(t_ids[t_keep])

    # ---- stop_times
    label, data = _feed_bytes(feed, "stop_times.txt", required=True)
    assert data is not None
    st = _big_table(
        label, data, ("trip_id", "stop_id", "stop_sequence"), ("arrival_time", "departure_time")
    )
    read += len(st)
    n = len(st)
    row_trip = _codes(st["trip_id"], trip_index)
    row_stop = _codes(st["stop_id"], stop_index)
    seq = pd.to_numeric(st["stop_sequence"], errors="coerce").to_numpy(dtype=float)
    arr = parse_times(st["arrival_time"]) if "arrival_time" in st.columns else np.full(n, -1)
    dep = parse_times(st["departure_time"]) if "departure_time" in st.columns else np.full(n, -1)
    arr = np.where(arr == -1, dep, arr)
    dep = np.where(dep == -1, arr, dep)
    st_ids = st["trip_id"].to_numpy()
    bad = np.zeros(n, dtype=bool)
    for mask, reason, fld in (
        (row_trip < 0, "unknown trip_id", "trip_id"),
        (row_stop < 0, "unknown stop_id", "stop_id"),
        (~np.isfinite(seq), "unreadable stop_sequence", "stop_sequence"),
        ((arr == -2) | (dep == -2), "unreadable arrival_time or departure_time", "arrival_time"),
    ):
        _reject_rows(report, "stop_times.txt", mask & ~bad, reason, fld, st_ids)
        bad |= mask
    idx = np.flatnonzero(~bad)
    order = np.lexsort((seq[idx], row_trip[idx]))
    idx = idx[order]
    trip_of = row_trip[idx]
    a, d = arr[idx].astype(np.float64), dep[idx].astype(np.float64)
    untimed = a < 0
    first = np.r_[True, trip_of[1:] != trip_of[:-1]]
    last = np.r_[trip_of[1:] != trip_of[:-1], True]
    # A trip must be timed at both ends; untimed stops between are interpolated by position.
    bad_trip = np.zeros(len(trip_index), dtype=bool)
    bad_trip[trip_of[(first | last) & untimed]] = True
    count = np.bincount(trip_of, minlength=len(trip_index))
    bad_trip |= count < 2
    if untimed.any():
        pos = np.arange(len(idx), dtype=np.float64)
        timed = ~untimed
        a[untimed] = np.interp(pos[untimed], pos[timed], a[timed])
        d[untimed] = a[untimed]
        notes["stop_times_interpolated"] = int((untimed & ~bad_trip[trip_of]).sum())
    # Times must not run backwards along a trip.
    back = (d < a) | np.r_[False, (a[1:] < d[:-1]) & ~first[1:]]
    bad_trip[trip_of[back]] = True
    drop = bad_trip[trip_of]
    reasons = np.where(
        count < 2,
        "trip has fewer than two stop times",
        "trip times run backwards or an end stop is untimed",
    )
    for i in np.flatnonzero(drop):
        report.reject(
            f"stop_times.txt:{idx[i] + 2}",
            str(reasons[trip_of[i]]),
            field="trip_id",
            id=st_ids[idx[i]],
        )
    idx, trip_of, a, d = idx[~drop], trip_of[~drop], a[~drop], d[~drop]
    st_stop = row_stop[idx].astype(np.int32)
    st_arr = np.rint(a).astype(np.int32)
    st_dep = np.rint(d).astype(np.int32)
    kept_trips = np.unique(trip_of)
    remap = np.full(len(trip_index), -1, dtype=np.int64)
    remap[kept_trips] = np.arange(len(kept_trips))
    trip_of = remap[trip_of]
    trip_start = np.zeros(len(kept_trips) + 1, dtype=np.int64)
    np.cumsum(np.bincount(trip_of, minlength=len(kept_trips)), out=trip_start[1:])
    notes["stop_times"] = len(idx)
    notes["trips_without_usable_stop_times"] = int(t_keep.sum() - len(kept_trips))
    kept_rows = np.flatnonzero(t_keep)[kept_trips]
    trip_id = t_ids[kept_rows].astype(object)
    trip_route = t_route[kept_rows].astype(np.int32)
    trip_service = t_service[kept_rows].astype(np.int32)

    # ---- frequencies: one concrete trip per departure of the headway
    _, freq = _small_table(
        feed,
        "frequencies.txt",
        ("trip_id", "start_time", "end_time", "headway_secs"),
        optional=True,
    )
    if freq is not None and len(freq):
        read += len(freq)
        trip_id, trip_route, trip_service, trip_start, st_stop, st_arr, st_dep = (
            _expand_frequencies(
                freq,
                report,
                pd.Index(trip_id),
                trip_id,
                trip_route,
                trip_service,
                trip_start,
                st_stop,
                st_arr,
                st_dep,
            )
        )

    # ---- transfers
    tf = (np.zeros(0, np.int32),) * 3 + (np.zeros(0, np.int32),)
    _, transfers = _small_table(
        feed, "transfers.txt", ("from_stop_id", "to_stop_id"), optional=True
    )
    if transfers is not None and len(transfers):
        read += len(transfers)
        fr = _codes(transfers["from_stop_id"], stop_index)
        to = _codes(transfers["to_stop_id"], stop_index)
        kind = (
            pd.to_numeric(
                transfers.get("transfer_type", pd.Series("0", index=transfers.index)).fillna("0"),
                errors="coerce",
            )
            .fillna(-1)
            .to_numpy()
        )
        secs = (
            pd.to_numeric(
                transfers.get("min_transfer_time", pd.Series("", index=transfers.index)),
                errors="coerce",
            )
            .fillna(0)
            .to_numpy()
        )
        tids = transfers["from_stop_id"].to_numpy()
        bad_t = (fr < 0) | (to < 0) | ~np.isin(kind, [0, 1, 2, 3])
        _reject_rows(
            report,
            "transfers.txt",
            bad_t,
            "unknown stop or transfer_type (trip and route transfers are not read)",
            "from_stop_id",
            tids,
        )
        ok = ~bad_t
        tf = (
            fr[ok].astype(np.int32),
            to[ok].astype(np.int32),
            kind[ok].astype(np.int32),
            secs[ok].astype(np.int32),
        )

    report.read = read
    cal_service = np.array([service_index.get_loc(s) for s, *_ in cal_rows], dtype=np.int32)
    out = Feed(
        source=str(feed),
        stop_id=stop_id,
        stop_name=stop_name,
        stop_x=np.asarray(x, dtype=np.float64),
        stop_y=np.asarray(y, dtype=np.float64),
        route_id=route_id,
        route_short_name=short,
        route_type=rtype,
        service_id=np.asarray(service_index, dtype=object),
        trip_id=trip_id,
        trip_route=trip_route,
        trip_service=trip_service,
        trip_start=trip_start,
        st_stop=st_stop,
        st_arr=st_arr,
        st_dep=st_dep,
        calendar_service=cal_service,
        calendar_days=np.array([f for _, f, _, _ in cal_rows], dtype=bool).reshape(-1, 7),
        calendar_start=np.array([s for *_, s, _ in cal_rows], dtype=np.int64),
        calendar_end=np.array([e for *_, e in cal_rows], dtype=np.int64),
        dates_service=np.array([service_index.get_loc(s) for s, _, _ in cd_rows], dtype=np.int32),
        dates_date=np.array([d for _, d, _ in cd_rows], dtype=np.int64),
        dates_type=np.array([k for *_, k in cd_rows], dtype=np.int8),
        transfer_from=tf[0],
        transfer_to=tf[1],
        transfer_type=tf[2],
        transfer_seconds=tf[3],
        report=report,
    )
    notes["trips"] = out.n_trips
    notes["services"] = len(service_index)
    return out


def _expand_frequencies(
    freq, report, index, trip_id, trip_route, trip_service, trip_start, st_stop, st_arr, st_dep
):
    """Replace each frequency-based template trip by one trip per departure."""
    t = _codes(freq["trip_id"], index)
    start = parse_times(freq["start_time"])
    end = parse_times(freq["end_time"])
    head = pd.to_numeric(freq["headway_secs"], errors="coerce").to_numpy(dtype=float)
    bad = (t < 0) | (start < 0) | (end < 0) | ~(head > 0)
    _reject_rows(
        report,
        "frequencies.txt",
        bad,
        "unknown trip_id, unreadable time or headway",
        "trip_id",
        freq["trip_id"].to_numpy(),
    )
    templates = set(t[~bad].tolist())
    new_ids, new_route, new_service, pieces_stop, pieces_arr, pieces_dep, lengths = (
        [],
        [],
        [],
        [],
        [],
        [],
        [],
    )
    for k in range(len(trip_id)):
        a, b = trip_start[k], trip_start[k + 1]
        if k not in templates:
            new_ids.append(trip_id[k])
            new_route.append(trip_route[k])
            new_service.append(trip_service[k])
            pieces_stop.append(st_stop[a:b])
            pieces_arr.append(st_arr[a:b])
            pieces_dep.append(st_dep[a:b])
            lengths.append(b - a)
    expanded = 0
    for j in np.flatnonzero(~bad):
        k = t[j]
        a, b = trip_start[k], trip_start[k + 1]
        offset_arr = st_arr[a:b] - st_dep[a]
        offset_dep = st_dep[a:b] - st_dep[a]
        for n, first in enumerate(range(int(start[j]), int(end[j]), int(head[j]))):
            new_ids.append(f"{trip_id[k]}#{n}")
            new_route.append(trip_route[k])
            new_service.append(trip_service[k])
            pieces_stop.append(st_stop[a:b])
            pieces_arr.append(offset_arr + first)
            pieces_dep.append(offset_dep + first)
            lengths.append(b - a)
            expanded += 1
    report.notes["frequency_trips_expanded"] = expanded
    starts = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=starts[1:])
    cat = lambda p, dt: np.concatenate(p).astype(dt) if p else np.zeros(0, dt)
    return (
        np.asarray(new_ids, dtype=object),
        np.asarray(new_route, dtype=np.int32),
        np.asarray(new_service, dtype=np.int32),
        starts,
        cat(pieces_stop, np.int32),
        cat(pieces_arr, np.int32),
        cat(pieces_dep, np.int32),
    )
