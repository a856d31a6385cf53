"""National coverage tables for Latvia from the real data: stop rule on proxy sites, units, gaps."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import accessibility as acc
from accessibility import settings
from accessibility.coverage.core import assess, proxy_sites, write_coverage
from accessibility.coverage.demand import population_points
from accessibility.io.write import write_json, write_text

#: The two proxies reported side by side, so the reader sees how much the answer depends on them.
PROXIES: dict[str, str] = {
    "most_served_stop": (
        "the unit's most-served ATD stop (most routes, ties by stop id), which usually stands in the "
        "village centre beside the library and parish office; it passes trivially when it is itself intercity"
    ),
    "population_centre": (
        "the population-weighted centre of the unit's area-weighted population grid (close to the "
        "unit's middle), chosen independently of the stops"
    ),
}

CAVEAT = (
    "No library or centre coordinates are in hand: the sites below are PROXIES, one per territorial unit. "
    "Their stop-rule share describes the stop network and settlement pattern, not actual libraries or "
    "centres, and is not comparable with the ministry's 91% of libraries. With one proxy per unit, every "
    "municipality has a 'centre' by construction."
)


def run(
    data_dir: Path,
    out: Path,
    *,
    resolution: float,
    distance: float,
    network: Any = None,
    weight_by_stops: bool = False,
) -> dict[str, Any]:
    """Load the real layers, run the coverage for both proxies, write everything under ``out``."""
    started = time.perf_counter()
    units = acc.load_units(acc.find_dataset("units", data_dir))
    population = acc.load_population(acc.find_dataset("population", data_dir))
    stops = acc.load_stops(acc.find_dataset("stops", data_dir))
    # Area weighting spreads people evenly over forest and field; weighting by stops puts them
    # where the roads and villages are. Both are crude; the method is named on every point.
    # The population-centre proxy always uses the area-weighted grid, so it stays independent of
    # the stops whatever placement the distances use.
    area_points = population_points(units, population, resolution=resolution)
    points = area_points
    if weight_by_stops:
        points = population_points(
            units, population, resolution=resolution, weights=stops, weight_name="ATD stops"
        )
    loaded = time.perf_counter()

    national: dict[str, Any] = {"caveat": CAVEAT, "distance_m": distance, "proxies": {}}
    lines = [CAVEAT, ""]
    for how, description in PROXIES.items():
        sites = proxy_sites(units, how=how, stops=stops, points=area_points)
        result = assess(
            units,
            stops,
            sites,
            population,
            network,
            site_label=f"proxy sites ({how.replace('_', ' ')})",
            distance=distance,
            points=points,
        )
        write_coverage(result, out / how)
        figures = result.summary
        figures["proxy"] = {"how": how, "description": description, **sites.attrs["proxy"]}
        national["proxies"][how] = figures
        lines += [f"## Proxy: {how.replace('_', ' ')}", description + ".", figures["text"], ""]
        table = result.units

    # Checks that every unit, stop and person is accounted for (the table is the same for both proxies).
    stop_info = table.attrs["coverage"]["stops"]
    checks = {
        "units": len(table),
        "stops_in_units": int(table["stops"].sum()),
        "stops_total": stop_info["total"],
        "stops_given_to_nearest_unit": stop_info["given_to_nearest_unit"],
        "stops_outside_all_units": stop_info["outside_all_units"],
        "intercity_stops": stop_info["intercity"],
        "population_in_table": int(table["population"].sum()),
        "population_on_grid": int(points["population"].sum()),
        "population_points": len(points),
        "population_year": table.attrs["coverage"].get("population_year"),
        "units_without_population": int(table["population_missing"].sum()),
    }
    possible = table["intercity_within_distance"].fillna(False).astype(bool)
    national["upper_bound"] = {
        "units_where_a_site_could_meet_rule": {"count": int(possible.sum()), "of": len(table)},
        "population_of_those_units": {
            "count": int(table.loc[possible, "population"].sum()),
            "of": int(table["population"].sum()),
        },
        "note": "a unit where an intercity stop lies within the distance of some point of it (straight line)",
    }
    national["checks"] = checks
    national["seconds"] = {
        "load_and_grid": round(loaded - started, 2),
        "total": round(time.perf_counter() - started, 2),
    }
    bound = national["upper_bound"]["population_of_those_units"]["count"]
    lines += [
        "## Upper bound",
        (
            f"In {possible.sum()} of {len(table)} units some location lies within {distance:g} m "
            f"(straight line) of an intercity stop; they hold {bound:,} of "
            f"{checks['population_in_table']:,} people."
        ),
        "",
        "## Checks",
        (
            f"{checks['units']} units; {checks['stops_in_units']} of {checks['stops_total']} stops "
            f"counted in units ({len(checks['stops_given_to_nearest_unit'])} given to the nearest "
            f"unit, {len(checks['stops_outside_all_units'])} outside all units); population "
            f"{checks['population_in_table']:,} ({checks['population_year']}), "
            f"{checks['population_on_grid']:,} placed on {checks['population_points']:,} grid points."
        ),
    ]
    national["text"] = "\n".join(lines)
    write_json(out / "national_summary.json", national)
    write_text(out / "national_summary.txt", national["text"] + "\n")
    return national


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="folder of the real datasets (default $ACCESSIBILITY_DATA)",
    )
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument(
        "--resolution", type=float, default=1000.0, help="population grid cell size, metres"
    )
    parser.add_argument(
        "--weight-by-stops",
        action="store_true",
        help="place each unit's people in the grid cells holding its stops (default: by area)",
    )
    parser.add_argument(
        "--distance",
        type=float,
        default=settings.STOP_RULE_DISTANCE_M,
        help="stop rule distance, metres",
    )
    parser.add_argument(
        "--network",
        default=None,
        help="walking network (saved .npz or OSM file); default straight lines",
    )
    args = parser.parse_args(argv)
    data_dir = args.data_dir
    if data_dir is None:
        import os

        env = os.environ.get(settings.DATA_DIR_ENV)
        if not env:
            parser.error(f"give --data-dir or set {settings.DATA_DIR_ENV}")
        data_dir = Path(env)
    network = None
    if args.network:
        from accessibility.network.walk import walk_network

        network = walk_network(args.network)
    national = run(
        data_dir,
        args.out,
        resolution=args.resolution,
        distance=args.distance,
        network=network,
        weight_by_stops=args.weight_by_stops,
    )
    print(national["text"])
    print(f"\nwritten to {args.out} in {national['seconds']['total']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
