"""Load sites (libraries, client service centres) from CSV, GeoJSON/GeoPackage or OpenStreetMap."""

from __future__ import annotations

from os import PathLike
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from .. import settings
from .._errors import InputFileError, MissingColumnError
from .._layers import mark_checked
from .._loadreport import LoadReport, attach
from ._osm import osm_generator, read_osm
from ._points import (
    coordinate_columns,
    feature_row,
    find_column,
    reject_duplicates_and_missing_ids,
    reject_outside,
    spreadsheet_row,
    table_points,
    vector_points,
)
from ._tables import read_text_table, read_vector

#: Column names read as the site id and the site name (compared without case).
ID_NAMES: tuple[str, ...] = ("site_id", "id")
NAME_NAMES: tuple[str, ...] = ("name", "nosaukums", "title")

_TABLE_SUFFIXES = (".csv", ".txt", ".tsv")
_VECTOR_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".fgb", ".zip")
_OSM_SUFFIXES = (".osm", ".osm.pbf", ".pbf", ".osm.gz", ".osm.bz2")

#: OpenStreetMap tags of a library.
LIBRARY_TAGS: dict[str, str] = {"amenity": "library"}

_REASON_MISSING_WAY_NODES = "OSM way with nodes missing from the file"
_REASON_AREA_WITH_NODE = "OSM library area holding a library node (counted once, as the node)"


def load_libraries(
    path: str | PathLike[str],
    *,
    crs: Any = None,
    address_column: str | None = None,
    register: Any = None,
) -> gpd.GeoDataFrame:
    """Load libraries from a table, a vector layer or OpenStreetMap data.

    Parameters
    ----------
    path
        One of:

        * CSV with ``lon``/``lat`` (or ``longitude``/``latitude``, ``lng``) columns, or
          ``x``/``y`` columns in the CRS given by ``crs`` (required for x/y: without it the
          coordinates could be anything, and a guess could misplace every site);
        * GeoJSON, GeoPackage, shapefile (any CRS; polygons are taken at their centroid);
        * OpenStreetMap ``.osm`` (XML) or ``.osm.pbf``: objects tagged ``amenity=library``,
          nodes as points and ways (building outlines) at their centroid. A way that holds a
          library node is the same library drawn twice and is skipped (the node is kept).
          Multipolygon relations are not assembled; their number is in
          ``notes["relations_not_read"]``.
    crs
        CRS of x/y columns in a CSV, or of a vector layer that states none.
    address_column, register
        Locate the sites by address instead of coordinates: the column of the table holding
        the address, and the address points to match it against (a GeoDataFrame, a VZD
        ``AW_EKA.CSV`` or a point layer with an address column; see
        :mod:`accessibility.io.addresses`). Unmatched and ambiguous addresses are rejected with
        the reason; the match quality is in ``notes["geocoding"]``, the score of each site in
        ``geocode_score``.

    Returns
    -------
    geopandas.GeoDataFrame
        ``site_id`` (str; from a ``site_id``/``id`` column, else ``library-0001`` … by data
        row, or ``osm-node-123`` / ``osm-way-456``), ``name``, ``kind`` (a ``kind`` column in
        the file is kept, empty cells become "library"), ``geometry`` (Point, EPSG:3059), then
        the other input columns (for OSM: ``osm_type``, ``osm_id`` and one column per tag).
        The load report in ``attrs["load_report"]`` lists rejected rows (duplicate or missing
        ids, missing or non-numeric coordinates, outside Latvia) and corrected swapped
        longitude/latitude pairs (``notes["swapped_lonlat_corrected"]``): the swap is
        unambiguous because Latvia's longitude and latitude ranges do not overlap. Row numbers
        count a CSV header as row 1 and features of a vector layer from 1.

    Raises
    ------
    InputFileError
        If the file is missing, empty, unreadable or lacks coordinate columns.
    CRSError
        If coordinates are x/y without ``crs``, or a vector layer has no CRS and none is given.
    """
    return _load_sites(
        path,
        kind="library",
        crs=crs,
        osm_tags=LIBRARY_TAGS,
        address_column=address_column,
        register=register,
    )


def load_centres(
    path: str | PathLike[str],
    *,
    crs: Any = None,
    address_column: str | None = None,
    register: Any = None,
) -> gpd.GeoDataFrame:
    """Load client service centres (or any candidate sites) from a table or a vector layer.

    Formats, columns and checks as in :func:`load_libraries` (OpenStreetMap files excepted:
    centres carry no OSM tag of their own); generated ids are ``centre-0001`` … and the
    default ``kind`` is "centre". With ``address_column`` and ``register`` the centres are
    located by address (the VPVKAC contact list gives addresses, not coordinates).
    """
    return _load_sites(
        path,
        kind="centre",
        crs=crs,
        osm_tags=None,
        address_column=address_column,
        register=register,
    )


def _load_sites(
    path: str | PathLike[str],
    *,
    kind: str,
    crs: Any,
    osm_tags: dict[str, str] | None,
    address_column: str | None = None,
    register: Any = None,
) -> gpd.GeoDataFrame:
    source = Path(path)
    if not source.exists():
        raise InputFileError(source, "file not found")
    name = source.name.lower()
    if address_column is not None:
        sites, report = geocoded_sites(
            source, kind=kind, address_column=address_column, register=register, crs=crs
        )
    elif name.endswith(_OSM_SUFFIXES):
        if osm_tags is None:
            raise InputFileError(
                source,
                f"{kind} sites cannot be read from OpenStreetMap data; "
                "use a CSV, GeoJSON or GeoPackage",
            )
        sites, report = _from_osm(source, kind=kind, tags=osm_tags)
    elif source.is_dir() or name.endswith(_VECTOR_SUFFIXES):
        sites, report = _from_vector(source, kind=kind, crs=crs)
    elif name.endswith(_TABLE_SUFFIXES):
        sites, report = _from_table(source, kind=kind, crs=crs)
    else:
        raise InputFileError(
            source,
            "unknown file type: expected .csv, .geojson, .gpkg, .shp"
            + (", .osm or .osm.pbf" if osm_tags is not None else ""),
        )
    report.notes["by_kind"] = {
        str(k): int(v) for k, v in sites["kind"].value_counts().sort_index().items()
    }
    return mark_checked(attach(sites, report), "sites")


def _from_table(source: Path, *, kind: str, crs: Any) -> tuple[gpd.GeoDataFrame, LoadReport]:
    table = read_text_table(source)
    report = LoadReport(source=str(source), read=len(table))
    if "encoding_note" in table.attrs:
        report.notes["encoding"] = table.attrs["encoding_note"]
    if len(table) == 0:
        raise InputFileError(source, "holds no rows (only a header)")
    x_col, y_col, coord_crs = coordinate_columns(table, source=source, crs=crs)
    rows = [spreadsheet_row(i) for i in range(len(table))]
    attributes, keep, _ = _attributes(table, report, kind=kind, rows=rows, skip=(x_col, y_col))
    geometry, keep = table_points(
        table,
        report,
        source=source,
        x_column=x_col,
        y_column=y_col,
        crs=coord_crs,
        keep=keep,
        ids=attributes["site_id"].tolist(),
        rows=rows,
    )
    return _assemble(attributes, geometry, keep), report


def _from_vector(source: Path, *, kind: str, crs: Any) -> tuple[gpd.GeoDataFrame, LoadReport]:
    layer = read_vector(source)
    if layer.crs is None and crs is not None:
        layer = layer.set_crs(crs)
    report = LoadReport(source=str(source), read=len(layer))
    rows = [feature_row(i) for i in range(len(layer))]
    table = pd.DataFrame(layer.drop(columns=layer.geometry.name))
    attributes, keep, _ = _attributes(table, report, kind=kind, rows=rows, skip=())
    geometry, keep = vector_points(
        layer, report, source=source, keep=keep, ids=attributes["site_id"].tolist(), rows=rows
    )
    return _assemble(attributes, geometry, keep), report


def _attributes(
    table: pd.DataFrame, report: LoadReport, *, kind: str, rows: list[int], skip: tuple[str, ...]
) -> tuple[pd.DataFrame, np.ndarray, str | None]:
    """``site_id``, ``name``, ``kind`` and the other columns; rows with a bad id are rejected."""
    id_col = find_column(table.columns, ID_NAMES)
    name_col = find_column(table.columns, NAME_NAMES)
    kind_col = find_column(table.columns, ("kind",))
    if id_col is not None:
        ids = table[id_col].map(_id_text)
        keep = reject_duplicates_and_missing_ids(
            ids, report, field=str(id_col), rows=rows, id_name="site_id"
        )
    else:
        # Data row numbers, not positions after filtering: an id stays with its row.
        ids = pd.Series([f"{kind}-{i + 1:04d}" for i in range(len(table))], index=table.index)
        keep = np.ones(len(table), dtype=bool)
        report.notes["site_id_generated"] = (
            f"the file has no id column; ids are {kind}-NNNN by data row"
        )
    if name_col is not None:
        names = table[name_col].map(lambda v: v.strip() if isinstance(v, str) else v)
    else:
        names = pd.Series(None, index=table.index, dtype=object)
        report.notes["name_missing"] = "the file has no name column"
    if kind_col is not None:
        kinds = table[kind_col].map(
            lambda v: v.strip() if isinstance(v, str) and v.strip() else kind
        )
    else:
        kinds = pd.Series(kind, index=table.index)
    used = {id_col, name_col, kind_col, *skip}
    extras = {
        str(c): table[c]
        for c in table.columns
        if c not in used and str(c) not in ("site_id", "name", "kind")
    }
    attributes = pd.DataFrame(
        {"site_id": ids.astype(str), "name": names, "kind": kinds.astype(str), **extras},
        index=table.index,
    )
    return attributes, keep, id_col


def _assemble(
    attributes: pd.DataFrame, geometry: gpd.GeoSeries, keep: np.ndarray
) -> gpd.GeoDataFrame:
    out = gpd.GeoDataFrame(attributes, geometry=geometry.to_numpy(), crs=settings.CRS)
    return out.loc[keep].reset_index(drop=True)


def _id_text(value: Any) -> Any:
    """An id cell as text; whole floats (12.0, as numeric GIS fields come back) lose the '.0'."""
    if value is None or (not isinstance(value, str) and bool(pd.isna(value))):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# --------------------------------------------------------------------------- OpenStreetMap


def _from_osm(
    source: Path, *, kind: str, tags: dict[str, str]
) -> tuple[gpd.GeoDataFrame, LoadReport]:
    data = read_osm(source, node_filter=tags, way_filter=tags, relation_filter=tags)
    node_ids = np.array(sorted(data.nodes.tags), dtype=np.int64)
    report = LoadReport(source=str(source), read=len(node_ids) + len(data.ways))
    report.notes["osm_tags"] = tags
    report.notes["osm_generator"] = osm_generator(source)
    if len(data.relations):
        report.notes["relations_not_read"] = {
            "count": len(data.relations),
            "ids": data.relations.ids.tolist(),
            "why": "multipolygon relations are not assembled into areas",
        }

    to_metres = Transformer.from_crs(settings.LONLAT_CRS, settings.CRS, always_xy=True)
    records: list[dict[str, Any]] = []
    geoms: list[Any] = []
    node_lon, node_lat = data.nodes.locate(node_ids)
    node_x, node_y = to_metres.transform(node_lon, node_lat)
    node_points = shapely.points(node_x, node_y) if len(node_ids) else np.array([], dtype=object)
    for k, node_id in enumerate(node_ids.tolist()):
        records.append(_osm_record("node", node_id, data.nodes.tags[node_id], kind))
        geoms.append(node_points[k])

    closed = data.ways.is_closed()
    open_ways = 0
    for i, way_id in enumerate(data.ways.ids.tolist()):
        record = _osm_record("way", way_id, data.ways.tags[i], kind)
        lon, lat = data.way_lonlat(i)
        if np.isnan(lon).any():
            report.reject(
                f"way {way_id}", _REASON_MISSING_WAY_NODES, field="nd", id=record["site_id"]
            )
            continue
        x, y = to_metres.transform(lon, lat)
        # Centroids are taken in metres (EPSG:3059), never in degrees.
        if closed[i]:
            outline = shapely.polygons(np.column_stack([x, y]))
        elif len(x) > 1:
            outline = shapely.linestrings(np.column_stack([x, y]))
            open_ways += 1
        else:
            outline = shapely.points(x[0], y[0])
        record["_outline"] = outline
        records.append(record)
        geoms.append(shapely.centroid(outline))
    if open_ways:
        report.notes["open_ways_as_centroid"] = open_ways

    if not records:
        frame = gpd.GeoDataFrame(
            {"site_id": [], "name": [], "kind": []}, geometry=[], crs=settings.CRS
        )
        report.notes["empty"] = f"no object tagged {tags} in the file"
        return frame, report
    table = pd.DataFrame.from_records(records)
    keep = np.ones(len(table), dtype=bool)
    keep = _skip_areas_holding_nodes(table, geoms, keep, report)
    rows = [f"{t} {i}" for t, i in zip(table["osm_type"], table["osm_id"], strict=True)]
    points = gpd.GeoSeries(geoms, crs=settings.CRS)
    keep = reject_outside(
        points, keep, report, rows=rows, ids=table["site_id"].tolist(), field="geometry"
    )
    out = gpd.GeoDataFrame(
        table.drop(columns="_outline"), geometry=points.to_numpy(), crs=settings.CRS
    )
    return out.loc[keep].reset_index(drop=True), report


def _osm_record(osm_type: str, osm_id: int, tags: dict[str, str], kind: str) -> dict[str, Any]:
    record: dict[str, Any] = {
        "site_id": f"osm-{osm_type}-{osm_id}",
        "name": tags.get("name"),
        "kind": kind,
        "osm_type": osm_type,
        "osm_id": osm_id,
        "_outline": None,
    }
    for key, value in tags.items():
        if key == "name":
            continue
        # Tags never overwrite the layer's own columns (nor the geometry).
        record[key if key not in record and key != "geometry" else f"osm_{key}"] = value
    return record


def _skip_areas_holding_nodes(
    table: pd.DataFrame, geoms: list[Any], keep: np.ndarray, report: LoadReport
) -> np.ndarray:
    """Reject library areas that contain a library node: one library drawn as both."""
    is_node = (table["osm_type"] == "node").to_numpy()
    outlines = table["_outline"].to_numpy()
    areas = np.flatnonzero(
        ~is_node
        & np.array([shapely.get_type_id(o) == 3 if o is not None else False for o in outlines])
    )
    if not areas.size or not is_node.any():
        return keep
    node_points = np.asarray(geoms, dtype=object)[is_node]
    tree = shapely.STRtree(node_points)
    keep = keep.copy()
    for i in areas:
        if len(tree.query(outlines[i], predicate="covers")):
            report.reject(
                f"way {table['osm_id'].iat[i]}",
                _REASON_AREA_WITH_NODE,
                field="amenity",
                id=table["site_id"].iat[i],
            )
            keep[i] = False
    return keep


def geocoded_sites(
    source: Path,
    *,
    kind: str,
    address_column: str,
    register: Any,
    crs: Any = None,
) -> tuple[gpd.GeoDataFrame, LoadReport]:
    """Sites whose location is an address: read the table, geocode, report the match quality.

    Rows whose address is unmatched or ambiguous are rejected with the reason and the best
    score; matched rows keep ``geocode_score`` and ``matched_address``.
    """
    # The register and the matcher are loaded only for sites located by address.
    from .addresses import as_register
    from .geocode import geocode, match_summary

    if register is None:
        raise InputFileError(source, "address_column= needs register= (address points)")
    name = source.name.lower()
    if name.endswith((".csv", ".txt", ".tsv")):
        table = read_text_table(source)
        rows = [spreadsheet_row(i) for i in range(len(table))]
    else:
        table = pd.DataFrame(read_vector(source).drop(columns="geometry"))
        rows = [feature_row(i) for i in range(len(table))]
    if address_column not in table.columns:
        raise MissingColumnError(source, "no such address column", field=address_column)
    report = LoadReport(source=str(source), read=len(table))
    attributes, keep, _ = _attributes(table, report, kind=kind, rows=rows, skip=())
    reg = as_register(register)
    result = geocode(table[address_column].tolist(), reg)
    ids = attributes["site_id"].tolist()
    status = result["status"].to_numpy()
    for i in np.flatnonzero(keep & (status != "matched")):
        report.reject(
            rows[i],
            f"address {status[i]}: {result['reason'].iat[i]}",
            field=address_column,
            id=ids[i],
        )
    keep &= status == "matched"
    summary = match_summary(result.loc[keep | (status != "matched")])
    summary["register"] = reg.attrs.get("load_report", {}).get("source", "GeoDataFrame")
    summary["register_rows"] = len(reg)
    report.notes["geocoding"] = summary
    attributes["geocode_score"] = result["score"].to_numpy()
    attributes["matched_address"] = result["matched_address"].to_numpy()
    sites = gpd.GeoDataFrame(attributes, geometry=result.geometry.to_numpy(), crs=settings.CRS)
    return sites.loc[keep].reset_index(drop=True), report
