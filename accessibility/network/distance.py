"""Walking (or straight-line) distance from origins to targets: nearest, within, sparse matrices."""

from __future__ import annotations

import os
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from .._errors import ResourceLimitError
from .._layers import shared
from ._graph import csr_with_extra_arcs, dedupe_arcs, split_edges
from .snapping import MAX_SNAP_M, Points, Snapped, point_coordinates, snap
from .walk import WalkNetwork

#: Memory (bytes) a distance-matrix batch may use for its dense Dijkstra rows.
MATRIX_BATCH_BYTES: int = 256 * 2**20

#: Reasons given in the ``reason`` column (empty string when the distance is valid).
REASONS: tuple[str, ...] = (
    "origin missing geometry",
    "origin beyond max_snap",
    "no targets",
    "no target within max_snap",
    "unreachable",
    "beyond max_distance",
)

Layer = gpd.GeoDataFrame | gpd.GeoSeries


def nearest(
    origins: Layer,
    targets: Layer,
    network: WalkNetwork | None = None,
    max_distance: float | None = None,
    max_snap: float | None = MAX_SNAP_M,
) -> pd.DataFrame:
    """The nearest target of every origin and the distance to it.

    With a network the distance is walked: from the origin to its nearest edge (the access
    leg, ``snap_distance``), along the network, and from the network to the target. Without one
    it is the straight line in EPSG:3059. The two are never mixed: ``method`` says which.

    Parameters
    ----------
    origins, targets
        Point layers in any CRS (a geographic CRS is converted, never measured in); polygons
        and lines are measured from their representative point (counted in
        ``result.attrs["notes"]``).
    network
        A :class:`~accessibility.network.walk.WalkNetwork`; None for straight-line distance.
    max_distance
        Search no farther than this (metres); farther targets count as none.
    max_snap
        Points farther than this from the network are not attached (network only).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``origins``: ``target`` (index label of the nearest target, None when
        there is none), ``distance`` (metres, ``inf`` when none), ``method`` ("network" or
        "euclidean"), ``reason`` (empty when a target was found, else one of :data:`REASONS`),
        ``snap_distance`` (origin's access leg in metres; NaN for euclidean). An origin at
        exactly the location of a target is at distance 0 from it.
    """
    origin = point_coordinates(origins, what="origins")
    target = point_coordinates(targets, what="targets")
    limit = np.inf if max_distance is None else float(max_distance)
    if network is None:
        found, distance, reason, snap_distance = _nearest_euclidean(origin, target, limit)
        method = "euclidean"
    else:
        found, distance, reason, snap_distance = _nearest_network(
            origin, target, network, limit, max_snap
        )
        method = "network"
    return _result(origin, target, found, distance, reason, snap_distance, method)


def within(
    origins: Layer,
    targets: Layer,
    distance: float,
    network: WalkNetwork | None = None,
    max_snap: float | None = MAX_SNAP_M,
) -> pd.DataFrame:
    """Whether each origin has a target within ``distance`` metres (walked, or straight line).

    The test behind rules such as "a centre within 700 m walk of an intercity bus stop".

    Returns
    -------
    pandas.DataFrame
        Indexed like ``origins``: ``within`` (bool), ``distance`` (to the nearest target
        within reach, ``inf`` otherwise), ``target``, ``method``, ``reason``, ``snap_distance``
        (see :func:`nearest`).
    """
    if not np.isfinite(distance) or distance < 0:
        raise ValueError(
            f"distance must be a finite non-negative number of metres, not {distance!r}"
        )
    result = nearest(origins, targets, network=network, max_distance=distance, max_snap=max_snap)
    result.insert(0, "within", (result["distance"] <= distance).to_numpy())
    return result


def distance_matrix(
    origins: Layer,
    targets: Layer,
    cutoff: float,
    network: WalkNetwork | None = None,
    max_snap: float | None = MAX_SNAP_M,
) -> sp.csr_array:
    """Distances of all origin-target pairs within ``cutoff`` metres, as a sparse matrix.

    Rows follow ``origins``, columns ``targets`` (by position). A stored entry is a pair within
    ``cutoff`` (an explicit 0 is stored: a point exactly on a target); an absent entry is beyond
    ``cutoff``, unreachable, or involves a point not attached to the network. A national matrix
    never exists densely: searches run from the smaller side in memory-bounded batches.

    Parameters
    ----------
    origins, targets
        Point layers in any CRS.
    cutoff
        Largest distance stored (metres).
    network
        A :class:`~accessibility.network.walk.WalkNetwork`; None for straight-line distance.
    max_snap
        Points farther than this from the network get no entries (network only).

    Returns
    -------
    scipy.sparse.csr_array
        Shape (len(origins), len(targets)), float64 metres.
    """
    if not np.isfinite(cutoff) or cutoff < 0:
        raise ValueError(f"cutoff must be a finite non-negative number of metres, not {cutoff!r}")
    origin = point_coordinates(origins, what="origins")
    target = point_coordinates(targets, what="targets")
    shape = (len(origin.xy), len(target.xy))
    check_matrix_memory(origin, target, cutoff)
    if network is None:
        rows, cols, values = _matrix_euclidean(origin, target, cutoff)
    else:
        rows, cols, values = _matrix_network(origin, target, network, cutoff, max_snap)
    same_r, same_c = _same_place_pairs(origin, target)
    rows = np.concatenate([rows, same_r])
    cols = np.concatenate([cols, same_c])
    values = np.concatenate([values, np.zeros(len(same_r))])
    rows, cols, values, _ = dedupe_arcs(rows.astype(np.int64), cols.astype(np.int64), values)
    indptr = np.zeros(shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=shape[0]), out=indptr[1:])
    # Built from CSR parts directly: no conversion that could sum or drop explicit zeros.
    return sp.csr_array((values.astype(np.float64), cols.astype(np.int32), indptr), shape=shape)


#: Bytes a stored pair needs while the matrix is assembled (row, column and value arrays, their
#: concatenation and de-duplication copies, and the CSR result).
BYTES_PER_PAIR: int = 96


def available_memory() -> int | None:
    """Bytes of memory the system says are available now (None where it does not say)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def check_matrix_memory(origin: Points, target: Points, cutoff: float) -> None:
    """Refuse, up front, a matrix whose pairs within ``cutoff`` would not fit in memory.

    The pairs within ``cutoff`` in a straight line are counted with k-d trees (no pair is
    stored to count them). A walk is never shorter than the straight line, so the count bounds
    the pairs of a network matrix too.

    Raises
    ------
    ResourceLimitError
        Naming the number of pairs, the memory they would need and the memory available.
    """
    available = available_memory()
    ok_o, ok_t = origin.xy[origin.valid], target.xy[target.valid]
    if available is None or not len(ok_o) or not len(ok_t):
        return
    # Cheap bound first: every pair at most; count within the cutoff only when that could fail.
    if len(ok_o) * len(ok_t) * BYTES_PER_PAIR <= available // 2:
        return
    pairs = int(cKDTree(ok_o).count_neighbors(cKDTree(ok_t), cutoff))
    need = pairs * BYTES_PER_PAIR
    if need > available // 2:
        raise ResourceLimitError(
            f"a distance matrix of {len(ok_o):,} origins × {len(ok_t):,} targets within "
            f"{cutoff:,.0f} m holds up to {pairs:,} pairs and would need about "
            f"{need / 1024**3:,.1f} GiB of memory; {available / 1024**3:,.1f} GiB is available "
            "(at most half is used): use a smaller cutoff or fewer points"
        )


# ---------------------------------------------------------------------- euclidean
def _nearest_euclidean(
    origin: Points, target: Points, limit: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    n = len(origin.xy)
    found = np.full(n, -1, dtype=np.int64)
    distance = np.full(n, np.inf)
    reason = np.full(n, "", dtype=object)
    reason[~origin.valid] = "origin missing geometry"
    targets_ok = np.flatnonzero(target.valid)
    if len(targets_ok) == 0:
        reason[origin.valid] = "no targets"
        return found, distance, reason, np.full(n, np.nan)
    rows = np.flatnonzero(origin.valid)
    tree = cKDTree(target.xy[targets_ok])
    dist, pos = tree.query(origin.xy[rows], k=1, distance_upper_bound=limit)
    hit = np.isfinite(dist)
    found[rows[hit]] = targets_ok[pos[hit]]
    distance[rows[hit]] = dist[hit]
    reason[rows[~hit]] = "beyond max_distance"
    return found, distance, reason, np.full(n, np.nan)


def _matrix_euclidean(
    origin: Points, target: Points, cutoff: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    o_rows = np.flatnonzero(origin.valid)
    t_rows = np.flatnonzero(target.valid)
    if len(o_rows) == 0 or len(t_rows) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    pairs = cKDTree(origin.xy[o_rows]).sparse_distance_matrix(
        cKDTree(target.xy[t_rows]), cutoff, output_type="ndarray"
    )
    return o_rows[pairs["i"]], t_rows[pairs["j"]], pairs["v"].astype(np.float64)


# ---------------------------------------------------------------------- network
@dataclass
class _Search:
    """A network augmented with the snapped points of one query."""

    graph: object
    origin: Snapped
    target: Snapped
    origin_node: np.ndarray
    target_node: np.ndarray
    n_nodes: int


def _augment(network: WalkNetwork, origin: Snapped, target: Snapped, *, reverse: bool) -> _Search:
    """Insert snapped origins and targets as virtual nodes splitting their edges.

    ``reverse`` builds the transposed graph (search from targets towards origins).
    """
    o_ok = np.flatnonzero(origin.ok)
    t_ok = np.flatnonzero(target.ok)
    edges = np.concatenate([origin.edge[o_ok], target.edge[t_ok]])
    positions = np.concatenate([origin.position[o_ok], target.position[t_ok]])
    aug = split_edges(
        network.n_nodes,
        network.edge_u,
        network.edge_v,
        network.edge_length,
        network.edge_oneway,
        edges,
        positions,
    )
    origin_node = np.full(len(origin.ok), -1, dtype=np.int64)
    target_node = np.full(len(target.ok), -1, dtype=np.int64)
    origin_node[o_ok] = aug.point_node[: len(o_ok)]
    target_node[t_ok] = aug.point_node[len(o_ok) :]
    arc_u, arc_v = (aug.arc_v, aug.arc_u) if reverse else (aug.arc_u, aug.arc_v)
    n_total = network.n_nodes + aug.n_virtual
    base, base_rows = network.graph(reverse=reverse and network.is_directed())
    graph = csr_with_extra_arcs(base, base_rows, n_total, arc_u, arc_v, aug.arc_w)
    return _Search(graph, origin, target, origin_node, target_node, n_total)


def _nearest_network(
    origin: Points, target: Points, network: WalkNetwork, limit: float, max_snap: float | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    n = len(origin.xy)
    found = np.full(n, -1, dtype=np.int64)
    distance = np.full(n, np.inf)
    reason = np.full(n, "", dtype=object)
    o_snap = snap(network, origin.xy, max_snap)
    t_snap = snap(network, target.xy, max_snap)
    reason[origin.valid & ~o_snap.ok] = "origin beyond max_snap"
    reason[~origin.valid] = "origin missing geometry"
    t_ok = np.flatnonzero(t_snap.ok)
    searchable = o_snap.ok
    if not target.valid.any():
        reason[origin.valid] = "no targets"
        searchable = np.zeros(n, dtype=bool)
    elif len(t_ok) == 0:
        reason[searchable] = "no target within max_snap"
        searchable = np.zeros(n, dtype=bool)
    if searchable.any():
        rows = np.flatnonzero(searchable)
        total, best = _nearest_on_edges(network, o_snap, t_snap, rows, t_ok, limit)
        hit = np.isfinite(total) & (total <= limit)
        found[rows[hit]] = t_ok[best[hit]]
        distance[rows[hit]] = total[hit]
        missed = rows[~hit]
        if len(missed):
            labels = network.component_labels()
            target_components = np.unique(labels[network.edge_u[t_snap.edge[t_ok]]])
            reachable = np.isin(labels[network.edge_u[o_snap.edge[missed]]], target_components)
            reason[missed] = np.where(reachable, "beyond max_distance", "unreachable")
    # An origin standing exactly on a target is at distance 0 from it, snapped or not.
    same_o, same_t = _same_place_pairs(origin, target)
    if len(same_o):
        first = pd.DataFrame({"o": same_o, "t": same_t}).groupby("o")["t"].min()
        rows = first.index.to_numpy()
        found[rows] = first.to_numpy()
        distance[rows] = 0.0
        reason[rows] = ""
    snap_distance = np.where(origin.valid, o_snap.distance, np.nan)
    beyond = int((target.valid & ~t_snap.ok).sum())
    if beyond:
        target.notes["beyond_max_snap"] = beyond
    return found, distance, reason, snap_distance


def _nearest_on_edges(
    network: WalkNetwork,
    o_snap: Snapped,
    t_snap: Snapped,
    rows: np.ndarray,
    t_ok: np.ndarray,
    limit: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Distance from each origin in ``rows`` to its nearest target, and which (index into t_ok).

    One multi-source Dijkstra over the base graph, searched backwards from one stub node per
    target. A stub's arcs lead to the end nodes of the target's edge, weighted by the target's
    snap leg plus the stretch of edge to that end, so the base graph is only extended by new
    rows (never rebuilt). An origin then leaves its edge by either end; an origin and a target
    on the same edge are also joined along it directly.
    """
    n = network.n_nodes
    u, v = network.edge_u, network.edge_v
    length, oneway = network.edge_length, network.edge_oneway
    t_edge, t_pos, t_leg = t_snap.edge[t_ok], t_snap.position[t_ok], t_snap.distance[t_ok]
    stub = n + np.arange(len(t_ok), dtype=np.int64)
    # Walking reaches a target from its edge's u end always, from the v end unless one-way.
    two = ~oneway[t_edge]
    stub_from = np.concatenate([stub, stub[two]])
    stub_to = np.concatenate([u[t_edge], v[t_edge][two]])
    stub_w = np.concatenate([t_leg + t_pos, (t_leg + length[t_edge] - t_pos)[two]])
    order = np.argsort(stub_from, kind="stable")
    base, _ = network.graph(reverse=network.is_directed())
    indptr = np.concatenate(
        [base.indptr, base.indptr[-1] + np.cumsum(np.bincount(stub_from - n, minlength=len(t_ok)))]
    )
    graph = sp.csr_array(
        (
            np.concatenate([base.data, stub_w[order]]),
            np.concatenate([base.indices, stub_to[order].astype(base.indices.dtype)]),
            indptr,
        ),
        shape=(n + len(t_ok), n + len(t_ok)),
    )
    dist, _, source = dijkstra(
        graph, directed=True, indices=stub, min_only=True, limit=limit, return_predecessors=True
    )
    edge, pos, leg = o_snap.edge[rows], o_snap.position[rows], o_snap.distance[rows]
    # Leave the edge forwards (to v) always, backwards (to u) unless it is one-way.
    via_v = length[edge] - pos + dist[v[edge]]
    via_u = np.where(oneway[edge], np.inf, pos + dist[u[edge]])
    total = np.minimum(via_u, via_v)
    best = np.where(via_u < via_v, source[u[edge]], source[v[edge]]) - n
    # Origin and target on one edge: along the edge, without touching either end.
    pairs = pd.DataFrame({"edge": edge, "o": np.arange(len(rows))}).merge(
        pd.DataFrame({"edge": t_edge, "t": np.arange(len(t_ok))}), on="edge"
    )
    if len(pairs):
        po, pt = pos[pairs["o"].to_numpy()], t_pos[pairs["t"].to_numpy()]
        e = pairs["edge"].to_numpy()
        along = (
            np.where(oneway[e] & (pt < po), np.inf, np.abs(pt - po)) + t_leg[pairs["t"].to_numpy()]
        )
        o_idx = pairs["o"].to_numpy()
        better = along < total[o_idx]
        # Several targets may improve one origin: apply the smallest last.
        order = np.argsort(-along[better], kind="stable")
        idx = o_idx[better][order]
        total[idx] = along[better][order]
        best[idx] = pairs["t"].to_numpy()[better][order]
    total = total + leg
    best = np.where(np.isfinite(total), best, -1)
    return total, best


def _matrix_network(
    origin: Points, target: Points, network: WalkNetwork, cutoff: float, max_snap: float | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    o_snap = snap(network, origin.xy, max_snap)
    t_snap = snap(network, target.xy, max_snap)
    o_ok = np.flatnonzero(o_snap.ok)
    t_ok = np.flatnonzero(t_snap.ok)
    empty = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
    if len(o_ok) == 0 or len(t_ok) == 0:
        return empty
    # Search from the smaller side; from targets the graph is searched backwards.
    from_targets = len(t_ok) < len(o_ok)
    search = _augment(network, o_snap, t_snap, reverse=from_targets)
    if from_targets:
        src_rows, src_node, src_leg = t_ok, search.target_node[t_ok], t_snap.distance[t_ok]
        dst_rows, dst_node, dst_leg = o_ok, search.origin_node[o_ok], o_snap.distance[o_ok]
    else:
        src_rows, src_node, src_leg = o_ok, search.origin_node[o_ok], o_snap.distance[o_ok]
        dst_rows, dst_node, dst_leg = t_ok, search.target_node[t_ok], t_snap.distance[t_ok]
    n_graph = search.graph.shape[0]
    batch = max(1, MATRIX_BATCH_BYTES // (8 * (n_graph + 2 * len(dst_rows))))
    out_src: list[np.ndarray] = []
    out_dst: list[np.ndarray] = []
    out_val: list[np.ndarray] = []
    for start in range(0, len(src_rows), batch):
        stop = min(start + batch, len(src_rows))
        legs = src_leg[start:stop]
        reach = cutoff - float(legs.min())
        if reach < 0:
            continue
        dist = dijkstra(search.graph, directed=True, indices=src_node[start:stop], limit=reach)
        total = dist[:, dst_node] + legs[:, None] + dst_leg[None, :]
        i, j = np.nonzero(total <= cutoff)
        out_src.append(src_rows[start + i])
        out_dst.append(dst_rows[j])
        out_val.append(total[i, j])
    if not out_src:
        return empty
    src = np.concatenate(out_src)
    dst = np.concatenate(out_dst)
    val = np.concatenate(out_val)
    return (dst, src, val) if from_targets else (src, dst, val)


# ---------------------------------------------------------------------- shared
def _same_place_pairs(origin: Points, target: Points) -> tuple[np.ndarray, np.ndarray]:
    """(origin position, target position) of pairs at exactly the same coordinates."""
    o = np.flatnonzero(origin.valid)
    t = np.flatnonzero(target.valid)
    if len(o) == 0 or len(t) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    left = pd.DataFrame({"x": origin.xy[o, 0], "y": origin.xy[o, 1], "o": o})
    right = pd.DataFrame({"x": target.xy[t, 0], "y": target.xy[t, 1], "t": t})
    merged = left.merge(right, on=["x", "y"])
    return merged["o"].to_numpy(np.int64), merged["t"].to_numpy(np.int64)


def _result(
    origin: Points,
    target: Points,
    found: np.ndarray,
    distance: np.ndarray,
    reason: np.ndarray,
    snap_distance: np.ndarray,
    method: str,
) -> pd.DataFrame:
    labels = np.full(len(found), None, dtype=object)
    hit = found >= 0
    labels[hit] = np.asarray(target.index, dtype=object)[found[hit]]
    result = pd.DataFrame(
        {
            "target": labels,
            "distance": distance.astype(np.float64),
            "method": method,
            "reason": reason.astype(object),
            "snap_distance": snap_distance.astype(np.float64),
        },
        index=origin.index.copy(),
    )
    notes = {f"origins_{k}": v for k, v in origin.notes.items()}
    notes.update({f"targets_{k}": v for k, v in target.notes.items()})
    result.attrs["notes"] = shared(notes)
    return result
