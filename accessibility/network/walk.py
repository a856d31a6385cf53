"""Pedestrian networks: build from lines, OpenStreetMap files or OSMnx graphs; save and load."""

from __future__ import annotations

import datetime as _dt
import json
import sys
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from pyproj import Transformer

from .. import settings
from .._errors import InputFileError, NetworkError
from ..io.write import atomic_path
from ..projection import to_working_crs
from ._graph import components, csr_from_sorted_arcs, dedupe_arcs, line_topology

if TYPE_CHECKING:
    import networkx as nx

    from .snapping import SegmentIndex

#: Edges whose node pair and length (to 1 cm) repeat an earlier edge are dropped as duplicates.
DUPLICATE_LENGTH_TOLERANCE: float = 0.01

#: ``highway`` values a pedestrian cannot use (or that are not built yet). ``trunk`` is walkable
#: by default: Latvian A-roads carry intercity stops and, unlike motorways, allow pedestrians.
EXCLUDED_HIGHWAYS: frozenset[str] = frozenset(
    {
        "motorway",
        "motorway_link",
        "construction",
        "proposed",
        "planned",
        "abandoned",
        "disused",
        "razed",
        "raceway",
        "bus_guideway",
        "busway",
        "escape",
        "emergency_bay",
        "platform",
        "rest_area",
        "services",
        "no",
    }
)


@dataclass(frozen=True)
class WalkFilter:
    """Which OpenStreetMap ways make the walking network.

    A way is kept when it has a ``highway`` tag whose value is not in ``exclude_highway``, its
    ``foot`` tag is not in ``exclude_foot``, and its ``access`` tag is not in ``exclude_access``
    unless ``foot`` explicitly allows walking (one of ``foot_allows``). ``oneway`` is ignored
    (it binds vehicles); only ``oneway:foot=yes`` / ``-1`` makes a way one-way for walking.

    The default keeps footway, path, steps, pedestrian, track, living_street, residential,
    service, unclassified, tertiary, secondary, primary, trunk, cycleway, bridleway and
    corridor ways, and drops motorways, ways under construction or proposed, and ways closed
    to walkers (``foot=no``, ``access=private``/``no``).
    """

    exclude_highway: frozenset[str] = EXCLUDED_HIGHWAYS
    exclude_access: frozenset[str] = frozenset({"private", "no"})
    exclude_foot: frozenset[str] = frozenset({"no"})
    foot_allows: frozenset[str] = frozenset({"yes", "designated", "permissive"})

    def __call__(self, tags: Mapping[str, str]) -> bool:
        """True when a way with these tags is walkable."""
        highway = tags.get("highway")
        if highway is None or highway in self.exclude_highway:
            return False
        foot = tags.get("foot")
        if foot in self.exclude_foot:
            return False
        return not (tags.get("access") in self.exclude_access and foot not in self.foot_allows)

    def describe(self) -> dict[str, list[str]]:
        """The filter as plain lists (recorded in ``network.source``)."""
        return {
            "exclude_highway": sorted(self.exclude_highway),
            "exclude_access": sorted(self.exclude_access),
            "exclude_foot": sorted(self.exclude_foot),
            "foot_allows": sorted(self.foot_allows),
        }


WALK_FILTER = WalkFilter()


def walk_network(
    source: Any,
    *,
    crs: Any = None,
    walk_filter: WalkFilter | Callable[[Mapping[str, str]], bool] | None = None,
    largest_only: bool = False,
    online: bool = False,
) -> WalkNetwork:
    """Build a pedestrian network.

    Parameters
    ----------
    source
        One of:

        * a GeoDataFrame / GeoSeries of LineStrings (any CRS), e.g. a street centre-line file.
          Edge length is the geometric length in EPSG:3059. Lines connect only where they share
          a vertex (to 1 mm); lines crossing without one stay apart, as bridges should;
        * a path to an OpenStreetMap file (``.osm``, ``.osm.pbf``), filtered by ``walk_filter``.
          Files of 8 MB and more are built once and cached on disk (keyed by the file's
          sha256 and the filter; ``ACCESSIBILITY_NETWORK_CACHE=0`` turns this off);
        * a path to a saved network (``.npz``, see :meth:`WalkNetwork.save`) or to a line layer
          geopandas can read (GeoPackage, Shapefile, GeoParquet);
        * an OSMnx / networkx MultiDiGraph, e.g. from
          ``osmnx.graph_from_place(..., network_type="walk")``;
        * a place name (str that is not an existing file) or a shapely Polygon in longitude/
          latitude: downloaded with OSMnx (online only).
    crs
        CRS of ``source`` when it has none (lines) or of a Polygon (default EPSG:4326).
    walk_filter
        Which OSM ways to keep (OSM files only); default :data:`WALK_FILTER`.
    largest_only
        Keep only the largest connected component (islands are otherwise kept and reported).
    online
        Allow a download from OpenStreetMap (a place name or an area). Without it an area or a
        place is an error, so a local file of polygons never sends a run online.

    Returns
    -------
    WalkNetwork
        With ``source`` (kind, path or place, filter, date built) and ``report`` (counts of
        duplicates, parallel edges, self-loops, components).
    """
    if isinstance(source, WalkNetwork):
        network = source
    elif isinstance(source, (gpd.GeoDataFrame, gpd.GeoSeries)):
        type_id = shapely.get_type_id(np.asarray(source.geometry.values, dtype=object))
        if len(type_id) and np.isin(type_id, [3, 6]).all():
            _require_online(online, "a layer of polygons (an area, not street centre lines)")
            return _from_osmnx_area(source, crs=crs, largest_only=largest_only)
        network = _from_lines(source, crs=crs, source_info={"kind": "lines"})
    elif _is_networkx_graph(source):
        network = _from_graph(source, source_info={"kind": "networkx"})
    elif isinstance(source, shapely.Polygon | shapely.MultiPolygon):
        _require_online(online, "a polygon (an area, not street centre lines)")
        return _from_osmnx_area(
            gpd.GeoSeries([source], crs=crs or settings.LONLAT_CRS),
            crs=None,
            largest_only=largest_only,
        )
    elif isinstance(source, (str, PathLike)):
        path = Path(source)
        name = path.name.lower()
        if path.is_file() and name.endswith(".npz"):
            network = WalkNetwork.load(path)
        elif path.is_file() and name.endswith((".osm", ".pbf", ".osm.gz", ".osm.bz2")):
            from ._cache import cached_build

            chosen = walk_filter or WALK_FILTER
            # Large files are built once and loaded from the cache after (see network/_cache.py).
            network = cached_build(
                path,
                chosen.describe() if isinstance(chosen, WalkFilter) else None,
                lambda: _from_osm_file(path, chosen),
                WalkNetwork.load,
            )
        elif path.is_file():
            try:
                lines = gpd.read_file(path)
            except Exception as exc:  # pyogrio raises several types for unreadable files
                raise InputFileError(path, f"cannot read a line layer: {exc}") from exc
            kinds = set(lines.geom_type.dropna()) - {"LineString", "MultiLineString"}
            if kinds or not len(lines):
                raise InputFileError(
                    path,
                    "a street network needs LineStrings (street centre lines); the layer holds "
                    f"{', '.join(sorted(kinds)) or 'no features'}",
                    field="geometry",
                )
            network = _from_lines(lines, crs=crs, source_info={"kind": "lines", "path": str(path)})
        elif (
            isinstance(source, str)
            and not any(sep in source for sep in "/\\")
            and "." not in name[-5:]
        ):
            _require_online(online, f"the place name {source!r} (no such file)")
            network = _from_place(source)
        else:
            raise InputFileError(path, "file not found")
    else:
        raise TypeError(f"cannot build a walking network from {type(source).__name__}")
    return network.largest_component() if largest_only else network


def _require_online(online: bool, what: str) -> None:
    if not online:
        raise NetworkError(
            f"walk_network was given {what}: building it needs a download from OpenStreetMap, "
            "which is only made with online=True; give a local street file (.osm.pbf, lines) instead"
        )


@dataclass
class WalkNetwork:
    """An undirected (except ``oneway:foot``) pedestrian network in EPSG:3059 metres.

    Attributes
    ----------
    node_xy
        (n, 2) node coordinates.
    edge_u, edge_v
        Edge end nodes (geometry runs from ``u`` to ``v``).
    edge_length
        Geometric length in metres.
    edge_oneway
        True where walking is allowed only from ``u`` to ``v``.
    edge_geometry
        LineStrings of the edges (object array).
    source
        Where the network came from: ``kind``, ``path`` or ``place``, ``filter``, ``built``.
    report
        What was repaired or noted when building: duplicates, parallel edges, self-loops,
        zero-length pieces, component sizes.
    node_id
        Original node ids (OSM ids) when known, else None.
    """

    node_xy: np.ndarray
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_length: np.ndarray
    edge_oneway: np.ndarray
    edge_geometry: np.ndarray
    source: dict[str, Any] = field(default_factory=dict)
    report: dict[str, Any] = field(default_factory=dict)
    node_id: np.ndarray | None = None
    _cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_arrays(
        cls,
        node_xy: np.ndarray,
        edge_u: np.ndarray,
        edge_v: np.ndarray,
        *,
        edge_geometry: np.ndarray | None = None,
        edge_oneway: np.ndarray | None = None,
        source: Mapping[str, Any] | None = None,
        node_id: np.ndarray | None = None,
    ) -> WalkNetwork:
        """A network from node coordinates (EPSG:3059) and edge end nodes.

        Edges without geometry are straight lines. Lengths are always the geometric lengths.
        Self-loops are dropped and exact duplicates removed (both counted in ``report``).
        """
        node_xy = np.asarray(node_xy, dtype=np.float64).reshape(-1, 2)
        u = np.asarray(edge_u, dtype=np.int64)
        v = np.asarray(edge_v, dtype=np.int64)
        n = len(node_xy)
        if len(u) != len(v):
            raise NetworkError("edge_u and edge_v differ in length")
        if len(u) and (min(u.min(), v.min()) < 0 or max(u.max(), v.max()) >= n):
            raise NetworkError("an edge refers to a node that does not exist")
        if edge_geometry is None:
            pairs = np.stack([node_xy[u], node_xy[v]], axis=1)
            edge_geometry = np.asarray(shapely.linestrings(pairs), dtype=object)
        geometry = np.asarray(edge_geometry, dtype=object)
        oneway = (
            np.zeros(len(u), dtype=bool)
            if edge_oneway is None
            else np.asarray(edge_oneway, dtype=bool)
        )
        return _assemble(
            node_xy, u, v, geometry, oneway, dict(source or {"kind": "arrays"}), {}, node_id
        )

    # ------------------------------------------------------------------ basic properties
    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.node_xy)

    @property
    def n_edges(self) -> int:
        """Number of edges."""
        return len(self.edge_u)

    def __repr__(self) -> str:
        return (
            f"WalkNetwork({self.n_nodes} nodes, {self.n_edges} edges, "
            f"{self.report.get('components', '?')} components, source={self.source.get('kind')!r})"
        )

    def nodes(self) -> gpd.GeoDataFrame:
        """The nodes as a point layer (columns ``node``, ``component``, ``osm_id`` when known)."""
        frame = pd.DataFrame(
            {"node": np.arange(self.n_nodes), "component": self.component_labels()}
        )
        if self.node_id is not None:
            frame["osm_id"] = self.node_id
        return gpd.GeoDataFrame(frame, geometry=shapely.points(self.node_xy), crs=settings.CRS)

    def edges(self) -> gpd.GeoDataFrame:
        """The edges as a line layer (columns ``u``, ``v``, ``length``, ``oneway``)."""
        return gpd.GeoDataFrame(
            {
                "u": self.edge_u,
                "v": self.edge_v,
                "length": self.edge_length,
                "oneway": self.edge_oneway,
            },
            geometry=list(self.edge_geometry) if self.n_edges else [],
            crs=settings.CRS,
        )

    # ------------------------------------------------------------------ search structures
    def component_labels(self) -> np.ndarray:
        """Weakly connected component of every node (0 = largest)."""
        if "components" not in self._cache:
            labels, sizes = components(self.n_nodes, self.edge_u, self.edge_v)
            # Renumber so that 0 is the largest component, then by decreasing size.
            rank = np.empty(len(sizes), dtype=np.int64)
            rank[np.argsort(-sizes, kind="stable")] = np.arange(len(sizes))
            self._cache["components"] = rank[labels]
        return self._cache["components"]

    def edge_tree(self) -> shapely.STRtree:
        """Spatial index of the edge geometries (built once, on first use)."""
        if "tree" not in self._cache:
            self._cache["tree"] = shapely.STRtree(self.edge_geometry)
        return self._cache["tree"]

    def snap_index(self) -> SegmentIndex:
        """KD-tree of points sampled along the edges, for snapping (built once, on first use)."""
        if "snap_index" not in self._cache:
            from .snapping import segment_index

            self._cache["snap_index"] = segment_index(self)
        return self._cache["snap_index"]

    def graph(self, *, reverse: bool = False) -> tuple[sp.csr_array, np.ndarray]:
        """The arc graph as CSR (shortest of parallel arcs) and the row of every stored arc.

        ``reverse=True`` gives the transpose (arcs point back), used to search from targets.
        """
        key = "reverse" if reverse else "forward"
        if key not in self._cache:
            two_way = ~self.edge_oneway
            tail = np.concatenate([self.edge_u, self.edge_v[two_way]])
            head = np.concatenate([self.edge_v, self.edge_u[two_way]])
            length = np.concatenate([self.edge_length, self.edge_length[two_way]])
            if reverse:
                tail, head = head, tail
            tail, head, length, _ = dedupe_arcs(tail, head, length)
            csr = csr_from_sorted_arcs(tail, head, length, self.n_nodes)
            self._cache[key] = (csr, tail)
        return self._cache[key]

    def is_directed(self) -> bool:
        """True when some edge is one-way for walking."""
        return bool(self.edge_oneway.any())

    # ------------------------------------------------------------------ subsets
    def largest_component(self) -> WalkNetwork:
        """The network restricted to its largest connected component."""
        labels = self.component_labels()
        keep_node = labels == 0
        if keep_node.all():
            return self
        new_id = np.full(self.n_nodes, -1, dtype=np.int64)
        new_id[keep_node] = np.arange(int(keep_node.sum()))
        keep_edge = keep_node[self.edge_u]
        report = dict(self.report)
        report["largest_only"] = {
            "nodes_dropped": int((~keep_node).sum()),
            "edges_dropped": int((~keep_edge).sum()),
        }
        source = dict(self.source, largest_only=True)
        return _assemble(
            self.node_xy[keep_node],
            new_id[self.edge_u[keep_edge]],
            new_id[self.edge_v[keep_edge]],
            self.edge_geometry[keep_edge],
            self.edge_oneway[keep_edge],
            source,
            report,
            None if self.node_id is None else self.node_id[keep_node],
        )

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | PathLike[str], *, compress: bool = True) -> Path:
        """Write the network to one ``.npz`` file atomically (no pickles; see :meth:`load`).

        ``compress=False`` writes about twice the bytes but loads faster (the network cache
        uses it: a country's network decompresses in seconds otherwise).
        """
        target = Path(path)
        if target.suffix != ".npz":
            raise ValueError(f"{target}: a walking network is saved as .npz")
        geom_type, coords, offsets = shapely.to_ragged_array(self.edge_geometry)
        arrays: dict[str, np.ndarray] = {
            "node_xy": self.node_xy,
            "edge_u": self.edge_u,
            "edge_v": self.edge_v,
            "edge_oneway": self.edge_oneway,
            "geom_coords": coords,
            "geom_offsets": offsets[0] if offsets else np.zeros(1, dtype=np.int64),
            "meta": np.array(
                json.dumps({"source": self.source, "report": self.report, "format": 1})
            ),
        }
        if geom_type != shapely.GeometryType.LINESTRING and self.n_edges:
            raise NetworkError("edge geometries must all be LineStrings")
        if self.node_id is not None:
            arrays["node_id"] = self.node_id
        with atomic_path(target) as tmp, open(tmp, "wb") as handle:
            (np.savez_compressed if compress else np.savez)(handle, **arrays)
        return target

    @classmethod
    def load(cls, path: str | PathLike[str]) -> WalkNetwork:
        """Read a network written by :meth:`save`."""
        source = Path(path)
        if not source.is_file():
            raise InputFileError(source, "file not found")
        try:
            # An open handle, so a file that is not a numpy archive is closed again.
            with open(source, "rb") as handle, np.load(handle, allow_pickle=False) as data:
                meta = json.loads(str(data["meta"]))
                geometry = shapely.from_ragged_array(
                    shapely.GeometryType.LINESTRING, data["geom_coords"], (data["geom_offsets"],)
                )
                network = cls(
                    node_xy=data["node_xy"],
                    edge_u=data["edge_u"],
                    edge_v=data["edge_v"],
                    edge_length=shapely.length(geometry),
                    edge_oneway=data["edge_oneway"],
                    edge_geometry=np.asarray(geometry, dtype=object),
                    source=meta["source"],
                    report=meta["report"],
                    node_id=data["node_id"] if "node_id" in data.files else None,
                )
        except (KeyError, ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
            raise InputFileError(source, f"not a saved walking network: {exc}") from exc
        network.source["loaded_from"] = str(source)
        return network


# ---------------------------------------------------------------------- builders
def _assemble(
    node_xy: np.ndarray,
    u: np.ndarray,
    v: np.ndarray,
    geometry: np.ndarray,
    oneway: np.ndarray,
    source: dict[str, Any],
    report: dict[str, Any],
    node_id: np.ndarray | None,
) -> WalkNetwork:
    """Drop self-loops and duplicate edges, count parallel edges and components, stamp source."""
    report = dict(report)
    loops = u == v
    report["self_loops_dropped"] = report.get("self_loops_dropped", 0) + int(loops.sum())
    u, v, geometry, oneway = u[~loops], v[~loops], geometry[~loops], oneway[~loops]
    length = shapely.length(geometry)
    # Duplicates: the same node pair (either way round for two-way edges) and the same length.
    low, high = np.minimum(u, v), np.maximum(u, v)
    low = np.where(oneway, u, low)
    high = np.where(oneway, v, high)
    rounded = np.round(length / DUPLICATE_LENGTH_TOLERANCE).astype(np.int64)
    key = pd.DataFrame({"a": low, "b": high, "len": rounded, "oneway": oneway})
    duplicate = key.duplicated().to_numpy()
    report["duplicate_edges_dropped"] = report.get("duplicate_edges_dropped", 0) + int(
        duplicate.sum()
    )
    u, v, geometry, oneway, length = (
        u[~duplicate],
        v[~duplicate],
        geometry[~duplicate],
        oneway[~duplicate],
        length[~duplicate],
    )
    # Parallel edges of different length stay as edges (points along them snap correctly);
    # routing between their end nodes uses the shortest (see WalkNetwork.graph).
    pair = pd.DataFrame({"a": np.minimum(u, v), "b": np.maximum(u, v)})
    report["parallel_edges"] = int(pair.duplicated().sum())
    report["oneway_edges"] = int(oneway.sum())
    network = WalkNetwork(
        node_xy=node_xy,
        edge_u=u,
        edge_v=v,
        edge_length=length,
        edge_oneway=oneway,
        edge_geometry=geometry,
        source=source,
        report=report,
        node_id=node_id,
    )
    labels = network.component_labels()
    sizes = np.bincount(labels) if len(labels) else np.zeros(0, dtype=np.int64)
    used = np.zeros(network.n_nodes, dtype=bool)
    used[u] = True
    used[v] = True
    report["nodes"] = network.n_nodes
    report["edges"] = network.n_edges
    report["isolated_nodes"] = int((~used).sum())
    report["components"] = len(sizes)
    report["largest_component_nodes"] = int(sizes[0]) if len(sizes) else 0
    report["component_sizes_top"] = [int(s) for s in sizes[:10]]
    report["total_length_km"] = round(float(length.sum()) / 1000.0, 3)
    source.setdefault("crs", settings.CRS)
    source.setdefault("built", _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"))
    if network.n_edges == 0:
        raise NetworkError(
            f"the walking network from {source.get('path', source.get('kind'))} has no edges"
        )
    return network


def _from_lines(
    lines: gpd.GeoDataFrame | gpd.GeoSeries, *, crs: Any, source_info: dict[str, Any]
) -> WalkNetwork:
    """Network from line features: cut at shared vertices, length in EPSG:3059."""
    frame = lines if isinstance(lines, gpd.GeoDataFrame) else gpd.GeoDataFrame(geometry=lines)
    frame = to_working_crs(frame, source=source_info.get("path"), assume_crs=crs)
    geoms = np.asarray(frame.geometry.values, dtype=object)
    report: dict[str, Any] = {"features_read": len(geoms)}
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    type_id = shapely.get_type_id(geoms)
    not_line = ~missing & ~np.isin(type_id, [1, 2, 5])
    if not_line.any():
        row = int(np.flatnonzero(not_line)[0])
        raise InputFileError(
            source_info.get("path"),
            f"{int(not_line.sum())} features are not lines "
            f"(first: {shapely.get_type_id(geoms[row])}, a {geoms[row].geom_type})",
            row=row,
            field="geometry",
        )
    report["features_without_geometry"] = int(missing.sum())
    geoms = shapely.force_2d(geoms[~missing])
    parts, _ = shapely.get_parts(geoms, return_index=True)
    parts = np.asarray(parts, dtype=object)
    rings = np.flatnonzero(shapely.get_type_id(parts) == 2)
    parts[rings] = [shapely.LineString(ring.coords) for ring in parts[rings]]
    topo = line_topology(parts)
    report["zero_length_dropped"] = topo.zero_length_dropped
    report["closed_lines_split"] = topo.loops_split
    return _assemble(
        topo.node_xy,
        topo.edge_u,
        topo.edge_v,
        topo.edge_geometry,
        np.zeros(len(topo.edge_u), dtype=bool),
        dict(source_info),
        report,
        None,
    )


def _from_osm_file(path: Path, walk_filter: Callable[[Mapping[str, str]], bool]) -> WalkNetwork:
    """Network from an OpenStreetMap file, keeping ways ``walk_filter`` accepts."""
    from ..io._osm import read_osm

    # Only ways with a highway tag reach Python (buildings, landuse and the rest are dropped in
    # C++); a custom filter accepting ways without one is given every tagged way.
    keys = ("highway",) if isinstance(walk_filter, WalkFilter) else None
    data = read_osm(path, way_filter=lambda tags: bool(walk_filter(tags)), way_keys=keys)
    ways = data.ways
    report: dict[str, Any] = {"ways_kept": len(ways), "missing_node_refs": data.missing_nodes}
    lon, lat = data.nodes.locate(ways.refs)
    way_of = np.repeat(np.arange(len(ways)), np.diff(ways.offsets))
    way_direction = np.fromiter(
        (_foot_direction(tags) for tags in ways.tags), dtype=np.int8, count=len(ways)
    )
    all_refs = ways.refs
    # The node table and the tags of a country extract (about a gigabyte) are not needed below.
    del data, ways
    valid = np.isfinite(lon) & np.isfinite(lat)
    # A way with nodes missing from the extract is cut into the parts between them.
    new_part = np.ones(len(way_of), dtype=bool)
    new_part[1:] = (way_of[1:] != way_of[:-1]) | ~valid[:-1]
    part = np.cumsum(new_part) - 1
    part, lon, lat, way_of, refs = (
        part[valid],
        lon[valid],
        lat[valid],
        way_of[valid],
        all_refs[valid],
    )
    _, part = np.unique(part, return_inverse=True)
    counts = np.bincount(part)
    keep_vertex = counts[part] >= 2
    report["way_parts_too_short"] = int((counts < 2).sum())
    part, lon, lat, way_of, refs = (
        part[keep_vertex],
        lon[keep_vertex],
        lat[keep_vertex],
        way_of[keep_vertex],
        refs[keep_vertex],
    )
    _, part = np.unique(part, return_inverse=True)
    x, y = Transformer.from_crs(settings.LONLAT_CRS, settings.CRS, always_xy=True).transform(
        lon, lat
    )
    lines = np.asarray(shapely.linestrings(np.stack([x, y], axis=1), indices=part), dtype=object)
    part_way = np.zeros(len(lines), dtype=np.int64)
    part_way[part] = way_of
    direction = way_direction[part_way]
    # Reverse the ways walkable only against their drawing direction (oneway:foot=-1).
    flipped = direction < 0
    if flipped.any():
        lines[flipped] = shapely.reverse(lines[flipped])
    topo = line_topology(lines)
    report["zero_length_dropped"] = topo.zero_length_dropped
    report["closed_lines_split"] = topo.loops_split
    node_id = _osm_node_ids(topo.node_xy, np.stack([x, y], axis=1), refs)
    return _assemble(
        topo.node_xy,
        topo.edge_u,
        topo.edge_v,
        topo.edge_geometry,
        direction[topo.edge_source] != 0,
        {
            "kind": "osm",
            "path": str(path),
            "filter": walk_filter.describe()
            if isinstance(walk_filter, WalkFilter)
            else repr(walk_filter),
        },
        report,
        node_id,
    )


def _foot_direction(tags: Mapping[str, str]) -> int:
    """0 for two-way walking, 1 for one-way along the way, -1 for one-way against it."""
    value = tags.get("oneway:foot")
    if value in ("yes", "true", "1"):
        return 1
    if value == "-1":
        return -1
    return 0


def _osm_node_ids(node_xy: np.ndarray, vertex_xy: np.ndarray, refs: np.ndarray) -> np.ndarray:
    """OSM id of every network node (the first OSM node found at its coordinates)."""
    from ._graph import VERTEX_DECIMALS

    frame = pd.DataFrame(np.round(vertex_xy, VERTEX_DECIMALS), columns=["x", "y"])
    frame["ref"] = refs
    first = frame.drop_duplicates(["x", "y"])
    nodes = pd.DataFrame(np.round(node_xy, VERTEX_DECIMALS), columns=["x", "y"])
    merged = nodes.merge(first, on=["x", "y"], how="left")
    return merged["ref"].fillna(-1).to_numpy(dtype=np.int64)


def _is_networkx_graph(source: Any) -> bool:
    """Whether ``source`` is a networkx graph, without importing networkx to find out.

    A graph can only exist once networkx is imported, so an unimported networkx means no graph.
    """
    nx = sys.modules.get("networkx")
    return nx is not None and isinstance(source, nx.Graph)


def _from_graph(graph: nx.Graph, *, source_info: dict[str, Any]) -> WalkNetwork:
    """Network from an OSMnx graph (nodes with x, y; edges with optional geometry) in its CRS."""
    crs = graph.graph.get("crs")
    if crs is None:
        raise NetworkError("the graph has no 'crs' attribute (OSMnx graphs carry one)")
    node_ids = list(graph.nodes)
    if not node_ids:
        raise NetworkError("the graph has no nodes")
    try:
        xy = np.array(
            [(graph.nodes[n]["x"], graph.nodes[n]["y"]) for n in node_ids], dtype=np.float64
        )
    except KeyError as exc:
        raise NetworkError(f"graph node without coordinate {exc}") from exc
    position = {n: i for i, n in enumerate(node_ids)}
    seen: set[tuple[Any, Any]] = set()
    rows: list[tuple[int, int, Any]] = []
    for a, b, attrs in graph.edges(data=True):
        # OSMnx walk graphs hold every street twice (one per direction); keep one of each pair
        # unless the edges differ in geometry (then both become parallel edges).
        geom = attrs.get("geometry")
        key = (a, b, None if geom is None else geom.wkb)
        back = (b, a, None if geom is None else shapely.reverse(geom).wkb)
        if back in seen:
            continue
        seen.add(key)
        rows.append((position[a], position[b], geom))
    u = np.array([r[0] for r in rows], dtype=np.int64)
    v = np.array([r[1] for r in rows], dtype=np.int64)
    straight = shapely.linestrings(np.stack([xy[u], xy[v]], axis=1))
    geoms = np.array(
        [g if g is not None else s for (_, _, g), s in zip(rows, straight)], dtype=object
    )
    frame = gpd.GeoDataFrame(geometry=list(geoms), crs=crs)
    frame = to_working_crs(frame)
    node_frame = to_working_crs(gpd.GeoDataFrame(geometry=shapely.points(xy), crs=crs))
    node_xy = shapely.get_coordinates(np.asarray(node_frame.geometry.values))
    info = dict(source_info)
    info.setdefault("graph_crs", str(crs))
    try:
        ids = np.asarray(node_ids, dtype=np.int64)
    except (TypeError, ValueError):
        ids = None
    return _assemble(
        node_xy,
        u,
        v,
        np.asarray(frame.geometry.values, dtype=object),
        np.zeros(len(u), dtype=bool),
        info,
        {"graph_edges_read": graph.number_of_edges()},
        ids,
    )


def _from_place(place: str) -> WalkNetwork:
    """Download the OSMnx walking network of a place (online)."""
    import osmnx as ox

    graph = ox.graph_from_place(place, network_type="walk", simplify=True)
    return _from_graph(graph, source_info={"kind": "osmnx", "place": place, "filter": "osmnx walk"})


def _from_osmnx_area(
    area: gpd.GeoSeries | gpd.GeoDataFrame, *, crs: Any, largest_only: bool
) -> WalkNetwork:
    """Download the OSMnx walking network inside a polygon (online)."""
    import osmnx as ox

    frame = area if isinstance(area, gpd.GeoDataFrame) else gpd.GeoDataFrame(geometry=area)
    frame = to_working_crs(frame, assume_crs=crs).to_crs(settings.LONLAT_CRS)
    polygon = shapely.union_all(np.asarray(frame.geometry.values))
    graph = ox.graph_from_polygon(polygon, network_type="walk", simplify=True)
    network = _from_graph(
        graph, source_info={"kind": "osmnx", "polygon": polygon.wkt[:200], "filter": "osmnx walk"}
    )
    return network.largest_component() if largest_only else network
