"""The Lagrangian branch-and-bound p-median: brute-force optima, valid bounds, fixing and fall-back."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest
from scipy import sparse
from scipy.sparse.csgraph import shortest_path

from accessibility.planning import models, p_median
from accessibility.planning._input import to_pairs
from accessibility.planning.branch import branch_and_bound
from accessibility.planning.heuristics import search


def graph_instance(seed: int, n: int, edges: int) -> np.ndarray:
    """Shortest paths on a random connected graph with integer edge costs 1..100 (as OR-Library)."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    found: dict[tuple[int, int], int] = {}
    for step in range(1, n):
        a, b = int(order[step]), int(order[rng.integers(0, step)])
        found[(min(a, b), max(a, b))] = int(rng.integers(1, 101))
    while len(found) < edges:
        a, b = (int(v) for v in rng.integers(0, n, 2))
        if a != b:
            found[(min(a, b), max(a, b))] = int(rng.integers(1, 101))
    a, b = np.array(list(found)).T
    graph = sparse.coo_array((np.array(list(found.values()), float), (a, b)), shape=(n, n))
    return shortest_path(graph.tocsr(), directed=False)


def brute_force(cost: np.ndarray, p: int, w: np.ndarray, fixed: tuple[int, ...] = ()) -> float:
    best = np.inf
    for chosen in combinations(range(cost.shape[1]), p):
        if set(fixed) <= set(chosen):
            d = cost[:, list(chosen)].min(axis=1)
            if np.isfinite(d).all():
                best = min(best, float(w @ d))
    return best


def check(result, expected: float) -> None:
    assert result.method == "Lagrangian branch-and-bound"
    assert result.status == "optimal"
    assert result.objective == pytest.approx(expected, rel=1e-9)
    assert result.bound <= result.objective * (1 + 1e-12)
    assert result.bound >= expected * (1 - 1e-6)


@pytest.mark.parametrize("seed", range(6))
def test_graph_instances_reach_the_brute_force_optimum(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(18, 26))
    cost = graph_instance(seed, n, 2 * n)
    p = int(rng.integers(2, 5))
    # No bound for the heuristic: the tree has to prove the plan.
    result = p_median(cost, p, bound_iterations=0)
    check(result, brute_force(cost, p, np.ones(n)))
    assert np.allclose(result.distance, cost[:, result.selected].min(axis=1))


@pytest.mark.parametrize("seed", range(4))
def test_weighted_real_valued_costs(seed):
    # Real distances and populations: no integer rounding is available to prune with.
    rng = np.random.default_rng(50 + seed)
    xy = rng.random((30, 2)) * 10_000
    cost = np.hypot(*(xy[:, None, :] - xy[None, :12, :]).transpose(2, 0, 1))
    w = rng.integers(1, 500, 30).astype(float) + rng.random(30)
    result = p_median(cost, 3, w, bound_iterations=0)
    check(result, brute_force(cost, 3, w))


def test_fixed_sites_and_forbidden_pairs():
    cost = graph_instance(7, 22, 40)
    cost[cost > 120] = np.inf
    w = np.arange(1, 23, dtype=float)
    result = p_median(cost, 4, w, fixed=[3, 11], bound_iterations=0)
    assert {3, 11} <= set(result.selected.tolist())
    check(result, brute_force(cost, 4, w, fixed=(3, 11)))


def test_agrees_with_the_highs_model_where_the_tree_is_large(monkeypatch):
    # Few sites among many candidates: the LP bound leaves a gap and the tree branches.
    cost = graph_instance(3, 150, 600)
    tree = p_median(cost, 5, bound_iterations=0)
    assert tree.method == "Lagrangian branch-and-bound"
    assert tree.details["nodes"] > 1
    assert tree.details["root_bound"] < tree.objective - 1  # the root alone could not prove it
    monkeypatch.setattr(models, "BRANCH_SHARE", 0.0)
    highs = p_median(cost, 5, bound_iterations=0)
    assert highs.method.startswith("highs")
    assert highs.status == tree.status == "optimal"
    assert tree.objective == highs.objective


def _start(cost: np.ndarray, p: int):
    pairs = to_pairs(cost)
    w = np.ones(pairs.n_rows)
    none = np.zeros(pairs.n_cols, dtype=bool)
    guess = search(pairs, w, p, none, np.full(pairs.n_cols, -1), "at_most", bound_iterations=0)
    return pairs, w, none, guess


def test_a_stopped_tree_still_gives_a_valid_bound():
    cost = graph_instance(3, 150, 600)
    optimum = p_median(cost, 5).objective
    pairs, w, none, guess = _start(cost, 5)
    for kwargs in ({"time_limit": 1e-9}, {"time_limit": 60.0, "stall_nodes": 0}):
        out = branch_and_bound(
            pairs, w, 5, none, none, guess.open_mask, guess.objective, w * guess.distance,
            mip_rel_gap=1e-6, **kwargs,
        )  # fmt: skip
        assert out.status in ("time_limit", "stalled")
        assert out.bound <= optimum + 1e-9
        assert out.objective >= optimum - 1e-9
        assert out.details["open_nodes"] >= 1


def test_root_fixing_closes_only_sites_no_better_plan_uses():
    cost = graph_instance(4, 30, 60)
    p = 3
    pairs, w, none, guess = _start(cost, p)
    out = branch_and_bound(
        pairs, w, p, none, none, guess.open_mask, guess.objective, w * guess.distance,
        time_limit=60.0, mip_rel_gap=1e-6,
    )  # fmt: skip
    assert out.status == "optimal"
    assert out.root_closed.any()  # the test means something only if sites were closed
    for j in np.flatnonzero(out.root_closed):
        # No plan with a closed site open beats the optimum the tree found.
        with_j = min(
            float(cost[:, list(c)].min(axis=1).sum()) for c in combinations(range(30), p) if j in c
        )
        assert with_j >= out.objective
    assert out.objective == brute_force(cost, p, w)


def test_rows_left_unassigned_do_not_lift_the_bound():
    # A row with no allowed candidate at all adds nothing to any plan: its multiplier must stay 0.
    cost = graph_instance(5, 24, 48)
    cost[:3] = np.inf
    w = np.ones(24)
    result = p_median(cost, 3, w, allow_unassigned=True, bound_iterations=0)
    expected = brute_force(cost[3:], 3, w[3:])
    check(result, expected)
    assert list(result.assignment[:3]) == [-1, -1, -1]
    _, _, none, guess = _start(cost[3:], 3)
    full = to_pairs(cost)
    out = branch_and_bound(
        full, w, 3, none, none, guess.open_mask, 10 * expected, np.full(24, 1e3),
        time_limit=60.0, mip_rel_gap=1e-6,
    )  # fmt: skip
    assert out.bound <= expected + 1e-9


@pytest.mark.parametrize("per_group", ["at_most", "at_least", "exactly"])
def test_group_rules(per_group):
    # One centre per unit (at least / exactly) or no two in one unit: the relaxation keeps the rule.
    cost = graph_instance(9, 24, 48)
    groups = [None] * 24
    for j, label in enumerate("aaabbbccdd"):
        groups[j] = label
    p = 4 if per_group == "exactly" else 5
    result = p_median(cost, p, groups=groups, per_group=per_group, bound_iterations=0)
    labels = [groups[j] for j in result.selected if groups[j] is not None]
    if per_group != "at_least":
        assert len(labels) == len(set(labels))
    if per_group != "at_most":
        assert set(labels) == {"a", "b", "c", "d"}
    best = np.inf
    for chosen in combinations(range(24), p):
        got = [groups[j] for j in chosen if groups[j] is not None]
        if per_group != "at_least" and len(got) != len(set(got)):
            continue
        if per_group != "at_most" and set(got) != {"a", "b", "c", "d"}:
            continue
        best = min(best, float(cost[:, list(chosen)].min(axis=1).sum()))
    check(result, best)
