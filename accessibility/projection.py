"""Bring layers into the working metric CRS (EPSG:3059) and check coordinates fall in Latvia."""

from __future__ import annotations

from os import PathLike

import geopandas as gpd
import numpy as np
from pyproj import CRS as _CRS

from . import settings
from ._errors import CRSError
from ._layers import is_working_crs


def to_working_crs(
    gdf: gpd.GeoDataFrame,
    *,
    source: str | PathLike[str] | None = None,
    assume_crs: str | int | None = None,
) -> gpd.GeoDataFrame:
    """Return ``gdf`` in the working CRS (EPSG:3059, metres).

    Parameters
    ----------
    gdf
        Any GeoDataFrame. A geographic CRS is transformed, never used for distances.
    source
        File the layer came from, named in error messages.
    assume_crs
        CRS to assign when ``gdf`` has none. Without it a missing CRS is an error,
        because guessing would silently misplace every point.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy in EPSG:3059 (the same object when it already is).

    Raises
    ------
    CRSError
        If the layer has no CRS and ``assume_crs`` is not given.
    """
    if gdf.crs is None:
        if assume_crs is None:
            where = f"{source}: " if source is not None else ""
            raise CRSError(
                f"{where}layer has no coordinate reference system; pass the CRS it is in "
                f"(for example crs='EPSG:4326' for longitude/latitude or 'EPSG:3059' for LKS-92)"
            )
        gdf = gdf.set_crs(assume_crs)
    if is_working_crs(gdf.crs):
        return gdf
    if _CRS.from_user_input(gdf.crs).is_geographic and len(gdf):
        west, south, east, north = gdf.total_bounds
        if np.isfinite(gdf.total_bounds).all() and not (
            -180 <= west and east <= 180 and -90 <= south and north <= 90
        ):
            # Metre coordinates under a .prj that says degrees would all become NaN.
            where = f"{source}: " if source is not None else ""
            raise CRSError(
                f"{where}the layer declares a geographic CRS ({_CRS.from_user_input(gdf.crs).name}, "
                f"degrees) but its coordinates reach {max(abs(west), abs(east), abs(south), abs(north)):,.0f}, "
                "which no longitude or latitude can: the .prj is wrong (metres? EPSG:3059 for LKS-92)"
            )
    return gdf.to_crs(settings.CRS)


def require_metric(gdf: gpd.GeoDataFrame, *, what: str = "layer") -> None:
    """Raise if ``gdf`` is not in a projected CRS measured in metres.

    Distances are only ever measured in a projected metric CRS; a geographic CRS
    (degrees) would give meaningless numbers.
    """
    if gdf.crs is None:
        raise CRSError(f"{what} has no CRS; distances need a projected CRS in metres")
    crs = _CRS.from_user_input(gdf.crs)
    if crs.is_geographic:
        raise CRSError(
            f"{what} is in a geographic CRS ({crs.to_string()}); distances are measured in "
            f"{settings.CRS} only: call accessibility.projection.to_working_crs first"
        )
    unit = crs.axis_info[0].unit_name if crs.axis_info else ""
    if unit not in ("metre", "meter"):
        raise CRSError(f"{what} CRS {crs.to_string()} is not in metres (unit {unit!r})")


def inside_latvia(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Boolean mask of EPSG:3059 coordinates that lie inside Latvia's bounding box."""
    west, south, east, north = settings.LATVIA_BOUNDS_3059
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    return (x >= west) & (x <= east) & (y >= south) & (y <= north)


def lonlat_inside_latvia(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Boolean mask of longitude/latitude pairs inside Latvia's bounding box."""
    west, south, east, north = settings.LATVIA_BOUNDS_LONLAT
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    return (lon >= west) & (lon <= east) & (lat >= south) & (lat <= north)


def looks_swapped(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Mask of pairs that fall outside Latvia as given but inside it with the axes swapped.

    Latvia's longitudes (21–28°) and latitudes (55.6–58°) do not overlap, so a swap is
    detectable row by row.
    """
    return ~lonlat_inside_latvia(lon, lat) & lonlat_inside_latvia(lat, lon)
