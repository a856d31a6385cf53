"""Per-centre justification and closure effects against a plain loop over people and centres."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point

from accessibility import settings
from accessibility.planning.justify import centre_popup_lines, justify_centres

X0, Y0 = 500_000.0, 300_000.0
THRESHOLDS = (1_000.0, 5_000.0)


def _layers(seed: int):
    rng = np.random.default_rng(seed)
    n_people, n_cand = 40, 12
    pxy = rng.uniform(0, 12_000, (n_people, 2))
    cxy = rng.uniform(0, 12_000, (n_cand, 2))
    unit = lambda x: "A" if x < 6_000 else "B"
    demand = gpd.GeoDataFrame(
        {"unit_code": [unit(x) for x in pxy[:, 0]], "population": rng.integers(1, 50, n_people)},
        geometry=[Point(X0 + x, Y0 + y) for x, y in pxy],
        crs=settings.CRS,
    )
    candidates = gpd.GeoDataFrame(
        {
            "site_id": [f"c{i}" for i in range(n_cand)],
            "name": [f"C{i}" for i in range(n_cand)],
            "unit_code": [unit(x) for x in cxy[:, 0]],
            "meets_rule": rng.random(n_cand) < 0.6,
        },
        geometry=[Point(X0 + x, Y0 + y) for x, y in cxy],
        crs=settings.CRS,
    )
    # The plan: two centres in A and one in B (the first of each unit's candidates).
    picks = []
    for u, k in (("A", 2), ("B", 1)):
        picks.extend(candidates.index[candidates["unit_code"] == u][:k])
    return demand, candidates, candidates.loc[picks].reset_index(drop=True)


def _xy(g):
    return (g.x, g.y)


@pytest.mark.parametrize("own", [False, True])
@pytest.mark.parametrize("seed", range(4))
def test_justification_against_loops(seed, own):
    demand, candidates, centres = _layers(seed)
    table = justify_centres(
        centres, demand, candidates=candidates, thresholds=THRESHOLDS, own_unit_only=own
    )
    people = [(float(r.population), _xy(r.geometry), r.unit_code) for r in demand.itertuples()]
    sites = [_xy(g) for g in centres.geometry]
    for i, row in table.iterrows():
        assigned = sole1 = sole5 = moved_extra = beyond = 0.0
        extras = []
        for w, p, _ in people:
            d = [math.dist(p, s) for s in sites]
            nearest = min(range(len(d)), key=d.__getitem__)
            if nearest != i:
                continue
            assigned += w
            others = [d[j] for j in range(len(d)) if j != i]
            second = min(others)
            sole1 += w if d[i] <= 1_000 < second else 0.0
            sole5 += w if d[i] <= 5_000 < second else 0.0
            moved_extra += w * (second - d[i])
            extras.append(second - d[i])
            beyond += w if d[i] <= 5_000 < second else 0.0
        assert row["population_assigned"] == pytest.approx(assigned)
        assert row["sole_within_1000m"] == pytest.approx(sole1)
        assert row["sole_within_5000m"] == pytest.approx(sole5)
        assert row["closure_population_moved"] == pytest.approx(assigned)
        if assigned:
            assert row["closure_extra_mean_m"] == pytest.approx(moved_extra / assigned)
            assert row["closure_extra_max_m"] == pytest.approx(max(extras))
        assert row["closure_beyond_5000m"] == pytest.approx(beyond)
        others = [math.dist(sites[i], s) for j, s in enumerate(sites) if j != i]
        assert row["nearest_other_centre_m"] == pytest.approx(min(others))
        # Next best: every other candidate of the unit (rule-meeting ones when the unit has any),
        # swapped in for this centre, on the unit's own people.
        unit = centres.loc[i, "unit_code"]
        pool = candidates[
            (candidates["unit_code"] == unit) & ~candidates["site_id"].isin(centres["site_id"])
        ]
        if candidates.loc[candidates["unit_code"] == unit, "meets_rule"].any():
            pool = pool[pool["meets_rule"]]
        if pool.empty:
            assert row["next_best_site_id"] is None
            continue
        costs = {}
        # Own-unit measure: the unit's people to the unit's own centres only.
        kept = [j for j in range(len(sites)) if not own or centres.loc[j, "unit_code"] == unit]
        before = [sites[j] for j in kept]
        for alt in pool.itertuples():
            swapped = [sites[j] for j in kept if j != i] + [_xy(alt.geometry)]
            costs[alt.site_id] = sum(
                w * (min(math.dist(p, s) for s in swapped) - min(math.dist(p, s) for s in before))
                for w, p, u in people
                if u == unit
            )
        best = min(costs, key=costs.get)
        assert row["next_best_cost"] == pytest.approx(costs[best])
        assert costs[row["next_best_site_id"]] == pytest.approx(costs[best])
        unit_people = sum(w for w, _, u in people if u == unit)
        assert row["next_best_extra_mean_m"] == pytest.approx(costs[best] / unit_people)


def test_popup_lines_and_single_centre():
    demand, candidates, centres = _layers(9)
    one = centres.iloc[[0]]
    table = justify_centres(one, demand, candidates=candidates, thresholds=THRESHOLDS)
    row = table.iloc[0]
    assert row["population_assigned"] == demand["population"].sum()
    # With no other centre, closing it leaves everyone without one: no finite extra distance.
    assert np.isinf(row["nearest_other_centre_m"])
    assert np.isnan(row["closure_extra_mean_m"])
    assert row["closure_population_unreached"] == demand["population"].sum()
    lines = centre_popup_lines(table.iloc[0], THRESHOLDS)
    assert lines[0] == f"nearest centre of {demand['population'].sum():,.0f} people"


def _two_pairs():
    from shapely.geometry import box

    t1 = box(0, 0, 1000, 1000)
    p1 = box(-3000, -3000, 4000, 4000).difference(t1)
    t2 = box(10000, 0, 11000, 1000)
    p2 = box(7000, -3000, 14000, 4000).difference(t2)
    from shapely.affinity import translate

    units = gpd.GeoDataFrame(
        {
            "unit_code": ["0640201", "0640250", "0640270", "0640280"],
            "unit_name": ["Aizpute", "Aizputes pagasts", "Kandava", "Kandavas pagasts"],
            "unit_kind": ["town", "parish", "town", "parish"],
            "municipality_code": ["0640000"] * 4,
        },
        geometry=[translate(g, X0, Y0) for g in (t1, p1, t2, p2)],
        crs=settings.CRS,
    )
    pts = [(500, 500, "0640201", 1000), (-2000, 500, "0640250", 100), (3000, 500, "0640250", 50)]
    pts += [(10500, 500, "0640270", 2000), (8000, 500, "0640280", 300)]
    demand = gpd.GeoDataFrame(
        {"unit_code": [p[2] for p in pts], "population": [p[3] for p in pts]},
        geometry=[Point(X0 + p[0], Y0 + p[1]) for p in pts],
        crs=settings.CRS,
    )
    cs = [(900, 900, "0640201", True), (-2000, 500, "0640250", False), (3000, 500, "0640250", True)]
    cs += [(10500, 500, "0640270", True), (8000, 500, "0640280", True)]
    candidates = gpd.GeoDataFrame(
        {
            "site_id": [f"c{i}" for i in range(len(cs))],
            "name": [f"C{i}" for i in range(len(cs))],
            "kind": "stop",
            "unit_code": [c[2] for c in cs],
            "meets_rule": [c[3] for c in cs],
            "stop_distance": [0.0] * len(cs),
        },
        geometry=[Point(X0 + c[0], Y0 + c[1]) for c in cs],
        crs=settings.CRS,
    )
    return units, demand, candidates


def test_sharing_alternatives_ranked_by_cost():
    from accessibility.planning import plan_one_per_unit
    from accessibility.planning.justify import sharing_alternatives

    units, demand, candidates = _two_pairs()
    plan = plan_one_per_unit(units, candidates, demand, target=3, share_rule="same_name")
    table = sharing_alternatives(units, candidates, demand, plan, rule="same_name")
    people = [(r.population, _xy(r.geometry), r.unit_code) for r in demand.itertuples()]
    cands = [(_xy(r.geometry), r.unit_code, r.meets_rule) for r in candidates.itertuples()]

    def best(codes):
        pool = [c for c in cands if c[1] in codes]
        if any(c[2] for c in pool):
            pool = [c for c in pool if c[2]]
        return min(pool, key=lambda c: served(codes, [c]))

    def served(codes, sites):
        return sum(w * min(math.dist(p, s[0]) for s in sites) for w, p, u in people if u in codes)

    expected = {}
    for town, parish in (("0640201", "0640250"), ("0640270", "0640280")):
        both = {town, parish}
        apart = [best({town}), best({parish})]
        expected[(town, parish)] = served(both, [best(both)]) - served(both, apart)
    assert all(v >= 0 for v in expected.values())
    got = {(r.town_code, r.parish_code): r.cost for r in table.itertuples()}
    assert got == pytest.approx(expected)
    assert list(table["cost"]) == sorted(expected.values())
    assert table["cost_rank"].tolist() == [1, 2]
    # The plan shares the smaller pair (Aizpute, 1 150 people), whatever its cost.
    shared = table[table["in_plan"]]
    assert shared[["town_code", "parish_code"]].values.tolist() == [["0640201", "0640250"]]
    assert int(shared["planner_rank"].iloc[0]) == 1
