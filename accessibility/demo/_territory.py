"""The synthetic region's territory: its outline, the state city, parishes, towns and settlements."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Point, Polygon

from .. import settings
from ._names import _CITY, _NOVADS, _NOVADS_CODE, _PARISHES, _TOWNS, ORIGIN, Node


def _shift(geoms: Any) -> Any:
    """Move local coordinates (metres from the region's corner) to EPSG:3059."""
    return shapely.transform(np.asarray(geoms, dtype=object), lambda xy: xy + np.asarray(ORIGIN))


def _outline(rng: np.random.Generator) -> Polygon:
    """The region's outer boundary: a 40 km x 32 km box with wavy edges."""
    width, height, step = 40_000.0, 32_000.0, 2_000.0
    corners = [(0.0, 0.0), (width, 0.0), (width, height), (0.0, height)]
    ring: list[tuple[float, float]] = []
    for (x0, y0), (x1, y1) in zip(corners, corners[1:] + corners[:1], strict=True):
        n = round(math.hypot(x1 - x0, y1 - y0) / step)
        nx_, ny_ = (y1 - y0) / (n * step), -(x1 - x0) / (n * step)  # outward normal
        for k in range(n):
            t = k / n
            wobble = 0.0 if k == 0 else float(rng.uniform(-700.0, 700.0))
            ring.append((x0 + t * (x1 - x0) + wobble * nx_, y0 + t * (y1 - y0) + wobble * ny_))
    return Polygon(ring)


def _blob(centre: Point, radius: float, rng: np.random.Generator, *, vertices: int = 20) -> Polygon:
    """An irregular round polygon (a town or a state city)."""
    angles = np.linspace(0.0, 2.0 * math.pi, vertices, endpoint=False)
    radii = radius * (1.0 + rng.uniform(-0.15, 0.15, vertices))
    return Polygon(
        np.column_stack([centre.x + radii * np.cos(angles), centre.y + radii * np.sin(angles)])
    )


def _parish_seeds(novads: Any, city: Polygon, rng: np.random.Generator) -> np.ndarray:
    """Twenty well-spread parish centres (Lloyd relaxation of random points)."""
    minx, miny, maxx, maxy = novads.bounds
    inner = novads.buffer(-2_000.0).difference(city.buffer(2_500.0))
    points: list[tuple[float, float]] = []
    while len(points) < len(_PARISHES):
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if inner.contains(Point(x, y)):
            points.append((x, y))
    seeds = np.asarray(points)
    for _ in range(8):
        cells = _parish_cells(novads, seeds)
        centroids = np.asarray([[c.centroid.x, c.centroid.y] for c in cells])
        moved = [
            tuple(c) if inner.contains(Point(c)) else tuple(s)
            for c, s in zip(centroids, seeds, strict=True)
        ]
        seeds = np.asarray(moved)
    return np.round(seeds, 1)


def _parish_cells(novads: Any, seeds: np.ndarray) -> list[Any]:
    """Voronoi cells of the seeds clipped to the novads, in seed order."""
    diagram = shapely.voronoi_polygons(
        shapely.MultiPoint(seeds), extend_to=novads.envelope.buffer(10_000.0)
    )
    cells: list[Any] = [None] * len(seeds)
    for cell in diagram.geoms:
        index = int(np.argmin([cell.distance(Point(s)) for s in seeds]))
        cells[index] = cell.intersection(novads)
    return cells


def _towns(
    cells: list[Any], seeds: np.ndarray, rng: np.random.Generator
) -> tuple[list[Polygon], list[int]]:
    """Two towns, each an enclave 3 km from the village of the parish it lies in."""
    centre = np.asarray(seeds).mean(axis=0)
    # The parishes nearest to the novads' middle and to its east side get the towns.
    order_mid = np.argsort(np.hypot(*(seeds - centre).T))
    order_east = np.argsort(-seeds[:, 0])
    chosen = [int(order_mid[0]), next(int(i) for i in order_east if int(i) != int(order_mid[0]))]
    towns: list[Polygon] = []
    for parish in chosen:
        cell = cells[parish]
        sx, sy = seeds[parish]
        for angle in np.linspace(0.0, 2.0 * math.pi, 16, endpoint=False):
            spot = Point(sx + 3_000.0 * math.cos(angle), sy + 3_000.0 * math.sin(angle))
            town = _blob(spot, 1_100.0, rng, vertices=18)
            if cell.buffer(-300.0).contains(town):
                towns.append(town)
                break
        else:  # pragma: no cover - the default seeds always find a spot
            raise RuntimeError("no room for a town in the synthetic parish")
    return towns, chosen


def _unit(code: str, name: str, kind: str, geom: Any) -> dict[str, Any]:
    return {
        "unit_code": code,
        "unit_name": name,
        "unit_kind": kind,
        "municipality_code": _NOVADS_CODE,
        "municipality_name": _NOVADS,
        "geometry": geom,
    }


def _frame(rows: list[dict[str, Any]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=settings.CRS)


@dataclass
class _Settlement:
    name: str
    kind: str  # "state_city" | "town" | "village" | "exit"
    centre: tuple[float, float]
    spacing: float = 0.0
    half_size: int = 0
    shape: Any = None
    parish: int | None = None


def _settlements(city_centre: Point, towns: list[Polygon], seeds: np.ndarray) -> list[_Settlement]:
    out = [_Settlement(_CITY, "state_city", (city_centre.x, city_centre.y), 200.0, 0, None)]
    for name, town in zip(_TOWNS, towns, strict=True):
        c = town.centroid
        out.append(_Settlement(name, "town", (round(c.x, 1), round(c.y, 1)), 160.0, 0, town))
    for i, ((_, village), (x, y)) in enumerate(zip(_PARISHES, seeds, strict=True)):
        out.append(_Settlement(village, "village", (float(x), float(y)), 120.0, 2, None, i))
    # Where the intercity roads leave the region (towards Rīga in the west, Gulbene in the east).
    out.append(_Settlement("uz Rīgu", "exit", (-600.0, 3_000.0)))
    out.append(_Settlement("uz Gulbeni", "exit", (40_600.0, 26_000.0)))
    return out


def _nearest_settlement(settlements: list[_Settlement], node: Node) -> str:
    d = [math.hypot(node[0] - s.centre[0], node[1] - s.centre[1]) for s in settlements]
    return settlements[int(np.argmin(d))].name
