"""A small reader of OpenStreetMap ``.osm`` (XML) and ``.osm.pbf`` files built on pyosmium."""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from itertools import islice, repeat
from os import PathLike
from pathlib import Path

import numpy as np
import osmium
import osmium.filter

from .._errors import InputFileError

#: What a filter may be.
#:
#: * ``None`` (or ``True``): every *tagged* object of that type passes;
#: * ``False``: no object of that type is read;
#: * a mapping ``{key: wanted}``: an object passes if, for ANY of the keys (OR, as in
#:   OSMnx's ``tags``), its value matches ``wanted``: ``True``/``None`` = any value,
#:   a string = that value, an iterable of strings = one of them;
#: * a callable taking the tags as a ``dict`` and returning ``bool``.
TagFilter = (
    None | bool | Mapping[str, None | bool | str | Iterable[str]] | Callable[[dict[str, str]], bool]
)

#: osmium stores coordinates as fixed-point integers of 1e-7 degrees.
_COORD_DIVISOR = 1e7
#: The fixed-point value osmium uses for an unknown coordinate.
_UNDEFINED_COORD = 2_147_483_647

_SUFFIXES = (".osm", ".pbf", ".osm.pbf", ".osm.bz2", ".osm.gz", ".o5m")


@dataclass(frozen=True)
class OsmNodes:
    """Node ids and coordinates.

    Attributes
    ----------
    ids
        Sorted unique node ids (int64): every node a kept way refers to, plus every tagged
        node that passed the node filter.
    lon, lat
        WGS84 coordinates aligned with ``ids`` (NaN where the file lacks the node).
    tags
        ``{node id: tags}`` for the tagged nodes that passed the node filter only; untagged
        nodes never become Python objects.
    """

    ids: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    tags: dict[int, dict[str, str]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.ids)

    def locate(self, node_ids: np.ndarray | Iterable[int]) -> tuple[np.ndarray, np.ndarray]:
        """Longitudes and latitudes of ``node_ids`` (NaN for ids not held)."""
        wanted = (
            np.fromiter(node_ids, dtype=np.int64)
            if not isinstance(node_ids, np.ndarray)
            else node_ids.astype(np.int64, copy=False)
        )
        found = np.zeros(len(wanted), dtype=bool)
        pos = np.zeros(len(wanted), dtype=np.intp)
        if len(self.ids):
            pos = np.minimum(np.searchsorted(self.ids, wanted), len(self.ids) - 1)
            found = self.ids[pos] == wanted
        lon = np.full(len(wanted), np.nan)
        lat = np.full(len(wanted), np.nan)
        lon[found] = self.lon[pos[found]]
        lat[found] = self.lat[pos[found]]
        return lon, lat


@dataclass(frozen=True)
class OsmWays:
    """Ways that passed the way filter, with their node references in compressed form.

    Attributes
    ----------
    ids
        Way ids (int64), in file order.
    offsets
        ``len(ids) + 1`` offsets into ``refs``: way ``i`` refers to
        ``refs[offsets[i]:offsets[i + 1]]`` (the CSR layout keeps millions of refs in one array).
    refs
        Node ids of all ways, concatenated (int64).
    tags
        Tags of each way, aligned with ``ids``.
    """

    ids: np.ndarray
    offsets: np.ndarray
    refs: np.ndarray
    tags: list[dict[str, str]]

    def __len__(self) -> int:
        return len(self.ids)

    def node_refs(self, i: int) -> np.ndarray:
        """Node ids of the ``i``-th way (position, not OSM id)."""
        return self.refs[self.offsets[i] : self.offsets[i + 1]]

    def is_closed(self) -> np.ndarray:
        """Mask of ways whose first and last node are the same node (rings, areas)."""
        if len(self.ids) == 0:
            return np.zeros(0, dtype=bool)
        first = self.refs[self.offsets[:-1]]
        last = self.refs[self.offsets[1:] - 1]
        lengths = np.diff(self.offsets)
        return (lengths >= 4) & (first == last)


@dataclass(frozen=True)
class OsmRelations:
    """Relations that passed the relation filter: ids and tags only (members are not read)."""

    ids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    tags: list[dict[str, str]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class OsmData:
    """What :func:`read_osm` read from one file.

    Attributes
    ----------
    path
        The file read.
    nodes
        Coordinates of every node needed (way nodes and kept tagged nodes), tags of kept nodes.
    ways
        The kept ways.
    missing_nodes
        Way node references whose node is absent from the file (typical of extracts cut at a
        border); their coordinates are NaN.
    relations
        The relations that passed the relation filter (ids and tags).
    """

    path: Path
    nodes: OsmNodes
    ways: OsmWays
    missing_nodes: int = 0
    relations: OsmRelations = field(default_factory=OsmRelations)

    def way_lonlat(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Longitudes and latitudes of the nodes of the ``i``-th way, in way order."""
        return self.nodes.locate(self.ways.node_refs(i))


def read_osm(
    path: str | PathLike[str],
    *,
    node_filter: TagFilter = False,
    way_filter: TagFilter = None,
    relation_filter: TagFilter = False,
    node_keys: Iterable[str] | None = None,
    way_keys: Iterable[str] | None = None,
) -> OsmData:
    """Read nodes and ways from an OpenStreetMap ``.osm`` (XML) or ``.osm.pbf`` file.

    The node locations of every way are resolved through osmium's node location cache, so
    ways come with coordinates even though their nodes are untagged. Untagged nodes are
    handled in C++ only: no Python object is created per node, which keeps a country
    extract tractable. Relations are read for their ids and tags only (members and multipolygon
    geometry are not assembled), so callers can at least report what they leave out.

    Parameters
    ----------
    path
        ``.osm``, ``.osm.pbf`` (or ``.osm.gz`` / ``.osm.bz2``) file.
    node_filter
        Which tagged nodes to keep with their tags (see :data:`TagFilter`). Default ``False``:
        none, only the nodes ways refer to. ``None`` keeps every tagged node.
    way_filter
        Which ways to keep (see :data:`TagFilter`). Default ``None``: every tagged way.
        For a walking network pass e.g. ``{"highway": True}`` and refine the values after.
    relation_filter
        Which relations to list (ids and tags only). Default ``False``: none.
    node_keys, way_keys
        With a callable filter: only objects having at least one of these tag keys are handed
        to it, the others being dropped in C++. A callable that needs a ``highway`` tag, for
        instance, should pass ``way_keys=("highway",)`` so that the millions of buildings of a
        country extract never become Python objects. (A mapping filter does this by itself.)

    Returns
    -------
    OsmData
        Node arrays, kept node tags and kept ways (CSR node references).

    Raises
    ------
    InputFileError
        If the file does not exist or osmium cannot read it.

    Examples
    --------
    >>> data = read_osm("riga.osm.pbf", way_filter={"highway": True})  # doctest: +SKIP
    >>> lon, lat = data.way_lonlat(0)  # doctest: +SKIP
    """
    source = Path(path)
    if not source.is_file():
        raise InputFileError(source, "file not found")
    if not source.name.lower().endswith(_SUFFIXES):
        raise InputFileError(
            source, "not an OpenStreetMap file (expected .osm, .osm.pbf, .osm.gz or .osm.bz2)"
        )

    want_nodes = node_filter is not False
    want_ways = way_filter is not False
    want_relations = relation_filter is not False
    node_match = _matcher(node_filter)
    way_match = _matcher(way_filter)
    relation_match = _matcher(relation_filter)

    kept = osmium.osm.NOTHING
    for wanted, entity in (
        (want_nodes, osmium.osm.NODE),
        (want_ways, osmium.osm.WAY),
        (want_relations, osmium.osm.RELATION),
    ):
        if wanted:
            kept |= entity
    # Nodes are read even when none is kept: ways need their locations.
    entities = kept | osmium.osm.NODE if want_ways else kept
    processor = osmium.FileProcessor(str(source), entities)
    if want_ways:
        # The location handler sits before every filter, so it sees all nodes.
        processor.with_locations()
    processor.with_filter(osmium.filter.EntityFilter(kept))
    for wanted, spec, keys, entity in (
        (want_nodes, node_filter, node_keys, osmium.osm.NODE),
        (want_ways, way_filter, way_keys, osmium.osm.WAY),
        (want_relations, relation_filter, None, osmium.osm.RELATION),
    ):
        if wanted:
            processor.with_filter(_native_filter(spec, entity, keys))

    node_ids: list[int] = []
    node_x: list[int] = []
    node_y: list[int] = []
    node_tags: dict[int, dict[str, str]] = {}
    # Typed arrays, not lists: a country's ~15 M refs as Python ints would take ~1.5 GB.
    way_ids = array("q")
    way_tags: list[dict[str, str]] = []
    lengths = array("q")
    ref_ids = array("q")
    ref_x = array("q")
    ref_y = array("q")
    relation_ids: list[int] = []
    relation_tags: list[dict[str, str]] = []
    append_ref, append_x, append_y = ref_ids.append, ref_x.append, ref_y.append
    try:
        for obj in processor:
            if obj.is_node():
                tags = _tags(obj)
                if not node_match(tags):
                    continue
                location = obj.location
                node_ids.append(obj.id)
                node_x.append(location.x)
                node_y.append(location.y)
                node_tags[obj.id] = tags
            elif obj.is_way():
                tags = _tags(obj)
                if not way_match(tags):
                    continue
                count = 0
                # The hot loop of a country extract: one pass, locals bound, fixed-point ints.
                # pyosmium's list wrapper adds two Python calls per node; where its C++ list
                # is reachable, read it directly (a quarter of the reading time of a country).
                nodes = obj.nodes
                raw = getattr(nodes, "_list", None)
                buffer = getattr(nodes, "_pyosmium_data", None)
                refs_iter = (
                    map(raw.get, repeat(buffer), range(raw.size(buffer)))
                    if raw is not None and buffer is not None
                    else nodes
                )
                for ref in refs_iter:
                    location = ref.location
                    append_ref(ref.ref)
                    append_x(location.x)
                    append_y(location.y)
                    count += 1
                way_ids.append(obj.id)
                way_tags.append(tags)
                lengths.append(count)
            elif obj.is_relation():
                tags = _tags(obj)
                if relation_match(tags):
                    relation_ids.append(obj.id)
                    relation_tags.append(tags)
    except RuntimeError as exc:  # osmium reports unreadable input as RuntimeError
        raise InputFileError(source, f"cannot read OpenStreetMap data: {exc}") from exc

    del append_ref, append_x, append_y
    refs = np.frombuffer(ref_ids, dtype=np.int64).copy()
    del ref_ids
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(np.frombuffer(lengths, dtype=np.int64), out=offsets[1:])

    all_ids = np.concatenate([np.asarray(node_ids, dtype=np.int64), refs])
    all_x = np.concatenate([np.asarray(node_x, dtype=np.int64), np.frombuffer(ref_x, np.int64)])
    del ref_x
    all_y = np.concatenate([np.asarray(node_y, dtype=np.int64), np.frombuffer(ref_y, np.int64)])
    del ref_y
    unique_ids, first = np.unique(all_ids, return_index=True)
    x = all_x[first]
    y = all_y[first]
    undefined = (x == _UNDEFINED_COORD) | (y == _UNDEFINED_COORD)
    lon = np.where(undefined, np.nan, x / _COORD_DIVISOR)
    lat = np.where(undefined, np.nan, y / _COORD_DIVISOR)
    missing_refs = int(np.isin(refs, unique_ids[undefined]).sum()) if undefined.any() else 0

    return OsmData(
        path=source,
        nodes=OsmNodes(ids=unique_ids, lon=lon, lat=lat, tags=node_tags),
        ways=OsmWays(
            ids=np.frombuffer(way_ids, dtype=np.int64).copy(),
            offsets=offsets,
            refs=refs,
            tags=way_tags,
        ),
        missing_nodes=missing_refs,
        relations=OsmRelations(ids=np.asarray(relation_ids, dtype=np.int64), tags=relation_tags),
    )


def osm_generator(path: str | PathLike[str]) -> str | None:
    """The ``generator`` named in an OSM file's header (e.g. "osmium/1.16"), None if absent."""
    try:
        reader = osmium.io.Reader(str(path), osmium.osm.NOTHING)
    except RuntimeError:
        return None
    try:
        return reader.header().get("generator") or None
    finally:
        reader.close()


def _native_filter(
    spec: TagFilter, entity: osmium.osm.osm_entity_bits, keys: Iterable[str] | None
) -> osmium.BaseFilter:
    """An osmium (C++) filter dropping what ``spec`` surely rejects before Python sees it."""
    if isinstance(spec, Mapping):
        if not spec:
            raise ValueError("an OSM tag filter mapping needs at least one key")
        keys = spec.keys()
    if keys is not None:
        keys = [str(k) for k in keys]
        if not keys:
            raise ValueError("node_keys / way_keys need at least one key")
        native = osmium.filter.KeyFilter(*keys)
    else:
        native = osmium.filter.EmptyTagFilter()
    native.enable_for(entity)
    return native


def _matcher(spec: TagFilter) -> Callable[[dict[str, str]], bool]:
    """A Python predicate on tags that finishes what the native filter started."""
    if spec is None or spec is True or spec is False:
        return _always
    if callable(spec):
        return lambda tags: bool(spec(tags))
    wanted: dict[str, frozenset[str] | None] = {}
    for key, value in spec.items():
        if value is None or value is True:
            wanted[key] = None
        elif isinstance(value, str):
            wanted[key] = frozenset([value])
        elif value is False:
            raise ValueError(f"OSM tag filter value for {key!r} cannot be False")
        else:
            wanted[key] = frozenset(value)

    def match(tags: dict[str, str]) -> bool:
        for key, values in wanted.items():
            value = tags.get(key)
            if value is not None and (values is None or value in values):
                return True
        return False

    return match


def _tags(obj: osmium.osm.OSMObject) -> dict[str, str]:
    """The tags of an OSM object as a dict.

    Reading exactly ``len(tags)`` items avoids the end-of-iteration exception raised from
    C++, which otherwise costs more than copying the tags themselves.
    """
    tag_list = obj.tags
    return dict(islice(tag_list, len(tag_list)))


def _always(tags: dict[str, str]) -> bool:
    return True
