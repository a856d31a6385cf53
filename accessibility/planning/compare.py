"""Coverage figures of several networks of centres side by side (existing, planned, alternatives)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from .. import settings
from .._errors import AccessibilityError, MissingColumnError
from ..coverage._bounds import has_bounds
from ..coverage.core import DEFAULT_THRESHOLDS, stop_rule
from ..coverage.fairness import distance_distribution
from ..network.distance import nearest
from ..projection import to_working_crs


def compare(
    scenarios: Mapping[str, Any],
    demand: gpd.GeoDataFrame,
    *,
    units: gpd.GeoDataFrame | None = None,
    stops: gpd.GeoDataFrame | None = None,
    network: Any = None,
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
    stop_distance: float = settings.STOP_RULE_DISTANCE_M,
    cutoff: float | None = None,
) -> pd.DataFrame:
    """A table of coverage figures, one row per scenario.

    Parameters
    ----------
    scenarios
        Name -> sites (a GeoDataFrame with ``site_id`` and points, or a
        :class:`~accessibility.planning.one_per_unit.UnitPlan`, or a ``LocationResult`` together
        with its candidates as ``(result, candidates)``).
    demand
        Population points with a ``population`` column.
    units
        Territorial units, to count units without a centre (optional).
    stops
        Stops with the ``intercity`` flag, to test sites that carry no ``meets_rule`` column.
    network
        Walking network (None: straight lines; the ``method`` column says which).
    thresholds
        Distances (metres) at which population beyond the nearest centre is counted.
    stop_distance
        The stop rule's distance (metres).
    cutoff
        Farthest distance searched (metres); people with no centre within it count as
        ``population_unreached`` and beyond every threshold, not in the mean.

    Returns
    -------
    pandas.DataFrame
        Indexed by scenario: ``sites``, ``sites_meeting_rule``, ``share_meeting_rule`` (with
        ``sites_meeting_rule_low`` and ``_high`` when some stops rest on cut route lists),
        ``population``, ``mean_distance_m`` (population-weighted, to the nearest site),
        ``population_beyond_<t>m`` per threshold, ``share_beyond_<t>m``, ``population_unreached``,
        ``p90_distance_m``, ``gini``, ``theil``, ``palma`` (of the reached people's distances, see
        :func:`accessibility.coverage.fairness.distance_distribution`), ``units_without_centre`` and
        ``method``.
    """
    if not scenarios:
        raise AccessibilityError("compare needs at least one scenario")
    demand = to_working_crs(demand, source="demand")
    if "population" not in demand.columns:
        raise MissingColumnError(None, "demand points have no such column", field="population")
    weights = demand["population"].to_numpy(dtype=float)
    total = float(weights.sum())
    rows = []
    for name, scenario in scenarios.items():
        sites = _as_sites(name, scenario)
        row: dict[str, Any] = {"scenario": name, "sites": len(sites)}
        if "meets_rule" in sites.columns:
            meets = sites["meets_rule"].fillna(False).astype(bool).to_numpy()
        elif stops is not None and len(sites):
            meets = stop_rule(sites, stops, stop_distance, network)["meets_rule"].to_numpy()
        else:
            meets = None
        row["sites_meeting_rule"] = int(meets.sum()) if meets is not None else np.nan
        row["share_meeting_rule"] = (
            float(meets.mean()) if meets is not None and len(sites) else np.nan
        )
        if stops is not None and len(sites) and has_bounds(stops):
            # The range the count could take by the cut route lists (see stop_rule).
            checked = stop_rule(sites, stops, stop_distance, network)
            row["sites_meeting_rule_low"] = int(checked["meets_rule_low"].sum())
            row["sites_meeting_rule_high"] = int(checked["meets_rule_high"].sum())
        row["population"] = total
        if len(sites):
            found = nearest(demand, sites, network=network, max_distance=cutoff)
            distance = found["distance"].to_numpy(dtype=float)
            method = str(found["method"].iloc[0]) if len(found) else "euclidean"
        else:
            distance = np.full(len(demand), np.inf)
            method = "network" if network is not None else "euclidean"
        reached = np.isfinite(distance)
        reached_people = float(weights[reached].sum())
        row["mean_distance_m"] = (
            float(weights[reached] @ distance[reached] / reached_people)
            if reached_people > 0
            else np.nan
        )
        for t in thresholds:
            beyond = float(weights[~reached | (distance > t)].sum())
            row[f"population_beyond_{t:g}m"] = beyond
            row[f"share_beyond_{t:g}m"] = beyond / total if total > 0 else np.nan
        row["population_unreached"] = float(weights[~reached].sum())
        # Equity beside efficiency: how unevenly the distance is shared (see accessibility.coverage.fairness).
        spread = distance_distribution(np.where(reached, distance, np.inf), weights, ())
        for key in ("p90_distance_m", "gini", "theil", "palma"):
            row[key] = spread[key]
        row["units_without_centre"] = _units_without(units, sites) if units is not None else np.nan
        row["method"] = method
        rows.append(row)
    return pd.DataFrame(rows).set_index("scenario")


def _as_sites(name: str, scenario: Any) -> gpd.GeoDataFrame:
    """The sites of one scenario as a GeoDataFrame in the working CRS."""
    from .one_per_unit import UnitPlan
    from .result import LocationResult

    if isinstance(scenario, UnitPlan):
        return scenario.sites
    if (
        isinstance(scenario, tuple)
        and len(scenario) == 2
        and isinstance(scenario[0], LocationResult)
    ):
        result, candidates = scenario
        return to_working_crs(candidates, source=name).iloc[result.selected].reset_index(drop=True)
    if isinstance(scenario, gpd.GeoDataFrame):
        if "site_id" not in scenario.columns:
            raise MissingColumnError(None, f"scenario {name!r} has no such column", field="site_id")
        return to_working_crs(scenario, source=name).reset_index(drop=True)
    raise AccessibilityError(
        f"scenario {name!r} is a {type(scenario).__name__}; give a sites GeoDataFrame, a UnitPlan "
        "or (LocationResult, candidates)"
    )


def _units_without(units: gpd.GeoDataFrame, sites: gpd.GeoDataFrame) -> int:
    """Units with no site inside them (served units of a shared centre count as served)."""
    codes = set(units["unit_code"].astype(str))
    served: set[str] = set()
    if "units_served" in sites.columns:
        for value in sites["units_served"].dropna():
            served.update(str(value).split(";"))
    elif len(sites):
        from ..io.units import assign_units

        located = assign_units(sites, units)
        served.update(located["unit_code"].dropna().astype(str))
    return len(codes - served)
