"""Candidates, one centre per unit (with sharing and second centres), and scenario comparison."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from accessibility import settings
from accessibility.planning import build_candidates, compare, plan_one_per_unit, sharing_pairs
from accessibility.planning.one_per_unit import name_stem

X0, Y0 = 500_000.0, 300_000.0


def _shift(geom):
    from shapely.affinity import translate

    return translate(geom, X0, Y0)


@pytest.fixture
def toy():
    """Two towns inside parishes of the same name, and a parish between them without candidates.

    Aizpute (town) 0..1000 inside Aizputes pagasts -3000..4000; Cīravas pagasts 4000..7000;
    Kandava (town) 10000..11000 inside Kandavas pagasts 7000..14000 (x; y spans -3000..4000).
    """
    t1 = box(0, 0, 1000, 1000)
    p1 = box(-3000, -3000, 4000, 4000).difference(t1)
    p3 = box(4000, -3000, 7000, 4000)
    t2 = box(10000, 0, 11000, 1000)
    p2 = box(7000, -3000, 14000, 4000).difference(t2)
    units = gpd.GeoDataFrame(
        {
            "unit_code": ["0640201", "0640250", "0640260", "0640270", "0640280"],
            "unit_name": [
                "Aizpute",
                "Aizputes pagasts",
                "Cīravas pagasts",
                "Kandava",
                "Kandavas pagasts",
            ],
            "unit_kind": ["town", "parish", "parish", "town", "parish"],
            "municipality_code": ["0640000"] * 5,
            "municipality_name": ["Dienvidkurzemes novads"] * 5,
        },
        geometry=[_shift(g) for g in (t1, p1, p3, t2, p2)],
        crs=settings.CRS,
    )
    demand = gpd.GeoDataFrame(
        {"population": [1000, 100, 50, 80, 2000, 300]},
        geometry=[_shift(Point(x, 500)) for x in (500, -2000, 3000, 5500, 10500, 8000)],
        crs=settings.CRS,
    )
    candidates = gpd.GeoDataFrame(
        {
            "site_id": ["a", "b", "c", "d", "e", "f"],
            "name": ["A", "B", "C", "D", "E", "F"],
            "kind": ["library", "library", "library", "unit point", "stop hub", "library"],
            "unit_code": ["0640201", "0640201", "0640250", "0640250", "0640270", "0640280"],
            "meets_rule": [False, True, False, False, True, True],
            "stop_distance": [900.0, 300.0, 5000.0, 4000.0, 0.0, 650.0],
        },
        geometry=[
            _shift(Point(x, y))
            for x, y in (
                (500, 500),
                (900, 900),
                (-2000, 500),
                (3000, 500),
                (10500, 500),
                (8000, 500),
            )
        ],
        crs=settings.CRS,
    )
    return units, demand, candidates


def test_name_stem_pairs_town_and_parish():
    assert name_stem("Aizpute") == name_stem("Aizputes pagasts") == "aizput"
    assert name_stem("Saldus") == name_stem("Saldus pagasts")
    assert name_stem("Kandava") == name_stem("Kandavas pagasts")
    assert name_stem("Cīravas pagasts") != name_stem("Aizpute")


def test_sharing_pairs_smallest_first(toy):
    units, _, _ = toy
    population = pd.Series({"0640201": 1000, "0640250": 150, "0640270": 2000, "0640280": 300})
    pairs = sharing_pairs(units, population, "same_name")
    assert pairs[["town_code", "parish_code"]].values.tolist() == [
        ["0640201", "0640250"],  # 1150 people
        ["0640270", "0640280"],  # 2300 people
    ]
    assert pairs["combined_population"].tolist() == [1150, 2300]
    # Adjacency also finds the same two pairs here (each town touches only its own parish).
    adjacent = sharing_pairs(units, population, "adjacent")
    assert set(map(tuple, adjacent[["town_code", "parish_code"]].values)) == {
        ("0640201", "0640250"),
        ("0640270", "0640280"),
    }


def test_one_centre_per_unit(toy):
    units, demand, candidates = toy
    plan = plan_one_per_unit(units, candidates, demand)
    chosen = {
        code: (None if pd.isna(site) else site)
        for code, site in zip(plan.units["unit_code"], plan.units["site_id"])
    }
    # Aizpute: b meets the stop rule, a (closer to the people) does not -> b.
    # Aizputes pagasts: nobody meets it; c costs 100*0 + 50*5000 = 250 000, d 100*5000 = 500 000 -> c.
    # Cīravas pagasts: no candidate.
    assert chosen == {
        "0640201": "b",
        "0640250": "c",
        "0640260": None,
        "0640270": "e",
        "0640280": "f",
    }
    reasons = dict(zip(plan.units["unit_code"], plan.units["reason"]))
    assert reasons["0640201"].startswith("1 of 2 candidates meet the stop rule (this one is 300 m")
    assert "only one of them, so there is no runner-up" in reasons["0640201"]
    assert reasons["0640250"].startswith("none of the 2 candidates meets the stop rule")
    # Aizputes pagasts: c (250 000 m·people over 150 people) beats d (500 000) by 1 667 m.
    assert "the runner-up, D (d), gives 3,333 m, 1,667 m (100.0%) worse" in reasons["0640250"]
    runner = plan.units.set_index("unit_code")
    assert runner.loc["0640250", "runner_up_site_id"] == "d"
    assert runner.loc["0640250", "runner_up_mean_distance"] == pytest.approx(500_000 / 150)
    assert reasons["0640260"] == "no candidate in the unit"
    centres = plan.centres.set_index("site_id")
    # Mean distance in Aizpute: the one demand point at (500, 500), b at (900, 900).
    assert centres.loc["b", "mean_distance"] == pytest.approx(np.hypot(400, 400))
    assert centres.loc["c", "mean_distance"] == pytest.approx(50 * 5000 / 150)
    summary = plan.summary()
    assert summary["centres"] == 4
    assert summary["units_without_centre"] == 1
    assert summary["centres_meeting_rule"] == 3


def test_target_below_units_shares_smallest_pair(toy):
    units, demand, candidates = toy
    plan = plan_one_per_unit(units, candidates, demand, target=4)
    assert plan.sharing[["town_code", "parish_code"]].values.tolist() == [["0640201", "0640250"]]
    assert "smallest combined population (1150)" in plan.sharing["reason"].iloc[0]
    # The pair's centre is chosen over both units: only b meets the rule.
    served = plan.centres.set_index("site_id").loc["b", "units_served"]
    assert served == "0640201;0640250"
    assert plan.units.set_index("unit_code").loc["0640250", "shares_with"] == "0640201"
    assert len(plan.centres) == 3  # P3 still has no candidate; the note below does not apply
    assert "target_not_met" not in plan.notes
    # Three pairs cannot be found: said, not hidden.
    short = plan_one_per_unit(units, candidates, demand, target=2)
    assert len(short.sharing) == 2
    assert "finds only 2 disjoint town-parish pairs" in short.notes["target_not_met"]


def test_target_above_units_gives_a_second_centre(toy):
    units, demand, candidates = toy
    plan = plan_one_per_unit(units, candidates, demand, target=6)
    # Only Aizputes pagasts has two usable candidates (c, d; none meets the rule): saving 250 000.
    assert plan.extra["unit_code"].tolist() == ["0640250"]
    assert plan.extra["saving"].iloc[0] == pytest.approx(250_000)
    assert sorted(plan.units.set_index("unit_code").loc["0640250", "site_id"].split(";")) == [
        "c",
        "d",
    ]
    assert len(plan.centres) == 5


def test_missing_column_is_named(toy):
    units, demand, candidates = toy
    with pytest.raises(ValueError, match="meets_rule"):
        plan_one_per_unit(units, candidates.drop(columns="meets_rule"), demand)


def test_compare_hand_figures(toy):
    units, demand, candidates = toy
    plan = plan_one_per_unit(units, candidates, demand)
    existing = candidates[candidates["site_id"].isin(["a", "e"])]
    table = compare(
        {"existing": existing, "plan": plan}, demand, units=units, thresholds=(1000, 5000)
    )
    w = demand["population"].to_numpy(float)
    xy = np.column_stack([demand.geometry.x, demand.geometry.y])
    for name, sites in (("existing", existing), ("plan", plan.centres)):
        sxy = np.column_stack([sites.geometry.x, sites.geometry.y])
        d = np.linalg.norm(xy[:, None] - sxy[None], axis=2).min(axis=1)
        assert table.loc[name, "mean_distance_m"] == pytest.approx(w @ d / w.sum())
        assert table.loc[name, "population_beyond_1000m"] == pytest.approx(w[d > 1000].sum())
        assert table.loc[name, "population_beyond_5000m"] == pytest.approx(w[d > 5000].sum())
    assert table.loc["existing", "sites"] == 2
    assert table.loc["existing", "sites_meeting_rule"] == 1
    assert table.loc["plan", "share_meeting_rule"] == pytest.approx(3 / 4)
    # Existing: a and e lie in Aizpute and Kandava only; the plan leaves Cīravas pagasts out.
    assert table.loc["existing", "units_without_centre"] == 3
    assert table.loc["plan", "units_without_centre"] == 1


def test_build_candidates_on_synthetic_region():
    from accessibility.demo import region as synthetic
    from accessibility.io.units import assign_units

    region = synthetic.load_region()
    units, stops = region["units"], region["stops"]
    found = build_candidates(units, stops, libraries=region["libraries"], centres=region["centres"])
    kinds = found["kind"].value_counts().to_dict()
    assert kinds["library"] == len(region["libraries"])
    assert kinds["centre"] == len(region["centres"])
    assert kinds["unit point"] == len(units)
    intercity = stops[stops["intercity"]]
    with_hub = assign_units(intercity, units)["unit_code"].dropna().nunique()
    assert kinds["stop hub"] == with_hub
    assert found["site_id"].is_unique
    # The stop rule by hand: straight-line distance to the nearest intercity stop.
    cxy = np.column_stack([found.geometry.x, found.geometry.y])
    sxy = np.column_stack([intercity.geometry.x, intercity.geometry.y])
    nearest = np.linalg.norm(cxy[:, None] - sxy[None], axis=2).min(axis=1)
    np.testing.assert_allclose(found["stop_distance"], nearest)
    assert (found["meets_rule"] == (nearest <= settings.STOP_RULE_DISTANCE_M)).all()
    assert (found.loc[found["kind"] == "stop hub", "stop_distance"] == 0).all()
    # Units as assign_units gives them.
    expected = assign_units(found.drop(columns=["unit_code", "municipality_code"]), units)
    assert (found["unit_code"].to_numpy() == expected["unit_code"].to_numpy()).all()
    plan = plan_one_per_unit(units, found, _points(region))
    assert plan.summary()["units_without_centre"] == 0
    # Every unit with a candidate that meets the rule got such a candidate.
    table = plan.units
    has_meeting = table["candidates_meeting_rule"] > 0
    chosen = plan.centres.set_index("unit_code")["meets_rule"]
    assert chosen[table.loc[has_meeting, "unit_code"]].all()


def _points(region):
    from accessibility.coverage.demand import population_points

    return population_points(region["units"], region["population"])
