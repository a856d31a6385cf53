"""Bad input: the population workbook edited the way real files get edited."""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import openpyxl
import pytest
import shapely
from _corrupt import POPULATION, TOTAL_2024, copy_file

from accessibility import load_population
from accessibility._errors import InputFileError, PartialDataError
from accessibility._loadreport import get_report

pytestmark = pytest.mark.realdata

SHEET = "Iedzīvotāju skaits (skaits, PML"


def _edited(real_data: Path, tmp_path: Path, edit) -> Path:
    path = copy_file(real_data, tmp_path, POPULATION)
    book = openpyxl.load_workbook(path)
    edit(book[SHEET])
    book.save(path)
    return path


def test_blank_row_in_the_middle_is_not_the_end_of_the_table(
    real_data: Path, tmp_path: Path
) -> None:
    # Excel row 300 is Olaine (0041200); blanking it once made every row below a "footer".
    olaine = {}

    def blank_row_300(sheet) -> None:
        olaine["2024"] = sheet.cell(300, sheet.max_column).value
        for cell in sheet[300]:
            cell.value = None

    path = _edited(real_data, tmp_path, blank_row_300)
    table = load_population(path, 2024)
    report = get_report(table)
    assert report["notes"]["blank_rows_skipped"] == [300]
    assert report["notes"]["footer_rows_dropped"] == 3
    assert len(table) == 591
    assert int(table["population"].sum()) == TOTAL_2024 - olaine["2024"]
    assert "0041200" not in set(table["unit_code"])


def test_intact_workbook_keeps_its_total(real_data: Path) -> None:
    table = load_population(real_data / POPULATION[0] / POPULATION[1], 2024)
    assert int(table["population"].sum()) == TOTAL_2024
    assert "blank_rows_skipped" not in get_report(table)["notes"]


def test_duplicate_year_column_is_one_line_naming_the_column(
    real_data: Path, tmp_path: Path
) -> None:
    def duplicate_year(sheet) -> None:
        sheet.cell(1, sheet.max_column).value = sheet.cell(1, sheet.max_column - 1).value

    path = _edited(real_data, tmp_path, duplicate_year)
    with pytest.raises(InputFileError, match=r"year column 2023 more than once") as caught:
        load_population(path, 2023)
    assert str(path) in str(caught.value) and "\n" not in str(caught.value)


def test_corrupt_sheet_xml_names_the_file_and_sheet(real_data: Path, tmp_path: Path) -> None:
    source = copy_file(real_data, tmp_path / "src", POPULATION)
    broken = tmp_path / POPULATION[1]
    with zipfile.ZipFile(source) as inside, zipfile.ZipFile(broken, "w") as out:
        for item in inside.infolist():
            data = inside.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet5"):
                data = data[: len(data) // 3]  # cut mid-element: no longer XML
            out.writestr(item, data)
    with pytest.raises(InputFileError) as caught:
        load_population(broken, 2024)
    assert str(broken) in str(caught.value)


def test_a_total_row_is_compared_with_the_units_sum(real_data: Path, tmp_path: Path) -> None:
    from accessibility.run._checks import check_inputs
    from accessibility.run.inputs import Inputs
    from accessibility.run.study import Study

    def add_total(sheet) -> None:
        row = sheet.max_row - 3  # the blank row above the footer
        sheet.insert_rows(row)
        sheet.cell(row, 1).value = "Latvija"
        for column in range(5, sheet.max_column + 1):
            sheet.cell(row, column).value = 2_100_000  # 58,448 more than the units in 2024

    path = _edited(real_data, tmp_path, add_total)
    table = load_population(path, 2024)
    notes = get_report(table)["notes"]
    assert int(table["population"].sum()) == TOTAL_2024 and get_report(table)["rejected"] == 0
    assert notes["total_differs"] == {"2024": {"sheet_total": 2_100_000, "units_sum": TOTAL_2024}}
    units = gpd.GeoDataFrame(
        {"unit_code": table["unit_code"]},
        geometry=[shapely.box(500e3, 300e3, 501e3, 301e3)] * len(table),
        crs="EPSG:3059",
    )
    inputs = Inputs(layers={"units": units, "population": table})
    with pytest.raises(
        PartialDataError, match=r"sum to 2,041,552 people in 2024, but the sheet's total row"
    ):
        check_inputs(inputs, Study())
