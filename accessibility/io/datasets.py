"""The catalogue of official datasets and where they are found on disk."""

from __future__ import annotations

import fnmatch
import functools
import hashlib
import json
import logging
import os
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
import platformdirs

from .. import settings
from .._errors import AccessibilityError, AmbiguousDatasetError, DataNotFoundError

logger = logging.getLogger(__name__)

#: Environment variable naming a folder to use instead of the per-user download cache.
CACHE_DIR_ENV = "ACCESSIBILITY_CACHE"


@dataclass(frozen=True)
class Dataset:
    """One official dataset: who publishes it, where to get it, and the file names to look for.

    Attributes
    ----------
    key
        Short name used throughout the toolkit (``"units"``, ``"stops"``, ...).
    title, publisher, page, licence, notes
        What it is, who publishes it, its official download or landing page, the licence,
        and practical remarks.
    download
        Direct download URL, or None when the file must be fetched by hand from ``page``.
    files
        Glob patterns of the official file names, most preferred first; matched
        case-insensitively. A pattern ``"dir/file"`` matches ``file`` inside a folder whose
        name matches ``dir``.
    choose
        ``"newest_edition"`` (rank dated editions newest first) or ``"first_pattern"``.
    folder
        True when the dataset is a folder of files (a GTFS feed): the folder is returned.
    sha256
        Checksums of files whose exact bytes are known, by file name.
    unzip
        True when a downloaded zip is to be unpacked.
    """

    key: str
    title: str
    publisher: str
    page: str
    files: tuple[str, ...]
    download: str | None = None
    choose: str = "first_pattern"
    folder: bool = False
    licence: str = ""
    sha256: dict[str, str] = field(default_factory=dict)
    unzip: bool = False
    notes: str = ""

    @property
    def file_names(self) -> str:
        """The expected file names, for messages."""
        return ", ".join(self.files)


@dataclass(frozen=True)
class DatasetMatch:
    """Where a dataset was found, the other candidates, and why this one was chosen."""

    key: str
    path: Path
    candidates: tuple[Path, ...]
    reason: str


def catalogue() -> dict[str, Dataset]:
    """The catalogue of official datasets, keyed by dataset key.

    It is read from ``catalogue.json`` (the repository's ``data/`` folder, installed as the
    package resource ``accessibility.data``).
    """
    return dict(_catalogue())


@functools.cache
def _catalogue() -> tuple[tuple[str, Dataset], ...]:
    raw = json.loads(_catalogue_text())
    entries = []
    for item in raw["datasets"]:
        item = dict(item)
        item["files"] = tuple(item["files"])
        item["sha256"] = dict(item.get("sha256") or {})
        entries.append((item["key"], Dataset(**item)))
    return tuple(entries)


def _catalogue_text() -> str:
    try:
        return (
            resources.files("accessibility.data")
            .joinpath("catalogue.json")
            .read_text(encoding="utf-8")
        )
    except (ModuleNotFoundError, FileNotFoundError):
        # Run from a source checkout (the package imported from the working folder, not the
        # installed copy): read the repository's data/ folder, beside accessibility/.
        return (Path(__file__).resolve().parents[2] / "data" / "catalogue.json").read_text(
            encoding="utf-8"
        )


def get_dataset(key: str) -> Dataset:
    """The catalogue entry of ``key``; raises AccessibilityError naming the known keys."""
    datasets = catalogue()
    if key not in datasets:
        raise AccessibilityError(f"unknown dataset {key!r}; known datasets: {', '.join(datasets)}")
    return datasets[key]


def resolve_data_dir(data_dir: str | os.PathLike[str] | None = None) -> Path | None:
    """The data folder: ``data_dir`` if given, else the ``ACCESSIBILITY_DATA`` variable, else None.

    Raises
    ------
    DataNotFoundError
        If the folder named does not exist.
    """
    if data_dir is None:
        env = os.environ.get(settings.DATA_DIR_ENV, "").strip()
        if not env:
            return None
        data_dir, origin = env, f"{settings.DATA_DIR_ENV}={env}"
    else:
        origin = str(data_dir)
    path = Path(data_dir).expanduser()
    if not path.is_dir():
        raise DataNotFoundError(f"data folder {origin} does not exist or is not a folder")
    return path.resolve()


def cache_dir() -> Path:
    """Where ``accessibility fetch`` stores downloads: ``ACCESSIBILITY_CACHE``, else the per-user cache."""
    env = os.environ.get(CACHE_DIR_ENV, "").strip()
    return Path(env).expanduser() if env else Path(platformdirs.user_cache_dir("accessibility"))


def find_dataset(key: str, data_dir: str | os.PathLike[str] | None = None) -> Path:
    """Find a dataset by its official file name anywhere under the data folder or the download cache.

    Parameters
    ----------
    key
        Dataset key (see :func:`catalogue`).
    data_dir
        Data folder; defaults to ``ACCESSIBILITY_DATA``. Searched recursively, then the
        download cache of ``accessibility fetch``.

    Returns
    -------
    pathlib.Path
        The file (or the folder, for a GTFS folder). When several files match, dated
        editions rank newest first (units, classifier) and otherwise the catalogue's order of
        file names decides; the choice and the alternatives are logged
        (see :func:`locate_dataset` to get them).

    Raises
    ------
    DataNotFoundError
        Naming the dataset, its official file names, the download page and where to put it.
    """
    return locate_dataset(key, data_dir).path


def locate_dataset(key: str, data_dir: str | os.PathLike[str] | None = None) -> DatasetMatch:
    """Like :func:`find_dataset`, also returning every candidate and the reason for the choice."""
    dataset = get_dataset(key)
    folder = resolve_data_dir(data_dir)
    roots = [r for r in (folder, cache_dir()) if r is not None and r.is_dir()]
    candidates: list[Path] = []
    for root in roots:
        # The data folder before the download cache: within each, the ranking decides, and two
        # files that rank the same are never told apart by their path.
        ranked = _rank(dataset, _matches(dataset, root))
        if not candidates and len(ranked) > 1 and _tie(dataset, ranked[0], ranked[1]):
            raise AmbiguousDatasetError(
                f"dataset {key!r}: {ranked[0]} and {ranked[1]} could both be it (same file name "
                f"pattern{', same edition' if dataset.choose == 'newest_edition' else ''}); say which "
                f'in the study file ([study.inputs] {key} = "...") or remove the other'
            )
        candidates += [c for c in ranked if c not in candidates]
    if not candidates:
        raise DataNotFoundError(_missing_message(dataset, folder))
    chosen = candidates[0]
    if len(candidates) == 1:
        reason = "only match"
    elif dataset.choose == "newest_edition" and _edition(chosen) is not None:
        reason = f"newest edition of {len(candidates)}"
    else:
        reason = f"preferred file name of {len(candidates)}"
    if len(candidates) > 1 and _tie(dataset, chosen, candidates[1]):
        reason = f"data folder before the download cache, of {len(candidates)}"
    if len(candidates) > 1:
        logger.info(
            "%s: using %s (%s); also found %s",
            key,
            chosen,
            reason,
            ", ".join(map(str, candidates[1:])),
        )
    return DatasetMatch(key, chosen, tuple(candidates), reason)


def available_datasets(data_dir: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """What the data folder (and the download cache) holds, dataset by dataset.

    Raises
    ------
    DataNotFoundError
        If ``data_dir`` (or ``ACCESSIBILITY_DATA``) names a folder that does not exist.

    Returns
    -------
    pandas.DataFrame
        One row per catalogue entry: ``key``, ``title``, ``found`` (bool), ``path`` (the file
        :func:`find_dataset` would use, or None), ``candidates`` (all matches), ``checksum``
        (``"match"``/``"differs"`` against a known sha256, ``"unknown"`` when none is known),
        ``publisher``, ``page``, ``files`` (expected names) and ``message`` (how to get a
        missing dataset).
    """
    resolve_data_dir(
        data_dir
    )  # a data folder that does not exist is an error, not ten missing datasets
    rows: list[dict[str, Any]] = []
    for key, dataset in catalogue().items():
        row: dict[str, Any] = {
            "key": key,
            "title": dataset.title,
            "found": False,
            "path": None,
            "candidates": [],
            "checksum": None,
            "publisher": dataset.publisher,
            "page": dataset.page,
            "files": list(dataset.files),
            "message": "",
        }
        try:
            match = locate_dataset(key, data_dir)
        except (DataNotFoundError, AmbiguousDatasetError) as exc:
            # Two candidates are listed as such, not used: the study has to say which.
            row["message"] = str(exc)
        else:
            row.update(
                found=True, path=str(match.path), candidates=[str(c) for c in match.candidates]
            )
            row["checksum"] = _checksum_status(dataset, match.path)
        rows.append(row)
    return pd.DataFrame(rows)


def sha256_of(path: str | os.PathLike[str]) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --------------------------------------------------------------------------- helpers


def _matches(dataset: Dataset, root: Path) -> list[Path]:
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        # Hidden folders (.git, half-written downloads) and caches are never datasets.
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d != "__pycache__")
        here = Path(dirpath)
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            for pattern in dataset.files:
                if _name_matches(pattern, here, name):
                    found.append(here if (dataset.folder and "/" in pattern) else here / name)
                    break
    return list(dict.fromkeys(found))


def _name_matches(pattern: str, folder: Path, name: str) -> bool:
    if "/" in pattern:
        dir_pattern, file_pattern = pattern.rsplit("/", 1)
        return fnmatch.fnmatchcase(name.lower(), file_pattern.lower()) and fnmatch.fnmatchcase(
            folder.name.lower(), dir_pattern.lower()
        )
    return fnmatch.fnmatchcase(name.lower(), pattern.lower())


_EDITION_PATTERNS: tuple[tuple[re.Pattern[str], tuple[int, ...]], ...] = (
    # Territorial_units_LV_1.2m_(2024.01.01.)  -> year, month, day
    (re.compile(r"\((\d{4})\.(\d{2})\.(\d{2})\.?\)"), (1, 2, 3)),
    # ATVK2021_11012026_015924  -> DDMMYYYY_HHMMSS
    (re.compile(r"_(\d{2})(\d{2})(\d{4})_(\d{6})"), (3, 2, 1, 4)),
    # MarsrutuSaraksti06_2025  -> MM_YYYY
    (re.compile(r"(?<!\d)(\d{2})_(\d{4})(?!\d)"), (2, 1)),
)


def _edition(path: Path) -> tuple[int, ...] | None:
    """The date of an edition written in its file name, as a sortable tuple (None if undated)."""
    for pattern, order in _EDITION_PATTERNS:
        found = pattern.search(path.name)
        if found:
            parts = tuple(int(found.group(i)) for i in order)
            return parts + (0,) * (4 - len(parts))
    return None


def _pattern_index(dataset: Dataset, path: Path) -> int:
    for index, pattern in enumerate(dataset.files):
        if "/" in pattern and path.is_dir():
            if any(_name_matches(pattern, path, child.name) for child in path.iterdir()):
                return index
        elif "/" not in pattern and _name_matches(pattern, path.parent, path.name):
            return index
    return len(dataset.files)


def _rank_key(dataset: Dataset, path: Path) -> tuple[Any, ...]:
    """How a candidate ranks, without its path: equal keys cannot be told apart."""
    index = _pattern_index(dataset, path)
    if dataset.choose == "newest_edition":
        edition = _edition(path)
        dated = (0, tuple(-p for p in edition)) if edition is not None else (1, (0, 0, 0, 0))
        return (*dated, index)
    return (index,)


def _tie(dataset: Dataset, first: Path, second: Path) -> bool:
    return _rank_key(dataset, first) == _rank_key(dataset, second)


def _rank(dataset: Dataset, candidates: list[Path]) -> list[Path]:
    return sorted(
        dict.fromkeys(candidates), key=lambda path: (*_rank_key(dataset, path), str(path))
    )


def _checksum_status(dataset: Dataset, path: Path) -> str:
    known = dataset.sha256.get(path.name)
    if known is None or not path.is_file():
        return "unknown"
    return "match" if sha256_of(path) == known else "differs"


def _missing_message(dataset: Dataset, folder: Path | None) -> str:
    where = (
        f"under the data folder {folder} or the download cache {cache_dir()}"
        if folder is not None
        else f"in the download cache {cache_dir()}, and no data folder is set"
    )
    put = (
        f"Put it anywhere under {folder} (for example {folder / dataset.key}/)"
        if folder is not None
        else f"Put it in a data folder and pass --data-dir DIR (or set {settings.DATA_DIR_ENV}=DIR)"
    )
    how = (
        f"Run `accessibility fetch --dataset {dataset.key}`, or download it from {dataset.page}"
        if dataset.download
        else f"Download it from {dataset.page}"
    )
    text = (
        f"dataset {dataset.key!r} ({dataset.title}; {dataset.publisher}) not found {where}. "
        f"Expected a file named {dataset.file_names}. {how}. {put}."
    )
    if dataset.notes:
        text += f" Note: {dataset.notes}"
    return text


__all__ = [
    "Dataset",
    "DatasetMatch",
    "available_datasets",
    "cache_dir",
    "catalogue",
    "find_dataset",
    "get_dataset",
    "locate_dataset",
    "resolve_data_dir",
    "sha256_of",
]
