"""Door-to-door journeys by walk + transit + walk: earliest arrival and latest departure."""

from __future__ import annotations

import datetime as dt
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp

from .._errors import AccessibilityError
from ..network.distance import distance_matrix
from .calendar import as_date
from .feed import Feed
from .raptor import INF, Timetable, day_timetable, raptor

#: Memory (bytes) the label arrays of one batch of sources may take.
BATCH_BYTES: int = 512 * 2**20

Layer = gpd.GeoDataFrame | gpd.GeoSeries


def parse_clock(value: Any) -> int:
    """Seconds since midnight from ``"08:30"``, ``"25:10:00"``, a time, a Timestamp or seconds."""
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        return value.hour * 3600 + value.minute * 60 + value.second
    if isinstance(value, dt.time):
        return value.hour * 3600 + value.minute * 60 + value.second
    parts = str(value).strip().split(":")
    try:
        numbers = [int(p) for p in parts]
    except ValueError:
        numbers = []
    if len(numbers) not in (2, 3) or not 0 <= numbers[1] < 60:
        raise AccessibilityError(f"not a time of day (HH:MM or HH:MM:SS): {value!r}")
    return numbers[0] * 3600 + numbers[1] * 60 + (numbers[2] if len(numbers) == 3 else 0)


def walk_seconds(metres: np.ndarray, walk_speed_kmh: float) -> np.ndarray:
    """Walking time in whole seconds (to the nearest) at ``walk_speed_kmh``."""
    if not walk_speed_kmh > 0:
        raise AccessibilityError(f"walk_speed_kmh must be positive, not {walk_speed_kmh!r}")
    return np.rint(np.asarray(metres, dtype=float) * 3.6 / walk_speed_kmh).astype(np.int64)


def walk_matrix(
    origins: Layer, targets: Layer, max_walk_m: float, walk_speed_kmh: float, network: Any = None
) -> sp.csr_array:
    """Walking seconds of every pair within ``max_walk_m`` (along ``network`` or straight)."""
    metres = distance_matrix(origins, targets, cutoff=max_walk_m, network=network)
    seconds = metres.copy()
    seconds.data = walk_seconds(metres.data, walk_speed_kmh).astype(np.float64)
    return seconds


def footpaths(
    feed: Feed, max_walk_m: float, walk_speed_kmh: float, network: Any = None
) -> sp.csr_array:
    """Walking transfers between stops (seconds), with the feed's ``transfers.txt`` applied.

    A transfer type 2 sets the least time of its pair (at least the walk), a type 3 forbids it;
    a pair the feed names that is farther than ``max_walk_m`` is added with its own time.
    """
    stops = feed.stops_frame()
    walk = walk_matrix(stops, stops, max_walk_m, walk_speed_kmh, network).tocoo()
    keep = walk.row != walk.col
    pairs = {
        (int(r), int(c)): int(v)
        for r, c, v in zip(walk.row[keep], walk.col[keep], walk.data[keep], strict=True)
    }
    for a, b, kind, secs in zip(
        feed.transfer_from.tolist(),
        feed.transfer_to.tolist(),
        feed.transfer_type.tolist(),
        feed.transfer_seconds.tolist(),
        strict=True,
    ):
        if a == b:
            continue
        if kind == 3:
            pairs.pop((a, b), None)
        elif kind == 2:
            pairs[(a, b)] = max(pairs.get((a, b), 0), secs)
        else:
            pairs.setdefault((a, b), pairs.get((a, b), 0))
    n = feed.n_stops
    if not pairs:
        return sp.csr_array((n, n), dtype=np.int64)
    keys = np.array(list(pairs), dtype=np.int64)
    return sp.csr_array(
        (np.array(list(pairs.values()), dtype=np.int64), (keys[:, 0], keys[:, 1])), shape=(n, n)
    )


def batch_size(n_stops: int) -> int:
    """Sources per RAPTOR batch so that its label arrays stay within :data:`BATCH_BYTES`."""
    # Three int32 label arrays and two boolean masks per stop and source.
    return max(1, int(BATCH_BYTES // (14 * max(n_stops, 1))))


def _rows(matrix: sp.csr_array, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(position in ``rows``, column, value) of the stored entries of the given rows."""
    ptr = matrix.indptr
    lengths = ptr[rows + 1] - ptr[rows]
    owner = np.repeat(np.arange(len(rows)), lengths)
    start = np.repeat(ptr[rows] - np.cumsum(np.r_[0, lengths[:-1]]), lengths)
    idx = start + np.arange(lengths.sum())
    return owner, matrix.indices[idx].astype(np.int64), matrix.data[idx].astype(np.int64)


def run_sources(
    tt: Timetable,
    access: sp.csr_array,
    start: np.ndarray,
    egress: sp.csr_array,
    *,
    target_of_source: np.ndarray | None = None,
    max_transfers: int = 3,
    deadline: np.ndarray | int | None = None,
    order: np.ndarray | None = None,
) -> np.ndarray:
    """Earliest arrival (seconds) at targets from sources, through stops, in memory-bounded batches.

    Parameters
    ----------
    tt
        The day's timetable (reversed for latest-departure queries).
    access
        Sources x stops, walking seconds from each source to the stops it may board at.
    start
        Per source, the time it leaves (seconds).
    egress
        Targets x stops, walking seconds between each target and its stops.
    target_of_source
        When given, the one target of each source: the result is one value per source.
        Otherwise the result is sources x targets.
    order
        The order in which sources are batched (near ones together run faster).
    max_transfers, deadline
        As for :func:`~accessibility.transit.raptor.raptor` (deadline per source or scalar).

    Returns
    -------
    numpy.ndarray
        int64 arrival seconds, :data:`~accessibility.transit.raptor.INF` when none (walk only
        between source and target is not included here).
    """
    n = access.shape[0]
    start = np.asarray(start, dtype=np.int64)
    limit = np.broadcast_to(
        np.asarray(INF - 1 if deadline is None else deadline, dtype=np.int64), (n,)
    )
    size = batch_size(tt.n_stops)
    out = np.full(n if target_of_source is not None else (n, egress.shape[0]), INF, dtype=np.int64)
    active = np.flatnonzero(np.diff(access.indptr) > 0)
    if order is not None:
        # Sources near each other share patterns, so a batch touches fewer of them.
        active = np.asarray(order)[np.diff(access.indptr)[np.asarray(order)] > 0]
    for b in range(0, len(active), size):
        rows = active[b : b + size]
        owner, stop, secs = _rows(access, rows)
        targets = None
        if target_of_source is not None:
            targets = _rows(egress, target_of_source[rows])
        labels = raptor(
            tt,
            owner,
            stop,
            start[rows][owner] + secs,
            len(rows),
            max_transfers=max_transfers,
            deadline=limit[rows],
            target=targets,
        )
        if target_of_source is not None:
            t_owner, t_stop, t_secs = targets
            if len(t_owner) == 0:
                continue
            values = labels[t_stop, t_owner].astype(np.int64) + t_secs
            best = np.full(len(rows), INF, dtype=np.int64)
            np.minimum.at(best, t_owner, values)
            out[rows] = np.minimum(best, INF)
        else:
            coo = egress.tocoo()
            values = labels[coo.col].astype(np.int64) + coo.data[:, None].astype(np.int64)
            by_target = np.argsort(coo.row, kind="stable")
            values, target_rows = values[by_target], coo.row[by_target]
            if len(target_rows) == 0:
                continue
            starts = np.flatnonzero(np.r_[True, target_rows[1:] != target_rows[:-1]])
            reduced = np.minimum.reduceat(values, starts, axis=0)
            out[np.ix_(rows, target_rows[starts])] = np.minimum(reduced.T, INF)
    return np.where(out >= INF, INF, out)


def _timestamps(date: dt.date, seconds: np.ndarray) -> pd.Series:
    base = pd.Timestamp(date)
    values = np.asarray(seconds, dtype=np.int64)
    series = pd.Series(pd.to_timedelta(np.where(values >= INF, 0, values), unit="s") + base)
    series[values >= INF] = pd.NaT
    return series


def _context(feed, origins, destinations, date, network, walk_speed_kmh, max_walk_m):
    stops = feed.stops_frame()
    access = walk_matrix(origins, stops, max_walk_m, walk_speed_kmh, network)
    egress = walk_matrix(destinations, stops, max_walk_m, walk_speed_kmh, network)
    near = walk_matrix(origins, destinations, max_walk_m, walk_speed_kmh, network).tocoo()
    # Dense: the pure walk of every pair (inf beyond max_walk_m); explicit zeros are kept.
    direct = np.full(near.shape, np.inf)
    direct[near.row, near.col] = near.data
    foot = footpaths(feed, max_walk_m, walk_speed_kmh, network)
    return access, egress, direct, foot


def transit_times(
    origins: Layer,
    destinations: Layer,
    feed: Feed,
    *,
    date: Any,
    depart_after: Any,
    network: Any = None,
    walk_speed_kmh: float = 4.5,
    max_walk_m: float = 1000.0,
    max_transfers: int = 3,
) -> pd.DataFrame:
    """Earliest arrival from each origin to each destination, leaving no earlier than a time.

    Journeys walk from the origin to a stop (at most ``max_walk_m``), ride up to
    ``max_transfers + 1`` vehicles with walking transfers between stops (each at most
    ``max_walk_m``), and walk to the destination; walking the whole way (when within
    ``max_walk_m``) is taken when it arrives earlier.

    Parameters
    ----------
    origins, destinations
        Point layers in any CRS.
    feed
        The timetable (:func:`~accessibility.transit.load_feed`).
    date
        The calendar day (services running on it, and trips of the day before running past
        midnight).
    depart_after
        Earliest time of leaving the origin (``"08:00"``; hours past 24 reach into the next day).
    network
        A :class:`~accessibility.network.walk.WalkNetwork` for the walks; None for straight lines.
    walk_speed_kmh, max_walk_m, max_transfers
        Walking speed, longest single walk, and vehicles beyond the first.

    Returns
    -------
    pandas.DataFrame
        One row per origin-destination pair (origins major): ``origin``, ``destination``
        (index labels), ``departure`` (latest time of leaving the origin that still gives the
        earliest arrival), ``arrival`` (pandas Timestamps, NaT when unreachable),
        ``travel_minutes`` (arrival minus ``depart_after``), ``walk_only`` (bool) and
        ``method`` (``network`` or ``euclidean``: how the walks were measured).
    """
    day = as_date(date)
    t0 = parse_clock(depart_after)
    access, egress, direct, foot = _context(
        feed, origins, destinations, day, network, walk_speed_kmh, max_walk_m
    )
    tt = day_timetable(feed, day, foot)
    n_o, n_d = access.shape[0], egress.shape[0]
    arrival = run_sources(tt, access, np.full(n_o, t0), egress, max_transfers=max_transfers)
    walk_arrival = t0 + direct
    walk_only = walk_arrival <= arrival
    best = np.where(walk_only, walk_arrival, arrival)
    departure = np.where(walk_only, t0, INF).astype(np.int64)
    # The latest departure that still arrives at the earliest arrival: a reverse search from
    # each destination, one source per pair, at that pair's arrival.
    need = np.flatnonzero((~walk_only & (arrival < INF)).ravel())
    if len(need):
        rtt = day_timetable(feed, day, foot, reverse=True)
        o_of, d_of = np.divmod(need, n_d)
        src_access = egress[d_of]
        latest = run_sources(
            rtt,
            src_access,
            -arrival.ravel()[need],
            access.T.tocsr(),
            target_of_source=o_of,
            max_transfers=max_transfers,
        )
        departure.ravel()[need] = -latest
    finite = best < INF
    minutes = np.where(finite, (best - t0) / 60.0, np.nan)
    index_o = np.asarray(access_index(origins))
    index_d = np.asarray(access_index(destinations))
    return pd.DataFrame(
        {
            "origin": np.repeat(index_o, n_d),
            "destination": np.tile(index_d, n_o),
            "departure": _timestamps(day, departure.ravel()).to_numpy(),
            "arrival": _timestamps(
                day, np.where(finite, best, INF).ravel().astype(np.int64)
            ).to_numpy(),
            "travel_minutes": minutes.ravel(),
            "walk_only": (walk_only & finite).ravel(),
            "method": "network" if network is not None else "euclidean",
        }
    )


def latest_departures(
    origins: Layer,
    destinations: Layer,
    feed: Feed,
    *,
    date: Any,
    arrive_by: Any,
    network: Any = None,
    walk_speed_kmh: float = 4.5,
    max_walk_m: float = 1000.0,
    max_transfers: int = 3,
) -> pd.DataFrame:
    """The reverse query: the latest time of leaving each origin that arrives by ``arrive_by``.

    Parameters and walking rules as for :func:`transit_times`.

    Returns
    -------
    pandas.DataFrame
        One row per pair: ``origin``, ``destination``, ``departure`` (latest, NaT when no
        journey arrives in time), ``arrival`` (the earliest arrival when leaving then),
        ``travel_minutes`` (arrival minus departure), ``walk_only``, ``method``.
    """
    day = as_date(date)
    t1 = parse_clock(arrive_by)
    access, egress, direct, foot = _context(
        feed, origins, destinations, day, network, walk_speed_kmh, max_walk_m
    )
    rtt = day_timetable(feed, day, foot, reverse=True)
    n_o, n_d = access.shape[0], egress.shape[0]
    # Sources are the destinations (reversed time); targets the origins.
    back = run_sources(rtt, egress, np.full(n_d, -t1), access, max_transfers=max_transfers).T
    departure = np.where(back < INF, -back, -INF)
    walk_dep = t1 - direct
    walk_only = walk_dep >= departure
    best_dep = np.where(walk_only, walk_dep, departure)
    finite = np.isfinite(best_dep) & (best_dep > -INF)
    arrival = np.where(walk_only & np.isfinite(direct), t1, INF).astype(np.int64)
    need = np.flatnonzero((~walk_only & finite).ravel())
    if len(need):
        tt = day_timetable(feed, day, foot)
        o_of, d_of = np.divmod(need, n_d)
        arrival.ravel()[need] = run_sources(
            tt,
            access[o_of],
            departure.ravel()[need],
            egress,
            target_of_source=d_of,
            max_transfers=max_transfers,
        )
    dep_out = np.where(finite, best_dep, INF).astype(np.int64)
    arr_out = np.where(finite, arrival, INF)
    return pd.DataFrame(
        {
            "origin": np.repeat(np.asarray(access_index(origins)), n_d),
            "destination": np.tile(np.asarray(access_index(destinations)), n_o),
            "departure": _timestamps(day, dep_out.ravel()).to_numpy(),
            "arrival": _timestamps(day, arr_out.ravel()).to_numpy(),
            "travel_minutes": np.where(finite, (arr_out - dep_out) / 60.0, np.nan).ravel(),
            "walk_only": (walk_only & finite).ravel(),
            "method": "network" if network is not None else "euclidean",
        }
    )


def access_index(layer: Layer) -> pd.Index:
    """The index labels of a layer (the row labels used in results)."""
    return layer.index


def travel_time_matrix(
    origins: Layer,
    destinations: Layer,
    feed: Feed,
    *,
    date: Any,
    depart_after: Any,
    network: Any = None,
    walk_speed_kmh: float = 4.5,
    max_walk_m: float = 1000.0,
    max_transfers: int = 3,
) -> np.ndarray:
    """Minutes from ``depart_after`` to the earliest arrival, origins x destinations.

    The journeys of :func:`transit_times` without the departure times (one search instead of
    two), as a cost matrix for the planners (:func:`accessibility.planning.p_median`, ``mclp``):
    ``inf`` where no journey arrives the same day.
    """
    day = as_date(date)
    t0 = parse_clock(depart_after)
    access, egress, direct, foot = _context(
        feed, origins, destinations, day, network, walk_speed_kmh, max_walk_m
    )
    tt = day_timetable(feed, day, foot)
    arrival = run_sources(
        tt, access, np.full(access.shape[0], t0), egress, max_transfers=max_transfers
    ).astype(np.float64)
    arrival[arrival >= INF] = np.inf
    return (np.minimum(arrival, t0 + direct) - t0) / 60.0
