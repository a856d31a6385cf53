"""Place names on the national map: the state cities and the main town of each novads."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
from matplotlib import patheffects
from matplotlib.axes import Axes

from . import _cartography as carto

_CITY_SIZE = 6.5
_TOWN_SIZE = 5.5
_DOT = {"state_city": 9.0, "town": 4.0}


def places_to_label(units: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The state cities, then the most populous town of each novads, in labelling order.

    The data name no administrative centre; the largest town of a novads is its centre in
    most cases, and a novads without a town gets no label. Population orders the labels when
    the layer has it, else area.
    """
    if not {"unit_kind", "unit_name"} <= set(units.columns):
        return units.iloc[:0]
    weight = (
        units["population"].astype(float).fillna(0.0)
        if "population" in units.columns
        else units.geometry.area
    )
    ranked = units.assign(_weight=weight.to_numpy()).sort_values(
        ["_weight", "unit_code"] if "unit_code" in units.columns else ["_weight"],
        ascending=[False, True] if "unit_code" in units.columns else [False],
    )
    cities = ranked[ranked["unit_kind"] == "state_city"]
    towns = ranked[ranked["unit_kind"] == "town"]
    if "municipality_code" in towns.columns:
        towns = towns.drop_duplicates("municipality_code")
    return units.loc[np.concatenate([cities.index, towns.index])]


def label_places(ax: Axes, units: gpd.GeoDataFrame, renderer: object) -> list[str]:
    """Dot and name each place of :func:`places_to_label`; names that collide are left out.

    A name goes to the right of its dot, else to the left, above or below; a name with no
    free position is hidden with its dot. Returns the names left out.
    """
    places = places_to_label(units)
    if places.empty:
        return []
    points = places.geometry.representative_point()
    # Data units per display pixel (the map keeps its true aspect, so one scale serves x and y).
    (x0, _), (x1, _) = ax.transData.transform([(0.0, 0.0), (1.0, 0.0)])
    per_px = 1.0 / abs(x1 - x0)
    gap_px = 3.5 * ax.figure.dpi / 72
    texts, candidates, dots = [], [], []
    for (_, row), point in zip(places.iterrows(), points, strict=True):
        city = row["unit_kind"] == "state_city"
        dots.append(
            ax.scatter(
                [point.x], [point.y], s=_DOT["state_city" if city else "town"], c="#222222",
                marker="o", edgecolors="#FFFFFF", linewidths=0.4, zorder=9,
            )
        )  # fmt: skip
        text = ax.text(
            point.x, point.y, str(row["unit_name"]), fontsize=_CITY_SIZE if city else _TOWN_SIZE,
            fontweight="bold" if city else "normal", ha="center", va="center", zorder=10,
            clip_on=True,
        )  # fmt: skip
        text.set_path_effects([patheffects.withStroke(linewidth=1.6, foreground="#FFFFFF")])
        box = text.get_window_extent(renderer=renderer)  # type: ignore[arg-type]
        dx = (box.width / 2 + gap_px) * per_px
        dy = (box.height / 2 + gap_px) * per_px
        texts.append(text)
        # Right of the dot, left, above, below: the first free one is kept.
        candidates.append(
            [(point.x + dx, point.y), (point.x - dx, point.y), (point.x, point.y + dy),
             (point.x, point.y - dy)]
        )  # fmt: skip
    # Every dot is an obstacle, so no name covers a place's dot (its own included).
    xy = ax.transData.transform(np.column_stack([points.x, points.y]))
    half = 2.0 * ax.figure.dpi / 72
    obstacles = [np.array([x - half, y - half, x + half, y + half]) for x, y in xy]
    hidden = carto.place_labels(texts, candidates, renderer, obstacles=obstacles)
    for text in hidden:
        dots[texts.index(text)].set_visible(False)
    return [t.get_text() for t in hidden]
