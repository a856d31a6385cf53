"""Every municipality's map sheet written to files, in parallel processes when cores allow."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import geopandas as gpd

from .._processes import available_cores, can_fork
from . import plot

__all__ = ["SheetJob", "available_cores", "start_municipality_sheets", "write_municipality_sheets"]

#: Sheet layers and options of the worker processes (set once per process, never sent per sheet).
_STATE: dict[str, Any] = {}


def write_municipality_sheets(
    units: gpd.GeoDataFrame,
    out_dir: str | os.PathLike[str],
    *,
    progress: Callable[[int, int], None] | None = None,
    **options: Any,
) -> dict[str, list[Path]]:
    """Draw and save every municipality sheet, closing each figure once written.

    The layers are checked, projected and turned into paths once; each sheet then picks its
    rows. With more than one worker the sheets are drawn in separate processes (each draws
    whole sheets from the same layers), so the files are byte-identical to a serial run.
    Files are named ``<municipality_code>_<ascii name>.<format>`` (e.g.
    ``0020000_adazu_novads.png``), written atomically.

    Parameters
    ----------
    units
        Territorial units, as in :func:`accessibility.outputs.plot.plot_municipality_sheets`.
    out_dir
        Folder for the files (created when missing).
    progress
        Called as ``progress(done, total)`` after each sheet.
    **options
        ``formats`` and ``dpi`` (passed to :func:`accessibility.outputs.plot.save_figure`;
        default PNG at 300 dpi), ``workers`` (processes; default one per available core, at
        most one per sheet; ``1`` draws every sheet in this process), and any keyword of
        :func:`accessibility.outputs.plot.plot_municipality_sheets`.

    Returns
    -------
    dict
        Municipality code -> paths written, in code order.
    """
    return start_municipality_sheets(units, out_dir, **options).result(progress)


class SheetJob:
    """Sheets being drawn: by worker processes from the start, or in this process on
    :meth:`result` when there is one worker."""

    def __init__(self, wanted: list[str], state: dict[str, Any], workers: int) -> None:
        self.wanted = wanted
        self._state = state
        self._pool: ProcessPoolExecutor | None = None
        self._futures: dict[Any, str] = {}
        if workers > 1:
            self._pool = ProcessPoolExecutor(
                max_workers=workers, mp_context=_context(), initializer=_init, initargs=(state,)
            )
            self._futures = {self._pool.submit(_draw_and_save, code): code for code in wanted}

    def result(self, progress: Callable[[int, int], None] | None = None) -> dict[str, list[Path]]:
        """Wait for every sheet (drawing them here without workers); code -> paths."""
        written: dict[str, list[Path]] = {}
        if self._pool is None:
            _init(self._state)
            for code in self.wanted:
                written[code] = _draw_and_save(code)
                if progress is not None:
                    progress(len(written), len(self.wanted))
        else:
            try:
                for future in as_completed(self._futures):
                    written[self._futures[future]] = future.result()
                    if progress is not None:
                        progress(len(written), len(self.wanted))
            finally:
                self.cancel()
        return {code: written[code] for code in self.wanted}

    def cancel(self) -> None:
        """Stop the workers (sheets not started are not drawn)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def start_municipality_sheets(
    units: gpd.GeoDataFrame,
    out_dir: str | os.PathLike[str],
    *,
    formats: Sequence[str] = ("png",),
    dpi: int = 300,
    workers: int | None = None,
    status_column: str | None = "status",
    municipalities: gpd.GeoDataFrame | None = None,
    stops: gpd.GeoDataFrame | None = None,
    centres: gpd.GeoDataFrame | None = None,
    proposed: gpd.GeoDataFrame | None = None,
    codes: Sequence[str] | None = None,
    source_note: str = plot.DEFAULT_SOURCE,
    date: Any = None,
    palette: Mapping[str, str] | None = None,
    intercity_column: str = "intercity",
    width: float = plot.A4_TEXT_WIDTH_IN,
) -> SheetJob:
    """Start drawing the sheets and return at once, so other outputs can be written meanwhile.

    Parameters as in :func:`write_municipality_sheets`; call :meth:`SheetJob.result` for
    the paths (and :meth:`SheetJob.cancel` when giving up).
    """
    layers, wanted = plot._sheet_layers(
        units, status_column, municipalities, stops, centres, proposed, codes
    )
    state = {
        "layers": layers,
        "options": (status_column, palette, intercity_column, plot._note(source_note, date), width),
        "out_dir": Path(out_dir),
        "formats": tuple(formats),
        "dpi": dpi,
    }
    n_workers = min(available_cores() if workers is None else max(int(workers), 1), len(wanted))
    return SheetJob(wanted, state, n_workers)


def _context() -> Any:
    """Fork where it is safe (a single-threaded POSIX process: no copy of the layers is sent),
    else spawn (the layers are pickled once per worker)."""
    if can_fork():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _init(state: dict[str, Any]) -> None:
    _STATE.clear()
    _STATE.update(state)


def _draw_and_save(code: str) -> list[Path]:
    """Draw one sheet from the process's layers, save it and free the figure."""
    import matplotlib as mpl

    layers = _STATE["layers"]
    with mpl.rc_context({"backend": "agg"}):
        sheet = plot._municipality_sheet(layers, code, *_STATE["options"])
    stem = (
        _STATE["out_dir"] / f"{sheet.municipality_code}_{plot._ascii_slug(sheet.municipality_name)}"
    )
    paths = plot.save_figure(sheet.figure, stem, formats=_STATE["formats"], dpi=_STATE["dpi"])
    # Release the figure's memory now: 43 sheets at 300 dpi add up.
    sheet.figure.clear()
    return paths
