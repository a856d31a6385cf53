"""The synthetic region's population figures, libraries and existing client service centres."""

from __future__ import annotations

import math
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point

from .. import settings
from ._names import (
    _CITY,
    _NOVADS,
    _PARISHES,
    _PARISHES_WITHOUT_LIBRARY,
    _TOWNS,
    POPULATION_YEARS,
    Node,
    Segment,
)
from ._territory import _nearest_settlement, _Settlement, _shift


def _population(units: gpd.GeoDataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Register population per unit and year, 2011-2024, shrinking a little every year."""
    rows = []
    for unit in units.itertuples():
        if unit.unit_kind == "state_city":
            latest = 23_480
        elif unit.unit_kind == "town":
            latest = int(rng.integers(3_200, 6_800))
        else:
            latest = int(np.clip(rng.lognormal(math.log(700.0), 0.45), 240, 1_900))
        decline = float(rng.uniform(0.004, 0.022))
        for year in POPULATION_YEARS:
            value = (
                latest
                if year == POPULATION_YEARS[-1]
                else round(latest * (1 + decline) ** (POPULATION_YEARS[-1] - year))
            )
            rows.append(
                {
                    "unit_code": unit.unit_code,
                    "unit_name": unit.unit_name,
                    "year": year,
                    "population": value,
                }
            )
    return pd.DataFrame(rows)


def _genitive(name: str) -> str:
    """Latvian genitive of the fictional place names used here (Strautmala -> Strautmalas)."""
    if name.endswith("s"):
        return name[:-1] + "a"
    if name.endswith(("a", "e")):
        return name + "s"
    return name


def _libraries(
    settlements: list[_Settlement],
    anchors: dict[str, Node],
    segments: list[Segment],
    rng: np.random.Generator,
) -> gpd.GeoDataFrame:
    """One public library per parish and town (one parish has none), three in the state city."""
    grid: dict[str, list[Node]] = {}
    for u, v, kind, _, _ in segments:
        if kind in ("residential", "unclassified"):
            for node in (u, v):
                grid.setdefault(_nearest_settlement(settlements, node), []).append(node)
    rows: list[dict[str, Any]] = []

    def add(name: str, node: Node) -> None:
        # A library stands beside the street, not on its centre line.
        rows.append(
            {
                "site_id": f"bib-{len(rows) + 1:03d}",
                "name": name,
                "kind": "library",
                "geometry": Point(node[0] + 14.0, node[1] + 11.0),
            }
        )

    def near(settlement: str, distance: float) -> Node:
        nodes = sorted(set(grid[settlement]))
        cx, cy = anchors[settlement]
        d = np.asarray([math.hypot(n[0] - cx, n[1] - cy) for n in nodes])
        choices = [
            n for n, dd in zip(nodes, d, strict=True) if abs(dd - distance) < 0.35 * distance + 60.0
        ]
        return (
            choices[int(rng.integers(len(choices)))]
            if choices
            else nodes[int(np.argmin(np.abs(d - distance)))]
        )

    add(f"{_CITY} Centrālā bibliotēka", near(_CITY, 150.0))
    add(f'{_CITY} bibliotēkas filiāle "Zīle"', near(_CITY, 1_500.0))
    add(f"{_CITY} bibliotēkas Ezermalas filiāle", near(_CITY, 2_100.0))
    for town in _TOWNS:
        add(f"{_genitive(town)} bibliotēka", near(town, 300.0))
    parish_settlements = [s for s in settlements if s.kind == "village"]
    for s in parish_settlements:
        if s.parish in _PARISHES_WITHOUT_LIBRARY:
            continue
        parish_name = _PARISHES[int(s.parish or 0)][0].replace(" pagasts", " pagasta")
        add(f"{parish_name} bibliotēka", near(s.name, 200.0))
    frame = gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=settings.CRS)
    frame["geometry"] = _shift(frame.geometry.values)
    return frame


def _centres(
    libraries: gpd.GeoDataFrame, settlements: list[_Settlement], anchors: dict[str, Node]
) -> gpd.GeoDataFrame:
    """Four existing client service centres: three in libraries, one in a municipal building."""
    by_name = libraries.set_index("name").geometry
    town_b = anchors[_TOWNS[1]]
    rows = [
        ("vpvkac-01", f"{_CITY} valstspilsētas VPVKAC", by_name[f"{_CITY} Centrālā bibliotēka"]),
        (
            "vpvkac-02",
            f"{_NOVADS.replace(' novads', ' novada')} {_genitive(_TOWNS[0])} VPVKAC",
            by_name[f"{_genitive(_TOWNS[0])} bibliotēka"],
        ),
        (
            "vpvkac-03",
            f"{_NOVADS.replace(' novads', ' novada')} {_genitive(_TOWNS[1])} VPVKAC",
            _shift([Point(town_b[0] - 18.0, town_b[1] + 20.0)])[0],
        ),
        (
            "vpvkac-04",
            f"{_NOVADS.replace(' novads', ' novada')} Griķu pagasta VPVKAC",
            by_name["Griķu pagasta bibliotēka"],
        ),
    ]
    return gpd.GeoDataFrame(
        {"site_id": [r[0] for r in rows], "name": [r[1] for r in rows], "kind": "centre"},
        geometry=[r[2] for r in rows],
        crs=settings.CRS,
    )
