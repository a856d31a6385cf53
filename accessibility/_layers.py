"""Marks on layers: checked once where they enter, and metadata that derived frames share.

A loader checks its layer (schema, EPSG:3059, unique ids) and marks it with :func:`mark_checked`;
the analysis functions then call :func:`is_checked` and trust a marked layer instead of checking
and re-projecting it again at every step. A GeoDataFrame that did not come from a loader (or was
changed in size since) carries no valid mark and is checked and converted once, as before.

pandas deep-copies ``attrs`` into every derived frame (each column access, each filter); metadata
the toolkit stores there is wrapped in :class:`SharedDict`, which derived frames share instead.
"""

from __future__ import annotations

import functools
from typing import Any

from . import settings

#: Key of the mark in ``gdf.attrs``: ``(layer name, number of rows when checked)``.
MARK_KEY = "accessibility_checked"


class SharedDict(dict[str, Any]):
    """A dict stored in ``attrs`` that frames derived from a layer share rather than deep-copy.

    What it holds describes how a layer was made (a load report, the parameters of a
    measure), which no later step changes. Code that wants to change it takes a ``dict(...)`` copy.
    """

    def __deepcopy__(self, memo: dict[int, Any]) -> SharedDict:
        return self

    def __copy__(self) -> SharedDict:
        return self


def shared(value: dict[str, Any]) -> SharedDict:
    """``value`` as a :class:`SharedDict` (the same object when it already is one)."""
    return value if isinstance(value, SharedDict) else SharedDict(value)


@functools.lru_cache(maxsize=64)
def _is_working_crs_text(crs_text: str) -> bool:
    from pyproj import CRS

    return CRS.from_user_input(crs_text).equals(CRS.from_user_input(settings.CRS))


def is_working_crs(crs: Any) -> bool:
    """Whether ``crs`` is the working CRS (EPSG:3059); cached, since layers share a few CRSs."""
    if crs is None:
        return False
    return _is_working_crs_text(crs.to_wkt() if hasattr(crs, "to_wkt") else str(crs))


def mark_checked(gdf: Any, layer: str) -> Any:
    """Mark ``gdf`` as a checked ``layer`` (schema, EPSG:3059, unique ids) and return it."""
    gdf.attrs[MARK_KEY] = (layer, len(gdf))
    return gdf


def is_checked(gdf: Any, layer: str) -> bool:
    """Whether ``gdf`` carries a valid mark for ``layer``.

    The mark holds only while the frame has the rows it was checked with and is still in the
    working CRS: a filtered, concatenated or re-projected copy is checked again.
    """
    mark = getattr(gdf, "attrs", {}).get(MARK_KEY)
    if mark is None or tuple(mark) != (layer, len(gdf)):
        return False
    return is_working_crs(getattr(gdf, "crs", None))
