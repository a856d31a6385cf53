"""Load address registers: the State Address Register's open data (VZD) and any address point layer.

Both loaders return a GeoDataFrame in EPSG:3059 with an ``address`` column (the full address
as written by the publisher) and the parsed components :func:`accessibility.io.geocode.geocode`
joins on, with a load report in ``attrs["load_report"]``.
"""

from __future__ import annotations

import csv
import io
from os import PathLike
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import settings
from .._errors import InputFileError, MissingColumnError
from .._loadreport import LoadReport, attach
from ..projection import inside_latvia, to_working_crs
from ._points import feature_row, find_column, parse_numbers, reject_outside, spreadsheet_row
from ._tables import decode_bytes, read_vector
from .geocode import prepare_register

#: Address statuses of the VZD register kept as addresses (EKS = existing); others are rejected.
VZD_KEPT_STATUS: frozenset[str] = frozenset({"EKS"})

#: Column names of a full address in an address point layer (compared without case).
ADDRESS_NAMES: tuple[str, ...] = ("address", "adrese", "std", "adr", "full_address")

_REASON_STATUS = "address not in force (STATUSS {})"
_REASON_NO_ADDRESS = "missing address text"


def load_vzd_register(path: str | PathLike[str]) -> gpd.GeoDataFrame:
    """Load the State Address Register's building addresses (VZD open data, ``AW_EKA.CSV``).

    The open data files (data.gov.lv, "Valsts adrešu reģistra informācijas sistēmas atvērtie
    dati") are semicolon-separated with ``#`` as the quote character and a header such as
    ``#KODS#;#TIPS_CD#;#STATUSS#;...;#STD#;#KOORD_X#;#KOORD_Y#;#DD_N#;#DD_E#``. ``STD`` is
    the full address ("Uzvaras iela 1, Jaunjelgava, Aizkraukles nov., LV-5134"), ``DD_E`` /
    ``DD_N`` are WGS84 longitude / latitude, ``KOORD_X`` / ``KOORD_Y`` LKS-92 metres (used
    when the degrees are missing), ``ATRIB`` is the postcode. Comma- or semicolon-separated
    exports with ordinary double quotes are read too.

    Parameters
    ----------
    path
        ``AW_EKA.CSV`` (or any CSV with ``STD`` and coordinates).

    Returns
    -------
    geopandas.GeoDataFrame
        ``address_code`` (``KODS``), ``address`` (``STD``), the parsed components and
        ``geometry`` (EPSG:3059). Rows not in force (``STATUSS`` other than ``EKS``), without
        address text or coordinates, or outside Latvia are rejected in the load report.
    """
    source = Path(path)
    if not source.is_file():
        raise InputFileError(source, "file not found")
    text, encoding = decode_bytes(source.read_bytes(), source=source)
    first_line = text.split("\n", 1)[0]
    quote = "#" if first_line.lstrip("\ufeff").startswith("#") else '"'
    delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
    table = pd.read_csv(
        io.StringIO(text.lstrip("\ufeff")),
        sep=delimiter,
        quotechar=quote,
        dtype=str,
        keep_default_na=False,
        quoting=csv.QUOTE_MINIMAL,
    )
    table.columns = [str(c).strip().strip("#").upper() for c in table.columns]
    report = LoadReport(source=str(source), read=len(table))
    report.notes["encoding"] = encoding
    if "STD" not in table.columns:
        raise MissingColumnError(source, "no STD (full address) column", field="STD")
    rows = [spreadsheet_row(i) for i in range(len(table))]
    ids = table["KODS"].tolist() if "KODS" in table.columns else [None] * len(table)
    keep = np.ones(len(table), dtype=bool)
    if "STATUSS" in table.columns:
        status = table["STATUSS"].str.strip().to_numpy()
        stale = ~np.isin(status, list(VZD_KEPT_STATUS))
        for i in np.flatnonzero(stale):
            report.reject(rows[i], _REASON_STATUS.format(status[i]), field="STATUSS", id=ids[i])
        keep &= ~stale
    keep = _reject_blank(table["STD"], keep, report, rows=rows, ids=ids, field="STD")
    x, y, keep = _vzd_coordinates(table, keep, report, source=source, rows=rows, ids=ids)
    geometry = np.full(len(table), None, dtype=object)
    geometry[keep] = shapely.points(x[keep], y[keep])
    frame = gpd.GeoDataFrame(
        {
            "address_code": table["KODS"] if "KODS" in table.columns else None,
            "address": table["STD"].str.strip(),
            "postcode_register": table["ATRIB"] if "ATRIB" in table.columns else None,
        },
        geometry=gpd.GeoSeries(geometry, crs=settings.CRS).to_numpy(),
        crs=settings.CRS,
    )
    frame = frame.loc[keep].reset_index(drop=True)
    return attach(prepare_register(frame), report)


def _vzd_coordinates(
    table: pd.DataFrame,
    keep: np.ndarray,
    report: LoadReport,
    *,
    source: Path,
    rows: list[int],
    ids: list[Any],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """EPSG:3059 x, y from DD_E/DD_N (degrees) or, where those are empty, KOORD_X/KOORD_Y."""
    n = len(table)
    x = np.full(n, np.nan)
    y = np.full(n, np.nan)
    if {"DD_E", "DD_N"} <= set(table.columns):
        lon, lon_empty, _ = parse_numbers(table["DD_E"].str.replace(",", ".", regex=False))
        lat, lat_empty, _ = parse_numbers(table["DD_N"].str.replace(",", ".", regex=False))
        ok = ~lon_empty & ~lat_empty & np.isfinite(lon) & np.isfinite(lat)
        if ok.any():
            pts = gpd.GeoDataFrame(
                geometry=shapely.points(lon[ok], lat[ok]), crs=settings.LONLAT_CRS
            )
            projected = to_working_crs(pts, source=source).geometry.to_numpy()
            x[ok] = shapely.get_x(projected)
            y[ok] = shapely.get_y(projected)
        report.notes["coordinates_from_degrees"] = int((ok & keep).sum())
    if {"KOORD_X", "KOORD_Y"} <= set(table.columns):
        todo = ~np.isfinite(x)
        kx, _, _ = parse_numbers(table["KOORD_X"].str.replace(",", ".", regex=False))
        ky, _, _ = parse_numbers(table["KOORD_Y"].str.replace(",", ".", regex=False))
        usable = todo & np.isfinite(kx) & np.isfinite(ky)
        if usable.any():
            # Which LKS-92 axis is easting differs between exports; take the reading that puts
            # more points inside Latvia (recorded in the report).
            as_given = inside_latvia(kx[usable], ky[usable]).sum()
            swapped = inside_latvia(ky[usable], kx[usable]).sum()
            if swapped > as_given:
                kx, ky = ky, kx
            report.notes["coordinates_from_lks92"] = {
                "rows": int((usable & keep).sum()),
                "axes": "KOORD_Y is easting" if swapped > as_given else "KOORD_X is easting",
            }
            x[usable] = kx[usable]
            y[usable] = ky[usable]
    missing = keep & ~(np.isfinite(x) & np.isfinite(y))
    for i in np.flatnonzero(missing):
        report.reject(rows[i], "missing coordinates", field="DD_E/DD_N", id=ids[i])
    keep = keep & ~missing
    points = gpd.GeoSeries(
        np.where(keep, shapely.points(np.nan_to_num(x), np.nan_to_num(y)), None), crs=settings.CRS
    )
    keep = reject_outside(points, keep, report, rows=rows, ids=ids, field="DD_E/DD_N")
    return x, y, keep


def load_address_points(
    path: str | PathLike[str],
    *,
    address_column: str | None = None,
    locality: str | None = None,
    crs: Any = None,
    encoding: str | None = None,
) -> gpd.GeoDataFrame:
    """Load any point layer with an address column as an address register.

    Parameters
    ----------
    path
        A vector layer (Shapefile, GeoPackage, GeoJSON; any CRS) of address points.
    address_column
        Column holding the address text; by default the first of :data:`ADDRESS_NAMES`.
    locality
        Area appended to every address that names none (e.g. ``"Rīga"`` for a city layer
        whose addresses stop at the house number), so that addresses naming the town match
        at full score.
    crs
        CRS of a layer that states none.
    encoding
        Attribute encoding; by default the ``.cpg`` next to a Shapefile (``ISO-8859-13`` is
        read as such), else UTF-8.

    Returns
    -------
    geopandas.GeoDataFrame
        ``address`` (as in the layer, with ``locality`` appended where given), the parsed
        components, the layer's other columns and ``geometry`` (Point, EPSG:3059). Features
        without address text or geometry, or outside Latvia, are rejected in the load report.
    """
    source = Path(path)
    if not source.exists():
        raise InputFileError(source, "file not found")
    layer = _read_layer(source, encoding)
    if layer.crs is None:
        if crs is None:
            raise InputFileError(source, "the layer states no CRS; pass crs=")
        layer = layer.set_crs(crs)
    column = address_column or find_column(layer.columns, ADDRESS_NAMES)
    if column is None or column not in layer.columns:
        raise MissingColumnError(
            source,
            f"no address column (looked for {address_column or ', '.join(ADDRESS_NAMES)})",
            field=address_column,
        )
    report = LoadReport(source=str(source), read=len(layer))
    rows = [feature_row(i) for i in range(len(layer))]
    ids = list(range(1, len(layer) + 1))
    keep = _reject_blank(
        layer[column], np.ones(len(layer), dtype=bool), report, rows=rows, ids=ids, field=column
    )
    layer = to_working_crs(layer, source=source)
    geoms = layer.geometry.to_numpy()
    bad = keep & (shapely.is_missing(geoms) | shapely.is_empty(geoms))
    for i in np.flatnonzero(bad):
        report.reject(rows[i], "missing or empty geometry", field="geometry", id=ids[i])
    keep &= ~bad
    areal = keep & np.isin(shapely.get_type_id(geoms), [3, 6])
    if areal.any():
        geoms = geoms.copy()
        geoms[areal] = shapely.centroid(geoms[areal])
        report.notes["polygons_as_centroid"] = int(areal.sum())
    points = gpd.GeoSeries(geoms, crs=settings.CRS)
    keep = reject_outside(points, keep, report, rows=rows, ids=ids, field="geometry")
    text = layer[column].astype(str).str.strip()
    if locality:
        lonely = ~text.str.contains(",", regex=False)
        text = text.where(~lonely, text + ", " + locality)
        report.notes["locality_appended"] = {
            "locality": locality,
            "rows": int((lonely & keep).sum()),
        }
    frame = gpd.GeoDataFrame(
        layer.drop(columns=[layer.geometry.name]).assign(address=text),
        geometry=points.to_numpy(),
        crs=settings.CRS,
    )
    frame = frame.loc[keep].reset_index(drop=True)
    return attach(prepare_register(frame), report)


def _read_layer(source: Path, encoding: str | None) -> gpd.GeoDataFrame:
    """A vector layer, honouring a Shapefile's ``.cpg`` for encodings GDAL does not map."""
    if encoding is None and source.suffix.lower() == ".shp":
        cpg = source.with_suffix(".cpg")
        if cpg.is_file():
            declared = (
                cpg.read_text(errors="replace").strip().lower().replace("-", "").replace("_", "")
            )
            encoding = {"iso885913": "ISO-8859-13", "utf8": "UTF-8", "1257": "CP1257"}.get(
                declared, None
            )
    if encoding is None:
        return read_vector(source)
    try:
        return gpd.read_file(source, encoding=encoding)
    except Exception as exc:  # pyogrio raises several types for unreadable files
        raise InputFileError(source, f"cannot be read as a vector layer: {exc}") from exc


def _reject_blank(
    values: pd.Series,
    keep: np.ndarray,
    report: LoadReport,
    *,
    rows: list[int],
    ids: list[Any],
    field: str,
) -> np.ndarray:
    blank = values.isna().to_numpy() | (values.astype(str).str.strip() == "").to_numpy()
    for i in np.flatnonzero(keep & blank):
        report.reject(rows[i], _REASON_NO_ADDRESS, field=field, id=ids[i])
    return keep & ~blank


def as_register(register: Any) -> gpd.GeoDataFrame:
    """A register given as a GeoDataFrame, a VZD CSV or an address point layer, parsed."""
    if isinstance(register, gpd.GeoDataFrame):
        column = (
            "address"
            if "address" in register.columns
            else find_column(register.columns, ADDRESS_NAMES)
        )
        return prepare_register(register, address_column=column or "address")
    path = Path(register)
    if path.suffix.lower() in (".csv", ".txt"):
        return load_vzd_register(path)
    return load_address_points(path)
