"""Tests of the atomic writers: no half-written files, byte-identical reruns, list columns."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import Point

from accessibility.io.write import (
    atomic_path,
    write_csv,
    write_geoparquet,
    write_gpkg_layers,
    write_json,
)


def _layer() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"name": ["Ā", "B"], "routes": [["7001", "5490"], []], "n": [1, 2]},
        geometry=[Point(500000, 300000), Point(500100, 300100)],
        crs="EPSG:3059",
    )


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_failed_write_leaves_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "table.csv"
    target.write_text("old\n", encoding="utf-8")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half", encoding="utf-8")
        raise RuntimeError("crash while writing")
    assert target.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["table.csv"]


def test_gpkg_and_parquet_reruns_are_byte_identical(tmp_path: Path) -> None:
    first = write_gpkg_layers(tmp_path / "a.gpkg", {"sites": _layer()})
    second = write_gpkg_layers(tmp_path / "b.gpkg", {"sites": _layer()})
    assert _digest(first) == _digest(second)
    # The GDAL options of the write are put back as they were.
    assert pyogrio.get_gdal_config_option("OGR_SQLITE_SYNCHRONOUS") is None
    assert pyogrio.get_gdal_config_option("OGR_CURRENT_DATE") is None
    back = gpd.read_file(first, layer="sites")
    assert back["routes"].tolist() == ["7001;5490", ""]
    assert back.crs.to_epsg() == 3059
    p1 = write_geoparquet(tmp_path / "a.parquet", _layer().drop(columns="routes"))
    p2 = write_geoparquet(tmp_path / "b.parquet", _layer().drop(columns="routes"))
    assert _digest(p1) == _digest(p2)


def test_csv_writes_wkt_and_joins_lists(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "t.csv", _layer())
    table = pd.read_csv(path)
    assert table["routes"].fillna("").tolist() == ["7001;5490", ""]
    assert table["geometry"].iloc[0] == "POINT (500000 300000)"


def test_json_is_sorted_and_keeps_diacritics(tmp_path: Path) -> None:
    import numpy as np

    path = write_json(tmp_path / "s.json", {"b": np.int64(3), "a": "Rēzekne"})
    text = path.read_text(encoding="utf-8")
    assert text.index('"a"') < text.index('"b"')
    assert json.loads(text) == {"a": "Rēzekne", "b": 3}
