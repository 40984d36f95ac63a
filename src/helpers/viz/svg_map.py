"""Small parcel maps as inline SVG (HTML5 needs no namespace, so no web address is written): an enterprise's parcels in their class colours among the parcels
around them, with a scale bar in metres. Vector, a few kilobytes each, drawn without matplotlib:
hundreds fit in one printable page of portraits (``report.portraits``).
"""

from __future__ import annotations

import html

import geopandas as gpd
import numpy as np
import shapely

from helpers.core.units import AREA_CRS

NEIGHBOUR_FILL, FOCUS_EDGE = "#e0e0e0", "#252525"
SCALE_STEPS_M = (50, 100, 200, 500, 1000, 2000, 5000)


def _metres(values: np.ndarray) -> np.ndarray:
    """Each value as ``f"{v:.0f}"`` writes it (half to even, "-0" for a small negative), as text."""
    rounded = np.rint(values)
    text = rounded.astype(np.int64).astype(str)
    return np.where((rounded == 0) & np.signbit(values), "-0", text)


def _paths(geoms, x0: float, y1: float) -> list[str]:
    """SVG path data of each (multi)polygon of ``geoms``: every ring ``M x,y x,y … Z``, metres from
    the top-left corner (y down), to the metre. The coordinates are written as text all at once
    (a dense map holds hundreds of thousands); only the joining is per ring."""
    geoms = np.asarray(geoms)
    polys, of_geom = shapely.get_parts(geoms, return_index=True)
    rings, of_poly = shapely.get_rings(polys, return_index=True)
    xy, of_ring = shapely.get_coordinates(rings, return_index=True)
    pairs = np.char.add(np.char.add(_metres(xy[:, 0] - x0), ","), _metres(y1 - xy[:, 1])).tolist()
    ring_ends = np.searchsorted(of_ring, np.arange(len(rings)), side="right")
    out = [""] * len(geoms)
    start = 0
    for r, end in enumerate(ring_ends.tolist()):
        out[of_geom[of_poly[r]]] += "M" + " ".join(pairs[start:end]) + "Z"
        start = end
    return out


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
        f'<path d="{d}" fill="{NEIGHBOUR_FILL}" stroke="#ffffff" stroke-width="{side / 400:.1f}"/>'
        for d in _paths(o.geometry.array, x0, y1)
    ]
    shapes += [
        f'<path d="{d}" fill="{html.escape(c)}" stroke="{FOCUS_EDGE}" stroke-width="{side / 250:.1f}"/>'
        for d, c in zip(_paths(f.geometry.array, x0, y1), fills)
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
