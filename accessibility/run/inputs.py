"""What a run reads: every layer the study names or the data folder holds, and what is missing."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from .. import settings
from .._errors import AccessibilityError, DataNotFoundError, InputFileError
from .._loadreport import get_report
from .._version import __version__
from .study import Study, file_checksums

logger = logging.getLogger("accessibility.run.pipeline")

#: Reference datasets a run reads to check the layers (not analysed, not in the inputs table).
REFERENCE_KEYS: tuple[str, ...] = ("classifier",)

#: What the analysis loses when a dataset is missing, said in the run's log and report.
CONSEQUENCES: dict[str, str] = {
    "municipalities": "municipality borders are drawn by merging the units of each municipality, "
    "not from the VARAM layer",
    "population": "no population figures: distances from the population to a centre, the population "
    "beyond each threshold and the population-weighted plan cannot be computed; the plan takes one "
    "point per unit instead",
    "stops": "no bus stops: the 700 m intercity-stop rule cannot be checked and no stop hub can be a "
    "candidate site",
    "libraries": "no library locations: the stop rule is reported for proxy sites (one per unit: its "
    "most-served bus stop, and the population-weighted centre of the unit), clearly labelled, not for "
    "libraries; candidate sites come from stops and unit points only",
    "centres": "no list of existing centres: the existing network cannot be assessed or compared with the "
    "plan, and no centre is held fixed in the plan",
    "streets": "no walking network: every distance is a straight line in EPSG:3059 (LKS-92 / Latvia TM), "
    "labelled as such; a walk is always at least as long",
    "library_counts": "no CSB library count: the report cannot say how complete the library file is",
}

#: Datasets found but not used for any figure, and why (said in the report's inputs table).
UNUSED: dict[str, str] = {
    "riga_gtfs": "found, not used for any figure: Rīgas satiksme's city stops are local public "
    "transport, not intercity, so they do not count for the stop rule, and this copy has no "
    "stop_times.txt to tell which routes serve each stop; the stop rule uses the ATD stops",
}

#: Datasets the main job reads, in loading order. ``units`` is the only one it cannot do without.
LAYER_KEYS: tuple[str, ...] = (
    "units",
    "municipalities",
    "population",
    "stops",
    "libraries",
    "centres",
    "streets",
    "library_counts",
)


@dataclass
class Inputs:
    """Layers loaded for a run, where they came from and what was missing.

    Attributes
    ----------
    layers
        Loaded layer per dataset key (missing ones absent).
    paths
        Source file per loaded dataset key.
    missing
        Dataset key -> what its absence costs the analysis (see :data:`CONSEQUENCES`).
    unused
        Dataset key -> (path, why it is not used) for datasets found but left out on purpose
        (see :data:`UNUSED`).
    network
        The walking network built from ``streets`` (None without streets).
    choices
        Dataset key -> which file was used and why (printed on the run's normal output).
    partial
        What a run with ``allow_partial`` lost (empty for a complete run; see ``_checks``).
    """

    layers: dict[str, Any] = field(default_factory=dict)
    paths: dict[str, Path] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)
    unused: dict[str, tuple[Path, str]] = field(default_factory=dict)
    network: Any = None
    choices: dict[str, str] = field(default_factory=dict)
    partial: list[str] = field(default_factory=list)


def load_inputs(study: Study, *, data_dir: str | Path | None = None) -> Inputs:
    """Load every dataset the study names or the data folder holds.

    Explicit ``study.inputs`` paths win over files found by their official names under the
    data folder (``data_dir``, else ``study.data_dir``, else ``ACCESSIBILITY_DATA``).

    Raises
    ------
    DataNotFoundError
        If the territorial units cannot be found: nothing can be computed without them.
    """
    from ..io import datasets
    from ..io.library_counts import load_library_counts
    from ..io.population import load_population
    from ..io.sites import load_centres, load_libraries
    from ..io.stops import load_stops
    from ..io.units import load_classifier, load_municipalities, load_units
    from ..network.walk import walk_network

    folder = data_dir if data_dir is not None else study.data_dir
    inputs = Inputs()
    for key in (*LAYER_KEYS, *REFERENCE_KEYS):
        explicit = study.inputs.get(key)
        if explicit is not None:
            path = Path(explicit)
            if not path.exists():
                raise DataNotFoundError(f"study input {key!r}: {path} does not exist")
            inputs.choices[key] = f"{path} (named in the study)"
        elif key in REFERENCE_KEYS and "units" in study.inputs:
            # A reference checks the units only where both come from the same data folder:
            # units named in the study (the synthetic region) are not the classifier's.
            continue
        else:
            try:
                match = datasets.locate_dataset(key, folder)
            except DataNotFoundError as exc:
                if key == "units":
                    raise
                if key in CONSEQUENCES:
                    inputs.missing[key] = CONSEQUENCES[key]
                logger.info("%s", exc)
                continue
            path = match.path
            others = [str(c) for c in match.candidates[1:]]
            inputs.choices[key] = f"{path} ({match.reason}" + (
                f"; not used: {', '.join(others)})" if others else ")"
            )
        inputs.paths[key] = path
    for key, why in UNUSED.items():
        try:
            inputs.unused[key] = (datasets.find_dataset(key, folder), why)
        except DataNotFoundError:
            pass

    units = _load("units", inputs.paths["units"], load_units)
    inputs.layers["units"] = units
    loaders: dict[str, Callable[[Path], Any]] = {
        "municipalities": lambda p: load_municipalities(p, units=units),
        "population": lambda p: load_population(p, study.population_year, units=units),
        "stops": lambda p: load_stops(p, intercity=study.intercity_pattern),
        "libraries": load_libraries,
        "centres": load_centres,
        "streets": _read_streets,
        "library_counts": load_library_counts,
        "classifier": load_classifier,
    }
    for key, load in loaders.items():
        if key in inputs.paths:
            inputs.layers[key] = _load(key, inputs.paths[key], load)
    if "streets" in inputs.layers:
        streets = inputs.layers["streets"]
        inputs.network = (
            streets if not isinstance(streets, gpd.GeoDataFrame) else walk_network(streets)
        )
    if "municipalities" not in inputs.layers:
        inputs.layers["municipalities"] = _municipalities_from_units(units)
    return inputs


def _load(key: str, path: Path, load: Callable[[Path], Any]) -> Any:
    """Run a loader; an unexpected failure becomes one line naming the dataset and the file."""
    try:
        return load(path)
    except (AccessibilityError, MemoryError, KeyboardInterrupt):
        raise
    except Exception as exc:  # a reader library's own error on a damaged file
        raise InputFileError(
            path,
            f"{key} cannot be read (damaged or not the expected format?): "
            f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}",
        ) from exc


def _read_streets(path: Path) -> Any:
    """Streets as a walking network (OSM files) or as centre lines (any vector file)."""
    from ..network.walk import WalkNetwork, walk_network

    name = path.name.lower()
    if name.endswith((".osm", ".osm.pbf", ".pbf")):
        return walk_network(path)
    if name.endswith((".npz", ".parquet")) and hasattr(WalkNetwork, "load"):
        return WalkNetwork.load(path)
    lines = gpd.read_file(path)
    kinds = set(lines.geom_type.dropna()) - {"LineString", "MultiLineString"}
    if kinds or not len(lines):
        # A layer of areas would otherwise be taken as a place to download streets for.
        raise InputFileError(
            path,
            "streets must be street centre lines (LineStrings); the layer holds "
            f"{', '.join(sorted(kinds)) or 'no features'}",
            field="geometry",
        )
    return lines


def _municipalities_from_units(units: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Municipality outlines dissolved from the units (used when the VARAM layer is missing)."""
    merged = units.dissolve(by=["municipality_code", "municipality_name"], as_index=False)
    kind = merged["municipality_code"].map(
        lambda code: (
            "state_city"
            if (units.loc[units["municipality_code"] == code, "unit_kind"] == "state_city").all()
            else "novads"
        )
    )
    return gpd.GeoDataFrame(
        {
            "municipality_code": merged["municipality_code"],
            "municipality_name": merged["municipality_name"],
            "municipality_kind": kind,
        },
        geometry=merged.geometry.to_numpy(),
        crs=units.crs,
    )


def describe_inputs(inputs: Inputs) -> pd.DataFrame:
    """One row per dataset: found or missing, source file, rows loaded and rejected, consequence."""
    rows = []
    for key in LAYER_KEYS:
        layer = inputs.layers.get(key)
        report = get_report(layer) if layer is not None and hasattr(layer, "attrs") else {}
        rows.append(
            {
                "dataset": key,
                "status": "loaded" if key in inputs.paths else "missing",
                "source": inputs.paths[key].name if key in inputs.paths else "",
                "rows": len(layer)
                if isinstance(layer, pd.DataFrame)
                else (getattr(layer, "n_nodes", None) if layer is not None else None),
                "rejected": report.get("rejected", 0) if report else 0,
                "consequence": inputs.missing.get(key, ""),
            }
        )
    for key, (path, why) in inputs.unused.items():
        rows.append(
            {
                "dataset": key,
                "status": "not used",
                "source": path.name,
                "rows": None,
                "rejected": 0,
                "consequence": why,
            }
        )
    frame = pd.DataFrame(rows)
    frame["rows"] = frame["rows"].astype("Int64")
    return frame


def manifest(study: Study, inputs: Inputs) -> dict[str, Any]:
    """Toolkit version, resolved study and input checksums: enough to regenerate every figure."""
    return {
        "toolkit": "accessibility",
        "version": __version__,
        "crs": settings.CRS,
        "study": study.to_dict(),
        "inputs": file_checksums(inputs.paths),
        "missing": dict(sorted(inputs.missing.items())),
        "load_reports": {
            key: {k: v for k, v in get_report(layer).items() if k != "rejected_rows"}
            for key, layer in sorted(inputs.layers.items())
            if hasattr(layer, "attrs") and get_report(layer)
        },
    }
