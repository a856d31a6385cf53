"""The exact national p-median: 1 km population points × every distinct ATD stop, 10 km cutoff.

The instance is the one ``bench_planning.py`` builds for its national run. Two models:

* ``plain``: p = 587 (the ministry's count) over every distinct stop;
* ``per_unit``: at least one centre in every territorial unit that has a stop, plus ``--extras``
  more anywhere (p = units with a stop + extras). Every point with a stop in reach must be
  served, so too few extras can leave no feasible plan (the heuristic then reports the points it
  could not reach).

Each runs :func:`accessibility.planning.p_median` in a separate process with a time limit and
prints time, objective, bound, gap, status, method and peak memory (resident set of that process).

Usage::

    python scripts/bench_national_pmedian.py [--data ../shared/data] [--limit 600] [--only plain]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_planning import measure, real_layers  # the sibling script's instance

#: The ministry's count of centres (592 units, five town-parish pairs sharing one centre).
PLAIN_P = 587


def solve(
    matrix: Any, weights: np.ndarray, p: int, groups: Any, limit: float, model: str
) -> tuple[float, dict]:
    from accessibility.planning import models, p_median

    if model != "auto":
        # Compare the two models on the same instance: override the size rule in this process.
        models._radius_is_smaller = lambda *a: model == "radius"

    result = p_median(
        matrix,
        p,
        weights,
        groups=groups,
        per_group="at_least",
        allow_unassigned=True,
        time_limit=limit,
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result.objective, {
        "bound": result.bound,
        "gap": result.gap,
        "status": result.status,
        "method": result.method,
        "peak_mb": peak,
        "unassigned_people": float(weights[result.unassigned].sum()),
        **{k: v for k, v in result.details.items() if np.isscalar(v)},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=None, help="real data folder")
    parser.add_argument("--cutoff", type=float, default=10_000.0, help="cutoff (m)")
    parser.add_argument("--limit", type=float, default=600.0, help="seconds per model")
    parser.add_argument(
        "--extras", type=int, default=30,
        help="centres beyond one per unit (with 8 no plan found reaches every point in 10 km)",
    )  # fmt: skip
    parser.add_argument("--only", choices=("plain", "per_unit"), default=None)
    parser.add_argument(
        "--model",
        choices=("auto", "radius", "assignment"),
        default="auto",
        help="p-median model (auto: the size rule of p_median)",
    )
    args = parser.parse_args(argv)
    layers = real_layers(args.data)
    if layers is None:
        print("error: no real data folder found (pass --data)", file=sys.stderr)
        return 2
    from accessibility.io.units import assign_units
    from accessibility.network.distance import distance_matrix

    _, weights, _, (points, stops, units) = layers
    started = time.perf_counter()
    matrix = distance_matrix(points, stops, args.cutoff)
    print(
        f"national: {len(points)} population points x {len(stops)} distinct stops, "
        f"{matrix.nnz} pairs within {args.cutoff:.0f} m ({time.perf_counter() - started:.1f} s); "
        f"{int((np.diff(matrix.indptr) == 0).sum())} points with no stop in reach "
        f"({weights[np.diff(matrix.indptr) == 0].sum():.0f} people, left unassigned)",
        flush=True,
    )
    codes = assign_units(stops, units)["unit_code"]
    groups = [None if pd.isna(c) else str(c) for c in codes]
    with_stop = len({g for g in groups if g is not None})
    runs = {
        "plain": (PLAIN_P, None),
        "per_unit": (with_stop + args.extras, groups),
    }
    for name, (p, g) in runs.items():
        if args.only and name != args.only:
            continue
        label = (
            f"plain p={p}"
            if g is None
            else f"one per unit ({with_stop} of {len(units)} units have a stop) + {args.extras}, p={p}"
        )
        out = measure(solve, (matrix, weights, p, g, args.limit, args.model), args.limit + 300)
        if out.get("error"):
            print(f"  {label}: {out['error']} after {out['seconds']:.0f} s", flush=True)
            continue
        print(
            f"  {label}: {out['seconds']:.1f} s, objective {out['objective']:.6g} person-m, "
            f"bound {out['bound']:.6g}, gap {out['gap']:.3%}, {out['status']}, {out['method']}, "
            f"peak {out['peak_mb']:.0f} MB",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
