"""Pieces the exact models share: the default optimality gap, blocks of constraint rows, the relative gap."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import sparse

from . import _highs

#: Default of ``mip_rel_gap``: tight enough that objectives match other exact solvers to 6 digits.
DEFAULT_GAP = 1e-6


class _RowBlock:
    """Constraint rows gathered as coordinate triplets, then assembled once into CSR."""

    def __init__(self, n_cols: int) -> None:
        self.n_cols = n_cols
        self.n_rows = 0
        self.r: list[np.ndarray] = []
        self.c: list[np.ndarray] = []
        self.v: list[np.ndarray] = []
        self.lo: list[np.ndarray] = []
        self.hi: list[np.ndarray] = []

    def add(self, row: Any, col: Any, val: Any, lower: Any, upper: Any) -> None:
        """Add entries at local rows ``row``; ``lower``/``upper`` start the new rows.

        With ``lower`` None the entries go into the rows the next call opens, so
        one constraint can be assembled from two blocks of columns.
        """
        row = np.asarray(row, dtype=np.int64)
        self.r.append(row + self.n_rows)
        self.c.append(np.asarray(col, dtype=np.int64))
        self.v.append(np.asarray(val, dtype=np.float64))
        if lower is not None:
            self.lo.append(np.asarray(lower, dtype=np.float64))
            self.hi.append(np.asarray(upper, dtype=np.float64))
            self.n_rows += len(lower)

    def build(self) -> tuple[sparse.csr_array, np.ndarray, np.ndarray]:
        """The CSR matrix and row bounds (infinite bounds mapped to HiGHS' infinity)."""
        r = np.concatenate(self.r) if self.r else np.zeros(0, dtype=np.int64)
        c = np.concatenate(self.c) if self.c else np.zeros(0, dtype=np.int64)
        v = np.concatenate(self.v) if self.v else np.zeros(0)
        matrix = sparse.csr_array((v, (r, c)), shape=(self.n_rows, self.n_cols))
        lo = np.concatenate(self.lo) if self.lo else np.zeros(0)
        hi = np.concatenate(self.hi) if self.hi else np.zeros(0)
        return matrix, np.maximum(lo, -_highs.INF), np.minimum(hi, _highs.INF)


def _relative_gap(objective: float, bound: float) -> float:
    """|objective - bound| / |objective| (0 when both are 0, inf when there is no objective)."""
    if not np.isfinite(objective) or not np.isfinite(bound):
        return float("inf")
    if objective == bound:
        return 0.0
    return float(abs(objective - bound) / max(abs(objective), 1e-12))
