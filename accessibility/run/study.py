"""Study files (TOML): the inputs and parameters of a run, resolved and written beside its outputs."""

from __future__ import annotations

import difflib
import hashlib
import math
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

#: Dataset keys a study's ``[study.inputs]`` may name (those the main job reads).
INPUT_KEYS: tuple[str, ...] = (
    "units",
    "municipalities",
    "classifier",
    "population",
    "stops",
    "libraries",
    "centres",
    "streets",
)

#: Allowed range (metres) of each distance parameter: beyond it a value is a typo, not a study.
RANGES: dict[str, tuple[float, float]] = {
    "stop_distance": (1.0, 50_000.0),
    "grid_resolution": (10.0, 50_000.0),
    "max_snap": (1.0, 50_000.0),
}

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
        # utf-8-sig: a study saved by a Windows editor starts with a byte-order mark.
        raw = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise StudyFileError(f"{path}: not a valid TOML study file: {exc}") from exc
    table = raw.get("study", raw)
    if "study" in raw:
        stray = sorted(set(raw) - {"study"})
        if stray:
            raise StudyFileError(
                f"{path}: unknown table or key {stray[0]!r} outside [study]; "
                "every parameter goes under [study]"
            )
    if not isinstance(table, dict):
        raise StudyFileError(f"{path}: [study] must be a table")
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
            f"{source}: unknown study parameter {unknown[0]!r}{_did_you_mean(unknown[0], known)}; "
            f"known: {', '.join(sorted(known))}"
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
            check_route_pattern(value, source)
        elif not value.strip():
            raise fail("a non-empty string")
        return value
    if key == "inputs":
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise fail("a table of dataset = path strings")
        bad = sorted(set(value) - set(INPUT_KEYS))
        if bad:
            raise StudyFileError(
                f"{source}: unknown input {bad[0]!r} in [study.inputs]"
                f"{_did_you_mean(bad[0], INPUT_KEYS)}; known: {', '.join(INPUT_KEYS)}"
            )
        empty = [k for k, v in value.items() if not v.strip()]
        if empty:
            raise StudyFileError(f"{source}: input {empty[0]!r} in [study.inputs] is an empty path")
        return dict(value)
    if key in RANGES:
        low, high = RANGES[key]
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
            or not low <= value <= high
        ):
            raise fail(f"a positive number of metres, from {low:g} to {high:g}")
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
                isinstance(v, (int, float))
                and not isinstance(v, bool)
                and math.isfinite(v)
                and 0 < v <= RANGES["stop_distance"][1]
                for v in value
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


def _did_you_mean(word: str, choices: Any) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


#: A brace, bracket or parenthesis that a regular expression reads as a literal character is
#: almost always a typo (``7\\d{3`` for ``7\\d{3}``): Python's ``re`` silently matches ``{3``.
_QUANTIFIER = re.compile(r"\\.|\{\d*(,\d*)?\}|[{}]")


def check_route_pattern(pattern: str, source: str = "study") -> re.Pattern[str]:
    """Compile the intercity route pattern, refusing one that looks like a mistyped regex.

    Raises
    ------
    StudyFileError
        If the pattern does not compile, is empty, holds a brace that is not part of a
        quantifier (``{3`` read as a literal), or matches the empty route number.
    """
    name = "parameter 'intercity_pattern'"
    if not pattern.strip():
        raise StudyFileError(f"{source}: {name} is empty")
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise StudyFileError(f"{source}: {name} is not a regular expression: {exc}") from exc
    for found in _QUANTIFIER.finditer(pattern):
        if found.group(0) in ("{", "}"):
            raise StudyFileError(
                f"{source}: {name} {pattern!r} has an unmatched {found.group(0)!r} at character "
                f"{found.start() + 1}, which a regular expression reads as a literal brace (a typo for "
                "a quantifier such as {3}?); write \\{ to mean a brace"
            )
    if compiled.fullmatch(""):
        raise StudyFileError(f"{source}: {name} {pattern!r} matches an empty route number")
    return compiled


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


def relative_to_file(study: Study, folder: str | os.PathLike[str]) -> Study:
    """The study with its paths written for a study file kept in ``folder``.

    Paths are resolved against the current folder first; those inside ``folder`` become
    relative to it (so the folder can be moved with its outputs), the others absolute. The
    result, saved in ``folder``, reads back with :func:`read_study` to the same files from any
    working folder.
    """
    base = Path(folder).resolve()

    def written(value: str) -> str:
        path = Path(value).resolve()
        try:
            return path.relative_to(base).as_posix()
        except ValueError:
            return str(path)

    data_dir = None if study.data_dir is None else written(study.data_dir)
    inputs = {key: written(value) for key, value in study.inputs.items()}
    return replace(study, data_dir=data_dir, inputs=inputs)


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
