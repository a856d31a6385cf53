"""Bad input: the territorial units damaged, moved or mislabelled; checked against the
classifier and Latvia's outline rather than trusted."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import geopandas as gpd
import pytest
from _corrupt import UNITS_STEM, copy_units, data_folder

from accessibility import load_units
from accessibility._errors import CRSError, InputFileError, PartialDataError
from accessibility.cli import main
from accessibility.run._checks import check_inputs
from accessibility.run.inputs import load_inputs
from accessibility.run.study import Study

pytestmark = pytest.mark.realdata

WGS84_PRJ = (
    'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],'
    'PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]]'
)


def _truncate(path: Path, keep: float) -> None:
    with open(path, "r+b") as handle:
        handle.truncate(int(os.path.getsize(path) * keep))


def test_truncated_shp_stops_the_run_saying_what_was_lost(real_data: Path, tmp_path: Path) -> None:
    folder = data_folder(real_data, tmp_path / "data", population=False, stops=False)
    _truncate(folder / "units" / f"{UNITS_STEM}.shp", 0.5)
    study = Study(data_dir=str(folder))
    inputs = load_inputs(study)
    with pytest.raises(PartialDataError) as caught:
        check_inputs(inputs, study)
    message = str(caught.value)
    assert "318 of 592" in message and "missing or empty geometry" in message
    assert "--allow-partial" in message


def test_allow_partial_goes_on_and_says_so(real_data: Path, tmp_path: Path) -> None:
    folder = data_folder(real_data, tmp_path / "data", population=False, stops=False)
    _truncate(folder / "units" / f"{UNITS_STEM}.shp", 0.5)
    study = Study(data_dir=str(folder))
    inputs = load_inputs(study)
    lost = check_inputs(inputs, study, allow_partial=True)
    assert any("318 of 592" in line for line in lost)
    # The classifier says 592 units are in force: the missing ones are named as well.
    assert any("territorial units in force" in line for line in lost)


def test_units_missing_from_the_classifier_are_a_loss(real_data: Path, tmp_path: Path) -> None:
    folder = data_folder(real_data, tmp_path / "data", population=False, stops=False)
    shp = folder / "units" / f"{UNITS_STEM}.shp"
    units = gpd.read_file(shp)
    units.iloc[:550].to_file(shp)  # a clean file, just 42 units short
    study = Study(data_dir=str(folder))
    with pytest.raises(PartialDataError, match=r"42 of 592 .* territorial units in force"):
        check_inputs(load_inputs(study), study)


def test_units_moved_2000_km_are_refused(real_data: Path, tmp_path: Path) -> None:
    folder = data_folder(real_data, tmp_path / "data", population=False, stops=False)
    shp = folder / "units" / f"{UNITS_STEM}.shp"
    units = gpd.read_file(shp)
    units.geometry = units.geometry.translate(2_000_000, 0)
    units.to_file(shp)
    study = Study(data_dir=str(folder))
    with pytest.raises(CRSError, match=r"592 of 592 units lie outside Latvia .* 1,\d{3} km"):
        check_inputs(load_inputs(study), study)


def test_degrees_prj_over_metre_coordinates_is_one_line(real_data: Path, tmp_path: Path) -> None:
    shp = copy_units(real_data, tmp_path)
    shp.with_suffix(".prj").write_text(WGS84_PRJ, encoding="ascii")
    with pytest.raises(
        CRSError, match=r"declares a geographic CRS .* the \.prj is wrong"
    ) as caught:
        load_units(shp)
    assert str(shp) in str(caught.value)


def test_dbf_in_cp1257_under_a_utf8_cpg_names_the_file(real_data: Path, tmp_path: Path) -> None:
    units = gpd.read_file(copy_units(real_data, tmp_path / "src"))
    shp = tmp_path / "cp1257" / f"{UNITS_STEM}.shp"
    shp.parent.mkdir()
    units.to_file(shp, encoding="cp1257")
    shp.with_suffix(".cpg").write_text("UTF-8", encoding="ascii")
    with pytest.raises(InputFileError, match=r"not in the declared encoding") as caught:
        load_units(shp)
    assert str(shp) in str(caught.value)


def _patch_vertex(shp: Path, record: int, value: float) -> None:
    """Write ``value`` into the second vertex of a polygon record, in the .shp bytes themselves
    (GDAL refuses to write a non-finite coordinate, so a real file like this is hand-damaged)."""
    shx = shp.with_suffix(".shx").read_bytes()
    offset = struct.unpack(">i", shx[100 + 8 * record : 104 + 8 * record])[0] * 2
    data = bytearray(shp.read_bytes())
    content = offset + 8
    n_parts = struct.unpack("<i", data[content + 36 : content + 40])[0]
    second_point = content + 44 + 4 * n_parts + 16
    data[second_point : second_point + 16] = struct.pack("<2d", value, value)
    shp.write_bytes(bytes(data))


def test_nan_and_inf_vertices_are_rejected_by_row(real_data: Path, tmp_path: Path) -> None:
    shp = copy_units(real_data, tmp_path)
    _patch_vertex(shp, 3, float("nan"))
    _patch_vertex(shp, 7, float("inf"))
    loaded = load_units(shp)
    report = loaded.attrs["load_report"]
    assert len(loaded) == 590
    assert report["rejected"] == 2
    assert {r["field"] for r in report["rejected_rows"]} <= {"geometry", None}


def test_cli_turns_every_units_accident_into_one_line(
    real_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = data_folder(real_data, tmp_path / "data", population=False, stops=False)
    _truncate(folder / "units" / f"{UNITS_STEM}.shx", 0.3)
    _truncate(folder / "units" / f"{UNITS_STEM}.dbf", 0.3)
    code = main(["plan", "--data-dir", str(folder), "--out", str(tmp_path / "out"), "--quiet"])
    err = capsys.readouterr().err
    assert code in (1, 2)
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_points_in_lithuania_or_the_sea_are_rejected_and_counted(
    real_data: Path, tmp_path: Path
) -> None:
    folder = data_folder(real_data, tmp_path / "data", population=False, stops=False)
    libraries = folder / "libraries.csv"
    # Riga (inside), Panevėžys (Lithuania), Tartu (Estonia), the Gulf of Riga: all four lie in
    # Latvia's bounding box, only the first in Latvia.
    libraries.write_text(
        "id,name,lon,lat\n1,Rīga,24.1052,56.9496\n2,Panevėžys,24.3575,55.7348\n"
        "3,Tartu,26.7290,58.3780\n4,Gulf of Riga,23.6,57.6\n",
        encoding="utf-8",
    )
    study = Study(data_dir=str(folder))
    inputs = load_inputs(study)
    lost = check_inputs(inputs, study, allow_partial=True)
    kept = inputs.layers["libraries"]
    assert kept["name"].tolist() == ["Rīga"]
    report = kept.attrs["load_report"]
    assert (
        report["rejected_by_reason"]
        == {"outside Latvia (more than 2000 m outside the territorial units)": 3}
        or sum(report["rejected_by_reason"].values()) == 3
    )
    assert any("libraries" in line for line in lost)
