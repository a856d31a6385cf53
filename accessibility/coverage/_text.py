"""Wording, figures and file preparation shared by the coverage summary, gaps and writers."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ..io.write import file_ready

#: Wording used wherever a distance is a straight line rather than a walk.
STRAIGHT_LINE_NOTE = "straight-line distance, not a walk"


def listing(stops: gpd.GeoDataFrame, located: pd.DataFrame, how: str) -> list[dict[str, Any]]:
    """Stops located ``how`` (``nearest`` or ``outside``), with id, name, unit and distance."""
    mask = (located["how"] == how).to_numpy()
    rows = []
    for i in np.flatnonzero(mask):
        rows.append(
            {
                "stop_id": stops["stop_id"].iloc[i],
                "stop_name": None
                if "stop_name" not in stops.columns
                else stops["stop_name"].iloc[i],
                "unit_code": None
                if pd.isna(located["unit_code"].iloc[i])
                else located["unit_code"].iloc[i],
                "distance_to_unit_m": round(float(located["distance_to_unit"].iloc[i]), 1),
            }
        )
    return rows


def for_file(layer: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A copy GeoPackage can hold: categoricals as text, lists joined, attrs dropped."""
    return file_ready(layer)


def fraction(count: int, of: int) -> dict[str, Any]:
    return {"count": int(count), "of": int(of), "share": round(count / of, 4) if of else None}


def pct(figure: dict[str, Any]) -> str:
    return "not computed" if figure["share"] is None else f"{100 * figure['share']:.1f}%"


def km(metres: float) -> str:
    return f"{metres / 1000:g} km" if metres >= 1000 else f"{metres:g} m"


def method_words(method: Any) -> str:
    if method == "euclidean":
        return STRAIGHT_LINE_NOTE
    if method == "network":
        return "walking distance"
    if method == "mixed":
        return f"walking distance where the network reaches, otherwise {STRAIGHT_LINE_NOTE}"
    return "distance method unknown"


def joint_method(methods: pd.Series | None) -> str | None:
    if methods is None:
        return None
    values = set(methods.dropna().astype(str))
    if not values:
        return None
    return values.pop() if len(values) == 1 else "mixed"
