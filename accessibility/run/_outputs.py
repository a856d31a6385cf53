"""Outputs of the main job: tables, maps, municipality sheets and the report."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from .. import settings
from .._version import __version__
from ..io.write import file_ready, write_csv, write_geoparquet, write_gpkg_layers, write_json
from ..outputs import tables as people
from ..outputs.pdf import write_pdf
from ..outputs.report import Bullets, Heading, Image, Paragraph, Report, Table, write_report
from . import _transit_outputs
from ._headline import libraries_against_csb

if TYPE_CHECKING:
    from .result import RunResult
    from .study import Study

#: Source line of the maps, per dataset used.
_SOURCES: dict[str, str] = {
    "units": "boundaries: Central Statistical Bureau of Latvia (CSB)",
    "population": "population: PMLP register via RAIM",
    "stops": "bus stops: Road Transport Directorate (ATD)",
    "libraries": "libraries: as given",
    "centres": "existing centres: as given",
    "streets": "streets: as given",
}

#: Columns of the unit table shown in the report's gap list.
_GAP_COLUMNS = ("rank", "unit_name", "municipality_code", "gap", "reason", "population_affected")


def source_note(result: RunResult) -> str:
    """A map source line naming every dataset used."""
    used = "; ".join(_SOURCES[key] for key in _SOURCES if key in result.inputs.paths)
    # The map adds its own full stop and date after the note.
    return used[:1].upper() + used[1:]


def rule_caption(result: RunResult) -> str:
    """The rule behind the map colours: the distance, how it was measured, the intercity assumption."""
    study = result.study
    distance = settings.STOP_RULE_DISTANCE_M if study is None else study.stop_distance
    pattern = settings.INTERCITY_ROUTE_PATTERN if study is None else study.intercity_pattern
    how = (
        "straight line, not a walk"
        if result.inputs.network is None
        else "walk along the street network"
    )
    which = (
        "a four-digit ATD route number starting with 7"
        if pattern == settings.INTERCITY_ROUTE_PATTERN
        else f"an ATD route number matching {pattern}"
    )
    return (
        f"Rule: a centre meets it within {distance:.0f} m ({how}) of an intercity bus stop; "
        f"intercity means a stop served by {which} (an assumption from press reports)."
    )


def _csv_table(frame: pd.DataFrame) -> pd.DataFrame:
    """A GeoDataFrame as a plain table with x/y (EPSG:3059) for points and no geometry."""
    if not isinstance(frame, gpd.GeoDataFrame):
        return frame
    table = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    if len(frame) and (frame.geom_type == "Point").all():
        table["x"] = frame.geometry.x.round(2).to_numpy()
        table["y"] = frame.geometry.y.round(2).to_numpy()
    return table


def write_tables(result: RunResult, out: Path) -> dict[str, Path]:
    """Write every table as CSV, the layers as one GeoPackage and the unit tables as GeoParquet."""
    from ..coverage.core import write_coverage
    from .inputs import describe_inputs

    tables = out / "tables"
    written: dict[str, Path] = {}
    layers: dict[str, gpd.GeoDataFrame] = {}
    for label, coverage in (("existing", result.coverage), ("plan", result.plan_coverage)):
        if coverage is None:
            continue
        for name, path in write_coverage(coverage, tables / label).items():
            written[f"{label}_{name}"] = path
        units = file_ready(coverage.units)
        layers[f"{label}_units"] = units
        written[f"{label}_units_parquet"] = write_geoparquet(
            tables / label / "units.parquet", units
        )
    for label, checked in result.site_checks.items():
        written[f"stop_rule_{label}"] = write_csv(
            tables / f"stop_rule_{label}.csv", _csv_table(checked)
        )
        layers[f"stop_rule_{label}"] = file_ready(checked)
    if result.plan is not None:
        plan = file_ready(result.plan)
        written["plan_csv"] = write_csv(tables / "plan.csv", _csv_table(plan))
        written["plan_parquet"] = write_geoparquet(tables / "plan.parquet", plan)
        layers["plan"] = plan
        shared = result.plan_details.get("shared_units")
        if isinstance(shared, pd.DataFrame):
            written["plan_shared_units"] = write_csv(tables / "plan_shared_units.csv", shared)
    if result.comparison is not None:
        written["comparison"] = write_csv(tables / "comparison.csv", result.comparison)
    for key in ("justification", "sharing_alternatives", "fairness"):
        table = result.plan_details.get(key)
        if isinstance(table, pd.DataFrame) and len(table):
            written[f"plan_{key}"] = write_csv(tables / f"plan_{key}.csv", _csv_table(table))
    for key, mode in result.plan_details.get("scenarios", {}).items():
        written[f"scenario_{key}"] = write_csv(
            tables / f"scenario_{key}.csv", _csv_table(file_ready(mode.centres))
        )
        layers[f"scenario_{key}"] = file_ready(mode.centres)
    for key in ("stops", "centres", "libraries"):
        layer = result.inputs.layers.get(key)
        if isinstance(layer, gpd.GeoDataFrame):
            layers[key] = file_ready(layer)
    written["inputs"] = write_csv(tables / "inputs.csv", describe_inputs(result.inputs))
    against_csb = libraries_against_csb(result)
    if against_csb is not None:
        written["libraries_against_csb"] = write_csv(
            tables / "libraries_against_csb.csv", against_csb
        )
    written.update(_transit_outputs.write_tables(result, tables))
    if layers:
        written["gpkg"] = write_gpkg_layers(out / "accessibility.gpkg", layers)
    return written


def _map_layers(result: RunResult) -> dict[str, Any]:
    layers = result.inputs.layers
    return {
        "municipalities": layers.get("municipalities"),
        "stops": layers.get("stops"),
        "centres": layers.get("centres"),
    }


def write_maps(result: RunResult, out: Path, *, source_note: str | None = None) -> dict[str, Path]:
    """Draw the national maps (existing network and plan) as PNG and SVG, and the interactive map."""
    from ..outputs.plot import plot_coverage_map, save_figure
    from ..outputs.webmap import interactive_map, save_interactive_map

    note = f"{rule_caption(result)} {source_note or globals()['source_note'](result)}"
    maps = out / "maps"
    written: dict[str, Path] = {}
    common = _map_layers(result)
    if result.coverage is not None:
        fig = plot_coverage_map(
            result.coverage.units,
            title="Existing client service centres: coverage by territorial unit",
            source_note=note,
            label_towns=True,
            **common,
        )
        for path in save_figure(fig, maps / "existing", formats=("png", "svg", "pdf")):
            written[f"map_existing_{path.suffix[1:]}"] = path
    else:
        result.not_made["maps/existing.{png,svg,pdf}"] = (
            "no list of existing centres was given, so there is no existing network to map"
        )
    if result.plan_coverage is not None:
        fig = plot_coverage_map(
            result.plan_coverage.units,
            title="Proposed centres: coverage by territorial unit",
            source_note=note,
            label_towns=True,
            proposed=result.plan,
            **{**common, "centres": None},
        )
        for path in save_figure(fig, maps / "plan", formats=("png", "svg", "pdf")):
            written[f"map_plan_{path.suffix[1:]}"] = path
    else:
        result.not_made["maps/plan.{png,svg,pdf}"] = (
            "no plan was proposed (planner none or no candidates)"
        )
    table = result.plan_coverage if result.plan_coverage is not None else result.coverage
    if table is not None:
        web = interactive_map(
            _named_best_centre(table.units, _site_names(result)),
            stops=common["stops"],
            centres=_named_unit(common["centres"], _names(result)[0]),
            proposed=_named_unit(result.plan, _names(result)[0]),
            municipalities=common["municipalities"],
            rule=rule_caption(result),
        )
        written["interactive_map"] = save_interactive_map(web, out / "map.html")
    written.update(_transit_outputs.write_maps(result, maps))
    return written


def start_sheets(
    result: RunResult,
    out: Path,
    *,
    source_note: str | None = None,
    workers: int | None = None,
) -> Any:
    """Start the sheets of the plan (or of the existing network without a plan); None when
    there is no coverage to draw. Worker processes draw them while the other outputs are
    written; :func:`finish_sheets` collects them."""
    from ..outputs.sheets import start_municipality_sheets

    table = result.plan_coverage if result.plan_coverage is not None else result.coverage
    if table is None:
        return None
    note = f"{rule_caption(result)} {source_note or globals()['source_note'](result)}"
    common = _map_layers(result)
    return start_municipality_sheets(
        table.units,
        out / "maps" / "municipalities",
        # SVG is the vector copy of a sheet: text stays text, and it costs a fraction of a PDF
        # (which subsets and embeds the font in every file).
        formats=("png", "svg"),
        dpi=300,
        municipalities=common["municipalities"],
        stops=common["stops"],
        centres=common["centres"],
        proposed=result.plan,
        source_note=note,
        workers=workers,
    )


def finish_sheets(job: Any, progress: Any = None) -> dict[str, Path]:
    """Wait for the sheets started by :func:`start_sheets`; output name -> path."""
    if job is None:
        return {}
    written = job.result(
        None if progress is None else lambda done, total: progress.item(done, total, "sheets")
    )
    return {
        f"sheet_{code}{'' if path.suffix == '.png' else '_' + path.suffix[1:]}": path
        for code, paths in sorted(written.items())
        for path in paths
    }


def write_sheets(
    result: RunResult,
    out: Path,
    *,
    source_note: str | None = None,
    progress: Any = None,
    workers: int | None = None,
) -> dict[str, Path]:
    """One PNG and SVG sheet per municipality (see :func:`start_sheets`)."""
    return finish_sheets(
        start_sheets(result, out, source_note=source_note, workers=workers), progress
    )


def _pct(figure: dict[str, Any] | None) -> str:
    if not figure or not figure.get("of"):
        return "not computed"
    return f"{figure['count'] / figure['of']:.1%} ({figure['count']:,} of {figure['of']:,})"


def headline_lines(result: RunResult) -> list[str]:
    """The headline figures of a finished run (those of its report)."""
    return _headline(result, result.study) if result.study is not None else []


def _headline(result: RunResult, study: Study) -> list[str]:
    """The headline figures, in the ministry's terms, each with its count and denominator."""
    from ._headline import headline

    return headline(result, study)


def write_run_report(result: RunResult, study: Study, out: Path) -> dict[str, Path]:
    """Write ``report.md`` and ``report.html``: headline, gaps, plan, tables, maps, method, provenance."""
    from .inputs import describe_inputs, manifest

    report = Report(study.name)
    report.add(
        Paragraph(
            f"Produced by accessibility {__version__}. All distances in metres in {settings.CRS} "
            "(LKS-92 / Latvia TM). The resolved study is in study.resolved.toml and the input checksums "
            "in manifest.json, so every figure below can be regenerated."
        ),
        Heading("Headline figures"),
        Bullets(_headline(result, study) or ["No figure could be computed with the data given."]),
    )
    against_csb = libraries_against_csb(result)
    if against_csb is not None:
        found, csb = (
            int(against_csb["libraries_in_layer"].sum()),
            int(against_csb["csb_libraries"].sum()),
        )
        report.add(
            Heading("How complete the library layer is"),
            Paragraph(
                f"The library layer places {found:,} libraries in the municipalities, against CSB's "
                f"{csb:,} public libraries (Library.csv); a share above 1 means the layer holds "
                "libraries CSB does not count (school, university, private). Least complete first."
            ),
            Table(against_csb, caption="Libraries per municipality: the layer against CSB"),
        )
    if result.inputs.missing:
        report.add(
            Heading("What could not be computed"),
            Bullets([f"{key}: {why}" for key, why in sorted(result.inputs.missing.items())]),
        )
    unit_names, municipality_names = _names(result)
    gaps_source = result.coverage if result.coverage is not None else result.plan_coverage
    if gaps_source is not None and len(gaps_source.gaps):
        gaps = gaps_source.gaps
        by_unit = people.gap_table(gaps, municipality_names, _site_names(result))
        report.add(
            Heading("Gaps, ranked by population affected"),
            Paragraph(
                "Of the existing network."
                if result.coverage is not None
                else "Of the proposed plan (no existing centres were given)."
            ),
            Table(
                by_unit,
                caption=f"Gaps: {len(by_unit):,} units, {len(gaps):,} gaps (a unit can have several); "
                "people affected is the largest of a unit's gaps",
                max_rows=40,
                numeric=("Rank", "People affected", "Unit population"),
            ),
        )
        from ._headline import gap_bounds_text

        bounds = gap_bounds_text(gaps_source.units)
        if bounds:
            report.add(Paragraph(bounds))
    if result.plan is not None:
        report.add(Heading("Proposed plan"), Paragraph(result.plan_details.get("description", "")))
        report.add(
            Table(
                people.plan_table(
                    result.plan, unit_names, _site_names(result), study.stop_distance
                ),
                caption="Proposed centres",
                max_rows=60,
                numeric=("To intercity stop", "Population served", "Mean distance to it"),
            )
        )
        shared = result.plan_details.get("shared_units")
        if isinstance(shared, pd.DataFrame) and len(shared):
            report.add(
                Table(
                    people.shared_units_table(shared),
                    caption="Units sharing a centre, and why",
                    numeric=("Combined population",),
                )
            )
    _plan_sections(report, result, study)
    if result.comparison is not None:
        compared = people.comparison_table(result.comparison, study.stop_distance)
        report.add(
            Heading("Existing network and plan compared"),
            Table(
                compared,
                caption="Comparison (people counted on the population grid; shares of the population)",
                numeric=tuple(c for c in compared.columns if c != "Measure"),
            ),
        )
    _fairness_section(report, result)
    for key, caption in (
        ("map_existing_png", "Existing centres by unit"),
        ("map_plan_png", "Proposed centres by unit"),
    ):
        if key in result.files:
            report.add(Image(result.files[key], caption=caption))
    _transit_outputs.report_section(report, result, study)
    if result.not_made:
        report.add(
            Heading("Outputs not made"),
            Bullets([f"{name}: {why}" for name, why in sorted(result.not_made.items())]),
        )
    report.add(Heading("Method"), Bullets(_method_notes(result, study)))
    report.add(
        Heading("Data and provenance"),
        Table(
            people.inputs_table(describe_inputs(result.inputs)),
            caption="Inputs",
            numeric=("Rows kept", "Rows rejected"),
        ),
    )
    checksums = manifest(study, result.inputs)["inputs"]
    report.add(Bullets([_checksum_line(key, entry) for key, entry in checksums.items()]))
    written = write_report(report, out)
    pdf_path = write_pdf(report, out / "report.pdf")
    written_json = write_json(out / "headline.json", {"headline": _headline(result, study)})
    return {
        "report_md": written["markdown"],
        "report_html": written["html"],
        "report_pdf": pdf_path,
        "headline": written_json,
    }


def _names(result: RunResult) -> tuple[dict[str, str], dict[str, str]]:
    """Unit code -> unit name and municipality code -> name, from the units layer."""
    units = result.inputs.layers.get("units")
    if units is None:
        return {}, {}
    unit_names = dict(
        zip(units["unit_code"].astype(str), units["unit_name"].astype(str), strict=True)
    )
    municipality_names = (
        units.groupby(units["municipality_code"].astype(str))["municipality_name"]
        .first()
        .astype(str)
        .to_dict()
        if "municipality_name" in units.columns
        else {}
    )
    return unit_names, municipality_names


def _named_best_centre(units: gpd.GeoDataFrame, names: dict[str, str]) -> gpd.GeoDataFrame:
    """Units whose ``best_centre`` reads ``"Rīgas SAO (stop hub:11382)"`` for the popups."""
    if "best_centre" not in units.columns or not names:
        return units
    units = units.copy()
    units["best_centre"] = [
        v if not isinstance(v, str) or v not in names else f"{names[v]} ({v})"
        for v in units["best_centre"]
    ]
    return units


def _named_unit(sites: Any, unit_names: dict[str, str]) -> Any:
    """Sites whose ``unit_code`` reads ``"Rīga (0001000)"`` for the popups (a copy)."""
    if not isinstance(sites, gpd.GeoDataFrame) or "unit_code" not in sites.columns:
        return sites
    sites = sites.copy()
    sites["unit_code"] = [
        f"{unit_names[c]} ({c})" if isinstance(c, str) and c in unit_names else c
        for c in sites["unit_code"]
    ]
    return sites


def _site_names(result: RunResult) -> dict[str, str]:
    """Site id -> name of every site the run knows (plan, existing centres, candidates)."""
    names: dict[str, str] = {}
    frames = [
        result.plan_details.get("candidates"),
        result.inputs.layers.get("centres"),
        result.plan,
    ]
    for frame in frames:
        if isinstance(frame, pd.DataFrame) and {"site_id", "name"} <= set(frame.columns):
            # Lists first: iterating a column of Arrow strings goes one value at a time.
            names.update(
                zip(
                    frame["site_id"].astype(str).tolist(),
                    frame["name"].astype(str).tolist(),
                    strict=True,
                )
            )
    return names


def _checksum_line(key: str, entry: dict[str, Any]) -> str:
    """``units: path (a.shp sha256 0123456789ab…, …)``: enough to tell whether a file changed."""
    files = sorted(entry["files"].items())
    shown = ", ".join(f"{name} sha256 {info['sha256'][:12]}…" for name, info in files[:3])
    more = f" and {len(files) - 3} more files" if len(files) > 3 else ""
    return f"{key}: {entry['path']} ({shown}{more})"


def _method_notes(result: RunResult, study: Study) -> list[str]:
    notes = []
    if result.inputs.network is None:
        notes.append(
            f"Distances are straight lines in {settings.CRS}, not walks: no walking network was given. "
            "A walk is never shorter, so shares within a distance are upper bounds."
        )
    else:
        source = getattr(result.inputs.network, "source", {})
        notes.append(
            f"Distances are walks along the street network ({source.get('kind', 'lines') if isinstance(source, dict) else source}); "
            f"points farther than {study.max_snap:.0f} m from any street are not attached and count as unreachable."
        )
    notes.append(
        f"An intercity stop is one served by a route whose number fully matches the pattern "
        f"{study.intercity_pattern!r} (by default a four-digit ATD route number starting with 7). This is an "
        "assumption drawn from press reports, not an ATD statement; a route list cut with '…' in the ATD stop "
        "table may hide an intercity route."
    )
    notes.append(
        f"Population is placed on a {study.grid_resolution:.0f} m grid clipped to each unit, shared by area and "
        "rounded so each unit's total is kept exactly. The counts are PMLP register counts by declared residence, "
        "about 9 % above CSB's resident population."
    )
    if any(label.startswith("proxy") for label in result.site_checks):
        notes.append(
            "No library locations were given: the stop rule is shown for proxy sites, one per unit. The "
            "most-served stop passes trivially when it is itself intercity; the population-weighted centre shows "
            "the other extreme. Neither is comparable with the ministry's 91 % of libraries."
        )
    from ._headline import method_notes

    return notes + method_notes(result, study)


def _plan_sections(report: Report, result: RunResult, study: Study) -> None:
    """The sharing assumption, the per-centre justification and the scenarios beyond one per unit."""
    details = result.plan_details
    units = result.inputs.layers["units"]
    names = units.set_index(units["unit_code"].astype(str))["unit_name"].astype(str)
    figures = details.get("figures", {})
    alternatives = details.get("sharing_alternatives")
    if isinstance(alternatives, pd.DataFrame):
        shared = details.get("shared_units")
        k = len(shared) if isinstance(shared, pd.DataFrame) else 0
        used = alternatives[alternatives["in_plan"]]
        report.add(
            Heading("Which units share a centre: an assumption of this study"),
            Paragraph(
                f"The target of {figures.get('target')} centres is below the {len(units)} units, so "
                f"{k} town-parish pairs share one centre. Which pairs share is this study's assumption, "
                f"not the ministry's list (none is published in the data): under the rule "
                f"{study.share_rule!r} the planner takes a town and the parish of the same name around "
                "it first, then a town and a neighbouring parish of the same municipality, smallest "
                f"combined population first. Of the {len(alternatives)} pairs the rule admits, the table "
                "ranks each by what sharing costs: the extra population-weighted distance of one centre "
                "for both units instead of one each. The pairs in the plan rank "
                + ", ".join(str(int(r)) for r in used["cost_rank"])
                + " by that cost. Another choice is made with share_rule or target_count in the study "
                "file."
            ),
            Table(
                alternatives[
                    [
                        "cost_rank",
                        "planner_rank",
                        "in_plan",
                        "town_name",
                        "parish_name",
                        "rule",
                        "combined_population",
                        "cost_per_resident_m",
                    ]
                ],
                caption="Town-parish pairs that could share a centre, cheapest first",
                max_rows=25,
            ),
        )
    second = details.get("second_centres")
    if isinstance(second, pd.DataFrame) and len(second):
        report.add(
            Heading("Which units get a second centre: an assumption of this study"),
            Paragraph(
                f"The target of {figures.get('target')} centres is above the {len(units)} units: the "
                f"{len(second)} units where a second centre cuts the population-weighted distance most "
                "get one (exact 2-median inside the unit). This ranking is the study's assumption, not "
                "a ministry list."
            ),
            Table(second, caption="Units with a second centre"),
        )
    why = details.get("justification")
    if isinstance(why, pd.DataFrame) and len(why):
        t = study.distance_thresholds
        t_max = f"{max(t):g}"
        columns = [
            "site_id",
            "name",
            "unit_code",
            "population_assigned",
            f"sole_within_{t_max}m",
            "nearest_other_centre_m",
            "next_best_name",
            "next_best_extra_mean_m",
            "closure_extra_mean_m",
            "closure_extra_max_m",
        ]
        shown = why.sort_values("population_assigned", ascending=False)
        report.add(
            Heading("Why each centre is where it is"),
            Paragraph(
                "For every proposed centre: the people for whom it is the nearest centre; those for "
                f"whom it is the only centre within {float(t_max) / 1000:g} km; the distance to the "
                "nearest other centre; the next-best site of its unit and how much farther, per "
                "resident of the unit, the unit's people would go with it instead; and what closing "
                "it would do: how much farther its people would go to their next centre, on average, "
                f"and how many would then have none within {float(t_max) / 1000:g} km. Largest "
                "centres first; every centre and threshold is in tables/plan_justification.csv."
            ),
            Table(
                shown[[c for c in columns if c in shown.columns]],
                caption="Per-centre justification",
                max_rows=30,
            ),
        )
    modes = details.get("scenarios", {})
    if modes:
        lines = []
        for mode in modes.values():
            counts = mode.centres["unit_code"].value_counts()
            several = counts[counts > 1]
            listed = ", ".join(f"{names.get(c, c)} {n}" for c, n in several.head(12).items())
            notes = mode.notes
            lines.append(
                f"{mode.name}: {len(mode.centres)} centres; units with more than one: "
                f"{listed or 'none'}. Solved on {notes['demand_blocks']:,} demand blocks and "
                f"{notes['candidates_used']:,} of {notes['candidates_in_pool']:,} candidates "
                f"(best per unit and {notes['block_m'] / 1000:g} km block), by the "
                f"{notes['solver']} ({notes['status']}, within {notes['gap']:.1%} of the optimum "
                "of that reduced instance); the figures in the comparison are measured on every "
                "population point."
            )
        report.add(
            Heading("Beyond one centre per unit"),
            Paragraph(
                "The ministry asks for at least one centre in every state city, town and parish. Two "
                "scenarios show what more centres would buy, both keeping one in every unit: "
                f"{study.extra_centres} more centres placed where they cut the population-weighted "
                "distance to the nearest centre most, and a cap of "
                f"{study.max_population_per_centre:,.0f} people per centre, so that a unit above it gets "
                "as many centres as it needs. Both numbers are assumptions of this study "
                "(extra_centres, max_population_per_centre in the study file)."
            ),
            Bullets(lines),
        )


def _fairness_section(report: Report, result: RunResult) -> None:
    """Distribution and inequality of the distance to the nearest centre, per scenario."""
    table = result.plan_details.get("fairness")
    if not isinstance(table, pd.DataFrame) or table.empty:
        return
    shares = [c for c in table.columns if c.startswith("share_within_")]
    columns = [
        "scenario",
        "population",
        *shares,
        "mean_distance_m",
        "p90_distance_m",
        "gini",
        "theil",
        "palma",
    ]
    national = table[table["area"] == "national"][columns]
    plan = table[(table["scenario"] == "plan") & (table["area"] != "national")]
    report.add(
        Heading("Fairness of access"),
        Paragraph(
            "How evenly the distance to the nearest centre is shared, population-weighted: the share "
            "within each distance, the mean, the 90th percentile (90 % of people live closer), the "
            "Gini index (0 when everyone travels the same distance), Theil's T index, and the Palma "
            "ratio (distance travelled by the farthest 10 % over that of the nearest 40 %). Lower is "
            "fairer for the last three. Per municipality for every scenario in "
            "tables/plan_fairness.csv."
        ),
        Table(_readable_measures(national), caption="Fairness, national, by scenario"),
        Table(
            _readable_measures(
                plan[["area", "name", *columns[1:]]]
                if "name" in plan.columns
                else plan[["area", *columns[1:]]]
            ),
            caption="Fairness of the plan by municipality",
            max_rows=50,
        ),
    )


def _readable_measures(frame: pd.DataFrame) -> pd.DataFrame:
    """Shares as percentages and inequality indices to three places, for the report's tables."""
    out = frame.copy()
    for column in out.columns:
        if column.startswith("share_"):
            out[column] = [f"{v:.1%}" if pd.notna(v) else "" for v in out[column]]
        elif column in ("gini", "theil"):
            out[column] = [f"{v:.3f}" if pd.notna(v) else "" for v in out[column]]
        elif column == "palma":
            out[column] = [f"{v:.2f}" if pd.notna(v) else "" for v in out[column]]
    return out
