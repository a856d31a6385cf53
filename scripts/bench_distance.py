"""Benchmark nearest() against a raw scipy Dijkstra pass, networkx and pandana on one network."""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import shapely
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from accessibility.network.distance import nearest
from accessibility.network.walk import WalkNetwork


def synthetic_network(
    n_nodes: int, seed: int = 0, spacing: float = 80.0, deleted: float = 0.12
) -> WalkNetwork:
    """A perturbed square grid of about ``n_nodes`` nodes with a share of its edges deleted."""
    rng = np.random.default_rng(seed)
    side = round(np.sqrt(n_nodes))
    ii, jj = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
    xy = (
        np.stack([ii.ravel(), jj.ravel()], axis=1) * spacing
        + rng.uniform(-0.3, 0.3, (side * side, 2)) * spacing
    )
    xy += (400_000.0, 250_000.0)  # inside Latvia in EPSG:3059
    node = (ii * side + jj).ravel()
    right = node[(ii < side - 1).ravel()]
    up = node[(jj < side - 1).ravel()]
    u = np.concatenate([right, up])
    v = np.concatenate([right + side, up + 1])
    keep = rng.random(len(u)) >= deleted
    return WalkNetwork.from_arrays(xy, u[keep], v[keep], source={"kind": "synthetic grid"})


def random_points(network: WalkNetwork, n: int, seed: int) -> gpd.GeoSeries:
    rng = np.random.default_rng(seed)
    lo = network.node_xy.min(axis=0)
    hi = network.node_xy.max(axis=0)
    return gpd.GeoSeries(shapely.points(rng.uniform(lo, hi, (n, 2))), crs="EPSG:3059")


def timed(label: str, func: Callable[[], Any], rows: list[tuple[str, float]]) -> Any:
    gc.collect()
    start = time.perf_counter()
    out = func()
    elapsed = time.perf_counter() - start
    rows.append((label, elapsed))
    print(f"  {label:<48} {elapsed:9.3f} s", flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nodes", type=int, default=1_000_000)
    parser.add_argument("--origins", type=int, default=10_000)
    parser.add_argument("--targets", type=int, default=2_000)
    parser.add_argument("--quick", action="store_true", help="about 2,000 nodes, for a smoke test")
    parser.add_argument("--no-networkx", action="store_true")
    parser.add_argument("--no-pandana", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.nodes, args.origins, args.targets = 2_000, 300, 40

    rows: list[tuple[str, float]] = []
    print(
        f"synthetic grid of ~{args.nodes:,} nodes, "
        f"{args.origins:,} origins, {args.targets:,} targets"
    )
    net = timed("build WalkNetwork (from_arrays)", lambda: synthetic_network(args.nodes), rows)
    print(f"  {net!r}")
    origins = random_points(net, args.origins, 1)
    targets = random_points(net, args.targets, 2)
    timed("snap index (KD-tree, once per network)", net.snap_index, rows)
    timed("base CSR graph (once per network)", net.graph, rows)

    # The practical floor: one multi-source pass on the base graph from the targets' nearest nodes.
    graph, _ = net.graph()
    node_tree = cKDTree(net.node_xy)
    target_nodes = np.unique(node_tree.query(shapely.get_coordinates(targets.values))[1])
    kernel = timed(
        "raw scipy dijkstra(min_only=True)",
        lambda: dijkstra(graph, directed=True, indices=target_nodes, min_only=True),
        rows,
    )

    tracemalloc.start()
    result = timed(
        "nearest() (network, snapped to edges)", lambda: nearest(origins, targets, net), rows
    )
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"  peak traced memory of nearest(): {peak / 2**20:,.0f} MiB")
    timed("nearest() again", lambda: nearest(origins, targets, net), rows)
    ok = np.isfinite(result["distance"]).mean()
    print(f"  origins with a finite distance: {ok:.1%}; median {result['distance'].median():.0f} m")

    if not args.no_networkx:

        def nx_build() -> nx.Graph:
            g = nx.Graph()
            g.add_weighted_edges_from(
                zip(net.edge_u.tolist(), net.edge_v.tolist(), net.edge_length.tolist())
            )
            return g

        g = timed("networkx: build Graph", nx_build, rows)
        lengths = timed(
            "networkx: multi_source_dijkstra_path_length",
            lambda: nx.multi_source_dijkstra_path_length(g, set(target_nodes.tolist())),
            rows,
        )
        check = np.array(
            [lengths.get(i, np.inf) for i in range(0, net.n_nodes, max(1, net.n_nodes // 1000))]
        )
        np.testing.assert_allclose(
            check, kernel[:: max(1, net.n_nodes // 1000)][: len(check)], rtol=1e-9
        )
        del g, lengths

    pandana_total = None
    if not args.no_pandana:
        try:
            import pandana
            import pandas as pd
        except ImportError:
            print("  pandana is not installed: skipped (pip install pandana to compare)")
        else:

            def pandana_run() -> Any:
                nodes = pd.DataFrame({"x": net.node_xy[:, 0], "y": net.node_xy[:, 1]})
                edges = pd.DataFrame(
                    {"from": net.edge_u, "to": net.edge_v, "length": net.edge_length}
                )
                pn = pandana.Network(
                    nodes["x"],
                    nodes["y"],
                    edges["from"],
                    edges["to"],
                    edges[["length"]],
                    twoway=True,
                )
                t = shapely.get_coordinates(targets.values)
                pn.set_pois("targets", 1e7, 1, pd.Series(t[:, 0]), pd.Series(t[:, 1]))
                found = pn.nearest_pois(1e7, "targets", num_pois=1)
                o = shapely.get_coordinates(origins.values)
                ids = pn.get_node_ids(pd.Series(o[:, 0]), pd.Series(o[:, 1]))
                return found.loc[ids.to_numpy()]

            start = time.perf_counter()
            timed("pandana: build + set_pois + nearest_pois", pandana_run, rows)
            pandana_total = time.perf_counter() - start

    times = dict(rows)
    floor = times["raw scipy dijkstra(min_only=True)"]
    ours = times["nearest() again"]
    print("\nsummary (seconds; ratio = time / nearest() warm)")
    print(f"  {'step':<48} {'time':>9} {'ratio':>8}")
    for label, elapsed in rows:
        print(f"  {label:<48} {elapsed:9.3f} {elapsed / ours:8.2f}")
    print(
        f"\n  nearest() warm / raw kernel: {ours / floor:.2f}x   (cold: "
        f"{times['nearest() (network, snapped to edges)'] / floor:.2f}x)"
    )
    if "networkx: multi_source_dijkstra_path_length" in times:
        nx_total = times["networkx: multi_source_dijkstra_path_length"]
        nx_build = times["networkx: build Graph"]
        print(f"  networkx search alone / nearest(): {nx_total / ours:.1f}x slower")
        print(f"  networkx build + search / nearest(): {(nx_build + nx_total) / ours:.1f}x slower")
    if pandana_total is not None:
        print(f"  pandana (build + query) / nearest(): {pandana_total / ours:.1f}x slower")
    print(
        f"  process peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
