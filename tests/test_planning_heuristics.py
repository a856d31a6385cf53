"""Greedy + interchange p-median and its Lagrangian bound, checked against the exact model."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest

from accessibility import InfeasibleError
from accessibility.planning import p_median
from accessibility.planning.heuristics import best_sites, p_median_heuristic


def _instance(seed: int, n: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    demand = rng.random((n, 2)) * 1000
    sites = rng.random((m, 2)) * 1000
    return np.linalg.norm(demand[:, None] - sites[None], axis=2), rng.integers(1, 50, n).astype(
        float
    )


def test_line_example():
    # Demand at 0, 1, 2, 10, 11; candidates at 0, 1, 10, 12 (see test_planning_models). Greedy
    # opens 1 first (total 21), then 10 (saving 18): {1, 2} = 3, the optimum; no swap improves.
    demand = np.array([0.0, 1.0, 2.0, 10.0, 11.0])
    sites = np.array([0.0, 1.0, 10.0, 12.0])
    cost = np.abs(demand[:, None] - sites[None, :])
    result = p_median_heuristic(cost, 2)
    assert result.selected.tolist() == [1, 2]
    assert result.objective == pytest.approx(3.0)
    assert result.bound == pytest.approx(3.0, rel=1e-6)
    assert result.status == "heuristic"


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_heuristic_between_bound_and_optimum(seed):
    cost, weights = _instance(seed, 300, 40)
    exact = p_median(cost, 6, weights)
    fast = p_median_heuristic(cost, 6, weights)
    assert fast.objective >= exact.objective * (1 - 1e-9)
    assert fast.bound <= exact.objective * (1 + 1e-9)
    assert fast.gap == pytest.approx((fast.objective - fast.bound) / fast.objective)
    # The interchange never makes the greedy answer worse, and here it stays close to optimal.
    assert fast.objective <= fast.details["greedy_objective"]
    assert fast.objective <= exact.objective * 1.05
    # The objective is what the selected sites give.
    assert fast.objective == pytest.approx(float(weights @ cost[:, fast.selected].min(axis=1)))


def test_interchange_reaches_a_swap_local_optimum():
    cost, weights = _instance(5, 120, 15)
    result = p_median_heuristic(cost, 4, weights)
    chosen = set(result.selected.tolist())
    value = result.objective
    for add in set(range(15)) - chosen:
        for drop in chosen:
            trial = sorted(chosen - {drop} | {add})
            assert weights @ cost[:, trial].min(axis=1) >= value * (1 - 1e-12)


def test_heuristic_keeps_fixed_and_groups():
    cost, weights = _instance(8, 200, 20)
    groups = [f"g{j // 4}" for j in range(20)]  # five groups of four
    result = p_median_heuristic(cost, 5, weights, fixed=[3], groups=groups, per_group="exactly")
    assert 3 in result.selected
    assert sorted({groups[j] for j in result.selected}) == ["g0", "g1", "g2", "g3", "g4"]
    exact = p_median(cost, 5, weights, fixed=[3], groups=groups, per_group="exactly")
    assert result.objective >= exact.objective * (1 - 1e-9)
    assert result.bound <= exact.objective * (1 + 1e-9)
    with pytest.raises(InfeasibleError, match="fixed open"):
        p_median_heuristic(cost, 1, weights, fixed=[0, 1])


@pytest.mark.parametrize("per_group", ["at_most", "at_least", "exactly"])
def test_best_sites_is_exact(per_group):
    # The Lagrangian subproblem: brute force over all subsets of size p.
    rng = np.random.default_rng(4)
    score = rng.normal(size=9)
    codes = np.array([0, 0, 1, 1, 1, 2, -1, -1, 2])
    fixed = np.zeros(9, dtype=bool)
    fixed[2] = True
    p = 4

    def valid(subset):
        if 2 not in subset:
            return False
        counts = np.bincount(codes[list(subset)][codes[list(subset)] >= 0], minlength=3)
        if per_group == "at_most":
            return bool((counts <= 1).all())
        if per_group == "at_least":
            return bool((counts >= 1).all())
        return bool((counts == 1).all())

    best = min(score[list(s)].sum() for s in combinations(range(9), p) if valid(s))
    chosen = best_sites(score, p, fixed, codes, per_group)
    assert chosen.sum() == p
    assert valid(tuple(np.flatnonzero(chosen)))
    assert score[chosen].sum() == pytest.approx(best)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_reduced_cost_fixing_keeps_the_optimum(seed):
    from accessibility.planning._input import to_pairs
    from accessibility.planning.heuristics import reduced_cost_fixing, search

    cost, weights = _instance(seed, 400, 60)
    p = 8
    pairs = to_pairs(cost)
    no_groups = np.full(60, -1)
    found = search(pairs, weights, p, np.zeros(60, dtype=bool), no_groups, "at_most")
    closed, opened = reduced_cost_fixing(
        pairs, weights, p, np.zeros(60, dtype=bool), found.multipliers, found.objective
    )
    # The exact optimum without any heuristic help (k_nearest given skips it).
    exact = p_median(cost, p, weights, k_nearest=60)
    optimum = set(exact.selected.tolist())
    assert not optimum & set(np.flatnonzero(closed).tolist())
    assert set(np.flatnonzero(opened).tolist()) <= optimum
    assert closed.sum() > 0  # the bound proves something on these instances
    # And the default path (heuristic, bound, fixing, restricted model) reaches the same optimum.
    assert p_median(cost, p, weights).objective == pytest.approx(exact.objective, rel=1e-6)


@pytest.mark.parametrize("seed", [0, 1])
def test_lagrangian_value_bounds_the_optimum_for_any_multipliers(seed):
    from accessibility.planning._input import to_pairs
    from accessibility.planning.heuristics import lagrangian_value

    cost, weights = _instance(seed, 60, 8)
    optimum = min(
        float(np.sum(weights * cost[:, list(chosen)].min(axis=1)))
        for chosen in combinations(range(8), 3)
    )
    pairs = to_pairs(cost)
    rng = np.random.default_rng(seed)
    no_fixed, no_groups = np.zeros(8, dtype=bool), np.full(8, -1)
    for _ in range(20):
        lam = rng.random(60) * weights * cost.max()
        value = lagrangian_value(pairs, weights, 3, no_fixed, no_groups, "at_most", lam)
        assert value <= optimum * (1 + 1e-12)
    # Zero multipliers price every row at zero: the weakest bound.
    assert lagrangian_value(pairs, weights, 3, no_fixed, no_groups, "at_most", np.zeros(60)) == 0


@pytest.mark.parametrize("seed", [0, 1])
def test_lp_first_path_matches_the_mip(seed, monkeypatch):
    # The PDLP step forced on: its answer (integral LP, or the MIP after fixing) must be the
    # optimum the plain MIP finds, and a slice of the brute force must not beat it.
    from accessibility.planning import models

    cost, weights = _instance(seed, 1200, 40)
    # The PDLP step belongs to the assignment model: keep it where the radius model would win.
    monkeypatch.setattr(models, "_radius_is_smaller", lambda *a: False)
    monkeypatch.setattr(models, "BRANCH_SHARE", 0.0)
    monkeypatch.setattr(models, "LP_FIRST_PAIRS", 10**12)
    without_lp = p_median(cost, 4, weights)
    monkeypatch.setattr(models, "LP_FIRST_PAIRS", 0)
    with_lp = p_median(cost, 4, weights)
    assert with_lp.status == without_lp.status == "optimal"
    assert with_lp.objective == pytest.approx(without_lp.objective, rel=1e-6)
    assert with_lp.bound <= with_lp.objective * (1 + 1e-12)
    if seed == 1:  # this instance's LP optimum is integral: no branch-and-bound needed
        assert with_lp.method == "LP relaxation (PDLP), Lagrangian bound"
    brute = min(
        float(np.sum(weights * cost[:, list(chosen)].min(axis=1)))
        for chosen in combinations(range(40), 4)
        if chosen[0] < 10
    )
    assert with_lp.objective <= brute * (1 + 1e-9)


def _dense_at_least(gain, loss, corrections, addable, droppable, open_mask, codes):
    """The add × drop matrix of the interchange under "at least one per group" (the reference)."""
    from scipy import sparse

    from accessibility.planning.heuristics import _swap_allowed

    added, dropped, amount = corrections
    m = open_mask.size
    extra = sparse.csr_array((amount, (added, dropped)), shape=(m, m))
    profit = gain[addable, None] - loss[None, droppable]
    profit += extra[addable][:, droppable].toarray()
    valid = _swap_allowed(addable, droppable, open_mask, codes, "at_least")
    profit = np.where(valid, profit, -np.inf)
    i, k = divmod(int(np.argmax(profit)), droppable.size)
    return float(profit[i, k]), int(addable[i]), int(droppable[k])


@pytest.mark.parametrize("seed", range(40))
def test_at_least_swap_is_the_one_of_the_full_matrix(seed):
    from accessibility.planning.heuristics import _best_swap_at_least

    rng = np.random.default_rng(seed)
    m = int(rng.integers(6, 40))
    codes = rng.integers(-1, max(2, m // 4), m)
    open_mask = rng.random(m) < 0.4
    open_mask[:2] = True
    fixed = open_mask & (rng.random(m) < 0.2)
    addable = np.flatnonzero(~open_mask)
    droppable = np.flatnonzero(open_mask & ~fixed)
    if addable.size == 0 or droppable.size == 0:
        pytest.skip("no swap to make")
    # Whole numbers make ties common; a large gain makes ties by rounding too.
    gain = rng.integers(0, 4, m).astype(float) * (1e16 if seed % 3 == 0 else 1.0)
    loss = rng.integers(0, 3, m).astype(float)
    n_entries = int(rng.integers(0, 3 * m))
    # Corrections join a closed site to an open one, some pairs several times.
    corrections = (
        rng.choice(addable, n_entries),
        rng.choice(np.flatnonzero(open_mask), n_entries),
        rng.integers(0, 3, n_entries).astype(float),
    )
    want = _dense_at_least(gain, loss, corrections, addable, droppable, open_mask, codes)
    got = _best_swap_at_least(gain, loss, corrections, addable, droppable, open_mask, codes)
    if want[0] == -np.inf:
        assert got[0] == -np.inf
    else:
        assert got == want


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_at_least_search_matches_the_full_matrix(seed, monkeypatch):
    from accessibility.planning import heuristics

    cost, weights = _instance(seed, 600, 120)
    groups = [i % 30 for i in range(120)]
    options = {"groups": groups, "per_group": "at_least", "fixed": [3, 50]}
    fast = p_median_heuristic(cost, 40, weights, **options)
    monkeypatch.setattr(heuristics, "_best_swap_at_least", _dense_at_least)
    dense = p_median_heuristic(cost, 40, weights, **options)
    assert fast.details["swaps"] == dense.details["swaps"] > 0
    assert fast.selected.tolist() == dense.selected.tolist()
    assert fast.objective == dense.objective


@pytest.mark.parametrize("seed", range(6))
def test_two_nearest_open_sites(seed):
    from scipy import sparse

    from accessibility.planning._input import nearest_open, to_pairs
    from accessibility.planning.heuristics import _two_nearest

    rng = np.random.default_rng(seed)
    dense = rng.integers(0, 5, (60, 25)).astype(float)  # ties between sites are common
    dense[rng.random(dense.shape) < 0.5] = np.inf
    dense[3] = np.inf  # a row with no allowed site
    pairs = to_pairs(sparse.csr_array(np.where(np.isfinite(dense), dense + 1, 0)))
    open_mask = rng.random(25) < 0.3
    first, d1, d2 = _two_nearest(pairs, open_mask, 1e9)
    nearest, cost = nearest_open(pairs, open_mask)
    assert first.tolist() == nearest.tolist()
    assert d1.tolist() == np.where(np.isfinite(cost), cost, 1e9).tolist()
    for i in range(60):
        row = pairs.cols[pairs.indptr[i] : pairs.indptr[i + 1]]
        costs = pairs.costs[pairs.indptr[i] : pairs.indptr[i + 1]]
        opened = costs[open_mask[row]]
        assert d2[i] == (opened[1] if opened.size > 1 else 1e9)


def _greedy_every_step(pairs, w, row, p, fixed_mask, codes, per_group, penalty):
    """The greedy summing every candidate's saving at every step (the reference)."""
    from accessibility.planning._input import nearest_open
    from accessibility.planning.heuristics import _eligible

    open_mask = fixed_mask.copy()
    _, current = nearest_open(pairs, open_mask)
    current = np.where(np.isfinite(current), current, penalty)
    order = []
    while open_mask.sum() < p:
        saving = np.bincount(
            pairs.cols,
            weights=w[row] * np.maximum(current[row] - pairs.costs, 0.0),
            minlength=pairs.n_cols,
        )
        eligible = _eligible(open_mask, codes, per_group, p, fixed_mask)
        choice = int(np.argmax(np.where(eligible, saving, -np.inf)))
        order.append(choice)
        open_mask[choice] = True
        in_choice = pairs.cols == choice
        np.minimum.at(current, row[in_choice], pairs.costs[in_choice])
    return open_mask, order


@pytest.mark.parametrize("seed", range(8))
def test_lazy_greedy_opens_the_sites_of_the_full_greedy(seed):
    from accessibility.planning import heuristics
    from accessibility.planning._input import to_fixed, to_groups, to_pairs

    rng = np.random.default_rng(seed)
    cost, weights = _instance(seed, 300, 50)
    if seed % 2:
        cost = np.round(cost / 100)  # ties between candidates
    cost[rng.random(cost.shape) < 0.3] = np.inf
    pairs = to_pairs(cost)
    groups = [i % 7 for i in range(50)] if seed % 4 < 2 else None
    codes = to_groups(groups, 50)
    fixed = to_fixed([1, 9] if seed % 3 == 0 else None, 50)
    per_group = ["at_least", "at_most", "exactly", "at_least"][seed % 4]
    p = 7 if per_group == "exactly" else 12
    if per_group == "at_most" and groups is not None:
        p = 7
    want, order = _greedy_every_step(
        pairs, weights, pairs.row_of_pair, p, fixed, codes, per_group, 1e9
    )
    got = heuristics._greedy(pairs, weights, pairs.row_of_pair, p, fixed, codes, per_group, 1e9)
    assert got.tolist() == want.tolist()
    assert int(got.sum()) == p and len(order) == p - int(fixed.sum())


def test_a_populous_saving_never_leaves_a_village_unserved():
    # The village (row 0) reaches only site 0; the town's two halves gain 10 m x 1e6 people from
    # a second town site. No saving may pay for an unserved row: the plan keeps site 0.
    inf = np.inf
    cost = np.array([[1.0, inf, inf], [inf, 0.0, 10.0], [inf, 10.0, 0.0]])
    w = np.array([1.0, 1e6, 1e6])
    result = p_median_heuristic(cost, 2, w)
    assert 0 in result.selected.tolist()
    assert (result.assignment >= 0).all()
    assert result.objective == pytest.approx(1.0 + 1e7)
