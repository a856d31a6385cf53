"""How fairly distance to the nearest centre is shared: thresholds, mean, P90, Gini, Theil, Palma.

Every measure is population-weighted: a population point of weight ``w`` counts as ``w`` people
at the same distance. People with no centre in reach (an infinite distance, e.g. beyond a network
cutoff) are counted in ``population_unreached`` and outside every threshold, but left out of the
mean, the percentile and the inequality indices (which need finite distances).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._errors import AccessibilityError

#: Label of the national row of :func:`distance_fairness`.
NATIONAL = "national"

#: Measures of :func:`distance_distribution`, in table order (threshold shares come after
#: ``population_unreached``).
MEASURES: tuple[str, ...] = (
    "population",
    "population_unreached",
    "mean_distance_m",
    "p90_distance_m",
    "gini",
    "theil",
    "palma",
)


def distance_distribution(
    distance: Any, weights: Any, thresholds: Sequence[float] = (700.0, 2000.0, 5000.0, 10000.0)
) -> dict[str, float]:
    """Distribution measures of one population's distances to its nearest centre.

    Parameters
    ----------
    distance
        Distance (metres) of every population point to its nearest centre (``inf``: none in reach).
    weights
        People at every point (non-negative).
    thresholds
        Distances (metres) for ``share_within_<t>m``.

    Returns
    -------
    dict
        ``population``, ``population_unreached``, ``share_within_<t>m`` per threshold (of all
        people, the unreached included), ``mean_distance_m``, ``p90_distance_m`` (the smallest
        distance within which at least 90 % of the reached people live), ``gini`` (mean absolute
        difference over twice the mean), ``theil`` (Theil's T: mean of ``x/μ · ln(x/μ)``), and
        ``palma`` (share of the total distance travelled by the farthest 10 % over that of the
        nearest 40 %; ``inf`` when the nearest 40 % travel nothing). NaN when nobody is reached.
    """
    d = np.asarray(distance, dtype=float).ravel()
    w = np.asarray(weights, dtype=float).ravel()
    if d.shape != w.shape:
        raise AccessibilityError(f"{d.size} distances but {w.size} weights")
    if np.isnan(d).any():
        raise AccessibilityError("distances hold NaN; use inf for a point with no centre in reach")
    if (w < 0).any() or np.isnan(w).any():
        raise AccessibilityError("weights must be non-negative numbers")
    if (d < 0).any():
        raise AccessibilityError("distances must be non-negative")
    total = float(w.sum())
    reached = np.isfinite(d)
    out: dict[str, float] = {
        "population": total,
        "population_unreached": float(w[~reached].sum()),
    }
    for t in thresholds:
        within = float(w[reached & (d <= t)].sum())
        out[f"share_within_{t:g}m"] = within / total if total > 0 else float("nan")
    x, v = d[reached], w[reached]
    keep = v > 0
    x, v = x[keep], v[keep]
    people = float(v.sum())
    nan = float("nan")
    if people <= 0:
        out.update(mean_distance_m=nan, p90_distance_m=nan, gini=nan, theil=nan, palma=nan)
        return out
    order = np.argsort(x, kind="stable")
    x, v = x[order], v[order]
    mean = float(v @ x / people)
    cum = np.cumsum(v)
    out["mean_distance_m"] = mean
    # The inverse of the weighted distribution function at 0.9 (no interpolation between
    # points: a distance someone actually travels). A tiny tolerance absorbs rounding in cum.
    out["p90_distance_m"] = float(x[np.searchsorted(cum, 0.9 * people * (1 - 1e-12))])
    if mean <= 0:
        out.update(gini=nan, theil=nan, palma=nan)
        return out
    # Lorenz curve of distance over people sorted nearest first: F people share, L distance share.
    F = np.concatenate([[0.0], cum / people])
    L = np.concatenate([[0.0], np.cumsum(v * x) / (people * mean)])
    out["gini"] = float(1.0 - np.sum(np.diff(F) * (L[1:] + L[:-1])))
    ratio = x / mean
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(ratio > 0, ratio * np.log(ratio), 0.0)
    out["theil"] = float(v @ terms / people)
    bottom = float(np.interp(0.4, F, L))
    top = 1.0 - float(np.interp(0.9, F, L))
    out["palma"] = top / bottom if bottom > 0 else float("inf")
    return out


def distance_fairness(
    distance: Any,
    weights: Any,
    groups: Any = None,
    *,
    thresholds: Sequence[float] = (700.0, 2000.0, 5000.0, 10000.0),
    names: Mapping[Any, str] | None = None,
) -> pd.DataFrame:
    """Distribution measures nationally and per group (e.g. municipality), one row each.

    Parameters
    ----------
    distance, weights, thresholds
        As for :func:`distance_distribution`, one entry per population point.
    groups
        A label per point (e.g. its municipality code); None for the national row only. Points
        without a label count nationally only.
    names
        Optional label -> name, added as a ``name`` column.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``area`` (``"national"`` first, then the labels sorted), the columns of
        :func:`distance_distribution`.
    """
    d = np.asarray(distance, dtype=float).ravel()
    w = np.asarray(weights, dtype=float).ravel()
    rows: list[dict[str, Any]] = [
        {"area": NATIONAL, **distance_distribution(d, w, thresholds)},
    ]
    if groups is not None:
        labels = pd.Series(np.asarray(groups, dtype=object).ravel())
        if labels.size != d.size:
            raise AccessibilityError(f"{d.size} distances but {labels.size} group labels")
        valid = labels.notna().to_numpy()
        for label in sorted(labels[valid].astype(str).unique()):
            mask = valid & (labels.astype(str) == label).to_numpy()
            rows.append({"area": label, **distance_distribution(d[mask], w[mask], thresholds)})
    table = pd.DataFrame(rows).set_index("area")
    if names is not None:
        table.insert(
            0, "name", [names.get(a, NATIONAL if a == NATIONAL else None) for a in table.index]
        )
    return table


def fairness_line(measures: Mapping[str, float]) -> str:
    """One plain sentence of a row of :func:`distance_distribution` (for reports and popups)."""
    return (
        f"mean {measures['mean_distance_m']:,.0f} m, 90 % within {measures['p90_distance_m']:,.0f} m; "
        f"Gini {measures['gini']:.3f}, Theil {measures['theil']:.3f}, Palma {measures['palma']:.2f}"
    )
