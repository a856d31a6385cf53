"""Fast p-median for instances too big for the exact model: greedy, fast interchange, Lagrangian bound."""

from __future__ import annotations

import time
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse

from .._errors import InfeasibleError
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


def p_median_heuristic(
    cost: Any,
    p: int,
    weights: Any = None,
    *,
    fixed: Any = None,
    groups: Sequence[Hashable] | None = None,
    per_group: str = "at_most",
    allow_unassigned: bool = False,
    max_swaps: int | None = None,
    bound_iterations: int = 300,
    time_limit: float = 600.0,
) -> LocationResult:
    """p-median by greedy addition then best-improvement interchange, with a Lagrangian lower bound.

    The interchange is the fast form of Teitz and Bart's swap (Whitaker; Resende and Werneck): for
    every demand row the nearest and second-nearest open sites are kept, and the profit of every
    (add, drop) pair comes from three vectorised sums over the allowed pairs, so one pass costs
    O(pairs + candidates × sites) instead of one objective evaluation per pair. Swaps stop when none
    improves the objective. The bound relaxes the assignment constraints (subgradient method); the
    reported ``gap`` is ``(objective - bound) / objective``, a proof of how far from optimal at most.

    Parameters
    ----------
    cost, p, weights, fixed, groups, per_group, allow_unassigned
        As for :func:`accessibility.planning.p_median`.
    max_swaps
        Stop after this many swaps (None: until no swap improves).
    bound_iterations
        Subgradient iterations of the Lagrangian bound (0: no bound, ``gap`` is NaN).
    time_limit
        Seconds after which the interchange stops with the best solution so far.

    Returns
    -------
    LocationResult
        ``status`` is ``"heuristic"``; ``details`` has ``swaps`` and ``greedy_objective``.

    Notes
    -----
    Rows of weight zero do not steer the search (they cannot change the objective).
    """
    start = time.perf_counter()
    pairs = to_pairs(cost)
    w = to_weights(weights, pairs.n_rows)
    fixed_mask = to_fixed(fixed, pairs.n_cols)
    p = check_p(p, pairs.n_cols, fixed_mask)
    codes = to_groups(groups, pairs.n_cols)
    group_rows(
        codes, per_group, fixed_mask, p, labels=groups
    )  # validates the rule against p and fixed sites
    empty = np.flatnonzero(pairs.row_length == 0)
    if empty.size and not allow_unassigned:
        raise InfeasibleError(
            f"demand rows {_describe_rows(empty)} have no allowed candidate "
            "(pass allow_unassigned=True to leave them out)"
        )
    found = search(
        pairs,
        w,
        p,
        fixed_mask,
        codes,
        per_group,
        max_swaps=max_swaps,
        bound_iterations=bound_iterations,
        time_limit=time_limit - (time.perf_counter() - start),
    )
    objective, bound = found.objective, found.bound
    gap = (objective - bound) / objective if objective > 0 and np.isfinite(bound) else 0.0
    return LocationResult(
        model="p_median",
        selected=np.flatnonzero(found.open_mask),
        objective=objective,
        assignment=found.assignment,
        distance=found.distance,
        status="heuristic",
        gap=float(max(gap, 0.0)) if np.isfinite(bound) else float("nan"),
        bound=float(bound),
        runtime=time.perf_counter() - start,
        method="greedy+interchange",
        details={"swaps": found.swaps, "greedy_objective": found.greedy_objective},
    )


@dataclass
class Search:
    """Outcome of :func:`search`: the sites, their objective, and the Lagrangian bound's multipliers."""

    open_mask: np.ndarray
    objective: float
    assignment: np.ndarray
    distance: np.ndarray
    bound: float
    multipliers: np.ndarray | None
    swaps: int
    greedy_objective: float


def search(
    pairs: Pairs,
    w: np.ndarray,
    p: int,
    fixed_mask: np.ndarray,
    codes: np.ndarray,
    per_group: str,
    *,
    max_swaps: int | None = None,
    bound_iterations: int = 300,
    time_limit: float = 600.0,
) -> Search:
    """Greedy, interchange and bound on validated inputs (see :func:`p_median_heuristic`)."""
    start = time.perf_counter()
    # An unserved row costs a penalty far above any real distance, so the search serves rows first.
    penalty = unserved_penalty(pairs, w)
    row = pairs.row_of_pair
    pair_weight = w[row]

    open_mask = _greedy(pairs, w, row, p, fixed_mask, codes, per_group, penalty)
    greedy_value = _objective(pairs, w, open_mask)
    swaps = 0
    while max_swaps is None or swaps < max_swaps:
        if time.perf_counter() - start > time_limit:
            break
        move = _best_swap(
            pairs, w, row, pair_weight, open_mask, fixed_mask, codes, per_group, penalty
        )
        if move is None:
            break
        add, drop = move
        open_mask[add], open_mask[drop] = True, False
        swaps += 1
    objective = _objective(pairs, w, open_mask)
    assignment, distance = nearest_open(pairs, open_mask)
    if (assignment[pairs.row_length > 0] < 0).any():
        missing = np.flatnonzero((assignment < 0) & (pairs.row_length > 0))
        raise InfeasibleError(
            f"no site found that reaches demand rows {_describe_rows(missing)} with p={p}"
        )
    bound, multipliers = np.nan, None
    if bound_iterations > 0:
        bound, multipliers = _lagrangian_bound(
            pairs, w, row, p, fixed_mask, codes, per_group, distance, objective, bound_iterations
        )
    return Search(
        open_mask, objective, assignment, distance, bound, multipliers, swaps, greedy_value
    )


def reduced_cost_fixing(
    pairs: Pairs,
    w: np.ndarray,
    p: int,
    fixed_mask: np.ndarray,
    multipliers: np.ndarray,
    upper: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Candidates that no solution better than ``upper`` can close or open (no group rule).

    With the multipliers, the subproblem opens the ``p`` sites of least score; forcing a site
    in (or out) swaps it with the last chosen (or the first unchosen) one, so that swap's score
    difference added to the bound bounds every solution with that site in (or out). Where that
    exceeds ``upper``, the site's state in any optimum is known.

    Returns
    -------
    (closed, opened)
        Boolean masks of the candidates that are closed, resp. open, in every optimal solution.
    """
    row = pairs.row_of_pair
    served = pairs.row_length > 0
    reduced = np.minimum(w[row] * pairs.costs - multipliers[row], 0.0)
    score = np.bincount(pairs.cols, weights=reduced, minlength=pairs.n_cols)
    chosen = best_sites(score, p, fixed_mask, np.full(pairs.n_cols, -1), "at_most")
    bound = float(multipliers[served].sum() + score[chosen].sum())
    margin = 1e-9 * max(abs(upper), 1.0)
    closed = np.zeros(pairs.n_cols, dtype=bool)
    opened = fixed_mask.copy()
    free_chosen = chosen & ~fixed_mask
    unchosen = ~chosen
    if free_chosen.any() and unchosen.any():
        worst_in = float(score[free_chosen].max())
        best_out = float(score[unchosen].min())
        closed = unchosen & (bound + score - worst_in > upper + margin)
        opened |= free_chosen & (bound + best_out - score > upper + margin)
    return closed, opened


def _objective(pairs: Pairs, w: np.ndarray, open_mask: np.ndarray) -> float:
    """Weighted distance of the rows that have an allowed candidate (inf if one is unserved)."""
    _, distance = nearest_open(pairs, open_mask)
    served = pairs.row_length > 0
    if not np.isfinite(distance[served]).all():
        return float("inf")
    return float(np.sum(w[served] * distance[served]))


def _eligible(
    open_mask: np.ndarray, codes: np.ndarray, per_group: str, p: int, fixed_mask: np.ndarray
) -> np.ndarray:
    """Candidates the greedy may add next without breaking the group rule."""
    ok = ~open_mask
    grouped = codes >= 0
    if not grouped.any():
        return ok
    n_groups = int(codes.max()) + 1
    count = np.bincount(codes[open_mask & grouped], minlength=n_groups)
    if per_group in ("at_most", "exactly"):
        ok &= ~grouped | (count[np.maximum(codes, 0)] == 0)
    if per_group in ("at_least", "exactly"):
        unserved_groups = int((count == 0).sum())
        remaining = p - int(open_mask.sum())
        if remaining <= unserved_groups:
            # Every remaining pick must open a group that has no site yet.
            ok &= grouped & (count[np.maximum(codes, 0)] == 0)
    return ok


def _greedy(
    pairs: Pairs,
    w: np.ndarray,
    row: np.ndarray,
    p: int,
    fixed_mask: np.ndarray,
    codes: np.ndarray,
    per_group: str,
    penalty: float,
) -> np.ndarray:
    """Add, one at a time, the candidate that lowers the weighted distance most.

    Lazily (Minoux's accelerated greedy): a candidate's saving only shrinks as sites open, so
    the savings of an earlier step bound those of this one, and only candidates whose bound
    leads are summed again, each over its own pairs in the order of the sum over all pairs
    (the same floating-point sums): the same sites in the same order as summing every
    candidate at every step, for a few sums per step instead of one pass over all pairs.
    """
    open_mask = fixed_mask.copy()
    _, current = nearest_open(pairs, open_mask)
    current = np.where(np.isfinite(current), current, penalty)
    bound = np.bincount(
        pairs.cols,
        weights=w[row] * np.maximum(current[row] - pairs.costs, 0.0),
        minlength=pairs.n_cols,
    )
    exact = np.ones(pairs.n_cols, dtype=bool)
    # The pairs of each candidate, in pair order.
    by_column = np.argsort(pairs.cols, kind="stable")
    starts = np.searchsorted(pairs.cols[by_column], np.arange(pairs.n_cols + 1))
    while open_mask.sum() < p:
        eligible = _eligible(open_mask, codes, per_group, p, fixed_mask)
        if not eligible.any():
            raise InfeasibleError(
                f"the group rule leaves no candidate to open site {int(open_mask.sum()) + 1} of {p}"
            )
        leading = np.where(eligible, bound, -np.inf)
        while True:
            # Ties go to the lowest column: a fixed, documented order keeps runs repeatable.
            choice = int(np.argmax(leading))
            if exact[choice]:
                break
            mine = by_column[starts[choice] : starts[choice + 1]]
            rows = row[mine]
            terms = w[rows] * np.maximum(current[rows] - pairs.costs[mine], 0.0)
            bound[choice] = leading[choice] = np.bincount(
                np.zeros(mine.size, dtype=np.intp), weights=terms, minlength=1
            )[0]
            exact[choice] = True
        open_mask[choice] = True
        mine = by_column[starts[choice] : starts[choice + 1]]
        np.minimum.at(current, row[mine], pairs.costs[mine])
        exact[:] = False
    return open_mask


def unserved_penalty(pairs: Pairs, w: np.ndarray) -> float:
    """The cost per unit of weight of leaving a row unserved, in the search's distance terms.

    Above the whole weighted distance of the instance divided by the least positive weight, so
    that no saving anywhere can pay for leaving even the lightest row unserved (a penalty of a
    fixed multiple of the longest cost let a populous swap drop a village's only reachable site).
    """
    if pairs.costs.size == 0:
        return 1.0
    top = float(pairs.costs.max()) + 1.0
    positive = w[w > 0]
    if positive.size == 0:
        return 1e3 * top
    return max(1e3 * top, 2.0 * top * float(positive.sum()) / float(positive.min()))


def _two_nearest(
    pairs: Pairs, open_mask: np.ndarray, penalty: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nearest open site of each row, its cost and the cost of the second nearest (penalty if none).

    Each row's pairs are sorted by cost, so its first two open pairs are the two nearest: they
    are found among the positions of all open pairs by one search per row.
    """
    first = np.full(pairs.n_rows, -1, dtype=np.int64)
    d1 = np.full(pairs.n_rows, penalty)
    d2 = np.full(pairs.n_rows, penalty)
    if pairs.cols.size == 0:
        return first, d1, d2
    beyond = np.iinfo(np.int64).max
    open_at = np.append(np.flatnonzero(open_mask[pairs.cols]), [beyond, beyond])
    start = np.searchsorted(open_at, pairs.indptr[:-1])
    end = pairs.indptr[1:]
    one, two = open_at[start], open_at[start + 1]
    has_one, has_two = one < end, two < end
    first[has_one] = pairs.cols[one[has_one]]
    d1[has_one] = pairs.costs[one[has_one]]
    d2[has_two] = pairs.costs[two[has_two]]
    return first, d1, d2


def _best_swap(
    pairs: Pairs,
    w: np.ndarray,
    row: np.ndarray,
    pair_weight: np.ndarray,
    open_mask: np.ndarray,
    fixed_mask: np.ndarray,
    codes: np.ndarray,
    per_group: str,
    penalty: float,
) -> tuple[int, int] | None:
    """The (add, drop) swap with the largest saving, or None when no swap saves anything."""
    first, d1, d2 = _two_nearest(pairs, open_mask, penalty)
    m = pairs.n_cols
    # Only pairs closer than their row's second-nearest open site can change a swap's profit:
    # work on those alone (usually a small share of all pairs).
    relevant = np.flatnonzero(pairs.costs < d2[row])
    r_row, r_col, r_cost = row[relevant], pairs.cols[relevant], pairs.costs[relevant]
    r_weight, r_d1, r_d2, r_first = pair_weight[relevant], d1[r_row], d2[r_row], first[r_row]
    # Saving of adding j with nothing dropped.
    gain = np.bincount(r_col, weights=r_weight * np.maximum(r_d1 - r_cost, 0.0), minlength=m)
    # Loss of dropping r with nothing added: its rows fall back to their second-nearest site.
    has_first = first >= 0
    loss = np.bincount(first[has_first], weights=w[has_first] * (d2 - d1)[has_first], minlength=m)
    # Correction: a row of r that a closed site j serves better than its second site loses less.
    near = (r_first >= 0) & ~open_mask[r_col]
    amount = r_weight[near] * (r_d2[near] - np.maximum(r_cost[near], r_d1[near]))
    droppable = np.flatnonzero(open_mask & ~fixed_mask)
    addable = np.flatnonzero(~open_mask)
    if droppable.size == 0 or addable.size == 0:
        return None
    if (codes >= 0).any() and per_group == "at_least":
        value, add, drop = _best_swap_at_least(
            gain, loss, (r_col[near], r_first[near], amount), addable, droppable, open_mask, codes
        )
        return _improving(value, add, drop, w, d1, penalty)
    # Rows of several demand points add up when the matrix is built.
    extra = sparse.csr_array((amount, (r_col[near], r_first[near])), shape=(m, m))
    if (codes >= 0).any():
        profit = gain[addable, None] - loss[None, droppable]
        profit += extra[addable][:, droppable].toarray()
        valid = _swap_allowed(addable, droppable, open_mask, codes, per_group)
        profit = np.where(valid, profit, -np.inf)
        best = int(np.argmax(profit))
        i, k = divmod(best, droppable.size)
        value, add, drop = profit[i, k], int(addable[i]), int(droppable[k])
    else:
        value, add, drop = _best_swap_sparse(gain, loss, extra, addable, droppable, open_mask)
    return _improving(value, add, drop, w, d1, penalty)


def _improving(
    value: float, add: int, drop: int, w: np.ndarray, d1: np.ndarray, penalty: float
) -> tuple[int, int] | None:
    """The swap when it saves something, else None."""
    # A relative tolerance stops cycling on ties caused by rounding.
    total = float(np.sum(w * np.minimum(d1, penalty)))
    if not value > 1e-9 * max(total, 1.0):
        return None
    return add, drop


def _best_swap_sparse(
    gain: np.ndarray,
    loss: np.ndarray,
    extra: sparse.csr_array,
    addable: np.ndarray,
    droppable: np.ndarray,
    open_mask: np.ndarray,
) -> tuple[float, int, int]:
    """Best swap without forming the add × drop matrix (no group rule).

    The correction ``extra`` is non-negative, so for each added site the best drop is either the
    open site of least loss (whatever its correction) or one of the few with a correction.
    """
    droppable_mask = np.zeros(open_mask.size, dtype=bool)
    droppable_mask[droppable] = True
    cheapest = int(droppable[np.argmin(loss[droppable])])
    best_value = gain[addable] - loss[cheapest]
    best_drop = np.full(addable.size, cheapest)
    entries = sparse.coo_array(extra[addable])
    keep = droppable_mask[entries.col]
    if keep.any():
        rows, cols = entries.row[keep], entries.col[keep]
        value = gain[addable[rows]] - loss[cols] + entries.data[keep]
        # The largest corrected value per added site (ties: the lowest drop index, as np.lexsort).
        order = np.lexsort((cols, -value, rows))
        rows, cols, value = rows[order], cols[order], value[order]
        first = np.r_[True, rows[1:] != rows[:-1]]
        rows, cols, value = rows[first], cols[first], value[first]
        better = value > best_value[rows]
        best_value[rows[better]] = value[better]
        best_drop[rows[better]] = cols[better]
    i = int(np.argmax(best_value))
    return float(best_value[i]), int(addable[i]), int(best_drop[i])


def _best_swap_at_least(
    gain: np.ndarray,
    loss: np.ndarray,
    corrections: tuple[np.ndarray, np.ndarray, np.ndarray],
    addable: np.ndarray,
    droppable: np.ndarray,
    open_mask: np.ndarray,
    codes: np.ndarray,
) -> tuple[float, int, int]:
    """Best swap under "at least one per group" without forming the add × drop matrix.

    The swap of the add × drop matrix of :func:`_best_swap` (profit ``gain - loss`` plus the
    correction of the pair; ties to the lowest added, then the lowest dropped index), from the
    only drops the rule allows: a "free" drop (its group keeps another open site, or it has
    none), of which there are few, and the one open site of the added site's own group.
    ``corrections`` are the (added, dropped, amount) entries, summed per pair here.
    """
    entry_add, entry_drop, amount = corrections
    m = open_mask.size
    n_groups = int(codes.max()) + 1
    count = np.bincount(codes[open_mask & (codes >= 0)], minlength=n_groups)
    droppable_code = codes[droppable]
    free = droppable[(droppable_code < 0) | (count[np.maximum(droppable_code, 0)] >= 2)]
    slot_of_add = np.full(m, -1)
    slot_of_add[addable] = np.arange(addable.size)
    slot_of_free = np.full(m, -1)
    slot_of_free[free] = np.arange(free.size)
    entry_slot = slot_of_add[entry_add]
    # Free drops: the dense block of every addition against them.
    best_value = np.full(addable.size, -np.inf)
    best_drop = np.full(addable.size, -1)
    if free.size:
        k = slot_of_free[entry_drop]
        kept = (k >= 0) & (entry_slot >= 0)
        block = np.bincount(
            entry_slot[kept] * free.size + k[kept],
            weights=amount[kept],
            minlength=addable.size * free.size,
        ).reshape(addable.size, free.size)
        profit = (gain[addable][:, None] - loss[free][None, :]) + block
        column = np.argmax(profit, axis=1)
        best_value = profit[np.arange(addable.size), column]
        best_drop = free[column]
    # The own group's one open site (not fixed), when it is the group's only one.
    own = np.full(n_groups, -1)
    droppable_mask = np.zeros(m, dtype=bool)
    droppable_mask[droppable] = True
    single = open_mask & (codes >= 0) & droppable_mask & (count[np.maximum(codes, 0)] == 1)
    own[codes[single]] = np.flatnonzero(single)
    add_code = codes[addable]
    own_drop = np.where(add_code >= 0, own[np.maximum(add_code, 0)], -1)
    match = (entry_slot >= 0) & (own_drop[entry_slot] >= 0) & (entry_drop == own_drop[entry_slot])
    own_extra = np.bincount(entry_slot[match], weights=amount[match], minlength=addable.size)
    has_own = own_drop >= 0
    own_value = np.full(addable.size, -np.inf)
    own_value[has_own] = (gain[addable[has_own]] - loss[own_drop[has_own]]) + own_extra[has_own]
    take_own = (own_value > best_value) | (
        has_own & (own_value == best_value) & (own_drop < best_drop)
    )
    best_value = np.where(take_own, own_value, best_value)
    best_drop = np.where(take_own, own_drop, best_drop)
    i = int(np.argmax(best_value))
    return float(best_value[i]), int(addable[i]), int(best_drop[i])


def _swap_allowed(
    addable: np.ndarray,
    droppable: np.ndarray,
    open_mask: np.ndarray,
    codes: np.ndarray,
    per_group: str,
) -> np.ndarray:
    """Which (add, drop) swaps keep the group rule (a boolean add × drop matrix)."""
    shape = (addable.size, droppable.size)
    if not (codes >= 0).any():
        return np.ones(shape, dtype=bool)
    n_groups = int(codes.max()) + 1
    count = np.bincount(codes[open_mask & (codes >= 0)], minlength=n_groups)
    g_add = codes[addable][:, None]
    g_drop = codes[droppable][None, :]
    same = (g_add == g_drop) & (g_add >= 0)
    ok = np.ones(shape, dtype=bool)
    if per_group in ("at_most", "exactly"):
        count_add = np.where(g_add >= 0, count[np.maximum(g_add, 0)], 0)
        ok &= (g_add < 0) | (count_add - same == 0)
    if per_group in ("at_least", "exactly"):
        count_drop = np.where(g_drop >= 0, count[np.maximum(g_drop, 0)], 2)
        ok &= (g_drop < 0) | (count_drop - 1 + same >= 1)
    return ok


def best_sites(
    score: np.ndarray, p: int, fixed_mask: np.ndarray, codes: np.ndarray, per_group: str
) -> np.ndarray:
    """The ``p`` sites of least total score with the fixed sites open and the group rule kept.

    A greedy choice is exact here: "at most one per group" with a cardinality is a matroid, and
    "at least"/"exactly" one per group first take each open group's cheapest candidate.
    """
    chosen = fixed_mask.copy()
    free = ~fixed_mask
    grouped = codes >= 0
    if grouped.any() and per_group in ("at_least", "exactly"):
        n_groups = int(codes.max()) + 1
        has = np.bincount(codes[chosen & grouped], minlength=n_groups) > 0
        need = free & grouped & ~has[np.maximum(codes, 0)]
        order = np.lexsort((score, codes))
        order = order[need[order]]
        firsts = order[np.r_[True, codes[order][1:] != codes[order][:-1]]] if order.size else order
        chosen[firsts] = True
    remaining = p - int(chosen.sum())
    if remaining <= 0:
        return chosen
    pool = ~chosen
    if grouped.any() and per_group in ("at_most", "exactly"):
        n_groups = int(codes.max()) + 1
        taken = np.bincount(codes[chosen & grouped], minlength=n_groups) > 0
        pool &= ~grouped | ~taken[np.maximum(codes, 0)]
        if per_group == "exactly":
            pool &= ~grouped
        else:
            # Only the cheapest candidate of each group can be taken.
            order = np.lexsort((score, codes))
            order = order[(pool & grouped)[order]]
            keep = (
                order[np.r_[True, codes[order][1:] != codes[order][:-1]]] if order.size else order
            )
            best_of_group = np.zeros_like(pool)
            best_of_group[keep] = True
            pool &= ~grouped | best_of_group
    candidates = np.flatnonzero(pool)
    pick = candidates[np.argsort(score[candidates], kind="stable")[:remaining]]
    chosen[pick] = True
    return chosen


def lagrangian_value(
    pairs: Pairs,
    w: np.ndarray,
    p: int,
    fixed_mask: np.ndarray,
    codes: np.ndarray,
    per_group: str,
    multipliers: np.ndarray,
) -> float:
    """The p-median lower bound ``L(lam)`` for any multipliers (one per demand row).

    ``L(lam) = sum(lam) + min over p sites of sum_j min(0, w_i c_ij - lam_i)``, the sites chosen
    under the fixed sites and the group rule. Every ``lam`` gives a valid bound, so multipliers
    from anywhere (an LP solver's duals included) are checked here in exact arithmetic.
    """
    served = pairs.row_length > 0
    row = pairs.row_of_pair
    lam = np.where(served, np.asarray(multipliers, dtype=np.float64), 0.0)
    reduced = np.minimum(w[row] * pairs.costs - lam[row], 0.0)
    score = np.bincount(pairs.cols, weights=reduced, minlength=pairs.n_cols)
    chosen = best_sites(score, p, fixed_mask, codes, per_group)
    return float(lam.sum() + score[chosen].sum())


def _lagrangian_bound(
    pairs: Pairs,
    w: np.ndarray,
    row: np.ndarray,
    p: int,
    fixed_mask: np.ndarray,
    codes: np.ndarray,
    per_group: str,
    distance: np.ndarray,
    upper: float,
    iterations: int,
) -> tuple[float, np.ndarray]:
    """Lower bound (and its multipliers) from relaxing "every row served once" with multipliers, by subgradient steps.

    For multipliers ``lam``, ``L(lam) = sum(lam) + min over sites of sum_j min(0, w_i c_ij - lam_i)``;
    every ``L(lam)`` is a valid lower bound and the best one found is returned.
    """
    served = pairs.row_length > 0
    lam = np.where(served, w * np.where(np.isfinite(distance), distance, 0.0), 0.0)
    weighted = w[row] * pairs.costs
    best = -np.inf
    best_lam = lam.copy()
    step = 2.0
    stall = 0
    for _ in range(iterations):
        reduced = np.minimum(weighted - lam[row], 0.0)
        score = np.bincount(pairs.cols, weights=reduced, minlength=pairs.n_cols)
        chosen = best_sites(score, p, fixed_mask, codes, per_group)
        value = float(lam[served].sum() + score[chosen].sum())
        if value > best + 1e-12 * abs(upper):
            best, best_lam, stall = value, lam.copy(), 0
        else:
            stall += 1
            if stall >= 20:
                step, stall = step / 2, 0
        assigned = np.bincount(row[(reduced < 0) & chosen[pairs.cols]], minlength=pairs.n_rows)
        subgradient = np.where(served, 1.0 - assigned, 0.0)
        norm = float(subgradient @ subgradient)
        if norm == 0 or step < 1e-4 or best >= upper * (1 - 1e-9):
            break
        # Multipliers of the optimum are non-negative (costs are), so project onto lam >= 0.
        lam = np.maximum(lam + step * (upper - value) / norm * subgradient, 0.0)
    return min(best, upper), best_lam
