"""CSB's library counts per municipality and the completeness of a library file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from accessibility import InputFileError, get_report, load_stops, stop_rule
from accessibility.coverage._bounds import has_bounds
from accessibility.demo import region as synthetic
from accessibility.io.library_counts import library_completeness, load_library_counts

_HEAD = (
    '"Publiskās bibliotēkas valstspilsētās un novados - Rādītāji, Teritoriālā vienība un '
    'Laika periods"\n\n"Rādītāji","Teritoriālā vienība","2024"\n'
)


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "Library.csv"
    path.write_text(_HEAD + body, encoding="utf-8")
    return path


def test_counts_by_municipality_code_with_the_total_checked(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        '"Bibliotēku skaits","Latvija",12\n"Bibliotēku skaits","Rīga",5\n'
        '"Bibliotēku skaits","Saldus novads",7\n'
        '"Bibliotēku skaits","Madonas novads (no 01.07.2025.)",25\n',
    )
    counts = load_library_counts(path)
    assert counts[["municipality_code", "libraries"]].values.tolist() == [
        ["0001000", 5],
        ["0046000", 7],
    ]
    report = get_report(counts)
    assert report["rejected"] == 1 and report["rejected_rows"][0]["row"] == 7
    assert report["notes"]["total"] == 12


def test_a_bad_count_names_file_row_and_field(tmp_path: Path) -> None:
    body = '"Bibliotēku skaits","Rīga",5\n"Bibliotēku skaits","Saldus novads",x\n'
    path = _write(tmp_path, body)
    with pytest.raises(InputFileError, match=r"Library.csv.*row 5.*2024"):
        load_library_counts(path)


def test_a_total_that_is_not_the_sum_is_an_error(tmp_path: Path) -> None:
    path = _write(tmp_path, '"Bibliotēku skaits","Latvija",9\n"Bibliotēku skaits","Rīga",5\n')
    with pytest.raises(InputFileError, match="not the sum"):
        load_library_counts(path)


def test_completeness_counts_each_municipality_up_to_csb(tmp_path: Path) -> None:
    counts = pd.DataFrame(
        {"municipality_code": ["0001000", "0046000"], "libraries": [5, 7], "year": 2024}
    )
    # 7 in Rīga (2 more than CSB counts), 1 in Saldus, 1 in no municipality.
    libraries = pd.DataFrame({"municipality_code": ["0001000"] * 7 + ["0046000", None]})
    out = library_completeness(libraries, counts)
    assert (out["given"], out["covered"], out["csb_total"]) == (9, 6, 12)
    assert out["share"] == pytest.approx(0.5)
    assert out["municipalities_short"] == ["0046000"]
    assert out["municipalities_over"] == ["0001000"]
    assert out["outside"] == 1
    assert "matching 6 of CSB's 12 public libraries of 2024 (50.0%" in out["text"]


@pytest.mark.realdata
def test_real_library_counts_sum_to_712(real_data: Path) -> None:
    counts = load_library_counts(real_data / "csb-public-libraries-count-2024" / "Library.csv")
    assert len(counts) == 43 and int(counts["libraries"].sum()) == 712
    assert counts.set_index("municipality_code").loc["0001000", "libraries"] == 28


def test_full_gtfs_feed_has_no_cut_lists_and_no_bounds(tmp_path: Path) -> None:
    files = synthetic.write_region(tmp_path)
    stops = load_stops(files["stops"].parent / "gtfs-latvia-lv.zip")
    assert not stops["routes_truncated"].any()
    assert set(stops["intercity_evidence"]) <= {"listed", "complete_none"}
    assert not has_bounds(stops)
    notes = get_report(stops)["notes"]
    assert notes["intercity_stops_range"][0] == notes["intercity_stops_range"][1]
    layers = synthetic.load_region(tmp_path)
    checked = stop_rule(layers["libraries"], stops)
    assert "meets_rule_low" not in checked.columns


def test_report_table_of_libraries_against_csb_per_municipality(real_data: Path) -> None:
    """The report's per-municipality table counts the layer's libraries where they lie."""
    import geopandas as gpd
    from shapely.geometry import Point

    from accessibility import find_dataset, load_units
    from accessibility.run._headline import libraries_against_csb
    from accessibility.run.inputs import Inputs
    from accessibility.run.result import RunResult

    units = load_units(find_dataset("units", real_data))
    counts = load_library_counts(find_dataset("library_counts", real_data))
    # Two libraries in Rīga, one in Ventspils (inside each city, by its representative point).
    riga = units[units["municipality_name"] == "Rīga"].geometry.union_all().representative_point()
    ventspils = units[units["municipality_name"] == "Ventspils"].geometry.union_all()
    points = [riga, Point(riga.x + 50, riga.y), ventspils.representative_point()]
    libraries = gpd.GeoDataFrame(
        {"site_id": ["a", "b", "c"], "name": ["A", "B", "C"], "kind": "library"},
        geometry=points,
        crs=units.crs,
    )
    layers = {"units": units, "library_counts": counts, "libraries": libraries}
    table = libraries_against_csb(RunResult(inputs=Inputs(layers=layers)))
    assert table is not None and len(table) == len(counts) == 43
    found = table.set_index("municipality_name")["libraries_in_layer"]
    assert found["Rīga"] == 2 and found["Ventspils"] == 1 and found.sum() == 3
    assert int(table["csb_libraries"].sum()) == 712
    rows = table.set_index("municipality_name")
    assert rows.loc["Rīga", "share_of_csb"] == round(2 / rows.loc["Rīga", "csb_libraries"], 3)
    # Without CSB's count there is no table.
    del layers["library_counts"]
    assert libraries_against_csb(RunResult(inputs=Inputs(layers=layers))) is None
