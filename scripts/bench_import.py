"""Import time of the package against geopandas alone, each measured in a fresh interpreter.

Prints, for each statement, the median wall time of ``--repeat`` fresh interpreters and its ratio
to ``import geopandas`` measured the same way in the same run (interleaved, so load on the machine
affects both alike), plus the heavy libraries each statement leaves loaded.

    python scripts/bench_import.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

STATEMENTS: dict[str, str] = {
    "import geopandas": "import geopandas",
    "import accessibility": "import accessibility",
    "accessibility --help": (
        "from accessibility import cli\ntry:\n    cli.main(['--help'])\nexcept SystemExit:\n    pass"
    ),
    "loaders and stop rule": "from accessibility import load_units, load_stops, stop_rule",
    "planning": "from accessibility.planning import p_median, mclp",
    "maps": "from accessibility import plot_coverage_map, interactive_map",
}
HEAVY = ("geopandas", "scipy", "matplotlib", "folium", "networkx", "osmnx", "highspy")


def _time(code: str) -> tuple[float, list[str]]:
    probe = (
        "import sys, time, contextlib, io\n"
        "t = time.perf_counter()\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        + "".join(f"    {line}\n" for line in code.splitlines())
        + "dt = time.perf_counter() - t\n"
        f"print(dt, ' '.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    first, *rest = out.stdout.split()
    return float(first), rest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    times: dict[str, list[float]] = {name: [] for name in STATEMENTS}
    loaded: dict[str, list[str]] = {}
    for _ in range(args.repeat):
        for name, code in STATEMENTS.items():
            seconds, heavy = _time(code)
            times[name].append(seconds)
            loaded[name] = heavy
    base = statistics.median(times["import geopandas"])
    print(f"{'statement':<24} {'median s':>9} {'× geopandas':>12}  heavy libraries loaded")
    for name in STATEMENTS:
        median = statistics.median(times[name])
        print(f"{name:<24} {median:9.3f} {median / base:12.2f}  {', '.join(loaded[name]) or '-'}")


if __name__ == "__main__":
    main()
