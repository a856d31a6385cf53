"""The main job: load every layer found, measure coverage, propose a plan, write maps, tables and a report."""

from __future__ import annotations

import logging
from collections.abc import Collection
from pathlib import Path
from typing import Any

import geopandas as gpd

from .._errors import AccessibilityError
from .inputs import (
    CONSEQUENCES,
    LAYER_KEYS,
    UNUSED,
    Inputs,
    describe_inputs,
    load_inputs,
    manifest,
)
from .result import Progress, RunResult
from .study import Study, study_to_toml

logger = logging.getLogger(__name__)

#: Outputs :func:`run` can write.
OUTPUT_PARTS: tuple[str, ...] = ("tables", "maps", "report")

__all__ = [
    "CONSEQUENCES",
    "LAYER_KEYS",
    "OUTPUT_PARTS",
    "UNUSED",
    "Inputs",
    "Progress",
    "RunResult",
    "check_output_dir",
    "describe_inputs",
    "load_inputs",
    "manifest",
    "run",
    "write_study",
]


def write_study(study: Study, out_dir: Path) -> Path:
    """Write the resolved study next to the outputs (``study.resolved.toml``)."""
    from ..io.write import write_text

    return write_text(out_dir / "study.resolved.toml", study_to_toml(study))


def _measure_inference(stops: gpd.GeoDataFrame, study: Study) -> Any:
    """Recall and precision of the cut-list inference on this stop table (None without cut lists).

    Complete lists of 8 or more routes are cut artificially as the publisher cuts lists (the
    real cut lists are at the busiest stops, which such lists resemble best).
    """
    from .._loadreport import get_report
    from ..io.route_inference import measure_inference
    from ..io.stops import _intercity_rule

    if (
        not stops["routes_truncated"].any()
        or get_report(stops).get("notes", {}).get("cut_lists", "infer") != "infer"
    ):
        return None
    matcher, _ = _intercity_rule(study.intercity_pattern)
    return measure_inference(stops, matcher, min_routes=8)


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
    from ..coverage.core import assess, proxy_sites, stop_rule
    from ..coverage.demand import population_points
    from . import _outputs as _run_outputs
    from . import _plan as _run_plan

    unknown = sorted(set(parts) - set(OUTPUT_PARTS))
    if unknown:
        raise AccessibilityError(
            f"unknown output part(s) {', '.join(unknown)}; known: {', '.join(OUTPUT_PARTS)}"
        )
    out = check_output_dir(out_dir)
    sheets = municipality_sheets and "maps" in parts
    steps = Progress(10 + int(sheets), enabled=progress)
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

    with steps("finding same-day round trips by bus"):
        from . import _transit

        result.transit = _transit.compute(
            result, study, points, data_dir if data_dir is not None else study.data_dir
        )

    with steps("writing tables"):
        if "tables" in parts:
            result.files.update(_run_outputs.write_tables(result, out))
        result.files["study"] = write_study(study, out)
        from ..io.write import write_json

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
