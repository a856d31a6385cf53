"""Result of a location model: chosen sites, assignment, objective, solver status and gap."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd


@dataclass
class LocationResult:
    """The answer of one location model run.

    Attributes
    ----------
    model
        ``"p_median"``, ``"mclp"``, ``"set_cover"`` or ``"p_center"``.
    selected
        Column indices of the chosen candidates, ascending.
    objective
        Objective of ``selected`` evaluated on the full cost matrix: weighted distance sum
        (p-median), covered weight (MCLP), number of sites (set cover), largest distance (p-center).
    assignment
        Nearest chosen candidate of every demand row (for MCLP and set cover: within the radius),
        ``-1`` when none is allowed or in reach.
    distance
        Cost from every demand row to its assigned candidate (``inf`` when unassigned).
    status
        ``"optimal"`` (within the relative gap asked for), ``"time_limit"`` (feasible, gap open) or
        ``"heuristic"``.
    gap
        Relative gap between ``objective`` and ``bound``.
    bound
        Best proved bound on the optimum (lower for minimisation, upper for MCLP).
    runtime
        Seconds spent, model building included.
    method
        ``"highs"`` or ``"greedy+interchange"``.
    details
        Model-specific figures (reductions made, iterations, covered share ...).
    """

    model: str
    selected: np.ndarray
    objective: float
    assignment: np.ndarray
    distance: np.ndarray
    status: str
    gap: float
    bound: float
    runtime: float
    method: str = "highs"
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def p(self) -> int:
        """Number of chosen sites."""
        return int(self.selected.size)

    @property
    def unassigned(self) -> np.ndarray:
        """Demand rows without an assigned site."""
        return np.flatnonzero(self.assignment < 0)

    def to_frame(self) -> pd.DataFrame:
        """One row per demand row: ``site`` (assigned column, -1 if none) and ``distance``."""
        return pd.DataFrame({"site": self.assignment, "distance": self.distance})

    def summary(self) -> dict[str, Any]:
        """A JSON-ready summary of the run."""
        return {
            "model": self.model,
            "sites": self.p,
            "objective": float(self.objective),
            "bound": float(self.bound),
            "gap": float(self.gap),
            "status": self.status,
            "method": self.method,
            "runtime_s": round(float(self.runtime), 3),
            "unassigned": int(self.unassigned.size),
            **{k: v for k, v in self.details.items() if np.isscalar(v)},
        }

    def __repr__(self) -> str:
        return (
            f"LocationResult(model={self.model!r}, sites={self.p}, objective={self.objective:.6g}, "
            f"status={self.status!r}, gap={self.gap:.2e}, runtime={self.runtime:.2f}s)"
        )
