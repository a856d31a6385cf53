"""The full candidate pool (every stop, every population point) and the one-per-unit choice over it,
checked against a brute force written independently of the planner."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point, box

from accessibility import settings
from accessibility.planning import build_candidates, plan_one_per_unit

X0, Y0 = 500_000.0, 300_000.0


def _units() -> gpd.GeoDataFrame:
    """Three parishes side by side, 4 km × 4 km each."""
    return gpd.GeoDataFrame(
        {
            "unit_code": ["0100001", "0100002", "0100003"],
            "unit_name": ["Apes pagasts", "Bērzu pagasts", "Cēsu pagasts"],
            "unit_kind": ["parish"] * 3,
            "municipality_code": ["0100000"] * 3,
        },
        geometry=[box(X0 + 4000 * i, Y0, X0 + 4000 * (i + 1), Y0 + 4000) for i in range(3)],
        crs=settings.CRS,
    )


def _random_instance(seed: int):
    rng = np.random.default_rng(seed)
    units = _units()
    n_demand, n_stops = 30, 18
    dx = rng.uniform(50, 11_950, n_demand)
    dy = rng.uniform(50, 3_950, n_demand)
    demand = gpd.GeoDataFrame(
        {
            "unit_code": [units["unit_code"][int(x // 4000)] for x in dx],
            "population": rng.integers(1, 500, n_demand),
        },
        geometry=[Point(X0 + x, Y0 + y) for x, y in zip(dx, dy, strict=True)],
        crs=settings.CRS,
    )
    sx = rng.uniform(50, 11_950, n_stops)
    sy = rng.uniform(50, 3_950, n_stops)
    stops = gpd.GeoDataFrame(
        {
            "stop_id": [f"s{i}" for i in range(n_stops)],
            "stop_name": [f"Stop {i}" for i in range(n_stops)],
            "intercity": rng.random(n_stops) < 0.3,
            "route_count": rng.integers(1, 5, n_stops),
        },
        geometry=[Point(X0 + x, Y0 + y) for x, y in zip(sx, sy, strict=True)],
        crs=settings.CRS,
    )
    return units, demand, stops


def test_pool_holds_every_stop_and_population_point():
    units, demand, stops = _random_instance(1)
    pool = build_candidates(
        units, stops, points=demand, unit_points=None, every_stop=True, population_candidates=True
    )
    assert (pool["kind"] == "population point").sum() == len(demand)
    # Every stop appears once: as the unit's hub or as a plain stop.
    stop_rows = pool[pool["kind"].isin(["stop hub", "stop"])]
    assert sorted(stop_rows["source_id"]) == sorted(stops["stop_id"])
    assert stop_rows["site_id"].is_unique and pool["site_id"].is_unique
    # The stop rule tag is the straight line to the nearest intercity stop.
    inter = np.array([(p.x, p.y) for p in stops.geometry[stops["intercity"]]])
    for row in pool.itertuples():
        nearest = np.hypot(inter[:, 0] - row.geometry.x, inter[:, 1] - row.geometry.y).min()
        assert row.stop_distance == pytest.approx(nearest)
        assert row.meets_rule == (nearest <= 700)
    # Each candidate is tagged with the unit it lies in.
    for row in pool.itertuples():
        assert row.unit_code == units["unit_code"][int((row.geometry.x - X0) // 4000)]


def test_population_candidates_need_points():
    units, _, stops = _random_instance(2)
    with pytest.raises(ValueError, match="needs the population points"):
        build_candidates(units, stops, unit_points=None, population_candidates=True)


@pytest.mark.parametrize("seed", [3, 4, 5, 6])
def test_one_per_unit_matches_brute_force(seed):
    units, demand, stops = _random_instance(seed)
    pool = build_candidates(
        units, stops, points=demand, unit_points=None, every_stop=True, population_candidates=True
    )
    plan = plan_one_per_unit(units, pool, demand)
    chosen = plan.units.set_index("unit_code")
    for code in units["unit_code"]:
        people = demand[demand["unit_code"] == code]
        cands = pool[pool["unit_code"] == code]
        if cands["meets_rule"].any():
            cands = cands[cands["meets_rule"]]
        # Brute force: every candidate of the unit, a plain loop over the people.
        costs = {}
        for c in cands.itertuples():
            costs[c.site_id] = sum(
                p.population * math.dist((p.geometry.x, p.geometry.y), (c.geometry.x, c.geometry.y))
                for p in people.itertuples()
            )
        best = min(costs.values())
        total = float(people["population"].sum())
        assert chosen.loc[code, "mean_distance"] == pytest.approx(best / total)
        assert costs[chosen.loc[code, "site_id"]] == pytest.approx(best)
        ranked = sorted(costs.values())
        if len(ranked) > 1:
            assert chosen.loc[code, "runner_up_mean_distance"] == pytest.approx(ranked[1] / total)
        reason = chosen.loc[code, "reason"]
        assert f"{len(pool[pool['unit_code'] == code])} candidates" in reason


def test_one_per_unit_beats_busiest_stop_and_centroid():
    """Over the full pool the chosen centre is never worse than the old two-candidate choice."""
    units, demand, stops = _random_instance(7)
    full = build_candidates(
        units,
        stops,
        points=demand,
        unit_points="population_centre",
        every_stop=True,
        population_candidates=True,
    )
    old = build_candidates(units, stops, points=demand, unit_points="population_centre")
    new_plan = plan_one_per_unit(units, full, demand).units.set_index("unit_code")
    old_plan = plan_one_per_unit(units, old, demand).units.set_index("unit_code")
    for code in units["unit_code"]:
        # Only comparable where both pools face the same rule status.
        if bool(new_plan.loc[code, "meets_rule"]) == bool(old_plan.loc[code, "meets_rule"]):
            assert new_plan.loc[code, "mean_distance"] <= old_plan.loc[code, "mean_distance"] + 1e-6
    assert (new_plan["candidates"] > old_plan["candidates"]).all()
