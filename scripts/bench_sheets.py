"""Time the 43 municipality sheets of this checkout against another checkout, in one run.

Both checkouts draw the sheets of the same finished national report (its
``tables/plan/units.parquet``, ``tables/plan.parquet`` and the stops of
``accessibility.gpkg``), each in a child process, like for like (same formats and dpi) and
as the report draws them now (PNG at 300 dpi plus SVG). CPU time (the child and its worker
processes) and wall time are printed with their ratios.

Usage::

    accessibility report --data-dir ../shared/data --out report-output
    git worktree add ../wt-base <commit>
    python scripts/bench_sheets.py --report report-output --baseline ../wt-base
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]

_CHILD = r"""
import json, resource, sys, time
import geopandas as gpd
report, out, formats, dpi, workers = sys.argv[1:6]
try:
    from accessibility.outputs.sheets import write_municipality_sheets
    extra = {"workers": int(workers)}
except ImportError:  # a checkout before the parallel sheets
    from accessibility.outputs.plot import write_municipality_sheets
    extra = {}
units = gpd.read_parquet(f"{report}/tables/plan/units.parquet")
plan = gpd.read_parquet(f"{report}/tables/plan.parquet")
stops = gpd.read_file(f"{report}/accessibility.gpkg", layer="stops")
start, cpu0 = time.perf_counter(), time.process_time()
written = write_municipality_sheets(
    units, out, formats=tuple(formats.split(",")), dpi=int(dpi), stops=stops, proposed=plan,
    date="2026-01-01", **extra,
)
children = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = time.process_time() - cpu0 + children.ru_utime + children.ru_stime
print(json.dumps({"wall": time.perf_counter() - start, "cpu": cpu, "sheets": len(written)}))
"""


def _time(src: Path, report: Path, out: Path, formats: str, dpi: int, workers: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(src), "MPLBACKEND": "Agg"}
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(report), str(out), formats, str(dpi), str(workers)],
        env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", type=Path, required=True, help="a finished report folder")
    parser.add_argument("--baseline", type=Path, required=True, help="checkout to compare with")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-sheets-"))
    cases = [
        ("baseline png 200 dpi", args.baseline.resolve(), "png", 200, 1),
        ("this     png 200 dpi, serial", HERE, "png", 200, 1),
        ("this     png+svg 300 dpi, serial", HERE, "png,svg", 300, 1),
        ("this     png+svg 300 dpi, parallel", HERE, "png,svg", 300, 0),
    ]
    base = None
    for i, (label, src, formats, dpi, workers) in enumerate(cases):
        got = _time(src, args.report, tmp / str(i), formats, dpi, workers or os.cpu_count() or 1)
        base = base or got
        print(
            f"{label:<36} {got['sheets']} sheets  cpu {got['cpu']:6.1f} s ({got['cpu'] / base['cpu']:.2f})"
            f"  wall {got['wall']:6.1f} s ({got['wall'] / base['wall']:.2f})",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
