"""Facility-location planning: exact models, heuristics, candidates, one centre per unit, comparison."""

from __future__ import annotations

from .heuristics import p_median_heuristic
from .models import mclp, p_center, p_median, set_cover
from .result import LocationResult

__all__ = ["LocationResult", "mclp", "p_center", "p_median", "p_median_heuristic", "set_cover"]
