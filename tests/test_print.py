"""Print-ready outputs: tables for people, report.pdf, sheets in parallel, progress, reruns."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

from accessibility import cli
from accessibility.outputs import tables as people
from accessibility.outputs._borders import detailed_state_cities
from accessibility.outputs.pdf import write_pdf
from accessibility.outputs.report import Heading, Paragraph, Report, Table
from accessibility.outputs.sheets import write_municipality_sheets
from accessibility.run.result import Progress
from accessibility.run.study import Study, read_study, relative_to_file, study_to_toml


@pytest.fixture(autouse=True)
def _no_data_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ACCESSIBILITY_DATA", raising=False)


# ---------------------------------------------------------------- tables for people


def test_numbers_print_to_the_precision_the_data_supports() -> None:
    assert people.percent(0.952549824839142) == "95.3 %"  # not "1.0"
    assert people.percent(0.0004) == "< 0.1 %" and people.percent(0.9996) == "> 99.9 %"
    assert people.percent(1.0) == "100.0 %" and people.percent(0.0) == "0.0 %"
    assert people.percent(float("nan")) == people.MISSING
    assert people.whole(674510.0) == "674,510"  # not "674,510.0"
    assert people.whole(pd.NA) == people.MISSING
    assert people.whole(float("inf")) == "unreachable"


def _gaps() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "rank": [1, 2, 3, 4],
            "unit_code": ["0001000", "0039200", "0039200", "0039200"],
            "unit_name": ["Rīga", "Mārupe", "Mārupe", "Mārupe"],
            "unit_kind": ["state_city", "town", "town", "town"],
            "municipality_code": ["0001000", "0039000", "0039000", "0039000"],
            "gap": ["population beyond distance", "no centre", "no intercity stop in the unit",
                    "centre does not meet the stop rule"],
            "reason": ["96612 of 674510 people live farther than 10000 m", "no centre lies in the unit",
                       "14 stop(s) in the unit", "best centre (stop hub:16238) is 2790 m away"],
            "population_affected": pd.array([96612, 19197, 19197, 12000], dtype="Int64"),
            "unit_population": [674510, 19197, 19197, 19197],
        }
    )  # fmt: skip


def test_gap_list_has_one_row_per_unit_with_all_its_reasons() -> None:
    gaps = _gaps()
    table = people.gap_table(
        gaps, {"0001000": "Rīga", "0039000": "Mārupes novads"}, {"stop hub:16238": "Tīraine"}
    )
    assert len(table) == gaps["unit_code"].nunique() == 2
    assert list(table["Rank"]) == [1, 2]
    marupe = table.iloc[1]
    assert marupe["Unit"] == "Mārupe (0039200, town)"
    assert marupe["Municipality"] == "Mārupes novads (0039000)"
    # Every reason of the unit, none lost; ids named; whole numbers with separators.
    for gap in gaps.loc[gaps.unit_code == "0039200", "gap"]:
        assert gap in marupe["Gaps and their reasons"]
    assert "Tīraine (stop hub:16238)" in marupe["Gaps and their reasons"]
    assert "2,790 m" in marupe["Gaps and their reasons"]
    assert marupe["People affected"] == "19,197"  # the largest gap, not the sum
    assert "96,612 of 674,510 people" in table.iloc[0]["Gaps and their reasons"]
    assert not any("_" in c for c in table.columns)


def test_comparison_is_one_measure_a_row_with_shares_beside_counts() -> None:
    comparison = pd.DataFrame(
        {
            "scenario": ["existing", "plan"],
            "sites": [4.0, 23.0],
            "sites_meeting_rule": [3.0, 9.0],
            "share_meeting_rule": [0.75, 9 / 23],
            "population": [2041552.0, 2041552.0],
            "mean_distance_m": [4380.78, 3021.4],
            "population_beyond_700m": [1944680.0, 1000.0],
            "share_beyond_700m": [0.952549824839142, 1000 / 2041552],
            "population_unreached": [0.0, 0.0],
            "units_without_centre": [19, 0],
            "method": ["euclidean", "network"],
        }
    )
    table = people.comparison_table(comparison, 700)
    assert list(table.columns) == ["Measure", "Existing network", "Plan"]
    rows = dict(zip(table["Measure"], table["Existing network"], strict=True))
    assert rows["People farther than 700 m from a centre"] == "1,944,680 (95.3 %)"
    assert rows["Centres within 700 m of an intercity stop"] == "3 (75.0 %)"
    assert rows["Mean distance to the nearest centre"] == "4,380 m"
    assert rows["Distances measured as"] == "straight line"
    assert table.iloc[-1]["Plan"] == "walk along streets"


def test_plan_table_names_the_units_served() -> None:
    plan = pd.DataFrame(
        {
            "site_id": ["stop hub:11382"],
            "name": ["Rīgas SAO"],
            "kind": ["stop hub"],
            "units_served": ["0001000;0039200"],
            "stop_distance": [0.0],
            "meets_rule": [True],
            "population": [674510.0],
            "mean_distance": [7661.514],
            "reason": ["next best stop hub:16238 3584 m"],
        }
    )
    table = people.plan_table(
        plan, {"0001000": "Rīga", "0039200": "Mārupe"}, {"stop hub:16238": "Tīraine"}, 700
    )
    row = table.iloc[0]
    assert row["Units served"] == "Rīga (0001000); Mārupe (0039200)"
    assert row["Population served"] == "674,510" and row["Within 700 m"] == "yes"
    assert row["Mean distance to it"] == "7,660 m"
    assert "Tīraine (stop hub:16238)" in row["Why here"]


def test_site_namer_names_the_same_ids_as_a_search_of_every_id() -> None:
    """The ids kept for the pattern are those a plain search of every id would keep, less
    those that cannot match at an id boundary (which change nothing)."""
    import random

    rng = random.Random(3)
    pieces = [
        "stop",
        "hub",
        "lib",
        "population point",
        "0001000",
        "12",
        "1",
        ":",
        "-",
        " ",
        "(",
        "ā",
    ]
    ids = {"".join(rng.choice(pieces) for _ in range(rng.randint(1, 5))) for _ in range(400)}
    ids |= {
        "stop:1",
        "stop:12",
        "lib-1",
        "lib-12",
        "stop hub:16238",
        "population point:0001000:231",
    }
    names = {k: f"N{i}" for i, k in enumerate(sorted(ids))}
    texts = pd.Series(
        ["next stop:1:2 and lib-12, (stop hub:16238) x", "population point:0001000:231; stop:12-3"]
        + ["".join(rng.choice(pieces) for _ in range(12)) for _ in range(60)]
    )
    everything = "\n".join(texts)
    present = sorted((k for k in names if k and k in everything), key=len, reverse=True)
    pattern = re.compile(
        r"(?<![\w:-])(?:" + "|".join(re.escape(k) for k in present) + r")(?![\w-])"
    )

    def search_all(text: str) -> str:
        return pattern.sub(lambda m: f"{names[m.group(0)]} ({m.group(0)})", text)

    namer = people._site_namer(names, texts)
    assert [namer(t) for t in texts] == [search_all(t) for t in texts]
    assert namer(texts[0]).startswith(f"next {names['stop:1']} (stop:1):2 and {names['lib-12']}")


# ---------------------------------------------------------------- report.pdf


def test_report_pdf_is_a4_with_every_block(tmp_path: Path) -> None:
    long = pd.DataFrame(
        {"Measure": [f"row {i} " + "ā" * 40 for i in range(120)], "Value": range(120)}
    )
    report = Report("Pārskats").add(
        Heading("Tables"),
        Paragraph("Ģēģeri, Ķegums, Ūdri."),
        Table(long, max_rows=200, numeric=("Value",)),
    )
    path = write_pdf(report, tmp_path / "report.pdf")
    data = path.read_bytes()
    assert data.startswith(b"%PDF-")
    pages = re.findall(rb"/Type\s*/Page[^s]", data)
    assert len(pages) >= 3  # 120 rows do not fit one page: the table goes on
    assert re.search(rb"/MediaBox\s*\[\s*0\s+0\s+595\.\d+\s+841\.\d+", data)  # A4 in points
    assert b"DejaVu" in data  # the Latvian letters are in an embedded font


def test_report_pdf_table_rows_wrap_and_a_row_taller_than_a_page_goes_on(tmp_path: Path) -> None:
    from accessibility.outputs import pdf as report_pdf

    def measure(word: str) -> float:  # 1 mm a letter
        return float(len(word))

    lines = report_pdf._wrap("Ābeļu novads " * 20 + "x" * 300, 30.0, measure)
    assert all(width <= 30.0 and len(text) == width for text, width in lines)
    assert lines[0] == ("Ābeļu novads Ābeļu novads", 25.0)
    assert " ".join(text for text, _ in lines[:-8]).startswith("Ābeļu novads Ābeļu")
    assert "".join(text for text, _ in lines).count("x") == 300  # a long word broken, not cut
    tall = pd.DataFrame({"Unit": ["Rīga", "Ogre"], "Why": ["vārds " * 3000, "short"]})
    path = write_pdf(Report("Pārskats").add(Table(tall)), tmp_path / "tall.pdf")
    pages = re.findall(rb"/Type\s*/Page[^s]", path.read_bytes())
    assert len(pages) >= 2


# ---------------------------------------------------------------- sheets


def _two_municipalities() -> gpd.GeoDataFrame:
    rows = []
    for m, (code, name) in enumerate([("0100000", "Ābeļu novads"), ("0200000", "Zīgūru novads")]):
        for k in range(3):
            x = 600_000 + 30_000 * m + 10_000 * k
            rows.append(
                {
                    "unit_code": f"{code[:4]}{k + 1}00",
                    "unit_name": f"Vienība {m}{k}",
                    "unit_kind": "town" if k == 0 else "parish",
                    "municipality_code": code,
                    "municipality_name": name,
                    "status": "centre meets rule" if k else "no centre",
                    "geometry": box(x, 280_000, x + 10_000, 290_000),
                }
            )
    return gpd.GeoDataFrame(rows, crs="EPSG:3059")


def test_parallel_sheets_are_byte_identical_to_serial(tmp_path: Path) -> None:
    units = _two_municipalities()
    stops = gpd.GeoDataFrame(
        {"stop_id": ["1", "2"], "intercity": [True, False]},
        geometry=[Point(605_000, 285_000), Point(645_000, 285_000)],
        crs="EPSG:3059",
    )
    options = {"formats": ("png", "svg"), "dpi": 60, "stops": stops, "date": "2026-01-01"}
    serial = write_municipality_sheets(units, tmp_path / "serial", workers=1, **options)
    parallel = write_municipality_sheets(units, tmp_path / "parallel", workers=2, **options)
    assert list(serial) == list(parallel) == ["0100000", "0200000"]
    for code, paths in serial.items():
        assert [p.name for p in paths] == [p.name for p in parallel[code]]
        for a, b in zip(paths, parallel[code], strict=True):
            assert a.read_bytes() == b.read_bytes(), a.name


def test_state_cities_take_the_detailed_outline() -> None:
    units = _two_municipalities()
    units.loc[0, ["unit_code", "unit_kind"]] = ["0001000", "state_city"]
    detailed = box(600_000, 280_000, 610_000, 290_000).buffer(-50).buffer(40)
    municipalities = gpd.GeoDataFrame(
        {
            "municipality_code": ["0001000", "0100000"],
            "municipality_kind": ["state_city", "novads"],
        },
        geometry=[detailed, box(0, 0, 1, 1)],
        crs="EPSG:3059",
    )
    out, replaced = detailed_state_cities(units, municipalities)
    assert replaced == ["0001000"]
    assert out.geometry.iloc[0].equals(detailed)
    assert out.geometry.iloc[1:].equals(units.geometry.iloc[1:])  # the others untouched
    assert units.geometry.iloc[0].equals(box(600_000, 280_000, 610_000, 290_000))  # input kept


# ---------------------------------------------------------------- progress and commands


def test_progress_in_a_log_is_plain_lines() -> None:
    log = io.StringIO()
    steps = Progress(2, stream=log)
    with steps("loading"):
        pass
    with steps("drawing municipality sheets"):
        for done in range(1, 44):
            steps.item(done, 43, "sheets")
    text = log.getvalue()
    assert "\r" not in text
    lines = text.splitlines()
    counts = [line for line in lines if line.endswith(" sheets")]
    assert 5 <= len(counts) <= 12 and counts[-1].endswith("43/43 sheets")
    assert lines[-1].startswith("[2/2] drawing municipality sheets: done in")


def test_resolved_study_reruns_from_any_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "demo-output"
    (out / "region").mkdir(parents=True)
    (out / "region" / "stops.csv").write_text("x\n", encoding="utf-8")
    elsewhere = tmp_path / "data"
    elsewhere.mkdir()
    monkeypatch.chdir(tmp_path)  # the demo's own paths are relative to where it was run
    study = Study(inputs={"stops": "demo-output/region/stops.csv"}, data_dir=str(elsewhere))
    (out / "study.resolved.toml").write_text(
        study_to_toml(relative_to_file(study, out)), encoding="utf-8"
    )
    for cwd in (tmp_path, out, tmp_path.parent):
        monkeypatch.chdir(cwd)
        again = read_study(out / "study.resolved.toml" if cwd != out else "study.resolved.toml")
        assert Path(again.inputs["stops"]) == (out / "region" / "stops.csv").resolve()
        assert Path(again.data_dir or "") == elsewhere.resolve()


def test_options_are_accepted_after_the_subcommand(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["datasets", "--data-dir", str(tmp_path), "-v"]) == 0
    assert "[missing] units" in capsys.readouterr().out
    args = cli.build_parser().parse_args(["--data-dir", "a", "report", "--workers", "1"])
    assert args.data_dir == Path("a") and args.workers == 1 and args.verbose is False


def test_plan_announces_only_its_steps_and_demo_says_what_is_not_made(tmp_path: Path) -> None:
    env = {**os.environ, "MPLBACKEND": "Agg"}
    demo = subprocess.run(
        [sys.executable, "-m", "accessibility.cli", "demo", "--out", str(tmp_path / "d"), "--no-sheets"],
        capture_output=True, text=True, env=env, check=True,
    )  # fmt: skip
    assert "\r" not in demo.stderr
    config = tmp_path / "d" / "study.resolved.toml"
    plan = subprocess.run(
        [sys.executable, "-m", "accessibility.cli", "plan", "--config", str(config),
         "--out", str(tmp_path / "p")],
        capture_output=True, text=True, env=env, check=True, cwd=tmp_path.parent,
    )  # fmt: skip
    assert "drawing" not in plan.stderr and "writing tables" in plan.stderr
    assert not (tmp_path / "p" / "maps").exists()


def test_a_map_not_made_is_said_with_its_reason(tmp_path: Path) -> None:
    from accessibility.demo import region as synthetic
    from accessibility.run import pipeline

    files = synthetic.write_region(tmp_path / "region")
    inputs = {k: str(p) for k, p in files.items() if k in pipeline.LAYER_KEYS and k != "centres"}
    result = pipeline.run(
        Study(inputs=inputs), tmp_path / "out", progress=False, municipality_sheets=False,
        parts=("maps", "report"),
    )  # fmt: skip
    assert not (tmp_path / "out" / "maps" / "existing.png").exists()
    why = result.not_made["maps/existing.{png,svg,pdf}"]
    assert "no list of existing centres" in why
    assert why in (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    for suffix in ("png", "svg", "pdf"):
        assert (tmp_path / "out" / "maps" / f"plan.{suffix}").is_file()
    # The rule is on the map: distance, method and the intercity assumption.
    svg = (tmp_path / "out" / "maps" / "plan.svg").read_text(encoding="utf-8")
    assert "700 m" in svg and "walk along the street network" in svg and "intercity" in svg


def test_progress_on_a_terminal_is_a_bar_that_clears() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    steps = Progress(1, stream=screen)
    with steps("drawing municipality sheets"):
        for done in range(1, 44):
            steps.item(done, 43, "sheets")
    text = screen.getvalue()
    assert "|" in text and "0/43" in text  # tqdm's bar
    assert re.search(r"\[1/1\] drawing municipality sheets: done in \d+\.\d s\n$", text)
