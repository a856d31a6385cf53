"""Benchmark same-day round trips on a national-size synthetic timetable, against a plain Dijkstra.

1. Writes a synthetic GTFS feed with the real ATD stop locations (about 10,000 stops, 5,000
   trips on a weekday, about a million stop times over the four weekly services).
2. Places the population on the national 1 km grid (as scripts/national_coverage.py does) and
   takes one PROXY centre per territorial unit (its most-served ATD stop): no real centre
   locations are in hand, and the timetable is synthetic, so the shares printed describe the
   synthetic feed, not Latvia's buses.
3. Times the round trips of every grid cell to its nearest proxy centre, with peak memory.
4. On a smaller synthetic feed, times RAPTOR against a plain Python Dijkstra on the
   time-expanded graph for the same queries (checking that both give the same arrivals), and
   prints the ratio.
"""

from __future__ import annotations

import argparse
import bisect
import heapq
import itertools
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

import accessibility as acc
from accessibility import settings
from accessibility.coverage.core import proxy_sites
from accessibility.coverage.demand import population_points
from accessibility.transit import (
    day_timetable,
    footpaths,
    load_feed,
    raptor,
    round_trip_units,
    round_trips,
    trips_on,
)
from accessibility.transit.journeys import walk_matrix
from accessibility.transit.synthetic import synthetic_feed


def rss_mib() -> float:
    """Peak resident memory of this process so far (MiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build_time_expanded(feed, date, foot) -> tuple[dict, dict[int, list[int]]]:
    """Peer: the time-expanded graph of a day as plain Python dicts.

    Nodes: ("w", stop, t) waiting at a stop able to board, ("b", trip, i) on board leaving call
    i, ("r", trip, i) on board arriving at call i, ("o", stop, t) just alighted (walking
    transfers leave only from there, as in the RAPTOR model). Returns the adjacency and each
    stop's sorted waiting times.
    """
    trips, shift = trips_on(feed, date)
    adjacency: dict[tuple, list[tuple[int, tuple]]] = {}
    waits: dict[int, set[int]] = {}

    def edge(a: tuple, b: tuple, w: int) -> None:
        adjacency.setdefault(a, []).append((w, b))

    neighbours: dict[int, list[tuple[int, int]]] = {}
    coo = foot.tocoo()
    for a, b, w in zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist(), strict=True):
        neighbours.setdefault(a, []).append((b, int(w)))
    for trip, s in zip(trips.tolist(), shift.tolist(), strict=True):
        a, b = feed.trip_start[trip], feed.trip_start[trip + 1]
        stops = feed.st_stop[a:b].tolist()
        arr = (feed.st_arr[a:b] + s).tolist()
        dep = (feed.st_dep[a:b] + s).tolist()
        for i in range(len(stops)):
            if i < len(stops) - 1:
                waits.setdefault(stops[i], set()).add(dep[i])
                edge(("w", stops[i], dep[i]), ("b", trip, i), 0)
                edge(("b", trip, i), ("r", trip, i + 1), arr[i + 1] - dep[i])
            if i > 0:
                if i < len(stops) - 1:
                    edge(("r", trip, i), ("b", trip, i), dep[i] - arr[i])
                off = ("o", stops[i], arr[i])
                edge(("r", trip, i), off, 0)
                waits.setdefault(stops[i], set()).add(arr[i])
                edge(off, ("w", stops[i], arr[i]), 0)
                for other, w in neighbours.get(stops[i], []):
                    waits.setdefault(other, set()).add(arr[i] + w)
                    edge(off, ("w", other, arr[i] + w), w)
    times = {stop: sorted(ts) for stop, ts in waits.items()}
    for stop, ordered in times.items():
        for t0, t1 in itertools.pairwise(ordered):
            edge(("w", stop, t0), ("w", stop, t1), t1 - t0)
    return adjacency, times


def dijkstra_earliest(adjacency, times, access: dict[int, int], start: int) -> dict[int, int]:
    """Peer: earliest arrival by vehicle at every stop, heapq Dijkstra from the access stops."""
    heap = []
    for stop, w in access.items():
        ordered = times.get(stop, [])
        k = bisect.bisect_left(ordered, start + w)
        if k < len(ordered):
            heap.append((ordered[k], ("w", stop, ordered[k])))
    heapq.heapify(heap)
    done: set[tuple] = set()
    best: dict[int, int] = {}
    while heap:
        d, node = heapq.heappop(heap)
        if node in done:
            continue
        done.add(node)
        if node[0] == "o" and d < best.get(node[1], 1 << 40):
            best[node[1]] = d
        for w, nxt in adjacency.get(node, ()):
            if nxt not in done:
                heapq.heappush(heap, (d + w, nxt))
    return best


def peer_comparison(folder: Path, date: str, n_sources: int) -> None:
    """RAPTOR against the plain time-expanded Dijkstra on a smaller feed, same queries."""
    path = synthetic_feed(
        folder / "small.zip", n_stops=2_000, trips_per_day=1_000, mean_stops_per_trip=40, seed=7
    )
    feed = load_feed(path)
    foot = footpaths(feed, 1000.0, 4.5)
    tt = day_timetable(feed, date, foot)
    rng = np.random.default_rng(3)
    sources = rng.choice(feed.n_stops, n_sources, replace=False)
    start = 7 * 3600
    t = time.process_time()
    labels = raptor(
        tt,
        np.arange(n_sources),
        sources,
        np.full(n_sources, start),
        n_sources,
        max_transfers=50,
    )
    t_raptor = time.process_time() - t
    t = time.process_time()
    adjacency, times = build_time_expanded(feed, date, foot)
    t_build = time.process_time() - t
    t = time.process_time()
    mismatches = 0
    for k, s in enumerate(sources.tolist()):
        best = dijkstra_earliest(adjacency, times, {s: 0}, start)
        expected = np.full(feed.n_stops, 1_000_000_000)
        expected[list(best)] = list(best.values())
        mismatches += int((expected != labels[:, k]).sum())
    t_peer = time.process_time() - t
    n_trips = len(trips_on(feed, date)[0])
    print(
        f"\npeer check on a smaller feed ({feed.n_stops:,} stops, {n_trips:,} trips on {date}, "
        f"{len(feed.st_stop):,} stop times), {n_sources} sources, earliest arrival at every stop, "
        f"unlimited transfers (CPU seconds, so that the other load on the machine does not count):\n"
        f"  RAPTOR (all sources at once):             {t_raptor:8.2f} s\n"
        f"  plain Python Dijkstra, time-expanded graph: {t_peer:8.2f} s searches "
        f"({t_peer / t_raptor:.0f}x slower), plus {t_build:.2f} s to build the graph "
        f"({len(adjacency):,} nodes with edges); arrivals differing: {mismatches}"
    )
    if mismatches:
        raise SystemExit("RAPTOR and the time-expanded Dijkstra disagree")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=os.environ.get(settings.DATA_DIR_ENV))
    parser.add_argument("--date", default="2024-03-12", help="a weekday of the synthetic feed")
    parser.add_argument("--peer-sources", type=int, default=20)
    parser.add_argument("--workers", type=int, default=1, help="processes for the round trips")
    args = parser.parse_args(argv)
    if args.data_dir is None:
        parser.error(f"give --data-dir or set {settings.DATA_DIR_ENV}")
    data_dir = Path(args.data_dir)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t = time.perf_counter()
        path = synthetic_feed(
            folder / "national.zip", stops_path=acc.find_dataset("stops", data_dir)
        )
        t_gen = time.perf_counter() - t
        t = time.perf_counter()
        feed = load_feed(path)
        t_load = time.perf_counter() - t
        n_day = len(trips_on(feed, args.date)[0])
        print(
            f"synthetic feed: {feed.n_stops:,} stops (real ATD locations), {feed.n_trips:,} trips "
            f"in {len(feed.service_id)} services, {n_day:,} on {args.date}, {len(feed.st_stop):,} stop times; "
            f"written in {t_gen:.1f} s, read in {t_load:.1f} s"
        )
        units = acc.load_units(acc.find_dataset("units", data_dir))
        population = acc.load_population(acc.find_dataset("population", data_dir))
        stops = acc.load_stops(acc.find_dataset("stops", data_dir))
        points = population_points(units, population, resolution=1000.0)
        centres = proxy_sites(units, how="most_served_stop", stops=stops)
        near = walk_matrix(points, feed.stops_frame(), 1000.0, 4.5)
        with_stop = int((np.diff(near.indptr) > 0).sum())
        print(
            f"{len(points):,} population cells (1 km), {with_stop:,} with a stop within 1,000 m; "
            f"{len(centres)} PROXY centres (each unit's most-served ATD stop)"
        )
        rss_before = rss_mib()
        tracemalloc.start()
        t = time.perf_counter()
        cpu = time.process_time()
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        result = round_trips(points, centres, feed, date=args.date, workers=args.workers)
        t_round = time.perf_counter() - t
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu_round = time.process_time() - cpu
        cpu_round += (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        units_table = round_trip_units(result)
        share = result.loc[result["round_trip"], "population"].sum() / result["population"].sum()
        print(
            f"\nround trips, {len(points):,} cells to their nearest proxy centre "
            f"(weekday {args.date}, open 09:00-17:00, 60 min stay, leave after 05:00, home by 24:00): "
            f"{t_round:.1f} s wall, {cpu_round:.1f} s CPU, {args.workers} worker(s), "
            f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end\n"
            f"  peak memory: {peak / 2**20:,.0f} MiB traced during the step; process peak RSS "
            f"{rss_mib():,.0f} MiB (was {rss_before:,.0f} MiB before it)"
            + (
                f"; largest worker process {after.ru_maxrss / 1024:,.0f} MiB"
                if args.workers > 1
                else ""
            )
            + "\n"
            f"  cells with a round trip: {int(result['round_trip'].sum()):,}; population share "
            f"{share:.1%} (synthetic timetable: says nothing about Latvia's buses); units: "
            f"{len(units_table)}"
        )
        peer_comparison(folder, args.date, args.peer_sources)
    return 0


if __name__ == "__main__":
    sys.exit(main())
