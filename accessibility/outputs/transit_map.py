"""A map of the population by same-day round-trip feasibility."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import matplotlib.pyplot as plt
import numpy as np

from .. import settings

#: Colours of the three classes: a round trip, a journey there only, neither.
COLOURS: dict[str, str] = {
    "round trip": "#1b7837",
    "there, no usable return": "#f1a340",
    "no journey in time": "#b2182b",
}


def round_trip_classes(result: gpd.GeoDataFrame) -> np.ndarray:
    """The class of each point of :func:`~accessibility.transit.round_trips` (see :data:`COLOURS`)."""
    there = result["earliest_arrival"].notna().to_numpy()
    ok = result["round_trip"].to_numpy(dtype=bool)
    return np.where(
        ok, "round trip", np.where(there, "there, no usable return", "no journey in time")
    )


def plot_round_trips(
    result: gpd.GeoDataFrame,
    *,
    units: gpd.GeoDataFrame | None = None,
    centres: gpd.GeoDataFrame | None = None,
    population: str = "population",
    ax: Any = None,
    title: str | None = None,
) -> Any:
    """Population points coloured by round-trip feasibility, sized by population.

    Parameters
    ----------
    result
        The output of :func:`~accessibility.transit.round_trips`.
    units, centres
        Drawn beneath (outlines) and above (black crosses) when given.
    population
        The population column (marker area).
    ax
        A matplotlib Axes; a new figure when None.
    title
        The title; by default the date and opening hours of the study.

    Returns
    -------
    matplotlib.axes.Axes
    """
    frame = result.to_crs(settings.CRS)
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 7))
    if units is not None:
        units.to_crs(settings.CRS).boundary.plot(ax=ax, color="#999999", linewidth=0.3)
    classes = round_trip_classes(frame)
    weight = frame[population].to_numpy(dtype=float)
    size = 2 + 40 * np.sqrt(weight / max(weight.max(), 1.0))
    people = {}
    for name, colour in COLOURS.items():
        hit = classes == name
        people[name] = weight[hit].sum()
        if hit.any():
            xy = np.c_[frame.geometry.x[hit], frame.geometry.y[hit]]
            ax.scatter(
                xy[:, 0],
                xy[:, 1],
                s=size[hit],
                c=colour,
                linewidths=0,
                label=f"{name}: {people[name]:,.0f} people",
            )
    if centres is not None:
        c = centres.to_crs(settings.CRS)
        ax.scatter(
            c.geometry.x, c.geometry.y, marker="x", c="black", s=12, linewidths=0.8, label="centres"
        )
    params = result.attrs.get("round_trip", {})
    if title is None and params:
        title = (
            f"Same-day round trip by public transport, {params.get('date')}: open "
            f"{params.get('open_time')}-{params.get('close_time')}, stay {params.get('stay_minutes')} min "
            f"(walks: {params.get('method')})"
        )
    if title:
        ax.set_title(title, fontsize=9)
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.legend(loc="lower left", fontsize=7, frameon=False)
    return ax
