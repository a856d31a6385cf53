"""Which services of a GTFS feed run on a given date (calendar.txt and calendar_dates.txt)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from .._errors import AccessibilityError
from .feed import DAY, Feed


def as_date(value: Any) -> dt.date:
    """A date from a ``datetime.date``, a pandas Timestamp or text such as ``"2024-03-12"``."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return pd.Timestamp(str(value)).date()
    except (ValueError, TypeError) as exc:
        raise AccessibilityError(f"not a date: {value!r}") from exc


def active_services(feed: Feed, date: Any) -> np.ndarray:
    """Boolean mask over ``feed.service_id``: the services that run on ``date``.

    A service runs when ``calendar.txt`` lists the date's weekday within its start and end
    dates, unless ``calendar_dates.txt`` removes the date (exception_type 2); a date added there
    (exception_type 1) runs whatever the calendar says.
    """
    day = as_date(date)
    code = day.year * 10_000 + day.month * 100 + day.day
    active = np.zeros(len(feed.service_id), dtype=bool)
    if len(feed.calendar_service):
        on = (
            feed.calendar_days[:, day.weekday()]
            & (feed.calendar_start <= code)
            & (feed.calendar_end >= code)
        )
        active[feed.calendar_service[on]] = True
    hit = feed.dates_date == code
    active[feed.dates_service[hit & (feed.dates_type == 1)]] = True
    active[feed.dates_service[hit & (feed.dates_type == 2)]] = False
    return active


def trips_on(feed: Feed, date: Any) -> tuple[np.ndarray, np.ndarray]:
    """Trips that run on the calendar day ``date``, with the shift of their times to that day.

    A trip of the previous service day whose times run past 24:00 reaches into ``date``; it is
    included with its times shifted by one day back (a 25:10 arrival becomes 01:10).

    Returns
    -------
    tuple of numpy arrays
        Trip positions and the shift in seconds (0 or -86,400) to add to their times.
    """
    day = as_date(date)
    today = np.flatnonzero(active_services(feed, day)[feed.trip_service])
    before = np.flatnonzero(active_services(feed, day - dt.timedelta(days=1))[feed.trip_service])
    last_time = feed.st_arr[feed.trip_start[1:] - 1]
    before = before[last_time[before] >= DAY]
    trips = np.concatenate([today, before])
    shift = np.concatenate([np.zeros(len(today), np.int64), np.full(len(before), -DAY, np.int64)])
    return trips, shift
