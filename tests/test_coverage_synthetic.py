"""Coverage end to end on the synthetic region, through the loaders and a walking network."""

from __future__ import annotations

import numpy as np
import pytest

from accessibility import load_region, walk_network
from accessibility.coverage.core import STATUS_VALUES, assess, stop_rule


@pytest.fixture(scope="module")
def region() -> dict:
    layers = load_region()
    layers["network"] = walk_network(layers["streets"])
    return layers


@pytest.fixture(scope="module")
def walked(region) -> object:
    return assess(
        region["units"],
        region["stops"],
        region["centres"],
        region["population"],
        region["network"],
        sites=region["libraries"],
        site_label="libraries",
        municipalities=region["municipalities"],
    )


def test_every_unit_stop_and_person_appears(region, walked):
    table = walked.units
    assert len(table) == len(region["units"])
    info = table.attrs["coverage"]["stops"]
    assert table["stops"].sum() + len(info["outside_all_units"]) == len(region["stops"])
    assert table["population"].sum() == region["population"]["population"].sum()
    assert walked.points["population"].sum() == region["population"]["population"].sum()
    assert set(table["status"].astype(str)) <= set(STATUS_VALUES)
    assert table["centres"].sum() == len(region["centres"])


def test_walks_are_never_shorter_than_straight_lines(region, walked):
    straight = stop_rule(region["libraries"], region["stops"])
    walk = walked.sites
    assert set(walk["method"].dropna()) == {"network"}
    finite = np.isfinite(walk["distance"].to_numpy())
    assert finite.any()
    assert (
        walk["distance"].to_numpy()[finite] >= straight["distance"].to_numpy()[finite] - 1e-6
    ).all()
    # Meeting the rule on foot implies meeting it in a straight line, never the reverse.
    assert not (walk["meets_rule"] & ~straight["meets_rule"]).any()
    assert walk["meets_rule"].sum() <= straight["meets_rule"].sum()


def test_summary_speaks_of_walking_and_counts_match_the_tables(region, walked):
    figures = walked.summary
    assert figures["sites"]["within"]["count"] == int(walked.sites["meets_rule"].sum())
    assert figures["sites"]["within"]["of"] == len(region["libraries"])
    assert figures["sites"]["straight_line"] is False
    assert "walking distance" in figures["text"]
    assert figures["municipalities"]["with_centre"]["of"] == len(region["municipalities"])
    assert walked.gaps["rank"].tolist() == list(range(1, len(walked.gaps) + 1))
