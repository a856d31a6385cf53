"""A small deterministic region written in the official file formats, for demos and tests."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString, Point

from .. import settings
from ._files import (
    _write_gtfs,
    _write_municipalities,
    _write_population,
    _write_sites,
    _write_stop_table,
    _write_streets,
    _write_units,
)
from ._names import (
    _CITY,
    _CITY_CODE,
    _PARISHES,
    _PARISHES_WITHOUT_LIBRARY,
    _TOWNS,
    DEFAULT_SEED,
    FILE_NAMES,
    FIXED_TIMESTAMP,
    ORIGIN,
    PLANNING_REGION,
    POPULATION_SHEET,
    POPULATION_YEARS,
)
from ._sites import _centres, _libraries, _population
from ._streets import _rural_lattice, _streets, _village_hulls
from ._territory import (
    _blob,
    _frame,
    _outline,
    _parish_cells,
    _parish_seeds,
    _settlements,
    _shift,
    _towns,
    _unit,
)
from ._transport import _classify_roads, _routes, _stop_places, _stops

__all__ = [
    "DEFAULT_SEED",
    "FILE_NAMES",
    "FIXED_TIMESTAMP",
    "ORIGIN",
    "PLANNING_REGION",
    "POPULATION_SHEET",
    "POPULATION_YEARS",
    "SyntheticRegion",
    "build_region",
    "load_region",
    "write_region",
]


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
