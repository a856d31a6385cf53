"""Coverage: the 700 m stop rule, a table per territorial unit, ranked gaps and headline figures."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from .. import settings
from .._errors import AccessibilityError, MissingColumnError
from .._layers import shared
from ..io.write import write_csv, write_gpkg_layers, write_json, write_text
from ..projection import inside_latvia
from ._inputs import (
    assign_sites,
    check_distance,
    check_sites,
    check_stops,
    check_units,
    intercity_stops,
    population_figures,
)
from ._locate import locate_points
from ._measure import (
    duplicate_locations,
    nearest_stops,
    population_distances,
    stops_within,
)
from ._text import (
    STRAIGHT_LINE_NOTE,
    for_file,
    fraction,
    joint_method,
    km,
    listing,
    method_words,
    pct,
)
from .demand import DEFAULT_RESOLUTION_M, population_centres, population_points

#: Status of a unit whose best centre is within the stop distance of an intercity stop.
STATUS_MEETS = "centre meets rule"
#: Status of a unit whose centres are all farther than the stop distance from an intercity stop.
STATUS_FAILS = "centre, rule not met"
#: Status of a unit with a centre whose distance could not be measured (off the walking network).
STATUS_UNMEASURED = "centre, distance not measured"
#: Status of a unit without a centre.
STATUS_NONE = "no centre"
#: Status of every unit when no centres were given.
STATUS_NOT_ASSESSED = "centres not given"
#: Every value of the ``status`` column, in map-legend order.
STATUS_VALUES: tuple[str, ...] = (
    STATUS_MEETS,
    STATUS_FAILS,
    STATUS_UNMEASURED,
    STATUS_NONE,
    STATUS_NOT_ASSESSED,
)

#: Default distances (metres) at which population beyond the nearest centre is counted.
DEFAULT_THRESHOLDS: tuple[float, ...] = (700.0, 2000.0, 5000.0, 10000.0)

#: Default distance (metres) within which a stop or site just outside every unit polygon is given
#: to the nearest unit: the CSB boundaries are generalised to 1:1.2 M and can cut off a coastal
#: or border stop by a few hundred metres.
DEFAULT_TOLERANCE_M: float = 250.0

#: Gap kinds, in the order used to break ties within a unit.
GAP_KINDS: tuple[str, ...] = (
    "no centre",
    "centre does not meet the stop rule",
    "centre distance not measured",
    "no candidate meets the stop rule",
    "no site in the unit can meet the stop rule",
    "no intercity stop in the unit",
    "population beyond distance",
    "no population figure",
)


def stop_rule(
    sites: gpd.GeoDataFrame,
    stops: gpd.GeoDataFrame,
    distance: float = settings.STOP_RULE_DISTANCE_M,
    network: Any = None,
    *,
    units: gpd.GeoDataFrame | None = None,
    fallback: bool = False,
    tolerance: float = DEFAULT_TOLERANCE_M,
    max_snap: float | None = None,
) -> gpd.GeoDataFrame:
    """Check each site against the stop rule: an intercity stop within ``distance``.

    Parameters
    ----------
    sites
        Sites (``site_id``, ``geometry`` points; ``name`` and ``kind`` kept when present), any CRS.
    stops
        Stops with a boolean ``intercity`` column (as :func:`accessibility.load_stops` gives).
    distance
        The rule's distance in metres (default the ministry's 700 m).
    network
        A walking network; None measures straight lines, and every output says so.
    units
        Territorial units; when given, each site gets ``unit_code`` and ``municipality_code``
        (unless it has them) and a site outside every unit (in the sea, abroad) is noted.
    fallback
        With a network, measure a straight line for sites the network cannot reach (``method``
        then says ``euclidean``). Without it such sites keep an infinite distance and fail.
    tolerance
        Distance in metres within which a site just outside every unit is given to the nearest.
    max_snap
        Largest distance (metres) at which a point is attached to the network (None: the
        distance core's default).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per site, in input order: the site's columns, then ``stop_id`` and ``stop_name``
        of the nearest intercity stop, ``distance`` (metres; inf when unreachable, NaN when the
        site has no location), ``method`` (``network`` or ``euclidean``), ``meets_rule`` (bool) and
        ``note`` (why a distance is missing, duplicates, sites outside Latvia; empty when none).

    Raises
    ------
    MissingColumnError
        If ``site_id``, ``geometry`` or the stops' ``intercity`` column is missing.
    AccessibilityError
        If a ``site_id`` occurs twice (which site would a result belong to?).
    """
    check_distance(distance)
    sites = check_sites(sites)
    intercity = intercity_stops(stops)
    notes = [[] for _ in range(len(sites))]

    if units is not None:
        units = check_units(units)
        located = locate_points(sites.geometry, units, tolerance=tolerance)
        for column in ("unit_code", "municipality_code"):
            if column not in sites.columns or sites[column].isna().all():
                values = (
                    located["unit_code"]
                    if column == "unit_code"
                    else located["unit_code"].map(units.set_index("unit_code")["municipality_code"])
                )
                sites[column] = values.to_numpy()
        for i, how in enumerate(located["how"]):
            if how == "outside":
                notes[i].append("outside every territorial unit")
            elif how == "nearest":
                notes[i].append(
                    f"just outside the unit boundary; given to unit {located['unit_code'].iloc[i]}"
                )

    has_point = ~(sites.geometry.isna() | sites.geometry.is_empty).to_numpy()
    xy = np.full((len(sites), 2), np.nan)
    if has_point.any():
        xy[has_point, 0] = sites.geometry[has_point].x.to_numpy()
        xy[has_point, 1] = sites.geometry[has_point].y.to_numpy()
    for i in np.flatnonzero(~has_point):
        notes[i].append("site has no location")
    for i in np.flatnonzero(has_point & ~inside_latvia(xy[:, 0], xy[:, 1])):
        notes[i].append("site lies outside Latvia")
    for i, first in duplicate_locations(xy, has_point):
        notes[i].append(f"same location as site {sites['site_id'].iloc[first]}")

    measured = nearest_stops(
        sites[has_point], intercity, network, fallback=fallback, max_snap=max_snap
    )
    result = pd.DataFrame(
        {
            "stop_id": pd.Series(pd.NA, index=sites.index, dtype="string"),
            "stop_name": pd.Series(pd.NA, index=sites.index, dtype="string"),
            "distance": np.nan,
            "method": pd.Series(pd.NA, index=sites.index, dtype="string"),
        },
        index=sites.index,
    )
    if len(measured):
        result.loc[measured.index, ["stop_id", "stop_name", "distance", "method"]] = measured[
            ["stop_id", "stop_name", "distance", "method"]
        ]
        for position, reason in zip(
            np.flatnonzero(has_point), measured["reason"].to_numpy(), strict=True
        ):
            if isinstance(reason, str) and reason:
                notes[position].append(reason)
    out = sites.drop(
        columns=[
            c
            for c in ("stop_id", "stop_name", "distance", "method", "meets_rule", "note")
            if c in sites.columns
        ]
    )
    for column in ("stop_id", "stop_name", "distance", "method"):
        out[column] = result[column].to_numpy()
    out["distance"] = out["distance"].astype(float)
    out["meets_rule"] = (out["distance"] <= distance).fillna(False).astype(bool)
    out["note"] = ["; ".join(n) for n in notes]
    out = out[[c for c in out.columns if c != out.geometry.name] + [out.geometry.name]]
    out.attrs = {
        "stop_rule": shared({"distance_m": float(distance), "intercity_stops": len(intercity)})
    }
    return out


def unit_coverage(
    units: gpd.GeoDataFrame,
    stops: gpd.GeoDataFrame | None = None,
    centres: gpd.GeoDataFrame | None = None,
    population: pd.DataFrame | None = None,
    network: Any = None,
    *,
    distance: float = settings.STOP_RULE_DISTANCE_M,
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
    points: gpd.GeoDataFrame | None = None,
    resolution: float = DEFAULT_RESOLUTION_M,
    year: int | None = None,
    tolerance: float = DEFAULT_TOLERANCE_M,
    fallback: bool = False,
    max_snap: float | None = None,
) -> gpd.GeoDataFrame:
    """One row per territorial unit: population, stops, centres, the stop rule, distance to a centre.

    Parameters
    ----------
    units
        Territorial units (``unit_code``, ``unit_name``, ``unit_kind``, ``municipality_code``,
        ``geometry``), any CRS. Every unit appears in the output, in ``unit_code`` order.
    stops
        Stops with ``stop_id`` and a boolean ``intercity``. A stop outside every unit polygon but
        within ``tolerance`` of one is counted in the nearest unit; farther ones are counted
        nowhere. Both are listed in ``result.attrs["coverage"]``.
    centres
        Centres (sites). Each is counted in the unit it lies in (its ``unit_code`` when given),
        or, when it has a ``units_served`` column (unit codes joined by ``;``, as plans write for a
        town and parish sharing one centre), in every unit listed there.
    population
        Population table (``unit_code``, ``population``, ``year``). A unit without a figure gets
        ``<NA>`` and ``population_missing=True``, never 0.
    network
        A walking network for every distance; None measures straight lines (labelled).
    distance
        The stop rule's distance, metres.
    thresholds
        Distances (metres) at which population farther from its nearest centre is counted.
    points
        Population points (:func:`accessibility.population_points`); built from ``population``
        at ``resolution`` when not given.
    resolution
        Grid cell size (metres) for the population points.
    year
        Population year; default the latest in the table.
    tolerance
        Metres within which a stop or centre just outside every unit is given to the nearest unit.
    fallback
        Measure a straight line where the network cannot reach (see :func:`stop_rule`).
    max_snap
        Largest distance (metres) at which a point is attached to the network.

    Returns
    -------
    geopandas.GeoDataFrame
        Unit geometry plus: ``population`` (Int64), ``population_missing``, ``stops``,
        ``intercity_stops``, ``intercity_within_distance`` (an intercity stop lies within
        ``distance`` of some point of the unit, straight line: when False no site in the unit can
        meet the rule, since a walk is never shorter), ``centres``, ``best_centre`` (site_id of
        the centre nearest an intercity stop), ``centre_stop_distance``, ``centre_stop_method``,
        ``centre_meets_rule`` (boolean, <NA> without centre), and with population and centres
        ``pop_mean_distance`` (population-weighted mean distance to the nearest centre, metres),
        ``pop_beyond_<t>`` and ``share_beyond_<t>`` per threshold ``t``, ``pop_unreachable`` and
        ``pop_distance_method``; finally ``status``, a categorical with the values of
        :data:`STATUS_VALUES`. ``attrs["coverage"]`` records parameters and located/unlocated
        stops and centres.
    """
    check_distance(distance)
    thresholds = tuple(sorted(float(t) for t in thresholds))
    units = check_units(units)
    info: dict[str, Any] = {
        "distance_m": float(distance),
        "thresholds_m": list(thresholds),
        "tolerance_m": float(tolerance),
        "units": len(units),
    }
    table = units.copy()

    # Population per unit: <NA> rather than 0 where the table has no figure.
    if population is not None:
        figures = population_figures(population, year)
        info["population_year"] = figures.attrs.get("year")
        table["population"] = table["unit_code"].map(figures).astype("Int64")
    else:
        table["population"] = pd.array([pd.NA] * len(table), dtype="Int64")
    table["population_missing"] = table["population"].isna().to_numpy()

    # Stops inside each unit.
    table["stops"] = 0
    table["intercity_stops"] = 0
    table["intercity_within_distance"] = pd.array([pd.NA] * len(table), dtype="boolean")
    intercity = None
    if stops is not None:
        stops = check_stops(stops)
        intercity = stops[stops["intercity"]]
        located = locate_points(stops.geometry, units, tolerance=tolerance)
        counted = located["unit_code"].dropna()
        table["stops"] = table["unit_code"].map(counted.value_counts()).fillna(0).astype("int64")
        counted_ic = located.loc[stops["intercity"].to_numpy(), "unit_code"].dropna()
        table["intercity_stops"] = (
            table["unit_code"].map(counted_ic.value_counts()).fillna(0).astype("int64")
        )
        info["stops"] = {
            "total": len(stops),
            "intercity": len(intercity),
            "counted_in_units": len(counted),
            "given_to_nearest_unit": listing(stops, located, "nearest"),
            "outside_all_units": listing(stops, located, "outside"),
        }
        table["intercity_within_distance"] = stops_within(units, intercity, distance)

    # Centres per unit and the stop rule for the best one.
    table["centres"] = 0
    table["best_centre"] = pd.Series(pd.NA, index=table.index, dtype="string")
    table["centre_stop_distance"] = np.nan
    table["centre_stop_method"] = pd.Series(pd.NA, index=table.index, dtype="string")
    table["centre_meets_rule"] = pd.array([pd.NA] * len(table), dtype="boolean")
    checked = None
    if centres is not None:
        centres = check_sites(centres)
        if stops is not None:
            checked = stop_rule(
                centres,
                stops,
                distance,
                network,
                units=units,
                fallback=fallback,
                tolerance=tolerance,
                max_snap=max_snap,
            )
        else:
            checked = assign_sites(centres, units, tolerance)
        inside = _served_units(checked)
        table["centres"] = (
            table["unit_code"].map(inside["unit_code"].value_counts()).fillna(0).astype("int64")
        )
        info["centres"] = {
            "total": len(checked),
            "outside_all_units": checked.loc[checked["unit_code"].isna(), "site_id"]
            .astype(str)
            .tolist(),
        }
        if stops is not None and len(inside):
            best = inside.assign(_d=inside["distance"].fillna(np.inf)).sort_values(
                ["unit_code", "_d", "site_id"], kind="stable"
            )
            best = best.drop_duplicates("unit_code").set_index("unit_code")
            table["best_centre"] = (
                table["unit_code"].map(best["site_id"].astype(str)).astype("string")
            )
            table["centre_stop_distance"] = table["unit_code"].map(best["distance"]).astype(float)
            table["centre_stop_method"] = table["unit_code"].map(best["method"]).astype("string")
            has = table["centres"] > 0
            meets = table["centre_stop_distance"] <= distance
            table["centre_meets_rule"] = pd.array(np.where(has, meets, pd.NA), dtype="boolean")

    # Distance from each unit's population to its nearest centre.
    if population is not None and centres is not None:
        if points is None:
            points = population_points(units, population, resolution=resolution, year=year)
        info["population_points"] = {
            "points": len(points),
            "methods": sorted(points["method"].unique().tolist()),
        }
        population_distances(table, points, checked, network, thresholds, fallback, max_snap)

    table["status"] = _status(table, centres is not None, stops is not None)
    columns = [c for c in table.columns if c != "geometry"] + ["geometry"]
    out = gpd.GeoDataFrame(table[columns], geometry="geometry", crs=settings.CRS).reset_index(
        drop=True
    )
    out.attrs = {"coverage": shared(info)}
    return out


def _served_units(checked: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Centres by the unit(s) they serve: the unit they lie in, or those listed in ``units_served``.

    A plan may let one centre serve a town and the parish around it; such centres carry
    ``units_served`` (unit codes joined by ``;``) and count as a centre of each unit listed.
    """
    located = (
        checked[checked["unit_code"].notna()] if "units_served" not in checked.columns else checked
    )
    if "units_served" not in checked.columns:
        return located
    served = [
        [code for code in str(listed).split(";") if code]
        if isinstance(listed, str) and listed
        else [own]
        for listed, own in zip(checked["units_served"], checked["unit_code"], strict=True)
    ]
    expanded = checked.assign(unit_code=served).explode("unit_code")
    return expanded[expanded["unit_code"].notna()]


def gaps(
    coverage: gpd.GeoDataFrame,
    *,
    threshold: float | None = None,
    candidates: gpd.GeoDataFrame | None = None,
) -> pd.DataFrame:
    """Rank the problems of a :func:`unit_coverage` table, each with its reason.

    Parameters
    ----------
    coverage
        Output of :func:`unit_coverage`.
    threshold
        Distance (metres, one of the table's thresholds) beyond which population counts as a gap;
        default the largest threshold.
    candidates
        A :func:`stop_rule` result for candidate sites (with ``unit_code``); a unit where none of
        its candidates meets the rule is a gap.

    Returns
    -------
    pandas.DataFrame
        ``rank``, ``unit_code``, ``unit_name``, ``unit_kind``, ``municipality_code``, ``gap`` (one of
        :data:`GAP_KINDS`), ``reason`` (the figures behind it), ``population_affected`` (Int64;
        <NA> when unknown) and ``unit_population``. Ranked by population affected (unknown last),
        then unit code, then the order of :data:`GAP_KINDS`.
    """
    if "unit_code" not in coverage.columns or "status" not in coverage.columns:
        raise MissingColumnError(None, "not a unit_coverage table", field="status")
    info = coverage.attrs.get("coverage", {})
    distance = info.get("distance_m", settings.STOP_RULE_DISTANCE_M)
    thresholds = info.get("thresholds_m", [])
    if threshold is None and thresholds:
        threshold = max(thresholds)
    rows: list[dict[str, Any]] = []
    pop = coverage["population"]

    records = pd.DataFrame(coverage.drop(columns=coverage.geometry.name)).to_dict("records")

    def add(mask: pd.Series, gap: str, reason: Any, affected: Any) -> None:
        for i in np.flatnonzero(np.asarray(mask, dtype=bool)):
            row = records[i]
            rows.append(
                {
                    "unit_code": row["unit_code"],
                    "unit_name": row.get("unit_name"),
                    "unit_kind": row.get("unit_kind"),
                    "municipality_code": row.get("municipality_code"),
                    "gap": gap,
                    "reason": reason(row) if callable(reason) else reason,
                    "population_affected": affected.iloc[i]
                    if isinstance(affected, pd.Series)
                    else affected,
                    "unit_population": pop.iloc[i],
                }
            )

    status = coverage["status"].astype(str)
    add(status == STATUS_NONE, "no centre", "no centre lies in the unit", pop)
    add(
        status == STATUS_FAILS,
        "centre does not meet the stop rule",
        lambda r: (
            f"nearest intercity stop to the best centre ({r['best_centre']}) is {r['centre_stop_distance']:.0f} m away "
            f"({method_words(r['centre_stop_method'])}), more than {distance:g} m"
        ),
        pop,
    )
    add(
        status == STATUS_UNMEASURED,
        "centre distance not measured",
        "the walking network does not reach the centre or no intercity stop is reachable",
        pop,
    )
    if candidates is not None:
        if "unit_code" not in candidates.columns or "meets_rule" not in candidates.columns:
            raise MissingColumnError(
                None, "candidates must be a stop_rule result with unit_code", field="meets_rule"
            )
        any_meets = candidates.groupby("unit_code")["meets_rule"].any()
        count = candidates.groupby("unit_code").size()
        has = coverage["unit_code"].map(any_meets)
        add(
            has.notna() & ~has.fillna(True).astype(bool),
            "no candidate meets the stop rule",
            lambda r: (
                f"none of the {count.get(r['unit_code'], 0)} candidate sites is within {distance:g} m of an intercity stop"
            ),
            pop,
        )
        add(
            has.isna(),
            "no candidate meets the stop rule",
            "the unit has no candidate site",
            pop,
        )
    within = coverage["intercity_within_distance"]
    add(
        within.notna() & ~within.fillna(True).astype(bool),
        "no site in the unit can meet the stop rule",
        f"no intercity stop within {distance:g} m of any point of the unit ({STRAIGHT_LINE_NOTE}; a walk is longer)",
        pop,
    )
    if info.get("stops"):
        add(
            coverage["intercity_stops"] == 0,
            "no intercity stop in the unit",
            lambda r: f"{r['stops']} stop(s) in the unit, none served by an intercity route",
            pop,
        )
    # Without population figures there is no population beyond any distance to rank by.
    no_population = "population" not in coverage.columns or coverage["population"].isna().all()
    if threshold is not None and not (
        no_population and f"pop_beyond_{threshold:g}" not in coverage
    ):
        column = f"pop_beyond_{threshold:g}"
        if column not in coverage.columns:
            raise AccessibilityError(
                f"coverage table has no population beyond {threshold:g} m; its thresholds are "
                f"{', '.join(f'{t:g}' for t in thresholds) or 'none'}"
            )
        beyond = coverage[column]
        add(
            beyond.fillna(0) > 0,
            "population beyond distance",
            lambda r: (
                f"{r[column]} of {r['population']} people live farther than {threshold:g} m from the nearest centre"
                f" ({method_words(r.get('pop_distance_method'))})"
            ),
            beyond,
        )
    add(
        pop.isna(), "no population figure", "the population table has no figure for the unit", pd.NA
    )

    table = pd.DataFrame(
        rows,
        columns=[
            "unit_code",
            "unit_name",
            "unit_kind",
            "municipality_code",
            "gap",
            "reason",
            "population_affected",
            "unit_population",
        ],
    )
    table["population_affected"] = pd.array(table["population_affected"], dtype="Int64")
    table["unit_population"] = pd.array(table["unit_population"], dtype="Int64")
    table["_order"] = table["gap"].map({g: i for i, g in enumerate(GAP_KINDS)})
    table = table.sort_values(
        ["population_affected", "unit_code", "_order"],
        ascending=[False, True, True],
        na_position="last",
        kind="stable",
    )
    table = table.drop(columns="_order").reset_index(drop=True)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return table


def summary(
    coverage: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame | None = None,
    *,
    municipalities: pd.DataFrame | None = None,
    site_label: str = "sites",
) -> dict[str, Any]:
    """Headline figures of a coverage run, each a count with its denominator, plus readable text.

    Parameters
    ----------
    coverage
        Output of :func:`unit_coverage`.
    sites
        A :func:`stop_rule` result (libraries, centres, a plan) for the share within the distance.
    municipalities
        The municipalities layer; its count is the denominator of the municipality figures
        (default: the municipalities named in ``coverage``).
    site_label
        What the sites are, in the text (e.g. ``"libraries"``).

    Returns
    -------
    dict
        JSON-ready: ``distance_m``, ``sites``, ``municipalities``, ``population``, ``units``,
        ``stops`` (each a dict of ``{"count", "of", "share"}`` figures) and ``text``, the same
        figures as sentences.
    """
    info = coverage.attrs.get("coverage", {})
    distance = float(info.get("distance_m", settings.STOP_RULE_DISTANCE_M))
    thresholds = [float(t) for t in info.get("thresholds_m", [])]
    out: dict[str, Any] = {"distance_m": distance}
    lines: list[str] = []
    assessed = (coverage["status"].astype(str) != STATUS_NOT_ASSESSED).any()

    if sites is not None:
        measured = sites["distance"].notna() & np.isfinite(sites["distance"].fillna(np.inf))
        methods = sorted(sites.loc[sites["method"].notna(), "method"].astype(str).unique().tolist())
        figures = {
            "label": site_label,
            "within": fraction(int(sites["meets_rule"].sum()), len(sites)),
            "not_measured": fraction(int((~measured).sum()), len(sites)),
            "methods": methods,
            "straight_line": "euclidean" in methods,
        }
        out["sites"] = figures
        words = f" ({STRAIGHT_LINE_NOTE})" if figures["straight_line"] else " (walking distance)"
        lines.append(
            f"{pct(figures['within'])} of {site_label} ({figures['within']['count']} of {len(sites)}) lie within "
            f"{distance:g} m of an intercity stop{words}."
        )
        if figures["not_measured"]["count"]:
            lines.append(
                f"{figures['not_measured']['count']} {site_label} could not be measured (see the note column)."
            )

    if assessed:
        per_muni = coverage.groupby("municipality_code")["centres"].sum()
        if municipalities is not None:
            codes = pd.Index(municipalities["municipality_code"].astype(str).unique())
            per_muni = per_muni.reindex(codes.union(per_muni.index), fill_value=0)
        n = len(per_muni)
        muni = {
            "with_centre": fraction(int((per_muni >= 1).sum()), n),
            "more_than_one": fraction(int((per_muni > 1).sum()), n),
            "none": fraction(int((per_muni == 0).sum()), n),
            "without_centre": sorted(per_muni.index[per_muni == 0].astype(str).tolist()),
        }
        out["municipalities"] = muni
        lines.append(
            f"{muni['with_centre']['count']} of {n} municipalities have at least one centre, "
            f"{muni['more_than_one']['count']} more than one, {muni['none']['count']} none."
        )

    pop = coverage["population"]
    known = int(pop.dropna().sum())
    population: dict[str, Any] = {
        "total": known,
        "units_without_figure": fraction(int(pop.isna().sum()), len(coverage)),
    }
    if info.get("population_year") is not None:
        population["year"] = info["population_year"]
    if assessed and thresholds and f"pop_beyond_{thresholds[0]:g}" in coverage.columns:
        method = joint_method(coverage.get("pop_distance_method"))
        population["distance_method"] = method
        population["within"] = {}
        for t in thresholds:
            beyond = int(coverage[f"pop_beyond_{t:g}"].dropna().sum())
            population["within"][f"{t:g}"] = fraction(known - beyond, known)
        parts = ", ".join(
            f"{pct(population['within'][f'{t:g}'])} within {km(t)}" for t in thresholds
        )
        placement = info.get("population_points", {}).get("methods", [])
        population["placement"] = placement
        placed = f"placed by {'; '.join(placement)}" if placement else "placed on a grid"
        lines.append(
            f"Of {known:,} people ({placed}), {parts} of the nearest centre "
            f"({method_words(method)})."
        )
        if "pop_unreachable" in coverage.columns:
            unreachable = int(coverage["pop_unreachable"].dropna().sum())
            population["unreachable"] = fraction(unreachable, known)
            if unreachable:
                lines.append(
                    f"{unreachable:,} people live where the walking network does not reach; they "
                    f"count as beyond every distance."
                )
    if population["units_without_figure"]["count"]:
        lines.append(
            f"{population['units_without_figure']['count']} units have no population figure (not counted as 0)."
        )
    out["population"] = population

    n_units = len(coverage)
    units: dict[str, Any] = {
        "total": n_units,
        "by_status": {s: int((coverage["status"].astype(str) == s).sum()) for s in STATUS_VALUES},
    }
    if info.get("stops"):
        units["no_stop"] = fraction(int((coverage["stops"] == 0).sum()), n_units)
        units["no_intercity_stop"] = fraction(
            int((coverage["intercity_stops"] == 0).sum()), n_units
        )
        impossible = coverage["intercity_within_distance"].fillna(True).astype(bool)
        units["rule_impossible"] = fraction(int((~impossible).sum()), n_units)
        lines.append(
            f"{units['no_intercity_stop']['count']} of {n_units} units have no intercity stop "
            f"({units['no_stop']['count']} no stop at all); in {units['rule_impossible']['count']} no site can meet the "
            f"{distance:g} m rule (no intercity stop within {distance:g} m of the unit, straight line)."
        )
    if assessed:
        units["no_centre"] = fraction(units["by_status"][STATUS_NONE], n_units)
        meets = units["by_status"][STATUS_MEETS]
        units["centre_meets_rule"] = fraction(meets, n_units)
        lines.append(
            f"{meets} of {n_units} units have a centre within {distance:g} m of an intercity stop; "
            f"{units['by_status'][STATUS_NONE]} have no centre."
        )
    out["units"] = units
    if info.get("stops"):
        stops = info["stops"]
        out["stops"] = {
            "total": stops["total"],
            "intercity": fraction(stops["intercity"], stops["total"]),
            "counted_in_units": fraction(stops["counted_in_units"], stops["total"]),
            "given_to_nearest_unit": len(stops["given_to_nearest_unit"]),
            "outside_all_units": len(stops["outside_all_units"]),
        }
        if stops["outside_all_units"] or stops["given_to_nearest_unit"]:
            lines.append(
                f"{len(stops['given_to_nearest_unit'])} stops lie just outside the unit boundaries and were given to the "
                f"nearest unit; {len(stops['outside_all_units'])} lie farther out and are counted in no unit."
            )
    outside = info.get("centres", {}).get("outside_all_units")
    if outside is not None:
        out["centres"] = {
            "total": info["centres"]["total"],
            "outside_all_units": fraction(len(outside), info["centres"]["total"]),
            "outside_ids": outside,
        }
        if outside:
            lines.append(
                f"{len(outside)} of {info['centres']['total']} centres lie outside every unit "
                f"(in the sea or abroad?) and are counted in none: {', '.join(outside[:10])}."
            )
    out["text"] = "\n".join(lines)
    return out


def proxy_sites(
    units: gpd.GeoDataFrame,
    *,
    how: str = "most_served_stop",
    stops: gpd.GeoDataFrame | None = None,
    points: gpd.GeoDataFrame | None = None,
    tolerance: float = DEFAULT_TOLERANCE_M,
) -> gpd.GeoDataFrame:
    """One stand-in site per unit, for when the real site locations are not at hand.

    Every proxy is labelled as such in ``kind`` and ``name``; results computed on proxies say
    something about the stops and the settlement pattern, not about actual libraries or centres.

    Parameters
    ----------
    units
        Territorial units.
    how
        ``"most_served_stop"``: the unit's stop with the most routes (``route_count``, else the
        number of listed routes; ties by ``stop_id``), which usually stands in the village
        centre beside the library and parish office. It passes the stop rule trivially when it
        is itself intercity. ``"population_centre"``: the population-weighted centre of the
        unit's ``points`` (kept inside the unit), independent of the stops.
        ``"representative_point"``: a point guaranteed inside the unit polygon.
    stops
        Stops (for ``most_served_stop``).
    points
        Population points (for ``population_centre``), from :func:`population_points`.
    tolerance
        Metres within which a stop just outside every unit is given to the nearest unit.

    Returns
    -------
    geopandas.GeoDataFrame
        Sites: ``site_id`` (``proxy-<unit_code>``), ``name``, ``kind``, ``unit_code``,
        ``municipality_code`` (and ``stop_id`` for stops), ``geometry``, sorted by unit code.
        Units that get no proxy (no stop, no population) are listed in
        ``attrs["proxy"]["units_without_proxy"]``.
    """
    units = check_units(units)
    names = units.set_index("unit_code")["unit_name"].astype(str)
    if how == "most_served_stop":
        if stops is None:
            raise AccessibilityError("proxy sites at the most-served stop need the stops layer")
        stops = check_stops(stops)
        located = locate_points(stops.geometry, units, tolerance=tolerance)
        if "route_count" in stops.columns:
            served = pd.to_numeric(stops["route_count"], errors="coerce").fillna(0)
        elif "routes" in stops.columns:
            served = stops["routes"].map(lambda r: len(r) if isinstance(r, (list, tuple)) else 0)
        else:
            raise MissingColumnError(
                None, "stops layer has neither route_count nor routes", field="route_count"
            )
        frame = stops.assign(unit_code=located["unit_code"].to_numpy(), _served=served.to_numpy())
        frame = frame[frame["unit_code"].notna()]
        frame = frame.sort_values(
            ["unit_code", "_served", "stop_id"], ascending=[True, False, True], kind="stable"
        )
        frame = frame.drop_duplicates("unit_code")
        stop_names = (
            frame["stop_name"].astype(str) if "stop_name" in frame.columns else frame["stop_id"]
        )
        sites = gpd.GeoDataFrame(
            {
                "site_id": ("proxy-" + frame["unit_code"].astype(str)).to_numpy(),
                "name": [
                    f"{stop} (most-served stop of {names[code]}, proxy)"
                    for stop, code in zip(stop_names, frame["unit_code"], strict=True)
                ],
                "kind": "proxy: most-served stop",
                "unit_code": frame["unit_code"].astype(str).to_numpy(),
                "stop_id": frame["stop_id"].to_numpy(),
            },
            geometry=frame.geometry.to_numpy(),
            crs=settings.CRS,
        )
    elif how == "population_centre":
        if points is None:
            raise AccessibilityError("proxy sites at the population centre need population points")
        found = population_centres(points, units)
        sites = gpd.GeoDataFrame(
            {
                "site_id": ("proxy-" + found["unit_code"].astype(str)).to_numpy(),
                "name": [
                    f"Population centre of {names.get(code, code)} (proxy)"
                    for code in found["unit_code"]
                ],
                "kind": "proxy: population centre",
                "unit_code": found["unit_code"].astype(str).to_numpy(),
            },
            geometry=found.geometry.to_numpy(),
            crs=settings.CRS,
        )
        sites = sites[sites["unit_code"].isin(units["unit_code"])]
    elif how == "representative_point":
        sites = gpd.GeoDataFrame(
            {
                "site_id": ("proxy-" + units["unit_code"]).to_numpy(),
                "name": [
                    f"Representative point of {name} (proxy)"
                    for name in units["unit_name"].astype(str)
                ],
                "kind": "proxy: representative point",
                "unit_code": units["unit_code"].to_numpy(),
            },
            geometry=units.geometry.representative_point().to_numpy(),
            crs=settings.CRS,
        )
    else:
        raise AccessibilityError(
            f"unknown proxy {how!r}; use 'most_served_stop', 'population_centre' or 'representative_point'"
        )
    sites["municipality_code"] = sites["unit_code"].map(
        units.set_index("unit_code")["municipality_code"]
    )
    columns = ["site_id", "name", "kind", "unit_code", "municipality_code"]
    columns += [c for c in sites.columns if c not in columns and c != "geometry"] + ["geometry"]
    sites = sites[columns].sort_values("unit_code", kind="stable").reset_index(drop=True)
    sites.attrs = {
        "proxy": shared(
            {
                "how": how,
                "units_without_proxy": sorted(set(units["unit_code"]) - set(sites["unit_code"])),
            }
        )
    }
    return sites


def assess(
    units: gpd.GeoDataFrame,
    stops: gpd.GeoDataFrame | None = None,
    centres: gpd.GeoDataFrame | None = None,
    population: pd.DataFrame | None = None,
    network: Any = None,
    *,
    sites: gpd.GeoDataFrame | None = None,
    site_label: str = "sites",
    municipalities: pd.DataFrame | None = None,
    distance: float = settings.STOP_RULE_DISTANCE_M,
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
    gap_threshold: float | None = None,
    points: gpd.GeoDataFrame | None = None,
    resolution: float = DEFAULT_RESOLUTION_M,
    year: int | None = None,
    fallback: bool = False,
    max_snap: float | None = None,
) -> CoverageResult:
    """Run the whole coverage analysis: unit table, stop rule for ``sites``, gaps and summary.

    ``sites`` default to the centres; ``points`` (population points) are built from
    ``population`` at ``resolution`` when not given. Other parameters are those of
    :func:`unit_coverage`, :func:`stop_rule`, :func:`gaps` and :func:`summary`.

    Returns
    -------
    CoverageResult
    """
    if points is None and population is not None and centres is not None:
        points = population_points(units, population, resolution=resolution, year=year)
    table = unit_coverage(
        units,
        stops,
        centres,
        population,
        network,
        distance=distance,
        thresholds=thresholds,
        points=points,
        year=year,
        fallback=fallback,
        max_snap=max_snap,
    )
    checked = None
    if sites is None:
        sites = centres
    if sites is not None and stops is not None:
        checked = stop_rule(
            sites, stops, distance, network, units=units, fallback=fallback, max_snap=max_snap
        )
    ranked = gaps(table, threshold=gap_threshold)
    headline = summary(table, checked, municipalities=municipalities, site_label=site_label)
    return CoverageResult(units=table, sites=checked, gaps=ranked, summary=headline, points=points)


def write_coverage(
    result: CoverageResult | Mapping[str, Any], out_dir: str | os.PathLike[str]
) -> dict[str, Path]:
    """Write a coverage result: a GeoPackage of layers, CSV tables and the summary (JSON and text).

    Every file is written atomically.

    Parameters
    ----------
    result
        A :class:`CoverageResult`, or a mapping with any of the keys ``units``, ``sites``, ``gaps``,
        ``points`` and ``summary``.
    out_dir
        Output folder (created if needed).

    Returns
    -------
    dict
        Written path per output name: ``gpkg`` (``coverage.gpkg``, layers ``units``, ``sites``,
        ``gaps``, ``population_points``), ``units_csv``, ``sites_csv``, ``gaps_csv``,
        ``summary_json``, ``summary_txt``.
    """
    parts = result.as_dict() if isinstance(result, CoverageResult) else dict(result)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    layers: dict[str, gpd.GeoDataFrame] = {}
    units = parts.get("units")
    if units is not None:
        layers["units"] = for_file(units)
        written["units_csv"] = write_csv(
            out / "units.csv", pd.DataFrame(units.drop(columns=units.geometry.name))
        )
    sites = parts.get("sites")
    if sites is not None:
        layers["sites"] = for_file(sites)
        table = pd.DataFrame(sites.drop(columns=sites.geometry.name))
        table["x"] = sites.geometry.x.round(2).to_numpy()
        table["y"] = sites.geometry.y.round(2).to_numpy()
        written["sites_csv"] = write_csv(out / "sites.csv", table)
    ranked = parts.get("gaps")
    if ranked is not None:
        written["gaps_csv"] = write_csv(out / "gaps.csv", ranked)
        if units is not None:
            shapes = units.set_index("unit_code").geometry
            layers["gaps"] = gpd.GeoDataFrame(
                ranked.copy(), geometry=ranked["unit_code"].map(shapes).to_numpy(), crs=units.crs
            )
    points = parts.get("points")
    if points is not None:
        layers["population_points"] = for_file(points)
    if layers:
        written["gpkg"] = write_gpkg_layers(out / "coverage.gpkg", layers)
    headline = parts.get("summary")
    if headline is not None:
        written["summary_json"] = write_json(out / "summary.json", headline)
        written["summary_txt"] = write_text(out / "summary.txt", headline.get("text", "") + "\n")
    return written


@dataclass
class CoverageResult:
    """The outputs of :func:`assess`.

    Attributes
    ----------
    units
        The :func:`unit_coverage` table.
    sites
        The :func:`stop_rule` result for the sites (None without sites or stops).
    gaps
        The :func:`gaps` table.
    summary
        The :func:`summary` dict.
    points
        The population points used (None without population or centres).
    """

    units: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame | None = None
    gaps: pd.DataFrame = field(default_factory=pd.DataFrame)
    summary: dict[str, Any] = field(default_factory=dict)
    points: gpd.GeoDataFrame | None = None

    def as_dict(self) -> dict[str, Any]:
        """The parts by name (the keys :func:`write_coverage` accepts)."""
        return {
            "units": self.units,
            "sites": self.sites,
            "gaps": self.gaps,
            "summary": self.summary,
            "points": self.points,
        }


def _status(table: pd.DataFrame, centres_given: bool, stops_given: bool) -> pd.Categorical:
    if not centres_given:
        values = np.full(len(table), STATUS_NOT_ASSESSED, dtype=object)
    else:
        has = (table["centres"] > 0).to_numpy()
        d = table["centre_stop_distance"].to_numpy(dtype=float)
        values = np.full(len(table), STATUS_NONE, dtype=object)
        if stops_given:
            meets = table["centre_meets_rule"].fillna(False).to_numpy(dtype=bool)
            values[has & meets] = STATUS_MEETS
            values[has & ~meets & np.isfinite(d)] = STATUS_FAILS
            values[has & ~meets & ~np.isfinite(d)] = STATUS_UNMEASURED
        else:
            values[has] = STATUS_UNMEASURED
    return pd.Categorical(values, categories=list(STATUS_VALUES))
