"""Study files (TOML): the inputs and parameters of a run, resolved and written beside its outputs."""

from __future__ import annotations

import hashlib
import os
import re
import tomllib
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .. import settings
from .._errors import StudyFileError

#: Planners a study may name.
PLANNERS: tuple[str, ...] = ("one_per_unit", "p_median", "mclp", "set_cover", "none")

#: Rules for which town and parish share a centre when the target is below the number of units
#: (see :func:`accessibility.planning.sharing_pairs`).
SHARE_RULES: tuple[str, ...] = ("same_name", "adjacent", "same_name_then_adjacent")


#: Weekday names a study's ``service_date`` may give, Monday first.
WEEKDAYS: tuple[str, ...] = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)

_CLOCK = re.compile(r"(?:[0-3]\d|4[0-7]):[0-5]\d|48:00")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _is_date(text: str) -> bool:
    import datetime as dt

    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Study:
    """Inputs and parameters of one run.

    Attributes
    ----------
    name
        Title used in the report.
    data_dir
        Folder searched for the official datasets (None: the ``ACCESSIBILITY_DATA`` variable).
    inputs
        Explicit paths per dataset key (``units``, ``population``, ``stops``, ``libraries``, ``centres``,
        ``streets`` ...), overriding what is found under ``data_dir``.
    stop_distance
        The stop rule's distance in metres (the ministry's 700 m).
    intercity_pattern
        Regular expression fully matched against each route number to call a stop intercity.
    population_year
        Population year to use; None for the latest in the table.
    grid_resolution
        Cell size in metres of the population grid.
    distance_thresholds
        Distances (metres) at which population beyond a centre is counted.
    target_count
        Number of centres the plan aims for (None: one per unit).
    planner
        One of :data:`PLANNERS`.
    share_rule
        Which town and parish share a centre when ``target_count`` is below the number of units;
        one of :data:`SHARE_RULES`.
    max_snap
        Largest distance (metres) at which a point is attached to the walking network.
    extra_centres
        The "at least one centre per unit and N more" scenario shown beside the plan: N (0: not
        shown). An assumption of the study, not a ministry figure.
    max_population_per_centre
        The population-cap scenario shown beside the plan: most people per centre, so that a
        unit above it gets as many centres as it needs (0: not shown). An assumption of the study.
    service_date
        The day of the same-day round trips and of the service rule, when a timetable is found:
        a date (``"2024-03-12"``) or a weekday (``"tuesday"``: the first such day with service in
        the feed's calendar). None: the first Tuesday with service.
    open_time, close_time
        The centres' opening hours (``"HH:MM"``).
    stay_minutes
        The least time a visit takes at the centre.
    leave_after, home_by
        The earliest time of leaving home and the latest time of being back (``"24:00"``:
        before midnight).
    min_intercity_departures
        The service rule: an intercity stop within ``stop_distance`` with at least this many
        intercity departures on ``service_date``, reported beside the plain rule (0: not shown).
    """

    name: str = "Client service centre accessibility"
    data_dir: str | None = None
    inputs: dict[str, str] = field(default_factory=dict)
    stop_distance: float = settings.STOP_RULE_DISTANCE_M
    intercity_pattern: str = settings.INTERCITY_ROUTE_PATTERN
    population_year: int | None = None
    grid_resolution: float = 1000.0
    distance_thresholds: tuple[float, ...] = (700.0, 2000.0, 5000.0, 10000.0)
    target_count: int | None = None
    planner: str = "one_per_unit"
    share_rule: str = "same_name_then_adjacent"
    max_snap: float = 500.0
    extra_centres: int = 10
    max_population_per_centre: float = 50_000.0
    service_date: str | None = None
    open_time: str = "09:00"
    close_time: str = "17:00"
    stay_minutes: float = 60.0
    leave_after: str = "05:00"
    home_by: str = "24:00"
    min_intercity_departures: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The study as plain data (TOML/JSON ready; None values omitted)."""
        data = asdict(self)
        data["distance_thresholds"] = list(self.distance_thresholds)
        return {k: v for k, v in data.items() if v is not None}


def read_study(path: str | os.PathLike[str]) -> Study:
    """Read a study file and check every parameter.

    Parameters
    ----------
    path
        A TOML file with a ``[study]`` table (or the keys at top level), for example::

            [study]
            name = "Latvia 2024"
            data_dir = "../shared/data"
            stop_distance = 700
            population_year = 2024
            target_count = 587

            [study.inputs]
            libraries = "libraries.csv"

    Returns
    -------
    Study

    Raises
    ------
    StudyFileError
        If the file is missing, not TOML, or holds an unknown key or a value of the wrong type.
    """
    path = Path(path)
    if not path.is_file():
        raise StudyFileError(f"{path}: study file not found")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise StudyFileError(f"{path}: not a valid TOML study file: {exc}") from exc
    table = raw.get("study", raw)
    study = study_from_dict(table, source=str(path))
    # Relative paths in a study file are relative to the file, so a study can travel with its data.
    base = path.parent
    data_dir = study.data_dir
    if data_dir is not None and not Path(data_dir).is_absolute():
        data_dir = str((base / data_dir).resolve())
    inputs = {
        key: value if Path(value).is_absolute() else str((base / value).resolve())
        for key, value in study.inputs.items()
    }
    return replace(study, data_dir=data_dir, inputs=inputs)


def study_from_dict(table: dict[str, Any], *, source: str = "study") -> Study:
    """Build a :class:`Study` from a mapping, rejecting unknown keys and wrong types."""
    known = {f.name: f for f in fields(Study)}
    unknown = sorted(set(table) - set(known))
    if unknown:
        raise StudyFileError(
            f"{source}: unknown study parameter(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        )
    values: dict[str, Any] = {}
    for key, value in table.items():
        values[key] = _check_value(key, value, source)
    return Study(**values)


def _check_value(key: str, value: Any, source: str) -> Any:
    """Validate one study parameter; returns it converted to the field's type."""

    def fail(expected: str) -> StudyFileError:
        return StudyFileError(f"{source}: parameter {key!r} must be {expected}, got {value!r}")

    if key in ("name", "data_dir", "intercity_pattern"):
        if not isinstance(value, str):
            raise fail("a string")
        if key == "intercity_pattern":
            try:
                re.compile(value)
            except re.error as exc:
                raise StudyFileError(
                    f"{source}: parameter 'intercity_pattern' is not a regular expression: {exc}"
                ) from exc
        return value
    if key == "inputs":
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise fail("a table of dataset = path strings")
        return dict(value)
    if key in ("stop_distance", "grid_resolution", "max_snap"):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise fail("a positive number of metres")
        return float(value)
    if key in ("open_time", "close_time", "leave_after", "home_by"):
        if not isinstance(value, str) or not _CLOCK.fullmatch(value):
            raise fail('a time of day "HH:MM" (00:00 to 48:00)')
        return value
    if key == "service_date":
        if not isinstance(value, str) or not (
            value.lower() in WEEKDAYS or _DATE.fullmatch(value) and _is_date(value)
        ):
            raise fail(f'a date "YYYY-MM-DD" or a weekday ({", ".join(WEEKDAYS)})')
        return value.lower()
    if key == "stay_minutes":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise fail("a number of minutes, 0 or more")
        return float(value)
    if key in ("extra_centres", "min_intercity_departures"):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise fail("a whole number, 0 or more")
        return value
    if key == "max_population_per_centre":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise fail("a number of people, 0 or more")
        return float(value)
    if key in ("population_year", "target_count"):
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise fail("a positive whole number")
        return value
    if key == "distance_thresholds":
        if (
            not isinstance(value, list)
            or not value
            or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for v in value
            )
        ):
            raise fail("a non-empty list of positive numbers of metres")
        return tuple(sorted(float(v) for v in value))
    if key == "planner":
        if value not in PLANNERS:
            raise fail(f"one of {', '.join(PLANNERS)}")
        return value
    if key == "share_rule":
        if value not in SHARE_RULES:
            raise fail(f"one of {', '.join(SHARE_RULES)}")
        return value
    raise StudyFileError(f"{source}: unknown study parameter {key!r}")  # pragma: no cover


def study_to_toml(study: Study) -> str:
    """Write a study as TOML text (keys sorted, so the same study gives the same bytes)."""
    data = study.to_dict()
    lines = ["[study]"]
    inputs = data.pop("inputs", {})
    for key in sorted(data):
        lines.append(f"{key} = {_toml_value(data[key])}")
    if inputs:
        lines.append("")
        lines.append("[study.inputs]")
        for key in sorted(inputs):
            lines.append(f"{key} = {_toml_value(inputs[key])}")
    return "\n".join(lines) + "\n"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{escaped}"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def file_checksums(paths: dict[str, Path]) -> dict[str, dict[str, Any]]:
    """sha256 and size of each input file (every file of a shapefile or folder), keyed by dataset."""
    out: dict[str, dict[str, Any]] = {}
    for key, path in sorted(paths.items()):
        path = Path(path)
        members = _dataset_files(path)
        out[key] = {
            "path": str(path),
            "files": {
                member.name: {"sha256": sha256_file(member), "bytes": member.stat().st_size}
                for member in members
            },
        }
    return out


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """The sha256 hex digest of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def _dataset_files(path: Path) -> list[Path]:
    """The files that make up a dataset: a folder's files, a shapefile's sidecars, or the file itself."""
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file())
    if path.suffix.lower() == ".shp":
        return sorted(p for p in path.parent.glob(path.stem + ".*") if p.is_file())
    return [path]
