"""Service at stops on a date: departures, first and last, the longest daytime gap; the stop rule
with a minimum of intercity departures."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np

from .. import settings
from ..io.stops import IntercityRule, _intercity_rule
from ..network.distance import distance_matrix
from .calendar import as_date, trips_on
from .feed import DAY, Feed
from .journeys import _timestamps, parse_clock


def intercity_routes(feed: Feed, intercity: IntercityRule = None) -> np.ndarray:
    """Boolean mask over the feed's routes: those whose number the intercity rule accepts.

    The rule is the stop table's (:func:`accessibility.load_stops`): by default a route number
    fully matching :data:`accessibility.settings.INTERCITY_ROUTE_PATTERN`, an assumption.
    """
    matcher, _ = _intercity_rule(intercity)
    return np.array([matcher(str(n)) for n in feed.route_short_name], dtype=bool)


def stop_service(
    feed: Feed,
    date: Any,
    *,
    intercity: IntercityRule = None,
    day_start: Any = "06:00",
    day_end: Any = "22:00",
) -> gpd.GeoDataFrame:
    """Departures at every stop on the calendar day ``date``.

    A departure is a call of a trip at a stop other than its last, at a time on ``date``
    (00:00 to 24:00): trips of the previous service day running past midnight count, times of
    the day's own trips after 24:00 belong to the next day.

    Parameters
    ----------
    feed
        The timetable.
    date
        The day.
    intercity
        The intercity rule on route numbers (as for :func:`accessibility.load_stops`).
    day_start, day_end
        The daytime window in which the longest gap between departures is measured.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per stop of the feed (EPSG:3059): ``stop_id``, ``stop_name``, ``departures``,
        ``intercity_departures``, ``first_departure``, ``last_departure`` (Timestamps, NaT
        without service), ``longest_gap_minutes`` (the longest time in the daytime window
        without a departure, counting from its start and to its end; the whole window when the
        stop has none), ``intercity`` (served by an intercity route on any day of the feed).
        ``attrs["service"]`` names the date, the window and the intercity rule.
    """
    day = as_date(date)
    start, end = parse_clock(day_start), parse_clock(day_end)
    trips, shift = trips_on(feed, day)
    is_intercity_route = intercity_routes(feed, intercity)
    lengths = feed.trip_start[trips + 1] - feed.trip_start[trips]
    # Every call but the last of each trip, with the trip's shift to the calendar day.
    rows = (
        np.concatenate(
            [
                np.arange(a, b - 1)
                for a, b in zip(feed.trip_start[trips], feed.trip_start[trips + 1], strict=True)
            ]
        )
        if len(trips)
        else np.zeros(0, dtype=np.int64)
    )
    row_shift = np.repeat(shift, lengths - 1)
    row_trip = np.repeat(trips, lengths - 1)
    when = feed.st_dep[rows].astype(np.int64) + row_shift
    on_day = (when >= 0) & (when < DAY)
    rows, when, row_trip = rows[on_day], when[on_day], row_trip[on_day]
    stop = feed.st_stop[rows]
    n = feed.n_stops
    departures = np.bincount(stop, minlength=n)
    inter = is_intercity_route[feed.trip_route[row_trip]]
    intercity_departures = np.bincount(stop[inter], minlength=n)
    first = np.full(n, np.iinfo(np.int64).max)
    last = np.full(n, -1)
    np.minimum.at(first, stop, when)
    np.maximum.at(last, stop, when)
    gap = _longest_gaps(stop, when, n, start, end)
    # Served by an intercity route on any day: the stop table's sense of "intercity stop".
    call_route = np.repeat(feed.trip_route, np.diff(feed.trip_start))
    ever = np.zeros(n, dtype=bool)
    ever[feed.st_stop[is_intercity_route[call_route]]] = True
    out = feed.stops_frame()
    out["departures"] = departures
    out["intercity_departures"] = intercity_departures
    out["first_departure"] = _timestamps(day, np.where(departures > 0, first, 10**9)).to_numpy()
    out["last_departure"] = _timestamps(day, np.where(departures > 0, last, 10**9)).to_numpy()
    out["longest_gap_minutes"] = gap / 60.0
    out["intercity"] = ever
    _, rule_text = _intercity_rule(intercity)
    out.attrs["service"] = {
        "date": day.isoformat(),
        "daytime": f"{day_start}-{day_end}",
        "intercity_rule": rule_text,
        "feed": feed.source,
    }
    return out


def _longest_gaps(stop: np.ndarray, when: np.ndarray, n: int, start: int, end: int) -> np.ndarray:
    """Per stop, the longest stretch of [start, end] without a departure (seconds)."""
    inside = (when >= start) & (when <= end)
    s, t = stop[inside], when[inside]
    # Each stop's departures with the window's two ends added, sorted; the largest difference.
    s = np.concatenate([s, np.arange(n), np.arange(n)])
    t = np.concatenate([t, np.full(n, start), np.full(n, end)])
    order = np.lexsort((t, s))
    s, t = s[order], t[order]
    diff = np.diff(t)
    same = s[1:] == s[:-1]
    gap = np.zeros(n, dtype=np.int64)
    np.maximum.at(gap, s[1:][same], diff[same])
    return gap


def service_rule(
    sites: gpd.GeoDataFrame,
    service: gpd.GeoDataFrame,
    *,
    min_departures: int,
    distance: float = settings.STOP_RULE_DISTANCE_M,
    network: Any = None,
) -> gpd.GeoDataFrame:
    """The stop rule with service: an intercity stop within ``distance`` with at least
    ``min_departures`` intercity departures on the day, beside the plain rule.

    Parameters
    ----------
    sites
        Sites in any CRS.
    service
        :func:`stop_service` of the day studied.
    min_departures
        The least intercity departures a day (a study parameter).
    distance, network
        The rule's distance (metres, default the ministry's 700 m) and how it is walked.

    Returns
    -------
    geopandas.GeoDataFrame
        ``sites`` with ``meets_rule`` (an intercity stop within ``distance``: the plain rule),
        ``intercity_departures`` (the most at one stop within ``distance``),
        ``meets_service_rule`` and ``method``.
    """
    matrix = distance_matrix(sites, service, cutoff=distance, network=network).tocoo()
    inter = service["intercity"].to_numpy(dtype=bool)
    count = service["intercity_departures"].to_numpy(dtype=np.int64)
    plain = np.zeros(len(sites), dtype=bool)
    plain[matrix.row[inter[matrix.col]]] = True
    most = np.zeros(len(sites), dtype=np.int64)
    np.maximum.at(most, matrix.row, count[matrix.col])
    out = sites.copy()
    out["meets_rule"] = plain
    out["intercity_departures"] = most
    out["meets_service_rule"] = most >= int(min_departures)
    out["method"] = "network" if network is not None else "euclidean"
    out.attrs["service_rule"] = {
        "distance_m": distance,
        "min_intercity_departures": int(min_departures),
        **service.attrs.get("service", {}),
    }
    return out
