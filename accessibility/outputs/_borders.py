"""Detailed outlines for the state cities, from the municipality layer where it has them.

The CSB territorial units are drawn at 1:1.2 M, coarse enough that Rīga and Jūrmala look
blocky on a city sheet; VARAM's administrative territories carry the detailed border of each
of the seven state-city municipalities, which are one unit each (same ATVK code).
"""

from __future__ import annotations

import geopandas as gpd


def detailed_state_cities(
    units: gpd.GeoDataFrame, municipalities: gpd.GeoDataFrame | None
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Units whose state cities take the municipality layer's outline, and the codes replaced.

    A unit is replaced only when it is a state city (``unit_kind``) and a municipality of
    kind ``state_city`` has the same code; every other unit, and every column, is kept.
    Both layers must be in the same CRS (EPSG:3059 in the toolkit).
    """
    needed_units = {"unit_code", "unit_kind"}
    needed_municipalities = {"municipality_code", "municipality_kind"}
    if (
        municipalities is None
        or not needed_units <= set(units.columns)
        or not needed_municipalities <= set(municipalities.columns)
    ):
        return units, []
    cities = municipalities[municipalities["municipality_kind"] == "state_city"]
    outline = dict(
        zip(cities["municipality_code"].astype(str), cities.geometry.to_numpy(), strict=True)
    )
    codes = units["unit_code"].astype(str)
    replace = ((units["unit_kind"] == "state_city") & codes.isin(list(outline))).to_numpy().copy()
    replace &= [outline.get(c) is not None and not outline[c].is_empty for c in codes]
    if not replace.any():
        return units, []
    units = units.copy()
    geometry = units.geometry.to_numpy().copy()
    for i in replace.nonzero()[0]:
        geometry[i] = outline[codes.iloc[i]]
    units[units.geometry.name] = gpd.GeoSeries(geometry, index=units.index, crs=units.crs)
    return units, sorted(codes[replace])
