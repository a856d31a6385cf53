"""The synthetic region's streets: city and town grids, roads between settlements, the rural lattice."""

from __future__ import annotations

import math
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import Delaunay
from shapely.geometry import LineString, Point, Polygon

from ._names import _CITY, _TOWNS, Node, Segment
from ._territory import _nearest_settlement, _Settlement


def _key(x: float, y: float) -> Node:
    return (round(float(x), 2), round(float(y), 2))


def _grid(
    settlement: _Settlement, shape: Any, rng: np.random.Generator
) -> tuple[list[Node], list[tuple[Node, Node]]]:
    """A jittered street grid: the whole shape for a city or town, a 5 x 5 block for a village."""
    cx, cy = settlement.centre
    s = settlement.spacing
    if shape is not None:
        minx, miny, maxx, maxy = shape.bounds
        irange = range(int((minx - cx) // s) - 1, int((maxx - cx) // s) + 2)
        jrange = range(int((miny - cy) // s) - 1, int((maxy - cy) // s) + 2)
        inside = shape.buffer(-60.0)
    else:
        irange = jrange = range(-settlement.half_size, settlement.half_size + 1)
        inside = None
    nodes: dict[tuple[int, int], Node] = {}
    jitter = 0.12 * s
    for i in irange:
        for j in jrange:
            dx, dy = (0.0, 0.0) if (i, j) == (0, 0) else tuple(rng.uniform(-jitter, jitter, 2))
            x, y = cx + i * s + dx, cy + j * s + dy
            if inside is None or inside.contains(Point(x, y)):
                nodes[(i, j)] = _key(x, y)
    edges = []
    for (i, j), node in nodes.items():
        for di, dj in ((1, 0), (0, 1)):
            other = nodes.get((i + di, j + dj))
            if other is not None:
                edges.append((node, other))
    # Keep the component that holds the centre (a grid clipped to an irregular shape can split).
    g = nx.Graph(edges)
    centre = nodes[(0, 0)]
    keep = nx.node_connected_component(g, centre)
    edges = [(u, v) for u, v in edges if u in keep]
    return sorted(keep), edges


def _streets(
    settlements: list[_Settlement],
    city: Polygon,
    towns: list[Polygon],
    rng: np.random.Generator,
) -> tuple[list[Segment], nx.Graph, dict[str, Node]]:
    """Street segments (u, v, highway, name, vertices), their graph and each settlement's centre node.

    Every segment is a line between two junctions; segments meet only at their end vertices,
    so the file reads as a street centre-line network in which touching lines connect.
    """
    segments: list[Segment] = []
    grid_nodes: dict[str, list[Node]] = {}
    anchors: dict[str, Node] = {}
    shapes = {_CITY: city, **dict(zip(_TOWNS, towns, strict=True))}
    for s in settlements:
        if s.kind == "exit":
            anchors[s.name] = _key(*s.centre)
            grid_nodes[s.name] = [anchors[s.name]]
            continue
        nodes, edges = _grid(s, shapes.get(s.name), rng)
        kind = "residential" if s.kind in ("state_city", "town") else "unclassified"
        anchors[s.name] = _key(*s.centre)
        grid_nodes[s.name] = nodes
        segments.extend((u, v, kind, "", [u, v]) for u, v in edges)

    # Main roads: the minimum spanning tree of the settlements plus the shortest other
    # Delaunay edges (for a few loops), each routed through any settlement it passes near.
    centres = np.asarray([s.centre for s in settlements])
    tri = Delaunay(centres)
    candidate: dict[tuple[int, int], float] = {}
    for simplex in tri.simplices:
        for a, b in ((0, 1), (1, 2), (0, 2)):
            i, j = sorted((int(simplex[a]), int(simplex[b])))
            candidate[(i, j)] = float(np.hypot(*(centres[i] - centres[j])))
    full = nx.Graph()
    for (i, j), length in sorted(candidate.items()):
        full.add_edge(i, j, length=length)
    tree = nx.minimum_spanning_tree(full, weight="length")
    extra = sorted(
        (d["length"], i, j) for i, j, d in full.edges(data=True) if not tree.has_edge(i, j)
    )
    exits = {i for i, s in enumerate(settlements) if s.kind == "exit"}
    road_pairs: set[tuple[int, int]] = {tuple(sorted(e)) for e in tree.edges()}  # type: ignore[misc]
    for length, i, j in extra[:6]:
        if i in exits or j in exits or length > 9_000.0:
            continue
        road_pairs.add((i, j))
    road_pairs = _route_through(road_pairs, centres, exits)

    for number, (i, j) in enumerate(sorted(road_pairs), start=1):
        a, b = settlements[i], settlements[j]
        u = _attach(grid_nodes[a.name], b.centre)
        v = _attach(grid_nodes[b.name], a.centre)
        # Road classes are set once the bus routes are known (see _classify_roads).
        segments.append((u, v, "tertiary", f"V{100 + number}", _wiggle(u, v, rng)))

    graph = nx.Graph()
    for index, (u, v, kind, _, vertices) in enumerate(segments):
        length = LineString(vertices).length
        if graph.has_edge(u, v) and graph[u][v]["length"] <= length:
            continue
        graph.add_edge(u, v, length=length, segment=index)
    if not nx.is_connected(graph):  # pragma: no cover - guaranteed by the spanning tree
        raise RuntimeError("synthetic street network is not connected")
    return segments, graph, anchors


def _route_through(
    pairs: set[tuple[int, int]], centres: np.ndarray, exits: set[int]
) -> set[tuple[int, int]]:
    """Split a road that passes within 600 m of a third settlement into two roads via it."""
    out: set[tuple[int, int]] = set()
    todo = sorted(pairs)
    while todo:
        i, j = todo.pop()
        line = LineString([centres[i], centres[j]])
        near = [
            (line.project(Point(centres[k])), k)
            for k in range(len(centres))
            if k not in (i, j) and k not in exits and line.distance(Point(centres[k])) < 600.0
        ]
        if near:
            _, k = min(near)
            todo.extend([tuple(sorted((i, k))), tuple(sorted((k, j)))])  # type: ignore[list-item]
        else:
            out.add((i, j))
    return out


def _attach(nodes: list[Node], towards: tuple[float, float]) -> Node:
    """The grid node nearest to the other end of a road (the road leaves the grid there)."""
    xy = np.asarray(nodes)
    return nodes[int(np.argmin(np.hypot(xy[:, 0] - towards[0], xy[:, 1] - towards[1])))]


def _wiggle(u: Node, v: Node, rng: np.random.Generator) -> list[Node]:
    """A country road from u to v: vertices every ~250 m with a smooth sideways bend."""
    length = math.hypot(v[0] - u[0], v[1] - u[1])
    n = max(2, int(length // 250.0))
    amplitude = min(0.04 * length, 400.0) * float(rng.uniform(-1.0, 1.0))
    phase = float(rng.uniform(0.5, 1.5))
    nx_, ny_ = -(v[1] - u[1]) / length, (v[0] - u[0]) / length
    out = [u]
    for k in range(1, n):
        t = k / n
        off = amplitude * math.sin(math.pi * t) * phase + 6.0 * math.sin(7.0 * math.pi * t)
        out.append(_key(u[0] + t * (v[0] - u[0]) + off * nx_, u[1] + t * (v[1] - u[1]) + off * ny_))
    out.append(v)
    return out


def _village_hulls(segments: list[Segment], settlements: list[_Settlement]) -> list[Any]:
    """The built-up area of each village: the hull of its street grid, 60 m wide around it."""
    nodes: dict[str, list[Node]] = {}
    for u, v, kind, _, _ in segments:
        if kind == "unclassified":
            for node in (u, v):
                nodes.setdefault(_nearest_settlement(settlements, node), []).append(node)
    return [
        shapely.MultiPoint(nodes[s.name]).convex_hull.buffer(60.0)
        for s in settlements
        if s.kind == "village"
    ]


def _rural_lattice(
    segments: list[Segment], outline: Polygon, built_up: list[Any], rng: np.random.Generator
) -> list[Segment]:
    """Add the countryside's web of minor roads and farm tracks to the streets.

    A lattice of about 1.1 km with jittered junctions and gently bent edges, 12% of its edges
    dropped, is clipped to the region outside the built-up areas. Every line is then split where
    it crosses another (shapely's noding), so tracks and roads share a vertex at each crossing
    and connect in the walking network. Pieces that end up cut off from the streets are dropped:
    the network stays one connected component.
    """
    spacing = 1_100.0
    minx, miny, maxx, maxy = outline.bounds
    junctions: dict[tuple[int, int], tuple[float, float]] = {}
    for i in range(int((maxx - minx) // spacing) + 2):
        for j in range(int((maxy - miny) // spacing) + 2):
            dx, dy = rng.uniform(-0.2 * spacing, 0.2 * spacing, 2)
            junctions[(i, j)] = (minx + i * spacing + dx, miny + j * spacing + dy)
    lattice: list[tuple[str, LineString]] = []
    for (i, j), (x0, y0) in sorted(junctions.items()):
        for di, dj in ((1, 0), (0, 1)):
            other = junctions.get((i + di, j + dj))
            bend = float(rng.uniform(-90.0, 90.0))
            if other is None or rng.random() < 0.12:
                continue
            x1, y1 = other
            length = math.hypot(x1 - x0, y1 - y0)
            mid = (
                (x0 + x1) / 2 - bend * (y1 - y0) / length,
                (y0 + y1) / 2 + bend * (x1 - x0) / length,
            )
            # Every third lattice line is a gravel minor road, the rest are farm and forest tracks.
            minor = (i if dj else j) % 3 == 0
            lattice.append(
                ("unclassified" if minor else "track", LineString([(x0, y0), mid, (x1, y1)]))
            )
    countryside = outline.buffer(-40.0).difference(shapely.union_all(built_up))
    sources: list[tuple[str, str]] = [(kind, name) for _, _, kind, name, _ in segments]
    lines: list[Any] = [LineString(vertices) for *_, vertices in segments]
    for kind, line in lattice:
        for part in shapely.get_parts(line.intersection(countryside)):
            if isinstance(part, LineString) and part.length > 1.0:
                sources.append((kind, ""))
                lines.append(part)
    pieces = shapely.get_parts(shapely.node(shapely.MultiLineString(lines)))
    # Each piece takes the class and name of the line it was cut from (streets first).
    tree = shapely.STRtree(lines)
    midpoints = shapely.line_interpolate_point(pieces, 0.5, normalized=True)
    piece_index, line_index = tree.query(midpoints, predicate="dwithin", distance=1e-6)
    source_of = pd.Series(line_index).groupby(piece_index).min()
    out: list[Segment] = []
    graph = nx.Graph()
    for k, piece in enumerate(pieces):
        vertices = [_key(x, y) for x, y in shapely.get_coordinates(piece)]
        vertices = [v for v, w in zip(vertices, [None, *vertices[:-1]], strict=True) if v != w]
        if len(vertices) < 2:
            continue
        kind, name = sources[int(source_of[k])]
        graph.add_edge(vertices[0], vertices[-1])
        out.append((vertices[0], vertices[-1], kind, name, vertices))
    main = nx.node_connected_component(graph, segments[0][0])
    return [s for s in out if s[0] in main]
