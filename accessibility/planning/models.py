"""The exact p-median on a demand × candidate cost matrix (assignment or radius model, with HiGHS).

The covering models (MCLP, set cover, p-centre) are in :mod:`.covering`; all are importable from
:mod:`accessibility.planning`.
"""

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
from ._rows import DEFAULT_GAP, _relative_gap, _RowBlock
from .result import LocationResult

#: Restricted p-median models with at least this many pairs first solve their LP with PDLP.
LP_FIRST_PAIRS = 20_000

#: Share of the time left after the heuristic for the Lagrangian branch-and-bound (no group rule).
BRANCH_SHARE = 0.8


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
    branch_share: float | None = None,
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
    branch_share
        Share of the time left after the heuristic that goes to the Lagrangian
        branch-and-bound (:mod:`accessibility.planning.branch`) before any HiGHS model (None:
        :data:`BRANCH_SHARE`, four fifths); 0 skips it. When it stops unproven (time, or a tree
        whose least bound stalls), its
        plan, bound and root multipliers start the HiGHS model.

    Returns
    -------
    LocationResult
        ``method`` says which model proved it: ``"greedy+interchange, Lagrangian bound"`` when
        the heuristic's plan meets the bound, ``"Lagrangian branch-and-bound"`` (``details`` has
        its ``nodes`` and root bound), ``"highs (radius formulation)"`` where costs repeat
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
    branch_share = BRANCH_SHARE if branch_share is None else float(branch_share)
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
            if branch_share > 0:
                # Few sites on many candidates leave an LP gap that a MIP solver's root node
                # takes minutes over; the Lagrangian branch-and-bound closes it in seconds.
                from .branch import branch_and_bound

                tree = branch_and_bound(
                    pairs, w, p, open_lower, closed, best_open, best_objective,
                    guess.multipliers if guess.multipliers is not None else w * guess.distance,
                    time_limit=branch_share * (time_limit - (time.perf_counter() - start)),
                    mip_rel_gap=mip_rel_gap, codes=codes, per_group=per_group,
                )  # fmt: skip
                best_bound = max(best_bound, tree.bound)
                if tree.objective < best_objective:
                    best_open, best_objective = tree.open_mask.copy(), tree.objective
                tree_details = {
                    "nodes": tree.nodes,
                    "root_bound": tree.root_bound,
                    "root_seconds": tree.root_seconds,
                    "branch_status": tree.status,
                }
                if (
                    tree.status == "optimal"
                    or _relative_gap(best_objective, best_bound) <= mip_rel_gap
                ):
                    return _median_result(
                        pairs, best_open, best_objective, min(best_bound, best_objective),
                        "optimal", start, "Lagrangian branch-and-bound",
                        {"iterations": 0, "swaps": guess.swaps, **tree_details},
                    )  # fmt: skip
                guess.multipliers = tree.multipliers
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
