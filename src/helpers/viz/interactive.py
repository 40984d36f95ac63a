"""Interactive parcel maps (folium / Leaflet) that work with no network.

Leaflet's JavaScript and CSS (vendored in ``static/leaflet``) are inlined into the page, folium's
CDN references are switched off, and no tile layer is added: the map draws the real district
boundary and the parcels only. (Tile layers are left out on purpose: Amap tiles are in GCJ-02,
offset by several hundred metres from CGCS2000/WGS84 data, so parcels would have to be shifted
to sit right on them; Tianditu tiles are in CGCS2000 but need a key and the network.)

Geometry is simplified (in EPSG:4549 metres) and rounded to 1e-6° so the page stays light.
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
import shapely
from branca.element import Element

from helpers.core import disclosure
from helpers.core.units import AREA_CRS
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
    m = folium.Map(tiles=None, control_scale=True, zoom_control=True)
    m.default_js = []
    m.default_css = []
    js, css = leaflet_assets()
    root: Any = m.get_root()  # a folium Figure (the stubs type it as an Element)
    root.header.add_child(Element(f"<style>{css}</style>"), name="leaflet_css_inline")
    root.header.add_child(Element(f"<script>{js}</script>"), name="leaflet_js_inline")
    minx, miny, maxx, maxy = bounds_gdf.to_crs("EPSG:4326").total_bounds
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    return m


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


def parcel_class_map(
    parcels: gpd.GeoDataFrame,
    boundary: gpd.GeoDataFrame,
    tooltip: dict[str, str],
    class_column: str = "class",
    tolerance_m: float = 2.0,
    max_features: int = MAX_FEATURES,
) -> folium.Map:
    """Parcels coloured by evaluation class, with a tooltip of ``tooltip`` {column: label} (values
    HTML-escaped: a name such as ``<img onerror=…>`` is shown as text). Above
    ``max_features`` parcels the page shows the class raster instead (no tooltips), so the page
    stays under about 10 MB at any size."""
    m = offline_map(boundary)
    folium.GeoJson(
        light_geometry(boundary, 20.0)[["geometry"]].to_json(),
        name="临平区界",
        style_function=lambda f: {"color": "#252525", "weight": 2, "fill": False},
    ).add_to(m)
    if len(parcels) > max_features:
        raster_overlay(m, parcels, class_column)
        add_legend(m)
        return m
    p = light_geometry(parcels[list(dict.fromkeys([*tooltip, class_column, parcels.geometry.name]))], tolerance_m)
    p = disclosure.coarsen(p)  # rounded when a shared run asks for it
    p["fill"] = p[class_column].map(CLASS_COLORS).fillna(UNRATED_COLOR).astype(str)
    for col in tooltip:
        if p[col].dtype.kind == "f":
            p[col] = p[col].round(2)
        # folium writes tooltip values into the page with innerHTML: escaped here, shown as text there
        p[col] = p[col].astype(object).where(p[col].notna(), "—").astype(str).map(html.escape)
    folium.GeoJson(
        p.to_json(),
        name="宗地 parcels",
        style_function=lambda f: {
            "fillColor": f["properties"]["fill"],
            "color": f["properties"]["fill"],
            "weight": 0.5,
            "fillOpacity": 0.85,
        },
        tooltip=folium.GeoJsonTooltip(fields=list(tooltip), aliases=list(tooltip.values()), sticky=True),
    ).add_to(m)
    add_legend(m)
    return m


def add_legend(m: folium.Map) -> None:
    legend = "".join(
        f'<div><span style="background:{c};display:inline-block;width:12px;height:12px;margin-right:4px"></span>{k}类</div>'
        for k, c in CLASS_COLORS.items()
    )
    legend += (
        f'<div><span style="background:{UNRATED_COLOR};display:inline-block;width:12px;height:12px;'
        f'margin-right:4px"></span>未参评/闲置</div>'
    )
    cast(Any, m.get_root()).html.add_child(
        Element(
            '<div style="position:absolute;bottom:24px;right:12px;z-index:1000;background:white;padding:6px 8px;'
            f'font-size:12px;border:1px solid #999">{legend}</div>'
        )
    )


def standalone_html(m: folium.Map) -> str:
    return m.get_root().render()
