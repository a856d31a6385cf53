"""Copies of the real datasets, made in a test's tmp_path, for the bad-input tests to damage.

Nothing here writes outside tmp_path and nothing is kept in the repository: each test copies
the files it needs from the real data folder (``real_data`` fixture) and corrupts the copy.
"""

from __future__ import annotations

import shutil
from pathlib import Path

UNITS_DIR = "csb_territorial_units_2024_01_01"
UNITS_STEM = "Territorial_units_LV_1.2m_(2024.01.01.)"
POPULATION = ("raim_pmlp_indicators_by_territorial_unit", "raditaju_atlase_aprobacija.xlsx")
STOPS = ("atd_regional_bus_stops", "gtfs_atd.csv")
CLASSIFIER = ("csb_atvk2021_classifier", "ATVK2021_11012026_015924.csv")

#: Population of Latvia in 2024 in the RAIM workbook (PMLP register), over 592 units.
TOTAL_2024 = 2_041_552


def copy_units(real_data: Path, dest: Path, stem: str = UNITS_STEM) -> Path:
    """Copy the 2024 units shapefile (all sidecars) into ``dest``; return the ``.shp``."""
    dest.mkdir(parents=True, exist_ok=True)
    for source in (real_data / UNITS_DIR).glob(UNITS_STEM + ".*"):
        shutil.copy(source, dest / (stem + source.suffix))
    return dest / f"{stem}.shp"


def copy_file(real_data: Path, dest: Path, parts: tuple[str, str]) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    target = dest / parts[1]
    shutil.copy(real_data / parts[0] / parts[1], target)
    return target


def data_folder(
    real_data: Path, dest: Path, *, population: bool = True, stops: bool = True
) -> Path:
    """A data folder with the units, the classifier and (optionally) population and stops."""
    copy_units(real_data, dest / "units")
    copy_file(real_data, dest / "classifier", CLASSIFIER)
    if population:
        copy_file(real_data, dest / "population", POPULATION)
    if stops:
        copy_file(real_data, dest / "stops", STOPS)
    return dest
