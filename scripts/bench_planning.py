"""Benchmark the location models against spopt (PuLP + CBC) on the same instances, and a national run."""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from accessibility.planning import mclp, p_median, p_median_heuristic

#: Dense instances (demand points, candidates); p is a tenth of the candidates.
DEFAULT_SIZES = "500x50,1000x100,2000x200,5000x500,10000x1000"
#: Largest p-median given to spopt: beyond it PuLP's one object per pair needs many GB.
DEFAULT_SPOPT_CAP = 5000 * 500
#: Largest MCLP given to spopt (its model grows with the coverage pairs, not n x m).
DEFAULT_SPOPT_MCLP_CAP = 10000 * 1000


def _rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def _worker(queue: mp.Queue, func: Any, args: tuple) -> None:
    """Run one solver in a forked process; report its result, time and memory growth."""
    warnings.simplefilter("ignore")
    base = _rss_mb()
    start = time.perf_counter()
    try:
        value, extra = func(*args)
        error = None
    except Exception as exc:  # noqa: BLE001 - reported, not raised: one failing peer must not stop the run
        value, extra, error = float("nan"), {}, f"{type(exc).__name__}: {exc}"
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    queue.put(
        {
            "objective": value,
            "seconds": elapsed,
            "memory_mb": max(peak - base, 0.0),
            "solver_process_mb": child,
            "error": error,
            **extra,
        }
    )


def measure(func: Any, args: tuple, timeout: float) -> dict[str, Any]:
    """Run ``func(*args)`` in a fresh process, killed after ``timeout`` seconds."""
    ctx = mp.get_context("fork")
    queue: mp.Queue = ctx.Queue()
    proc = ctx.Process(target=_worker, args=(queue, func, args))
    proc.start()
    proc.join(timeout)
    if proc.is_alive():
        # Kill the worker's whole process group (CBC runs as its child).
        proc.kill()
        proc.join()
        return {
            "objective": float("nan"),
            "seconds": float("nan"),
            "timed_out_after": timeout,
            "error": f"over {timeout:.0f} s",
        }
    return queue.get() if not queue.empty() else {"objective": float("nan"), "error": "no result"}


# ----------------------------------------------------------------------------- solvers
def ours_p_median(
    cost: np.ndarray, weights: np.ndarray, p: int, limit: float
) -> tuple[float, dict]:
    result = p_median(cost, p, weights, time_limit=limit)
    return result.objective, {"status": result.status, "gap": result.gap}


def ours_heuristic(cost: Any, weights: np.ndarray, p: int, limit: float) -> tuple[float, dict]:
    result = p_median_heuristic(cost, p, weights, allow_unassigned=True, time_limit=limit)
    return result.objective, {"status": result.status, "gap": result.gap, "bound": result.bound}


def ours_mclp(
    cost: Any, weights: np.ndarray, p: int, radius: float, limit: float
) -> tuple[float, dict]:
    result = mclp(cost, p, radius, weights, time_limit=limit)
    return result.objective, {"status": result.status, "gap": result.gap}


def spopt_p_median(cost: np.ndarray, weights: np.ndarray, p: int) -> tuple[float, dict]:
    import pulp
    from spopt.locate import PMedian

    model = PMedian.from_cost_matrix(cost, weights, p_facilities=p)
    model.solve(pulp.PULP_CBC_CMD(msg=False))
    return float(pulp.value(model.problem.objective)), {
        "status": pulp.LpStatus[model.problem.status]
    }


def spopt_mclp(cost: np.ndarray, weights: np.ndarray, p: int, radius: float) -> tuple[float, dict]:
    import pulp
    from spopt.locate import MCLP

    model = MCLP.from_cost_matrix(cost, weights, radius, p_facilities=p)
    model.solve(pulp.PULP_CBC_CMD(msg=False))
    return float(pulp.value(model.problem.objective)), {
        "status": pulp.LpStatus[model.problem.status]
    }


# ----------------------------------------------------------------------------- instances
def real_layers(data_dir: Path | None) -> tuple[np.ndarray, np.ndarray, np.ndarray, Any] | None:
    """Population points (1 km grid) and distinct stop locations of Latvia, or None without data."""
    import accessibility as acc
    from accessibility.coverage.demand import population_points
    from accessibility.io.datasets import resolve_data_dir

    folder = resolve_data_dir(data_dir)
    if folder is None and Path(__file__).resolve().parents[2].joinpath("shared", "data").is_dir():
        folder = Path(__file__).resolve().parents[2] / "shared" / "data"
    if folder is None:
        return None
    units = acc.load_units(acc.find_dataset("units", folder))
    population = acc.load_population(acc.find_dataset("population", folder))
    stops = acc.load_stops(acc.find_dataset("stops", folder))
    points = population_points(units, population, resolution=1000)
    stops = stops.drop_duplicates("geometry").reset_index(drop=True)
    demand_xy = np.column_stack([points.geometry.x, points.geometry.y])
    stop_xy = np.column_stack([stops.geometry.x, stops.geometry.y])
    return demand_xy, points["population"].to_numpy(float), stop_xy, (points, stops, units)


def window_instance(
    layers: tuple | None, n: int, m: int, seed: int
) -> tuple[np.ndarray, np.ndarray, str]:
    """A dense cost matrix: the n demand points nearest a random stop and m stops among them.

    Without real data, uniform random points in a square of matching density.
    """
    rng = np.random.default_rng(seed)
    if layers is None:
        side = np.sqrt(n) * 1000.0
        demand = rng.random((n, 2)) * side
        sites = rng.random((m, 2)) * side
        weights = rng.integers(1, 200, n).astype(float)
        source = "uniform random"
    else:
        demand_xy, people, stop_xy, _ = layers
        centre = stop_xy[rng.integers(len(stop_xy))]
        order = np.argsort(np.hypot(*(demand_xy - centre).T))[:n]
        demand, weights = demand_xy[order], people[order]
        radius = np.hypot(*(demand[-1] - centre))
        near = np.flatnonzero(np.hypot(*(stop_xy - centre).T) <= radius)
        if near.size < m:
            near = np.argsort(np.hypot(*(stop_xy - centre).T))[:m]
        sites = stop_xy[rng.choice(near, size=m, replace=False)]
        source = f"real: 1 km population points and ATD stops within {radius / 1000:.0f} km"
    cost = np.hypot(demand[:, None, 0] - sites[None, :, 0], demand[:, None, 1] - sites[None, :, 1])
    return cost, weights, source


# ----------------------------------------------------------------------------- runs
def _row(label: str, ours: dict, peer: dict | None) -> str:
    def fmt(x: Any, spec: str) -> str:
        return format(x, spec) if isinstance(x, (int, float)) and np.isfinite(x) else "-"

    ratio = (
        peer["seconds"] / ours["seconds"]
        if peer and np.isfinite(peer.get("seconds", np.nan)) and ours["seconds"] > 0
        else float("nan")
    )
    ratio_text = fmt(ratio, "6.1f")
    if peer and "timed_out_after" in peer and ours["seconds"] > 0:
        # spopt did not finish: its time is at least the cap, so the ratio is at least this.
        ratio_text = f">{peer['timed_out_after'] / ours['seconds']:.1f}"
    same = "-"
    if peer and np.isfinite(peer.get("objective", np.nan)):
        same = "yes" if np.isclose(ours["objective"], peer["objective"], rtol=1e-6) else "NO"
    if not peer:
        peer_text = "not run"
    else:
        peer_text = peer.get("error") or f"{fmt(peer.get('seconds'), '8.2f')} s"
    return (
        f"{label:<30} ours {fmt(ours['seconds'], '8.2f')} s ({ours.get('status', '')}, gap "
        f"{fmt(ours.get('gap', np.nan), '.1e')}, +{fmt(ours.get('memory_mb'), '.0f')} MB) | spopt "
        f"{peer_text} | speed-up {ratio_text}x | same objective {same}"
    )


def run(args: argparse.Namespace) -> dict[str, Any]:
    layers = None if args.synthetic else real_layers(args.data)
    report: dict[str, Any] = {"sizes": [], "national": None}
    sizes = [tuple(int(v) for v in s.split("x")) for s in args.sizes.split(",") if s]
    print(
        f"instances: {'uniform random' if layers is None else 'real data windows'}; spopt "
        f"(PuLP {_pulp_version()}, CBC) p-median up to {args.spopt_cap} pairs, MCLP up to "
        f"{args.spopt_mclp_cap}; {args.timeout:.0f} s cap (spopt {args.spopt_timeout:.0f} s)"
    )
    for n, m in sizes:
        p = max(2, m // 10)
        cost, weights, source = window_instance(layers, n, m, seed=n + m)
        radius = float(np.quantile(cost.min(axis=1), 0.5) * 4)
        entry: dict[str, Any] = {"n": n, "m": m, "p": p, "radius": radius, "source": source}
        spopt_ok = {"p_median": n * m <= args.spopt_cap, "mclp": n * m <= args.spopt_mclp_cap}
        for model in ("p_median", "mclp"):
            if model == "p_median":
                ours = measure(ours_p_median, (cost, weights, p, args.timeout), args.timeout + 30)
                peer = (
                    measure(spopt_p_median, (cost, weights, p), args.spopt_timeout)
                    if spopt_ok[model]
                    else None
                )
                fast = measure(ours_heuristic, (cost, weights, p, args.timeout), args.timeout + 30)
                entry["p_median_heuristic"] = fast
            else:
                ours = measure(
                    ours_mclp, (cost, weights, p, radius, args.timeout), args.timeout + 30
                )
                peer = (
                    measure(spopt_mclp, (cost, weights, p, radius), args.spopt_timeout)
                    if spopt_ok[model]
                    else None
                )
            entry[model] = {"ours": ours, "spopt": peer}
            print(_row(f"{model} {n}x{m} p={p}", ours, peer), flush=True)
            if model == "p_median":
                gap_to_exact = (fast["objective"] - ours["objective"]) / ours["objective"]
                print(
                    f"{'  heuristic':<30} {fast['seconds']:8.2f} s, {gap_to_exact:+.2%} from exact, "
                    f"gap to its bound {fast.get('gap', np.nan):.2%}",
                    flush=True,
                )
        report["sizes"].append(entry)
    if layers is not None and not args.no_national:
        report["national"] = national(layers, args)
    return report


def national(layers: tuple, args: argparse.Namespace) -> dict[str, Any]:
    """All of Latvia: 1 km population points, every distinct ATD stop, a 10 km cutoff (sparse)."""
    from accessibility.network.distance import distance_matrix
    from accessibility.planning import build_candidates, plan_one_per_unit

    _, weights, _, (points, stops, units) = layers
    start = time.perf_counter()
    matrix = distance_matrix(points, stops, args.cutoff)
    built = time.perf_counter() - start
    p = 587
    out: dict[str, Any] = {
        "demand_points": len(points),
        "candidates": len(stops),
        "cutoff_m": args.cutoff,
        "pairs": int(matrix.nnz),
        "matrix_seconds": built,
        "rows_without_candidate": int((np.diff(matrix.indptr) == 0).sum()),
    }
    print(
        f"national: {len(points)} demand points x {len(stops)} candidates, {matrix.nnz} pairs "
        f"within {args.cutoff:.0f} m ({built:.1f} s); spopt not run: its dense matrix alone would "
        f"take {len(points) * len(stops) * 8 / 2**30:.1f} GB",
        flush=True,
    )
    out["mclp"] = measure(ours_mclp, (matrix, weights, p, 2000.0, args.timeout), args.timeout + 60)
    print(
        f"  mclp p={p} r=2 km: {out['mclp']['seconds']:.1f} s, {out['mclp'].get('status')}, "
        f"covered {out['mclp']['objective']:.0f} of {weights.sum():.0f} people, "
        f"+{out['mclp'].get('memory_mb', 0):.0f} MB",
        flush=True,
    )
    out["p_median_heuristic"] = measure(
        ours_heuristic, (matrix, weights, p, args.timeout), 2 * args.timeout + 60
    )
    h = out["p_median_heuristic"]
    print(
        f"  p-median heuristic p={p}: {h['seconds']:.1f} s, gap to Lagrangian bound "
        f"{h.get('gap', np.nan):.2%}, +{h.get('memory_mb', 0):.0f} MB",
        flush=True,
    )

    def one_per_unit() -> tuple[float, dict]:
        candidates = build_candidates(units, stops, hubs_per_unit=10)
        plan = plan_one_per_unit(units, candidates, points, target=p)
        summary = plan.summary()
        return summary["mean_distance_m"], {"candidates": len(candidates), **summary}

    out["one_per_unit"] = measure(one_per_unit, (), args.timeout)
    o = out["one_per_unit"]
    print(
        f"  one centre per unit, target {p}: {o['seconds']:.1f} s for {o.get('candidates')} "
        f"candidates; {o.get('centres')} centres, {o.get('centres_meeting_rule')} meeting the "
        f"stop rule",
        flush=True,
    )
    return out


def _pulp_version() -> str:
    try:
        import pulp

        return pulp.__version__
    except ImportError:  # pragma: no cover - spopt/PuLP are test extras
        return "missing"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help="comma-separated NxM instances")
    parser.add_argument(
        "--spopt-cap", type=int, default=DEFAULT_SPOPT_CAP, help="largest N*M p-median for spopt"
    )
    parser.add_argument(
        "--spopt-mclp-cap",
        type=int,
        default=DEFAULT_SPOPT_MCLP_CAP,
        help="largest N*M MCLP for spopt",
    )
    parser.add_argument("--spopt-timeout", type=float, default=600.0, help="seconds per spopt run")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per solver run")
    parser.add_argument("--cutoff", type=float, default=10_000.0, help="national cutoff (m)")
    parser.add_argument("--data", type=Path, default=None, help="real data folder")
    parser.add_argument("--synthetic", action="store_true", help="uniform random instances only")
    parser.add_argument("--no-national", action="store_true", help="skip the national run")
    parser.add_argument("--out", type=Path, default=None, help="write the figures as JSON")
    args = parser.parse_args(argv)
    report = run(args)
    if args.out is not None:
        from accessibility.io.write import write_json

        write_json(args.out, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
