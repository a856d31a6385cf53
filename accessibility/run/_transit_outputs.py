"""The timetable step's outputs: per-unit and per-centre CSVs, the round-trip map, the report section.

Each table is its own CSV in ``tables/``, joined to the unit and centre tables by ``unit_code``
and ``site_id``, so the existing CSVs stay as they are when no timetable is found.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ..io.write import file_ready, write_csv
from ..outputs.report import Bullets, Heading, Image, Paragraph, Report, Table
from ._transit import CENTRE_SETS

if TYPE_CHECKING:
    from ._transit import TransitFigures
    from .result import RunResult
    from .study import Study

#: Section title in the report.
SECTION = "Same-day round trips by bus"

#: Said in every report: the stop table alone cannot give a round trip.
STOP_TABLE_CAVEAT = (
    "The ATD stop table (gtfs_atd.csv) lists stops and route numbers only, with no timetable: "
    "with it alone the stop rule says whether an intercity stop is near, not whether a bus "
    "runs at a time of use, so it cannot tell whether anyone can visit a centre and be home "
    "the same day."
)


def _csv_table(frame: gpd.GeoDataFrame) -> pd.DataFrame:
    """Points as a plain table with x/y (EPSG:3059) and no geometry, as the run's other CSVs."""
    table = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    if len(frame) and (frame.geom_type == "Point").all():
        table["x"] = frame.geometry.x.round(2).to_numpy()
        table["y"] = frame.geometry.y.round(2).to_numpy()
    return table


def _figures(result: RunResult) -> TransitFigures | None:
    return result.transit


def write_tables(result: RunResult, tables: Path) -> dict[str, Path]:
    """``round_trip_units_{set}.csv``, ``round_trip_centres_{set}.csv``, ``service_rule_{sites}.csv``,
    and every point's round trip (``round_trips_{set}.csv``); nothing without a timetable."""
    figures = _figures(result)
    written: dict[str, Path] = {}
    if figures is None:
        return written
    for key, table in figures.units.items():
        written[f"round_trip_units_{key}"] = write_csv(
            tables / f"round_trip_units_{key}.csv", table
        )
    for key, table in figures.centres.items():
        written[f"round_trip_centres_{key}"] = write_csv(
            tables / f"round_trip_centres_{key}.csv", table
        )
    for key, trips in figures.trips.items():
        written[f"round_trips_{key}"] = write_csv(
            tables / f"round_trips_{key}.csv", _csv_table(file_ready(trips))
        )
    for label, table in figures.service_rule.items():
        written[f"service_rule_{label}"] = write_csv(
            tables / f"service_rule_{label}.csv", _csv_table(file_ready(table))
        )
    return written


def _map_set(figures: TransitFigures) -> str | None:
    """The centre set drawn on the map: the existing network when given, else the plan."""
    return next((key for key in CENTRE_SETS if key in figures.trips), None)


def write_maps(result: RunResult, maps: Path) -> dict[str, Path]:
    """``maps/round_trips.png`` and ``.svg``: the population by round-trip feasibility."""
    import matplotlib.pyplot as plt

    from ..outputs.plot import save_figure
    from ..outputs.transit_map import plot_round_trips

    figures = _figures(result)
    key = None if figures is None else _map_set(figures)
    if figures is None or key is None:
        return {}
    centres = result.inputs.layers.get("centres") if key == "existing" else result.plan
    ax = plot_round_trips(
        figures.trips[key], units=result.inputs.layers.get("units"), centres=centres
    )
    params = figures.trips[key].attrs["round_trip"]
    ax.set_title(
        f"Same-day round trip by bus to the nearest of the {CENTRE_SETS[key]}, {params['date']}: "
        f"open {params['open_time']}-{params['close_time']}, stay {params['stay_minutes']:g} min",
        fontsize=9,
    )
    try:
        paths = save_figure(ax.figure, maps / "round_trips", formats=("png", "svg"))
    finally:
        plt.close(ax.figure)
    return {f"map_round_trips_{path.suffix[1:]}": path for path in paths}


def _share_line(label: str, table: pd.DataFrame) -> str:
    people = float(table["population"].sum())
    able = float(table["population_round_trip"].sum())
    share = able / people if people else float("nan")
    return (
        f"To the nearest of the {label}: {share:.1%} of the population can make the round trip "
        f"({able:,.0f} of {people:,.0f} people in {len(table):,} units)."
    )


def summary_lines(result: RunResult) -> list[str]:
    """One line per centre set with the share of the population with a round trip, or the note."""
    figures = _figures(result)
    if figures is None:
        return []
    if not figures.units:
        return [f"Same-day round trips: not computed; {figures.note}"]
    lines = [
        f"Same-day round trips by bus on {figures.date}: {_share_line(CENTRE_SETS[k], t)}"
        for k, t in figures.units.items()
    ]
    return lines + _service_lines(figures)


def _service_lines(figures: TransitFigures) -> list[str]:
    """One line per checked site set: the stop rule with service against the plain rule."""
    lines = []
    for label, table in figures.service_rule.items():
        params = table.attrs.get("service_rule", {})
        lines.append(
            f"{label}: {int(np.sum(table['meets_rule'].eq(True))):,} of {len(table):,} sites "
            f"meet the plain rule; {int(table['meets_service_rule'].sum()):,} have an "
            f"intercity stop within {params.get('distance_m', 0):,.0f} m with at least "
            f"{params.get('min_intercity_departures')} intercity departures on "
            f"{params.get('date')} (service_rule_{label}.csv)."
        )
    return lines


def _by_municipality(table: pd.DataFrame) -> pd.DataFrame:
    key = "municipality_name" if "municipality_name" in table else "municipality_code"
    grouped = table.groupby(key, sort=True)[["population", "population_round_trip"]].sum()
    grouped["round_trip_share"] = grouped["population_round_trip"] / grouped["population"].where(
        grouped["population"] > 0
    )
    return _readable(grouped.reset_index().rename(columns={key: "municipality"}))


def _readable(table: pd.DataFrame) -> pd.DataFrame:
    """People as whole numbers and shares as percentages, for the report's tables."""
    out = table.copy()
    for column in ("population", "population_round_trip"):
        if column in out:
            out[column] = out[column].round().astype("int64")
    if "round_trip_share" in out:
        out["round_trip_share"] = [
            "–" if pd.isna(v) else f"{v:.1%}" for v in out["round_trip_share"]
        ]
    return out


def _rule_against_trips(result: RunResult, table: pd.DataFrame) -> pd.DataFrame | None:
    """Units whose checked site passes the stop rule, with their round-trip share (lowest first)."""
    if not result.site_checks:
        return None
    label, checked = next(iter(result.site_checks.items()))
    passing = checked[checked["meets_rule"].eq(True)]
    codes = set(passing["unit_code"].astype(str))
    rows = table[table["unit_code"].isin(codes)]
    columns = [c for c in ("unit_code", "unit_name", "population", "round_trip_share") if c in rows]
    out = rows[columns].sort_values(["round_trip_share", "unit_code"]).reset_index(drop=True)
    out.attrs["sites"] = label
    return out


def _method(figures: TransitFigures, study: Study) -> list[str]:
    key = next(iter(figures.trips))
    params = figures.trips[key].attrs["round_trip"]
    day = pd.Timestamp(params["date"]).day_name()
    chosen = study.service_date or "not set: the first Tuesday with service"
    walked = (
        "along the walking network"
        if params["method"] == "network"
        else "as straight lines (no walking network)"
    )
    timetable = (
        f"Timetable: {figures.note}; {figures.feed_summary}. Day: {params['date']} ({day}; the "
        f"study's service_date is {chosen})."
    )
    visit = (
        f"A round trip: leave home no earlier than {params['leave_after']}, reach the centre in "
        f"time to be served for {params['stay_minutes']:g} minutes within its opening hours "
        f"{params['open_time']}-{params['close_time']}, and be home by {params['home_by']} the "
        "same day; earliest arrival, latest return and time away are in round_trips_*.csv."
    )
    journeys = (
        f"Journeys are walk + bus + walk (RAPTOR, at most {params['max_transfers']} transfers); "
        f"walks at {params['walk_speed_kmh']:g} km/h, at most {params['max_walk_m']:,.0f} m "
        f"each, measured {walked}."
    )
    assignment = (
        f"Each population point goes to its centre {params['centre_assignment']}; a point "
        "within walking distance of its centre may walk all the way."
    )
    return [timetable, visit, journeys, assignment, STOP_TABLE_CAVEAT]


def report_section(report: Report, result: RunResult, study: Study) -> None:
    """Add "Same-day round trips by bus" to the report: shares, per municipality, method."""
    figures = _figures(result)
    if figures is None:
        return
    report.add(Heading(SECTION))
    if not figures.units:
        why = figures.note
        if figures.timetable is not None:
            why += " No population points: no round trip is computed."
        report.add(Paragraph(f"Not computed: {why}"), Paragraph("No round-trip figure is given."))
        report.add(Bullets([STOP_TABLE_CAVEAT]))
        return
    report.add(Bullets([_share_line(CENTRE_SETS[k], t) for k, t in figures.units.items()]))
    for key, table in figures.units.items():
        report.add(
            Table(
                _by_municipality(table),
                caption=f"Population with a same-day round trip per municipality ({CENTRE_SETS[key]})",
            )
        )
    key = next(iter(figures.units))
    against = _rule_against_trips(result, figures.units[key])
    if against is not None and len(against):
        low = int((against["round_trip_share"] < 0.5).sum())
        report.add(
            Paragraph(
                f"{len(against)} units have a site ({against.attrs['sites']}) within "
                f"{study.stop_distance:,.0f} m of an intercity stop; in {low} of them fewer than "
                f"half of the people can reach the nearest of the {CENTRE_SETS[key]} and be home "
                "the same day. A stop nearby is not a bus at a time of use."
            ),
            Table(
                _readable(against),
                caption="Units passing the stop rule, by round-trip share",
                max_rows=30,
            ),
        )
    if figures.service_rule:
        lines = _service_lines(figures)
        report.add(Paragraph("The stop rule with service, beside the plain rule:"), Bullets(lines))
    if "map_round_trips_png" in result.files:
        report.add(Image(result.files["map_round_trips_png"], caption="Population by round trip"))
    report.add(Bullets(_method(figures, study)))


def has_figures(result: Any) -> bool:
    """Whether the run computed any round trip (False without a timetable or population)."""
    figures = getattr(result, "transit", None)
    return figures is not None and bool(figures.units)
