"""Benchmark read_osm() against a plain pyosmium handler and pyrosm on the same .osm.pbf file."""

from __future__ import annotations

import argparse
import gc
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import osmium
from osmium.osm.mutable import Node, Way

from accessibility.io._osm import read_osm
from accessibility.network.walk import WALK_FILTER


def synthetic_pbf(path: Path, n_streets: int, n_buildings: int, seed: int = 0) -> Path:
    """Streets of 10 nodes and square buildings, as a country extract mixes them."""
    rng = np.random.default_rng(seed)
    n_nodes = n_streets * 10 + n_buildings * 4
    lon = 21.0 + rng.random(n_nodes) * 7.0
    lat = 55.7 + rng.random(n_nodes) * 2.3
    writer = osmium.SimpleWriter(str(path))
    try:
        for i in range(n_nodes):
            writer.add_node(Node(id=i + 1, location=(float(lon[i]), float(lat[i]))))
        for k in range(n_streets):
            start = k * 10 + 1
            tags = {"highway": "residential" if k % 3 else "footway"}
            writer.add_way(Way(id=k + 1, nodes=list(range(start, start + 10)), tags=tags))
        base = n_streets * 10
        for k in range(n_buildings):
            s = base + k * 4 + 1
            tags = {"building": "yes", "addr:housenumber": str(k % 200)}
            writer.add_way(Way(id=n_streets + k + 1, nodes=[s, s + 1, s + 2, s + 3, s], tags=tags))
    finally:
        writer.close()
    return path


class _PlainHandler(osmium.SimpleHandler):
    """The textbook pyosmium way: a Python callback per way, node locations from the cache."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[int] = []
        self.x: list[int] = []
        self.y: list[int] = []
        self.ways = 0

    def way(self, way: Any) -> None:
        if "highway" not in way.tags:
            return
        self.ways += 1
        for node in way.nodes:
            self.refs.append(node.ref)
            # Fixed-point coordinates: .lon raises on nodes missing from a cut extract.
            location = node.location
            self.x.append(location.x)
            self.y.append(location.y)


def plain_pyosmium(path: Path) -> int:
    handler = _PlainHandler()
    handler.apply_file(str(path), locations=True)
    return handler.ways


def pyrosm_ways(path: Path) -> int:
    from pyrosm import OSM

    ways = OSM(str(path)).get_network(network_type="all")
    return 0 if ways is None else len(ways)


def timed(label: str, func: Callable[[], Any], rows: list[tuple[str, float, Any]]) -> None:
    gc.collect()
    start = time.perf_counter()
    out = func()
    elapsed = time.perf_counter() - start
    rows.append((label, elapsed, out))
    print(f"  {label:<52} {elapsed:8.2f} s   ({out} ways)", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pbf", type=Path, help="an .osm.pbf file (default: a synthetic one)")
    parser.add_argument("--streets", type=int, default=50_000)
    parser.add_argument("--buildings", type=int, default=200_000)
    parser.add_argument("--skip-pyrosm", action="store_true")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        path = args.pbf or synthetic_pbf(Path(tmp) / "bench.osm.pbf", args.streets, args.buildings)
        print(f"{path} ({path.stat().st_size / 1e6:.1f} MB)")
        rows: list[tuple[str, float, Any]] = []
        timed(
            "read_osm, mapping filter {'highway': True}",
            lambda: len(read_osm(path, way_filter={"highway": True}).ways),
            rows,
        )
        timed(
            "read_osm, WALK_FILTER + way_keys=('highway',)",
            lambda: len(read_osm(path, way_filter=WALK_FILTER, way_keys=("highway",)).ways),
            rows,
        )
        timed(
            "read_osm, WALK_FILTER without way_keys",
            lambda: len(read_osm(path, way_filter=WALK_FILTER).ways),
            rows,
        )
        timed("plain pyosmium SimpleHandler (locations=True)", lambda: plain_pyosmium(path), rows)
        if not args.skip_pyrosm:
            timed("pyrosm get_network('all') (builds geometries)", lambda: pyrosm_ways(path), rows)
        base = rows[0][1]
        print("ratios to read_osm with a mapping filter:")
        for label, elapsed, _ in rows:
            print(f"  {label:<52} {elapsed / base:8.2f}x")


if __name__ == "__main__":
    main()
