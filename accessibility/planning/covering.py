"""Covering and centre models: maximal covering (MCLP), set cover and p-centre, exact with HiGHS."""

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
