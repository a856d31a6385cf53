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
    not_made
        Output name -> why it was not made (for example ``maps/existing`` without centres).
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
    not_made: dict[str, str] = field(default_factory=dict)
    transit: Any = None


class Progress:
    """Step-by-step progress on stderr: ``[3/9] measuring coverage ... 1.2 s``.

    A long step counts through its items (for example the map sheets) with a tqdm bar when
    the stream is a terminal, and with plain lines (about one per tenth) when it is a file or a
    pipe, so a log holds readable lines instead of carriage-return overwrites.
    """

    def __init__(self, total: int, *, enabled: bool = True, stream: Any = None) -> None:
        self.total = total
        self.step = 0
        self.label = ""
        self.enabled = enabled
        self.stream = stream if stream is not None else sys.stderr
        self._bar: Any = None
        self._last_line = -1

    @property
    def interactive(self) -> bool:
        """Whether the stream is a terminal (a bar is drawn) or a log (plain lines)."""
        isatty = getattr(self.stream, "isatty", None)
        return bool(isatty is not None and isatty())

    @contextmanager
    def __call__(self, label: str) -> Iterator[None]:
        """Announce a step, run it, and print how long it took."""
        self.step += 1
        self.label = label
        self._last_line = -1
        start = time.perf_counter()
        self._write(f"[{self.step}/{self.total}] {label} ...\n")
        try:
            yield
        finally:
            if self._bar is not None:
                self._bar.close()
                self._bar = None
            self._write(
                f"[{self.step}/{self.total}] {label}: done in {time.perf_counter() - start:.1f} s\n"
            )

    def item(self, done: int, of: int, what: str) -> None:
        """Count through a long step (for example map sheets): a bar, or a line per tenth."""
        if not self.enabled:
            return
        if self.interactive:
            if self._bar is None:
                from tqdm import tqdm

                self._bar = tqdm(
                    total=of,
                    desc=f"[{self.step}/{self.total}] {self.label}",
                    unit=f" {what}",
                    file=self.stream,
                    leave=False,
                )
            self._bar.update(done - self._bar.n)
            return
        tenth = done * 10 // max(of, 1)
        if tenth != self._last_line or done == of:
            if done == of and self._last_line == 10:
                return
            self._last_line = tenth if done < of else 10
            self._write(f"[{self.step}/{self.total}] {self.label}: {done}/{of} {what}\n")

    def _write(self, text: str) -> None:
        if self.enabled:
            print(text, end="", file=self.stream, flush=True)
