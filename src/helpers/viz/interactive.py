"""Interactive parcel maps (folium / Leaflet) that work with no network.

Leaflet's JavaScript and CSS (vendored in ``static/leaflet``) are inlined into the page, folium's
CDN references are switched off, and no tile layer is added: the map draws the real district
boundary and the parcels only. (Tile layers are left out on purpose: Amap tiles are in GCJ-02,
offset by several hundred metres from CGCS2000/WGS84 data, so parcels would have to be shifted
to sit right on them; Tianditu tiles are in CGCS2000 but need a key and the network.)

Geometry is simplified (in EPSG:4549 metres) and rounded to 1e-6° so the page stays light.

The parcel map has one parcel layer that three views restyle (Leaflet's own layer control, as base
layers): class, the clearance line, hot spots; the 街道 lines and the district boundary are overlays;
a search box finds parcels by enterprise name, credit code or parcel code as the data hold them (the
pseudonyms in an anonymised run); the scale is metric only.
"""

from __future__ import annotations

import base64
import html
import io
from importlib import resources
from typing import Any, cast

import folium
import geopandas as gpd
import matplotlib.pyplot as plt
import pandas as pd
import shapely
from branca.element import Element, MacroElement
from jinja2 import Template

from helpers.core import disclosure
from helpers.core.units import AREA_CRS
from helpers.viz.maps import HOTSPOT_COLORS
from helpers.viz.rasterise import class_grid
from helpers.viz.style import CLASS_COLORS, UNRATED_COLOR

MAX_FEATURES = 10_000  # parcels drawn one by one up to this many (about 3 MB of page); a raster above
STATIC = resources.files("helpers.viz") / "static" / "leaflet"


LEAFLET_LINK = '<a href="https://leafletjs.com" title="A JavaScript library for interactive maps">'
LEAFLET_PLAIN = '<a title="Leaflet, a JavaScript library for interactive maps">'


def leaflet_assets() -> tuple[str, str]:
    """Leaflet's JavaScript and CSS as shipped, but for the attribution's link to leafletjs.com and the
    address in its licence header: both stay, as text (a report points the browser to no web address)."""
    js = (STATIC / "leaflet.js").read_text(encoding="utf-8")
    if LEAFLET_LINK not in js:
        raise RuntimeError("the vendored leaflet.js has changed: update LEAFLET_LINK in helpers.viz.interactive")
    js = js.replace(LEAFLET_LINK, LEAFLET_PLAIN).replace("https://leafletjs.com", "leafletjs.com")
    return js, (STATIC / "leaflet.css").read_text(encoding="utf-8")


def light_geometry(gdf: gpd.GeoDataFrame, tolerance_m: float = 2.0) -> gpd.GeoDataFrame:
    """Simplified in metres, returned in EPSG:4326 with coordinates rounded to 1e-6°."""
    g = gdf.to_crs(AREA_CRS)
    g = g.set_geometry(g.geometry.simplify(tolerance_m, preserve_topology=True)).to_crs("EPSG:4326")
    return g.set_geometry(shapely.set_precision(g.geometry.array, 1e-6))


def offline_map(bounds_gdf: gpd.GeoDataFrame) -> folium.Map:
    """An empty folium map with Leaflet inlined, no CDN, no tiles, fitted to ``bounds_gdf``."""
    m = folium.Map(tiles=None, control_scale=False, zoom_control=True)  # metric scale: see parcel_class_map
    m.default_js = []
    m.default_css = []
    js, css = leaflet_assets()
    root: Any = m.get_root()  # a folium Figure (the stubs type it as an Element)
    root.header.add_child(Element(f"<style>{css}</style>"), name="leaflet_css_inline")
    # no tiles: a white ground, against which the light grey of "other parcels" still reads
    root.header.add_child(Element("<style>.leaflet-container{background:#ffffff}</style>"), name="mujun_ground")
    root.header.add_child(Element(f"<script>{js}</script>"), name="leaflet_js_inline")
    minx, miny, maxx, maxy = bounds_gdf.to_crs("EPSG:4326").total_bounds
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    m.add_child(MetricScale())
    return m


class MetricScale(MacroElement):
    """Leaflet's scale bar in metres and kilometres only (folium's ``control_scale`` adds miles)."""

    _template = Template(
        "{% macro script(this, kwargs) %}L.control.scale({imperial: false, metric: true}).addTo({{ this._parent.get_name() }});"
        "{% endmacro %}"
    )

    def __init__(self):
        super().__init__()
        self._name = "MetricScale"


def raster_overlay(m: folium.Map, parcels: gpd.GeoDataFrame, class_column: str) -> None:
    """The parcels' class raster (``helpers.viz.rasterise``, in Web Mercator so Leaflet places it
    exactly) as an inlined PNG overlay, with its caption on the page."""
    grid = class_grid(parcels, "EPSG:3857", class_column)
    buf = io.BytesIO()
    plt.imsave(buf, grid.rgba(), format="png")
    minx, maxx, miny, maxy = grid.extent
    corners = gpd.GeoSeries(gpd.points_from_xy([minx, maxx], [miny, maxy]), crs="EPSG:3857").to_crs("EPSG:4326")
    bounds = [[corners.y.iloc[0], corners.x.iloc[0]], [corners.y.iloc[1], corners.x.iloc[1]]]
    folium.raster_layers.ImageOverlay(
        "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode(),
        bounds=bounds,
        name="宗地类别栅格 class raster",
        opacity=0.9,
    ).add_to(m)
    cast(Any, m.get_root()).html.add_child(
        Element(
            '<div style="position:absolute;top:10px;left:50px;right:50px;z-index:1000;background:white;padding:4px 8px;'
            f'font-size:12px;border:1px solid #999">{grid.caption()}（Web Mercator 网格 grid）</div>'
        )
    )


CLASS_VIEW, CLEARANCE_VIEW, HOTSPOT_VIEW = "评价类别 class", "出清线以下 clearance line", "冷热点 hot spots"
BELOW_COLOR, ABOVE_COLOR, NO_DATA_COLOR = "#252525", "#d9d9d9", "#f0f0f0"
SEARCH_COLUMNS = ("name", "credit_code", "parcel_id")  # what the search box matches, where present
SEARCH_SHOWN = 12  # matches listed under the search box


def _legend_html(items: list[tuple[str, str]]) -> str:
    return "".join(
        f'<div><span style="background:{c};display:inline-block;width:12px;height:12px;margin-right:4px;'
        f'border:1px solid #999"></span>{html.escape(label)}</div>'
        for label, c in items
    )


def view_styles(
    parcels: pd.DataFrame, class_column: str, below: pd.Series | None, hotspot_bins: pd.Series | None
) -> dict[str, tuple[pd.Series, str]]:
    """For each view of the parcel map: the fill colour of every parcel and the legend's HTML."""
    from helpers.evaluate.hotspots import BIN_LABELS

    class_fill = parcels[class_column].map(CLASS_COLORS).fillna(UNRATED_COLOR).astype(str)
    class_items = [(f"{k}类", c) for k, c in CLASS_COLORS.items()] + [("未参评/闲置 not rated or idle", UNRATED_COLOR)]
    views = {CLASS_VIEW: (class_fill, _legend_html(class_items))}
    if below is not None:
        flag = below.reindex(parcels.index).fillna(False).astype(bool)
        fill = flag.map({True: BELOW_COLOR, False: ABOVE_COLOR}).astype(str)
        views[CLEARANCE_VIEW] = (
            fill,
            _legend_html([("出清线以下 below the line", BELOW_COLOR), ("其余宗地 others", ABOVE_COLOR)]),
        )
    if hotspot_bins is not None:
        bins = hotspot_bins.reindex(parcels.index)
        fill = bins.map(HOTSPOT_COLORS).fillna(NO_DATA_COLOR).astype(str)
        items = [(BIN_LABELS[b], HOTSPOT_COLORS[b]) for b in sorted(HOTSPOT_COLORS, reverse=True)]
        views[HOTSPOT_VIEW] = (fill, _legend_html([*items, ("未计算 not computed", NO_DATA_COLOR)]))
    return views


class ParcelViews(MacroElement):
    """Leaflet script of the parcel map: the views as base layers restyling one parcel layer (with
    the legend), overlays, a metric scale and the search box. Rendered after the layers it names."""

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function () {
  var map = {{ this.map }}, parcels = {{ this.parcels }};
  var legends = {{ this.legends }}, keys = {{ this.keys }};
  var legend = L.control({position: "bottomright"});
  legend.onAdd = function () {
    var div = L.DomUtil.create("div", "mujun-legend");
    div.style.cssText = "background:white;padding:6px 8px;font-size:12px;border:1px solid #999";
    return div;
  };
  legend.addTo(map);
  function show(name) {
    var key = keys[name];
    parcels.setStyle(function (f) { var c = f.properties[key]; return {fillColor: c, color: c}; });
    legend.getContainer().innerHTML = "<b>" + name + "</b>" + legends[name];
    map.getContainer().setAttribute("data-view", name);
  }
  var bases = {};
  Object.keys(keys).forEach(function (name) { bases[name] = L.layerGroup(); });
  var first = Object.keys(keys)[0];
  bases[first].addTo(map);
  var overlays = {};
  {% for label, layer in this.overlays %}overlays[{{ label }}] = {{ layer }};
  {% endfor %}
  L.control.layers(bases, overlays, {collapsed: false, position: "topright"}).addTo(map);
  map.on("baselayerchange", function (e) { show(e.name); });
  show(first);

  // search: the query is escaped as the data were (the features carry HTML-escaped text)
  function esc(t) {
    return t.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
            .replace(/"/g, "&quot;").replace(/'/g, "&#x27;");
  }
  var index = [];
  parcels.eachLayer(function (layer) {
    var p = layer.feature.properties;
    index.push({layer: layer, text: ({{ this.columns }}).map(function (c) { return p[c] || ""; }).join(" ").toLowerCase(),
                label: ({{ this.columns }}).map(function (c) { return p[c] || ""; })
                         .filter(function (t) { return t && t !== "—"; }).join(" · ")});
  });
  var box = L.control({position: "topleft"});
  box.onAdd = function () {
    var div = L.DomUtil.create("div", "mujun-search");
    div.style.cssText = "background:white;padding:4px;border:1px solid #999;font-size:12px;max-width:260px";
    div.innerHTML = '<input type="search" placeholder="{{ this.placeholder }}" style="width:230px">' +
                    '<div class="mujun-results"></div>';
    L.DomEvent.disableClickPropagation(div);
    L.DomEvent.disableScrollPropagation(div);
    return div;
  };
  box.addTo(map);
  var input = box.getContainer().querySelector("input"), results = box.getContainer().querySelector(".mujun-results");
  var marked = null;
  function go(hit) {
    if (marked) { parcels.resetStyle(marked); show(map.getContainer().getAttribute("data-view")); }
    marked = hit.layer;
    hit.layer.setStyle({weight: 4, color: "#ff7f00"});
    map.fitBounds(hit.layer.getBounds(), {maxZoom: 17});
    hit.layer.openTooltip(hit.layer.getBounds().getCenter());
  }
  function find() {
    var q = esc(input.value.trim().toLowerCase());
    var hits = q.length < 2 ? [] : index.filter(function (h) { return h.text.indexOf(q) >= 0; });
    results.innerHTML = "";
    hits.slice(0, {{ this.shown }}).forEach(function (hit) {
      var row = L.DomUtil.create("div", "mujun-hit", results);
      row.style.cssText = "cursor:pointer;padding:2px 0;border-top:1px solid #eee";
      row.innerHTML = hit.label;  // escaped text (see above)
      row.onclick = function () { go(hit); };
    });
    if (hits.length > {{ this.shown }}) {
      L.DomUtil.create("div", "mujun-more", results).textContent = "… " + hits.length + " 个结果 matches";
    }
    if (q.length >= 2 && !hits.length) { L.DomUtil.create("div", "mujun-none", results).textContent = "无结果 no match"; }
    map.getContainer().setAttribute("data-hits", String(hits.length));
    return hits;
  }
  input.addEventListener("input", find);
  input.addEventListener("keydown", function (e) { if (e.key === "Enter") { var h = find(); if (h.length) { go(h[0]); } } });
})();
{% endmacro %}
"""
    )

    def __init__(
        self, m: folium.Map, parcels_layer: Any, keys: dict[str, str], legends: dict[str, str], overlays: dict, columns: list[str]
    ):
        super().__init__()
        import json

        self._name = "ParcelViews"
        self.map = m.get_name()
        self.parcels = parcels_layer.get_name()
        self.keys = json.dumps(keys, ensure_ascii=False)
        self.legends = json.dumps(legends, ensure_ascii=False).replace("</", "<\\/")
        self.overlays = [(json.dumps(label, ensure_ascii=False), layer.get_name()) for label, layer in overlays.items()]
        self.columns = json.dumps(columns)
        self.placeholder = "搜索企业名称、信用代码或宗地代码 search"
        self.shown = SEARCH_SHOWN


def parcel_class_map(
    parcels: gpd.GeoDataFrame,
    boundary: gpd.GeoDataFrame,
    tooltip: dict[str, str],
    class_column: str = "class",
    tolerance_m: float = 2.0,
    max_features: int = MAX_FEATURES,
    zones: gpd.GeoDataFrame | None = None,
    below: pd.Series | None = None,
    hotspot_bins: pd.Series | None = None,
) -> folium.Map:
    """Parcels coloured by evaluation class, with a tooltip of ``tooltip`` {column: label} (values
    HTML-escaped: a name such as ``<img onerror=…>`` is shown as text). Views switch the colouring to
    the clearance line (``below``: a boolean Series on the parcels' index) and to hot-spot bins
    (``hotspot_bins``: -3…3, NaN where not computed); ``zones`` draws the 街道 lines as an overlay;
    a search box finds parcels by the ``SEARCH_COLUMNS`` present in ``tooltip``. Above
    ``max_features`` parcels the page shows the class raster instead (no tooltips, views or search),
    so the page stays under about 10 MB at any size."""
    m = offline_map(boundary)
    outline = folium.GeoJson(
        light_geometry(boundary, 20.0)[["geometry"]].to_json(),
        name="临平区界 district boundary",
        style_function=lambda f: {"color": "#252525", "weight": 2, "fill": False},
    ).add_to(m)
    overlays = {"临平区界 district boundary": outline}
    if zones is not None:
        z = light_geometry(zones, 20.0)[["street_name", "geometry"]]
        z["street_name"] = z["street_name"].astype(str).map(html.escape)
        overlays["街道分区（示意）indicative 街道 zones"] = folium.GeoJson(
            z.to_json(),
            name="街道分区（示意）",
            style_function=lambda f: {"color": "#525252", "weight": 1.5, "dashArray": "6 4", "fill": False},
            tooltip=folium.GeoJsonTooltip(fields=["street_name"], aliases=["街道（示意分区）"]),
        ).add_to(m)
    if len(parcels) > max_features:
        raster_overlay(m, parcels, class_column)
        add_legend(m)
        return m
    columns = list(dict.fromkeys([*tooltip, class_column, parcels.geometry.name]))
    p = light_geometry(parcels[columns], tolerance_m)
    p = disclosure.coarsen(p)  # rounded when a shared run asks for it
    views = view_styles(parcels, class_column, below, hotspot_bins)
    keys = {}
    for i, (view, (fill, _)) in enumerate(views.items()):
        keys[view] = f"fill{i}"
        p[f"fill{i}"] = fill.to_numpy()
    for col in tooltip:
        if p[col].dtype.kind == "f":
            p[col] = p[col].round(2)
        # folium writes tooltip values into the page with innerHTML: escaped here, shown as text there
        p[col] = p[col].astype(object).where(p[col].notna(), "—").astype(str).map(html.escape)
    layer = folium.GeoJson(
        p.to_json(),
        name="宗地 parcels",
        style_function=lambda f: {
            "fillColor": f["properties"]["fill0"],
            "color": f["properties"]["fill0"],
            "weight": 0.5,
            "fillOpacity": 0.85,
        },
        tooltip=folium.GeoJsonTooltip(fields=list(tooltip), aliases=list(tooltip.values()), sticky=True),
    ).add_to(m)
    searched = [c for c in SEARCH_COLUMNS if c in tooltip]
    m.add_child(ParcelViews(m, layer, keys, {v: legend for v, (_, legend) in views.items()}, overlays, searched))
    return m


def add_legend(m: folium.Map) -> None:
    """The class legend of the raster map (a fixed box)."""
    legend = _legend_html([(f"{k}类", c) for k, c in CLASS_COLORS.items()] + [("未参评/闲置", UNRATED_COLOR)])
    cast(Any, m.get_root()).html.add_child(
        Element(
            '<div style="position:absolute;bottom:24px;right:12px;z-index:1000;background:white;padding:6px 8px;'
            f'font-size:12px;border:1px solid #999">{legend}</div>'
        )
    )


def standalone_html(m: folium.Map) -> str:
    return m.get_root().render()
