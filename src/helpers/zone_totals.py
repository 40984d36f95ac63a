"""Which zone (街道) each parcel lies in, by a spatial join, and evaluation totals per zone.

A parcel belongs to the zone that contains its centroid, or, where the centroid falls outside
the parcel (an L-shaped lot), a point on its surface. Parcels in
no zone keep ``zone_code`` missing and are counted under "(none)" in the totals, never dropped.

``zone_totals`` sums link rows (one enterprise on one parcel), so partial totals of any split of
the rows add up to the totals of all: the dask engine sums the totals of its partitions.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .evaluation import allocate_tax, enterprise_rows
from .loaders import Dataset, used_land

NO_ZONE = "(none)"
THREADS = 2
PARALLEL_ABOVE = 50_000      # parcels; below this one thread is quicker than two
TOTAL_COLUMNS = ["used_mu", "tax_10k_yuan", "n_links"]


def _zone_index(geoms: np.ndarray, outlines_wkb: list[bytes]) -> np.ndarray:
    """Index of the zone containing each geometry's centroid (a point on its surface where the
    centroid misses it); -1 in none. Zones come as WKB so each thread prepares its own copies."""
    centres = shapely.centroid(geoms)
    x, y = shapely.get_x(centres), shapely.get_y(centres)
    outside = ~shapely.contains_xy(geoms, x, y)
    if outside.any():
        inner = shapely.point_on_surface(geoms[outside])
        x[outside], y[outside] = shapely.get_x(inner), shapely.get_y(inner)
    found = np.full(len(geoms), -1, dtype=np.int64)
    for k, outline in enumerate(shapely.from_wkb(outlines_wkb)):
        shapely.prepare(outline)
        found[(found < 0) & shapely.contains_xy(outline, x, y)] = k
    return found


def parcel_zones(parcels: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, code: str = "street_code") -> pd.Series:
    """The ``code`` of the zone containing each parcel's centroid (a point on its surface where the
    centroid is outside it), indexed as ``parcels``. Large layers are split over two threads
    (shapely releases the GIL)."""
    geoms = (parcels.geometry if parcels.crs == zones.crs else parcels.geometry.to_crs(zones.crs)).array
    outlines = list(shapely.to_wkb(zones.geometry.array))
    chunks = np.array_split(np.asarray(geoms), THREADS if len(geoms) > PARALLEL_ABOVE else 1)
    with ThreadPoolExecutor(len(chunks)) as pool:
        found = np.concatenate(list(pool.map(lambda part: _zone_index(part, outlines), chunks)))
    codes = pd.array([*zones[code].astype(str), pd.NA], dtype="string")
    return pd.Series(codes[found], index=parcels.index, name="zone_code")


def zone_totals(users: pd.DataFrame) -> pd.DataFrame:
    """Per zone and class: land used (亩), tax allocated (万元) and link rows of evaluated
    enterprises. ``users``: rows of ``evaluation.allocate_tax`` with ``zone_code``."""
    ev = users[users["status"] == "evaluated"]
    keys = [ev["zone_code"].fillna(NO_ZONE).astype(str).rename("zone_code"), ev["class"].astype(str).rename("class")]
    grouped = pd.DataFrame({"used_mu": ev["used_mu"], "tax_10k_yuan": ev["tax_alloc"],
                            "n_links": np.ones(len(ev), dtype="int64")}).groupby(keys, sort=True)
    return grouped.sum()[TOTAL_COLUMNS]


def dataset_zone_totals(dataset: Dataset, frame: pd.DataFrame, zone: pd.Series | None = None) -> pd.DataFrame:
    """``zone_totals`` of an evaluated ``dataset`` (``frame``: ``evaluate_frame``'s enterprises);
    ``zone``: each parcel's zone (``parcel_zones``), joined here when not given."""
    zone = parcel_zones(dataset.parcels, dataset.zones) if zone is None else zone
    return zone_totals(allocate_tax(used_land(dataset, {"zone_code": zone}), frame, enterprise_rows(dataset, frame)))


def combine_totals(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Totals of several splits of the rows added up (the partitions of the dask engine)."""
    if not parts:
        return pd.DataFrame(columns=TOTAL_COLUMNS)
    return pd.concat(parts).groupby(level=["zone_code", "class"], sort=True).sum()[TOTAL_COLUMNS]


def zone_table(totals: pd.DataFrame) -> pd.DataFrame:
    """Totals per zone with 亩均税收 and each class's share of the land used (for charts and tables)."""
    wide = totals["used_mu"].unstack("class", fill_value=0.0)
    out = totals.groupby(level="zone_code")[["used_mu", "tax_10k_yuan", "n_links"]].sum()
    out["tax_per_mu"] = out["tax_10k_yuan"] / out["used_mu"]
    for cls in wide.columns:
        out[f"share_mu_{cls}"] = wide[cls] / out["used_mu"]
    return out.reset_index()


__all__ = ["parcel_zones", "zone_totals", "dataset_zone_totals", "combine_totals", "zone_table", "NO_ZONE"]
