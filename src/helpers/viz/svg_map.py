"""Small parcel maps as inline SVG (HTML5 needs no namespace, so no web address is written): an enterprise's parcels in their class colours among the parcels
around them, with a scale bar in metres. Vector, a few kilobytes each, drawn without matplotlib:
hundreds fit in one printable page of portraits (``report.portraits``).
"""

from __future__ import annotations

import html

import geopandas as gpd
import shapely

from helpers.core.units import AREA_CRS

NEIGHBOUR_FILL, FOCUS_EDGE = "#e0e0e0", "#252525"
SCALE_STEPS_M = (50, 100, 200, 500, 1000, 2000, 5000)


def _path(geom, x0: float, y1: float) -> str:
    """SVG path data of a (multi)polygon, metres from the top-left corner (y down), to the metre."""
    parts = []
    for poly in getattr(geom, "geoms", [geom]):
        for ring in [poly.exterior, *poly.interiors]:
            xy = shapely.get_coordinates(ring)
            pts = " ".join(f"{x - x0:.0f},{y1 - y:.0f}" for x, y in xy)
            parts.append(f"M{pts}Z")
    return "".join(parts)


def parcel_svg(
    focus: gpd.GeoDataFrame,
    others: gpd.GeoDataFrame,
    fills: list[str],
    width_px: int = 320,
    margin_m: float = 150.0,
    title: str = "",
) -> str:
    """An SVG of the ``focus`` parcels (filled with ``fills``, one colour each, dark edge) and the
    ``others`` that fall in the frame (light grey), framed on the focus with ``margin_m`` around it;
    a scale bar in metres. Both frames may be in any CRS: they are drawn in EPSG:4549 metres (give
    ``others`` in EPSG:4549 when drawing many maps, so that its spatial index is built once)."""
    f = focus if focus.crs == AREA_CRS else focus.to_crs(AREA_CRS)
    minx, miny, maxx, maxy = f.total_bounds
    side = max(maxx - minx, maxy - miny) + 2 * margin_m
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    x0, y0, x1, y1 = cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2
    o = others if others.crs == AREA_CRS else others.to_crs(AREA_CRS)  # in metres already: its spatial index is kept
    o = o.iloc[o.sindex.query(shapely.box(x0, y0, x1, y1), predicate="intersects")] if len(o) else o
    shapes = [
        f'<path d="{_path(g, x0, y1)}" fill="{NEIGHBOUR_FILL}" stroke="#ffffff" stroke-width="{side / 400:.1f}"/>'
        for g in o.geometry
    ]
    shapes += [
        f'<path d="{_path(g, x0, y1)}" fill="{html.escape(c)}" stroke="{FOCUS_EDGE}" stroke-width="{side / 250:.1f}"/>'
        for g, c in zip(f.geometry, fills)
    ]
    bar = next((s for s in SCALE_STEPS_M if s >= side / 5), SCALE_STEPS_M[-1])
    h = side / 60
    label = f"{bar / 1000:g} km" if bar >= 1000 else f"{bar} m"
    scale = (
        f'<rect x="{side * 0.04:.0f}" y="{side * 0.92:.0f}" width="{bar}" height="{h:.0f}" fill="#252525"/>'
        f'<text x="{side * 0.04:.0f}" y="{side * 0.9:.0f}" font-size="{side / 22:.0f}" fill="#252525">{label}</text>'
    )
    caption = f"<title>{html.escape(title)}</title>" if title else ""
    return (
        f'<svg viewBox="0 0 {side:.0f} {side:.0f}" width="{width_px}" height="{width_px}" '
        f'role="img" style="background:#fafafa;border:1px solid #ccc">{caption}{"".join(shapes)}{scale}</svg>'
    )


__all__ = ["parcel_svg"]
