"""Distances behind the coverage tables, all measured by the distance core."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from .. import settings
from ..network.distance import nearest
from ..projection import to_working_crs


def nearest_stops(
    sites: gpd.GeoDataFrame,
    intercity: gpd.GeoDataFrame,
    network: Any,
    *,
    fallback: bool,
    max_snap: float | None,
) -> pd.DataFrame:
    """Nearest intercity stop per site through the distance core, with stop id and name."""
    columns = ["stop_id", "stop_name", "distance", "method", "reason"]
    if sites.empty:
        return pd.DataFrame(columns=columns)
    if intercity.empty:
        return pd.DataFrame(
            {
                "stop_id": pd.NA,
                "stop_name": pd.NA,
                "distance": np.inf,
                "method": "network" if network is not None else "euclidean",
                "reason": "no intercity stop",
            },
            index=sites.index,
        )
    found = nearest_measured(sites, intercity, network, fallback=fallback, max_snap=max_snap)
    labels = found["target"]
    reachable = labels.notna()
    out = pd.DataFrame(index=sites.index, columns=columns)
    out["distance"] = found["distance"].astype(float).to_numpy()
    out["method"] = found["method"].to_numpy()
    out["reason"] = found["reason"].to_numpy()
    targets = labels[reachable].astype(int).to_numpy()
    out.loc[reachable.to_numpy(), "stop_id"] = intercity["stop_id"].to_numpy()[targets]
    out.loc[reachable.to_numpy(), "stop_name"] = intercity["stop_name"].to_numpy()[targets]
    return out


def nearest_measured(
    origins: gpd.GeoDataFrame,
    targets: gpd.GeoDataFrame,
    network: Any,
    *,
    fallback: bool,
    max_snap: float | None = None,
) -> pd.DataFrame:
    """``distance.nearest`` with positional labels; with ``fallback``, straight lines where the walk fails."""
    origins = gpd.GeoDataFrame(geometry=origins.geometry.to_numpy(), crs=settings.CRS)
    targets = gpd.GeoDataFrame(geometry=targets.geometry.to_numpy(), crs=settings.CRS)
    options = {} if max_snap is None else {"max_snap": max_snap}
    found = nearest(origins, targets, network=network, **options)
    found = found.reindex(origins.index)
    if network is not None and fallback:
        missing = ~np.isfinite(found["distance"].astype(float).to_numpy())
        missing &= (found["reason"] != "origin missing geometry").to_numpy()
        if missing.any():
            straight = nearest(origins[missing], targets, network=None)
            found.loc[missing, ["target", "distance", "method"]] = straight[
                ["target", "distance", "method"]
            ].to_numpy()
            found.loc[missing, "reason"] = (
                "not reachable on the walking network: straight line measured"
            )
    return found


def stops_within(
    units: gpd.GeoDataFrame, intercity: gpd.GeoDataFrame, distance: float
) -> pd.arrays.BooleanArray:
    """Per unit: does any intercity stop lie within ``distance`` of the unit (straight line)?"""
    if intercity.empty:
        return pd.array([False] * len(units), dtype="boolean")
    joined = gpd.sjoin(
        units[["unit_code", "geometry"]],
        intercity[["geometry"]],
        how="inner",
        predicate="dwithin",
        distance=distance,
    )
    near = set(joined["unit_code"])
    return pd.array(units["unit_code"].isin(near).to_numpy(), dtype="boolean")


def population_distances(
    table: pd.DataFrame,
    points: gpd.GeoDataFrame,
    centres: gpd.GeoDataFrame,
    network: Any,
    thresholds: tuple[float, ...],
    fallback: bool,
    max_snap: float | None,
) -> None:
    """Add population-to-nearest-centre columns to ``table`` (in place)."""
    points = to_working_crs(points)
    usable = centres[~(centres.geometry.isna() | centres.geometry.is_empty)]
    frame = pd.DataFrame(
        {
            "unit_code": points["unit_code"].astype(str).to_numpy(),
            "w": points["population"].to_numpy(dtype=float),
        }
    )
    if len(points) and len(usable):
        found = nearest_measured(points, usable, network, fallback=fallback, max_snap=max_snap)
        frame["d"] = found["distance"].astype(float).to_numpy()
        frame["method"] = found["method"].astype(str).to_numpy()
    else:
        frame["d"] = np.inf
        frame["method"] = "network" if network is not None else "euclidean"
    finite = np.isfinite(frame["d"])
    frame["wd"] = np.where(finite, frame["w"] * frame["d"], 0.0)
    frame["wf"] = np.where(finite, frame["w"], 0.0)
    frame["unreachable"] = np.where(finite, 0.0, frame["w"])
    for t in thresholds:
        frame[f"b{t:g}"] = np.where(frame["d"] > t, frame["w"], 0.0)
    grouped = frame.groupby("unit_code")
    sums = grouped[["wd", "wf", "unreachable", *[f"b{t:g}" for t in thresholds]]].sum()
    method = grouped["method"].agg(lambda m: m.iloc[0] if m.nunique() == 1 else "mixed")
    has_figure = table["population"].notna().to_numpy()
    code = table["unit_code"]
    mean = code.map(sums["wd"] / sums["wf"].where(sums["wf"] > 0))
    table["pop_mean_distance"] = np.where(has_figure, mean.astype(float), np.nan)
    population = table["population"].astype("Float64")
    for t in thresholds:
        beyond = code.map(sums[f"b{t:g}"]).fillna(0.0)
        table[f"pop_beyond_{t:g}"] = pd.array(
            np.where(has_figure, beyond.round(), np.nan), dtype="Float64"
        ).astype("Int64")
        share = table[f"pop_beyond_{t:g}"].astype("Float64") / population.where(population > 0)
        table[f"share_beyond_{t:g}"] = share.astype(float).round(6).to_numpy()
    unreachable = code.map(sums["unreachable"]).fillna(0.0)
    table["pop_unreachable"] = pd.array(
        np.where(has_figure, unreachable.round(), np.nan), dtype="Float64"
    ).astype("Int64")
    table["pop_distance_method"] = code.map(method).astype("string")


def duplicate_locations(xy: np.ndarray, has_point: np.ndarray) -> list[tuple[int, int]]:
    """(position, first position) of every site at exactly the same place as an earlier one."""
    frame = pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1]})[has_point]
    first = frame.groupby(["x", "y"], sort=False).cumcount()
    pairs = []
    if (first > 0).any():
        firsts = frame.reset_index().groupby(["x", "y"], sort=False)["index"].transform("first")
        for position, origin in zip(
            frame.index[first.to_numpy() > 0], firsts[first.to_numpy() > 0], strict=True
        ):
            pairs.append((int(position), int(origin)))
    return pairs
