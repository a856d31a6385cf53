"""Find the territorial unit of each point, with a small tolerance for generalised boundaries."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from .. import settings
from ..io.units import assign_units


def locate_points(
    points: gpd.GeoSeries, units: gpd.GeoDataFrame, *, tolerance: float
) -> pd.DataFrame:
    """The unit of each point: inside a polygon, else the nearest one within ``tolerance`` metres.

    Points inside (or on the border of) a unit follow :func:`accessibility.assign_units`. The
    CSB boundaries are generalised to 1:1.2 M, so a coastal or border stop can fall a little
    outside every polygon; such a point goes to the nearest unit if that is within ``tolerance``.

    Parameters
    ----------
    points
        Point geometries in EPSG:3059.
    units
        Units with ``unit_code`` and ``municipality_code`` in EPSG:3059.
    tolerance
        Largest distance (metres) at which a point outside every polygon is given to the nearest.

    Returns
    -------
    pandas.DataFrame
        One row per point, positionally (RangeIndex): ``unit_code`` (<NA> when none), ``how``
        (``inside``, ``nearest``, ``outside`` or ``no location``) and ``distance_to_unit``
        (metres; 0 inside, NaN for ``outside`` and ``no location``).
    """
    geoms = gpd.GeoSeries(np.asarray(points), crs=settings.CRS)
    n = len(geoms)
    missing = (geoms.isna() | geoms.is_empty).to_numpy()
    how = np.where(missing, "no location", "outside").astype(object)
    gap = np.full(n, np.nan)
    code = pd.Series(pd.NA, index=pd.RangeIndex(n), dtype="string")
    if n == 0 or len(units) == 0:
        return pd.DataFrame({"unit_code": code, "how": how, "distance_to_unit": gap})
    probe = gpd.GeoDataFrame(geometry=geoms, crs=settings.CRS)
    assigned = assign_units(probe, units[["unit_code", "municipality_code", "geometry"]])
    found = assigned["unit_code"].notna().to_numpy()
    code[found] = assigned["unit_code"].to_numpy()[found]
    how[found] = "inside"
    gap[found] = 0.0
    rest = probe[~found & ~missing]
    if len(rest) and tolerance > 0:
        shapes = units[["unit_code", "geometry"]].reset_index(drop=True)
        near = gpd.sjoin_nearest(
            rest, shapes, how="inner", max_distance=tolerance, distance_col="_gap"
        )
        near = near.sort_values(["_gap", "unit_code"], kind="stable")
        near = near[~near.index.duplicated(keep="first")]
        code.iloc[near.index.to_numpy()] = near["unit_code"].to_numpy()
        how[near.index.to_numpy()] = "nearest"
        gap[near.index.to_numpy()] = near["_gap"].to_numpy()
    return pd.DataFrame({"unit_code": code, "how": how, "distance_to_unit": gap})
