"""The main job: load every layer found, measure coverage, propose a plan, write maps, tables and a report."""

from __future__ import annotations

import logging
from collections.abc import Collection
from pathlib import Path
from typing import Any

import geopandas as gpd

from .._errors import AccessibilityError
from . import _atomic
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
from .study import Study, relative_to_file, study_to_toml

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

    # Paths are written for the file's own folder, so ``--config study.resolved.toml`` reruns the
    # study from any working folder (and after the folder is moved with its region files).
    return write_text(
        out_dir / "study.resolved.toml", study_to_toml(relative_to_file(study, out_dir))
    )


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
    allow_partial: bool = False,
    workers: int | None = None,
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
    workers
        Processes drawing the municipality sheets (default: one per available core; the
        files are the same whatever the number).
    allow_partial
        Go on when more than a small share of the units, people or stops is lost (see
        :mod:`accessibility.run._checks`); the headline then says the run is partial. Without
        it such a run stops with an error saying what was lost.

    Notes
    -----
    The run is written into a temporary folder beside ``out_dir`` and moved into place at the
    end: ``out_dir`` holds the previous complete run or the new one, never a mix, and a failed
    run leaves it as it was. Other files in ``out_dir`` are left alone.

    Returns
    -------
    RunResult
    """
    unknown = sorted(set(parts) - set(OUTPUT_PARTS))
    if unknown:
        raise AccessibilityError(
            f"unknown output part(s) {', '.join(unknown)}; known: {', '.join(OUTPUT_PARTS)}"
        )
    final = Path(out_dir)
    work = _atomic.start(final)
    try:
        result = _run_into(
            work,
            study,
            data_dir=data_dir,
            inputs=inputs,
            progress=progress,
            municipality_sheets=municipality_sheets,
            source_note=source_note,
            parts=parts,
            allow_partial=allow_partial,
            workers=workers,
        )
        _atomic.finish(work, final)
    except BaseException:
        _atomic.abandon(work)
        raise
    result.files = {
        key: final / path.relative_to(work) if path.is_relative_to(work) else path
        for key, path in result.files.items()
    }
    return result


def _run_into(
    out: Path,
    study: Study,
    *,
    data_dir: str | Path | None,
    inputs: Inputs | None,
    progress: bool,
    municipality_sheets: bool,
    source_note: str | None,
    parts: Collection[str],
    allow_partial: bool,
    workers: int | None,
) -> RunResult:
    """The steps of :func:`run`, writing into ``out`` (the temporary folder)."""
    from ..coverage.core import assess, proxy_sites, stop_rule
    from ..coverage.demand import population_points
    from . import _outputs as _run_outputs
    from . import _plan as _run_plan
    from ._checks import check_inputs

    sheets = municipality_sheets and "maps" in parts
    # Only the steps that run are announced: ``plan`` does not say it draws maps.
    steps = Progress(
        9 + int("maps" in parts) + int(sheets) + int("report" in parts), enabled=progress
    )
    with steps("loading the datasets"):
        if inputs is None:
            inputs = load_inputs(study, data_dir=data_dir)
        inputs.partial = check_inputs(inputs, study, allow_partial=allow_partial)
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
        # The national scenarios are left to worker processes until the comparison needs them.
        scenarios = _run_plan.propose(result, study, points, workers=workers, wait=False)

    sheet_job = None
    try:
        with steps("measuring the coverage of the plan"):
            if result.plan is not None:
                result.plan_coverage = coverage_of(result.plan, "proposed centres")
            # The sheets need only the coverage and the plan: worker processes draw them
            # while this process writes the tables, the national maps and the report.
            if sheets:
                sheet_job = _run_outputs.start_sheets(
                    result, out, source_note=source_note, workers=workers
                )
        with steps("finding same-day round trips by bus"):
            from . import _transit

            result.transit = _transit.compute(
                result, study, points, data_dir if data_dir is not None else study.data_dir
            )
        # Nor do the national maps need the scenarios: they are drawn while those are planned.
        map_files: dict[str, Path] = {}
        if "maps" in parts:
            with steps("drawing maps"):
                map_files = _run_outputs.write_maps(result, out, source_note=source_note)
        with steps("comparing the plan with the existing network and the scenarios"):
            _run_plan.finish(result, scenarios)
            if result.plan is not None:
                result.comparison = _run_plan.comparison(result, study, points)

        with steps("writing tables"):
            if "tables" in parts:
                result.files.update(_run_outputs.write_tables(result, out))
            result.files["study"] = write_study(study, out)
            from ..io.write import write_json

            result.files["manifest"] = write_json(out / "manifest.json", manifest(study, inputs))
        result.files.update(map_files)

        if "report" in parts:
            with steps("writing the report"):
                result.files.update(_run_outputs.write_run_report(result, study, out))

        if sheets:
            with steps("drawing municipality sheets"):
                result.files.update(_run_outputs.finish_sheets(sheet_job, progress=steps))
    finally:
        if scenarios is not None:
            scenarios.cancel()
        if sheet_job is not None:
            sheet_job.cancel()
    return result
