"""Ranked gaps per unit and the headline summary figures, with their ranges where route lists are cut."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from .. import settings
from .._errors import AccessibilityError, MissingColumnError
from ._bounds import range_text, share_range_text
from ._terms import (
    GAP_KINDS,
    STATUS_FAILS,
    STATUS_MEETS,
    STATUS_NONE,
    STATUS_NOT_ASSESSED,
    STATUS_UNMEASURED,
    STATUS_VALUES,
)
from ._text import (
    STRAIGHT_LINE_NOTE,
    fraction,
    joint_method,
    km,
    method_words,
    pct,
)


def gaps(
    coverage: gpd.GeoDataFrame,
    *,
    threshold: float | None = None,
    candidates: gpd.GeoDataFrame | None = None,
) -> pd.DataFrame:
    """Rank the problems of a :func:`unit_coverage` table, each with its reason.

    Parameters
    ----------
    coverage
        Output of :func:`unit_coverage`.
    threshold
        Distance (metres, one of the table's thresholds) beyond which population counts as a gap;
        default the largest threshold.
    candidates
        A :func:`stop_rule` result for candidate sites (with ``unit_code``); a unit where none of
        its candidates meets the rule is a gap.

    Returns
    -------
    pandas.DataFrame
        ``rank``, ``unit_code``, ``unit_name``, ``unit_kind``, ``municipality_code``, ``gap`` (one of
        :data:`GAP_KINDS`), ``reason`` (the figures behind it), ``population_affected`` (Int64;
        <NA> when unknown) and ``unit_population``. Ranked by population affected (unknown last),
        then unit code, then the order of :data:`GAP_KINDS`.
    """
    if "unit_code" not in coverage.columns or "status" not in coverage.columns:
        raise MissingColumnError(None, "not a unit_coverage table", field="status")
    info = coverage.attrs.get("coverage", {})
    distance = info.get("distance_m", settings.STOP_RULE_DISTANCE_M)
    thresholds = info.get("thresholds_m", [])
    if threshold is None and thresholds:
        threshold = max(thresholds)
    rows: list[dict[str, Any]] = []
    pop = coverage["population"]

    records = pd.DataFrame(coverage.drop(columns=coverage.geometry.name)).to_dict("records")

    def add(mask: pd.Series, gap: str, reason: Any, affected: Any) -> None:
        for i in np.flatnonzero(np.asarray(mask, dtype=bool)):
            row = records[i]
            rows.append(
                {
                    "unit_code": row["unit_code"],
                    "unit_name": row.get("unit_name"),
                    "unit_kind": row.get("unit_kind"),
                    "municipality_code": row.get("municipality_code"),
                    "gap": gap,
                    "reason": reason(row) if callable(reason) else reason,
                    "population_affected": affected.iloc[i]
                    if isinstance(affected, pd.Series)
                    else affected,
                    "unit_population": pop.iloc[i],
                }
            )

    status = coverage["status"].astype(str)
    add(status == STATUS_NONE, "no centre", "no centre lies in the unit", pop)
    add(
        status == STATUS_FAILS,
        "centre does not meet the stop rule",
        lambda r: (
            f"nearest intercity stop to the best centre ({r['best_centre']}) is {r['centre_stop_distance']:.0f} m away "
            f"({method_words(r['centre_stop_method'])}), more than {distance:g} m"
            + _cut_clause(r, "centre_meets_rule_high", True, _CUT_CENTRE)
        ),
        pop,
    )
    add(
        status == STATUS_UNMEASURED,
        "centre distance not measured",
        "the walking network does not reach the centre or no intercity stop is reachable",
        pop,
    )
    if candidates is not None:
        if "unit_code" not in candidates.columns or "meets_rule" not in candidates.columns:
            raise MissingColumnError(
                None, "candidates must be a stop_rule result with unit_code", field="meets_rule"
            )
        any_meets = candidates.groupby("unit_code")["meets_rule"].any()
        count = candidates.groupby("unit_code").size()
        has = coverage["unit_code"].map(any_meets)
        add(
            has.notna() & ~has.fillna(True).astype(bool),
            "no candidate meets the stop rule",
            lambda r: (
                f"none of the {count.get(r['unit_code'], 0)} candidate sites is within {distance:g} m of an intercity stop"
            ),
            pop,
        )
        add(
            has.isna(),
            "no candidate meets the stop rule",
            "the unit has no candidate site",
            pop,
        )
    within = coverage["intercity_within_distance"]
    add(
        within.notna() & ~within.fillna(True).astype(bool),
        "no site in the unit can meet the stop rule",
        lambda r: (
            f"no intercity stop within {distance:g} m of any point of the unit ({STRAIGHT_LINE_NOTE}; a walk is longer)"
            + _cut_clause(r, "intercity_within_high", True, _CUT_WITHIN.format(distance=distance))
        ),
        pop,
    )
    if info.get("stops"):
        add(
            coverage["intercity_stops"] == 0,
            "no intercity stop in the unit",
            lambda r: (
                f"{r['stops']} stop(s) in the unit, none served by an intercity route"
                + _cut_clause(r, "intercity_stops_high", 0, _CUT_STOPS, compare="gt")
            ),
            pop,
        )
    # Without population figures there is no population beyond any distance to rank by.
    no_population = "population" not in coverage.columns or coverage["population"].isna().all()
    if threshold is not None and not (
        no_population and f"pop_beyond_{threshold:g}" not in coverage
    ):
        column = f"pop_beyond_{threshold:g}"
        if column not in coverage.columns:
            raise AccessibilityError(
                f"coverage table has no population beyond {threshold:g} m; its thresholds are "
                f"{', '.join(f'{t:g}' for t in thresholds) or 'none'}"
            )
        beyond = coverage[column]
        add(
            beyond.fillna(0) > 0,
            "population beyond distance",
            lambda r: (
                f"{r[column]} of {r['population']} people live farther than {threshold:g} m from the nearest centre"
                f" ({method_words(r.get('pop_distance_method'))})"
            ),
            beyond,
        )
    add(
        pop.isna(), "no population figure", "the population table has no figure for the unit", pd.NA
    )

    table = pd.DataFrame(
        rows,
        columns=[
            "unit_code",
            "unit_name",
            "unit_kind",
            "municipality_code",
            "gap",
            "reason",
            "population_affected",
            "unit_population",
        ],
    )
    table["population_affected"] = pd.array(table["population_affected"], dtype="Int64")
    table["unit_population"] = pd.array(table["unit_population"], dtype="Int64")
    table["_order"] = table["gap"].map({g: i for i, g in enumerate(GAP_KINDS)})
    table = table.sort_values(
        ["population_affected", "unit_code", "_order"],
        ascending=[False, True, True],
        na_position="last",
        kind="stable",
    )
    table = table.drop(columns="_order").reset_index(drop=True)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return table


_CUT_CENTRE = (
    "; rests on a cut route list: a stop near a centre of the unit has a cut list, and the "
    "centre meets the rule if that list hides an intercity route"
)


_CUT_WITHIN = (
    "; rests on a cut route list: a stop within {distance:g} m has a cut list, and a site can "
    "meet the rule if that list hides an intercity route"
)


_CUT_STOPS = (
    "; rests on a cut route list: {cut_stops} stop(s) of the unit have a cut list that may hide "
    "an intercity route (unknown)"
)


def _cut_clause(
    row: Mapping[str, Any], column: str, value: Any, text: str, *, compare: str = "eq"
) -> str:
    """The reason's qualifier when the row's verdict rests on a cut route list, else ""."""
    if column not in row or row[column] is None or row[column] is pd.NA:
        return ""
    hit = row[column] > value if compare == "gt" else bool(row[column]) == value
    return text.format(cut_stops=row.get("cut_stops", 0)) if hit else ""


def summary(
    coverage: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame | None = None,
    *,
    municipalities: pd.DataFrame | None = None,
    site_label: str = "sites",
) -> dict[str, Any]:
    """Headline figures of a coverage run, each a count with its denominator, plus readable text.

    Parameters
    ----------
    coverage
        Output of :func:`unit_coverage`.
    sites
        A :func:`stop_rule` result (libraries, centres, a plan) for the share within the distance.
    municipalities
        The municipalities layer; its count is the denominator of the municipality figures
        (default: the municipalities named in ``coverage``).
    site_label
        What the sites are, in the text (e.g. ``"libraries"``).

    Returns
    -------
    dict
        JSON-ready: ``distance_m``, ``sites``, ``municipalities``, ``population``, ``units``,
        ``stops`` (each a dict of ``{"count", "of", "share"}`` figures) and ``text``, the same
        figures as sentences.
    """
    info = coverage.attrs.get("coverage", {})
    distance = float(info.get("distance_m", settings.STOP_RULE_DISTANCE_M))
    thresholds = [float(t) for t in info.get("thresholds_m", [])]
    out: dict[str, Any] = {"distance_m": distance}
    lines: list[str] = []
    assessed = (coverage["status"].astype(str) != STATUS_NOT_ASSESSED).any()

    if sites is not None:
        measured = sites["distance"].notna() & np.isfinite(sites["distance"].fillna(np.inf))
        methods = sorted(sites.loc[sites["method"].notna(), "method"].astype(str).unique().tolist())
        figures = {
            "label": site_label,
            "within": fraction(int(sites["meets_rule"].sum()), len(sites)),
            "not_measured": fraction(int((~measured).sum()), len(sites)),
            "methods": methods,
            "straight_line": "euclidean" in methods,
        }
        spread = ""
        if "meets_rule_low" in sites.columns:
            low, high = int(sites["meets_rule_low"].sum()), int(sites["meets_rule_high"].sum())
            figures["within_range"] = [fraction(low, len(sites)), fraction(high, len(sites))]
            spread = share_range_text(low, high, len(sites))
        out["sites"] = figures
        words = f" ({STRAIGHT_LINE_NOTE})" if figures["straight_line"] else " (walking distance)"
        lines.append(
            f"{pct(figures['within'])} of {site_label} ({figures['within']['count']} of {len(sites)}) lie within "
            f"{distance:g} m of an intercity stop{words}" + (f"; {spread}." if spread else ".")
        )
        if figures["not_measured"]["count"]:
            lines.append(
                f"{figures['not_measured']['count']} {site_label} could not be measured (see the note column)."
            )

    if assessed:
        per_muni = coverage.groupby("municipality_code")["centres"].sum()
        if municipalities is not None:
            codes = pd.Index(municipalities["municipality_code"].astype(str).unique())
            per_muni = per_muni.reindex(codes.union(per_muni.index), fill_value=0)
        n = len(per_muni)
        muni = {
            "with_centre": fraction(int((per_muni >= 1).sum()), n),
            "more_than_one": fraction(int((per_muni > 1).sum()), n),
            "none": fraction(int((per_muni == 0).sum()), n),
            "without_centre": sorted(per_muni.index[per_muni == 0].astype(str).tolist()),
        }
        out["municipalities"] = muni
        lines.append(
            f"{muni['with_centre']['count']} of {n} municipalities have at least one centre, "
            f"{muni['more_than_one']['count']} more than one, {muni['none']['count']} none."
        )

    pop = coverage["population"]
    known = int(pop.dropna().sum())
    population: dict[str, Any] = {
        "total": known,
        "units_without_figure": fraction(int(pop.isna().sum()), len(coverage)),
    }
    if info.get("population_year") is not None:
        population["year"] = info["population_year"]
    if assessed and thresholds and f"pop_beyond_{thresholds[0]:g}" in coverage.columns:
        method = joint_method(coverage.get("pop_distance_method"))
        population["distance_method"] = method
        population["within"] = {}
        for t in thresholds:
            beyond = int(coverage[f"pop_beyond_{t:g}"].dropna().sum())
            population["within"][f"{t:g}"] = fraction(known - beyond, known)
        parts = ", ".join(
            f"{pct(population['within'][f'{t:g}'])} within {km(t)}" for t in thresholds
        )
        placement = info.get("population_points", {}).get("methods", [])
        population["placement"] = placement
        placed = f"placed by {'; '.join(placement)}" if placement else "placed on a grid"
        lines.append(
            f"Of {known:,} people ({placed}), {parts} of the nearest centre "
            f"({method_words(method)})."
        )
        if "pop_unreachable" in coverage.columns:
            unreachable = int(coverage["pop_unreachable"].dropna().sum())
            population["unreachable"] = fraction(unreachable, known)
            if unreachable:
                lines.append(
                    f"{unreachable:,} people live where the walking network does not reach; they "
                    f"count as beyond every distance."
                )
    if population["units_without_figure"]["count"]:
        lines.append(
            f"{population['units_without_figure']['count']} units have no population figure (not counted as 0)."
        )
    out["population"] = population

    n_units = len(coverage)
    units: dict[str, Any] = {
        "total": n_units,
        "by_status": {s: int((coverage["status"].astype(str) == s).sum()) for s in STATUS_VALUES},
    }
    if info.get("stops"):
        units["no_stop"] = fraction(int((coverage["stops"] == 0).sum()), n_units)
        units["no_intercity_stop"] = fraction(
            int((coverage["intercity_stops"] == 0).sum()), n_units
        )
        impossible = coverage["intercity_within_distance"].fillna(True).astype(bool)
        units["rule_impossible"] = fraction(int((~impossible).sum()), n_units)
        no_ic_range = impossible_range = ""
        if "intercity_stops_low" in coverage.columns:
            # Fewer intercity stops (low bound) leave more units without one.
            no_ic = [int((coverage[f"intercity_stops_{b}"] == 0).sum()) for b in ("high", "low")]
            units["no_intercity_stop_range"] = [fraction(c, n_units) for c in no_ic]
            no_ic_range = range_text(*no_ic)
            cannot = [
                int((~coverage[f"intercity_within_{b}"].fillna(True).astype(bool)).sum())
                for b in ("high", "low")
            ]
            units["rule_impossible_range"] = [fraction(c, n_units) for c in cannot]
            impossible_range = range_text(*cannot)
        lines.append(
            f"{units['no_intercity_stop']['count']} of {n_units} units have no intercity stop "
            f"({units['no_stop']['count']} no stop at all{'; ' + no_ic_range if no_ic_range else ''}); "
            f"in {units['rule_impossible']['count']} no site can meet the "
            f"{distance:g} m rule (no intercity stop within {distance:g} m of the unit, straight line"
            f"{'; ' + impossible_range if impossible_range else ''})."
        )
    if assessed:
        units["no_centre"] = fraction(units["by_status"][STATUS_NONE], n_units)
        meets = units["by_status"][STATUS_MEETS]
        units["centre_meets_rule"] = fraction(meets, n_units)
        meets_range = ""
        if "centre_meets_rule_low" in coverage.columns:
            bounded = [
                int(coverage[f"centre_meets_rule_{b}"].fillna(False).astype(bool).sum())
                for b in ("low", "high")
            ]
            units["centre_meets_rule_range"] = [fraction(c, n_units) for c in bounded]
            meets_range = range_text(*bounded)
        lines.append(
            f"{meets} of {n_units} units have a centre within {distance:g} m of an intercity stop"
            f"{' (' + meets_range + ')' if meets_range else ''}; "
            f"{units['by_status'][STATUS_NONE]} have no centre."
        )
    out["units"] = units
    if info.get("stops"):
        stops = info["stops"]
        out["stops"] = {
            "total": stops["total"],
            "intercity": fraction(stops["intercity"], stops["total"]),
            "counted_in_units": fraction(stops["counted_in_units"], stops["total"]),
            "given_to_nearest_unit": len(stops["given_to_nearest_unit"]),
            "outside_all_units": len(stops["outside_all_units"]),
        }
        if stops["outside_all_units"] or stops["given_to_nearest_unit"]:
            lines.append(
                f"{len(stops['given_to_nearest_unit'])} stops lie just outside the unit boundaries and were given to the "
                f"nearest unit; {len(stops['outside_all_units'])} lie farther out and are counted in no unit."
            )
    outside = info.get("centres", {}).get("outside_all_units")
    if outside is not None:
        out["centres"] = {
            "total": info["centres"]["total"],
            "outside_all_units": fraction(len(outside), info["centres"]["total"]),
            "outside_ids": outside,
        }
        if outside:
            lines.append(
                f"{len(outside)} of {info['centres']['total']} centres lie outside every unit "
                f"(in the sea or abroad?) and are counted in none: {', '.join(outside[:10])}."
            )
    out["text"] = "\n".join(lines)
    return out
