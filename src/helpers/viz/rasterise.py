"""Parcels as a class raster, for maps with more parcels than can be drawn one by one.

Above a feature count, static and interactive maps draw a grid instead of polygons: each cell
shows the class holding the most parcel area among the parcels whose centroid falls in it
(cells with no parcel are transparent). The map says so, with the cell size.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib.colors import to_rgba

from helpers.viz.style import CLASS_COLORS, UNRATED_COLOR

RASTER_ABOVE = 50_000  # static maps: polygons up to this many parcels, a raster above
MAX_CELLS = 1000  # cells along the longer side of the grid
CATEGORIES = [*CLASS_COLORS, None]  # A, B, C, D, then not rated / idle


@dataclass
class ClassGrid:
    codes: np.ndarray  # (rows, cols) int8: index into CATEGORIES, -1 where no parcel; row 0 = north
    extent: tuple[float, float, float, float]  # minx, maxx, miny, maxy in ``crs``
    cell: float  # cell size in the units of ``crs``
    crs: object
    n_parcels: int

    def rgba(self) -> np.ndarray:
        """(rows, cols, 4) uint8 image in the classes' colours, transparent where empty."""
        colours = np.array([to_rgba(CLASS_COLORS[c]) if c else to_rgba(UNRATED_COLOR) for c in CATEGORIES])
        img = np.zeros((*self.codes.shape, 4), dtype=np.uint8)
        filled = self.codes >= 0
        img[filled] = (colours[self.codes[filled]] * 255).round().astype(np.uint8)
        return img

    def caption(self) -> str:
        unit = "m" if getattr(self.crs, "is_projected", True) else "°"
        return (
            f"{self.n_parcels:,} 宗地按 {self.cell:,.0f} {unit} 栅格汇总显示，每格为宗地面积最多的类别 / "
            f"{self.n_parcels:,} parcels drawn as a {self.cell:,.0f} {unit} grid: each cell shows the class "
            "with the most parcel area"
        )


def class_grid(parcels: gpd.GeoDataFrame, crs, class_column: str = "class", max_cells: int = MAX_CELLS) -> ClassGrid:
    """The class raster of ``parcels`` in ``crs`` (projected), ``max_cells`` along the longer side."""
    g = parcels.geometry.to_crs(crs).array
    centre = shapely.centroid(g)
    x, y = shapely.get_x(centre), shapely.get_y(centre)
    area = shapely.area(g)
    minx, miny, maxx, maxy = shapely.total_bounds(g)
    cell = max(maxx - minx, maxy - miny) / max_cells or 1.0
    cols, rows = int(np.ceil((maxx - minx) / cell)) or 1, int(np.ceil((maxy - miny) / cell)) or 1
    col = np.clip(((x - minx) / cell).astype(np.int64), 0, cols - 1)
    row = np.clip(((maxy - y) / cell).astype(np.int64), 0, rows - 1)
    cls = pd.Series(parcels[class_column]).astype("string").to_numpy(na_value=None)
    cat = np.full(len(cls), len(CATEGORIES) - 1, dtype=np.int64)
    for i, name in enumerate(CATEGORIES[:-1]):
        cat[cls == name] = i
    flat = (row * cols + col) * len(CATEGORIES) + cat
    per_class = np.bincount(flat, weights=area, minlength=rows * cols * len(CATEGORIES))
    per_class = per_class.reshape(rows, cols, len(CATEGORIES))
    codes = per_class.argmax(axis=2).astype(np.int8)
    codes[per_class.sum(axis=2) <= 0] = -1
    return ClassGrid(codes, (minx, minx + cols * cell, maxy - rows * cell, maxy), cell, gpd.GeoSeries(crs=crs).crs, len(parcels))


__all__ = ["ClassGrid", "class_grid", "RASTER_ABOVE", "MAX_CELLS"]
