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


def lattice(n_side: int, step: float = 50.0) -> gpd.GeoDataFrame:
    """A dense estate: n_side × n_side parcels of 40 m on a ``step`` grid (EPSG:4549)."""
    x, y = np.meshgrid(np.arange(n_side) * step + 500_000, np.arange(n_side) * step + 3_360_000)
    return gpd.GeoDataFrame(geometry=shapely.box(x.ravel(), y.ravel(), x.ravel() + 40, y.ravel() + 40), crs=AREA_CRS)


def test_parcels_far_apart_draw_their_neighbourhoods_not_the_frame():
    """An enterprise with two parcels 4.5 km apart in a dense estate: its map frames both, but draws
    only the parcels within 300 m of one of them (the frame holds some 8,000; a 100,000-parcel
    district had one portrait of 32,855 paths), and a compact enterprise's map is unchanged."""
    from helpers.viz.svg_map import NEIGHBOURHOOD_M

    layer = lattice(91)  # 4.5 km across
    shapes_ = np.asarray(layer.geometry.array)
    spread = shapes_[[0, len(layer) - 1]]  # opposite corners
    svg = parcel_svg(layer.iloc[[0, len(layer) - 1]], layer, ["#d73027", "#d73027"])
    near = layer.sindex.query(spread, predicate="dwithin", distance=NEIGHBOURHOOD_M)[1]
    assert svg.count("<path") == len(np.unique(near)) + 2 < 0.05 * len(layer)
    # one parcel: everything in its 150-m-margin frame lies within 300 m of it
    one = parcel_svg(layer.iloc[[len(layer) // 2]], layer, ["#d73027"])
    x0, y0, x1, y1 = shapes_[len(layer) // 2].bounds
    framed = layer.sindex.query(shapely.box(x0 - 150, y0 - 150, x1 + 150, y1 + 150), predicate="intersects")
    assert one.count("<path") == len(framed) + 1


def test_the_scale_bar_sits_below_the_map():
    """A parcel in the frame's bottom-left corner is not hidden by the scale bar: the bar and its
    label lie in a strip under the map's square."""
    import re

    layer = lattice(3)
    svg = parcel_svg(layer.iloc[[0, 8]], layer, ["#d73027", "#d73027"])
    _, _, width, height = map(float, re.search(r'viewBox="([^"]+)"', svg).group(1).split())
    bar_y = float(re.search(r'<rect x="[^"]+" y="([^"]+)" width="\d+" height="[^"]+" fill="#252525"', svg).group(1))
    label_y = float(re.search(r'<text x="[^"]+" y="([^"]+)"', svg).group(1))
    assert height > width and bar_y >= width and label_y > width
