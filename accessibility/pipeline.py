"""The main job: load every layer found, measure coverage, propose a plan, write maps, tables and a report."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from . import __version__, settings
from ._errors import AccessibilityError, DataNotFoundError
from ._loadreport import get_report
from .study import Study, file_checksums, study_to_toml

logger = logging.getLogger(__name__)

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

#: Outputs :func:`run` can write.
OUTPUT_PARTS: tuple[str, ...] = ("tables", "maps", "report")

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
    """

    layers: dict[str, Any] = field(default_factory=dict)
    paths: dict[str, Path] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)
    unused: dict[str, tuple[Path, str]] = field(default_factory=dict)
    network: Any = None


@dataclass
class RunResult:
    """What :func:`run` computed and wrote.

    Attributes
    ----------
    inputs
        The loaded inputs.
    study
        The study run.
    coverage
        Coverage of the existing centres (None without centres).
    site_checks
        Stop-rule tables by site set (``libraries``, or the two proxy sets).
    plan
        The proposed plan's sites (GeoDataFrame) and its planner's result.
    comparison
        Coverage figures of the existing network and the plan, side by side.
    files
        Written path per output name.
    inference
        The measured recall and precision of the cut-list inference
        (:class:`~accessibility.route_inference.InferenceScore`; None without cut lists).
    """

    inputs: Inputs
    study: Study | None = None
    coverage: Any = None
    plan_coverage: Any = None
    site_checks: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    plan: gpd.GeoDataFrame | None = None
    plan_details: dict[str, Any] = field(default_factory=dict)
    comparison: pd.DataFrame | None = None
    files: dict[str, Path] = field(default_factory=dict)
    inference: Any = None


class Progress:
    """Step-by-step progress on stderr: ``[3/9] measuring coverage ... 1.2 s``."""

    def __init__(self, total: int, *, enabled: bool = True, stream: Any = None) -> None:
        self.total = total
        self.step = 0
        self.label = ""
        self.enabled = enabled
        self.stream = stream if stream is not None else sys.stderr

    @contextmanager
    def __call__(self, label: str) -> Iterator[None]:
        """Announce a step, run it, and print how long it took."""
        self.step += 1
        self.label = label
        start = time.perf_counter()
        self._write(f"[{self.step}/{self.total}] {label} ...")
        try:
            yield
        finally:
            self._write(f" {time.perf_counter() - start:.1f} s\n")

    def item(self, done: int, of: int, what: str) -> None:
        """Count through a long step (for example map sheets) on the step's own line."""
        self._write(f"\r[{self.step}/{self.total}] {self.label} ... {done}/{of} {what}")

    def _write(self, text: str) -> None:
        if self.enabled:
            print(text, end="", file=self.stream, flush=True)


def load_inputs(study: Study, *, data_dir: str | Path | None = None) -> Inputs:
    """Load every dataset the study names or the data folder holds.

    Explicit ``study.inputs`` paths win over files found by their official names under the
    data folder (``data_dir``, else ``study.data_dir``, else ``ACCESSIBILITY_DATA``).

    Raises
    ------
    DataNotFoundError
        If the territorial units cannot be found: nothing can be computed without them.
    """
    from . import datasets
    from .library_counts import load_library_counts
    from .network import walk_network
    from .population import load_population
    from .sites import load_centres, load_libraries
    from .stops import load_stops
    from .units import load_municipalities, load_units

    folder = data_dir if data_dir is not None else study.data_dir
    inputs = Inputs()
    for key in LAYER_KEYS:
        explicit = study.inputs.get(key)
        if explicit is not None:
            path = Path(explicit)
            if not path.exists():
                raise DataNotFoundError(f"study input {key!r}: {path} does not exist")
        else:
            try:
                path = datasets.find_dataset(key, folder)
            except DataNotFoundError as exc:
                if key == "units":
                    raise
                inputs.missing[key] = CONSEQUENCES[key]
                logger.info("%s", exc)
                continue
        inputs.paths[key] = path
    for key, why in UNUSED.items():
        try:
            inputs.unused[key] = (datasets.find_dataset(key, folder), why)
        except DataNotFoundError:
            pass

    units = load_units(inputs.paths["units"])
    inputs.layers["units"] = units
    loaders: dict[str, Callable[[Path], Any]] = {
        "municipalities": lambda p: load_municipalities(p, units=units),
        "population": lambda p: load_population(p, study.population_year, units=units),
        "stops": lambda p: load_stops(p, intercity=study.intercity_pattern),
        "libraries": load_libraries,
        "centres": load_centres,
        "streets": _read_streets,
        "library_counts": load_library_counts,
    }
    for key, load in loaders.items():
        if key in inputs.paths:
            inputs.layers[key] = load(inputs.paths[key])
    if "streets" in inputs.layers:
        streets = inputs.layers["streets"]
        inputs.network = (
            streets if not isinstance(streets, gpd.GeoDataFrame) else walk_network(streets)
        )
    if "municipalities" not in inputs.layers:
        inputs.layers["municipalities"] = _municipalities_from_units(units)
    return inputs


def _read_streets(path: Path) -> Any:
    """Streets as a walking network (OSM files) or as centre lines (any vector file)."""
    from .network import WalkNetwork, walk_network

    name = path.name.lower()
    if name.endswith((".osm", ".osm.pbf", ".pbf")):
        return walk_network(path)
    if name.endswith((".npz", ".parquet")) and hasattr(WalkNetwork, "load"):
        return WalkNetwork.load(path)
    return gpd.read_file(path)


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


def _measure_inference(stops: gpd.GeoDataFrame, study: Study) -> Any:
    """Recall and precision of the cut-list inference on this stop table (None without cut lists).

    Complete lists of 8 or more routes are cut artificially as the publisher cuts lists (the
    real cut lists are at the busiest stops, which such lists resemble best).
    """
    from .route_inference import measure_inference
    from .stops import _intercity_rule

    if (
        not stops["routes_truncated"].any()
        or get_report(stops).get("notes", {}).get("cut_lists", "infer") != "infer"
    ):
        return None
    matcher, _ = _intercity_rule(study.intercity_pattern)
    return measure_inference(stops, matcher, min_routes=8)


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


def write_study(study: Study, out_dir: Path) -> Path:
    """Write the resolved study next to the outputs (``study.resolved.toml``)."""
    from .io import write_text

    return write_text(out_dir / "study.resolved.toml", study_to_toml(study))


def check_output_dir(out_dir: str | Path) -> Path:
    """The output folder, created if needed; a file in its place is a user error."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise AccessibilityError(f"output path {out} exists and is not a folder")
    out.mkdir(parents=True, exist_ok=True)
    return out


def run(
    study: Study,
    out_dir: str | Path,
    *,
    data_dir: str | Path | None = None,
    inputs: Inputs | None = None,
    progress: bool = True,
    municipality_sheets: bool = True,
    source_note: str | None = None,
    parts: Collection[str] = OUTPUT_PARTS,
) -> RunResult:
    """Run the whole job and write its outputs into ``out_dir``.

    Steps: load the layers (saying what is missing and what that costs), place the population
    on a grid, check the 700 m stop rule for the sites in hand (libraries, else labelled proxy
    sites), measure the existing network's coverage, propose a plan, compare the two, and write
    tables (GeoPackage, GeoParquet, CSV), maps (PNG and SVG), an interactive map, the report
    (Markdown and HTML), the resolved study and a manifest of input checksums.

    Parameters
    ----------
    study
        Inputs and parameters.
    out_dir
        Output folder (created).
    data_dir
        Folder searched for the official datasets (default: the study's, else ``ACCESSIBILITY_DATA``).
    inputs
        Already loaded inputs (skips loading; used by the demo).
    progress
        Print step-by-step progress on stderr.
    municipality_sheets
        Also draw one map sheet per municipality.
    source_note
        Source line printed on the maps (default: built from the datasets used).
    parts
        Which outputs to write, of :data:`OUTPUT_PARTS` (``tables``, ``maps``, ``report``); the
        resolved study and the manifest are always written.

    Returns
    -------
    RunResult
    """
    from . import _run_outputs, _run_plan
    from .coverage import assess, proxy_sites, stop_rule
    from .demand import population_points

    unknown = sorted(set(parts) - set(OUTPUT_PARTS))
    if unknown:
        raise AccessibilityError(
            f"unknown output part(s) {', '.join(unknown)}; known: {', '.join(OUTPUT_PARTS)}"
        )
    out = check_output_dir(out_dir)
    sheets = municipality_sheets and "maps" in parts
    steps = Progress(9 + int(sheets), enabled=progress)
    with steps("loading the datasets"):
        if inputs is None:
            inputs = load_inputs(study, data_dir=data_dir)
    layers = inputs.layers
    units = layers["units"]
    stops = layers.get("stops")
    population = layers.get("population")
    centres = layers.get("centres")
    network = inputs.network
    result = RunResult(inputs=inputs, study=study)

    def coverage_of(sites: gpd.GeoDataFrame, label: str) -> Any:
        return assess(
            units,
            stops,
            sites,
            population,
            network,
            municipalities=layers.get("municipalities"),
            distance=study.stop_distance,
            thresholds=study.distance_thresholds,
            resolution=study.grid_resolution,
            year=study.population_year,
            max_snap=study.max_snap,
            site_label=label,
            points=points,
        )

    with steps("placing the population on a grid"):
        points = None
        if population is not None:
            points = population_points(
                units, population, resolution=study.grid_resolution, year=study.population_year
            )

    with steps("checking the stop rule"):
        if stops is not None and "routes_truncated" in stops.columns:
            result.inference = _measure_inference(stops, study)
        if stops is not None:
            if "libraries" in layers:
                result.site_checks["libraries"] = stop_rule(
                    layers["libraries"],
                    stops,
                    study.stop_distance,
                    network,
                    units=units,
                    max_snap=study.max_snap,
                )
            else:
                proxies = {
                    "proxy_most_served_stop": proxy_sites(
                        units, how="most_served_stop", stops=stops
                    )
                }
                if points is not None:
                    proxies["proxy_population_centre"] = proxy_sites(
                        units, how="population_centre", points=points
                    )
                for label, sites in proxies.items():
                    result.site_checks[label] = stop_rule(
                        sites,
                        stops,
                        study.stop_distance,
                        network,
                        units=units,
                        max_snap=study.max_snap,
                    )

    with steps("measuring the coverage of the existing centres"):
        if centres is not None:
            result.coverage = coverage_of(centres, "existing centres")

    with steps("proposing a plan"):
        _run_plan.propose(result, study, points)

    with steps("measuring the coverage of the plan"):
        if result.plan is not None:
            result.plan_coverage = coverage_of(result.plan, "proposed centres")
            result.comparison = _run_plan.comparison(result, study, points)

    with steps("writing tables"):
        if "tables" in parts:
            result.files.update(_run_outputs.write_tables(result, out))
        result.files["study"] = write_study(study, out)
        from .io import write_json

        result.files["manifest"] = write_json(out / "manifest.json", manifest(study, inputs))

    with steps("drawing maps"):
        if "maps" in parts:
            result.files.update(_run_outputs.write_maps(result, out, source_note=source_note))

    if sheets:
        with steps("drawing municipality sheets"):
            result.files.update(
                _run_outputs.write_sheets(result, out, source_note=source_note, progress=steps)
            )

    with steps("writing the report"):
        if "report" in parts:
            result.files.update(_run_outputs.write_run_report(result, study, out))
    return result
