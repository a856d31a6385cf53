"""Journeys by walk + transit + walk: hand-made answers and random feeds against networkx."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from transit_helpers import time_expanded_earliest, write_feed

from accessibility.transit import latest_departures, load_feed, transit_times

DAY = "2024-03-11"  # a Monday
STOPS = {
    "A": (500_000.0, 300_000.0),
    "B": (505_000.0, 300_000.0),
    "B2": (505_300.0, 300_000.0),  # 300 m from B: a walking transfer
    "C": (510_000.0, 300_000.0),
    "D": (500_400.0, 300_000.0),  # 400 m from A: walking there is faster than any bus
}
TRIPS = [
    ("t1", "7001", "WK", [("A", "08:00:00", "08:00:00"), ("B", "08:10:00", "08:11:00")]),
    ("t2", "5001", "WK", [("B2", "08:20:00", "08:20:00"), ("C", "08:35:00", "08:35:00")]),
    ("t3", "7001", "WK", [("A", "09:00:00", "09:00:00"), ("C", "09:20:00", "09:20:00")]),
    ("night", "7001", "WK", [("A", "23:30:00", "23:30:00"), ("C", "24:40:00", "24:40:00")]),
]


def _points(*xy):
    return gpd.GeoDataFrame(geometry=[shapely.Point(x, y) for x, y in xy], crs="EPSG:3059")


@pytest.fixture
def feed(tmp_path):
    return load_feed(write_feed(tmp_path / "f", STOPS, TRIPS))


def test_transfer_by_walking(feed):
    # From 50 m west of A (40 s at 4.5 km/h) leaving 07:55: t1 to B, walk 300 m, t2 to C.
    result = transit_times(
        _points((499_950, 300_000)), _points(STOPS["C"]), feed, date=DAY, depart_after="07:55"
    )
    row = result.iloc[0]
    assert row["arrival"] == pd.Timestamp("2024-03-11 08:35")
    assert row["departure"] == pd.Timestamp("2024-03-11 08:00") - pd.Timedelta(seconds=40)
    assert row["travel_minutes"] == pytest.approx(40.0)
    assert row["method"] == "euclidean" and not row["walk_only"]


def test_max_transfers_limits_vehicles(feed):
    # Without a transfer the first direct bus is t3 at 09:00.
    result = transit_times(
        _points(STOPS["A"]),
        _points(STOPS["C"]),
        feed,
        date=DAY,
        depart_after="07:55",
        max_transfers=0,
    )
    assert result["arrival"].iloc[0] == pd.Timestamp("2024-03-11 09:20")


def test_walk_only_when_faster_and_unreachable(feed):
    result = transit_times(
        _points(STOPS["A"]), _points(STOPS["D"], STOPS["A"]), feed, date=DAY, depart_after="07:00"
    )
    assert result["walk_only"].tolist() == [True, True]
    assert result["travel_minutes"].iloc[0] == pytest.approx(np.rint(400 * 3.6 / 4.5) / 60)
    assert result["travel_minutes"].iloc[1] == 0.0
    # After the last bus, and on a Sunday, C is out of reach.
    late = transit_times(
        _points(STOPS["A"]), _points(STOPS["C"]), feed, date=DAY, depart_after="23:45"
    )
    sunday = transit_times(
        _points(STOPS["A"]), _points(STOPS["C"]), feed, date="2024-03-17", depart_after="07:00"
    )
    for frame in (late, sunday):
        assert frame["arrival"].isna().all() and frame["travel_minutes"].isna().all()


def test_trip_past_midnight(feed):
    result = transit_times(
        _points(STOPS["A"]), _points(STOPS["C"]), feed, date=DAY, depart_after="23:00"
    )
    assert result["arrival"].iloc[0] == pd.Timestamp("2024-03-12 00:40")
    # The same trip seen from Tuesday: it left on Monday and arrives at 00:40.
    reverse = latest_departures(
        _points(STOPS["A"]), _points(STOPS["C"]), feed, date="2024-03-12", arrive_by="01:00"
    )
    assert reverse["departure"].iloc[0] == pd.Timestamp("2024-03-11 23:30")


def test_reverse_query(feed):
    reverse = latest_departures(
        _points(STOPS["A"]), _points(STOPS["C"]), feed, date=DAY, arrive_by="09:00"
    )
    assert reverse["departure"].iloc[0] == pd.Timestamp("2024-03-11 08:00")
    assert reverse["arrival"].iloc[0] == pd.Timestamp("2024-03-11 08:35")
    later = latest_departures(
        _points(STOPS["A"]), _points(STOPS["C"]), feed, date=DAY, arrive_by="09:30"
    )
    assert later["departure"].iloc[0] == pd.Timestamp("2024-03-11 09:00")
    assert later["travel_minutes"].iloc[0] == pytest.approx(20.0)
    early = latest_departures(
        _points(STOPS["A"]), _points(STOPS["C"]), feed, date=DAY, arrive_by="08:30"
    )
    assert early["departure"].isna().all()


def _random_feed(tmp_path, seed):
    rng = np.random.default_rng(seed)
    stops = {
        f"S{i}": (500_000 + rng.uniform(0, 5000), 300_000 + rng.uniform(0, 5000)) for i in range(18)
    }
    names = list(stops)
    trips = []
    for r in range(7):
        seq = list(rng.choice(names, int(rng.integers(3, 7)), replace=False))
        for k in range(int(rng.integers(2, 6))):
            t = int(rng.integers(6 * 60, 11 * 60)) * 60 + int(rng.integers(0, 2)) * 30
            calls = []
            order = seq if k % 2 == 0 else seq[::-1]
            for stop in order:
                arr = t
                dep = t + int(rng.integers(0, 2)) * 60
                calls.append(
                    (
                        stop,
                        f"{arr // 3600:02d}:{arr % 3600 // 60:02d}:{arr % 60:02d}",
                        f"{dep // 3600:02d}:{dep % 3600 // 60:02d}:{dep % 60:02d}",
                    )
                )
                t = dep + int(rng.integers(1, 9)) * 60
            trips.append((f"r{r}k{k}", f"R{r}", "WK", calls))
    return load_feed(write_feed(tmp_path / f"rand{seed}", stops, trips)), stops


@pytest.mark.parametrize("seed", range(6))
def test_random_feeds_against_time_expanded_graph(tmp_path, seed):
    feed, _ = _random_feed(tmp_path, seed)
    rng = np.random.default_rng(100 + seed)
    origins = _points(
        *[(500_000 + rng.uniform(0, 5000), 300_000 + rng.uniform(0, 5000)) for _ in range(5)]
    )
    destinations = feed.stops_frame()
    start = 6 * 3600 + int(rng.integers(0, 3 * 3600))
    result = transit_times(
        origins, destinations, feed, date=DAY, depart_after=start, max_walk_m=900, max_transfers=30
    )
    minutes = result["travel_minutes"].to_numpy().reshape(len(origins), len(destinations))
    walk_only = result["walk_only"].to_numpy().reshape(len(origins), len(destinations))
    sx, sy = feed.stop_x, feed.stop_y
    checked = 0
    for i, point in enumerate(origins.geometry):
        dist = np.hypot(sx - point.x, sy - point.y)
        walk = np.rint(dist * 3.6 / 4.5)
        access = {int(s): int(walk[s]) for s in np.flatnonzero(dist <= 900)}
        expected = time_expanded_earliest(
            feed, DAY, access, start, max_walk_m=900, walk_speed_kmh=4.5
        )
        for j in range(len(destinations)):
            # Destinations are stops: egress 0 from the stop itself, or a walk from a near one.
            d = np.hypot(sx - sx[j], sy - sy[j])
            egress = np.rint(d * 3.6 / 4.5)
            arrive = min(
                [expected[s] + egress[s] for s in expected if d[s] <= 900]
                + ([start + walk[j]] if dist[j] <= 900 else []),
                default=np.inf,
            )
            got = start + minutes[i, j] * 60 if np.isfinite(minutes[i, j]) else np.inf
            assert got == pytest.approx(arrive), (i, j, walk_only[i, j])
            checked += np.isfinite(arrive)
    assert checked > 0


@pytest.mark.parametrize("seed", range(4))
def test_random_reverse_consistent_with_forward(tmp_path, seed):
    feed, _ = _random_feed(tmp_path, seed)
    stops = feed.stops_frame()
    origins, destinations = stops.iloc[:6], stops.iloc[6:12]
    reverse = latest_departures(
        origins, destinations, feed, date=DAY, arrive_by="11:30", max_walk_m=900, max_transfers=30
    )
    hit = reverse.dropna(subset=["departure"])
    assert len(hit) > 0
    for row in hit.itertuples():
        if row.walk_only:
            continue
        leave = row.departure.hour * 3600 + row.departure.minute * 60 + row.departure.second
        fwd = transit_times(
            origins.loc[[row.origin]],
            destinations.loc[[row.destination]],
            feed,
            date=DAY,
            depart_after=leave,
            max_walk_m=900,
            max_transfers=30,
        )
        assert fwd["arrival"].iloc[0] <= pd.Timestamp("2024-03-11 11:30")
        # One second later no journey arrives in time (the departure is the latest).
        later = transit_times(
            origins.loc[[row.origin]],
            destinations.loc[[row.destination]],
            feed,
            date=DAY,
            depart_after=leave + 1,
            max_walk_m=900,
            max_transfers=30,
        )
        assert not (later["arrival"].iloc[0] <= pd.Timestamp("2024-03-11 11:30"))


def test_walks_along_the_network(tmp_path):
    from accessibility.network.walk import walk_network

    stops = {
        "X": (490_000.0, 300_000.0),
        "A": (500_000.0, 300_000.0),
        "B": (500_600.0, 300_000.0),
        "C": (510_000.0, 300_000.0),
    }
    trips = [
        ("t1", "7001", "WK", [("X", "07:40:00", "07:40:00"), ("A", "08:00:00", "08:00:00")]),
        ("t2", "7002", "WK", [("B", "08:20:00", "08:20:00"), ("C", "08:40:00", "08:40:00")]),
    ]
    feed = load_feed(write_feed(tmp_path / "f", stops, trips))
    # The only path from A to B is a 1,400 m detour: beyond the 1,000 m walk.
    lines = gpd.GeoDataFrame(
        geometry=[
            shapely.LineString(
                [(500_000, 300_000), (500_000, 300_400), (500_600, 300_400), (500_600, 300_000)]
            ),
            shapely.LineString([(489_900, 300_000), (490_100, 300_000)]),
            shapely.LineString([(509_900, 300_000), (510_100, 300_000)]),
        ],
        crs="EPSG:3059",
    )
    network = walk_network(lines)
    origin, target = _points(stops["X"]), _points(stops["C"])
    straight = transit_times(origin, target, feed, date=DAY, depart_after="07:30")
    walked = transit_times(origin, target, feed, date=DAY, depart_after="07:30", network=network)
    assert straight["arrival"].iloc[0] == pd.Timestamp("2024-03-11 08:40")
    assert straight["method"].iloc[0] == "euclidean"
    assert walked["arrival"].isna().all() and walked["method"].iloc[0] == "network"
    # With a longer walk allowed the detour is walked: 1,400 m at 4.5 km/h is 18 min 40 s,
    # in time for the 08:20 bus; at 4 km/h it is 21 min, too late.
    longer = transit_times(
        origin, target, feed, date=DAY, depart_after="07:30", network=network, max_walk_m=1500
    )
    assert longer["arrival"].iloc[0] == pd.Timestamp("2024-03-11 08:40")
    slower = transit_times(
        origin,
        target,
        feed,
        date=DAY,
        depart_after="07:30",
        network=network,
        max_walk_m=1500,
        walk_speed_kmh=4.0,
    )
    assert slower["arrival"].isna().all()


@pytest.mark.parametrize("seed", range(2))
def test_travel_time_matrix_matches_transit_times(tmp_path, seed):
    from accessibility.planning import p_median
    from accessibility.transit import travel_time_matrix

    feed, _ = _random_feed(tmp_path, seed)
    stops = feed.stops_frame()
    origins, destinations = stops.iloc[:8], stops.iloc[8:14]
    options = {"date": DAY, "depart_after": "07:00", "max_walk_m": 900}
    matrix = travel_time_matrix(origins, destinations, feed, **options)
    long = transit_times(origins, destinations, feed, **options)["travel_minutes"].to_numpy()
    np.testing.assert_array_equal(
        np.nan_to_num(matrix.ravel(), posinf=-1), np.nan_to_num(long, nan=-1)
    )
    reachable = np.isfinite(matrix).any(axis=1)
    plan = p_median(matrix[reachable], 2)
    assert len(plan.selected) == 2
