"""Why each centre of a plan is where it is: whom it serves, who depends on it, what closing it costs.

For every centre of a plan, measured on the population points (each person to the nearest
centre of the whole plan, across unit boundaries):

- the people for whom it is the nearest centre, and those for whom it is the *only* centre
  within each distance threshold;
- the distance to the nearest other centre;
- the next-best site of its own unit (among the unit's candidates that meet the stop rule, when
  any does) and what choosing it instead would cost the unit's people;
- what closing it would do: the people whose nearest centre moves, how much farther they go
  (mean and largest), and how many would then be beyond the largest threshold.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse

from .. import settings
from .._errors import AccessibilityError, MissingColumnError
from ..projection import to_working_crs

#: Farthest walk (metres) measured on a network; farther counts as unreachable (``inf``).
DEFAULT_CUTOFF_M: float = 30_000.0


def justify_centres(
    centres: gpd.GeoDataFrame,
    demand: gpd.GeoDataFrame,
    *,
    candidates: gpd.GeoDataFrame | None = None,
    thresholds: Sequence[float] = (700.0, 2000.0, 5000.0, 10000.0),
    network: Any = None,
    cutoff: float = DEFAULT_CUTOFF_M,
    own_unit_only: bool = False,
) -> gpd.GeoDataFrame:
    """The per-centre justification table of a plan.

    Parameters
    ----------
    centres
        The plan's sites: ``site_id``, points, and ``unit_code`` (for the next-best site).
    demand
        Population points with ``population`` (and ``unit_code`` for the next-best site).
    candidates
        The candidate pool (``site_id``, ``unit_code``, ``meets_rule``); None: no next-best site.
    thresholds
        Distances (metres) for the sole-centre counts; the largest also for closure effects.
    network
        Walking network (None: straight lines).
    cutoff
        On a network, the farthest walk measured (farther is unreachable).
    own_unit_only
        Measure the next-best site as the one-per-unit planner does: the unit's people go to
        the unit's own centres only (so the cost is never negative). Otherwise they go to the
        nearest centre of the whole plan, and a negative cost says that an alternative would
        serve the unit better given the centres around it.

    Returns
    -------
    geopandas.GeoDataFrame
        The centres' ``site_id`` (and ``name``, ``unit_code`` when given) and: ``population_assigned``,
        ``sole_within_<t>m`` per threshold, ``nearest_other_centre_m``, ``next_best_site_id``,
        ``next_best_name``, ``next_best_cost`` (extra person-metres for the unit's people),
        ``next_best_extra_mean_m`` (per person of the unit), ``closure_population_moved``,
        ``closure_extra_mean_m`` (over those who still reach a centre),
        ``closure_population_unreached`` (those who would reach none), ``closure_extra_max_m``,
        ``closure_beyond_<tmax>m`` (people
        who would then have no centre within the largest threshold, who had one), and
        ``method``. Distances to an unreachable centre are ``inf``.
    """
    centres = to_working_crs(centres, source="centres").reset_index(drop=True)
    demand = to_working_crs(demand, source="demand").reset_index(drop=True)
    if "site_id" not in centres.columns:
        raise MissingColumnError(None, "centres have no such column", field="site_id")
    if "population" not in demand.columns:
        raise MissingColumnError(None, "demand points have no such column", field="population")
    if len(centres) == 0:
        raise AccessibilityError("the plan has no centre to justify")
    thresholds = sorted(float(t) for t in thresholds)
    w = demand["population"].to_numpy(dtype=float)
    blocks = _distance_blocks(demand, centres, network, cutoff)
    first, d1, d2 = _two_nearest(blocks, len(demand))
    n = len(centres)
    out = pd.DataFrame({"site_id": centres["site_id"].astype(str).to_numpy()})
    for column in ("name", "unit_code", "kind"):
        if column in centres.columns:
            out[column] = centres[column].to_numpy()
    has = first >= 0
    out["population_assigned"] = np.bincount(first[has], weights=w[has], minlength=n)
    for t in thresholds:
        sole = has & (d1 <= t) & (d2 > t)
        out[f"sole_within_{t:g}m"] = np.bincount(first[sole], weights=w[sole], minlength=n)
    out["nearest_other_centre_m"] = _nearest_other(centres, network, cutoff)
    # Closing a centre sends its people to their second-nearest centre.
    # Rows reaching no centre at all (inf - inf) carry no extra distance: has excludes them.
    with np.errstate(invalid="ignore"):
        extra = d2 - d1
        finite = np.isfinite(extra[has])
        weighted = np.where(finite, w[has] * np.where(finite, extra[has], 0.0), 0.0)
    moved = out["population_assigned"].to_numpy()
    total_extra = np.bincount(first[has], weights=weighted, minlength=n)
    lost = has & ~np.isfinite(d2)
    lost_people = np.bincount(first[lost], weights=w[lost], minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_extra = np.where(moved - lost_people > 0, total_extra / (moved - lost_people), np.nan)
    out["closure_population_moved"] = moved
    out["closure_extra_mean_m"] = mean_extra
    out["closure_population_unreached"] = lost_people
    max_extra = np.full(n, np.nan)
    for i in np.unique(first[has & (w > 0)]):
        rows = (first == i) & (w > 0)
        max_extra[i] = float(np.max(extra[rows]))
    out["closure_extra_max_m"] = max_extra
    t_max = thresholds[-1]
    newly = has & (d1 <= t_max) & (d2 > t_max)
    out[f"closure_beyond_{t_max:g}m"] = np.bincount(first[newly], weights=w[newly], minlength=n)
    best = _next_best(centres, demand, candidates, blocks, network, cutoff, own_unit_only)
    out = pd.concat([out, best], axis=1)
    out["method"] = "network" if network is not None else "euclidean"
    return gpd.GeoDataFrame(out, geometry=centres.geometry.to_numpy(), crs=settings.CRS)


def _distances(
    a: gpd.GeoDataFrame, b: gpd.GeoDataFrame, network: Any, cutoff: float
) -> np.ndarray | sparse.csr_array:
    """Distances from ``a`` to ``b``: dense straight lines, or a sparse walked matrix."""
    if network is None:
        ax = np.column_stack([a.geometry.x.to_numpy(), a.geometry.y.to_numpy()])
        bx = np.column_stack([b.geometry.x.to_numpy(), b.geometry.y.to_numpy()])
        return np.hypot(ax[:, None, 0] - bx[None, :, 0], ax[:, None, 1] - bx[None, :, 1])
    from ..network.distance import distance_matrix

    return sparse.csr_array(distance_matrix(a, b, cutoff, network=network))


def _distance_blocks(
    a: gpd.GeoDataFrame, b: gpd.GeoDataFrame, network: Any, cutoff: float
) -> Callable[..., np.ndarray]:
    """:func:`_distances` from ``a`` to ``b`` as a function of the rows (and columns) wanted.

    ``blocks(rows, cols=None)`` is the dense block (absent walked pairs ``inf``). Straight lines
    are computed for the rows and columns asked for, never as the whole matrix (tens of
    thousands of points × hundreds of centres), with the same values as :func:`_distances`.
    """
    if network is not None:
        walked = _distances(a, b, network, cutoff)

        def walked_block(rows: Any, cols: Any = None) -> np.ndarray:
            dense = _dense(walked, rows)
            return dense if cols is None else dense[:, cols]

        return walked_block
    a_xy, b_xy = _xy(a), _xy(b)

    def straight_block(rows: Any, cols: Any = None) -> np.ndarray:
        return _straight(a_xy[rows], b_xy if cols is None else b_xy[cols])

    return straight_block


def _straight(a_xy: np.ndarray, b_xy: np.ndarray) -> np.ndarray:
    """Straight-line distances between two coordinate arrays (as :func:`_distances`)."""
    return np.hypot(a_xy[:, None, 0] - b_xy[None, :, 0], a_xy[:, None, 1] - b_xy[None, :, 1])


def _xy(frame: gpd.GeoDataFrame) -> np.ndarray:
    return np.column_stack([frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy()])


def _dense(dist: np.ndarray | sparse.csr_array, rows: Any = None) -> np.ndarray:
    """A dense block of ``dist`` (absent sparse pairs are ``inf``)."""
    if isinstance(dist, np.ndarray):
        return dist if rows is None else dist[rows]
    block = dist if rows is None else dist[rows]
    coo = sparse.coo_array(block)
    dense = np.full(coo.shape, np.inf)
    dense[coo.row, coo.col] = coo.data
    return dense


def _two_nearest(
    blocks: Callable[..., np.ndarray], n_rows: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Index of the nearest column per row (-1: none), its distance and the second-nearest's."""
    first = np.full(n_rows, -1)
    d1 = np.full(n_rows, np.inf)
    d2 = np.full(n_rows, np.inf)
    # Blocks small enough to stay in cache (each row is partitioned on its own).
    step = 2_000
    for start in range(0, n_rows, step):
        rows = np.arange(start, min(start + step, n_rows))
        block = blocks(rows)
        if block.shape[1] == 1:
            order = np.zeros((rows.size, 1), dtype=int)
        else:
            order = np.argpartition(block, 1, axis=1)[:, :2]
            swap = (
                block[np.arange(rows.size), order[:, 0]] > block[np.arange(rows.size), order[:, 1]]
            )
            order[swap] = order[swap][:, ::-1]
        near = block[np.arange(rows.size), order[:, 0]]
        ok = np.isfinite(near)
        first[rows[ok]] = order[ok, 0]
        d1[rows] = near
        if block.shape[1] > 1:
            d2[rows] = block[np.arange(rows.size), order[:, 1]]
    return first, d1, d2


def _nearest_other(centres: gpd.GeoDataFrame, network: Any, cutoff: float) -> np.ndarray:
    if len(centres) < 2:
        return np.full(len(centres), np.inf)
    block = _dense(_distances(centres, centres, network, cutoff))
    np.fill_diagonal(block, np.inf)
    return block.min(axis=1)


def _next_best(
    centres: gpd.GeoDataFrame,
    demand: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame | None,
    blocks: Callable[..., np.ndarray],
    network: Any,
    cutoff: float,
    own_unit_only: bool = False,
) -> pd.DataFrame:
    """For every centre, the best other candidate of its unit and the extra distance it costs.

    The cost is measured on the unit's own people: each goes to the nearest of the plan's other
    centres and the alternative, against the plan as it is.
    """
    n = len(centres)
    site_ids: list[Any] = [None] * n
    site_names: list[Any] = [None] * n
    costs = np.full(n, np.nan)
    means = np.full(n, np.nan)

    def table() -> pd.DataFrame:
        return pd.DataFrame(
            {
                "next_best_site_id": pd.Series(site_ids, dtype=object),
                "next_best_name": pd.Series(site_names, dtype=object),
                "next_best_cost": costs,
                "next_best_extra_mean_m": means,
            }
        )

    if candidates is None or "unit_code" not in centres.columns or "unit_code" not in demand:
        return table()
    candidates = to_working_crs(candidates, source="candidates")
    for column in ("site_id", "unit_code", "meets_rule"):
        if column not in candidates.columns:
            raise MissingColumnError(None, "candidates have no such column", field=column)
    taken = set(centres["site_id"].astype(str))
    pool = candidates[
        candidates["unit_code"].notna() & ~candidates["site_id"].astype(str).isin(taken)
    ].copy()
    pool["unit_code"] = pool["unit_code"].astype(str)
    meets = pool["meets_rule"].fillna(False).astype(bool)
    any_meets = meets.groupby(pool["unit_code"]).transform("any")
    pool = pool[meets | ~any_meets]
    w = demand["population"].to_numpy(dtype=float)
    d_unit = demand["unit_code"].astype(str).to_numpy()
    c_unit = centres["unit_code"].astype(str).to_numpy()
    # Columns as arrays and the rows of each unit found once, not once per unit.
    names = (pool["name"] if "name" in pool.columns else pool["site_id"]).astype(str).to_numpy()
    pool_ids = pool["site_id"].astype(str).to_numpy()
    d_xy, pool_xy = (_xy(demand), _xy(pool)) if network is None else (None, None)
    by_unit = pool.groupby("unit_code").indices
    rows_of = pd.DataFrame({"unit": d_unit}).groupby("unit").indices
    for unit in np.unique(c_unit):
        alts = by_unit.get(unit)
        rows = rows_of.get(unit)
        if alts is None or rows is None:
            continue
        members = np.flatnonzero(c_unit == unit)
        here = blocks(rows, members) if own_unit_only else blocks(rows)
        if d_xy is None:
            alt_dist = _dense(_distances(demand.iloc[rows], pool.iloc[alts], network, cutoff))
        else:
            alt_dist = _straight(d_xy[rows], pool_xy[alts])  # type: ignore[index]
        now = here.min(axis=1)
        people = float(w[rows].sum())
        for local, i in enumerate(members):
            others = np.delete(here, local if own_unit_only else i, axis=1)
            base = others.min(axis=1) if others.shape[1] else np.full(rows.size, np.inf)
            new = np.minimum(base[:, None], alt_dist)
            with np.errstate(invalid="ignore"):
                delta = (
                    np.where(np.isfinite(new), new, cutoff)
                    - np.where(np.isfinite(now), now, cutoff)[:, None]
                )
            cost = w[rows] @ delta
            j = int(np.argmin(cost))
            site_ids[i] = str(pool_ids[alts[j]])
            site_names[i] = names[alts[j]]
            costs[i] = float(cost[j])
            means[i] = float(cost[j] / people) if people > 0 else np.nan
    return table()


def centre_popup_lines(row: Any, thresholds: Sequence[float]) -> list[str]:
    """Plain lines of one justification row (for map popups and reports)."""
    t_max = max(thresholds)
    lines = [
        f"nearest centre of {row['population_assigned']:,.0f} people",
        "only centre within "
        + ", ".join(f"{t / 1000:g} km for {row[f'sole_within_{t:g}m']:,.0f}" for t in thresholds),
        f"nearest other centre {row['nearest_other_centre_m']:,.0f} m",
    ]
    if isinstance(row.get("next_best_site_id"), str):
        lines.append(
            f"next-best site in its unit: {row['next_best_name']} "
            f"(+{row['next_best_extra_mean_m']:,.0f} m per resident of the unit)"
        )
    lines.append(
        f"closing it: {row['closure_population_moved']:,.0f} people move to another centre, "
        f"{row['closure_extra_mean_m']:,.0f} m farther on average "
        f"(at most {row['closure_extra_max_m']:,.0f} m); "
        f"{row[f'closure_beyond_{t_max:g}m']:,.0f} newly beyond {t_max / 1000:g} km"
    )
    return lines


def sharing_alternatives(
    units: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    demand: gpd.GeoDataFrame,
    plan: Any,
    *,
    rule: str = "same_name_then_adjacent",
    network: Any = None,
    cutoff: float = DEFAULT_CUTOFF_M,
) -> pd.DataFrame:
    """Every town–parish pair that could share a centre, with what sharing would cost, ranked.

    The cost of a pair is the extra population-weighted distance of serving both units' people
    from one centre (the best candidate over both units, rule-meeting ones first) instead of
    one centre each (each unit's best for its own people, as the one-per-unit plan chooses),
    each person going to the nearer of the two; in person-metres and per resident of the pair.

    Parameters
    ----------
    units, candidates, demand
        As for :func:`~accessibility.planning.plan_one_per_unit`.
    plan
        The :class:`~accessibility.planning.one_per_unit.UnitPlan` whose ``sharing`` are marked.
    rule
        The sharing rule (see :func:`~accessibility.planning.sharing_pairs`).
    network, cutoff
        Walking network (None: straight lines) and the farthest walk measured.

    Returns
    -------
    pandas.DataFrame
        The pairs of :func:`~accessibility.planning.sharing_pairs` with ``planner_rank`` (their
        order under the plan's rule: smallest combined population first), ``cost`` (person-metres),
        ``cost_per_resident_m``, ``cost_rank`` (1 = cheapest), and ``in_plan``.
    """
    from .one_per_unit import sharing_pairs

    demand = to_working_crs(demand, source="demand")
    candidates = to_working_crs(candidates, source="candidates")
    w_all = demand["population"].to_numpy(dtype=float)
    d_unit = demand["unit_code"].astype(str).to_numpy()
    population = pd.Series(w_all).groupby(d_unit).sum()
    pairs = sharing_pairs(units, population, rule).reset_index(drop=True)
    pairs.insert(0, "planner_rank", np.arange(1, len(pairs) + 1))
    c_unit = candidates["unit_code"].astype(str).to_numpy()
    meets = candidates["meets_rule"].fillna(False).astype(bool).to_numpy()

    def best_site(codes: list[str]) -> int | None:
        """The candidate one centre for ``codes`` would use (rule-meeting ones first)."""
        rows = np.flatnonzero(np.isin(d_unit, codes))
        cols = np.flatnonzero(np.isin(c_unit, codes))
        if cols.size == 0:
            return None
        if meets[cols].any():
            cols = cols[meets[cols]]
        if rows.size == 0:
            return int(cols[0])
        block = _dense(_distances(demand.iloc[rows], candidates.iloc[cols], network, cutoff))
        block = np.where(np.isfinite(block), block, cutoff)
        return int(cols[int(np.argmin(w_all[rows] @ block))])

    def served_cost(codes: list[str], sites: list[int]) -> float:
        """Person-metres of the units' people, each to the nearest of ``sites``."""
        rows = np.flatnonzero(np.isin(d_unit, codes))
        if rows.size == 0:
            return 0.0
        block = _dense(_distances(demand.iloc[rows], candidates.iloc[sites], network, cutoff))
        block = np.where(np.isfinite(block), block, cutoff)
        return float(w_all[rows] @ block.min(axis=1))

    single: dict[str, int | None] = {}
    costs = []
    for row in pairs.itertuples():
        codes = [row.town_code, row.parish_code]
        for code in codes:
            if code not in single:
                single[code] = best_site([code])
        joint = best_site(codes)
        apart = [s for s in (single[row.town_code], single[row.parish_code]) if s is not None]
        if joint is None or not apart:
            costs.append(float("nan"))
            continue
        costs.append(served_cost(codes, [joint]) - served_cost(codes, apart))
    pairs["cost"] = costs
    people = pairs["combined_population"].to_numpy(dtype=float)
    pairs["cost_per_resident_m"] = np.where(
        people > 0, pairs["cost"] / np.maximum(people, 1), np.nan
    )
    pairs["cost_rank"] = pairs["cost"].rank(method="first").astype("Int64")
    chosen = set(zip(plan.sharing["town_code"], plan.sharing["parish_code"], strict=True))
    pairs["in_plan"] = [
        (t, q) in chosen for t, q in zip(pairs["town_code"], pairs["parish_code"], strict=True)
    ]
    return pairs.sort_values(["cost_rank"]).reset_index(drop=True)
