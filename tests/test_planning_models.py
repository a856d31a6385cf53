"""Exact location models: hand-checked instances, rules, infeasibility, and agreement with spopt."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from accessibility import InfeasibleError
from accessibility.planning import mclp, p_center, p_median, set_cover

# A line: demand at 0, 1, 2, 10, 11; candidates at 0, 1, 10, 12. Costs are |demand - candidate|.
DEMAND = np.array([0.0, 1.0, 2.0, 10.0, 11.0])
SITES = np.array([0.0, 1.0, 10.0, 12.0])
LINE = np.abs(DEMAND[:, None] - SITES[None, :])


def test_p_median_line_p1():
    # Totals per candidate: at 0: 0+1+2+10+11 = 24; at 1: 1+0+1+9+10 = 21; at 10: 28; at 12: 36.
    result = p_median(LINE, 1)
    assert result.selected.tolist() == [1]
    assert result.objective == pytest.approx(21.0)
    assert result.assignment.tolist() == [1, 1, 1, 1, 1]
    assert result.status == "optimal"


def test_p_median_line_p2():
    # Left cluster best served from 1 (1+0+1 = 2), right from 10 (0+1 = 1): total 3.
    result = p_median(LINE, 2)
    assert result.selected.tolist() == [1, 2]
    assert result.objective == pytest.approx(3.0)
    assert result.assignment.tolist() == [1, 1, 1, 2, 2]
    assert result.distance.tolist() == [1.0, 0.0, 1.0, 0.0, 1.0]
    assert result.gap <= 1e-6


def test_p_median_weights_move_the_site():
    # With weight 100 on demand at 11, the right site must be 10 or 12, both 1 away; the demand
    # at 10 (weight 1) prefers 10. On the left, weight 100 at demand 0 pulls the site to 0.
    weights = [100, 1, 1, 1, 100]
    result = p_median(LINE, 2, weights)
    assert result.selected.tolist() == [0, 2]
    # 0*100 + 1 + 2 + 0 + 1*100 = 103
    assert result.objective == pytest.approx(103.0)


def test_p_median_fixed_site():
    # Site at 12 (column 3) must stay open. The second site: at 1 gives left 2 + right (10->12: 2,
    # 11->12: 1) = 5; at 0 gives 3 + 3 = 6; at 10 gives 27 + 1 = 28. So {1, 3}, objective 5.
    result = p_median(LINE, 2, fixed=[3])
    assert result.selected.tolist() == [1, 3]
    assert result.objective == pytest.approx(5.0)


def test_p_median_group_at_most_one():
    # Columns 1 and 2 share group "B": {1, 2} is barred. Next best: {0, 2} = 3 + 1 = 4
    # ({1, 3} = 2 + 3 = 5).
    result = p_median(LINE, 2, groups=["A", "B", "B", "C"], per_group="at_most")
    assert result.selected.tolist() == [0, 2]
    assert result.objective == pytest.approx(4.0)


def test_p_median_group_exactly_one():
    # One site in the left pair {0, 1} and one in the right pair {10, 12}: the best is {1, 2}.
    result = p_median(LINE, 2, groups=["L", "L", "R", "R"], per_group="exactly")
    assert result.selected.tolist() == [1, 2]
    # Ungrouped candidates (None) are free; "at least" one in L with p=1 forces a left site.
    result = p_median(LINE, 1, groups=["L", "L", None, None], per_group="at_least")
    assert result.selected.tolist() == [1]


def test_p_median_sparse_absent_pairs_are_forbidden():
    # Only pairs within 3 are allowed: the left demand cannot use right sites and vice versa.
    cost = sparse.csr_array((LINE[LINE <= 3], np.nonzero(LINE <= 3)), shape=LINE.shape)
    assert cost.nnz < LINE.size
    result = p_median(cost, 2)
    assert result.selected.tolist() == [1, 2]
    assert result.objective == pytest.approx(3.0)
    # One site cannot reach both clusters.
    with pytest.raises(InfeasibleError, match="no choice of p=1 sites"):
        p_median(cost, 1)


def test_p_median_sparse_explicit_zero_is_allowed():
    # Row 0 may only use candidate 0, at cost 0 stored explicitly; this forces candidate 0 open.
    rows = [0, 1, 1, 2, 2]
    cols = [0, 0, 1, 0, 1]
    vals = [0.0, 5.0, 1.0, 5.0, 1.0]
    cost = sparse.csr_array((vals, (rows, cols)), shape=(3, 2))
    assert cost.nnz == 5
    result = p_median(cost, 1)
    assert result.selected.tolist() == [0]
    assert result.objective == pytest.approx(10.0)
    assert result.assignment.tolist() == [0, 0, 0]


def test_p_median_row_without_candidate():
    cost = sparse.csr_array(([1.0, 2.0], ([0, 2], [0, 1])), shape=(3, 2))
    with pytest.raises(InfeasibleError, match="demand rows 1 have no allowed candidate"):
        p_median(cost, 2)
    result = p_median(cost, 2, allow_unassigned=True)
    assert result.assignment.tolist() == [0, -1, 1]
    assert result.unassigned.tolist() == [1]
    assert result.objective == pytest.approx(3.0)


def test_infeasible_requests_are_named():
    with pytest.raises(InfeasibleError, match="3 candidates are fixed open but only p=2"):
        p_median(LINE, 2, fixed=[0, 1, 2])
    with pytest.raises(InfeasibleError, match="only 4 candidates"):
        mclp(LINE, 5, 1.0)
    with pytest.raises(InfeasibleError, match="groups A hold more than one fixed site"):
        p_median(LINE, 2, fixed=[0, 1], groups=["A", "A", "B", "B"])
    with pytest.raises(ValueError, match="NaN at demand row 1, candidate 2"):
        bad = LINE.copy()
        bad[1, 2] = np.nan
        p_median(bad, 1)
    with pytest.raises(ValueError, match="weights"):
        p_median(LINE, 1, [1, 1, -1, 1, 1])


def test_mclp_line():
    # Radius 1: site 1 covers demand 0,1,2; site 10 covers 10,11; site 12 covers 11; site 0 covers 0,1.
    weights = [1, 1, 1, 1, 5]
    one = mclp(LINE, 1, 1.0, weights)
    assert one.selected.tolist() == [2]  # covers 1 + 5 = 6 > 3 (site 1) > 5 (site 12)
    assert one.objective == pytest.approx(6.0)
    assert one.assignment.tolist() == [-1, -1, -1, 2, 2]
    assert one.details["covered_share"] == pytest.approx(6 / 9)
    two = mclp(LINE, 2, 1.0, weights)
    assert two.selected.tolist() == [1, 2]
    assert two.objective == pytest.approx(9.0)
    # With site 3 (at 12) fixed, the other site goes left: 5 (fixed) + 3 = 8 beats 5 + 1 (site 10).
    fixed = mclp(LINE, 2, 1.0, weights, fixed=[3])
    assert fixed.selected.tolist() == [1, 3]
    assert fixed.objective == pytest.approx(8.0)


def test_set_cover_line():
    # Radius 1 needs one site per cluster: {1, 2}.
    result = set_cover(LINE, 1.0)
    assert result.objective == 2
    assert result.selected.tolist() == [1, 2]
    # Radius 0.5: demand at 2 and at 11 are 1 away from every candidate.
    with pytest.raises(InfeasibleError, match=r"demand rows 2, 4 have no candidate within it"):
        set_cover(LINE, 0.5)
    # A fixed site counts: fixing site 0 still needs site 1 for demand at 2 -> 3 sites.
    assert set_cover(LINE, 1.0, fixed=[0]).objective == 3


def test_p_center_line():
    # p=2: {1, 2} gives a largest distance of 1. p=1: sites 1 and 10 both give 10.
    assert p_center(LINE, 2).objective == pytest.approx(1.0)
    assert p_center(LINE, 2).selected.tolist() == [1, 2]
    assert p_center(LINE, 1).objective == pytest.approx(10.0)
    # Fixing site 0 with p=1 gives 11.
    assert p_center(LINE, 1, fixed=[0]).objective == pytest.approx(11.0)


def _instance(seed: int, n: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    demand = rng.random((n, 2)) * 1000
    sites = rng.random((m, 2)) * 1000
    cost = np.linalg.norm(demand[:, None] - sites[None], axis=2)
    return cost, rng.integers(1, 50, n).astype(float)


def test_results_are_deterministic():
    cost, weights = _instance(7, 150, 30)
    first = p_median(cost, 5, weights)
    second = p_median(cost, 5, weights)
    assert first.selected.tolist() == second.selected.tolist()
    assert first.objective == second.objective


def test_p_median_equals_brute_force():
    # Small enough to enumerate every 3-subset of 9 candidates.
    from itertools import combinations

    cost, weights = _instance(3, 40, 9)
    best = min((weights @ cost[:, list(s)].min(axis=1), s) for s in combinations(range(9), 3))
    result = p_median(cost, 3, weights, k_nearest=1)  # k=1 exercises the widening loop
    assert result.objective == pytest.approx(best[0], rel=1e-9)
    assert tuple(result.selected) == best[1]
    assert result.details["iterations"] >= 2


spopt = pytest.importorskip("spopt.locate")
pulp = pytest.importorskip("pulp")


# spopt builds its models with PuLP calls that PuLP 3.3 marks deprecated.
peer_warnings = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning")


def _cbc():
    return pulp.PULP_CBC_CMD(msg=False)


@peer_warnings
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_p_median_matches_spopt(seed):
    cost, weights = _instance(seed, 80, 20)
    ours = p_median(cost, 4, weights)
    theirs = spopt.PMedian.from_cost_matrix(cost, weights, p_facilities=4).solve(_cbc())
    assert ours.objective == pytest.approx(pulp.value(theirs.problem.objective), rel=1e-6)


@peer_warnings
@pytest.mark.parametrize("seed", [0, 1])
def test_p_median_fixed_matches_spopt(seed):
    cost, weights = _instance(seed, 80, 20)
    fixed = np.zeros(20, dtype=bool)
    fixed[[2, 11]] = True
    ours = p_median(cost, 5, weights, fixed=fixed)
    theirs = spopt.PMedian.from_cost_matrix(
        cost, weights, p_facilities=5, predefined_facilities_arr=fixed
    ).solve(_cbc())
    assert ours.objective == pytest.approx(pulp.value(theirs.problem.objective), rel=1e-6)
    assert {2, 11} <= set(ours.selected.tolist())


@peer_warnings
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mclp_matches_spopt(seed):
    cost, weights = _instance(seed, 120, 25)
    radius = 180.0
    ours = mclp(cost, 4, radius, weights)
    theirs = spopt.MCLP.from_cost_matrix(cost, weights, radius, p_facilities=4).solve(_cbc())
    assert ours.objective == pytest.approx(pulp.value(theirs.problem.objective), rel=1e-9)


@peer_warnings
@pytest.mark.parametrize("seed", [0, 1])
def test_set_cover_matches_spopt(seed):
    cost, _ = _instance(seed, 100, 30)
    radius = float(cost.min(axis=1).max() * 1.3)
    ours = set_cover(cost, radius)
    theirs = spopt.LSCP.from_cost_matrix(cost, radius).solve(_cbc())
    assert ours.objective == pytest.approx(pulp.value(theirs.problem.objective))
    assert np.all(cost[:, ours.selected].min(axis=1) <= radius)


@peer_warnings
@pytest.mark.parametrize("seed", [0, 1])
def test_p_center_matches_spopt(seed):
    cost, _ = _instance(seed, 40, 12)
    ours = p_center(cost, 3)
    theirs = spopt.PCenter.from_cost_matrix(cost, 3).solve(_cbc())
    assert ours.objective == pytest.approx(pulp.value(theirs.problem.objective), rel=1e-6)
