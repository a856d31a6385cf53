"""Benchmark the national coverage run: time and peak memory, with ratios against plain peers."""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from scipy.spatial import cKDTree

import accessibility as acc
from accessibility import settings
from accessibility.coverage.core import proxy_sites, stop_rule, unit_coverage
from accessibility.coverage.demand import population_points


def measure(label: str, func: Callable[[], Any], repeat: int = 3) -> tuple[float, float, Any]:
    """Best wall time of ``repeat`` runs (s) and the Python-heap peak of one run (MiB)."""
    best = np.inf
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - start)
    tracemalloc.start()
    func()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return best, peak / 2**20, result


def overlay_grid(units: gpd.GeoDataFrame, resolution: float) -> gpd.GeoDataFrame:
    """Peer: the textbook way, a national grid of cells overlaid with the units by geopandas."""
    west, south, east, north = units.total_bounds
    xs = np.arange(np.floor(west / resolution), np.ceil(east / resolution)) * resolution
    ys = np.arange(np.floor(south / resolution), np.ceil(north / resolution)) * resolution
    gx, gy = np.meshgrid(xs, ys)
    cells = gpd.GeoDataFrame(
        geometry=shapely.box(
            gx.ravel(), gy.ravel(), gx.ravel() + resolution, gy.ravel() + resolution
        ),
        crs=units.crs,
    )
    pieces = gpd.overlay(
        cells, units[["unit_code", "geometry"]], how="intersection", keep_geom_type=True
    )
    pieces["area"] = pieces.area
    return pieces


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=os.environ.get(settings.DATA_DIR_ENV))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    if args.data_dir is None:
        parser.error(f"give --data-dir or set {settings.DATA_DIR_ENV}")
    data_dir = Path(args.data_dir)

    start = time.perf_counter()
    units = acc.load_units(acc.find_dataset("units", data_dir))
    population = acc.load_population(acc.find_dataset("population", data_dir))
    stops = acc.load_stops(acc.find_dataset("stops", data_dir))
    print(
        f"loaded {len(units)} units, {len(stops)} stops, population {population['population'].sum():,} "
        f"in {time.perf_counter() - start:.2f} s"
    )

    rows: list[tuple[str, float, float, str]] = []

    t_grid, m_grid, points = measure(
        "grid", lambda: population_points(units, population), args.repeat
    )
    t_overlay, _, pieces = measure("overlay", lambda: overlay_grid(units, 1000.0), 1)
    rows.append(
        (
            f"population_points 1 km ({len(points):,} points)",
            t_grid,
            m_grid,
            (
                f"geopandas overlay of a national grid: {t_overlay:.2f} s "
                f"({t_overlay / t_grid:.1f}x), {len(pieces):,} pieces"
            ),
        )
    )

    proxies = proxy_sites(units, how="most_served_stop", stops=stops)
    intercity = stops[stops["intercity"]]
    t_rule, m_rule, checked = measure("rule", lambda: stop_rule(proxies, stops), args.repeat)

    def kd_tree() -> np.ndarray:
        tree = cKDTree(np.c_[intercity.geometry.x, intercity.geometry.y])
        return tree.query(np.c_[proxies.geometry.x, proxies.geometry.y])[0]

    t_kd, _, distance = measure("kd", kd_tree, args.repeat)
    assert np.allclose(checked["distance"].to_numpy(), distance)
    rows.append(
        (
            f"stop_rule ({len(proxies)} sites, {len(intercity)} intercity stops)",
            t_rule,
            m_rule,
            f"bare cKDTree query: {t_kd * 1000:.1f} ms ({t_rule / t_kd:.0f}x slower: checks, notes, columns)",
        )
    )

    t_stops, m_stops, _ = measure("stops", lambda: unit_coverage(units, stops), args.repeat)

    def plain_join() -> Any:
        joined = gpd.sjoin(
            stops[["geometry"]], units[["unit_code", "geometry"]], predicate="within"
        )
        return joined.groupby("unit_code").size()

    t_join, _, _ = measure("join", plain_join, args.repeat)
    rows.append(
        (
            "unit_coverage, stops only",
            t_stops,
            m_stops,
            f"plain sjoin count: {t_join:.2f} s ({t_stops / t_join:.1f}x: also tolerance, intercity reach)",
        )
    )

    t_full, m_full, table = measure(
        "full", lambda: unit_coverage(units, stops, proxies, population, points=points), args.repeat
    )
    rows.append(
        (
            "unit_coverage, national (stops, proxies, population)",
            t_full,
            m_full,
            f"{len(table)} units, {len(points):,} population points",
        )
    )

    t_all, m_all, _ = measure("all", lambda: unit_coverage(units, stops, proxies, population), 1)
    rows.append(("unit_coverage incl. building the grid", t_all, m_all, ""))

    width = max(len(r[0]) for r in rows)
    print(f"\n{'step'.ljust(width)}  time s  peak MiB  peer")
    for label, seconds, mib, peer in rows:
        print(f"{label.ljust(width)}  {seconds:6.2f}  {mib:8.1f}  {peer}")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nprocess peak resident memory: {rss:.0f} MiB (includes the peers and the data)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
