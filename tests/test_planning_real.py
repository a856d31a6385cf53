"""One centre per unit on the real 2024 units, stops and population (592 units, target 587)."""

from __future__ import annotations

import pytest

import accessibility as acc
from accessibility.coverage.demand import population_points
from accessibility.planning import build_candidates, plan_one_per_unit
from accessibility.planning.one_per_unit import name_stem

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def national(real_data):
    units = acc.load_units(acc.find_dataset("units", real_data))
    population = acc.load_population(acc.find_dataset("population", real_data))
    stops = acc.load_stops(acc.find_dataset("stops", real_data))
    points = population_points(units, population, resolution=5000)
    candidates = build_candidates(units, stops, hubs_per_unit=2)
    return units, population, stops, points, candidates


def test_plan_587_centres_for_592_units(national):
    units, _, _, points, candidates = national
    # The 2024 classification: 10 state cities (3 of them in a novads), 71 towns, 511 parishes.
    assert units["unit_kind"].value_counts().to_dict() == {
        "parish": 511,
        "town": 71,
        "state_city": 10,
    }
    plan = plan_one_per_unit(units, candidates, points, target=587)
    assert len(plan.centres) == 587
    assert len(plan.sharing) == 5
    kinds = units.set_index("unit_code")["unit_kind"]
    names = units.set_index("unit_code")["unit_name"]
    for pair in plan.sharing.itertuples():
        assert kinds[pair.town_code] == "town" and kinds[pair.parish_code] == "parish"
        assert name_stem(names[pair.town_code]) == name_stem(names[pair.parish_code])
    # Smallest combined population first: no unused same-name pair is smaller than the largest used.
    assert list(plan.sharing["combined_population"]) == sorted(plan.sharing["combined_population"])
    # Every unit is served exactly once, and all people are counted.
    served = [code for value in plan.centres["units_served"] for code in value.split(";")]
    assert sorted(served) == sorted(units["unit_code"])
    assert plan.centres["population"].sum() == points["population"].sum()
    # Units with a candidate meeting the stop rule got one that meets it.
    table = plan.units.set_index("unit_code")
    meets = plan.centres.set_index("site_id")["meets_rule"]
    for code, row in table.iterrows():
        if row["candidates_meeting_rule"] > 0 and row["shares_with"] is None:
            assert meets[row["site_id"]], code
