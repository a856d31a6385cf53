"""The national scenarios of the plan step ("extra", "capacity"), each in a worker process.

Each scenario is a national p-median of several seconds that depends only on the layers, so
they run side by side (and beside the plan, its justification and its coverage) when more
than one core is available. Workers are forked, so the layers are inherited rather than sent;
where a fork is not safe (another thread running, or no fork on the platform) the scenarios
run here, one after the other. Either way the plans are the same: each scenario is the same
computation.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Mapping
from typing import Any

from .._errors import AccessibilityError
from .._processes import available_cores, can_fork

#: Layers of the worker processes (inherited through the fork, never pickled).
_STATE: dict[str, Any] = {}


class Scenarios:
    """Scenarios being planned; :meth:`result` waits for them (or plans them here).

    One forked process per scenario, each sending its plan back through a pipe: no thread is
    started in this process, so the sheet workers forked later are forked safely too.
    """

    def __init__(self, jobs: Mapping[str, dict[str, Any]], state: dict[str, Any], workers: int):
        self._jobs = dict(jobs)
        self._state = state
        self._running: dict[str, tuple[Any, Any]] = {}
        if workers > 1 and len(self._jobs) > 0 and can_fork():
            context = multiprocessing.get_context("fork")
            _init(state)
            try:
                for name, options in self._jobs.items():
                    receiver, sender = context.Pipe(duplex=False)
                    process = context.Process(target=_send, args=(sender, options), daemon=True)
                    process.start()
                    sender.close()
                    self._running[name] = (process, receiver)
            finally:
                _STATE.clear()

    def result(self) -> dict[str, Any]:
        """Scenario name -> :class:`~accessibility.planning.modes.ModePlan`, in the jobs' order."""
        if not self._running:
            _init(self._state)
            try:
                return {name: _plan(options) for name, options in self._jobs.items()}
            finally:
                _STATE.clear()
        try:
            return {name: self._receive(name) for name in self._jobs}
        finally:
            self.cancel()

    def _receive(self, name: str) -> Any:
        process, receiver = self._running[name]
        try:
            status, value = receiver.recv()
        except EOFError:
            process.join()
            raise AccessibilityError(
                f"the worker planning the {name!r} scenario stopped (exit code {process.exitcode})"
            ) from None
        process.join()
        if status == "error":
            raise value
        return value

    def cancel(self) -> None:
        """Stop the workers still running."""
        for process, receiver in self._running.values():
            if process.is_alive():
                process.terminate()
            process.join()
            receiver.close()
        self._running = {}


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

    ``workers``: with more than one (default: the available cores), one process per scenario;
    1 plans them in this process.
    """
    n_workers = available_cores() if workers is None else max(int(workers), 1)
    state = {"units": units, "candidates": candidates, "demand": demand, "network": network}
    return Scenarios(jobs, state, n_workers)


def _init(state: dict[str, Any]) -> None:
    _STATE.clear()
    _STATE.update(state)


def _send(sender: Any, options: dict[str, Any]) -> None:
    """Plan one scenario in a worker process and send back the plan (or the error)."""
    try:
        sender.send(("ok", _plan(options)))
    except Exception as error:  # noqa: BLE001 - sent to the parent, which raises it
        sender.send(("error", error))
    finally:
        sender.close()


def _plan(options: dict[str, Any]) -> Any:
    from ..planning.modes import plan_modes

    return plan_modes(
        _STATE["units"],
        _STATE["candidates"],
        _STATE["demand"],
        network=_STATE["network"],
        **options,
    )
