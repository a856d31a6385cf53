"""Interactive coverage map (Leaflet via folium) that works offline from a single HTML file."""

from __future__ import annotations

import base64
import html
import json
import math
import os
import re
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, Figure, MacroElement
from folium.template import Template
from folium.utilities import JsCode

from .._errors import AccessibilityError, MissingColumnError
from ..io.write import write_text
from ..projection import to_working_crs
from . import _cartography as carto

__all__ = ["interactive_map", "save_interactive_map"]

#: Popup rows of a unit when ``popup_fields`` is not given: every column present, in this order.
DEFAULT_UNIT_FIELDS: dict[str, str] = {
    "unit_name": "Unit",
    "unit_code": "ATVK code",
    "unit_kind": "Kind",
    "municipality_name": "Municipality",
    "status": "Status",
    "population": "Population",
    "stops": "Bus stops",
    "intercity_stops": "Intercity stops",
    "centres": "Centres",
    "best_centre": "Best centre",
    "centre_stop_distance": "Best centre to intercity stop (m)",
    "centre_stop_method": "Distance measured as",
    "pop_mean_distance": "Mean distance of residents to a centre (m)",
}
DEFAULT_STOP_FIELDS: dict[str, str] = {
    "stop_name": "Stop",
    "stop_id": "Stop id",
    "routes": "Routes",
    "mode": "Mode",
    "intercity": "Intercity",
    "intercity_evidence": "Intercity status rests on",
}
DEFAULT_SITE_FIELDS: dict[str, str] = {
    "name": "Name",
    "site_id": "Site id",
    "kind": "Kind",
    "unit_code": "Unit",
    # A proposed centre's justification (present on plans from the main job).
    "reason": "Why here",
    "population_assigned": "Nearest centre of (people)",
    "sole_centre": "Only centre within (people)",
    "nearest_other_centre_m": "Nearest other centre (m)",
    "next_best": "Next-best site in its unit",
    "if_closed": "If it closed",
}

#: Decimal places of longitude/latitude in the page: 5 places is about 1 m.
COORDINATE_DECIMALS = 5

_ASSETS = "assets/leaflet"
_POINT_STYLE = {
    "stop": {"color": "#777777", "radius": 2.5},
    "intercity_stop": {"color": "#004488", "radius": 3.5},
    # Small enough that ~600 centres stay apart at the national zoom.
    "centre": {"color": "#000000", "radius": 5.0},
    "proposed": {"color": "#AA3377", "radius": 5.5},
}


def interactive_map(
    units: gpd.GeoDataFrame,
    *,
    status_column: str | None = "status",
    popup_fields: Mapping[str, str] | Sequence[str] | None = None,
    stops: gpd.GeoDataFrame | None = None,
    centres: gpd.GeoDataFrame | None = None,
    proposed: gpd.GeoDataFrame | None = None,
    municipalities: gpd.GeoDataFrame | None = None,
    tiles: str | None = None,
    palette: Mapping[str, str] | None = None,
    intercity_column: str = "intercity",
    stop_popup_fields: Mapping[str, str] | Sequence[str] | None = None,
    site_popup_fields: Mapping[str, str] | Sequence[str] | None = None,
    title: str = "Client service centres: coverage by territorial unit",
    show_other_stops: bool = False,
    rule: str | None = None,
) -> folium.Map:
    """Build a Leaflet map of coverage with switchable layers and a popup per unit.

    The page needs no network: Leaflet's script and style are inlined, and folium's other
    CDN defaults (jQuery, Bootstrap, Font Awesome) are dropped because nothing here uses them.
    Every name and value shown is HTML-escaped, so a stop called ``<script>`` is shown as text.

    Parameters
    ----------
    units
        Territorial units (e.g. ``unit_coverage`` output), any CRS; sent to the page in
        EPSG:4326, the only CRS a web map takes.
    status_column
        Column coloured with ``palette`` (as on the printed map); ``None`` draws plain units.
    popup_fields
        Columns shown in a unit's popup, as ``{column: label}`` or a list of columns;
        defaults to the :data:`DEFAULT_UNIT_FIELDS` present in ``units``.
    stops
        Bus stops; intercity stops (``intercity_column`` true) and the others are separate
        layers, the others hidden at first.
    centres, proposed
        Existing and proposed centres (points).
    municipalities
        Polygons for the municipality boundary layer; dissolved from ``units`` by
        ``municipality_code`` when omitted and the column exists.
    tiles
        Optional basemap, a folium tile name (e.g. ``"OpenStreetMap"``) or URL template.
        Default none: the page is complete without it, and tiles that cannot load offline
        leave the data layers working.
    palette
        Colour per status value; the printed map's palette by default.
    intercity_column
        Boolean column of ``stops`` marking intercity stops.
    stop_popup_fields, site_popup_fields
        Popup columns of stops and of centres, like ``popup_fields``.
    title
        Page title (browser tab) and legend heading.
    rule
        The rule behind the statuses (distance, how it is measured, what makes a stop
        intercity), printed under the legend.
    show_other_stops
        Show the non-intercity stops layer when the page opens.

    Returns
    -------
    folium.Map
        Save it with :func:`save_interactive_map`.
    """
    units = _check_units(units, status_column)
    units_ll = units.to_crs("EPSG:4326")
    west, south, east, north = (float(v) for v in units_ll.total_bounds)
    figure = Figure(title=html.escape(title))
    fmap = folium.Map(
        location=[(south + north) / 2, (west + east) / 2],
        zoom_start=7,
        tiles=None,
        control_scale=True,
    )
    figure.add_child(fmap)
    _make_offline(fmap, figure)
    if tiles is not None:
        folium.TileLayer(tiles, name="Basemap", control=True).add_to(fmap)

    colours = carto.status_colours(units[status_column], palette) if status_column else None
    fields = _fields(popup_fields, DEFAULT_UNIT_FIELDS, units, status_column)
    unit_features = _features(
        units_ll,
        values=list(fields),
        tooltip_column="unit_name" if "unit_name" in units_ll.columns else None,
        extra=lambda i: {"fill": colours.colours[i] if colours else "#E8E8E8"},
        with_id=True,
    )
    folium.GeoJson(
        unit_features,
        name="Territorial units" + (f" by {html.escape(status_column)}" if status_column else ""),
        style_function=lambda feature: {
            "fillColor": feature["properties"]["fill"],
            "fillOpacity": 0.75,
            "color": "#FFFFFF",
            "weight": 0.6,
        },
        highlight_function=lambda feature: {"weight": 2.5, "color": "#000000"},
        on_each_feature=_bind_popup_and_tooltip(list(fields.values())),
    ).add_to(fmap)

    municipalities = _municipalities(units, municipalities)
    if municipalities is not None:
        lines = municipalities.to_crs("EPSG:4326")
        folium.GeoJson(
            _features(lines, geometry=lines.geometry.boundary),
            name="Municipality boundaries",
            style_function=lambda feature: {"color": "#333333", "weight": 1.6, "fill": False},
            interactive=False,
        ).add_to(fmap)

    intercity, other = carto.split_stops(_points(stops, "stops"), intercity_column)
    stop_fields = (stop_popup_fields, DEFAULT_STOP_FIELDS)
    site_fields = (site_popup_fields, DEFAULT_SITE_FIELDS)
    point_layers = [
        (
            other,
            "stop",
            "Bus stops" if intercity is None else "Other bus stops",
            stop_fields,
            show_other_stops,
        ),
        (intercity, "intercity_stop", "Intercity bus stops", stop_fields, True),
        (_points(centres, "centres"), "centre", "Existing centres", site_fields, True),
        (_points(proposed, "proposed"), "proposed", "Proposed centres", site_fields, True),
    ]
    # Points get their own pane above the unit polygons (overlay pane 400, markers 600).
    folium.map.CustomPane(_POINT_PANE, z_index=450).add_to(fmap)
    legend_points = []
    for layer, key, name, (asked, defaults), show in point_layers:
        if layer is None:
            continue
        _add_points(
            fmap, layer, key, f"{name} ({len(layer)})", _fields(asked, defaults, layer), show
        )
        legend_points.append((f"{name} ({len(layer)})", _POINT_STYLE[key]["color"]))

    folium.LayerControl(collapsed=False).add_to(fmap)
    fmap.add_child(_Legend(title, colours.entries if colours else [], legend_points, rule))
    fmap.fit_bounds([[south, west], [north, east]])
    return fmap


def save_interactive_map(fmap: folium.Map, path: str | os.PathLike[str]) -> Path:
    """Write the map as one self-contained HTML file, atomically.

    Parameters
    ----------
    fmap
        A map from :func:`interactive_map` (or any folium map).
    path
        Target ``.html`` file; its folder is created when missing.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    number_elements(fmap)
    return write_text(path, deterministic_ids(fmap.get_root().render()))


def number_elements(fmap: folium.Map) -> None:
    """Give every element of the map an id from its place in the tree instead of a random one.

    ``fmap.get_name()`` and the page then agree, and the same map gives the same ids.
    """
    seen: set[int] = set()
    stack = [fmap.get_root()]
    count = 0
    while stack:
        element = stack.pop(0)
        if id(element) in seen:
            continue
        seen.add(id(element))
        element._id = f"{count:032d}"
        count += 1
        stack.extend(getattr(element, "_children", {}).values())


#: folium names every element ``<kind>_<32 random hex digits>`` (uuid4); ids given by
#: :func:`number_elements` are all decimal digits and are left as they are.
_ELEMENT_ID = re.compile(r"(?<=_)(?![0-9]{32})[0-9a-f]{32}(?![0-9a-zA-Z])")


def deterministic_ids(page: str) -> str:
    """Replace folium's random element ids by their order of first appearance.

    The same map then gives the same bytes, so ``map.html`` is reproducible like the tables.
    Every occurrence of an id is replaced by the same number, so the page's script still
    refers to the right elements.
    """
    numbers: dict[str, str] = {}

    def number(found: re.Match[str]) -> str:
        # Elements made while rendering: numbered after the tree's, in order of appearance.
        return numbers.setdefault(found.group(0), f"{len(numbers) + 10**31:032d}")

    page = _ELEMENT_ID.sub(number, page)
    if numbers:
        # Ids also appear without the underscore (``"id": "<hex>"``): same numbers.
        page = re.sub("|".join(map(re.escape, numbers)), lambda m: numbers[m.group(0)], page)
    return page


def leaflet_assets() -> tuple[str, str]:
    """Leaflet's JavaScript and CSS (with its images as data URIs), as bundled in the package."""
    folder = resources.files("accessibility").joinpath(_ASSETS)
    script = folder.joinpath("leaflet.js").read_text(encoding="utf-8")
    # The source map is not shipped; without the comment no developer tool asks for it.
    script = re.sub(r"\n//# sourceMappingURL=\S+\s*$", "\n", script)
    css = folder.joinpath("leaflet.css").read_text(encoding="utf-8")

    def inline(match: re.Match[str]) -> str:
        name = match.group(1)
        image = folder.joinpath("images", name)
        if not image.is_file():
            return "none"
        encoded = base64.b64encode(image.read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{encoded})"

    css = re.sub(r"url\(images/([\w.-]+\.png)\)", inline, css)
    return script, css


#: Page helpers: popups and tooltips are built with DOM text nodes, never from HTML strings,
#: so any name (quotes, diacritics, "<script>") is shown exactly as written.
_POINT_PANE = "accessibilityPoints"
_PAGE_HELPERS = """
function accessibilityTable(labels, values) {
    var table = document.createElement("table");
    table.className = "accessibility-popup";
    for (var i = 0; i < labels.length; i++) {
        var row = table.insertRow();
        var head = document.createElement("th");
        head.textContent = labels[i];
        head.style.textAlign = "left";
        head.style.paddingRight = "8px";
        row.appendChild(head);
        row.insertCell().textContent = values[i] === null ? "no data" : String(values[i]);
    }
    return table;
}
function accessibilityText(text) {
    var span = document.createElement("span");
    span.textContent = String(text);
    return span;
}
"""


def _bind_popup_and_tooltip(labels: Sequence[str]) -> JsCode:
    """``onEachFeature`` code binding a popup table (``labels`` + the feature's values) and a tooltip."""
    return JsCode(
        f"""
    function(feature, layer) {{
        var labels = {_js_json(list(labels))};
        var p = feature.properties;
        if (p.v) {{ layer.bindPopup(function() {{ return accessibilityTable(labels, p.v); }}, {{maxWidth: 360}}); }}
        if (p.t !== undefined && p.t !== null) {{
            layer.bindTooltip(function() {{ return accessibilityText(p.t); }}, {{sticky: true}});
        }}
    }}
    """
    )


def _js_json(value: Any) -> str:
    """JSON that is safe inside a ``<script>`` element."""
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


class _InlineAssets(Element):
    """Leaflet's script and style written into the page head."""

    def __init__(self) -> None:
        script, css = leaflet_assets()
        # "</" cannot occur inside the inlined code without ending the element early.
        if (
            "</script" in script.lower() or "</style" in css.lower()
        ):  # pragma: no cover - asset check
            raise AccessibilityError("bundled Leaflet assets contain a closing tag")
        super().__init__(
            f"<style>\n{css}\n</style>\n<script>\n{script}\n</script>\n<script>{_PAGE_HELPERS}</script>"
        )


class _Legend(MacroElement):
    """A legend control in the bottom-right corner; its HTML is escaped in Python."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.control({position: "bottomright"});
            {{ this.get_name() }}.onAdd = function (map) {
                var div = L.DomUtil.create("div", "accessibility-legend");
                div.innerHTML = {{ this.html|tojson }};
                L.DomEvent.disableClickPropagation(div);
                return div;
            };
            {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(
        self,
        title: str,
        fills: list[tuple[str, str]],
        points: list[tuple[str, str]],
        note: str | None = None,
    ) -> None:
        super().__init__()
        self._name = "Legend"
        rows = [f"<div style='font-weight:bold;margin-bottom:4px'>{html.escape(title)}</div>"]
        for label, colour in fills:
            rows.append(
                "<div><span style='display:inline-block;width:14px;height:10px;margin-right:6px;"
                f"border:1px solid #555;background:{html.escape(colour)}'></span>{html.escape(label)}</div>"
            )
        for label, colour in points:
            rows.append(
                "<div><span style='display:inline-block;width:10px;height:10px;margin:0 8px 0 2px;"
                f"border-radius:50%;background:{html.escape(colour)}'></span>{html.escape(label)}</div>"
            )
        if note:
            rows.append(
                f"<div style='margin-top:4px;font-size:11px;color:#333'>{html.escape(note)}</div>"
            )
        style = "background:rgba(255,255,255,0.9);padding:6px 8px;font:12px sans-serif;border-radius:4px;max-width:280px"
        self.html = f"<div style='{style}'>{''.join(rows)}</div>"


def _make_offline(fmap: folium.Map, figure: Figure) -> None:
    """Replace folium's CDN links by the bundled Leaflet, inlined in the page head."""
    # Instance attributes shadow the class lists, which other maps share.
    fmap.default_js = []
    fmap.default_css = []
    figure.header.add_child(_InlineAssets(), name="leaflet_inline")


def _check_units(units: gpd.GeoDataFrame, status_column: str | None) -> gpd.GeoDataFrame:
    if not isinstance(units, gpd.GeoDataFrame):
        raise TypeError(f"units must be a GeoDataFrame, got {type(units).__name__}")
    units = to_working_crs(units)
    units = units[units.geometry.notna() & ~units.geometry.is_empty]
    if units.empty:
        raise AccessibilityError("units: no unit with a geometry to draw")
    if status_column is not None and status_column not in units.columns:
        raise MissingColumnError(
            None, f"units have no column {status_column!r}", field=status_column
        )
    return units


def _points(points: gpd.GeoDataFrame | None, what: str) -> gpd.GeoDataFrame | None:
    if points is None:
        return None
    if not isinstance(points, gpd.GeoDataFrame):
        raise TypeError(f"{what} must be a GeoDataFrame, got {type(points).__name__}")
    points = to_working_crs(points, source=what)
    return points[points.geometry.notna() & ~points.geometry.is_empty]


def _municipalities(
    units: gpd.GeoDataFrame, municipalities: gpd.GeoDataFrame | None
) -> gpd.GeoDataFrame | None:
    if municipalities is not None:
        return to_working_crs(municipalities, source="municipalities")
    if "municipality_code" not in units.columns:
        return None
    return units[["municipality_code", "geometry"]].dissolve("municipality_code").reset_index()


def _fields(
    fields: Mapping[str, str] | Sequence[str] | None,
    defaults: Mapping[str, str],
    frame: pd.DataFrame,
    status_column: str | None = None,
) -> dict[str, str]:
    """Popup rows as {column: label}; asked-for columns must exist, defaults only if present."""
    if fields is None:
        chosen = {c: label for c, label in defaults.items() if c in frame.columns}
        if status_column and status_column in frame.columns and status_column not in chosen:
            chosen[status_column] = "Status"
        return chosen
    chosen = dict(fields) if isinstance(fields, Mapping) else {c: c for c in fields}
    missing = [c for c in chosen if c not in frame.columns]
    if missing:
        raise MissingColumnError(
            None, f"popup column(s) not in the layer: {', '.join(missing)}", field=missing[0]
        )
    return chosen


def _format_value(value: Any) -> str:
    """A cell as readable text: thousands separated by spaces, lists joined, missing said so."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return ", ".join(map(str, value))
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "no data"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}".replace(",", "\u202f")
    if isinstance(value, (float, np.floating)):
        if math.isinf(value):
            return "unreachable"
        return (
            f"{float(value):,.0f}".replace(",", "\u202f")
            if abs(value) >= 100
            else f"{float(value):.3g}"
        )
    return str(value)


def _round_coordinates(geometries: np.ndarray) -> np.ndarray:
    return shapely.transform(geometries, lambda xy: np.round(xy, COORDINATE_DECIMALS))


def _features(
    frame: gpd.GeoDataFrame,
    *,
    geometry: gpd.GeoSeries | None = None,
    values: Sequence[str] = (),
    tooltip_column: str | None = None,
    extra: Any = None,
    with_id: bool = False,
) -> dict[str, Any]:
    """A compact GeoJSON FeatureCollection: popup values as a list ``v``, tooltip text ``t``.

    Values are formatted here and escaped by the page (text nodes), not here.
    """
    geometries = _round_coordinates((frame.geometry if geometry is None else geometry).to_numpy())
    columns = {c: frame[c].to_numpy(dtype=object) for c in values}
    tips = None if tooltip_column is None else frame[tooltip_column].to_numpy(dtype=object)
    features = []
    for i, geom in enumerate(geometries):
        properties: dict[str, Any] = {}
        if values:
            properties["v"] = [_format_value(columns[c][i]) for c in values]
        if tips is not None:
            properties["t"] = _format_value(tips[i])
        if extra is not None:
            properties.update(extra(i))
        feature: dict[str, Any] = {
            "type": "Feature",
            "geometry": shapely.geometry.mapping(geom),
            "properties": properties,
        }
        if with_id:
            # folium matches per-feature styles by id.
            feature["id"] = str(i)
        features.append(feature)
    return {"type": "FeatureCollection", "features": features}


def _add_points(
    fmap: folium.Map,
    layer: gpd.GeoDataFrame,
    key: str,
    name: str,
    fields: Mapping[str, str],
    show: bool,
) -> None:
    style = _POINT_STYLE[key]
    name_column = next(
        (c for c in ("stop_name", "name", "site_id", "stop_id") if c in layer.columns), None
    )
    points = layer.to_crs("EPSG:4326")
    features = _features(points, values=list(fields), tooltip_column=name_column)
    marker = folium.CircleMarker(
        radius=style["radius"],
        weight=1,
        color="#FFFFFF",
        fill=True,
        fill_color=style["color"],
        fill_opacity=1.0,
    )
    # Points sit in their own pane above the unit polygons. They stay SVG like the units: a
    # canvas there would take every click and leave the units below without popups.
    # (folium's CircleMarker does not pass a pane through, so it is set here.)
    marker.options["pane"] = _POINT_PANE
    folium.GeoJson(
        features,
        name=html.escape(name),
        show=show,
        marker=marker,
        on_each_feature=_bind_popup_and_tooltip(list(fields.values())),
    ).add_to(fmap)
