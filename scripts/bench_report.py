"""Time the national report of this checkout against another checkout, in the same run.

Each checkout runs ``accessibility report`` on the same data in a child process; the CPU time
of the child and of its sheet workers (``RUSAGE_CHILDREN``) and the wall time are printed
with their ratios, and the CSV tables of the two runs are compared byte for byte (the
figures must not change when only the drawing does).

Usage::

    git worktree add ../wt-base <commit>
    python scripts/bench_report.py --data-dir ../shared/data --baseline ../wt-base

Run it on a quiet machine and prefer the CPU ratio: wall time depends on the other load.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]


def _run(src: Path, data_dir: Path, out: Path, extra: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one report run with the package from ``src``."""
    env = {**os.environ, "PYTHONPATH": str(src), "MPLBACKEND": "Agg"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "accessibility.cli", "report", "--data-dir", str(data_dir),
         "--out", str(out), "--quiet", *extra],
        env=env, check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _same_tables(a: Path, b: Path) -> tuple[int, list[str]]:
    names = sorted(p.relative_to(a).as_posix() for p in (a / "tables").rglob("*.csv"))
    differ = [n for n in names if not filecmp.cmp(a / n, b / n, shallow=False)]
    return len(names), differ


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--baseline", type=Path, required=True, help="checkout to compare with")
    parser.add_argument("--out", type=Path, default=None, help="keep the outputs here")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="bench-report-"))
    runs = {
        "baseline": (args.baseline.resolve(), []),
        "serial": (HERE, ["--workers", "1"]),
        "parallel": (HERE, []),
    }
    timed = {}
    for label, (src, extra) in runs.items():
        timed[label] = _run(src, args.data_dir, out / label, extra)
        print(
            f"{label:>9}: wall {timed[label][0]:6.1f} s  cpu {timed[label][1]:6.1f} s", flush=True
        )
    base_wall, base_cpu = timed["baseline"]
    for label in ("serial", "parallel"):
        wall, cpu = timed[label]
        print(f"{label:>9} / baseline: cpu {cpu / base_cpu:.2f}  wall {wall / base_wall:.2f}")
    count, differ = _same_tables(out / "baseline", out / "parallel")
    print(
        f"tables: {count - len(differ)} of {count} CSV files byte-identical"
        + (f"; differ: {', '.join(differ)}" if differ else "")
    )
    sheets = sorted((out / "serial" / "maps" / "municipalities").glob("*"))
    same = sum(
        filecmp.cmp(p, out / "parallel" / "maps" / "municipalities" / p.name, shallow=False)
        for p in sheets
    )
    print(f"sheets: {same} of {len(sheets)} files byte-identical between serial and parallel")
    return 0


if __name__ == "__main__":
    sys.exit(main())
