"""Bounds on stop-rule figures that depend on cut route lists.

A stop whose route list the publisher cut shows only its first routes; whether it is intercity
is then inferred or unknown (``intercity_evidence`` of :func:`accessibility.load_stops`). Every
figure that depends on such stops is given as the best estimate and the range it could take:
*low* when no cut list hides an intercity route (only listed routes count), *high* when every
cut list showing none hides one. A stop table without cut lists (a full GTFS feed) needs no
bounds.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ._measure import nearest_stops, stops_within

#: Evidence values whose intercity status rests on a cut route list.
CUT_DEPENDENT: tuple[str, ...] = ("cut_inferred", "cut_unknown")

#: Bounds, each with what it assumes of the cut lists.
BOUNDS: dict[str, str] = {
    "low": "no cut route list hides an intercity route",
    "high": "every cut route list showing none hides an intercity route",
}


def cut_dependent(stops: pd.DataFrame) -> np.ndarray:
    """Per stop: does its intercity status rest on a cut route list (inferred or unknown)?"""
    if "intercity_evidence" not in stops.columns:
        return np.zeros(len(stops), dtype=bool)
    return stops["intercity_evidence"].isin(CUT_DEPENDENT).to_numpy(dtype=bool)


def has_bounds(stops: pd.DataFrame | None) -> bool:
    """Whether any stop's intercity status rests on a cut route list."""
    return stops is not None and bool(cut_dependent(stops).any())


def bound_stops(stops: gpd.GeoDataFrame, bound: str) -> gpd.GeoDataFrame:
    """The stops with ``intercity`` set as the bound assumes (see :data:`BOUNDS`)."""
    if bound not in BOUNDS:
        raise ValueError(f"bound must be one of {', '.join(BOUNDS)}, not {bound!r}")
    out = stops.copy()
    dependent = cut_dependent(stops)
    best = stops["intercity"].to_numpy(dtype=bool)
    out["intercity"] = best & ~dependent if bound == "low" else best | dependent
    return out


def site_bounds(
    sites: gpd.GeoDataFrame,
    measured: pd.DataFrame,
    stops: gpd.GeoDataFrame,
    distance: float,
    network: Any,
    *,
    fallback: bool,
    max_snap: float | None,
) -> pd.DataFrame:
    """The stop rule of each site at both bounds.

    Parameters
    ----------
    sites
        The sites that have a location (the rows ``measured`` was computed for).
    measured
        :func:`~accessibility.coverage._measure.nearest_stops` of ``sites`` against the
        best-estimate intercity stops.
    stops
        The checked stop table (with ``intercity_evidence``).
    distance, network, fallback, max_snap
        As for :func:`accessibility.stop_rule`.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``sites``: ``distance_low``, ``distance_high``, ``meets_rule_low``,
        ``meets_rule_high`` and ``cut_note`` (why the site's verdict rests on a cut list;
        empty when it does not).
    """
    dependent = cut_dependent(stops)
    best = measured["distance"].astype(float).to_numpy()
    best_id = measured["stop_id"].astype(object).to_numpy()
    cut_stops = stops.loc[dependent, ["stop_id", "stop_name", "geometry"]].reset_index(drop=True)
    inferred_ids = set(stops.loc[stops["intercity"].to_numpy(dtype=bool) & dependent, "stop_id"])
    # The nearest stop that any cut list could make intercity: the high bound's distance.
    near_cut = nearest_stops(sites, cut_stops, network, fallback=fallback, max_snap=max_snap)
    cut_distance = near_cut["distance"].astype(float).to_numpy()
    high = np.fmin(best, cut_distance)
    # Only sites whose nearest stop is an inferred one move at the low bound.
    low = best.copy()
    moved = np.array([s in inferred_ids for s in best_id], dtype=bool)
    if moved.any():
        listed = stops.loc[stops["intercity"].to_numpy(dtype=bool) & ~dependent]
        listed = listed[["stop_id", "stop_name", "geometry"]].reset_index(drop=True)
        again = nearest_stops(sites[moved], listed, network, fallback=fallback, max_snap=max_snap)
        low[moved] = again["distance"].astype(float).to_numpy()
    meets_low = np.nan_to_num(low, nan=np.inf) <= distance
    meets_high = np.nan_to_num(high, nan=np.inf) <= distance
    notes = []
    for i in range(len(sites)):
        if meets_low[i] == meets_high[i]:
            notes.append("")
        elif best_id[i] in inferred_ids and best[i] <= distance:
            notes.append(
                f"meets the rule through {measured['stop_name'].iloc[i]} ({best_id[i]}), whose "
                f"route list is cut: its intercity route is inferred (listed routes only: "
                f"{low[i]:.0f} m)"
            )
        else:
            notes.append(
                f"{near_cut['stop_name'].iloc[i]} ({near_cut['stop_id'].iloc[i]}) lies "
                f"{cut_distance[i]:.0f} m away and its route list is cut: the rule is met if it "
                f"hides an intercity route"
            )
    return pd.DataFrame(
        {
            "distance_low": low,
            "distance_high": high,
            "meets_rule_low": meets_low,
            "meets_rule_high": meets_high,
            "cut_note": notes,
        },
        index=sites.index,
    )


def unit_bounds(
    units: gpd.GeoDataFrame,
    stops: gpd.GeoDataFrame,
    located_units: pd.Series,
    distance: float,
) -> pd.DataFrame:
    """Per unit, intercity stop counts and "a site can meet the rule" at both bounds.

    Parameters
    ----------
    units
        The checked units, in table order.
    stops
        The checked stops.
    located_units
        The unit code of each stop (NA when outside every unit), in stop order.
    distance
        The stop rule's distance, metres.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``units``: ``intercity_stops_low``, ``intercity_stops_high``,
        ``intercity_within_low``, ``intercity_within_high`` and ``cut_stops`` (stops in the
        unit whose status rests on a cut list).
    """
    out = pd.DataFrame(index=units.index)
    codes = units["unit_code"]
    dependent = cut_dependent(stops)
    located = pd.Series(np.asarray(located_units, dtype=object), index=stops.index)
    for bound in BOUNDS:
        flagged = bound_stops(stops, bound)
        intercity = flagged["intercity"].to_numpy(dtype=bool)
        counts = located[intercity].dropna().value_counts()
        out[f"intercity_stops_{bound}"] = codes.map(counts).fillna(0).astype("int64").to_numpy()
        out[f"intercity_within_{bound}"] = stops_within(
            units, flagged[flagged["intercity"]], distance
        )
    out["cut_stops"] = codes.map(located[dependent].dropna().value_counts()).fillna(0)
    out["cut_stops"] = out["cut_stops"].astype("int64")
    return out


def range_text(low: int, high: int) -> str:
    """``"range 3-9 by the cut route lists"``, or "" when the bounds agree."""
    if low == high:
        return ""
    low, high = sorted((low, high))
    return f"range {low:,}–{high:,} by the cut route lists"


def share_range_text(low: int, high: int, of: int) -> str:
    """``"range 70.1%–72.3% by the cut route lists"``, or "" when the bounds agree."""
    if low == high or not of:
        return ""
    low, high = sorted((low, high))
    return f"range {low / of:.1%}–{high / of:.1%} ({low:,}–{high:,}) by the cut route lists"
