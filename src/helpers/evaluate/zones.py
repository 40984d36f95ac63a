"""Which 街道 each parcel belongs to, and evaluation totals per 街道 (zone) and class.

A parcel's 街道 is its own 镇街 code where the parcel layer carries one (``parcel_streets``: the
project's one answer to "per 街道" for land, see ``helpers.evaluate.scope``); only a parcel without
one is placed by a spatial join (``parcel_zones``): the zone that contains its centroid, or, where
the centroid falls outside the parcel (an L-shaped lot), a point on its surface. Parcels in no
zone keep ``zone_code`` missing and are counted under "(none)" in the totals, never dropped.

``zone_totals`` sums link rows (one enterprise on one parcel), so partial totals of any split of
the rows add up to the totals of all: the dask engine sums the totals of its partitions.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from helpers.core.geography import label_points
from helpers.core.keys import positions
from helpers.evaluate.indicators import ratio
from helpers.evaluate.land import link_used_mu
from helpers.evaluate.parcels import enterprise_rows
from helpers.io.dataset import Dataset
from helpers.io.positions import placed_by_point

NO_ZONE = "(none)"
THREADS = 2
PARALLEL_ABOVE = 50_000  # parcels; below this one thread is quicker than two
TOTAL_COLUMNS = ["used_mu", "tax_10k_yuan", "n_links"]


def _zone_of_points(x: np.ndarray, y: np.ndarray, outlines_wkb: list[bytes]) -> np.ndarray:
    """Index of the zone containing each point; -1 in none. Zones come as WKB so each thread
    prepares its own copies."""
    found = np.full(len(x), -1, dtype=np.int64)
    for k, outline in enumerate(shapely.from_wkb(outlines_wkb)):
        shapely.prepare(outline)
        found[(found < 0) & shapely.contains_xy(outline, x, y)] = k
    return found


def parcel_zones(
    parcels: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    code: str = "street_code",
    points: tuple[np.ndarray, np.ndarray] | None = None,
) -> pd.Series:
    """The ``code`` of the zone containing each parcel's label point (``geo.label_points``: the
    centroid, or a point on the surface where the centroid is outside the parcel), indexed as
    ``parcels``. ``points``: those label points when already known (``Dataset.parcel_points``), used
    where the parcels and the zones share a CRS. Large layers are split over two threads (shapely
    releases the GIL)."""
    if points is None and parcels.geometry.isna().all() and len(parcels):
        raise ValueError("the parcels were read without their outlines and without label points: read them with outlines")
    outlines = list(shapely.to_wkb(zones.geometry.array))
    parts = THREADS if len(parcels) > PARALLEL_ABOVE else 1
    if points is not None and parcels.crs == zones.crs:
        chunks: list = list(zip(np.array_split(points[0], parts), np.array_split(points[1], parts)))

        def job(xy):
            return _zone_of_points(xy[0], xy[1], outlines)
    else:
        geoms = (parcels.geometry if parcels.crs == zones.crs else parcels.geometry.to_crs(zones.crs)).array
        chunks = np.array_split(np.asarray(geoms), parts)

        def job(part):
            return _zone_of_points(*label_points(part), outlines)

    with ThreadPoolExecutor(parts) as pool:
        found = np.concatenate(list(pool.map(job, chunks)))
    codes = pd.array([*zones[code].astype(str), pd.NA], dtype="string")
    return pd.Series(codes[found], index=parcels.index, name="zone_code")


def parcel_streets(
    parcels: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    code: str = "street_code",
    points: tuple[np.ndarray, np.ndarray] | None = None,
) -> pd.Series:
    """Each parcel's 街道 as ``zone_code``: the parcel's own ``code`` where it has one, else the zone
    its label point lies in (``parcel_zones``, on those parcels only)."""
    own = parcels[code].astype("string") if code in parcels else pd.Series(pd.NA, index=parcels.index, dtype="string")
    missing = placed_by_point(parcels, code)
    if missing.any():
        at = None if points is None else (points[0][missing], points[1][missing])
        own = own.copy()
        own[missing] = parcel_zones(parcels[missing], zones, code, at).to_numpy()
    return own.rename("zone_code")


def dataset_parcel_zones(dataset: Dataset) -> pd.Series:
    """``parcel_streets`` of a dataset's parcels and zones, with the label points the folder check found."""
    assert dataset.zones is not None, "a loaded dataset has its 街道 zones"
    return parcel_streets(dataset.parcels, dataset.zones, points=dataset.parcel_points())


def zone_totals(users: pd.DataFrame) -> pd.DataFrame:
    """Per zone and class: land used (亩), tax allocated (万元) and link rows of evaluated
    enterprises. ``users``: rows of ``parcels.allocate_tax`` with ``zone_code`` (a whole link
    table, or one partition of it on the dask engine)."""
    evaluated = (users["status"] == "evaluated").to_numpy(dtype=bool, na_value=False)
    zone_code, zone_labels = pd.factorize(users["zone_code"].fillna(NO_ZONE).astype(str), sort=True)
    class_code, class_labels = pd.factorize(users["class"].astype(str), sort=True)
    return _totals(
        zone_code,
        list(zone_labels),
        class_code,
        class_labels,
        users["used_mu"].to_numpy(dtype=float, na_value=np.nan),
        users["tax_alloc"].to_numpy(dtype=float, na_value=np.nan),
        evaluated,
    )


def dataset_zone_totals(dataset: Dataset, frame: pd.DataFrame, zone: pd.Series | None = None) -> pd.DataFrame:
    """``zone_totals`` of an evaluated ``dataset`` (``frame``: ``evaluate_frame``'s enterprises);
    ``zone``: each parcel's zone (``parcel_zones``), joined here when not given.

    The same sums as ``zone_totals(allocate_tax(used_land(...)))``, found on row positions and
    integer codes instead of a link table with text columns: at a million parcels that table is
    most of the work."""
    zone = dataset_parcel_zones(dataset) if zone is None else zone.reindex(dataset.parcels.index)
    parcel_row = dataset.link_rows()[0]
    frame_row = enterprise_rows(dataset, frame)
    if frame_row is None:
        frame_row = positions(dataset.links["credit_code"], frame["credit_code"])
    has_parcel, has_frame = parcel_row >= 0, frame_row >= 0
    p_row, f_row = np.where(has_parcel, parcel_row, 0), np.where(has_frame, frame_row, 0)

    evaluated = has_frame & (frame["status"] == "evaluated").to_numpy(dtype=bool, na_value=False)[f_row]
    zone_code, zone_labels = pd.factorize(zone.fillna(NO_ZONE).astype(str), sort=True)
    class_code, class_labels = pd.factorize(frame["class"].astype(str), sort=True)
    labels = list(zone_labels)
    if NO_ZONE not in labels:
        labels.append(NO_ZONE)
    link_zone = np.where(has_parcel, zone_code[p_row], labels.index(NO_ZONE))  # a link to no parcel: in no zone

    used = link_used_mu(dataset)
    tax = frame["tax_10k_yuan"].to_numpy(dtype=float, na_value=np.nan)[f_row]
    land = frame["land_mu"].to_numpy(dtype=float, na_value=np.nan)[f_row]
    with np.errstate(divide="ignore", invalid="ignore"):
        tax_alloc = tax * used / land
    return _totals(link_zone, labels, class_code[f_row], class_labels, used, tax_alloc, evaluated)


def _totals(
    zone_code: np.ndarray,
    zone_labels: list,
    class_code: np.ndarray,
    class_labels: pd.Index,
    used: np.ndarray,
    tax_alloc: np.ndarray,
    evaluated: np.ndarray,
) -> pd.DataFrame:
    """The one implementation of the zone totals: per link row its zone and class codes, area used
    and tax allocated; sums over the evaluated rows by ``np.bincount`` on zone × class cells."""
    n_class = len(class_labels)
    cell = (zone_code * n_class + class_code)[evaluated]
    size = len(zone_labels) * n_class
    sums = {
        "used_mu": np.bincount(cell, weights=np.nan_to_num(used[evaluated]), minlength=size),
        "tax_10k_yuan": np.bincount(cell, weights=np.nan_to_num(tax_alloc[evaluated]), minlength=size),
        "n_links": np.bincount(cell, minlength=size).astype("int64"),
    }
    present = np.flatnonzero(sums["n_links"])
    index = pd.MultiIndex.from_arrays(
        [
            pd.Index(np.array(zone_labels, dtype=object)[present // n_class], dtype="str"),
            pd.Index(class_labels.to_numpy(dtype=object)[present % n_class], dtype="str"),
        ],
        names=["zone_code", "class"],
    )
    out = pd.DataFrame({name: values[present] for name, values in sums.items()}, index=index)
    return out.sort_index()[TOTAL_COLUMNS]


def combine_totals(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Totals of several splits of the rows added up (the partitions of the dask engine)."""
    if not parts:
        return pd.DataFrame(columns=TOTAL_COLUMNS)
    return pd.concat(parts).groupby(level=["zone_code", "class"], sort=True).sum()[TOTAL_COLUMNS]


def zone_table(totals: pd.DataFrame) -> pd.DataFrame:
    """Totals per zone with 亩均税收 and each class's share of the land used (for charts and tables)."""
    wide = totals["used_mu"].unstack("class", fill_value=0.0)
    out = totals.groupby(level="zone_code")[["used_mu", "tax_10k_yuan", "n_links"]].sum()
    out["tax_per_mu"] = ratio(out["tax_10k_yuan"], out["used_mu"])
    for cls in wide.columns:
        out[f"share_mu_{cls}"] = wide[cls] / out["used_mu"]
    return out.reset_index()


__all__ = [
    "parcel_zones",
    "parcel_streets",
    "dataset_parcel_zones",
    "zone_totals",
    "dataset_zone_totals",
    "combine_totals",
    "zone_table",
    "NO_ZONE",
]
