"""Load population per territorial unit and year (RAIM/PMLP workbook or a plain CSV)."""

from __future__ import annotations

import re
import zipfile
from os import PathLike
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from .. import schema
from .._errors import InputFileError, MissingColumnError
from .._loadreport import LoadReport, attach
from ._tables import read_text_table
from .units import is_valid_code, normalise_code

#: Start of the name of the unit-level population sheet in the RAIM export. Excel cuts sheet
#: names to 31 characters, so the full "Iedzīvotāju skaits (skaits, PMLP)" never appears; the
#: municipality-level sheet is "(Pašvaldības) Iedzīvotāju skait…" and must not be taken.
POPULATION_SHEET_PREFIX: str = "Iedzīvotāju skaits (skaits, PML"

#: Labels of the footer rows RAIM puts under each sheet, after a blank row.
FOOTER_LABELS: tuple[str, ...] = ("Nosaukums", "Mērvienība", "Datu avots")

#: Labels of a total row (no ATVK code) in a population sheet.
TOTAL_LABELS: re.Pattern[str] = re.compile(r"(?i)^(latvija|kopā|kopa|total|pavisam)\b")

_YEAR_RE = re.compile(r"^(19|20)\d{2}$")


def _year_of(value: Any) -> int | None:
    is_int = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
    is_whole_float = isinstance(value, (float, np.floating)) and float(value).is_integer()
    if is_int or is_whole_float:
        text = str(int(value))
    else:
        text = str(value).strip()
    return int(text) if _YEAR_RE.match(text) else None


def _count(value: Any) -> tuple[int | None, str | None]:
    """A population count from a cell, or (None, reason) when it is not a non-negative integer."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None, "missing population"
    if isinstance(value, bool):
        return None, f"not a number: {value!r}"
    if isinstance(value, str):
        text = value.strip().replace("\u00a0", "").replace(" ", "")
        if text == "":
            return None, "missing population"
        try:
            number = float(text)
        except ValueError:
            return None, f"not a number: {value!r}"
    else:
        try:
            number = float(value)
        except (TypeError, ValueError):
            return None, f"not a number: {value!r}"
    if not np.isfinite(number):
        return None, f"not a number: {value!r}"
    if number < 0:
        return None, f"negative population: {value!r}"
    if not number.is_integer():
        return None, f"not a whole number: {value!r}"
    return int(number), None


def _read_workbook(path: Path, report: LoadReport) -> tuple[pd.DataFrame, dict[int, int], int]:
    """The unit rows of the population sheet, the 1-based Excel row of each, and the header row."""
    try:
        book = pd.ExcelFile(path, engine="openpyxl")
    except (zipfile.BadZipFile, OSError, ValueError, KeyError) as exc:
        raise InputFileError(
            path, f"cannot be read as an Excel workbook (truncated or corrupt?): {exc}"
        ) from exc
    with book:
        sheets = [s for s in book.sheet_names if str(s).startswith(POPULATION_SHEET_PREFIX)]
        if not sheets:
            # Other exports hold a single sheet of unit rows.
            sheets = [s for s in book.sheet_names if not str(s).startswith("(Pašvaldības)")]
            if len(sheets) != 1:
                raise InputFileError(
                    path,
                    f"no sheet whose name starts with {POPULATION_SHEET_PREFIX!r}; sheets: "
                    f"{', '.join(map(str, book.sheet_names))}",
                )
        sheet = sheets[0]
        try:
            raw = pd.read_excel(book, sheet_name=sheet, header=None, dtype=object)
        except Exception as exc:  # openpyxl raises XML, zip and key errors on a damaged sheet
            raise InputFileError(
                path, f"sheet {sheet!r} cannot be read (corrupt?): {type(exc).__name__}: {exc}"
            ) from exc
    report.notes["sheet"] = str(sheet)
    header_rows = [
        i for i in range(min(len(raw), 20)) if any(str(v).strip() == "ATVK" for v in raw.iloc[i])
    ]
    if not header_rows:
        raise MissingColumnError(
            path, f"sheet {sheet!r} has no header row with an 'ATVK' column", field="ATVK"
        )
    header = header_rows[0]
    columns = [
        str(v).strip() if pd.notna(v) else f"_blank{j}" for j, v in enumerate(raw.iloc[header])
    ]
    body = raw.iloc[header + 1 :].copy()
    body.columns = columns
    blank = body.isna().all(axis=1).to_numpy()
    # The footer is the block that starts with a footer label (Nosaukums, Mērvienība, Datu avots)
    # after the last unit row. A blank row is not the end: a row blanked in the middle of the
    # sheet would otherwise turn every unit below it into a "footer".
    first_cells = body.iloc[:, 0].map(lambda v: str(v).strip() if pd.notna(v) else "")
    labels = np.flatnonzero(first_cells.isin(FOOTER_LABELS).to_numpy())
    end = int(labels[0]) if len(labels) else len(body)
    while end > 0 and blank[end - 1]:
        end -= 1
    footer = body.iloc[end:]
    footer = footer[~footer.isna().all(axis=1)]
    report.notes["footer_rows_dropped"] = len(footer)
    unexpected = [str(v) for v in footer.iloc[:, 0] if str(v).strip() not in FOOTER_LABELS]
    if unexpected:
        report.notes["unexpected_footer_rows"] = unexpected
    inner_blank = np.flatnonzero(blank[:end])
    if len(inner_blank):
        # Counted, not silently skipped: a blank row inside the table is an edit to check.
        report.notes["blank_rows_skipped"] = [int(body.index[i]) + 1 for i in inner_blank]
    body = body.iloc[:end][~blank[:end]]
    duplicated = [c for c in dict.fromkeys(columns) if columns.count(c) > 1 and _year_of(c)]
    if duplicated:
        raise InputFileError(
            path,
            f"sheet {sheet!r} has the year column {duplicated[0]} more than once",
            row=header + 1,
            field=duplicated[0],
        )
    # A total row ("Latvija", "Kopā") has no unit code: kept aside to check the units' sum.
    labels = body.apply(
        lambda row: " ".join(str(v) for v in row.iloc[:4] if pd.notna(v)).strip(), axis=1
    )
    code_column = next((c for c in columns if c == "ATVK"), None)
    no_code = body[code_column].isna() if code_column else pd.Series(False, index=body.index)
    total_rows = no_code & labels.str.match(TOTAL_LABELS)
    if total_rows.any():
        totals = body[total_rows].iloc[0]
        report.notes["sheet_total"] = {
            str(y): c
            for column, value in totals.items()
            if (y := _year_of(column)) is not None and (c := _count(value)[0]) is not None
        }
        report.notes["sheet_total_row"] = int(body.index[total_rows.to_numpy()][0]) + 1
        body = body[~total_rows]
    # Excel rows are numbered from 1; the DataFrame index is the 0-based sheet row.
    excel_rows = {int(i): int(i) + 1 for i in body.index}
    return (
        body.rename(columns={"Teritoriālais iedalījums": "unit_name", "ATVK": "unit_code"}),
        excel_rows,
        header + 1,
    )


def _read_csv(path: Path, report: LoadReport) -> tuple[pd.DataFrame, dict[int, int]]:
    table = read_text_table(path, dtype=str)
    if "unit_code" not in table.columns and "ATVK" in table.columns:
        table = table.rename(columns={"ATVK": "unit_code"})
    missing = [c for c in ("unit_code", "population") if c not in table.columns]
    if missing:
        raise MissingColumnError(
            path,
            f"required column(s) {', '.join(missing)} missing (expected unit_code,population[,year][,unit_name]); "
            f"found {', '.join(table.columns)}",
            field=missing[0],
        )
    if "encoding_note" in table.attrs:
        report.notes["encoding"] = table.attrs["encoding_note"]
    # Line 1 is the header.
    return table, {int(i): int(i) + 2 for i in table.index}


def load_population(
    path: str | PathLike[str],
    year: int | str | None = None,
    *,
    units: gpd.GeoDataFrame | None = None,
) -> pd.DataFrame:
    """Load population counts per territorial unit.

    Parameters
    ----------
    path
        The RAIM export ``raditaju_atlase_aprobacija.xlsx`` (the sheet whose name starts with
        :data:`POPULATION_SHEET_PREFIX`: columns Reģions, Pašvaldība, Teritoriālais iedalījums,
        ATVK, then one column per year), or a CSV ``unit_code,population[,year][,unit_name]``
        (``ATVK`` is accepted for ``unit_code``; UTF-8 with or without BOM, or cp1257).
    year
        The year to return; None for the latest year in the file; ``"all"`` for every year
        (long format). A CSV without a ``year`` column needs ``year`` to label its counts.
    units
        Territorial units (from :func:`accessibility.load_units`). When given, the report
        lists unit codes present in the boundaries but absent from the table
        (``notes["missing_in_table"]``) and the reverse (``notes["missing_in_units"]``).

    Returns
    -------
    pandas.DataFrame
        Columns ``unit_code`` (7-digit string), ``unit_name``, ``year`` (int), ``population``
        (int), sorted by year and unit code. ``attrs["load_report"]`` counts the values read
        (one per unit and year) and lists rejected ones with the row number as in the file
        (Excel row, or CSV line with the header as line 1) and the field (year column).

    Notes
    -----
    The RAIM figures are PMLP population-register counts by declared place of residence. They
    run about 9 % above CSB's usual-resident population (register entries of people who left
    the country), so use them as relative weights or rescale them to CSB totals. The real
    workbook sums to 2,041,552 in 2024 and 2,068,731 in 2021 over 592 units. The footer rows
    (Nosaukums, Mērvienība, Datu avots) under the blank row are dropped and counted in
    ``notes["footer_rows_dropped"]``.

    Raises
    ------
    InputFileError
        Missing, empty or unreadable file; no population sheet; the requested year absent.
    MissingColumnError
        No unit code or population column.
    """
    file = Path(path)
    if not file.exists():
        raise InputFileError(path, "file not found")
    if file.is_file() and file.stat().st_size == 0:
        raise InputFileError(path, "file is empty")
    report = LoadReport(source=str(path))
    if file.suffix.lower() == ".xls":
        raise InputFileError(path, "is an old-format Excel file: save it as .xlsx (or CSV) first")
    if file.suffix.lower() in (".xlsx", ".xlsm"):
        table, rows, _ = _read_workbook(file, report)
        year_columns = {c: y for c in table.columns if (y := _year_of(c)) is not None}
        if not year_columns:
            raise MissingColumnError(
                path, "no year columns (2011, 2012, ...) next to ATVK", field="year"
            )
        long_parts = [
            pd.DataFrame(
                {
                    "_row": table.index,
                    "unit_code": table["unit_code"].to_numpy(),
                    "unit_name": table["unit_name"].to_numpy()
                    if "unit_name" in table.columns
                    else None,
                    "year": y,
                    "population": table[c].to_numpy(),
                    "_field": c,
                }
            )
            for c, y in year_columns.items()
        ]
        values = pd.concat(long_parts, ignore_index=True)
    else:
        table, rows = _read_csv(file, report)
        if "year" in table.columns:
            years = table["year"].map(_year_of)
        elif year is None or year == "all":
            raise InputFileError(
                path, "has no 'year' column: pass year= to label its counts", field="year"
            )
        else:
            years = pd.Series(int(year), index=table.index)
        values = pd.DataFrame(
            {
                "_row": table.index,
                "unit_code": table["unit_code"].to_numpy(),
                "unit_name": table["unit_name"].to_numpy()
                if "unit_name" in table.columns
                else None,
                "year": years.to_numpy(),
                "population": table["population"].to_numpy(),
                "_field": "population",
            }
        )
        for i in np.flatnonzero(values["year"].isna().to_numpy()):
            report.read += 1
            report.reject(
                rows[int(values["_row"].iat[i])],
                f"not a year: {table['year'].iat[i]!r}",
                field="year",
            )
        values = values[values["year"].notna()]
        values["year"] = values["year"].astype(int)
    available = sorted(set(values["year"]))
    if year is None:
        chosen: list[int] = [max(available)]
    elif year == "all":
        chosen = available
    else:
        try:
            wanted = int(year)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"year must be an integer, None or 'all', not {year!r}") from exc
        if wanted not in available:
            raise InputFileError(
                path,
                f"has no figures for {wanted}; years available: {', '.join(map(str, available))}",
            )
        chosen = [wanted]
    values = values[values["year"].isin(chosen)].reset_index(drop=True)
    report.read += len(values)
    keep = np.ones(len(values), dtype=bool)
    codes = values["unit_code"].map(normalise_code)
    counts: list[int | None] = []
    code_field = "ATVK" if file.suffix.lower() in (".xlsx", ".xlsm") else "unit_code"
    for i in range(len(values)):
        row = rows[int(values["_row"].iat[i])]
        code = codes.iat[i]
        count, problem = _count(values["population"].iat[i])
        counts.append(count)
        if not is_valid_code(code):
            report.reject(
                row,
                f"not a 7-digit ATVK code: {values['unit_code'].iat[i]!r}",
                field=code_field,
                id=code,
            )
            keep[i] = False
        elif problem is not None:
            report.reject(row, problem, field=str(values["_field"].iat[i]), id=code)
            keep[i] = False
    values["unit_code"] = codes
    values["population"] = counts
    kept = np.flatnonzero(keep)
    # The first row of a unit and year wins; later ones are rejected, never summed silently.
    duplicated = kept[values.iloc[kept].duplicated(["unit_code", "year"], keep="first").to_numpy()]
    for i in duplicated:
        report.reject(
            rows[int(values["_row"].iat[i])],
            f"duplicate unit code {values['unit_code'].iat[i]} for {values['year'].iat[i]}",
            field=code_field,
            id=values["unit_code"].iat[i],
        )
        keep[i] = False
    out = values[keep][list(schema.POPULATION_COLUMNS)].copy()
    out["unit_name"] = out["unit_name"].astype(object).where(out["unit_name"].notna(), None)
    out["year"] = out["year"].astype("int64")
    out["population"] = out["population"].astype("int64")
    out = out.sort_values(["year", "unit_code"]).reset_index(drop=True)
    report.notes["years"] = chosen
    report.notes["total_by_year"] = {
        int(y): int(t) for y, t in out.groupby("year")["population"].sum().items()
    }
    report.notes["units"] = int(out["unit_code"].nunique())
    for y in chosen:
        stated = report.notes.get("sheet_total", {}).get(str(y))
        summed = report.notes["total_by_year"].get(int(y), 0)
        if stated is not None and stated != summed:
            # Counted for the run's checks: the units do not add up to the sheet's own total.
            report.notes.setdefault("total_differs", {})[str(y)] = {
                "sheet_total": stated,
                "units_sum": summed,
            }
    if units is not None:
        in_units = set(units["unit_code"])
        for y in chosen:
            in_table = set(out.loc[out["year"] == y, "unit_code"])
            report.notes.setdefault("missing_in_table", []).extend(sorted(in_units - in_table))
            report.notes.setdefault("missing_in_units", []).extend(sorted(in_table - in_units))
        report.notes["missing_in_table"] = sorted(set(report.notes["missing_in_table"]))
        report.notes["missing_in_units"] = sorted(set(report.notes["missing_in_units"]))
    return attach(out, report)
