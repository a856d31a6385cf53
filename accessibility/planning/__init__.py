"""Facility-location planning: exact models, heuristics, candidates, one centre per unit, comparison."""

from __future__ import annotations

from .candidates import build_candidates
from .compare import compare
from .covering import mclp, p_center, set_cover
from .heuristics import p_median_heuristic
from .models import p_median
from .one_per_unit import UnitPlan, plan_one_per_unit, sharing_pairs
from .result import LocationResult

__all__ = [
    "LocationResult",
    "UnitPlan",
    "build_candidates",
    "compare",
    "mclp",
    "p_center",
    "p_median",
    "p_median_heuristic",
    "plan_one_per_unit",
    "set_cover",
    "sharing_pairs",
]
