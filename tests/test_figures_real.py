"""National figures a policy paper can quote: unit kinds, cut route lists, ranges, headline."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point

from accessibility import (
    gaps,
    load_stops,
    load_units,
    proxy_sites,
    stop_rule,
    summary,
    unit_coverage,
)
from accessibility.coverage._bounds import has_bounds
from accessibility.run import pipeline
from accessibility.run._outputs import headline_lines
from accessibility.run.study import Study

pytestmark = pytest.mark.realdata

HUBS = {  # unit name -> its bus station, cut at twelve routes with no 7xxx listed
    "Saldus": "Saldus AO",
    "Talsi": "Talsu AO",
    "Dobele": "Dobeles AO",
    "Krāslava": "Krāslavas AO",
    "Balvi": "Balvu AO",
}


@pytest.fixture(scope="module")
def layers(real_data: Path) -> dict:
    units = load_units(next((real_data / "csb_territorial_units_2024_01_01").glob("*.shp")))
    stops = load_stops(real_data / "atd_regional_bus_stops" / "gtfs_atd.csv")
    return {"units": units, "stops": stops}


@pytest.fixture(scope="module")
def table(layers: dict) -> gpd.GeoDataFrame:
    return unit_coverage(layers["units"], layers["stops"])


def test_state_cities_towns_parishes(layers: dict) -> None:
    kinds = layers["units"]["unit_kind"].value_counts().to_dict()
    assert kinds == {"state_city": 10, "town": 71, "parish": 511}
    in_novads = layers["units"].query("unit_kind == 'state_city' and not own_municipality")
    assert sorted(in_novads["unit_name"]) == ["Jēkabpils", "Ogre", "Valmiera"]


def test_unit_ranges_match_an_independent_spatial_join(layers: dict, table) -> None:
    units, stops = layers["units"], layers["stops"]
    joined = gpd.sjoin(stops, units[["unit_code", "geometry"]], predicate="within")
    listed = joined[joined["intercity_evidence"] == "listed"]
    possible = joined[joined["intercity_evidence"] != "complete_none"]
    best = joined[joined["intercity"]]
    codes = set(units["unit_code"])
    without = {
        name: len(codes - set(frame["unit_code"]))
        for name, frame in (("low", listed), ("best", best), ("high", possible))
    }
    # Fewest intercity stops (low bound) leaves the most units without one.
    assert without == {"low": 135, "best": 130, "high": 129}
    assert int((table["intercity_stops"] == 0).sum()) == without["best"]
    assert int((table["intercity_stops_low"] == 0).sum()) == without["low"]
    assert int((table["intercity_stops_high"] == 0).sum()) == without["high"]
    # 135 is the count before the inference (listed routes only), as the old report gave it.
    figures = summary(table)
    assert figures["units"]["no_intercity_stop"]["count"] == 130
    assert [f["count"] for f in figures["units"]["no_intercity_stop_range"]] == [129, 135]
    assert [f["count"] for f in figures["units"]["rule_impossible_range"]] == [90, 97]
    assert figures["units"]["rule_impossible"]["count"] == 92
    assert "130 of 592 units have no intercity stop" in figures["text"]
    assert "range 129–135 by the cut route lists" in figures["text"]
    assert "range 90–97 by the cut route lists" in figures["text"]


def _gaps(table: gpd.GeoDataFrame):
    """The gap list of a unit table without centres or population (no distance threshold)."""
    table = table.copy()
    table.attrs = {"coverage": {**table.attrs["coverage"], "thresholds_m": []}}
    return gaps(table)


def test_hub_towns_are_not_plainly_without_an_intercity_stop(table) -> None:
    ranked = _gaps(table)
    ranked = ranked[ranked["gap"] != "no population figure"]  # no population given here
    by_name = table.set_index("unit_name")
    for unit, station in HUBS.items():
        row = by_name.loc[unit]
        assert row["intercity_stops"] >= 1 and row["intercity_stops_low"] == 0, unit
        assert bool(row["intercity_within_distance"]), unit
        assert ranked.loc[ranked["unit_name"] == unit].empty, (unit, station)
    # Priekule's only stop has a cut list and nothing to infer from: its gaps remain, each
    # saying that it rests on a cut route list.
    priekule = ranked[ranked["unit_name"] == "Priekule"]
    assert set(priekule["gap"]) == {
        "no intercity stop in the unit",
        "no site in the unit can meet the stop rule",
    }
    assert priekule["reason"].str.contains("rests on a cut route list").all()
    # Every gap row that depends on a cut list says so; no other row does.
    flagged = ranked["reason"].str.contains("rests on a cut route list")
    dependent = ranked["unit_code"].isin(
        table.loc[
            (table["intercity_stops_low"] != table["intercity_stops_high"])
            | (table["intercity_within_low"] != table["intercity_within_high"]),
            "unit_code",
        ]
    )
    assert not (flagged & ~dependent).any()
    for gap in ("no intercity stop in the unit", "no site in the unit can meet the stop rule"):
        rows = ranked["gap"] == gap
        column = "intercity_stops" if gap.startswith("no intercity") else "intercity_within"
        low = table.set_index("unit_code")[f"{column}_high"]
        depends = ranked.loc[rows, "unit_code"].map(low).astype(bool)
        assert (ranked.loc[rows, "reason"].str.contains("cut route list") == depends).all()


def test_library_next_to_saldus_station_passes_with_its_range(layers: dict) -> None:
    stops = layers["stops"]
    station = stops.loc[stops["stop_name"] == "Saldus AO"].geometry.iloc[0]
    library = gpd.GeoDataFrame(
        {"site_id": ["L1"], "name": ["Saldus library"]},
        geometry=[Point(station.x, station.y + 100)],
        crs=3059,
    )
    checked = stop_rule(library, stops, units=layers["units"])
    row = checked.iloc[0]
    assert row["stop_name"] == "Saldus AO" and row["distance"] == pytest.approx(100, abs=0.5)
    assert bool(row["meets_rule"]) and not bool(row["meets_rule_low"])
    assert bool(row["meets_rule_high"])
    assert "route list is cut" in row["note"] and "inferred" in row["note"]
    ignored = stop_rule(library, load_stops_ignoring(stops), units=layers["units"])
    assert not bool(ignored["meets_rule"].iloc[0]) and ignored["distance"].iloc[0] > 2_000


def load_stops_ignoring(stops: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The listed-only reading of loaded stops (as ``cut_lists="ignore"`` gives it)."""
    from accessibility.io.stops import mark_intercity

    return mark_intercity(stops, cut_lists="ignore")


def test_listed_only_reading_has_no_bounds(layers: dict) -> None:
    ignored = load_stops_ignoring(layers["stops"])
    assert int(ignored["intercity"].sum()) == 3_764
    # Its cut lists are still unknown: the figures still get their range.
    assert has_bounds(ignored)


@pytest.fixture(scope="module")
def national_report(real_data: Path, tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("libraries")
    (folder / "libraries.csv").write_text(
        "id,name,lon,lat\n"
        "L1,Saldus library,22.4952344,56.6687872\n"
        "L2,Talsi library,22.5900,57.2460\n"
        "L3,Riga library,24.1180,56.9470\n"
        "L4,Priekule library,21.5880,56.4450\n"
        "L5,Nīca library,21.0650,56.3450\n",
        encoding="utf-8",
    )
    study = Study(name="National", inputs={"libraries": str(folder / "libraries.csv")})
    out = tmp_path_factory.mktemp("report")
    return pipeline.run(
        study,
        out,
        data_dir=real_data,
        progress=False,
        municipality_sheets=False,
        parts=("report",),
    )


def test_headline_real_sites_first_with_library_completeness(national_report) -> None:
    lines = headline_lines(national_report)
    assert lines[0].startswith("60.0% of libraries (3 of 5) lie within 700 m")
    assert "range 20.0%–80.0% (1–4) by the cut route lists" in lines[0]
    assert lines[1].startswith("The ministry reported 91% of municipal libraries")
    assert "matching 5 of CSB's 712 public libraries of 2024" in lines[1]
    assert "not comparable" in lines[1]
    assert not any("Proxy" in line for line in lines)  # libraries given: no proxies
    assert any(line.startswith("Plan: ") and "range" in line for line in lines)
    report = national_report.files["report_md"].read_text(encoding="utf-8")
    assert "recall" in report and "precision" in report
    assert "10 state cities" in report and "71 towns and 511 parishes" in report
    assert "| riga_gtfs | not used |" in report
    assert "| library_counts | loaded | Library.csv | 43 |" in report
    # The gap list says which units are free of stop-rule gaps only through the inference.
    assert "no intercity stop in the unit: 130 units (range 129–135)" in report
    assert "Saldus (10,321 people), Talsi (9,341 people)" in report
    comparison = national_report.comparison.set_index("scenario")
    plan = comparison.loc["plan"]
    assert plan["sites_meeting_rule_low"] <= plan["sites_meeting_rule"]
    assert plan["sites_meeting_rule"] <= plan["sites_meeting_rule_high"]


def test_headline_without_real_sites_says_so_first_and_caveats_each_proxy(layers: dict) -> None:
    proxies = proxy_sites(layers["units"], how="most_served_stop", stops=layers["stops"])
    checked = stop_rule(proxies, layers["stops"], units=layers["units"])
    result = pipeline.RunResult(
        inputs=pipeline.Inputs(layers=dict(layers)),
        study=Study(),
        site_checks={"proxy_most_served_stop": checked},
    )
    lines = headline_lines(result)
    assert lines[0].startswith("No library or centre locations were given")
    proxy = lines[1]
    assert proxy.startswith("Proxy: ") and "not comparable with the ministry's 91 %" in proxy
    # Before the inference this line read 71.5% (421 of 589): now the low end of its range.
    assert "(438 of 589)" in proxy and "range 71.5%–75.4% (421–444)" in proxy
