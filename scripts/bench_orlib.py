"""Benchmark the exact p-median on the OR-Library instances pmed1-pmed40 against spopt (PuLP + CBC).

The instance files are not shipped: pass the folder that holds ``pmed1.txt`` ... ``pmed40.txt``
(Beasley's OR-Library, "pmed" files). Each file starts with ``n edges p`` and lists ``i j cost``
edges of an undirected graph; the cost matrix is the all-pairs shortest path (scipy), every node
being both a demand point and a candidate. Missing files are reported and skipped.

Both solvers run in separate processes with a time limit; each row prints time, objective,
bound, gap, whether optimality was proved, the published optimum and the ratio of spopt's time to
ours (on the instances both finish).

Where a file is missing, ``--synthetic SEED`` builds an instance of the same shape in its place
(Beasley's recipe: a random connected graph with the same numbers of nodes and edges, integer edge
costs drawn from 1..100, the same ``p``); such rows are named ``synK`` and have no published
optimum, so "at optimum" is judged against the better of the two solvers there.
``--branch-share 0`` runs the exact model without the Lagrangian branch-and-bound (the model as
it was before it), for a before/after table in the same run.

Usage::

    python scripts/bench_orlib.py /path/to/orlib [--only 1-5,38] [--timeout 300] [--no-spopt]
        [--synthetic 1] [--branch-share 0]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import re
import resource
import signal
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import shortest_path

#: Published optima of pmed1-pmed40 (Beasley 1990, OR-Library ``pmedopt``).
OPTIMA = {
    1: 5819, 2: 4093, 3: 4250, 4: 3034, 5: 1355, 6: 7824, 7: 5631, 8: 4445, 9: 2734, 10: 1255,
    11: 7696, 12: 6634, 13: 4374, 14: 2968, 15: 1729, 16: 8162, 17: 6999, 18: 4809, 19: 2845,
    20: 1789, 21: 9138, 22: 8579, 23: 4619, 24: 2961, 25: 1828, 26: 9917, 27: 8307, 28: 4498,
    29: 3033, 30: 1989, 31: 10086, 32: 9297, 33: 4700, 34: 3013, 35: 10400, 36: 9934, 37: 5057,
    38: 11060, 39: 9423, 40: 5128,
}  # fmt: skip


#: (nodes, p) of pmed1-pmed40; edges per node count in ``EDGES``.
SHAPES = {
    1: (100, 5), 2: (100, 10), 3: (100, 10), 4: (100, 20), 5: (100, 33), 6: (200, 5),
    7: (200, 10), 8: (200, 20), 9: (200, 40), 10: (200, 67), 11: (300, 5), 12: (300, 10),
    13: (300, 30), 14: (300, 60), 15: (300, 100), 16: (400, 5), 17: (400, 10), 18: (400, 40),
    19: (400, 80), 20: (400, 133), 21: (500, 5), 22: (500, 10), 23: (500, 50), 24: (500, 100),
    25: (500, 167), 26: (600, 5), 27: (600, 10), 28: (600, 60), 29: (600, 120), 30: (600, 200),
    31: (700, 5), 32: (700, 10), 33: (700, 70), 34: (700, 140), 35: (800, 5), 36: (800, 10),
    37: (800, 80), 38: (900, 5), 39: (900, 10), 40: (900, 90),
}  # fmt: skip
EDGES = {100: 200, 200: 800, 300: 1800, 400: 3200, 500: 5000, 600: 7200, 700: 9800,
         800: 12800, 900: 16200}  # fmt: skip


def synthetic_pmed(k: int, seed: int) -> tuple[np.ndarray, int]:
    """A cost matrix shaped like pmed``k``: random connected graph, integer edge costs 1..100."""
    n, p = SHAPES[k]
    rng = np.random.default_rng([seed, k])
    order = rng.permutation(n)
    edges: dict[tuple[int, int], int] = {}
    for step in range(1, n):  # a random spanning tree first, so the graph is connected
        a, b = int(order[step]), int(order[rng.integers(0, step)])
        edges[(min(a, b), max(a, b))] = int(rng.integers(1, 101))
    while len(edges) < EDGES[n]:
        a, b = (int(v) for v in rng.integers(0, n, 2))
        if a != b:
            edges[(min(a, b), max(a, b))] = int(rng.integers(1, 101))
    a, b = np.array(list(edges)).T
    w = np.array(list(edges.values()), dtype=float)
    graph = sparse.coo_array((w, (a, b)), shape=(n, n)).tocsr()
    return shortest_path(graph, method="D", directed=False), p


class InstanceError(ValueError):
    """A pmed file that does not follow the format (names the file, line and field)."""


def read_pmed(path: Path) -> tuple[np.ndarray, int]:
    """The all-pairs shortest-path cost matrix and ``p`` of one OR-Library pmed file.

    Raises
    ------
    InstanceError
        On a header or edge line that is not three integers, a node outside ``1..n`` or an
        edge count that differs from the header.
    """
    lines = [ln for ln in path.read_text().splitlines() if ln.strip()]
    if not lines:
        raise InstanceError(f"{path}: empty file")
    head = lines[0].split()
    if len(head) != 3 or not all(re.fullmatch(r"\d+", h) for h in head):
        raise InstanceError(f"{path}, line 1: header must be 'n edges p', got {lines[0]!r}")
    n, n_edges, p = (int(h) for h in head)
    body = lines[1:]
    if len(body) != n_edges:
        raise InstanceError(f"{path}: header says {n_edges} edges, file has {len(body)} lines")
    try:
        edges = np.array([[int(v) for v in ln.split()] for ln in body], dtype=np.int64)
    except ValueError as exc:
        raise InstanceError(f"{path}: an edge line is not integers ({exc})") from None
    if edges.ndim != 2 or edges.shape[1] != 3:
        bad = next(k for k, ln in enumerate(body) if len(ln.split()) != 3)
        raise InstanceError(f"{path}, line {bad + 2}: edge must be 'i j cost', got {body[bad]!r}")
    out = (edges[:, :2] < 1) | (edges[:, :2] > n)
    if out.any():
        k = int(np.flatnonzero(out.any(axis=1))[0])
        raise InstanceError(f"{path}, line {k + 2}: node outside 1..{n} in {body[k]!r}")
    i, j, c = edges[:, 0] - 1, edges[:, 1] - 1, edges[:, 2].astype(float)
    # Beasley's convention: a repeated edge keeps its last cost; the graph is undirected.
    last = {}
    for a, b, w in zip(i.tolist(), j.tolist(), c.tolist(), strict=True):
        last[(min(a, b), max(a, b))] = w
    a, b = np.array(list(last)).T
    w = np.array(list(last.values()))
    graph = sparse.coo_array((w, (a, b)), shape=(n, n)).tocsr()
    return shortest_path(graph, method="D", directed=False), p


def _rss_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def ours(
    cost: np.ndarray, p: int, limit: float, branch_share: float | None = None
) -> dict[str, Any]:
    from accessibility.planning import p_median

    result = p_median(cost, p, time_limit=limit, branch_share=branch_share)
    return {
        "objective": result.objective,
        "bound": result.bound,
        "gap": result.gap,
        "proved": result.status == "optimal",
        "method": result.method,
    }


def spopt(cost: np.ndarray, p: int, limit: float) -> dict[str, Any]:
    import pulp
    from spopt.locate import PMedian

    model = PMedian.from_cost_matrix(cost, np.ones(cost.shape[0]), p_facilities=p)
    model.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=limit, threads=1))
    status = pulp.LpStatus[model.problem.status]
    # PuLP reports "Optimal" also when CBC stops at its time limit with a feasible plan; only
    # the solution status tells a proved optimum from that.
    proved = model.problem.sol_status == pulp.LpSolutionOptimal
    return {
        "objective": float(pulp.value(model.problem.objective)),
        "bound": float("nan"),
        "gap": float("nan"),
        "proved": bool(proved),
        "method": f"CBC ({status}, solution {pulp.LpSolution[model.problem.sol_status]})",
    }


def _worker(queue: mp.Queue, func: Any, args: tuple) -> None:
    # A process group of its own, so that a kill at the time limit takes CBC's child with it.
    os.setpgrp()
    warnings.simplefilter("ignore")
    start = time.perf_counter()
    try:
        out = func(*args)
    except Exception as exc:  # noqa: BLE001 - reported in the table, the run goes on
        out = {"error": f"{type(exc).__name__}: {exc}"}
    out["seconds"] = time.perf_counter() - start
    out["peak_mb"] = max(
        _rss_peak_mb(), resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    )
    queue.put(out)


def measure(func: Any, args: tuple, timeout: float) -> dict[str, Any]:
    """Run ``func(*args)`` in a forked process, killed ``timeout`` seconds after it starts."""
    ctx = mp.get_context("fork")
    queue: mp.Queue = ctx.Queue()
    proc = ctx.Process(target=_worker, args=(queue, func, args))
    start = time.perf_counter()
    proc.start()
    proc.join(timeout)
    if proc.is_alive():
        os.killpg(proc.pid, signal.SIGKILL)
        proc.join()
        return {"error": "killed at the time limit", "seconds": time.perf_counter() - start}
    return queue.get() if not queue.empty() else {"error": "no result", "seconds": timeout}


def parse_only(text: str | None) -> list[int]:
    """``"1-5,38"`` -> ``[1, 2, 3, 4, 5, 38]`` (all 40 when None)."""
    if not text:
        return list(OPTIMA)
    picked: list[int] = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        picked += list(range(int(lo), int(hi or lo) + 1))
    return picked


def _fmt(x: Any, spec: str) -> str:
    try:
        return "-" if x is None or not np.isfinite(x) else format(x, spec)
    except TypeError:
        return str(x)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="folder holding pmed1.txt ... pmed40.txt")
    parser.add_argument("--only", default=None, help="instance numbers, e.g. 1-5,38")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per solver run")
    parser.add_argument("--no-spopt", action="store_true", help="skip the spopt runs")
    parser.add_argument(
        "--synthetic", type=int, default=None, metavar="SEED",
        help="build a same-shaped instance where a file is missing",
    )  # fmt: skip
    parser.add_argument(
        "--branch-share", type=float, default=None,
        help="p_median's branch_share (0: without the Lagrangian branch-and-bound)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if not args.folder.is_dir() and args.synthetic is None:
        print(f"error: {args.folder} is not a folder", file=sys.stderr)
        return 2
    # Import both solvers here, so the forked runs time the solve and not the imports.
    import accessibility.planning  # noqa: F401

    if not args.no_spopt:
        import pulp  # noqa: F401
        from spopt.locate import PMedian  # noqa: F401 - the name ``spopt`` is the runner below
    header = (
        f"{'inst':>6} {'n':>4} {'p':>4} {'optimum':>8} | {'ours s':>7} {'objective':>9} "
        f"{'bound':>10} {'gap':>8} {'proved':>6} | {'spopt s':>7} {'objective':>9} "
        f"{'proved':>6} | {'ratio':>6}"
    )
    print(header)
    print("-" * len(header))
    totals = {"ours": 0.0, "spopt": 0.0, "both_ours": 0.0, "both_spopt": 0.0}
    counts = {"rows": 0, "proved": 0, "at_optimum": 0, "missing": []}
    for k in parse_only(args.only):
        path = args.folder / f"pmed{k}.txt"
        name, optimum = f"pmed{k}", float(OPTIMA[k])
        if path.is_file():
            cost, p = read_pmed(path)
        elif args.synthetic is not None:
            cost, p = synthetic_pmed(k, args.synthetic)
            name, optimum = f"syn{k}", np.nan
        else:
            counts["missing"].append(k)
            continue
        a = measure(ours, (cost, p, args.timeout, args.branch_share), args.timeout + 60)
        b = None if args.no_spopt else measure(spopt, (cost, p, args.timeout), args.timeout + 60)
        counts["rows"] += 1
        proved = bool(a.get("proved"))
        if not np.isfinite(optimum):
            # No published optimum: a proved objective is the optimum, else the better of the two.
            known = [r.get("objective", np.nan) for r in (a, b or {}) if r.get("proved")]
            found = [r.get("objective", np.nan) for r in (a, b or {}) if "objective" in r]
            optimum = min(known) if known else (min(found) if found else np.nan)
        hit = abs(a.get("objective", np.nan) - optimum) < 0.5
        counts["proved"] += proved and hit
        counts["at_optimum"] += hit
        totals["ours"] += a["seconds"]
        ratio = np.nan
        if b is not None:
            totals["spopt"] += b["seconds"]
            if b.get("proved") and proved:
                ratio = b["seconds"] / a["seconds"]
                totals["both_ours"] += a["seconds"]
                totals["both_spopt"] += b["seconds"]
        sb = b or {}
        print(
            f"{name:>6} {cost.shape[0]:>4} {p:>4} {_fmt(optimum, '.0f'):>8} | "
            f"{a['seconds']:>7.2f} {_fmt(a.get('objective'), '.0f'):>9} "
            f"{_fmt(a.get('bound'), '.2f'):>10} {_fmt(a.get('gap'), '.2e'):>8} "
            f"{'yes' if proved else 'no':>6} | {_fmt(sb.get('seconds'), '.2f'):>7} "
            f"{_fmt(sb.get('objective'), '.0f'):>9} "
            f"{('yes' if sb.get('proved') else 'no') if b else '-':>6} | {_fmt(ratio, '.1f'):>6}"
            + (f"  ours: {a['error']}" if "error" in a else "")
            + (f"  spopt: {sb['error']}" if "error" in sb else ""),
            flush=True,
        )
    print("-" * len(header))
    print(
        f"{counts['rows']} instances: {counts['at_optimum']} at the optimum (published, or proved "
        f"by either solver on synK), "
        f"{counts['proved']} of them proved; ours {totals['ours']:.1f} s in all"
        + (
            f", spopt {totals['spopt']:.1f} s; on the {''}instances both proved spopt took "
            f"{totals['both_spopt'] / max(totals['both_ours'], 1e-9):.1f}x our time"
            if not args.no_spopt
            else ""
        )
    )
    if counts["missing"]:
        print(f"missing files (skipped): pmed{', pmed'.join(map(str, counts['missing']))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
