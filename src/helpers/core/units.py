"""Units and the CRS used for areas.

1 亩 = 10000/15 m² (exactly 666.666… m²). Areas are measured in EPSG:4549 (CGCS2000 3-degree
Gauss-Kruger, central meridian 120°E), whose area error over Linping is about +0.0014 %;
a geographic CRS gives no area and web Mercator overstates it by about 35 % here.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from helpers.core.memory import collector_paused

M2_PER_MU = 10000 / 15
AREA_CRS = "EPSG:4549"
BOUNDARY_CRS = "EPSG:4490"
AREA_CHUNK = 100_000  # geometries projected at a time: the projected copies of a million parcels are not held at once


def m2_to_mu(m2):
    return m2 / M2_PER_MU


@collector_paused()  # a projected copy of every geometry (helpers.core.memory)
def area_mu(gdf: gpd.GeoDataFrame | gpd.GeoSeries) -> pd.Series:
    """Area of each geometry in 亩, measured in EPSG:4549 whatever the input CRS (projected
    ``AREA_CHUNK`` geometries at a time: each area is its own geometry's, the copies stay small)."""
    if gdf.crs is None:
        raise ValueError("area_mu: the geometries have no CRS, so their area cannot be measured")
    geoms = gdf.geometry if isinstance(gdf, gpd.GeoDataFrame) else gdf
    if len(geoms) <= AREA_CHUNK:
        return m2_to_mu(geoms.to_crs(AREA_CRS).area)
    parts = [geoms.iloc[i : i + AREA_CHUNK].to_crs(AREA_CRS).area for i in range(0, len(geoms), AREA_CHUNK)]
    return m2_to_mu(pd.concat(parts))
