"""Bad runs: killed mid-way, rerun into an old folder, run without population or with nothing
to count. The output folder holds one complete run, and an empty share says "not computed"."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd
import pytest

from accessibility._errors import OutputFolderError, PartialDataError
from accessibility.demo import region as synthetic
from accessibility.run import _atomic, _outputs, pipeline
from accessibility.run.study import Study


@pytest.fixture(scope="module")
def region(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    paths = synthetic.write_region(tmp_path_factory.mktemp("region"))
    return {key: str(path) for key, path in paths.items() if key in pipeline.LAYER_KEYS}


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def _leftovers(out: Path) -> list[Path]:
    return [p for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.")] + [
        p for p in out.rglob(".*") if p.is_file()
    ]


def test_a_run_killed_during_maps_leaves_the_previous_run_untouched(
    region: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    pipeline.run(Study(inputs=region), out, progress=False, parts=("tables",))
    before = _tree(out)

    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(_outputs, "write_maps", killed)
    with pytest.raises(KeyboardInterrupt):
        pipeline.run(Study(inputs=region, planner="none"), out, progress=False)
    assert _tree(out) == before
    assert _leftovers(out) == []


def test_a_rerun_replaces_the_whole_previous_run(region: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "out"
    pipeline.run(Study(inputs=region), out, progress=False, parts=("tables",))
    assert (out / "tables" / "plan.csv").is_file()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    pipeline.run(Study(inputs=region, planner="none"), out, progress=False, parts=("tables",))
    # No stale plan file of the first run survives; the user's own file does.
    assert not list(out.rglob("plan*"))
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert _leftovers(out) == []


def test_stale_temporary_folders_and_files_are_cleaned_at_start(
    region: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    pipeline.run(Study(inputs=region), out, progress=False, parts=("tables",))
    dead = 2**22 + 12345  # above the default pid_max: no such process
    assert not _atomic._pid_alive(dead)
    stale = tmp_path / f".out.run-{dead}-abc123"
    (stale / "tables").mkdir(parents=True)
    (out / ".manifest.json.x1y2z3.json").write_text("{", encoding="utf-8")
    live = tmp_path / f".out.run-{os.getpid()}-keepme"
    live.mkdir()
    pipeline.run(Study(inputs=region), out, progress=False, parts=("tables",))
    assert not stale.exists() and not (out / ".manifest.json.x1y2z3.json").exists()
    assert live.exists()  # a running process's folder is not touched


def test_a_folder_of_someone_elses_files_is_not_overwritten(
    region: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    (out / "tables").mkdir(parents=True)
    (out / "tables" / "budget.csv").write_text("1,2\n", encoding="utf-8")
    with pytest.raises(OutputFolderError, match="not a finished run"):
        pipeline.run(Study(inputs=region), out, progress=False, parts=("tables",))
    assert (out / "tables" / "budget.csv").read_text(encoding="utf-8") == "1,2\n"


def test_map_html_is_the_same_bytes_in_two_runs(region: dict[str, str], tmp_path: Path) -> None:
    first = pipeline.run(
        Study(inputs=region),
        tmp_path / "a",
        progress=False,
        parts=("maps",),
        municipality_sheets=False,
    )
    second = pipeline.run(
        Study(inputs=region),
        tmp_path / "b",
        progress=False,
        parts=("maps",),
        municipality_sheets=False,
    )
    page = first.files["interactive_map"].read_bytes()
    assert page == second.files["interactive_map"].read_bytes()
    # Every element id is a number from the map's tree, none a random uuid.
    assert re.search(rb"map_\d{32}", page)
    assert not re.search(rb"_(?![0-9]{32})[0-9a-f]{32}(?![0-9a-zA-Z])", page)


def test_report_and_map_run_without_the_population(
    region: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No data folder either: a population found there would be another region's.
    monkeypatch.delenv("ACCESSIBILITY_DATA", raising=False)
    inputs = {k: v for k, v in region.items() if k != "population"}
    result = pipeline.run(
        Study(inputs=inputs), tmp_path / "out", progress=False, municipality_sheets=False
    )
    report = result.files["report_md"].read_text(encoding="utf-8")
    assert "population" in report and "What could not be computed" in report
    assert (tmp_path / "out" / "map.html").is_file()


def test_a_pattern_that_makes_no_stop_intercity_stops_the_run(
    region: dict[str, str], tmp_path: Path
) -> None:
    with pytest.raises(
        PartialDataError, match=r"none of the .* stops is served by a route matching"
    ):
        pipeline.run(
            Study(inputs=region, intercity_pattern="9\\d{5}"),
            tmp_path / "out",
            progress=False,
            parts=("tables",),
        )
    assert not (tmp_path / "out").exists()


def test_every_stop_at_0_0_is_an_error_then_not_computed(
    region: dict[str, str], tmp_path: Path
) -> None:
    import geopandas as gpd

    stops_path = Path(region["stops"])
    broken = tmp_path / stops_path.name
    if stops_path.suffix != ".csv":  # pragma: no cover - the synthetic region writes the ATD table
        pytest.skip(f"synthetic stops are {stops_path.suffix}")
    table = pd.read_csv(stops_path, dtype=str, keep_default_na=False)
    table["x"] = "0"
    table["y"] = "0"
    table.to_csv(broken, index=False)
    inputs = {**region, "stops": str(broken)}
    with pytest.raises(
        PartialDataError, match=r"stops: .* of .* \(100\.0%\) stops .* were rejected"
    ):
        pipeline.run(Study(inputs=inputs), tmp_path / "out", progress=False, parts=("tables",))
    result = pipeline.run(
        Study(inputs=inputs),
        tmp_path / "out",
        progress=False,
        parts=("tables", "report"),
        allow_partial=True,
    )
    headline = _outputs.headline_lines(result)
    assert headline[0].startswith("PARTIAL RUN: stops:")
    assert not any("0.0%" in line and "0 of 0" in line for line in headline)
    assert not isinstance(result.inputs.layers["stops"], gpd.GeoDataFrame) or not len(
        result.inputs.layers["stops"]
    )


def test_empty_site_check_says_not_computed() -> None:
    import geopandas as gpd

    from accessibility.run.inputs import Inputs
    from accessibility.run.result import RunResult

    empty = gpd.GeoDataFrame(
        {"distance": [], "meets_rule": [], "method": []}, geometry=[], crs="EPSG:3059"
    )
    result = RunResult(inputs=Inputs(), study=Study(), site_checks={"libraries": empty})
    (line,) = _outputs.headline_lines(result)
    assert "not computed" in line and "0 of 0" not in line
