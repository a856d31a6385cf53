"""Fairness measures against textbook formulas computed by plain loops over individuals."""

from __future__ import annotations

import math

import numpy as np
import pytest

from accessibility.coverage.fairness import distance_distribution, distance_fairness, fairness_line


def _individuals(distance, weights):
    """Expand integer weights into one distance per person."""
    people = []
    for d, w in zip(distance, weights, strict=True):
        people.extend([float(d)] * int(w))
    return sorted(people)


def _gini_loop(x):
    n = len(x)
    mu = sum(x) / n
    return sum(abs(a - b) for a in x for b in x) / (2 * n * n * mu)


def _theil_loop(x):
    mu = sum(x) / len(x)
    return sum((a / mu) * math.log(a / mu) if a > 0 else 0.0 for a in x) / len(x)


def _palma_loop(x):
    n = len(x)
    top = sum(x[n - n // 10 :])
    bottom = sum(x[: 4 * n // 10])
    return top / bottom


def _p90_loop(x):
    return x[math.ceil(0.9 * len(x)) - 1]


def test_hand_example():
    # Ten people: distances 1..10 km. Gini by hand: Σ|i-j| over ordered pairs = 330 km,
    # 2·n²·μ = 2·100·5.5 = 1100 km -> 0.3. Palma: 10 / (1+2+3+4) = 1.0. P90 = 9 km.
    m = distance_distribution(np.arange(1, 11) * 1000.0, np.ones(10), thresholds=[3000, 10000])
    assert m["gini"] == pytest.approx(0.3)
    assert m["palma"] == pytest.approx(1.0)
    assert m["p90_distance_m"] == 9000
    assert m["mean_distance_m"] == pytest.approx(5500)
    assert m["share_within_3000m"] == pytest.approx(0.3)
    assert m["share_within_10000m"] == pytest.approx(1.0)
    assert m["theil"] == pytest.approx(_theil_loop([float(i) for i in range(1, 11)]))


@pytest.mark.parametrize("seed", range(6))
def test_weighted_measures_equal_the_expanded_population(seed):
    rng = np.random.default_rng(seed)
    n = 15
    distance = rng.uniform(0, 20_000, n).round(0)
    distance[rng.integers(0, n)] = 0.0  # someone at the centre: 0 · ln 0 counts as 0
    weights = rng.integers(1, 9, n)
    # Make the head count a multiple of ten so that the Palma deciles fall between people.
    weights[-1] += (10 - weights.sum() % 10) % 10
    people = _individuals(distance, weights)
    m = distance_distribution(distance, weights, thresholds=[5000])
    assert m["population"] == len(people)
    assert m["mean_distance_m"] == pytest.approx(sum(people) / len(people))
    assert m["gini"] == pytest.approx(_gini_loop(people))
    assert m["theil"] == pytest.approx(_theil_loop(people))
    assert m["palma"] == pytest.approx(_palma_loop(people))
    assert m["p90_distance_m"] == pytest.approx(_p90_loop(people))
    assert m["share_within_5000m"] == pytest.approx(sum(p <= 5000 for p in people) / len(people))


def test_equal_distances_have_no_inequality():
    m = distance_distribution([2500.0] * 4, [3, 1, 5, 2])
    assert m["gini"] == pytest.approx(0.0, abs=1e-12)
    assert m["theil"] == pytest.approx(0.0, abs=1e-12)
    # The farthest tenth travels a tenth of the total, the nearest 40 % four tenths.
    assert m["palma"] == pytest.approx(0.1 / 0.4)


def test_unreached_people_are_counted_and_left_out_of_the_indices():
    m = distance_distribution([1000.0, np.inf, 3000.0], [1, 2, 1], thresholds=[2000])
    assert m["population_unreached"] == 2
    assert m["share_within_2000m"] == pytest.approx(0.25)
    assert m["mean_distance_m"] == pytest.approx(2000)
    assert m["gini"] == pytest.approx(_gini_loop([1000.0, 3000.0]))


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="3 distances but 2 weights"):
        distance_distribution([1.0, 2.0, 3.0], [1, 1])
    with pytest.raises(ValueError, match="NaN"):
        distance_distribution([1.0, float("nan")], [1, 1])
    with pytest.raises(ValueError, match="non-negative"):
        distance_distribution([1.0, 2.0], [1, -1])


def test_per_group_rows_and_national_row():
    distance = [100.0, 200.0, 5000.0, 7000.0, 9000.0]
    weights = [10, 10, 1, 1, 1]
    groups = ["A", "A", "B", "B", None]
    table = distance_fairness(distance, weights, groups, thresholds=[1000], names={"A": "Alpha"})
    assert list(table.index) == ["national", "A", "B"]
    assert table.loc["A", "name"] == "Alpha"
    assert table.loc["national", "population"] == 23
    assert table.loc["B", "mean_distance_m"] == pytest.approx(6000)
    assert table.loc["A", "share_within_1000m"] == 1.0
    assert table.loc["national", "share_within_1000m"] == pytest.approx(20 / 23)
    national = distance_distribution(distance, weights, [1000])
    assert table.loc["national", "gini"] == pytest.approx(national["gini"])
    assert "Gini" in fairness_line(national)
