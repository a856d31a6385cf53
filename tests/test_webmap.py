"""Interactive map: offline page, escaping, popup values, layers, coordinates."""

from __future__ import annotations

import json
import re
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from accessibility._errors import CRSError, MissingColumnError
from accessibility.coverage.core import STATUS_VALUES
from accessibility.outputs.webmap import interactive_map, leaflet_assets, save_interactive_map

NASTY_NAMES = ['Kalēji "Lejas"', "O'Brien stop", "<script>alert(1)</script>", "Ģipka & Šķēde"]


def _units() -> gpd.GeoDataFrame:
    x0, y0 = 500_000.0, 300_000.0
    return gpd.GeoDataFrame(
        {
            "unit_code": ["0100001", "0100002", "0200001"],
            "unit_name": ["Ķekavas pagasts", "<b>Bold</b> pagasts", "Žīguru pagasts"],
            "unit_kind": ["parish", "parish", "town"],
            "municipality_code": ["0100000", "0100000", "0200000"],
            "municipality_name": ["Ābeļu novads", "Ābeļu novads", "Žīguru novads"],
            "population": pd.array([12345, pd.NA, 7], dtype="Int64"),
            "centre_stop_distance": [512.4, np.nan, np.inf],
            "status": pd.Categorical(
                [STATUS_VALUES[0], STATUS_VALUES[3], STATUS_VALUES[2]], categories=STATUS_VALUES
            ),
        },
        geometry=[box(x0 + i * 5_000, y0, x0 + (i + 1) * 5_000, y0 + 5_000) for i in range(3)],
        crs="EPSG:3059",
    )


def _stops() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "stop_id": ["1", "2", "3", "4"],
            "stop_name": NASTY_NAMES,
            "routes": [["7937", "5494"], ["5490"], [], ["7001"]],
            "mode": ["bus"] * 4,
            "intercity": [True, False, True, True],
        },
        geometry=[Point(501_000 + 2_000 * i, 302_000) for i in range(4)],
        crs="EPSG:3059",
    ).to_crs("EPSG:4326")


def _geojson_layers(fmap: folium.Map) -> dict[str, folium.GeoJson]:
    return {
        child.layer_name: child
        for child in fmap._children.values()
        if isinstance(child, folium.GeoJson)
    }


def test_page_is_self_contained(tmp_path: Path) -> None:
    path = save_interactive_map(
        interactive_map(_units(), stops=_stops()), tmp_path / "out" / "map.html"
    )
    page = path.read_text(encoding="utf-8")
    assert "Leaflet 1.9.4" in page  # the bundled script, inlined
    assert not re.search(r"<script[^>]*\bsrc\s*=", page, flags=re.IGNORECASE)
    assert not re.search(r"<link\b", page, flags=re.IGNORECASE)
    assert "@import" not in page and "url(images/" not in page
    assert "data:image/png;base64," in page  # the layer-control icon travels inside the CSS
    # What remains of http(s) are namespaces, comments in Leaflet's code and the attribution link.
    allowed = (
        "http://www.w3.org/2000/svg",
        "https://leafletjs.com",
        "https://bugs.chromium.org",
        "https://bugzilla.mozilla.org",
    )
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", page))
    assert {u for u in urls if not u.startswith(allowed)} == set()
    assert sorted(p.name for p in path.parent.iterdir()) == ["map.html"]  # written atomically


def test_folium_defaults_of_other_maps_are_untouched() -> None:
    interactive_map(_units())
    assert any("jsdelivr" in url for _, url in folium.Map.default_js)
    other = folium.Map(tiles=None).get_root().render()
    assert "cdn.jsdelivr.net" in other


def test_optional_tiles_only_add_a_url_template(tmp_path: Path) -> None:
    page = interactive_map(_units(), tiles="OpenStreetMap").get_root().render()
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", page))
    extra = {u for u in urls if "openstreetmap" in u}
    assert extra and all(
        "{z}" in u or "copyright" in u or u.rstrip("/").endswith("openstreetmap.org") for u in extra
    )
    assert not re.search(r"<script[^>]*\bsrc\s*=", page, flags=re.IGNORECASE)


def test_names_are_never_raw_html() -> None:
    fmap = interactive_map(
        _units(), stops=_stops(), centres=_stops().iloc[:1].rename(columns={"stop_name": "name"})
    )
    page = fmap.get_root().render()
    for raw in ("<script>alert(1)", "<b>Bold</b>", "& Š"):
        assert raw not in page
    # The page carries them JSON-escaped and shows them through text nodes.
    assert "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e" in page
    assert "textContent" in page
    assert page.count("<script") == page.count("</script>")
    # Exactly the page's own script elements: Leaflet, the helpers, folium's switches, the map.
    assert page.count("<script") == 4


def test_popup_values_are_formatted_and_traceable() -> None:
    units = _units()
    fmap = interactive_map(units, stops=_stops())
    layers = _geojson_layers(fmap)
    unit_layer = next(
        layer for name, layer in layers.items() if name.startswith("Territorial units")
    )
    features = unit_layer.data["features"]
    assert [f["properties"]["t"] for f in features] == list(units["unit_name"])
    first, second, third = (f["properties"]["v"] for f in features)
    assert first[:2] == ["Ķekavas pagasts", "0100001"]
    assert "12\u202f345" in first  # population with a thin space between thousands
    assert "512" in first
    assert "no data" in second  # missing population is said, not shown as 0
    assert "unreachable" in third  # an infinite distance
    assert STATUS_VALUES[3] in second
    assert re.search(r'"Population"', unit_layer.on_each_feature.js_code)
    stops = layers["Intercity bus stops (3)"].data["features"]
    assert [f["properties"]["t"] for f in stops] == [NASTY_NAMES[0], NASTY_NAMES[2], NASTY_NAMES[3]]
    assert stops[0]["properties"]["v"][2] == "7937, 5494"  # route list joined


def test_coordinates_go_to_the_web_in_lonlat() -> None:
    units = _units()
    fmap = interactive_map(units)
    unit_layer = next(
        layer for name, layer in _geojson_layers(fmap).items() if name.startswith("Territorial")
    )
    drawn = np.array(unit_layer.data["features"][0]["geometry"]["coordinates"][0])
    expected = np.array(units.to_crs("EPSG:4326").geometry.iloc[0].exterior.coords)
    assert np.abs(drawn - expected).max() <= 0.5e-5 + 1e-12  # rounded to 5 decimals (about 1 m)
    bounds = fmap._children
    fit = next(child for child in bounds.values() if type(child).__name__ == "FitBounds")
    west, south, east, north = units.to_crs("EPSG:4326").total_bounds
    assert fit.bounds == [
        [pytest.approx(south), pytest.approx(west)],
        [pytest.approx(north), pytest.approx(east)],
    ]


def test_layers_are_switchable_and_counted() -> None:
    centres = gpd.GeoDataFrame(
        {"site_id": ["c1"], "name": ["Centrs"], "kind": ["centre"]},
        geometry=[Point(502_000, 301_000)],
        crs=3059,
    )
    fmap = interactive_map(_units(), stops=_stops(), centres=centres, proposed=centres)
    layers = _geojson_layers(fmap)
    assert list(layers) == [
        "Territorial units by status",
        "Municipality boundaries",
        "Other bus stops (1)",
        "Intercity bus stops (3)",
        "Existing centres (1)",
        "Proposed centres (1)",
    ]
    assert layers["Other bus stops (1)"].show is False
    assert any(isinstance(child, folium.LayerControl) for child in fmap._children.values())
    boundaries = layers["Municipality boundaries"].data["features"]
    assert len(boundaries) == 2 and boundaries[0]["geometry"]["type"] in (
        "LineString",
        "MultiLineString",
    )
    page = fmap.get_root().render()
    legend = re.search(r"div\.innerHTML = (\".*?\");", page).group(1)
    assert "Existing centres (1)" in json.loads(legend)


def test_unknown_status_is_grey_and_named_in_legend() -> None:
    units = _units()
    units["status"] = ["<i>odd</i>", STATUS_VALUES[0], None]
    page = interactive_map(units).get_root().render()
    legend = json.loads(re.search(r"div\.innerHTML = (\".*?\");", page).group(1))
    assert "&lt;i&gt;odd&lt;/i&gt; (not in palette) (1)" in legend
    assert "no status (1)" in legend


def test_bad_inputs_name_the_problem() -> None:
    with pytest.raises(MissingColumnError, match="status"):
        interactive_map(_units().drop(columns="status"))
    with pytest.raises(MissingColumnError, match="popul"):
        interactive_map(_units(), popup_fields={"popul": "Population"})
    with pytest.raises(CRSError):
        interactive_map(_units().set_crs(None, allow_override=True))


def test_leaflet_assets_are_bundled() -> None:
    script, css = leaflet_assets()
    assert "sourceMappingURL" not in script
    assert len(script) > 100_000 and ".leaflet-container" in css
    assert "url(images/" not in css
    licence = (
        Path(__file__).resolve().parents[1] / "accessibility" / "assets" / "leaflet" / "LICENSE"
    )
    assert "BSD 2-Clause" in licence.read_text(encoding="utf-8")


@pytest.mark.realdata
def test_real_units_and_stops_make_a_page_of_sensible_size(real_data: Path, tmp_path: Path) -> None:
    from test_plot import _real_stops, _real_units

    units = _real_units(real_data)
    stops = _real_stops(real_data)
    fmap = interactive_map(units, status_column=None, stops=stops)
    layers = _geojson_layers(fmap)
    assert len(layers["Territorial units"].data["features"]) == 592
    assert "Intercity bus stops (3764)" in layers and "Other bus stops (6415)" in layers
    path = save_interactive_map(fmap, tmp_path / "latvia.html")
    assert path.stat().st_size < 6_000_000


def test_proposed_centre_popups_carry_the_justification() -> None:
    """The main job's per-centre columns appear in the proposed centres' popups, in order."""
    from accessibility.planning.justify import justify_centres

    units = _units()
    xy = [p.representative_point() for p in units.geometry]
    proposed = gpd.GeoDataFrame(
        {"site_id": ["p1", "p2"], "name": ["Centre 1", "Centre 2"], "kind": "stop"},
        geometry=xy[:2],
        crs=units.crs,
    )
    demand = gpd.GeoDataFrame({"population": [100, 250, 40]}, geometry=xy, crs=units.crs)
    why = justify_centres(proposed, demand, thresholds=[1000])
    proposed = proposed.assign(
        reason="the only candidate",
        population_assigned=why["population_assigned"].to_numpy(),
        nearest_other_centre_m=why["nearest_other_centre_m"].to_numpy(),
        if_closed=["100 people move", "290 people move"],
    )
    fmap = interactive_map(units, proposed=proposed)
    layer = next(v for k, v in _geojson_layers(fmap).items() if k.startswith("Proposed centres"))
    for label in (
        "Why here",
        "Nearest centre of (people)",
        "Nearest other centre (m)",
        "If it closed",
    ):
        assert f'"{label}"' in layer.on_each_feature.js_code
    values = [f["properties"]["v"] for f in layer.data["features"]]
    assert values[0][3] == "the only candidate"
    # Each person to the nearest centre: the one at the third unit is nearer one of the two.
    assert sorted(float(v[4].replace("\u202f", "")) for v in values) == sorted(
        why["population_assigned"]
    )
    assert values[1][-1] == "290 people move"
