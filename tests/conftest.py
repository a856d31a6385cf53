"""Shared fixtures: where the real Latvian data is, and a temporary output folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def _real_data_dir() -> Path | None:
    env = os.environ.get("ACCESSIBILITY_DATA")
    candidates = [Path(env)] if env else []
    candidates.append(REPO_ROOT.parent / "shared" / "data")
    for candidate in candidates:
        if candidate.is_dir():
            return candidate.resolve()
    return None


@pytest.fixture(scope="session")
def real_data() -> Path:
    """The folder of real datasets (ACCESSIBILITY_DATA, else ../shared/data); skip when absent.

    In CI (environment variable CI=true, as `.ci/run` sets it) a missing folder fails the
    test instead, so that a run cannot pass with the real-data tests silently skipped.
    """
    found = _real_data_dir()
    if found is None:
        message = "real data folder not found (set ACCESSIBILITY_DATA or place ../shared/data)"
        if os.environ.get("CI", "").strip().lower() == "true":
            pytest.fail(f"{message}; CI=true requires it", pytrace=False)
        pytest.skip(message)
    return found
