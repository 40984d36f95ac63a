"""The evaluation on dask-geopandas, for data that outgrow one process's memory.

``write_partitioned`` turns a checked ``Dataset`` into a partitioned dataset: parcels as
GeoParquet partitions, spatially shuffled (Hilbert curve) so that each partition holds
neighbouring parcels, and the link, enterprise and panel tables as Parquet.
``evaluate_partitioned`` then measures areas, joins parcels to zones and sums land per
enterprise partition by partition on a dask cluster; the compact enterprise table (one row of
numbers per enterprise) is scored on the client by ``evaluation.evaluate_frame`` (classes are rank
bands over a whole pool, so they need the pool in one place), and the zone totals are summed
partition by partition again (``zone_totals.combine_totals``). Classes and totals equal those of
the pandas path (``evaluation.evaluate``); a test compares them on the sample.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dask
import dask.dataframe as dd
import dask_geopandas
import geopandas as gpd
import pandas as pd
import pyarrow.parquet as pq

from helpers.core.units import area_mu
from helpers.evaluate.frame import evaluate_frame, year_frame
from helpers.evaluate.land import with_used_area
from helpers.evaluate.methods import Method, load_method
from helpers.evaluate.parcels import USER_COLUMNS, allocate_tax
from helpers.evaluate.scope import parse_streets
from helpers.evaluate.zones import combine_totals, parcel_streets, zone_totals
from helpers.io.dataset import Dataset

PARCEL_COLUMNS = ["parcel_id", "street_code", "registered_area_mu", "geometry"]


@dataclass
class PartitionedEvaluation:
    year: int
    enterprises: pd.DataFrame  # as Evaluation.enterprises (without main_parcel_id)
    benchmarks: pd.DataFrame
    totals: pd.DataFrame  # zone_totals: per zone and class
    n_partitions: int


def write_partitioned(dataset: Dataset, out: Path, npartitions: int) -> Path:
    """``dataset`` as a partitioned dataset in ``out`` (GeoParquet parcels, spatially shuffled)."""
    out.mkdir(parents=True, exist_ok=True)
    parcels = dask_geopandas.from_geopandas(dataset.parcels[PARCEL_COLUMNS], npartitions=npartitions)
    shuffled: Any = parcels.spatial_shuffle(by="hilbert", npartitions=npartitions)
    shuffled.to_parquet(out / "parcels", write_index=False)
    for name, table in (("enterprise_parcels", dataset.links), ("enterprises", dataset.enterprises), ("panel", dataset.panel)):
        dd.from_pandas(table, npartitions=npartitions).to_parquet(out / name, write_index=False)
    assert dataset.zones is not None, "a loaded dataset has its 街道 zones"
    dataset.zones.to_parquet(out / "zones.parquet", index=False)
    (out / "info.json").write_text(json.dumps({"synthetic": dataset.synthetic, "years": dataset.years}), encoding="utf-8")
    return out


def parcel_attributes(part: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> pd.DataFrame:
    """Per parcel of one partition: registered and measured area (亩) and its 街道 (``parcel_streets``)."""
    return pd.DataFrame(
        {
            "parcel_id": part["parcel_id"],
            "registered_area_mu": part["registered_area_mu"],
            "geom_area_mu": area_mu(part),
            "zone_code": parcel_streets(part, zones),
        }
    )


def _users(source: Path, zones: gpd.GeoDataFrame) -> dd.DataFrame:
    parcels = dask_geopandas.read_parquet(source / "parcels", columns=PARCEL_COLUMNS)
    meta = pd.DataFrame(
        {
            "parcel_id": pd.Series(dtype="string"),
            "registered_area_mu": pd.Series(dtype=float),
            "geom_area_mu": pd.Series(dtype=float),
            "zone_code": pd.Series(dtype="string"),
        }
    )
    attrs = parcels.map_partitions(parcel_attributes, zones, meta=meta)
    links = dd.read_parquet(source / "enterprise_parcels")
    users = links.merge(attrs, on="parcel_id", how="left")
    return users.map_partitions(with_used_area)


def _totals(part: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    return zone_totals(allocate_tax(part, frame))


def evaluate_partitioned(
    source: str | Path,
    year: int,
    method: str | Method = "linping_default",
    streets: str | list | None = None,
    land_basis: str = "declared",
) -> PartitionedEvaluation:
    """Evaluate ``year`` of the partitioned dataset ``source`` on the current dask scheduler
    (a ``distributed.Client`` if one is running, else dask's local threads)."""
    source = Path(source)
    method = method if isinstance(method, Method) else load_method(method)
    codes = parse_streets(streets)
    zones = gpd.read_parquet(source / "zones.parquet")
    users = _users(source, zones).persist()
    grouped = users.groupby("credit_code")
    land = dd.concat(
        [
            grouped["used_mu"].sum().rename("land_mu"),
            grouped["used_geom_mu"].sum().rename("land_geom_mu"),
            grouped["parcel_id"].count().rename("n_parcels"),
        ],
        axis=1,
    )
    land = land.compute()
    # one row per enterprise, gathered to the client anyway: read there by pyarrow. (Through dask, the
    # filtered panel read sometimes hung at 10,000,000 parcels in dask's expression optimiser, on the
    # class-wide cached_property lock of Python 3.11.)
    enterprises = pq.read_table(source / "enterprises").to_pandas()
    panel = pq.read_table(source / "panel", filters=[("year", "==", int(year))]).to_pandas()
    land = land.reset_index()
    frame = year_frame(enterprises, land, panel, int(year), land_basis=land_basis)
    frame["land_mu"] = frame["land_mu"].fillna(0.0)
    frame["parcel_land_mu"] = frame["parcel_land_mu"].fillna(0.0)
    frame["land_geom_mu"] = frame["land_geom_mu"].fillna(0.0)
    frame["n_parcels"] = frame["n_parcels"].fillna(0).astype(int)
    frame, benchmarks = evaluate_frame(frame, method, codes)
    small = dask.delayed(frame[USER_COLUMNS])
    parts = users.to_delayed()
    totals = combine_totals(list(dask.compute(*[dask.delayed(_totals)(p, small) for p in parts])))
    return PartitionedEvaluation(int(year), frame, benchmarks, totals, users.npartitions)


__all__ = ["write_partitioned", "evaluate_partitioned", "PartitionedEvaluation", "parcel_attributes"]
