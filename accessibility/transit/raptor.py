"""RAPTOR (round-based public transit routing) on one day's timetable, many sources at once.

The day's trips are grouped into route patterns (trips with the same stop sequence that do not
overtake each other). A round scans every pattern touched by a stop improved in the previous
round, for the sources improved there, as whole numpy arrays: boarding by a search in the
sorted departures of each stop of the pattern, then a running minimum of the trip boarded along
the pattern. Round ``k`` gives the earliest arrivals with at most ``k`` vehicles; walking
transfers follow each round. The latest departure (the reverse query) is the same search on
the time-reversed timetable.

Reference: Delling, Pajor, Werneck (2015), Round-Based Public Transit Routing, Transportation
Science 49(3), 591-604.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .calendar import trips_on
from .feed import Feed

#: "Never" (seconds); kept far below the int32 limit so that adding a walk cannot overflow.
INF = 1_000_000_000
_BIG = np.int64(2**31)
# Added to times in the search keys so that negative (reversed) times stay inside their block.
_OFF = np.int64(2**29)


@dataclass
class Timetable:
    """One day's trips as route patterns, with footpaths between stops (seconds).

    ``pattern_dep[p]`` and ``pattern_arr[p]`` are (trips x stops) arrays of pattern ``p``,
    rows ordered by departure (no trip overtakes another, so every column is sorted).
    """

    n_stops: int
    pattern_stops: list[np.ndarray]
    pattern_dep: list[np.ndarray]
    pattern_arr: list[np.ndarray]
    pattern_trips: list[np.ndarray]
    pattern_key: list[np.ndarray]
    pattern_repeats: np.ndarray
    ps_pattern: np.ndarray
    ps_stop: np.ndarray
    ps_pos: np.ndarray
    foot: sp.csr_array
    reversed: bool = False

    @property
    def n_patterns(self) -> int:
        """Number of route patterns."""
        return len(self.pattern_stops)


def _split_fifo(dep: np.ndarray, arr: np.ndarray) -> list[list[int]]:
    """Groups of trips (rows, sorted by first departure) within which no trip overtakes another."""
    groups: list[list[int]] = []
    for r in range(len(dep)):
        for g in groups:
            last = g[-1]
            if np.all(dep[r] >= dep[last]) and np.all(arr[r] >= arr[last]):
                g.append(r)
                break
        else:
            groups.append([r])
    return groups


def build_timetable(
    n_stops: int,
    trip_stops: list[np.ndarray],
    trip_dep: list[np.ndarray],
    trip_arr: list[np.ndarray],
    trip_ids: np.ndarray,
    foot: sp.csr_array,
    *,
    reversed: bool = False,
) -> Timetable:
    """Route patterns from trips given as arrays of stops, departures and arrivals."""
    by_sequence: dict[bytes, list[int]] = {}
    for t, stops in enumerate(trip_stops):
        by_sequence.setdefault(stops.astype(np.int32).tobytes(), []).append(t)
    p_stops, p_dep, p_arr, p_trips, p_key, repeats = [], [], [], [], [], []
    for members in by_sequence.values():
        stops = trip_stops[members[0]].astype(np.int64)
        dep = np.array([trip_dep[t] for t in members], dtype=np.int64)
        arr = np.array([trip_arr[t] for t in members], dtype=np.int64)
        order = np.lexsort((arr[:, -1], dep[:, 0]))
        dep, arr = dep[order], arr[order]
        members_sorted = np.asarray(members)[order]
        sorted_ok = np.all(np.diff(dep, axis=0) >= 0) and np.all(np.diff(arr, axis=0) >= 0)
        groups = [list(range(len(dep)))] if sorted_ok else _split_fifo(dep, arr)
        for g in groups:
            d, a = dep[g], arr[g]
            n = len(g)
            p_stops.append(stops)
            p_dep.append(d)
            p_arr.append(np.vstack([a, np.full((1, len(stops)), INF, dtype=np.int64)]))
            p_trips.append(trip_ids[members_sorted[g]])
            # Column i of the departures, offset by i * 2**31, is one sorted key array, so one
            # searchsorted finds the first trip boardable at every stop of the pattern.
            p_key.append((d[:, :-1] + _OFF + np.arange(len(stops) - 1) * _BIG).T.ravel())
            repeats.append(len(np.unique(stops)) < len(stops))
            del n
    ps_pattern = (
        np.concatenate([np.full(len(s), p) for p, s in enumerate(p_stops)])
        if p_stops
        else np.zeros(0, np.int64)
    )
    ps_stop = np.concatenate(p_stops) if p_stops else np.zeros(0, np.int64)
    ps_pos = (
        np.concatenate([np.arange(len(s)) for s in p_stops]) if p_stops else np.zeros(0, np.int64)
    )
    return Timetable(
        n_stops=n_stops,
        pattern_stops=p_stops,
        pattern_dep=p_dep,
        pattern_arr=p_arr,
        pattern_trips=p_trips,
        pattern_key=p_key,
        pattern_repeats=np.asarray(repeats, dtype=bool),
        ps_pattern=ps_pattern,
        ps_stop=ps_stop,
        ps_pos=ps_pos,
        foot=foot,
        reversed=reversed,
    )


def day_timetable(feed: Feed, date, foot: sp.csr_array, *, reverse: bool = False) -> Timetable:
    """The timetable of the calendar day ``date``: its trips, times in seconds from its midnight.

    With ``reverse`` the timetable runs backwards in time (stops in reverse order, times
    negated), so that earliest arrival on it is latest departure on the real one.
    """
    trips, shift = trips_on(feed, date)
    starts, ends = feed.trip_start[trips], feed.trip_start[trips + 1]
    t_stops, t_dep, t_arr = [], [], []
    for a, b, s in zip(starts.tolist(), ends.tolist(), shift.tolist(), strict=True):
        stops = feed.st_stop[a:b]
        dep = feed.st_dep[a:b].astype(np.int64) + s
        arr = feed.st_arr[a:b].astype(np.int64) + s
        if reverse:
            stops, dep, arr = stops[::-1], -arr[::-1], -dep[::-1]
        t_stops.append(stops)
        t_dep.append(dep)
        t_arr.append(arr)
    foot_used = foot.T.tocsr() if reverse else foot
    return build_timetable(feed.n_stops, t_stops, t_dep, t_arr, trips, foot_used, reversed=reverse)


def raptor(
    tt: Timetable,
    access_source: np.ndarray,
    access_stop: np.ndarray,
    access_time: np.ndarray,
    n_sources: int,
    *,
    max_transfers: int = 3,
    deadline: np.ndarray | int | None = None,
) -> np.ndarray:
    """Earliest arrival at every stop for each source (one RAPTOR run for all of them).

    Parameters
    ----------
    tt
        The day's timetable.
    access_source, access_stop, access_time
        Where each source may board: source position, stop, and the time it is at the stop
        (seconds; the departure plus the access walk).
    n_sources
        Number of sources.
    max_transfers
        Vehicles beyond the first: the search runs ``max_transfers + 1`` rounds.
    deadline
        Per source (or one for all): labels later than it are dropped (nothing after it is of
        use), which prunes the search.

    Returns
    -------
    numpy.ndarray
        int32 (stops x sources) earliest arrival in seconds, :data:`INF` where unreachable.
        The access labels themselves are included (a source "arrives" at its access stops).
    """
    S, Q = tt.n_stops, n_sources
    limit = (
        np.full(Q, INF - 1, dtype=np.int64)
        if deadline is None
        else np.broadcast_to(np.asarray(deadline, dtype=np.int64), (Q,))
    )
    best = np.full((S, Q), INF, dtype=np.int32)
    ok = access_time <= limit[access_source]
    np.minimum.at(best, (access_stop[ok], access_source[ok]), access_time[ok].astype(np.int32))
    improved = best < INF
    limit32 = np.minimum(limit, INF - 1).astype(np.int32)
    foot = tt.foot
    for _ in range(max_transfers + 1):
        marked_stop = improved.any(axis=1)
        if not marked_stop.any():
            break
        prev = best.copy()
        hit = marked_stop[tt.ps_stop]
        # Boarding at the last stop of a pattern leads nowhere.
        last = np.r_[tt.ps_pattern[1:] != tt.ps_pattern[:-1], True] if len(hit) else hit
        hit &= ~last
        patterns, first_ps = np.unique(tt.ps_pattern[hit], return_index=True)
        first_pos = tt.ps_pos[np.flatnonzero(hit)[first_ps]]
        for p, pos0 in zip(patterns.tolist(), first_pos.tolist(), strict=True):
            stops = tt.pattern_stops[p]
            board = stops[pos0:-1]
            cols = np.flatnonzero(improved[board].any(axis=0))
            if len(cols) == 0:
                continue
            t = prev[board][:, cols].astype(np.int64)
            n = len(tt.pattern_dep[p])
            offsets = np.arange(pos0, len(stops) - 1, dtype=np.int64)[:, None]
            trip = np.searchsorted(tt.pattern_key[p], t + _OFF + offsets * _BIG) - offsets * n
            np.minimum.accumulate(trip, axis=0, out=trip)
            arrival = tt.pattern_arr[p][trip, offsets + 1]
            arrival = np.where(arrival <= limit32[cols], arrival, INF).astype(np.int32)
            target = stops[pos0 + 1 :]
            if tt.pattern_repeats[p]:
                rows = np.repeat(target, len(cols))
                np.minimum.at(best, (rows, np.tile(cols, len(target))), arrival.ravel())
            else:
                block = best[np.ix_(target, cols)]
                best[np.ix_(target, cols)] = np.minimum(block, arrival)
        # Walking transfers from the stops reached by a vehicle in this round (no chained walks).
        reached = best < prev
        from_stops = np.flatnonzero(reached.any(axis=1))
        if foot.nnz and len(from_stops):
            sub = foot[from_stops]
            coo = sub.tocoo()
            src = from_stops[coo.row]
            vals = np.where(
                reached[src], best[src].astype(np.int64) + coo.data[:, None].astype(np.int64), INF
            )
            vals = np.where(vals <= limit32[None, :], vals, INF).astype(np.int32)
            order = np.argsort(coo.col, kind="stable")
            to = coo.col[order]
            vals = vals[order]
            starts = np.flatnonzero(np.r_[True, to[1:] != to[:-1]])
            reduced = np.minimum.reduceat(vals, starts, axis=0)
            dest = to[starts]
            best[dest] = np.minimum(best[dest], reduced)
        improved = best < prev
    return best
