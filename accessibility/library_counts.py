"""How complete a library layer is: its count per municipality beside CSB's official count."""

from __future__ import annotations

import io
from os import PathLike
from pathlib import Path

import geopandas as gpd
import pandas as pd

from ._errors import InputFileError, MissingColumnError
from ._tables import decode_bytes

#: The CSB table's total row and the row for a later boundary (not a 2024 unit).
_NOT_UNITS = ("Latvija",)


def read_library_counts(path: str | PathLike[str]) -> dict[str, int]:
    """CSB's public libraries per state city / municipality (``Library.csv``).

    Parameters
    ----------
    path
        ``Library.csv`` or a folder holding it (searched recursively).

    Returns
    -------
    dict
        ``{municipality name: count}`` for the 43 municipalities of 2024 (the national total
        and rows for later boundaries, such as "Madonas novads (no 01.07.2025.)", are left out;
        the counts sum to the national total, which is checked).
    """
    source = Path(path)
    if source.is_dir():
        found = sorted(source.rglob("Library.csv"))
        if not found:
            raise InputFileError(source, "no Library.csv (CSB public libraries) in the folder")
        source = found[0]
    if not source.is_file():
        raise InputFileError(source, "file not found")
    text, _ = decode_bytes(source.read_bytes(), source=source)
    lines = text.splitlines()
    header = next(
        (
            i
            for i, line in enumerate(lines)
            # The title line names the columns too; the header row is the one split in three.
            if ("Teritoriālā vienība" in line or "Territorial" in line) and line.count(",") >= 2
        ),
        None,
    )
    if header is None:
        raise MissingColumnError(source, "no 'Teritoriālā vienība' header row", field="header")
    table = pd.read_csv(io.StringIO("\n".join(lines[header:])), dtype=str)
    unit_col = table.columns[1]
    value_col = table.columns[-1]
    counts: dict[str, int] = {}
    total = None
    for row, (name, value) in enumerate(zip(table[unit_col], table[value_col], strict=True)):
        try:
            number = int(str(value).strip())
        except ValueError as exc:
            raise InputFileError(
                source, f"count {value!r} is not a number", row=header + row + 2, field=value_col
            ) from exc
        name = str(name).strip()
        if name in _NOT_UNITS:
            total = number
        elif "(no " in name:
            continue
        else:
            counts[name] = number
    if total is not None and sum(counts.values()) != total:
        raise InputFileError(
            source, f"municipality counts sum to {sum(counts.values())}, the total row says {total}"
        )
    return counts


def library_completeness(
    libraries: gpd.GeoDataFrame, units: gpd.GeoDataFrame, counts: dict[str, int]
) -> pd.DataFrame:
    """Libraries found per municipality against CSB's count.

    Parameters
    ----------
    libraries
        Library points (any CRS), e.g. from ``load_libraries`` on an OSM file.
    units
        Territorial units with ``municipality_name`` (from ``load_units``).
    counts
        CSB's count per municipality (:func:`read_library_counts`).

    Returns
    -------
    pandas.DataFrame
        One row per municipality: ``municipality_name``, ``csb_count``, ``found`` (points
        inside the municipality), ``share`` (found / CSB; above 1 when the layer holds
        libraries CSB does not count, such as school or university libraries), sorted by
        share. ``attrs["outside_units"]`` counts points in no unit.
    """
    points = libraries.to_crs(units.crs) if libraries.crs != units.crs else libraries
    joined = gpd.sjoin(
        points[[points.geometry.name]],
        units[["municipality_name", units.geometry.name]],
        how="left",
        predicate="within",
    )
    joined = joined[~joined.index.duplicated(keep="first")]
    found = joined["municipality_name"].value_counts()
    frame = pd.DataFrame({"municipality_name": list(counts), "csb_count": list(counts.values())})
    frame["found"] = frame["municipality_name"].map(found).fillna(0).astype(int)
    frame["share"] = (frame["found"] / frame["csb_count"]).round(3)
    frame = frame.sort_values(["share", "municipality_name"]).reset_index(drop=True)
    frame.attrs["outside_units"] = int(joined["municipality_name"].isna().sum())
    frame.attrs["total_found"] = len(points)
    frame.attrs["total_csb"] = int(sum(counts.values()))
    return frame


def describe_library_source(libraries: gpd.GeoDataFrame) -> str:
    """What a library layer is, for a figure set beside the ministry's (empty if nothing to say).

    An OpenStreetMap layer counts every ``amenity=library`` object (school and university
    libraries too), not the register of municipal libraries; a synthetic file (generator
    header of ``scripts/synthetic_country_osm.py``) makes the figure synthetic.
    """
    notes = libraries.attrs.get("load_report", {}).get("notes", {})
    if "osm_tags" not in notes:
        return ""
    generator = str(notes.get("osm_generator") or "")
    if "synthetic" in generator:
        return (
            "These libraries and streets are synthetic (generated over the real units and stops by "
            f"{generator}): the figure tests the computation, it says nothing about Latvia."
        )
    return (
        "The libraries are OpenStreetMap amenity=library objects (school and university libraries "
        "included, some municipal libraries possibly missing), not the library register."
    )
