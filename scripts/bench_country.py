"""Benchmark the real user's data path at country scale on a synthetic Latvia-size extract.

Stages, each in a fresh interpreter so that its peak memory is its own:

1. ``generate``: ``scripts/synthetic_country_osm.py`` writes the ``.osm.pbf`` (skipped with
   ``--pbf``);
2. ``osmium pass`` (the peer): one pyosmium pass over the file with node locations, every way
   with a ``highway`` tag handed to Python and counted: the floor any pyosmium reader pays;
3. ``network build``: ``walk_network(pbf)`` with an empty network cache (built and cached);
4. ``cache load``: ``walk_network(pbf)`` again (loaded from the cache);
5. ``libraries``: ``load_libraries(pbf)`` and the count per municipality against CSB's
   ``Library.csv`` (written to ``library_completeness.csv``);
6. ``report``: ``accessibility report`` on the real data with the synthetic streets and
   libraries given through a study file (the network comes from the cache).

Prints a Markdown stage table (time, peak RSS) with the build's ratio to the osmium pass and
the cache load's ratio to the build, then the report's library figure. The figures of the
synthetic file are synthetic; the code path is the one a real ``latvia-latest.osm.pbf`` takes.

Usage::

    nice python scripts/bench_country.py --data-dir ../shared/data --work /tmp/country
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent

_WRAPPER = textwrap.dedent(
    """
    import json, resource, sys, time
    out = {}
    t0 = time.perf_counter()
    try:
        exec(compile(sys.argv[1], "<stage>", "exec"), {"out": out, "__name__": "__stage__"})
    except SystemExit as exc:
        if exc.code not in (0, None):
            raise
    out["seconds"] = time.perf_counter() - t0
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("BENCH " + json.dumps(out, default=str))
    """
)


def stage(name: str, code: str, env: dict[str, str]) -> dict:
    """Run ``code`` in a fresh interpreter; return what it put in ``out`` plus time and memory."""
    print(f"... {name}", file=sys.stderr, flush=True)
    run = subprocess.run(
        [sys.executable, "-c", _WRAPPER, textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    lines = [line for line in run.stdout.splitlines() if line.startswith("BENCH ")]
    said = [line for line in run.stdout.splitlines() if line and not line.startswith("BENCH ")]
    if run.returncode != 0 or not lines:
        sys.stderr.write(run.stdout[-3000:] + run.stderr[-3000:])
        raise SystemExit(f"stage {name!r} failed (exit {run.returncode})")
    result = json.loads(lines[-1][6:])
    result["stage"] = name
    if said:
        result["said"] = said[-1]
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument(
        "--work", type=Path, required=True, help="folder for the file, cache, report"
    )
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--pbf", type=Path, help="use this extract instead of generating one")
    parser.add_argument("--skip-report", action="store_true")
    args = parser.parse_args(argv)
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    data_dir = args.data_dir.resolve()
    cache = work / "network-cache"
    shutil.rmtree(cache, ignore_errors=True)
    env = {**os.environ, "ACCESSIBILITY_NETWORK_CACHE": str(cache), "MPLBACKEND": "Agg"}
    rows = []
    pbf = args.pbf.resolve() if args.pbf else work / "latvia-synthetic.osm.pbf"
    if args.pbf is None:
        rows.append(
            stage(
                "generate",
                f"""
                import sys, runpy
                sys.argv = ["synthetic_country_osm.py", "--data-dir", {str(data_dir)!r},
                            "--out", {str(pbf)!r}, "--scale", "{args.scale}"]
                runpy.run_path({str(SCRIPTS / "synthetic_country_osm.py")!r}, run_name="__main__")
                """,
                env,
            )
        )
    rows.append(
        stage(
            "osmium pass (peer)",
            f"""
            import osmium, osmium.filter
            fp = osmium.FileProcessor({str(pbf)!r}, osmium.osm.NODE | osmium.osm.WAY)
            fp.with_locations()
            fp.with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
            fp.with_filter(osmium.filter.KeyFilter("highway"))
            ways = refs = 0
            for way in fp:
                ways += 1
                refs += len(way.nodes)
            out["highway_ways"] = ways
            out["refs"] = refs
            """,
            env,
        )
    )
    network_code = f"""
        import accessibility as acc
        net = acc.walk_network({str(pbf)!r})
        out.update(nodes=net.n_nodes, edges=net.n_edges, components=net.report["components"],
                   largest=net.report["largest_component_nodes"],
                   km=net.report["total_length_km"], ways_kept=net.report["ways_kept"],
                   cache=net.source.get("cache"))
        """
    rows.append(stage("network build", network_code, env))
    rows.append(stage("cache load", network_code, env))
    rows.append(
        stage(
            "libraries",
            f"""
            import accessibility as acc
            from accessibility.io.library_counts import libraries_per_municipality, read_library_counts
            libraries = acc.load_libraries({str(pbf)!r})
            units = acc.load_units(acc.find_dataset("units", {str(data_dir)!r}))
            table = libraries_per_municipality(libraries, units, read_library_counts({str(data_dir)!r}))
            table.to_csv({str(work / "library_completeness.csv")!r}, index=False)
            out.update(libraries=len(libraries), found_in_units=int(table["found"].sum()),
                       csb=table.attrs["total_csb"],
                       below_half=int((table["share"] < 0.5).sum()))
            """,
            env,
        )
    )
    if not args.skip_report:
        study = work / "study.toml"
        study.write_text(
            "[study]\n"
            'name = "Synthetic country benchmark (synthetic streets and libraries)"\n'
            "[study.inputs]\n"
            f'streets = "{pbf}"\n'
            f'libraries = "{pbf}"\n',
            encoding="utf-8",
        )
        out_dir = work / "report"
        shutil.rmtree(out_dir, ignore_errors=True)
        rows.append(
            stage(
                "report with streets",
                f"""
                from accessibility.cli import main
                code = main(["report", "--data-dir", {str(data_dir)!r}, "--out", {str(out_dir)!r},
                             "--config", {str(study)!r}])
                out["exit"] = code
                text = open({str(out_dir / "report.md")!r}, encoding="utf-8").read()
                out["library_line"] = next(
                    (l for l in text.splitlines() if "of libraries" in l), None)
                """,
                env,
            )
        )
    print_table(rows)
    (work / "bench_country.json").write_text(json.dumps(rows, indent=1), encoding="utf-8")
    return 0


def print_table(rows: list[dict]) -> None:
    by = {r["stage"]: r for r in rows}
    peer = by.get("osmium pass (peer)", {}).get("seconds")
    build = by.get("network build", {}).get("seconds")
    print("| stage | time | peak RSS | ratio | what |")
    print("|---|---:|---:|---:|---|")
    for r in rows:
        ratio = ""
        if r["stage"] == "network build" and peer:
            ratio = f"{r['seconds'] / peer:.1f}x osmium pass"
        elif r["stage"] == "cache load" and build:
            ratio = f"{r['seconds'] / build:.3f}x build"
        what = {
            "generate": r.get("said", "").split(": ", 1)[-1].split(";")[0],
            "osmium pass (peer)": f"{r.get('highway_ways', 0):,} highway ways, {r.get('refs', 0):,} refs",
            "network build": f"{r.get('nodes', 0):,} nodes, {r.get('edges', 0):,} edges, "
            f"{r.get('km', 0):,.0f} km, {r.get('components', 0):,} components",
            "cache load": "same network from the cache"
            if r.get("cache")
            else "not cached (file below the cache threshold): built again",
            "libraries": f"{r.get('libraries', 0)} library nodes; {r.get('found_in_units', 0)} "
            f"in units vs CSB {r.get('csb', 0)}",
            "report with streets": f"exit {r.get('exit')}",
        }.get(r["stage"], "")
        print(
            f"| {r['stage']} | {r['seconds']:.1f} s | {r['peak_mb']:,.0f} MB | {ratio} | {what} |"
        )
    line = by.get("report with streets", {}).get("library_line")
    if line:
        print(f"\nReport: {line.strip()}")


if __name__ == "__main__":
    sys.exit(main())
