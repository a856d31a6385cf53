"""What a run computed and wrote, and its step-by-step progress line."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from .inputs import Inputs
from .study import Study


@dataclass
class RunResult:
    """What :func:`run` computed and wrote.

    Attributes
    ----------
    inputs
        The loaded inputs.
    study
        The study run.
    coverage
        Coverage of the existing centres (None without centres).
    site_checks
        Stop-rule tables by site set (``libraries``, or the two proxy sets).
    plan
        The proposed plan's sites (GeoDataFrame) and its planner's result.
    comparison
        Coverage figures of the existing network and the plan, side by side.
    files
        Written path per output name.
    inference
        The measured recall and precision of the cut-list inference
        (:class:`~accessibility.io.route_inference.InferenceScore`; None without cut lists).
    transit
        The timetable step: same-day round trips and the service rule, or why there are none
        (:class:`~accessibility.run._transit.TransitFigures`; None before the step runs).
    """

    inputs: Inputs
    study: Study | None = None
    coverage: Any = None
    plan_coverage: Any = None
    site_checks: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    plan: gpd.GeoDataFrame | None = None
    plan_details: dict[str, Any] = field(default_factory=dict)
    comparison: pd.DataFrame | None = None
    files: dict[str, Path] = field(default_factory=dict)
    inference: Any = None
    transit: Any = None


class Progress:
    """Step-by-step progress on stderr: ``[3/9] measuring coverage ... 1.2 s``."""

    def __init__(self, total: int, *, enabled: bool = True, stream: Any = None) -> None:
        self.total = total
        self.step = 0
        self.label = ""
        self.enabled = enabled
        self.stream = stream if stream is not None else sys.stderr

    @contextmanager
    def __call__(self, label: str) -> Iterator[None]:
        """Announce a step, run it, and print how long it took."""
        self.step += 1
        self.label = label
        start = time.perf_counter()
        self._write(f"[{self.step}/{self.total}] {label} ...")
        try:
            yield
        finally:
            self._write(f" {time.perf_counter() - start:.1f} s\n")

    def item(self, done: int, of: int, what: str) -> None:
        """Count through a long step (for example map sheets) on the step's own line."""
        self._write(f"\r[{self.step}/{self.total}] {self.label} ... {done}/{of} {what}")

    def _write(self, text: str) -> None:
        if self.enabled:
            print(text, end="", file=self.stream, flush=True)
