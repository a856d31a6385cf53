"""Turn tables and vector layers into checked EPSG:3059 points, reporting every rejection."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from os import PathLike

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS as _CRS

from .. import settings
from .._errors import CRSError, MissingColumnError
from .._loadreport import LoadReport
from ..projection import inside_latvia, looks_swapped, to_working_crs

#: Column names read as longitude / latitude (compared without case).
LON_NAMES: tuple[str, ...] = ("lon", "longitude", "lng", "long", "stop_lon")
LAT_NAMES: tuple[str, ...] = ("lat", "latitude", "stop_lat")
#: Column names read as projected (or CRS-given) x / y.
X_NAMES: tuple[str, ...] = ("x", "easting")
Y_NAMES: tuple[str, ...] = ("y", "northing")

#: Rejection reasons, kept constant so that reports group them.
REASON_MISSING_ID = "missing {}"
REASON_DUPLICATE_ID = "duplicate {} (the first row with it is kept)"
REASON_MISSING_COORDS = "missing coordinates"
REASON_NON_NUMERIC = "non-numeric coordinates"
REASON_OUTSIDE = "outside Latvia"
REASON_NO_GEOMETRY = "missing or empty geometry"
REASON_NOT_POINT = "geometry is not a point or polygon"

#: Note key counting rows whose longitude and latitude were swapped and have been corrected.
NOTE_SWAPPED = "swapped_lonlat_corrected"


def spreadsheet_row(i: int) -> int:
    """Row number of the ``i``-th data row as a spreadsheet shows it (the header is row 1)."""
    return i + 2


def feature_row(i: int) -> int:
    """Number of the ``i``-th feature of a vector layer, from 1 as in GIS attribute tables."""
    return i + 1


def find_column(columns: Iterable[str], names: Sequence[str]) -> str | None:
    """The first column whose name equals one of ``names`` ignoring case, or None."""
    by_lower = {str(c).strip().lower(): c for c in columns}
    for name in names:
        if name in by_lower:
            return by_lower[name]
    return None


def coordinate_columns(
    table: pd.DataFrame,
    *,
    source: str | PathLike[str],
    crs: object | None,
    default_xy_crs: object | None = None,
) -> tuple[str, str, object]:
    """Pick the coordinate columns of ``table`` and the CRS they are in.

    Longitude/latitude columns are in ``crs`` when given, else EPSG:4326. x/y columns are
    in ``crs``, else ``default_xy_crs`` (used for formats whose x/y are documented, like the
    ATD stop table); without either the CRS is unknown and guessing could misplace every point,
    so a CRSError is raised.
    """
    lon = find_column(table.columns, LON_NAMES)
    lat = find_column(table.columns, LAT_NAMES)
    if lon is not None and lat is not None:
        return lon, lat, crs if crs is not None else settings.LONLAT_CRS
    x = find_column(table.columns, X_NAMES)
    y = find_column(table.columns, Y_NAMES)
    if x is not None and y is not None:
        chosen = crs if crs is not None else default_xy_crs
        if chosen is None:
            raise CRSError(
                f"{source}: coordinates are in columns {x!r}/{y!r}, whose CRS the file does not "
                f"state; pass crs= (for example crs='EPSG:3059' for LKS-92 metres or "
                f"crs='EPSG:4326' for longitude/latitude), or name the columns lon/lat"
            )
        return x, y, chosen
    missing = "lon" if lon is None and x is None else "lat"
    raise MissingColumnError(
        source,
        "no coordinate columns: expected lon/lat (or longitude/latitude, lng) or x/y with crs=; "
        f"found {', '.join(map(repr, table.columns))}",
        field=missing,
    )


def parse_numbers(values: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parse coordinate text into floats.

    A decimal comma (``24,1056``, as Latvian spreadsheets write it) is accepted.

    Returns
    -------
    tuple of numpy.ndarray
        The numbers (NaN where not parsed), a mask of empty cells and a mask of cells that
        hold text which is not a finite number.
    """
    text = values.astype("string").str.strip()
    empty = (text.isna() | (text == "")).to_numpy(dtype=bool)
    text = text.where(
        ~text.str.fullmatch(r"[+-]?\d+,\d+").fillna(False), text.str.replace(",", ".", regex=False)
    )
    numbers = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = ~empty & ~np.isfinite(numbers)
    numbers[bad] = np.nan
    return numbers, empty, bad


def reject_duplicates_and_missing_ids(
    ids: pd.Series, report: LoadReport, *, field: str, rows: Sequence[int], id_name: str
) -> np.ndarray:
    """Reject rows with an empty id or repeating an earlier id; return the mask of kept rows."""
    text = ids.astype("string").str.strip()
    missing = (text.isna() | (text == "")).to_numpy(dtype=bool)
    duplicated = text.duplicated(keep="first").to_numpy(dtype=bool) & ~missing
    for i in np.flatnonzero(missing):
        report.reject(rows[i], REASON_MISSING_ID.format(id_name), field=field)
    for i in np.flatnonzero(duplicated):
        report.reject(
            rows[i], REASON_DUPLICATE_ID.format(id_name), field=field, id=str(text.iat[i])
        )
    return ~(missing | duplicated)


def table_points(
    table: pd.DataFrame,
    report: LoadReport,
    *,
    source: str | PathLike[str],
    x_column: str,
    y_column: str,
    crs: object,
    keep: np.ndarray,
    ids: Sequence[object],
    rows: Sequence[int],
) -> tuple[gpd.GeoSeries, np.ndarray]:
    """Points in EPSG:3059 from two coordinate columns, rejecting the rows that cannot be placed.

    Rows not in ``keep`` (already rejected) are skipped. Empty and non-numeric coordinates are
    rejected; in a geographic CRS a pair that lies outside Latvia as given but inside it with
    the axes swapped is corrected (Latvia's longitudes 21–28° and latitudes 55.6–58° do not
    overlap, so the swap is unambiguous) and counted in ``notes["swapped_lonlat_corrected"]``;
    points outside Latvia's bounding box are rejected.

    Returns
    -------
    tuple
        The points (a GeoSeries aligned with ``table``; empty where rejected) and the updated
        ``keep`` mask.
    """
    keep = keep.copy()
    x, x_empty, x_bad = parse_numbers(table[x_column])
    y, y_empty, y_bad = parse_numbers(table[y_column])
    for i in np.flatnonzero(keep & (x_empty | y_empty)):
        field = x_column if x_empty[i] else y_column
        report.reject(rows[i], REASON_MISSING_COORDS, field=field, id=ids[i])
    keep &= ~(x_empty | y_empty)
    for i in np.flatnonzero(keep & (x_bad | y_bad)):
        field = x_column if x_bad[i] else y_column
        report.reject(rows[i], REASON_NON_NUMERIC, field=field, id=ids[i])
    keep &= ~(x_bad | y_bad)

    try:
        source_crs = _CRS.from_user_input(crs)
    except Exception as exc:  # pyproj raises its own CRSError; name the argument instead
        raise CRSError(
            f"{source}: crs={crs!r} is not a coordinate reference system: {exc}"
        ) from exc
    if source_crs.is_geographic:
        swapped = keep & looks_swapped(x, y)
        if swapped.any():
            x[swapped], y[swapped] = y[swapped].copy(), x[swapped].copy()
            note_swapped(report, [rows[i] for i in np.flatnonzero(swapped)])

    geoms = np.full(len(table), None, dtype=object)
    geoms[keep] = shapely.points(x[keep], y[keep])
    points = gpd.GeoSeries(geoms, index=table.index, crs=source_crs)
    projected = to_working_crs(gpd.GeoDataFrame(geometry=points), source=source).geometry
    keep = reject_outside(
        projected, keep, report, rows=rows, ids=ids, field=f"{x_column}/{y_column}"
    )
    return projected, keep


def vector_points(
    layer: gpd.GeoDataFrame,
    report: LoadReport,
    *,
    source: str | PathLike[str],
    keep: np.ndarray,
    ids: Sequence[object],
    rows: Sequence[int],
) -> tuple[gpd.GeoSeries, np.ndarray]:
    """Points in EPSG:3059 from a vector layer (any CRS), rejecting features that cannot be placed.

    Points pass; a MultiPoint of one point is that point; polygons (a building drawn as an
    area) become their centroid, counted in ``notes["polygons_as_centroid"]``. Other
    geometries and empty ones are rejected. Swapped longitude/latitude in a geographic layer
    is corrected as in :func:`table_points`; points outside Latvia are rejected.
    """
    keep = keep.copy()
    geoms = layer.geometry.to_numpy()
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    for i in np.flatnonzero(keep & missing):
        report.reject(rows[i], REASON_NO_GEOMETRY, field="geometry", id=ids[i])
    keep &= ~missing

    kinds = shapely.get_type_id(geoms)
    point, multipoint, polygon, multipolygon = 0, 4, 3, 6
    single_multipoint = (kinds == multipoint) & (shapely.get_num_geometries(geoms) == 1)
    areal = (kinds == polygon) | (kinds == multipolygon)
    unsupported = keep & ~((kinds == point) | single_multipoint | areal)
    for i in np.flatnonzero(unsupported):
        report.reject(rows[i], REASON_NOT_POINT, field="geometry", id=ids[i])
    keep &= ~unsupported

    series = gpd.GeoSeries(np.where(keep, geoms, None), index=layer.index, crs=layer.crs)
    projected = to_working_crs(gpd.GeoDataFrame(geometry=series), source=source).geometry
    out = projected.to_numpy().copy()
    if (single_multipoint & keep).any():
        out[single_multipoint & keep] = shapely.get_geometry(out[single_multipoint & keep], 0)
    if (areal & keep).any():
        # Centroids are taken in metres (EPSG:3059), never in degrees.
        out[areal & keep] = shapely.centroid(out[areal & keep])
        report.notes["polygons_as_centroid"] = int((areal & keep).sum())

    if layer.crs is not None and _CRS.from_user_input(layer.crs).is_geographic:
        lon = shapely.get_x(np.where(keep & ~areal, geoms, None))
        lat = shapely.get_y(np.where(keep & ~areal, geoms, None))
        swapped = keep & ~areal & looks_swapped(lon, lat)
        if swapped.any():
            fixed = gpd.GeoSeries(shapely.points(lat[swapped], lon[swapped]), crs=layer.crs)
            out[swapped] = to_working_crs(gpd.GeoDataFrame(geometry=fixed)).geometry.to_numpy()
            note_swapped(report, [rows[i] for i in np.flatnonzero(swapped)])

    points = gpd.GeoSeries(out, index=layer.index, crs=settings.CRS)
    keep = reject_outside(points, keep, report, rows=rows, ids=ids, field="geometry")
    return points, keep


def reject_outside(
    points: gpd.GeoSeries,
    keep: np.ndarray,
    report: LoadReport,
    *,
    rows: Sequence[int],
    ids: Sequence[object],
    field: str,
) -> np.ndarray:
    """Reject kept points (EPSG:3059) outside Latvia's bounding box; return the updated mask."""
    arr = points.to_numpy()
    x = np.where(keep, shapely.get_x(arr), np.nan)
    y = np.where(keep, shapely.get_y(arr), np.nan)
    outside = keep & ~inside_latvia(x, y)
    for i in np.flatnonzero(outside):
        report.reject(rows[i], REASON_OUTSIDE, field=field, id=ids[i])
    return keep & ~outside


def note_swapped(report: LoadReport, rows: list[int]) -> None:
    """Count rows whose swapped longitude/latitude was corrected (and list them)."""
    report.notes[NOTE_SWAPPED] = int(report.notes.get(NOTE_SWAPPED, 0)) + len(rows)
    report.notes["swapped_lonlat_rows"] = list(report.notes.get("swapped_lonlat_rows", [])) + [
        int(r) for r in rows
    ]
