"""Population placement: grid points per unit, exact totals, weights, errors, real data."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, Polygon, box

from accessibility import get_report
from accessibility._errors import AccessibilityError, MissingColumnError
from accessibility.coverage.demand import (
    METHOD_REPRESENTATIVE_POINT,
    population_centres,
    population_points,
)


def _units(shapes: dict[str, object], crs: str = "EPSG:3059") -> gpd.GeoDataFrame:
    codes = sorted(shapes)
    return gpd.GeoDataFrame(
        {
            "unit_code": codes,
            "unit_name": [f"Unit {c}" for c in codes],
            "unit_kind": "parish",
            "municipality_code": "0100000",
            "municipality_name": "Test novads",
        },
        geometry=[shapes[c] for c in codes],
        crs=crs,
    )


def _population(figures: dict[str, int], year: int = 2024) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "unit_code": list(figures),
            "unit_name": "x",
            "year": year,
            "population": list(figures.values()),
        }
    )


# A 3 km x 2 km rectangle aligned on the grid, and one offset by half a cell.
ALIGNED = box(500_000, 300_000, 503_000, 302_000)
OFFSET = box(510_500, 300_000, 512_500, 301_000)


def test_aligned_unit_gets_one_point_per_cell_and_exact_total():
    units = _units({"0100001": ALIGNED})
    points = population_points(units, _population({"0100001": 601}))
    assert len(points) == 6
    assert points["population"].sum() == 601
    # 601 / 6 = 100.17: five cells get 100 and one cell gets the leftover person.
    assert sorted(points["population"]) == [100, 100, 100, 100, 100, 101]
    assert set(points.geometry.x) == {500_500.0, 501_500.0, 502_500.0}
    assert set(points.geometry.y) == {300_500.0, 301_500.0}
    assert points.crs.to_epsg() == 3059
    assert list(points.columns) == ["unit_code", "population", "method", "geometry"]
    assert points["population"].dtype == np.int64
    assert set(points["method"]) == {"grid 1000 m, area-weighted"}


def test_clipped_cells_share_by_area_and_points_lie_inside():
    units = _units({"0100002": OFFSET})
    points = population_points(units, _population({"0100002": 400}))
    by_x = points.set_index(points.geometry.x)["population"].sort_index()
    # Cells cut to 0.5, 1 and 0.5 km2 share 400 people as 100, 200, 100.
    assert by_x.to_dict() == {510_750.0: 100, 511_500.0: 200, 512_250.0: 100}
    assert points.geometry.within(OFFSET).all()


def test_largest_remainder_allocation_by_hand():
    # Three cells of 1, 1 and 0.5 km2 hold quotas 4.0, 4.0, 2.0 of 10 people: no remainder.
    # With 11 people the quotas are 4.4, 4.4, 2.2: floors 4, 4, 2 leave one person, given to
    # the first of the two largest remainders (the upper-left cell in reading order).
    unit = box(0, 0, 2_500, 1_000)
    units = _units({"0100003": unit}).set_crs("EPSG:3059", allow_override=True)
    units.geometry = units.geometry.translate(400_000, 300_000)
    points = population_points(units, _population({"0100003": 11}))
    by_x = points.set_index(points.geometry.x - 400_000)["population"].sort_index()
    assert by_x.to_dict() == {500.0: 5, 1_500.0: 4, 2_250.0: 2}


def test_unit_smaller_than_a_cell_gets_one_point_at_a_representative_point():
    small = box(520_000, 300_000, 520_400, 300_300)
    units = _units({"0100004": small, "0100001": ALIGNED})
    points = population_points(units, _population({"0100004": 37, "0100001": 6}))
    mine = points[points["unit_code"] == "0100004"]
    assert len(mine) == 1
    assert mine["population"].iloc[0] == 37
    assert mine["method"].iloc[0] == METHOD_REPRESENTATIVE_POINT
    assert mine.geometry.iloc[0].within(small)


def test_unit_without_population_figure_is_reported_not_zero():
    units = _units({"0100001": ALIGNED, "0100002": OFFSET})
    points = population_points(units, _population({"0100001": 60, "0999999": 5}))
    assert set(points["unit_code"]) == {"0100001"}
    report = get_report(points)
    assert report["rejected"] == 1
    assert report["rejected_rows"][0]["id"] == "0100002"
    assert report["rejected_rows"][0]["reason"] == "no population figure"
    assert report["notes"]["population_rows_without_unit"] == ["0999999"]
    assert report["notes"]["population_placed"] == 60


def test_unit_with_zero_population_gets_no_points_and_total_stays_zero():
    units = _units({"0100001": ALIGNED})
    points = population_points(units, _population({"0100001": 0}))
    assert len(points) == 0
    assert get_report(points)["rejected"] == 0


def test_latest_year_by_default_and_year_on_request():
    units = _units({"0100001": ALIGNED})
    table = pd.concat([_population({"0100001": 60}, 2023), _population({"0100001": 66}, 2024)])
    assert population_points(units, table)["population"].sum() == 66
    assert population_points(units, table, year=2023)["population"].sum() == 60
    with pytest.raises(AccessibilityError, match="no year 2020"):
        population_points(units, table, year=2020)


def test_geographic_units_are_projected_before_gridding():
    units = _units({"0100001": ALIGNED}).to_crs("EPSG:4326")
    points = population_points(units, _population({"0100001": 600}))
    assert points.crs.to_epsg() == 3059
    assert points["population"].sum() == 600
    # The reprojected rectangle is no longer exactly aligned, but its cells still sum to it.
    assert 6 <= len(points) <= 12


def test_weights_put_people_where_the_weight_points_are():
    units = _units({"0100001": ALIGNED, "0100002": OFFSET})
    stops = gpd.GeoDataFrame(
        {"stop_id": ["a", "b", "c"]},
        geometry=[Point(500_100, 300_100), Point(500_200, 300_200), Point(502_900, 301_900)],
        crs="EPSG:3059",
    )
    points = population_points(
        units, _population({"0100001": 300, "0100002": 10}), weights=stops, weight_name="stops"
    )
    first = points[points["unit_code"] == "0100001"]
    first = first.set_index(first.geometry.x)["population"]
    # Two stops in the lower-left cell, one in the upper-right: 200 and 100 people.
    assert first.to_dict() == {500_500.0: 200, 502_500.0: 100}
    methods = points.groupby("unit_code")["method"].first()
    assert methods["0100001"] == "grid 1000 m, weighted by stops"
    # No stop in the second unit: area weighting, and the method says so.
    assert methods["0100002"] == "grid 1000 m, area-weighted (no stops in unit)"
    assert points.loc[points["unit_code"] == "0100002", "population"].sum() == 10


def test_weight_column_is_used_and_validated():
    units = _units({"0100001": ALIGNED})
    places = gpd.GeoDataFrame(
        {"people": [3.0, 1.0]},
        geometry=[Point(500_500, 300_500), Point(502_500, 301_500)],
        crs="EPSG:3059",
    )
    points = population_points(
        units, _population({"0100001": 100}), weights=places, weight_column="people"
    )
    assert sorted(points["population"]) == [25, 75]
    with pytest.raises(MissingColumnError, match="weight"):
        population_points(
            units, _population({"0100001": 100}), weights=places, weight_column="nope"
        )
    places["people"] = [-1.0, 1.0]
    with pytest.raises(AccessibilityError, match="non-negative"):
        population_points(
            units, _population({"0100001": 100}), weights=places, weight_column="people"
        )


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (pd.DataFrame({"unit_code": ["0100001"], "population": [-5]}), "negative"),
        (pd.DataFrame({"unit_code": ["0100001"], "population": [5.5]}), "whole number"),
        (
            pd.DataFrame({"unit_code": ["0100001", "0100001"], "population": [5, 6]}),
            "more than once",
        ),
        (pd.DataFrame({"unit_code": ["0100001"]}), "population"),
    ],
)
def test_bad_population_tables_raise_clear_errors(table, message):
    with pytest.raises(AccessibilityError, match=message):
        population_points(_units({"0100001": ALIGNED}), table)


def test_bad_resolution_and_units_raise():
    table = _population({"0100001": 5})
    with pytest.raises(AccessibilityError, match="resolution"):
        population_points(_units({"0100001": ALIGNED}), table, resolution=0)
    with pytest.raises(MissingColumnError, match="unit_code"):
        population_points(gpd.GeoDataFrame(geometry=[ALIGNED], crs="EPSG:3059"), table)


def test_empty_units_give_an_empty_layer_with_the_columns():
    units = _units({}).iloc[0:0]
    points = population_points(units, _population({"0100001": 5}))
    assert len(points) == 0
    assert list(points.columns) == ["unit_code", "population", "method", "geometry"]


@settings(max_examples=25, deadline=None)
@given(
    sizes=st.lists(
        st.tuples(
            st.floats(100, 4_000),
            st.floats(100, 4_000),
            st.floats(0, 999),
            st.floats(0, 999),
            st.integers(0, 50_000),
        ),
        min_size=1,
        max_size=5,
    ),
    resolution=st.sampled_from([250.0, 500.0, 1000.0]),
)
def test_totals_are_preserved_exactly_for_any_shape(sizes, resolution):
    shapes, figures = {}, {}
    for i, (w, h, dx, dy, people) in enumerate(sizes):
        code = f"01{i:05d}"
        x0, y0 = 500_000 + 10_000 * i + dx, 300_000 + dy
        # A triangle-cut rectangle, so some cells are clipped to odd shapes.
        shapes[code] = Polygon([(x0, y0), (x0 + w, y0), (x0 + w, y0 + h), (x0 + w / 3, y0 + h)])
        figures[code] = people
    points = population_points(_units(shapes), _population(figures), resolution=resolution)
    per_unit = (
        points.groupby("unit_code")["population"].sum().reindex(sorted(figures), fill_value=0)
    )
    assert per_unit.to_dict() == figures
    assert (points["population"] > 0).all()
    inside = points.geometry.values.covered_by(
        _units(shapes).set_index("unit_code").geometry.reindex(points["unit_code"]).values
    )
    assert inside.all()


def test_population_centres_are_weighted_and_stay_inside_the_unit():
    units = _units({"0100001": ALIGNED})
    points = population_points(units, _population({"0100001": 600}))
    centres = population_centres(points, units)
    assert len(centres) == 1
    assert centres.geometry.iloc[0].equals_exact(Point(501_500, 301_000), 1e-6)
    # A U-shaped unit: its weighted centre falls in the empty middle, so it moves to a populated point.
    u_shape = box(600_000, 300_000, 605_000, 305_000).difference(
        box(601_000, 301_000, 604_000, 305_000)
    )
    u_units = _units({"0100009": u_shape})
    u_points = population_points(u_units, _population({"0100009": 1_700}))
    centre = population_centres(u_points, u_units).geometry.iloc[0]
    assert centre.within(u_shape)
    assert centre in list(u_points.geometry)
    assert population_centres(u_points, u_units)["population"].iloc[0] == 1_700


@pytest.mark.realdata
def test_real_population_is_placed_exactly(real_data):
    from accessibility import load_population, load_units

    units = load_units(next((real_data / "csb_territorial_units_2024_01_01").glob("*.shp")))
    population = load_population(
        real_data / "raim_pmlp_indicators_by_territorial_unit" / "raditaju_atlase_aprobacija.xlsx"
    )
    points = population_points(units, population)
    assert points["population"].sum() == 2_041_552
    per_unit = points.groupby("unit_code")["population"].sum()
    figures = population.set_index("unit_code")["population"]
    assert len(per_unit) == 592
    assert (per_unit == figures.reindex(per_unit.index)).all()
    # A 1 km grid over 64,579 km2, plus the cells cut by unit borders.
    assert 64_000 < len(points) < 90_000
    assert get_report(points)["rejected"] == 0
