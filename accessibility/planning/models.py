"""Exact location models on a demand × candidate cost matrix: p-median, MCLP, set cover, p-center."""

from __future__ import annotations

import time
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
from scipy import sparse

from .._errors import InfeasibleError
from . import _highs
from ._input import (
    Pairs,
    _describe_rows,
    check_p,
    group_rows,
    nearest_open,
    to_fixed,
    to_groups,
    to_pairs,
    to_weights,
)
from .result import LocationResult

#: Default of ``mip_rel_gap``: tight enough that objectives match other exact solvers to 6 digits.
DEFAULT_GAP = 1e-6
#: Restricted p-median models with at least this many pairs first solve their LP with PDLP.
LP_FIRST_PAIRS = 20_000


def p_median(
    cost: Any,
    p: int,
    weights: Any = None,
    *,
    fixed: Any = None,
    groups: Sequence[Hashable] | None = None,
    per_group: str = "at_most",
    allow_unassigned: bool = False,
    k_nearest: int | None = None,
    bound_iterations: int = 300,
    time_limit: float = 600.0,
    mip_rel_gap: float = DEFAULT_GAP,
    threads: int = 1,
    seed: int = 0,
) -> LocationResult:
    """Choose ``p`` candidates minimising the weighted sum of distances to each demand row's nearest.

    Parameters
    ----------
    cost
        Demand × candidate costs (metres): a dense array (``inf`` = not allowed) or a scipy sparse
        matrix whose stored entries are the allowed pairs (explicit zeros kept, absent = not allowed).
    p
        Number of sites to open, fixed ones included.
    weights
        Demand per row (population); ones when None.
    fixed
        Candidates that must be open (indices or a boolean mask), e.g. existing centres.
    groups
        A label per candidate (e.g. its unit code; None for no group) and ``per_group``:
        ``"at_most"``, ``"at_least"`` or ``"exactly"`` one open site per label.
    allow_unassigned
        A demand row with no allowed candidate at all raises :class:`InfeasibleError` (naming the
        rows) unless this is True; then such rows are left out and reported with assignment -1.
    k_nearest
        Pairs per row in the first restricted model. None (the default) first runs
        :func:`~accessibility.planning.heuristics.p_median_heuristic` and keeps, per row, the
        candidates no farther than the heuristic's site for it; the heuristic's answer also starts
        the branch-and-bound (at least ``max(8, 3 m / p)`` are kept). Each row keeps its ``k`` nearest candidates and one slack priced at its
        ``k+1``-th nearest (a lower bound of any farther choice), so the restricted optimum bounds
        the true one from below; rows that use the slack get more candidates and the model is
        solved again until the gap closes. The answer is exact either way.
    bound_iterations
        Subgradient iterations of the heuristic's Lagrangian bound (with ``k_nearest=None``).
        When the heuristic meets the bound the answer is returned without a model; otherwise,
        without a group rule, sites the bound proves closed or open in every optimum are
        removed from or fixed in the model (reduced-cost fixing).
    time_limit, mip_rel_gap, threads, seed
        HiGHS options (seconds, relative gap, threads, random seed).

    Returns
    -------
    LocationResult
        ``method`` says which model proved it: ``"highs (radius formulation)"`` where costs repeat
        enough that the radius model (one column per distinct cost of a row, see
        :mod:`accessibility.planning.radius`) has at most 3/4 of the assignment model's columns
        and rows, as with integer or rounded distances; ``"highs"`` for the assignment model.

    Raises
    ------
    InfeasibleError
        If ``p`` is smaller than the fixed sites, rows have no allowed candidate, or no choice of
        ``p`` sites under the group rule reaches every row.
    """
    start = time.perf_counter()
    pairs = to_pairs(cost)
    w = to_weights(weights, pairs.n_rows)
    fixed_mask = to_fixed(fixed, pairs.n_cols)
    p = check_p(p, pairs.n_cols, fixed_mask)
    codes = to_groups(groups, pairs.n_cols)
    g_rows, g_cols, g_lo, g_hi = group_rows(codes, per_group, fixed_mask, p, labels=groups)

    empty = np.flatnonzero(pairs.row_length == 0)
    if empty.size and not allow_unassigned:
        raise InfeasibleError(
            f"demand rows {_describe_rows(empty)} have no allowed candidate "
            "(pass allow_unassigned=True to leave them out)"
        )
    open_lower = fixed_mask.copy()
    # A row with a single allowed candidate forces that candidate open; forced sites act as fixed.
    single = pairs.row_length == 1
    open_lower[pairs.cols[pairs.indptr[:-1][single]]] = True
    if open_lower.sum() > p:
        forced_rows = np.flatnonzero(single)
        raise InfeasibleError(
            f"{int(open_lower.sum())} candidates must be open (fixed, or the only allowed candidate of "
            f"demand rows {_describe_rows(forced_rows)}) but only p={p} sites are allowed"
        )
    best_open: np.ndarray | None = None
    best_objective = np.inf
    best_bound = -np.inf
    closed = np.zeros(pairs.n_cols, dtype=bool)
    guess = None
    if k_nearest is None:
        from .heuristics import reduced_cost_fixing, search

        try:
            guess = search(
                pairs,
                w,
                p,
                open_lower,
                codes,
                per_group,
                bound_iterations=bound_iterations,
                time_limit=min(60.0, 0.2 * time_limit),
            )
        except InfeasibleError:
            guess = None  # the heuristic may miss a feasible answer; the exact model decides
        if guess is not None:
            best_open, best_objective = guess.open_mask.copy(), guess.objective
            if np.isfinite(guess.bound):
                best_bound = guess.bound
            if _relative_gap(best_objective, best_bound) <= mip_rel_gap:
                # The heuristic's answer meets the Lagrangian bound: proven optimal, no model needed.
                return _median_result(
                    pairs,
                    best_open,
                    best_objective,
                    best_bound,
                    "optimal",
                    start,
                    "greedy+interchange, Lagrangian bound",
                    {"iterations": 0, "swaps": guess.swaps},
                )
            if guess.multipliers is not None and not (codes >= 0).any():
                # Sites the bound proves closed (or open) in every optimum leave the model.
                shut, must = reduced_cost_fixing(
                    pairs, w, p, open_lower, guess.multipliers, best_objective
                )
                still_served = (
                    np.bincount(pairs.row_of_pair[~shut[pairs.cols]], minlength=pairs.n_rows) > 0
                )
                if still_served[pairs.row_length > 0].all() and int(must.sum()) <= p:
                    closed, open_lower = shut, open_lower | must
    reduced, lengths, trivial, constant, active = _restrict(pairs, w, open_lower, closed)

    def first_k() -> np.ndarray:
        n_open_choice = max(int((~closed).sum()), 1)
        default_k = max(8, int(np.ceil(3 * n_open_choice / p)))
        k = np.minimum(lengths, max(1, int(k_nearest if k_nearest is not None else default_k)))
        if guess is not None:
            # Keep at least the candidates up to the heuristic's site, and enough more that few
            # rows reach for their slack: each widening round is a full solve.
            within_guess = reduced.costs <= guess.distance[reduced.row_of_pair]
            k_guess = np.bincount(reduced.row_of_pair[within_guess], minlength=pairs.n_rows)
            k = np.minimum(lengths, np.maximum(k, k_guess))
        return k

    k_row = first_k()
    radius_keep = k_row
    if guess is not None:
        # The radius model starts from the levels up to the heuristic's distance (plus two).
        within = reduced.costs <= guess.distance[reduced.row_of_pair]
        radius_keep = np.bincount(reduced.row_of_pair[within], minlength=pairs.n_rows)
    if active.size and _radius_is_smaller(reduced, active, k_row, radius_keep):
        return _radius_median(
            pairs, reduced, w, active, constant, p, open_lower, closed, codes,
            (g_rows, g_cols, g_lo, g_hi), guess, best_open, best_objective, best_bound,
            time_limit - (time.perf_counter() - start), mip_rel_gap, threads, seed, start,
        )  # fmt: skip
    if (
        guess is not None
        and _relative_gap(best_objective, best_bound) > mip_rel_gap
        and int(k_row[active].sum()) >= LP_FIRST_PAIRS
    ):
        # Large models: the LP relaxation by first-order PDLP takes seconds where simplex takes
        # minutes. Its duals are checked as Lagrangian multipliers in exact arithmetic (a valid
        # bound whatever their accuracy) and an integral LP optimum is a candidate plan.
        lp, _, _, _ = _solve_restricted_median(
            reduced, w, active, k_row, open_lower, p, g_rows, g_cols, g_lo, g_hi,
            0.5 * (time_limit - (time.perf_counter() - start)), mip_rel_gap, threads, seed,
            None, closed, relax=True, lp_solver="pdlp",
        )  # fmt: skip
        if lp.row_dual is not None and lp.x is not None:
            from .heuristics import lagrangian_value, reduced_cost_fixing

            lam = np.zeros(pairs.n_rows)
            lam[active] = lp.row_dual[: active.size]
            lam[trivial] = w[trivial] * reduced.costs[reduced.indptr[:-1][trivial]]
            lp_bound = lagrangian_value(reduced, w, p, open_lower, codes, per_group, lam)
            best_bound = min(max(best_bound, lp_bound), best_objective)
            y = lp.x[: pairs.n_cols]
            if np.all(np.abs(y - np.round(y)) <= 1e-6):
                candidate = y > 0.5
                value = _plan_value(pairs, w, candidate, p, open_lower, closed, codes, per_group)
                if value < best_objective:
                    best_objective, best_open = value, candidate
            if _relative_gap(best_objective, best_bound) <= mip_rel_gap:
                return _median_result(
                    pairs,
                    best_open,
                    best_objective,
                    best_bound,
                    "optimal",
                    start,
                    "LP relaxation (PDLP), Lagrangian bound",
                    {"iterations": 0, "lp_seconds": lp.runtime},
                )
            if not (codes >= 0).any():
                shut, must = reduced_cost_fixing(reduced, w, p, open_lower, lam, best_objective)
                shut |= closed
                still_served = (
                    np.bincount(pairs.row_of_pair[~shut[pairs.cols]], minlength=pairs.n_rows) > 0
                )
                if still_served[pairs.row_length > 0].all() and int((open_lower | must).sum()) <= p:
                    closed, open_lower = shut, open_lower | must
                    reduced, lengths, trivial, constant, active = _restrict(
                        pairs, w, open_lower, closed
                    )
                    k_row = first_k()
    status = "optimal"
    iterations = 0
    model_size: dict[str, int] = {}
    while True:
        iterations += 1
        remaining = time_limit - (time.perf_counter() - start)
        solution, n_x, slack_rows, size = _solve_restricted_median(
            reduced,
            w,
            active,
            k_row,
            open_lower,
            p,
            g_rows,
            g_cols,
            g_lo,
            g_hi,
            remaining,
            mip_rel_gap,
            threads,
            seed,
            best_open,
            closed,
        )
        model_size = size
        if solution.status == "infeasible":
            raise InfeasibleError(
                f"no choice of p={p} sites gives every demand row an allowed candidate"
                + (
                    f" with {per_group.replace('_', ' ')} one site per group"
                    if groups is not None
                    else ""
                )
            )
        if solution.x is None:
            status = solution.status
            break
        chosen = solution.x[: pairs.n_cols] > 0.5
        _, dist = nearest_open(pairs, chosen)
        served = np.isfinite(dist)
        value = (
            float(np.sum(w[served] * dist[served]))
            if served[pairs.row_length > 0].all()
            else np.inf
        )
        if value < best_objective:
            best_objective, best_open = value, chosen
        best_bound = min(max(best_bound, solution.bound + constant), best_objective)
        slack_used = slack_rows[solution.x[pairs.n_cols + n_x :] > 1e-9]
        gap = _relative_gap(best_objective, best_bound)
        if solution.status != "optimal":
            status = solution.status
            break
        if slack_used.size == 0 or gap <= mip_rel_gap:
            break
        # Widen the rows that wanted a farther candidate and solve again.
        k_row[slack_used] = np.minimum(lengths[slack_used], k_row[slack_used] * 4)
    if best_open is None:
        raise InfeasibleError(f"HiGHS found no solution within {time_limit} s (status {status})")
    gap = _relative_gap(best_objective, best_bound)
    return _median_result(
        pairs,
        best_open,
        best_objective,
        best_bound,
        "optimal" if status == "optimal" and gap <= max(mip_rel_gap, 1e-9) else status,
        start,
        "highs",
        {
            "iterations": iterations,
            "constant_rows": int(trivial.sum()),
            "model_rows": int(active.size),
            **model_size,
        },
    )


def mclp(
    cost: Any,
    p: int,
    radius: float,
    weights: Any = None,
    *,
    fixed: Any = None,
    groups: Sequence[Hashable] | None = None,
    per_group: str = "at_most",
    time_limit: float = 600.0,
    mip_rel_gap: float = DEFAULT_GAP,
    threads: int = 1,
    seed: int = 0,
) -> LocationResult:
    """Choose ``p`` candidates maximising the demand weight within ``radius`` of an open site.

    Parameters
    ----------
    cost, p, fixed, groups, per_group, time_limit, mip_rel_gap, threads, seed
        As for :func:`p_median`.
    radius
        Service distance: a row is covered by a candidate at cost ``<= radius``.
    weights
        Demand per row; ones when None.

    Returns
    -------
    LocationResult
        ``objective`` is the covered weight; ``details`` has ``covered_share`` and ``total_weight``.
        ``assignment`` is the nearest open site within the radius (-1: not covered).

    Notes
    -----
    Built on coverage sets: one variable per distinct set of covering candidates (rows with the same
    set are merged, rows covered by a fixed site or by nothing drop out), so the model grows with
    the candidates, not with the demand points.
    """
    start = time.perf_counter()
    pairs = to_pairs(cost, max_cost=radius)
    w = to_weights(weights, pairs.n_rows)
    fixed_mask = to_fixed(fixed, pairs.n_cols)
    p = check_p(p, pairs.n_cols, fixed_mask)
    codes = to_groups(groups, pairs.n_cols)
    g_rows, g_cols, g_lo, g_hi = group_rows(codes, per_group, fixed_mask, p, labels=groups)
    cover = _within(pairs, radius)
    _, fixed_dist = nearest_open(cover, fixed_mask)
    open_rows = np.flatnonzero((cover.row_length > 0) & ~np.isfinite(fixed_dist) & (w > 0))
    set_ptr, set_cols, set_weight, _ = _distinct_sets(cover, open_rows, w)
    m, u = pairs.n_cols, set_weight.size
    obj = np.concatenate([np.zeros(m), set_weight])
    rows = _RowBlock(m + u)
    # z_u - sum_{j in N_u} y_j <= 0
    lengths = np.diff(set_ptr)
    set_index = np.repeat(np.arange(u), lengths)
    rows.add(np.arange(u), m + np.arange(u), np.ones(u), None, None)
    rows.add(set_index, set_cols, -np.ones(set_cols.size), np.full(u, -np.inf), np.zeros(u))
    rows.add(np.zeros(m, dtype=np.int64), np.arange(m), np.ones(m), [p], [p])
    rows.add(g_rows, g_cols, np.ones(g_cols.size), g_lo, g_hi)
    matrix, lo, hi = rows.build()
    lower = np.concatenate([fixed_mask.astype(float), np.zeros(u)])
    upper = np.ones(m + u)
    integer = np.concatenate([np.ones(m, dtype=bool), np.zeros(u, dtype=bool)])
    incidence = sparse.csr_array((np.ones(set_cols.size), set_cols, set_ptr), shape=(u, m))
    budget = min(2.0, 0.1 * time_limit)
    start_open = _greedy_cover(incidence, set_weight, p, fixed_mask, budget)
    start_cover = (incidence @ start_open.astype(float)) > 0
    solution = _highs.solve(
        obj,
        lower,
        upper,
        integer,
        matrix,
        lo,
        hi,
        maximize=True,
        time_limit=time_limit,
        mip_rel_gap=mip_rel_gap,
        threads=threads,
        seed=seed,
        # HiGHS checks the start against every row and ignores it if a group rule fails.
        start=np.concatenate([start_open.astype(float), start_cover.astype(float)]),
    )
    if solution.x is None:
        raise InfeasibleError(
            f"no choice of p={p} sites satisfies the rules (HiGHS status {solution.status})"
        )
    chosen = solution.x[:m] > 0.5
    assignment, distance = nearest_open(cover, chosen)
    covered = assignment >= 0
    objective = float(w[covered].sum())
    fixed_weight = float(w[np.isfinite(fixed_dist)].sum())
    bound = solution.bound + fixed_weight
    gap = _relative_gap(objective, bound)
    total = float(w.sum())
    return LocationResult(
        model="mclp",
        selected=np.flatnonzero(chosen),
        objective=objective,
        assignment=assignment,
        distance=distance,
        status=solution.status,
        gap=gap,
        bound=bound,
        runtime=time.perf_counter() - start,
        details={
            "radius": float(radius),
            "total_weight": total,
            "covered_share": objective / total if total > 0 else float("nan"),
            "coverage_sets": int(u),
        },
    )


def set_cover(
    cost: Any,
    radius: float,
    *,
    fixed: Any = None,
    groups: Sequence[Hashable] | None = None,
    per_group: str = "at_most",
    time_limit: float = 600.0,
    mip_rel_gap: float = DEFAULT_GAP,
    threads: int = 1,
    seed: int = 0,
) -> LocationResult:
    """Choose the fewest candidates so that every demand row has one within ``radius``.

    Parameters
    ----------
    cost, fixed, groups, per_group, time_limit, mip_rel_gap, threads, seed
        As for :func:`p_median`.
    radius
        Service distance (cost ``<= radius`` covers).

    Returns
    -------
    LocationResult
        ``objective`` is the number of sites (fixed ones included).

    Raises
    ------
    InfeasibleError
        Naming the demand rows that no candidate reaches within the radius.
    """
    start = time.perf_counter()
    pairs = to_pairs(cost, max_cost=radius)
    fixed_mask = to_fixed(fixed, pairs.n_cols)
    codes = to_groups(groups, pairs.n_cols)
    g_rows, g_cols, g_lo, g_hi = group_rows(codes, per_group, fixed_mask, None, labels=groups)
    cover = _within(pairs, radius)
    unreachable = np.flatnonzero(cover.row_length == 0)
    if unreachable.size:
        raise InfeasibleError(
            f"radius {radius:g} is too small: demand rows {_describe_rows(unreachable)} "
            "have no candidate within it"
        )
    _, fixed_dist = nearest_open(cover, fixed_mask)
    open_rows = np.flatnonzero(~np.isfinite(fixed_dist))
    set_ptr, set_cols, _, _ = _distinct_sets(cover, open_rows, np.ones(pairs.n_rows))
    m, u = pairs.n_cols, set_ptr.size - 1
    rows = _RowBlock(m)
    rows.add(
        np.repeat(np.arange(u), np.diff(set_ptr)),
        set_cols,
        np.ones(set_cols.size),
        np.ones(u),
        np.full(u, np.inf),
    )
    rows.add(g_rows, g_cols, np.ones(g_cols.size), g_lo, g_hi)
    matrix, lo, hi = rows.build()
    solution = _highs.solve(
        np.ones(m),
        fixed_mask.astype(float),
        np.ones(m),
        np.ones(m, dtype=bool),
        matrix,
        lo,
        hi,
        time_limit=time_limit,
        mip_rel_gap=mip_rel_gap,
        threads=threads,
        seed=seed,
    )
    if solution.x is None:
        raise InfeasibleError(
            f"no set of sites covers every demand row within {radius:g} under the group rule "
            f"(HiGHS status {solution.status})"
        )
    chosen = solution.x > 0.5
    assignment, distance = nearest_open(cover, chosen)
    objective = float(chosen.sum())
    return LocationResult(
        model="set_cover",
        selected=np.flatnonzero(chosen),
        objective=objective,
        assignment=assignment,
        distance=distance,
        status=solution.status,
        gap=_relative_gap(objective, np.ceil(solution.bound - 1e-9)),
        bound=float(np.ceil(solution.bound - 1e-9)),
        runtime=time.perf_counter() - start,
        details={"radius": float(radius), "coverage_sets": int(u)},
    )


def p_center(
    cost: Any,
    p: int,
    *,
    fixed: Any = None,
    groups: Sequence[Hashable] | None = None,
    per_group: str = "at_most",
    time_limit: float = 600.0,
    threads: int = 1,
    seed: int = 0,
) -> LocationResult:
    """Choose ``p`` candidates minimising the largest distance from a demand row to its nearest.

    Solved exactly as a search over the distinct costs: for a trial radius, a feasibility model
    asks whether ``p`` sites (with the fixed ones and the group rule) cover every row within it.
    Each feasible answer's true largest distance becomes the new upper end, each infeasible one
    raises the lower end, so few models are solved and each is a small covering model.

    Parameters
    ----------
    cost, p, fixed, groups, per_group, time_limit, threads, seed
        As for :func:`p_median`.

    Returns
    -------
    LocationResult
        ``objective`` is the largest distance.

    Raises
    ------
    InfeasibleError
        Naming demand rows with no allowed candidate, or when no choice of ``p`` sites reaches all.
    """
    start = time.perf_counter()
    pairs = to_pairs(cost)
    fixed_mask = to_fixed(fixed, pairs.n_cols)
    p = check_p(p, pairs.n_cols, fixed_mask)
    codes = to_groups(groups, pairs.n_cols)
    g_rows, g_cols, g_lo, g_hi = group_rows(codes, per_group, fixed_mask, p, labels=groups)
    empty = np.flatnonzero(pairs.row_length == 0)
    if empty.size:
        raise InfeasibleError(f"demand rows {_describe_rows(empty)} have no allowed candidate")
    values = np.unique(pairs.costs)
    # No radius below the largest row minimum can work: every row needs some site.
    floor = pairs.costs[pairs.indptr[:-1]].max()
    lo_idx = int(np.searchsorted(values, floor))
    hi_idx = values.size - 1
    best: np.ndarray | None = None
    solves = 0
    status = "optimal"

    def feasible(idx: int) -> tuple[str, np.ndarray | None]:
        cover = _within(pairs, float(values[idx]))
        _, fixed_dist = nearest_open(cover, fixed_mask)
        open_rows = np.flatnonzero(~np.isfinite(fixed_dist))
        set_ptr, set_cols, _, _ = _distinct_sets(cover, open_rows, np.ones(pairs.n_rows))
        m, u = pairs.n_cols, set_ptr.size - 1
        rows = _RowBlock(m)
        rows.add(
            np.repeat(np.arange(u), np.diff(set_ptr)),
            set_cols,
            np.ones(set_cols.size),
            np.ones(u),
            np.full(u, np.inf),
        )
        rows.add(np.zeros(m, dtype=np.int64), np.arange(m), np.ones(m), [p], [p])
        rows.add(g_rows, g_cols, np.ones(g_cols.size), g_lo, g_hi)
        matrix, lo, hi = rows.build()
        remaining = max(1.0, time_limit - (time.perf_counter() - start))
        sol = _highs.solve(
            np.zeros(m),
            fixed_mask.astype(float),
            np.ones(m),
            np.ones(m, dtype=bool),
            matrix,
            lo,
            hi,
            time_limit=remaining,
            threads=threads,
            seed=seed,
        )
        return sol.status, (None if sol.x is None else sol.x > 0.5)

    # The largest cost always works unless the rules make the problem infeasible.
    state, chosen = feasible(hi_idx)
    solves += 1
    if chosen is None:
        raise InfeasibleError(
            f"no choice of p={p} sites gives every demand row an allowed candidate under the rules"
            f" (HiGHS status {state})"
        )
    best = chosen
    _, dist = nearest_open(pairs, best)
    hi_idx = int(np.searchsorted(values, dist.max()))
    while lo_idx < hi_idx:
        if time.perf_counter() - start > time_limit:
            status = "time_limit"
            break
        mid = (lo_idx + hi_idx) // 2
        state, chosen = feasible(mid)
        solves += 1
        if chosen is not None:
            best = chosen
            _, dist = nearest_open(pairs, best)
            hi_idx = int(np.searchsorted(values, dist.max()))
        elif state == "infeasible":
            lo_idx = mid + 1
        else:
            status = state
            break
    assignment, distance = nearest_open(pairs, best)
    objective = float(distance.max())
    bound = float(values[lo_idx])
    return LocationResult(
        model="p_center",
        selected=np.flatnonzero(best),
        objective=objective,
        assignment=assignment,
        distance=distance,
        status=status,
        gap=_relative_gap(objective, bound),
        bound=bound,
        runtime=time.perf_counter() - start,
        details={"models_solved": solves},
    )


class _RowBlock:
    """Constraint rows gathered as coordinate triplets, then assembled once into CSR."""

    def __init__(self, n_cols: int) -> None:
        self.n_cols = n_cols
        self.n_rows = 0
        self.r: list[np.ndarray] = []
        self.c: list[np.ndarray] = []
        self.v: list[np.ndarray] = []
        self.lo: list[np.ndarray] = []
        self.hi: list[np.ndarray] = []

    def add(self, row: Any, col: Any, val: Any, lower: Any, upper: Any) -> None:
        """Add entries at local rows ``row``; ``lower``/``upper`` start the new rows.

        With ``lower`` None the entries go into the rows the next call opens, so
        one constraint can be assembled from two blocks of columns.
        """
        row = np.asarray(row, dtype=np.int64)
        self.r.append(row + self.n_rows)
        self.c.append(np.asarray(col, dtype=np.int64))
        self.v.append(np.asarray(val, dtype=np.float64))
        if lower is not None:
            self.lo.append(np.asarray(lower, dtype=np.float64))
            self.hi.append(np.asarray(upper, dtype=np.float64))
            self.n_rows += len(lower)

    def build(self) -> tuple[sparse.csr_array, np.ndarray, np.ndarray]:
        """The CSR matrix and row bounds (infinite bounds mapped to HiGHS' infinity)."""
        r = np.concatenate(self.r) if self.r else np.zeros(0, dtype=np.int64)
        c = np.concatenate(self.c) if self.c else np.zeros(0, dtype=np.int64)
        v = np.concatenate(self.v) if self.v else np.zeros(0)
        matrix = sparse.csr_array((v, (r, c)), shape=(self.n_rows, self.n_cols))
        lo = np.concatenate(self.lo) if self.lo else np.zeros(0)
        hi = np.concatenate(self.hi) if self.hi else np.zeros(0)
        return matrix, np.maximum(lo, -_highs.INF), np.minimum(hi, _highs.INF)


def pairs_to_csr(pairs: Pairs) -> sparse.csr_array:
    """The allowed pairs as a CSR matrix (explicit zeros kept), for passing between models."""
    return sparse.csr_array(
        (pairs.costs, pairs.cols.astype(np.int64), pairs.indptr.astype(np.int64)),
        shape=(pairs.n_rows, pairs.n_cols),
    )


def _median_result(
    pairs: Pairs,
    open_mask: np.ndarray,
    objective: float,
    bound: float,
    status: str,
    started: float,
    method: str,
    details: dict[str, Any],
) -> LocationResult:
    """A p-median answer: each row's nearest open site, the gap and the run time since ``started``."""
    assignment, distance = nearest_open(pairs, open_mask)
    return LocationResult(
        model="p_median",
        selected=np.flatnonzero(open_mask),
        objective=objective,
        assignment=assignment,
        distance=distance,
        status=status,
        gap=_relative_gap(objective, bound),
        bound=bound,
        runtime=time.perf_counter() - started,
        method=method,
        details=details,
    )


def _radius_is_smaller(
    reduced: Pairs, active: np.ndarray, keep: np.ndarray, radius_keep: np.ndarray | None = None
) -> bool:
    """Whether the first radius model has at most 3/4 of the first assignment model's size.

    Sizes are columns plus rows: the assignment model on ``keep[i]`` pairs per row, the radius
    model on the levels of the first ``radius_keep[i]`` pairs (``keep`` when None) and two more
    levels per row, as :func:`~accessibility.planning.radius.solve_radius` starts. The radius
    model has one column and row per distinct cost, so it wins where costs repeat (integer or
    clustered distances) or where the heuristic's plan is near (its levels are few); with all
    costs distinct and the same pairs the two are about the same size and the assignment model
    is kept.
    """
    from .radius import model_counts

    c = model_counts(reduced, active, keep)
    r = c if radius_keep is None else model_counts(reduced, active, radius_keep)
    extra = 0 if radius_keep is None else 4 * active.size
    radius = r["radius_columns"] + r["radius_rows"] + extra
    return radius <= 0.75 * (c["assignment_columns"] + c["assignment_rows"])


def _radius_median(
    pairs: Pairs,
    reduced: Pairs,
    w: np.ndarray,
    active: np.ndarray,
    constant: float,
    p: int,
    open_lower: np.ndarray,
    closed: np.ndarray,
    codes: np.ndarray,
    groups: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    guess: Any,
    best_open: np.ndarray | None,
    best_objective: float,
    best_bound: float,
    time_limit: float,
    mip_rel_gap: float,
    threads: int,
    seed: int,
    started: float,
) -> LocationResult:
    """The p-median by :func:`~accessibility.planning.radius.solve_radius` on the restricted pairs."""
    from .radius import solve_radius

    out = solve_radius(
        reduced, w, active, constant, p, open_lower, closed, groups,
        full_pairs=pairs, start_open=best_open,
        start_distance=None if guess is None else guess.distance,
        upper=best_objective, bound=best_bound, time_limit=time_limit,
        mip_rel_gap=mip_rel_gap, threads=threads, seed=seed, fixing=True,
    )  # fmt: skip
    if out.status == "infeasible" and out.open_mask is None:
        raise InfeasibleError(
            f"no choice of p={p} sites gives every demand row an allowed candidate under the rules"
        )
    if out.open_mask is None:
        raise InfeasibleError(f"HiGHS found no solution within {time_limit:.0f} s ({out.status})")
    gap = _relative_gap(out.objective, out.bound)
    status = "optimal" if gap <= max(mip_rel_gap, 1e-9) else out.status
    return _median_result(
        pairs, out.open_mask, out.objective, out.bound, status, started,
        "highs (radius formulation)",
        {"constant_rows": int((reduced.row_length == 1).sum()), "model_rows": int(active.size),
         **out.details},
    )  # fmt: skip


def _restrict(
    pairs: Pairs, w: np.ndarray, open_lower: np.ndarray, closed: np.ndarray
) -> tuple[Pairs, np.ndarray, np.ndarray, float, np.ndarray]:
    """The pairs a p-median model needs, given sites known open and known closed.

    Pairs costlier than a row's nearest always-open site can never be used: they go, and rows
    left with that one site contribute a constant. Pairs of closed sites go too.

    Returns
    -------
    (reduced, lengths, trivial, constant, active)
        The kept pairs, their count per row, the rows fixed to their open site, those rows'
        weighted cost, and the rows the model must decide.
    """
    anchor_col, anchor_cost = nearest_open(pairs, open_lower)
    rows_of_pair = pairs.row_of_pair
    keep = (pairs.costs < anchor_cost[rows_of_pair]) | (pairs.cols == anchor_col[rows_of_pair])
    keep &= ~closed[pairs.cols]
    lengths = np.bincount(rows_of_pair[keep], minlength=pairs.n_rows)
    reduced = Pairs(
        pairs.n_rows,
        pairs.n_cols,
        np.concatenate([[0], np.cumsum(lengths)]),
        pairs.cols[keep],
        pairs.costs[keep],
    )
    trivial = (lengths == 1) & (anchor_col >= 0) & open_lower[np.maximum(anchor_col, 0)]
    constant = float(np.sum(w[trivial] * anchor_cost[trivial]))
    active = np.flatnonzero((lengths > 0) & ~trivial)
    return reduced, lengths, trivial, constant, active


def _plan_value(
    pairs: Pairs,
    w: np.ndarray,
    candidate: np.ndarray,
    p: int,
    open_lower: np.ndarray,
    closed: np.ndarray,
    codes: np.ndarray,
    per_group: str,
) -> float:
    """Weighted distance of a set of open sites, or inf if it breaks a rule or leaves a row unserved."""
    if int(candidate.sum()) != p or (open_lower & ~candidate).any() or (closed & candidate).any():
        return np.inf
    grouped = codes >= 0
    if grouped.any():
        per = np.bincount(codes[candidate & grouped], minlength=int(codes.max()) + 1)
        if per_group in ("at_most", "exactly") and (per > 1).any():
            return np.inf
        if per_group in ("at_least", "exactly") and (per < 1).any():
            return np.inf
    _, dist = nearest_open(pairs, candidate)
    served = np.isfinite(dist)
    if not served[pairs.row_length > 0].all():
        return np.inf
    return float(np.sum(w[served] * dist[served]))


def _relative_gap(objective: float, bound: float) -> float:
    """|objective - bound| / |objective| (0 when both are 0, inf when there is no objective)."""
    if not np.isfinite(objective) or not np.isfinite(bound):
        return float("inf")
    if objective == bound:
        return 0.0
    return float(abs(objective - bound) / max(abs(objective), 1e-12))


def _within(pairs: Pairs, radius: float) -> Pairs:
    """The pairs at cost ``<= radius`` (still sorted by cost per row)."""
    keep = pairs.costs <= float(radius)
    lengths = np.bincount(pairs.row_of_pair[keep], minlength=pairs.n_rows)
    return Pairs(
        pairs.n_rows,
        pairs.n_cols,
        np.concatenate([[0], np.cumsum(lengths)]),
        pairs.cols[keep],
        pairs.costs[keep],
    )


def _greedy_cover(
    incidence: sparse.csr_array,
    weight: np.ndarray,
    p: int,
    fixed: np.ndarray,
    budget: float,
) -> np.ndarray:
    """A start for the MCLP: greedy additions, then single swaps while they gain and time lasts.

    Parameters
    ----------
    incidence
        Coverage sets × candidates, 1 where the candidate covers the set.
    weight
        Demand weight of each set.
    p
        Number of sites to open (fixed ones included).
    fixed
        Candidates that must be open.
    budget
        Seconds the swap phase may take; the greedy phase always completes.

    Returns
    -------
    numpy.ndarray
        Boolean mask of the ``p`` open candidates.

    Notes
    -----
    With the coverage LP usually tight, a good start lets HiGHS stop at the root node instead of
    searching for an incumbent; the start needs no group rule because HiGHS only uses it if feasible.
    """
    began = time.perf_counter()
    by_site = incidence.T.tocsr()
    chosen = fixed.copy()
    covering = np.asarray(incidence @ chosen.astype(float))

    def column(j: int) -> np.ndarray:
        dense = np.zeros(incidence.shape[0])
        dense[by_site.indices[by_site.indptr[j] : by_site.indptr[j + 1]]] = 1.0
        return dense

    while chosen.sum() < p:
        gain = by_site @ (weight * (covering == 0))
        gain[chosen] = -1.0
        best = int(np.argmax(gain))
        chosen[best] = True
        covering += column(best)
    improved = True
    while improved and time.perf_counter() - began < budget:
        improved = False
        loss = by_site @ (weight * (covering == 1))
        movable = np.flatnonzero(chosen & ~fixed)
        for j in movable[np.argsort(loss[movable], kind="stable")]:
            without = covering - column(j)
            gain = by_site @ (weight * (without == 0))
            gain[chosen] = -1.0
            best = int(np.argmax(gain))
            # Strictly better only, so the search ends; ties keep the earlier choice.
            if gain[best] > loss[j] * (1 + 1e-12) + 1e-9:
                chosen[j], chosen[best] = False, True
                covering = without + column(best)
                improved = True
                break
            if time.perf_counter() - began >= budget:
                break
    return chosen


def _distinct_sets(
    pairs: Pairs, rows: np.ndarray, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Merge ``rows`` whose candidate sets are equal.

    Returns
    -------
    (indptr, cols, weight, set_of_row)
        CSR of the distinct sets (columns ascending), the summed weight of each set, and for every
        row in ``rows`` the set it went to.
    """
    index: dict[bytes, int] = {}
    set_of_row = np.empty(rows.size, dtype=np.int64)
    members: list[np.ndarray] = []
    for k, i in enumerate(rows):
        cols = np.sort(pairs.cols[pairs.indptr[i] : pairs.indptr[i + 1]])
        key = cols.tobytes()
        found = index.get(key)
        if found is None:
            found = index[key] = len(members)
            members.append(cols)
        set_of_row[k] = found
    weight = np.bincount(set_of_row, weights=weights[rows], minlength=len(members))
    lengths = np.array([c.size for c in members], dtype=np.int64)
    indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    cols = np.concatenate(members) if members else np.zeros(0, dtype=np.int64)
    return indptr, cols, weight, set_of_row


def _solve_restricted_median(
    pairs: Pairs,
    w: np.ndarray,
    active: np.ndarray,
    k_row: np.ndarray,
    open_lower: np.ndarray,
    p: int,
    g_rows: np.ndarray,
    g_cols: np.ndarray,
    g_lo: np.ndarray,
    g_hi: np.ndarray,
    time_limit: float,
    mip_rel_gap: float,
    threads: int,
    seed: int,
    start_open: np.ndarray | None = None,
    closed: np.ndarray | None = None,
    *,
    relax: bool = False,
    lp_solver: str | None = None,
) -> tuple[_highs.MipSolution, int, np.ndarray, dict[str, int]]:
    """The p-median on each active row's ``k_row`` nearest pairs plus a slack at the next cost.

    Columns: sites ``y`` (m), pair assignments ``x`` (one per kept pair), slacks ``s`` (one per
    row that has farther candidates than kept). Returns the solution, the number of ``x`` columns,
    the demand row of every slack column and the model size.
    """
    m = pairs.n_cols
    start = pairs.indptr[active]
    k = k_row[active]
    # Positions of the kept pairs: start[i] .. start[i] + k[i] for every active row.
    row_local = np.repeat(np.arange(active.size), k)
    offset = np.arange(row_local.size) - np.repeat(np.cumsum(k) - k, k)
    position = start[row_local] + offset
    x_col = pairs.cols[position]
    x_cost = pairs.costs[position] * w[active][row_local]
    n_x = position.size
    has_slack = k < np.diff(pairs.indptr)[active]
    slack_local = np.flatnonzero(has_slack)
    slack_cost = pairs.costs[start[slack_local] + k[slack_local]] * w[active][slack_local]
    n_s = slack_local.size
    n_col = m + n_x + n_s
    rows = _RowBlock(n_col)
    a = active.size
    # Every active row is served once: sum x + s = 1.
    rows.add(row_local, m + np.arange(n_x), np.ones(n_x), None, None)
    rows.add(slack_local, m + n_x + np.arange(n_s), np.ones(n_s), np.ones(a), np.ones(a))
    # Linking x_ij <= y_j, skipped where the site is open anyway.
    link = np.flatnonzero(~open_lower[x_col])
    n_link = link.size
    rows.add(np.arange(n_link), m + link, np.ones(n_link), None, None)
    rows.add(
        np.arange(n_link), x_col[link], -np.ones(n_link), np.full(n_link, -np.inf), np.zeros(n_link)
    )
    rows.add(np.zeros(m, dtype=np.int64), np.arange(m), np.ones(m), [p], [p])
    rows.add(g_rows, g_cols, np.ones(g_cols.size), g_lo, g_hi)
    matrix, lo, hi = rows.build()
    obj = np.concatenate([np.zeros(m), x_cost, slack_cost])
    lower = np.concatenate([open_lower.astype(float), np.zeros(n_x + n_s)])
    upper = np.ones(n_col)
    if closed is not None:
        upper[:m][closed] = 0.0
    integer = np.concatenate([np.ones(m, dtype=bool), np.zeros(n_x + n_s, dtype=bool)])
    start = None
    if start_open is not None:
        # The start assigns each row to its nearest open kept pair; unusable if a row has none.
        x_open = start_open[x_col].astype(float)
        order = np.flatnonzero(x_open)
        first_per_row = np.full(a, np.iinfo(np.int64).max)
        np.minimum.at(first_per_row, row_local[order], order)
        if (first_per_row < n_x).all():
            x_start = np.zeros(n_x)
            x_start[first_per_row] = 1.0
            start = np.concatenate([start_open.astype(float), x_start, np.zeros(n_s)])
    solution = _highs.solve(
        obj,
        lower,
        upper,
        integer,
        matrix,
        lo,
        hi,
        time_limit=max(1.0, time_limit),
        mip_rel_gap=mip_rel_gap,
        threads=threads,
        seed=seed,
        start=None if relax else start,
        relax=relax,
        lp_solver=lp_solver,
    )
    size = {"model_columns": int(n_col), "model_constraints": int(matrix.shape[0])}
    return solution, n_x, active[slack_local], size
