"""Try the bad inputs of the bad-input test suite and count the outcomes.

Each case copies the real data (``--data-dir``) into a temporary folder, damages the copy the
way a real file gets damaged, runs the toolkit's public API on it and classifies what happened:

- ``clear error``: one of the toolkit's errors (``AccessibilityError``), one line;
- ``rejected``: the bad rows were counted as rejected and the rest is right;
- ``correct``: the right figures despite the damage;
- ``silently wrong``: no error, wrong figures or a wrong file state;
- ``traceback``: another exception (a raw traceback for the user), or an error where the run
  should have worked (``traceback/misleading``);
- ``hang/oom/network``: an unasked network call, or no cap on time or memory.

It uses only functions present before and after the bad-input work, so the same script gives
the counts of both (run it with ``PYTHONPATH`` pointing at the older checkout for "before")::

    python scripts/survey_bad_input.py --data-dir ../shared/data
"""

from __future__ import annotations

import argparse
import collections
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")

UNITS = ("csb_territorial_units_2024_01_01", "Territorial_units_LV_1.2m_(2024.01.01.)")
POPULATION = ("raim_pmlp_indicators_by_territorial_unit", "raditaju_atlase_aprobacija.xlsx")
CLASSIFIER = ("csb_atvk2021_classifier", "ATVK2021_11012026_015924.csv")
SHEET = "Iedzīvotāju skaits (skaits, PML"
TOTAL_2024 = 2_041_552


class Outcome(Exception):
    """Raised by a case to report its outcome."""


def ok(kind: str = "correct") -> None:
    raise Outcome(kind)


def wrong(why: str) -> None:
    raise Outcome(f"silently wrong: {why}")


def network() -> None:
    raise Outcome("hang/oom/network")


class Cases:
    def __init__(self, data: Path, tmp: Path) -> None:
        self.data, self.tmp = data, tmp

    # ------------------------------------------------------------------ helpers
    def folder(self, name: str, *, population: bool = False, stops: bool = False) -> Path:
        root = self.tmp / name
        (root / "units").mkdir(parents=True)
        for f in (self.data / UNITS[0]).glob(UNITS[1] + ".*"):
            shutil.copy(f, root / "units" / f.name)
        (root / "classifier").mkdir()
        shutil.copy(self.data / CLASSIFIER[0] / CLASSIFIER[1], root / "classifier")
        if population:
            (root / "population").mkdir()
            shutil.copy(self.data / POPULATION[0] / POPULATION[1], root / "population")
        if stops:
            (root / "stops").mkdir()
            shutil.copy(self.data / "atd_regional_bus_stops" / "gtfs_atd.csv", root / "stops")
        return root

    def shp(self, root: Path) -> Path:
        return root / "units" / f"{UNITS[1]}.shp"

    def plan(self, root: Path, **study: object) -> object:
        from accessibility.run import pipeline
        from accessibility.run.study import Study

        return pipeline.run(
            Study(data_dir=str(root), planner="none", **study),  # type: ignore[arg-type]
            self.tmp / f"{root.name}-out",
            progress=False,
            parts=("tables",),
        )

    def region(self) -> dict[str, str]:
        from accessibility.demo import region as synthetic

        if not hasattr(self, "_region"):
            paths = synthetic.write_region(self.tmp / "region")
            self._region = {k: str(p) for k, p in paths.items()}
        return self._region

    # ------------------------------------------------------------------ population
    def population_blank_row(self) -> None:
        import openpyxl

        from accessibility import load_population

        path = self.tmp / POPULATION[1]
        shutil.copy(self.data / POPULATION[0] / POPULATION[1], path)
        book = openpyxl.load_workbook(path)
        sheet = book[SHEET]
        lost = sheet.cell(300, sheet.max_column).value
        for cell in sheet[300]:
            cell.value = None
        book.save(path)
        total = int(load_population(path, 2024)["population"].sum())
        if total != TOTAL_2024 - lost:
            wrong(f"total {total:,} instead of {TOTAL_2024 - lost:,}")
        ok()

    def population_duplicate_year(self) -> None:
        import openpyxl

        from accessibility import load_population

        path = self.tmp / "dup" / POPULATION[1]
        path.parent.mkdir()
        shutil.copy(self.data / POPULATION[0] / POPULATION[1], path)
        book = openpyxl.load_workbook(path)
        sheet = book[SHEET]
        sheet.cell(1, sheet.max_column).value = sheet.cell(1, sheet.max_column - 1).value
        book.save(path)
        load_population(path, 2023)
        wrong("loaded")

    def population_corrupt_xml(self) -> None:
        from accessibility import load_population

        source = self.data / POPULATION[0] / POPULATION[1]
        broken = self.tmp / "corrupt.xlsx"
        with zipfile.ZipFile(source) as inside, zipfile.ZipFile(broken, "w") as out:
            for item in inside.infolist():
                data = inside.read(item.filename)
                if item.filename.startswith("xl/worksheets/sheet5"):
                    data = data[: len(data) // 3]
                out.writestr(item, data)
        load_population(broken, 2024)
        wrong("loaded")

    # ------------------------------------------------------------------ units
    def units_truncated_shp(self) -> None:
        root = self.folder("trunc")
        with open(self.shp(root), "r+b") as handle:
            handle.truncate(os.path.getsize(self.shp(root)) // 2)
        self.plan(root)
        wrong("a national run on part of the units, exit 0")

    def units_42_missing(self) -> None:
        import geopandas as gpd

        root = self.folder("short")
        units = gpd.read_file(self.shp(root))
        units.iloc[:550].to_file(self.shp(root))
        self.plan(root)
        wrong("550 of 592 units, no complaint")

    def units_moved_2000_km(self) -> None:
        import geopandas as gpd

        root = self.folder("moved")
        units = gpd.read_file(self.shp(root))
        units.geometry = units.geometry.translate(2_000_000, 0)
        units.to_file(self.shp(root))
        self.plan(root)
        wrong("units 2,000 km away accepted")

    def units_degrees_prj(self) -> None:
        from accessibility import load_units

        root = self.folder("prj")
        self.shp(root).with_suffix(".prj").write_text(
            'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],'
            'PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]]'
        )
        units = load_units(self.shp(root))
        wrong(f"{len(units)} units loaded under a wrong .prj")

    def units_dbf_cp1257(self) -> None:
        import geopandas as gpd

        from accessibility import load_units

        units = gpd.read_file(self.data / UNITS[0] / f"{UNITS[1]}.shp")
        shp = self.tmp / "cp1257" / f"{UNITS[1]}.shp"
        shp.parent.mkdir()
        units.to_file(shp, encoding="cp1257")
        shp.with_suffix(".cpg").write_text("UTF-8")
        load_units(shp)
        wrong("names decoded wrongly")

    def units_nan_vertices(self) -> None:
        from accessibility import load_units

        root = self.folder("nan")
        shp = self.shp(root)
        for record, value in ((3, float("nan")), (7, float("inf"))):
            shx = shp.with_suffix(".shx").read_bytes()
            offset = struct.unpack(">i", shx[100 + 8 * record : 104 + 8 * record])[0] * 2 + 8
            data = bytearray(shp.read_bytes())
            parts = struct.unpack("<i", data[offset + 36 : offset + 40])[0]
            at = offset + 44 + 4 * parts + 16
            data[at : at + 16] = struct.pack("<2d", value, value)
            shp.write_bytes(bytes(data))
        units = load_units(shp)
        rejected = units.attrs["load_report"]["rejected"]
        if len(units) == 590 and rejected == 2:
            ok("rejected")
        wrong(f"{len(units)} units, {rejected} rejected")

    def points_outside_latvia(self) -> None:
        root = self.folder("outside")
        (root / "libraries.csv").write_text(
            "id,name,lon,lat\n1,Rīga,24.1052,56.9496\n2,Panevėžys,24.3575,55.7348\n"
            "3,Tartu,26.7290,58.3780\n4,Gulf of Riga,23.6,57.6\n",
            encoding="utf-8",
        )
        from accessibility.run.inputs import load_inputs
        from accessibility.run.study import Study

        study = Study(data_dir=str(root))
        inputs = load_inputs(study)
        try:
            from accessibility.run._checks import check_inputs
        except ImportError:
            check_inputs = None
        if check_inputs is not None:
            check_inputs(inputs, study, allow_partial=True)
        names = inputs.layers["libraries"]["name"].tolist()
        if names == ["Rīga"]:
            ok("rejected")
        wrong(f"kept {names}")

    # ------------------------------------------------------------------ study files
    def _study(self, body: str, bom: bool = False) -> object:
        from accessibility.run.study import read_study

        path = self.tmp / f"study{len(list(self.tmp.glob('study*')))}.toml"
        path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + body.encode())
        return read_study(path)

    def study_misspelt_input(self) -> None:
        self._study('[study.inputs]\nlibrarys = "my.csv"\n')
        wrong("ignored")

    def study_unknown_input(self) -> None:
        self._study('[study.inputs]\nbogus_layer = "x.csv"\n')
        wrong("ignored")

    def study_misspelt_key(self) -> None:
        self._study("[study]\nstop_distanse = 700\n")
        wrong("ignored")

    def study_stray_table(self) -> None:
        self._study("[study]\nname = 'x'\n[studyy]\nstop_distance = 100\n")
        wrong("ignored")

    def study_regex_typo(self) -> None:
        self._study('[study]\nintercity_pattern = "7\\\\d{3"\n')
        wrong("a literal '{3' pattern: no stop intercity")

    def study_regex_matches_empty(self) -> None:
        self._study('[study]\nintercity_pattern = "7*"\n')
        wrong("every stop intercity")

    def study_nan_distance(self) -> None:
        self._study("[study]\nstop_distance = nan\n")
        wrong("NaN accepted")

    def study_grid_5m(self) -> None:
        self._study("[study]\ngrid_resolution = 5\n")
        wrong("5 m accepted")

    def study_inf_snap(self) -> None:
        self._study("[study]\nmax_snap = inf\n")
        wrong("inf accepted")

    def study_bom(self) -> None:
        from accessibility._errors import AccessibilityError

        try:
            study = self._study('[study]\nname = "Latvija"\n', bom=True)
        except AccessibilityError as exc:
            raise Outcome(f"traceback/misleading: {exc}") from exc
        if getattr(study, "name", None) == "Latvija":
            ok()
        wrong("name lost")

    # ------------------------------------------------------------------ discovery
    def two_libraries_files(self) -> None:
        from accessibility.io.datasets import find_dataset

        root = self.tmp / "two"
        for sub in ("old", "new"):
            (root / sub).mkdir(parents=True)
            (root / sub / "libraries.csv").write_text("id,name,lon,lat\n")
        found = find_dataset("libraries", root)
        wrong(f"{found.parent.name}/libraries.csv chosen silently")

    # ------------------------------------------------------------------ runs
    def every_stop_at_0_0(self) -> None:
        import pandas as pd

        from accessibility.run import pipeline
        from accessibility.run._outputs import headline_lines
        from accessibility.run.study import Study

        region = self.region()
        table = pd.read_csv(region["stops"], dtype=str, keep_default_na=False)
        table["x"] = table["y"] = "0"
        broken = self.tmp / "zero" / Path(region["stops"]).name
        broken.parent.mkdir()
        table.to_csv(broken, index=False)
        inputs = {k: v for k, v in region.items() if k in pipeline.LAYER_KEYS}
        result = pipeline.run(
            Study(inputs={**inputs, "stops": str(broken)}),
            self.tmp / "zero-out",
            progress=False,
            parts=("tables",),
        )
        lines = headline_lines(result)
        if any("0 of 0" in line for line in lines):
            wrong("0.0 % (0 of 0)")
        wrong("a run with no stop, exit 0")

    def no_intercity_stop(self) -> None:
        from accessibility.run import pipeline
        from accessibility.run.study import Study

        inputs = {k: v for k, v in self.region().items() if k in pipeline.LAYER_KEYS}
        pipeline.run(
            Study(inputs=inputs, intercity_pattern="9\\d{5}"),
            self.tmp / "noic",
            progress=False,
            parts=("tables",),
        )
        wrong("0.0 % intercity")

    def no_population(self) -> None:
        from accessibility.run import pipeline
        from accessibility.run.study import Study

        inputs = {
            k: v for k, v in self.region().items() if k in pipeline.LAYER_KEYS and k != "population"
        }
        from accessibility._errors import AccessibilityError

        try:
            pipeline.run(
                Study(inputs=inputs), self.tmp / "nopop", progress=False, municipality_sheets=False
            )
        except AccessibilityError as exc:
            # The README says report and map run without the population: an error is misleading.
            raise Outcome(f"traceback/misleading: {exc}") from exc
        ok()

    def killed_during_maps(self) -> None:
        from accessibility.run import _outputs, pipeline
        from accessibility.run.study import Study

        inputs = {k: v for k, v in self.region().items() if k in pipeline.LAYER_KEYS}
        out = self.tmp / "killed"
        pipeline.run(Study(inputs=inputs), out, progress=False, parts=("tables",))
        before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
        original = _outputs.write_maps

        def killed(*args: object, **kwargs: object) -> None:
            raise KeyboardInterrupt

        _outputs.write_maps = killed
        try:
            pipeline.run(Study(inputs=inputs, planner="none"), out, progress=False)
        except KeyboardInterrupt:
            pass
        finally:
            _outputs.write_maps = original
        after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
        leftovers = [p for p in out.parent.iterdir() if p.name.startswith(".killed.")]
        if after != before or leftovers:
            wrong("a mix of two runs, or leftovers")
        ok()

    def rerun_planner_none(self) -> None:
        from accessibility.run import pipeline
        from accessibility.run.study import Study

        inputs = {k: v for k, v in self.region().items() if k in pipeline.LAYER_KEYS}
        out = self.tmp / "rerun"
        pipeline.run(Study(inputs=inputs), out, progress=False, parts=("tables",))
        pipeline.run(Study(inputs=inputs, planner="none"), out, progress=False, parts=("tables",))
        stale = list(out.rglob("plan*"))
        if stale:
            wrong(f"{len(stale)} stale plan files")
        ok()

    def map_html_reproducible(self) -> None:
        from accessibility.run import pipeline
        from accessibility.run.study import Study

        inputs = {k: v for k, v in self.region().items() if k in pipeline.LAYER_KEYS}
        pages = []
        for name in ("m1", "m2"):
            result = pipeline.run(
                Study(inputs=inputs),
                self.tmp / name,
                progress=False,
                parts=("maps",),
                municipality_sheets=False,
            )
            pages.append(result.files["interactive_map"].read_bytes())
        if pages[0] != pages[1]:
            wrong("map.html differs between two identical runs")
        ok()

    def report_md_markup(self) -> None:
        from accessibility.outputs.report import Paragraph, Report, to_markdown

        text = to_markdown(Report("t").add(Paragraph("Centre *new* [x](y)")))
        if "*new*" in text.replace("\\*", ""):
            wrong("markup in a name is rendered")
        ok()

    # ------------------------------------------------------------------ network, resources
    def streets_polygons(self) -> None:
        import geopandas as gpd

        from accessibility.network import walk
        from accessibility.run.inputs import load_inputs
        from accessibility.run.study import Study

        region = self.region()
        streets = self.tmp / "streets.gpkg"
        gpd.read_file(region["units"])[["geometry"]].to_file(streets)

        def called(*args: object, **kwargs: object) -> None:
            network()

        walk._from_osmnx_area = called  # type: ignore[assignment]
        load_inputs(Study(inputs={"units": region["units"], "streets": str(streets)}))
        wrong("loaded")

    def streets_garbage_npz(self) -> None:
        from accessibility.run.inputs import load_inputs
        from accessibility.run.study import Study

        streets = self.tmp / "streets.npz"
        streets.write_bytes(b"PK\x03\x04 not really a numpy archive" * 10)
        load_inputs(Study(inputs={"units": self.region()["units"], "streets": str(streets)}))
        wrong("loaded")

    def streets_truncated(self) -> None:
        import geopandas as gpd

        from accessibility.run.inputs import load_inputs
        from accessibility.run.study import Study

        streets = self.tmp / "cut.gpkg"
        gpd.read_file(self.region()["streets"]).to_file(streets)
        data = streets.read_bytes()
        streets.write_bytes(data[: len(data) // 3])
        load_inputs(Study(inputs={"units": self.region()["units"], "streets": str(streets)}))
        wrong("loaded")

    def zip_bomb(self) -> None:
        from accessibility import load_stops

        bomb = self.tmp / "bomb" / "gtfs-latvia-lv.zip"
        bomb.parent.mkdir()
        with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("stops.txt", b"stop_id,stop_name,stop_lat,stop_lon\n")
            archive.writestr("stop_times.txt", b"\0" * (300 * 1024**2))  # 300 KiB packed
        from accessibility._errors import AccessibilityError

        try:
            load_stops(bomb)
        except AccessibilityError as exc:
            if "expands" in str(exc):
                raise Outcome("clear error") from exc
        # 300 MiB decompressed from 300 KiB without a limit: the 4 GiB case runs out of memory.
        network()

    def grid_too_fine(self) -> None:
        # In a child process with 3 GiB of address space, as a fine grid would exceed any limit.
        code = (
            "import resource,sys;resource.setrlimit(resource.RLIMIT_AS,(3*1024**3,3*1024**3));"
            "from accessibility.demo import region as r;"
            f"l=r.load_region(r'{Path(self.region()['units']).parent}');"
            "from accessibility.coverage.demand import population_points as p\n"
            "try:\n p(l['units'],l['population'],resolution=5)\n"
            "except MemoryError: sys.exit(9)\n"
            "except ValueError: sys.exit(3)\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", code], check=False, capture_output=True, timeout=600
        )
        if done.returncode == 3:
            raise Outcome("clear error")
        network()

    def mclp_negative_radius(self) -> None:
        import numpy as np

        from accessibility.planning import mclp

        result = mclp(np.array([[0.0, 500.0], [800.0, 100.0]]), 1, -1.0)
        wrong(f"covered {getattr(result, 'objective', '?')} with a negative radius")

    def mclp_nan_radius(self) -> None:
        import numpy as np

        from accessibility.planning import mclp

        mclp(np.array([[0.0, 500.0], [800.0, 100.0]]), 1, float("nan"))
        wrong("NaN radius accepted")

    def sparse_minus_inf(self) -> None:
        import numpy as np
        from scipy import sparse

        from accessibility.planning import mclp

        mclp(sparse.csr_array(np.array([[5.0, -np.inf], [300.0, 100.0]])), 1, 500.0)
        wrong("-inf dropped")


def classify(case: Callable[[], None]) -> str:
    from accessibility._errors import AccessibilityError

    try:
        case()
    except Outcome as outcome:
        return str(outcome)
    except AccessibilityError as exc:
        return "clear error" if "\n" not in str(exc).strip() else "traceback"
    except Exception as exc:  # noqa: BLE001 - any other exception is the outcome counted
        return f"traceback: {type(exc).__name__}"
    return "silently wrong: no outcome"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--only", nargs="*", default=None, help="case names to run")
    args = parser.parse_args()
    import warnings

    warnings.simplefilter("ignore")
    counts: collections.Counter[str] = collections.Counter()
    with tempfile.TemporaryDirectory() as tmp:
        cases = Cases(args.data_dir.resolve(), Path(tmp))
        names = [
            n
            for n in vars(Cases)
            if not n.startswith("_") and n not in ("folder", "shp", "plan", "region")
        ]
        for name in names:
            if args.only and name not in args.only:
                continue
            outcome = classify(getattr(cases, name))
            kind = outcome.split(":")[0]
            counts["traceback or misleading" if kind.startswith("traceback") else kind] += 1
            print(f"{name:28s} {outcome}", flush=True)
    print("\n" + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
