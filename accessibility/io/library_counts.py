"""CSB's count of public libraries per municipality, and how completely a library file covers it."""

from __future__ import annotations

import csv
import io
from os import PathLike
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from .._errors import InputFileError, MissingColumnError
from .._loadreport import LoadReport, attach
from ._tables import decode_bytes
from .units import MUNICIPALITY_CODES_2021

#: Header cells of CSB's table "Publiskās bibliotēkas valstspilsētās un novados".
_UNIT_FIELD = "Teritoriālā vienība"
_INDICATOR_FIELD = "Rādītāji"
_TOTAL_NAME = "Latvija"


def load_library_counts(path: str | PathLike[str]) -> pd.DataFrame:
    """Load CSB's number of public libraries per state city and novads (``Library.csv``).

    The file has a title line, a blank line, then the header ``"Rādītāji","Teritoriālā
    vienība","<year>"``; one row per municipality of the 2021 reform, a ``Latvija`` total and
    rows for later boundaries (``"Madonas novads (no 01.07.2025.)"``).

    Parameters
    ----------
    path
        The CSV file.

    Returns
    -------
    pandas.DataFrame
        ``municipality_code``, ``municipality_name``, ``libraries`` (int), ``year``, one row per
        municipality of the 2021 reform, sorted by code. ``attrs["load_report"]`` lists the rows
        not used (the national total, which is checked against the sum, and rows naming no
        municipality of the 2021 reform, with the reason).

    Raises
    ------
    InputFileError
        If the file is missing or unreadable, a count is not a whole number, or the total does
        not equal the sum of the municipalities.
    MissingColumnError
        If the territorial-unit column or a year column is absent.
    """
    source = Path(path)
    if not source.is_file():
        raise InputFileError(source, "file not found")
    text, _ = decode_bytes(source.read_bytes(), source=str(source))
    lines = text.splitlines()
    # The header is the first line with a cell that is exactly the unit field (the title line
    # names it inside a longer text).
    start = next(
        (
            i
            for i, line in enumerate(lines)
            if _UNIT_FIELD in [c.strip() for c in next(csv.reader([line]), [])]
        ),
        None,
    )
    if start is None:
        raise MissingColumnError(source, f"no header with {_UNIT_FIELD!r}", field=_UNIT_FIELD)
    rows = list(csv.reader(io.StringIO("\n".join(lines[start:]))))
    header = [h.strip() for h in rows[0]]
    years = [h for h in header if h.isdigit()]
    if not years:
        raise MissingColumnError(source, "no year column (e.g. '2024')", field="2024")
    year = years[-1]
    unit_at, year_at = header.index(_UNIT_FIELD), header.index(year)
    report = LoadReport(source=str(source), read=len(rows) - 1)
    records: list[dict[str, Any]] = []
    total = None
    for offset, row in enumerate(rows[1:]):
        line = start + offset + 2  # a spreadsheet row number: the file's first line is row 1
        if not any(cell.strip() for cell in row):
            continue
        name = row[unit_at].strip() if len(row) > unit_at else ""
        cell = row[year_at].strip() if len(row) > year_at else ""
        try:
            count = int(cell)
        except ValueError:
            raise InputFileError(
                source, f"library count {cell!r} is not a whole number", row=line, field=year
            ) from None
        if name == _TOTAL_NAME:
            total = count
            continue
        code = MUNICIPALITY_CODES_2021.get(name)
        if code is None:
            report.reject(line, "not a municipality of the 2021 reform", field=_UNIT_FIELD, id=name)
            continue
        records.append({"municipality_code": code, "municipality_name": name, "libraries": count})
    if total is not None:
        report.read -= 1  # the national total is a check, not a row of the table
        report.notes["total_row_checked"] = total
    out = pd.DataFrame(records, columns=["municipality_code", "municipality_name", "libraries"])
    out["year"] = int(year)
    out = out.sort_values("municipality_code").reset_index(drop=True)
    if total is not None and total != int(out["libraries"].sum()):
        raise InputFileError(
            source,
            f"the {_TOTAL_NAME} total {total} is not the sum of the municipalities "
            f"({int(out['libraries'].sum())})",
            field=year,
        )
    report.notes["total"] = int(out["libraries"].sum())
    report.notes["year"] = int(year)
    report.notes["municipalities"] = len(out)
    return attach(out, report)


def library_completeness(libraries: pd.DataFrame, counts: pd.DataFrame) -> dict[str, Any]:
    """How much of CSB's library count a library file covers, municipality by municipality.

    A municipality's libraries in the file count up to CSB's number for it (a file may hold
    school or private libraries that CSB does not count as public ones); the covered share is
    the sum of those over CSB's total.

    Parameters
    ----------
    libraries
        The libraries, with ``municipality_code`` (as :func:`accessibility.stop_rule` adds it
        when given the units); rows without one count as outside every municipality.
    counts
        :func:`load_library_counts`.

    Returns
    -------
    dict
        ``given`` (rows in the file), ``csb_total``, ``year``, ``covered`` (libraries matched
        to CSB's count), ``share`` (covered / csb_total), ``municipalities_short`` (codes where
        the file holds fewer than CSB counts), ``municipalities_over`` (more than CSB counts),
        ``outside`` (libraries in no municipality) and ``text``.
    """
    csb = counts.set_index("municipality_code")["libraries"]
    codes = libraries.get("municipality_code", pd.Series(pd.NA, index=libraries.index))
    given = codes.dropna().astype(str).value_counts()
    matched = pd.concat([csb, given.reindex(csb.index, fill_value=0)], axis=1, keys=["csb", "file"])
    covered = int(matched.min(axis=1).sum())
    total = int(csb.sum())
    year = int(counts["year"].iloc[0]) if len(counts) else None
    short = sorted(matched.index[matched["file"] < matched["csb"]].tolist())
    over = sorted(matched.index[matched["file"] > matched["csb"]].tolist())
    unknown = sorted(set(given.index) - set(csb.index))
    share = covered / total if total else float("nan")
    text = (
        f"the library file holds {len(libraries):,} libraries, matching {covered:,} of CSB's "
        f"{total:,} public libraries of {year} ({share:.1%}; counted per municipality, "
        f"{len(short)} of {len(csb)} municipalities hold fewer than CSB counts)"
    )
    return {
        "given": len(libraries),
        "csb_total": total,
        "year": year,
        "covered": covered,
        "share": share,
        "municipalities_short": short,
        "municipalities_over": over,
        "outside": int(codes.isna().sum()) + int(given.reindex(unknown).sum()),
        "text": text,
    }


def read_library_counts(path: str | PathLike[str]) -> dict[str, int]:
    """CSB's public libraries per municipality as ``{municipality name: count}``.

    Parameters
    ----------
    path
        ``Library.csv`` or a folder holding it (searched recursively).

    Returns
    -------
    dict
        The counts of :func:`load_library_counts` by municipality name (the national total
        and rows for later boundaries are left out; the counts sum to the national total).
    """
    source = Path(path)
    if source.is_dir():
        found = sorted(source.rglob("Library.csv"))
        if not found:
            raise InputFileError(source, "no Library.csv (CSB public libraries) in the folder")
        source = found[0]
    frame = load_library_counts(source)
    return {str(n): int(c) for n, c in zip(frame["municipality_name"], frame["libraries"])}


def libraries_per_municipality(
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
