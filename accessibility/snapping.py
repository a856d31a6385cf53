"""Attach points to the nearest edge of a walking network (not merely the nearest node)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import settings
from .projection import to_working_crs

if TYPE_CHECKING:
    from .network import WalkNetwork

#: Default largest distance (metres) from a point to the network at which it is still attached.
MAX_SNAP_M: float = 500.0


@dataclass
class Points:
    """Coordinates of a point layer in EPSG:3059, with what was done to get them."""

    index: pd.Index
    xy: np.ndarray
    valid: np.ndarray
    notes: dict[str, int]


@dataclass
class Snapped:
    """Where points attach to a network; arrays aligned with the input points."""

    ok: np.ndarray
    edge: np.ndarray
    position: np.ndarray
    distance: np.ndarray


def point_coordinates(points: gpd.GeoDataFrame | gpd.GeoSeries, *, what: str = "points") -> Points:
    """EPSG:3059 coordinates of a layer; polygons and lines by their representative point.

    A geographic CRS is transformed, never used for distances. Rows without geometry are marked
    invalid (``valid`` False) rather than dropped, so results stay aligned with the input.
    """
    if not isinstance(points, (gpd.GeoDataFrame, gpd.GeoSeries)):
        raise TypeError(f"{what} must be a GeoDataFrame or GeoSeries, not {type(points).__name__}")
    frame = points if isinstance(points, gpd.GeoDataFrame) else gpd.GeoDataFrame(geometry=points)
    frame = to_working_crs(frame, source=what)
    geoms = np.asarray(frame.geometry.values, dtype=object)
    notes: dict[str, int] = {}
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    not_point = ~missing & (shapely.get_type_id(geoms) != 0)
    if not_point.any():
        # A polygon (a parish) or line is measured from its representative point, which is
        # always inside it (a centroid may fall outside a crescent-shaped parish).
        geoms = geoms.copy()
        geoms[not_point] = shapely.point_on_surface(geoms[not_point])
        notes["representative_points"] = int(not_point.sum())
    xy = np.full((len(geoms), 2), np.nan)
    if (~missing).any():
        xy[~missing] = shapely.get_coordinates(geoms[~missing])[:, :2]
    valid = ~missing & np.isfinite(xy).all(axis=1)
    if (~valid).any():
        notes["missing_geometry"] = int((~valid).sum())
    return Points(index=frame.index, xy=xy, valid=valid, notes=notes)


def snap(network: WalkNetwork, xy: np.ndarray, max_snap: float | None = MAX_SNAP_M) -> Snapped:
    """Attach coordinates to the nearest edge within ``max_snap`` metres (vectorised).

    Uses the STRtree of edge geometries (``query_nearest``) and ``line_locate_point``; the snap
    distance is the distance from the point to its edge. NaN coordinates and points farther
    than ``max_snap`` are not attached (``ok`` False, distance inf).
    """
    n = len(xy)
    ok = np.zeros(n, dtype=bool)
    edge = np.full(n, -1, dtype=np.int64)
    position = np.full(n, np.nan)
    distance = np.full(n, np.inf)
    finite = np.flatnonzero(np.isfinite(xy).all(axis=1))
    if len(finite) == 0 or network.n_edges == 0:
        return Snapped(ok, edge, position, distance)
    geoms = shapely.points(xy[finite])
    limit = None if max_snap is None or not np.isfinite(max_snap) else float(max_snap)
    (found, nearest_edge), found_distance = network.edge_tree().query_nearest(
        geoms, max_distance=limit, return_distance=True, all_matches=False
    )
    rows = finite[found]
    ok[rows] = True
    edge[rows] = nearest_edge
    distance[rows] = found_distance
    position[rows] = shapely.line_locate_point(network.edge_geometry[nearest_edge], geoms[found])
    return Snapped(ok, edge, position, distance)


def snap_points(
    network: WalkNetwork,
    points: gpd.GeoDataFrame | gpd.GeoSeries,
    max_snap: float | None = MAX_SNAP_M,
) -> gpd.GeoDataFrame:
    """Where each point meets the walking network.

    Parameters
    ----------
    network
        A :class:`~accessibility.network.WalkNetwork`.
    points
        Points in any CRS (polygons by their representative point).
    max_snap
        Points farther than this (metres) from every edge are not attached.

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed like ``points``: ``edge`` (-1 when not attached), ``position`` (metres along the
        edge from its ``u`` end), ``snap_distance`` (metres; inf when not attached), ``snapped``
        (bool) and the attachment point as geometry (empty when not attached), EPSG:3059.
    """
    prepared = point_coordinates(points)
    result = snap(network, prepared.xy, max_snap)
    geometry = np.full(len(prepared.xy), shapely.Point(), dtype=object)
    if result.ok.any():
        geometry[result.ok] = shapely.line_interpolate_point(
            network.edge_geometry[result.edge[result.ok]], result.position[result.ok]
        )
    return gpd.GeoDataFrame(
        {
            "edge": result.edge,
            "position": result.position,
            "snap_distance": result.distance,
            "snapped": result.ok,
        },
        geometry=list(geometry),
        index=prepared.index,
        crs=settings.CRS,
    )
