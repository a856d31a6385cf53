"""Coverage: the whole analysis in one call (:func:`assess`), its result and how it is written.

The measures themselves are in modules by concern: :mod:`.rule` (the stop rule, proxy sites),
:mod:`.by_unit` (the table per unit), :mod:`.gaps` (ranked gaps, the summary figures) and
:mod:`._terms` (statuses and defaults); their public names are importable from here too.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from .. import settings
from ..io.write import write_csv, write_gpkg_layers, write_json, write_text
from ._terms import (
    DEFAULT_THRESHOLDS,
    DEFAULT_TOLERANCE_M,
    GAP_KINDS,
    STATUS_FAILS,
    STATUS_MEETS,
    STATUS_NONE,
    STATUS_NOT_ASSESSED,
    STATUS_UNMEASURED,
    STATUS_VALUES,
)
from ._text import for_file
from .by_unit import unit_coverage
from .demand import DEFAULT_RESOLUTION_M, population_points
from .gaps import gaps, summary
from .rule import proxy_sites, stop_rule

# The coverage layer's public names, defined in its modules by concern and gathered here.
__all__ = [
    "DEFAULT_THRESHOLDS",
    "DEFAULT_TOLERANCE_M",
    "GAP_KINDS",
    "STATUS_FAILS",
    "STATUS_MEETS",
    "STATUS_NONE",
    "STATUS_NOT_ASSESSED",
    "STATUS_UNMEASURED",
    "STATUS_VALUES",
    "CoverageResult",
    "assess",
    "gaps",
    "proxy_sites",
    "stop_rule",
    "summary",
    "unit_coverage",
    "write_coverage",
]


def assess(
    units: gpd.GeoDataFrame,
    stops: gpd.GeoDataFrame | None = None,
    centres: gpd.GeoDataFrame | None = None,
    population: pd.DataFrame | None = None,
    network: Any = None,
    *,
    sites: gpd.GeoDataFrame | None = None,
    site_label: str = "sites",
    municipalities: pd.DataFrame | None = None,
    distance: float = settings.STOP_RULE_DISTANCE_M,
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
    gap_threshold: float | None = None,
    points: gpd.GeoDataFrame | None = None,
    resolution: float = DEFAULT_RESOLUTION_M,
    year: int | None = None,
    fallback: bool = False,
    max_snap: float | None = None,
) -> CoverageResult:
    """Run the whole coverage analysis: unit table, stop rule for ``sites``, gaps and summary.

    ``sites`` default to the centres; ``points`` (population points) are built from
    ``population`` at ``resolution`` when not given. Other parameters are those of
    :func:`unit_coverage`, :func:`stop_rule`, :func:`gaps` and :func:`summary`.

    Returns
    -------
    CoverageResult
    """
    if points is None and population is not None and centres is not None:
        points = population_points(units, population, resolution=resolution, year=year)
    table = unit_coverage(
        units,
        stops,
        centres,
        population,
        network,
        distance=distance,
        thresholds=thresholds,
        points=points,
        year=year,
        fallback=fallback,
        max_snap=max_snap,
    )
    checked = None
    if sites is None:
        sites = centres
    if sites is not None and stops is not None:
        checked = stop_rule(
            sites, stops, distance, network, units=units, fallback=fallback, max_snap=max_snap
        )
    ranked = gaps(table, threshold=gap_threshold)
    headline = summary(table, checked, municipalities=municipalities, site_label=site_label)
    return CoverageResult(units=table, sites=checked, gaps=ranked, summary=headline, points=points)


def write_coverage(
    result: CoverageResult | Mapping[str, Any], out_dir: str | os.PathLike[str]
) -> dict[str, Path]:
    """Write a coverage result: a GeoPackage of layers, CSV tables and the summary (JSON and text).

    Every file is written atomically.

    Parameters
    ----------
    result
        A :class:`CoverageResult`, or a mapping with any of the keys ``units``, ``sites``, ``gaps``,
        ``points`` and ``summary``.
    out_dir
        Output folder (created if needed).

    Returns
    -------
    dict
        Written path per output name: ``gpkg`` (``coverage.gpkg``, layers ``units``, ``sites``,
        ``gaps``, ``population_points``), ``units_csv``, ``sites_csv``, ``gaps_csv``,
        ``summary_json``, ``summary_txt``.
    """
    parts = result.as_dict() if isinstance(result, CoverageResult) else dict(result)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    layers: dict[str, gpd.GeoDataFrame] = {}
    units = parts.get("units")
    if units is not None:
        layers["units"] = for_file(units)
        written["units_csv"] = write_csv(
            out / "units.csv", pd.DataFrame(units.drop(columns=units.geometry.name))
        )
    sites = parts.get("sites")
    if sites is not None:
        layers["sites"] = for_file(sites)
        table = pd.DataFrame(sites.drop(columns=sites.geometry.name))
        table["x"] = sites.geometry.x.round(2).to_numpy()
        table["y"] = sites.geometry.y.round(2).to_numpy()
        written["sites_csv"] = write_csv(out / "sites.csv", table)
    ranked = parts.get("gaps")
    if ranked is not None:
        written["gaps_csv"] = write_csv(out / "gaps.csv", ranked)
        if units is not None:
            shapes = units.set_index("unit_code").geometry
            layers["gaps"] = gpd.GeoDataFrame(
                ranked.copy(), geometry=ranked["unit_code"].map(shapes).to_numpy(), crs=units.crs
            )
    points = parts.get("points")
    if points is not None:
        layers["population_points"] = for_file(points)
    if layers:
        written["gpkg"] = write_gpkg_layers(out / "coverage.gpkg", layers)
    headline = parts.get("summary")
    if headline is not None:
        written["summary_json"] = write_json(out / "summary.json", headline)
        written["summary_txt"] = write_text(out / "summary.txt", headline.get("text", "") + "\n")
    return written


@dataclass
class CoverageResult:
    """The outputs of :func:`assess`.

    Attributes
    ----------
    units
        The :func:`unit_coverage` table.
    sites
        The :func:`stop_rule` result for the sites (None without sites or stops).
    gaps
        The :func:`gaps` table.
    summary
        The :func:`summary` dict.
    points
        The population points used (None without population or centres).
    """

    units: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame | None = None
    gaps: pd.DataFrame = field(default_factory=pd.DataFrame)
    summary: dict[str, Any] = field(default_factory=dict)
    points: gpd.GeoDataFrame | None = None

    def as_dict(self) -> dict[str, Any]:
        """The parts by name (the keys :func:`write_coverage` accepts)."""
        return {
            "units": self.units,
            "sites": self.sites,
            "gaps": self.gaps,
            "summary": self.summary,
            "points": self.points,
        }
