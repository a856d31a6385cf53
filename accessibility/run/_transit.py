"""The main job's timetable step: same-day round trips to the centres and the service rule.

When the stops input (or the data folder) holds a GTFS feed with ``stop_times.txt``, the
population points' round trips to the existing centres and to the plan's centres are computed,
summarised per unit and per centre, and the stop rule with service is checked beside the plain
one. When only the ATD stop table is at hand, the plain sentence of
:func:`accessibility.transit.find_timetable` is kept and no round-trip figure is made.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from .._errors import AccessibilityError

if TYPE_CHECKING:
    from ..transit import Feed
    from .result import RunResult
    from .study import Study

#: The centre sets whose round trips are computed, with their report labels.
CENTRE_SETS: dict[str, str] = {"existing": "existing centres", "plan": "proposed centres"}

#: Days searched for a default service date: a little over a year from the calendar's start.
_SEARCH_DAYS = 400


@dataclass
class TransitFigures:
    """What the timetable step found and computed.

    Attributes
    ----------
    note
        A sentence for the report: the timetable used, or why there is none.
    timetable
        The GTFS feed read (None without one).
    date
        The service day (None without a timetable).
    trips
        :func:`~accessibility.transit.round_trips` per centre set (``existing``, ``plan``).
    units, centres
        Per centre set: the per-unit and per-centre summaries.
    service_rule
        Per checked site set: the stop rule with service beside the plain rule (only when the
        study's ``min_intercity_departures`` is above 0).
    feed_summary
        The feed's load report, one line.
    """

    note: str
    timetable: Path | None = None
    date: dt.date | None = None
    trips: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    units: dict[str, pd.DataFrame] = field(default_factory=dict)
    centres: dict[str, pd.DataFrame] = field(default_factory=dict)
    service_rule: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    feed_summary: str = ""


def timetable_source(result: RunResult, data_dir: str | Path | None) -> Any:
    """The timetable: the stops input itself when it is a full GTFS feed, else the data folder's.

    Returns
    -------
    accessibility.transit.TimetableSource
    """
    from ..transit import TimetableSource, find_timetable

    stops_path = result.inputs.paths.get("stops")
    if stops_path is not None and _is_timetable(Path(stops_path)):
        path = Path(stops_path)
        return TimetableSource(path, f"ATD timetable: {path.name} (GTFS with stop_times.txt)")
    return find_timetable(data_dir)


def _is_timetable(path: Path) -> bool:
    from ..io._tables import zip_members

    if path.is_dir():
        return (path / "stop_times.txt").is_file()
    return path.suffix.lower() == ".zip" and bool(zip_members(path, "stop_times.txt"))


def service_day(feed: Feed, wanted: str | None) -> dt.date:
    """The study's service day: a date as given, or the first given weekday with service.

    Parameters
    ----------
    feed
        The timetable.
    wanted
        ``"YYYY-MM-DD"``, a weekday name (``"tuesday"``), or None (Tuesday).

    Raises
    ------
    AccessibilityError
        If no such weekday within the feed's calendar has a trip.
    """
    from ..transit import trips_on
    from .study import WEEKDAYS

    if wanted is not None and wanted not in WEEKDAYS:
        return dt.date.fromisoformat(wanted)
    weekday = WEEKDAYS.index(wanted or "tuesday")
    starts = [int(v) for v in feed.calendar_start] + [int(v) for v in feed.dates_date]
    if not starts:
        raise AccessibilityError(f"{feed.source}: the timetable has no calendar")
    first = dt.date(min(starts) // 10_000, min(starts) // 100 % 100, min(starts) % 100)
    day = first + dt.timedelta(days=(weekday - first.weekday()) % 7)
    for _ in range(_SEARCH_DAYS // 7):
        if len(trips_on(feed, day)[0]):
            return day
        day += dt.timedelta(days=7)
    raise AccessibilityError(
        f"{feed.source}: no {WEEKDAYS[weekday]} with service in the timetable's calendar"
    )


def _centre_sets(result: RunResult) -> dict[str, gpd.GeoDataFrame]:
    """The existing centres and the plan's, indexed by ``site_id`` (round trips name them so)."""
    out = {}
    for key, sites in (("existing", result.inputs.layers.get("centres")), ("plan", result.plan)):
        if isinstance(sites, gpd.GeoDataFrame) and len(sites):
            out[key] = sites.set_index("site_id", drop=False) if "site_id" in sites else sites
    return out


def _assign_centres(
    points: gpd.GeoDataFrame, centres: gpd.GeoDataFrame, network: Any, max_snap: float
) -> tuple[Any, str]:
    """Each point's centre as the coverage measures it: nearest by walk, else straight line.

    Returns the centre labels (None: leave it to the straight-line rule of ``round_trips``,
    when some point has no location) and a phrase for the method notes.
    """
    from .. import settings
    from ..coverage._measure import nearest_measured

    if network is None:
        return None, "nearest by straight line"
    found = nearest_measured(
        points.to_crs(settings.CRS),
        centres.to_crs(settings.CRS),
        network,
        fallback=True,
        max_snap=max_snap,
    )
    target = pd.to_numeric(found["target"], errors="coerce").to_numpy()
    if pd.isna(target).any():
        return None, "nearest by straight line (some points have no location)"
    how = (
        "nearest by walking distance along the network (straight line where the network does "
        "not reach), as the coverage measures it"
    )
    return centres.index.to_numpy()[target.astype("int64")], how


def compute(
    result: RunResult, study: Study, points: gpd.GeoDataFrame | None, data_dir: Any
) -> TransitFigures:
    """The timetable step of the main job (see the module's docstring).

    Parameters
    ----------
    result
        The run so far: its inputs, its checked sites and its plan.
    study
        The opening hours, stay, service day and service rule's minimum.
    points
        The population points (None without population: no round trip is computed).
    data_dir
        The data folder searched for the timetable when the stops input is not one.
    """
    from ..transit import load_feed, round_trip_centres, round_trip_units, round_trips

    source = timetable_source(result, data_dir)
    figures = TransitFigures(note=source.note, timetable=source.path)
    if source.path is None:
        return figures
    feed = load_feed(source.path)
    figures.feed_summary = (
        f"{source.path.name}: {feed.n_stops:,} stops, {feed.n_trips:,} trips, "
        f"{len(feed.st_stop):,} stop times"
    )
    figures.date = service_day(feed, study.service_date)
    network = result.inputs.network
    if points is not None and len(points):
        units = result.inputs.layers["units"]
        names = units.set_index(units["unit_code"].astype(str))
        for key, centres in _centre_sets(result).items():
            column, how = _assign_centres(points, centres, network, study.max_snap)
            trips = round_trips(
                points.assign(_centre=column) if column is not None else points,
                centres,
                feed,
                assign="_centre" if column is not None else None,
                date=figures.date,
                open_time=study.open_time,
                close_time=study.close_time,
                stay_minutes=study.stay_minutes,
                leave_after=study.leave_after,
                home_by=study.home_by,
                network=network,
            )
            trips = trips.drop(columns="_centre", errors="ignore")
            trips.attrs["round_trip"]["centre_assignment"] = how
            figures.trips[key] = trips
            table = round_trip_units(trips)
            table["unit_code"] = table["unit_code"].astype(str)
            for column in ("unit_name", "municipality_code", "municipality_name"):
                if column in names.columns:
                    table.insert(
                        1 + list(table.columns).index("unit_code"),
                        column,
                        names[column].reindex(table["unit_code"]).to_numpy(),
                    )
            figures.units[key] = table
            per_centre = round_trip_centres(trips).rename(columns={"centre": "site_id"})
            if "name" in centres.columns:
                per_centre.insert(
                    1, "name", centres["name"].reindex(per_centre["site_id"]).to_numpy()
                )
            figures.centres[key] = per_centre
    if study.min_intercity_departures > 0:
        figures.service_rule = _service_rules(result, study, feed, figures.date)
    return figures


def _service_rules(
    result: RunResult, study: Study, feed: Feed, day: dt.date
) -> dict[str, gpd.GeoDataFrame]:
    """The stop rule with service for every checked site set, beside the plain rule.

    ``meets_rule`` is the plain rule on the stop table (the run's stop-rule table);
    ``meets_rule_timetable`` is the plain rule on the timetable's stops (routes read from the
    trips, so no cut list); ``meets_service_rule`` adds the minimum of intercity departures.
    """
    from ..transit import service_rule, stop_service

    service = stop_service(feed, day, intercity=study.intercity_pattern)
    out = {}
    for label, checked in result.site_checks.items():
        keep = [c for c in ("site_id", "name", "unit_code", "municipality_code") if c in checked]
        sites = gpd.GeoDataFrame(checked[keep], geometry=checked.geometry, crs=checked.crs)
        ruled = service_rule(
            sites,
            service,
            min_departures=study.min_intercity_departures,
            distance=study.stop_distance,
            network=result.inputs.network,
        ).rename(columns={"meets_rule": "meets_rule_timetable"})
        ruled.insert(len(keep), "meets_rule", checked["meets_rule"].to_numpy(dtype=bool))
        out[label] = ruled
    return out
