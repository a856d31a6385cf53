"""Service areas: the streets from which a facility is reached within a walk, as polygons."""

from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse.csgraph import dijkstra

from .. import settings
from ._graph import csr_with_extra_arcs, split_edges
from .snapping import MAX_SNAP_M, point_coordinates, snap
from .walk import WalkNetwork

#: Half-width (metres) of the band drawn around reached streets: the buildings along a street
#: are reached with it, and the bands of neighbouring streets merge into one area.
SERVICE_AREA_BUFFER_M: float = 25.0

#: Memory (bytes) a batch of facilities may use for its dense Dijkstra rows.
BATCH_BYTES: int = 256 * 2**20


def service_areas(
    facilities: gpd.GeoDataFrame | gpd.GeoSeries,
    distances: float | Iterable[float],
    network: WalkNetwork,
    *,
    max_snap: float | None = MAX_SNAP_M,
    buffer: float = SERVICE_AREA_BUFFER_M,
) -> gpd.GeoDataFrame:
    """Areas from which each facility is reached within each walking distance.

    Built from the reached parts of the network: whole edges, and partial edges cut where the
    remaining budget runs out (so a 700 m area ends 700 m down the street, not at the last
    junction before it), plus the facility's own access leg; the lines are buffered by
    ``buffer`` metres and merged. Not a convex hull: streets that are not reached stay out.
    Distances are walked towards the facility (the same as away from it unless some way is
    one-way for walking).

    Parameters
    ----------
    facilities
        Points in any CRS (polygons by their representative point).
    distances
        One distance or several (metres).
    network
        The walking network.
    max_snap
        A facility farther than this from the network gets an empty area.
    buffer
        Half-width in metres of the band around reached streets (default
        :data:`SERVICE_AREA_BUFFER_M`).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per facility and distance: ``facility`` (index label), ``distance``,
        ``reached_length_m`` (metres of network reached), ``reason`` (empty, or why the area is
        empty) and the polygon, in EPSG:3059.
    """
    levels = np.asarray([distances] if np.isscalar(distances) else list(distances), dtype=float)
    if len(levels) == 0 or not np.isfinite(levels).all() or (levels < 0).any():
        raise ValueError(f"distances must be finite non-negative metres, not {distances!r}")
    if buffer <= 0:
        raise ValueError("buffer must be a positive width in metres")
    points = point_coordinates(facilities, what="facilities")
    snapped = snap(network, points.xy, max_snap)
    n_fac = len(points.xy)
    ok = np.flatnonzero(snapped.ok)
    aug = split_edges(
        network.n_nodes,
        network.edge_u,
        network.edge_v,
        network.edge_length,
        network.edge_oneway,
        snapped.edge[ok],
        snapped.position[ok],
    )
    n_total = network.n_nodes + aug.n_virtual
    base, base_rows = network.graph(reverse=network.is_directed())
    # Search backwards (arcs reversed) so that distances are walks towards the facility.
    graph = csr_with_extra_arcs(base, base_rows, n_total, aug.arc_v, aug.arc_u, aug.arc_w)
    facility_node = np.full(n_fac, -1, dtype=np.int64)
    facility_node[ok] = aug.point_node

    # Every stretch of street: whole edges, and the pieces of edges split by a facility (which
    # replace their edge, so that no stretch is counted twice).
    whole = np.ones(network.n_edges, dtype=bool)
    whole[aug.virtual_edge] = False
    whole_edge = np.flatnonzero(whole)
    piece_edge = np.concatenate([whole_edge, aug.piece_edge])
    piece_start = np.concatenate([np.zeros(len(whole_edge)), aug.piece_start])
    piece_end = np.concatenate([network.edge_length[whole_edge], aug.piece_end])
    piece_a = np.concatenate([network.edge_u[whole_edge], aug.piece_a])
    piece_b = np.concatenate([network.edge_v[whole_edge], aug.piece_b])
    two_way = ~network.edge_oneway[piece_edge]
    incident = _incidence(n_total, piece_a, piece_b)

    records: list[dict[str, object]] = []
    parts: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]] = []
    labels = np.asarray(points.index, dtype=object)
    top = float(levels.max())
    batch = max(1, BATCH_BYTES // (8 * n_total))
    for start in range(0, len(ok), batch):
        rows = ok[start : start + batch]
        reach = top - snapped.distance[rows].min()
        dist = dijkstra(graph, directed=True, indices=facility_node[rows], limit=max(reach, 0.0))
        for row, d_row in zip(rows, dist):
            reached = np.flatnonzero(np.isfinite(d_row))
            pieces = _pieces_touching(incident, reached)
            for level in levels:
                budget = level - snapped.distance[row]
                group = len(records)
                if budget < 0:
                    records.append(
                        _record(row, labels[row], level, 0.0, "access leg longer than the distance")
                    )
                    continue
                r_a = budget - d_row[piece_a[pieces]]
                r_b = budget - d_row[piece_b[pieces]]
                lo, hi = piece_start[pieces], piece_end[pieces]
                # From the b end: the stretch [end - r_b, end]; from the a end (two-way only):
                # [start, start + r_a].
                from_b_lo = np.maximum(lo, hi - r_b)
                from_a_hi = np.where(two_way[pieces], np.minimum(hi, lo + r_a), -np.inf)
                has_b = r_b >= 0
                has_a = (r_a >= 0) & two_way[pieces]
                full = (
                    (has_a & has_b & (from_a_hi >= from_b_lo))
                    | (has_b & (from_b_lo <= lo))
                    | (has_a & (from_a_hi >= hi))
                )
                part_a = has_a & ~full
                part_b = has_b & ~full
                seg_edge = np.concatenate(
                    [piece_edge[pieces][full | part_a], piece_edge[pieces][part_b]]
                )
                seg_lo = np.concatenate([lo[full | part_a], from_b_lo[part_b]])
                seg_hi = np.concatenate([np.where(full, hi, from_a_hi)[full | part_a], hi[part_b]])
                keep = seg_hi - seg_lo > 1e-9
                parts.append((group, seg_edge[keep], seg_lo[keep], seg_hi[keep]))
                reached_length = float((seg_hi[keep] - seg_lo[keep]).sum())
                records.append(_record(row, labels[row], level, reached_length, ""))
                # The facility's own access leg, from the point to the street.
                if snapped.distance[row] > 0:
                    parts.append((group, np.array([-1 - row]), np.zeros(1), np.zeros(1)))
    for row in np.flatnonzero(~snapped.ok):
        reason = "missing geometry" if not points.valid[row] else "facility beyond max_snap"
        for level in levels:
            records.append(_record(row, labels[row], level, 0.0, reason))

    geometry = _polygons(network, parts, len(records), points.xy, snapped, buffer)
    columns = ["order", "facility", "distance", "reached_length_m", "reason"]
    frame = gpd.GeoDataFrame(
        pd.DataFrame.from_records(records, columns=columns),
        geometry=list(geometry),
        crs=settings.CRS,
    )
    # Rows in facility order (as given), then by distance.
    frame = frame.sort_values(["order", "distance"], kind="stable").drop(columns="order")
    return frame.reset_index(drop=True)


def _record(
    order: int, label: object, level: float, length: float, reason: str
) -> dict[str, object]:
    return {
        "order": int(order),
        "facility": label,
        "distance": float(level),
        "reached_length_m": length,
        "reason": reason,
    }


def _incidence(n: int, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """CSR of node -> pieces that end at the node."""
    ends = np.concatenate([a, b])
    piece = np.concatenate([np.arange(len(a)), np.arange(len(b))])
    order = np.argsort(ends, kind="stable")
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(ends, minlength=n), out=indptr[1:])
    return indptr, piece[order]


def _pieces_touching(incident: tuple[np.ndarray, np.ndarray], nodes: np.ndarray) -> np.ndarray:
    """Pieces with an end among ``nodes`` (each once)."""
    indptr, pieces = incident
    counts = indptr[nodes + 1] - indptr[nodes]
    starts = np.repeat(indptr[nodes] - np.cumsum(counts) + counts, counts)
    positions = starts + np.arange(int(counts.sum()))
    return np.unique(pieces[positions])


def _polygons(
    network: WalkNetwork,
    parts: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]],
    n_groups: int,
    xy: np.ndarray,
    snapped,
    buffer: float,
) -> np.ndarray:
    """Cut the reached stretches out of the edges, buffer them and merge them per group."""
    out = np.full(n_groups, shapely.Polygon(), dtype=object)
    if not parts:
        return out
    group = np.concatenate([np.full(len(p[1]), p[0]) for p in parts])
    edge = np.concatenate([p[1] for p in parts])
    lo = np.concatenate([p[2] for p in parts])
    hi = np.concatenate([p[3] for p in parts])
    lines = np.empty(len(edge), dtype=object)
    street = edge >= 0
    lines[street] = substrings(network.edge_geometry[edge[street]], lo[street], hi[street])
    legs = np.flatnonzero(~street)
    if len(legs):
        facility = -1 - edge[legs]
        foot = shapely.line_interpolate_point(
            network.edge_geometry[snapped.edge[facility]], snapped.position[facility]
        )
        lines[legs] = shapely.linestrings(
            np.stack([xy[facility], shapely.get_coordinates(foot)], axis=1)
        )
    # Groups without any line (empty areas) are skipped: multilinestrings needs dense indices.
    present, dense = np.unique(group, return_inverse=True)
    order = np.argsort(dense, kind="stable")
    merged = shapely.multilinestrings(lines[order], indices=dense[order])
    out[present] = shapely.buffer(merged, buffer, quad_segs=4)
    return out


def substrings(lines: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """The part of each line between ``start`` and ``end`` metres along it (vectorised).

    Vertices strictly inside the range are kept, and the two cut points interpolated, so a
    curved street is cut along its curve.
    """
    lines = np.asarray(lines, dtype=object)
    if len(lines) == 0:
        return np.zeros(0, dtype=object)
    coords, owner = shapely.get_coordinates(lines, return_index=True)
    step = np.zeros(len(coords))
    same = owner[1:] == owner[:-1]
    step[1:] = np.where(same, np.hypot(*(coords[1:] - coords[:-1]).T), 0.0)
    cumulative = np.cumsum(step)
    first = np.ones(len(coords), dtype=bool)
    first[1:] = ~same
    line_base = np.maximum.accumulate(np.where(first, np.arange(len(coords)), 0))
    along = cumulative - cumulative[line_base]
    inside = (along > start[owner]) & (along < end[owner])
    start_pt = shapely.get_coordinates(shapely.line_interpolate_point(lines, start))
    end_pt = shapely.get_coordinates(shapely.line_interpolate_point(lines, end))
    n = len(lines)
    all_xy = np.concatenate([start_pt, coords[inside], end_pt])
    all_owner = np.concatenate([np.arange(n), owner[inside], np.arange(n)])
    all_key = np.concatenate([np.full(n, -np.inf), along[inside], np.full(n, np.inf)])
    order = np.lexsort((all_key, all_owner))
    return np.asarray(shapely.linestrings(all_xy[order], indices=all_owner[order]), dtype=object)
