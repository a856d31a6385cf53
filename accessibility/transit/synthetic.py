"""A seeded synthetic GTFS feed of national size, for benchmarks and randomised tests."""

from __future__ import annotations

import io
import zipfile
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd
from pyproj import Transformer
from scipy.spatial import cKDTree

from .. import settings

#: Services of the synthetic feed: weekday flags (Monday first), share of the weekday trips, and
#: the season (``"spring"`` until 31 May, ``"autumn"`` from 1 June, ``"year"``). Weekdays have a
#: fuller spring timetable and a thinner one from June, as seasonal timetables do.
SERVICES: dict[str, tuple[tuple[int, ...], float, str]] = {
    "MOTH": ((1, 1, 1, 1, 0, 0, 0), 1.0, "spring"),
    "FR": ((0, 0, 0, 0, 1, 0, 0), 1.0, "spring"),
    "MOTH_B": ((1, 1, 1, 1, 0, 0, 0), 0.5, "autumn"),
    "FR_B": ((0, 0, 0, 0, 1, 0, 0), 0.5, "autumn"),
    "SA": ((0, 0, 0, 0, 0, 1, 0), 0.45, "year"),
    "SU": ((0, 0, 0, 0, 0, 0, 1), 0.35, "year"),
}


def _stop_locations(
    rng: np.random.Generator, n_stops: int, stops_path: str | PathLike[str] | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stop ids, names and EPSG:3059 coordinates: the real ATD stops, or towns with stops around."""
    if stops_path is not None:
        from ..io.stops import load_stops

        real = load_stops(stops_path)
        if len(real) > n_stops:
            real = real.iloc[np.sort(rng.choice(len(real), n_stops, replace=False))]
        xy = np.c_[real.geometry.x, real.geometry.y]
        return (
            real["stop_id"].to_numpy(dtype=str),
            real["stop_name"].fillna("").to_numpy(dtype=str),
            xy,
        )
    west, south, east, north = settings.LATVIA_BOUNDS_3059
    n_towns = max(1, n_stops // 40)
    towns = np.c_[rng.uniform(west, east, n_towns), rng.uniform(south, north, n_towns)]
    # Towns of very different sizes: a few large, many villages.
    size = rng.pareto(1.2, n_towns) + 1
    town = rng.choice(n_towns, n_stops, p=size / size.sum())
    spread = rng.uniform(300, 4000, n_towns)[town]
    xy = towns[town] + rng.normal(0, 1, (n_stops, 2)) * spread[:, None]
    ids = np.array([f"S{i:05d}" for i in range(n_stops)])
    return ids, np.array([f"Stop {i}" for i in range(n_stops)]), xy


def _route_path(
    rng: np.random.Generator, tree: cKDTree, xy: np.ndarray, n_stops: int
) -> np.ndarray:
    """A chain of ``n_stops`` stops heading roughly one way, each among the next one's neighbours."""
    current = int(rng.integers(len(xy)))
    heading = rng.uniform(0, 2 * np.pi)
    path, seen = [current], {current}
    k = min(16, len(xy))
    while len(path) < n_stops:
        _, near = tree.query(xy[current], k=k)
        step = xy[np.atleast_1d(near)] - xy[current]
        direction = np.array([np.cos(heading), np.sin(heading)])
        ahead = step @ direction
        candidates = [
            (ahead_i, int(i))
            for ahead_i, i in zip(ahead, np.atleast_1d(near), strict=True)
            if ahead_i > 0 and int(i) not in seen
        ]
        if not candidates:
            break
        # The nearest stop ahead (the smallest forward step), so the route calls at each village.
        current = min(candidates)[1]
        path.append(current)
        seen.add(current)
        heading += rng.normal(0, 0.25)
    return np.asarray(path, dtype=np.int64)


def _season_dates(season: str, start_date: str, end_date: str) -> tuple[str, str]:
    split = start_date[:4]
    if season == "spring":
        return start_date, f"{split}0531"
    if season == "autumn":
        return f"{split}0601", end_date
    return start_date, end_date


def synthetic_feed(
    path: str | PathLike[str],
    *,
    n_stops: int = 10_000,
    trips_per_day: int = 5_000,
    mean_stops_per_trip: int = 100,
    seed: int = 0,
    stops_path: str | PathLike[str] | None = None,
    start_date: str = "20240101",
    end_date: str = "20241231",
) -> Path:
    """Write a synthetic GTFS zip: stops, routes along chains of stops, seasonal weekly services.

    Routes run both ways along chains of neighbouring stops heading roughly one way (so they
    pass through the same towns and meet); about a third are intercity (route numbers 7xxx, longer, more
    trips), the rest regional (5xxx, 6xxx). Until 31 May a weekday runs about
    ``trips_per_day`` trips, from 1 June half as many; Saturday 45 % and Sunday 35 %. Times are
    rounded to the minute at 35-60 km/h with a 30 s stop; 1 May is a holiday (calendar_dates
    removes the weekday services and adds Sunday's). With the defaults the zip holds 10,000
    stops and about a million stop times (see :data:`SERVICES`).

    Parameters
    ----------
    path
        The zip file to write.
    n_stops, trips_per_day, mean_stops_per_trip, seed
        Size and seed.
    stops_path
        The ATD stop table (``gtfs_atd.csv``): real stop ids and locations instead of random
        towns (a sample of ``n_stops`` when it has more).

    Returns
    -------
    pathlib.Path
        The zip written.
    """
    rng = np.random.default_rng(seed)
    ids, names, xy = _stop_locations(rng, n_stops, stops_path)
    tree = cKDTree(xy)
    routes, patterns = [], []
    trips_left = trips_per_day
    number = {"7": 7000, "5": 5000, "6": 6000}
    while trips_left > 0:
        intercity = rng.random() < 0.3
        low, high = (1.0, 2.2) if intercity else (0.3, 1.5)
        wanted = int(rng.uniform(low, high) * mean_stops_per_trip)
        path_ = _route_path(rng, tree, xy, wanted)
        if len(path_) < 3:
            continue
        prefix = "7" if intercity else rng.choice(["5", "6"])
        number[prefix] += 1
        per_day = int(rng.integers(4, 16) if intercity else rng.choice([2, 2, 3, 4, 6, 10, 20]))
        per_day = min(per_day, trips_left)
        trips_left -= per_day
        route_id = f"R{len(routes)}"
        routes.append((route_id, str(number[prefix]), 3))
        speed = rng.uniform(35, 60) / 3.6
        hop = np.linalg.norm(np.diff(xy[path_], axis=0), axis=1) * 1.25 / speed + 30
        patterns.append((route_id, path_, hop, per_day))
    trip_rows, st_parts = [], []
    for service, (_, share, _season) in SERVICES.items():
        for route_id, path_, hop, per_day in patterns:
            n = int(rng.binomial(per_day, share)) if share < 1 else per_day
            for k in range(n):
                forward = k % 2 == 0
                stops = path_ if forward else path_[::-1]
                hops = hop if forward else hop[::-1]
                first = rng.integers(5 * 60, 22 * 60) * 60
                times = (first + np.r_[0, np.cumsum(hops)]) // 60 * 60
                trip_id = f"{route_id}_{service}_{k}"
                trip_rows.append((route_id, service, trip_id))
                text = [f"{int(t) // 3600:02d}:{int(t) % 3600 // 60:02d}:00" for t in times]
                st_parts.append(
                    pd.DataFrame(
                        {
                            "trip_id": trip_id,
                            "arrival_time": text,
                            "departure_time": text,
                            "stop_id": ids[stops],
                            "stop_sequence": np.arange(1, len(stops) + 1),
                        }
                    )
                )
    to_lonlat = Transformer.from_crs(settings.CRS, settings.LONLAT_CRS, always_xy=True)
    lon, lat = to_lonlat.transform(xy[:, 0], xy[:, 1])
    tables = {
        "agency.txt": pd.DataFrame(
            {
                "agency_id": ["A"],
                "agency_name": ["Synthetic"],
                "agency_url": ["https://example.org"],
                "agency_timezone": ["Europe/Riga"],
            }
        ),
        "stops.txt": pd.DataFrame(
            {
                "stop_id": ids,
                "stop_name": names,
                "stop_lat": np.round(lat, 7),
                "stop_lon": np.round(lon, 7),
            }
        ),
        "routes.txt": pd.DataFrame(routes, columns=["route_id", "route_short_name", "route_type"]),
        "trips.txt": pd.DataFrame(trip_rows, columns=["route_id", "service_id", "trip_id"]),
        "calendar.txt": pd.DataFrame(
            [
                (s, *flags, *_season_dates(season, start_date, end_date))
                for s, (flags, _, season) in SERVICES.items()
            ],
            columns=[
                "service_id",
                "monday",
                "tuesday",
                "wednesday",
                "thursday",
                "friday",
                "saturday",
                "sunday",
                "start_date",
                "end_date",
            ],
        ),
        "calendar_dates.txt": pd.DataFrame(
            {
                "service_id": ["MOTH", "FR", "SU"],
                "date": [f"{start_date[:4]}0501"] * 3,
                "exception_type": [2, 2, 1],
            }
        ),
        "stop_times.txt": pd.concat(st_parts, ignore_index=True),
    }
    out = Path(path)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, table in tables.items():
            buffer = io.StringIO()
            table.to_csv(buffer, index=False)
            archive.writestr(name, buffer.getvalue())
    return out
