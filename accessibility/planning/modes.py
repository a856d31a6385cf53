"""Plans beyond one centre per unit: at least one per unit and N more, and a population cap per centre.

Both modes rest on :func:`~accessibility.planning.p_median` with one group per unit and
``per_group="at_least"``: every unit keeps a centre of its own, and the centres beyond one per
unit go where they cut the population-weighted distance to the nearest centre most (people
may use a centre across a unit boundary). The cap mode first gives every unit as many centres as
its population needs (``ceil(population / max_population)``), placed by an exact k-median over
the unit's own people and candidates, and holds them open in the national model.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse

from .. import settings
from .._errors import AccessibilityError, MissingColumnError
from ..projection import to_working_crs
from .models import p_median
from .result import LocationResult

#: Candidate × demand pairs above which the national model is solved by the heuristic
#: (greedy + interchange with a Lagrangian bound; its gap is reported). With one group per unit
#: (592 in Latvia) HiGHS had not finished after five minutes on the 2024 instance in 2 km
#: blocks; the heuristic solves it in 3 km blocks (~287,000 pairs) in about a minute on a shared
#: machine, within 1-4 % of its Lagrangian bound.
EXACT_MAX_PAIRS: int = 100_000

#: Block size (metres) of the national instance: candidates thinned to the best one per unit
#: and block, demand summed per unit and block at its population-weighted centre.
DEFAULT_BLOCK_M: float = 3_000.0

#: Farthest distance (metres) of a demand-candidate pair of the national instance; pairs within
#: the demand's own unit are always kept, so that its unit's centre is in reach.
DEFAULT_CUTOFF_M: float = 10_000.0


def at_least_one_per_unit(
    cost: Any,
    weights: Any,
    unit_of: Sequence[Hashable | None],
    extra: int,
    *,
    fixed: Any = None,
    heuristic: bool = False,
    **options: Any,
) -> LocationResult:
    """At least one centre in every unit and ``extra`` more, minimising the weighted distance.

    Parameters
    ----------
    cost
        Demand × candidate costs (metres), dense (``inf`` = not allowed) or sparse (stored
        entries are the allowed pairs), as for :func:`~accessibility.planning.p_median`.
    weights
        People per demand row.
    unit_of
        The unit of every candidate (None: a candidate of no unit, usable only as an extra).
    extra
        Centres beyond one per unit (0 or more). Fixed sites count towards the total: the model
        opens ``units not holding a fixed site + fixed sites + extra`` centres.
    fixed
        Candidates held open (indices or a boolean mask).
    heuristic
        Solve with :func:`~accessibility.planning.p_median_heuristic` (for instances too large
        for the exact model; the result's ``gap`` says how far from optimal it may be).
    options
        Passed to the solver (``allow_unassigned``, ``time_limit`` ...).

    Returns
    -------
    LocationResult
        ``details["units"]`` and ``details["extra"]`` record the rule.
    """
    if extra < 0:
        raise AccessibilityError(f"extra centres must be 0 or more, got {extra}")
    labels = pd.Series(list(unit_of), dtype=object)
    n_cols = cost.shape[1]
    if labels.size != n_cols:
        raise AccessibilityError(f"unit_of has {labels.size} labels, expected {n_cols} candidates")
    fixed_idx = _as_indices(fixed, n_cols)
    units = set(labels.dropna())
    held = set(labels.iloc[fixed_idx].dropna()) if fixed_idx.size else set()
    p = len(units - held) + fixed_idx.size + int(extra)
    if p > n_cols:
        raise AccessibilityError(f"{p} centres asked for but only {n_cols} candidates")
    groups = [None if pd.isna(v) else v for v in labels]
    if heuristic:
        from .heuristics import p_median_heuristic

        found = p_median_heuristic(
            cost, p, weights, fixed=fixed_idx, groups=groups, per_group="at_least", **options
        )
    else:
        found = p_median(
            cost, p, weights, fixed=fixed_idx, groups=groups, per_group="at_least", **options
        )
    found.details.update(units=len(units), extra=int(extra), fixed=int(fixed_idx.size))
    return found


def centres_needed(population: pd.Series, max_population: float) -> pd.Series:
    """Centres each unit needs so that none serves more than ``max_population`` on average.

    ``max(1, ceil(population / max_population))`` per unit.
    """
    if not max_population > 0:
        raise AccessibilityError(f"max_population must be positive, got {max_population!r}")
    values = pd.to_numeric(population, errors="raise").fillna(0).to_numpy(dtype=float)
    need = np.maximum(1, np.ceil(values / float(max_population))).astype(int)
    return pd.Series(need, index=population.index, name="centres_needed")


def capacity_plan(
    cost: Any,
    weights: Any,
    demand_unit: Sequence[Hashable | None],
    unit_of: Sequence[Hashable | None],
    max_population: float,
    *,
    extra: int = 0,
    heuristic: bool = False,
    **options: Any,
) -> LocationResult:
    """As many centres per unit as its population needs under a cap, plus ``extra`` more.

    A unit of population ``P`` needs ``k = max(1, ceil(P / max_population))`` centres. Units
    needing two or more get their ``k`` centres by an exact k-median over the unit's own demand
    rows and candidates (the people of the unit, each to the nearest of them); these are held
    open, and :func:`at_least_one_per_unit` places one centre in every other unit and the
    ``extra`` ones. ``details["needed"]`` maps each such unit to its ``k``.

    Parameters
    ----------
    cost, weights, unit_of, extra, heuristic, options
        As for :func:`at_least_one_per_unit`.
    demand_unit
        The unit of every demand row (its population counts towards that unit).
    max_population
        Most people per centre, on average within a unit.
    """
    w = np.asarray(weights, dtype=float).ravel()
    rows_unit = pd.Series(list(demand_unit), dtype=object)
    cols_unit = pd.Series(list(unit_of), dtype=object)
    if rows_unit.size != w.size:
        raise AccessibilityError(f"demand_unit has {rows_unit.size} labels, expected {w.size} rows")
    population = pd.Series(w).groupby(rows_unit.to_numpy()).sum()
    need = centres_needed(population, max_population)
    matrix = sparse.csr_array(cost) if sparse.issparse(cost) else np.asarray(cost, dtype=float)
    fixed: list[int] = []
    needed: dict[Hashable, int] = {}
    for unit, k in need[need > 1].items():
        rows = np.flatnonzero((rows_unit == unit).to_numpy())
        cols = np.flatnonzero((cols_unit == unit).to_numpy())
        k = min(int(k), cols.size)
        if k < 2 or rows.size == 0:
            continue
        sub = matrix[rows][:, cols]
        inside = p_median(sub, k, w[rows], allow_unassigned=True)
        fixed.extend(int(c) for c in cols[inside.selected])
        needed[unit] = k
    found = at_least_one_per_unit(
        cost,
        weights,
        unit_of,
        extra,
        fixed=np.array(sorted(fixed), dtype=int),
        heuristic=heuristic,
        **options,
    )
    found.details.update(needed=needed, max_population=float(max_population))
    return found


@dataclass
class ModePlan:
    """One scenario of :func:`plan_modes`: its centres with reasons, and how it was solved.

    Attributes
    ----------
    name
        Scenario label (for the comparison table).
    centres
        Chosen sites: ``site_id``, ``name``, ``kind``, ``unit_code``, ``meets_rule``,
        ``stop_distance``, ``centre_role`` (``"unit centre"``, ``"capacity"`` or ``"one of several"``),
        ``reason``, ``geometry``.
    result
        The solver's answer on the national instance.
    notes
        Size of the instance, block, cutoff, solver, status and gap, and the rule in words.
    """

    name: str
    centres: gpd.GeoDataFrame
    result: LocationResult
    notes: dict[str, Any] = field(default_factory=dict)


def plan_modes(
    units: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    demand: gpd.GeoDataFrame,
    *,
    extra: int = 0,
    max_population: float | None = None,
    network: Any = None,
    block: float = DEFAULT_BLOCK_M,
    cutoff: float = DEFAULT_CUTOFF_M,
    exact_max_pairs: int = EXACT_MAX_PAIRS,
    solver_options: dict[str, Any] | None = None,
) -> ModePlan:
    """A national plan with at least one centre per unit, ``extra`` more and an optional cap.

    The national instance is reduced before solving, and the reduction is reported in
    ``notes``: in each unit only candidates meeting the stop rule are used when any does (as in
    the one-per-unit plan); candidates are thinned to the best one (least weighted distance from
    the unit's own people) per unit and ``block`` × ``block`` square; demand points are summed
    per unit and block at their population-weighted centre. The chosen sites are real
    candidates, so the figures measured afterwards on the full demand are exact for them.

    Parameters
    ----------
    units
        Territorial units (``unit_code``).
    candidates
        Candidate sites (``site_id``, ``kind``, ``unit_code``, ``meets_rule``).
    demand
        Population points (``unit_code``, ``population``).
    extra
        Centres beyond one per unit (or beyond those the cap needs).
    max_population
        Most people per centre on average within a unit (None: no cap).
    network
        Walking network (None: straight lines).
    block, cutoff
        See :data:`DEFAULT_BLOCK_M` and :data:`DEFAULT_CUTOFF_M`.
    exact_max_pairs
        Largest instance (pairs) solved exactly; larger ones go to the heuristic.
    solver_options
        Passed to the solver (e.g. ``{"bound_iterations": 100}`` for the heuristic).

    Returns
    -------
    ModePlan
    """
    units = to_working_crs(units, source="units")
    candidates = to_working_crs(candidates, source="candidates")
    demand = to_working_crs(demand, source="demand")
    for frame, label, columns in (
        (candidates, "candidates", ("site_id", "kind", "unit_code", "meets_rule")),
        (demand, "demand points", ("unit_code", "population")),
    ):
        for column in columns:
            if column not in frame.columns:
                raise MissingColumnError(None, f"{label} have no such column", field=column)
    codes = set(units["unit_code"].astype(str))
    cand = candidates[candidates["unit_code"].astype(str).isin(codes)].copy()
    cand["unit_code"] = cand["unit_code"].astype(str)
    meets = cand["meets_rule"].fillna(False).astype(bool)
    any_meets = meets.groupby(cand["unit_code"]).transform("any")
    cand = cand[meets | ~any_meets].reset_index(drop=True)
    dem = demand[demand["unit_code"].astype(str).isin(codes)].copy()
    dem["unit_code"] = dem["unit_code"].astype(str)
    agg = _aggregate_demand(dem, block)
    thinned = _thin_candidates(cand, agg, block)
    cost = _instance_costs(agg, thinned, cutoff, network)
    weights = agg["population"].to_numpy(dtype=float)
    heuristic = cost.nnz > exact_max_pairs
    common = {"allow_unassigned": True, **(solver_options or {})}
    if max_population is None:
        found = at_least_one_per_unit(
            cost, weights, thinned["unit_code"].tolist(), extra, heuristic=heuristic, **common
        )
        name = f"at least one per unit + {extra} more"
    else:
        found = capacity_plan(
            cost,
            weights,
            agg["unit_code"].tolist(),
            thinned["unit_code"].tolist(),
            max_population,
            extra=extra,
            heuristic=heuristic,
            **common,
        )
        name = f"at most {max_population:,.0f} people per centre" + (
            f" + {extra} more" if extra else ""
        )
    centres = _describe(thinned, found, agg, weights, max_population)
    notes = {
        "scenario": name,
        "candidates_in_pool": len(cand),
        "candidates_used": len(thinned),
        "demand_points": len(dem),
        "demand_blocks": len(agg),
        "pairs": int(cost.nnz),
        "block_m": float(block),
        "cutoff_m": float(cutoff),
        "solver": "greedy + interchange heuristic" if heuristic else "exact (HiGHS)",
        "status": found.status,
        "gap": float(found.gap),
        "runtime_s": float(found.runtime),
        "centres": int(found.selected.size),
        "extra": int(extra),
        "max_population": max_population,
        "units_needing_more": found.details.get("needed", {}),
        "method": "network" if network is not None else "euclidean",
    }
    return ModePlan(name, centres, found, notes)


def _as_indices(fixed: Any, n_cols: int) -> np.ndarray:
    if fixed is None:
        return np.zeros(0, dtype=int)
    arr = np.asarray(fixed)
    if arr.dtype == bool:
        if arr.size != n_cols:
            raise AccessibilityError(f"fixed mask has {arr.size} entries, expected {n_cols}")
        return np.flatnonzero(arr)
    return np.unique(arr.astype(int))


def _block_key(frame: gpd.GeoDataFrame, block: float) -> pd.Series:
    bx = np.floor(frame.geometry.x.to_numpy() / block).astype(np.int64)
    by = np.floor(frame.geometry.y.to_numpy() / block).astype(np.int64)
    return (
        frame["unit_code"].astype(str)
        + ":"
        + pd.Series(bx, index=frame.index).astype(str)
        + (":" + pd.Series(by, index=frame.index).astype(str))
    )


def _aggregate_demand(demand: gpd.GeoDataFrame, block: float) -> gpd.GeoDataFrame:
    """Demand summed per unit and block, at the population-weighted centre of its points."""
    key = _block_key(demand, block)
    w = demand["population"].to_numpy(dtype=float)
    frame = pd.DataFrame(
        {
            "key": key.to_numpy(),
            "unit_code": demand["unit_code"].to_numpy(),
            "w": w,
            "wx": w * demand.geometry.x.to_numpy(),
            "wy": w * demand.geometry.y.to_numpy(),
            "x": demand.geometry.x.to_numpy(),
            "y": demand.geometry.y.to_numpy(),
        }
    )
    grouped = frame.groupby("key", sort=True).agg(
        unit_code=("unit_code", "first"),
        population=("w", "sum"),
        wx=("wx", "sum"),
        wy=("wy", "sum"),
        x=("x", "mean"),
        y=("y", "mean"),
    )
    people = grouped["population"].to_numpy()
    safe = np.where(people > 0, people, 1.0)
    x = np.where(people > 0, grouped["wx"].to_numpy() / safe, grouped["x"].to_numpy())
    y = np.where(people > 0, grouped["wy"].to_numpy() / safe, grouped["y"].to_numpy())
    return gpd.GeoDataFrame(
        {"unit_code": grouped["unit_code"].to_numpy(), "population": people},
        geometry=gpd.points_from_xy(x, y),
        crs=settings.CRS,
    )


def _thin_candidates(
    cand: gpd.GeoDataFrame, demand: gpd.GeoDataFrame, block: float
) -> gpd.GeoDataFrame:
    """The candidate with the least weighted distance from its unit's people, per unit and block."""
    cx, cy = cand.geometry.x.to_numpy(), cand.geometry.y.to_numpy()
    dx, dy = demand.geometry.x.to_numpy(), demand.geometry.y.to_numpy()
    w = demand["population"].to_numpy(dtype=float)
    own = np.zeros(len(cand))
    d_unit = demand["unit_code"].to_numpy()
    for unit, idx in cand.groupby("unit_code").indices.items():
        rows = np.flatnonzero(d_unit == unit)
        if rows.size:
            dist = np.hypot(
                dx[rows][:, None] - cx[idx][None, :], dy[rows][:, None] - cy[idx][None, :]
            )
            own[idx] = w[rows] @ dist
    frame = cand.assign(_key=_block_key(cand, block).to_numpy(), _own=own)
    frame = frame.sort_values(["_key", "_own", "site_id"], kind="stable")
    frame = frame.drop_duplicates("_key", keep="first").sort_values("site_id", kind="stable")
    return frame.drop(columns=["_key"]).rename(columns={"_own": "own_cost"}).reset_index(drop=True)


def _instance_costs(
    demand: gpd.GeoDataFrame, cand: gpd.GeoDataFrame, cutoff: float, network: Any
) -> sparse.csr_array:
    """Sparse demand × candidate distances: pairs within ``cutoff`` and every own-unit pair."""
    from scipy.spatial import cKDTree

    d_xy = np.column_stack([demand.geometry.x.to_numpy(), demand.geometry.y.to_numpy()])
    c_xy = np.column_stack([cand.geometry.x.to_numpy(), cand.geometry.y.to_numpy()])
    near = cKDTree(d_xy).sparse_distance_matrix(cKDTree(c_xy), cutoff, output_type="coo_matrix")
    rows, cols = [near.row], [near.col]
    d_unit = demand["unit_code"].to_numpy()
    for unit, idx in cand.groupby("unit_code").indices.items():
        r = np.flatnonzero(d_unit == unit)
        rr, cc = np.meshgrid(r, idx, indexing="ij")
        rows.append(rr.ravel())
        cols.append(cc.ravel())
    # Each pair once, in (row, column) order: one key per pair sorts faster than rows of two.
    width = max(len(cand), 1)
    r, c = np.divmod(
        np.unique(np.concatenate(rows) * np.int64(width) + np.concatenate(cols)), width
    )
    if network is None:
        values = np.hypot(d_xy[r, 0] - c_xy[c, 0], d_xy[r, 1] - c_xy[c, 1])
    else:
        from ..network.distance import distance_matrix

        walked = sparse.csr_array(distance_matrix(demand, cand, cutoff, network=network))
        stored = sparse.csr_array(
            (np.ones(walked.nnz), walked.indices, walked.indptr), shape=walked.shape
        )
        found = np.asarray(stored[r, c]).ravel() > 0
        # An own-unit pair the walk does not reach within the cutoff counts at the cutoff (as
        # in the one-per-unit plan); other unreached pairs are not allowed.
        values = np.where(found, np.asarray(walked[r, c]).ravel(), float(cutoff))
        keep = found | (d_unit[r] == cand["unit_code"].to_numpy()[c])
        r, c, values = r[keep], c[keep], values[keep]
    # Explicit zeros are allowed pairs (a candidate at the demand point).
    return sparse.csr_array((values, (r, c)), shape=(len(demand), len(cand)))


def _describe(
    cand: gpd.GeoDataFrame,
    found: LocationResult,
    demand: gpd.GeoDataFrame,
    weights: np.ndarray,
    max_population: float | None,
) -> gpd.GeoDataFrame:
    """The chosen sites with their role and a plain reason."""
    chosen = cand.iloc[found.selected].copy().reset_index(drop=True)
    assigned = np.bincount(
        found.assignment[found.assignment >= 0],
        weights=weights[found.assignment >= 0],
        minlength=len(cand),
    )[found.selected]
    needed = found.details.get("needed", {})
    per_unit = chosen.groupby("unit_code").cumcount().to_numpy() + 1
    in_unit = chosen.groupby("unit_code")["site_id"].transform("size").to_numpy()
    roles, reasons = [], []
    for i, row in enumerate(chosen.itertuples()):
        unit = row.unit_code
        k = needed.get(unit, 1)
        if unit in needed:
            role = "capacity"
            why = (
                f"{per_unit[i]} of {in_unit[i]} centres of its unit: its population needs "
                f"{k} at most {max_population:,.0f} people each (exact {k}-median over the unit's own "
                "people)"
            )
        elif in_unit[i] > 1:
            role = "one of several"
            why = (
                f"{per_unit[i]} of {in_unit[i]} centres of its unit: the national model places a "
                "centre beyond one per unit here, where it cuts the population-weighted distance "
                "most"
            )
        else:
            role = "unit centre"
            why = "the unit's one centre in the national model (at least one per unit)"
        rule = (
            "meets the stop rule"
            if bool(row.meets_rule)
            else "no candidate of its unit meets the stop rule"
        )
        roles.append(role)
        reasons.append(
            f"{why}; {rule}; nearest for {assigned[i]:,.0f} people of the reduced instance"
        )
    chosen["centre_role"] = roles
    chosen["reason"] = reasons
    columns = [
        "site_id",
        "name",
        "kind",
        "unit_code",
        "meets_rule",
        "stop_distance",
        "centre_role",
        "reason",
        "geometry",
    ]
    for column in columns:
        if column not in chosen.columns:
            chosen[column] = np.nan
    return gpd.GeoDataFrame(chosen[columns], geometry="geometry", crs=settings.CRS)


__all__ = [
    "ModePlan",
    "at_least_one_per_unit",
    "capacity_plan",
    "centres_needed",
    "plan_modes",
]
