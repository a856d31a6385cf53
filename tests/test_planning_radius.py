"""The radius formulation of the p-median against brute force on small metric instances."""

from __future__ import annotations

import importlib.util
import itertools
from pathlib import Path

import numpy as np
import pytest

from accessibility.planning import models, p_median
from accessibility.planning._input import to_pairs
from accessibility.planning.radius import levels, model_counts, solve_radius

ROOT = Path(__file__).resolve().parents[1]


def metric_instance(seed: int, n: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Manhattan distances between integer points: a metric with many repeated costs."""
    rng = np.random.default_rng(seed)
    demand = rng.integers(0, 12, (n, 2))
    sites = rng.integers(0, 12, (m, 2))
    cost = np.abs(demand[:, None, :] - sites[None, :, :]).sum(-1).astype(float)
    return cost, rng.integers(1, 6, n).astype(float)


def brute_force(
    cost: np.ndarray,
    p: int,
    w: np.ndarray,
    fixed: tuple[int, ...] = (),
    groups: list | None = None,
    per_group: str = "at_most",
) -> float:
    best = np.inf
    for chosen in itertools.combinations(range(cost.shape[1]), p):
        if not set(fixed) <= set(chosen):
            continue
        if groups is not None:
            labels = [groups[j] for j in chosen if groups[j] is not None]
            present = {g for g in groups if g is not None}
            if per_group in ("at_most", "exactly") and len(labels) != len(set(labels)):
                continue
            if per_group in ("at_least", "exactly") and set(labels) != present:
                continue
        nearest = cost[:, list(chosen)].min(axis=1)
        if np.isfinite(nearest).all():
            best = min(best, float(w @ nearest))
    return best


@pytest.fixture
def radius(monkeypatch):
    """Use the radius model wherever there is a model to solve (the size rule is tested apart)."""
    monkeypatch.setattr(models, "_radius_is_smaller", lambda *a: True)
    monkeypatch.setattr(models, "BRANCH_SHARE", 0.0)


def check(result, expected: float) -> None:
    assert result.method == "highs (radius formulation)"
    assert result.status == "optimal"
    assert result.objective == pytest.approx(expected, rel=1e-9)
    assert result.bound <= result.objective + 1e-6
    assert result.bound >= expected * (1 - 1e-6) - 1e-9


def test_levels_of_a_hand_example():
    cost = np.array([[3.0, 1.0, 3.0, 7.0], [2.0, 2.0, 2.0, 2.0]])
    lev = levels(to_pairs(cost))
    assert lev.n_levels.tolist() == [3, 1]
    assert lev.distance.tolist() == [1.0, 3.0, 7.0, 2.0]
    # Row 0 sorted: 1 (col 1), 3 (col 0), 3 (col 2), 7 (col 3).
    assert lev.level_of_pair.tolist() == [0, 1, 1, 2, 0, 0, 0, 0]


def test_radius_model_is_smaller_with_repeated_costs():
    cost, _ = metric_instance(0, 60, 30)
    pairs = to_pairs(cost)
    counts = model_counts(pairs, np.arange(60), np.diff(pairs.indptr))
    assert counts["radius_columns"] < counts["assignment_columns"] / 2
    assert counts["radius_nonzeros"] < counts["assignment_nonzeros"]
    # Distinct costs everywhere: one level per pair, so no saving and the assignment model stays.
    rng = np.random.default_rng(1)
    distinct = to_pairs(rng.random((40, 20)) * 1000)
    assert not models._radius_is_smaller(distinct, np.arange(40), np.diff(distinct.indptr))


@pytest.mark.parametrize("seed", range(8))
def test_random_metric_instances_reach_the_brute_force_optimum(seed, radius):
    rng = np.random.default_rng(100 + seed)
    n, m = int(rng.integers(15, 30)), int(rng.integers(6, 11))
    p = int(rng.integers(1, 5))
    cost, w = metric_instance(seed, n, m)
    # No Lagrangian bound: the heuristic cannot close the gap alone, so the model decides.
    result = p_median(cost, p, w, bound_iterations=0)
    check(result, brute_force(cost, p, w))
    assert result.p == p
    # The assignment reported is each row's nearest open site.
    assert np.allclose(result.distance, cost[:, result.selected].min(axis=1))


def test_unit_weights_and_forbidden_pairs(radius):
    cost, _ = metric_instance(3, 24, 9)
    cost[cost > 9] = np.inf
    w = np.ones(24)
    expected = brute_force(cost, 3, w)
    assert np.isfinite(expected)
    check(p_median(cost, 3, bound_iterations=0), expected)


def test_fixed_sites_are_kept_open(radius):
    cost, w = metric_instance(5, 25, 9)
    result = p_median(cost, 3, w, fixed=[0, 7], bound_iterations=0)
    assert {0, 7} <= set(result.selected.tolist())
    check(result, brute_force(cost, 3, w, fixed=(0, 7)))


@pytest.mark.parametrize("per_group", ["at_most", "at_least", "exactly"])
def test_group_rules(per_group, radius):
    cost, w = metric_instance(7, 26, 9)
    groups = ["a", "a", "a", "b", "b", "c", "c", None, None]
    p = 3 if per_group == "exactly" else 4
    result = p_median(cost, p, w, groups=groups, per_group=per_group, bound_iterations=0)
    check(result, brute_force(cost, p, w, groups=groups, per_group=per_group))
    labels = [groups[j] for j in result.selected if groups[j] is not None]
    if per_group != "at_least":
        assert len(labels) == len(set(labels))
    if per_group != "at_most":
        assert set(labels) == {"a", "b", "c"}


def test_radius_and_assignment_models_agree(monkeypatch):
    monkeypatch.setattr(models, "BRANCH_SHARE", 0.0)
    cost, w = metric_instance(11, 40, 14)
    radius = p_median(cost, 4, w, bound_iterations=0)
    monkeypatch.setattr(models, "_radius_is_smaller", lambda *a: False)
    assignment = p_median(cost, 4, w, bound_iterations=0)
    assert assignment.method == "highs"
    assert radius.method == "highs (radius formulation)"
    assert radius.objective == pytest.approx(assignment.objective, rel=1e-12)
    assert radius.status == assignment.status == "optimal"


def test_lazy_levels_from_one_level_per_row_keep_the_proof():
    """Starting from each row's nearest level only, levels are added until the optimum is proved."""
    cost, w = metric_instance(13, 30, 10)
    pairs = to_pairs(cost)
    m = cost.shape[1]
    none = np.zeros(m, dtype=bool)
    out = solve_radius(
        pairs, w, np.arange(30), 0.0, 3, none, none, (np.zeros(0, int),) * 2 + (np.zeros(0),) * 2,
        full_pairs=pairs, start_open=None, start_distance=np.zeros(30), upper=np.inf,
        bound=-np.inf, time_limit=60.0, mip_rel_gap=1e-9, threads=1, seed=0, fixing=True,
    )  # fmt: skip
    expected = brute_force(cost, 3, w)
    assert out.status == "optimal"
    assert out.objective == pytest.approx(expected)
    assert expected * (1 - 1e-9) <= out.bound <= out.objective + 1e-9
    assert out.details["lp_rounds"] >= 2  # the first truncation was too short and grew
    assert out.details["levels_kept"] <= out.details["levels_total"]


def test_truncated_bound_is_a_lower_bound_when_time_is_short(radius):
    cost, w = metric_instance(17, 30, 12)
    result = p_median(cost, 4, w, bound_iterations=0)
    assert result.bound <= brute_force(cost, 4, w) + 1e-9


def _bench_module():
    spec = importlib.util.spec_from_file_location(
        "bench_orlib", ROOT / "scripts" / "bench_orlib.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_orlib_reader_builds_shortest_paths(tmp_path):
    bench = _bench_module()
    # A 4-node ring 1-2-3-4-1 with edge 1-2 given twice: the last cost (5, not 2) counts.
    path = tmp_path / "pmed0.txt"
    path.write_text(" 4 5 2 \n 1 2 2 \n 2 3 10 \n 3 4 10 \n 4 1 10 \n 1 2 5 \n")
    cost, p = bench.read_pmed(path)
    assert p == 2
    expected = np.array(
        [[0, 5, 15, 10], [5, 0, 10, 15], [15, 10, 0, 10], [10, 15, 10, 0]], dtype=float
    )
    assert np.array_equal(cost, expected)
    assert p_median(cost, 2).objective == brute_force(cost, 2, np.ones(4)) == 15.0


def test_orlib_reader_names_the_bad_line(tmp_path):
    bench = _bench_module()
    path = tmp_path / "pmed0.txt"
    path.write_text(" 3 2 1 \n 1 2 5 \n 2 7 1 \n")
    with pytest.raises(ValueError, match=r"pmed0.txt, line 3: node outside 1..3"):
        bench.read_pmed(path)
    path.write_text(" 3 2 \n")
    with pytest.raises(ValueError, match="line 1: header"):
        bench.read_pmed(path)
