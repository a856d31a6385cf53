"""The synthetic region's timetable: several trips a day on the main routes, and one stranded village.

Each route runs in both directions from a first departure at its first stop (direction 0) or
its last stop (direction 1); the bus then keeps 40 km/h between stops (1.3 times the straight
line). The routes of :data:`STRANDED_VILLAGE` run once a day each way: into town early in the
morning, and out of town before the centres open, so that the village's stop passes the 700 m
intercity-stop rule while its residents cannot visit a centre in town and be home the same day.
"""

from __future__ import annotations

#: The village whose routes have a morning bus to town and no usable return the same day.
STRANDED_VILLAGE = "Sūnezers"

#: Services of the feed: (service_id, weekday flags Monday first).
SERVICES: tuple[tuple[str, tuple[int, ...]], ...] = (
    ("wd", (1, 1, 1, 1, 1, 0, 0)),
    ("sa", (0, 0, 0, 0, 0, 1, 0)),
)

#: The calendar's first and last day.
CALENDAR_START, CALENDAR_END = "20240101", "20241231"

#: A public holiday on a weekday (Easter Monday, 1 April 2024):
#: the weekday service does not run (calendar_dates.txt, exception 2).
HOLIDAYS: tuple[str, ...] = ("20240401",)


def _clock(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 3600 + int(minutes) * 60


def _hourly(first: str, last: str, step_minutes: int) -> list[int]:
    return list(range(_clock(first), _clock(last) + 1, step_minutes * 60))


#: First departures (seconds after midnight) per kind of route, service and direction.
_PATTERNS: dict[str, dict[str, tuple[list[int], list[int]]]] = {
    # Intercity (7xxx): every three hours from 06:30, both ways; two trips on Saturdays.
    "intercity": {
        "wd": (_hourly("06:30", "18:30", 180), _hourly("06:00", "18:00", 180)),
        "sa": ([_clock("08:30"), _clock("16:30")], [_clock("08:00"), _clock("16:00")]),
    },
    # Regional (5xxx, 6xxx): morning, midday and late afternoon; none on Saturdays.
    "regional": {
        "wd": (
            [_clock("06:00"), _clock("12:00"), _clock("16:30")],
            [_clock("06:45"), _clock("13:00"), _clock("17:30")],
        ),
    },
    # School (68xx): to school in the morning, home in the afternoon.
    "school": {"wd": ([_clock("07:00")], [_clock("15:00")])},
    # City (30xx): every half hour from 06:00 to 22:00, hourly on Saturdays.
    "city": {
        "wd": (_hourly("06:00", "22:00", 30), _hourly("06:15", "22:15", 30)),
        "sa": (_hourly("07:00", "21:00", 60), _hourly("07:15", "21:15", 60)),
    },
    # The stranded village's routes: out of town at 05:15 (before any centre opens), into town
    # at 06:30, weekdays only. Direction 0 leaves the hub, direction 1 heads for it.
    "stranded": {"wd": ([_clock("05:15")], [_clock("06:30")])},
}


def route_kind(number: str, stranded: bool) -> str:
    """The timetable pattern of a route (see :data:`_PATTERNS`)."""
    if stranded:
        return "stranded"
    if number.startswith("7"):
        return "intercity"
    if number.startswith("68"):
        return "school"
    if number.startswith("30"):
        return "city"
    return "regional"


def departures(number: str, stranded: bool) -> list[tuple[str, int, int]]:
    """(service, direction, first departure in seconds) of every trip of a route."""
    out = []
    for service, (outbound, inbound) in _PATTERNS[route_kind(number, stranded)].items():
        out.extend((service, 0, t) for t in outbound)
        out.extend((service, 1, t) for t in inbound)
    return out
