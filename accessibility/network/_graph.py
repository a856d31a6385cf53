"""Sparse-graph helpers: duplicate-free CSR building, line topology, components, virtual nodes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components

#: Coordinates are rounded to this many decimals (metres: 1 mm) before vertices are matched,
#: so that a vertex shared by two lines is one node even after a round trip through a CRS.
VERTEX_DECIMALS: int = 3

#: Snapped positions closer than this (metres) to an edge end are placed on the end node.
END_TOLERANCE: float = 1e-6


def dedupe_arcs(
    u: np.ndarray, v: np.ndarray, w: np.ndarray, *extra: np.ndarray
) -> tuple[np.ndarray, ...]:
    """Keep the shortest arc per (u, v), sorted by (u, v); return the arrays and the count dropped.

    scipy's COO to CSR conversion silently SUMS duplicate entries, which would turn two parallel
    40 m footpaths into one 80 m edge; every graph here is built from arcs deduplicated first.
    """
    u = np.asarray(u, dtype=np.int64)
    v = np.asarray(v, dtype=np.int64)
    if len(u) == 0:
        return (u, v, w, *extra, 0)
    key = u * (int(max(u.max(), v.max())) + 1) + v
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    if (sorted_key[1:] == sorted_key[:-1]).any():
        # Duplicates exist: order them by length too, so the first of each run is the shortest.
        order = np.lexsort((w, key))
    u, v, w = u[order], v[order], w[order]
    extra = tuple(e[order] for e in extra)
    first = np.ones(len(u), dtype=bool)
    first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
    dropped = int(len(u) - first.sum())
    return (u[first], v[first], w[first], *(e[first] for e in extra), dropped)


def csr_from_sorted_arcs(u: np.ndarray, v: np.ndarray, w: np.ndarray, n: int) -> sp.csr_array:
    """A CSR matrix built directly from arcs sorted by ``u`` (no summing; explicit zeros kept)."""
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(u, minlength=n), out=indptr[1:])
    return sp.csr_array(
        (np.asarray(w, dtype=np.float64), np.asarray(v, dtype=np.int32), indptr), shape=(n, n)
    )


def csr_with_extra_arcs(
    base: sp.csr_array,
    base_rows: np.ndarray,
    n_total: int,
    extra_u: np.ndarray,
    extra_v: np.ndarray,
    extra_w: np.ndarray,
) -> sp.csr_array:
    """``base`` grown to ``n_total`` nodes with extra arcs inserted row by row, in O(nnz).

    The extra arcs must not repeat an arc of ``base`` or each other (the callers only add arcs
    touching new nodes, which cannot); nothing is summed.
    """
    n_base = base.shape[0]
    base_counts = np.zeros(n_total, dtype=np.int64)
    base_counts[:n_base] = np.diff(base.indptr)
    extra_counts = np.bincount(extra_u, minlength=n_total).astype(np.int64)
    indptr = np.zeros(n_total + 1, dtype=np.int64)
    np.cumsum(base_counts + extra_counts, out=indptr[1:])
    nnz = int(indptr[-1])
    indices = np.empty(nnz, dtype=np.int32)
    data = np.empty(nnz, dtype=np.float64)
    # Base entries keep their order inside each row, shifted by the extra arcs of earlier rows.
    base_pos = np.arange(base.nnz, dtype=np.int64) - base.indptr[base_rows] + indptr[base_rows]
    indices[base_pos] = base.indices
    data[base_pos] = base.data
    if len(extra_u):
        order = np.argsort(extra_u, kind="stable")
        eu = extra_u[order]
        group_start = np.searchsorted(eu, eu, side="left")
        rank = np.arange(len(eu)) - group_start
        extra_pos = indptr[eu] + base_counts[eu] + rank
        indices[extra_pos] = extra_v[order]
        data[extra_pos] = extra_w[order]
    return sp.csr_array((data, indices, indptr), shape=(n_total, n_total))


def components(n: int, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weakly connected component label of every node and the size of every component."""
    graph = sp.csr_array((np.ones(len(u)), (u, v)), shape=(n, n))
    _, labels = connected_components(graph, directed=True, connection="weak")
    return labels, np.bincount(labels)


@dataclass
class LineTopology:
    """Nodes and edges cut from a set of lines at their shared vertices."""

    node_xy: np.ndarray
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_geometry: np.ndarray
    edge_source: np.ndarray
    zero_length_dropped: int
    loops_split: int


def line_topology(lines: np.ndarray) -> LineTopology:
    """Cut LineStrings into edges between vertices shared by several lines (or line ends).

    Two lines connect only where they share a vertex (to 1 mm); lines that cross without a
    shared vertex stay unconnected, as a bridge over a street should. ``edge_source`` gives the
    position in ``lines`` each edge came from.
    """
    coords, line_of = shapely.get_coordinates(lines, return_index=True)
    # Vertices are matched on rounded coordinates; geometries keep the exact ones.
    keys = np.round(coords, VERTEX_DECIMALS)
    # Drop repeated consecutive vertices (zero-length segments).
    keep = np.ones(len(coords), dtype=bool)
    keep[1:] = ~((line_of[1:] == line_of[:-1]) & np.all(keys[1:] == keys[:-1], axis=1))
    coords, keys, line_of = coords[keep], keys[keep], line_of[keep]
    _, first_vertex, vertex_node = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    node_xy = coords[first_vertex]
    vertex_node = vertex_node.ravel()
    n_vertices = len(coords)
    line_start = np.ones(n_vertices, dtype=bool)
    line_start[1:] = line_of[1:] != line_of[:-1]
    line_end = np.ones(n_vertices, dtype=bool)
    line_end[:-1] = line_of[1:] != line_of[:-1]
    # A line of a single (distinct) vertex has no segment: it is a zero-length line.
    single = line_start & line_end
    zero_length = int(np.unique(line_of[single]).size)
    uses = np.bincount(vertex_node, minlength=len(node_xy))
    split = line_start | line_end | (uses[vertex_node] > 1)

    loops_split = 0
    for _ in range(2):
        edge_u, edge_v, starts, ends = _pieces(split, line_start, line_end, vertex_node)
        loops = np.flatnonzero(edge_u == edge_v)
        if not len(loops) or loops_split:
            break
        # A closed line touching the rest at one vertex would be a self-loop edge and useless
        # for routing; split it at its middle vertex so both halves stay walkable and snappable.
        middle = (starts[loops] + ends[loops]) // 2
        middle = middle[(middle > starts[loops]) & (middle < ends[loops])]
        split[middle] = True
        loops_split = len(middle)
    loops = edge_u == edge_v
    zero_length += int(loops.sum())
    edge_u, edge_v, starts, ends = edge_u[~loops], edge_v[~loops], starts[~loops], ends[~loops]
    # Only vertices that end an edge become nodes; interior vertices stay in the geometry.
    used, compact = np.unique(np.concatenate([edge_u, edge_v]), return_inverse=True)
    edge_u, edge_v = compact[: len(edge_u)], compact[len(edge_u) :]
    node_xy = node_xy[used]
    counts = ends - starts + 1
    vertex_index = np.repeat(starts - np.cumsum(np.r_[0, counts[:-1]]), counts) + np.arange(
        counts.sum()
    )
    geometry = shapely.linestrings(
        coords[vertex_index], indices=np.repeat(np.arange(len(starts)), counts)
    )
    return LineTopology(
        node_xy=node_xy,
        edge_u=edge_u.astype(np.int64),
        edge_v=edge_v.astype(np.int64),
        edge_geometry=np.asarray(geometry, dtype=object),
        edge_source=line_of[starts],
        zero_length_dropped=zero_length,
        loops_split=loops_split,
    )


def _pieces(
    split: np.ndarray, line_start: np.ndarray, line_end: np.ndarray, vertex_node: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Edges between consecutive split vertices of each line: (u, v, first vertex, last vertex)."""
    split_at = np.flatnonzero(split)
    # Each split vertex except a line's last starts an edge ending at the next split vertex.
    starts = split_at[~line_end[split_at]]
    ends = split_at[~line_start[split_at]]
    return vertex_node[starts], vertex_node[ends], starts, ends


@dataclass
class Augmented:
    """Virtual nodes splitting edges at snapped points, and the arcs that chain them."""

    n_virtual: int
    point_node: np.ndarray
    arc_u: np.ndarray
    arc_v: np.ndarray
    arc_w: np.ndarray
    virtual_edge: np.ndarray
    virtual_position: np.ndarray
    piece_edge: np.ndarray
    piece_start: np.ndarray
    piece_end: np.ndarray
    piece_a: np.ndarray
    piece_b: np.ndarray


def split_edges(
    n_nodes: int,
    edge_u: np.ndarray,
    edge_v: np.ndarray,
    edge_length: np.ndarray,
    edge_oneway: np.ndarray,
    point_edge: np.ndarray,
    point_position: np.ndarray,
) -> Augmented:
    """Insert every snapped point as a node on its edge; chain several points on one edge in order.

    The original edge arc is kept: it is as long as the chain it parallels, so no shortest
    distance changes, and the base graph never needs rebuilding. Points at the same place share
    one virtual node; points at an edge end use the end node, so no zero-length arc is created.
    Returns the node of every point (virtual ids start at ``n_nodes``) and the new arcs, both
    directions unless the edge is one-way for walking.
    """
    length = edge_length[point_edge]
    position = np.clip(point_position, 0.0, length)
    at_u = position <= END_TOLERANCE
    at_v = position >= length - END_TOLERANCE
    point_node = np.where(at_u, edge_u[point_edge], edge_v[point_edge]).astype(np.int64)
    inner = ~(at_u | at_v)
    keys = np.stack([point_edge[inner].astype(np.float64), position[inner]], axis=1)
    unique, inverse = np.unique(keys, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    point_node[inner] = n_nodes + inverse
    v_edge = unique[:, 0].astype(np.int64)
    v_pos = unique[:, 1]
    n_virtual = len(unique)
    ids = n_nodes + np.arange(n_virtual, dtype=np.int64)
    # np.unique sorts by edge then position: consecutive rows of one edge are consecutive points.
    first = np.ones(n_virtual, dtype=bool)
    first[1:] = v_edge[1:] != v_edge[:-1]
    last = np.ones(n_virtual, dtype=bool)
    last[:-1] = v_edge[1:] != v_edge[:-1]
    prev_node = np.where(first, edge_u[v_edge], np.r_[0, ids[:-1]])
    prev_pos = np.where(first, 0.0, np.r_[0.0, v_pos[:-1]])
    fwd_u = np.r_[prev_node, ids[last]]
    fwd_v = np.r_[ids, edge_v[v_edge[last]]]
    fwd_w = np.r_[v_pos - prev_pos, edge_length[v_edge[last]] - v_pos[last]]
    two_way = ~np.r_[edge_oneway[v_edge], edge_oneway[v_edge[last]]]
    return Augmented(
        n_virtual=n_virtual,
        point_node=point_node,
        arc_u=np.r_[fwd_u, fwd_v[two_way]].astype(np.int64),
        arc_v=np.r_[fwd_v, fwd_u[two_way]].astype(np.int64),
        arc_w=np.r_[fwd_w, fwd_w[two_way]],
        virtual_edge=v_edge,
        virtual_position=v_pos,
        piece_edge=np.r_[v_edge, v_edge[last]],
        piece_start=np.r_[prev_pos, v_pos[last]],
        piece_end=np.r_[v_pos, edge_length[v_edge[last]]],
        piece_a=fwd_u,
        piece_b=fwd_v,
    )
