"""Polygons as matplotlib paths, built once per layer and reused by every map sheet.

geopandas' ``plot`` rebuilds one patch per polygon on every call; a national run draws the
same ~600 units on 43 sheets, so the paths are made once here and each sheet only picks its
rows into one collection.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.path import Path as MplPath


def polygon_paths(geometries: Sequence[object] | np.ndarray) -> list[MplPath]:
    """One compound path per (multi)polygon: every ring closed, holes kept.

    Parameters
    ----------
    geometries
        Polygons or multipolygons (other geometry types give an empty path).
    """
    paths = []
    for geometry in np.asarray(geometries, dtype=object):
        vertices, codes = [], []
        for part in shapely.get_parts(geometry):
            if shapely.get_type_id(part) != 3:  # not a polygon
                continue
            for ring in [part.exterior, *part.interiors]:
                xy = shapely.get_coordinates(ring)
                if len(xy) < 3:
                    continue
                ring_codes = np.full(len(xy), MplPath.LINETO, dtype=MplPath.code_type)
                ring_codes[0] = MplPath.MOVETO
                ring_codes[-1] = MplPath.CLOSEPOLY
                vertices.append(xy)
                codes.append(ring_codes)
        if vertices:
            paths.append(MplPath(np.concatenate(vertices), np.concatenate(codes)))
        else:
            paths.append(MplPath(np.zeros((0, 2))))
    return paths


def bounds_overlap(frame: object, view: tuple[float, float, float, float]) -> np.ndarray:
    """Mask of the rows of a GeoDataFrame whose bounding box meets the view."""
    b = frame.geometry.bounds.to_numpy()  # type: ignore[attr-defined]
    return (b[:, 0] <= view[2]) & (b[:, 2] >= view[0]) & (b[:, 1] <= view[3]) & (b[:, 3] >= view[1])


def add_polygons(
    ax: Axes,
    paths: Sequence[MplPath],
    *,
    facecolor: object,
    edgecolor: object,
    linewidth: float,
    zorder: float,
    label: str = "",
) -> PathCollection:
    """Add polygons as one collection (``facecolor="none"`` draws their outlines only)."""
    collection = PathCollection(
        list(paths),
        facecolors=facecolor,
        edgecolors=edgecolor,
        linewidths=linewidth,
        zorder=zorder,
        label=label,
    )
    ax.add_collection(collection, autolim=False)
    return collection
