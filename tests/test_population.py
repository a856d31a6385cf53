"""Population loader: the real RAIM/PMLP workbook, plain CSVs and broken inputs."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
from shapely.geometry import box

from accessibility import (
    InputFileError,
    MissingColumnError,
    get_report,
    load_population,
    load_units,
)

WORKBOOK = "raim_pmlp_indicators_by_territorial_unit/raditaju_atlase_aprobacija.xlsx"
UNITS_2024 = "csb_territorial_units_2024_01_01"


@pytest.fixture(scope="module")
def units_2024(real_data: Path) -> gpd.GeoDataFrame:
    return load_units(real_data / UNITS_2024)


@pytest.mark.realdata
def test_real_2024_population(real_data: Path, units_2024: gpd.GeoDataFrame) -> None:
    population = load_population(real_data / WORKBOOK, units=units_2024)
    assert list(population.columns) == ["unit_code", "unit_name", "year", "population"]
    assert set(population["year"]) == {2024}
    assert len(population) == 592 and population["unit_code"].is_unique
    assert population["population"].sum() == 2_041_552
    assert population["population"].dtype == "int64" and population["year"].dtype == "int64"
    assert (population["population"] > 0).all()
    assert set(population["unit_code"]) == set(units_2024["unit_code"])
    report = get_report(population)
    assert report["notes"]["missing_in_table"] == [] and report["notes"]["missing_in_units"] == []
    assert report["notes"]["footer_rows_dropped"] == 3
    assert report["notes"]["sheet"] == "Iedzīvotāju skaits (skaits, PML"
    assert report["read"] == 592 and report["rejected"] == 0
    # Names agree with the CSB layer for every unit.
    names = units_2024.set_index("unit_code")["unit_name"]
    assert (
        population.set_index("unit_code")["unit_name"]
        == names.loc[population["unit_code"]].to_numpy()
    ).all()
    assert population.set_index("unit_code").loc["0001000", "population"] == 674_510


@pytest.mark.realdata
def test_real_2021_and_all_years(real_data: Path) -> None:
    assert load_population(real_data / WORKBOOK, 2021)["population"].sum() == 2_068_731
    every = load_population(real_data / WORKBOOK, "all")
    assert sorted(set(every["year"])) == list(range(2011, 2025))
    assert len(every) == 592 * 14
    totals = every.groupby("year")["population"].sum()
    # PROVENANCE totals.
    assert totals.loc[[2021, 2022, 2023, 2024]].tolist() == [
        2_068_731,
        2_041_031,
        2_058_836,
        2_041_552,
    ]
    with pytest.raises(InputFileError, match="has no figures for 2030; years available: 2011"):
        load_population(real_data / WORKBOOK, 2030)


@pytest.mark.realdata
def test_real_units_comparison_lists_differences(
    real_data: Path, units_2024: gpd.GeoDataFrame
) -> None:
    fewer_units = units_2024[units_2024["unit_code"] != "0001000"]
    report = get_report(load_population(real_data / WORKBOOK, units=fewer_units))
    assert (
        report["notes"]["missing_in_units"] == ["0001000"]
        and report["notes"]["missing_in_table"] == []
    )


# ---------------------------------------------------------------- CSV


def _csv(tmp_path: Path, text: str, encoding: str = "utf-8", name: str = "population.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_plain_csv_needs_a_year(tmp_path: Path) -> None:
    path = _csv(tmp_path, "unit_code,population\n0038200,7000\nLV0038410,1200\n38591,300\n")
    population = load_population(path, 2024)
    assert population["unit_code"].tolist() == ["0038200", "0038410", "0038591"]
    assert population["population"].tolist() == [7000, 1200, 300]
    assert set(population["year"]) == {2024}
    with pytest.raises(InputFileError, match=r"population\.csv.*no 'year' column"):
        load_population(path)


def test_csv_with_years_latest_and_all(tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        "unit_code,year,population,unit_name\n0038200,2023,7100,Madona\n0038200,2024,7000,Madona\n"
        "0038410,2024,1200,Aronas pagasts\n",
    )
    latest = load_population(path)
    assert latest["year"].tolist() == [2024, 2024] and latest["population"].sum() == 8200
    every = load_population(path, "all")
    assert len(every) == 3 and get_report(every)["notes"]["total_by_year"] == {
        2023: 7100,
        2024: 8200,
    }


def test_cp1257_and_bom_csv_read_the_same(tmp_path: Path) -> None:
    text = "unit_code, population, unit_name\n0038410, 1200, Ārona pagasts\n0038591, 300, Murmastienes pagasts\n"
    baltic = load_population(_csv(tmp_path, text, "cp1257", "a.csv"), 2024)
    bom = load_population(_csv(tmp_path, text, "utf-8-sig", "b.csv"), 2024)
    pd.testing.assert_frame_equal(baltic, bom)
    assert baltic["unit_name"].tolist() == ["Ārona pagasts", "Murmastienes pagasts"]
    assert "cp1257" in get_report(baltic)["notes"]["encoding"]
    assert "encoding" not in get_report(bom)["notes"]


def test_bad_values_rejected_with_line_and_field(tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        "unit_code,population\n0038200,7000\n0038410,n/a\n0038591,-5\n0038601,12.5\nABC,10\n0038200,99\n0038231,\n",
    )
    population = load_population(path, 2024)
    assert population["unit_code"].tolist() == ["0038200"] and population[
        "population"
    ].tolist() == [7000]
    report = get_report(population)
    assert report["read"] == 7 and report["loaded"] == 1
    got = [(r["row"], r["field"], r["reason"]) for r in report["rejected_rows"]]
    assert got == [
        (3, "population", "not a number: 'n/a'"),
        (4, "population", "negative population: '-5'"),
        (5, "population", "not a whole number: '12.5'"),
        (6, "unit_code", "not a 7-digit ATVK code: 'ABC'"),
        (8, "population", "missing population"),
        (7, "unit_code", "duplicate unit code 0038200 for 2024"),
    ]


def test_missing_column_empty_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(MissingColumnError, match=r"nocode\.csv.*'unit_code'") as info:
        load_population(_csv(tmp_path, "code,population\n0038200,7\n", name="nocode.csv"), 2024)
    assert info.value.field == "unit_code"
    with pytest.raises(InputFileError, match=r"empty\.csv: file is empty"):
        load_population(_csv(tmp_path, "", name="empty.csv"), 2024)
    with pytest.raises(InputFileError, match=r"blank\.csv: file is empty"):
        load_population(_csv(tmp_path, "\n  \n", name="blank.csv"), 2024)
    with pytest.raises(InputFileError, match=r"absent\.csv: file not found"):
        load_population(tmp_path / "absent.csv")


def test_atvk_header_accepted_in_csv(tmp_path: Path) -> None:
    population = load_population(_csv(tmp_path, "ATVK;population\n0038200;7000\n"), 2024)
    assert population["unit_code"].tolist() == ["0038200"]


def test_units_comparison_both_ways(tmp_path: Path) -> None:
    units = gpd.GeoDataFrame(
        {"unit_code": ["0038200", "0038410"]},
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)],
        crs="EPSG:3059",
    )
    path = _csv(tmp_path, "unit_code,population\n0038200,7000\n0038591,300\n")
    notes = get_report(load_population(path, 2024, units=units))["notes"]
    assert notes["missing_in_table"] == ["0038410"] and notes["missing_in_units"] == ["0038591"]


# ---------------------------------------------------------------- workbook layout


def _workbook(tmp_path: Path, cells: dict[tuple[int, int], object] | None = None) -> Path:
    """A small workbook laid out like the RAIM export: unit sheet, municipality sheet, footer."""
    book = openpyxl.Workbook()
    first = book.active
    first.title = "(Pašvaldības) Iedzīvotāju skait"
    first.append(["Reģions", "Pašvaldība", "ATVK", 2023, 2024])
    first.append(["Vidzemes", "Madonas novads", "0038000", 1, 1])
    sheet = book.create_sheet("Iedzīvotāju skaits (skaits, PML")
    sheet.append(["Reģions", "Pašvaldība", "Teritoriālais iedalījums", "ATVK", 2023, 2024])
    sheet.append(["Vidzemes", "Madonas novads", "Madona", "0038200", 7100, 7000])
    sheet.append(["Vidzemes", "Madonas novads", "Aronas pagasts", "0038410", 1250, 1200])
    sheet.append([])
    sheet.append(["Nosaukums", "Iedzīvotāju skaits (skaits, PMLP)"])
    sheet.append(["Mērvienība", "Vienības"])
    sheet.append(["Datu avots", "Ielase no XLSX faila"])
    for (row, column), value in (cells or {}).items():
        sheet.cell(row=row, column=column, value=value)
    path = tmp_path / "raditaji.xlsx"
    book.save(path)
    return path


def test_workbook_sheet_by_prefix_and_footer(tmp_path: Path) -> None:
    population = load_population(_workbook(tmp_path))
    assert population["unit_code"].tolist() == ["0038200", "0038410"]
    assert population["population"].tolist() == [7000, 1200]
    assert population["unit_name"].tolist() == ["Madona", "Aronas pagasts"]
    notes = get_report(population)["notes"]
    assert notes["footer_rows_dropped"] == 3 and "unexpected_footer_rows" not in notes


def test_workbook_bad_cell_names_excel_row_and_year(tmp_path: Path) -> None:
    path = _workbook(tmp_path, {(3, 6): "x", (2, 5): -1})
    latest = load_population(path)
    assert latest["unit_code"].tolist() == ["0038200"]
    assert [(r["row"], r["field"]) for r in get_report(latest)["rejected_rows"]] == [(3, "2024")]
    every = load_population(path, "all")
    assert len(every) == 2
    assert sorted((r["row"], r["field"]) for r in get_report(every)["rejected_rows"]) == [
        (2, "2023"),
        (3, "2024"),
    ]


def test_workbook_missing_atvk_header(tmp_path: Path) -> None:
    path = _workbook(tmp_path, {(1, 4): "Kods"})
    with pytest.raises(MissingColumnError, match=r"raditaji\.xlsx.*'ATVK'"):
        load_population(path)


def test_truncated_workbook(tmp_path: Path) -> None:
    path = _workbook(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(
        InputFileError, match=r"raditaji\.xlsx.*cannot be read as an Excel workbook"
    ):
        load_population(path)
