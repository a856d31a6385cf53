"""Coverage on the real Latvian units, population and ATD stops, checked against independent counts."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from scipy.spatial import cKDTree

from accessibility import get_report, load_population, load_stops, load_units
from accessibility.coverage.core import assess, proxy_sites, stop_rule
from accessibility.coverage.demand import population_points

pytestmark = pytest.mark.realdata

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "national_coverage.py"


@pytest.fixture(scope="module")
def layers(real_data: Path) -> dict:
    units = load_units(next((real_data / "csb_territorial_units_2024_01_01").glob("*.shp")))
    population = load_population(
        real_data / "raim_pmlp_indicators_by_territorial_unit" / "raditaju_atlase_aprobacija.xlsx"
    )
    stops = load_stops(real_data / "atd_regional_bus_stops" / "gtfs_atd.csv")
    points = population_points(units, population)
    return {"units": units, "population": population, "stops": stops, "points": points}


@pytest.fixture(scope="module")
def national(layers: dict) -> dict:
    proxies = proxy_sites(layers["units"], how="most_served_stop", stops=layers["stops"])
    result = assess(
        layers["units"],
        layers["stops"],
        proxies,
        layers["population"],
        points=layers["points"],
        site_label="proxies",
    )
    return {"proxies": proxies, "result": result}


def test_every_unit_stop_and_person_is_accounted_for(layers, national):
    table = national["result"].units
    assert len(table) == 592
    assert set(table["unit_code"]) == set(layers["units"]["unit_code"])
    assert table["unit_code"].is_monotonic_increasing
    # Every ATD stop lies inside some unit of the 1:1.2 M boundaries: none needs the tolerance.
    info = table.attrs["coverage"]["stops"]
    assert info["given_to_nearest_unit"] == [] and info["outside_all_units"] == []
    assert table["stops"].sum() == 10_179
    assert table["intercity_stops"].sum() == get_report(layers["stops"])["notes"]["intercity_stops"]
    assert table["intercity_stops"].sum() == 3_764 + 46  # 46 cut lists inferred intercity
    assert table["population"].sum() == 2_041_552
    assert not table["population_missing"].any()
    assert table["status"].notna().all()


def test_stop_counts_match_an_independent_spatial_join(layers, national):
    units = layers["units"]
    stops = layers["stops"]
    tree = shapely.STRtree(units.geometry.to_numpy())
    stop_index, unit_index = tree.query(stops.geometry.to_numpy(), predicate="within")
    assert len(np.unique(stop_index)) == len(stops)  # strictly inside, none on a border
    expected = pd.Series(units["unit_code"].to_numpy()[unit_index]).value_counts()
    table = national["result"].units.set_index("unit_code")
    assert (table["stops"] == expected.reindex(table.index, fill_value=0)).all()


def test_proxy_stop_rule_matches_a_kd_tree(layers, national):
    proxies = national["proxies"]
    # Three units have no ATD stop at all, hence no most-served-stop proxy.
    assert len(proxies) == 589
    assert len(proxies.attrs["proxy"]["units_without_proxy"]) == 3
    intercity = layers["stops"][layers["stops"]["intercity"]]
    tree = cKDTree(np.c_[intercity.geometry.x, intercity.geometry.y])
    distance, _ = tree.query(np.c_[proxies.geometry.x, proxies.geometry.y])
    sites = national["result"].sites
    assert sites["distance"].to_numpy() == pytest.approx(distance)
    assert sites["meets_rule"].sum() == (distance <= 700).sum()
    assert national["result"].summary["sites"]["within"]["of"] == 589


def test_units_where_the_rule_is_impossible_match_polygon_distances(layers, national):
    units = layers["units"]
    intercity = layers["stops"][layers["stops"]["intercity"]]
    tree = shapely.STRtree(intercity.geometry.to_numpy())
    unit_index, _ = tree.query_nearest(
        units.geometry.to_numpy(), return_distance=False, all_matches=False
    )
    _, gap = tree.query_nearest(units.geometry.to_numpy(), return_distance=True, all_matches=False)
    near = pd.Series(gap <= 700, index=units["unit_code"].to_numpy()[unit_index])
    table = national["result"].units.set_index("unit_code")
    assert (table["intercity_within_distance"].astype(bool) == near.reindex(table.index)).all()
    # A unit with an intercity stop inside can always meet the rule.
    assert table.loc[table["intercity_stops"] > 0, "intercity_within_distance"].all()


def test_population_centre_proxy_is_independent_of_stops(layers):
    proxies = proxy_sites(layers["units"], how="population_centre", points=layers["points"])
    assert len(proxies) == 592
    inside = shapely.covers(
        layers["units"].set_index("unit_code").geometry.reindex(proxies["unit_code"]).to_numpy(),
        proxies.geometry.to_numpy(),
    )
    assert inside.all()
    checked = stop_rule(proxies, layers["stops"])
    assert 0 < checked["meets_rule"].sum() < 592


def test_gaps_rank_and_cover_units_without_intercity_stop(national):
    ranked = national["result"].gaps
    table = national["result"].units
    no_intercity = set(table.loc[table["intercity_stops"] == 0, "unit_code"])
    assert (
        set(ranked.loc[ranked["gap"] == "no intercity stop in the unit", "unit_code"])
        == no_intercity
    )
    affected = ranked["population_affected"].to_numpy(dtype=float)
    assert (np.diff(affected) <= 0).all()


def test_national_script_writes_tables_and_headline_figures(real_data, tmp_path):
    spec = importlib.util.spec_from_file_location("national_coverage", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    # A coarser grid keeps the test quick; the totals must still be exact.
    national = module.run(real_data, tmp_path, resolution=2000.0, distance=700.0)
    checks = national["checks"]
    assert checks["units"] == 592
    assert checks["stops_in_units"] == checks["stops_total"] == 10_179
    assert checks["population_in_table"] == checks["population_on_grid"] == 2_041_552
    assert set(national["proxies"]) == {"most_served_stop", "population_centre"}
    for how in national["proxies"]:
        assert (tmp_path / how / "coverage.gpkg").is_file()
        assert (tmp_path / how / "units.csv").is_file()
    saved = json.loads((tmp_path / "national_summary.json").read_text(encoding="utf-8"))
    assert saved["checks"]["units"] == 592
    assert "PROXIES" in saved["text"]
