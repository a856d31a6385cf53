"""A small deterministic region written in the official file formats, for demos and tests."""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import Transformer
from scipy.spatial import Delaunay
from shapely.geometry import LineString, Point, Polygon

from .. import settings

#: Seed of the default region; the same seed always gives byte-identical files.
DEFAULT_SEED: int = 2024

#: South-west corner of the region in EPSG:3059 (central Vidzeme), metres.
ORIGIN: tuple[float, float] = (555_000.0, 295_000.0)

#: Fixed timestamp written into every file format that stores one (xlsx, zip, dbf, gpkg).
FIXED_TIMESTAMP: datetime = datetime(2024, 1, 2, 0, 0, 0)

#: File names written by :func:`write_region`, keyed like :mod:`accessibility.io.datasets`.
FILE_NAMES: dict[str, str] = {
    "units": "Territorial_units_LV_1.2m_(synthetic).shp",
    "municipalities": "Administrativas_teritorijas_2021.shp",
    "population": "raditaju_atlase_aprobacija.xlsx",
    "stops": "gtfs_atd.csv",
    "stops_gtfs": "gtfs-latvia-lv.zip",
    "libraries": "libraries.csv",
    "centres": "centres.csv",
    "streets": "streets.gpkg",
    "manifest": "synthetic_manifest.json",
}

POPULATION_SHEET = "Iedzīvotāju skaits (skaits, PML"
POPULATION_YEARS: tuple[int, ...] = tuple(range(2011, 2025))
PLANNING_REGION = "Vidzemes plānošanas reģions"

# Fictional names (none is a real Latvian unit): (parish name, its village).
_PARISHES: tuple[tuple[str, str], ...] = (
    ("Ābelītes pagasts", "Ābelīte"),
    ("Bebrupes pagasts", "Bebrupe"),
    ("Cīrulīšu pagasts", "Cīrulīši"),
    ("Dzērvenes pagasts", "Dzērvene"),
    ("Egļuciema pagasts", "Egļuciems"),
    ("Gaiļmuižas pagasts", "Gaiļmuiža"),
    ("Griķu pagasts", "Griķi"),
    ("Ievlejas pagasts", "Ievleja"),
    ("Jāņkalna pagasts", "Jāņkalns"),
    ("Ķiršukalna pagasts", "Ķiršukalns"),
    ("Lazdiņu pagasts", "Lazdiņi"),
    ("Liepsalas pagasts", "Liepsala"),
    ("Mežmalas pagasts", "Mežmala"),
    ("Ozolkrasta pagasts", "Ozolkrasts"),
    ("Pūpolu pagasts", "Pūpoli"),
    ("Rudzupes pagasts", "Rudzupe"),
    ("Sūnezera pagasts", "Sūnezers"),
    ("Šķērsupes pagasts", "Šķērsupe"),
    ("Vītolu pagasts", "Vītoli"),
    ("Zaķumuižas pagasts", "Zaķumuiža"),
)
_TOWNS: tuple[str, ...] = ("Strautmala", "Vējupe")
_CITY = "Ozolpils"
_NOVADS = "Lejaskalna novads"
_CITY_CODE = "0008000"
_NOVADS_CODE = "0060000"
_CITY_STREETS: tuple[str, ...] = (
    "Tirgus laukums",
    "Skolas iela",
    "Slimnīca",
    "Dzirnavu iela",
    "Stacijas iela",
    "Ezera iela",
)
# Roadside stops are named after farmsteads, as in the ATD table; one name holds a quote character.
_FARMS: tuple[str, ...] = (
    "Kalnieši",
    "Lejnieki",
    "Ozoli",
    "Priedes",
    "Bērziņi",
    '"Rūķi"',
    "Avotiņi",
    "Krustceles",
    "Dzirnavas",
    "Purmaļi",
    "Vecsētas",
    "Ceļmalas",
    "Silmalas",
    "Ķēniņi",
    "Jaunzemji",
    "Ūdriņi",
    "Strēlnieki",
    "Grantiņi",
    "Mežsargi",
    "Ērgļi",
    "Sīļi",
    "Zemītes",
    "Pļavnieki",
    "Rozītes",
    "Mālkalni",
    "Dumbrāji",
    "Upenieki",
    "Ģēģeri",
    "Lāčplēši",
    "Smilgas",
    "Ābeļdārzs",
    "Veckrogs",
    "Skujiņas",
    "Baltkrogs",
    "Muižnieki",
    "Tiltiņi",
    "Ceriņi",
    "Liepkalni",
    "Kārkliņi",
    "Āres",
    "Silnieki",
    "Vējiņi",
    "Ķiploki",
    "Pērkoni",
    "Šalkas",
    "Zīlītes",
    "Gobas",
    "Lauciņi",
)


@dataclass
class SyntheticRegion:
    """The generator's own record of the region: what the files hold, before any loader reads them.

    Tests compare what the public loaders return against these frames.
    """

    units: gpd.GeoDataFrame
    municipalities: gpd.GeoDataFrame
    population: pd.DataFrame
    stops: gpd.GeoDataFrame
    routes: dict[str, list[str]]
    route_places: dict[str, list[int]]
    libraries: gpd.GeoDataFrame
    centres: gpd.GeoDataFrame
    streets: gpd.GeoDataFrame
    seed: int = DEFAULT_SEED
    notes: dict[str, Any] = field(default_factory=dict)

    def manifest(self) -> dict[str, Any]:
        """Counts and totals of the region (written as ``synthetic_manifest.json``)."""
        latest = self.population[self.population["year"] == POPULATION_YEARS[-1]]
        return {
            "seed": self.seed,
            "crs": settings.CRS,
            "units": len(self.units),
            "units_by_kind": {
                k: int(v) for k, v in self.units["unit_kind"].value_counts().sort_index().items()
            },
            "municipalities": len(self.municipalities),
            "population_year": POPULATION_YEARS[-1],
            "population_total": int(latest["population"].sum()),
            "stops": len(self.stops),
            "stops_intercity_listed": int(self.stops["intercity"].sum()),
            "stops_intercity_served": int(self.stops["intercity_served"].sum()),
            "stops_truncated": int(self.stops["routes_truncated"].sum()),
            "routes": len(self.routes),
            "libraries": len(self.libraries),
            "centres": len(self.centres),
            "street_segments": len(self.streets),
            "street_length_km": round(float(self.streets.length.sum()) / 1000.0, 3),
            **self.notes,
        }


def build_region(seed: int = DEFAULT_SEED) -> SyntheticRegion:
    """Generate the region in memory (EPSG:3059), without writing files.

    Parameters
    ----------
    seed
        Random seed; the same seed gives the same region.

    Notes
    -----
    The streets are the settlements' grids, the roads between them and, over the countryside,
    a lattice of minor roads and farm tracks (about 1.1 km apart) joined to the roads at shared
    vertices, so the whole network is one connected component and almost every 1 km population
    cell lies within 500 m of a street. The bus station of the state city is given no more city
    routes than fit a list of twelve, so its ATD list is complete and shows its intercity (7xxx) routes; the cut-list caveat of
    the ATD table (twelve routes sorted by number, then "…") is shown by one village on an
    intercity road that is the terminus of many school routes (68xx), whose list hides its
    7xxx routes. The manifest names that stop.

    Returns
    -------
    SyntheticRegion
        Units, municipalities, population, stops, libraries, centres and streets.
    """
    rng = np.random.default_rng(seed)
    outline = _outline(rng)
    city = _blob(Point(6_500.0, 15_500.0), 3_000.0, rng, vertices=28)
    novads = outline.difference(city)
    seeds = _parish_seeds(novads, city, rng)
    cells = _parish_cells(novads, seeds)
    towns, town_parish = _towns(cells, seeds, rng)

    units_rows: list[dict[str, Any]] = [
        {
            "unit_code": _CITY_CODE,
            "unit_name": _CITY,
            "unit_kind": "state_city",
            "municipality_code": _CITY_CODE,
            "municipality_name": _CITY,
            "geometry": city,
        }
    ]
    for i, (name, geom) in enumerate(zip(_TOWNS, towns, strict=True)):
        units_rows.append(_unit(f"0060{200 + 10 * i:03d}", name, "town", geom))
    for i, ((name, _), cell) in enumerate(zip(_PARISHES, cells, strict=True)):
        for town_index, parish_index in enumerate(town_parish):
            if parish_index == i:
                cell = cell.difference(towns[town_index])
        units_rows.append(_unit(f"0060{400 + 10 * i:03d}", name, "parish", cell))
    units = _frame(units_rows).sort_values("unit_code", ignore_index=True)
    units["geometry"] = shapely.make_valid(_shift(units.geometry.values))
    municipalities = units.dissolve(by="municipality_code", as_index=False, aggfunc="first")[
        ["municipality_code", "municipality_name", "geometry"]
    ]
    municipalities["municipality_kind"] = np.where(
        municipalities["municipality_code"] == _CITY_CODE, "state_city", "novads"
    )
    municipalities = municipalities[
        ["municipality_code", "municipality_name", "municipality_kind", "geometry"]
    ]

    settlements = _settlements(Point(6_500.0, 15_500.0), towns, seeds)
    segments, graph, anchors = _streets(settlements, city, towns, rng)
    places = _stop_places(settlements, anchors, segments, rng)
    routes = _routes(settlements, anchors, graph, segments, places)
    segments = _classify_roads(segments, graph, routes)
    stops = _stops(places, routes)
    population = _population(units, rng)
    libraries = _libraries(settlements, anchors, segments, rng)
    centres = _centres(libraries, settlements, anchors)
    # The farm tracks come last and from their own stream of random numbers: roads, stops,
    # routes, population and sites are the same with or without them.
    built_up = [city, *towns, *_village_hulls(segments, settlements)]
    segments = _rural_lattice(segments, outline, built_up, np.random.default_rng([seed, 1]))
    streets = gpd.GeoDataFrame(
        {"highway": [s[2] for s in segments], "name": [s[3] for s in segments]},
        geometry=_shift([LineString(s[4]) for s in segments]),
        crs=settings.CRS,
    )
    notes = {
        "parishes_without_library": [_PARISHES[i][0] for i in _PARISHES_WITHOUT_LIBRARY],
        "stops_truncated_hiding_intercity": int(
            (stops["routes_truncated"] & ~stops["intercity"] & stops["intercity_served"]).sum()
        ),
        # Where the ATD list cut at twelve hides intercity routes (a village terminus of school
        # routes); the state city's station is given at most twelve routes, so it lists its 7xxx.
        "stops_hiding_intercity_names": sorted(
            set(
                stops.loc[
                    stops["routes_truncated"] & ~stops["intercity"] & stops["intercity_served"],
                    "stop_name",
                ]
            )
        ),
        "street_segments_by_highway": {
            k: int(v) for k, v in streets["highway"].value_counts().sort_index().items()
        },
        "villages_without_bus": sorted(
            s.name
            for s in settlements
            if s.kind == "village"
            and not any(places[p].settlement == s.name for r in routes for p in r.places)
        ),
    }
    return SyntheticRegion(
        units=units,
        municipalities=municipalities.sort_values("municipality_code", ignore_index=True),
        population=population,
        stops=stops,
        routes={r.number: [places[p].name for p in r.places] for r in routes},
        route_places={r.number: list(r.places) for r in routes},
        libraries=libraries,
        centres=centres,
        streets=streets,
        seed=seed,
        notes=notes,
    )


def write_region(folder: str | os.PathLike[str], *, seed: int = DEFAULT_SEED) -> dict[str, Path]:
    """Write the synthetic region into ``folder`` in the official formats and file names.

    The files are what the loaders and :func:`accessibility.io.datasets.find_dataset` expect:
    the CSB units shapefile, the VARAM municipalities shapefile, the RAIM population
    workbook, the ATD stop table ``gtfs_atd.csv`` and an ATD-like GTFS zip, libraries and
    centres as CSV with longitude/latitude, and a street centre-line GeoPackage. Every file
    is first written into a temporary folder and then moved into place, so a failure leaves
    no half-written file. Timestamps inside the files are fixed: the same seed gives
    byte-identical files.

    Parameters
    ----------
    folder
        Destination folder (created if needed).
    seed
        Random seed of the region.

    Returns
    -------
    dict of str to pathlib.Path
        Path of each file, keyed like the datasets (``units``, ``municipalities``,
        ``population``, ``stops``, ``stops_gtfs``, ``libraries``, ``centres``, ``streets``,
        ``manifest``).
    """
    region = build_region(seed)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".synthetic-", dir=folder))
    try:
        paths = {
            "units": _write_units(staging, region.units),
            "municipalities": _write_municipalities(staging, region.municipalities),
            "population": _write_population(staging, region.population, region.units),
            "stops": _write_stop_table(staging, region.stops),
            "stops_gtfs": _write_gtfs(staging, region.stops, region.routes, region.route_places),
            "libraries": _write_sites(staging / FILE_NAMES["libraries"], region.libraries),
            "centres": _write_sites(staging / FILE_NAMES["centres"], region.centres),
            "streets": _write_streets(staging, region.streets),
        }
        manifest = staging / FILE_NAMES["manifest"]
        manifest.write_text(
            json.dumps(region.manifest(), indent=2, ensure_ascii=False, sort_keys=True) + "\n",
            encoding="utf-8",
        )
        paths["manifest"] = manifest
        # Every file is complete before the first one is moved into place.
        for part in sorted(staging.iterdir()):
            os.replace(part, folder / part.name)
        return {key: folder / path.name for key, path in paths.items()}
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def load_region(
    folder: str | os.PathLike[str] | None = None, *, seed: int = DEFAULT_SEED
) -> dict[str, Any]:
    """Load the synthetic region through the public loaders.

    Parameters
    ----------
    folder
        Folder holding a region written by :func:`write_region`. When None, the region is
        written into a temporary folder first (removed afterwards).
    seed
        Seed used when the region is written here.

    Returns
    -------
    dict
        ``units``, ``municipalities``, ``population`` (latest year), ``stops`` (from the ATD
        stop table ``gtfs_atd.csv``, the form of the real data folder, whose route lists are
        cut at twelve; the GTFS zip beside it lists every route), ``libraries``,
        ``centres`` (GeoDataFrames in EPSG:3059, each with its load report) and ``streets``
        (the street centre lines as a GeoDataFrame), plus ``folder`` (where the files were
        read; None when a temporary folder was used).
    """
    if folder is None:
        with tempfile.TemporaryDirectory(prefix="accessibility-synthetic-") as tmp:
            layers = _load(Path(tmp), write=True, seed=seed)
            layers["folder"] = None
            return layers
    return _load(Path(folder), write=not (Path(folder) / FILE_NAMES["units"]).exists(), seed=seed)


# --------------------------------------------------------------------------- loading


def _load(folder: Path, *, write: bool, seed: int) -> dict[str, Any]:
    # Imported here: the loaders import this package's modules, not the other way round.
    from ..io.population import load_population
    from ..io.sites import load_centres, load_libraries
    from ..io.stops import load_stops
    from ..io.units import load_municipalities, load_units

    if write:
        write_region(folder, seed=seed)
    units = load_units(folder / FILE_NAMES["units"])
    streets = gpd.read_file(folder / FILE_NAMES["streets"], layer="streets", engine="pyogrio")
    return {
        "units": units,
        "municipalities": load_municipalities(folder / FILE_NAMES["municipalities"], units=units),
        "population": load_population(folder / FILE_NAMES["population"], units=units),
        "stops": load_stops(folder / FILE_NAMES["stops"]),
        "libraries": load_libraries(folder / FILE_NAMES["libraries"]),
        "centres": load_centres(folder / FILE_NAMES["centres"]),
        "streets": streets,
        "folder": folder,
    }


# --------------------------------------------------------------------------- geometry


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


# --------------------------------------------------------------------------- settlements and streets


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


Node = tuple[float, float]
#: A street segment: end nodes, OSM-like highway class, road number, vertices.
Segment = tuple[Node, Node, str, str, list[Node]]


def _key(x: float, y: float) -> Node:
    return (round(float(x), 2), round(float(y), 2))


def _grid(
    settlement: _Settlement, shape: Any, rng: np.random.Generator
) -> tuple[list[Node], list[tuple[Node, Node]]]:
    """A jittered street grid: the whole shape for a city or town, a 5 x 5 block for a village."""
    cx, cy = settlement.centre
    s = settlement.spacing
    if shape is not None:
        minx, miny, maxx, maxy = shape.bounds
        irange = range(int((minx - cx) // s) - 1, int((maxx - cx) // s) + 2)
        jrange = range(int((miny - cy) // s) - 1, int((maxy - cy) // s) + 2)
        inside = shape.buffer(-60.0)
    else:
        irange = jrange = range(-settlement.half_size, settlement.half_size + 1)
        inside = None
    nodes: dict[tuple[int, int], Node] = {}
    jitter = 0.12 * s
    for i in irange:
        for j in jrange:
            dx, dy = (0.0, 0.0) if (i, j) == (0, 0) else tuple(rng.uniform(-jitter, jitter, 2))
            x, y = cx + i * s + dx, cy + j * s + dy
            if inside is None or inside.contains(Point(x, y)):
                nodes[(i, j)] = _key(x, y)
    edges = []
    for (i, j), node in nodes.items():
        for di, dj in ((1, 0), (0, 1)):
            other = nodes.get((i + di, j + dj))
            if other is not None:
                edges.append((node, other))
    # Keep the component that holds the centre (a grid clipped to an irregular shape can split).
    g = nx.Graph(edges)
    centre = nodes[(0, 0)]
    keep = nx.node_connected_component(g, centre)
    edges = [(u, v) for u, v in edges if u in keep]
    return sorted(keep), edges


def _streets(
    settlements: list[_Settlement],
    city: Polygon,
    towns: list[Polygon],
    rng: np.random.Generator,
) -> tuple[list[Segment], nx.Graph, dict[str, Node]]:
    """Street segments (u, v, highway, name, vertices), their graph and each settlement's centre node.

    Every segment is a line between two junctions; segments meet only at their end vertices,
    so the file reads as a street centre-line network in which touching lines connect.
    """
    segments: list[Segment] = []
    grid_nodes: dict[str, list[Node]] = {}
    anchors: dict[str, Node] = {}
    shapes = {_CITY: city, **dict(zip(_TOWNS, towns, strict=True))}
    for s in settlements:
        if s.kind == "exit":
            anchors[s.name] = _key(*s.centre)
            grid_nodes[s.name] = [anchors[s.name]]
            continue
        nodes, edges = _grid(s, shapes.get(s.name), rng)
        kind = "residential" if s.kind in ("state_city", "town") else "unclassified"
        anchors[s.name] = _key(*s.centre)
        grid_nodes[s.name] = nodes
        segments.extend((u, v, kind, "", [u, v]) for u, v in edges)

    # Main roads: the minimum spanning tree of the settlements plus the shortest other
    # Delaunay edges (for a few loops), each routed through any settlement it passes near.
    centres = np.asarray([s.centre for s in settlements])
    tri = Delaunay(centres)
    candidate: dict[tuple[int, int], float] = {}
    for simplex in tri.simplices:
        for a, b in ((0, 1), (1, 2), (0, 2)):
            i, j = sorted((int(simplex[a]), int(simplex[b])))
            candidate[(i, j)] = float(np.hypot(*(centres[i] - centres[j])))
    full = nx.Graph()
    for (i, j), length in sorted(candidate.items()):
        full.add_edge(i, j, length=length)
    tree = nx.minimum_spanning_tree(full, weight="length")
    extra = sorted(
        (d["length"], i, j) for i, j, d in full.edges(data=True) if not tree.has_edge(i, j)
    )
    exits = {i for i, s in enumerate(settlements) if s.kind == "exit"}
    road_pairs: set[tuple[int, int]] = {tuple(sorted(e)) for e in tree.edges()}  # type: ignore[misc]
    for length, i, j in extra[:6]:
        if i in exits or j in exits or length > 9_000.0:
            continue
        road_pairs.add((i, j))
    road_pairs = _route_through(road_pairs, centres, exits)

    for number, (i, j) in enumerate(sorted(road_pairs), start=1):
        a, b = settlements[i], settlements[j]
        u = _attach(grid_nodes[a.name], b.centre)
        v = _attach(grid_nodes[b.name], a.centre)
        # Road classes are set once the bus routes are known (see _classify_roads).
        segments.append((u, v, "tertiary", f"V{100 + number}", _wiggle(u, v, rng)))

    graph = nx.Graph()
    for index, (u, v, kind, _, vertices) in enumerate(segments):
        length = LineString(vertices).length
        if graph.has_edge(u, v) and graph[u][v]["length"] <= length:
            continue
        graph.add_edge(u, v, length=length, segment=index)
    if not nx.is_connected(graph):  # pragma: no cover - guaranteed by the spanning tree
        raise RuntimeError("synthetic street network is not connected")
    return segments, graph, anchors


def _route_through(
    pairs: set[tuple[int, int]], centres: np.ndarray, exits: set[int]
) -> set[tuple[int, int]]:
    """Split a road that passes within 600 m of a third settlement into two roads via it."""
    out: set[tuple[int, int]] = set()
    todo = sorted(pairs)
    while todo:
        i, j = todo.pop()
        line = LineString([centres[i], centres[j]])
        near = [
            (line.project(Point(centres[k])), k)
            for k in range(len(centres))
            if k not in (i, j) and k not in exits and line.distance(Point(centres[k])) < 600.0
        ]
        if near:
            _, k = min(near)
            todo.extend([tuple(sorted((i, k))), tuple(sorted((k, j)))])  # type: ignore[list-item]
        else:
            out.add((i, j))
    return out


def _attach(nodes: list[Node], towards: tuple[float, float]) -> Node:
    """The grid node nearest to the other end of a road (the road leaves the grid there)."""
    xy = np.asarray(nodes)
    return nodes[int(np.argmin(np.hypot(xy[:, 0] - towards[0], xy[:, 1] - towards[1])))]


def _wiggle(u: Node, v: Node, rng: np.random.Generator) -> list[Node]:
    """A country road from u to v: vertices every ~250 m with a smooth sideways bend."""
    length = math.hypot(v[0] - u[0], v[1] - u[1])
    n = max(2, int(length // 250.0))
    amplitude = min(0.04 * length, 400.0) * float(rng.uniform(-1.0, 1.0))
    phase = float(rng.uniform(0.5, 1.5))
    nx_, ny_ = -(v[1] - u[1]) / length, (v[0] - u[0]) / length
    out = [u]
    for k in range(1, n):
        t = k / n
        off = amplitude * math.sin(math.pi * t) * phase + 6.0 * math.sin(7.0 * math.pi * t)
        out.append(_key(u[0] + t * (v[0] - u[0]) + off * nx_, u[1] + t * (v[1] - u[1]) + off * ny_))
    out.append(v)
    return out


def _village_hulls(segments: list[Segment], settlements: list[_Settlement]) -> list[Any]:
    """The built-up area of each village: the hull of its street grid, 60 m wide around it."""
    nodes: dict[str, list[Node]] = {}
    for u, v, kind, _, _ in segments:
        if kind == "unclassified":
            for node in (u, v):
                nodes.setdefault(_nearest_settlement(settlements, node), []).append(node)
    return [
        shapely.MultiPoint(nodes[s.name]).convex_hull.buffer(60.0)
        for s in settlements
        if s.kind == "village"
    ]


def _rural_lattice(
    segments: list[Segment], outline: Polygon, built_up: list[Any], rng: np.random.Generator
) -> list[Segment]:
    """Add the countryside's web of minor roads and farm tracks to the streets.

    A lattice of about 1.1 km with jittered junctions and gently bent edges, 12% of its edges
    dropped, is clipped to the region outside the built-up areas. Every line is then split where
    it crosses another (shapely's noding), so tracks and roads share a vertex at each crossing
    and connect in the walking network. Pieces that end up cut off from the streets are dropped:
    the network stays one connected component.
    """
    spacing = 1_100.0
    minx, miny, maxx, maxy = outline.bounds
    junctions: dict[tuple[int, int], tuple[float, float]] = {}
    for i in range(int((maxx - minx) // spacing) + 2):
        for j in range(int((maxy - miny) // spacing) + 2):
            dx, dy = rng.uniform(-0.2 * spacing, 0.2 * spacing, 2)
            junctions[(i, j)] = (minx + i * spacing + dx, miny + j * spacing + dy)
    lattice: list[tuple[str, LineString]] = []
    for (i, j), (x0, y0) in sorted(junctions.items()):
        for di, dj in ((1, 0), (0, 1)):
            other = junctions.get((i + di, j + dj))
            bend = float(rng.uniform(-90.0, 90.0))
            if other is None or rng.random() < 0.12:
                continue
            x1, y1 = other
            length = math.hypot(x1 - x0, y1 - y0)
            mid = (
                (x0 + x1) / 2 - bend * (y1 - y0) / length,
                (y0 + y1) / 2 + bend * (x1 - x0) / length,
            )
            # Every third lattice line is a gravel minor road, the rest are farm and forest tracks.
            minor = (i if dj else j) % 3 == 0
            lattice.append(
                ("unclassified" if minor else "track", LineString([(x0, y0), mid, (x1, y1)]))
            )
    countryside = outline.buffer(-40.0).difference(shapely.union_all(built_up))
    sources: list[tuple[str, str]] = [(kind, name) for _, _, kind, name, _ in segments]
    lines: list[Any] = [LineString(vertices) for *_, vertices in segments]
    for kind, line in lattice:
        for part in shapely.get_parts(line.intersection(countryside)):
            if isinstance(part, LineString) and part.length > 1.0:
                sources.append((kind, ""))
                lines.append(part)
    pieces = shapely.get_parts(shapely.node(shapely.MultiLineString(lines)))
    # Each piece takes the class and name of the line it was cut from (streets first).
    tree = shapely.STRtree(lines)
    midpoints = shapely.line_interpolate_point(pieces, 0.5, normalized=True)
    piece_index, line_index = tree.query(midpoints, predicate="dwithin", distance=1e-6)
    source_of = pd.Series(line_index).groupby(piece_index).min()
    out: list[Segment] = []
    graph = nx.Graph()
    for k, piece in enumerate(pieces):
        vertices = [_key(x, y) for x, y in shapely.get_coordinates(piece)]
        vertices = [v for v, w in zip(vertices, [None, *vertices[:-1]], strict=True) if v != w]
        if len(vertices) < 2:
            continue
        kind, name = sources[int(source_of[k])]
        graph.add_edge(vertices[0], vertices[-1])
        out.append((vertices[0], vertices[-1], kind, name, vertices))
    main = nx.node_connected_component(graph, segments[0][0])
    return [s for s in out if s[0] in main]


# --------------------------------------------------------------------------- bus stops and routes

#: The ATD stop table lists at most this many routes per stop (then "…").
_LISTED_ROUTES = 12


@dataclass
class _Place:
    """Where a bus stops: one named place, written as two stops (one per side of the road)."""

    name: str
    settlement: str | None
    xy: tuple[float, float]
    heading: tuple[float, float]  # unit vector along the road
    node: Node | None = None
    segment: int | None = None
    vertex: int | None = None


@dataclass
class _Route:
    number: str
    places: list[int]  # in the order of direction 0
    distances: list[float]  # metres from the first place, along the streets
    edges: list[int]  # street segments the route runs on


def _stop_places(
    settlements: list[_Settlement],
    anchors: dict[str, Node],
    segments: list[Segment],
    rng: np.random.Generator,
) -> list[_Place]:
    """Bus stop places: settlement centres, more in the city and towns, and farmsteads along roads."""
    places: list[_Place] = []
    grid_nodes: dict[str, list[Node]] = {}
    for u, v, kind, _, _ in segments:
        if kind in ("residential", "unclassified"):
            for node in (u, v):
                grid_nodes.setdefault(_nearest_settlement(settlements, node), []).append(node)
    for s in settlements:
        if s.kind == "exit":
            continue
        label = f"{s.name} autoosta" if s.kind in ("state_city", "town") else s.name
        places.append(_Place(label, s.name, anchors[s.name], (1.0, 0.0), node=anchors[s.name]))
        extra = {"state_city": (_CITY_STREETS, 1_400.0), "town": (("Centrs", "Skola"), 550.0)}.get(
            s.kind
        )
        if extra is None:
            continue
        names, radius = extra
        nodes = sorted(set(grid_nodes[s.name]))
        xy = np.asarray(nodes)
        start = float(rng.uniform(0.0, 2.0 * math.pi))
        for k, street in enumerate(names):
            angle = start + 2.0 * math.pi * k / len(names)
            target = (
                s.centre[0] + radius * math.cos(angle),
                s.centre[1] + radius * math.sin(angle),
            )
            node = nodes[int(np.argmin(np.hypot(xy[:, 0] - target[0], xy[:, 1] - target[1])))]
            places.append(_Place(f"{s.name}, {street}", s.name, node, (1.0, 0.0), node=node))
    farm_count = 0
    for index, (u, v, kind, _, vertices) in enumerate(segments):
        if kind in ("residential", "unclassified"):
            continue
        length = LineString(vertices).length
        count = int(length // 2_800.0)
        for k in range(1, count + 1):
            vertex = round(k * (len(vertices) - 1) / (count + 1))
            before, after = vertices[vertex - 1], vertices[vertex + 1]
            dx, dy = after[0] - before[0], after[1] - before[1]
            norm = math.hypot(dx, dy)
            # Once the list is used up, names repeat with a suffix ("Ozoli 2"), as real stop names do.
            name = _FARMS[farm_count % len(_FARMS)]
            if farm_count >= len(_FARMS):
                name += f" {farm_count // len(_FARMS) + 1}"
            farm_count += 1
            places.append(
                _Place(
                    name,
                    None,
                    vertices[vertex],
                    (dx / norm, dy / norm),
                    segment=index,
                    vertex=vertex,
                )
            )
    return places


def _nearest_settlement(settlements: list[_Settlement], node: Node) -> str:
    d = [math.hypot(node[0] - s.centre[0], node[1] - s.centre[1]) for s in settlements]
    return settlements[int(np.argmin(d))].name


def _routes(
    settlements: list[_Settlement],
    anchors: dict[str, Node],
    graph: nx.Graph,
    segments: list[Segment],
    places: list[_Place],
) -> list[_Route]:
    """Intercity (7xxx), regional (5xxx/6xxx) and city (3xxx) routes along the streets.

    A bus stops at every stop place on its way, so the route list of each stop follows
    from the paths. Two villages far from any hub are left without a bus on purpose.
    """
    city, town_a, town_b = _CITY, _TOWNS[0], _TOWNS[1]
    west, east = "uz Rīgu", "uz Gulbeni"
    plans: list[tuple[str, list[str]]] = [
        ("7401", [west, city, town_a, east]),
        ("7402", [city, town_a, town_b, east]),
        ("7403", [west, city]),
        ("7404", [west, city, town_b]),
        ("7405", [city, town_b, east]),
    ]
    # Regional routes: every village is given to its nearest hub along the streets; each hub's
    # villages are grouped by direction into routes of up to three villages.
    hubs = {city: "54", town_a: "65", town_b: "66"}
    hub_distance = {
        h: nx.single_source_dijkstra_path_length(graph, anchors[h], weight="length") for h in hubs
    }
    villages = [s for s in settlements if s.kind == "village"]
    nearest = {
        v.name: min(hubs, key=lambda h: (hub_distance[h][anchors[v.name]], h)) for v in villages
    }
    remote = sorted(villages, key=lambda v: -hub_distance[nearest[v.name]][anchors[v.name]])[:2]
    for hub, prefix in hubs.items():
        hx, hy = next(s.centre for s in settlements if s.name == hub)
        mine = [v for v in villages if nearest[v.name] == hub and v not in remote]
        mine.sort(key=lambda v: math.atan2(v.centre[1] - hy, v.centre[0] - hx))
        for k in range(0, len(mine), 3):
            group = sorted(mine[k : k + 3], key=lambda v: hub_distance[hub][anchors[v.name]])
            plans.append(
                (
                    f"{prefix}{len([p for p in plans if p[0].startswith(prefix)]) + 1:02d}",
                    [hub] + [v.name for v in group],
                )
            )
    # City routes: as many as still fit the bus station's ATD list uncut (twelve routes), so the
    # state city's station lists its 7xxx routes; the cut-list caveat is shown in a village.
    city_places = [p.name for p in places if p.settlement == city and p.node != anchors[city]]
    at_city = sum(1 for _, stops in plans if city in stops)
    n_city = max(3, _LISTED_ROUTES - at_city)
    for k in range(n_city):
        a = city_places[k % len(city_places)]
        b = city_places[(k + 1 + k // len(city_places)) % len(city_places)]
        plans.append((f"30{k + 1:02d}", [city, a, b]))

    node_of = {p.name: p.node for p in places if p.node is not None}
    place_at_node = {p.node: i for i, p in enumerate(places) if p.node is not None}
    on_segment: dict[int, list[tuple[int, int]]] = {}
    for i, p in enumerate(places):
        if p.segment is not None:
            on_segment.setdefault(p.segment, []).append((int(p.vertex or 0), i))
    routes: list[_Route] = []
    for number, stops in plans:
        waypoints = [anchors[w] if w in anchors else node_of[w] for w in stops]
        path: list[Node] = [waypoints[0]]
        for a, b in itertools.pairwise(waypoints):
            path.extend(nx.shortest_path(graph, a, b, weight="length")[1:])
        routes.append(_walk(number, path, graph, segments, place_at_node, on_segment))

    # School routes: the village on an intercity road with the most routes is the terminus of
    # enough parish school routes (68xx) that its ATD list, sorted by number and cut at twelve,
    # holds no 7xxx route: the intercity routes hide behind the "…". They run to other villages without passing a bus station,
    # so no station's list grows.
    served: dict[int, set[str]] = {}
    for route in routes:
        for place in route.places:
            served.setdefault(place, set()).add(route.number)
    village_names = {v.name for v in villages}
    on_intercity = sorted(
        (-len(numbers), places[i].name, i)
        for i, numbers in served.items()
        if places[i].settlement in village_names
        and places[i].node == anchors[places[i].settlement]
        and any(n.startswith("7") for n in numbers)
    )
    if not on_intercity:  # pragma: no cover - every seed tried routes a 7xxx bus via a village
        return routes
    chosen = on_intercity[0][2]
    start = places[chosen].node
    stations = {anchors[h] for h in hubs}
    lengths, paths = nx.single_source_dijkstra(graph, start, weight="length")
    remote_names = {v.name for v in remote}
    ends = sorted(
        (lengths[anchors[v.name]], v.name)
        for v in villages
        if v.name != places[chosen].settlement
        and v.name not in remote_names
        and not stations & set(paths[anchors[v.name]])
    )
    local = sum(1 for n in served[chosen] if not n.startswith("7"))
    for k in range(_LISTED_ROUTES - local if ends else 0):
        end = anchors[ends[k % len(ends)][1]]
        path = nx.shortest_path(graph, start, end, weight="length")
        routes.append(_walk(f"68{k + 1:02d}", path, graph, segments, place_at_node, on_segment))
    return routes


def _walk(
    number: str,
    path: list[Node],
    graph: nx.Graph,
    segments: list[Segment],
    place_at_node: dict[Node, int],
    on_segment: dict[int, list[tuple[int, int]]],
) -> _Route:
    """The stop places a bus passes along a street path, with the distance travelled to each."""
    route = _Route(number, [], [], [])

    def visit(place: int, at: float) -> None:
        if not route.places or route.places[-1] != place:
            route.places.append(place)
            route.distances.append(round(at, 1))

    travelled = 0.0
    if path[0] in place_at_node:
        visit(place_at_node[path[0]], 0.0)
    for u, v in itertools.pairwise(path):
        data = graph[u][v]
        index = data["segment"]
        route.edges.append(index)
        vertices = segments[index][4]
        forward = segments[index][0] == u
        for vertex, place in sorted(on_segment.get(index, []), reverse=not forward):
            share = vertex / (len(vertices) - 1)
            visit(place, travelled + data["length"] * (share if forward else 1.0 - share))
        travelled += data["length"]
        if v in place_at_node:
            visit(place_at_node[v], travelled)
    return route


def _classify_roads(
    segments: list[Segment], graph: nx.Graph, routes: list[_Route]
) -> list[Segment]:
    """Roads used by intercity buses are "primary", by regional buses "secondary"."""
    rank = {"primary": 0, "secondary": 1, "tertiary": 2}
    out = list(segments)
    for route in routes:
        kind = "primary" if route.number.startswith("7") else "secondary"
        for index in route.edges:
            u, v, current, name, vertices = out[index]
            if current in rank and rank[kind] < rank[current]:
                out[index] = (u, v, kind, name, vertices)
    return out


def _stops(places: list[_Place], routes: list[_Route]) -> gpd.GeoDataFrame:
    """Two stops per served place (one each side of the road), with the routes serving them."""
    serving: dict[int, set[str]] = {}
    for route in routes:
        for place in route.places:
            serving.setdefault(place, set()).add(route.number)
    pattern = re.compile(settings.INTERCITY_ROUTE_PATTERN)
    rows: list[dict[str, Any]] = []
    for index in sorted(serving):
        place = places[index]
        numbers = sorted(serving[index])
        listed = numbers[:_LISTED_ROUTES]
        hx, hy = place.heading
        for side, sign in (("A", 1.0), ("B", -1.0)):
            # Stops stand 8 m off the centre line, on the right-hand side of travel.
            x, y = place.xy[0] + sign * 8.0 * hy, place.xy[1] - sign * 8.0 * hx
            rows.append(
                {
                    "stop_id": str(20_000 + 2 * index + (0 if side == "A" else 1)),
                    "stop_name": place.name,
                    "routes": listed,
                    "routes_all": numbers,
                    "route_count": len(numbers),
                    "routes_truncated": len(numbers) > _LISTED_ROUTES,
                    "mode": "bus",
                    "intercity": any(pattern.fullmatch(r) for r in listed),
                    "intercity_served": any(pattern.fullmatch(r) for r in numbers),
                    "place": index,
                    "side": side,
                    "geometry": Point(x, y),
                }
            )
    stops = gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=settings.CRS)
    stops["geometry"] = _shift(stops.geometry.values)
    return stops


# --------------------------------------------------------------------------- population and sites

# Ozolkrasta pagasts has no library of its own (its readers use the town's).
_PARISHES_WITHOUT_LIBRARY: tuple[int, ...] = (13,)


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


# --------------------------------------------------------------------------- writers


def _write_units(folder: Path, units: gpd.GeoDataFrame) -> Path:
    """The CSB layout: L1_* (unit), L0_* (municipality) and NUTS3 fields, EPSG:3059 .prj, UTF-8 .cpg."""
    l1_type = units["unit_kind"].map({"state_city": 1, "town": 6, "parish": 7}).astype("int32")
    l0_type = np.where(units["municipality_code"] == _CITY_CODE, 1, 5).astype("int32")
    table = gpd.GeoDataFrame(
        {
            "L1_code": "LV" + units["unit_code"],
            "L1_name": units["unit_name"],
            "L1_type": l1_type,
            "L0_code": "LV" + units["municipality_code"],
            "L0_name": units["municipality_name"],
            "L0_type": l0_type,
            "NUTS3_code": "LV00C",
            "NUTS3_name": "Vidzeme",
        },
        geometry=units.geometry.values,
        crs=settings.CRS,
    )
    return _write_shapefile(folder / FILE_NAMES["units"], table)


def _write_municipalities(folder: Path, municipalities: gpd.GeoDataFrame) -> Path:
    """The VARAM layout: VEIDS, NOSAUKUMS, LABEL and no code field."""
    is_city = municipalities["municipality_kind"] == "state_city"
    names = municipalities["municipality_name"]
    table = gpd.GeoDataFrame(
        {
            "VEIDS": np.where(is_city, "valstspilsēta", "novads"),
            "NOSAUKUMS": np.where(is_city, names + " pilsēta", names),
            "LABEL": np.where(is_city, names, names.str.replace(" novads", " nov.", regex=False)),
        },
        geometry=municipalities.geometry.values,
        crs=settings.CRS,
    )
    return _write_shapefile(folder / FILE_NAMES["municipalities"], table)


def _write_shapefile(path: Path, table: gpd.GeoDataFrame) -> Path:
    pyogrio.write_dataframe(
        table,
        path,
        driver="ESRI Shapefile",
        encoding="UTF-8",
        geometry_type="Polygon",
        layer_options={"DBF_DATE_LAST_UPDATE": FIXED_TIMESTAMP.strftime("%Y-%m-%d")},
    )
    return path


def _write_population(folder: Path, population: pd.DataFrame, units: gpd.GeoDataFrame) -> Path:
    """The RAIM export: one indicator per sheet, header row, a blank row and three footer rows."""
    from openpyxl import Workbook

    wide = population.pivot(index="unit_code", columns="year", values="population")
    info = units.set_index("unit_code")
    order = sorted(
        info.index, key=lambda c: (info.at[c, "municipality_name"], info.at[c, "unit_name"])
    )
    workbook = Workbook()
    workbook.remove(workbook.active)
    years = list(POPULATION_YEARS)

    def footer(sheet: Any, name: str, unit: str, source: str) -> None:
        sheet.append([])
        sheet.append(["Nosaukums", name])
        sheet.append(["Mērvienība", unit])
        sheet.append(["Datu avots", source])

    # A different indicator comes first, as in the real export: readers must pick the sheet by name.
    births = workbook.create_sheet("Dzimušo skaits uz 1000 iedzīvot")
    births.append(["Reģions", "Pašvaldība", "Teritoriālais iedalījums", "ATVK", *years])
    for code in order:
        row = [round(6.0 + (int(code) % 37) / 10.0 + (y - 2011) * -0.1, 1) for y in years]
        births.append(
            [
                PLANNING_REGION,
                info.at[code, "municipality_name"],
                info.at[code, "unit_name"],
                code,
                *row,
            ]
        )
    footer(
        births,
        "Dzimušo skaits uz 1000 iedzīvotājiem",
        "Promiles",
        "RAIM aprēķins (pēc PMLP datiem)",
    )

    municipal = workbook.create_sheet("(Pašvaldības) Iedzīvotāju skait")
    municipal.append(["Reģions", "Pašvaldība", "ATVK", *years])
    by_municipality = wide.join(info["municipality_code"]).groupby("municipality_code").sum()
    names = info.drop_duplicates("municipality_code").set_index("municipality_code")[
        "municipality_name"
    ]
    for code in sorted(by_municipality.index, key=lambda c: names[c]):
        municipal.append(
            [PLANNING_REGION, names[code], code, *[int(by_municipality.at[code, y]) for y in years]]
        )
    footer(municipal, "Iedzīvotāju skaits (skaits, PMLP)", "Vienības", "Ielase no XLSX faila")

    sheet = workbook.create_sheet(POPULATION_SHEET)
    sheet.append(["Reģions", "Pašvaldība", "Teritoriālais iedalījums", "ATVK", *years])
    for code in order:
        sheet.append(
            [
                PLANNING_REGION,
                info.at[code, "municipality_name"],
                info.at[code, "unit_name"],
                code,
                *[int(wide.at[code, y]) for y in years],
            ]
        )
    footer(sheet, "Iedzīvotāju skaits (skaits, PMLP)", "Vienības", "Ielase no XLSX faila")

    workbook.properties.creator = "Unknown Creator"
    workbook.properties.created = FIXED_TIMESTAMP
    buffer = io.BytesIO()
    workbook.save(buffer)
    path = folder / FILE_NAMES["population"]
    path.write_bytes(_fixed_zip(buffer.getvalue()))
    return path


def _fixed_zip(data: bytes) -> bytes:
    """Rewrite a zip archive with fixed entry timestamps (and a fixed xlsx 'modified' date)."""
    stamp = FIXED_TIMESTAMP.strftime("%Y-%m-%dT%H:%M:%SZ")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(
                    rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*",
                    rb"\g<1>" + stamp.encode(),
                    content,
                )
            target.writestr(_zip_info(info.filename), content)
    return out.getvalue()


def _zip_info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=FIXED_TIMESTAMP.timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def _lonlat(gdf: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    to_lonlat = Transformer.from_crs(settings.CRS, settings.LONLAT_CRS, always_xy=True)
    lon, lat = to_lonlat.transform(gdf.geometry.x.to_numpy(), gdf.geometry.y.to_numpy())
    return np.asarray(lon), np.asarray(lat)


def _csv_text(header: list[str], rows: Iterator[list[Any]] | list[list[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def _write_stop_table(folder: Path, stops: gpd.GeoDataFrame) -> Path:
    """The ATD stop table: id, nosaukums, marsruti, marsrutu_saraksts, veidi, x, y (WGS84, 7 decimals)."""
    lon, lat = _lonlat(stops)
    rows = []
    for stop, x, y in zip(stops.itertuples(), lon, lat, strict=True):
        listed = ", ".join(stop.routes) + (" …" if stop.routes_truncated else "")
        rows.append(
            [
                stop.stop_id,
                stop.stop_name,
                stop.route_count,
                listed,
                "autobuss",
                f"{x:.7f}",
                f"{y:.7f}",
            ]
        )
    path = folder / FILE_NAMES["stops"]
    path.write_text(
        _csv_text(["id", "nosaukums", "marsruti", "marsrutu_saraksts", "veidi", "x", "y"], rows),
        encoding="utf-8",
        newline="",
    )
    return path


def _write_gtfs(
    folder: Path,
    stops: gpd.GeoDataFrame,
    routes: dict[str, list[str]],
    route_places: dict[str, list[int]],
) -> Path:
    """An ATD-like GTFS feed: one weekday trip per route and direction, 40 km/h between stops."""
    lon, lat = _lonlat(stops)
    files: dict[str, str] = {}
    files["agency.txt"] = _csv_text(
        ["agency_id", "agency_name", "agency_url", "agency_timezone", "agency_lang"],
        [
            [
                "ATD",
                "Autotransporta direkcija (synthetic)",
                "https://www.atd.lv",
                "Europe/Riga",
                "lv",
            ]
        ],
    )
    files["stops.txt"] = _csv_text(
        ["stop_id", "stop_name", "stop_lat", "stop_lon"],
        [
            [s.stop_id, s.stop_name, f"{y:.7f}", f"{x:.7f}"]
            for s, x, y in zip(stops.itertuples(), lon, lat, strict=True)
        ],
    )
    files["routes.txt"] = _csv_text(
        ["route_id", "agency_id", "route_short_name", "route_long_name", "route_type"],
        [
            [f"r{n}", "ATD", n, f"{names[0]} - {names[-1]}", 3]
            for n, names in sorted(routes.items())
        ],
    )
    files["calendar.txt"] = _csv_text(
        [
            "service_id",
            "monday",
            "tuesday",
            "wednesday",
            "thursday",
            "friday",
            "saturday",
            "sunday",
            "start_date",
            "end_date",
        ],
        [["wd", 1, 1, 1, 1, 1, 0, 0, "20240101", "20241231"]],
    )
    trips, times = [], []
    side_stop = {(row.place, row.side): row.stop_id for row in stops.itertuples()}
    place_xy = {row.place: (row.geometry.x, row.geometry.y) for row in stops.itertuples()}
    for number, sequence in sorted(route_places.items()):
        for direction, side in ((0, "A"), (1, "B")):
            trip = f"{number}-{direction}"
            trips.append([f"r{number}", "wd", trip, direction])
            order = sequence if direction == 0 else list(reversed(sequence))
            clock = 7 * 3600 if direction == 0 else 15 * 3600
            previous: tuple[float, float] | None = None
            for k, place in enumerate(order):
                xy = place_xy[place]
                if previous is not None:
                    clock += round(
                        math.hypot(xy[0] - previous[0], xy[1] - previous[1]) * 1.3 / (40_000 / 3600)
                    )
                previous = xy
                stamp = f"{clock // 3600:02d}:{clock % 3600 // 60:02d}:{clock % 60:02d}"
                times.append([trip, stamp, stamp, side_stop[(place, side)], k + 1])
    files["trips.txt"] = _csv_text(["route_id", "service_id", "trip_id", "direction_id"], trips)
    files["stop_times.txt"] = _csv_text(
        ["trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"], times
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in (
            "agency.txt",
            "stops.txt",
            "routes.txt",
            "trips.txt",
            "stop_times.txt",
            "calendar.txt",
        ):
            archive.writestr(_zip_info(name), files[name].encode("utf-8"))
    path = folder / FILE_NAMES["stops_gtfs"]
    path.write_bytes(out.getvalue())
    return path


def _write_sites(path: Path, sites: gpd.GeoDataFrame) -> Path:
    """Libraries or centres as CSV: id, name, lon, lat (WGS84, 7 decimals)."""
    lon, lat = _lonlat(sites)
    rows = [
        [s.site_id, s.name, f"{x:.7f}", f"{y:.7f}"]
        for s, x, y in zip(sites.itertuples(), lon, lat, strict=True)
    ]
    path.write_text(_csv_text(["id", "name", "lon", "lat"], rows), encoding="utf-8", newline="")
    return path


def _write_streets(folder: Path, streets: gpd.GeoDataFrame) -> Path:
    """Street centre lines as one GeoPackage layer ``streets`` (LineStrings, EPSG:3059)."""
    path = folder / FILE_NAMES["streets"]
    # GDAL stamps GeoPackages with the current time unless told otherwise.
    previous = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options(
        {"OGR_CURRENT_DATE": FIXED_TIMESTAMP.strftime("%Y-%m-%dT%H:%M:%S.000Z")}
    )
    try:
        pyogrio.write_dataframe(streets, path, layer="streets", driver="GPKG")
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": previous})
    return path
