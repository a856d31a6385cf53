"""Same-day round trips by public transport from every population point to its centre."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.spatial import cKDTree

from .._errors import AccessibilityError, MissingColumnError
from ..network.snapping import point_coordinates
from .calendar import as_date
from .feed import Feed
from .journeys import _timestamps, footpaths, parse_clock, run_sources, walk_matrix
from .raptor import INF, day_timetable

#: Default opening hours and visit, as study parameters would give them.
DEFAULTS: dict[str, Any] = {
    "open_time": "09:00",
    "close_time": "17:00",
    "stay_minutes": 60,
    "leave_after": "05:00",
    "home_by": "24:00",
}


def _centre_of_points(
    points: gpd.GeoDataFrame, centres: gpd.GeoDataFrame, assign: str | None
) -> tuple[np.ndarray, str]:
    if assign is not None:
        if assign not in points.columns:
            raise MissingColumnError(
                None, f"points have no column {assign!r} naming their centre", field=assign
            )
        position = centres.index.get_indexer(points[assign])
        if (position < 0).any():
            bad = points[assign][position < 0].iloc[0]
            raise AccessibilityError(
                f"points name a centre {bad!r} that is not in the centres' index"
            )
        return position, f"assigned (column {assign!r})"
    p = point_coordinates(points, what="points")
    c = point_coordinates(centres, what="centres")
    if not c.valid.any():
        raise AccessibilityError("no centre has a location")
    tree = cKDTree(c.xy[c.valid])
    _, nearest = tree.query(np.where(p.valid[:, None], p.xy, 0.0))
    return np.flatnonzero(c.valid)[nearest], "nearest by straight line"


def round_trips(
    points: gpd.GeoDataFrame,
    centres: gpd.GeoDataFrame,
    feed: Feed,
    *,
    date: Any,
    open_time: Any = DEFAULTS["open_time"],
    close_time: Any = DEFAULTS["close_time"],
    stay_minutes: float = DEFAULTS["stay_minutes"],
    leave_after: Any = DEFAULTS["leave_after"],
    home_by: Any = DEFAULTS["home_by"],
    assign: str | None = None,
    network: Any = None,
    walk_speed_kmh: float = 4.5,
    max_walk_m: float = 1000.0,
    max_transfers: int = 3,
    details: bool = True,
    workers: int = 1,
) -> gpd.GeoDataFrame:
    """Whether a resident of each point can visit its centre and be home the same day.

    A round trip exists when a journey leaving home no earlier than ``leave_after`` reaches the
    centre early enough to be served for ``stay_minutes`` before ``close_time`` (service starts
    at the later of the arrival and ``open_time``), and a journey leaving the centre after that
    visit is home by ``home_by``. Journeys are walk + transit + walk as in
    :func:`~accessibility.transit.transit_times`; walking all the way counts when the centre is
    within ``max_walk_m``.

    Parameters
    ----------
    points
        Population points (any CRS), e.g. from :func:`accessibility.coverage.demand.population_points`.
    centres
        Centres (any CRS); their index labels name them in the result.
    feed
        The timetable.
    date
        The day studied (a weekday for weekday opening hours).
    open_time, close_time, stay_minutes, leave_after, home_by
        Opening hours, the least time at the centre, the earliest time of leaving home and the
        latest time of being back (``"24:00"``: before midnight).
    assign
        Column of ``points`` holding the index label of each point's centre; None takes the
        nearest centre by straight line (said in ``attrs["round_trip"]``).
    network, walk_speed_kmh, max_walk_m, max_transfers
        As for :func:`~accessibility.transit.transit_times`.
    details
        Also find the latest time of leaving home for the earliest arrival and the time back
        home on the latest return (two more searches, for the points with a round trip).
    workers
        Processes: with 2, the two independent searches of each step (there and back) run side
        by side.

    Returns
    -------
    geopandas.GeoDataFrame
        ``points`` with ``centre`` (label), ``walk_only`` (the centre is reached on foot at
        least as early as by transit), ``earliest_arrival`` (at the centre), ``latest_return``
        (latest time of leaving the centre that is home by ``home_by``), ``round_trip`` (bool),
        ``time_at_centre_minutes`` (opening time available between them; NaN without a round
        trip), and with ``details`` ``leave_home``, ``back_home`` and ``time_away_minutes`` of
        the plan "earliest arrival, latest return" (the longest visit; a shorter one may be
        possible). Times are pandas Timestamps on ``date``; NaT when there is no journey of use
        for a visit (an arrival after ``close_time`` minus the stay, or a return leaving before
        ``open_time`` plus the stay, is not searched for).
        ``attrs["round_trip"]`` holds the parameters and the walking method.
    """
    day = as_date(date)
    t_open, t_close = parse_clock(open_time), parse_clock(close_time)
    t_leave, t_home = parse_clock(leave_after), parse_clock(home_by)
    stay = round(float(stay_minutes) * 60)
    if t_close - stay < t_open:
        raise AccessibilityError(
            f"a {stay_minutes}-minute visit does not fit between {open_time} and {close_time}"
        )
    centre, assignment = _centre_of_points(points, centres, assign)
    stops = feed.stops_frame()
    access = walk_matrix(points, stops, max_walk_m, walk_speed_kmh, network)
    egress = walk_matrix(centres, stops, max_walk_m, walk_speed_kmh, network)
    near = walk_matrix(points, centres, max_walk_m, walk_speed_kmh, network)
    direct = _pair_values(near, centre)
    foot = footpaths(feed, max_walk_m, walk_speed_kmh, network)
    tt = day_timetable(feed, day, foot)
    rtt = day_timetable(feed, day, foot, reverse=True)
    n = len(points)

    # Outbound: earliest arrival at the centre; arrivals after close - stay are of no use.
    # Return: latest departure from the centre home by home_by (reverse search from home);
    # departures before open + stay are of no use. The two are independent searches.
    arrive, back = _searches(
        [
            (tt, access, np.full(n, t_leave), egress, centre, t_close - stay, centre),
            (rtt, access, np.full(n, -t_home), egress, centre, -(t_open + stay), centre),
        ],
        max_transfers,
        workers,
    )
    arrive[arrive >= INF] = np.inf
    walk_there = np.isfinite(direct) & (t_leave + direct <= arrive)
    arrive = np.minimum(arrive, t_leave + direct)
    leave = np.where(back >= INF, -np.inf, -back)
    leave = np.maximum(leave, t_home - direct)
    served_from = np.maximum(arrive, t_open)
    ok = np.isfinite(arrive) & (served_from + stay <= t_close) & (leave >= served_from + stay)
    out = points.copy()
    out["centre"] = centres.index.to_numpy()[centre]
    out["walk_only"] = walk_there
    out["earliest_arrival"] = _timestamps(day, _ints(arrive)).to_numpy()
    out["latest_return"] = _timestamps(
        day, _ints(np.where(np.isfinite(leave), leave, np.inf))
    ).to_numpy()
    out["round_trip"] = ok
    at_centre = np.full(n, np.nan)
    at_centre[ok] = (np.minimum(leave[ok], t_close) - served_from[ok]) / 60.0
    out["time_at_centre_minutes"] = at_centre
    if details:
        home_leave = np.full(n, np.inf)
        home_back = np.full(n, np.inf)
        f = np.flatnonzero(ok)
        if len(f):
            walk_f = direct[f]
            # Latest leaving home that still arrives at the earliest arrival (reverse search from
            # the centre at that time), and the time home when leaving at the latest return.
            latest, home = _searches(
                [
                    (rtt, egress[centre[f]], -_ints(arrive[f]), access, f, None, centre[f]),
                    (tt, egress[centre[f]], _ints(leave[f]), access, f, None, centre[f]),
                ],
                max_transfers,
                workers,
            )
            latest = np.where(latest >= INF, -np.inf, -latest)
            home_leave[f] = np.maximum(
                latest, np.where(np.isfinite(walk_f), arrive[f] - walk_f, -np.inf)
            )
            home[home >= INF] = np.inf
            home_back[f] = np.minimum(home, leave[f] + walk_f)
        out["leave_home"] = _timestamps(day, _ints(home_leave)).to_numpy()
        out["back_home"] = _timestamps(day, _ints(home_back)).to_numpy()
        away = np.full(n, np.nan)
        known = ok & np.isfinite(home_back) & np.isfinite(home_leave)
        away[known] = (home_back[known] - home_leave[known]) / 60.0
        out["time_away_minutes"] = away
    out.attrs["round_trip"] = {
        "date": day.isoformat(),
        "open_time": open_time,
        "close_time": close_time,
        "stay_minutes": stay_minutes,
        "leave_after": leave_after,
        "home_by": home_by,
        "max_walk_m": max_walk_m,
        "walk_speed_kmh": walk_speed_kmh,
        "max_transfers": max_transfers,
        "method": "network" if network is not None else "euclidean",
        "centre_assignment": assignment,
        "feed": feed.source,
    }
    return out


def _searches(jobs: list[tuple], max_transfers: int, workers: int) -> list[np.ndarray]:
    """Run independent target searches, side by side in processes when ``workers`` > 1.

    Each job is (timetable, access, start, egress, target of each source, deadline, group);
    sources are batched by group (their centre), so that a batch stays in one region.
    """
    calls = [
        (tt, access, start, egress)
        + (
            {
                "target_of_source": target,
                "max_transfers": max_transfers,
                "deadline": deadline,
                "order": np.argsort(group, kind="stable"),
            },
        )
        for tt, access, start, egress, target, deadline, group in jobs
    ]
    if workers > 1 and len(calls) > 1:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=min(workers, len(calls)), mp_context=context) as pool:
            futures = [pool.submit(run_sources, *args, **kwargs) for *args, kwargs in calls]
            results = [f.result() for f in futures]
    else:
        results = [run_sources(*args, **kwargs) for *args, kwargs in calls]
    return [r.astype(np.float64) for r in results]


def _ints(values: np.ndarray) -> np.ndarray:
    """Seconds as int64, with inf (and -inf) as INF (no time)."""
    values = np.asarray(values, dtype=np.float64)
    return np.where(np.isfinite(values), values, INF).astype(np.int64)


def _pair_values(matrix: sp.csr_array, column_of_row: np.ndarray) -> np.ndarray:
    """``matrix[i, column_of_row[i]]`` for every row, inf where no entry is stored."""
    coo = matrix.tocoo()
    hit = coo.col == column_of_row[coo.row]
    out = np.full(matrix.shape[0], np.inf)
    out[coo.row[hit]] = coo.data[hit]
    return out


def round_trip_units(
    result: pd.DataFrame, unit_column: str = "unit_code", population: str = "population"
) -> pd.DataFrame:
    """Per unit: population, population with a same-day round trip, its share, the usual departure.

    ``usual_leave_home`` is the time of leaving home (``leave_home``) shared by most people of
    the unit who have a round trip by transit (population-weighted mode; NaT when none has one;
    people who walk to the centre are left out, their time of leaving is their own choice).
    """
    for column in (unit_column, population, "round_trip"):
        if column not in result.columns:
            raise MissingColumnError(
                None, f"round-trip result has no column {column!r}", field=column
            )
    frame = pd.DataFrame(
        {
            "unit": result[unit_column].to_numpy(),
            "population": result[population].to_numpy(dtype=np.float64),
            "ok": result["round_trip"].to_numpy(dtype=bool),
        }
    )
    frame["with"] = np.where(frame["ok"], frame["population"], 0.0)
    table = frame.groupby("unit", sort=True).agg(
        population=("population", "sum"), population_round_trip=("with", "sum")
    )
    table["round_trip_share"] = np.where(
        table["population"] > 0,
        table["population_round_trip"] / table["population"].where(table["population"] > 0, 1),
        np.nan,
    )
    if "leave_home" in result.columns:
        by_transit = frame["ok"].to_numpy()
        if "walk_only" in result.columns:
            by_transit = by_transit & ~result["walk_only"].to_numpy(dtype=bool)
        feasible = pd.DataFrame(
            {
                "unit": frame["unit"],
                "leave": result["leave_home"].to_numpy(),
                "w": frame["population"],
            }
        )[by_transit]
        usual = (
            feasible.groupby(["unit", "leave"])["w"]
            .sum()
            .reset_index()
            .sort_values(["unit", "w", "leave"], ascending=[True, False, True])
            .drop_duplicates("unit")
            .set_index("unit")["leave"]
        )
        table["usual_leave_home"] = usual.reindex(table.index)
    table.index.name = unit_column
    return table.reset_index()


def round_trip_centres(result: pd.DataFrame, population: str = "population") -> pd.DataFrame:
    """Per centre: population assigned to it and population that can make the round trip to it."""
    frame = pd.DataFrame(
        {
            "centre": result["centre"].to_numpy(),
            "population": result[population].to_numpy(dtype=np.float64),
        }
    )
    frame["with"] = np.where(result["round_trip"].to_numpy(dtype=bool), frame["population"], 0.0)
    table = frame.groupby("centre", sort=True).agg(
        population_assigned=("population", "sum"), population_round_trip=("with", "sum")
    )
    return table.reset_index()


def round_trip_matrix(
    points: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    feed: Feed,
    *,
    date: Any,
    open_time: Any = DEFAULTS["open_time"],
    close_time: Any = DEFAULTS["close_time"],
    stay_minutes: float = DEFAULTS["stay_minutes"],
    leave_after: Any = DEFAULTS["leave_after"],
    home_by: Any = DEFAULTS["home_by"],
    network: Any = None,
    walk_speed_kmh: float = 4.5,
    max_walk_m: float = 1000.0,
    max_transfers: int = 3,
) -> sp.csr_array:
    """Which candidates each point can visit and be home from the same day, as a cost matrix.

    The same rule as :func:`round_trips`, for every point-candidate pair, so that a planner can
    maximise the population with a same-day round trip: pass the matrix to
    :func:`accessibility.planning.mclp` with the population as weights and ``radius=1440``
    (minutes in a day: every stored entry is below it).

    Returns
    -------
    scipy.sparse.csr_array
        Shape (len(points), len(candidates)). An entry is stored (explicit zeros included) for
        each pair with a round trip: the minutes from ``leave_after`` to the earliest arrival.
        Absent pairs have none. Memory: two dense int64 points x candidates arrays are built.
    """
    day = as_date(date)
    t_open, t_close = parse_clock(open_time), parse_clock(close_time)
    t_leave, t_home = parse_clock(leave_after), parse_clock(home_by)
    stay = round(float(stay_minutes) * 60)
    stops = feed.stops_frame()
    access = walk_matrix(points, stops, max_walk_m, walk_speed_kmh, network)
    egress = walk_matrix(candidates, stops, max_walk_m, walk_speed_kmh, network)
    near = walk_matrix(points, candidates, max_walk_m, walk_speed_kmh, network).tocoo()
    direct = np.full(near.shape, np.inf)
    direct[near.row, near.col] = near.data
    foot = footpaths(feed, max_walk_m, walk_speed_kmh, network)
    n = len(points)
    arrive = run_sources(
        day_timetable(feed, day, foot),
        access,
        np.full(n, t_leave),
        egress,
        max_transfers=max_transfers,
        deadline=t_close - stay,
    ).astype(np.float64)
    arrive[arrive >= INF] = np.inf
    arrive = np.minimum(arrive, t_leave + direct)
    back = run_sources(
        day_timetable(feed, day, foot, reverse=True),
        access,
        np.full(n, -t_home),
        egress,
        max_transfers=max_transfers,
        deadline=-(t_open + stay),
    ).astype(np.float64)
    leave = np.where(back >= INF, -np.inf, -back)
    leave = np.maximum(leave, t_home - direct)
    served_from = np.maximum(arrive, t_open)
    ok = np.isfinite(arrive) & (served_from + stay <= t_close) & (leave >= served_from + stay)
    rows, cols = np.nonzero(ok)
    minutes = (arrive[rows, cols] - t_leave) / 60.0
    return sp.csr_array((minutes, (rows, cols)), shape=ok.shape)
