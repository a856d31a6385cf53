"""Download catalogue datasets into the per-user cache with pooch, failing fast when offline.

pooch (and through it tqdm and requests) is imported only when something is downloaded, so that
importing the package stays quiet and quick (no tqdm warning in Jupyter).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from .._errors import AccessibilityError, DownloadError
from . import write as io
from .datasets import Dataset, cache_dir, catalogue, get_dataset, sha256_of

#: Environment variable naming a mirror: files are then fetched from ``<mirror>/<file name>``.
MIRROR_ENV = "ACCESSIBILITY_MIRROR"

#: Seconds to wait for a connection or for data before giving up (no retries).
DEFAULT_TIMEOUT = 10.0

#: The record of what was downloaded, kept beside the downloads.
LOG_NAME = "fetch_log.json"


def fetch(
    keys: Iterable[str] | None = None,
    dest: str | os.PathLike[str] | None = None,
    *,
    mirror: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> dict[str, Path]:
    """Download datasets that have a direct download address into the cache.

    Parameters
    ----------
    keys
        Dataset keys; by default every dataset with a direct download (see
        :func:`accessibility.io.datasets.catalogue`). A dataset without one is an error that says
        where to download it by hand.
    dest
        Folder to download into; by default :func:`accessibility.io.datasets.cache_dir`
        (where :func:`accessibility.io.datasets.find_dataset` also looks). Each dataset goes
        into its own subfolder.
    mirror
        Base address to fetch from instead of the publishers' (``<mirror>/<file name>``);
        defaults to the ``ACCESSIBILITY_MIRROR`` variable.
    timeout
        Seconds to wait for a connection before failing; there are no retries, so an offline
        machine fails at once.

    Returns
    -------
    dict of str to pathlib.Path
        The downloaded file (or unpacked folder) of each dataset.

    Raises
    ------
    DownloadError
        When a download fails (unreachable, HTTP error) or its sha256 differs from the
        catalogue's. The message says what to download by hand and where to put it.

    Notes
    -----
    A file already in the cache is not downloaded again. Where the catalogue knows the
    file's sha256 it is checked; otherwise (files that change with every edition) the hash
    received is recorded in ``fetch_log.json`` in the destination folder, with the address
    and the time, so a run can later be traced to the exact bytes used.
    """
    datasets = catalogue()
    wanted = list(keys) if keys else [k for k, d in datasets.items() if d.download]
    for key in wanted:
        get_dataset(key)
    target = Path(dest).expanduser() if dest is not None else cache_dir()
    mirror = mirror if mirror is not None else (os.environ.get(MIRROR_ENV, "").strip() or None)
    results: dict[str, Path] = {}
    for key in wanted:
        results[key] = _fetch_one(datasets[key], target, mirror=mirror, timeout=timeout)
    return results


def _fetch_one(dataset: Dataset, target: Path, *, mirror: str | None, timeout: float) -> Path:
    import pooch
    import requests

    # pooch logs every download at INFO through a handler bound to the stderr of the moment it
    # was imported; this module reports downloads itself, so pooch is kept to warnings.
    pooch.get_logger().setLevel("WARNING")

    if not dataset.download:
        raise DownloadError(
            f"dataset {dataset.key!r} has no direct download: get {dataset.file_names} from "
            f"{dataset.page} by hand and put it under your data folder (--data-dir or ACCESSIBILITY_DATA)"
        )
    file_name = Path(urlsplit(dataset.download).path).name
    url = f"{mirror.rstrip('/')}/{file_name}" if mirror else dataset.download
    known = dataset.sha256.get(file_name)
    folder = target / dataset.key
    processor = pooch.Unzip(extract_dir=Path(file_name).stem) if dataset.unzip else None
    downloader = pooch.HTTPDownloader(progressbar=False, timeout=timeout)
    manual = (
        f"Download {file_name} by hand from {dataset.download} (page: {dataset.page}) and put it "
        f"in {folder} or anywhere under your data folder (--data-dir or ACCESSIBILITY_DATA)"
    )
    try:
        result = pooch.retrieve(
            url,
            known_hash=f"sha256:{known}" if known else None,
            fname=file_name,
            path=folder,
            downloader=downloader,
            processor=processor,
        )
    except ValueError as exc:
        if "hash" in str(exc).lower():
            raise DownloadError(
                f"{dataset.key}: the file downloaded from {url} does not have the expected sha256 "
                f"{known} (it was not kept): {exc}. {manual}"
            ) from exc
        raise
    except (requests.exceptions.RequestException, OSError) as exc:
        raise DownloadError(
            f"{dataset.key}: could not download {url} ({type(exc).__name__}). {manual}"
        ) from exc
    downloaded = folder / file_name
    _record(target, dataset, url, downloaded, checked=known is not None)
    return folder / Path(file_name).stem if dataset.unzip else Path(result)


def _record(target: Path, dataset: Dataset, url: str, path: Path, *, checked: bool) -> None:
    """Add the download to ``fetch_log.json`` (the hash received, checked or not)."""
    log_path = target / LOG_NAME
    try:
        log = json.loads(log_path.read_text(encoding="utf-8")) if log_path.exists() else {}
    except ValueError as exc:
        raise AccessibilityError(
            f"{log_path}: download log is not valid JSON ({exc}); remove it"
        ) from exc
    log[dataset.key] = {
        "url": url,
        "file": str(path),
        "sha256": sha256_of(path),
        "sha256_checked": checked,
        "fetched_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    io.write_json(log_path, log)
