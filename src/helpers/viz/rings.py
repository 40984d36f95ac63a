"""Polygon outlines as flat arrays: every ring's coordinates in one array, where each ring and each
geometry starts. The static maps draw a large layer as one compound path from them
(``viz.maps.polygons_path``) and the portraits write their SVG paths from them (``viz.svg_map``):
shapely's ragged arrays, not a Python object per part or ring.
"""

from __future__ import annotations

import numpy as np
import shapely


def polygon_rings(geoms) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For the polygons and multipolygons of ``geoms`` (a missing one has no ring): the (x, y) of
    every ring, exterior then holes, part after part; ``ring_starts`` (each ring's first coordinate,
    then the total: ring i is ``xy[ring_starts[i]:ring_starts[i + 1]]``); ``geometry_rings`` (each
    geometry's first ring, then the total)."""
    geoms = np.asarray(geoms, dtype=object)
    if not len(geoms):
        return np.empty((0, 2)), np.zeros(1, dtype=np.int64), np.zeros(1, dtype=np.int64)
    kind, xy, offsets = shapely.to_ragged_array(np.where(shapely.is_missing(geoms), shapely.Polygon(), geoms))
    ring_starts = np.asarray(offsets[0], dtype=np.int64)
    geometry_rings = np.asarray(offsets[1] if kind == shapely.GeometryType.POLYGON else offsets[1][offsets[2]], dtype=np.int64)
    return xy, ring_starts, geometry_rings


__all__ = ["polygon_rings"]
