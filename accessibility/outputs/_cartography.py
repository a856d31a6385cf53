"""Map furniture shared by the static and interactive maps: palette, scale bar, north arrow, legend, labels."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import FancyBboxPatch, Patch, Rectangle
from matplotlib.text import Text
from matplotlib.transforms import blended_transform_factory
from pyproj import CRS, Transformer
from shapely.geometry.base import BaseGeometry
from shapely.ops import polylabel

from .. import settings
from ..coverage.core import (
    STATUS_FAILS,
    STATUS_MEETS,
    STATUS_NONE,
    STATUS_NOT_ASSESSED,
    STATUS_UNMEASURED,
)

#: Colour of each documented coverage status (:data:`accessibility.coverage.core.STATUS_VALUES`).
#: Paul Tol's "light" scheme: distinguishable with the common colour-vision deficiencies,
#: light enough to carry markers and labels, and still distinct when printed in grey.
STATUS_PALETTE: dict[str, str] = {
    STATUS_MEETS: "#44BB99",
    STATUS_FAILS: "#EEDD88",
    STATUS_UNMEASURED: "#99DDFF",
    STATUS_NONE: "#EE8866",
    STATUS_NOT_ASSESSED: "#DDDDDD",
}
#: Fill of units whose status is not in the palette (listed by name in the legend).
UNKNOWN_STATUS_COLOUR: str = "#999999"
#: Fill of units with no status at all (missing value).
MISSING_STATUS_COLOUR: str = "#FFFFFF"
MISSING_STATUS_LABEL: str = "no status"

#: Marker styles of the point layers, shared by the legend and the map so that they always agree.
POINT_STYLES: dict[str, dict[str, object]] = {
    "stop": {"marker": "o", "color": "#777777", "size": 0.6, "edgecolor": "none", "zorder": 4},
    "intercity_stop": {
        "marker": "o",
        "color": "#004488",
        "size": 1.6,
        "edgecolor": "none",
        "zorder": 5,
    },
    "centre": {
        "marker": "o",
        "color": "#000000",
        "size": 14.0,
        "edgecolor": "#FFFFFF",
        "zorder": 7,
    },
    "proposed": {
        "marker": "*",
        "color": "#AA3377",
        "size": 34.0,
        "edgecolor": "#FFFFFF",
        "zorder": 8,
    },
}
#: Same layers on a zoomed sheet, where there is room for bigger symbols.
SHEET_POINT_STYLES: dict[str, dict[str, object]] = {
    "stop": {**POINT_STYLES["stop"], "size": 3.0},
    "intercity_stop": {**POINT_STYLES["intercity_stop"], "size": 9.0},
    # Above the unit labels (zorder 10): a symbol is never hidden behind a name.
    "centre": {**POINT_STYLES["centre"], "size": 40.0, "zorder": 11},
    "proposed": {**POINT_STYLES["proposed"], "size": 90.0, "zorder": 12},
}

#: Candidate bar lengths are 1, 2 or 5 times a power of ten.
_NICE_STEPS = (1.0, 2.0, 5.0)


@dataclass
class StatusColours:
    """Fill colour of every row and the legend entries that explain them."""

    colours: list[str]
    #: (label, colour) pairs in legend order.
    entries: list[tuple[str, str]] = field(default_factory=list)
    #: Values found in the data but not in the palette (drawn grey).
    unknown: list[str] = field(default_factory=list)


@dataclass
class ScaleBar:
    """A drawn scale bar: its length in metres and the artists it is made of."""

    length_m: float
    x0: float
    artists: list[Artist]
    backdrop: Artist | None = None


def status_colours(
    values: pd.Series,
    palette: Mapping[str, str] | None = None,
    *,
    counts_in_legend: bool = True,
) -> StatusColours:
    """Map coverage status values to fill colours and build the legend entries.

    Parameters
    ----------
    values
        Status per unit (strings or a categorical); missing values are allowed.
    palette
        Colour per documented value; defaults to :data:`STATUS_PALETTE`.
    counts_in_legend
        Append the number of units to every legend label (``"no centre (12)"``) so that a
        reader can check the map against the tables.

    Returns
    -------
    StatusColours
        A legend entry for every palette value present, in palette order; values outside
        the palette are grey and named; missing values are white.
    """
    palette = dict(STATUS_PALETTE if palette is None else palette)
    missing = values.isna().to_numpy()
    as_text = values.astype(object).where(~missing, None)
    colours: list[str] = []
    unknown: dict[str, int] = {}
    for value, is_missing in zip(as_text, missing, strict=True):
        if is_missing:
            colours.append(MISSING_STATUS_COLOUR)
        elif str(value) in palette:
            colours.append(palette[str(value)])
        else:
            colours.append(UNKNOWN_STATUS_COLOUR)
            unknown[str(value)] = unknown.get(str(value), 0) + 1
    counts = pd.Series([str(v) for v in as_text[~missing]], dtype=object).value_counts()

    def label(text: str, count: int) -> str:
        return f"{text} ({count})" if counts_in_legend else text

    entries = [
        (label(value, int(counts[value])), colour)
        for value, colour in palette.items()
        if counts.get(value, 0) > 0
    ]
    for value in sorted(unknown):
        entries.append((label(f"{value} (not in palette)", unknown[value]), UNKNOWN_STATUS_COLOUR))
    if missing.any():
        entries.append((label(MISSING_STATUS_LABEL, int(missing.sum())), MISSING_STATUS_COLOUR))
    return StatusColours(colours=colours, entries=entries, unknown=sorted(unknown))


def nice_length(max_length: float) -> float:
    """Largest 1, 2 or 5 × 10ⁿ not exceeding ``max_length`` (the length of a readable scale bar)."""
    if not math.isfinite(max_length) or max_length <= 0:
        raise ValueError(f"scale bar length must be a positive number, got {max_length!r}")
    power = 10.0 ** math.floor(math.log10(max_length))
    best = power
    for step in _NICE_STEPS:
        if step * power <= max_length * (1 + 1e-9):
            best = step * power
    return best


def format_distance(metres: float) -> str:
    """Readable distance label: ``"500 m"``, ``"2 km"``, ``"2.5 km"``."""
    if metres < 1000:
        return f"{metres:g} m"
    return f"{metres / 1000:g} km"


def add_scale_bar(
    ax: Axes,
    *,
    location: tuple[float, float] = (0.03, 0.04),
    max_fraction: float = 0.25,
    height_fraction: float = 0.012,
    fontsize: float = 7.0,
    segments: int = 2,
) -> ScaleBar:
    """Draw a black-and-white scale bar on a map whose data units are metres.

    Call it after the axis limits are final. The bar is drawn in data units along x, so it
    is exact in the grid of a metric CRS such as EPSG:3059 (LKS-92 / Latvia TM, whose scale
    factor differs from 1 by less than 0.1 % inside Latvia).

    Parameters
    ----------
    ax
        Axes with an equal aspect ratio and metre coordinates.
    location
        Lower-left corner of the bar in axes fractions.
    max_fraction
        The bar is the longest "nice" length (1, 2 or 5 × 10ⁿ m) within this share of the
        axes width.
    height_fraction
        Bar thickness as a share of the axes height.
    fontsize
        Size of the tick labels in points.
    segments
        Number of alternating black and white segments.

    Returns
    -------
    ScaleBar
        The length in metres, the start x (metres) and the artists drawn.
    """
    x_min, x_max = sorted(ax.get_xlim())
    length = nice_length((x_max - x_min) * max_fraction)
    x0 = x_min + location[0] * (x_max - x_min)
    y0 = location[1]
    transform = blended_transform_factory(ax.transData, ax.transAxes)
    artists: list[Artist] = []
    # A pale backdrop keeps bar and numbers readable where the bar has to sit on the data.
    axes_height_in = ax.get_position().height * ax.figure.get_size_inches()[1]
    label_height = (fontsize * 1.5 / 72) / axes_height_in
    pad_x = 0.06 * length
    backdrop = FancyBboxPatch(
        (x0 - pad_x, y0 - 0.012),
        length + 2 * pad_x,
        height_fraction + 0.008 + label_height + 0.02,
        boxstyle="round,pad=0,rounding_size=0",
        transform=transform,
        facecolor="#FFFFFF",
        edgecolor="none",
        alpha=0.75,
        zorder=19,
        clip_on=False,
    )
    ax.add_patch(backdrop)
    step = length / segments
    for i in range(segments):
        rect = Rectangle(
            (x0 + i * step, y0),
            step,
            height_fraction,
            transform=transform,
            facecolor="#000000" if i % 2 == 0 else "#FFFFFF",
            edgecolor="#000000",
            linewidth=0.6,
            zorder=20,
            clip_on=False,
        )
        ax.add_patch(rect)
        artists.append(rect)
    ticks = [0.0, length] if segments < 2 else [0.0, length / 2, length]
    for tick in ticks:
        text = (
            format_distance(tick)
            if tick == length
            else f"{tick / 1000 if length >= 1000 else tick:g}"
        )
        artists.append(
            ax.text(
                x0 + tick,
                y0 + height_fraction + 0.008,
                text,
                transform=transform,
                ha="center",
                va="bottom",
                fontsize=fontsize,
                zorder=20,
                clip_on=False,
            )
        )
    return ScaleBar(length_m=length, x0=x0, artists=artists, backdrop=backdrop)


def grid_convergence(x: float, y: float, crs: str | CRS = settings.CRS) -> float:
    """Angle (degrees, clockwise) from grid north of ``crs`` to true north at point (x, y).

    In EPSG:3059 true north leans up to about 2.5° off the map's vertical at Latvia's edges
    (the central meridian is 24° E), so a north arrow is rotated by this angle.
    """
    to_lonlat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    to_grid = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    lon, lat = to_lonlat.transform(x, y)
    x_north, y_north = to_grid.transform(lon, lat + 0.01)
    return math.degrees(math.atan2(x_north - x, y_north - y))


def add_north_arrow(
    ax: Axes,
    *,
    crs: str | CRS = settings.CRS,
    location: tuple[float, float] = (0.95, 0.86),
    length_fraction: float = 0.07,
    fontsize: float = 8.0,
) -> float:
    """Draw an arrow to true north at the centre of the map; return its angle from vertical.

    Parameters
    ----------
    ax
        Map axes in ``crs`` coordinates with an equal aspect ratio.
    crs
        CRS of the axes' coordinates.
    location
        Arrow tip in axes fractions.
    length_fraction
        Arrow length as a share of the axes height.
    fontsize
        Size of the "N".

    Returns
    -------
    float
        Degrees clockwise from the map's vertical (grid north) to true north.
    """
    (x_min, x_max), (y_min, y_max) = sorted(ax.get_xlim()), sorted(ax.get_ylim())
    angle = grid_convergence((x_min + x_max) / 2, (y_min + y_max) / 2, crs)
    # Axes fractions are not square; convert the tilt with the axes' aspect on the page.
    bbox = ax.get_position()
    fig_w, fig_h = ax.figure.get_size_inches()
    aspect = (bbox.height * fig_h) / (bbox.width * fig_w)
    dx = length_fraction * math.sin(math.radians(angle)) * aspect
    dy = length_fraction * math.cos(math.radians(angle))
    tip = location
    tail = (tip[0] - dx, tip[1] - dy)
    ax.annotate(
        "",
        xy=tip,
        xytext=tail,
        xycoords="axes fraction",
        textcoords="axes fraction",
        arrowprops={
            "arrowstyle": "-|>,head_width=0.35,head_length=0.7",
            "color": "#000000",
            "lw": 1.2,
        },
        zorder=20,
        annotation_clip=False,
    )
    ax.text(
        tip[0] + 0.25 * dx,
        tip[1] + 0.012,
        "N",
        transform=ax.transAxes,
        ha="center",
        va="bottom",
        fontsize=fontsize,
        fontweight="bold",
        zorder=20,
        clip_on=False,
    )
    return angle


def patch_handle(label: str, colour: str) -> Patch:
    """Legend entry for a filled area."""
    return Patch(facecolor=colour, edgecolor="#555555", linewidth=0.4, label=label)


def point_handle(
    label: str, style: Mapping[str, object], *, legend_size: float | None = None
) -> Line2D:
    """Legend entry for a point layer drawn with ``style`` (see :data:`POINT_STYLES`)."""
    size = float(legend_size if legend_size is not None else math.sqrt(float(style["size"])))  # type: ignore[arg-type]
    # A white halo separates symbols on the map; on the legend's white background a thin
    # dark edge does that job.
    outlined = style.get("edgecolor", "none") not in (None, "none")
    return Line2D(
        [],
        [],
        linestyle="none",
        marker=str(style["marker"]),
        markersize=max(size, 3.0),
        markerfacecolor=str(style["color"]),
        markeredgecolor="#000000" if outlined else str(style["color"]),
        markeredgewidth=0.3,
        label=label,
    )


def line_handle(label: str, *, colour: str, linewidth: float) -> Line2D:
    """Legend entry for a boundary line."""
    return Line2D([], [], color=colour, linewidth=linewidth, label=label)


def label_candidates(
    geometry: BaseGeometry, *, grid: int = 7, limit: int = 12
) -> list[tuple[float, float]]:
    """Points inside a polygon where its label may go, best first.

    The pole of inaccessibility (farthest from the edge) comes first, then the
    representative point, then interior grid points ordered by their distance to the edge.
    """
    parts = list(getattr(geometry, "geoms", [geometry]))
    largest = max(parts, key=lambda part: part.area)
    candidates = [polylabel(largest, tolerance=max(largest.length / 1000, 1e-9))]
    candidates.append(geometry.representative_point())
    x_min, y_min, x_max, y_max = geometry.bounds
    xs, ys = np.meshgrid(
        np.linspace(x_min, x_max, grid + 2)[1:-1], np.linspace(y_min, y_max, grid + 2)[1:-1]
    )
    xs, ys = xs.ravel(), ys.ravel()
    inside = shapely.contains_xy(geometry, xs, ys)
    grid_points = shapely.points(xs[inside], ys[inside])
    depth = shapely.distance(geometry.boundary, grid_points)
    candidates += list(grid_points[np.argsort(-depth, kind="stable")])
    return [(point.x, point.y) for point in candidates[:limit]]


def place_labels(
    texts: Sequence[Text],
    candidates: Sequence[Sequence[tuple[float, float]]],
    renderer: object,
    *,
    obstacles: Sequence[np.ndarray] = (),
    offsets: Sequence[tuple[float, float]] = ((0.0, 0.0),),
    pad: float = 1.0,
) -> list[Text]:
    """Move each label to its first candidate position that overlaps nothing drawn before it.

    Parameters
    ----------
    texts
        Labels in priority order (earlier labels keep their place).
    candidates
        Data-coordinate positions to try for each label, best first.
    renderer
        Renderer used to measure the text.
    obstacles
        Display-coordinate boxes (x0, y0, x1, y1) that no label may cover, such as symbols.
    offsets
        Shifts in points tried at every candidate, first to last (e.g. above and below a
        symbol that sits where the label would go).
    pad
        Extra space around each label, in display units.

    Returns
    -------
    list of matplotlib.text.Text
        Labels that found no free position and were hidden.
    """
    placed = [np.asarray(box, dtype=float) for box in obstacles]
    hidden: list[Text] = []
    for text, positions in zip(texts, candidates, strict=True):
        ax = text.axes
        axes_box = ax.get_window_extent(renderer=renderer) if ax is not None else None
        to_data = ax.transData.inverted() if ax is not None else None
        scale = text.figure.dpi / 72 if text.figure is not None else 1.0
        tries = [(position, offset) for offset in offsets for position in positions]
        # An unrotated label's box moves with its anchor: lay the text out once and shift the
        # box to each try instead of laying it out again (text layout dominates this loop).
        first = text.get_window_extent(renderer=renderer)  # type: ignore[arg-type]
        anchor = _display_xy(text)
        for position, (dx, dy) in tries:
            if (dx or dy) and ax is not None and to_data is not None:
                x, y = ax.transData.transform(position)
                position = tuple(to_data.transform((x + dx * scale, y + dy * scale)))
            text.set_position(position)
            shift_x, shift_y = _display_xy(text) - anchor
            box = first.translated(shift_x, shift_y)
            extent = np.array([box.x0 - pad, box.y0 - pad, box.x1 + pad, box.y1 + pad])
            inside_axes = axes_box is None or (
                box.x0 >= axes_box.x0
                and box.x1 <= axes_box.x1
                and box.y0 >= axes_box.y0
                and box.y1 <= axes_box.y1
            )
            if inside_axes and not any(_boxes_overlap(extent, other) for other in placed):
                placed.append(extent)
                break
        else:
            text.set_visible(False)
            hidden.append(text)
    return hidden


def _display_xy(text: Text) -> np.ndarray:
    """Display coordinates of a text's anchor."""
    return np.asarray(text.get_transform().transform(text.get_unitless_position()), dtype=float)


def hide_overlapping_labels(
    texts: Sequence[Text], renderer: object, *, pad: float = 1.0
) -> list[Text]:
    """Hide every label that overlaps one drawn before it (the order sets the priority).

    Returns the hidden labels, so that callers can say how many were left out.
    """
    placed: list[np.ndarray] = []
    hidden: list[Text] = []
    for text in texts:
        box = text.get_window_extent(renderer=renderer)  # type: ignore[arg-type]
        extent = np.array([box.x0 - pad, box.y0 - pad, box.x1 + pad, box.y1 + pad])
        if any(_boxes_overlap(extent, other) for other in placed):
            text.set_visible(False)
            hidden.append(text)
        else:
            placed.append(extent)
    return hidden


def _boxes_overlap(a: np.ndarray, b: np.ndarray) -> bool:
    """True when two (x0, y0, x1, y1) boxes intersect."""
    return bool(a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3])


def unique_in_order(values: Iterable[str]) -> list[str]:
    """Values without repeats, first occurrence first."""
    return list(dict.fromkeys(values))


def split_stops(
    stops: gpd.GeoDataFrame | None, intercity_column: str
) -> tuple[gpd.GeoDataFrame | None, gpd.GeoDataFrame | None]:
    """(intercity, other) stops; without the flag column every stop counts as "other"."""
    if stops is None:
        return None, None
    if intercity_column not in stops.columns:
        return None, stops
    flag = stops[intercity_column].fillna(False).astype(bool).to_numpy()
    return stops[flag], stops[~flag]
