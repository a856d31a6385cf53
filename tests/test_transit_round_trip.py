"""Same-day round trips to a centre: hand-made villages with known answers."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from transit_helpers import write_feed

from accessibility._errors import AccessibilityError
from accessibility.transit import load_feed, round_trip_centres, round_trip_units, round_trips

DAY = "2024-03-11"
STOPS = {
    "V1": (500_000.0, 300_000.0),
    "V2": (500_000.0, 320_000.0),
    "V3": (500_000.0, 340_000.0),
    "T": (530_000.0, 320_000.0),
}
TRIPS = [
    ("m1", "7001", "WK", [("V1", "07:30:00", "07:30:00"), ("T", "08:10:00", "08:10:00")]),
    ("e1", "7001", "WK", [("T", "16:30:00", "16:30:00"), ("V1", "17:10:00", "17:10:00")]),
    # V2 has buses, but the only one back leaves before a visit could end (09:00 + 60 min).
    ("m2", "7002", "WK", [("V2", "08:00:00", "08:00:00"), ("T", "08:40:00", "08:40:00")]),
    ("e2", "7002", "WK", [("T", "09:30:00", "09:30:00"), ("V2", "10:10:00", "10:10:00")]),
    # V3's bus arrives at 16:20: too late for an hour before 17:00, in time for 40 minutes.
    ("m3", "7003", "WK", [("V3", "15:40:00", "15:40:00"), ("T", "16:20:00", "16:20:00")]),
    ("e3", "7003", "WK", [("T", "17:30:00", "17:30:00"), ("V3", "18:10:00", "18:10:00")]),
]


@pytest.fixture
def setup(tmp_path):
    feed = load_feed(write_feed(tmp_path / "f", STOPS, TRIPS))
    points = gpd.GeoDataFrame(
        {"unit_code": ["U1", "U1", "U2", "U2"], "population": [100, 50, 30, 20]},
        geometry=[
            shapely.Point(*STOPS["V1"]),
            shapely.Point(*STOPS["V2"]),
            shapely.Point(*STOPS["V3"]),
            shapely.Point(530_400.0, 320_000.0),  # 400 m from the centre: walks
        ],
        crs="EPSG:3059",
    )
    centres = gpd.GeoDataFrame(
        {"name": ["Town", "Far"]},
        geometry=[shapely.Point(*STOPS["T"]), shapely.Point(700_000.0, 400_000.0)],
        crs="EPSG:3059",
        index=["town", "far"],
    )
    return feed, points, centres


def _ts(text):
    return pd.Timestamp(f"{DAY} {text}")


def test_round_trip_answers(setup):
    feed, points, centres = setup
    result = round_trips(points, centres, feed, date=DAY)
    assert result["centre"].tolist() == ["town"] * 4
    assert result["round_trip"].tolist() == [True, False, False, True]
    first = result.iloc[0]
    assert first["earliest_arrival"] == _ts("08:10")
    assert first["latest_return"] == _ts("16:30")
    assert first["time_at_centre_minutes"] == pytest.approx(7.5 * 60)  # 09:00 to 16:30
    assert first["leave_home"] == _ts("07:30") and first["back_home"] == _ts("17:10")
    assert first["time_away_minutes"] == pytest.approx(580)
    # V2 arrives but cannot get back after a visit; V3 arrives too late for an hour.
    assert result.iloc[1]["earliest_arrival"] == _ts("08:40")
    # Journeys of no use for a visit are not searched: NaT.
    assert pd.isna(result.iloc[1]["latest_return"])
    assert pd.isna(result.iloc[2]["earliest_arrival"])
    walker = result.iloc[3]
    walk = pd.Timedelta(seconds=round(400 * 3.6 / 4.5))
    assert walker["earliest_arrival"] == _ts("05:00") + walk
    assert walker["latest_return"] == pd.Timestamp(DAY) + pd.Timedelta(hours=24) - walk
    assert result.attrs["round_trip"]["method"] == "euclidean"


def test_shorter_stay_and_summaries(setup):
    feed, points, centres = setup
    result = round_trips(points, centres, feed, date=DAY, stay_minutes=40)
    assert result["round_trip"].tolist() == [True, False, True, True]
    assert result.iloc[2]["time_at_centre_minutes"] == pytest.approx(40)  # 16:20 to 17:00
    units = round_trip_units(result).set_index("unit_code")
    assert units.loc["U1", "population_round_trip"] == 100
    assert units.loc["U1", "round_trip_share"] == pytest.approx(100 / 150)
    assert units.loc["U2", "round_trip_share"] == pytest.approx(1.0)
    # U2's walker is left out of the usual departure: V3's 15:40 bus is the one taken.
    assert result["walk_only"].tolist() == [False, False, False, True]
    assert units.loc["U2", "usual_leave_home"] == _ts("15:40")
    heavier = round_trip_units(result.assign(population=[100, 50, 30, 80])).set_index("unit_code")
    assert heavier.loc["U2", "usual_leave_home"] == _ts("15:40")
    assert units.loc["U1", "usual_leave_home"] == _ts("07:30")
    per_centre = round_trip_centres(result).set_index("centre")
    assert per_centre.loc["town", "population_assigned"] == 200
    assert per_centre.loc["town", "population_round_trip"] == 150


def test_assigned_centre_and_sunday(setup):
    feed, points, centres = setup
    points["centre_id"] = "far"
    result = round_trips(points, centres, feed, date=DAY, assign="centre_id")
    assert not result["round_trip"].any() and result["centre"].eq("far").all()
    sunday = round_trips(points, centres, feed, date="2024-03-17")
    # No buses on Sunday: only the walker makes it.
    assert sunday["round_trip"].tolist() == [False, False, False, True]
    points["centre_id"] = "nowhere"
    with pytest.raises(AccessibilityError, match="nowhere"):
        round_trips(points, centres, feed, date=DAY, assign="centre_id")
    with pytest.raises(AccessibilityError, match="does not fit"):
        round_trips(points, centres, feed, date=DAY, open_time="09:00", close_time="09:30")


def test_home_by_limits_the_return(setup):
    feed, points, centres = setup
    result = round_trips(points, centres, feed, date=DAY, home_by="17:00")
    assert not result["round_trip"].iloc[0]  # the 16:30 bus is home only at 17:10
    assert np.isnan(result["time_away_minutes"].iloc[0])


def test_round_trip_matrix_in_mclp(setup):
    from accessibility.planning import mclp
    from accessibility.transit import round_trip_matrix

    feed, points, _ = setup
    # Candidates: the town, and a site in village V2 (its residents walk there and back).
    candidates = gpd.GeoDataFrame(
        geometry=[shapely.Point(*STOPS["T"]), shapely.Point(*STOPS["V2"])], crs="EPSG:3059"
    )
    matrix = round_trip_matrix(points, candidates, feed, date=DAY)
    feasible = matrix.toarray() > 0
    feasible[matrix.tocoo().row, matrix.tocoo().col] = True
    assert feasible.tolist() == [[True, False], [False, True], [False, False], [True, False]]
    # The same answers as round_trips with each candidate assigned.
    for j in range(2):
        frame = points.assign(site=j)
        result = round_trips(frame, candidates, feed, date=DAY, assign="site", details=False)
        assert result["round_trip"].tolist() == feasible[:, j].tolist()
    assert matrix[0, 0] == pytest.approx(8 * 60 + 10 - 5 * 60)  # 05:00 to 08:10
    weights = points["population"].to_numpy()
    one = mclp(matrix, 1, radius=1440, weights=weights)
    assert one.selected.tolist() == [0] and one.objective == pytest.approx(120)
    two = mclp(matrix, 2, radius=1440, weights=weights)
    assert two.objective == pytest.approx(170)


@pytest.mark.slow
def test_two_workers_same_answers(setup):
    feed, points, centres = setup
    one = round_trips(points, centres, feed, date=DAY, stay_minutes=40)
    two = round_trips(points, centres, feed, date=DAY, stay_minutes=40, workers=2)
    pd.testing.assert_frame_equal(
        pd.DataFrame(one.drop(columns="geometry")), pd.DataFrame(two.drop(columns="geometry"))
    )


@pytest.mark.parametrize("seed", range(4))
def test_random_round_trips_against_pair_queries(tmp_path, seed):
    """The pruned one-target searches agree with unpruned all-pairs queries on random feeds."""
    from test_transit_journeys import _random_feed

    from accessibility.transit import latest_departures, transit_times

    feed, _ = _random_feed(tmp_path, seed)
    rng = np.random.default_rng(seed)
    points = gpd.GeoDataFrame(
        {"population": rng.integers(1, 50, 12)},
        geometry=[
            shapely.Point(500_000 + rng.uniform(0, 5000), 300_000 + rng.uniform(0, 5000))
            for _ in range(12)
        ],
        crs="EPSG:3059",
    )
    centres = feed.stops_frame().iloc[[0, 5]].reset_index(drop=True)
    hours = {"open": "08:00", "close": "10:00", "leave": "07:00", "home": "10:45"}
    options = {"max_walk_m": 900, "max_transfers": 30}
    result = round_trips(
        points,
        centres,
        feed,
        date=DAY,
        open_time=hours["open"],
        close_time=hours["close"],
        stay_minutes=30,
        leave_after=hours["leave"],
        home_by=hours["home"],
        **options,
    )
    there = transit_times(points, centres, feed, date=DAY, depart_after=hours["leave"], **options)
    back = latest_departures(centres, points, feed, date=DAY, arrive_by=hours["home"], **options)
    stay = pd.Timedelta(minutes=30)
    for i, row in enumerate(result.itertuples()):
        c = int(row.centre)
        arrival = there.loc[(there["origin"] == i) & (there["destination"] == c), "arrival"].iloc[0]
        leave = back.loc[(back["origin"] == c) & (back["destination"] == i), "departure"].iloc[0]
        # Journeys of no use for a visit are not searched by round_trips.
        if pd.notna(arrival) and arrival > _ts(hours["close"]) - stay:
            arrival = pd.NaT
        if pd.notna(leave) and leave < _ts(hours["open"]) + stay:
            leave = pd.NaT
        assert (row.earliest_arrival == arrival) or (
            pd.isna(row.earliest_arrival) and pd.isna(arrival)
        )
        assert (row.latest_return == leave) or (pd.isna(row.latest_return) and pd.isna(leave))
        expected = (
            pd.notna(arrival)
            and pd.notna(leave)
            and max(arrival, _ts(hours["open"])) + stay <= leave
        )
        assert row.round_trip == expected
    assert result["earliest_arrival"].notna().any()  # the check is not vacuous


def test_round_trip_map(setup, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from accessibility.outputs.transit_map import plot_round_trips, round_trip_classes

    feed, points, centres = setup
    result = round_trips(points, centres, feed, date=DAY)
    assert round_trip_classes(result).tolist() == [
        "round trip",
        "there, no usable return",
        "no journey in time",
        "round trip",
    ]
    ax = plot_round_trips(result, centres=centres)
    labels = ax.get_legend_handles_labels()[1]
    assert labels == [
        "round trip: 120 people",
        "there, no usable return: 50 people",
        "no journey in time: 30 people",
        "centres",
    ]
    assert "2024-03-11" in ax.get_title()
    ax.figure.savefig(tmp_path / "map.png")
    plt.close(ax.figure)
    assert (tmp_path / "map.png").stat().st_size > 1000
