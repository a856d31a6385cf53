"""The national scenarios of the plan step ("extra", "capacity"), each in a worker process.

Each scenario is a national p-median of several seconds that depends only on the layers, so
they run side by side (and beside the justification of the plan) when more than one core is
available. Workers are forked, so the layers are inherited rather than sent; where a fork is
not safe (another thread running, or no fork on the platform) the scenarios run here, one
after the other. Either way the plans are the same: each scenario is the same computation.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

#: Layers of the worker processes (inherited through the fork, never pickled).
_STATE: dict[str, Any] = {}


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity where the platform tells it)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


class Scenarios:
    """Scenarios being planned; :meth:`result` waits for them (or plans them here)."""

    def __init__(self, jobs: Mapping[str, dict[str, Any]], state: dict[str, Any], workers: int):
        self._jobs = dict(jobs)
        self._state = state
        self._pool: ProcessPoolExecutor | None = None
        self._futures: dict[str, Future] = {}
        if workers > 1 and len(self._jobs) > 0 and _can_fork():
            self._pool = ProcessPoolExecutor(
                max_workers=min(workers, len(self._jobs)),
                mp_context=multiprocessing.get_context("fork"),
                initializer=_init,
                initargs=(state,),
            )
            self._futures = {name: self._pool.submit(_plan, kw) for name, kw in self._jobs.items()}

    def result(self) -> dict[str, Any]:
        """Scenario name -> :class:`~accessibility.planning.modes.ModePlan`, in the jobs' order."""
        if self._pool is None:
            _init(self._state)
            try:
                return {name: _plan(kw) for name, kw in self._jobs.items()}
            finally:
                _STATE.clear()
        try:
            return {name: self._futures[name].result() for name in self._jobs}
        finally:
            self.cancel()

    def cancel(self) -> None:
        """Stop the workers."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def start_scenarios(
    units: Any,
    candidates: Any,
    demand: Any,
    network: Any,
    jobs: Mapping[str, dict[str, Any]],
    *,
    workers: int | None = None,
) -> Scenarios:
    """Start :func:`~accessibility.planning.modes.plan_modes` for each job (its keywords).

    ``workers``: processes (default one per available core; 1 plans them in this process).
    """
    n_workers = available_cores() if workers is None else max(int(workers), 1)
    state = {"units": units, "candidates": candidates, "demand": demand, "network": network}
    return Scenarios(jobs, state, n_workers)


def _can_fork() -> bool:
    # A fork copies only the calling thread: with another thread running (a lock held) the
    # child could hang.
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def _init(state: dict[str, Any]) -> None:
    _STATE.clear()
    _STATE.update(state)


def _plan(options: dict[str, Any]) -> Any:
    from ..planning.modes import plan_modes

    return plan_modes(
        _STATE["units"],
        _STATE["candidates"],
        _STATE["demand"],
        network=_STATE["network"],
        **options,
    )
