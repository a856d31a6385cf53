"""Time the national report of this checkout against another checkout, in the same run.

Each checkout runs ``accessibility report`` on the same data in a child process, the two
alternately (baseline, this, baseline, this, ...) so that both see the same load. The wall
time, the CPU time of the child and of its worker processes (``RUSAGE_CHILDREN``) and the time
of each step (from the progress lines) are printed per run, then the medians and the ratios
this / baseline. Last, the outputs that must not change are compared byte for byte: every
table (``tables/**/*.csv``, ``*.parquet``), ``headline.json``, ``accessibility.gpkg`` and
``report.md`` (against a baseline of another version they may differ for good reasons).

Usage::

    git worktree add ../wt-base <commit>
    python scripts/bench_report.py --data-dir ../shared/data --baseline ../wt-base --repeat 3

Run it on a quiet machine: wall time depends on the other load, and the medians of a few
alternate runs are steadier than one run.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]

#: A finished step: ``[5/12] proposing a plan: done in 5.6 s`` (or ``... 5.6 s`` before).
_STEP = re.compile(
    r"\[\d+/\d+\] (?P<step>[^\n\]]+?)(?:: done in| \.\.\.) (?P<seconds>\d+(?:\.\d+)?) s$",
    re.MULTILINE,
)

#: Outputs that a change of speed must leave byte-identical.
_SAME = (
    "tables/**/*.csv",
    "tables/**/*.parquet",
    "headline.json",
    "accessibility.gpkg",
    "report.md",
)


def _env(src: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(src), "MPLBACKEND": "Agg"}


def _check_package(src: Path, cwd: Path) -> None:
    """Stop unless a child started as the runs are imports the package of ``src``."""
    done = subprocess.run(
        [sys.executable, "-c", "import accessibility; print(accessibility.__file__)"],
        env=_env(src), cwd=cwd, check=True, capture_output=True, text=True,
    )  # fmt: skip
    found = Path(done.stdout.strip()).resolve()
    if not found.is_relative_to(src.resolve()):
        raise SystemExit(f"a run for {src} would import {found}")


def _run(src: Path, data_dir: Path, out: Path, extra: list[str]) -> dict:
    """Wall and CPU seconds of one report run with the package from ``src``, and its steps."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    # Started outside every checkout: ``-m`` puts the working folder first on the path.
    done = subprocess.run(
        [sys.executable, "-m", "accessibility.cli", "report", "--data-dir", str(data_dir.resolve()),
         "--out", str(out.resolve()), *extra],
        env=_env(src), cwd=out.parent, check=True, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    steps = {m["step"]: float(m["seconds"]) for m in _STEP.finditer(done.stderr)}
    return {"wall": wall, "cpu": cpu, "steps": steps}


def _same_files(a: Path, b: Path) -> tuple[int, list[str]]:
    names = sorted({p.relative_to(a).as_posix() for pattern in _SAME for p in a.glob(pattern)})
    differ = [n for n in names if not (b / n).is_file() or not filecmp.cmp(a / n, b / n, False)]
    return len(names), differ


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--baseline", type=Path, required=True, help="checkout to compare with")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each checkout (alternate)")
    parser.add_argument("--workers", type=int, default=None, help="passed to both runs")
    parser.add_argument("--out", type=Path, default=None, help="keep the outputs here")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="bench-report-"))
    extra = [] if args.workers is None else ["--workers", str(args.workers)]
    checkouts = {"baseline": args.baseline.resolve(), "this": HERE}
    out.mkdir(parents=True, exist_ok=True)
    for src in checkouts.values():
        _check_package(src, out)
    timed: dict[str, list[dict]] = {label: [] for label in checkouts}
    for i in range(max(args.repeat, 1)):
        for label, src in checkouts.items():
            got = _run(src, args.data_dir, out / f"{label}-{i}", extra)
            timed[label].append(got)
            print(
                f"run {i + 1} {label:>8}: wall {got['wall']:6.1f} s  cpu {got['cpu']:6.1f} s",
                flush=True,
            )
    median = {
        label: {key: statistics.median(r[key] for r in runs) for key in ("wall", "cpu")}
        for label, runs in timed.items()
    }
    base, this = median["baseline"], median["this"]
    print(
        f"median: baseline wall {base['wall']:.1f} s cpu {base['cpu']:.1f} s; "
        f"this wall {this['wall']:.1f} s cpu {this['cpu']:.1f} s; "
        f"this / baseline: wall {this['wall'] / base['wall']:.2f}, cpu {this['cpu'] / base['cpu']:.2f}"
    )
    steps = list(dict.fromkeys(s for runs in timed.values() for r in runs for s in r["steps"]))
    print(f"{'step (median wall s)':<52} {'baseline':>9} {'this':>9}")
    for step in steps:
        cells = []
        for label in checkouts:
            values = [r["steps"][step] for r in timed[label] if step in r["steps"]]
            cells.append(f"{statistics.median(values):9.1f}" if values else f"{'-':>9}")
        print(f"{step:<52} {cells[0]} {cells[1]}")
    count, differ = _same_files(out / "baseline-0", out / "this-0")
    print(
        f"outputs: {count - len(differ)} of {count} byte-identical to the baseline's"
        + (f"; differ: {', '.join(differ)}" if differ else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
