"""Bad input that costs time, memory or a network call: archives that expand to gigabytes,
grids too fine for memory, street files of areas, and broken planner arguments."""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from scipy import sparse

from accessibility import load_stops
from accessibility._errors import (
    AccessibilityError,
    InputFileError,
    NetworkError,
    ResourceLimitError,
)
from accessibility.coverage import demand
from accessibility.demo import region as synthetic
from accessibility.io import _tables
from accessibility.network import walk
from accessibility.planning import mclp, set_cover
from accessibility.run.inputs import load_inputs
from accessibility.run.study import Study

RIGA_GTFS = "rigas-satiksme-gtfs"


@pytest.fixture(scope="module")
def region(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return synthetic.write_region(tmp_path_factory.mktemp("region"))


def _feed(real_data: Path, path: Path, stop_times: bytes) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in ("agency.txt", "routes.txt", "trips.txt", "stops.txt", "calendar.txt"):
            archive.write(real_data / RIGA_GTFS / name, name)
        archive.writestr("stop_times.txt", stop_times)
    return path


@pytest.mark.realdata
def test_a_zip_that_expands_too_far_is_refused_before_reading(
    real_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The same rule as a 4 MB zip holding a 4 GiB stop_times.txt, at a test's scale.
    line = b"1,08:00:00,08:00:00,1473,1\n"
    feed = _feed(
        real_data,
        tmp_path / "gtfs-latvia-lv.zip",
        b"trip_id,arrival_time,departure_time,stop_id,stop_sequence\n" + line * 200_000,
    )
    monkeypatch.setattr(_tables, "MAX_UNCOMPRESSED_BYTES", 4 * 1024**2)
    with pytest.raises(
        ResourceLimitError, match=r"expands to 6\.0 MiB .*stop_times\.txt"
    ) as caught:
        load_stops(feed)
    assert str(feed) in str(caught.value)
    monkeypatch.setattr(_tables, "MAX_UNCOMPRESSED_BYTES", 2 * 1024**3)
    monkeypatch.setattr(_tables, "RATIO_FROM_BYTES", 1024**2)
    bomb = tmp_path / "bomb" / "gtfs-latvia-lv.zip"
    bomb.parent.mkdir()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("stops.txt", b"stop_id,stop_name,stop_lat,stop_lon\n")
        archive.writestr("stop_times.txt", b"\0" * (8 * 1024**2))
    with pytest.raises(ResourceLimitError, match=r"expands [\d,]+ times .* zip bomb"):
        load_stops(bomb)


def test_a_grid_too_fine_for_memory_is_refused_up_front(region: dict[str, Path]) -> None:
    layers = synthetic.load_region(region.get("units").parent)
    with pytest.raises(
        ResourceLimitError,
        match=r"10 m population grid would have [\d,]+ cells and need about \d+ GiB",
    ):
        demand.population_points(layers["units"], layers["population"], resolution=10)


def test_polygons_never_send_walk_network_online(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args, **kwargs):
        raise AssertionError("an unasked network call")

    monkeypatch.setattr(walk, "_from_osmnx_area", no_network)
    monkeypatch.setattr(walk, "_from_place", no_network)
    area = gpd.GeoSeries([shapely.box(500_000, 300_000, 501_000, 301_000)], crs="EPSG:3059")
    with pytest.raises(NetworkError, match="online=True"):
        walk.walk_network(area)
    with pytest.raises(NetworkError, match="online=True"):
        walk.walk_network("Cēsis")


def test_a_streets_file_of_polygons_is_an_error_in_a_run(
    region: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(walk, "_from_osmnx_area", lambda *a, **k: pytest.fail("network call"))
    units = gpd.read_file(region["units"])
    streets = tmp_path / "streets.gpkg"
    units[["geometry"]].to_file(streets)
    study = Study(inputs={"units": str(region["units"]), "streets": str(streets)})
    with pytest.raises(InputFileError, match=r"streets\.gpkg.*LineStrings.*Polygon"):
        load_inputs(study)


@pytest.mark.parametrize("damage", ["garbage_npz", "truncated_gpkg"])
def test_a_damaged_streets_file_is_one_line_naming_it(
    region: dict[str, Path], tmp_path: Path, damage: str
) -> None:
    if damage == "garbage_npz":
        streets = tmp_path / "streets.npz"
        streets.write_bytes(b"PK\x03\x04 not really a numpy archive" * 10)
    else:
        source = Path(region["streets"])
        lines = gpd.read_file(source)
        streets = tmp_path / "streets.gpkg"
        lines.to_file(streets)
        data = streets.read_bytes()
        streets.write_bytes(data[: len(data) // 3])
    study = Study(inputs={"units": str(region["units"]), "streets": str(streets)})
    with pytest.raises(AccessibilityError) as caught:
        load_inputs(study)
    assert str(streets) in str(caught.value)


@pytest.mark.parametrize("radius", [-1.0, float("nan"), float("inf")])
def test_mclp_refuses_a_broken_radius(radius: float) -> None:
    cost = np.array([[0.0, 500.0], [800.0, 100.0]])
    with pytest.raises(AccessibilityError, match="radius"):
        mclp(cost, 1, radius)


def test_a_sparse_minus_inf_cost_is_not_dropped_silently() -> None:
    cost = sparse.csr_array(np.array([[0.0, -np.inf], [300.0, 100.0]]))
    with pytest.raises(AccessibilityError, match=r"-inf at demand row 0, candidate 1"):
        set_cover(cost, 500.0)


def test_distance_matrix_too_large_for_memory_is_refused_up_front(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The pairs within the cutoff are counted first; a matrix that would not fit is refused."""
    import geopandas as gpd
    import numpy as np

    from accessibility import distance_matrix
    from accessibility.network import distance as distance_module

    rng = np.random.default_rng(3)
    xy = rng.uniform(0, 1_000, size=(300, 2)) + (500_000.0, 300_000.0)
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs="EPSG:3059")
    within = int((np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)) <= 200.0).sum())
    need = within * distance_module.BYTES_PER_PAIR
    # Just too little memory for the pairs within 200 m: refused, with the count and the size.
    monkeypatch.setattr(distance_module, "available_memory", lambda: 2 * need - 1)
    with pytest.raises(ResourceLimitError, match=f"{within:,} pairs"):
        distance_matrix(points, points, cutoff=200.0)
    # Just enough: computed, and it holds exactly the pairs counted.
    monkeypatch.setattr(distance_module, "available_memory", lambda: 2 * need)
    matrix = distance_matrix(points, points, cutoff=200.0)
    assert matrix.nnz == within
