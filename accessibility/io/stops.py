"""Load stops from the ATD stop table, a GTFS feed or a plain CSV, and mark the intercity ones."""

from __future__ import annotations

import re
from collections.abc import Callable
from os import PathLike
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from .. import settings
from .._errors import AccessibilityError, InputFileError, MissingColumnError
from .._layers import mark_checked
from .._loadreport import LoadReport, attach, get_report
from ._stop_files import (
    MODE_NAMES,
    _load_gtfs,
    _load_table,
    _natural_key,
    parse_route_list,
    route_type_mode,
)
from .route_inference import EVIDENCE_INFERRED, EVIDENCE_UNKNOWN, REACH_M, infer_cut_lists

#: An intercity rule: a regular expression matched against the WHOLE route number
#: (``re.fullmatch``), or a function of one route number returning True for intercity routes.
#: None means :data:`accessibility.settings.INTERCITY_ROUTE_PATTERN`.
IntercityRule = str | re.Pattern[str] | Callable[[str], bool] | None


_ASSUMPTION = (
    "intercity = a route number matching the default pattern {pattern!r} (four-digit ATD numbers "
    "starting with 7); this is an assumption drawn from press reports, not a statement of the ATD"
)


_TRUNCATION = (
    "the route list of {n} stop(s) is cut (ends with '…'); {m} of them show no intercity route "
    "among the listed ones but may have one among the unlisted routes"
)


_INFERENCE = (
    "{n} of {m} cut route list(s) showing no intercity route are inferred intercity: an "
    "intercity route sorting after the last listed number serves a stop across the road or of "
    "the same name, or passes through the place (its stops lie around the stop within "
    "{reach:.0f} m); the other {u} stay unknown and count as not intercity"
)


#: Ways of reading a cut route list (``cut_lists`` of :func:`load_stops`).
CUT_LIST_MODES: tuple[str, ...] = ("infer", "ignore")

__all__ = [
    "CUT_LIST_MODES",
    "MODE_NAMES",
    "IntercityRule",
    "load_stops",
    "mark_intercity",
    "parse_route_list",
    "route_type_mode",
]


def load_stops(
    path: str | PathLike[str],
    intercity: IntercityRule = None,
    *,
    crs: Any = None,
    cut_lists: str = "infer",
) -> gpd.GeoDataFrame:
    """Load stops from the ATD stop table, a GTFS feed (zip or folder) or a plain CSV.

    Formats, recognised from the path and the columns:

    * **GTFS** (``.zip`` or a folder holding ``stops.txt``): routes serving each stop are the
      ``route_short_name`` values (``route_id`` when blank) reached through ``trips.txt`` and
      ``stop_times.txt``; the mode comes from ``route_type`` (standard and extended types, see
      :func:`route_type_mode`), and a stop served by several modes takes the mode of most of
      its routes (ties: bus first). Only boarding points are kept: stops and platforms
      (``location_type`` 0 or empty). Stations (1) are parents of their platforms and would
      count the same place twice; entrances (2) and generic nodes (3) are not boarding points;
      boarding areas (4) pass their routes to their parent platform. These rows are listed in
      the report as rejected with that reason. A feed without ``stop_times.txt`` loads its
      stops with empty routes and says so in ``notes["routes_unknown"]``.
    * **ATD stop table** (``id, nosaukums, marsruti, marsrutu_saraksts, veidi, x, y``; x/y are
      WGS84 longitude/latitude): routes are parsed from ``"5490, 5493, 5494"``; a list ending
      with `` …`` was cut by the publisher (``routes_truncated``); ``route_count`` is
      ``marsruti``; ``veidi`` autobuss -> bus, vilciens -> rail.
    * **Plain CSV**: ``stop_id``, optional ``stop_name``, ``routes`` (separated by ``;`` or
      ``,``), ``mode`` (bus when absent, noted), and ``lon``/``lat`` or ``x``/``y`` with ``crs``.

    Parameters
    ----------
    path
        The file or folder.
    intercity
        Which route numbers are intercity: a regular expression matched against the whole
        route number (``re.fullmatch``), or a function of one route number returning bool.
        A stop is intercity if any of its listed routes is. Default
        :data:`accessibility.settings.INTERCITY_ROUTE_PATTERN` (``7\\d{3}``): an ASSUMPTION
        drawn from press reports (intercity routes such as 7937 Rīga–Liepāja), not an ATD
        statement. A route list cut with "…" may hide intercity routes; the report counts such
        stops (``notes["truncated_not_intercity_stops"]``).
    crs
        CRS of x/y columns in a plain CSV (required there, since x/y could be anything).
    cut_lists
        How a route list cut by the publisher is read. ``"infer"`` (default): a cut list that
        shows no intercity route is marked intercity when the file says an intercity route
        sorting after its last listed number plausibly serves the stop
        (:func:`accessibility.io.route_inference.infer_cut_lists`). ``"ignore"``: only the
        listed routes count (the reading before the inference; 3,764 intercity stops in the
        ATD table under the default rule). Either way ``intercity_evidence`` says what the
        status rests on, so the figures can be given with their range.

    Returns
    -------
    geopandas.GeoDataFrame
        ``stop_id`` (str), ``stop_name``, ``routes`` (sorted unique list of str), ``mode``,
        ``intercity`` (bool, the best estimate), ``intercity_evidence`` (``listed``,
        ``cut_inferred``, ``cut_unknown`` or ``complete_none``, see
        :data:`accessibility.io.route_inference.EVIDENCE_TEXT`), ``inferred_routes`` (the
        plausible hidden intercity routes of a cut list), ``routes_truncated`` (bool),
        ``route_count`` (int), ``geometry``
        (Point, EPSG:3059), then the other input columns, in file order. The load report is in
        ``attrs["load_report"]``: rejected rows with reasons (duplicate ids, missing or
        non-numeric coordinates, outside Latvia), swapped longitude/latitude pairs corrected
        (``notes["swapped_lonlat_corrected"]``), and the intercity counts.

    Notes
    -----
    A pair that lies outside Latvia as given but inside it with the axes exchanged is
    corrected rather than rejected: Latvia's longitudes (21–28°) and latitudes (55.6–58°) do
    not overlap, so the swap is unambiguous. The rows are listed in
    ``notes["swapped_lonlat_rows"]`` (row numbers count the header as row 1, as a spreadsheet
    shows them). Duplicate ids keep the first row and reject the later ones.

    Raises
    ------
    InputFileError
        If the file is missing, empty, unreadable, or a required column is absent
        (:class:`~accessibility.MissingColumnError`, naming the file and field).
    CRSError
        If a plain CSV has x/y columns and no ``crs``.
    """
    matcher, rule_text = _intercity_rule(intercity)
    _check_cut_lists(cut_lists)
    source = Path(path)
    if not source.exists():
        raise InputFileError(source, "file not found")
    if source.is_dir() or source.suffix.lower() == ".zip":
        stops, report = _load_gtfs(source)
    elif source.name.lower() == "stops.txt":
        stops, report = _load_gtfs(source.parent)
    elif source.suffix.lower() in (".csv", ".txt", ".tsv"):
        stops, report = _load_table(source, crs=crs)
    else:
        raise InputFileError(
            source, "unknown file type: expected a .csv stop table, a GTFS .zip or a GTFS folder"
        )
    stops = _apply_intercity(
        stops, report, matcher, rule_text, default=intercity is None, cut_lists=cut_lists
    )
    return mark_checked(attach(stops, report), "stops")


def mark_intercity(
    stops: gpd.GeoDataFrame, intercity: IntercityRule = None, *, cut_lists: str = "infer"
) -> gpd.GeoDataFrame:
    """Recompute the ``intercity`` column of loaded stops under another rule.

    Useful to test how a result depends on the intercity assumption without reloading.

    Parameters
    ----------
    stops
        Stops as returned by :func:`load_stops` (a ``routes`` column of lists).
    intercity
        The rule, as in :func:`load_stops`.
    cut_lists
        ``"infer"`` or ``"ignore"``, as in :func:`load_stops`.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy with ``intercity`` recomputed and the intercity notes of its load report updated.
    """
    if "routes" not in stops.columns:
        raise MissingColumnError(None, "stops have no 'routes' column", field="routes")
    matcher, rule_text = _intercity_rule(intercity)
    _check_cut_lists(cut_lists)
    previous = get_report(stops)
    report = LoadReport(
        source=str(previous.get("source", "")), read=int(previous.get("read", len(stops)))
    )
    report.rejected = list(previous.get("rejected_rows", []))
    report.notes = dict(previous.get("notes", {}))
    out = _apply_intercity(
        stops.copy(), report, matcher, rule_text, default=intercity is None, cut_lists=cut_lists
    )
    return attach(out, report)


def _intercity_rule(rule: IntercityRule) -> tuple[Callable[[str], bool], str]:
    """The route predicate of ``rule`` and a sentence describing it for the report."""
    if rule is None:
        rule = settings.INTERCITY_ROUTE_PATTERN
    if isinstance(rule, (str, re.Pattern)):
        try:
            pattern = re.compile(rule)
        except re.error as exc:
            raise AccessibilityError(
                f"intercity pattern {rule!r} is not a valid regular expression: {exc}"
            ) from exc
        return (lambda route: pattern.fullmatch(route) is not None), (
            "a stop is intercity if one of its listed route numbers fully matches "
            f"{pattern.pattern!r}"
        )
    if callable(rule):
        name = getattr(rule, "__qualname__", repr(rule))
        return (lambda route: bool(rule(route))), (
            f"a stop is intercity if {name}(route) is true for one of its listed routes"
        )
    raise AccessibilityError(
        "intercity must be a regular expression or a function of a route number, "
        f"not {type(rule).__name__}"
    )


def _check_cut_lists(cut_lists: str) -> None:
    if cut_lists not in CUT_LIST_MODES:
        raise AccessibilityError(
            f"cut_lists must be one of {', '.join(CUT_LIST_MODES)}, not {cut_lists!r}"
        )


def _apply_intercity(
    stops: gpd.GeoDataFrame,
    report: LoadReport,
    matcher: Callable[[str], bool],
    rule_text: str,
    *,
    default: bool,
    cut_lists: str = "infer",
) -> gpd.GeoDataFrame:
    # Each distinct route number is judged once (and all of them, for the report's list).
    verdict = {route: bool(matcher(route)) for routes in stops["routes"] for route in routes}
    if "routes_truncated" not in stops.columns:
        stops["routes_truncated"] = False
    if "route_count" not in stops.columns:
        stops["route_count"] = np.array([len(r) for r in stops["routes"]], dtype=np.int64)
    if "stop_name" not in stops.columns:
        stops["stop_name"] = ""
    truncated = stops["routes_truncated"].to_numpy(dtype=bool)
    listed = np.fromiter(
        (any(verdict[route] for route in routes) for routes in stops["routes"]),
        dtype=bool,
        count=len(stops),
    )
    if cut_lists == "infer" and (truncated & ~listed).any():
        inference = infer_cut_lists(stops, lambda route: verdict.get(route, False))
        evidence = inference["intercity_evidence"].to_numpy(dtype=object)
        inferred_routes = inference["inferred_routes"]
    else:
        evidence = np.where(
            listed, "listed", np.where(truncated, EVIDENCE_UNKNOWN, "complete_none")
        ).astype(object)
        inferred_routes = pd.Series([[] for _ in range(len(stops))], index=stops.index)
    stops["intercity"] = listed | (evidence == EVIDENCE_INFERRED)
    for name, values in (("intercity_evidence", evidence), ("inferred_routes", inferred_routes)):
        if name in stops.columns:
            stops[name] = values
        else:
            # Right after the status it qualifies, before the other columns.
            after = stops.columns.get_loc("intercity") + (1 if name == "intercity_evidence" else 2)
            stops.insert(after, name, values)
    intercity = stops["intercity"].to_numpy(dtype=bool)
    report.notes["intercity_rule"] = rule_text
    if default:
        report.notes["intercity_assumption"] = _ASSUMPTION.format(
            pattern=settings.INTERCITY_ROUTE_PATTERN
        )
    else:
        report.notes.pop("intercity_assumption", None)
    report.notes["intercity_stops"] = int(intercity.sum())
    report.notes["intercity_routes"] = sorted(
        (r for r, v in verdict.items() if v), key=_natural_key
    )
    report.notes["cut_lists"] = cut_lists
    report.notes["intercity_evidence"] = {
        str(k): int((evidence == k).sum())
        for k in ("listed", EVIDENCE_INFERRED, EVIDENCE_UNKNOWN, "complete_none")
    }
    # The range the count could take if every cut list showing no intercity route hid none,
    # or hid one.
    report.notes["intercity_stops_range"] = [int(listed.sum()), int((listed | truncated).sum())]
    report.notes["routes_truncated_stops"] = int(truncated.sum())
    report.notes["truncated_not_intercity_stops"] = int((truncated & ~listed).sum())
    report.notes.pop("cut_list_inference", None)
    if truncated.any():
        report.notes["truncation_warning"] = _TRUNCATION.format(
            n=int(truncated.sum()), m=int((truncated & ~listed).sum())
        )
        if cut_lists == "infer":
            report.notes["cut_list_inference"] = _INFERENCE.format(
                n=int((evidence == EVIDENCE_INFERRED).sum()),
                m=int((truncated & ~listed).sum()),
                u=int((evidence == EVIDENCE_UNKNOWN).sum()),
                reach=REACH_M,
            )
    else:
        report.notes.pop("truncation_warning", None)
    return stops
