"""The p-median in the radius (cover) formulation: one variable per demand row and distance level.

Per demand row ``i`` let ``D_i^0 < D_i^1 < ... < D_i^{L_i-1}`` be the distinct costs of its allowed
candidates. The variable ``z_i^k`` (``k >= 1``) is 1 when no open site lies closer than ``D_i^k``,
and the row's cost is ``D_i^0 + sum_k (D_i^k - D_i^{k-1}) z_i^k``. The rows are chained::

    z_i^1 + Y_i^0             >= 1
    z_i^k - z_i^{k-1} + Y_i^{k-1} >= 0          (k = 2 .. L_i - 1)
          - z_i^{L_i-1} + Y_i^{L_i-1} >= 0      (the row must be served)

where ``Y_i^l`` is the sum of ``y_j`` over the candidates at exactly ``D_i^l``. Summed, they give
the cover rows ``z_i^k + sum_{c_ij < D_i^k} y_j >= 1`` of Elloumi (2010) and García, Labbé and
Marín (2011), with the same LP bound as the assignment model, but each pair appears once: the
model has one column per distance level (not per pair) and about as many nonzeros as pairs.
The LP rounds use the chained rows (interior point); the MIP gets the full cover rows, whose
extra nonzeros give HiGHS' presolve and cuts more to work with.

Rows keep only their first ``t_i`` levels; the last kept ``z_i^{t_i}`` then stands for "farther
than ``D_i^{t_i - 1}``" at the price of reaching ``D_i^{t_i}``, a lower bound of any farther
choice, so every truncated model is a relaxation and its bound is valid for the full problem.
Rows whose truncation column is used get more levels and the model is solved again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import sparse

from . import _highs
from ._input import Pairs, nearest_open

#: Rows whose truncation column is positive in an LP get this many times their levels (at least +2).
GROWTH = 2
#: At most this many LP rounds before the MIP (each closes more of the LP gap to the full model).
LP_ROUNDS = 12
#: HiGHS LP solver for the rounds: the chained rows are highly degenerate for simplex.
LP_SOLVER = "ipm"
#: Levels added to every row before the first MIP, so fewer MIP rounds are needed.
MIP_HEADROOM = 1


@dataclass
class Levels:
    """Distinct cost levels of each row of a :class:`Pairs`.

    Attributes
    ----------
    level_of_pair
        Level index (0-based, within its row) of every pair.
    n_levels
        Number of distinct costs per row.
    level_ptr
        CSR pointer into ``distance``: row ``i``'s levels are ``level_ptr[i]:level_ptr[i+1]``.
    distance
        The distinct costs, ascending within each row.
    """

    level_of_pair: np.ndarray
    n_levels: np.ndarray
    level_ptr: np.ndarray
    distance: np.ndarray


def levels(pairs: Pairs) -> Levels:
    """The distinct costs of every row (pairs are sorted by cost within a row)."""
    n = pairs.costs.size
    row = pairs.row_of_pair
    new = np.ones(n, dtype=bool)
    if n > 1:
        new[1:] = (pairs.costs[1:] != pairs.costs[:-1]) | (row[1:] != row[:-1])
    n_levels = np.bincount(row[new], minlength=pairs.n_rows)
    level_ptr = np.concatenate([[0], np.cumsum(n_levels)]).astype(np.int64)
    level_global = np.cumsum(new) - 1
    level_of_pair = level_global - level_ptr[row]
    return Levels(level_of_pair, n_levels, level_ptr, pairs.costs[new])


def model_counts(pairs: Pairs, active: np.ndarray, keep: np.ndarray) -> dict[str, int]:
    """Sizes of the two p-median models on the first ``keep[i]`` pairs of each active row.

    The assignment model has a column per kept pair (plus one slack per truncated row) and a
    linking row per pair; the radius model a column and a row per kept distance level. Both
    are counted on the same truncation, so the comparison is like for like.
    """
    lev = levels(pairs)
    length = np.diff(pairs.indptr)[active]
    k = np.minimum(keep[active], length)
    last_pair = pairs.indptr[active] + np.maximum(k, 1) - 1
    t = np.where(k > 0, lev.level_of_pair[np.minimum(last_pair, pairs.costs.size - 1)] + 1, 0)
    n_pairs = int(k.sum())
    truncated = int((k < length).sum())
    z = int(np.minimum(t, lev.n_levels[active] - 1).sum())
    return {
        "assignment_columns": n_pairs + truncated,
        "assignment_rows": active.size + n_pairs,
        "assignment_nonzeros": 3 * n_pairs + truncated,
        "radius_columns": z,
        "radius_rows": int(t.sum()),
        "radius_nonzeros": n_pairs + 2 * z,
    }


@dataclass
class RadiusOutcome:
    """What :func:`solve_radius` found.

    ``open_mask`` is the best plan (None when none was found), ``objective`` its value on the full
    pairs, ``bound`` the best proved lower bound, ``status`` the last HiGHS status.
    """

    open_mask: np.ndarray | None
    objective: float
    bound: float
    status: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Model:
    """One truncated radius model in HiGHS' array form, and how to read its solution."""

    cost: np.ndarray
    matrix: sparse.csr_array
    row_lower: np.ndarray
    row_upper: np.ndarray
    slack_col: np.ndarray  # column of each truncated row's last z (local row order)
    slack_row: np.ndarray  # the active row index of each of those
    z_ptr: np.ndarray  # z columns of active row a: m + z_ptr[a] .. m + z_ptr[a+1]
    constant: float


def _build(
    pairs: Pairs,
    lev: Levels,
    w: np.ndarray,
    active: np.ndarray,
    t: np.ndarray,
    p: int,
    g_rows: np.ndarray,
    g_cols: np.ndarray,
    g_lo: np.ndarray,
    g_hi: np.ndarray,
    cover: bool = False,
) -> _Model:
    """The radius model on the first ``t[a]`` levels of each active row ``active[a]``.

    ``cover`` writes each level's row in full (Elloumi's form: all pairs closer than the level)
    instead of chaining it to the previous level's. The LP is the same; the chained rows have
    fewer nonzeros and suit the interior-point LP rounds, the full rows give HiGHS' MIP presolve
    and cuts more to work with (several times faster on the OR-Library instances).
    """
    m = pairs.n_cols
    a = active.size
    L = lev.n_levels[active]
    nz = np.minimum(t, L - 1)  # z columns per row: levels 1 .. t-1, plus the truncation column
    z_ptr = np.concatenate([[0], np.cumsum(nz)]).astype(np.int64)
    c_ptr = np.concatenate([[0], np.cumsum(t)]).astype(np.int64)  # constraint rows per row
    n_z = int(z_ptr[-1])
    n_c = int(c_ptr[-1])
    # Pairs at levels < t go into constraint (level + 1), i.e. local constraint index = level.
    start = pairs.indptr[active]
    length = pairs.indptr[active + 1] - start
    row_local = np.repeat(np.arange(a), length)
    pos = np.arange(row_local.size) - np.repeat(np.cumsum(length) - length, length)
    pos = start[row_local] + pos
    lvl = lev.level_of_pair[pos]
    kept = lvl < t[row_local]
    pr, pcol, plvl = row_local[kept], pairs.cols[pos[kept]], lvl[kept]
    # z^k (k = 1..nz) of row r: column m + z_ptr[r] + k - 1; +1 in constraint k-1, -1 in constraint k.
    zr = np.repeat(np.arange(a), nz)
    zk = np.arange(n_z) - np.repeat(z_ptr[:-1], nz) + 1
    zcol = m + np.arange(n_z)
    minus = zk < t[zr]  # constraint k exists (0-based index k) when k < t
    if cover:
        # Cover rows: constraint k holds every pair at level <= k and z^{k+1}; right side 1.
        times = t[pr] - plvl
        rep = np.repeat(np.arange(pr.size), times)
        kk = plvl[rep] + np.arange(rep.size) - np.repeat(np.cumsum(times) - times, times)
        r_idx = [c_ptr[pr[rep]] + kk, c_ptr[zr] + zk - 1]
        c_idx = [pcol[rep], zcol]
        vals = [np.ones(rep.size), np.ones(n_z)]
        lo = np.ones(n_c)
    else:
        r_idx = [c_ptr[pr] + plvl, c_ptr[zr] + zk - 1, c_ptr[zr[minus]] + zk[minus]]
        c_idx = [pcol, zcol, zcol[minus]]
        vals = [np.ones(pcol.size), np.ones(n_z), -np.ones(int(minus.sum()))]
        lo = np.zeros(n_c)
        lo[c_ptr[:-1]] = 1.0
    hi = np.full(n_c, _highs.INF)
    # sum y = p, then the group rows.
    r_idx += [np.full(m, n_c), n_c + 1 + np.asarray(g_rows, dtype=np.int64)]
    c_idx += [np.arange(m), np.asarray(g_cols, dtype=np.int64)]
    vals += [np.ones(m), np.ones(len(g_cols))]
    lo = np.concatenate([lo, [p], np.asarray(g_lo, dtype=float)])
    hi = np.concatenate([hi, [p], np.asarray(g_hi, dtype=float)])
    n_rows = n_c + 1 + len(g_lo)
    matrix = sparse.csr_array(
        (np.concatenate(vals), (np.concatenate(r_idx), np.concatenate(c_idx))),
        shape=(n_rows, m + n_z),
    )
    base = lev.level_ptr[active]
    d = lev.distance
    step = d[base[zr] + zk] - d[base[zr] + zk - 1]
    cost = np.concatenate([np.zeros(m), w[active][zr] * step])
    constant = float(np.sum(w[active] * d[base]))
    truncated = np.flatnonzero(t < L)
    slack_col = m + z_ptr[truncated] + nz[truncated] - 1
    return _Model(
        cost,
        matrix,
        np.maximum(lo, -_highs.INF),
        np.minimum(hi, _highs.INF),
        slack_col,
        truncated,
        z_ptr,
        constant,
    )


def _start(
    pairs: Pairs, lev: Levels, active: np.ndarray, model: _Model, open_mask: np.ndarray
) -> np.ndarray:
    """Column values of a plan: ``z_i^k = 1`` for the levels closer than the row's nearest open site."""
    m = pairs.n_cols
    first = np.full(active.size, -1, dtype=np.int64)
    is_open = open_mask[pairs.cols]
    rows = pairs.row_of_pair
    index = np.flatnonzero(is_open)
    seen = np.full(pairs.n_rows, -1, dtype=np.int64)
    # The first open pair of each row (pairs sorted by cost within the row).
    rev = index[::-1]
    seen[rows[rev]] = rev
    hit = seen[active]
    first[hit >= 0] = lev.level_of_pair[hit[hit >= 0]]
    nz = np.diff(model.z_ptr)
    level_open = np.where(first >= 0, np.minimum(first, nz), nz)
    x = np.zeros(m + int(model.z_ptr[-1]))
    x[:m] = open_mask
    zr = np.repeat(np.arange(active.size), nz)
    zk = np.arange(zr.size) - np.repeat(model.z_ptr[:-1], nz) + 1
    x[m:] = (zk <= level_open[zr]).astype(float)
    return x


def solve_radius(
    pairs: Pairs,
    w: np.ndarray,
    active: np.ndarray,
    constant: float,
    p: int,
    open_lower: np.ndarray,
    closed: np.ndarray,
    groups: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    *,
    full_pairs: Pairs,
    start_open: np.ndarray | None,
    start_distance: np.ndarray | None,
    upper: float,
    bound: float,
    time_limit: float,
    mip_rel_gap: float,
    threads: int,
    seed: int,
    fixing: bool,
) -> RadiusOutcome:
    """Solve the p-median in the radius formulation, adding distance levels lazily.

    Parameters
    ----------
    pairs
        The pairs the model needs (after removing closed sites and pairs beyond fixed ones).
    w
        Demand weights.
    active
        Rows the model decides; the others are served at a known cost, ``constant`` in all.
    p, open_lower, closed
        Sites to open, sites known open, sites known closed.
    groups
        ``(g_rows, g_cols, g_lo, g_hi)`` rows of the group rule over the site columns.
    full_pairs
        All allowed pairs: plans are valued on them.
    start_open, start_distance
        A plan to start from and its distance per row (the heuristic's), or None.
    upper, bound
        Best known objective and lower bound so far.
    time_limit, mip_rel_gap, threads, seed
        HiGHS options.
    fixing
        Close sites whose LP reduced cost proves them closed in every better plan (the LP holds
        the group rows, so this holds under a group rule too).

    Returns
    -------
    RadiusOutcome
    """
    began = time.perf_counter()
    m = pairs.n_cols
    g_rows, g_cols, g_lo, g_hi = groups
    lev = levels(pairs)
    L = lev.n_levels[active]
    if start_distance is not None:
        # Levels up to the start plan's distance, and one beyond so its slack is rarely binding.
        lvl_ok = pairs.costs <= start_distance[pairs.row_of_pair] * (1 + 1e-12)
        within = np.zeros(pairs.n_rows, dtype=np.int64)
        np.maximum.at(within, pairs.row_of_pair[lvl_ok], lev.level_of_pair[lvl_ok] + 1)
        t = np.minimum(L, within[active] + 1)
    else:
        t = np.minimum(L, 8)
    t = np.maximum(t, 1)
    best_open = None if start_open is None else start_open.copy()
    best = upper
    details: dict[str, Any] = {"lp_rounds": 0, "mip_rounds": 0, "closed_by_lp": 0}

    def remaining() -> float:
        return time_limit - (time.perf_counter() - began)

    def gap() -> float:
        if not np.isfinite(best) or not np.isfinite(bound):
            return np.inf
        return abs(best - bound) / max(abs(best), 1e-12)

    def value_of(mask: np.ndarray) -> float:
        _, dist = nearest_open(full_pairs, mask)
        served = np.isfinite(dist)
        if not served[full_pairs.row_length > 0].all():
            return np.inf
        return float(np.sum(w[served] * dist[served]))

    upper_col = np.ones(m)
    upper_col[closed] = 0.0
    lower_col = open_lower.astype(float)
    # LP rounds: grow the rows whose truncation column the LP uses, until none does (the LP bound
    # of the full model) or the rounds run out; close sites by reduced cost on the way.
    for _ in range(LP_ROUNDS):
        if remaining() <= 1.0 or gap() <= mip_rel_gap:
            break
        model = _build(pairs, lev, w, active, t, p, g_rows, g_cols, g_lo, g_hi)
        n = model.cost.size
        lower = np.concatenate([lower_col, np.zeros(n - m)])
        upper_b = np.concatenate([upper_col, np.ones(n - m)])
        sol = _highs.solve(
            model.cost, lower, upper_b, np.zeros(n, dtype=bool), model.matrix,
            model.row_lower, model.row_upper, time_limit=max(1.0, remaining()),
            threads=threads, seed=seed, relax=True, lp_solver=LP_SOLVER,
        )  # fmt: skip
        details["lp_rounds"] += 1
        if sol.status != "optimal" or sol.x is None:
            break
        lp_value = sol.objective + model.constant + constant
        bound = min(max(bound, lp_value), best)
        y = sol.x[:m]
        if np.all(np.abs(y - np.round(y)) <= 1e-7):
            candidate = y > 0.5
            value = value_of(candidate)
            if value < best:
                best, best_open = value, candidate
        used = model.slack_row[sol.x[model.slack_col] > 1e-9]
        if fixing and sol.col_dual is not None and np.isfinite(best):
            # An LP reduced cost d_j > 0 of a site at 0 adds at least d_j to every plan opening it.
            d = sol.col_dual[:m]
            margin = 1e-9 * max(abs(best), 1.0)
            shut = (y <= 1e-9) & (lp_value + d > best + margin) & ~open_lower & ~closed
            if shut.any():
                closed = closed | shut
                upper_col[shut] = 0.0
                details["closed_by_lp"] += int(shut.sum())
        if used.size == 0:
            break
        t[used] = np.minimum(L[used], np.maximum(GROWTH * t[used], t[used] + 2))
    status = "optimal" if gap() <= mip_rel_gap else "time_limit"
    t = np.minimum(L, t + MIP_HEADROOM)
    while gap() > mip_rel_gap:
        if remaining() <= 1.0:
            status = "time_limit"
            break
        model = _build(pairs, lev, w, active, t, p, g_rows, g_cols, g_lo, g_hi, cover=True)
        n = model.cost.size
        lower = np.concatenate([lower_col, np.zeros(n - m)])
        upper_b = np.concatenate([upper_col, np.ones(n - m)])
        integer = np.zeros(n, dtype=bool)
        integer[:m] = True
        x0 = None
        if best_open is not None and not (best_open & closed).any():
            x0 = _start(pairs, lev, active, model, best_open)
        # HiGHS' own gap, measured against its bound plus the constant rows, must reach ours.
        rel = mip_rel_gap
        if np.isfinite(best):
            inner = best - constant - model.constant
            rel = mip_rel_gap * max(abs(best), 1e-12) / max(abs(inner), 1e-12)
        sol = _highs.solve(
            model.cost, lower, upper_b, integer, model.matrix, model.row_lower, model.row_upper,
            time_limit=max(1.0, remaining()), mip_rel_gap=min(rel, 1e-4), threads=threads,
            seed=seed, start=x0,
        )  # fmt: skip
        details["mip_rounds"] += 1
        details["model_columns"] = int(n)
        details["model_constraints"] = int(model.matrix.shape[0])
        details["model_nonzeros"] = int(model.matrix.nnz)
        if sol.status == "infeasible":
            status = "infeasible"
            break
        if np.isfinite(sol.bound):
            bound = min(max(bound, sol.bound + model.constant + constant), best)
        if sol.x is None:
            status = sol.status
            break
        candidate = sol.x[:m] > 0.5
        value = value_of(candidate)
        if value < best:
            best, best_open = value, candidate
            bound = min(bound, best)
        used = model.slack_row[sol.x[model.slack_col] > 1e-9]
        if sol.status != "optimal":
            status = sol.status
            break
        if used.size == 0:
            # Served within its kept levels: HiGHS' bound holds and no level is missing.
            status = "optimal" if gap() <= mip_rel_gap else sol.status
            break
        t[used] = np.minimum(L[used], np.maximum(GROWTH * t[used], t[used] + 2))
    details["levels_kept"] = int(t.sum())
    details["levels_total"] = int(L.sum())
    details["pairs_total"] = int(pairs.costs.size)
    if gap() <= mip_rel_gap:
        status = "optimal"
    return RadiusOutcome(best_open, best, bound, status, details)
