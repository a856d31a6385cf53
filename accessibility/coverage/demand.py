"""Population placement: unit totals spread to grid points, totals preserved exactly."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import settings
from .._errors import AccessibilityError, MissingColumnError, ResourceLimitError
from .._layers import is_checked
from .._loadreport import LoadReport, attach
from ..io.units import assign_units
from ..projection import to_working_crs

#: Default cell size of the population grid, metres.
DEFAULT_RESOLUTION_M: float = 1000.0

#: Columns of the population points layer.
POINT_COLUMNS: tuple[str, ...] = ("unit_code", "population", "method", "geometry")

#: Method named on points of a unit smaller than one grid cell.
METHOD_REPRESENTATIVE_POINT = "representative point (unit smaller than one cell)"


def population_points(
    units: gpd.GeoDataFrame,
    population: pd.DataFrame,
    *,
    resolution: float = DEFAULT_RESOLUTION_M,
    year: int | None = None,
    weights: gpd.GeoDataFrame | None = None,
    weight_column: str | None = None,
    weight_name: str | None = None,
) -> gpd.GeoDataFrame:
    """Spread each unit's population over a regular grid clipped to the unit.

    The grid is aligned on multiples of ``resolution`` in EPSG:3059, so neighbouring units share
    cell edges. Each cell is clipped to the unit; the unit's total is shared among the clipped
    cells in proportion to their area (or to the ``weights`` they hold) and rounded to whole
    people by the largest-remainder method, so the points of a unit sum to its total exactly.
    A unit smaller than one cell gets one point at its representative point.

    Parameters
    ----------
    units
        Territorial units (``unit_code``, ``geometry``), any CRS.
    population
        Table with ``unit_code`` and ``population`` (and ``year`` when it holds several years).
    resolution
        Cell size in metres (default 1 km).
    year
        Year to use when ``population`` holds several; default the latest.
    weights
        Optional points (for example stops or settlements) that say where people live within a
        unit: a cell's share is the number of weight points in it (or the sum of
        ``weight_column``). A unit with no weight point falls back to area weighting, and its
        points say so in ``method``.
    weight_column
        Column of ``weights`` holding a non-negative weight per point; default one per point.
    weight_name
        Name of the weight layer used in ``method`` (default ``"weight points"``).

    Returns
    -------
    geopandas.GeoDataFrame
        Points in EPSG:3059 with ``unit_code``, ``population`` (int64, people at the point),
        ``method`` (how the point was placed) and ``geometry``; points that receive nobody are
        left out. Units without a population figure get no points and are listed as rejected in
        the load report (``accessibility.get_report``), with population rows naming no unit.

    Raises
    ------
    MissingColumnError
        If a required column is missing.
    AccessibilityError
        If the resolution is not positive, the year is absent, a unit appears twice in the
        population table, or a population is negative or fractional.
    """
    if not resolution > 0:
        raise AccessibilityError(
            f"grid resolution must be a positive number of metres, got {resolution!r}"
        )
    units = _check_units(units)
    totals, report = _unit_totals(units, population, year=year)
    weighted = weights is not None
    name = weight_name or "weight points"

    with_population = units[units["unit_code"].isin(totals.index)]
    empty = with_population.geometry.isna() | with_population.geometry.is_empty
    for code in with_population.loc[empty, "unit_code"]:
        report.reject(
            code, "unit has no geometry: population not placed", field="geometry", id=code
        )
    with_population = with_population[~empty]
    pieces = _grid_pieces(with_population, resolution)
    on_grid = pieces["method"] == ""
    pieces.loc[on_grid, "method"] = f"grid {resolution:g} m, area-weighted"
    if weighted:
        pieces = _apply_weights(pieces, with_population, weights, weight_column, resolution)
        has_weight = pieces.groupby("unit_code")["weight"].transform("sum") > 0
        pieces.loc[on_grid & has_weight, "method"] = f"grid {resolution:g} m, weighted by {name}"
        pieces.loc[on_grid & ~has_weight, "method"] = (
            f"grid {resolution:g} m, area-weighted (no {name} in unit)"
        )
        pieces.loc[~has_weight, "weight"] = pieces.loc[~has_weight, "area"]
    else:
        pieces["weight"] = pieces["area"]

    pieces["total"] = pieces["unit_code"].map(totals).astype("int64")
    pieces["population"] = _largest_remainder(pieces)
    placed = pieces[pieces["population"] > 0]
    points = gpd.GeoDataFrame(
        {
            "unit_code": placed["unit_code"].to_numpy(),
            "population": placed["population"].to_numpy(dtype="int64"),
            "method": placed["method"].to_numpy(),
        },
        geometry=placed["point"].to_numpy(),
        crs=settings.CRS,
    )
    report.read = len(units)
    report.notes.update(
        {
            "resolution_m": float(resolution),
            "weights": name if weighted else None,
            "population_placed": int(points["population"].sum()),
            "points": len(points),
            "units_with_points": int(points["unit_code"].nunique()),
            "by_method": _describe(points),
        }
    )
    return attach(points, report)


def population_centres(
    points: gpd.GeoDataFrame, units: gpd.GeoDataFrame | None = None
) -> gpd.GeoDataFrame:
    """The population-weighted centre of each unit's points.

    Parameters
    ----------
    points
        Output of :func:`population_points`.
    units
        The units; when given, a centre that falls outside its unit (a crescent-shaped unit,
        say) is moved to the unit's populated point nearest to it, so the centre stays inside.

    Returns
    -------
    geopandas.GeoDataFrame
        One point per unit with people: ``unit_code``, ``population`` and ``geometry``
        (EPSG:3059), sorted by ``unit_code``.
    """
    points = to_working_crs(points)
    frame = pd.DataFrame(
        {
            "unit_code": points["unit_code"].to_numpy(),
            "w": points["population"].to_numpy(dtype=float),
            "x": points.geometry.x.to_numpy(),
            "y": points.geometry.y.to_numpy(),
        }
    )
    frame = frame[frame["w"] > 0]
    frame["wx"] = frame["w"] * frame["x"]
    frame["wy"] = frame["w"] * frame["y"]
    sums = frame.groupby("unit_code", sort=True)[["w", "wx", "wy"]].sum()
    centres = gpd.GeoDataFrame(
        {
            "unit_code": sums.index.to_numpy(),
            "population": sums["w"].to_numpy().round().astype("int64"),
        },
        geometry=gpd.points_from_xy(sums["wx"] / sums["w"], sums["wy"] / sums["w"]),
        crs=settings.CRS,
    )
    if units is not None:
        units = _check_units(units)
        shape = units.set_index("unit_code").geometry.reindex(centres["unit_code"]).to_numpy()
        outside = ~shapely.covers(shape, centres.geometry.to_numpy())
        outside &= ~pd.isna(shape)
        for i in np.flatnonzero(outside):
            code = centres.at[i, "unit_code"]
            own = frame[frame["unit_code"] == code]
            candidates = gpd.points_from_xy(own["x"], own["y"])
            # Moving to the nearest populated point keeps the proxy where people actually are.
            nearest = int(np.argmin(shapely.distance(candidates, centres.geometry.iloc[i])))
            centres.loc[i, "geometry"] = candidates[nearest]
    return centres


def _check_units(units: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Units in the working CRS with text unit codes; raises on a missing column or duplicate code.

    Units marked by :func:`~accessibility.io.units.load_units` are trusted (checked on load).
    """
    trusted = is_checked(units, "units")
    if not trusted:
        for column in ("unit_code", "geometry"):
            if column not in units.columns:
                raise MissingColumnError(None, "units layer has no such column", field=column)
        units = to_working_crs(units)
    units = units.copy()
    units["unit_code"] = units["unit_code"].astype(str)
    duplicated = units["unit_code"][units["unit_code"].duplicated()] if not trusted else ()
    if len(duplicated):
        raise AccessibilityError(
            f"units layer holds unit_code {duplicated.iloc[0]!r} more than once"
        )
    return units


def _unit_totals(
    units: gpd.GeoDataFrame, population: pd.DataFrame, *, year: int | None
) -> tuple[pd.Series, LoadReport]:
    """Population per unit code for one year, and a report of units without a figure."""
    for column in ("unit_code", "population"):
        if column not in population.columns:
            raise MissingColumnError(None, "population table has no such column", field=column)
    table = pd.DataFrame(population).copy()
    table["unit_code"] = table["unit_code"].astype(str)
    if "year" in table.columns and table["year"].nunique(dropna=True) > 0:
        years = sorted(int(y) for y in table["year"].dropna().unique())
        chosen = years[-1] if year is None else int(year)
        if chosen not in years:
            raise AccessibilityError(
                f"population table has no year {chosen}; it holds {', '.join(map(str, years))}"
            )
        table = table[table["year"] == chosen]
    else:
        chosen = year
    duplicated = table["unit_code"][table["unit_code"].duplicated()]
    if len(duplicated):
        raise AccessibilityError(
            f"population table holds unit_code {duplicated.iloc[0]!r} more than once for year {chosen}"
        )
    values = pd.to_numeric(table["population"], errors="coerce")
    values.index = table["unit_code"].to_numpy()
    known = values.dropna()
    if (known < 0).any():
        bad = known[known < 0].index[0]
        raise AccessibilityError(f"population of unit {bad!r} is negative ({known[bad]:g})")
    if (known != np.round(known)).any():
        bad = known[known != np.round(known)].index[0]
        raise AccessibilityError(
            f"population of unit {bad!r} is not a whole number ({known[bad]!r})"
        )
    report = LoadReport(source="population placement")
    unit_codes = set(units["unit_code"])
    for code in units["unit_code"]:
        if code not in known.index:
            report.reject(code, "no population figure", field="population", id=code)
    report.notes["year"] = chosen
    report.notes["population_rows_without_unit"] = sorted(set(known.index) - unit_codes)
    totals = known[known.index.isin(unit_codes)].astype("int64")
    return totals, report


#: Most grid cells (over the units' bounding boxes) a population grid may have; each costs
#: about :data:`BYTES_PER_CELL` at the peak (cell, clipped piece, point and table row).
MAX_GRID_CELLS: int = 5_000_000
BYTES_PER_CELL: int = 1_000


def check_grid_size(cells: int, resolution: float) -> None:
    """Refuse a grid that would not fit in memory, before any cell is made.

    Raises
    ------
    ResourceLimitError
        Naming the resolution, the number of cells and the memory they would need.
    """
    if cells > MAX_GRID_CELLS:
        raise ResourceLimitError(
            f"a {resolution:g} m population grid would have {cells:,} cells and need about "
            f"{cells * BYTES_PER_CELL / 1024**3:,.0f} GiB of memory (limit {MAX_GRID_CELLS:,} cells); "
            "use a coarser grid_resolution"
        )


def _grid_pieces(units: gpd.GeoDataFrame, resolution: float) -> pd.DataFrame:
    """Grid cells clipped to each unit: unit_code, ix, iy, area and a point inside the piece."""
    codes = units["unit_code"].to_numpy()
    geoms = units.geometry.to_numpy()
    areas = shapely.area(geoms)
    small = areas < resolution * resolution
    frames = []
    if small.any():
        frames.append(
            pd.DataFrame(
                {
                    "unit_code": codes[small],
                    "ix": -1,
                    "iy": -1,
                    "area": areas[small],
                    "point": shapely.point_on_surface(geoms[small]),
                    "method": METHOD_REPRESENTATIVE_POINT,
                }
            )
        )
    big = np.flatnonzero(~small & (areas > 0))
    if len(big):
        bounds = shapely.bounds(geoms[big])
        x0 = np.floor(bounds[:, 0] / resolution).astype(np.int64)
        y0 = np.floor(bounds[:, 1] / resolution).astype(np.int64)
        nx = np.maximum(np.ceil(bounds[:, 2] / resolution).astype(np.int64) - x0, 1)
        ny = np.maximum(np.ceil(bounds[:, 3] / resolution).astype(np.int64) - y0, 1)
        counts = nx * ny
        check_grid_size(int(counts.sum()), resolution)
        owner = np.repeat(big, counts)
        # Position of each cell within its unit's bounding box, row-major.
        local = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        ix = np.repeat(x0, counts) + local % np.repeat(nx, counts)
        iy = np.repeat(y0, counts) + local // np.repeat(nx, counts)
        cells = shapely.box(
            ix * resolution, iy * resolution, (ix + 1) * resolution, (iy + 1) * resolution
        )
        unit_geoms = geoms[owner]
        shapely.prepare(geoms)
        touching = shapely.intersects(unit_geoms, cells)
        owner, ix, iy, cells, unit_geoms = (a[touching] for a in (owner, ix, iy, cells, unit_geoms))
        inside = shapely.contains_properly(unit_geoms, cells)
        area = np.full(len(cells), resolution * resolution)
        point = shapely.centroid(cells)
        edge = np.flatnonzero(~inside)
        clipped = shapely.intersection(cells[edge], unit_geoms[edge])
        area[edge] = shapely.area(clipped)
        centroid = shapely.centroid(clipped)
        # A clipped cell can be L-shaped or in two parts; its centroid may then lie outside it.
        off = ~shapely.covers(clipped, centroid)
        centroid[off] = shapely.point_on_surface(clipped[off])
        point[edge] = centroid
        keep = area > 0
        frames.append(
            pd.DataFrame(
                {
                    "unit_code": codes[owner[keep]],
                    "ix": ix[keep],
                    "iy": iy[keep],
                    "area": area[keep],
                    "point": point[keep],
                    "method": "",
                }
            )
        )
    if not frames:
        return pd.DataFrame(
            {"unit_code": [], "ix": [], "iy": [], "area": [], "point": [], "method": []}
        )
    pieces = pd.concat(frames, ignore_index=True)
    pieces = pieces.sort_values(
        ["unit_code", "iy", "ix"], ascending=[True, False, True], kind="stable"
    )
    return pieces.reset_index(drop=True)


def _apply_weights(
    pieces: pd.DataFrame,
    units: gpd.GeoDataFrame,
    weights: gpd.GeoDataFrame,
    weight_column: str | None,
    resolution: float,
) -> pd.DataFrame:
    """Add a ``weight`` column: the weight points (or their ``weight_column``) in each piece."""
    weights = to_working_crs(weights)
    if weight_column is not None:
        if weight_column not in weights.columns:
            raise MissingColumnError(None, "weight layer has no such column", field=weight_column)
        values = pd.to_numeric(weights[weight_column], errors="coerce").to_numpy(dtype=float)
        if np.isnan(values).any() or (values < 0).any():
            raise AccessibilityError(
                f"weight column {weight_column!r} must hold non-negative numbers"
            )
    else:
        values = np.ones(len(weights))
    located = gpd.GeoDataFrame(
        {"w": values}, geometry=weights.geometry.to_numpy(), crs=settings.CRS
    )
    shapes = units[["unit_code", "geometry"]].assign(municipality_code="")
    # Weight points outside every unit carry no information about where a unit's people live.
    joined = assign_units(located, shapes)
    joined = joined[joined["unit_code"].notna()]
    x = joined.geometry.x.to_numpy()
    y = joined.geometry.y.to_numpy()
    keyed = pd.DataFrame(
        {
            "unit_code": joined["unit_code"].to_numpy(),
            "ix": np.floor(x / resolution).astype(np.int64),
            "iy": np.floor(y / resolution).astype(np.int64),
            "w": joined["w"].to_numpy(),
        }
    )
    single = pieces["ix"] == -1
    # A unit smaller than one cell is one piece: every weight point in it belongs to it.
    keyed.loc[keyed["unit_code"].isin(pieces.loc[single, "unit_code"]), ["ix", "iy"]] = -1
    per_piece = keyed.groupby(["unit_code", "ix", "iy"])["w"].sum()
    index = pd.MultiIndex.from_arrays([pieces["unit_code"], pieces["ix"], pieces["iy"]])
    pieces = pieces.copy()
    pieces["weight"] = per_piece.reindex(index).fillna(0.0).to_numpy()
    return pieces


def _largest_remainder(pieces: pd.DataFrame) -> np.ndarray:
    """Whole people per piece: each unit's total shared by weight, rounded by largest remainder."""
    if pieces.empty:
        return np.zeros(0, dtype=np.int64)
    unit = pieces["unit_code"].to_numpy()
    weight = pieces["weight"].to_numpy(dtype=float)
    total = pieces["total"].to_numpy(dtype=np.int64)
    weight_sum = pd.Series(weight).groupby(unit).transform("sum").to_numpy()
    quota = np.where(
        weight_sum > 0, total * weight / np.where(weight_sum > 0, weight_sum, 1.0), 0.0
    )
    base = np.floor(quota).astype(np.int64)
    fraction = quota - base
    left = total - pd.Series(base).groupby(unit).transform("sum").to_numpy()
    order = pd.DataFrame({"unit": unit, "fraction": -fraction, "position": np.arange(len(unit))})
    order = order.sort_values(["unit", "fraction", "position"], kind="stable")
    rank = order.groupby("unit").cumcount().to_numpy()
    extra = np.zeros(len(unit), dtype=np.int64)
    extra[order.index.to_numpy()] = (rank < left[order.index.to_numpy()]).astype(np.int64)
    result = base + extra
    _fix_overshoot(result, unit, total, fraction)
    return result


def _fix_overshoot(
    result: np.ndarray, unit: np.ndarray, total: np.ndarray, fraction: np.ndarray
) -> None:
    """Take back people where floating-point rounding floored a unit above its total (rare)."""
    sums = pd.Series(result).groupby(unit).transform("sum").to_numpy()
    for code in np.unique(unit[sums > total]):
        rows = np.flatnonzero(unit == code)
        excess = int(result[rows].sum() - total[rows[0]])
        for row in rows[np.argsort(fraction[rows], kind="stable")]:
            if excess == 0:
                break
            if result[row] > 0:
                result[row] -= 1
                excess -= 1


def _describe(points: gpd.GeoDataFrame) -> dict[str, Any]:
    """Points and people per placement method (for reports)."""
    grouped = points.groupby("method")["population"].agg(["size", "sum"])
    return {
        method: {"points": int(row["size"]), "population": int(row["sum"])}
        for method, row in grouped.iterrows()
    }
