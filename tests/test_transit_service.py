"""Service at stops on a date, and the stop rule with a minimum of intercity departures."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from transit_helpers import write_feed

from accessibility.transit import load_feed, service_rule, stop_service

STOPS = {"A": (500_000.0, 300_000.0), "B": (520_000.0, 300_000.0), "Z": (540_000.0, 300_000.0)}
TRIPS = [
    ("i1", "7001", "WK", [("A", "07:00:00", "07:00:00"), ("B", "07:30:00", "07:30:00")]),
    ("l1", "5001", "WK", [("A", "12:00:00", "12:00:00"), ("B", "12:30:00", "12:30:00")]),
    ("i2", "7001", "WK", [("A", "18:00:00", "18:00:00"), ("B", "18:30:00", "18:30:00")]),
    # Leaves A after midnight of its service day: on the next calendar day.
    ("n1", "7001", "WK", [("A", "24:30:00", "24:30:00"), ("B", "25:00:00", "25:00:00")]),
]


@pytest.fixture
def feed(tmp_path):
    return load_feed(write_feed(tmp_path / "f", STOPS, TRIPS))


def test_departures_first_last_and_gap(feed):
    table = stop_service(feed, "2024-03-12").set_index("stop_id")  # a Tuesday
    a = table.loc["A"]
    # 07:00, 12:00, 18:00 and Monday's 24:30 trip at 00:30.
    assert a["departures"] == 4 and a["intercity_departures"] == 3
    assert a["first_departure"] == pd.Timestamp("2024-03-12 00:30")
    assert a["last_departure"] == pd.Timestamp("2024-03-12 18:00")
    assert a["longest_gap_minutes"] == pytest.approx(360)  # 12:00 to 18:00
    # B is only ever the last call; Z is never served.
    assert table.loc["B", "departures"] == 0 and pd.isna(table.loc["B", "first_departure"])
    assert table.loc["B", "longest_gap_minutes"] == pytest.approx(16 * 60)
    assert table.loc["B", "intercity"] and not table.loc["Z", "intercity"]
    # Monday: no trip of Sunday runs past midnight into it, so 00:30 is not counted.
    assert stop_service(feed, "2024-03-11").set_index("stop_id").loc["A", "departures"] == 3
    # A rule naming only 5xxx routes intercity.
    other = stop_service(feed, "2024-03-12", intercity=r"5\d{3}").set_index("stop_id")
    assert other.loc["A", "intercity_departures"] == 1


def test_service_rule_beside_plain_rule(feed):
    service = stop_service(feed, "2024-03-12")
    sites = gpd.GeoDataFrame(
        geometry=[
            shapely.Point(500_300, 300_000),
            shapely.Point(520_300, 300_000),
            shapely.Point(540_100, 300_000),
        ],
        crs="EPSG:3059",
    )
    loose = service_rule(sites, service, min_departures=3)
    assert loose["meets_rule"].tolist() == [True, True, False]
    assert loose["intercity_departures"].tolist() == [3, 0, 0]
    assert loose["meets_service_rule"].tolist() == [True, False, False]
    strict = service_rule(sites, service, min_departures=4)
    assert strict["meets_service_rule"].tolist() == [False, False, False]
    assert strict.attrs["service_rule"]["min_intercity_departures"] == 4


def test_synthetic_feed_agrees_with_the_stop_loader(tmp_path):
    """The timetable's intercity stops are the ones load_stops finds in the same GTFS zip."""
    import numpy as np

    from accessibility import load_stops
    from accessibility.transit import synthetic_feed, trips_on

    path = synthetic_feed(
        tmp_path / "s.zip", n_stops=400, trips_per_day=150, mean_stops_per_trip=20, seed=3
    )
    feed = load_feed(path)
    assert feed.report.rejected == [] and feed.n_stops == 400
    weekday = len(trips_on(feed, "2024-03-12")[0])
    assert weekday == 150  # the spring weekday timetable
    assert len(trips_on(feed, "2024-07-09")[0]) < weekday  # thinner from June
    assert len(trips_on(feed, "2024-05-01")[0]) < weekday  # a holiday runs Sunday's
    service = stop_service(feed, "2024-03-12").set_index("stop_id")
    stops = load_stops(path).set_index("stop_id")
    assert (service["intercity"] == stops["intercity"].reindex(service.index)).all()
    assert service["intercity"].any() and not service["intercity"].all()
    assert np.isfinite(service["longest_gap_minutes"]).all()
