"""The dataset catalogue, the data folder and finding datasets by their official file names."""

from __future__ import annotations

import hashlib
import json
import tomllib
from pathlib import Path

import pytest

from accessibility._errors import DataNotFoundError
from accessibility.io import datasets

REPO = Path(__file__).resolve().parents[1]

#: Datasets present in the real data folder, and the file (or folder) each must resolve to.
REAL_FOUND = {
    "units": "Territorial_units_LV_1.2m_(2024.01.01.).shp",
    "municipalities": "Administrativas_teritorijas_2021.shp",
    "classifier": "ATVK2021_11012026_015924.csv",
    "population": "raditaju_atlase_aprobacija.xlsx",
    "stops": "gtfs_atd.csv",
    "library_counts": "Library.csv",
    "riga_gtfs": "rigas-satiksme-gtfs",
}
REAL_MISSING = ("libraries", "centres", "streets")


@pytest.fixture(autouse=True)
def empty_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep the user's download cache and data folder out of these tests."""
    cache = tmp_path / "cache"
    cache.mkdir()
    monkeypatch.setenv(datasets.CACHE_DIR_ENV, str(cache))
    monkeypatch.delenv("ACCESSIBILITY_DATA", raising=False)
    return cache


def _touch(path: Path, text: str = "x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_catalogue_covers_every_contract_key() -> None:
    entries = datasets.catalogue()
    assert set(entries) == {
        "units",
        "municipalities",
        "classifier",
        "population",
        "stops",
        "library_counts",
        "riga_gtfs",
        "libraries",
        "centres",
        "streets",
    }
    for entry in entries.values():
        assert entry.page.startswith("https://"), entry.key
        assert entry.files and entry.publisher and entry.title
        assert entry.download is None or entry.download.startswith("https://")
        for digest in entry.sha256.values():
            assert len(digest) == 64 and int(digest, 16) >= 0


def test_catalogue_is_the_file_under_data() -> None:
    text = (REPO / "data" / "catalogue.json").read_text(encoding="utf-8")
    assert datasets._catalogue_text() == text
    assert json.loads(text)["datasets"][0]["key"] == "units"


def test_every_subpackage_is_packaged() -> None:
    """pyproject lists packages explicitly (the catalogue is mapped in from data/)."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
        "setuptools"
    ]
    listed = set(config["packages"])
    on_disk = {
        ".".join(p.parent.relative_to(REPO).parts)
        for p in (REPO / "accessibility").rglob("__init__.py")
    }
    missing = on_disk - listed
    assert not missing, f"add {sorted(missing)} to [tool.setuptools] packages in pyproject.toml"
    assert config["package-dir"]["accessibility.data"] == "data"


@pytest.mark.realdata
def test_real_folder_finds_every_present_dataset(real_data: Path) -> None:
    for key, name in REAL_FOUND.items():
        assert datasets.find_dataset(key, real_data).name == name, key


@pytest.mark.realdata
def test_real_units_choose_the_newest_edition(real_data: Path) -> None:
    match = datasets.locate_dataset("units", real_data)
    assert [p.name for p in match.candidates] == [
        "Territorial_units_LV_1.2m_(2024.01.01.).shp",
        "Territorial_units_LV_1.2m_(2022.07.01.).shp",
        "Territorial_units_LV_1.2m_(2021.01.01.).shp",
    ]
    assert match.reason == "newest edition of 3"


@pytest.mark.realdata
@pytest.mark.parametrize("key", REAL_MISSING)
def test_real_folder_missing_datasets_say_where_to_get_them(real_data: Path, key: str) -> None:
    entry = datasets.get_dataset(key)
    with pytest.raises(DataNotFoundError) as caught:
        datasets.find_dataset(key, real_data)
    message = str(caught.value)
    assert repr(key) in message
    assert entry.files[0] in message
    assert entry.page in message
    assert str(real_data) in message


@pytest.mark.realdata
def test_available_datasets_on_the_real_folder(real_data: Path) -> None:
    table = datasets.available_datasets(real_data).set_index("key")
    assert set(table.index[table["found"]]) == set(REAL_FOUND)
    assert set(table.index[~table["found"]]) == set(REAL_MISSING)
    # Known checksums are verified, not just listed.
    for key in ("units", "municipalities", "classifier", "population", "stops", "library_counts"):
        assert table.at[key, "checksum"] == "match", key
    assert table.at["streets", "message"].startswith("dataset 'streets'")


@pytest.mark.realdata
def test_stop_table_checksum_is_the_documented_one(real_data: Path) -> None:
    path = datasets.find_dataset("stops", real_data)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert digest.startswith("71eeff3c")
    assert datasets.get_dataset("stops").sha256["gtfs_atd.csv"] == digest


def test_newest_dated_edition_wins_anywhere_in_the_tree(tmp_path: Path) -> None:
    _touch(tmp_path / "a" / "Territorial_units_LV_1.2m_(2021.01.01.).shp")
    _touch(tmp_path / "b" / "deep" / "Territorial_units_LV_1.2m_(2024.01.01.).zip")
    _touch(tmp_path / "c" / "Territorial_units_LV_1.2m_(2024.01.01.).shp")
    _touch(tmp_path / "d" / "Territorial_units_LV_1.2m_(synthetic).shp")
    match = datasets.locate_dataset("units", tmp_path)
    assert match.path == tmp_path / "c" / "Territorial_units_LV_1.2m_(2024.01.01.).shp"
    assert [p.parent.name for p in match.candidates] == ["c", "deep", "a", "d"]


def test_classifier_exports_rank_by_date_in_the_name(tmp_path: Path) -> None:
    _touch(tmp_path / "ATVK2021_31122025_235959.csv")
    _touch(tmp_path / "ATVK2021_11012026_015924.csv")
    _touch(tmp_path / "ATVK2021_01022024_120000.csv")
    assert datasets.find_dataset("classifier", tmp_path).name == "ATVK2021_11012026_015924.csv"


def test_names_match_case_insensitively_and_hidden_folders_are_skipped(tmp_path: Path) -> None:
    _touch(tmp_path / ".git" / "Administrativas_teritorijas_2021.shp")
    _touch(tmp_path / "dl" / "administrativas_teritorijas_2021.ZIP")
    assert (
        datasets.find_dataset("municipalities", tmp_path)
        == tmp_path / "dl" / "administrativas_teritorijas_2021.ZIP"
    )


def test_preferred_file_name_wins(tmp_path: Path) -> None:
    _touch(tmp_path / "x" / "gtfs_atd.csv")
    _touch(tmp_path / "y" / "gtfs-latvia-lv.zip")
    match = datasets.locate_dataset("stops", tmp_path)
    assert match.path.name == "gtfs-latvia-lv.zip"
    assert match.reason == "preferred file name of 2"


def test_gtfs_folder_is_returned_as_a_folder(tmp_path: Path) -> None:
    _touch(tmp_path / "Rigas_Satiksme_2025" / "stops.txt")
    _touch(tmp_path / "other" / "stops.txt")
    assert datasets.find_dataset("riga_gtfs", tmp_path) == tmp_path / "Rigas_Satiksme_2025"


def test_download_cache_is_searched_after_the_data_folder(
    tmp_path: Path, empty_cache: Path
) -> None:
    _touch(empty_cache / "streets" / "latvia-latest.osm.pbf")
    assert datasets.find_dataset("streets") == empty_cache / "streets" / "latvia-latest.osm.pbf"
    data = tmp_path / "data"
    _touch(data / "streets.gpkg")
    assert datasets.find_dataset("streets", data) == data / "streets.gpkg"


def test_missing_without_a_data_folder_says_how_to_set_one() -> None:
    with pytest.raises(DataNotFoundError, match="no data folder is set.*--data-dir"):
        datasets.find_dataset("libraries")


def test_resolve_data_dir_argument_then_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert datasets.resolve_data_dir() is None
    env_dir = tmp_path / "env"
    env_dir.mkdir()
    monkeypatch.setenv("ACCESSIBILITY_DATA", str(env_dir))
    assert datasets.resolve_data_dir() == env_dir.resolve()
    assert datasets.resolve_data_dir(tmp_path) == tmp_path.resolve()
    with pytest.raises(DataNotFoundError, match="does not exist"):
        datasets.resolve_data_dir(tmp_path / "nowhere")
    monkeypatch.setenv("ACCESSIBILITY_DATA", str(tmp_path / "gone"))
    with pytest.raises(DataNotFoundError, match="ACCESSIBILITY_DATA="):
        datasets.resolve_data_dir()


def test_unknown_key_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match="unknown dataset 'roads'.*units"):
        datasets.find_dataset("roads")


def test_available_datasets_rejects_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(DataNotFoundError):
        datasets.available_datasets(tmp_path / "nowhere")
