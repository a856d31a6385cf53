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
    target: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
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
    target
        ``(source, stop, seconds)``: the stops from which each source's one target is reached
        and the walk from them. After every round a source's labels later than its best
        arrival at its target so far are dropped (they cannot lead to an earlier arrival).

    Returns
    -------
    numpy.ndarray
        int32 (stops x sources) earliest arrival BY VEHICLE in seconds, :data:`INF` where
        unreachable or pruned. A journey ends with a walk from one of these arrivals (the walk
        to the stop and each transfer are single walks, never chained, so that the latest
        departure, the same search on the reversed timetable, is the exact mirror). With
        ``target`` only the labels that can still improve the target are exact.
    """
    S, Q = tt.n_stops, n_sources
    limit = np.full(Q, INF - 1, dtype=np.int64)
    if deadline is not None:
        limit = np.minimum(limit, np.broadcast_to(np.asarray(deadline, dtype=np.int64), (Q,)))
    best = np.full((S, Q), INF, dtype=np.int32)
    ok = access_time <= limit[access_source]
    np.minimum.at(best, (access_stop[ok], access_source[ok]), access_time[ok].astype(np.int32))
    improved = best < INF
    # Arrivals by vehicle, apart from arrivals on foot: a walking transfer may follow a vehicle
    # arrival even when the stop was reached earlier on foot (walks are not chained, and the
    # footpaths need not be transitively closed).
    vehicle = np.full((S, Q), INF, dtype=np.int32)
    foot = tt.foot
    for _ in range(max_transfers + 1):
        if target is not None:
            limit = np.minimum(limit, _target_best(vehicle, target, Q))
            improved &= best <= limit[None, :]
        marked_stop = improved.any(axis=1)
        if not marked_stop.any():
            break
        # Boarding reads ``best`` as the previous round left it: this round's arrivals go to
        # ``vehicle`` and reach ``best`` only after the scan (at most k vehicles in round k).
        reached = np.zeros((S, Q), dtype=bool)
        hit = marked_stop[tt.ps_stop]
        # Boarding at the last stop of a pattern leads nowhere.
        last = np.r_[tt.ps_pattern[1:] != tt.ps_pattern[:-1], True] if len(hit) else hit
        hit &= ~last
        patterns, first_ps = np.unique(tt.ps_pattern[hit], return_index=True)
        first_pos = tt.ps_pos[np.flatnonzero(hit)[first_ps]]
        for p, pos0 in zip(patterns.tolist(), first_pos.tolist(), strict=True):
            stops = tt.pattern_stops[p]
            board = stops[pos0:-1]
            # Only the sources improved at a stop of this pattern can board anything new.
            cols = np.flatnonzero(improved[board].any(axis=0))
            if len(cols) == 0:
                continue
            t = best[board[:, None], cols].astype(np.int64)
            n = len(tt.pattern_dep[p])
            offsets = np.arange(pos0, len(stops) - 1, dtype=np.int64)[:, None]
            trip = np.searchsorted(tt.pattern_key[p], t + _OFF + offsets * _BIG) - offsets * n
            np.minimum.accumulate(trip, axis=0, out=trip)
            arrival = tt.pattern_arr[p][trip, offsets + 1]
            arrival[arrival > limit[cols]] = INF
            target_stops = stops[pos0 + 1 :]
            if tt.pattern_repeats[p]:
                rows = np.repeat(target_stops, len(cols))
                tiled = np.tile(cols, len(target_stops))
                before = vehicle[rows, tiled]
                np.minimum.at(vehicle, (rows, tiled), arrival.ravel())
                reached[rows, tiled] |= vehicle[rows, tiled] < before
            else:
                index = (target_stops[:, None], cols)
                old = vehicle[index]
                better = arrival < old
                vehicle[index] = np.where(better, arrival, old)
                reached[index] |= better
        improved = reached & (vehicle < best)
        np.minimum(best, vehicle, out=best)
        # Walking transfers from the stops reached by a vehicle in this round (no chained walks).
        if foot.nnz:
            stop, source = np.nonzero(reached)
            if len(stop):
                ptr = foot.indptr
                lengths = ptr[stop + 1] - ptr[stop]
                first = np.repeat(ptr[stop] - np.cumsum(np.r_[0, lengths[:-1]]), lengths)
                idx = first + np.arange(lengths.sum())
                pair = np.repeat(np.arange(len(stop)), lengths)
                to = foot.indices[idx].astype(np.int64)
                src = source[pair]
                value = vehicle[stop[pair], src].astype(np.int64) + foot.data[idx]
                keep = value <= limit[src]
                key = to[keep] * Q + src[keep]
                value = value[keep]
                order = np.argsort(key, kind="stable")
                key, value = key[order], value[order]
                if len(key):
                    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
                    flat = best.reshape(-1)
                    keys = key[starts]
                    walked = np.minimum.reduceat(value, starts)
                    better = walked < flat[keys]
                    flat[keys[better]] = walked[better]
                    improved.reshape(-1)[keys[better]] = True
    return vehicle


def _target_best(
    best: np.ndarray, target: tuple[np.ndarray, np.ndarray, np.ndarray], n: int
) -> np.ndarray:
    """Each source's best arrival at its target from the labels so far (INF when none)."""
    source, stop, seconds = target
    out = np.full(n, INF, dtype=np.int64)
    if len(source):
        np.minimum.at(out, source, best[stop, source].astype(np.int64) + seconds)
    return out
