"""Writing the synthetic region in the official file formats (shapefile, xlsx, GTFS, CSV, GeoPackage)."""

from __future__ import annotations

import csv
import io
import math
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
from pyproj import Transformer

from .. import settings
from ._names import (
    _CITY_CODE,
    FILE_NAMES,
    FIXED_TIMESTAMP,
    PLANNING_REGION,
    POPULATION_SHEET,
    POPULATION_YEARS,
)
from ._timetable import (
    CALENDAR_END,
    CALENDAR_START,
    HOLIDAYS,
    SERVICES,
    STRANDED_VILLAGE,
    departures,
)


def _write_units(folder: Path, units: gpd.GeoDataFrame) -> Path:
    """The CSB layout: L1_* (unit), L0_* (municipality) and NUTS3 fields, EPSG:3059 .prj, UTF-8 .cpg."""
    l1_type = units["unit_kind"].map({"state_city": 1, "town": 6, "parish": 7}).astype("int32")
    l0_type = np.where(units["municipality_code"] == _CITY_CODE, 1, 5).astype("int32")
    table = gpd.GeoDataFrame(
        {
            "L1_code": "LV" + units["unit_code"],
            "L1_name": units["unit_name"],
            "L1_type": l1_type,
            "L0_code": "LV" + units["municipality_code"],
            "L0_name": units["municipality_name"],
            "L0_type": l0_type,
            "NUTS3_code": "LV00C",
            "NUTS3_name": "Vidzeme",
        },
        geometry=units.geometry.values,
        crs=settings.CRS,
    )
    return _write_shapefile(folder / FILE_NAMES["units"], table)


def _write_municipalities(folder: Path, municipalities: gpd.GeoDataFrame) -> Path:
    """The VARAM layout: VEIDS, NOSAUKUMS, LABEL and no code field."""
    is_city = municipalities["municipality_kind"] == "state_city"
    names = municipalities["municipality_name"]
    table = gpd.GeoDataFrame(
        {
            "VEIDS": np.where(is_city, "valstspilsēta", "novads"),
            "NOSAUKUMS": np.where(is_city, names + " pilsēta", names),
            "LABEL": np.where(is_city, names, names.str.replace(" novads", " nov.", regex=False)),
        },
        geometry=municipalities.geometry.values,
        crs=settings.CRS,
    )
    return _write_shapefile(folder / FILE_NAMES["municipalities"], table)


def _write_shapefile(path: Path, table: gpd.GeoDataFrame) -> Path:
    pyogrio.write_dataframe(
        table,
        path,
        driver="ESRI Shapefile",
        encoding="UTF-8",
        geometry_type="Polygon",
        layer_options={"DBF_DATE_LAST_UPDATE": FIXED_TIMESTAMP.strftime("%Y-%m-%d")},
    )
    return path


def _write_population(folder: Path, population: pd.DataFrame, units: gpd.GeoDataFrame) -> Path:
    """The RAIM export: one indicator per sheet, header row, a blank row and three footer rows."""
    from openpyxl import Workbook

    wide = population.pivot(index="unit_code", columns="year", values="population")
    info = units.set_index("unit_code")
    order = sorted(
        info.index, key=lambda c: (info.at[c, "municipality_name"], info.at[c, "unit_name"])
    )
    workbook = Workbook()
    workbook.remove(workbook.active)
    years = list(POPULATION_YEARS)

    def footer(sheet: Any, name: str, unit: str, source: str) -> None:
        sheet.append([])
        sheet.append(["Nosaukums", name])
        sheet.append(["Mērvienība", unit])
        sheet.append(["Datu avots", source])

    # A different indicator comes first, as in the real export: readers must pick the sheet by name.
    births = workbook.create_sheet("Dzimušo skaits uz 1000 iedzīvot")
    births.append(["Reģions", "Pašvaldība", "Teritoriālais iedalījums", "ATVK", *years])
    for code in order:
        row = [round(6.0 + (int(code) % 37) / 10.0 + (y - 2011) * -0.1, 1) for y in years]
        births.append(
            [
                PLANNING_REGION,
                info.at[code, "municipality_name"],
                info.at[code, "unit_name"],
                code,
                *row,
            ]
        )
    footer(
        births,
        "Dzimušo skaits uz 1000 iedzīvotājiem",
        "Promiles",
        "RAIM aprēķins (pēc PMLP datiem)",
    )

    municipal = workbook.create_sheet("(Pašvaldības) Iedzīvotāju skait")
    municipal.append(["Reģions", "Pašvaldība", "ATVK", *years])
    by_municipality = wide.join(info["municipality_code"]).groupby("municipality_code").sum()
    names = info.drop_duplicates("municipality_code").set_index("municipality_code")[
        "municipality_name"
    ]
    for code in sorted(by_municipality.index, key=lambda c: names[c]):
        municipal.append(
            [PLANNING_REGION, names[code], code, *[int(by_municipality.at[code, y]) for y in years]]
        )
    footer(municipal, "Iedzīvotāju skaits (skaits, PMLP)", "Vienības", "Ielase no XLSX faila")

    sheet = workbook.create_sheet(POPULATION_SHEET)
    sheet.append(["Reģions", "Pašvaldība", "Teritoriālais iedalījums", "ATVK", *years])
    for code in order:
        sheet.append(
            [
                PLANNING_REGION,
                info.at[code, "municipality_name"],
                info.at[code, "unit_name"],
                code,
                *[int(wide.at[code, y]) for y in years],
            ]
        )
    footer(sheet, "Iedzīvotāju skaits (skaits, PMLP)", "Vienības", "Ielase no XLSX faila")

    workbook.properties.creator = "Unknown Creator"
    workbook.properties.created = FIXED_TIMESTAMP
    buffer = io.BytesIO()
    workbook.save(buffer)
    path = folder / FILE_NAMES["population"]
    path.write_bytes(_fixed_zip(buffer.getvalue()))
    return path


def _fixed_zip(data: bytes) -> bytes:
    """Rewrite a zip archive with fixed entry timestamps (and a fixed xlsx 'modified' date)."""
    stamp = FIXED_TIMESTAMP.strftime("%Y-%m-%dT%H:%M:%SZ")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(
                    rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*",
                    rb"\g<1>" + stamp.encode(),
                    content,
                )
            target.writestr(_zip_info(info.filename), content)
    return out.getvalue()


def _zip_info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=FIXED_TIMESTAMP.timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def _lonlat(gdf: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    to_lonlat = Transformer.from_crs(settings.CRS, settings.LONLAT_CRS, always_xy=True)
    lon, lat = to_lonlat.transform(gdf.geometry.x.to_numpy(), gdf.geometry.y.to_numpy())
    return np.asarray(lon), np.asarray(lat)


def _csv_text(header: list[str], rows: Iterator[list[Any]] | list[list[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def _write_stop_table(folder: Path, stops: gpd.GeoDataFrame) -> Path:
    """The ATD stop table: id, nosaukums, marsruti, marsrutu_saraksts, veidi, x, y (WGS84, 7 decimals)."""
    lon, lat = _lonlat(stops)
    rows = []
    for stop, x, y in zip(stops.itertuples(), lon, lat, strict=True):
        listed = ", ".join(stop.routes) + (" …" if stop.routes_truncated else "")
        rows.append(
            [
                stop.stop_id,
                stop.stop_name,
                stop.route_count,
                listed,
                "autobuss",
                f"{x:.7f}",
                f"{y:.7f}",
            ]
        )
    path = folder / FILE_NAMES["stops"]
    path.write_text(
        _csv_text(["id", "nosaukums", "marsruti", "marsrutu_saraksts", "veidi", "x", "y"], rows),
        encoding="utf-8",
        newline="",
    )
    return path


def _write_gtfs(
    folder: Path,
    stops: gpd.GeoDataFrame,
    routes: dict[str, list[str]],
    route_places: dict[str, list[int]],
) -> Path:
    """An ATD-like GTFS feed: several trips a day each way (see :mod:`._timetable`), 40 km/h."""
    lon, lat = _lonlat(stops)
    files: dict[str, str] = {}
    files["agency.txt"] = _csv_text(
        ["agency_id", "agency_name", "agency_url", "agency_timezone", "agency_lang"],
        [
            [
                "ATD",
                "Autotransporta direkcija (synthetic)",
                "https://www.atd.lv",
                "Europe/Riga",
                "lv",
            ]
        ],
    )
    files["stops.txt"] = _csv_text(
        ["stop_id", "stop_name", "stop_lat", "stop_lon"],
        [
            [s.stop_id, s.stop_name, f"{y:.7f}", f"{x:.7f}"]
            for s, x, y in zip(stops.itertuples(), lon, lat, strict=True)
        ],
    )
    files["routes.txt"] = _csv_text(
        ["route_id", "agency_id", "route_short_name", "route_long_name", "route_type"],
        [
            [f"r{n}", "ATD", n, f"{names[0]} - {names[-1]}", 3]
            for n, names in sorted(routes.items())
        ],
    )
    files["calendar.txt"] = _csv_text(
        [
            "service_id",
            "monday",
            "tuesday",
            "wednesday",
            "thursday",
            "friday",
            "saturday",
            "sunday",
            "start_date",
            "end_date",
        ],
        [[sid, *days, CALENDAR_START, CALENDAR_END] for sid, days in SERVICES],
    )
    files["calendar_dates.txt"] = _csv_text(
        ["service_id", "date", "exception_type"], [["wd", day, 2] for day in HOLIDAYS]
    )
    trips, times = [], []
    side_stop = {(row.place, row.side): row.stop_id for row in stops.itertuples()}
    place_xy = {row.place: (row.geometry.x, row.geometry.y) for row in stops.itertuples()}
    stranded = set(stops.loc[stops["stop_name"] == STRANDED_VILLAGE, "place"])
    for number, sequence in sorted(route_places.items()):
        for count, (service, direction, start) in enumerate(
            departures(number, bool(stranded & set(sequence)))
        ):
            side = "A" if direction == 0 else "B"
            trip = f"{number}-{direction}-{count + 1:02d}"
            trips.append([f"r{number}", service, trip, direction])
            order = sequence if direction == 0 else list(reversed(sequence))
            clock = start
            previous: tuple[float, float] | None = None
            for k, place in enumerate(order):
                xy = place_xy[place]
                if previous is not None:
                    clock += round(
                        math.hypot(xy[0] - previous[0], xy[1] - previous[1]) * 1.3 / (40_000 / 3600)
                    )
                previous = xy
                stamp = f"{clock // 3600:02d}:{clock % 3600 // 60:02d}:{clock % 60:02d}"
                times.append([trip, stamp, stamp, side_stop[(place, side)], k + 1])
    files["trips.txt"] = _csv_text(["route_id", "service_id", "trip_id", "direction_id"], trips)
    files["stop_times.txt"] = _csv_text(
        ["trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"], times
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in (
            "agency.txt",
            "stops.txt",
            "routes.txt",
            "trips.txt",
            "stop_times.txt",
            "calendar.txt",
            "calendar_dates.txt",
        ):
            archive.writestr(_zip_info(name), files[name].encode("utf-8"))
    path = folder / FILE_NAMES["stops_gtfs"]
    path.write_bytes(out.getvalue())
    return path


def _write_sites(path: Path, sites: gpd.GeoDataFrame) -> Path:
    """Libraries or centres as CSV: id, name, lon, lat (WGS84, 7 decimals)."""
    lon, lat = _lonlat(sites)
    rows = [
        [s.site_id, s.name, f"{x:.7f}", f"{y:.7f}"]
        for s, x, y in zip(sites.itertuples(), lon, lat, strict=True)
    ]
    path.write_text(_csv_text(["id", "name", "lon", "lat"], rows), encoding="utf-8", newline="")
    return path


def _write_streets(folder: Path, streets: gpd.GeoDataFrame) -> Path:
    """Street centre lines as one GeoPackage layer ``streets`` (LineStrings, EPSG:3059)."""
    path = folder / FILE_NAMES["streets"]
    # GDAL stamps GeoPackages with the current time unless told otherwise.
    previous = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options(
        {"OGR_CURRENT_DATE": FIXED_TIMESTAMP.strftime("%Y-%m-%dT%H:%M:%S.000Z")}
    )
    try:
        pyogrio.write_dataframe(streets, path, layer="streets", driver="GPKG")
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": previous})
    return path
