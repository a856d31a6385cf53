"""Worker processes: how many cores a run may use, and whether forking is safe."""

from __future__ import annotations

import multiprocessing
import os
import threading

__all__ = ["available_cores", "can_fork"]


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity where the platform tells it)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


def can_fork() -> bool:
    """Whether a forked worker is safe: the platform forks and no other thread is running.

    A fork copies only the calling thread; with another thread running (a lock held) the
    child could hang.
    """
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1
