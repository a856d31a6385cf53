"""Write a synthetic Latvia-size OpenStreetMap extract (``.osm.pbf``) over the real territory.

The roads are laid over the real data: a sparse national road graph joins the real unit
centres (CSB territorial units) and the real regional bus stops (ATD) along the edges of their
Delaunay triangulation (its minimum spanning tree plus the short edges), every state city, town
and parish centre gets a street grid (with footways, steps, one-way streets, service roads and
buildings), and farm tracks and paths fill the countryside. Tags are written as OSM writes
them: ``highway=*`` (trunk … residential, footway, steps, track, path, a motorway), ``oneway``,
``foot=no``, ``access=private``, ``route=ferry``, ``building=yes``, and library nodes
``amenity=library`` near the unit centres, as many per municipality as CSB counts (712 in 2024)
less a seeded share left out, as OSM leaves some out. The streets and libraries are synthetic;
only their anchors (unit centres, stops) are real.

At ``--scale 1`` the file holds about 15 million nodes and 1.5 million ways, the order of
Geofabrik's ``latvia-latest.osm.pbf``; ``--scale 0.01`` writes a small file for tests.

Usage::

    python scripts/synthetic_country_osm.py --data-dir ../shared/data --out country.osm.pbf
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from pyproj import Transformer
from scipy.sparse import coo_array
from scipy.sparse.csgraph import minimum_spanning_tree
from scipy.spatial import Delaunay

#: Nodes and ways of the full-size file (``--scale 1``), the order of the real Latvia extract.
FULL_NODES = 15_000_000

#: Vertex spacing (metres) along national roads, town streets and tracks.
ROAD_SPACING, STREET_SPACING, TRACK_SPACING = 40.0, 12.0, 25.0
#: Nodes per national road way (ways are cut in pieces, as OSM's are at junctions and changes).
ROAD_WAY_NODES = 14
#: Delaunay edges shorter than this join the national graph besides the spanning tree (metres).
SHORT_EDGE = 4000.0
#: The ``generator`` header of the files written here (``accessibility.io.sites`` reports it).
SYNTHETIC_GENERATOR = (
    "accessibility scripts/synthetic_country_osm.py (synthetic streets and libraries)"
)
#: Share of CSB's libraries written to the file (OSM misses some; the report shows how many).
LIBRARY_SHARE = 0.85


@dataclass
class Builder:
    """Nodes (EPSG:3059) and ways (CSR) as they are generated; node ids are positions + 1."""

    rng: np.random.Generator
    xs: list[np.ndarray] = field(default_factory=list)
    ys: list[np.ndarray] = field(default_factory=list)
    n_nodes: int = 0
    refs: list[np.ndarray] = field(default_factory=list)
    lengths: list[np.ndarray] = field(default_factory=list)
    tag_codes: list[np.ndarray] = field(default_factory=list)
    tags: list[dict[str, str]] = field(default_factory=list)
    _tag_index: dict[tuple[tuple[str, str], ...], int] = field(default_factory=dict)

    def nodes(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Add nodes; return their ids."""
        x = np.asarray(x, dtype=np.float64)
        ids = np.arange(self.n_nodes + 1, self.n_nodes + 1 + len(x), dtype=np.int64)
        self.xs.append(x)
        self.ys.append(np.asarray(y, dtype=np.float64))
        self.n_nodes += len(x)
        return ids

    def code(self, tags: dict[str, str]) -> int:
        key = tuple(sorted(tags.items()))
        if key not in self._tag_index:
            self._tag_index[key] = len(self.tags)
            self.tags.append(dict(tags))
        return self._tag_index[key]

    def ways(self, refs: np.ndarray, lengths: np.ndarray, codes: np.ndarray | int) -> None:
        """Add ways: ``refs`` concatenated, ``lengths`` nodes per way, a tag code per way."""
        lengths = np.asarray(lengths, dtype=np.int64)
        self.refs.append(np.asarray(refs, dtype=np.int64))
        self.lengths.append(lengths)
        self.tag_codes.append(np.broadcast_to(np.asarray(codes, dtype=np.int32), lengths.shape))

    @property
    def n_ways(self) -> int:
        return int(sum(len(v) for v in self.lengths))


def polylines(
    b: Builder,
    start_id: np.ndarray,
    end_id: np.ndarray,
    ax: np.ndarray,
    ay: np.ndarray,
    bx: np.ndarray,
    by: np.ndarray,
    spacing: float,
    wiggle: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Lines from existing nodes ``start_id`` to ``end_id`` with new interior vertices.

    Returns the refs of every line (concatenated) and the number of refs per line.
    """
    length = np.hypot(bx - ax, by - ay)
    segments = np.maximum(1, np.ceil(length / spacing).astype(np.int64))
    interior = segments - 1
    line = np.repeat(np.arange(len(ax)), interior)
    step = np.arange(interior.sum()) - np.repeat(np.cumsum(interior) - interior, interior) + 1
    t = step / segments[line]
    # A gentle bend, so that roads are not ruler-straight (and edges are not one segment).
    nx, ny = -(by - ay) / np.maximum(length, 1), (bx - ax) / np.maximum(length, 1)
    bend = wiggle * np.sin(np.pi * t) * b.rng.uniform(-1, 1, len(ax))[line]
    x = ax[line] + t * (bx - ax)[line] + bend * nx[line]
    y = ay[line] + t * (by - ay)[line] + bend * ny[line]
    inner_ids = b.nodes(x, y)
    counts = interior + 2
    refs = np.empty(counts.sum(), dtype=np.int64)
    first = np.cumsum(counts) - counts
    refs[first] = start_id
    refs[first + counts - 1] = end_id
    mask = np.ones(len(refs), dtype=bool)
    mask[first] = False
    mask[first + counts - 1] = False
    refs[mask] = inner_ids
    return refs, counts


def cut(
    refs: np.ndarray, counts: np.ndarray, per_way: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cut lines into ways of at most ``per_way`` nodes sharing their end nodes.

    Returns the refs, the nodes per way and the line each way came from.
    """
    out_refs, out_len, out_line = [], [], []
    starts = np.cumsum(counts) - counts
    pieces = np.maximum(1, np.ceil((counts - 1) / (per_way - 1)).astype(np.int64))
    # Vectorised: piece k of a line covers vertices [k*(per_way-1), min(..+per_way-1, n-1)].
    line = np.repeat(np.arange(len(counts)), pieces)
    k = np.arange(pieces.sum()) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    lo = k * (per_way - 1)
    hi = np.minimum(lo + per_way - 1, counts[line] - 1)
    lengths = hi - lo + 1
    index = np.repeat(starts[line] + lo, lengths) + (
        np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    )
    out_refs, out_len, out_line = refs[index], lengths, line
    return out_refs, out_len, out_line


def national_roads(
    b: Builder, ax: np.ndarray, ay: np.ndarray, anchor_id: np.ndarray, rank: np.ndarray
) -> np.ndarray:
    """Roads along the spanning tree and the short Delaunay edges of the anchors.

    ``rank`` is 3 for state cities, 2 for towns, 1 for parish centres, 0 for stops; a road's
    class follows the lower rank of its ends. Returns the ids of the road vertices.
    """
    tri = Delaunay(np.column_stack([ax, ay]))
    simplices = tri.simplices
    edges = np.concatenate([simplices[:, [0, 1]], simplices[:, [1, 2]], simplices[:, [0, 2]]])
    edges = np.unique(np.sort(edges, axis=1), axis=0)
    length = np.hypot(ax[edges[:, 0]] - ax[edges[:, 1]], ay[edges[:, 0]] - ay[edges[:, 1]])
    n = len(ax)
    mst = minimum_spanning_tree(coo_array((length, (edges[:, 0], edges[:, 1])), shape=(n, n)))
    tree = mst.tocoo()
    in_tree = set(
        zip(np.minimum(tree.row, tree.col).tolist(), np.maximum(tree.row, tree.col).tolist())
    )
    tree_edge = np.array([(a, c) in in_tree for a, c in edges.tolist()])
    keep = tree_edge | (length < SHORT_EDGE)
    edges, length, tree_edge = edges[keep], length[keep], tree_edge[keep]
    a, c = edges[:, 0], edges[:, 1]
    refs, counts = polylines(
        b, anchor_id[a], anchor_id[c], ax[a], ay[a], ax[c], ay[c], ROAD_SPACING, 60.0
    )
    low = np.minimum(rank[a], rank[c])
    high = np.maximum(rank[a], rank[c])
    klass = np.select(
        [
            low >= 2,
            (high >= 2) & (length > 10000),
            high >= 2,
            (low >= 1) & (length > 5000),
            low >= 1,
        ],
        ["trunk", "trunk", "primary", "secondary", "tertiary"],
        "unclassified",
    )
    way_refs, way_len, way_line = cut(refs, counts, ROAD_WAY_NODES)
    roll = b.rng.random(len(way_len))
    kinds = klass[way_line]
    codes = np.empty(len(way_len), dtype=np.int32)
    for value in np.unique(kinds):
        codes[kinds == value] = b.code({"highway": str(value)})
    # Closures fall on roads off the spanning tree only, so the country stays one network.
    spare = ~tree_edge[way_line]
    trunk = np.isin(kinds, ["trunk", "primary"]) & spare
    # A few trunk pieces closed to walkers, and a motorway stretch (never walkable).
    codes[trunk & (roll < 0.05)] = b.code({"highway": "trunk", "foot": "no", "ref": "A1"})
    codes[trunk & (roll > 0.99)] = b.code({"highway": "motorway", "oneway": "yes"})
    codes[(kinds == "unclassified") & spare & (roll < 0.02)] = b.code(
        {"highway": "service", "access": "private"}
    )
    b.ways(way_refs, way_len, codes)
    return refs


def street_grid(
    b: Builder, cx: float, cy: float, centre_id: int, half: float, spacing: float, ferry: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A square street grid centred on an existing node; returns its intersection ids and x, y."""
    k = max(1, int(half // spacing))
    offsets = np.arange(-k, k + 1) * spacing
    gx, gy = np.meshgrid(cx + offsets, cy + offsets)
    m = len(offsets)
    ids = np.zeros((m, m), dtype=np.int64)
    flat = np.ones(m * m, dtype=bool)
    flat[k * m + k] = False  # the centre is the anchor node already written
    new = b.nodes(gx.ravel()[flat], gy.ravel()[flat])
    ids.ravel()[flat] = new
    ids[k, k] = centre_id
    # Blocks: horizontal (i, j)-(i, j+1) and vertical (i, j)-(i+1, j).
    hi, hj = np.meshgrid(np.arange(m), np.arange(m - 1), indexing="ij")
    vi, vj = np.meshgrid(np.arange(m - 1), np.arange(m), indexing="ij")
    a = np.concatenate([ids[hi, hj].ravel(), ids[vi, vj].ravel()])
    c = np.concatenate([ids[hi, hj + 1].ravel(), ids[vi + 1, vj].ravel()])
    ax = np.concatenate([gx[hi, hj].ravel(), gx[vi, vj].ravel()])
    ay = np.concatenate([gy[hi, hj].ravel(), gy[vi, vj].ravel()])
    cxs = np.concatenate([gx[hi, hj + 1].ravel(), gx[vi + 1, vj].ravel()])
    cys = np.concatenate([gy[hi, hj + 1].ravel(), gy[vi + 1, vj].ravel()])
    line_index = np.concatenate([hi.ravel(), vj.ravel()])
    refs, counts = polylines(b, a, c, ax, ay, cxs, cys, STREET_SPACING, 0.0)
    roll = b.rng.random(len(a))
    codes = np.full(len(a), b.code({"highway": "residential"}), dtype=np.int32)
    codes[line_index % 5 == 0] = b.code({"highway": "tertiary"})
    codes[(line_index % 5 != 0) & (roll < 0.12)] = b.code(
        {"highway": "residential", "oneway": "yes"}
    )
    codes[(roll > 0.9) & (roll < 0.95)] = b.code({"highway": "living_street"})
    codes[(roll >= 0.95)] = b.code({"highway": "service"})
    b.ways(refs, counts, codes)
    # Footways across a share of the blocks (corner to corner), a few of them steps.
    blocks = np.flatnonzero(b.rng.random((m - 1) * (m - 1)) < 0.25)
    if len(blocks):
        bi, bj = np.divmod(blocks, m - 1)
        refs, counts = polylines(
            b,
            ids[bi, bj],
            ids[bi + 1, bj + 1],
            gx[bi, bj],
            gy[bi, bj],
            gx[bi + 1, bj + 1],
            gy[bi + 1, bj + 1],
            STREET_SPACING,
            5.0,
        )
        codes = np.where(
            b.rng.random(len(blocks)) < 0.1,
            b.code({"highway": "steps"}),
            b.code({"highway": "footway"}),
        )
        b.ways(refs, counts, codes)
    if ferry and m > 4:
        # A ferry across the grid: tagged route=ferry, no highway, so never walked.
        refs, counts = polylines(
            b,
            ids[1:2, 0],
            ids[-2:-1, -1],
            gx[1:2, 0],
            gy[1:2, 0],
            gx[-2:-1, -1],
            gy[-2:-1, -1],
            200.0,
            0.0,
        )
        b.ways(refs, counts, b.code({"route": "ferry", "name": "Pārceltuve"}))
    return ids.ravel(), gx.ravel(), gy.ravel()


def buildings(b: Builder, gx: np.ndarray, gy: np.ndarray, count: int) -> None:
    """Square building outlines (closed ways, not walkable) beside grid intersections."""
    if count <= 0:
        return
    pick = b.rng.integers(0, len(gx), count)
    x0 = gx[pick] + b.rng.uniform(15, 60, count)
    y0 = gy[pick] + b.rng.uniform(15, 60, count)
    side = b.rng.uniform(8, 20, count)
    corners_x = np.stack([x0, x0 + side, x0 + side, x0], axis=1).ravel()
    corners_y = np.stack([y0, y0, y0 + side, y0 + side], axis=1).ravel()
    ids = b.nodes(corners_x, corners_y).reshape(count, 4)
    refs = np.concatenate([ids, ids[:, :1]], axis=1).ravel()
    b.ways(refs, np.full(count, 5), b.code({"building": "yes"}))


def tracks(b: Builder, start_ids: np.ndarray, sx: np.ndarray, sy: np.ndarray, n_nodes: int) -> None:
    """Farm tracks and paths leaving road vertices: seeded random walks of 10–40 vertices."""
    if n_nodes <= 0 or not len(start_ids):
        return
    steps = b.rng.integers(10, 41, max(1, n_nodes // 25))
    steps = steps[np.cumsum(steps) <= n_nodes]
    n = len(steps)
    pick = b.rng.integers(0, len(start_ids), n)
    heading = b.rng.uniform(0, 2 * np.pi, n)
    line = np.repeat(np.arange(n), steps)
    turn = b.rng.normal(0, 0.15, len(line))
    # Heading drifts along each track (cumulative turns restart per track).
    csum = np.cumsum(turn)
    start_of = np.cumsum(steps) - steps
    csum -= np.repeat(csum[start_of] - turn[start_of], steps)
    angle = heading[line] + csum
    dx = TRACK_SPACING * np.cos(angle)
    dy = TRACK_SPACING * np.sin(angle)
    cx = np.cumsum(dx)
    cy = np.cumsum(dy)
    cx -= np.repeat(cx[start_of] - dx[start_of], steps)
    cy -= np.repeat(cy[start_of] - dy[start_of], steps)
    ids = b.nodes(sx[pick][line] + cx, sy[pick][line] + cy)
    counts = steps + 1
    refs = np.empty(counts.sum(), dtype=np.int64)
    first = np.cumsum(counts) - counts
    refs[first] = start_ids[pick]
    mask = np.ones(len(refs), dtype=bool)
    mask[first] = False
    refs[mask] = ids
    roll = b.rng.random(n)
    codes = np.where(
        roll < 0.7, b.code({"highway": "track", "tracktype": "grade3"}), b.code({"highway": "path"})
    )
    codes = np.where(roll > 0.97, b.code({"highway": "track", "foot": "no"}), codes)
    way_refs, way_len, way_line = cut(refs, counts, 12)
    b.ways(way_refs, way_len, codes[way_line])


def build(
    data_dir: Path, scale: float, seed: int
) -> tuple[Builder, list[tuple[float, float, dict[str, str]]]]:
    """Generate nodes, ways and library nodes over the real units and stops."""
    import accessibility as acc

    rng = np.random.default_rng(seed)
    b = Builder(rng)
    units = acc.load_units(acc.find_dataset("units", data_dir))
    stops = acc.load_stops(acc.find_dataset("stops", data_dir))
    centre = units.geometry.representative_point()
    ux, uy = centre.x.to_numpy(), centre.y.to_numpy()
    kind = units["unit_kind"].to_numpy()
    area = units.geometry.area.to_numpy()
    half = np.where(
        kind == "state_city",
        np.minimum(np.sqrt(area) / 2.2, 8000),
        np.where(kind == "town", np.minimum(np.sqrt(area) / 2, 2000), 400.0),
    ) * np.sqrt(min(scale * 2, 1.0))
    spacing = np.where(kind == "state_city", 110.0, np.where(kind == "town", 130.0, 160.0))
    # Stops inside a town grid are reached through its streets; the others anchor roads.
    sx, sy = stops.geometry.x.to_numpy(), stops.geometry.y.to_numpy()
    inside = np.zeros(len(sx), dtype=bool)
    for x, y, h in zip(ux, uy, half, strict=True):
        inside |= (np.abs(sx - x) <= h) & (np.abs(sy - y) <= h)
    keep_stop = ~inside & (rng.random(len(sx)) < min(1.0, scale * 4))
    sx, sy = sx[keep_stop], sy[keep_stop]
    # Stops closer than 30 m to another anchor would make degenerate roads.
    ax = np.concatenate([ux, sx])
    ay = np.concatenate([uy, sy])
    _, first = np.unique(np.round(np.column_stack([ax, ay]) / 30.0), axis=0, return_index=True)
    first = np.sort(first)
    first = np.union1d(first, np.arange(len(ux)))
    ax, ay = ax[first], ay[first]
    rank = np.concatenate(
        [np.select([kind == "state_city", kind == "town"], [3, 2], 1), np.zeros(len(sx), dtype=int)]
    )[first]
    anchor_id = b.nodes(ax, ay)
    road_refs = national_roads(b, ax, ay, anchor_id, rank)
    grid_ids, grid_x, grid_y = [], [], []
    for i in range(len(ux)):
        ids, gx, gy = street_grid(
            b, ux[i], uy[i], int(anchor_id[i]), half[i], spacing[i], ferry=kind[i] == "state_city"
        )
        grid_ids.append(ids)
        grid_x.append(gx)
        grid_y.append(gy)
    gx, gy = np.concatenate(grid_x), np.concatenate(grid_y)
    buildings(b, gx, gy, int(len(gx) * 0.6))
    # Tracks start from road vertices; their node count fills the budget.
    all_x = np.concatenate(b.xs)
    all_y = np.concatenate(b.ys)
    road_nodes = np.unique(road_refs)
    # At least a fifth of the budget, so that small files have tracks too.
    budget = max(int(FULL_NODES * scale) - b.n_nodes, int(0.2 * FULL_NODES * scale))
    tracks(b, road_nodes, all_x[road_nodes - 1], all_y[road_nodes - 1], budget)
    libraries = library_nodes(units, ux, uy, data_dir, rng)
    return b, libraries


def library_nodes(
    units, ux, uy, data_dir: Path, rng: np.random.Generator
) -> list[tuple[float, float, dict[str, str]]]:
    """CSB's library count per municipality, placed near its unit centres, a share left out."""
    from accessibility.io.library_counts import read_library_counts

    counts = read_library_counts(data_dir)
    out = []
    municipality = units["municipality_name"].to_numpy()
    names = units["unit_name"].to_numpy()
    for name, count in counts.items():
        members = np.flatnonzero(municipality == name)
        if not len(members):
            continue
        # One per unit first (towns and parishes have one each), the rest in the largest units.
        order = np.concatenate(
            [rng.permutation(members), rng.choice(members, max(0, count - len(members)))]
        )
        for k, i in enumerate(order[:count]):
            if rng.random() > LIBRARY_SHARE:
                continue
            r = rng.uniform(0, 900)
            t = rng.uniform(0, 2 * np.pi)
            out.append(
                (
                    ux[i] + r * np.cos(t),
                    uy[i] + r * np.sin(t),
                    {"amenity": "library", "name": f"{names[i]} bibliotēka {k + 1}"},
                )
            )
    return out


def write(
    b: Builder, libraries: list[tuple[float, float, dict[str, str]]], out: Path
) -> dict[str, int]:
    """Write nodes (ids in order), library nodes and ways with pyosmium's SimpleWriter."""
    import osmium
    from osmium.osm.mutable import Node, Way

    x = np.concatenate(b.xs)
    y = np.concatenate(b.ys)
    to_lonlat = Transformer.from_crs("EPSG:3059", "EPSG:4326", always_xy=True)
    lon, lat = to_lonlat.transform(x, y)
    lon = np.round(lon, 7).tolist()
    lat = np.round(lat, 7).tolist()
    del x, y
    if out.exists():
        out.unlink()
    header = osmium.io.Header()
    # Readers (and the report) can tell this file from a real extract by its generator.
    header.set("generator", SYNTHETIC_GENERATOR)
    writer = osmium.SimpleWriter(str(out), 4 << 20, header)
    try:
        for i, (a, c) in enumerate(zip(lon, lat)):
            writer.add_node(Node(id=i + 1, location=(a, c)))
        n = len(lon)
        del lon, lat
        for k, (lx, ly, tags) in enumerate(libraries):
            llon, llat = to_lonlat.transform(lx, ly)
            writer.add_node(
                Node(id=n + k + 1, location=(round(llon, 7), round(llat, 7)), tags=tags)
            )
        refs = np.concatenate(b.refs)
        lengths = np.concatenate(b.lengths)
        codes = np.concatenate(b.tag_codes)
        bounds = np.concatenate([[0], np.cumsum(lengths)])
        tags = b.tags
        ref_list = refs.tolist()
        for w in range(len(lengths)):
            writer.add_way(
                Way(id=w + 1, nodes=ref_list[bounds[w] : bounds[w + 1]], tags=tags[codes[w]])
            )
    finally:
        writer.close()
    return {"nodes": n + len(libraries), "ways": len(lengths), "libraries": len(libraries)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--scale", type=float, default=1.0, help="1 = about 15 M nodes")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    b, libraries = build(args.data_dir, args.scale, args.seed)
    t1 = time.perf_counter()
    counts = write(b, libraries, args.out)
    t2 = time.perf_counter()
    print(
        f"{args.out}: {counts['nodes']:,} nodes, {counts['ways']:,} ways, "
        f"{counts['libraries']} library nodes, {args.out.stat().st_size / 1e6:.1f} MB; "
        f"generated in {t1 - t0:.1f} s, written in {t2 - t1:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
