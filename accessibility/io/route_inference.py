"""Infer the intercity status of stops whose route list was cut short by the publisher.

The ATD stop table (``gtfs_atd.csv``) lists at most twelve route numbers per stop, sorted
ascending, and ends a cut list with `` …``. At the busiest stops (the bus stations) the 7xxx
(intercity) numbers sort last and are exactly the ones cut off. The file itself says a good
deal about the hidden routes:

* every hidden route sorts after the last listed number (the list is sorted);
* the stop's route count (``marsruti``) says how many routes are hidden, at most
  (the count can include route variants, so it is an upper bound);
* the routes that serve nearby stops say which numbers are plausible: the stop on the
  other side of the road and stops of the same name close by (``near``), and a route whose own
  stops lie around the stop on several sides within ``reach`` passes through its place.

A cut stop is inferred intercity when an intercity route sorting after its last listed
number serves a stop near it, or passes through its place (its stops within ``reach`` lie
around the stop, no gap in their bearings wider than ``360 - spread`` degrees). Otherwise its
status stays unknown and the best estimate is "not intercity". The rule was measured by
cutting complete lists artificially in the same way (:func:`cut_complete_lists`,
:func:`measure_inference`).

All functions are pure: they take the stop table (a GeoDataFrame in metres, as returned by
:func:`accessibility.load_stops`) and return new tables.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

#: Values of the ``intercity_evidence`` column of :func:`accessibility.load_stops`.
EVIDENCE_LISTED = "listed"
EVIDENCE_INFERRED = "cut_inferred"
EVIDENCE_UNKNOWN = "cut_unknown"
EVIDENCE_NONE = "complete_none"
EVIDENCE_VALUES: tuple[str, ...] = (
    EVIDENCE_LISTED,
    EVIDENCE_INFERRED,
    EVIDENCE_UNKNOWN,
    EVIDENCE_NONE,
)

#: What each evidence value means, for reports.
EVIDENCE_TEXT: dict[str, str] = {
    EVIDENCE_LISTED: "an intercity route is listed",
    EVIDENCE_INFERRED: "the route list is cut and an intercity route is inferred",
    EVIDENCE_UNKNOWN: "the route list is cut and no intercity route can be inferred (unknown)",
    EVIDENCE_NONE: "no intercity route (the route list is complete)",
}

#: Default parameters of the inference, in metres and degrees.
NEAR_M = 300.0
SAME_NAME_M = 1_000.0
REACH_M = 10_000.0
SPREAD_DEG = 150.0


@dataclass(frozen=True)
class InferenceScore:
    """How well the inference recovers the intercity status of artificially cut lists.

    Attributes
    ----------
    stops
        Complete lists cut artificially.
    min_routes
        The fewest routes a complete list had to be cut.
    undecided
        Of those, cut lists whose kept routes hold no intercity route (the cases the inference
        decides; the others are intercity by a listed route).
    true_positive, false_positive, false_negative, true_negative
        The inference's verdicts on the undecided stops against their complete lists.
    """

    stops: int
    min_routes: int
    undecided: int
    true_positive: int
    false_positive: int
    false_negative: int
    true_negative: int

    @property
    def recall(self) -> float:
        """Share of the truly intercity undecided stops that the inference marks intercity."""
        positives = self.true_positive + self.false_negative
        return self.true_positive / positives if positives else math.nan

    @property
    def precision(self) -> float:
        """Share of the stops the inference marks intercity that truly are."""
        marked = self.true_positive + self.false_positive
        return self.true_positive / marked if marked else math.nan

    def text(self) -> str:
        """One sentence for method notes."""
        return (
            f"recall {self.recall:.0%} and precision {self.precision:.0%} on "
            f"{self.undecided:,} complete lists of {self.min_routes} or more routes cut "
            f"artificially to their first half with no intercity route left listed "
            f"({self.true_positive + self.false_negative:,} of them truly intercity)"
        )


def route_sort_key(route: str) -> tuple[Any, ...]:
    """Sort key of ATD route numbers: "7" before "12", "5490" before "K7410"."""
    return tuple(
        (0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"(\d+)", route) if p
    )


def hidden_route_count(listed: Sequence[str], route_count: int) -> int:
    """The most routes a cut list can hide: the route count less the listed routes (at least 1)."""
    return max(1, int(route_count) - len(listed))


def sorts_after(route: str, last_listed: str) -> bool:
    """Whether ``route`` can be a hidden route of a sorted list ending with ``last_listed``."""
    return route_sort_key(route) > route_sort_key(last_listed)


def infer_cut_lists(
    stops: gpd.GeoDataFrame,
    is_intercity: Callable[[str], bool],
    *,
    near: float = NEAR_M,
    same_name: float = SAME_NAME_M,
    reach: float = REACH_M,
    spread: float = SPREAD_DEG,
) -> pd.DataFrame:
    """The evidence for each stop's intercity status, inferring what cut route lists hide.

    Parameters
    ----------
    stops
        Stops with ``routes`` (sorted lists), ``routes_truncated`` (bool), ``route_count``,
        ``stop_name`` and point geometries in a metric CRS.
    is_intercity
        Whether one route number is intercity.
    near, same_name
        A route listed at a stop within ``near`` metres (the other side of the road), or at a
        stop of the same name within ``same_name`` metres, plausibly serves the cut stop.
    reach, spread
        A route whose listed stops within ``reach`` metres lie around the cut stop, their
        bearings covering at least ``spread`` degrees (the largest gap between bearings is at
        most ``360 - spread``), passes through the stop's place and plausibly serves it.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``stops``: ``intercity_listed`` (an intercity route is listed),
        ``intercity_evidence`` (one of :data:`EVIDENCE_VALUES`), ``intercity`` (the best
        estimate: listed or inferred), ``hidden_routes_max`` (how many routes a cut list can
        hide; 0 for complete lists) and ``inferred_routes`` (the plausible hidden intercity
        routes, a list of str).
    """
    routes = [list(r) for r in stops["routes"]]
    cut = np.asarray(stops["routes_truncated"], dtype=bool)
    verdict: dict[str, bool] = {}
    for listed in routes:
        for route in listed:
            if route not in verdict:
                verdict[route] = bool(is_intercity(route))
    listed_ic = np.fromiter(
        (any(verdict[r] for r in listed) for listed in routes), dtype=bool, count=len(routes)
    )
    n = len(stops)
    inferred: list[list[str]] = [[] for _ in range(n)]
    hidden_max = np.zeros(n, dtype=np.int64)
    counts = np.asarray(stops["route_count"], dtype=np.int64)
    for i in np.flatnonzero(cut):
        hidden_max[i] = hidden_route_count(routes[i], counts[i])
    todo = np.flatnonzero(cut & ~listed_ic)
    if len(todo):
        xy = np.column_stack([stops.geometry.x.to_numpy(), stops.geometry.y.to_numpy()])
        tree = cKDTree(xy)
        names = stops["stop_name"].astype(str).str.casefold().to_numpy()
        for i in todo:
            last = routes[i][-1] if routes[i] else ""
            plausible: set[str] = set()
            around: dict[str, list[int]] = {}
            for j in tree.query_ball_point(xy[i], max(near, same_name, reach)):
                # A cut list showing no intercity route says nothing about intercity routes.
                if j == i or (cut[j] and not listed_ic[j]):
                    continue
                hits = [r for r in routes[j] if verdict[r] and (not last or sorts_after(r, last))]
                if not hits:
                    continue
                gap = math.dist(xy[i], xy[j])
                if gap <= near or (gap <= same_name and names[j] == names[i]):
                    plausible.update(hits)
                if gap <= reach:
                    for route in hits:
                        around.setdefault(route, []).append(j)
            for route, members in around.items():
                if route not in plausible and _surrounds(xy[i], xy[members], spread=spread):
                    plausible.add(route)
            inferred[i] = sorted(plausible, key=route_sort_key)
    evidence = np.where(
        listed_ic,
        EVIDENCE_LISTED,
        np.where(
            cut,
            np.where([bool(r) for r in inferred], EVIDENCE_INFERRED, EVIDENCE_UNKNOWN),
            EVIDENCE_NONE,
        ),
    )
    return pd.DataFrame(
        {
            "intercity_listed": listed_ic,
            "intercity_evidence": evidence,
            "intercity": listed_ic | (evidence == EVIDENCE_INFERRED),
            "hidden_routes_max": hidden_max,
            "inferred_routes": pd.Series(inferred, index=stops.index, dtype=object),
        },
        index=stops.index,
    )


def _surrounds(point: np.ndarray, members: np.ndarray, *, spread: float) -> bool:
    """Whether the bearings from ``point`` to ``members`` cover at least ``spread`` degrees."""
    offsets = members - point
    offsets = offsets[np.hypot(offsets[:, 0], offsets[:, 1]) > 0]
    if len(offsets) < 2:
        return False
    bearings = np.sort(np.degrees(np.arctan2(offsets[:, 1], offsets[:, 0])))
    gaps = np.diff(np.r_[bearings, bearings[0] + 360.0])
    return bool(360.0 - gaps.max() >= spread)


def cut_complete_lists(
    stops: gpd.GeoDataFrame,
    *,
    share: float = 0.3,
    min_routes: int = 3,
    keep: float = 0.5,
    seed: int = 0,
) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """Cut a random share of complete route lists the way the publisher cuts them.

    The kept routes are the first ``ceil(keep * n)`` of the sorted list (at least one, fewer
    than ``n``), the list is marked cut and the route count is kept, so the hidden routes are
    the ones that sort last, as in the ATD table.

    Parameters
    ----------
    stops
        Stops as returned by :func:`accessibility.load_stops`.
    share
        Share of the eligible stops (complete lists of at least ``min_routes`` routes) to cut.
    min_routes, keep, seed
        The eligible lists, the share of routes kept, and the random seed.

    Returns
    -------
    tuple of (geopandas.GeoDataFrame, numpy.ndarray)
        The stops with the chosen lists cut, and the positions of the cut stops.
    """
    lengths = np.array([len(r) for r in stops["routes"]], dtype=np.int64)
    complete = ~np.asarray(stops["routes_truncated"], dtype=bool)
    eligible = np.flatnonzero(complete & (lengths >= min_routes))
    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.choice(eligible, size=round(share * len(eligible)), replace=False))
    out = stops.copy()
    routes = list(out["routes"])
    truncated = np.asarray(out["routes_truncated"], dtype=bool).copy()
    counts = np.asarray(out["route_count"], dtype=np.int64).copy()
    for i in chosen:
        n = len(routes[i])
        kept = min(n - 1, max(1, math.ceil(keep * n)))
        counts[i] = max(counts[i], n)
        routes[i] = list(routes[i][:kept])
        truncated[i] = True
    out["routes"] = pd.Series(routes, index=out.index, dtype=object)
    out["routes_truncated"] = truncated
    out["route_count"] = counts
    return out, chosen


def measure_inference(
    stops: gpd.GeoDataFrame,
    is_intercity: Callable[[str], bool],
    *,
    seeds: Sequence[int] = (0, 1, 2),
    min_routes: int = 3,
    share: float = 0.3,
    **options: Any,
) -> InferenceScore:
    """Recall and precision of :func:`infer_cut_lists` on complete lists cut artificially.

    Parameters
    ----------
    stops
        Stops as returned by :func:`accessibility.load_stops` (the real cut lists stay cut).
    is_intercity
        Whether one route number is intercity.
    seeds
        One artificial cut per seed (:func:`cut_complete_lists`); the counts are summed.
    min_routes, share
        Which complete lists may be cut, and the share of them cut per seed. The real cut
        lists are at the busiest stops, so lists of many routes (8 or more) resemble them best.
    options
        Passed to :func:`infer_cut_lists` (``near``, ``same_name``, ``reach``, ``spread``).
    """
    truth = np.array([any(is_intercity(r) for r in listed) for listed in stops["routes"]])
    totals = np.zeros(7, dtype=np.int64)
    for seed in seeds:
        cut, chosen = cut_complete_lists(stops, seed=seed, min_routes=min_routes, share=share)
        result = infer_cut_lists(cut, is_intercity, **options)
        undecided = chosen[~result["intercity_listed"].to_numpy()[chosen]]
        guess = result["intercity"].to_numpy()[undecided]
        real = truth[undecided]
        totals += [
            len(chosen),
            0,
            len(undecided),
            int((guess & real).sum()),
            int((guess & ~real).sum()),
            int((~guess & real).sum()),
            int((~guess & ~real).sum()),
        ]
    totals[1] = min_routes
    return InferenceScore(*(int(v) for v in totals))
