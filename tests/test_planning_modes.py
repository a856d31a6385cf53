"""At least one centre per unit and N more, and the population cap, against exact brute force."""

from __future__ import annotations

import itertools

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point, box

from accessibility import settings
from accessibility._errors import AccessibilityError
from accessibility.planning.modes import (
    at_least_one_per_unit,
    capacity_plan,
    centres_needed,
    plan_modes,
)

X0, Y0 = 500_000.0, 300_000.0


def _instance(seed: int, n_rows: int = 14, n_cols: int = 9, n_units: int = 3):
    rng = np.random.default_rng(seed)
    demand_xy = rng.uniform(0, 9_000, (n_rows, 2))
    cand_xy = rng.uniform(0, 9_000, (n_cols, 2))
    cost = np.hypot(
        demand_xy[:, None, 0] - cand_xy[None, :, 0], demand_xy[:, None, 1] - cand_xy[None, :, 1]
    )
    weights = rng.integers(1, 1000, n_rows).astype(float)
    # Units are vertical strips of 3 km; every unit gets at least one candidate.
    cand_unit = [f"u{min(int(x // 3000), n_units - 1)}" for x in cand_xy[:, 0]]
    for u in range(n_units):
        if f"u{u}" not in cand_unit:
            cand_unit[u] = f"u{u}"
    demand_unit = [f"u{min(int(x // 3000), n_units - 1)}" for x in demand_xy[:, 0]]
    return cost, weights, cand_unit, demand_unit


def _objective(cost, weights, chosen):
    return float(weights @ cost[:, list(chosen)].min(axis=1))


def _brute_at_least(cost, weights, cand_unit, p, fixed=()):
    units = set(cand_unit)
    best = np.inf
    for combo in itertools.combinations(range(cost.shape[1]), p):
        if not set(fixed) <= set(combo):
            continue
        if {cand_unit[j] for j in combo} != units:
            continue
        best = min(best, _objective(cost, weights, combo))
    return best


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("extra", [0, 1, 2])
def test_at_least_one_plus_extra_is_exact(seed, extra):
    cost, weights, cand_unit, _ = _instance(seed)
    found = at_least_one_per_unit(cost, weights, cand_unit, extra)
    assert found.selected.size == 3 + extra
    assert {cand_unit[j] for j in found.selected} == set(cand_unit)
    assert found.objective == pytest.approx(_objective(cost, weights, found.selected))
    assert found.objective == pytest.approx(_brute_at_least(cost, weights, cand_unit, 3 + extra))


def test_heuristic_solves_the_same_rule():
    cost, weights, cand_unit, _ = _instance(11)
    found = at_least_one_per_unit(cost, weights, cand_unit, 2, heuristic=True)
    assert {cand_unit[j] for j in found.selected} == set(cand_unit)
    exact = _brute_at_least(cost, weights, cand_unit, 5)
    assert found.objective >= exact - 1e-6
    assert found.bound <= exact + 1e-6


def test_centres_needed():
    import pandas as pd

    need = centres_needed(pd.Series({"a": 0, "b": 50_000, "c": 50_001, "d": 674_510}), 50_000)
    assert need.to_dict() == {"a": 1, "b": 1, "c": 2, "d": 14}
    with pytest.raises(ValueError, match="positive"):
        centres_needed(pd.Series({"a": 1}), 0)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("extra", [0, 1])
def test_capacity_plan_against_brute_force(seed, extra):
    cost, weights, cand_unit, demand_unit = _instance(seed, n_rows=16, n_cols=10)
    pop = {u: weights[[d == u for d in demand_unit]].sum() for u in set(demand_unit)}
    big = max(pop, key=pop.get)
    cap = pop[big] / 2.5  # the most populous unit needs three centres (or all it has)
    need = {u: max(1, int(np.ceil(p / cap))) for u, p in pop.items()}
    found = capacity_plan(cost, weights, demand_unit, cand_unit, cap, extra=extra)
    # Brute force, step 1: each unit needing k >= 2 gets the best k of its own candidates for
    # its own people.
    fixed = []
    for u, k in need.items():
        cols = [j for j, c in enumerate(cand_unit) if c == u]
        k = min(k, len(cols))
        if k < 2:
            continue
        rows = [i for i, d in enumerate(demand_unit) if d == u]
        sub_w = weights[rows]
        best = min(
            itertools.combinations(cols, k),
            key=lambda combo: _objective(cost[rows], sub_w, combo),
        )
        assert sorted(found.details["needed"]) == sorted(
            v for v, kk in need.items() if min(kk, cand_unit.count(v)) >= 2
        )
        fixed.extend(best)
        assert set(best) <= set(found.selected.tolist())
    # Step 2: with those open, at least one per unit and `extra` more, exactly.
    held = {cand_unit[j] for j in fixed}
    p = len(set(cand_unit) - held) + len(fixed) + extra
    assert found.selected.size == p
    assert found.objective == pytest.approx(_brute_at_least(cost, weights, cand_unit, p, fixed))


def _toy_layers():
    """Two parishes; the first holds most people at both of its ends."""
    units = gpd.GeoDataFrame(
        {"unit_code": ["u1", "u2"], "unit_name": ["A", "B"]},
        geometry=[
            box(X0, Y0, X0 + 20_000, Y0 + 2_000),
            box(X0 + 20_000, Y0, X0 + 24_000, Y0 + 2_000),
        ],
        crs=settings.CRS,
    )
    xs = [1_000, 2_000, 18_000, 19_000, 22_000]
    pops = [5_000, 5_000, 5_000, 5_000, 100]
    demand = gpd.GeoDataFrame(
        {"unit_code": ["u1", "u1", "u1", "u1", "u2"], "population": pops},
        geometry=[Point(X0 + x, Y0 + 1_000) for x in xs],
        crs=settings.CRS,
    )
    cx = [1_500, 10_000, 18_500, 21_000, 23_000]
    candidates = gpd.GeoDataFrame(
        {
            "site_id": [f"c{i}" for i in range(5)],
            "name": [f"C{i}" for i in range(5)],
            "kind": "stop",
            "unit_code": ["u1", "u1", "u1", "u2", "u2"],
            "meets_rule": [True, True, True, True, False],
            "stop_distance": [0.0, 0.0, 0.0, 0.0, 2_000.0],
        },
        geometry=[Point(X0 + x, Y0 + 1_000) for x in cx],
        crs=settings.CRS,
    )
    return units, candidates, demand


def test_plan_modes_on_layers():
    units, candidates, demand = _toy_layers()
    one = plan_modes(units, candidates, demand, extra=0, block=500)
    # One per unit, people free to cross the boundary: with c3 (B's only rule-meeting site) at
    # 21 km serving A's eastern end, A's centre goes west (c0: 30.1 M person-metres) rather than
    # to the middle (c1: 110.1 M). c4 does not meet the rule and B has c3 that does.
    assert sorted(one.centres["site_id"]) == ["c0", "c3"]
    assert one.result.objective == pytest.approx(
        5_000 * 500 * 2 + 5_000 * 3_000 + 5_000 * 2_000 + 100 * 1_000
    )
    more = plan_modes(units, candidates, demand, extra=1, block=500)
    assert sorted(more.centres["site_id"]) == ["c0", "c2", "c3"]
    assert set(more.centres["centre_role"]) == {"one of several", "unit centre"}
    capped = plan_modes(units, candidates, demand, max_population=10_000, block=500)
    assert sorted(capped.centres["site_id"]) == ["c0", "c2", "c3"]
    assert capped.notes["units_needing_more"] == {"u1": 2}
    assert (
        capped.centres.loc[capped.centres["unit_code"] == "u1", "centre_role"] == "capacity"
    ).all()
    assert capped.notes["solver"] == "exact (HiGHS)"


def test_scenarios_in_worker_processes_are_the_scenarios_planned_here():
    from accessibility.run._scenarios import start_scenarios

    units, candidates, demand = _toy_layers()
    jobs = {
        "extra": {"extra": 1, "block": 500},
        "capacity": {"max_population": 10_000, "block": 500},
    }
    here = start_scenarios(units, candidates, demand, None, jobs, workers=1)
    assert not here._running  # one worker: planned in this process
    serial = here.result()
    forked = start_scenarios(units, candidates, demand, None, jobs, workers=2)
    assert set(forked._running) == {"extra", "capacity"}
    parallel = forked.result()
    assert list(parallel) == list(serial) == ["extra", "capacity"]
    for name in jobs:
        assert parallel[name].centres.equals(serial[name].centres)
        assert parallel[name].result.objective == serial[name].result.objective
    assert sorted(parallel["capacity"].centres["site_id"]) == ["c0", "c2", "c3"]


def test_a_scenario_that_fails_in_its_worker_raises_here():
    from accessibility.run._scenarios import start_scenarios

    units, candidates, demand = _toy_layers()
    jobs = {"extra": {"extra": -1, "block": 500}}
    with pytest.raises(AccessibilityError, match="extra centres must be 0 or more"):
        start_scenarios(units, candidates, demand, None, jobs, workers=2).result()
