"""Attach points to the nearest edge of a walking network (not merely the nearest node)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from .. import settings
from ..projection import to_working_crs

if TYPE_CHECKING:
    from .walk import WalkNetwork

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


#: Spacing (metres) of the sample points along edges that index the network for snapping.
SAMPLE_SPACING_M: float = 50.0

#: Nearest samples examined per point before falling back to the exact R-tree search.
SAMPLES_PER_POINT: int = 8


@dataclass
class SegmentIndex:
    """Straight segments of all edges and a KD-tree of points sampled along them."""

    start: np.ndarray
    end: np.ndarray
    edge: np.ndarray
    offset: np.ndarray
    sample_segment: np.ndarray
    half_piece: float
    tree: cKDTree


def segment_index(network: WalkNetwork, spacing: float = SAMPLE_SPACING_M) -> SegmentIndex:
    """Index the network's straight segments by sample points at most ``spacing`` apart.

    Every point of a segment lies within ``half_piece`` of a sample, which lets the nearest
    segment be found exactly from a few nearest samples (see :func:`snap`).
    """
    coords, owner = shapely.get_coordinates(network.edge_geometry, return_index=True)
    same = owner[1:] == owner[:-1]
    start, end, edge = coords[:-1][same], coords[1:][same], owner[:-1][same]
    seg_len = np.hypot(*(end - start).T)
    # Distance along the edge to each segment's start.
    cumulative = np.cumsum(seg_len)
    first = np.ones(len(edge), dtype=bool)
    first[1:] = edge[1:] != edge[:-1]
    edge_base = np.maximum.accumulate(np.where(first, np.arange(len(edge)), 0))
    offset = cumulative - seg_len - (cumulative[edge_base] - seg_len[edge_base])
    pieces = np.maximum(1, np.ceil(seg_len / spacing)).astype(np.int64)
    sample_segment = np.repeat(np.arange(len(edge)), pieces)
    piece_rank = np.arange(len(sample_segment)) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    fraction = (piece_rank + 0.5) / pieces[sample_segment]
    samples = start[sample_segment] + fraction[:, None] * (end - start)[sample_segment]
    half_piece = float((seg_len / pieces).max() / 2.0) if len(seg_len) else 0.0
    return SegmentIndex(
        start=start,
        end=end,
        edge=edge,
        offset=offset,
        sample_segment=sample_segment,
        half_piece=half_piece,
        tree=cKDTree(samples),
    )


def snap(network: WalkNetwork, xy: np.ndarray, max_snap: float | None = MAX_SNAP_M) -> Snapped:
    """Attach coordinates to the nearest edge within ``max_snap`` metres (vectorised, exact).

    The nearest edge is found among the segments of the ``SAMPLES_PER_POINT`` nearest samples;
    that answer is proven exact when the farthest of those samples is more than half a sample
    spacing beyond the best distance (no other segment can then be closer). The few points
    where it is not are searched with shapely's STRtree ``query_nearest``. The snap distance is
    the distance from the point to its edge; NaN coordinates and points farther than
    ``max_snap`` are not attached (``ok`` False, distance inf).
    """
    n = len(xy)
    ok = np.zeros(n, dtype=bool)
    edge = np.full(n, -1, dtype=np.int64)
    position = np.full(n, np.nan)
    distance = np.full(n, np.inf)
    finite = np.flatnonzero(np.isfinite(xy).all(axis=1))
    if len(finite) == 0 or network.n_edges == 0:
        return Snapped(ok, edge, position, distance)
    limit = np.inf if max_snap is None else float(max_snap)
    index = network.snap_index()
    k = min(SAMPLES_PER_POINT, len(index.sample_segment))
    pts = xy[finite]
    sample_dist, sample = index.tree.query(pts, k=k)
    sample_dist = sample_dist.reshape(len(pts), k)
    segment = index.sample_segment[sample.reshape(len(pts), k)]
    a = index.start[segment]
    ab = index.end[segment] - a
    ap = pts[:, None, :] - a
    length2 = np.einsum("ijk,ijk->ij", ab, ab)
    t = np.clip(np.einsum("ijk,ijk->ij", ap, ab) / np.where(length2 > 0, length2, 1.0), 0.0, 1.0)
    gap = ap - t[..., None] * ab
    dist = np.hypot(gap[..., 0], gap[..., 1])
    best = np.argmin(dist, axis=1)
    rows = np.arange(len(pts))
    best_dist = dist[rows, best]
    best_segment = segment[rows, best]
    exact = (sample_dist[:, -1] > best_dist + index.half_piece) | (k == len(index.sample_segment))
    # Nothing within max_snap when even the nearest sample is that far plus half a spacing.
    hopeless = sample_dist[:, 0] > limit + index.half_piece
    found = exact & (best_dist <= limit)
    rows_found = finite[found]
    ok[rows_found] = True
    edge[rows_found] = index.edge[best_segment[found]]
    distance[rows_found] = best_dist[found]
    seg_len = np.sqrt(length2[rows, best])
    position[rows_found] = index.offset[best_segment[found]] + (t[rows, best] * seg_len)[found]
    unsure = finite[~exact & ~hopeless]
    if len(unsure):
        geoms = shapely.points(xy[unsure])
        (hit, nearest_edge), hit_distance = network.edge_tree().query_nearest(
            geoms,
            max_distance=None if not np.isfinite(limit) else limit,
            return_distance=True,
            all_matches=False,
        )
        rows_hit = unsure[hit]
        ok[rows_hit] = True
        edge[rows_hit] = nearest_edge
        distance[rows_hit] = hit_distance
        position[rows_hit] = shapely.line_locate_point(
            network.edge_geometry[nearest_edge], geoms[hit]
        )
    # Summed segment lengths may differ from the edge length in the last bit: clamp.
    attached = np.flatnonzero(ok)
    position[attached] = np.clip(position[attached], 0.0, network.edge_length[edge[attached]])
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
        A :class:`~accessibility.network.walk.WalkNetwork`.
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
