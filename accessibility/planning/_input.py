"""Validation of cost matrices, weights, fixed sites and unit groups; the sorted pair form models use."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import sparse

from .._errors import AccessibilityError, InfeasibleError

PerGroup = Literal["at_most", "at_least", "exactly"]
PER_GROUP: tuple[str, ...] = ("at_most", "at_least", "exactly")


@dataclass
class Pairs:
    """Allowed (demand row, candidate column) pairs, each row's pairs sorted by cost then column.

    A CSR layout: the pairs of row ``i`` are ``cols[indptr[i]:indptr[i+1]]`` with costs
    ``costs[indptr[i]:indptr[i+1]]`` in ascending order, so the first open candidate of a row is
    its nearest.
    """

    n_rows: int
    n_cols: int
    indptr: np.ndarray
    cols: np.ndarray
    costs: np.ndarray

    @property
    def row_of_pair(self) -> np.ndarray:
        """Demand row of every stored pair."""
        return np.repeat(np.arange(self.n_rows), np.diff(self.indptr))

    @property
    def row_length(self) -> np.ndarray:
        """Number of allowed candidates per demand row."""
        return np.diff(self.indptr)


def _describe_rows(rows: np.ndarray, limit: int = 10) -> str:
    """``'3, 7, 12 and 5 more'``: a short list of row numbers for messages."""
    rows = np.asarray(rows)
    shown = ", ".join(str(int(r)) for r in rows[:limit])
    return shown + (f" and {rows.size - limit} more" if rows.size > limit else "")


def to_pairs(cost: Any, max_cost: float | None = None) -> Pairs:
    """Validate a demand × candidate cost matrix and return its allowed pairs sorted per row.

    A dense array allows every finite entry (``inf`` marks a forbidden pair); a scipy sparse
    matrix allows exactly its stored entries, explicit zeros included. With ``max_cost`` only
    the pairs at cost ``<= max_cost`` are kept (the whole matrix is still validated): coverage
    models need no farther pair, and dropping them before sorting saves most of the work.

    Raises
    ------
    AccessibilityError
        On NaN or negative costs, a matrix that is not two-dimensional, or duplicate sparse entries.
    """
    if max_cost is not None and not (np.isfinite(max_cost) and max_cost >= 0):
        # A NaN radius covers nothing and a negative one nothing either: both are mistakes.
        raise AccessibilityError(
            f"the service radius (max_cost) must be a finite non-negative cost, got {max_cost!r}"
        )
    if sparse.issparse(cost):
        coo = sparse.coo_array(cost)
        n_rows, n_cols = (int(s) for s in coo.shape)
        rows = np.asarray(coo.row, dtype=np.int64)
        cols = np.asarray(coo.col, dtype=np.int64)
        vals = np.asarray(coo.data, dtype=np.float64)
        keys = rows * n_cols + cols
        if np.unique(keys).size != keys.size:
            raise AccessibilityError("sparse cost matrix holds duplicate entries for the same pair")
        keep = np.isfinite(vals)
        # -inf is no "forbidden pair" (that is an absent entry or +inf): it is a broken cost.
        bad = np.isnan(vals) | np.isneginf(vals)
        if max_cost is not None:
            keep &= vals <= float(max_cost)
    else:
        dense = np.asarray(cost, dtype=np.float64)
        if dense.ndim != 2:
            raise AccessibilityError(
                f"cost matrix must be two-dimensional, got shape {dense.shape}"
            )
        n_rows, n_cols = dense.shape
        bad_mask = np.isnan(dense)
        if bad_mask.any():
            r, c = np.argwhere(bad_mask)[0]
            raise AccessibilityError(f"cost matrix holds NaN at demand row {r}, candidate {c}")
        if n_rows and n_cols and dense.min() < 0:
            r, c = np.unravel_index(int(np.argmin(dense)), dense.shape)
            raise AccessibilityError(
                f"cost matrix holds a negative cost {dense[r, c]} at demand row {r}, candidate {c}"
            )
        limit = np.inf if max_cost is None else float(max_cost)
        # A stable sort along each row orders by cost, then column: no global lexsort needed.
        order = np.argsort(dense, axis=1, kind="stable")
        ordered = np.take_along_axis(dense, order, axis=1)
        allowed = np.isfinite(ordered) & (ordered <= limit)
        indptr = np.zeros(n_rows + 1, dtype=np.int64)
        np.cumsum(allowed.sum(axis=1), out=indptr[1:])
        return Pairs(n_rows, n_cols, indptr, order[allowed].astype(np.int64), ordered[allowed])
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise AccessibilityError(
            f"cost matrix holds {vals[i]} at demand row {rows[i]}, candidate {cols[i]}"
        )
    rows, cols, vals = rows[keep], cols[keep], vals[keep]
    if vals.size and vals.min() < 0:
        i = int(np.argmin(vals))
        raise AccessibilityError(
            f"cost matrix holds a negative cost {vals[i]} at demand row {rows[i]}, candidate {cols[i]}"
        )
    order = np.lexsort((cols, vals, rows))
    rows, cols, vals = rows[order], cols[order], vals[order]
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n_rows), out=indptr[1:])
    return Pairs(n_rows, n_cols, indptr, cols.astype(np.int64), vals)


def to_weights(weights: Any, n_rows: int) -> np.ndarray:
    """Demand weights as a float array (ones when None); rejects wrong length, NaN and negatives."""
    if weights is None:
        return np.ones(n_rows)
    w = np.asarray(weights, dtype=np.float64).ravel()
    if w.size != n_rows:
        raise AccessibilityError(
            f"weights has {w.size} values but the cost matrix has {n_rows} demand rows"
        )
    bad = np.flatnonzero(~np.isfinite(w) | (w < 0))
    if bad.size:
        raise AccessibilityError(
            f"weights must be finite and non-negative; demand rows {_describe_rows(bad)} are not"
        )
    return w


def to_fixed(fixed: Any, n_cols: int) -> np.ndarray:
    """Candidates that must be open, as a boolean mask (from indices or a mask)."""
    mask = np.zeros(n_cols, dtype=bool)
    if fixed is None:
        return mask
    arr = np.asarray(fixed)
    if arr.dtype == bool:
        if arr.size != n_cols:
            raise AccessibilityError(
                f"fixed mask has {arr.size} values, expected {n_cols} candidates"
            )
        return arr.copy()
    idx = arr.astype(np.int64).ravel()
    out_of_range = idx[(idx < 0) | (idx >= n_cols)]
    if out_of_range.size:
        raise AccessibilityError(
            f"fixed candidates {_describe_rows(out_of_range)} are outside 0..{n_cols - 1}"
        )
    mask[idx] = True
    return mask


def to_groups(groups: Sequence[Hashable] | None, n_cols: int) -> np.ndarray:
    """Group code per candidate (``-1`` for ungrouped: None or NaN label), codes in order of labels."""
    if groups is None:
        return np.full(n_cols, -1, dtype=np.int64)
    labels = pd.Series(list(groups), dtype=object)
    if labels.size != n_cols:
        raise AccessibilityError(f"groups has {labels.size} labels, expected {n_cols} candidates")
    codes, _ = pd.factorize(labels, sort=True, use_na_sentinel=True)
    return codes.astype(np.int64)


def group_rows(
    codes: np.ndarray,
    per_group: str,
    fixed: np.ndarray,
    p: int | None,
    *,
    labels: Sequence[Hashable] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Constraint rows on the site variables for one-per-group rules.

    Returns
    -------
    (row_index, col_index, row_lower, row_upper)
        Coordinates of the ones of the group rows (row ``g`` sums the candidates of group ``g``)
        and their bounds.

    ``labels`` (the labels ``codes`` came from) name the groups in error messages.

    Raises
    ------
    InfeasibleError
        When the rule cannot hold: two fixed sites in one group under "at most one", or more
        groups than sites under "at least one".
    """
    if per_group not in PER_GROUP:
        raise AccessibilityError(f"per_group must be one of {PER_GROUP}, got {per_group!r}")
    grouped = np.flatnonzero(codes >= 0)
    n_groups = int(codes.max()) + 1 if grouped.size else 0
    if n_groups == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0), np.zeros(0)
    if per_group in ("at_most", "exactly"):
        fixed_per_group = np.bincount(codes[fixed & (codes >= 0)], minlength=n_groups)
        crowded = np.flatnonzero(fixed_per_group > 1)
        if crowded.size:
            names = crowded
            if labels is not None:
                _, uniques = pd.factorize(pd.Series(list(labels), dtype=object), sort=True)
                names = np.asarray([str(uniques[c]) for c in crowded], dtype=object)
            raise InfeasibleError(
                f"groups {', '.join(str(n) for n in names[:10])} hold more than one fixed site, "
                f"but the rule is {per_group.replace('_', ' ')} one per group"
            )
    if p is not None:
        ungrouped = int((codes < 0).sum())
        if per_group in ("at_least", "exactly") and n_groups > p:
            raise InfeasibleError(
                f"{n_groups} groups need a site each but only p={p} sites are allowed"
            )
        if per_group in ("at_most", "exactly") and p > n_groups + ungrouped:
            raise InfeasibleError(
                f"p={p} sites cannot be placed with at most one in each of {n_groups} groups "
                f"and {ungrouped} ungrouped candidates"
            )
    lower = np.zeros(n_groups) if per_group == "at_most" else np.ones(n_groups)
    upper = np.ones(n_groups) if per_group != "at_least" else np.full(n_groups, np.inf)
    return codes[grouped], grouped, lower, upper


def nearest_open(pairs: Pairs, open_mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nearest open candidate of each demand row and its cost (``-1`` and ``inf`` when none).

    Because each row's pairs are sorted by cost, the first open one is the nearest.
    """
    assignment = np.full(pairs.n_rows, -1, dtype=np.int64)
    distance = np.full(pairs.n_rows, np.inf)
    if pairs.cols.size == 0:
        return assignment, distance
    is_open = open_mask[pairs.cols]
    position = np.where(is_open, np.arange(pairs.cols.size), np.iinfo(np.int64).max)
    nonempty = np.flatnonzero(pairs.indptr[1:] > pairs.indptr[:-1])
    first = np.minimum.reduceat(position, pairs.indptr[nonempty])
    found = first < pairs.indptr[nonempty + 1]
    rows = nonempty[found]
    assignment[rows] = pairs.cols[first[found]]
    distance[rows] = pairs.costs[first[found]]
    return assignment, distance


def check_p(p: int, n_cols: int, fixed: np.ndarray) -> int:
    """Validate the number of sites against the candidates and the fixed sites."""
    if int(p) != p or p < 1:
        raise AccessibilityError(f"p must be a positive integer, got {p!r}")
    p = int(p)
    if p > n_cols:
        raise InfeasibleError(f"p={p} sites requested but only {n_cols} candidates are given")
    n_fixed = int(fixed.sum())
    if n_fixed > p:
        raise InfeasibleError(
            f"{n_fixed} candidates are fixed open but only p={p} sites are allowed"
        )
    return p
