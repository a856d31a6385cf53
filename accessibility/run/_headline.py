"""Headline figures and method notes of the main job's report, in the ministry's terms.

Real sites (libraries, existing centres) come first; proxy sites follow, each with its caveat
on the same line; the ministry's 91 % is compared only with libraries, and only with the share
of CSB's library count that the library file covers said alongside. A figure that depends on
cut route lists carries its range on the same line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd

from ..coverage._bounds import share_range_text
from ..io.library_counts import (
    describe_library_source,
    libraries_per_municipality,
    library_completeness,
)
from ..io.route_inference import EVIDENCE_TEXT

if TYPE_CHECKING:
    from .pipeline import RunResult
    from .study import Study

#: The ministry's reported share of municipal libraries within 700 m of an intercity stop.
MINISTRY_LIBRARY_SHARE = 0.91
#: Below this share of CSB's library count, a library file's figure is not compared with 91 %.
COMPARABLE_COVERAGE = 0.9

_PROXY_WHAT: dict[str, tuple[str, str]] = {
    "proxy_most_served_stop": (
        "the units' most-served bus stops",
        (
            "a proxy, not a library or centre: it passes trivially when the stop is itself "
            "intercity; not comparable with the ministry's 91 % of libraries"
        ),
    ),
    "proxy_population_centre": (
        "the units' population-weighted centres",
        (
            "a proxy, not a library or centre: the other extreme to the most-served stop; not "
            "comparable with the ministry's 91 % of libraries"
        ),
    ),
}


def site_line(checked: gpd.GeoDataFrame, what: str, distance: str) -> str:
    """``"71.5% of <what> (421 of 589) lie within 700 m of an intercity bus stop (...)"``."""
    if not len(checked):
        # 0 of 0 is not 0 %: with no site left there is no share to give.
        return (
            f"Share of {what} within {distance} of an intercity bus stop: not computed (no site "
            "could be checked)"
        )
    measured = checked["distance"].notna()
    passing = int(checked["meets_rule"].sum())
    methods = sorted(set(checked.loc[measured, "method"].dropna().astype(str)))
    how = "walking distance" if methods == ["network"] else "straight-line distance, not a walk"
    line = (
        f"{passing / len(checked):.1%} of {what} ({passing:,} of {len(checked):,}) lie "
        f"within {distance} of an intercity bus stop ({how})"
    )
    if "meets_rule_low" in checked.columns:
        spread = share_range_text(
            int(checked["meets_rule_low"].sum()),
            int(checked["meets_rule_high"].sum()),
            len(checked),
        )
        if spread:
            line += f"; {spread}"
    return line


def library_comparison(checked: gpd.GeoDataFrame, counts: pd.DataFrame | None) -> str:
    """The comparison with the ministry's 91 %, with how complete the library file is."""
    ministry = f"The ministry reported {MINISTRY_LIBRARY_SHARE:.0%} of municipal libraries"
    if counts is None:
        return (
            f"{ministry}; without CSB's library count (Library.csv) the completeness of the "
            f"library file ({len(checked):,} libraries) is unknown, so the figure above is not "
            "compared with it."
        )
    complete = library_completeness(checked, counts)
    known = set(counts["municipality_code"].astype(str))
    if "municipality_code" in checked.columns and not (
        set(checked["municipality_code"].dropna().astype(str)) & known
    ):
        return (
            f"{ministry}; CSB's library count covers none of the municipalities of the library "
            f"file ({len(checked):,} libraries), so its completeness is unknown and the figure "
            "above is not compared with it."
        )
    if complete["share"] >= COMPARABLE_COVERAGE:
        verdict = "so the figure above can be compared with it"
    else:
        verdict = (
            f"so the figure above describes these {complete['given']:,} libraries only and is "
            "not comparable with it"
        )
    return f"{ministry}; {complete['text']}, {verdict}."


def headline(result: RunResult, study: Study) -> list[str]:
    """The headline figures, real sites first, each with its count, denominator and range."""
    lines: list[str] = [
        f"PARTIAL RUN: {lost}. Every figure below leaves this out."
        for lost in result.inputs.partial
    ]
    distance = f"{study.stop_distance:.0f} m"
    checks = result.site_checks
    if "libraries" in checks:
        lines.append(site_line(checks["libraries"], "libraries", distance) + ".")
        # What the library layer is (OSM objects, a synthetic file) belongs on the same line.
        layer = result.inputs.layers.get("libraries")
        source = describe_library_source(layer) if layer is not None else ""
        if len(checks["libraries"]):  # nothing to set beside the 91 % when no library was checked
            lines.append(
                library_comparison(checks["libraries"], result.inputs.layers.get("library_counts"))
                + (f" {source}" if source else "")
            )
    if "libraries" not in checks and result.coverage is None:
        lines.append(
            "No library or centre locations were given: the figures below are for proxy sites "
            "and the proposed plan, and none is comparable with the ministry's 91 % of libraries."
        )
    if result.coverage is not None:
        text = result.coverage.summary.get("text", "")
        lines += [f"Existing network: {line}" for line in text.splitlines() if line.strip()]
    for label, checked in checks.items():
        if label == "libraries":
            continue
        what, caveat = _PROXY_WHAT.get(label, (label, "a proxy, not a library or centre"))
        lines.append(f"Proxy: {site_line(checked, what, distance)} — {caveat}.")
    if result.plan_coverage is not None:
        text = result.plan_coverage.summary.get("text", "")
        lines += [f"Plan: {line}" for line in text.splitlines() if line.strip()]
    return lines


def method_notes(result: RunResult, study: Study) -> list[str]:
    """Method notes on units, cut route lists and inputs not used (after the general ones)."""
    notes: list[str] = []
    units = result.inputs.layers.get("units")
    if units is not None and "unit_kind" in units.columns:
        kinds = units["unit_kind"].value_counts()
        own = int(units.get("own_municipality", pd.Series(False, index=units.index)).sum())
        notes.append(
            f"Territorial units: {kinds.get('state_city', 0)} state cities (valstspilsētas; "
            f"{own} of them their own municipality, the others part of a novads: Jēkabpils, "
            f"Ogre and Valmiera, as the Law on Administrative Territories and Populated Areas "
            f"makes them), {kinds.get('town', 0)} towns and {kinds.get('parish', 0)} parishes."
        )
    stops = result.inputs.layers.get("stops")
    if stops is not None and "intercity_evidence" in stops.columns:
        notes.append(_cut_list_note(stops, result))
    return notes


def _cut_list_note(stops: gpd.GeoDataFrame, result: RunResult) -> str:
    evidence = stops["intercity_evidence"].value_counts()
    cut = int(stops["routes_truncated"].sum()) if "routes_truncated" in stops.columns else 0
    if not cut:
        return (
            "The route lists of the stops are complete (no list was cut), so every intercity "
            "status rests on the listed routes and no figure needs a range."
        )
    counts = "; ".join(
        f"{int(evidence.get(key, 0)):,} stops: {text}" for key, text in EVIDENCE_TEXT.items()
    )
    note = (
        f"The ATD stop table lists at most twelve routes per stop, sorted by number, and cuts "
        f"longer lists ({cut} stops); at bus stations the intercity (7xxx) numbers sort last and "
        f"are the ones cut. The hidden routes all sort after the last listed number and the "
        f"stop's route count bounds how many there are; a cut list showing no intercity route "
        f"is inferred intercity when an intercity route sorting after its last listed number is "
        f"listed at a stop across the road (300 m) or of the same name (1 km), or passes "
        f"through the place (its stops within 10 km lie around the stop, bearings covering "
        f"150° or more). {counts}. Figures that depend on the cut lists are given with their "
        f"range: low if no cut list hides an intercity route, high if every one does."
    )
    score = result.inference
    if score is not None:
        note += (
            f" Measured on this table by cutting complete lists in the same way: {score.text()}."
        )
    return note


def describe_unused(result: RunResult) -> list[str]:
    """One line per dataset found and left out, saying why."""
    return [f"{key}: {why}" for key, (_, why) in sorted(result.inputs.unused.items())]


def gap_bounds_text(table: pd.DataFrame) -> str:
    """How the gap list rests on cut route lists: counts with ranges and the units that move.

    ``table`` is a unit coverage table; "" when it has no bounds.
    """
    if "intercity_stops_low" not in table.columns:
        return ""
    kinds: list[tuple[str, pd.Series, pd.Series, pd.Series]] = [
        (
            "no intercity stop in the unit",
            table["intercity_stops"] == 0,
            table["intercity_stops_high"] == 0,
            table["intercity_stops_low"] == 0,
        ),
        (
            "no site in the unit can meet the stop rule",
            ~table["intercity_within_distance"].fillna(True).astype(bool),
            ~table["intercity_within_high"].fillna(True).astype(bool),
            ~table["intercity_within_low"].fillna(True).astype(bool),
        ),
    ]
    if "centre_meets_rule_low" in table.columns:
        has = table["centres"] > 0
        kinds.append(
            (
                "centre does not meet the stop rule",
                has & ~table["centre_meets_rule"].fillna(False).astype(bool),
                has & ~table["centre_meets_rule_high"].fillna(False).astype(bool),
                has & ~table["centre_meets_rule_low"].fillna(False).astype(bool),
            )
        )
    parts = [
        f"{name}: {int(best.sum())} units (range {int(few.sum())}–{int(many.sum())})"
        for name, best, few, many in kinds
    ]
    # Units free of stop-rule gaps only because a cut list is inferred to hide an intercity
    # route: they would join the list if it did not.
    joins = table.loc[(kinds[0][3] & ~kinds[0][1]) | (kinds[1][3] & ~kinds[1][1])]
    joins = joins.sort_values("population", ascending=False, na_position="last")
    names = ", ".join(
        f"{r.unit_name} ({int(r.population):,} people)" if pd.notna(r.population) else r.unit_name
        for r in joins.itertuples()
    )
    text = (
        "The list follows the best estimate of each stop's intercity status; where that rests on a "
        "cut route list the reason says so. Gap counts, with their range from every cut route "
        "list hiding an intercity route to none doing so: " + "; ".join(parts) + "."
    )
    if names:
        text += (
            f" Units without a stop-rule gap only because a cut list is inferred to hide an "
            f"intercity route ({len(joins)}): {names}."
        )
    return text


def libraries_against_csb(result: RunResult) -> pd.DataFrame | None:
    """The library layer's count per municipality beside CSB's (None without both).

    Shows how complete a library layer (an OpenStreetMap extract, a register export) is where
    it matters: a municipality whose libraries are missing would pass or fail the stop rule on
    the few that are there.
    """
    layers = result.inputs.layers
    libraries, counts, units = (layers.get(k) for k in ("libraries", "library_counts", "units"))
    if libraries is None or counts is None or units is None or not len(libraries):
        return None
    by_name = {str(n): int(c) for n, c in zip(counts["municipality_name"], counts["libraries"])}
    table = libraries_per_municipality(libraries, units, by_name)
    return table.rename(
        columns={
            "csb_count": "csb_libraries",
            "found": "libraries_in_layer",
            "share": "share_of_csb",
        }
    )
