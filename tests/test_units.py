"""Territorial units, municipalities and the ATVK classifier: real files and broken inputs."""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Polygon, box

from accessibility import (
    CRSError,
    InputFileError,
    MissingColumnError,
    get_report,
    load_classifier,
    load_municipalities,
    load_units,
)
from accessibility.io.units import MUNICIPALITY_CODES_2021, normalise_code

UNITS_2024 = "csb_territorial_units_2024_01_01"
UNITS_2022 = "csb_territorial_units_2022_07_01"
SHP_2024 = "Territorial_units_LV_1.2m_(2024.01.01.).shp"
VARAM = "varam_administrativas_teritorijas_2021"
CLASSIFIER = "csb_atvk2021_classifier/ATVK2021_11012026_015924.csv"


# ---------------------------------------------------------------- synthetic layers


def _csb_frame(crs: str | None = "EPSG:3059") -> gpd.GeoDataFrame:
    """Four 1 km squares near Madona with CSB fields: a state city, a town and two parishes."""
    x0, y0 = 640_000.0, 280_000.0
    return gpd.GeoDataFrame(
        {
            "L1_code": ["LV0001000", "LV0038200", "LV0038410", "LV0055400"],
            "L1_name": ["Rīga", "Madona", "Aronas pagasts", "Murmastienes pagasts"],
            "L1_type": [1, 6, 7, 7],
            "L0_code": ["LV0001000", "LV0038000", "LV0038000", "LV0055000"],
            "L0_name": ["Rīga", "Madonas novads", "Madonas novads", "Varakļānu novads"],
        },
        geometry=[box(x0 + 1000 * i, y0, x0 + 1000 * (i + 1), y0 + 1000) for i in range(4)],
        crs=crs,
    )


def _write_shp(gdf: gpd.GeoDataFrame, folder: Path, name: str = "units") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.shp"
    gdf.to_file(path, engine="pyogrio")
    return path


# ---------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def units_2024(real_data: Path) -> gpd.GeoDataFrame:
    return load_units(real_data / UNITS_2024)


@pytest.fixture(scope="module")
def classifier(real_data: Path) -> pd.DataFrame:
    return load_classifier(real_data / CLASSIFIER)


@pytest.mark.realdata
def test_real_2024_units_counts_kinds_and_municipalities(units_2024: gpd.GeoDataFrame) -> None:
    units = units_2024
    assert len(units) == 592
    assert units["unit_kind"].value_counts().to_dict() == {
        "parish": 511,
        "town": 71,
        "state_city": 10,
    }
    assert units["municipality_code"].nunique() == 43
    assert list(units.columns) == [
        "unit_code",
        "unit_name",
        "unit_kind",
        "municipality_code",
        "municipality_name",
        "own_municipality",
        "geometry",
    ]
    assert units.crs.to_epsg() == 3059
    assert units["unit_code"].is_monotonic_increasing and units["unit_code"].is_unique
    assert units["unit_code"].str.fullmatch(r"\d{7}").all()
    assert units.geometry.is_valid.all()
    # PROVENANCE: total area 64 579 km².
    assert units.geometry.area.sum() / 1e6 == pytest.approx(64_579, abs=1)
    report = get_report(units)
    assert report["read"] == 592 and report["rejected"] == 0
    assert report["notes"]["by_kind"] == {"state_city": 10, "town": 71, "parish": 511}
    assert report["notes"]["state_cities_in_novads"] == 3
    # The law's ten state cities: seven are their own municipality, three lie in a novads
    # (CSB types those three as towns, L1_type 6).
    cities = units[units["unit_kind"] == "state_city"].set_index("unit_code")
    assert sorted(cities.index[~cities["own_municipality"]]) == ["0031010", "0040010", "0054010"]
    assert set(cities.loc[~cities["own_municipality"], "unit_name"]) == {
        "Jēkabpils",
        "Ogre",
        "Valmiera",
    }
    assert sorted(cities.index[cities["own_municipality"]]) == [f"000{i}000" for i in range(1, 8)]
    assert not units.loc[units["unit_kind"] != "state_city", "own_municipality"].any()
    assert (cities.loc["0040010", "municipality_code"]) == "0040000"
    riga = units.set_index("unit_code").loc["0001000"]
    assert (riga["unit_name"], riga["unit_kind"], riga["municipality_code"]) == (
        "Rīga",
        "state_city",
        "0001000",
    )


@pytest.mark.realdata
def test_real_2022_edition_matches_2024(real_data: Path, units_2024: gpd.GeoDataFrame) -> None:
    units = load_units(real_data / UNITS_2022)
    assert len(units) == 592
    assert units["unit_kind"].value_counts().to_dict() == {
        "parish": 511,
        "town": 71,
        "state_city": 10,
    }
    assert units["municipality_code"].nunique() == 43
    pd.testing.assert_frame_equal(
        units.drop(columns="geometry").reset_index(drop=True),
        units_2024.drop(columns="geometry").reset_index(drop=True),
    )


@pytest.mark.realdata
def test_real_official_zip_and_shp_path(
    real_data: Path, tmp_path: Path, units_2024: gpd.GeoDataFrame
) -> None:
    folder = real_data / UNITS_2024
    archive = tmp_path / "Territorial_units_LV_1.2m_(2024.01.01.).zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for part in sorted(folder.glob("Territorial_units_LV_1.2m_*")):
            zf.write(part, arcname=part.name)
    from_zip = load_units(archive)
    from_shp = load_units(folder / SHP_2024)
    for other in (from_zip, from_shp):
        assert len(other) == 592
        assert other["unit_code"].tolist() == units_2024["unit_code"].tolist()
        assert other.geometry.geom_equals(units_2024.geometry).all()


@pytest.mark.realdata
def test_real_classifier(classifier: pd.DataFrame) -> None:
    assert len(classifier) == 627
    assert classifier["level"].value_counts().to_dict() == {2: 585, 1: 42}
    # The BOM must not stick to the first column name.
    assert classifier.columns[0] == "code"
    assert classifier["code"].str.fullmatch(r"\d{7}").all()
    madona = classifier.set_index("code").loc["0038001"]
    assert (madona["name"], madona["code_before"], madona["level"]) == (
        "Madonas novads",
        "0038000",
        1,
    )


@pytest.mark.realdata
def test_real_classifier_check_without_recoding(real_data: Path, classifier: pd.DataFrame) -> None:
    units = load_units(real_data / UNITS_2024, classifier=classifier)
    assert "unit_code_before" not in units.columns
    assert sorted(get_report(units)["notes"]["not_in_classifier"]) == [
        "0055200",
        "0055400",
        "0055410",
    ]


@pytest.mark.realdata
def test_real_recoding_varaklani(real_data: Path, classifier: pd.DataFrame) -> None:
    # The classifier may be given as a path or as the loaded table: same result.
    by_path = load_units(real_data / UNITS_2024, classifier=real_data / CLASSIFIER, recode=True)
    units = load_units(real_data / UNITS_2024, classifier=classifier, recode=True)
    pd.testing.assert_frame_equal(units.drop(columns="geometry"), by_path.drop(columns="geometry"))
    changed = units[units["unit_code"] != units["unit_code_before"]].set_index("unit_code_before")
    assert changed["unit_code"].to_dict() == {
        "0055200": "0038231",
        "0055400": "0038591",
        "0055410": "0038601",
    }
    assert set(changed["municipality_code"]) == {"0038001"}
    assert set(changed["municipality_name"]) == {"Madonas novads"}
    # All other Madona units follow their municipality's new code.
    madona = units[units["unit_code"].str[:4] == "0038"]
    assert len(madona) == 25 and set(madona["municipality_code"]) == {"0038001"}
    assert units["municipality_code"].nunique() == 42
    assert units["unit_code"].is_unique and len(units) == 592
    notes = get_report(units)["notes"]
    assert len(notes["recoded_units"]) == 3 and notes["not_in_classifier"] == []
    assert notes["recoded_municipalities"] == [
        {"before": "0038000", "after": "0038001"},
        {"before": "0055000", "after": "0038001"},
    ]
    # Every unit code is now in force.
    assert set(units["unit_code"]) <= set(classifier["code"])


@pytest.mark.realdata
def test_real_varam_municipalities(
    real_data: Path, units_2024: gpd.GeoDataFrame, classifier: pd.DataFrame
) -> None:
    munis = load_municipalities(real_data / VARAM)
    assert len(munis) == 43
    assert munis["municipality_kind"].value_counts().to_dict() == {"novads": 36, "state_city": 7}
    assert set(munis["municipality_code"]) == set(units_2024["municipality_code"])
    assert munis.crs.to_epsg() == 3059
    assert munis.geometry.area.sum() / 1e6 == pytest.approx(64_570, abs=1)
    assert get_report(munis)["notes"]["unmatched_names"] == []
    riga = munis.set_index("municipality_code").loc["0001000"]
    assert (riga["municipality_name"], riga["municipality_kind"]) == ("Rīgas pilsēta", "state_city")
    # Matching against the units themselves gives the same codes, row for row.
    via_units = load_municipalities(real_data / VARAM, units=units_2024)
    assert via_units["municipality_code"].tolist() == munis["municipality_code"].tolist()
    # The built-in table agrees with the CSB layer.
    pairs = units_2024[["municipality_name", "municipality_code"]].drop_duplicates()
    assert (
        dict(zip(pairs["municipality_name"], pairs["municipality_code"])) == MUNICIPALITY_CODES_2021
    )
    # Varakļānu novads is no longer in the classifier: code left missing and reported.
    via_classifier = load_municipalities(real_data / VARAM, classifier=classifier)
    assert get_report(via_classifier)["notes"]["unmatched_names"] == ["Varakļānu novads"]
    varaklani = via_classifier[via_classifier["municipality_name"] == "Varakļānu novads"]
    assert len(varaklani) == 1 and varaklani["municipality_code"].isna().all()
    assert via_classifier["municipality_code"].notna().sum() == 42


# ---------------------------------------------------------------- broken and unusual inputs


def test_synthetic_shapefile_loads_and_maps_kinds(tmp_path: Path) -> None:
    units = load_units(_write_shp(_csb_frame(), tmp_path))
    assert units["unit_code"].tolist() == ["0001000", "0038200", "0038410", "0055400"]
    assert units["unit_kind"].tolist() == ["state_city", "town", "parish", "parish"]
    assert units["municipality_code"].tolist() == ["0001000", "0038000", "0038000", "0055000"]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="nothere.shp: file not found"):
        load_units(tmp_path / "nothere.shp")


def test_folder_without_layer(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="holds no vector layer"):
        load_units(tmp_path)


def test_truncated_zip(tmp_path: Path) -> None:
    shp = _write_shp(_csb_frame(), tmp_path / "parts")
    archive = tmp_path / "units.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for part in shp.parent.iterdir():
            zf.write(part, arcname=part.name)
    data = archive.read_bytes()
    archive.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputFileError, match=r"units\.zip.*truncated or corrupt"):
        load_units(archive)


def test_empty_shapefile(tmp_path: Path) -> None:
    empty = tmp_path / "empty.shp"
    empty.write_bytes(b"")
    with pytest.raises(InputFileError, match="empty.shp"):
        load_units(empty)


def test_layer_without_features(tmp_path: Path) -> None:
    path = tmp_path / "none.gpkg"
    _csb_frame().iloc[:0].to_file(path)
    with pytest.raises(InputFileError, match="none.gpkg: holds no features"):
        load_units(path)


def test_missing_required_field(tmp_path: Path) -> None:
    path = _write_shp(_csb_frame().drop(columns="L1_code"), tmp_path)
    with pytest.raises(MissingColumnError, match="L1_code") as info:
        load_units(path)
    assert info.value.field == "L1_code" and "units.shp" in str(info.value)


def test_missing_prj_is_a_crs_error_naming_the_file(tmp_path: Path) -> None:
    path = _write_shp(_csb_frame(), tmp_path)
    path.with_suffix(".prj").unlink()
    with pytest.raises(CRSError, match=r"units\.shp.*no coordinate reference system"):
        load_units(path)


def test_wgs84_layer_is_transformed(tmp_path: Path) -> None:
    original = _csb_frame()
    path = tmp_path / "lonlat.geojson"
    original.to_crs("EPSG:4326").to_file(path, driver="GeoJSON")
    units = load_units(path)
    assert units.crs.to_epsg() == 3059
    # 1 km² squares come back as 1 km² (to well under 0.1 %), at the same place.
    assert units.geometry.area.to_numpy() == pytest.approx([1e6] * 4, rel=1e-4)
    assert units.geometry.centroid.distance(original.geometry.centroid, align=False).max() < 0.5


def test_duplicate_unit_codes_name_the_rows(tmp_path: Path) -> None:
    frame = _csb_frame()
    frame.loc[3, "L1_code"] = "LV0038410"
    with pytest.raises(
        InputFileError, match=r"units\.shp, row 3, field 'L1_code'.*0038410 \(row 4\)"
    ):
        load_units(_write_shp(frame, tmp_path))


def test_bad_code_and_unknown_type_are_rejected_with_reasons(tmp_path: Path) -> None:
    frame = _csb_frame()
    frame.loc[1, "L1_code"] = "LV38200X"
    frame.loc[2, "L1_type"] = 9
    units = load_units(_write_shp(frame, tmp_path))
    assert units["unit_code"].tolist() == ["0001000", "0055400"]
    report = get_report(units)
    assert report["read"] == 4 and report["loaded"] == 2
    rows = {(r["row"], r["field"]) for r in report["rejected_rows"]}
    assert rows == {(2, "L1_code"), (3, "L1_type")}
    reasons = " ".join(r["reason"] for r in report["rejected_rows"])
    assert "not a 7-digit ATVK code: 'LV38200X'" in reasons and "unknown unit type 9" in reasons


def test_codes_without_prefix_or_leading_zeros() -> None:
    assert normalise_code("LV0038200") == "0038200"
    assert normalise_code(38200) == "0038200"
    assert normalise_code(" 0038200 ") == "0038200"
    assert normalise_code(None) is None


def test_invalid_geometry_is_repaired_and_noted(tmp_path: Path) -> None:
    frame = _csb_frame()
    x0, y0 = 640_000.0, 290_000.0
    bowtie = Polygon([(x0, y0), (x0 + 1000, y0 + 1000), (x0 + 1000, y0), (x0, y0 + 1000)])
    frame.loc[2, "geometry"] = bowtie
    assert not bowtie.is_valid
    units = load_units(_write_shp(frame, tmp_path))
    assert len(units) == 4 and units.geometry.is_valid.all()
    repaired = units.set_index("unit_code").geometry.loc["0038410"]
    assert repaired.area == pytest.approx(500_000)
    assert get_report(units)["notes"]["geometry_repaired"] == {"count": 1, "ids": ["0038410"]}


def test_schema_columns_geopackage(tmp_path: Path) -> None:
    frame = load_units(_write_shp(_csb_frame(), tmp_path))
    path = tmp_path / "ours.gpkg"
    frame.to_file(path)
    again = load_units(path)
    pd.testing.assert_frame_equal(again.drop(columns="geometry"), frame.drop(columns="geometry"))


def _small_classifier(tmp_path: Path, encoding: str = "utf-8-sig") -> Path:
    text = (
        "Kods,Nosaukums,Spēkā no,Spēkā līdz,Veiktās izmaiņas,Kods pirms izmaiņām,Kods pēc izmaiņām,Līmenis\n"
        "0001000,Rīga,01.07.2021,,,,,1\n"
        "0038001,Madonas novads,30.06.2024,,pievieno,0038000,,1\n"
        "0038200,Madona,01.07.2021,,,,,2\n"
        "0038410,Aronas pagasts,01.07.2021,,,,,2\n"
        "0038591,Murmastienes pagasts,30.06.2024,,pievieno,0055400,,2\n"
    )
    path = tmp_path / f"ATVK2021_{encoding}.csv"
    path.write_bytes(text.encode(encoding))
    return path


def test_recoding_synthetic(tmp_path: Path) -> None:
    units = load_units(
        _write_shp(_csb_frame(), tmp_path), classifier=_small_classifier(tmp_path), recode=True
    )
    assert units["unit_code"].tolist() == ["0001000", "0038200", "0038410", "0038591"]
    assert units["unit_code_before"].tolist() == ["0001000", "0038200", "0038410", "0055400"]
    assert units["municipality_code"].tolist() == ["0001000", "0038001", "0038001", "0038001"]


def test_recode_needs_classifier(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="classifier"):
        load_units(_write_shp(_csb_frame(), tmp_path), recode=True)


def test_classifier_cp1257_equals_utf8(tmp_path: Path) -> None:
    utf8 = load_classifier(_small_classifier(tmp_path))
    baltic = load_classifier(_small_classifier(tmp_path, "cp1257"))
    pd.testing.assert_frame_equal(utf8, baltic, check_like=True)
    assert utf8.columns[0] == "code" and "Madonas novads" in set(baltic["name"])
    assert "cp1257" in get_report(baltic)["notes"]["encoding"]
    assert "encoding" not in get_report(utf8)["notes"]


def test_classifier_bad_rows_rejected(tmp_path: Path) -> None:
    path = tmp_path / "ATVK.csv"
    path.write_text(
        "Kods,Nosaukums,Kods pirms izmaiņām,Līmenis\n0001000,Rīga,,1\n12AB,Bad,,2\n0038200,Madona,,3\n",
        encoding="utf-8",
    )
    table = load_classifier(path)
    assert table["code"].tolist() == ["0001000"]
    rejected = get_report(table)["rejected_rows"]
    assert [(r["row"], r["field"]) for r in rejected] == [(3, "Kods"), (4, "Līmenis")]


def test_classifier_missing_column_and_empty(tmp_path: Path) -> None:
    path = tmp_path / "ATVK.csv"
    path.write_text("Kods,Nosaukums\n0001000,Rīga\n", encoding="utf-8")
    with pytest.raises(MissingColumnError, match=r"ATVK\.csv.*Kods pirms izmaiņām"):
        load_classifier(path)
    path.write_bytes(b"")
    with pytest.raises(InputFileError, match=r"ATVK\.csv: file is empty"):
        load_classifier(path)


def _varam_frame() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "VEIDS": ["valstspilsēta", "novads", "novads"],
            "NOSAUKUMS": ["Rīgas pilsēta", "Madonas novads", "Nezināmais novads"],
            "LABEL": ["Rīga", "Madonas nov.", "Nezināmais nov."],
        },
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)],
        crs="EPSG:3059",
    )


def test_municipalities_unmatched_name_kept_without_code(tmp_path: Path) -> None:
    munis = load_municipalities(
        _write_shp(_varam_frame(), tmp_path, "Administrativas_teritorijas_2021")
    )
    assert munis["municipality_code"].tolist()[:2] == ["0001000", "0038000"]
    assert munis["municipality_code"].isna().tolist() == [False, False, True]
    assert munis["municipality_kind"].tolist() == ["state_city", "novads", "novads"]
    assert get_report(munis)["notes"]["unmatched_names"] == ["Nezināmais novads"]


def test_municipalities_unknown_kind_and_missing_field(tmp_path: Path) -> None:
    frame = _varam_frame()
    frame.loc[1, "VEIDS"] = "apriņķis"
    munis = load_municipalities(_write_shp(frame, tmp_path / "a"))
    assert len(munis) == 2
    assert [(r["row"], r["field"]) for r in get_report(munis)["rejected_rows"]] == [(2, "VEIDS")]
    with pytest.raises(MissingColumnError, match="NOSAUKUMS"):
        load_municipalities(_write_shp(frame.drop(columns="NOSAUKUMS"), tmp_path / "b"))


def test_municipalities_schema_geopackage(tmp_path: Path) -> None:
    munis = load_municipalities(_write_shp(_varam_frame().iloc[:2], tmp_path))
    path = tmp_path / "munis.gpkg"
    munis.to_file(path)
    again = load_municipalities(path)
    assert again["municipality_code"].tolist() == ["0001000", "0038000"]
    assert again["municipality_kind"].tolist() == ["state_city", "novads"]
