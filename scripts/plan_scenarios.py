"""Planning scenarios on the real data: targets (one centre per unit, the ministry's 587) by three planners."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any, NoReturn

import geopandas as gpd
import numpy as np
import pandas as pd

import accessibility as acc
from accessibility import AccessibilityError, DataNotFoundError, settings
from accessibility.io.write import write_csv, write_gpkg_layers, write_json

#: Exit status of a run stopped by a user mistake (bad argument, missing file or dataset).
USAGE_ERROR = 2

#: The ministry's count of centres: 592 units, five town-parish pairs sharing one centre.
MINISTRY_TARGET = 587

#: Planners compared for every target.
PLANNERS: tuple[str, ...] = ("one_per_unit", "p_median", "mclp")

#: Columns printed (the CSV holds every column of the comparison).
PRINTED: dict[str, str] = {
    "sites": "centres",
    "sites_meeting_rule": "meet rule",
    "mean_distance_m": "mean dist m",
    "share_beyond_2000m": ">2 km",
    "share_beyond_5000m": ">5 km",
    "share_beyond_10000m": ">10 km",
    "units_without_centre": "units w/o",
    "status": "status",
    "gap": "gap",
    "seconds": "s",
}


class _Parser(argparse.ArgumentParser):
    """Argument errors as one line on stderr, exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(USAGE_ERROR, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The command line of this script."""
    parser = _Parser(
        prog="plan_scenarios.py",
        description=(
            "Compare centre counts (one per unit, the ministry's 587) planned three ways: one "
            "centre per unit, a p-median and a maximal-covering model on the same candidates and "
            "the same population grid. Distances are straight lines in EPSG:3059."
        ),
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help=f"folder of the official datasets (default ${settings.DATA_DIR_ENV})",
    )
    parser.add_argument("--out", type=Path, required=True, help="output folder (created)")
    parser.add_argument(
        "--targets",
        type=int,
        nargs="+",
        default=None,
        help=f"numbers of centres to plan for (default: one per unit, and {MINISTRY_TARGET})",
    )
    parser.add_argument("--year", type=int, default=None, help="population year (default: latest)")
    parser.add_argument(
        "--resolution", type=float, default=1000.0, help="population grid cell size, metres"
    )
    parser.add_argument(
        "--stop-distance",
        type=float,
        default=settings.STOP_RULE_DISTANCE_M,
        help="the stop rule's distance to an intercity stop, metres",
    )
    parser.add_argument(
        "--radius",
        type=float,
        default=settings.STOP_RULE_DISTANCE_M,
        help="maximal covering: a person is covered within this distance of a centre, metres",
    )
    parser.add_argument(
        "--cutoff",
        type=float,
        default=15_000.0,
        help="farthest distance the location models consider between a person and a centre, metres",
    )
    return parser


def load_layers(data_dir: Path | None, year: int | None) -> dict[str, Any]:
    """Units, population, stops, and the libraries and centres when the folder has them."""
    units = acc.load_units(acc.find_dataset("units", data_dir))
    layers: dict[str, Any] = {
        "units": units,
        "population": acc.load_population(
            acc.find_dataset("population", data_dir), year, units=units
        ),
        "stops": acc.load_stops(acc.find_dataset("stops", data_dir)),
    }
    for key, load in (("libraries", acc.load_libraries), ("centres", acc.load_centres)):
        try:
            layers[key] = load(acc.find_dataset(key, data_dir))
        except DataNotFoundError:
            layers[key] = None
    return layers


def run(
    data_dir: Path | None,
    out: Path,
    *,
    targets: list[int] | None = None,
    year: int | None = None,
    resolution: float = 1000.0,
    stop_distance: float = settings.STOP_RULE_DISTANCE_M,
    radius: float = settings.STOP_RULE_DISTANCE_M,
    cutoff: float = 15_000.0,
) -> dict[str, Any]:
    """Plan every target with every planner and compare them; write the tables under ``out``.

    Returns
    -------
    dict
        ``comparison`` (one row per scenario), ``sites`` (chosen sites per scenario),
        ``candidates``, ``points`` and ``files`` (written path per output).
    """
    for name, value in (("resolution", resolution), ("radius", radius), ("cutoff", cutoff)):
        if not value > 0:
            raise AccessibilityError(f"{name} must be a positive number of metres, got {value:g}")
    if targets is not None and any(t < 1 for t in targets):
        raise AccessibilityError(f"targets must be positive numbers of centres, got {targets}")
    out.mkdir(parents=True, exist_ok=True)
    layers = load_layers(data_dir, year)
    units, population, stops = layers["units"], layers["population"], layers["stops"]
    n_units = len(units)
    targets = targets or [n_units, MINISTRY_TARGET]

    points = acc.population_points(units, population, resolution=resolution, year=year)
    candidates = acc.build_candidates(
        units,
        stops,
        libraries=layers["libraries"],
        centres=layers["centres"],
        unit_points="population_centre",
        points=points,
        stop_distance=stop_distance,
    )
    # One matrix for both location models, so they choose among the same pairs.
    cost = acc.distance_matrix(points, candidates, cutoff)
    weights = points["population"].to_numpy(dtype=float)
    fixed = np.flatnonzero(candidates["kind"].astype(str).to_numpy() == "centre")

    scenarios: dict[str, Any] = {}
    solver: dict[str, dict[str, Any]] = {}
    sites: dict[str, gpd.GeoDataFrame] = {}
    for target in dict.fromkeys(targets):
        for planner in PLANNERS:
            name = f"{planner} {target}"
            started = time.perf_counter()
            if planner == "one_per_unit":
                plan = acc.plan_one_per_unit(
                    units, candidates, points, target=target, prefer_kinds=("centre", "library")
                )
                scenarios[name] = plan.sites
                figures = plan.summary()
                info = {
                    "status": "rule-based",
                    "gap": np.nan,
                    "shared_pairs": figures["shared_pairs"],
                    "second_centres": figures["second_centres"],
                    "note": figures.get("target_not_met", ""),
                }
                chosen = plan.centres
            else:
                if planner == "p_median":
                    # The exact p-median on a national 1 km grid runs for many minutes; greedy
                    # addition and interchange take seconds, and the Lagrangian bound says how
                    # far from the optimum the answer can be at most (the gap).
                    found = acc.p_median_heuristic(
                        cost,
                        target,
                        weights,
                        fixed=fixed,
                        allow_unassigned=True,
                        bound_iterations=100,
                    )
                    note = f"people with no candidate within {cutoff:g} m: {_unassigned(found, weights)}"
                else:
                    found = acc.mclp(cost, target, radius, weights, fixed=fixed)
                    note = (
                        f"covers {found.details['covered_share']:.1%} of people within {radius:g} m"
                    )
                scenarios[name] = (found, candidates)
                info = {"status": found.status, "gap": found.gap, "note": note}
                chosen = candidates.iloc[found.selected]
            solver[name] = {
                "target": target,
                "planner": planner,
                **info,
                "seconds": round(time.perf_counter() - started, 2),
            }
            sites[name] = chosen[["site_id", "name", "kind", "unit_code", "meets_rule", "geometry"]]

    table = acc.compare(scenarios, points, units=units, stops=stops, stop_distance=stop_distance)
    extra = pd.DataFrame.from_dict(solver, orient="index")
    table = extra[["target", "planner"]].join(table).join(extra.drop(columns=["target", "planner"]))
    table.index.name = "scenario"
    table.attrs = {}

    files = {
        "comparison_csv": write_csv(out / "scenarios.csv", table.reset_index()),
        "sites_gpkg": write_gpkg_layers(
            out / "scenario_sites.gpkg",
            {name.replace(" ", "_"): frame.reset_index(drop=True) for name, frame in sites.items()},
        ),
        "summary_json": write_json(
            out / "scenarios.json",
            {
                "targets": list(dict.fromkeys(targets)),
                "units": n_units,
                "population_year": int(population["year"].max()),
                "population": int(weights.sum()),
                "population_points": len(points),
                "grid_resolution_m": resolution,
                "candidates": candidates.attrs["candidates"]["by_kind"],
                "stop_distance_m": stop_distance,
                "mclp_radius_m": radius,
                "model_cutoff_m": cutoff,
                "method": "straight-line distance in EPSG:3059, not a walk",
            },
        ),
    }
    return {
        "comparison": table,
        "sites": sites,
        "candidates": candidates,
        "points": points,
        "files": files,
    }


def _unassigned(found: Any, weights: np.ndarray) -> int:
    """People on demand points left without any candidate within the model cutoff."""
    return int(weights[found.unassigned].sum())


def format_table(table: pd.DataFrame) -> str:
    """The comparison's main columns, readable in a terminal."""
    shown = table[[c for c in PRINTED if c in table.columns]].rename(columns=PRINTED).copy()
    for column in (">2 km", ">5 km", ">10 km"):
        shown[column] = shown[column].map("{:.1%}".format)
    shown["mean dist m"] = shown["mean dist m"].map("{:,.0f}".format)
    shown["gap"] = shown["gap"].map(lambda g: "" if pd.isna(g) else f"{g:.2%}")
    return shown.to_string()


def main(argv: list[str] | None = None) -> int:
    """Run the script; user mistakes end with one line on stderr and exit status 2."""
    args = build_parser().parse_args(argv)
    try:
        if args.data_dir is not None and not args.data_dir.is_dir():
            raise AccessibilityError(f"data folder {args.data_dir} does not exist")
        result = run(
            args.data_dir,
            args.out,
            targets=args.targets,
            year=args.year,
            resolution=args.resolution,
            stop_distance=args.stop_distance,
            radius=args.radius,
            cutoff=args.cutoff,
        )
    except (AccessibilityError, OSError) as exc:
        message = " ".join(str(exc).split())
        print(f"plan_scenarios.py: error: {message}", file=sys.stderr)
        return USAGE_ERROR
    table = result["comparison"]
    points = result["points"]
    print(
        f"{int(points['population'].sum()):,} people on {len(points):,} grid points "
        f"({args.resolution:g} m); {len(result['candidates']):,} candidate sites; "
        "straight-line distances (EPSG:3059), not walks."
    )
    print(
        f"'meet rule': centres within {args.stop_distance:g} m of an intercity stop; "
        "'>2 km' etc.: share of people farther than that from their nearest centre.\n"
    )
    print(format_table(table))
    print()
    for name, note in table["note"].items():
        if note:
            print(f"{name}: {note}")
    print("\nWrote:")
    for path in result["files"].values():
        print(f"  {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
