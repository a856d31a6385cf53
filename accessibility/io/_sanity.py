"""Sanity checks of loaded layers against what the inputs themselves say.

The units are compared with the ATVK classifier (how many territorial units are in force and
which codes) and every layer with Latvia's outline, taken as the union of the units. A
bounding box is not enough: Lithuania, Estonia and the Gulf of Riga lie inside Latvia's box.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import settings
from .._errors import CRSError

#: Distance (metres) a point may lie outside the units' union and still count as in Latvia:
#: the CSB boundaries are generalised to 1:1.2 M, so a coastal stop can fall a few hundred
#: metres into the sea of the generalised coastline.
OUTLINE_TOLERANCE_M: float = 2_000.0


@dataclass(frozen=True)
class ClassifierCheck:
    """Units compared with the classifier: expected count, codes missing and codes unknown."""

    expected: int
    loaded: int
    missing: tuple[str, ...]
    unknown: tuple[str, ...]


def classifier_units(classifier: pd.DataFrame) -> tuple[set[str], dict[str, str]]:
    """Codes of the territorial units in force (level 2 and the state cities) and old -> new codes.

    Parameters
    ----------
    classifier
        The frame from :func:`accessibility.io.units.load_classifier`.
    """
    frame = classifier
    level = pd.to_numeric(frame.get("level", frame.get("Līmenis")), errors="coerce")
    codes = frame.get("code", frame.get("Kods")).astype(str).str.strip()
    # State cities are level-1 entries that are also territorial units: codes 0001000-0007000.
    state_city = (level == 1) & codes.str.match(r"^000[1-7]000$")
    current = set(codes[(level == 2) | state_city])
    before = frame.get("code_before", frame.get("Kods pirms izmaiņām"))
    renamed: dict[str, str] = {}
    if before is not None:
        for old, new in zip(before, codes, strict=True):
            if isinstance(old, str) and old.strip():
                for item in old.replace(";", ",").split(","):
                    item = item.strip().removeprefix("LV")
                    if len(item) == 7 and item.isdigit():
                        renamed[item] = new
    return current, renamed


def check_against_classifier(units: gpd.GeoDataFrame, classifier: pd.DataFrame) -> ClassifierCheck:
    """Which territorial units in force are absent from ``units``, and which codes are unknown.

    A unit coded as before a recoding the classifier records ("Kods pirms izmaiņām") counts as
    the unit in force (the 2024 boundaries carry the three old Varakļāni codes).
    """
    current, renamed = classifier_units(classifier)
    loaded = {renamed.get(code, code) for code in units["unit_code"]}
    return ClassifierCheck(
        expected=len(current),
        loaded=len(units),
        missing=tuple(sorted(current - loaded)),
        unknown=tuple(sorted(loaded - current)),
    )


def check_extent(layer: gpd.GeoDataFrame, *, source: Any = None, what: str = "layer") -> None:
    """Refuse a layer (in EPSG:3059) whose features lie mostly outside Latvia's bounding box.

    Catches a layer moved by a wrong ``.prj`` (metres declared as degrees, or another zone):
    its coordinates are then hundreds or thousands of kilometres off.

    Raises
    ------
    CRSError
        Naming the file, how many features lie outside, and how far the layer's centre is.
    """
    if not len(layer):
        return
    west, south, east, north = settings.LATVIA_BOUNDS_3059
    points = layer.geometry.representative_point()
    x, y = points.x.to_numpy(), points.y.to_numpy()
    finite = np.isfinite(x) & np.isfinite(y)
    inside = finite & (x >= west) & (x <= east) & (y >= south) & (y <= north)
    if inside.mean() >= 0.5:
        return
    cx, cy = np.nanmedian(x), np.nanmedian(y)
    dx = max(west - cx, 0.0, cx - east)
    dy = max(south - cy, 0.0, cy - north)
    off = float(np.hypot(dx, dy)) / 1000 if np.isfinite(cx) and np.isfinite(cy) else float("nan")
    where = f"{source}: " if source is not None else ""
    raise CRSError(
        f"{where}{int((~inside).sum())} of {len(layer)} {what} lie outside Latvia (their middle is "
        f"{off:,.0f} km from it in {settings.CRS}); is the .prj (coordinate system) right?"
    )


def latvia_outline(units: gpd.GeoDataFrame, tolerance: float = OUTLINE_TOLERANCE_M) -> Any:
    """Latvia's outline: the union of the units, grown by ``tolerance`` metres (a shapely geometry)."""
    outline = shapely.union_all(units.geometry.to_numpy())
    return shapely.buffer(outline, tolerance, quad_segs=4) if tolerance > 0 else outline


def outside_outline(points: gpd.GeoDataFrame, outline: Any) -> np.ndarray:
    """Boolean mask of the points (EPSG:3059) that lie outside ``outline``."""
    if not len(points):
        return np.zeros(0, dtype=bool)
    shapely.prepare(outline)
    geoms = points.geometry.to_numpy()
    return ~shapely.contains_xy(
        outline, shapely.get_x(geoms), shapely.get_y(geoms)
    ) & ~shapely.is_empty(geoms)
