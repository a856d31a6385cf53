"""Find the ATD timetable among the data, and say plainly when only the stop table is at hand."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .._errors import DataNotFoundError
from ..io._tables import zip_members
from ..io.datasets import locate_dataset

NO_TIMETABLE = (
    "only the ATD stop table ({name}) is at hand, without timetables (no stop_times.txt): "
    "departures, journeys and same-day round trips cannot be computed, and the stop rule is the "
    "plain one (an intercity stop within the distance, whatever its service). The full feed is "
    "gtfs-latvia-lv.zip on the Latvian open data portal (data.gov.lv)."
)
NO_STOPS = "no ATD stop data found: neither the GTFS feed gtfs-latvia-lv.zip nor the stop table"


@dataclass(frozen=True)
class TimetableSource:
    """Where the timetable is (``path`` None when there is none) and a sentence for the report."""

    path: Path | None
    note: str


def _has_stop_times(path: Path) -> bool:
    if path.is_dir():
        return (path / "stop_times.txt").is_file()
    if path.suffix.lower() == ".zip":
        return bool(zip_members(path, "stop_times.txt"))
    return False


def find_timetable(data_dir: str | os.PathLike[str] | None = None) -> TimetableSource:
    """The ATD GTFS timetable in the data folder, or why there is none.

    The ``stops`` dataset of the catalogue is looked up as :func:`accessibility.find_dataset`
    does (the GTFS zip is preferred over the stop table); it is a timetable only when it holds
    ``stop_times.txt``.
    """
    try:
        match = locate_dataset("stops", data_dir)
    except DataNotFoundError:
        return TimetableSource(None, NO_STOPS)
    for candidate in match.candidates:
        if _has_stop_times(candidate):
            return TimetableSource(
                candidate, f"ATD timetable: {candidate.name} (GTFS with stop_times.txt)"
            )
    return TimetableSource(None, NO_TIMETABLE.format(name=match.path.name))
