"""Small parcel maps as inline SVG (HTML5 needs no namespace, so no web address is written): an enterprise's parcels in their class colours among the parcels
around them, with a scale bar in metres. Vector, a few kilobytes each, drawn without matplotlib:
hundreds fit in one printable page of portraits (``report.portraits``).
"""

from __future__ import annotations

import html
import warnings

import geopandas as gpd
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from helpers.core.units import AREA_CRS
from helpers.viz.rings import polygon_rings

NEIGHBOUR_FILL, FOCUS_EDGE = "#e0e0e0", "#252525"
SCALE_STEPS_M = (50, 100, 200, 500, 1000, 2000, 5000)
SCALE_STRIP = 0.1  # height of the strip under the map holding the scale bar, as a share of the map's side
NEIGHBOURHOOD_M = 300.0  # other parcels drawn within this distance of the focus (metres; 100,000 parcels: 1 portrait drew 32,855)
_NONE = pa.scalar("", pa.large_string())


def _metres(values: np.ndarray) -> pa.Array:
    """Each value as ``f"{v:.0f}"`` writes it (half to even, "-0" for a small negative), as text."""
    rounded = np.rint(values)
    text = pc.cast(pa.array(rounded.astype(np.int64)), pa.large_string())
    return pc.if_else(pa.array((rounded == 0) & np.signbit(values)), pa.scalar("-0", pa.large_string()), text)


def _joined(offsets: np.ndarray, items: pa.Array, separator: str) -> pa.Array:
    """The ``items`` between consecutive ``offsets`` joined with ``separator``, one text per span."""
    return pc.binary_join(
        pa.LargeListArray.from_arrays(pa.array(offsets, pa.int64()), items), pa.scalar(separator, pa.large_string())
    )


def _spans(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """``concatenate([arange(s, s + n) for s, n in zip(starts, lengths)])`` without the loop."""
    ends = np.cumsum(lengths)
    return np.repeat(starts - (ends - lengths), lengths) + np.arange(ends[-1] if len(ends) else 0)


def _paths(geoms, x0, y1) -> list[str]:
    """SVG path data of each polygon or multipolygon of ``geoms`` (a missing one draws nothing):
    every ring ``M x,y x,y … Z``, metres from the top-left corner ``x0``, ``y1`` (a number, or one
    per geometry: many maps at once), y down, to the metre. Written by Arrow from the rings'
    coordinate arrays (``viz.rings``), all maps at once (a page of portraits holds millions of
    coordinates): the numbers as text, joined into rings, the rings into each geometry's path."""
    geoms = np.asarray(geoms, dtype=object)
    if not len(geoms):
        return []
    # a parcel drawn on many maps is the same object each time: its coordinates are read once
    identity = np.fromiter(map(id, geoms), dtype=np.int64, count=len(geoms))
    _, first, which = np.unique(identity, return_index=True, return_inverse=True)
    xy, ring_starts, rings_of = polygon_rings(geoms[first])
    ring_count = np.diff(rings_of)[which]  # for each geometry drawn, from its unique one
    ring_ids = _spans(rings_of[:-1][which], ring_count)
    ring_length = np.diff(ring_starts)[ring_ids]
    xy = xy[_spans(ring_starts[:-1][ring_ids], ring_length)]
    ring_starts = np.concatenate([[0], np.cumsum(ring_length)])
    rings_of = np.concatenate([[0], np.cumsum(ring_count)])
    owner = np.repeat(np.arange(len(geoms)), np.diff(ring_starts[rings_of]))
    left = np.broadcast_to(np.asarray(x0, dtype=float), len(geoms))[owner]
    top = np.broadcast_to(np.asarray(y1, dtype=float), len(geoms))[owner]
    pairs = pc.binary_join_element_wise(_metres(xy[:, 0] - left), _metres(top - xy[:, 1]), pa.scalar(",", pa.large_string()))
    rings = _joined(ring_starts, pairs, " ")
    rings = pc.binary_join_element_wise(pa.scalar("M", pa.large_string()), rings, pa.scalar("Z", pa.large_string()), _NONE)
    return _joined(rings_of, rings, "").to_pylist()


def _bounds(geoms: np.ndarray) -> tuple[float, float, float, float]:
    """minx, miny, maxx, maxy of ``geoms`` as ``GeoSeries.total_bounds`` gives them."""
    b = shapely.bounds(geoms)
    with warnings.catch_warnings():  # no outline at all: NaN, as geopandas gives
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(np.nanmin(b[:, 0])), float(np.nanmin(b[:, 1])), float(np.nanmax(b[:, 2])), float(np.nanmax(b[:, 3]))


def parcel_svgs(
    focuses: list[np.ndarray],
    others: gpd.GeoDataFrame,
    fills: list[list[str]],
    titles: list[str],
    width_px: int = 320,
    margin_m: float = 150.0,
    context_m: float = NEIGHBOURHOOD_M,
) -> list[str]:
    """One SVG per map: the parcels of ``focuses[i]`` (shapely geometries in EPSG:4549, filled with
    ``fills[i]``, one colour each, dark edge) and the ``others`` in its frame within ``context_m``
    metres of a focus parcel (light grey), framed on the focus with ``margin_m`` around it; a scale
    bar in metres; ``titles[i]`` as its tooltip. ``others`` may be in any CRS (give it in
    EPSG:4549: its spatial index is built once). The maps' coordinates are written as text in one
    pass (a page of a thousand portraits)."""
    o = others if others.crs == AREA_CRS else others.to_crs(AREA_CRS)
    shapes_of = np.asarray(o.geometry.array)
    frames: list[tuple[float, int, int]] = []
    geoms: list[np.ndarray] = [np.array([], dtype=object)]
    lefts: list[np.ndarray] = [np.array([], dtype=float)]
    tops: list[np.ndarray] = [np.array([], dtype=float)]
    for focus in focuses:
        minx, miny, maxx, maxy = _bounds(focus)
        side = max(maxx - minx, maxy - miny) + 2 * margin_m
        cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
        x0, y0, x1, y1 = cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2
        near = o.sindex.query(shapely.box(x0, y0, x1, y1), predicate="intersects") if len(o) else np.arange(0)
        if len(near):  # an enterprise with parcels kilometres apart: their neighbourhoods, not the whole frame
            close = o.sindex.query(focus, predicate="dwithin", distance=context_m)[1]
            near = near[np.isin(near, close)]
        frames.append((side, len(near), len(focus)))
        for part in (shapes_of[near], focus):
            geoms.append(part)
            lefts.append(np.full(len(part), x0))
            tops.append(np.full(len(part), y1))
    paths = _paths(np.concatenate(geoms), np.concatenate(lefts), np.concatenate(tops))
    out, at = [], 0
    for (side, n_near, n_focus), colours, title in zip(frames, fills, titles, strict=True):
        near_paths, focus_paths = paths[at : at + n_near], paths[at + n_near : at + n_near + n_focus]
        at += n_near + n_focus
        shapes = [f'<path d="{d}" fill="{NEIGHBOUR_FILL}" stroke="#ffffff" stroke-width="{side / 400:.1f}"/>' for d in near_paths]
        shapes += [
            f'<path d="{d}" fill="{html.escape(c)}" stroke="{FOCUS_EDGE}" stroke-width="{side / 250:.1f}"/>'
            for d, c in zip(focus_paths, colours)
        ]
        bar = next((s for s in SCALE_STEPS_M if s >= side / 5), SCALE_STEPS_M[-1])
        label = f"{bar / 1000:g} km" if bar >= 1000 else f"{bar} m"
        strip = side * SCALE_STRIP  # the scale bar sits below the map, where it hides no parcel
        scale = (
            f'<rect x="0" y="{side:.0f}" width="{side:.0f}" height="{strip:.0f}" fill="#ffffff"/>'
            f'<rect x="{side * 0.04:.0f}" y="{side + strip * 0.4:.0f}" width="{bar}" height="{side / 60:.0f}" fill="#252525"/>'
            f'<text x="{side * 0.06 + bar:.0f}" y="{side + strip * 0.72:.0f}" font-size="{side / 22:.0f}" fill="#252525">{label}</text>'
        )
        caption = f"<title>{html.escape(title)}</title>" if title else ""
        out.append(
            f'<svg viewBox="0 0 {side:.0f} {side + strip:.0f}" width="{width_px}" height="{width_px * (1 + SCALE_STRIP):.0f}" '
            f'role="img" style="background:#fafafa;border:1px solid #ccc">{caption}{"".join(shapes)}{scale}</svg>'
        )
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
    ``others`` that fall in the frame (light grey): ``parcel_svgs`` for one map. Both frames may be
    in any CRS: they are drawn in EPSG:4549 metres."""
    f = focus if focus.crs == AREA_CRS else focus.to_crs(AREA_CRS)
    return parcel_svgs([np.asarray(f.geometry.array)], others, [fills], [title], width_px, margin_m)[0]


__all__ = ["parcel_svg", "parcel_svgs"]
