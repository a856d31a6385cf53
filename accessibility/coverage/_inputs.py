"""Checks and preparation of the inputs of the coverage functions."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd

from .._errors import AccessibilityError, MissingColumnError
from .._layers import is_checked
from ..projection import to_working_crs
from ._locate import locate_points


def check_distance(distance: float) -> None:
    if (
        isinstance(distance, bool)
        or not isinstance(distance, (int, float))
        or not distance > 0
        or math.isinf(distance)
    ):
        raise AccessibilityError(
            f"stop rule distance must be a positive number of metres, got {distance!r}"
        )


def check_units(units: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Units in EPSG:3059, sorted by code, with the schema's columns checked.

    A layer marked by :func:`~accessibility.io.units.load_units` is trusted: its columns, CRS and
    unique codes were checked where it was loaded.
    """
    trusted = is_checked(units, "units")
    if not trusted:
        for column in ("unit_code", "unit_name", "unit_kind", "municipality_code", "geometry"):
            if column not in units.columns:
                raise MissingColumnError(None, "units layer has no such column", field=column)
        units = to_working_crs(units)
    units = units.copy()
    units["unit_code"] = units["unit_code"].astype(str)
    units["municipality_code"] = units["municipality_code"].astype(str)
    if not trusted:
        duplicated = units["unit_code"][units["unit_code"].duplicated()]
        if len(duplicated):
            raise AccessibilityError(
                f"units layer holds unit_code {duplicated.iloc[0]!r} more than once"
            )
    return units.sort_values("unit_code", kind="stable").reset_index(drop=True)


def check_sites(sites: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Sites in EPSG:3059 with text ids; raises on missing columns or a repeated site_id.

    A layer marked by the site loaders is trusted: its columns, CRS and ids were checked there.
    """
    trusted = is_checked(sites, "sites")
    if not trusted:
        for column in ("site_id", "geometry"):
            if column not in sites.columns:
                raise MissingColumnError(None, "sites layer has no such column", field=column)
        sites = to_working_crs(sites)
    sites = sites.copy()
    if not trusted and sites["site_id"].isna().any():
        row = int(np.flatnonzero(sites["site_id"].isna().to_numpy())[0])
        raise AccessibilityError(f"site at position {row} has no site_id; give every site an id")
    if not sites.index.is_unique:
        # Results are matched back to sites by index label, so labels must be unique.
        sites = sites.reset_index(drop=True)
    sites["site_id"] = sites["site_id"].astype(str)
    duplicated = sites["site_id"][sites["site_id"].duplicated()] if not trusted else ()
    if len(duplicated):
        raise AccessibilityError(
            f"sites layer holds site_id {duplicated.iloc[0]!r} more than once "
            f"({len(duplicated)} repeated id(s)); give every site its own id"
        )
    return sites


def check_stops(stops: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Stops in EPSG:3059 with text ids and a boolean ``intercity``, without empty points.

    A layer marked by :func:`~accessibility.io.stops.load_stops` is trusted: its columns, CRS
    and intercity flags were checked where it was loaded.
    """
    trusted = is_checked(stops, "stops")
    if not trusted:
        for column in ("stop_id", "intercity", "geometry"):
            if column not in stops.columns:
                raise MissingColumnError(None, "stops layer has no such column", field=column)
        stops = to_working_crs(stops)
    stops = stops.copy()
    stops["stop_id"] = stops["stop_id"].astype(str)
    if not trusted and stops["intercity"].isna().any():
        bad = stops.loc[stops["intercity"].isna(), "stop_id"].iloc[0]
        raise AccessibilityError(f"stop {bad!r} has no intercity flag")
    stops["intercity"] = stops["intercity"].astype(bool)
    stops = stops[~(stops.geometry.isna() | stops.geometry.is_empty)]
    return stops.reset_index(drop=True)


def intercity_stops(stops: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    stops = check_stops(stops)
    if "stop_name" not in stops.columns:
        stops["stop_name"] = pd.NA
    return stops.loc[stops["intercity"], ["stop_id", "stop_name", "geometry"]].reset_index(
        drop=True
    )


def assign_sites(
    sites: gpd.GeoDataFrame, units: gpd.GeoDataFrame, tolerance: float
) -> gpd.GeoDataFrame:
    """Sites with ``unit_code`` (kept when given, else located in ``units``)."""
    sites = sites.copy()
    if "unit_code" not in sites.columns or sites["unit_code"].isna().all():
        has_point = ~(sites.geometry.isna() | sites.geometry.is_empty)
        sites["unit_code"] = pd.NA
        if has_point.any():
            located = locate_points(sites.geometry[has_point], units, tolerance=tolerance)
            sites.loc[has_point, "unit_code"] = located["unit_code"].to_numpy()
    return sites


def population_figures(population: pd.DataFrame, year: int | None) -> pd.Series:
    """Population per unit code for the chosen (default latest) year; missing figures left out."""
    for column in ("unit_code", "population"):
        if column not in population.columns:
            raise MissingColumnError(None, "population table has no such column", field=column)
    table = pd.DataFrame(population).copy()
    table["unit_code"] = table["unit_code"].astype(str)
    chosen = year
    if "year" in table.columns and table["year"].notna().any():
        years = sorted(int(y) for y in table["year"].dropna().unique())
        chosen = years[-1] if year is None else int(year)
        if chosen not in years:
            raise AccessibilityError(
                f"population table has no year {chosen}; it holds {', '.join(map(str, years))}"
            )
        table = table[table["year"] == chosen]
    values = pd.to_numeric(table["population"], errors="coerce")
    values.index = table["unit_code"].to_numpy()
    values = values.dropna()
    values = values[~values.index.duplicated(keep="first")]
    values.attrs["year"] = chosen
    return values
