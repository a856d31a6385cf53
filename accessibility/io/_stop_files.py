"""Reading stop files: the ATD stop table (gtfs_atd.csv) and GTFS feeds, routes per stop, modes."""

from __future__ import annotations

import io
import re
from collections import Counter
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from .. import settings
from .._errors import InputFileError, MissingColumnError
from .._loadreport import LoadReport
from ._points import (
    coordinate_columns,
    find_column,
    reject_duplicates_and_missing_ids,
    spreadsheet_row,
    table_points,
)
from ._tables import decode_bytes, read_text_table, read_zip_member, zip_members

#: Modes of the ATD table's ``veidi`` column (Latvian) and of plain tables (English).
MODE_NAMES: dict[str, str] = {
    "autobuss": "bus",
    "vilciens": "rail",
    "tramvajs": "tram",
    "trolejbuss": "trolleybus",
    "bus": "bus",
    "coach": "bus",
    "rail": "rail",
    "train": "rail",
    "tram": "tram",
    "trolleybus": "trolleybus",
    "ferry": "ferry",
    "metro": "metro",
}


#: Marks that end a route list cut short (the ATD table writes `` …``).
_CUT_MARKS: tuple[str, ...] = ("…", "...")


_ROUTES_UNKNOWN_GTFS = (
    "the feed has no stop_times.txt, so the routes serving each stop could not be aggregated: "
    "routes are empty and no stop is marked intercity"
)


_ROUTES_UNKNOWN_TABLE = "the table has no routes column, so no stop could be marked intercity"


#: Columns of a plain stop table that are read by name (the others are kept as they are).
_TABLE_FIELDS: tuple[str, ...] = (
    "stop_id",
    "stop_name",
    "routes",
    "mode",
    "route_count",
    "routes_truncated",
)


# GTFS location_type values (https://gtfs.org/schedule/reference/#stopstxt).
_STOP_OR_PLATFORM, _STATION, _ENTRANCE, _GENERIC_NODE, _BOARDING_AREA = 0, 1, 2, 3, 4
_LOCATION_REASONS: dict[int, str] = {
    _STATION: "GTFS station (location_type 1): not a boarding point, its stops are loaded",
    _ENTRANCE: "GTFS entrance/exit (location_type 2): not a boarding point",
    _GENERIC_NODE: "GTFS generic node (location_type 3): not a boarding point",
    _BOARDING_AREA: "GTFS boarding area (location_type 4): counted with its parent stop",
}


def route_type_mode(route_type: int) -> str:
    """The mode of a GTFS ``route_type``, standard or extended (Google's hierarchical types).

    0 tram, 1 metro, 2 rail, 3 bus, 4 ferry, 5 cable tram, 6 aerial lift, 7 funicular,
    11 trolleybus, 12 monorail; extended 100–199 rail, 200–299 coach (bus), 400–499 urban
    rail (metro), 700–799 bus, 800–899 trolleybus, 900–999 tram, 1000–1299 water (ferry),
    1300–1399 aerial lift, 1400–1499 funicular; anything else "other".
    """
    basic = {
        0: "tram",
        1: "metro",
        2: "rail",
        3: "bus",
        4: "ferry",
        5: "cable_tram",
        6: "aerial_lift",
        7: "funicular",
        11: "trolleybus",
        12: "monorail",
    }
    if route_type in basic:
        return basic[route_type]
    hundreds = {
        1: "rail",
        2: "bus",
        4: "metro",
        5: "metro",
        6: "metro",
        7: "bus",
        8: "trolleybus",
        9: "tram",
        10: "ferry",
        12: "ferry",
        13: "aerial_lift",
        14: "funicular",
    }
    if 100 <= route_type < 1500:
        return hundreds.get(route_type // 100, "other")
    return "other"


def parse_route_list(text: Any) -> tuple[list[str], bool]:
    """Split a route list such as ``"5490, 5493, 5494 …"`` into route numbers.

    Returns
    -------
    tuple of (list of str, bool)
        The sorted unique route numbers, and whether the list was marked as cut
        (ending with ``…`` or ``...``).
    """
    if text is None or (isinstance(text, float) and np.isnan(text)) or text is pd.NA:
        return [], False
    text = str(text).strip()
    truncated = False
    for mark in _CUT_MARKS:
        if text.endswith(mark):
            truncated = True
            text = text[: -len(mark)].rstrip()
            break
    parts = (p.strip() for p in re.split(r"[;,]", text))
    return sorted({p for p in parts if p}, key=_natural_key), truncated


def _load_table(source: Path, *, crs: Any) -> tuple[gpd.GeoDataFrame, LoadReport]:
    """The ATD stop table or a plain CSV of stops."""
    table = read_text_table(source)
    report = LoadReport(source=str(source), read=len(table))
    if "encoding_note" in table.attrs:
        report.notes["encoding"] = table.attrs["encoding_note"]
    if len(table) == 0:
        raise InputFileError(source, "holds no rows (only a header)")
    atd = (
        find_column(table.columns, ("nosaukums", "marsrutu_saraksts", "veidi", "marsruti"))
        is not None
    )
    if atd:
        report.notes["format"] = "ATD stop table"
        names = {
            "id": "stop_id",
            "nosaukums": "stop_name",
            "marsrutu_saraksts": "routes",
            "veidi": "mode",
            "marsruti": "route_count",
        }
        required: tuple[str, ...] = ("id", "nosaukums", "marsrutu_saraksts")
    else:
        report.notes["format"] = "stop table"
        names = {"id": "stop_id", "name": "stop_name"}
        required = ("stop_id",)
    rename: dict[str, str] = {}
    for column in table.columns:
        lowered = str(column).strip().lower()
        wanted = names.get(lowered, lowered)
        if (
            wanted in _TABLE_FIELDS
            and wanted not in rename.values()
            and wanted not in table.columns
        ):
            rename[column] = wanted
    present = set(rename.values()) | {c for c in table.columns if c in _TABLE_FIELDS}
    for field in required:
        if names.get(field, field) not in present:
            raise MissingColumnError(
                source,
                f"required column {field!r} missing; found {', '.join(map(repr, table.columns))}",
                field=field,
            )
    x_col, y_col, coord_crs = coordinate_columns(
        table, source=source, crs=crs, default_xy_crs=settings.LONLAT_CRS if atd else None
    )
    table = table.rename(columns=rename)
    # Cells may keep trailing spaces ("5490 "); ids and names are compared stripped.
    for column in _TABLE_FIELDS:
        if column in table.columns:
            table[column] = _strip(table[column])

    rows = [spreadsheet_row(i) for i in range(len(table))]
    ids = table["stop_id"].tolist()
    keep = reject_duplicates_and_missing_ids(
        table["stop_id"], report, field="stop_id", rows=rows, id_name="stop_id"
    )
    geometry, keep = table_points(
        table,
        report,
        source=source,
        x_column=x_col,
        y_column=y_col,
        crs=coord_crs,
        keep=keep,
        ids=ids,
        rows=rows,
    )

    parsed = [parse_route_list(v) for v in table["routes"]] if "routes" in table.columns else None
    if parsed is None:
        report.notes["routes_unknown"] = _ROUTES_UNKNOWN_TABLE
        routes: list[list[str]] = [[] for _ in range(len(table))]
        truncated = np.zeros(len(table), dtype=bool)
    else:
        routes = [p[0] for p in parsed]
        truncated = np.array([p[1] for p in parsed], dtype=bool)
    if "routes_truncated" in table.columns and parsed is not None:
        truncated |= (
            table["routes_truncated"].str.lower().isin(["true", "1", "yes"]).to_numpy(dtype=bool)
        )

    listed = np.array([len(r) for r in routes], dtype=np.int64)
    if "route_count" in table.columns:
        counts = pd.to_numeric(table["route_count"], errors="coerce")
        bad_count = counts.isna() | (counts < 0) | (counts != counts.round())
        if (bad_count & keep).any():
            report.notes["route_count_unreadable"] = int((bad_count & keep).sum())
        route_count = np.where(bad_count, listed, counts.fillna(0)).astype(np.int64)
        over = keep & ~truncated & (route_count > listed)
        if over.any():
            # In the ATD table the count can exceed the listed (unique) route numbers without
            # the list being cut; the count may include route variants.
            report.notes["route_count_exceeds_listed"] = int(over.sum())
    else:
        route_count = listed

    if "mode" in table.columns:
        raw_mode = table["mode"].str.lower()
        mode = raw_mode.map(
            lambda v: MODE_NAMES.get(v, v) if isinstance(v, str) and v else "unknown"
        )
        unknown = sorted({str(v) for v in mode[keep] if v not in MODE_NAMES.values()})
        if unknown:
            report.notes["unrecognised_modes"] = unknown
    else:
        mode = pd.Series("bus", index=table.index)
        report.notes["mode_assumed"] = (
            "the table has no mode column; every stop is taken to be a bus stop"
        )

    extras = [c for c in table.columns if c not in (x_col, y_col, *_TABLE_FIELDS)]
    out = gpd.GeoDataFrame(
        {
            "stop_id": table["stop_id"].astype(str),
            "stop_name": table["stop_name"]
            if "stop_name" in table.columns
            else pd.Series(pd.NA, index=table.index, dtype="string"),
            "routes": pd.Series(routes, index=table.index, dtype=object),
            "mode": mode.astype(str),
            "intercity": False,
            "routes_truncated": truncated,
            "route_count": route_count,
            **{c: table[c] for c in extras},
        },
        geometry=geometry,
        crs=settings.CRS,
    )
    out = out.loc[keep].reset_index(drop=True)
    report.notes["by_mode"] = {
        str(k): int(v) for k, v in out["mode"].value_counts().sort_index().items()
    }
    return out, report


def _load_gtfs(feed: Path) -> tuple[gpd.GeoDataFrame, LoadReport]:
    """Stops of a GTFS feed (zip archive or folder) with the routes serving them."""
    label, data = _feed_file(feed, "stops.txt", required=True)
    assert data is not None
    table = read_text_table(label, data=data, sep=",", required=("stop_id", "stop_lat", "stop_lon"))
    report = LoadReport(source=str(feed), read=len(table))
    report.notes["format"] = "GTFS feed"
    if "encoding_note" in table.attrs:
        report.notes["encoding"] = table.attrs["encoding_note"]
    if len(table) == 0:
        raise InputFileError(label, "holds no stops (only a header)")
    for column in table.columns:
        table[column] = _strip(table[column])

    rows = [spreadsheet_row(i) for i in range(len(table))]
    ids = table["stop_id"].tolist()
    keep = reject_duplicates_and_missing_ids(
        table["stop_id"], report, field="stop_id", rows=rows, id_name="stop_id"
    )
    location_type = _location_types(table, report, label, rows=rows, keep=keep)
    keep &= location_type >= 0
    boarding_area_parent: dict[str, str] = {}
    for kind, reason in _LOCATION_REASONS.items():
        for i in np.flatnonzero(keep & (location_type == kind)):
            report.reject(rows[i], reason, field="location_type", id=ids[i])
    if "parent_station" in table.columns:
        areas = keep & (location_type == _BOARDING_AREA)
        boarding_area_parent = dict(
            zip(table["stop_id"][areas], table["parent_station"][areas].fillna(""), strict=True)
        )
    keep &= location_type == _STOP_OR_PLATFORM
    report.notes["location_types"] = {
        str(k): int(v) for k, v in Counter(location_type[location_type >= 0].tolist()).items()
    }

    geometry, keep = table_points(
        table,
        report,
        source=label,
        x_column="stop_lon",
        y_column="stop_lat",
        crs=settings.LONLAT_CRS,
        keep=keep,
        ids=ids,
        rows=rows,
    )

    served = _routes_by_stop(feed, report, boarding_area_parent)
    if served is None:
        routes: list[list[str]] = [[] for _ in range(len(table))]
        modes = [_single_feed_mode(feed, report)] * len(table)
    else:
        by_stop, mode_by_stop = served
        routes = [by_stop.get(s, []) for s in table["stop_id"]]
        modes = [mode_by_stop.get(s, "unknown") for s in table["stop_id"]]
        unserved = int(sum(1 for r, k in zip(routes, keep, strict=True) if k and not r))
        report.notes["stops_without_routes"] = unserved
        dangling = set(by_stop) - set(table["stop_id"].dropna())
        if dangling:
            report.notes["stop_times_unknown_stop"] = len(dangling)

    extras = [c for c in table.columns if c not in ("stop_id", "stop_name", "stop_lat", "stop_lon")]
    out = gpd.GeoDataFrame(
        {
            "stop_id": table["stop_id"].astype(str),
            "stop_name": table["stop_name"]
            if "stop_name" in table.columns
            else pd.Series(pd.NA, index=table.index, dtype="string"),
            "routes": pd.Series(routes, index=table.index, dtype=object),
            "mode": pd.Series(modes, index=table.index, dtype=str),
            "intercity": False,
            "routes_truncated": False,
            "route_count": np.array([len(r) for r in routes], dtype=np.int64),
            **{c: table[c] for c in extras},
        },
        geometry=geometry,
        crs=settings.CRS,
    )
    out = out.loc[keep].reset_index(drop=True)
    report.notes["by_mode"] = {
        str(k): int(v) for k, v in out["mode"].value_counts().sort_index().items()
    }
    return out, report


def _feed_file(feed: Path, name: str, *, required: bool) -> tuple[str, bytes | None]:
    """The label (for messages) and bytes of ``name`` in a GTFS zip or folder (None if absent)."""
    if feed.is_dir():
        file = feed / name
        if not file.is_file():
            if required:
                raise InputFileError(feed, f"not a GTFS feed: {name} is missing")
            return str(file), None
        try:
            return str(file), file.read_bytes()
        except OSError as exc:
            raise InputFileError(file, f"cannot be read: {exc}") from exc
    if not zip_members(feed, name):
        if required:
            raise InputFileError(feed, f"not a GTFS feed: {name} is missing from the zip archive")
        return f"{feed}/{name}", None
    member, data = read_zip_member(feed, name)
    return f"{feed}/{member}", data


def _location_types(
    table: pd.DataFrame, report: LoadReport, label: str, *, rows: list[int], keep: np.ndarray
) -> np.ndarray:
    """``location_type`` as ints (empty = 0); rows with another value are rejected (-1)."""
    if "location_type" not in table.columns:
        return np.zeros(len(table), dtype=np.int64)
    text = table["location_type"].fillna("").astype(str).str.strip().replace("", "0")
    values = pd.to_numeric(text, errors="coerce")
    valid = values.isin([0, 1, 2, 3, 4]).to_numpy(dtype=bool)
    for i in np.flatnonzero(keep & ~valid):
        report.reject(
            rows[i],
            f"unknown GTFS location_type {text.iat[i]!r}",
            field="location_type",
            id=table["stop_id"].iat[i],
        )
    return np.where(valid, values.fillna(-1).to_numpy(), -1).astype(np.int64)


def _routes_by_stop(
    feed: Path, report: LoadReport, boarding_area_parent: dict[str, str]
) -> tuple[dict[str, list[str]], dict[str, str]] | None:
    """Route numbers and mode of each stop id via trips and stop_times (None without stop_times)."""
    times_label, times_data = _feed_file(feed, "stop_times.txt", required=False)
    if times_data is None:
        report.notes["routes_unknown"] = _ROUTES_UNKNOWN_GTFS
        return None
    routes_label, routes_data = _feed_file(feed, "routes.txt", required=True)
    trips_label, trips_data = _feed_file(feed, "trips.txt", required=True)
    assert routes_data is not None and trips_data is not None
    routes = read_text_table(
        routes_label, data=routes_data, sep=",", required=("route_id", "route_type")
    )
    trips = read_text_table(trips_label, data=trips_data, sep=",", required=("route_id", "trip_id"))
    stop_times = _read_columns(times_label, times_data, ("trip_id", "stop_id"))

    routes = routes.apply(_strip)
    short = (
        routes["route_short_name"]
        if "route_short_name" in routes.columns
        else pd.Series(pd.NA, index=routes.index)
    )
    blank = short.isna() | (short == "")
    if blank.any():
        report.notes["routes_named_by_route_id"] = int(blank.sum())
    routes["number"] = short.where(~blank, routes["route_id"])
    route_type = pd.to_numeric(routes["route_type"], errors="coerce")
    if route_type.isna().any():
        report.notes["routes_with_unreadable_route_type"] = int(route_type.isna().sum())
    routes["mode"] = [route_type_mode(int(t)) if pd.notna(t) else "other" for t in route_type]

    # Integer codes throughout: a national feed has millions of stop_times rows.
    trips = trips[["trip_id", "route_id"]].apply(_strip).drop_duplicates("trip_id")
    routes = routes.dropna(subset=["route_id"]).drop_duplicates("route_id")
    route_of_trip = pd.Index(routes["route_id"]).get_indexer(trips["route_id"])
    if (route_of_trip < 0).any():
        report.notes["trips_unknown_route"] = int((route_of_trip < 0).sum())
    trip_of_row = pd.Index(trips["trip_id"]).get_indexer(stop_times["trip_id"])
    if (trip_of_row < 0).any():
        report.notes["stop_times_unknown_trip"] = int((trip_of_row < 0).sum())
    route_of_row = np.where(trip_of_row >= 0, route_of_trip[trip_of_row], -1)

    # Route numbers in natural order; routes sharing a number share its code. A number used
    # by routes of several types takes the mode of its first route in routes.txt.
    numbers = sorted(set(routes["number"]), key=_natural_key)
    number_of_route = pd.Index(numbers).get_indexer(routes["number"])
    first_route = pd.Series(np.arange(len(routes))).groupby(number_of_route).first()
    mode_names = list(dict.fromkeys([*_MODE_PRIORITY, *routes["mode"]]))
    mode_of_route = pd.Index(mode_names).get_indexer(routes["mode"])
    mode_of_number = mode_of_route[first_route.reindex(range(len(numbers))).to_numpy()]

    stop_code, stop_names = pd.factorize(stop_times["stop_id"])
    if boarding_area_parent:
        stop_names = pd.Index([boarding_area_parent.get(n) or n for n in stop_names])
        stop_code_fold, stop_names = pd.factorize(stop_names)
        stop_code = stop_code_fold[stop_code]
    served = route_of_row >= 0
    keys = np.sort(
        stop_code[served].astype(np.int64) * len(numbers) + number_of_route[route_of_row[served]]
    )
    keys = keys[np.r_[True, keys[1:] != keys[:-1]]] if len(keys) else keys
    pair_stop, pair_number = np.divmod(keys, len(numbers)) if len(numbers) else (keys, keys)

    starts = np.flatnonzero(np.r_[True, pair_stop[1:] != pair_stop[:-1]]) if len(keys) else []
    number_array = np.asarray(numbers, dtype=object)
    by_stop = (
        {
            str(stop_names[pair_stop[i]]): number_array[chunk].tolist()
            for i, chunk in zip(starts, np.split(pair_number, starts[1:]), strict=True)
        }
        if len(keys)
        else {}
    )
    # The mode of most routes at the stop; ties go to the mode earlier in _MODE_PRIORITY.
    counts = np.zeros((len(stop_names), len(mode_names)), dtype=np.int64)
    np.add.at(counts, (pair_stop, mode_of_number[pair_number]), 1)
    best = np.argmax(counts, axis=1)  # argmax returns the first maximum: the higher priority
    mode_by_stop = {str(stop_names[k]): mode_names[best[k]] for k in pair_stop[starts].tolist()}
    return by_stop, mode_by_stop


def _single_feed_mode(feed: Path, report: LoadReport) -> str:
    """The mode of every stop when all routes of the feed share one mode, else "unknown"."""
    label, data = _feed_file(feed, "routes.txt", required=False)
    if data is None:
        return "unknown"
    routes = read_text_table(label, data=data, sep=",")
    if "route_type" not in routes.columns:
        return "unknown"
    types = pd.to_numeric(_strip(routes["route_type"]), errors="coerce").dropna()
    modes = {route_type_mode(int(t)) for t in types}
    if len(modes) == 1:
        return modes.pop()
    report.notes["mode_unknown"] = (
        f"the feed's routes have several modes ({', '.join(sorted(modes))}) and no stop_times.txt "
        f"links stops to routes, so the mode of each stop is unknown"
    )
    return "unknown"


def _read_columns(label: str, data: bytes, columns: tuple[str, ...]) -> pd.DataFrame:
    """Read only ``columns`` of a (large) GTFS file; a BOM and spaces after commas are fine."""
    head, _ = decode_bytes(data[: data.find(b"\n") if b"\n" in data else len(data)], source=label)
    if not head.strip() and not data.strip():
        raise InputFileError(label, "file is empty")
    header = [h.strip() for h in head.rstrip("\r").split(",")]
    missing = [c for c in columns if c not in header]
    if missing:
        raise MissingColumnError(label, f"required column {missing[0]!r} missing", field=missing[0])
    options: dict[str, Any] = {
        "usecols": lambda c: c.strip() in columns,
        "dtype": str,
        "skipinitialspace": True,
        "keep_default_na": False,
    }
    try:
        try:
            # GTFS is UTF-8 by specification: parse the bytes as they are, without a text copy.
            table = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", **options)
        except UnicodeDecodeError:
            text, _ = decode_bytes(data, source=label)
            table = pd.read_csv(io.StringIO(text), **options)
    except (pd.errors.ParserError, ValueError) as exc:
        raise InputFileError(label, f"cannot be parsed: {exc}") from exc
    table.columns = [c.strip() for c in table.columns]
    return table[list(columns)].apply(_strip)


# Bus wins ties: the stop rule is about bus stops.
_MODE_PRIORITY: tuple[str, ...] = ("bus", "trolleybus", "tram", "rail", "metro", "ferry")


def _strip(values: pd.Series) -> pd.Series:
    """Text cells without surrounding spaces (missing cells stay missing)."""
    try:
        return values.str.strip()
    except AttributeError:  # not a text column
        return values


def _natural_key(route: str) -> tuple[Any, ...]:
    """Sort key putting "7" before "12" and "5490" before "K7410"."""
    return tuple(
        (0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"(\d+)", route) if p
    )
