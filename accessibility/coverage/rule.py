"""The 700 m stop rule for sites (libraries, centres, candidates) and the proxy sites used without them."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from .. import settings
from .._errors import AccessibilityError, MissingColumnError
from .._layers import shared
from ..projection import inside_latvia
from ._bounds import has_bounds, site_bounds
from ._inputs import (
    check_distance,
    check_sites,
    check_stops,
    check_units,
    intercity_stops,
)
from ._locate import locate_points
from ._measure import (
    duplicate_locations,
    nearest_stops,
)
from ._terms import DEFAULT_TOLERANCE_M
from .demand import population_centres


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
        ``note`` (why a distance is missing, duplicates, sites outside Latvia, a verdict resting
        on a cut route list; empty when none). When some stops' intercity status rests on a cut
        route list (``intercity_evidence`` of :func:`accessibility.load_stops`), also
        ``meets_rule_low`` and ``meets_rule_high``: the verdict if no cut list / every cut list
        hides an intercity route; ``attrs["stop_rule"]["bounds"]`` counts both.

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
    bounds = None
    if has_bounds(stops) and len(measured):
        # The verdicts as they would be if the cut route lists hid no / an intercity route.
        bounds = site_bounds(
            sites[has_point],
            measured,
            check_stops(stops),
            distance,
            network,
            fallback=fallback,
            max_snap=max_snap,
        )
        for position, note in zip(np.flatnonzero(has_point), bounds["cut_note"], strict=True):
            if note:
                notes[position].append(note)
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
    if bounds is not None:
        for column in ("meets_rule_low", "meets_rule_high"):
            values = np.zeros(len(out), dtype=bool)
            values[has_point] = bounds[column].to_numpy(dtype=bool)
            out[column] = values
    out["note"] = ["; ".join(n) for n in notes]
    out = out[[c for c in out.columns if c != out.geometry.name] + [out.geometry.name]]
    out.attrs = {
        "stop_rule": shared({"distance_m": float(distance), "intercity_stops": len(intercity)})
    }
    if bounds is not None:
        out.attrs["stop_rule"]["bounds"] = {
            "low": int(out["meets_rule_low"].sum()),
            "high": int(out["meets_rule_high"].sum()),
        }
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
