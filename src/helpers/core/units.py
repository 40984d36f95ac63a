"""Units and the CRS used for areas.

1 亩 = 10000/15 m² (exactly 666.666… m²). Areas are measured in EPSG:4549 (CGCS2000 3-degree
Gauss-Kruger, central meridian 120°E), whose area error over Linping is about +0.0014 %;
a geographic CRS gives no area and web Mercator overstates it by about 35 % here.
"""

from __future__ import annotations

from functools import cache

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from helpers.core.memory import collector_paused

M2_PER_MU = 10000 / 15
AREA_CRS = "EPSG:4549"
BOUNDARY_CRS = "EPSG:4490"
AREA_CHUNK = 100_000  # geometries projected at a time: the projected copies of a million parcels are not held at once


def m2_to_mu(m2):
    return m2 / M2_PER_MU


SHOELACE_MAX_TERMS = 256  # longer rings are measured by GEOS: the vectorised sum loops once per vertex


def _ring_areas_m2(x: np.ndarray, y: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The area of each closed ring of ``counts[i]`` vertices (the vertices of all rings one after
    another in ``x``, ``y``), added up in the order GEOS adds it (``Area::ofRingSigned``: the sum over
    vertices 1…n-2 of (xᵢ − x₀)(yᵢ₋₁ − yᵢ₊₁), halved, then its absolute value), so that each area is
    the one ``shapely.area`` gives to the last bit. Vectorised across rings, one vertex at a time."""
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    terms = counts.astype(np.int64) - 2
    order = np.argsort(-terms, kind="stable")  # longest first: the rings still adding are a prefix
    terms, starts = terms[order], starts[order]
    x0 = x[starts]
    total = np.zeros(len(counts))
    for j in range(int(terms.max(initial=0))):
        k = int(np.searchsorted(-terms, -j, side="left"))  # rings with more than j terms
        i = starts[:k] + 1 + j
        total[:k] += (x[i] - x0[:k]) * (y[i - 1] - y[i + 1])
    out = np.empty(len(counts))
    out[order] = np.abs(total / 2.0)
    return out


def _area_m2(geoms: gpd.GeoSeries) -> np.ndarray:
    """``geoms.to_crs(AREA_CRS).area`` as numbers. Polygons without holes (2-D, up to
    ``SHOELACE_MAX_TERMS`` vertices: every parcel of a cadastre, as a rule) are not projected as
    geometries: their vertices are, by the same PROJ transformation geopandas uses, and each ring's
    area is added up as GEOS adds it (``_ring_areas_m2``), the same figure to the last bit without a
    projected copy of each geometry; the others are projected and measured by geopandas."""
    values = geoms.array
    data = np.asarray(values)
    n_coords = shapely.get_num_coordinates(data)
    simple = (
        (shapely.get_type_id(data) == 3)  # Polygon
        & (shapely.get_num_interior_rings(data) == 0)
        & ~shapely.has_z(data)
        & (n_coords >= 4)
        & (n_coords - 2 <= SHOELACE_MAX_TERMS)
    )
    out = np.empty(len(data))
    if (~simple).any():
        out[~simple] = geoms[~simple].to_crs(AREA_CRS).area.to_numpy()
    if simple.any():
        xy = shapely.get_coordinates(data[simple])
        x, y = np.ascontiguousarray(xy[:, 0]), np.ascontiguousarray(xy[:, 1])
        del xy
        if not pyproj.CRS.from_user_input(geoms.crs).is_exact_same(pyproj.CRS.from_user_input(AREA_CRS)):
            x, y = _to_area_crs(geoms.crs).transform(x, y, inplace=True)
        out[simple] = _ring_areas_m2(x, y, n_coords[simple])
    return out


@cache
def _to_area_crs(crs) -> pyproj.Transformer:
    """The transformation ``GeoSeries.to_crs(AREA_CRS)`` makes (x, y in the CRS's own axis order)."""
    return pyproj.Transformer.from_crs(crs, AREA_CRS, always_xy=True)


@collector_paused()  # a projected copy of the geometries that are not simple polygons (helpers.core.memory)
def area_mu(gdf: gpd.GeoDataFrame | gpd.GeoSeries) -> pd.Series:
    """Area of each geometry in 亩, measured in EPSG:4549 whatever the input CRS (``AREA_CHUNK``
    geometries at a time: the arrays and copies stay small; ``_area_m2``)."""
    if gdf.crs is None:
        raise ValueError("area_mu: the geometries have no CRS, so their area cannot be measured")
    geoms = gdf.geometry if isinstance(gdf, gpd.GeoDataFrame) else gdf
    m2 = np.concatenate([_area_m2(geoms.iloc[i : i + AREA_CHUNK]) for i in range(0, len(geoms), AREA_CHUNK)] or [np.empty(0)])
    return m2_to_mu(pd.Series(m2, index=geoms.index))
