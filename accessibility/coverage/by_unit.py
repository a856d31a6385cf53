"""Coverage per territorial unit: its centres, their stop-rule status and the population's distances."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from .. import settings
from .._layers import shared
from ._bounds import has_bounds, unit_bounds
from ._inputs import (
    assign_sites,
    check_distance,
    check_sites,
    check_stops,
    check_units,
    population_figures,
)
from ._locate import locate_points
from ._measure import (
    population_distances,
    stops_within,
)
from ._terms import (
    DEFAULT_THRESHOLDS,
    DEFAULT_TOLERANCE_M,
    STATUS_FAILS,
    STATUS_MEETS,
    STATUS_NONE,
    STATUS_NOT_ASSESSED,
    STATUS_UNMEASURED,
    STATUS_VALUES,
)
from ._text import (
    listing,
)
from .demand import DEFAULT_RESOLUTION_M, population_points
from .rule import stop_rule


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
        :data:`STATUS_VALUES`. When some stops' intercity status rests on a cut route list, the
        bounds (no cut list / every cut list hides an intercity route): ``intercity_stops_low``,
        ``intercity_stops_high``, ``intercity_within_low``, ``intercity_within_high``,
        ``cut_stops`` (stops of the unit resting on a cut list) and, with centres,
        ``centre_meets_rule_low`` and ``centre_meets_rule_high``. ``attrs["coverage"]`` records
        parameters and located/unlocated stops and centres.
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
        if has_bounds(stops):
            bounds = unit_bounds(units, stops, located["unit_code"], distance)
            for column in bounds.columns:
                table[column] = bounds[column].to_numpy()
            info["stops"]["bounds"] = True

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
            if "meets_rule_low" in inside.columns:
                for bound in ("low", "high"):
                    any_meets = inside.groupby("unit_code")[f"meets_rule_{bound}"].any()
                    table[f"centre_meets_rule_{bound}"] = pd.array(
                        np.where(has, table["unit_code"].map(any_meets).fillna(False), pd.NA),
                        dtype="boolean",
                    )

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
