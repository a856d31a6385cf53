"""Tables for people: headers in words with units, names beside codes, sensible precision.

The CSV and GeoParquet outputs keep the machine names and full precision (a figure in a paper
can be regenerated from them exactly); the tables of the report are made here from the same
frames, with nothing computed but counts, joins of names and rounding for print.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

__all__ = [
    "comparison_table",
    "gap_table",
    "inputs_table",
    "percent",
    "plan_table",
    "shared_units_table",
    "whole",
]

#: Dash printed where a value is missing (never an empty cell).
MISSING = "–"

_METHOD_WORDS = {
    "euclidean": "straight line",
    "network": "walk along streets",
    "mixed": "walk where attached, else straight line",
}
_KIND_WORDS = {"state_city": "state city", "town": "town", "parish": "parish"}


def whole(value: object, unit: str = "") -> str:
    """An integer with thousands separators (``674510.0`` -> ``"674,510"``)."""
    if _missing(value):
        return MISSING
    number = float(value)  # type: ignore[arg-type]
    if math.isinf(number):
        return "unreachable"
    return f"{round(number):,}{unit}"


def percent(share: object, of: object = None) -> str:
    """A share as a percentage to one decimal, ``"95.3 %"``; shares near 0 or 1 are not rounded
    to 0 % or 100 % (``"< 0.1 %"``, ``"> 99.9 %"``); with ``of`` the count is given too."""
    if _missing(share):
        return MISSING
    value = float(share) * 100  # type: ignore[arg-type]
    if 0 < value < 0.05:
        text = "< 0.1 %"
    elif 99.95 <= value < 100:
        text = "> 99.9 %"
    else:
        text = f"{value:.1f} %"
    return text if of is None else f"{text} of {whole(of)}"


def _missing(value: object) -> bool:
    if value is None or value is pd.NA:
        return True
    try:
        return bool(pd.isna(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def _metres(value: object, step: int = 1) -> str:
    """A distance in metres rounded to ``step`` (``"2,790 m"``)."""
    if _missing(value):
        return MISSING
    number = float(value)  # type: ignore[arg-type]
    if math.isinf(number):
        return "unreachable"
    return f"{round(number / step) * step:,} m"


def _named(code: object, names: Mapping[str, str]) -> str:
    """``"Rīga (0001000)"``: a code always with its name when the name is known."""
    code = str(code)
    name = names.get(code)
    return f"{name} ({code})" if name else code


def _codes_named(listed: object, names: Mapping[str, str]) -> str:
    """A ``;``-separated list of unit codes as names with codes."""
    if _missing(listed):
        return MISSING
    return "; ".join(_named(code, names) for code in str(listed).split(";") if code)


def gap_table(
    gaps: pd.DataFrame,
    municipality_names: Mapping[str, str],
    site_names: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """One row per unit with every gap it has and its reasons, ranked as the gap list.

    Parameters
    ----------
    gaps
        :func:`accessibility.coverage.core.gaps` output (one row per unit and gap kind, ranked).
    municipality_names
        Municipality code -> name.
    site_names
        Site id -> name, written beside the ids the reasons name.

    Returns
    -------
    pandas.DataFrame
        ``Rank``, ``Unit``, ``Municipality``, ``Gaps and their reasons``, ``People affected``
        (the largest of the unit's gaps, so people are not counted twice), ``Unit population``.
    """
    rows = []
    name_sites = _site_namer(site_names or {}, gaps["reason"].astype(str))
    for code, group in gaps.groupby("unit_code", sort=False):
        first = group.iloc[0]
        reasons = "; ".join(
            f"{row.gap}: {name_sites(_separated(str(row.reason)))}" for row in group.itertuples()
        )
        affected = pd.to_numeric(group["population_affected"], errors="coerce").max()
        rows.append(
            {
                "Rank": len(rows) + 1,
                "Unit": f"{first['unit_name']} ({code}, {_KIND_WORDS.get(str(first.get('unit_kind')), first.get('unit_kind'))})",
                "Municipality": _named(first["municipality_code"], municipality_names),
                "Gaps and their reasons": reasons,
                "People affected": whole(affected),
                "Unit population": whole(first.get("unit_population")),
            }
        )
    return pd.DataFrame(rows)


def plan_table(
    plan: pd.DataFrame,
    unit_names: Mapping[str, str],
    site_names: Mapping[str, str],
    distance: float,
) -> pd.DataFrame:
    """The proposed centres with the names of the units they serve and of the sites in reasons."""
    table = pd.DataFrame(
        {
            "Centre (site)": [
                f"{name} ({kind})" if not _missing(kind) else str(name)
                for name, kind in zip(
                    plan["name"], plan.get("kind", [None] * len(plan)), strict=True
                )
            ],
            "Units served": [_codes_named(v, unit_names) for v in plan["units_served"]],
        }
    )
    if "stop_distance" in plan.columns:
        table["To intercity stop"] = [_metres(v) for v in plan["stop_distance"]]
    if "meets_rule" in plan.columns:
        table[f"Within {distance:.0f} m"] = ["yes" if bool(v) else "no" for v in plan["meets_rule"]]
    if "population" in plan.columns:
        table["Population served"] = [whole(v) for v in plan["population"]]
    if "mean_distance" in plan.columns:
        # Population sits on grid cells: a mean distance is good to tens of metres at best.
        table["Mean distance to it"] = [_metres(v, 10) for v in plan["mean_distance"]]
    if "reason" in plan.columns:
        name_sites = _site_namer(site_names, plan["reason"].astype(str))
        table["Why here"] = [name_sites(str(v)) for v in plan["reason"]]
    return table


#: Whole numbers of four or more digits standing alone (not codes with a leading zero, not ids
#: such as ``stop hub:16238``, not decimals).
_BARE_NUMBER = re.compile(r"(?<![\w:.,-])([1-9]\d{3,})(?![\w:.,-])")


def _separated(text: str) -> str:
    """``"96612 of 674510 people"`` -> ``"96,612 of 674,510 people"``."""
    return _BARE_NUMBER.sub(lambda m: f"{int(m.group(1)):,}", text)


def _site_namer(site_names: Mapping[str, str], texts: pd.Series) -> Callable[[str], str]:
    """A function writing each site id of a text (``stop hub:16238``) with its name beside it.

    Only the ids found in ``texts`` go into the pattern (thousands of candidates, a few named),
    and it is compiled once for the whole table.
    """
    everything = "\n".join(texts)
    runs = _id_runs(everything)
    # Searching the whole text for every id is slow (tens of thousands of ids); an id can only
    # match where each of its runs of id characters is one of the text's.
    present = sorted(
        (k for k in site_names if k and _may_occur(k, runs) and k in everything),
        key=len,
        reverse=True,
    )
    if not present:
        return lambda text: text
    # Whole ids only: "lib-1" is not named inside "lib-12".
    pattern = re.compile(
        r"(?<![\w:-])(?:" + "|".join(re.escape(k) for k in present) + r")(?![\w-])"
    )
    return lambda text: pattern.sub(lambda m: f"{site_names[m.group(0)]} ({m.group(0)})", text)


_ID_CHARS = re.compile(r"[\w:-]+")


def _id_runs(text: str) -> set[str]:
    """The runs of id characters of ``text``, and each run cut before each of its colons.

    Where the namer's pattern matches an id, the text has no id character before it and none
    but a colon after it, so every run of id characters of the id (``stop``, ``hub:16238``) is
    one of these strings.
    """
    found: set[str] = set()
    for run in _ID_CHARS.findall(text):
        found.add(run)
        colon = run.find(":")
        while colon != -1:
            found.add(run[:colon])
            colon = run.find(":", colon + 1)
    return found


def _may_occur(site_id: str, runs: set[str]) -> bool:
    """Whether ``site_id`` can match in a text whose :func:`_id_runs` are ``runs``."""
    return all(run in runs for run in _ID_CHARS.findall(site_id))


def shared_units_table(shared: pd.DataFrame) -> pd.DataFrame:
    """Units that share a centre, in words."""
    return pd.DataFrame(
        {
            "Town": [
                f"{n} ({c})" for n, c in zip(shared["town_name"], shared["town_code"], strict=True)
            ],
            "Parish": [
                f"{n} ({c})"
                for n, c in zip(shared["parish_name"], shared["parish_code"], strict=True)
            ],
            "Combined population": [whole(v) for v in shared["combined_population"]],
            "Rule": shared["rule"].astype(str).to_numpy(),
            "Why": shared["reason"].astype(str).to_numpy(),
        }
    )


def comparison_table(comparison: pd.DataFrame, distance: float) -> pd.DataFrame:
    """The comparison with one row per measure and one column per scenario (fits a page).

    Counts of people beyond a distance carry their share of the population on the same line.
    """
    frame = comparison
    if "scenario" in frame.columns:
        frame = frame.set_index("scenario")
    measures: list[tuple[str, list[str]]] = []

    def add(label: str, values: list[str]) -> None:
        measures.append((label, values))

    if "sites" in frame:
        add("Centres", [whole(v) for v in frame["sites"]])
    if "sites_meeting_rule" in frame:
        shares = frame.get("share_meeting_rule", pd.Series(np.nan, index=frame.index))
        add(
            f"Centres within {distance:.0f} m of an intercity stop",
            [
                f"{whole(n)} ({percent(s)})"
                for n, s in zip(frame["sites_meeting_rule"], shares, strict=True)
            ],
        )
    if "population" in frame:
        add("Population", [whole(v) for v in frame["population"]])
    if "mean_distance_m" in frame:
        add(
            "Mean distance to the nearest centre",
            [_metres(v, 10) for v in frame["mean_distance_m"]],
        )
    for column in frame.columns:
        found = re.fullmatch(r"population_beyond_(\d+(?:\.\d+)?)m", str(column))
        if found is None:
            continue
        metres = float(found.group(1))
        share = frame.get(f"share_beyond_{found.group(1)}m", pd.Series(np.nan, index=frame.index))
        add(
            f"People farther than {_km(metres)} from a centre",
            [f"{whole(n)} ({percent(s)})" for n, s in zip(frame[column], share, strict=True)],
        )
    if "population_unreached" in frame:
        add("People with no reachable centre", [whole(v) for v in frame["population_unreached"]])
    if "units_without_centre" in frame:
        add("Units without a centre", [whole(v) for v in frame["units_without_centre"]])
    if "method" in frame:
        add("Distances measured as", [_METHOD_WORDS.get(str(v), str(v)) for v in frame["method"]])
    names = [str(s) for s in frame.index]
    names = [{"plan": "Plan", "existing": "Existing network"}.get(n, n) for n in names]
    return pd.DataFrame(
        [[label, *values] for label, values in measures], columns=["Measure", *names]
    )


def _km(metres: float) -> str:
    return f"{metres:.0f} m" if metres < 1000 else f"{metres / 1000:g} km"


def inputs_table(inputs: pd.DataFrame) -> pd.DataFrame:
    """The inputs table with headers in words and whole-number counts."""
    labels = {
        "dataset": "Dataset",
        "status": "Status",
        "source": "File",
        "rows": "Rows kept",
        "rejected": "Rows rejected",
        "consequence": "What it costs the analysis",
    }
    table = inputs.rename(columns=labels)
    for column in ("Rows kept", "Rows rejected"):
        if column in table:
            table[column] = [whole(v) for v in table[column]]
    return table.fillna(MISSING)
