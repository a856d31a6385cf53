"""Timetable accessibility: GTFS timetables, service at stops, journeys and same-day round trips.

Read a feed with :func:`load_feed`; :func:`stop_service` counts departures per stop on a date;
:func:`transit_times` and :func:`latest_departures` give door-to-door journeys (walk + transit +
walk, RAPTOR); :func:`round_trips` tells for every population point whether a resident can
reach the centre within its opening hours, stay, and be home the same day.
"""

from __future__ import annotations

from .calendar import active_services, trips_on
from .feed import Feed, load_feed
from .journeys import footpaths, latest_departures, transit_times, travel_time_matrix
from .raptor import Timetable, day_timetable, raptor
from .round_trip import round_trip_centres, round_trip_matrix, round_trip_units, round_trips
from .service import intercity_routes, service_rule, stop_service
from .sources import TimetableSource, find_timetable
from .synthetic import synthetic_feed

__all__ = [
    "Feed",
    "Timetable",
    "TimetableSource",
    "active_services",
    "day_timetable",
    "find_timetable",
    "footpaths",
    "intercity_routes",
    "latest_departures",
    "load_feed",
    "raptor",
    "round_trip_centres",
    "round_trip_matrix",
    "round_trip_units",
    "round_trips",
    "service_rule",
    "stop_service",
    "synthetic_feed",
    "transit_times",
    "travel_time_matrix",
    "trips_on",
]
