"""The portraits' parcel maps: every coordinate written as ``f"{v:.0f}"`` would write it (half to
even, "-0" for a small negative), every ring of every part, and many maps drawn at once the same as
one at a time — the page of a thousand portraits draws them in one pass."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from helpers.core.units import AREA_CRS
from helpers.viz.svg_map import _paths, parcel_svg, parcel_svgs


def written_by_format(geom, x0: float, y1: float) -> str:
    """The path of ``geom`` written the plain way, one coordinate at a time."""
    if geom is None or geom.is_empty:
        return ""
    out = []
    for poly in getattr(geom, "geoms", [geom]):
        for ring in [poly.exterior, *poly.interiors]:
            out.append("M" + " ".join(f"{x - x0:.0f},{y1 - y:.0f}" for x, y in shapely.get_coordinates(ring)) + "Z")
    return "".join(out)


def shapes(seed: int, n: int) -> list:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        x, y = rng.uniform(-3, 3, 2) * rng.choice([1, 100, 1e5])
        box = shapely.box(x, y, x + rng.uniform(0.1, 50), y + rng.uniform(0.1, 50))
        if i % 5 == 0:  # a hole
            side = min(box.bounds[2] - box.bounds[0], box.bounds[3] - box.bounds[1])
            box = box.difference(box.centroid.buffer(0.2 * side))
        if i % 7 == 0:  # two parts
            box = shapely.MultiPolygon([box, shapely.box(x + 100, y, x + 101.5, y + 0.5)])
        out.append(box)
    return out + [shapely.box(-0.5, -0.5, 0.5, 0.5), shapely.Polygon(), shapely.MultiPolygon(), None]


def test_paths_write_every_coordinate_as_format_would():
    geoms = np.array(shapes(0, 400), dtype=object)
    for x0, y1 in [(0.0, 0.0), (0.5, -0.5), (-2.5, 1.5), (123.456, -987.5)]:
        assert _paths(geoms, x0, y1) == [written_by_format(g, x0, y1) for g in geoms]


def test_one_shape_on_many_maps_is_written_for_each_maps_corner():
    """The same geometry object drawn on many maps (a parcel near several enterprises), each map with
    its own top-left corner."""
    rng = np.random.default_rng(1)
    pool = np.array(shapes(2, 60), dtype=object)
    drawn = pool[rng.integers(0, len(pool), 3000)]
    x0, y1 = rng.uniform(-500, 500, len(drawn)), rng.uniform(-500, 500, len(drawn))
    assert _paths(drawn, x0, y1) == [written_by_format(g, a, b) for g, a, b in zip(drawn, x0, y1)]
    assert _paths(np.array([], dtype=object), 0.0, 0.0) == []


def test_many_maps_at_once_equal_each_map_drawn_alone():
    rng = np.random.default_rng(3)
    centres = rng.uniform(0, 3000, (300, 2)) + [500_000, 3_360_000]
    layer = gpd.GeoDataFrame(
        {"parcel_id": [f"P{i}" for i in range(len(centres))]},
        geometry=[shapely.box(x, y, x + rng.uniform(20, 200), y + rng.uniform(20, 200)) for x, y in centres],
        crs=AREA_CRS,
    )
    picks = [rng.choice(len(layer), size=int(rng.integers(1, 4)), replace=False) for _ in range(40)]
    fills = [["#1a9850", "#d73027", "#fee08b"][: len(p)] for p in picks]
    titles = [f"宗地 {i} <b>" for i in range(len(picks))]
    together = parcel_svgs([np.asarray(layer.geometry.array)[p] for p in picks], layer, fills, titles)
    alone = [parcel_svg(layer.iloc[p], layer, f, title=t) for p, f, t in zip(picks, fills, titles)]
    assert together == alone
    assert all("&lt;b&gt;" in svg and svg.count('stroke="#252525"') == len(p) for svg, p in zip(together, picks))
    # a focus in degrees is drawn in metres all the same
    assert parcel_svg(layer.iloc[picks[0]].to_crs(4326), layer, fills[0], title=titles[0]).count("<path") == alone[0].count(
        "<path"
    )
