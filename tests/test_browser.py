"""The saved interactive map opened in a real headless Chromium, with the network shut off."""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
from shapely.geometry import Point
from test_webmap import NASTY_NAMES, _stops, _units

from accessibility.outputs.webmap import interactive_map, save_interactive_map

# Without the background-networking flags Chromium keeps calling home, which floods a
# closed network and slows every run.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium_path() -> str | None:
    for candidate in (os.environ.get("CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def _unavailable(reason: str) -> None:
    # CI installs the browser: there a missing one is a broken setup, not a reason to skip.
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: install it with `apt-get install -y chromium`)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A headless Debian Chromium driven by Playwright, with a fresh profile."""
    executable = _chromium_path()
    if executable is None:
        _unavailable("chromium is not installed")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed")
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=executable,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1000, "height": 700},
        )
        try:
            yield context
        finally:
            context.close()


class _Page:
    """An opened page with everything it logged and every request it tried."""

    def __init__(self, context: Any, path: Path) -> None:
        self.console: list[tuple[str, str]] = []
        self.errors: list[str] = []
        self.external: list[str] = []
        self.dialogs: list[str] = []
        self.page = context.new_page()
        self.page.on("console", lambda message: self.console.append((message.type, message.text)))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("dialog", self._dialog)
        self.page.route("**/*", self._route)
        self.page.goto(path.as_uri())
        self.page.wait_for_selector(".leaflet-container path.leaflet-interactive", timeout=20_000)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _route(self, route: Any) -> None:
        url = route.request.url
        if url.startswith(("file:", "data:", "blob:")):
            route.continue_()
        else:
            # The map must work offline: record and refuse anything else.
            self.external.append(url)
            route.abort()

    def console_errors(self) -> list[str]:
        return [text for kind, text in self.console if kind in ("error", "warning")]

    def container_point(self, map_name: str, lat: float, lon: float) -> tuple[float, float]:
        point = self.page.evaluate(f"() => {map_name}.latLngToContainerPoint([{lat}, {lon}])")
        box = self.page.locator(".leaflet-container").bounding_box()
        return box["x"] + point["x"], box["y"] + point["y"]


def _distinct_colours(png: bytes) -> int:
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    return len(image.getcolors(maxcolors=1 << 20) or [])


def test_map_renders_offline_without_errors(browser: Any, tmp_path: Path) -> None:
    units = _units()
    stops = _stops()
    centres = gpd.GeoDataFrame(
        {"site_id": ["c1"], "name": ["<script>alert(1)</script> centrs"], "kind": ["centre"]},
        geometry=[Point(508_800, 301_200)],
        crs="EPSG:3059",
    )
    fmap = interactive_map(units, stops=stops, centres=centres, show_other_stops=True)
    path = save_interactive_map(fmap, tmp_path / "map.html")
    opened = _Page(browser, path)
    page = opened.page

    assert opened.errors == []
    assert opened.console_errors() == []
    assert opened.external == []
    assert page.locator(f"#{fmap.get_name()}.leaflet-container").count() == 1
    # Units in the overlay pane; stops and the centre in the points pane above them.
    assert page.locator(".leaflet-overlay-pane path.leaflet-interactive").count() == len(units)
    assert (
        page.locator(".leaflet-accessibilityPoints-pane path.leaflet-interactive").count()
        == len(stops) + 1
    )
    labels = page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
    assert [text.strip() for text in labels] == [
        "Territorial units by status",
        "Municipality boundaries",
        "Other bus stops (1)",
        "Intercity bus stops (3)",
        "Existing centres (1)",
    ]
    assert "no centre (1)" in page.locator(".accessibility-legend").inner_text()

    screenshot = page.screenshot()
    assert len(screenshot) > 5_000
    assert _distinct_colours(screenshot) > 20  # a drawn map, not one flat colour

    # A unit's popup shows its figures; the tag-like unit name stays text.
    lonlat = units.to_crs("EPSG:4326").geometry.iloc[1].representative_point()
    page.mouse.click(*opened.container_point(fmap.get_name(), lonlat.y, lonlat.x))
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(timeout=5_000)
    assert "<b>Bold</b> pagasts" in popup.inner_text()
    assert "Population\tno data" in popup.inner_text()
    assert page.locator(".leaflet-popup-content b").count() == 0

    page.locator(".leaflet-popup-close-button").click()
    popup.wait_for(state="detached", timeout=5_000)

    # The centre named like a script: shown as text, nothing runs.
    centre = centres.to_crs("EPSG:4326").geometry.iloc[0]
    page.mouse.click(*opened.container_point(fmap.get_name(), centre.y, centre.x))
    page.wait_for_function(
        "() => document.querySelector('.leaflet-popup-content')?.textContent.includes('centrs')",
        timeout=5_000,
    )
    assert "<script>alert(1)</script> centrs" in popup.inner_text()
    assert page.locator(".leaflet-popup-content script").count() == 0
    assert opened.dialogs == []

    # A stop with quotes and diacritics keeps them in its tooltip.
    stop = stops.geometry.iloc[0]
    page.mouse.move(*opened.container_point(fmap.get_name(), stop.y, stop.x))
    page.wait_for_selector(".leaflet-tooltip", timeout=5_000)
    assert NASTY_NAMES[0] in page.locator(".leaflet-tooltip").all_inner_texts()
    assert opened.errors == [] and opened.console_errors() == []
    page.close()


def test_unreachable_basemap_does_not_break_the_page(browser: Any, tmp_path: Path) -> None:
    path = save_interactive_map(
        interactive_map(_units(), tiles="OpenStreetMap"), tmp_path / "tiles.html"
    )
    opened = _Page(browser, path)
    # Tiles were asked for and refused (offline); the data layers still drew.
    assert opened.external and all("tile.openstreetmap.org" in url for url in opened.external)
    assert opened.errors == []
    assert opened.page.locator(".leaflet-overlay-pane path.leaflet-interactive").count() == 3
    unexpected = [text for text in opened.console_errors() if "Failed to load resource" not in text]
    assert unexpected == []
    opened.page.close()


@pytest.mark.realdata
@pytest.mark.slow
def test_real_map_renders(browser: Any, real_data: Path, tmp_path: Path) -> None:
    from test_plot import _real_stops, _real_units

    units = _real_units(real_data)
    fmap = interactive_map(units, status_column=None, stops=_real_stops(real_data))
    opened = _Page(browser, save_interactive_map(fmap, tmp_path / "latvia.html"))
    assert opened.errors == [] and opened.console_errors() == [] and opened.external == []
    # The units of the 1:1.2 M boundary file (592) are SVG paths; 4 are multipolygons, one path each.
    assert opened.page.locator(".leaflet-overlay-pane path.leaflet-interactive").count() == 592
    assert _distinct_colours(opened.page.screenshot()) > 20
    opened.page.close()


# ---------------------------------------------------------------- the report page on A4

#: A4 at the CSS 96 px per inch: the page (210 mm) and the text block inside 20 mm margins.
A4_PAGE_PX = round(210 / 25.4 * 96)
A4_TEXT_PX = round(170 / 25.4 * 96)

_TABLE_WIDTHS_JS = """
() => Array.from(document.querySelectorAll('table')).map(t => ({
    caption: t.caption ? t.caption.textContent : '',
    right: t.getBoundingClientRect().right,
    width: t.getBoundingClientRect().width,
    scroll: t.scrollWidth,
    parent: t.parentElement.clientWidth,
}))
"""


def _wide_report(tmp_path: Path) -> Path:
    """A report whose tables would run off the page without wrapping: 17 columns with long
    headers, long unbreakable file names and the demo's real tables."""
    import pandas as pd

    from accessibility.outputs.report import Heading, Report, Table, write_report

    wide = pd.DataFrame(
        {f"population_beyond_{t}m_and_share_of_the_unit": [123456.0, 0.953] for t in range(17)}
    )
    names = pd.DataFrame(
        {"file": ["Territorial_units_LV_1.2m_(2024.01.01.)_" * 4 + ".shp"], "rows": [592]}
    )
    report = Report("Wide tables").add(
        Heading("Wide"), Table(wide, caption="17 columns"), Table(names, caption="Long names")
    )
    return write_report(report, tmp_path)["html"]


def _table_widths(browser: Any, path: Path, *, width: int, print_media: bool) -> list[dict]:
    page = browser.new_page()
    try:
        page.set_viewport_size({"width": width, "height": 1100})
        if print_media:
            page.emulate_media(media="print")
        page.goto(path.as_uri())
        return page.evaluate(_TABLE_WIDTHS_JS)
    finally:
        page.close()


@pytest.mark.parametrize(
    ("width", "print_media"), [(A4_PAGE_PX, False), (A4_TEXT_PX, True)], ids=["screen", "print"]
)
def test_no_report_table_is_wider_than_an_a4_page(
    browser: Any, tmp_path: Path, width: int, print_media: bool
) -> None:
    from accessibility.cli import main

    assert main(["demo", "--out", str(tmp_path / "demo"), "--no-sheets"]) == 0
    pages = [tmp_path / "demo" / "report.html", _wide_report(tmp_path)]
    for page in pages:
        tables = _table_widths(browser, page, width=width, print_media=print_media)
        assert len(tables) >= 2, page
        for table in tables:
            # Nothing overflows its box, and the box ends inside the page.
            assert table["scroll"] <= table["parent"] + 1, (page.name, table)
            assert table["right"] <= width + 0.5, (page.name, table)
