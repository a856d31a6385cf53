"""A summary of the demo region's layers: counts, kinds, totals, CRS, bounds and load reports."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
from pyproj import Transformer

from .. import settings
from .._loadreport import get_report


def summarise_layers(layers: dict[str, Any]) -> dict[str, Any]:
    """Counts, kinds, totals, CRS and bounds of loaded layers, with their load reports.

    Parameters
    ----------
    layers
        As returned by :func:`accessibility.demo.region.load_region` (any subset of ``units``,
        ``municipalities``, ``population``, ``stops``, ``libraries``, ``centres``, ``streets``).

    Returns
    -------
    dict
        JSON-ready summary.
    """
    summary: dict[str, Any] = {"crs": settings.CRS, "layers": {}}
    for name, layer in layers.items():
        if not hasattr(layer, "columns"):
            continue
        entry: dict[str, Any] = {"rows": len(layer)}
        for column in ("unit_kind", "municipality_kind", "kind", "mode", "highway"):
            if column in layer.columns:
                entry[f"by_{column}"] = {
                    str(k): int(v) for k, v in layer[column].value_counts().sort_index().items()
                }
        if name == "population":
            for year, group in layer.groupby("year"):
                entry.setdefault("total_by_year", {})[str(year)] = int(group["population"].sum())
        if name == "stops" and "intercity" in layer.columns:
            entry["intercity"] = int(layer["intercity"].sum())
            if "routes_truncated" in layer.columns:
                entry["routes_truncated"] = int(layer["routes_truncated"].sum())
        if isinstance(layer, gpd.GeoDataFrame) and len(layer):
            entry["crs"] = layer.crs.to_string() if layer.crs is not None else None
            entry["bounds"] = [round(float(v), 1) for v in layer.total_bounds]
            if name == "streets":
                entry["length_km"] = round(float(layer.length.sum()) / 1000.0, 3)
        report = get_report(layer)
        if report:
            entry["load_report"] = {k: v for k, v in report.items() if k != "rejected_rows"}
        summary["layers"][name] = entry
    units = layers.get("units")
    if isinstance(units, gpd.GeoDataFrame) and len(units):
        west, south, east, north = units.total_bounds
        to_lonlat = Transformer.from_crs(settings.CRS, settings.LONLAT_CRS, always_xy=True)
        lon, lat = to_lonlat.transform(np.array([west, east]), np.array([south, north]))
        summary["bounds_lonlat"] = [
            round(float(lon[0]), 5),
            round(float(lat[0]), 5),
            round(float(lon[1]), 5),
            round(float(lat[1]), 5),
        ]
    return summary


def summary_markdown(summary: dict[str, Any]) -> str:
    """The summary as a short Markdown report."""
    lines = ["# Synthetic region: layer summary", "", f"Working CRS: {summary['crs']}", ""]
    if "bounds_lonlat" in summary:
        w, s, e, n = summary["bounds_lonlat"]
        lines += [f"Extent: longitude {w}–{e}, latitude {s}–{n}", ""]
    lines += ["| layer | rows | details |", "|---|---:|---|"]
    for name, entry in summary["layers"].items():
        details = []
        for key, value in entry.items():
            if key.startswith("by_"):
                details.append(", ".join(f"{k} {v}" for k, v in value.items()))
        if "total_by_year" in entry:
            details.append(
                "population " + ", ".join(f"{y}: {v:,}" for y, v in entry["total_by_year"].items())
            )
        if "intercity" in entry:
            details.append(f"intercity {entry['intercity']}")
        if "routes_truncated" in entry:
            details.append(f"route list cut {entry['routes_truncated']}")
        if "length_km" in entry:
            details.append(f"{entry['length_km']} km")
        rejected = entry.get("load_report", {}).get("rejected")
        if rejected:
            details.append(f"rejected {rejected}")
        lines.append(f"| {name} | {entry['rows']:,} | {'; '.join(details)} |")
    return "\n".join(lines) + "\n"
