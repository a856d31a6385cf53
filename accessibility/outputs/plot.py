"""Printable maps of coverage: the national map, one sheet per municipality, deterministic files."""

from __future__ import annotations

import datetime as _dt
import math
import os
import re
import textwrap
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import matplotlib as mpl
import numpy as np
import pandas as pd
import shapely
from matplotlib import patheffects
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

from .. import settings
from .._errors import AccessibilityError, MissingColumnError
from ..io.write import atomic_path
from ..projection import to_working_crs
from . import _cartography as carto
from ._borders import detailed_state_cities
from ._paths import add_polygons, polygon_paths
from ._paths import bounds_overlap as _bounds_overlap
from ._places import label_places
from ._png import write_figure_png

__all__ = [
    "MunicipalitySheet",
    "plot_coverage_map",
    "plot_municipality_sheets",
    "save_figure",
]

#: Width of the printed map: the text width of an A4 page with 20 mm margins (170 mm).
A4_TEXT_WIDTH_IN: float = 170 / 25.4
#: Longest side of a municipality sheet's map, so that a sheet fits an A4 page with its legend.
SHEET_MAX_MAP_HEIGHT_IN: float = 7.6

DEFAULT_TITLE = "Client service centres and intercity bus stops by territorial unit"
DEFAULT_SOURCE = (
    "Boundaries: Central Statistical Bureau of Latvia; bus stops: Road Transport Directorate (ATD)"
)
SAVE_FORMATS: tuple[str, ...] = ("png", "svg", "pdf")

# DejaVu Sans ships with matplotlib and covers every Latvian letter (ā č ē ģ ī ķ ļ ņ š ū ž).
# A concrete family name (not "sans-serif") is stored in each text, so the font does not
# depend on the caller's rcParams at draw time.
_FONT = "DejaVu Sans"
_RC = {
    "font.family": [_FONT],
    "axes.titlesize": 11,
    "legend.fontsize": 7,
    "legend.title_fontsize": 7,
}
_TITLE_SIZE = 11.0
_LEGEND_SIZE = 7.0
_NOTE_SIZE = 6.0
_LABEL_SIZE = 6.5
_MUNICIPALITY_LABEL_SIZE = 6.0
_UNIT_EDGE = {"edgecolor": "#FFFFFF", "linewidth": 0.25}
_MUNICIPALITY_EDGE = {"color": "#333333", "linewidth": 0.8}
_CONTEXT_FILL = {"facecolor": "#F0F0F0", "edgecolor": "#CCCCCC", "linewidth": 0.3}
# Dense point layers are rasterised inside SVG/PDF: ten thousand vector dots make files that
# viewers render slowly, while text and boundaries stay vector.
_RASTERISE_ABOVE = 2000
#: Map width (metres) above which the small national symbol sizes are used.
_NATIONAL_SYMBOLS_ABOVE_M = 150_000


@dataclass
class MunicipalitySheet:
    """One municipality's map sheet."""

    municipality_code: str
    municipality_name: str
    figure: Figure
    #: Unit labels left out because they would overlap a label drawn before them.
    hidden_labels: list[str]


def plot_coverage_map(
    units: gpd.GeoDataFrame,
    *,
    status_column: str | None = "status",
    municipalities: gpd.GeoDataFrame | None = None,
    stops: gpd.GeoDataFrame | None = None,
    centres: gpd.GeoDataFrame | None = None,
    proposed: gpd.GeoDataFrame | None = None,
    title: str = DEFAULT_TITLE,
    source_note: str = DEFAULT_SOURCE,
    date: _dt.date | str | None = None,
    palette: Mapping[str, str] | None = None,
    intercity_column: str = "intercity",
    label_municipalities: bool = False,
    label_towns: bool = False,
    ax: Axes | None = None,
    width: float = A4_TEXT_WIDTH_IN,
) -> Figure:
    """Draw the national map: units coloured by coverage status, boundaries, stops and centres.

    Every layer is converted to EPSG:3059 first, so the scale bar is in true metres. Unit
    names are not drawn (there are ~590 units); municipality names can be.

    Parameters
    ----------
    units
        Territorial units (``unit_coverage`` output or the units layer), any CRS.
    status_column
        Column with the coverage status per unit, coloured with ``palette``; values outside
        the palette are drawn grey and named in the legend. ``None`` draws plain units.
    municipalities
        Municipality polygons for the thick boundaries; dissolved from ``units`` by
        ``municipality_code`` when omitted and the column exists.
    stops
        Bus stops; those with a true ``intercity_column`` are drawn as intercity stops.
    centres, proposed
        Existing and proposed centres (points).
    title, source_note
        Title above the map and the sources named under it.
    date
        Date printed in the note; defaults to ``SOURCE_DATE_EPOCH`` when set (reproducible
        builds), else today.
    palette
        Colour per status value; defaults to :data:`accessibility.outputs._cartography.STATUS_PALETTE`.
    intercity_column
        Boolean column of ``stops`` marking intercity stops.
    label_municipalities
        Write municipality names (overlapping names are left out).
    label_towns
        Name the state cities and the most populous town of each novads (usually its
        centre), each beside a dot; a name that would collide with another is left out.
    ax
        Draw into these axes instead of a new figure sized for an A4 page.
    width
        Figure width in inches when a new figure is made (default 170 mm).

    Returns
    -------
    matplotlib.figure.Figure
        Not registered with pyplot: close nothing, keep or save it with :func:`save_figure`.
    """
    layers = _prepare_layers(units, status_column, municipalities, stops, centres, proposed)
    units = layers.units
    x_min, y_min, x_max, y_max = _padded_bounds(units.total_bounds, 0.015)
    # Symbols sized for the whole country vanish on a small area: use the sheet sizes there.
    styles = (
        carto.POINT_STYLES
        if x_max - x_min > _NATIONAL_SYMBOLS_ABOVE_M
        else carto.SHEET_POINT_STYLES
    )
    with mpl.rc_context(_RC):
        legend_entries = _status_entries(units, status_column, palette)
        handles = [carto.patch_handle(label, colour) for label, colour in legend_entries]
        handles += [
            carto.line_handle(
                "municipality boundary", colour=_MUNICIPALITY_EDGE["color"], linewidth=0.8
            )
        ]
        handles += _point_handles(layers, intercity_column, styles)
        n_cols = 3
        own_figure = ax is None
        if ax is None:
            fig, ax = _new_map_figure(
                width=width,
                data_aspect=(y_max - y_min) / (x_max - x_min),
                legend_rows=math.ceil(len(handles) / n_cols),
            )
        fig = ax.figure
        _draw_units(ax, units, status_column, palette, layers.unit_paths or [])
        _draw_municipality_edges(ax, layers)
        _draw_points(ax, layers, intercity_column, styles)
        _frame(ax, (x_min, y_min, x_max, y_max))
        if label_municipalities and layers.municipalities is not None:
            _label_municipalities(ax, layers.municipalities)
        if label_towns:
            label_places(ax, units, _renderer(fig))
        carto.add_scale_bar(ax, fontsize=_LEGEND_SIZE)
        carto.add_north_arrow(ax)
        _title_legend_note(
            ax, title, handles, n_cols, _note(source_note, date), fit_figure=own_figure
        )
    return fig  # type: ignore[return-value]


def plot_municipality_sheets(
    units: gpd.GeoDataFrame,
    *,
    status_column: str | None = "status",
    municipalities: gpd.GeoDataFrame | None = None,
    stops: gpd.GeoDataFrame | None = None,
    centres: gpd.GeoDataFrame | None = None,
    proposed: gpd.GeoDataFrame | None = None,
    codes: Sequence[str] | None = None,
    source_note: str = DEFAULT_SOURCE,
    date: _dt.date | str | None = None,
    palette: Mapping[str, str] | None = None,
    intercity_column: str = "intercity",
    width: float = A4_TEXT_WIDTH_IN,
) -> Iterator[MunicipalitySheet]:
    """Yield one zoomed map sheet per municipality, with unit names, stops and centres.

    Neighbouring units are drawn pale for context. Unit labels that would overlap an earlier
    label are hidden (towns first, then parishes by area) and reported on the sheet object.
    Close or save each figure before asking for the next when drawing all 43 municipalities;
    :func:`accessibility.outputs.sheets.write_municipality_sheets` does that.

    Parameters
    ----------
    units
        Territorial units with ``municipality_code``, ``municipality_name``, ``unit_name`` and
        (optionally) ``unit_kind`` and the status column; any CRS.
    codes
        Municipality codes to draw, in this order; all of them (sorted) by default.
    status_column, municipalities, stops, centres, proposed, source_note, date, palette, intercity_column, width
        As in :func:`plot_coverage_map`.

    Yields
    ------
    MunicipalitySheet
        Code, name, the figure and the labels left out.
    """
    layers, wanted = _sheet_layers(
        units, status_column, municipalities, stops, centres, proposed, codes
    )
    for code in wanted:
        yield _municipality_sheet(
            layers, code, status_column, palette, intercity_column, _note(source_note, date), width
        )


def _sheet_layers(
    units: gpd.GeoDataFrame,
    status_column: str | None,
    municipalities: gpd.GeoDataFrame | None,
    stops: gpd.GeoDataFrame | None,
    centres: gpd.GeoDataFrame | None,
    proposed: gpd.GeoDataFrame | None,
    codes: Sequence[str] | None,
) -> tuple[_Layers, list[str]]:
    """The checked layers of the sheets and the municipality codes to draw, in order."""
    layers = _prepare_layers(units, status_column, municipalities, stops, centres, proposed)
    units = layers.units
    for column in ("municipality_code", "municipality_name", "unit_name"):
        _require_column(units, column, "units")
    available = sorted(units["municipality_code"].astype(str).unique())
    wanted = available if codes is None else [str(c) for c in codes]
    unknown = [c for c in wanted if c not in available]
    if unknown:
        raise AccessibilityError(f"no units belong to municipality code(s) {', '.join(unknown)}")
    return layers, wanted


def save_figure(
    fig: Figure,
    path_stem: str | os.PathLike[str],
    formats: Sequence[str] = ("png", "svg"),
    dpi: int = 300,
) -> list[Path]:
    """Save a figure in several formats, atomically and reproducibly.

    Reruns with the same figure produce byte-identical files: SVG ids use a fixed salt and
    no date is written into SVG or PDF metadata. Text stays text (SVG ``<text>`` elements,
    TrueType text in PDF), so a policy paper's editor can search and correct it.

    Parameters
    ----------
    fig
        The figure.
    path_stem
        Path without extension; ``.png``, ``.svg``, ``.pdf`` are appended.
    formats
        Any of ``"png"``, ``"svg"``, ``"pdf"``.
    dpi
        Resolution of PNG files and of rasterised layers inside SVG/PDF.

    Returns
    -------
    list of pathlib.Path
        The files written, in the order of ``formats``.
    """
    bad = [f for f in formats if f not in SAVE_FORMATS]
    if bad or not formats:
        raise ValueError(f"formats must be some of {SAVE_FORMATS}, got {tuple(formats)!r}")
    stem = Path(path_stem)
    if stem.suffix.lstrip(".").lower() in SAVE_FORMATS:
        stem = stem.with_suffix("")
    written = []
    # zlib level 1 for the PDF's streams: a quarter less time for files ~12 % larger.
    rc = {"svg.hashsalt": "accessibility", "svg.fonttype": "none", "pdf.fonttype": 42}
    rc["pdf.compression"] = 1
    metadata = {"svg": {"Date": None}, "pdf": {"CreationDate": None, "ModDate": None}}
    with mpl.rc_context(rc):
        for fmt in formats:
            target = stem.parent / f"{stem.name}.{fmt}"
            with atomic_path(target) as tmp:
                if fmt == "png":  # unfiltered rows, one zlib pass (see _png)
                    write_figure_png(fig, tmp, dpi, facecolor="white")
                else:
                    fig.savefig(tmp, format=fmt, dpi=dpi, metadata=metadata[fmt], facecolor="white")
            written.append(target)
    return written


@dataclass
class _Layers:
    units: gpd.GeoDataFrame
    municipalities: gpd.GeoDataFrame | None
    stops: gpd.GeoDataFrame | None
    centres: gpd.GeoDataFrame | None
    proposed: gpd.GeoDataFrame | None
    #: Paths of ``units`` and ``municipalities`` (same order), made once for every sheet.
    unit_paths: list | None = None
    municipality_paths: list | None = None
    #: Coarse outlines of the state cities given detailed ones, filled pale under a sheet so
    #: that no white sliver shows where the two editions of a border disagree.
    underlay_paths: list | None = None


def _prepare_layers(
    units: gpd.GeoDataFrame,
    status_column: str | None,
    municipalities: gpd.GeoDataFrame | None,
    stops: gpd.GeoDataFrame | None,
    centres: gpd.GeoDataFrame | None,
    proposed: gpd.GeoDataFrame | None,
) -> _Layers:
    """Check the inputs and bring every layer to EPSG:3059."""
    if not isinstance(units, gpd.GeoDataFrame):
        raise TypeError(f"units must be a GeoDataFrame, got {type(units).__name__}")
    units = to_working_crs(units)
    units = units[units.geometry.notna() & ~units.geometry.is_empty]
    if units.empty:
        raise AccessibilityError("units: no unit with a geometry to draw")
    if status_column is not None:
        _require_column(units, status_column, "units")
    if municipalities is None and "municipality_code" in units.columns:
        # Borders of the municipalities are the unions of their units.
        municipalities = units[["municipality_code", "geometry"]].dissolve("municipality_code")
        if "municipality_name" in units.columns:
            names = units.groupby("municipality_code")["municipality_name"].first()
            municipalities["municipality_name"] = names
        municipalities = municipalities.reset_index()
    municipalities = None if municipalities is None else to_working_crs(municipalities)
    # Detailed outlines for the state cities where the municipality layer has them.
    coarse = units
    units, replaced = detailed_state_cities(units, municipalities)
    underlay = coarse.geometry[coarse["unit_code"].astype(str).isin(replaced)] if replaced else []
    return _Layers(
        units=units,
        municipalities=municipalities,
        stops=_points(stops, "stops"),
        centres=_points(centres, "centres"),
        proposed=_points(proposed, "proposed"),
        unit_paths=polygon_paths(units.geometry.to_numpy()),
        municipality_paths=None
        if municipalities is None
        else polygon_paths(municipalities.geometry.to_numpy()),
        underlay_paths=polygon_paths(np.asarray(underlay, dtype=object)),
    )


def _points(points: gpd.GeoDataFrame | None, what: str) -> gpd.GeoDataFrame | None:
    """Points in EPSG:3059 without empty geometries, or None."""
    if points is None:
        return None
    if not isinstance(points, gpd.GeoDataFrame):
        raise TypeError(f"{what} must be a GeoDataFrame, got {type(points).__name__}")
    points = to_working_crs(points, source=what)
    return points[points.geometry.notna() & ~points.geometry.is_empty]


def _require_column(frame: pd.DataFrame, column: str, what: str) -> None:
    if column not in frame.columns:
        raise MissingColumnError(
            None,
            f"{what} have no column {column!r} (columns: {', '.join(map(str, frame.columns))})",
            field=column,
        )


def _padded_bounds(bounds: np.ndarray, share: float) -> tuple[float, float, float, float]:
    x_min, y_min, x_max, y_max = (float(v) for v in bounds)
    pad = share * max(x_max - x_min, y_max - y_min, 1.0)
    return x_min - pad, y_min - pad, x_max + pad, y_max + pad


def _new_map_figure(*, width: float, data_aspect: float, legend_rows: int) -> tuple[Figure, Axes]:
    """A figure sized so the map keeps its true aspect with room for title, legend and note."""
    side = 0.08
    top = 0.42
    bottom = 0.22 + legend_rows * 0.17 + 0.2
    map_w = width - 2 * side
    map_h = map_w * data_aspect
    height = top + map_h + bottom
    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    ax = fig.add_axes((side / width, bottom / height, map_w / width, map_h / height))
    return fig, ax


def _status_entries(
    units: gpd.GeoDataFrame, status_column: str | None, palette: Mapping[str, str] | None
) -> list[tuple[str, str]]:
    if status_column is None:
        return []
    return carto.status_colours(units[status_column], palette).entries


def _draw_units(
    ax: Axes,
    units: gpd.GeoDataFrame,
    status_column: str | None,
    palette: Mapping[str, str] | None,
    paths: Sequence[object],
) -> None:
    if status_column is None:
        colours: list[str] | str = "#E8E8E8"
    else:
        colours = carto.status_colours(units[status_column], palette).colours
    add_polygons(
        ax,
        paths,  # type: ignore[arg-type]
        facecolor=colours,
        edgecolor=_UNIT_EDGE["edgecolor"],
        linewidth=_UNIT_EDGE["linewidth"],  # type: ignore[arg-type]
        zorder=1,
        label="units",
    )


def _draw_municipality_edges(ax: Axes, layers: _Layers) -> None:
    if layers.municipalities is not None and layers.municipality_paths:
        add_polygons(
            ax,
            layers.municipality_paths,
            facecolor="none",
            edgecolor=_MUNICIPALITY_EDGE["color"],
            linewidth=_MUNICIPALITY_EDGE["linewidth"],  # type: ignore[arg-type]
            zorder=3,
        )


def _point_layers(
    layers: _Layers, intercity_column: str
) -> list[tuple[gpd.GeoDataFrame, str, str]]:
    """(points, style key, legend label) of every point layer given, in drawing order."""
    intercity, other = carto.split_stops(layers.stops, intercity_column)
    found = [
        (other, "stop", "bus stop" if intercity is None else "other stop"),
        (intercity, "intercity_stop", "intercity stop"),
        (layers.centres, "centre", "existing centre"),
        (layers.proposed, "proposed", "proposed centre"),
    ]
    return [(layer, key, label) for layer, key, label in found if layer is not None]


def _point_handles(
    layers: _Layers,
    intercity_column: str,
    styles: Mapping[str, Mapping[str, object]],
    *,
    count_within: BaseGeometry | None = None,
) -> list[object]:
    """Legend entries with the number of points (inside ``count_within`` when given)."""
    legend_order = {"intercity_stop": 0, "stop": 1, "centre": 2, "proposed": 3}
    handles = []
    for layer, key, label in sorted(
        _point_layers(layers, intercity_column), key=lambda t: legend_order[t[1]]
    ):
        if count_within is None:
            count = f"{len(layer)}"
        else:
            count = f"{int(_covered(layer, count_within).sum())} inside"
        handles.append((legend_order[key], carto.point_handle(f"{label} ({count})", styles[key])))
    return [handle for _, handle in handles]


def _covered(points: gpd.GeoDataFrame, area: BaseGeometry) -> np.ndarray:
    """Mask of points inside or on the edge of ``area``."""
    return np.asarray(shapely.covers(area, points.geometry.to_numpy()), dtype=bool)


def _draw_points(
    ax: Axes,
    layers: _Layers,
    intercity_column: str,
    styles: Mapping[str, Mapping[str, object]],
    *,
    focus: BaseGeometry | None = None,
) -> None:
    """Scatter the point layers; with ``focus``, points outside it are drawn faded."""
    for layer, key, _ in _point_layers(layers, intercity_column):
        if layer.empty:
            continue
        style = styles[key]
        inside = np.ones(len(layer), dtype=bool) if focus is None else _covered(layer, focus)
        for mask, alpha in ((inside, 1.0), (~inside, 0.35)):
            if not mask.any():
                continue
            ax.scatter(
                layer.geometry.x.to_numpy()[mask],
                layer.geometry.y.to_numpy()[mask],
                s=style["size"],
                c=style["color"],
                marker=style["marker"],
                edgecolors=style["edgecolor"],
                linewidths=0.4 if style["edgecolor"] != "none" else 0.0,
                alpha=alpha,
                zorder=style["zorder"],
                rasterized=int(mask.sum()) > _RASTERISE_ABOVE,
            )


def _symbol_boxes(
    ax: Axes, layers: _Layers, styles: Mapping[str, Mapping[str, object]]
) -> list[np.ndarray]:
    """Display-coordinate boxes of the centre symbols, which labels must not cover."""
    boxes = []
    dpi = ax.figure.dpi
    for layer, key in ((layers.centres, "centre"), (layers.proposed, "proposed")):
        if layer is None or layer.empty:
            continue
        half = math.sqrt(float(styles[key]["size"])) / 2 * dpi / 72  # type: ignore[arg-type]
        xy = ax.transData.transform(np.column_stack([layer.geometry.x, layer.geometry.y]))
        boxes += [np.array([x - half, y - half, x + half, y + half]) for x, y in xy]
    return boxes


def _frame(ax: Axes, bounds: tuple[float, float, float, float]) -> None:
    x_min, y_min, x_max, y_max = bounds
    ax.set_xlim(x_min, x_max)
    ax.set_ylim(y_min, y_max)
    # The figure was sized for this aspect; 'datalim' keeps the axes box where it was placed.
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_axis_off()


def _halo_text(ax: Axes, x: float, y: float, text: str, **kwargs: object) -> object:
    artist = ax.text(x, y, text, ha="center", va="center", clip_on=True, **kwargs)
    artist.set_path_effects([patheffects.withStroke(linewidth=2.0, foreground="#FFFFFF")])
    return artist


def _label_municipalities(ax: Axes, municipalities: gpd.GeoDataFrame) -> list[str]:
    if "municipality_name" not in municipalities.columns:
        return []
    order = municipalities.geometry.area.sort_values(ascending=False).index
    texts = []
    for idx in order:
        row = municipalities.loc[idx]
        point = row.geometry.representative_point()
        texts.append(
            _halo_text(
                ax,
                point.x,
                point.y,
                str(row["municipality_name"]),
                fontsize=_MUNICIPALITY_LABEL_SIZE,
                zorder=9,
            )
        )
    hidden = carto.hide_overlapping_labels(texts, _renderer(ax.figure))
    return [t.get_text() for t in hidden]


def _title_legend_note(
    ax: Axes,
    title: str,
    handles: list[object],
    n_cols: int,
    note: str,
    *,
    fit_figure: bool,
) -> Legend:
    """Title above the map, legend and source note below it.

    With ``fit_figure`` (a figure made here) the page grows or shrinks at the top and bottom
    so that the wrapped title and note fit exactly, whatever their length.
    """
    width_in = ax.get_position().width * ax.figure.get_size_inches()[0]
    # Wrap to the map's width (DejaVu Sans averages about 0.55 em per character).
    title = textwrap.fill(title, width=max(20, int(width_in * 72 / (_TITLE_SIZE * 0.55))))
    note = textwrap.fill(note, width=max(40, int(width_in * 72 / (_NOTE_SIZE * 0.55))))
    title_text = ax.set_title(title, loc="left", fontsize=_TITLE_SIZE, pad=8)
    legend = ax.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(0.0, -0.01),
        ncol=n_cols,
        frameon=False,
        fontsize=_LEGEND_SIZE,
        handlelength=1.6,
        handleheight=1.0,
        columnspacing=1.5,
        borderaxespad=0.0,
    )
    note_text = ax.annotate(
        note,
        xy=(0.0, 0.0),
        xycoords=legend,
        xytext=(0, -6),
        textcoords="offset points",
        ha="left",
        va="top",
        fontsize=_NOTE_SIZE,
        color="#333333",
        annotation_clip=False,
    )
    if fit_figure:
        _fit_page(ax, title_text, note_text)
    return legend


def _fit_page(ax: Axes, title: Artist, note: Artist, margin_in: float = 0.08) -> None:
    """Resize the figure so the title's top and the note's bottom sit ``margin_in`` from the edges."""
    fig = ax.figure
    renderer = _renderer(fig)
    dpi = fig.dpi
    width, height = fig.get_size_inches()
    top_px = title.get_window_extent(renderer).y1
    bottom_px = note.get_window_extent(renderer).y0
    grow_top = (top_px / dpi + margin_in) - height
    grow_bottom = margin_in - bottom_px / dpi
    position = ax.get_position()
    axes_bottom_in = position.y0 * height + grow_bottom
    axes_height_in = position.height * height
    new_height = height + grow_top + grow_bottom
    fig.set_size_inches(width, new_height)
    ax.set_position(
        (position.x0, axes_bottom_in / new_height, position.width, axes_height_in / new_height)
    )


def _note(source_note: str, date: _dt.date | str | None) -> str:
    if date is None:
        epoch = os.environ.get("SOURCE_DATE_EPOCH")
        if epoch is not None and epoch.strip().isdigit():
            date = _dt.datetime.fromtimestamp(int(epoch), tz=_dt.UTC).date()
        else:
            date = _dt.date.today()
    when = date.isoformat() if isinstance(date, _dt.date) else str(date)
    return f"{source_note}. Map {when}, {settings.CRS} (LKS-92 / Latvia TM)."


def _municipality_sheet(
    layers: _Layers,
    code: str,
    status_column: str | None,
    palette: Mapping[str, str] | None,
    intercity_column: str,
    note: str,
    width: float,
) -> MunicipalitySheet:
    units = layers.units
    in_code = (units["municipality_code"].astype(str) == code).to_numpy()
    mine = units[in_code]
    paths = layers.unit_paths or polygon_paths(units.geometry.to_numpy())
    name = str(mine["municipality_name"].iloc[0])
    x_min, y_min, x_max, y_max = _padded_bounds(mine.total_bounds, 0.04)
    aspect = (y_max - y_min) / (x_max - x_min)
    # Tall municipalities: widen the view so the sheet still fits one A4 page.
    max_aspect = SHEET_MAX_MAP_HEIGHT_IN / (width - 0.16)
    if aspect > max_aspect:
        grow = ((y_max - y_min) / max_aspect - (x_max - x_min)) / 2
        x_min, x_max = x_min - grow, x_max + grow
        aspect = max_aspect
    view = (x_min, y_min, x_max, y_max)
    area = shapely.union_all(mine.geometry.to_numpy())
    styles = carto.SHEET_POINT_STYLES
    with mpl.rc_context(_RC):
        local = _Layers(
            units=mine,
            municipalities=None,
            stops=_clip(layers.stops, view),
            centres=_clip(layers.centres, view),
            proposed=_clip(layers.proposed, view),
        )
        handles = [
            carto.patch_handle(label, colour)
            for label, colour in _status_entries(mine, status_column, palette)
        ]
        # Bounding boxes first: only the few units near the view are tested exactly.
        near = ~in_code & _bounds_overlap(units, view)
        near[near] = shapely.intersects(units.geometry.to_numpy()[near], box(*view))
        neighbours = units[near]
        if not neighbours.empty:
            handles.append(carto.patch_handle("other municipality", _CONTEXT_FILL["facecolor"]))
        handles.append(
            carto.line_handle(
                "municipality boundary", colour=_MUNICIPALITY_EDGE["color"], linewidth=1.2
            )
        )
        handles += _point_handles(local, intercity_column, styles, count_within=area)
        n_cols = 3
        fig, ax = _new_map_figure(
            width=width, data_aspect=aspect, legend_rows=math.ceil(len(handles) / n_cols) + 1
        )
        if layers.underlay_paths:
            add_polygons(ax, layers.underlay_paths, facecolor=_CONTEXT_FILL["facecolor"],
                         edgecolor="none", linewidth=0.0, zorder=-1)  # fmt: skip
        if not neighbours.empty:
            add_polygons(
                ax,
                [paths[i] for i in np.flatnonzero(near)],
                facecolor=_CONTEXT_FILL["facecolor"],
                edgecolor=_CONTEXT_FILL["edgecolor"],
                linewidth=_CONTEXT_FILL["linewidth"],  # type: ignore[arg-type]
                zorder=0,
            )
        _draw_units(ax, mine, status_column, palette, [paths[i] for i in np.flatnonzero(in_code)])
        add_polygons(
            ax,
            polygon_paths([area]),
            facecolor="none",
            edgecolor=_MUNICIPALITY_EDGE["color"],
            linewidth=1.2,
            zorder=3,
        )
        _draw_points(ax, local, intercity_column, styles, focus=area)
        _frame(ax, view)
        hidden = _label_units(ax, mine, obstacles=_symbol_boxes(ax, local, styles))
        carto.add_scale_bar(ax, fontsize=_LEGEND_SIZE)
        carto.add_north_arrow(ax)
        if hidden:
            # Say which names are missing rather than leave a reader hunting for them.
            note = f"Names left out for lack of space: {', '.join(sorted(hidden))}. {note}"
        title = f"{name}: coverage by territorial unit"
        _title_legend_note(ax, title, handles, n_cols, note, fit_figure=True)
    return MunicipalitySheet(
        municipality_code=code, municipality_name=name, figure=fig, hidden_labels=hidden
    )


def _label_units(
    ax: Axes, units: gpd.GeoDataFrame, *, obstacles: Sequence[np.ndarray] = ()
) -> list[str]:
    """Label units inside their polygons; towns and cities first, then parishes by area."""
    is_town = (
        units["unit_kind"].isin(["state_city", "town"]).to_numpy()
        if "unit_kind" in units.columns
        else np.zeros(len(units), dtype=bool)
    )
    area = units.geometry.area.to_numpy()
    order = np.lexsort((-area, ~is_town))
    texts, candidates = [], []
    for i in order:
        geometry = units.geometry.iloc[i]
        positions = carto.label_candidates(geometry)
        texts.append(
            _halo_text(
                ax,
                *positions[0],
                str(units["unit_name"].iloc[i]),
                fontsize=_LABEL_SIZE,
                fontweight="bold" if is_town[i] else "normal",
                zorder=10,
            )
        )
        candidates.append(positions)
    # Centre symbols sit in towns, where the label would go: try just above, then below them.
    line = _LABEL_SIZE * 1.3
    offsets = ((0.0, 0.0), (0.0, line), (0.0, -line))
    hidden = carto.place_labels(
        texts, candidates, _renderer(ax.figure), obstacles=obstacles, offsets=offsets
    )
    return [t.get_text() for t in hidden]


def _clip(
    points: gpd.GeoDataFrame | None, view: tuple[float, float, float, float]
) -> gpd.GeoDataFrame | None:
    if points is None:
        return None
    x_min, y_min, x_max, y_max = view
    return points.cx[x_min:x_max, y_min:y_max]


def _renderer(fig: Figure) -> object:
    """A renderer to measure text with, whatever canvas the figure came with."""
    get_renderer = getattr(fig.canvas, "get_renderer", None)
    return get_renderer() if get_renderer is not None else fig._get_renderer()  # type: ignore[attr-defined]


def _ascii_slug(name: str) -> str:
    """``"Ādažu novads"`` -> ``"adazu_novads"`` (portable file names)."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "_", folded.lower()).strip("_") or "municipality"
