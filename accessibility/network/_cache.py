"""A disk cache of walking networks built from OpenStreetMap files.

A country extract takes minutes to turn into a network; the network takes seconds to load.
Entries are keyed by the sha256 of the source file's bytes and by the walk filter, so a
changed file or filter never loads a stale network. Hashing 200 MB costs about a second, so
an index remembers the hash of each (path, size, modification time) already seen.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..io.write import atomic_path

if TYPE_CHECKING:
    from .walk import WalkNetwork

logger = logging.getLogger(__name__)

#: Files smaller than this are built every time (they build in well under a second).
CACHE_MIN_BYTES: int = 8_000_000

#: Set to ``0`` / ``false`` to build every time; set to a folder to cache there.
CACHE_ENV = "ACCESSIBILITY_NETWORK_CACHE"

#: Bumped when the build changes what it produces, so old entries are not loaded.
BUILD_VERSION = 2

_INDEX = "index.json"


def cache_folder() -> Path | None:
    """The cache folder (``ACCESSIBILITY_NETWORK_CACHE``, else ``networks/`` in the data cache)."""
    setting = os.environ.get(CACHE_ENV, "").strip()
    if setting.lower() in ("0", "false", "no", "off"):
        return None
    if setting:
        return Path(setting).expanduser()
    from ..io.datasets import cache_dir

    return cache_dir() / "networks"


def file_sha256(path: Path) -> str:
    """sha256 of a file's bytes, read in 8 MB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(8 << 20):
            digest.update(block)
    return digest.hexdigest()


def cached_build(
    path: Path,
    filter_description: Any,
    build: Callable[[], WalkNetwork],
    load: Callable[[Path], WalkNetwork],
) -> WalkNetwork:
    """Load the network of ``path`` under this filter from the cache, or build and store it.

    ``filter_description`` must be JSON (a :class:`WalkFilter` describes itself); callers
    pass None for filters that cannot be described, and those are never cached. ``build``
    makes the network, ``load`` reads a stored one (:meth:`WalkNetwork.load`): passed in, so
    that this module needs nothing from the module that builds networks.
    """
    folder = cache_folder()
    size = path.stat().st_size
    if folder is None or filter_description is None or size < CACHE_MIN_BYTES:
        return build()

    content = _content_hash(folder, path)
    key_text = json.dumps(
        {"sha256": content, "filter": filter_description, "build": BUILD_VERSION}, sort_keys=True
    )
    entry = folder / f"walk-{hashlib.sha256(key_text.encode()).hexdigest()[:24]}.npz"
    if entry.is_file():
        try:
            network = load(entry)
        except ValueError as exc:  # a damaged entry is rebuilt, not trusted
            logger.warning("walking network cache %s unreadable (%s); rebuilding", entry, exc)
        else:
            network.source.pop("loaded_from", None)
            network.source["cache"] = str(entry)
            logger.info("walking network of %s loaded from the cache %s", path, entry)
            return network
    network = build()
    network.source["sha256"] = content
    try:
        folder.mkdir(parents=True, exist_ok=True)
        network.save(entry, compress=False)
        network.source["cache"] = str(entry)
    except OSError as exc:  # a read-only cache must not stop the analysis
        logger.warning("walking network not cached in %s: %s", folder, exc)
    return network


def _content_hash(folder: Path, path: Path) -> str:
    """The file's sha256, remembered per (path, size, mtime) in the cache index."""
    stat = path.stat()
    key = f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
    index_path = folder / _INDEX
    index: dict[str, str] = {}
    if index_path.is_file():
        try:
            index = json.loads(index_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            index = {}
    if key in index:
        return index[key]
    content = file_sha256(path)
    index[key] = content
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with atomic_path(index_path) as tmp:
            Path(tmp).write_text(json.dumps(index, indent=0), encoding="utf-8")
    except OSError as exc:
        logger.warning("walking network cache index not written: %s", exc)
    return content
