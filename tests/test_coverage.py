"""Coverage on a hand-made region: stop rule, unit table, gaps, summary, outputs, bad input."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import LineString, Point, box

from accessibility import AccessibilityError, MissingColumnError
from accessibility.coverage._text import STRAIGHT_LINE_NOTE
from accessibility.coverage.core import (
    STATUS_FAILS,
    STATUS_MEETS,
    STATUS_NONE,
    STATUS_NOT_ASSESSED,
    STATUS_UNMEASURED,
    STATUS_VALUES,
    assess,
    gaps,
    proxy_sites,
    stop_rule,
    summary,
    unit_coverage,
    write_coverage,
)
from accessibility.coverage.demand import population_points
from accessibility.network.walk import walk_network

X0, Y0 = 500_000.0, 300_000.0


def at(x: float, y: float) -> Point:
    """A point in the test region, given in metres from its south-west corner."""
    return Point(X0 + x, Y0 + y)


@pytest.fixture
def units() -> gpd.GeoDataFrame:
    """Four 3 km squares in a row: U1, U2 in municipality A; U3, U4 in municipality B."""
    return gpd.GeoDataFrame(
        {
            "unit_code": ["0100001", "0100002", "0200001", "0200002"],
            "unit_name": ["One", "Two", "Three", "Four"],
            "unit_kind": ["town", "parish", "parish", "parish"],
            "municipality_code": ["0100000", "0100000", "0200000", "0200000"],
            "municipality_name": ["A novads", "A novads", "B novads", "B novads"],
        },
        geometry=[box(X0 + 3000 * i, Y0, X0 + 3000 * (i + 1), Y0 + 3000) for i in range(4)],
        crs="EPSG:3059",
    )


@pytest.fixture
def stops() -> gpd.GeoDataFrame:
    rows = [
        ("s1", "Intercity One", True, at(1000, 1500)),
        ("s2", "Local One", False, at(1200, 1500)),
        ("s3", "Local Two", False, at(4500, 1500)),
        ("s4", "Intercity Three", True, at(8900, 1500)),  # 100 m from unit Four
        ("s5", "Just outside Four", False, at(10500, -100)),  # 100 m south of unit Four
        ("s6", "Far away", False, at(20000, 1500)),
    ]
    return gpd.GeoDataFrame(
        {
            "stop_id": [r[0] for r in rows],
            "stop_name": [r[1] for r in rows],
            "routes": [["7001"] if r[2] else ["5001"] for r in rows],
            "mode": "bus",
            "intercity": [r[2] for r in rows],
        },
        geometry=[r[3] for r in rows],
        crs="EPSG:3059",
    )


@pytest.fixture
def centres() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "site_id": ["c1", "c2", "c3"],
            "name": ["Centre One", "Centre Three west", "Centre Three east"],
            "kind": "centre",
        },
        geometry=[at(1000, 1800), at(6500, 1500), at(8000, 1500)],
        crs="EPSG:3059",
    )


@pytest.fixture
def population() -> pd.DataFrame:
    # Unit Two has no figure in the table.
    return pd.DataFrame(
        {
            "unit_code": ["0100001", "0200001", "0200002"],
            "unit_name": ["One", "Three", "Four"],
            "year": 2024,
            "population": [900, 1800, 90],
        }
    )


# --- stop rule -------------------------------------------------------------------------------


def test_stop_rule_by_hand(stops, centres):
    result = stop_rule(centres, stops)
    assert list(result["site_id"]) == ["c1", "c2", "c3"]
    # The nearest *intercity* stop counts: c1's local stop s2 is closer but does not serve the rule.
    assert list(result["stop_id"]) == ["s1", "s4", "s4"]
    assert result["distance"].tolist() == pytest.approx([300.0, 2400.0, 900.0])
    assert result["meets_rule"].tolist() == [True, False, False]
    assert set(result["method"]) == {"euclidean"}
    assert result["note"].tolist() == ["", "", ""]
    assert result.crs.to_epsg() == 3059
    assert result.geometry.name == result.columns[-1]


def test_stop_rule_distance_is_inclusive_and_configurable(stops):
    sites = gpd.GeoDataFrame({"site_id": ["edge"]}, geometry=[at(1000, 2200)], crs="EPSG:3059")
    assert stop_rule(sites, stops)["meets_rule"].iloc[0]  # exactly 700 m
    assert not stop_rule(sites, stops, distance=699.9)["meets_rule"].iloc[0]
    with pytest.raises(AccessibilityError, match="positive"):
        stop_rule(sites, stops, distance=0)


def test_stop_rule_accepts_longitude_latitude(stops, centres):
    result = stop_rule(centres.to_crs("EPSG:4326"), stops.to_crs("EPSG:4326"))
    assert result["distance"].tolist() == pytest.approx([300.0, 2400.0, 900.0], abs=0.01)


def test_stop_rule_flags_missing_sea_and_duplicate_sites(stops, units):
    sites = gpd.GeoDataFrame(
        {"site_id": ["a", "b", "sea", "nowhere", "abroad"]},
        geometry=[at(1000, 1800), at(1000, 1800), at(1000, -5000), None, Point(0, 0)],
        crs="EPSG:3059",
    )
    result = stop_rule(sites, stops, units=units)
    assert result.loc[1, "note"] == "same location as site a"
    assert result.loc[1, "meets_rule"]  # a duplicate is still measured, and flagged
    assert result.loc[2, "note"] == "outside every territorial unit"
    assert pd.isna(result.loc[2, "unit_code"])
    assert result.loc[2, "distance"] == pytest.approx(6500.0)
    assert "site has no location" in result.loc[3, "note"]
    assert np.isnan(result.loc[3, "distance"]) and not result.loc[3, "meets_rule"]
    assert "outside Latvia" in result.loc[4, "note"]
    assert result.loc[0, "unit_code"] == "0100001"
    assert result.loc[0, "municipality_code"] == "0100000"


def test_stop_rule_refuses_repeated_site_ids(stops):
    sites = gpd.GeoDataFrame(
        {"site_id": ["a", "a"]}, geometry=[at(0, 0), at(5, 5)], crs="EPSG:3059"
    )
    with pytest.raises(AccessibilityError, match="'a' more than once"):
        stop_rule(sites, stops)


def test_stop_rule_without_intercity_stops_fails_every_site_with_a_reason(stops, centres):
    local = stops.assign(intercity=False)
    result = stop_rule(centres, local)
    assert np.isinf(result["distance"]).all()
    assert not result["meets_rule"].any()
    assert set(result["note"]) == {"no intercity stop"}


def test_stop_rule_on_empty_sites_gives_an_empty_table(stops, centres):
    result = stop_rule(centres.iloc[0:0], stops)
    assert len(result) == 0
    assert {"stop_id", "distance", "method", "meets_rule", "note"} <= set(result.columns)


def test_stop_rule_requires_the_intercity_flag(stops, centres):
    with pytest.raises(MissingColumnError, match="intercity"):
        stop_rule(centres, stops.drop(columns="intercity"))
    with pytest.raises(MissingColumnError, match="site_id"):
        stop_rule(centres.drop(columns="site_id"), stops)


@pytest.fixture
def street() -> object:
    """A street along y = 1500 through units One and Two only (ending 1 km short of Three's centres)."""
    lines = gpd.GeoDataFrame(
        geometry=[
            LineString([(X0 + x, Y0 + 1500), (X0 + x + 500, Y0 + 1500)])
            for x in range(0, 5500, 500)
        ],
        crs="EPSG:3059",
    )
    return walk_network(lines)


def test_stop_rule_on_a_network_marks_sites_it_does_not_reach(stops, centres, street):
    result = stop_rule(centres, stops, network=street)
    # c1 walks 300 m to the street, then along it to s1 standing on it.
    assert result.loc[0, "distance"] == pytest.approx(300.0)
    assert result.loc[0, "method"] == "network"
    # s4 is 2.9 km from the street's end: beyond the snap distance, so not reachable; never faked.
    assert np.isinf(result.loc[1, "distance"]) and np.isinf(result.loc[2, "distance"])
    assert not result.loc[1:2, "meets_rule"].any()
    assert all(note for note in result.loc[1:2, "note"])
    fallback = stop_rule(centres, stops, network=street, fallback=True)
    assert fallback["method"].tolist() == ["network", "euclidean", "euclidean"]
    assert fallback["distance"].tolist() == pytest.approx([300.0, 2400.0, 900.0])
    assert "straight line" in fallback.loc[2, "note"]


# --- unit table ------------------------------------------------------------------------------


def test_unit_table_counts_stops_and_centres(units, stops, centres, population):
    table = unit_coverage(units, stops, centres, population)
    assert list(table["unit_code"]) == ["0100001", "0100002", "0200001", "0200002"]
    assert table["stops"].tolist() == [2, 1, 1, 1]  # s5 given to Four; s6 counted nowhere
    assert table["intercity_stops"].tolist() == [1, 0, 1, 0]
    assert table["intercity_within_distance"].tolist() == [True, False, True, True]
    assert table["centres"].tolist() == [1, 0, 2, 0]
    assert table["best_centre"].tolist()[0] == "c1" and table["best_centre"].tolist()[2] == "c3"
    assert pd.isna(table["best_centre"].iloc[1])
    assert table["centre_stop_distance"].iloc[[0, 2]].tolist() == pytest.approx([300.0, 900.0])
    assert (
        table["centre_meets_rule"].tolist()[0] is True
        and table["centre_meets_rule"].tolist()[2] is False
    )
    assert pd.isna(table["centre_meets_rule"].iloc[1])
    assert table["status"].tolist() == [STATUS_MEETS, STATUS_NONE, STATUS_FAILS, STATUS_NONE]
    assert list(table["status"].cat.categories) == list(STATUS_VALUES)
    info = table.attrs["coverage"]["stops"]
    assert [s["stop_id"] for s in info["given_to_nearest_unit"]] == ["s5"]
    assert info["given_to_nearest_unit"][0]["unit_code"] == "0200002"
    assert info["given_to_nearest_unit"][0]["distance_to_unit_m"] == pytest.approx(100.0)
    assert [s["stop_id"] for s in info["outside_all_units"]] == ["s6"]
    assert table["stops"].sum() + len(info["outside_all_units"]) == len(stops)


def test_a_centre_serving_two_units_counts_in_both(units, stops, centres, population):
    # A plan lets c1 (in One) also serve Two, as a town and its parish sharing one centre.
    shared = centres.assign(units_served=["0100001;0100002", "", None])
    table = unit_coverage(units, stops, shared, population)
    assert table["centres"].tolist() == [1, 1, 2, 0]
    assert table["best_centre"].iloc[1] == "c1"
    assert table["centre_stop_distance"].iloc[1] == pytest.approx(300.0)
    assert table["status"].tolist() == [STATUS_MEETS, STATUS_MEETS, STATUS_FAILS, STATUS_NONE]


def test_unit_without_population_figure_is_na_and_flagged(units, stops, centres, population):
    table = unit_coverage(units, stops, centres, population)
    assert table["population"].dtype == "Int64"
    assert pd.isna(table.loc[1, "population"])
    assert table["population_missing"].tolist() == [False, True, False, False]
    assert pd.isna(table.loc[1, "pop_beyond_700"])
    assert table["population"].sum() == 2790


def test_population_distances_match_a_brute_force_computation(units, stops, centres, population):
    table = unit_coverage(units, stops, centres, population, thresholds=(700, 2000, 5000))
    points = population_points(units, population)
    px = np.c_[points.geometry.x, points.geometry.y]
    cx = np.c_[centres.geometry.x, centres.geometry.y]
    nearest = np.sqrt(((px[:, None, :] - cx[None, :, :]) ** 2).sum(axis=2)).min(axis=1)
    weights = points["population"].to_numpy()
    for code in ["0100001", "0200001", "0200002"]:
        mine = (points["unit_code"] == code).to_numpy()
        row = table.set_index("unit_code").loc[code]
        assert row["pop_mean_distance"] == pytest.approx(
            np.average(nearest[mine], weights=weights[mine])
        )
        for t in (700, 2000, 5000):
            assert row[f"pop_beyond_{t}"] == weights[mine][nearest[mine] > t].sum()
            assert row[f"share_beyond_{t}"] == pytest.approx(
                row[f"pop_beyond_{t}"] / row["population"], abs=1e-6
            )
        assert row["pop_unreachable"] == 0
        assert row["pop_distance_method"] == "euclidean"
    # Unit Four's grid columns lie 1.5-1.8, 2.5-2.7 and 3.5-3.6 km from c3.
    four = table.set_index("unit_code").loc["0200002"]
    assert (four["pop_beyond_700"], four["pop_beyond_2000"], four["pop_beyond_5000"]) == (90, 60, 0)


def test_unit_table_without_centres_or_stops(units, population):
    table = unit_coverage(units, population=population)
    assert len(table) == 4
    assert set(table["status"]) == {STATUS_NOT_ASSESSED}
    assert table["stops"].tolist() == [0, 0, 0, 0]
    assert table["intercity_within_distance"].isna().all()
    assert "pop_beyond_700" not in table.columns
    bare = unit_coverage(units)
    assert bare["population"].isna().all() and bare["population_missing"].all()


def test_centres_without_stops_are_counted_but_not_judged(units, centres):
    table = unit_coverage(units, centres=centres)
    assert table["centres"].tolist() == [1, 0, 2, 0]
    assert table["status"].tolist() == [
        STATUS_UNMEASURED,
        STATUS_NONE,
        STATUS_UNMEASURED,
        STATUS_NONE,
    ]


def test_centre_in_the_sea_is_listed_not_counted(units, stops, centres):
    sea = pd.concat(
        [
            centres,
            gpd.GeoDataFrame(
                {"site_id": ["wet"], "kind": "centre"}, geometry=[at(4500, -4000)], crs="EPSG:3059"
            ),
        ],
        ignore_index=True,
    )
    table = unit_coverage(units, stops, sea)
    assert table["centres"].sum() == 3
    assert table.attrs["coverage"]["centres"]["outside_all_units"] == ["wet"]


def test_network_that_misses_a_unit_marks_it_and_never_fakes_distances(
    units, stops, centres, population, street
):
    table = unit_coverage(units, stops, centres, population, network=street)
    by_code = table.set_index("unit_code")
    assert by_code.loc["0100001", "status"] == STATUS_MEETS
    assert by_code.loc["0100001", "centre_stop_method"] == "network"
    # No street reaches unit Three: its centres cannot be measured.
    assert by_code.loc["0200001", "status"] == STATUS_UNMEASURED
    assert np.isinf(by_code.loc["0200001", "centre_stop_distance"])
    # People of Three and Four are off the network: unreachable, and beyond every threshold, except
    # the 200 on the grid point where c2 itself stands (distance 0 without walking).
    assert by_code.loc["0200001", "pop_unreachable"] == 1600
    assert by_code.loc["0200001", "pop_beyond_700"] == 1600
    assert by_code.loc["0200001", "pop_mean_distance"] == 0.0
    assert by_code.loc["0200002", "pop_unreachable"] == 90
    assert np.isnan(by_code.loc["0200002", "pop_mean_distance"])


def test_empty_inputs(units, stops, centres, population):
    table = unit_coverage(units, stops.iloc[0:0], centres.iloc[0:0], population)
    assert table["stops"].sum() == 0 and table["centres"].sum() == 0
    assert set(table["status"]) == {STATUS_NONE}
    assert not table["intercity_within_distance"].any()
    # With no centre anywhere every person is beyond every threshold, and none is reachable.
    assert table["pop_beyond_10000"].sum() == 2790
    empty = unit_coverage(units.iloc[0:0], stops, centres, population)
    assert len(empty) == 0 and "status" in empty.columns


def test_unit_table_rejects_bad_units(units):
    with pytest.raises(MissingColumnError, match="unit_kind"):
        unit_coverage(units.drop(columns="unit_kind"))
    with pytest.raises(AccessibilityError, match="more than once"):
        unit_coverage(pd.concat([units, units.iloc[[0]]]))


# --- gaps, summary, outputs ------------------------------------------------------------------


def test_gaps_are_ranked_by_population_then_code(units, stops, centres, population):
    table = unit_coverage(units, stops, centres, population)
    ranked = gaps(table, threshold=2000)
    assert ranked["rank"].tolist() == list(range(1, len(ranked) + 1))
    pairs = list(zip(ranked["unit_code"], ranked["gap"], strict=True))
    assert pairs == [
        ("0200001", "centre does not meet the stop rule"),
        ("0200002", "no centre"),
        ("0200002", "no intercity stop in the unit"),
        ("0200002", "population beyond distance"),
        ("0100002", "no centre"),
        ("0100002", "no site in the unit can meet the stop rule"),
        ("0100002", "no intercity stop in the unit"),
        ("0100002", "no population figure"),
    ]
    # Two of Four's three grid columns (30 people each) lie beyond 2 km of c3.
    assert ranked.loc[3, "population_affected"] == 60
    affected = ranked["population_affected"]
    known = affected.dropna().to_numpy()
    assert (np.diff(known) <= 0).all()
    assert affected.isna().to_numpy()[-4:].all()  # unit Two: population unknown, ranked last
    three = ranked[ranked["unit_code"] == "0200001"].iloc[0]
    assert "900 m" in three["reason"] and STRAIGHT_LINE_NOTE in three["reason"]
    assert three["population_affected"] == 1800
    assert gaps(table, threshold=2000).equals(ranked)  # deterministic
    with pytest.raises(AccessibilityError, match="thresholds"):
        gaps(table, threshold=1234)


def test_gaps_with_candidates(units, stops, centres, population):
    table = unit_coverage(units, stops, centres, population)
    candidates = gpd.GeoDataFrame(
        {"site_id": ["k1", "k2"]}, geometry=[at(1000, 1600), at(7000, 1500)], crs="EPSG:3059"
    )
    checked = stop_rule(candidates, stops, units=units)
    ranked = gaps(table, candidates=checked)
    kinds = ranked[ranked["gap"] == "no candidate meets the stop rule"]
    assert set(kinds["unit_code"]) == {"0100002", "0200001", "0200002"}
    assert "none of the 1 candidate" in kinds.set_index("unit_code").loc["0200001", "reason"]


def test_summary_figures_have_denominators(units, stops, centres, population):
    table = unit_coverage(units, stops, centres, population, thresholds=(700, 5000))
    checked = stop_rule(centres, stops)
    figures = summary(table, checked, site_label="centres")
    assert figures["sites"]["within"] == {"count": 1, "of": 3, "share": 0.3333}
    assert figures["sites"]["straight_line"] is True
    assert figures["municipalities"]["with_centre"] == {"count": 2, "of": 2, "share": 1.0}
    assert figures["municipalities"]["more_than_one"]["count"] == 1
    assert figures["municipalities"]["none"]["count"] == 0
    assert figures["population"]["total"] == 2790
    assert figures["population"]["units_without_figure"]["count"] == 1
    beyond_700 = int(table["pop_beyond_700"].sum())
    assert figures["population"]["within"]["700"] == {
        "count": 2790 - beyond_700,
        "of": 2790,
        "share": round((2790 - beyond_700) / 2790, 4),
    }
    assert figures["units"]["by_status"][STATUS_MEETS] == 1
    assert figures["units"]["no_intercity_stop"]["count"] == 2
    assert figures["units"]["rule_impossible"]["count"] == 1
    assert figures["stops"]["outside_all_units"] == 1
    assert "33.3% of centres (1 of 3) lie within 700 m" in figures["text"]
    assert STRAIGHT_LINE_NOTE in figures["text"]
    json.dumps(figures)  # JSON-ready
    municipalities = pd.DataFrame({"municipality_code": ["0100000", "0200000", "0300000"]})
    wider = summary(table, checked, municipalities=municipalities)
    assert wider["municipalities"]["none"] == {"count": 1, "of": 3, "share": 0.3333}
    assert wider["municipalities"]["without_centre"] == ["0300000"]


def test_summary_says_walking_distance_on_a_network(units, stops, centres, street):
    checked = stop_rule(centres.iloc[[0]], stops, network=street)
    figures = summary(unit_coverage(units, stops, centres.iloc[[0]], network=street), checked)
    assert "walking distance" in figures["text"] and STRAIGHT_LINE_NOTE not in figures["text"]


def test_assess_and_write_coverage(tmp_path, units, stops, centres, population):
    result = assess(units, stops, centres, population, site_label="centres")
    assert result.summary["sites"]["within"]["count"] == 1
    assert result.points["population"].sum() == 2790
    written = write_coverage(result, tmp_path / "out")
    assert set(written) == {
        "gpkg",
        "units_csv",
        "sites_csv",
        "gaps_csv",
        "summary_json",
        "summary_txt",
    }
    layers = set(pyogrio.list_layers(written["gpkg"])[:, 0])
    assert layers == {"units", "sites", "gaps", "population_points"}
    back = gpd.read_file(written["gpkg"], layer="units")
    assert len(back) == 4 and back.crs.to_epsg() == 3059
    assert back["status"].tolist() == result.units["status"].astype(str).tolist()
    units_csv = pd.read_csv(written["units_csv"], dtype={"unit_code": str})
    assert "geometry" not in units_csv.columns and units_csv["unit_code"].tolist() == list(
        units["unit_code"]
    )
    assert (
        json.loads(written["summary_json"].read_text(encoding="utf-8"))["population"]["total"]
        == 2790
    )
    assert written["summary_txt"].read_text(encoding="utf-8").startswith("33.3% of centres")
    assert not list((tmp_path / "out").glob(".*"))  # no temporary files left behind


# --- proxy sites -----------------------------------------------------------------------------


def test_most_served_stop_proxy_picks_most_routes_then_lowest_id(units, stops):
    served = stops.assign(route_count=[3, 5, 1, 2, 4, 9])
    extra = gpd.GeoDataFrame(
        {"stop_id": ["s0"], "stop_name": ["Tie One"], "intercity": [False], "route_count": [5]},
        geometry=[at(2000, 2000)],
        crs="EPSG:3059",
    )
    sites = proxy_sites(
        units, how="most_served_stop", stops=pd.concat([served, extra], ignore_index=True)
    )
    chosen = dict(zip(sites["unit_code"], sites["stop_id"], strict=True))
    # One: s2 and s0 both have 5 routes; s0 wins the tie by id. Four: s5, given to it from just outside.
    assert chosen == {"0100001": "s0", "0100002": "s3", "0200001": "s4", "0200002": "s5"}
    assert set(sites["kind"]) == {"proxy: most-served stop"}
    assert all("proxy" in name for name in sites["name"])
    assert sites["site_id"].tolist() == [
        "proxy-0100001",
        "proxy-0100002",
        "proxy-0200001",
        "proxy-0200002",
    ]
    assert sites["municipality_code"].tolist() == ["0100000", "0100000", "0200000", "0200000"]
    assert sites.attrs["proxy"]["units_without_proxy"] == []


def test_unit_without_stop_gets_no_stop_proxy_and_is_listed(units, stops):
    sites = proxy_sites(units, how="most_served_stop", stops=stops[stops["stop_id"] != "s3"])
    assert sites.attrs["proxy"]["units_without_proxy"] == ["0100002"]
    assert len(sites) == 3


def test_population_centre_and_representative_point_proxies(units, population):
    points = population_points(units, population)
    centres = proxy_sites(units, how="population_centre", points=points)
    assert centres["unit_code"].tolist() == ["0100001", "0200001", "0200002"]
    assert centres.attrs["proxy"]["units_without_proxy"] == ["0100002"]  # no population figure
    assert centres.geometry.iloc[0].equals_exact(at(1500, 1500), 1e-6)
    points_inside = proxy_sites(units, how="representative_point")
    assert len(points_inside) == 4
    assert points_inside.geometry.within(units.geometry, align=False).all()
    with pytest.raises(AccessibilityError, match="unknown proxy"):
        proxy_sites(units, how="library")
    with pytest.raises(AccessibilityError, match="stops"):
        proxy_sites(units, how="most_served_stop")


def test_sites_without_id_or_with_repeated_index_labels(stops, centres):
    unnamed = centres.assign(site_id=["c1", None, "c3"])
    with pytest.raises(AccessibilityError, match="position 1 has no site_id"):
        stop_rule(unnamed, stops)
    doubled = pd.concat([centres.iloc[[0]], centres.iloc[[1]]])
    doubled.index = [7, 7]
    result = stop_rule(doubled, stops)
    assert result["distance"].tolist() == pytest.approx([300.0, 2400.0])


def test_summary_lists_centres_in_the_sea_and_people_off_the_network(
    units, stops, centres, population, street
):
    wet = gpd.GeoDataFrame({"site_id": ["wet"]}, geometry=[at(4500, -4000)], crs="EPSG:3059")
    table = unit_coverage(
        units, stops, pd.concat([centres, wet], ignore_index=True), population, network=street
    )
    figures = summary(table)
    assert figures["centres"]["outside_all_units"] == {"count": 1, "of": 4, "share": 0.25}
    assert figures["centres"]["outside_ids"] == ["wet"]
    assert "1 of 4 centres lie outside every unit" in figures["text"]
    unreachable = int(table["pop_unreachable"].sum())
    assert figures["population"]["unreachable"]["count"] == unreachable > 0
    assert "does not reach" in figures["text"]
    assert figures["population"]["placement"] == ["grid 1000 m, area-weighted"]
