"""The plan step of the main job: candidates, the chosen planner, and the comparison with the existing network."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from .result import RunResult
    from .study import Study

#: Farthest distance (metres) a location model looks for a centre from a demand point.
MODEL_CUTOFF_M = 30_000.0

#: Allowed demand-candidate pairs above which the p-median is solved by the heuristic (greedy +
#: interchange, with its gap to a Lagrangian bound reported) instead of the exact model: the
#: national 1 km grid (~78,000 points × ~1,000 candidates within 30 km) takes HiGHS over ten
#: minutes, the heuristic seconds at a gap below 0.5 %.
EXACT_P_MEDIAN_MAX_PAIRS = 2_000_000


def demand_points(
    units: gpd.GeoDataFrame, points: gpd.GeoDataFrame | None
) -> tuple[gpd.GeoDataFrame, str]:
    """Population points, or one point of weight 1 per unit when there is no population table."""
    if points is not None:
        return points, "population on the grid"
    one_each = gpd.GeoDataFrame(
        {"unit_code": units["unit_code"].to_numpy(), "population": 1},
        geometry=units.geometry.representative_point().to_numpy(),
        crs=units.crs,
    )
    return one_each, "one point per unit (no population table)"


def propose(
    result: RunResult,
    study: Study,
    points: gpd.GeoDataFrame | None,
    *,
    workers: int | None = None,
    wait: bool = True,
) -> Any:
    """Build candidates, run the study's planner and store the plan in ``result``.

    Existing centres are always candidates; the one-per-unit planner keeps an existing centre
    that meets the stop rule (``prefer_kinds``), and the location models hold every existing
    centre open (``fixed``).

    The national scenarios of the one-per-unit planner (``extra``, ``capacity``) are planned
    by ``workers`` processes (default one per available core; the plans are the same whatever
    the number) from the moment the candidates are known. With ``wait=False`` they are left
    running and returned: pass them to :func:`finish` before ``plan_details["scenarios"]`` is
    read (the comparison), so that they overlap the coverage of the plan. Otherwise None.
    """
    pending = _propose(result, study, points, workers)
    if wait:
        finish(result, pending)
        return None
    return pending


def finish(result: RunResult, pending: Any) -> None:
    """Wait for the scenarios :func:`propose` left running and store them in ``result``."""
    if pending is None:
        return
    try:
        result.plan_details["scenarios"] = pending.result()
    finally:
        pending.cancel()


def _propose(
    result: RunResult, study: Study, points: gpd.GeoDataFrame | None, workers: int | None
) -> Any:
    """:func:`propose` up to the scenarios, which are returned running (or None)."""
    from ..planning import build_candidates

    if study.planner == "none":
        return None
    layers = result.inputs.layers
    units = layers["units"]
    stops = layers.get("stops")
    if stops is None:
        result.plan_details["description"] = (
            "No plan: without bus stops no candidate can be tested against the stop rule."
        )
        return None
    network = result.inputs.network
    candidates = build_candidates(
        units,
        stops,
        libraries=layers.get("libraries"),
        centres=layers.get("centres"),
        # With population points every cell is a candidate, so no extra unit point is needed;
        # without them a point inside each unit keeps every unit in the pool.
        unit_points=None if points is not None else "representative_point",
        points=points,
        stop_distance=study.stop_distance,
        network=network,
        every_stop=True,
        population_candidates=points is not None,
    )
    demand, demand_words = demand_points(units, points)
    result.plan_details["candidates"] = candidates
    if study.planner == "one_per_unit":
        # The scenarios take seconds each: worker processes plan them meanwhile.
        pending = _start_scenarios(study, units, candidates, demand, network, workers)
        try:
            _one_per_unit(result, study, units, candidates, demand, network, demand_words)
        except BaseException:
            pending.cancel()
            raise
        return pending
    result.plan, details = _location_model(study, units, candidates, demand, network)
    result.plan_details.update(details)
    return None


def _one_per_unit(
    result: RunResult,
    study: Study,
    units: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    demand: gpd.GeoDataFrame,
    network: Any,
    demand_words: str,
) -> None:
    """The one-per-unit plan, its justification and its sharing alternatives."""
    from ..planning import plan_one_per_unit

    plan = plan_one_per_unit(
        units,
        candidates,
        demand,
        target=study.target_count,
        share_rule=study.share_rule,
        prefer_kinds=("centre", "library"),
        network=network,
    )
    result.plan = plan.centres
    figures = plan.summary()
    _justify(result, study, units, candidates, demand, plan, network)
    result.plan_details.update(
        shared_units=plan.sharing,
        second_centres=plan.extra,
        plan_units=plan.units,
        figures=figures,
        description=(
            f"One centre per territorial unit ({figures['centres']} centres for {figures['units']} units, "
            f"target {figures['target']}): in each unit, of every stop, library, existing centre and "
            f"population point in it, the candidate meeting the {study.stop_distance:.0f} m "
            f"stop rule with the least population-weighted distance from the unit's {demand_words}; "
            f"existing centres and libraries are preferred among candidates that meet the rule. "
            f"{figures['centres_meeting_rule']} of {figures['centres']} chosen centres meet the rule. "
            f"{figures['shared_pairs']} town-parish pairs share a centre and {figures['second_centres']} "
            "units get a second one; each is listed with its reason."
            + (
                f" Note: {plan.notes['target_not_met']}."
                if plan.notes.get("target_not_met")
                else ""
            )
        ),
    )


def _location_model(
    study: Study,
    units: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    demand: gpd.GeoDataFrame,
    network: Any,
) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    """Run p-median, MCLP or set cover over all candidates, existing centres held open."""
    from .._errors import StudyFileError
    from ..network.distance import distance_matrix
    from ..planning import mclp, p_median, p_median_heuristic, set_cover

    cost = distance_matrix(demand, candidates, MODEL_CUTOFF_M, network=network)
    weights = demand["population"].to_numpy(dtype=float)
    fixed = np.flatnonzero(candidates["kind"].astype(str).to_numpy() == "centre")
    p = study.target_count or len(units)
    if study.planner == "p_median":
        solve = p_median if cost.nnz <= EXACT_P_MEDIAN_MAX_PAIRS else p_median_heuristic
        found = solve(cost, p, weights, fixed=fixed, allow_unassigned=True)
        words = (
            f"p-median: {p} centres minimising the population-weighted distance "
            f"({'exact, HiGHS' if solve is p_median else 'greedy + interchange heuristic: the exact model is too large'})"
        )
    elif study.planner == "mclp":
        found = mclp(cost, p, study.stop_distance, weights, fixed=fixed)
        words = f"maximal covering: {p} centres covering the most people within {study.stop_distance:.0f} m"
    elif study.planner == "set_cover":
        found = set_cover(cost, study.distance_thresholds[-1], fixed=fixed)
        words = (
            f"set cover: fewest centres with everyone within {study.distance_thresholds[-1]:.0f} m"
        )
    else:  # pragma: no cover - the study file check admits no other value
        raise StudyFileError(f"unknown planner {study.planner!r}")
    plan = candidates.iloc[found.selected].copy()
    plan["reason"] = f"chosen by {found.model} ({found.status}, gap {found.gap:.2%})"
    return plan.reset_index(drop=True), {
        "description": f"{words}; existing centres held open. Solver status {found.status}, "
        f"objective {found.objective:,.1f}, gap {found.gap:.2%}, {found.runtime:.1f} s.",
        "figures": {
            "model": found.model,
            "status": found.status,
            "objective": found.objective,
            "gap": found.gap,
            "bound": found.bound,
            "centres": int(found.selected.size),
        },
    }


def comparison(
    result: RunResult, study: Study, points: gpd.GeoDataFrame | None
) -> pd.DataFrame | None:
    """Coverage figures of the existing network, all libraries and the plan, side by side."""
    from ..planning import compare

    if result.plan is None:
        return None
    layers = result.inputs.layers
    units = layers["units"]
    demand, _ = demand_points(units, points)
    scenarios: dict[str, gpd.GeoDataFrame] = {}
    if "centres" in layers:
        scenarios["existing centres"] = layers["centres"]
    if "libraries" in layers:
        scenarios["every library a centre"] = layers["libraries"]
    scenarios["plan"] = result.plan
    for mode in result.plan_details.get("scenarios", {}).values():
        scenarios[mode.name] = mode.centres
    table = compare(
        scenarios,
        demand,
        units=units,
        stops=layers.get("stops"),
        network=result.inputs.network,
        thresholds=study.distance_thresholds,
        stop_distance=study.stop_distance,
    )
    result.plan_details["fairness"] = _fairness(scenarios, demand, units, result, study)
    return table.reset_index()


def _start_scenarios(
    study: Study,
    units: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    demand: gpd.GeoDataFrame,
    network: Any,
    workers: int | None,
) -> Any:
    """Start the national scenarios beyond one per unit (see :mod:`._scenarios`)."""
    from ._scenarios import start_scenarios

    jobs: dict[str, dict[str, Any]] = {}
    if study.extra_centres > 0:
        jobs["extra"] = {"extra": study.extra_centres}
    if study.max_population_per_centre > 0:
        jobs["capacity"] = {"max_population": study.max_population_per_centre}
    return start_scenarios(units, candidates, demand, network, jobs, workers=workers)


def _justify(
    result: RunResult,
    study: Study,
    units: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    demand: gpd.GeoDataFrame,
    plan: Any,
    network: Any,
) -> None:
    """The justification of every proposed centre and the sharing alternatives."""
    from ..planning.justify import justify_centres, sharing_alternatives

    thresholds = study.distance_thresholds
    why = justify_centres(
        plan.centres,
        demand,
        candidates=candidates,
        thresholds=thresholds,
        network=network,
        own_unit_only=True,
    )
    result.plan_details["justification"] = why
    # The popup and table columns of each proposed centre, in words.
    t_max = max(thresholds)
    result.plan = result.plan.assign(
        population_assigned=why["population_assigned"].to_numpy(),
        sole_centre=[
            ", ".join(f"{t / 1000:g} km: {r[f'sole_within_{t:g}m']:,.0f}" for t in thresholds)
            for _, r in why.iterrows()
        ],
        nearest_other_centre_m=why["nearest_other_centre_m"].to_numpy(),
        next_best=[
            f"{r['next_best_name']} ({r['next_best_site_id']}), "
            f"+{r['next_best_extra_mean_m']:,.0f} m per resident of the unit"
            if isinstance(r["next_best_site_id"], str)
            else "no other candidate in the unit"
            for _, r in why.iterrows()
        ],
        if_closed=[
            f"{r['closure_population_moved']:,.0f} people move, "
            f"{r['closure_extra_mean_m']:,.0f} m farther on average "
            f"(at most {r['closure_extra_max_m']:,.0f} m); "
            f"{r[f'closure_beyond_{t_max:g}m']:,.0f} newly beyond {t_max / 1000:g} km"
            for _, r in why.iterrows()
        ],
    )
    n_units = len(units)
    if plan.target < n_units:
        result.plan_details["sharing_alternatives"] = sharing_alternatives(
            units, candidates, demand, plan, rule=study.share_rule, network=network
        )


def _fairness(
    scenarios: dict[str, gpd.GeoDataFrame],
    demand: gpd.GeoDataFrame,
    units: gpd.GeoDataFrame,
    result: RunResult,
    study: Study,
) -> pd.DataFrame:
    """Fairness of every scenario's distances, nationally and per municipality (long table)."""
    from ..coverage.fairness import distance_fairness
    from ..network.distance import nearest

    municipality = units.set_index(units["unit_code"].astype(str))["municipality_code"]
    names = None
    municipalities = result.inputs.layers.get("municipalities")
    if municipalities is not None and "municipality_name" in municipalities.columns:
        names = dict(
            zip(
                municipalities["municipality_code"].astype(str),
                municipalities["municipality_name"].astype(str),
                strict=False,
            )
        )
    elif "municipality_name" in units.columns:
        names = dict(
            zip(
                units["municipality_code"].astype(str),
                units["municipality_name"].astype(str),
                strict=False,
            )
        )
    groups = demand["unit_code"].astype(str).map(municipality).to_numpy()
    frames = []
    for name, sites in scenarios.items():
        if len(sites) == 0:
            continue
        found = nearest(demand, sites, network=result.inputs.network)
        table = distance_fairness(
            found["distance"].to_numpy(dtype=float),
            demand["population"].to_numpy(dtype=float),
            groups,
            thresholds=study.distance_thresholds,
            names=names,
        )
        frames.append(table.reset_index().assign(scenario=name))
    if not frames:
        return pd.DataFrame()
    out = pd.concat(frames, ignore_index=True)
    return out[["scenario", *[c for c in out.columns if c != "scenario"]]]
