"""The main job's timetable step: round trips on the demo, the per-unit summary, the real data's
stop table without timetable, and the service rule beside the plain rule."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from transit_helpers import write_feed

from accessibility.demo import region as synthetic
from accessibility.demo._timetable import STRANDED_VILLAGE
from accessibility.outputs.report import Report, to_markdown
from accessibility.run import _transit, _transit_outputs, pipeline
from accessibility.run.inputs import Inputs
from accessibility.run.result import RunResult
from accessibility.run.study import Study
from accessibility.transit import load_feed
from accessibility.transit.sources import NO_TIMETABLE


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[RunResult, Path]:
    root = tmp_path_factory.mktemp("demo-transit")
    files = synthetic.write_region(root / "region")
    study = Study(
        name="demo",
        inputs={k: str(p) for k, p in files.items() if k in pipeline.LAYER_KEYS},
        min_intercity_departures=3,
    )
    out = root / "out"
    result = pipeline.run(
        study,
        out,
        data_dir=root / "region",
        progress=False,
        municipality_sheets=False,
    )
    return result, out


def test_demo_village_passes_the_rule_but_has_no_round_trip(demo):
    result, _ = demo
    figures = result.transit
    assert figures.date == dt.date(2024, 1, 2)  # the first Tuesday of the feed's calendar
    stops = result.inputs.layers["stops"]
    village_stops = stops[stops["stop_name"] == STRANDED_VILLAGE]
    assert len(village_stops) == 2
    # Its library is within 700 m of the village's intercity stop: the plain rule is met.
    libraries = result.site_checks["libraries"]
    library = libraries[libraries["stop_name"] == STRANDED_VILLAGE]
    assert len(library) == 1 and bool(library["meets_rule"].iloc[0])
    # Residents near the village stop reach town by the morning bus (those within a walk of
    # it), and cannot come back: no point of the village has a round trip to the existing
    # centres, and no return leaves town after a visit.
    trips = figures.trips["existing"]
    near = trips.distance(village_stops.geometry.union_all()) <= 1000
    assert near.sum() >= 3
    arrived = trips.loc[near, "earliest_arrival"].dropna()
    assert len(arrived) >= 1 and (arrived < "2024-01-02 09:00").all()
    assert not trips.loc[near, "round_trip"].any()
    visit_ends = dt.datetime(2024, 1, 2, 10, 0)
    assert not (trips.loc[near, "latest_return"] >= visit_ends).any()
    units = figures.units["existing"].set_index("unit_name")
    village_unit = units.loc[units.index.str.startswith(STRANDED_VILLAGE[:-1])]
    assert len(village_unit) == 1
    assert village_unit["round_trip_share"].iloc[0] < 0.1
    # The town it looks to has regular service: most of its people can make the trip.
    assert units.loc["Vējupe", "round_trip_share"] > 0.5


def test_demo_service_rule_beside_the_plain_rule(demo):
    result, out = demo
    ruled = result.transit.service_rule["libraries"].set_index("name")
    village = ruled.loc[ruled.index.str.startswith(STRANDED_VILLAGE[:-1])].iloc[0]
    # One trip each way on each of its routes: it meets the plain rule, not "3 departures".
    assert village["meets_rule"] and village["meets_rule_timetable"]
    assert 1 <= village["intercity_departures"] < 3 and not village["meets_service_rule"]
    assert (ruled["meets_service_rule"] <= ruled["meets_rule_timetable"]).all()
    assert (out / "tables" / "service_rule_libraries.csv").is_file()


def test_demo_outputs(demo):
    result, out = demo
    for name in ("round_trip_units_existing", "round_trip_units_plan", "round_trip_centres_plan"):
        assert (out / "tables" / f"{name}.csv").is_file()
    assert (out / "maps" / "round_trips.png").is_file()
    assert (out / "maps" / "round_trips.svg").is_file()
    report = (out / "report.md").read_text(encoding="utf-8")
    assert _transit_outputs.SECTION in report
    table = result.transit.units["existing"]
    share = table["population_round_trip"].sum() / table["population"].sum()
    assert f"{share:.1%} of the population can make the round trip" in report
    # The per-centre table counts every point once.
    centres = result.transit.centres["existing"]
    assert centres["population_assigned"].sum() == pytest.approx(table["population"].sum())


def test_unit_share_against_a_plain_loop(demo):
    result, _ = demo
    for key, trips in result.transit.trips.items():
        people: dict[str, float] = {}
        able: dict[str, float] = {}
        for code, population, ok in zip(
            trips["unit_code"], trips["population"], trips["round_trip"], strict=True
        ):
            people[code] = people.get(code, 0.0) + float(population)
            able[code] = able.get(code, 0.0) + (float(population) if ok else 0.0)
        table = result.transit.units[key].set_index("unit_code")
        assert set(table.index) == set(people)
        for code, total in people.items():
            assert table.loc[code, "population_round_trip"] == pytest.approx(able[code])
            expected = able[code] / total if total else np.nan
            assert table.loc[code, "round_trip_share"] == pytest.approx(expected, nan_ok=True)


def _bare_result(paths: dict[str, Path], **site_checks: gpd.GeoDataFrame) -> RunResult:
    units = gpd.GeoDataFrame({"unit_code": ["1"]}, geometry=[shapely.box(0, 0, 1, 1)], crs=3059)
    inputs = Inputs(layers={"units": units}, paths=paths)
    return RunResult(inputs=inputs, study=Study(), site_checks=dict(site_checks))


def test_real_data_has_only_the_stop_table(real_data: Path):
    stops = real_data / "atd_regional_bus_stops" / "gtfs_atd.csv"
    result = _bare_result({"stops": stops})
    result.transit = _transit.compute(result, Study(), None, real_data)
    figures = result.transit
    assert figures.timetable is None
    assert figures.note == NO_TIMETABLE.format(name="gtfs_atd.csv")
    assert not figures.trips and not figures.units and not figures.centres
    report = Report("real")
    _transit_outputs.report_section(report, result, Study())
    text = to_markdown(report)
    assert _transit_outputs.SECTION in text
    assert "without timetables (no stop_times.txt)" in text
    assert "No round-trip figure is given." in text
    # No share, count or zero stands in for the missing figures.
    assert "%" not in text and " 0 " not in text and "0.0" not in text
    assert _transit_outputs.write_tables(result, Path("/nonexistent")) == {}
    assert _transit_outputs.write_maps(result, Path("/nonexistent")) == {}
    assert _transit_outputs.summary_lines(result) == [
        f"Same-day round trips: not computed; {figures.note}"
    ]


STOPS = {"A": (500_000.0, 300_000.0), "B": (520_000.0, 300_000.0), "C": (540_000.0, 300_000.0)}
#: Intercity 7001 calls at A three times and at C once on a weekday; 5001 (regional) at C twice.
TRIPS = [
    ("a1", "7001", "WK", [("A", "07:00:00", "07:00:00"), ("B", "07:30:00", "07:30:00")]),
    ("a2", "7001", "WK", [("A", "12:00:00", "12:00:00"), ("B", "12:30:00", "12:30:00")]),
    ("a3", "7001", "WK", [("A", "18:00:00", "18:00:00"), ("B", "18:30:00", "18:30:00")]),
    ("c1", "7001", "WK", [("C", "08:00:00", "08:00:00"), ("B", "08:30:00", "08:30:00")]),
    ("r1", "5001", "WK", [("C", "09:00:00", "09:00:00"), ("B", "09:30:00", "09:30:00")]),
    ("r2", "5001", "WK", [("C", "15:00:00", "15:00:00"), ("B", "15:30:00", "15:30:00")]),
]


@pytest.mark.parametrize(
    ("minimum", "expected"), [(1, [True, True, False]), (3, [True, False, False])]
)
def test_service_rule_with_n_departures(tmp_path, minimum, expected):
    feed_dir = write_feed(tmp_path / "feed", STOPS, TRIPS)
    # Sites 300 m from A and from C, and one 5 km from any stop.
    sites = gpd.GeoDataFrame(
        {
            "site_id": ["sa", "sc", "far"],
            "name": ["near A", "near C", "far"],
            "meets_rule": [True, True, False],
        },
        geometry=[
            shapely.Point(500_300, 300_000),
            shapely.Point(540_000, 300_300),
            shapely.Point(530_000, 305_000),
        ],
        crs=3059,
    )
    result = _bare_result({"stops": feed_dir}, hand=sites)
    study = Study(min_intercity_departures=minimum, service_date="2024-03-12")
    figures = _transit.compute(result, study, None, None)
    assert figures.timetable == feed_dir and figures.date == dt.date(2024, 3, 12)
    ruled = figures.service_rule["hand"].set_index("site_id")
    assert ruled["intercity_departures"].tolist() == [3, 1, 0]
    assert ruled["meets_rule"].tolist() == [True, True, False]
    assert ruled["meets_rule_timetable"].tolist() == [True, True, False]
    assert ruled["meets_service_rule"].tolist() == expected
    # On a Sunday nothing runs: no site has a departure, the plain rule is unchanged.
    sunday = _transit.compute(
        result, Study(min_intercity_departures=minimum, service_date="2024-03-17"), None, None
    )
    assert sunday.service_rule["hand"]["intercity_departures"].tolist() == [0, 0, 0]
    assert sunday.service_rule["hand"]["meets_rule_timetable"].tolist() == [True, True, False]


def test_service_rule_off_by_default(tmp_path):
    feed_dir = write_feed(tmp_path / "feed", STOPS, TRIPS)
    figures = _transit.compute(_bare_result({"stops": feed_dir}), Study(), None, None)
    assert figures.service_rule == {} and figures.trips == {}
    assert figures.date == dt.date(2024, 1, 2)  # the first Tuesday of the calendar


def test_service_day(tmp_path):
    feed = load_feed(write_feed(tmp_path / "feed", STOPS, TRIPS))
    assert _transit.service_day(feed, None) == dt.date(2024, 1, 2)
    assert _transit.service_day(feed, "friday") == dt.date(2024, 1, 5)
    assert _transit.service_day(feed, "2024-06-01") == dt.date(2024, 6, 1)
    with pytest.raises(ValueError, match="no saturday with service"):
        _transit.service_day(feed, "saturday")


def test_study_timetable_parameters():
    from accessibility._errors import StudyFileError
    from accessibility.run.study import study_from_dict, study_to_toml

    study = study_from_dict(
        {"service_date": "Tuesday", "open_time": "08:30", "stay_minutes": 45, "home_by": "25:30"}
    )
    assert study.service_date == "tuesday" and study.stay_minutes == 45.0
    assert 'open_time = "08:30"' in study_to_toml(study)
    assert Study().min_intercity_departures == 0 and Study().service_date is None
    for bad, field in (
        ({"open_time": "9:00"}, "open_time"),
        ({"close_time": 17}, "close_time"),
        ({"service_date": "2024-02-30"}, "service_date"),
        ({"service_date": "someday"}, "service_date"),
        ({"stay_minutes": -5}, "stay_minutes"),
        ({"min_intercity_departures": 2.5}, "min_intercity_departures"),
    ):
        with pytest.raises(StudyFileError, match=f"parameter '{field}' must be"):
            study_from_dict(bad)
