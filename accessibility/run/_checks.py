"""Checks of a run's inputs as a whole: nothing is lost without the user saying so.

A loader counts the rows it rejects; this module adds what no single loader can see (units
missing against the classifier, points outside Latvia's outline, a stop rule that makes no stop
intercity) and stops the run when more than :data:`PARTIAL_SHARE` of the units, the people or
the stops would be lost, unless the user asked for a partial run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import geopandas as gpd

from .._errors import PartialDataError
from .._layers import mark_checked
from .._loadreport import attach_summary, get_report

if TYPE_CHECKING:
    from .inputs import Inputs
    from .study import Study

#: Largest share of the units, people or stops a run may lose without ``allow_partial``.
PARTIAL_SHARE: float = 0.01

#: Point layers checked against Latvia's outline, and the word for their features.
_POINT_LAYERS: dict[str, str] = {"stops": "stops", "libraries": "libraries", "centres": "centres"}


def _share(lost: int, of: int) -> str:
    return f"{lost:,} of {of:,} ({lost / of:.1%})" if of else f"{lost:,} of 0"


def _rejected_line(key: str, layer: Any, what: str) -> str | None:
    report = get_report(layer)
    read, rejected = int(report.get("read", 0)), int(report.get("rejected", 0))
    if not read or rejected / read <= PARTIAL_SHARE:
        return None
    reasons = report.get("rejected_by_reason", {})
    top = max(reasons.items(), key=lambda kv: kv[1]) if reasons else ("", 0)
    why = f"; most often: {top[0]} ({top[1]:,})" if top[1] else ""
    return (
        f"{key}: {_share(rejected, read)} {what} of {report.get('source', key)} were rejected{why}"
    )


def _reject_outside(
    key: str, layer: gpd.GeoDataFrame, outline: Any, what: str
) -> gpd.GeoDataFrame | None:
    """Drop the points outside Latvia's outline, counted in the layer's load report."""
    from ..io._sanity import OUTLINE_TOLERANCE_M, outside_outline

    outside = outside_outline(layer, outline)
    if not outside.any():
        return None
    summary = get_report(layer)
    rows = list(summary.get("rejected_rows", []))
    id_column = next((c for c in ("stop_id", "site_id") if c in layer.columns), None)
    reason = f"outside Latvia (more than {OUTLINE_TOLERANCE_M:g} m outside the territorial units)"
    for i in outside.nonzero()[0]:
        rows.append(
            {
                "row": None,
                "id": None if id_column is None else layer[id_column].iat[i],
                "field": "geometry",
                "reason": reason,
            }
        )
    by_reason = dict(summary.get("rejected_by_reason", {}))
    by_reason[reason] = by_reason.get(reason, 0) + int(outside.sum())
    summary.update(
        rejected=len(rows),
        loaded=int(summary.get("loaded", len(layer))) - int(outside.sum()),
        rejected_by_reason=by_reason,
        rejected_rows=rows,
    )
    kept = layer[~outside].copy()
    attach_summary(kept, summary)
    mark_checked(kept, "stops" if key == "stops" else "sites")
    return kept


def check_inputs(inputs: Inputs, study: Study, *, allow_partial: bool = False) -> list[str]:
    """Check the loaded inputs as a whole; return what a partial run lost (empty when nothing).

    Points outside Latvia's outline are removed from their layer and counted as rejected.

    Raises
    ------
    PartialDataError
        When more than :data:`PARTIAL_SHARE` of the units, the people or the stops is lost,
        or no stop is intercity under the study's pattern, and ``allow_partial`` is False. The
        message says what was lost and why.
    """
    from ..io._sanity import check_against_classifier, check_extent, latvia_outline

    layers = inputs.layers
    units = layers["units"]
    check_extent(units, source=inputs.paths.get("units"), what="units")
    lost: list[str] = []
    line = _rejected_line("units", units, "features")
    if line:
        lost.append(line)
    classifier = layers.get("classifier")
    if classifier is not None:
        found = check_against_classifier(units, classifier)
        if found.expected and len(found.missing) / found.expected > PARTIAL_SHARE:
            lost.append(
                f"units: {_share(len(found.missing), found.expected)} territorial units in force in the "
                f"classifier {inputs.paths.get('classifier', '')} are not in "
                f"{inputs.paths.get('units', 'the units layer')} (for example "
                f"{', '.join(found.missing[:3])})"
            )
    population = layers.get("population")
    if population is not None:
        line = _rejected_line("population", population, "values")
        if line:
            lost.append(line)
        report = get_report(population)
        for year, figures in report.get("notes", {}).get("total_differs", {}).items():
            stated, summed = figures["sheet_total"], figures["units_sum"]
            if stated and abs(stated - summed) / stated > PARTIAL_SHARE:
                lost.append(
                    f"population: the units of {report.get('source', 'the population table')} sum to "
                    f"{summed:,} people in {year}, but the sheet's total row (Excel row "
                    f"{report['notes'].get('sheet_total_row')}) says {stated:,}"
                )
        absent = report.get("notes", {}).get("missing_in_table", [])
        if len(units) and len(absent) / len(units) > PARTIAL_SHARE:
            lost.append(
                f"population: {_share(len(absent), len(units))} units have no population figure in "
                f"{report.get('source', 'the population table')} (for example {', '.join(absent[:3])})"
            )
    outline = None
    for key, what in _POINT_LAYERS.items():
        layer = layers.get(key)
        if not isinstance(layer, gpd.GeoDataFrame):
            continue
        if outline is None:
            outline = latvia_outline(units)
        kept = _reject_outside(key, layer, outline, what)
        if kept is not None:
            layers[key] = layer = kept
        line = _rejected_line(key, layer, what)
        if line:
            lost.append(line)
    stops = layers.get("stops")
    if isinstance(stops, gpd.GeoDataFrame) and len(stops) and not stops["intercity"].any():
        lost.append(
            f"stops: none of the {len(stops):,} stops is served by a route matching the intercity "
            f"pattern {study.intercity_pattern!r}, so every stop-rule share would be 0"
        )
    if lost and not allow_partial:
        raise PartialDataError(
            "the run would lose data: "
            + "; ".join(lost)
            + ". Fix the input, or pass --allow-partial to go on and mark the report as partial"
        )
    return lost
