"""Candidate sites for new centres: libraries, existing centres, stop hubs and unit points, tagged."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from .. import settings
from .._errors import AccessibilityError, MissingColumnError
from .._layers import shared
from ..coverage.core import proxy_sites, stop_rule
from ..projection import to_working_crs

#: Candidate kinds in the order used to break ties (an existing centre before a library ...).
CANDIDATE_KINDS: tuple[str, ...] = (
    "centre",
    "library",
    "stop hub",
    "unit point",
    "stop",
    "population point",
)

#: Columns of the candidates layer, geometry last.
CANDIDATE_COLUMNS: tuple[str, ...] = (
    "site_id",
    "name",
    "kind",
    "source_id",
    "unit_code",
    "municipality_code",
    "stop_id",
    "stop_name",
    "stop_distance",
    "method",
    "meets_rule",
    "note",
    "geometry",
)


def build_candidates(
    units: gpd.GeoDataFrame,
    stops: gpd.GeoDataFrame,
    *,
    libraries: gpd.GeoDataFrame | None = None,
    centres: gpd.GeoDataFrame | None = None,
    hubs_per_unit: int = 1,
    unit_points: str | None = "representative_point",
    points: gpd.GeoDataFrame | None = None,
    stop_distance: float = settings.STOP_RULE_DISTANCE_M,
    network: Any = None,
    fallback: bool = False,
    every_stop: bool = False,
    population_candidates: bool = False,
) -> gpd.GeoDataFrame:
    """Gather candidate sites and tag each with its unit and whether it meets the stop rule.

    Parameters
    ----------
    units
        Territorial units (``unit_code``, ``unit_name``, ``unit_kind``, ``municipality_code``).
    stops
        Stops with the ``intercity`` flag (from :func:`accessibility.load_stops`).
    libraries, centres
        Sites layers (``site_id``, ``name``, ``geometry``); either may be None.
    hubs_per_unit
        Intercity stops per unit taken as candidates: those served by the most routes
        (``route_count``, else the length of ``routes``; ties by ``stop_id``). 0 for none.
    unit_points
        One extra candidate per unit: ``"representative_point"`` (a point inside the polygon),
        ``"population_centre"`` (needs ``points``) or None for none.
    points
        Population points (from :func:`accessibility.population_points`) for
        ``unit_points="population_centre"``.
    stop_distance
        The stop rule's distance in metres.
    network
        Walking network for the stop rule (None: straight lines, said in ``method``).
    fallback
        Measure a straight line where the network cannot reach a candidate.
    every_stop
        Also take every stop inside a unit (intercity or not) as a candidate of kind ``"stop"``
        (stops already taken as hubs keep their ``"stop hub"`` row).
    population_candidates
        Also take every population point (grid cell or settlement point of ``points``) as a
        candidate of kind ``"population point"``, ``source_id`` ``"<unit code>:<row>"``.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns :data:`CANDIDATE_COLUMNS`: ``site_id`` is ``"<kind>:<source id>"`` (unique),
        ``stop_distance`` the distance to the nearest intercity stop, ``meets_rule`` whether it is
        within ``stop_distance``; ``note`` says why a distance is missing or a site lies outside
        every unit (such sites keep a missing ``unit_code``). ``attrs["candidates"]`` counts
        candidates per kind, per unit and those outside every unit.
    """
    if hubs_per_unit < 0:
        raise AccessibilityError(f"hubs_per_unit must be 0 or more, got {hubs_per_unit}")
    units = to_working_crs(units, source="units")
    for column in ("unit_code", "unit_name", "municipality_code"):
        if column not in units.columns:
            raise MissingColumnError(None, "units layer has no such column", field=column)
    parts: list[gpd.GeoDataFrame] = []
    if centres is not None:
        parts.append(_from_sites(centres, "centre"))
    if libraries is not None:
        parts.append(_from_sites(libraries, "library"))
    if hubs_per_unit > 0:
        parts.append(_stop_hubs(units, stops, hubs_per_unit))
    if every_stop:
        taken = set(parts[-1]["source_id"]) if hubs_per_unit > 0 else set()
        parts.append(_every_stop(units, stops, taken))
    if population_candidates:
        if points is None:
            raise AccessibilityError("population_candidates=True needs the population points")
        parts.append(_population_points(points))
    if unit_points is not None:
        proxies = proxy_sites(units, how=unit_points, points=points)
        names = units.set_index("unit_code")["unit_name"].astype(str)
        parts.append(
            gpd.GeoDataFrame(
                {
                    "site_id": "unit point:" + proxies["unit_code"].astype(str),
                    "name": [
                        f"{names[c]}: {unit_points.replace('_', ' ')}" for c in proxies["unit_code"]
                    ],
                    "kind": "unit point",
                    "source_id": proxies["unit_code"].astype(str),
                },
                geometry=proxies.geometry.to_numpy(),
                crs=settings.CRS,
            )
        )
    if not parts:
        raise AccessibilityError(
            "no candidate sources: give libraries, centres, stop hubs or unit points"
        )
    gathered = pd.concat(parts, ignore_index=True)
    candidates = gpd.GeoDataFrame(gathered, geometry="geometry", crs=settings.CRS)
    tagged = stop_rule(
        candidates, stops, stop_distance, network, units=units, fallback=fallback
    ).rename(columns={"distance": "stop_distance"})
    out = tagged[list(CANDIDATE_COLUMNS)].copy()
    out = gpd.GeoDataFrame(out, geometry="geometry", crs=settings.CRS)
    outside = out["unit_code"].isna()
    out.attrs = {
        "candidates": shared(
            {
                "by_kind": {k: int(v) for k, v in out["kind"].value_counts().items()},
                "meeting_rule": int(out["meets_rule"].sum()),
                "outside_units": out.loc[outside, "site_id"].tolist(),
                "units_without_candidate": sorted(
                    set(units["unit_code"].astype(str)) - set(out["unit_code"].dropna())
                ),
                "stop_distance_m": float(stop_distance),
                "method": "network" if network is not None else "euclidean",
            }
        )
    }
    return out


def _from_sites(sites: gpd.GeoDataFrame, kind: str) -> gpd.GeoDataFrame:
    """Libraries or centres as candidates (ids prefixed by kind so that sources never clash)."""
    for column in ("site_id", "geometry"):
        if column not in sites.columns:
            raise MissingColumnError(None, f"{kind} layer has no such column", field=column)
    sites = to_working_crs(sites, source=kind)
    names = sites["name"] if "name" in sites.columns else sites["site_id"]
    return gpd.GeoDataFrame(
        {
            "site_id": (kind + ":" + sites["site_id"].astype(str)).to_numpy(),
            "name": names.astype(str).to_numpy(),
            "kind": kind,
            "source_id": sites["site_id"].astype(str).to_numpy(),
        },
        geometry=sites.geometry.to_numpy(),
        crs=settings.CRS,
    )


def _stop_hubs(units: gpd.GeoDataFrame, stops: gpd.GeoDataFrame, per_unit: int) -> gpd.GeoDataFrame:
    """The ``per_unit`` intercity stops with the most routes in each unit."""
    from ..io.units import assign_units

    if "intercity" not in stops.columns:
        raise MissingColumnError(None, "stops layer has no such column", field="intercity")
    intercity = to_working_crs(stops, source="stops")
    intercity = intercity[intercity["intercity"].fillna(False).astype(bool)]
    located = assign_units(intercity, units)
    if "route_count" in located.columns:
        served = pd.to_numeric(located["route_count"], errors="coerce").fillna(0).to_numpy()
    elif "routes" in located.columns:
        served = np.array(
            [len(r) if isinstance(r, (list, tuple)) else 0 for r in located["routes"]]
        )
    else:
        served = np.zeros(len(located))
    frame = located.assign(_served=served, stop_id=located["stop_id"].astype(str))
    frame = frame[frame["unit_code"].notna()]
    frame = frame.sort_values(["unit_code", "_served", "stop_id"], ascending=[True, False, True])
    frame = frame.groupby("unit_code", sort=True).head(per_unit)
    names = frame["stop_name"] if "stop_name" in frame.columns else frame["stop_id"]
    return gpd.GeoDataFrame(
        {
            "site_id": ("stop hub:" + frame["stop_id"]).to_numpy(),
            "name": names.astype(str).to_numpy(),
            "kind": "stop hub",
            "source_id": frame["stop_id"].to_numpy(),
        },
        geometry=frame.geometry.to_numpy(),
        crs=settings.CRS,
    )


def _every_stop(
    units: gpd.GeoDataFrame, stops: gpd.GeoDataFrame, taken: set[str]
) -> gpd.GeoDataFrame:
    """Every stop inside a unit, intercity or not, except those already taken as hubs."""
    from ..io.units import assign_units

    located = assign_units(to_working_crs(stops, source="stops"), units)
    located = located[located["unit_code"].notna()]
    ids = located["stop_id"].astype(str)
    located = located[~ids.isin(taken)]
    ids = located["stop_id"].astype(str)
    names = located["stop_name"] if "stop_name" in located.columns else ids
    return gpd.GeoDataFrame(
        {
            "site_id": ("stop:" + ids).to_numpy(),
            "name": names.astype(str).to_numpy(),
            "kind": "stop",
            "source_id": ids.to_numpy(),
        },
        geometry=located.geometry.to_numpy(),
        crs=settings.CRS,
    )


def _population_points(points: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Every population point as a candidate, named after its unit and row (stable for one input)."""
    if "unit_code" not in points.columns:
        raise MissingColumnError(None, "population points have no such column", field="unit_code")
    points = to_working_crs(points, source="population points")
    codes = points["unit_code"].astype(str).to_numpy()
    source = [f"{code}:{row}" for code, row in zip(codes, range(len(points)), strict=True)]
    return gpd.GeoDataFrame(
        {
            "site_id": ["population point:" + s for s in source],
            "name": [f"population point {s}" for s in source],
            "kind": "population point",
            "source_id": source,
        },
        geometry=points.geometry.to_numpy(),
        crs=settings.CRS,
    )
