"""One centre per territorial unit: the best candidate in each unit, shared or doubled to meet a target."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse

from .. import settings
from .._errors import AccessibilityError, MissingColumnError
from ..projection import to_working_crs
from .candidates import CANDIDATE_KINDS

#: Rules pairing units that share one centre when the target is below the number of units.
SHARE_RULES: tuple[str, ...] = ("same_name", "adjacent", "same_name_then_adjacent")

#: Default largest walk (metres) measured on a network; farther or unreachable counts as this.
DEFAULT_CUTOFF_M: float = 30_000.0

# Latvian case endings stripped to compare a town's name with its parish's ("Aizpute" and
# "Aizputes pagasts", "Saldus" and "Saldus pagasts"); longest first.
_ENDINGS: tuple[str, ...] = ("ās", "es", "as", "us", "is", "a", "e", "s", "i", "u")


def name_stem(name: str) -> str:
    """A town or parish name reduced for comparison: lower case, no ``pagasts``, no case ending.

    >>> name_stem("Aizputes pagasts") == name_stem("Aizpute")
    True
    """
    text = re.sub(r"\s+pagasts$", "", str(name).strip().lower())
    for ending in _ENDINGS:
        if text.endswith(ending) and len(text) > len(ending) + 2:
            return text[: -len(ending)]
    return text


def sharing_pairs(
    units: gpd.GeoDataFrame, population: pd.Series, rule: str = "same_name"
) -> pd.DataFrame:
    """Town–parish pairs that may share one centre under ``rule``, smallest combined population first.

    Parameters
    ----------
    units
        Territorial units (``unit_code``, ``unit_name``, ``unit_kind``, ``municipality_code``).
    population
        Population per ``unit_code``.
    rule
        ``"same_name"``: a town and the parish of the same name stem in the same municipality (a
        town and the parish around it, e.g. Aizpute and Aizputes pagasts). ``"adjacent"``: a town
        and a parish of the same municipality whose boundaries touch. ``"same_name_then_adjacent"``:
        all same-name pairs first, then adjacent ones.

    Returns
    -------
    pandas.DataFrame
        ``town_code``, ``town_name``, ``parish_code``, ``parish_name``, ``municipality_code``,
        ``combined_population``, ``rule`` (which rule paired them), in the order they are used.
    """
    if rule not in SHARE_RULES:
        raise AccessibilityError(f"share rule must be one of {SHARE_RULES}, got {rule!r}")
    towns = units[units["unit_kind"] == "town"]
    parishes = units[units["unit_kind"] == "parish"]
    frames = []
    if rule in ("same_name", "same_name_then_adjacent"):
        t = towns.assign(_stem=towns["unit_name"].map(name_stem))
        q = parishes.assign(_stem=parishes["unit_name"].map(name_stem))
        same = t.merge(q, on=["municipality_code", "_stem"], suffixes=("_t", "_p"))
        frames.append(_pair_frame(same, population, "same_name", order=0))
    if rule in ("adjacent", "same_name_then_adjacent"):
        joined = gpd.sjoin(
            towns[["unit_code", "unit_name", "municipality_code", "geometry"]],
            parishes[["unit_code", "unit_name", "municipality_code", "geometry"]],
            how="inner",
            predicate="intersects",
            lsuffix="t",
            rsuffix="p",
        )
        joined = joined[joined["municipality_code_t"] == joined["municipality_code_p"]]
        joined = joined.rename(columns={"municipality_code_t": "municipality_code"})
        frames.append(
            _pair_frame(joined, population, "adjacent", order=1 if rule != "adjacent" else 0)
        )
    pairs = pd.concat(frames, ignore_index=True)
    pairs = pairs.drop_duplicates(["town_code", "parish_code"], keep="first")
    pairs = pairs.sort_values(
        ["_order", "combined_population", "town_code", "parish_code"], kind="stable"
    )
    return pairs.drop(columns="_order").reset_index(drop=True)


def plan_one_per_unit(
    units: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    demand: gpd.GeoDataFrame,
    *,
    target: int | None = None,
    share_rule: str = "same_name",
    prefer_kinds: Sequence[str] = (),
    network: Any = None,
    cutoff: float = DEFAULT_CUTOFF_M,
) -> UnitPlan:
    """Choose one centre per unit (or per shared pair), with the reason for every choice.

    In each unit the candidates that meet the stop rule (``meets_rule``) are preferred; among
    them (or among all when none does) the one with the least population-weighted distance from
    the unit's demand points wins. Ties go to the kind order of
    :data:`~accessibility.planning.candidates.CANDIDATE_KINDS`, then ``site_id``.

    When ``target`` is below the number of units, ``n - target`` town–parish pairs share a
    centre: pairs come from :func:`sharing_pairs` (``share_rule``), smallest combined population
    first, each unit in at most one pair; the pair's centre is chosen over both units' candidates
    and demand. When ``target`` is above, the ``target - n`` units (or pairs) where a second centre
    lowers the weighted distance most get a second one (an exact 2-median inside the unit).
    Every sharing and doubling is listed with its reason; a target that cannot be met says so in
    ``notes``.

    Parameters
    ----------
    units
        Territorial units (``unit_code``, ``unit_name``, ``unit_kind``, ``municipality_code``).
    candidates
        Candidate sites with ``site_id``, ``kind``, ``unit_code``, ``meets_rule`` (as
        :func:`~accessibility.planning.build_candidates` returns); candidates outside every unit
        are left out and counted.
    demand
        Population points with ``population`` (and ``unit_code``; added when missing), e.g. from
        :func:`accessibility.population_points`.
    target
        Number of centres wanted (None: one per unit).
    share_rule
        See :func:`sharing_pairs`.
    prefer_kinds
        Kinds chosen first when present among the preferred candidates of a unit, in order (for
        example ``("centre",)`` keeps an existing centre that meets the rule).
    network
        Walking network for the distances (None: straight lines).
    cutoff
        On a network, the farthest walk measured; a demand point with no walk to a candidate
        within it counts at ``cutoff`` and is reported in ``unreached``.

    Returns
    -------
    UnitPlan
    """
    units = to_working_crs(units, source="units")
    for column in ("unit_code", "unit_name", "unit_kind", "municipality_code"):
        if column not in units.columns:
            raise MissingColumnError(None, "units layer has no such column", field=column)
    units = units.assign(unit_code=units["unit_code"].astype(str)).sort_values("unit_code")
    units = units.reset_index(drop=True)
    candidates = to_working_crs(candidates, source="candidates")
    for column in ("site_id", "kind", "unit_code", "meets_rule"):
        if column not in candidates.columns:
            raise MissingColumnError(
                None,
                "candidates have no such column (build them with build_candidates)",
                field=column,
            )
    demand = to_working_crs(demand, source="demand")
    if "population" not in demand.columns:
        raise MissingColumnError(None, "demand points have no such column", field="population")
    if "unit_code" not in demand.columns:
        from ..io.units import assign_units

        demand = assign_units(demand, units)
    notes: dict[str, Any] = {}
    outside = candidates["unit_code"].isna()
    notes["candidates_outside_units"] = candidates.loc[outside, "site_id"].astype(str).tolist()
    candidates = candidates[~outside].reset_index(drop=True)
    candidates = candidates.assign(unit_code=candidates["unit_code"].astype(str))
    demand_outside = demand["unit_code"].isna()
    notes["demand_outside_units"] = int(demand.loc[demand_outside, "population"].sum())
    demand = demand[~demand_outside].reset_index(drop=True)
    demand = demand.assign(unit_code=demand["unit_code"].astype(str))
    weights = demand["population"].to_numpy(dtype=float)
    population = (
        demand.groupby("unit_code")["population"].sum().reindex(units["unit_code"]).fillna(0)
    )

    n_units = len(units)
    target = n_units if target is None else int(target)
    if target < 1:
        raise AccessibilityError(f"target must be a positive number of centres, got {target}")

    # Groups of units served by one centre: each unit alone, then the sharing pairs merged.
    group_of = {code: code for code in units["unit_code"]}
    sharing = pd.DataFrame(
        columns=[
            "town_code",
            "town_name",
            "parish_code",
            "parish_name",
            "municipality_code",
            "combined_population",
            "rule",
            "reason",
        ]
    )
    if target < n_units:
        needed = n_units - target
        pairs = sharing_pairs(units, population, share_rule)
        used: set[str] = set()
        chosen_rows = []
        for row in pairs.itertuples(index=False):
            if len(chosen_rows) == needed:
                break
            if row.town_code in used or row.parish_code in used:
                continue
            used.update((row.town_code, row.parish_code))
            chosen_rows.append(row._asdict())
        sharing = pd.DataFrame(chosen_rows, columns=list(pairs.columns))
        sharing["reason"] = [
            _share_reason(r, i + 1, needed, share_rule) for i, r in enumerate(sharing.itertuples())
        ]
        for row in sharing.itertuples():
            group_of[row.parish_code] = row.town_code
        if len(sharing) < needed:
            notes["target_not_met"] = (
                f"target {target} needs {needed} shared pairs, but the {share_rule!r} rule finds "
                f"only {len(sharing)} disjoint town-parish pairs; the plan has "
                f"{n_units - len(sharing)} centres"
            )

    groups = pd.Series(group_of).sort_index()
    d_xy = np.column_stack([demand.geometry.x.to_numpy(), demand.geometry.y.to_numpy()])
    c_xy = np.column_stack([candidates.geometry.x.to_numpy(), candidates.geometry.y.to_numpy()])
    matrix = None
    if network is not None:
        from ..network.distance import distance_matrix

        matrix = distance_matrix(demand, candidates, cutoff, network=network).tocsr()
    demand_group = demand["unit_code"].map(group_of).to_numpy()
    cand_group = candidates["unit_code"].map(group_of).to_numpy()
    kind_rank = (
        candidates["kind"]
        .map({k: i for i, k in enumerate(CANDIDATE_KINDS)})
        .fillna(len(CANDIDATE_KINDS))
        .to_numpy()
    )
    names = units.set_index("unit_code")["unit_name"].astype(str)
    # Each column turned into an array once, and each group's rows and columns found by one
    # grouping, instead of once per group (hundreds of groups, tens of thousands of rows).
    site_columns = _site_columns(candidates)
    empty = np.zeros(0, dtype=np.int64)
    rows_of = pd.DataFrame({"group": demand_group}).groupby("group").indices
    cols_of = pd.DataFrame({"group": cand_group}).groupby("group").indices

    evaluations: dict[str, dict[str, Any]] = {}
    for group, members in groups.groupby(groups):
        rows = rows_of.get(group, empty)
        cols = cols_of.get(group, empty)
        evaluations[group] = _evaluate_group(
            list(members.index),
            rows,
            cols,
            d_xy,
            c_xy,
            matrix,
            cutoff,
            weights,
            site_columns,
            kind_rank,
            prefer_kinds,
        )

    extra = pd.DataFrame(columns=["unit_code", "unit_name", "saving", "reason"])
    n_groups = len(evaluations)
    if target > n_groups:
        needed = target - n_groups
        savings = []
        for group, ev in evaluations.items():
            second = _second_centre(ev, weights, candidates)
            if second is not None:
                savings.append((group, second))
        savings.sort(key=lambda item: (-item[1]["saving"], item[0]))
        picked = savings[:needed]
        for group, second in picked:
            evaluations[group]["second"] = second
        extra = pd.DataFrame(
            {
                "unit_code": [g for g, _ in picked],
                "unit_name": [names[g] for g, _ in picked],
                "saving": [s["saving"] for _, s in picked],
                "reason": [
                    f"second centre: rank {r} of {needed} by the cut in population-weighted "
                    f"distance ({s['saving'] / max(float(population[g]), 1):.0f} m per resident)"
                    for r, (g, s) in enumerate(picked, start=1)
                ],
            }
        )
        if len(picked) < needed:
            notes["target_not_met"] = (
                f"target {target} needs {needed} second centres, but only {len(picked)} units "
                f"have two or more usable candidates; the plan has {n_groups + len(picked)} centres"
            )

    return _assemble(
        units,
        candidates,
        evaluations,
        sharing,
        extra,
        population,
        names,
        target,
        notes,
        "network" if network is not None else "euclidean",
    )


@dataclass
class UnitPlan:
    """A one-centre-per-unit plan with its reasons.

    Attributes
    ----------
    centres
        One row per chosen centre: ``site_id``, ``name``, ``kind``, ``unit_code`` (the unit it is
        in), ``units_served`` (codes joined by ``;``), ``meets_rule``, ``stop_distance``,
        ``population`` served, ``mean_distance`` (population-weighted, metres), ``reason``,
        ``geometry``.
    units
        One row per unit: ``unit_code``, ``unit_name``, ``unit_kind``, ``population``, ``site_id``
        of its centre(s), ``shares_with``, ``candidates``, ``candidates_meeting_rule``,
        ``meets_rule``, ``mean_distance``, ``runner_up_site_id`` and ``runner_up_mean_distance``
        (the next-best candidate of the same pool and the unit's mean distance with it instead),
        ``reason``.
    sharing
        The town–parish pairs sharing a centre, with the rule and reason.
    extra
        The units given a second centre, with the saving and reason.
    target
        Centres asked for.
    notes
        Counts and warnings (target not met, candidates or people outside every unit, people
        beyond the network cutoff).
    """

    centres: gpd.GeoDataFrame
    units: pd.DataFrame
    sharing: pd.DataFrame
    extra: pd.DataFrame
    target: int
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def sites(self) -> gpd.GeoDataFrame:
        """The chosen centres as a sites layer (for :func:`~accessibility.planning.compare`)."""
        return self.centres[
            ["site_id", "name", "kind", "units_served", "meets_rule", "geometry"]
        ].copy()

    def summary(self) -> dict[str, Any]:
        """Headline figures of the plan."""
        people = float(self.centres["population"].sum())
        weighted = float((self.centres["population"] * self.centres["mean_distance"]).sum())
        return {
            "target": self.target,
            "centres": len(self.centres),
            "units": len(self.units),
            "units_without_centre": int(self.units["site_id"].isna().sum()),
            "shared_pairs": len(self.sharing),
            "second_centres": len(self.extra),
            "centres_meeting_rule": int(self.centres["meets_rule"].sum()),
            "mean_distance_m": weighted / people if people > 0 else float("nan"),
            **{k: v for k, v in self.notes.items() if np.isscalar(v)},
        }


def _pair_frame(frame: pd.DataFrame, population: pd.Series, rule: str, order: int) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "town_code": frame["unit_code_t"].astype(str).to_numpy(),
            "town_name": frame["unit_name_t"].astype(str).to_numpy(),
            "parish_code": frame["unit_code_p"].astype(str).to_numpy(),
            "parish_name": frame["unit_name_p"].astype(str).to_numpy(),
            "municipality_code": frame["municipality_code"].astype(str).to_numpy(),
        }
    )
    out["combined_population"] = (
        out["town_code"].map(population).fillna(0) + out["parish_code"].map(population).fillna(0)
    ).astype(int)
    out["rule"] = rule
    out["_order"] = order
    return out


def _share_reason(row: Any, rank: int, needed: int, rule: str) -> str:
    how = (
        "a town and the parish of the same name around it"
        if row.rule == "same_name"
        else "a town and a neighbouring parish of the same municipality"
    )
    return (
        f"share one centre: {how}; pair {rank} of {needed} taken by smallest combined population "
        f"({row.combined_population}) under rule {rule!r}"
    )


def _group_costs(
    rows: np.ndarray,
    cols: np.ndarray,
    d_xy: np.ndarray,
    c_xy: np.ndarray,
    matrix: sparse.csr_array | None,
    cutoff: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Dense demand × candidate distances of one group, and which entries were beyond the cutoff."""
    if matrix is None:
        diff = d_xy[rows][:, None, :] - c_xy[cols][None, :, :]
        return np.hypot(diff[..., 0], diff[..., 1]), np.zeros((rows.size, cols.size), dtype=bool)
    sub = sparse.coo_array(matrix[rows][:, cols])
    dense = np.full((rows.size, cols.size), float(cutoff))
    beyond = np.ones((rows.size, cols.size), dtype=bool)
    dense[sub.row, sub.col] = sub.data
    beyond[sub.row, sub.col] = False
    return dense, beyond


def _site_columns(candidates: pd.DataFrame) -> dict[str, np.ndarray | None]:
    """The candidate columns :func:`_evaluate_group` reads, as arrays (None: no such column)."""
    ids = candidates["site_id"].astype(str).to_numpy()
    return {
        "meets_rule": candidates["meets_rule"].to_numpy(dtype=bool),
        "kind": candidates["kind"].astype(str).to_numpy(),
        "site_id": ids,
        "name": candidates["name"].astype(str).to_numpy() if "name" in candidates else ids,
        "stop_distance": (
            candidates["stop_distance"].to_numpy() if "stop_distance" in candidates else None
        ),
    }


def _evaluate_group(
    members: list[str],
    rows: np.ndarray,
    cols: np.ndarray,
    d_xy: np.ndarray,
    c_xy: np.ndarray,
    matrix: sparse.csr_array | None,
    cutoff: float,
    weights: np.ndarray,
    site_columns: dict[str, np.ndarray | None],
    kind_rank: np.ndarray,
    prefer_kinds: Sequence[str],
) -> dict[str, Any]:
    """Choose the centre of one unit (or pair) and say why."""
    ev: dict[str, Any] = {
        "members": members,
        "rows": rows,
        "cols": cols,
        "choice": None,
        "weights": weights[rows],
    }
    ev["n_candidates"] = int(cols.size)
    meets = site_columns["meets_rule"][cols]  # type: ignore[index]
    ev["n_meeting"] = int(meets.sum())
    if cols.size == 0:
        ev["reason"] = "no candidate in the unit"
        return ev
    costs, beyond = _group_costs(rows, cols, d_xy, c_xy, matrix, cutoff)
    ev["costs"], ev["beyond"] = costs, beyond
    w = weights[rows]
    total = w @ costs if rows.size else np.zeros(cols.size)
    pool = np.flatnonzero(meets) if meets.any() else np.arange(cols.size)
    kinds = site_columns["kind"][cols]  # type: ignore[index]
    preferred_kind = None
    for kind in prefer_kinds:
        of_kind = pool[kinds[pool] == kind]
        if of_kind.size:
            pool, preferred_kind = of_kind, kind
            break
    ids = site_columns["site_id"][cols]  # type: ignore[index]
    order = sorted(pool, key=lambda j: (total[j], kind_rank[cols[j]], ids[j]))
    best = order[0]
    ev["choice"], ev["pool"] = best, pool
    people = float(w.sum())
    mean = float(total[best] / people) if people > 0 else float("nan")
    ev["mean_distance"] = mean
    ev["unreached"] = float(w[beyond[:, best]].sum()) if rows.size else 0.0
    stop_distance = site_columns["stop_distance"]
    if stop_distance is None:
        raise MissingColumnError(None, "candidates have no such column", field="stop_distance")
    stop_gap = stop_distance[cols][best]
    rule_part = (
        f"{ev['n_meeting']} of {cols.size} candidates meet the stop rule (this one is "
        f"{stop_gap:.0f} m from an intercity stop)"
        if meets.any()
        else f"none of the {cols.size} candidates meets the stop rule (this one is "
        f"{stop_gap:.0f} m from an intercity stop)"
    )
    kind_part = f"; {preferred_kind} candidates preferred" if preferred_kind else ""
    names = site_columns["name"][cols]  # type: ignore[index]
    ev["runner_up"] = None
    if rows.size == 0:
        choice_part = "no population figure: chosen by kind and id"
    elif len(pool) == 1:
        choice_part = "it is the only one of them, so there is no runner-up"
    else:
        runner = order[1]
        runner_mean = total[runner] / max(people, 1e-12)
        worse = runner_mean - mean
        ev["runner_up"] = {
            "site_id": ids[runner],
            "name": names[runner],
            "mean_distance": float(runner_mean),
        }
        choice_part = (
            f"of those it gives the least population-weighted mean distance ({mean:,.0f} m); "
            f"the runner-up, {names[runner]} ({ids[runner]}), gives {runner_mean:,.0f} m, "
            f"{worse:,.0f} m ({worse / mean if mean > 0 else 0:.1%}) worse"
        )
    ev["reason"] = f"{rule_part}{kind_part}; {choice_part}"
    return ev


def _second_centre(
    ev: dict[str, Any], weights: np.ndarray, candidates: pd.DataFrame
) -> dict[str, Any] | None:
    """The best pair of centres for one group (an exact 2-median) and its saving over one."""
    from .models import p_median

    if ev["choice"] is None or ev["rows"].size == 0:
        return None
    pool = np.asarray(ev["pool"])
    if pool.size < 2:
        return None
    w = weights[ev["rows"]]
    sub = ev["costs"][:, pool]
    one = float(w @ ev["costs"][:, ev["choice"]])
    if w.sum() == 0:
        return None
    result = p_median(sub, 2, w, k_nearest=pool.size)
    saving = one - result.objective
    if saving <= 0:
        return None
    return {
        "pair": pool[result.selected],
        "saving": saving,
        "objective": result.objective,
        "assignment": pool[result.assignment],
    }


def _assemble(
    units: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    evaluations: dict[str, dict[str, Any]],
    sharing: pd.DataFrame,
    extra: pd.DataFrame,
    population: pd.Series,
    names: pd.Series,
    target: int,
    notes: dict[str, Any],
    method: str,
) -> UnitPlan:
    """Turn the per-group choices into the centres and units tables."""
    centre_rows = []
    unit_site: dict[str, list[str]] = {}
    shares_with: dict[str, str] = {}
    for row in sharing.itertuples():
        shares_with[row.town_code] = row.parish_code
        shares_with[row.parish_code] = row.town_code
    unreached = 0.0
    for ev in evaluations.values():
        if ev["choice"] is None:
            continue
        w_rows = ev["rows"]
        second = ev.get("second")
        picks = [ev["choice"]] if second is None else list(second["pair"])
        for k, local in enumerate(picks):
            col = ev["cols"][local]
            site = candidates.iloc[col]
            if second is None:
                served_rows = np.ones(w_rows.size, dtype=bool)
                reason = ev["reason"]
            else:
                served_rows = second["assignment"] == local
                reason = (
                    f"{'first' if k == 0 else 'second'} of two centres (exact 2-median inside the "
                    f"unit among the preferred candidates); " + ev["reason"].split(";")[0]
                )
            # The population a centre serves: the demand points assigned to it.
            w = ev["weights"][served_rows]
            people = float(w.sum())
            dist = ev["costs"][served_rows, local] if w_rows.size else np.zeros(0)
            mean = float(w @ dist / people) if people > 0 else float("nan")
            members = ev["members"]
            centre_rows.append(
                {
                    "site_id": str(site["site_id"]),
                    "name": str(site.get("name", site["site_id"])),
                    "kind": str(site["kind"]),
                    "unit_code": str(site["unit_code"]),
                    "units_served": ";".join(members),
                    "meets_rule": bool(site["meets_rule"]),
                    "stop_distance": float(site.get("stop_distance", np.nan)),
                    "population": people,
                    "mean_distance": mean,
                    "reason": reason,
                    "geometry": site.geometry,
                }
            )
            for member in members:
                unit_site.setdefault(member, []).append(str(site["site_id"]))
        unreached += ev.get("unreached", 0.0)
    centres = gpd.GeoDataFrame(
        centre_rows,
        columns=[
            "site_id",
            "name",
            "kind",
            "unit_code",
            "units_served",
            "meets_rule",
            "stop_distance",
            "population",
            "mean_distance",
            "reason",
            "geometry",
        ],
        geometry="geometry",
        crs=settings.CRS,
    )
    notes["unreached_population"] = unreached
    notes["distance_method"] = method
    group_of = {m: g for g, ev in evaluations.items() for m in ev["members"]}
    # Candidates per unit, counted once (not compared with every unit code in turn).
    per_unit = candidates["unit_code"].value_counts()
    meeting = pd.Series(True, index=candidates.index) & candidates["meets_rule"]
    meeting_per_unit = candidates.loc[meeting, "unit_code"].value_counts()
    unit_rows = []
    for unit in units.itertuples():
        ev = evaluations[group_of[unit.unit_code]]
        sites = unit_site.get(unit.unit_code)
        mean = ev.get("mean_distance", float("nan"))
        if ev.get("second") is not None:
            mean = ev["second"]["objective"] / float(ev["weights"].sum())
        unit_rows.append(
            {
                "unit_code": unit.unit_code,
                "unit_name": unit.unit_name,
                "unit_kind": unit.unit_kind,
                "population": int(population.get(unit.unit_code, 0)),
                "site_id": ";".join(sites) if sites else None,
                "shares_with": shares_with.get(unit.unit_code),
                "candidates": int(per_unit.get(unit.unit_code, 0)),
                "candidates_meeting_rule": int(meeting_per_unit.get(unit.unit_code, 0)),
                "meets_rule": bool(ev["choice"] is not None and ev["n_meeting"] > 0),
                "mean_distance": mean,
                "runner_up_site_id": (ev.get("runner_up") or {}).get("site_id"),
                "runner_up_mean_distance": (ev.get("runner_up") or {}).get(
                    "mean_distance", float("nan")
                ),
                "reason": ev["reason"],
            }
        )
    units_table = pd.DataFrame(unit_rows)
    return UnitPlan(centres, units_table, sharing, extra, target, notes)
