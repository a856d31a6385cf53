"""Whole-run atomicity: a run is written into a temporary folder beside the output folder and
moved into place at the end, so the output folder holds the previous complete run or the new
complete run, never a mix of the two, and never a half-written run.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from .._errors import OutputFolderError

#: Top-level entries a run writes into its output folder. Only these are replaced: any other
#: file in the folder (the demo's region, a study file, the user's notes) is left alone.
RUN_ENTRIES: tuple[str, ...] = (
    "tables",
    "maps",
    "map.html",
    "report.md",
    "report.html",
    "report.pdf",
    "headline.json",
    "accessibility.gpkg",
    "study.resolved.toml",
    "manifest.json",
)

#: Written last: a folder with a manifest holds a complete run.
_LAST = "manifest.json"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _owner_pid(name: str) -> int | None:
    tail = name.rsplit("-", 2)
    try:
        return int(tail[-2])
    except (IndexError, ValueError):
        return None


def clean_stale(out: Path) -> list[Path]:
    """Remove what crashed runs left: temporary run folders beside ``out`` and hidden temp files.

    A temporary folder is removed only when the process that made it is gone, so two runs
    into different folders of one parent never remove each other's work.
    """
    removed: list[Path] = []
    parent = out.parent
    if parent.is_dir():
        for entry in parent.glob(f".{out.name}.run-*"):
            pid = _owner_pid(entry.name)
            if entry.is_dir() and (pid is None or not _pid_alive(pid)):
                shutil.rmtree(entry, ignore_errors=True)
                removed.append(entry)
    if out.is_dir():
        # Temp files of atomic writes (io.write.atomic_path) are ".<name>.<random><suffix>".
        for name in RUN_ENTRIES:
            for entry in out.glob(f".{name}.*"):
                if entry.is_file():
                    entry.unlink()
                    removed.append(entry)
    return removed


def check_replaceable(out: Path) -> None:
    """Refuse an output folder whose run entries are not a run of this toolkit.

    Raises
    ------
    OutputFolderError
        If ``out`` is a file, or holds ``tables``/``maps``/... but no ``manifest.json``: those
        would be replaced, and they may be someone's own files.
    """
    if out.exists() and not out.is_dir():
        raise OutputFolderError(f"output path {out} exists and is not a folder")
    if not out.is_dir() or (out / _LAST).is_file():
        return
    present = [name for name in RUN_ENTRIES if (out / name).exists()]
    if present:
        raise OutputFolderError(
            f"output folder {out} holds {', '.join(present)} but no {_LAST}, so it is not a finished "
            "run of this toolkit and would be overwritten; choose another folder or remove them"
        )


def start(out: Path) -> Path:
    """Check ``out``, clean stale leftovers and make the temporary folder to write the run into."""
    check_replaceable(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    clean_stale(out)
    return Path(tempfile.mkdtemp(prefix=f".{out.name}.run-{os.getpid()}-", dir=out.parent))


def finish(work: Path, out: Path) -> None:
    """Move the run in ``work`` into ``out``, replacing every entry of the previous run."""
    out.mkdir(parents=True, exist_ok=True)
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.run-{os.getpid()}-", dir=out.parent))
    try:
        # The previous run's manifest goes first, so a crash in the middle leaves no folder that
        # claims to hold a complete run; the new manifest comes last for the same reason.
        # Whatever this run wrote is moved, listed or not, so that no output is left behind.
        entries = [
            *RUN_ENTRIES,
            *sorted(e.name for e in work.iterdir() if e.name not in RUN_ENTRIES),
        ]
        for name in (_LAST, *(n for n in entries if n != _LAST)):
            if (out / name).exists() or (out / name).is_symlink():
                os.replace(out / name, old / name)
        for name in (*(n for n in entries if n != _LAST), _LAST):
            if (work / name).exists():
                os.replace(work / name, out / name)
    finally:
        shutil.rmtree(old, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)


def abandon(work: Path) -> None:
    """Remove the temporary folder of a run that failed; the output folder is untouched."""
    shutil.rmtree(work, ignore_errors=True)
