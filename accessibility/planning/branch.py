"""Exact p-median by branch-and-bound on the Lagrangian bound, with reduced-cost fixing at every node.

The relaxation is Beasley's (1985, 1993): the "every demand row is served once" constraints move to
the objective with multipliers ``lam``, and what is left is solved by sorting,

``L(lam) = sum_i lam_i + sum over the p chosen sites j of rho_j,  rho_j = sum_i min(0, w_i c_ij - lam_i)``.

Every ``lam`` gives a valid lower bound, and its best value equals the LP relaxation of the
assignment (or radius) model. Where that LP leaves a gap, which is the rule with few sites on many
candidates, a general MIP solver spends minutes at its root node; here each node costs a few
vectorised passes over the pairs, so thousands of nodes take seconds. A node fixes sites open or
closed; its pairs are those of sites not closed and no farther than the row's nearest site fixed
open (a farther site can never serve that row), so nodes get cheaper with depth. At every node the
sites whose forcing in or out would lift the bound above the best plan's value are fixed (the
reduced-cost test of :func:`~accessibility.planning.heuristics.reduced_cost_fixing`), and nodes are
taken best bound first, deeper first among equals.

The answer is exact: a node is discarded only when its bound proves it cannot hold a plan better
than the incumbent by more than the tolerance, and the bound reported is the least bound of the
nodes left (or discarded within the tolerance).
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ._input import Pairs
from .heuristics import _best_swap, best_sites, unserved_penalty
from .heuristics import _objective as _value

#: Subgradient iterations at the root and at each later node (warm-started from the parent).
ROOT_ITERATIONS = 2000
NODE_ITERATIONS = 60


@dataclass
class BranchOutcome:
    """What :func:`branch_and_bound` proved.

    ``status`` is ``"optimal"`` (the tree is exhausted), ``"time_limit"`` or ``"stalled"`` (the
    least bound stopped rising, see ``stall_nodes``); ``bound`` is a valid lower bound in every
    case. ``root_closed``/``root_opened`` are the sites the root's reduced costs fix, valid for any
    other exact method given the same ``upper``; ``multipliers`` are the root's.
    """

    open_mask: np.ndarray
    objective: float
    bound: float
    status: str
    nodes: int
    root_bound: float
    root_seconds: float
    multipliers: np.ndarray
    root_closed: np.ndarray
    root_opened: np.ndarray
    details: dict[str, float] = field(default_factory=dict)


@dataclass
class _Node:
    """Pairs of one node: sites not closed, nearer than each row's nearest site fixed open."""

    rows: np.ndarray
    cols: np.ndarray
    weighted: np.ndarray
    cap: np.ndarray
    feasible: bool


def _node_pairs(
    pairs: Pairs, weighted: np.ndarray, w: np.ndarray, closed: np.ndarray, opened: np.ndarray
) -> _Node:
    """The pairs a node's bound needs, and each row's multiplier cap ``w_i * d(i, nearest open)``.

    Raising ``lam_i`` above the cap adds to ``sum(lam)`` exactly what it takes from the forced-open
    site's ``rho``, so capping loses no bound; and pairs at or beyond the cap then add nothing.
    """
    row = pairs.row_of_pair
    d_open = np.full(pairs.n_rows, np.inf)
    if opened.any():
        at_open = opened[pairs.cols]
        np.minimum.at(d_open, row[at_open], pairs.costs[at_open])
    keep = ~closed[pairs.cols] & (pairs.costs < d_open[row])
    rows = row[keep]
    reach = np.isfinite(d_open) | (np.bincount(rows, minlength=pairs.n_rows) > 0)
    return _Node(
        rows=rows,
        cols=pairs.cols[keep],
        weighted=weighted[keep],
        # A row with no allowed candidate at all (left unassigned) must keep lam = 0: nothing
        # would offset it and the "bound" would grow without limit.
        cap=np.where(pairs.row_length > 0, w * d_open, 0.0),
        feasible=bool(reach[pairs.row_length > 0].all()),
    )


@dataclass
class _Bound:
    value: float
    multipliers: np.ndarray
    chosen: np.ndarray
    score: np.ndarray
    iterations: int


def _bound(
    node: _Node,
    n_rows: int,
    n_cols: int,
    p: int,
    opened: np.ndarray,
    closed: np.ndarray,
    lam: np.ndarray,
    target: float,
    prune_at: float,
    iterations: int,
    step: float,
    deadline: float,
    rule: tuple[np.ndarray, str],
    metric: np.ndarray,
) -> _Bound:
    """The best ``L(lam)`` of a subgradient ascent (Polyak steps towards ``target``).

    Stops early once the bound reaches ``prune_at`` (the node can be discarded) or the step
    vanishes. Sites in ``opened`` are always chosen, sites in ``closed`` never.
    """
    choose = _chooser(n_cols, p, opened, closed, rule)
    capped = np.isfinite(node.cap)
    lam = np.minimum(lam, node.cap)
    best: _Bound | None = None
    stall = 0
    done = 0
    for done in range(1, iterations + 1):
        reduced = np.minimum(node.weighted - lam[node.rows], 0.0)
        score = np.bincount(node.cols, weights=reduced, minlength=n_cols)
        chosen = choose(score)
        value = float(lam.sum() + score[chosen].sum()) if chosen is not None else np.inf
        if chosen is None:  # no choice of sites meets the group rule: the node is empty
            return _Bound(np.inf, lam, opened.copy(), score, done)
        if best is None or value > best.value:
            best, stall = _Bound(value, lam, chosen, score, done), 0
        else:
            stall += 1
            if stall >= 10:
                step, stall = step / 2, 0
        if best.value >= prune_at or step < 1e-4 or time.perf_counter() > deadline:
            break
        served = np.bincount(node.rows[(reduced < 0) & chosen[node.cols]], minlength=n_rows)
        gradient = 1.0 - served
        # A row at its cap is served by its forced-open site: only over-service pushes it down.
        at_cap = capped & (lam >= node.cap)
        gradient[at_cap] = np.minimum(gradient[at_cap], 0.0)
        # Steps scaled by each row's weight: a multiplier lives in weight x distance units, so a
        # populous row needs a longer step than an empty one (unit weights: the plain Polyak step).
        direction = metric * gradient
        norm = float(gradient @ direction)
        if norm == 0.0:
            break
        lam = np.clip(lam + step * (target - value) / norm * direction, 0.0, node.cap)
    assert best is not None
    best.iterations = done
    return best


def _chooser(
    n_cols: int, p: int, opened: np.ndarray, closed: np.ndarray, rule: tuple[np.ndarray, str]
) -> Callable[[np.ndarray], np.ndarray | None]:
    """The relaxation's choice: ``opened`` plus the sites of least score, never a closed one.

    Without a group rule that is a partial sort; with one, the exact greedy of
    :func:`~accessibility.planning.heuristics.best_sites` (a matroid), closed sites priced out.
    None means no choice meets ``p`` and the rule.
    """
    codes, per_group = rule
    free_idx = np.flatnonzero(~opened & ~closed)
    k = p - int(opened.sum())
    if not (codes >= 0).any():

        def plain(score: np.ndarray) -> np.ndarray | None:
            if k > free_idx.size:
                return None
            chosen = opened.copy()
            if 0 < k < free_idx.size:
                chosen[free_idx[np.argpartition(score[free_idx], k - 1)[:k]]] = True
            elif k > 0:
                chosen[free_idx] = True
            return chosen

        return plain

    def grouped(score: np.ndarray) -> np.ndarray | None:
        priced = np.where(closed, np.inf, score)
        chosen = best_sites(priced, p, opened, codes, per_group)
        if int(chosen.sum()) != p or (chosen & closed).any():
            return None
        return chosen

    return grouped


def _meets_rule(open_mask: np.ndarray, rule: tuple[np.ndarray, str]) -> bool:
    """Whether a plan keeps the group rule (at most / at least / exactly one per group)."""
    codes, per_group = rule
    grouped = codes >= 0
    if not grouped.any():
        return True
    count = np.bincount(codes[open_mask & grouped], minlength=int(codes.max()) + 1)
    if per_group in ("at_most", "exactly") and (count > 1).any():
        return False
    return not (per_group in ("at_least", "exactly") and (count == 0).any())


def _fix(
    b: _Bound, opened: np.ndarray, closed: np.ndarray, p: int, prune_at: float
) -> tuple[np.ndarray, np.ndarray]:
    """Reduced-cost fixing: sites whose forcing in (out) lifts ``L`` to ``prune_at`` are closed (opened)."""
    free = ~opened & ~closed
    in_free = b.chosen & free
    out_free = free & ~b.chosen
    if p - int(opened.sum()) <= 0 or not in_free.any() or not out_free.any():
        return opened, closed
    worst_in = float(b.score[in_free].max())
    best_out = float(b.score[out_free].min())
    closed = closed | (out_free & (b.value + b.score - worst_in >= prune_at))
    opened = opened | (in_free & (b.value + best_out - b.score >= prune_at))
    return opened, closed


def _improve(
    pairs: Pairs,
    w: np.ndarray,
    start: np.ndarray,
    fixed: np.ndarray,
    rule: tuple[np.ndarray, str],
    deadline: float,
) -> np.ndarray:
    """Best-improvement interchange from ``start`` (the heuristic's fast swap), fixed sites kept.

    Stops at a local optimum, after ``4 p`` swaps, or at ``deadline``.
    """
    row = pairs.row_of_pair
    penalty = unserved_penalty(pairs, w)
    open_mask = start.copy()
    codes, per_group = rule
    for _ in range(4 * max(int(open_mask.sum()), 1)):
        if time.perf_counter() > deadline:
            break
        move = _best_swap(pairs, w, row, w[row], open_mask, fixed, codes, per_group, penalty)
        if move is None:
            break
        open_mask[move[0]], open_mask[move[1]] = True, False
    return open_mask


def branch_and_bound(
    pairs: Pairs,
    w: np.ndarray,
    p: int,
    opened: np.ndarray,
    closed: np.ndarray,
    start_open: np.ndarray,
    upper: float,
    multipliers: np.ndarray,
    *,
    time_limit: float,
    mip_rel_gap: float,
    codes: np.ndarray | None = None,
    per_group: str = "at_most",
    stall_nodes: int = 400,
    improve_every: int = 25,
) -> BranchOutcome:
    """The p-median by Lagrangian branch-and-bound from a plan of value ``upper``.

    Parameters
    ----------
    pairs, w, p
        Allowed pairs (sorted per row), demand weights and the number of sites.
    opened, closed
        Sites fixed open (e.g. existing centres) and closed before the search.
    start_open, upper
        A plan meeting ``p`` and the fixed sites, and its objective (the incumbent).
    multipliers
        Starting multipliers, one per row (e.g. ``w`` × the incumbent's distance).
    time_limit, mip_rel_gap
        Seconds, and the relative gap within which a node is discarded. With integer weighted
        costs the objective is an integer and a node is also discarded once its bound exceeds
        ``upper - 1``.
    codes, per_group
        A group number per candidate (-1: none) and the rule, as in
        :func:`~accessibility.planning.p_median`. The relaxation keeps the rule exactly; sites
        are then fixed by branching only (the reduced-cost test assumes free choice of sites).
    stall_nodes
        Stop with ``"stalled"`` when this many nodes in a row leave the least open bound where it
        was (a flat tree, as where the LP bound is tight but plans are many: a MIP solver's
        primal heuristics do better there).
    improve_every
        Every this many nodes, the node's chosen sites start an interchange for a better plan.
    """
    started = time.perf_counter()
    deadline = started + time_limit
    n_rows, n_cols = pairs.n_rows, pairs.n_cols
    rule = (np.full(n_cols, -1) if codes is None else np.asarray(codes), per_group)
    grouped = bool((rule[0] >= 0).any())
    weighted = w[pairs.row_of_pair] * pairs.costs
    positive = w[(w > 0) & (pairs.row_length > 0)]
    metric = w / positive.mean() if positive.size else np.ones_like(w)
    integral = bool(np.all(weighted == np.round(weighted)))
    best_open, best = start_open.copy(), float(upper)

    def prune_level(ub: float) -> float:
        tol = max(mip_rel_gap * abs(ub), 1e-9 * max(abs(ub), 1.0))
        if integral:
            tol = max(tol, 1.0 - 1e-6)
        return ub - tol

    def proved(value: float) -> float:
        # An integer objective at least ``value`` is at least its ceiling.
        return float(np.ceil(value - 1e-9 * max(abs(value), 1.0))) if integral else value

    # Nodes: (bound, -depth, counter, opened, closed, multipliers).
    start_lam = np.asarray(multipliers, dtype=np.float64)
    start_lam = np.where((pairs.row_length > 0) & np.isfinite(start_lam), start_lam, 0.0)
    heap: list[tuple[float, int, int, np.ndarray, np.ndarray, np.ndarray]] = [
        (-np.inf, 0, 0, opened.copy(), closed.copy(), start_lam)
    ]
    counter = 1
    nodes = 0
    discarded_low = np.inf  # least bound among nodes discarded within the tolerance only
    root: _Bound | None = None
    root_seconds = 0.0
    root_opened, root_closed = opened.copy(), closed.copy()
    least, least_since = -np.inf, 0
    status = "optimal"
    while heap:
        node_bound, depth, _, node_open, node_closed, lam = heapq.heappop(heap)
        if node_bound >= prune_level(best):
            discarded_low = min(discarded_low, proved(node_bound))
            continue
        if time.perf_counter() > deadline:
            heapq.heappush(heap, (node_bound, depth, 0, node_open, node_closed, lam))
            status = "time_limit"
            break
        if node_bound > least:
            least, least_since = node_bound, 0
        else:
            least_since += 1
            if least_since > stall_nodes:
                heapq.heappush(heap, (node_bound, depth, 0, node_open, node_closed, lam))
                status = "stalled"
                break
        nodes += 1
        lam = np.asarray(lam, dtype=np.float64)
        node = _node_pairs(pairs, weighted, w, node_closed, node_open)
        if not node.feasible:
            continue
        is_root = root is None
        b = _bound(
            node, n_rows, n_cols, p, node_open, node_closed, lam, best, prune_level(best),
            ROOT_ITERATIONS if is_root else NODE_ITERATIONS, 2.0 if is_root else 0.5,
            started + 0.5 * time_limit if is_root else deadline, rule, metric,
        )  # fmt: skip
        if not np.isfinite(b.value):
            continue  # no plan meets the rule with this node's fixings
        value = _value(pairs, w, b.chosen)
        if value < best:
            best_open, best = b.chosen.copy(), value
        if (is_root or nodes % improve_every == 0) and b.value < prune_level(best):
            better = _improve(pairs, w, b.chosen, node_open, rule, deadline)
            value = _value(pairs, w, better) if _meets_rule(better, rule) else np.inf
            if value < best:
                best_open, best = better, value
        bound_here = max(b.value, node_bound)
        if bound_here >= prune_level(best):
            discarded_low = min(discarded_low, proved(bound_here))
            if is_root:
                root, root_seconds = b, time.perf_counter() - started
            continue
        if not grouped:
            node_open, node_closed = _fix(b, node_open, node_closed, p, prune_level(best))
        if is_root:
            root, root_seconds = b, time.perf_counter() - started
            root_opened, root_closed = node_open.copy(), node_closed.copy()
        free = ~node_open & ~node_closed
        if int(node_open.sum()) >= p or not free.any():
            # Every site is decided: the plan is the node's open sites (already evaluated).
            leaf = node_open if int(node_open.sum()) == p else b.chosen
            value = _value(pairs, w, leaf) if _meets_rule(leaf, rule) else np.inf
            if value < best:
                best_open, best = leaf.copy(), value
            continue
        candidates = np.flatnonzero(b.chosen & free)
        if candidates.size == 0:
            candidates = np.flatnonzero(free)
        out_free = free & ~b.chosen
        best_out = float(b.score[out_free].min()) if out_free.any() else 0.0
        # Branch on the chosen site that would cost the bound most to close: its "closed" child
        # is likely discarded at once, its "open" child is a smaller problem.
        j = int(candidates[np.argmax(best_out - b.score[candidates])])
        with_j, without_j = node_open.copy(), node_closed.copy()
        with_j[j] = True
        without_j[j] = True
        # Both children start from this node's multipliers, kept once and in single precision:
        # any multipliers give a valid bound, and a wide tree of long rows stays in memory.
        start_here = b.multipliers.astype(np.float32)
        for child_open, child_closed in ((with_j, node_closed), (node_open, without_j)):
            if int(child_open.sum()) <= p:
                heapq.heappush(
                    heap, (bound_here, depth - 1, counter, child_open, child_closed, start_here)
                )
                counter += 1
    open_low = min((proved(h[0]) for h in heap), default=np.inf)
    bound = min(best, open_low, discarded_low)
    if root is None:  # the start plan met its bound before any node was solved
        root = _Bound(bound, start_lam, start_open, np.zeros(n_cols), 0)
    if not heap:
        status = "optimal"
    return BranchOutcome(
        open_mask=best_open,
        objective=best,
        bound=float(bound),
        status=status,
        nodes=nodes,
        root_bound=float(root.value),
        root_seconds=root_seconds,
        multipliers=root.multipliers,
        root_closed=root_closed,
        root_opened=root_opened,
        details={"open_nodes": len(heap), "root_iterations": root.iterations},
    )
