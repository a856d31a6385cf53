"""Static maps: palette, scale bar, north arrow, labels, file output, on built and real layers."""

from __future__ import annotations

import math
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.ft2font import FT2Font
from matplotlib.patches import Rectangle
from matplotlib.text import Text
from shapely.geometry import Point, box

from accessibility._errors import AccessibilityError, CRSError, MissingColumnError
from accessibility.coverage.core import STATUS_VALUES
from accessibility.outputs import _cartography as carto
from accessibility.outputs.plot import (
    plot_coverage_map,
    plot_municipality_sheets,
    save_figure,
)
from accessibility.outputs.sheets import write_municipality_sheets

LATVIAN_LETTERS = "āčēģīķļņšūž ĀČĒĢĪĶĻŅŠŪŽ"


# ---------------------------------------------------------------- layers built here


def _grid_units(crs: str = "EPSG:3059") -> gpd.GeoDataFrame:
    """Six 10 km square units in two municipalities, around Jēkabpils."""
    x0, y0 = 600_000.0, 280_000.0
    rows = []
    for i in range(6):
        col, row = i % 3, i // 3
        rows.append(
            {
                "unit_code": f"00{i + 1}0000",
                "unit_name": [
                    "Ķekavas pagasts",
                    "Jēkabpils",
                    "Ģibuļu pagasts",
                    "Līvāni",
                    "Ozolaines pagasts",
                    "Sēlpils pagasts",
                ][i],
                "unit_kind": ["parish", "town", "parish", "town", "parish", "parish"][i],
                "municipality_code": "0100000" if col < 2 else "0200000",
                "municipality_name": "Ābeļu novads" if col < 2 else "Žīguru novads",
                "status": [
                    STATUS_VALUES[0],
                    STATUS_VALUES[1],
                    STATUS_VALUES[3],
                    "surveyed later",
                    None,
                    STATUS_VALUES[0],
                ][i],
                "geometry": box(
                    x0 + col * 10_000,
                    y0 + row * 10_000,
                    x0 + (col + 1) * 10_000,
                    y0 + (row + 1) * 10_000,
                ),
            }
        )
    units = gpd.GeoDataFrame(rows, crs="EPSG:3059")
    return units.to_crs(crs)


def _points(xy: list[tuple[float, float]], **columns: list[object]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(columns, geometry=[Point(x, y) for x, y in xy], crs="EPSG:3059")


def _legend_texts(fig: Figure) -> list[str]:
    return [t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()]


# ---------------------------------------------------------------- furniture


@pytest.mark.parametrize(
    ("limit", "expected"),
    [
        (1.0, 1.0),
        (1.9, 1.0),
        (2.0, 2.0),
        (4.99, 2.0),
        (5.0, 5.0),
        (99_999.0, 50_000.0),
        (120_000.0, 100_000.0),
        (0.3, 0.2),
    ],
)
def test_nice_length(limit: float, expected: float) -> None:
    assert carto.nice_length(limit) == pytest.approx(expected)


@pytest.mark.parametrize("bad", [0.0, -5.0, math.inf, math.nan])
def test_nice_length_rejects(bad: float) -> None:
    with pytest.raises(ValueError, match="positive"):
        carto.nice_length(bad)


def test_status_colours_palette_unknown_and_missing() -> None:
    values = pd.Series(
        pd.Categorical(
            [STATUS_VALUES[0], STATUS_VALUES[0], STATUS_VALUES[3], "typo status", None],
            categories=[*STATUS_VALUES, "typo status"],
        )
    )
    result = carto.status_colours(values)
    assert result.colours == [
        carto.STATUS_PALETTE[STATUS_VALUES[0]],
        carto.STATUS_PALETTE[STATUS_VALUES[0]],
        carto.STATUS_PALETTE[STATUS_VALUES[3]],
        carto.UNKNOWN_STATUS_COLOUR,
        carto.MISSING_STATUS_COLOUR,
    ]
    assert result.unknown == ["typo status"]
    labels = [label for label, _ in result.entries]
    assert labels == [
        f"{STATUS_VALUES[0]} (2)",
        f"{STATUS_VALUES[3]} (1)",
        "typo status (not in palette) (1)",
        "no status (1)",
    ]


def test_palette_covers_every_documented_status_with_distinct_colours() -> None:
    assert set(carto.STATUS_PALETTE) == set(STATUS_VALUES)
    colours = [
        *carto.STATUS_PALETTE.values(),
        carto.UNKNOWN_STATUS_COLOUR,
        carto.MISSING_STATUS_COLOUR,
    ]
    assert len(set(colours)) == len(colours)


def test_scale_bar_length_is_in_metres() -> None:
    fig = Figure(figsize=(6, 4))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(500_000, 600_000)  # 100 km wide
    ax.set_ylim(200_000, 266_667)
    bar = carto.add_scale_bar(ax, max_fraction=0.25)
    assert bar.length_m == 20_000  # largest of 1/2/5 x 10^n not above 25 km
    rects = [a for a in bar.artists if isinstance(a, Rectangle)]
    assert sum(r.get_width() for r in rects) == pytest.approx(20_000)
    assert rects[0].get_x() == pytest.approx(500_000 + 0.03 * 100_000)
    labels = [a.get_text() for a in bar.artists if not isinstance(a, Rectangle)]
    assert labels == ["0", "10", "20 km"]


def test_scale_bar_below_one_kilometre() -> None:
    fig = Figure()
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, 2_000)
    bar = carto.add_scale_bar(ax)
    assert bar.length_m == 500
    assert [a.get_text() for a in bar.artists if not isinstance(a, Rectangle)] == [
        "0",
        "250",
        "500 m",
    ]


@pytest.mark.parametrize(("lon", "lat"), [(21.0, 57.0), (24.0, 56.8), (27.5, 56.0), (26.0, 57.8)])
def test_grid_convergence_matches_the_tm_formula(lon: float, lat: float) -> None:
    from pyproj import Transformer

    x, y = Transformer.from_crs("EPSG:4326", "EPSG:3059", always_xy=True).transform(lon, lat)
    # First-order convergence of a transverse Mercator grid, central meridian 24° E:
    # true north lies (24 - lon) * sin(lat) degrees clockwise of grid north.
    expected = (24.0 - lon) * math.sin(math.radians(lat))
    assert carto.grid_convergence(x, y) == pytest.approx(expected, abs=0.02)


def test_north_arrow_points_to_true_north() -> None:
    fig = Figure(figsize=(5, 5))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(320_000, 340_000)  # far west of the central meridian: tilt about +2.5°
    ax.set_ylim(300_000, 320_000)
    angle = carto.add_north_arrow(ax)
    assert 2.0 < angle < 3.0
    arrow = ax.texts[0]  # the annotation
    (x_tail, y_tail), (x_tip, y_tip) = arrow.xyann, arrow.xy
    assert math.degrees(math.atan2(x_tip - x_tail, y_tip - y_tail)) == pytest.approx(
        angle, abs=0.01
    )


def test_place_labels_avoids_overlaps_and_obstacles() -> None:
    fig = Figure(figsize=(4, 4), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    texts = [
        ax.text(50, 50, "Pirmais", ha="center", va="center"),
        ax.text(50, 50, "Otrais", ha="center", va="center"),
    ]
    third = ax.text(50, 50, "Trešais", ha="center", va="center")
    renderer = fig.canvas.get_renderer()
    # Second label may move to (50, 20); third has only the occupied spot.
    hidden = carto.place_labels(
        [*texts, third], [[(50, 50)], [(50, 50), (50, 20)], [(50, 50)]], renderer
    )
    assert hidden == [third]
    assert texts[1].get_position() == (50, 20)
    # An obstacle at the first spot pushes the label to its offset position above it.
    label = ax.text(0, 0, "Centrs", ha="center", va="center")
    obstacle = np.array(
        [*ax.transData.transform((80, 80)) - 5, *ax.transData.transform((80, 80)) + 5]
    )
    assert (
        carto.place_labels(
            [label], [[(80, 80)]], renderer, obstacles=[obstacle], offsets=((0, 0), (0, 12))
        )
        == []
    )
    assert label.get_position()[1] > 80


def test_label_candidates_lie_inside_the_polygon() -> None:
    u_shape = box(0, 0, 30, 10).union(box(0, 0, 10, 30)).union(box(20, 0, 30, 30))
    candidates = carto.label_candidates(u_shape)
    assert len(candidates) >= 3
    assert all(u_shape.contains(Point(xy)) for xy in candidates)


# ---------------------------------------------------------------- national map on built layers


def test_coverage_map_converts_to_lks92_and_colours_by_status() -> None:
    units = _grid_units(crs="EPSG:4326")
    stops = _points(
        [(605_000, 285_000), (615_000, 295_000), (625_000, 285_000)], intercity=[True, False, None]
    )
    centres = _points([(615_000, 285_000)], name=["Centrs"])
    fig = plot_coverage_map(units, stops=stops.to_crs(4326), centres=centres, date="2025-01-31")
    ax = fig.axes[0]
    x_min, x_max = ax.get_xlim()
    y_min, y_max = ax.get_ylim()
    # The map is drawn in EPSG:3059 metres, whatever the input CRS.
    west, south, east, north = _grid_units().total_bounds  # the same squares, built in EPSG:3059
    assert x_min < west and east < x_max and x_max - x_min < 1.1 * (east - west)
    assert y_min < south and north < y_max
    legend = _legend_texts(fig)
    assert f"{STATUS_VALUES[0]} (2)" in legend
    assert "surveyed later (not in palette) (1)" in legend
    assert "no status (1)" in legend
    assert (
        "intercity stop (1)" in legend and "other stop (2)" in legend
    )  # None counts as not intercity
    assert "existing centre (1)" in legend
    note = [t.get_text() for t in ax.texts if "2025-01-31" in t.get_text()]
    assert note and "EPSG:3059" in note[0]
    # Unit fills follow the palette, in row order.
    fills = next(c for c in ax.collections if c.get_label() == "units")
    expected = carto.status_colours(units["status"]).colours
    assert [to_hex(c) for c in fills.get_facecolors()] == [to_hex(c) for c in expected]


def test_coverage_map_without_status_and_into_given_axes() -> None:
    units = _grid_units()
    fig = Figure(figsize=(8, 4))
    ax = fig.add_subplot(1, 2, 2)
    returned = plot_coverage_map(units, status_column=None, ax=ax, title="Ābeļu un Žīguru novads")
    assert returned is fig
    assert ax.get_title(loc="left") == "Ābeļu un Žīguru novads"
    assert not any("(not in palette)" in t for t in _legend_texts(fig))


def test_coverage_map_errors_name_the_problem() -> None:
    units = _grid_units()
    with pytest.raises(MissingColumnError, match="coverage_status"):
        plot_coverage_map(units, status_column="coverage_status")
    with pytest.raises(CRSError, match="no coordinate reference system"):
        plot_coverage_map(units.set_crs(None, allow_override=True))
    with pytest.raises(AccessibilityError, match="no unit with a geometry"):
        plot_coverage_map(units.iloc[:0])


def test_latvian_letters_have_glyphs_in_the_map_font() -> None:
    fig = plot_coverage_map(_grid_units(), title=f"Pārklājums {LATVIAN_LETTERS}")
    text = next(t for t in fig.findobj(Text) if LATVIAN_LETTERS in t.get_text())
    font_path = font_manager.findfont(text.get_fontproperties(), fallback_to_default=False)
    assert Path(font_path).name == "DejaVuSans.ttf"
    font = FT2Font(font_path)
    missing = [c for c in LATVIAN_LETTERS if c != " " and font.get_char_index(ord(c)) == 0]
    assert missing == []


def test_save_figure_is_reproducible_and_keeps_text(tmp_path: Path) -> None:
    units = _grid_units()
    fig = plot_coverage_map(units, title="Rēzekne – ģeogrāfija", date="2025-01-31")
    first = save_figure(fig, tmp_path / "a" / "map", formats=("png", "svg", "pdf"), dpi=80)
    second = save_figure(fig, tmp_path / "b" / "map.png", formats=("png", "svg", "pdf"), dpi=80)
    assert [p.name for p in first] == ["map.png", "map.svg", "map.pdf"]
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
    svg = first[1].read_text(encoding="utf-8")
    assert "Rēzekne – ģeogrāfija" in svg  # text stays text, not glyph paths
    pdf = first[2].read_bytes()
    assert b"/FontFile2" in pdf  # embedded TrueType font, i.e. real text
    assert b"CreationDate" not in pdf
    # Atomic writes leave no temporary files behind.
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["map.pdf", "map.png", "map.svg"]


def test_png_has_the_pixels_and_resolution_of_matplotlibs_own(tmp_path: Path) -> None:
    import io

    from PIL import Image

    from accessibility.outputs._png import write_png

    fig = plot_coverage_map(_grid_units(), title="Rēzekne – ģeogrāfija", date="2025-01-31")
    (path,) = save_figure(fig, tmp_path / "map", formats=("png",), dpi=150)
    own = io.BytesIO()
    fig.savefig(own, format="png", dpi=150, facecolor="white")
    with Image.open(path) as ours, Image.open(io.BytesIO(own.getvalue())) as theirs:
        assert ours.size == theirs.size and ours.info["dpi"] == theirs.info["dpi"]
        assert ours.info["dpi"] == pytest.approx((150, 150), abs=0.02)
        assert np.array_equal(np.asarray(ours.convert("RGBA")), np.asarray(theirs.convert("RGBA")))
        assert ours.info["Software"] == theirs.info["Software"]
    # An image with transparent pixels keeps its alpha channel.
    rgba = np.zeros((3, 4, 4), dtype=np.uint8)
    rgba[1, 2] = (10, 20, 30, 128)
    write_png(tmp_path / "alpha.png", rgba, 72)
    with Image.open(tmp_path / "alpha.png") as back:
        assert back.mode == "RGBA" and np.array_equal(np.asarray(back), rgba)


def test_save_figure_rejects_unknown_format(tmp_path: Path) -> None:
    fig = plot_coverage_map(_grid_units())
    with pytest.raises(ValueError, match="formats"):
        save_figure(fig, tmp_path / "map", formats=("jpeg",))
    assert list(tmp_path.iterdir()) == []


def test_municipality_sheets_on_built_layers(tmp_path: Path) -> None:
    units = _grid_units()
    centres = _points([(605_000, 285_000), (625_000, 285_000)], name=["A", "B"])
    sheets = list(plot_municipality_sheets(units, centres=centres, date="2025-01-31"))
    assert [s.municipality_code for s in sheets] == ["0100000", "0200000"]
    first = sheets[0]
    assert first.municipality_name == "Ābeļu novads"
    ax = first.figure.axes[0]
    drawn = {t.get_text() for t in ax.texts if t.get_visible()}
    names = set(units.loc[units.municipality_code == "0100000", "unit_name"])
    assert names - set(first.hidden_labels) <= drawn
    # Centres are counted inside the municipality only; the other one is drawn faded.
    assert "existing centre (1 inside)" in _legend_texts(first.figure)
    with pytest.raises(AccessibilityError, match="9999999"):
        list(plot_municipality_sheets(units, codes=["9999999"]))
    written = write_municipality_sheets(
        units, tmp_path, formats=("png",), dpi=50, codes=["0200000"]
    )
    assert [p.name for p in written["0200000"]] == ["0200000_ziguru_novads.png"]


# ---------------------------------------------------------------- real data


def _real_units(real_data: Path) -> gpd.GeoDataFrame:
    shp = next((real_data / "csb_territorial_units_2024_01_01").glob("*.shp"))
    raw = gpd.read_file(shp)
    kinds = {1: "state_city", 6: "town", 7: "parish"}
    return gpd.GeoDataFrame(
        {
            "unit_code": raw["L1_code"].str[2:],
            "unit_name": raw["L1_name"],
            "unit_kind": raw["L1_type"].astype(int).map(kinds),
            "municipality_code": raw["L0_code"].str[2:],
            "municipality_name": raw["L0_name"],
        },
        geometry=raw.geometry,
        crs=raw.crs,
    ).sort_values("unit_code", ignore_index=True)


def _real_stops(real_data: Path) -> gpd.GeoDataFrame:
    table = pd.read_csv(real_data / "atd_regional_bus_stops" / "gtfs_atd.csv", dtype={"id": str})
    routes = table["marsrutu_saraksts"].fillna("").astype(str)
    intercity = routes.map(lambda text: bool(re.search(r"(?<!\w)7\d{3}(?!\w)", text)))
    return gpd.GeoDataFrame(
        {"stop_id": table["id"], "stop_name": table["nosaukums"], "intercity": intercity},
        geometry=gpd.points_from_xy(table["x"], table["y"]),
        crs="EPSG:4326",
    )


@pytest.mark.realdata
def test_national_map_on_real_units_and_stops(real_data: Path, tmp_path: Path) -> None:
    units = _real_units(real_data)
    stops = _real_stops(real_data)
    # A status per unit kind, so every count in the legend can be checked by hand.
    units["status"] = np.where(units["unit_kind"] == "parish", STATUS_VALUES[3], STATUS_VALUES[0])
    fig = plot_coverage_map(units, stops=stops, label_municipalities=True, date="2024-01-01")
    legend = _legend_texts(fig)
    assert f"{STATUS_VALUES[0]} (81)" in legend  # 10 + 71 state cities and towns
    assert f"{STATUS_VALUES[3]} (511)" in legend  # parishes
    assert "intercity stop (3764)" in legend  # the count in the data's PROVENANCE.md
    assert "other stop (6415)" in legend
    ax = fig.axes[0]
    renderer = fig.canvas.get_renderer()
    labels = [t for t in ax.texts if t.get_visible() and t.get_text().endswith("novads")]
    assert len(labels) > 20
    boxes = [t.get_window_extent(renderer) for t in labels]
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])
    paths = save_figure(fig, tmp_path / "latvia", formats=("png",), dpi=100)
    assert paths[0].stat().st_size > 50_000


@pytest.mark.realdata
def test_municipality_sheet_on_real_units(real_data: Path) -> None:
    units = _real_units(real_data)
    units["status"] = STATUS_VALUES[0]
    sheet = next(
        plot_municipality_sheets(units, codes=["0054000"], date="2024-01-01")
    )  # Valmieras novads
    assert sheet.municipality_name == "Valmieras novads"
    ax = sheet.figure.axes[0]
    own = units[units["municipality_code"] == "0054000"]
    visible = [t for t in ax.texts if t.get_visible() and t.get_text() in set(own["unit_name"])]
    assert len(visible) + len(sheet.hidden_labels) == len(own)
    assert len(visible) >= 0.9 * len(own)
    renderer = sheet.figure.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in visible]
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])


def test_long_note_is_wrapped_inside_the_page() -> None:
    fig = plot_coverage_map(_grid_units(), source_note="Avots: Centrālā statistikas pārvalde " * 8)
    note = next(t for t in fig.axes[0].texts if "EPSG:3059" in t.get_text())
    assert "\n" in note.get_text()
    page = fig.bbox
    box = note.get_window_extent(fig.canvas.get_renderer())
    assert page.x0 <= box.x0 and box.x1 <= page.x1 and page.y0 <= box.y0


def test_scale_bar_has_a_backdrop_behind_it() -> None:
    fig = Figure()
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, 50_000)
    bar = carto.add_scale_bar(ax)
    assert bar.backdrop is not None
    assert bar.backdrop.get_zorder() < min(a.get_zorder() for a in bar.artists)
    left = bar.backdrop.get_x()
    assert left < bar.x0 and left + bar.backdrop.get_width() > bar.x0 + bar.length_m
