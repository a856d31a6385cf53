"""Downloading datasets, tested against a local HTTP server on 127.0.0.1 (never the internet)."""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import socket
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from accessibility._errors import DownloadError
from accessibility.io import datasets
from accessibility.io.datasets import Dataset
from accessibility.io.fetch import fetch


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An HTTP server on a free 127.0.0.1 port serving the folder it returns."""
    root = tmp_path / "served"
    root.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", root
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture
def closed_port() -> str:
    """The address of a 127.0.0.1 port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv(datasets.CACHE_DIR_ENV, str(cache))
    monkeypatch.delenv("ACCESSIBILITY_MIRROR", raising=False)
    monkeypatch.delenv("ACCESSIBILITY_DATA", raising=False)
    return cache


def _use_catalogue(monkeypatch: pytest.MonkeyPatch, *entries: Dataset) -> None:
    """Replace the catalogue by test entries pointing at the local server."""
    monkeypatch.setattr(datasets, "_catalogue", lambda: tuple((e.key, e) for e in entries))


def _entry(url: str, *, sha256: dict[str, str] | None = None, unzip: bool = False) -> Dataset:
    return Dataset(
        key="sample",
        title="Sample table",
        publisher="Test publisher",
        page="https://example.invalid/sample",
        files=("sample.csv",),
        download=url,
        sha256=sha256 or {},
        unzip=unzip,
    )


def test_download_with_the_right_checksum(
    server: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base, root = server
    content = "id,name\n1,Ābele\n".encode()
    (root / "sample.csv").write_bytes(content)
    digest = hashlib.sha256(content).hexdigest()
    _use_catalogue(monkeypatch, _entry(f"{base}/sample.csv", sha256={"sample.csv": digest}))
    dest = tmp_path / "dest"
    paths = fetch(["sample"], dest)
    assert paths["sample"] == dest / "sample" / "sample.csv"
    assert paths["sample"].read_bytes() == content
    log = json.loads((dest / "fetch_log.json").read_text(encoding="utf-8"))
    assert log["sample"]["sha256"] == digest and log["sample"]["sha256_checked"] is True
    assert log["sample"]["url"] == f"{base}/sample.csv"


def test_checksum_mismatch_is_a_download_error_and_keeps_nothing(
    server: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base, root = server
    (root / "sample.csv").write_bytes(b"tampered\n")
    _use_catalogue(monkeypatch, _entry(f"{base}/sample.csv", sha256={"sample.csv": "0" * 64}))
    dest = tmp_path / "dest"
    with pytest.raises(DownloadError, match="sha256") as caught:
        fetch(["sample"], dest)
    assert "by hand" in str(caught.value)
    assert not (dest / "sample" / "sample.csv").exists()
    assert not (dest / "fetch_log.json").exists()


def test_unknown_checksum_is_recorded(
    server: tuple[str, Path], isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base, root = server
    (root / "sample.csv").write_bytes(b"a,b\n")
    _use_catalogue(monkeypatch, _entry(f"{base}/sample.csv"))
    path = fetch(["sample"])["sample"]
    assert path == isolated / "sample" / "sample.csv"
    log = json.loads((isolated / "fetch_log.json").read_text(encoding="utf-8"))
    assert log["sample"]["sha256"] == hashlib.sha256(b"a,b\n").hexdigest()
    assert log["sample"]["sha256_checked"] is False
    # What fetch put in the cache is what find_dataset then finds.
    assert datasets.find_dataset("sample") == path


def test_unreachable_host_fails_fast_with_the_manual_steps(
    closed_port: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _use_catalogue(monkeypatch, _entry(f"{closed_port}/sample.csv"))
    started = time.monotonic()
    with pytest.raises(DownloadError) as caught:
        fetch(["sample"], tmp_path / "dest", timeout=3)
    # No retry loop: a refused connection ends the call at once (generous bound for a busy machine).
    assert time.monotonic() - started < 10
    message = str(caught.value)
    assert "by hand" in message and "sample.csv" in message
    assert str(tmp_path / "dest" / "sample") in message


def test_missing_file_on_the_server_is_a_download_error(
    server: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base, _ = server
    _use_catalogue(monkeypatch, _entry(f"{base}/sample.csv"))
    with pytest.raises(DownloadError, match="could not download"):
        fetch(["sample"], tmp_path / "dest")


def test_zip_is_unpacked_when_the_catalogue_says_so(
    server: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base, root = server
    with zipfile.ZipFile(root / "feed.zip", "w") as archive:
        archive.writestr("stops.txt", "stop_id,stop_name\n1,Centrs\n")
        archive.writestr("routes.txt", "route_id\nr1\n")
    _use_catalogue(monkeypatch, _entry(f"{base}/feed.zip", unzip=True))
    folder = fetch(["sample"], tmp_path / "dest")["sample"]
    assert folder == tmp_path / "dest" / "sample" / "feed"
    assert (folder / "stops.txt").read_text(encoding="utf-8").startswith("stop_id")


def test_mirror_replaces_the_publisher_address(
    server: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real catalogue entry for stops, served from a local mirror set in the environment."""
    base, root = server
    (root / "gtfs-latvia-lv.zip").write_bytes(b"PK\x05\x06" + b"\x00" * 18)  # an empty zip
    monkeypatch.setenv("ACCESSIBILITY_MIRROR", base + "/")
    path = fetch(["stops"], tmp_path / "dest")["stops"]
    assert path == tmp_path / "dest" / "stops" / "gtfs-latvia-lv.zip"
    log = json.loads((tmp_path / "dest" / "fetch_log.json").read_text(encoding="utf-8"))
    assert log["stops"]["url"] == f"{base}/gtfs-latvia-lv.zip"


def test_dataset_without_direct_download_names_its_page(tmp_path: Path) -> None:
    with pytest.raises(
        DownloadError, match=r"no direct download.*data\.gov\.lv/dati/lv/dataset/robezas"
    ):
        fetch(["units"], tmp_path)


def test_unknown_dataset_is_refused_before_any_download(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown dataset 'roads'"):
        fetch(["stops", "roads"], tmp_path)
    assert not (tmp_path / "stops").exists()


def test_default_selection_is_the_downloadable_datasets(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    called: list[str] = []

    def fake(dataset: Dataset, target: Path, *, mirror: str | None, timeout: float) -> Path:
        called.append(dataset.key)
        return target / dataset.key

    monkeypatch.setattr("accessibility.io.fetch._fetch_one", fake)
    fetch(dest=tmp_path)
    assert called == [k for k, d in datasets.catalogue().items() if d.download]
    assert set(called) == {"municipalities", "stops", "streets"}
