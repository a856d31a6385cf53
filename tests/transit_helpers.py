"""Hand-made GTFS feeds for the transit tests, and an independent time-expanded search."""

from __future__ import annotations

import itertools
from pathlib import Path

import networkx as nx
import numpy as np
from pyproj import Transformer

from accessibility.transit import footpaths, trips_on

_TO_LONLAT = Transformer.from_crs("EPSG:3059", "EPSG:4326", always_xy=True)
CALENDAR = (
    "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\n"
    "WK,1,1,1,1,1,0,0,20240101,20241231\n"
)


def write_feed(
    folder: Path,
    stops: dict[str, tuple[float, float]],
    trips: list[tuple[str, str, str, list[tuple[str, str, str]]]],
    *,
    calendar: str = CALENDAR,
    extra: dict[str, str] | None = None,
) -> Path:
    """A GTFS folder: ``stops`` id -> EPSG:3059 (x, y); ``trips`` (trip, route, service, calls).

    Each call is (stop, arrival, departure). Route short names are the route ids.
    """
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["stop_id,stop_name,stop_lat,stop_lon"]
    for sid, (x, y) in stops.items():
        lon, lat = _TO_LONLAT.transform(x, y)
        lines.append(f"{sid},Stop {sid},{lat:.8f},{lon:.8f}")
    (folder / "stops.txt").write_text("\n".join(lines) + "\n")
    routes = sorted({r for _, r, _, _ in trips})
    (folder / "routes.txt").write_text(
        "route_id,route_short_name,route_type\n" + "".join(f"{r},{r},3\n" for r in routes)
    )
    (folder / "trips.txt").write_text(
        "route_id,service_id,trip_id\n" + "".join(f"{r},{s},{t}\n" for t, r, s, _ in trips)
    )
    rows = ["trip_id,arrival_time,departure_time,stop_id,stop_sequence"]
    for t, _, _, calls in trips:
        for k, (stop, arr, dep) in enumerate(calls, start=1):
            rows.append(f"{t},{arr},{dep},{stop},{k}")
    (folder / "stop_times.txt").write_text("\n".join(rows) + "\n")
    (folder / "calendar.txt").write_text(calendar)
    for name, text in (extra or {}).items():
        (folder / name).write_text(text)
    return folder


def time_expanded_earliest(
    feed,
    date,
    access: dict[int, int],
    start: int,
    *,
    max_walk_m: float,
    walk_speed_kmh: float,
) -> dict[int, float]:
    """Earliest arrival by vehicle at every stop, by Dijkstra on a time-expanded graph (networkx).

    ``access`` maps stops to the walking seconds from the origin. Nodes: ("wait", stop, t) for
    being at a stop able to board, ("board", trip, i) on a trip leaving its i-th call, ("ride",
    trip, i) on a trip arriving at its i-th call, ("off", stop, t) just alighted (walking
    transfers leave only from there, as in the RAPTOR model: no chained walks).
    """
    foot = footpaths(feed, max_walk_m, walk_speed_kmh).tocoo()
    neighbours: dict[int, list[tuple[int, int]]] = {}
    for a, b, w in zip(foot.row, foot.col, foot.data, strict=True):
        neighbours.setdefault(int(a), []).append((int(b), int(w)))
    trips, shift = trips_on(feed, date)
    g = nx.DiGraph()
    waits: dict[int, set[int]] = {}

    def wait(stop: int, t: int) -> tuple:
        waits.setdefault(stop, set()).add(t)
        return ("wait", stop, t)

    for trip, s in zip(trips.tolist(), shift.tolist(), strict=True):
        a, b = feed.trip_start[trip], feed.trip_start[trip + 1]
        stops = feed.st_stop[a:b].tolist()
        arr = (feed.st_arr[a:b] + s).tolist()
        dep = (feed.st_dep[a:b] + s).tolist()
        for i in range(len(stops)):
            if i < len(stops) - 1:
                g.add_edge(wait(stops[i], dep[i]), ("board", trip, i), weight=0)
                g.add_edge(("board", trip, i), ("ride", trip, i + 1), weight=arr[i + 1] - dep[i])
            if i > 0:
                if i < len(stops) - 1:
                    g.add_edge(("ride", trip, i), ("board", trip, i), weight=dep[i] - arr[i])
                off = ("off", stops[i], arr[i])
                g.add_edge(("ride", trip, i), off, weight=0)
                g.add_edge(off, wait(stops[i], arr[i]), weight=0)
                for other, w in neighbours.get(stops[i], []):
                    g.add_edge(off, wait(other, arr[i] + w), weight=w)
    g.add_node("origin")
    for stop, w in access.items():
        g.add_edge("origin", wait(stop, start + w), weight=start + w)
    for stop, times in waits.items():
        ordered = sorted(times)
        for t0, t1 in itertools.pairwise(ordered):
            g.add_edge(("wait", stop, t0), ("wait", stop, t1), weight=t1 - t0)
    lengths = nx.single_source_dijkstra_path_length(g, "origin")
    best: dict[int, float] = {}
    for node, length in lengths.items():
        if isinstance(node, tuple) and node[0] == "off":
            best[node[1]] = min(best.get(node[1], np.inf), length)
    return best
