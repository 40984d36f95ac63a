"""What our pipeline is measured against, on the same generated folder, and what the peers share.

- ``floor`` (``run_floor``): the least work any evaluation must do on the same inputs, per path.
  First run: pyarrow reads the columns the first indicator needs from the raw files, writes them as
  Parquet (its cache), and one vectorised pass gives land per enterprise, 亩均税收 and the land and tax
  per 街道; re-run: the same pass from that cache. No checks, no pools, no classes, no geometry.
- ``naive`` (``run_naive``): the way a typical research script does it: the parcels from an ESRI
  Shapefile, the tables with ``pandas.read_csv``, areas, land, indicators, scores and classes with
  row-wise ``apply``, then ``geopandas.sjoin`` and ``groupby``. Same method, same classes.
- the peers, each written the way an expert in it would: ``benchmarks.duckdb_peer`` and
  ``benchmarks.polars_peer`` (first run from the raw files with their own cache, re-run from it).

``naive`` and the peers return each enterprise's class, and the peers their zone totals, so the
benchmark shows that they compute what ours computes.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from helpers.core.units import AREA_CRS, M2_PER_MU
from helpers.evaluate.indicators import indicator_defs, source_columns
from helpers.evaluate.methods import Method

from .data import zones_of
from .measure import Stages

SCORE_EPS = 1e-12
LAND = "land_mu"  # the one input a peer derives (from the parcels) rather than reads


def panel_inputs(method: Method) -> list[str]:
    """The panel columns the method's indicators read (numerators and denominators)."""
    defs = indicator_defs()
    cols = {
        c
        for pool in method.pools
        for item in pool.items
        for side in (defs[item.indicator].numerator, defs[item.indicator].denominator)
        for c in source_columns(side)
    }
    return sorted(cols - {LAND})


def geo_crs(path: Path):
    """The CRS a GeoParquet file declares (OGC:CRS84 when it declares none)."""
    meta = json.loads(pq.read_schema(path).metadata[b"geo"])
    return meta["columns"][meta["primary_column"]].get("crs") or "OGC:CRS84"


def header(path: Path) -> list[str]:
    with open(path, encoding="utf-8-sig") as fh:
        return fh.readline().strip().split(",")


def zones_in(folder: Path, points: gpd.GeoSeries) -> list[str | None]:
    """The 街道 code of the zone each point (in ``AREA_CRS``) lies in, None in none."""
    zones = zones_of(folder).to_crs(AREA_CRS)
    joined = gpd.sjoin(gpd.GeoDataFrame(geometry=points.reset_index(drop=True)), zones[["street_code", "geometry"]], how="left")
    first = joined[~joined.index.duplicated()]
    return [None if pd.isna(c) else str(c) for c in first["street_code"]]


# ------------------------------------------------------------------ floor
FLOOR_TABLES = ("parcels", "links", "panel")


def _floor_read_raw(folder: Path) -> dict[str, pa.Table]:
    text = {"credit_code": pa.string(), "parcel_id": pa.string()}
    return {
        "parcels": pq.read_table(folder / "parcels.parquet", columns=["parcel_id", "street_code", "registered_area_mu"]),
        "links": pacsv.read_csv(folder / "enterprise_parcels.csv", convert_options=pacsv.ConvertOptions(column_types=text)),
        "panel": pacsv.read_csv(
            folder / "panel.csv",
            convert_options=pacsv.ConvertOptions(column_types=text, include_columns=["credit_code", "year", "tax_10k_yuan"]),
        ),
    }


def run_floor(folder: Path, year: int, stages: Stages, cache: Path, first: bool) -> None:
    if first:
        with stages.stage("floor: pyarrow read of the columns from the raw files"):
            t = _floor_read_raw(folder)
        with stages.stage("floor: write them as Parquet (its cache)"):
            shutil.rmtree(cache, ignore_errors=True)
            cache.mkdir(parents=True)
            for name in FLOOR_TABLES:
                pq.write_table(t[name], cache / f"{name}.parquet")
    else:
        with stages.stage("floor: read its cache (the year's panel rows)"):
            t = {name: pq.read_table(cache / f"{name}.parquet") for name in FLOOR_TABLES if name != "panel"}
            t["panel"] = pq.read_table(cache / "panel.parquet", filters=[("year", "=", year)])
    parcels, links, panel = t["parcels"], t["links"], t["panel"]
    with stages.stage("floor: one vectorised pass (land, 亩均税收, land and tax per 街道)") as note:
        registered = parcels["registered_area_mu"].to_numpy()
        at = pc.index_in(links["parcel_id"], parcels["parcel_id"]).to_numpy(zero_copy_only=False)
        used = registered[at] * links["share"].to_numpy()
        of_year = panel.filter(pc.equal(panel["year"], year))
        who = pc.index_in(links["credit_code"], of_year["credit_code"]).to_numpy(zero_copy_only=False)
        ok = ~np.isnan(who.astype(float))
        who_ok = who[ok].astype(np.int64)
        land = np.bincount(who_ok, weights=used[ok], minlength=of_year.num_rows)
        tax = of_year["tax_10k_yuan"].to_numpy()
        tax_per_mu = np.where(land > 0, tax / np.where(land > 0, land, 1), np.nan)
        zone, zone_labels = pd.factorize(parcels["street_code"].to_numpy(zero_copy_only=False))
        link_zone = zone[at[ok].astype(np.int64)]
        share_of_tax = np.where(land[who_ok] > 0, tax[who_ok] * used[ok] / np.where(land[who_ok] > 0, land[who_ok], 1), 0.0)
        land_per_zone = np.bincount(link_zone, weights=used[ok], minlength=len(zone_labels))
        tax_per_zone = np.bincount(link_zone, weights=share_of_tax, minlength=len(zone_labels))
        note["tax_per_mu_mean"] = round(float(np.nanmean(tax_per_mu)), 4)
        note["zones"] = int((land_per_zone > 0).sum())
        note["tax_10k_yuan"] = round(float(tax_per_zone.sum()))


# ------------------------------------------------------------------ the method, row by row
def _band(share: float, bands) -> str:
    for name, upper in bands:
        if share <= upper + SCORE_EPS:
            return name
    return bands[-1][0]


def run_naive(folder: Path, shapefile: Path, year: int, method: Method, stages: Stages) -> pd.Series:
    defs = indicator_defs()
    with stages.stage("naive: read Shapefile + CSV"):
        parcels = gpd.read_file(shapefile)
        parcels = parcels.rename(columns={"registered": "registered_area_mu"})  # Shapefile cut the name to 10 characters
        enterprises = pd.read_csv(
            folder / "enterprises.csv", dtype={"credit_code": str, "street_code": str}, encoding="utf-8-sig"
        )
        links = pd.read_csv(folder / "enterprise_parcels.csv", dtype={"credit_code": str, "parcel_id": str}, encoding="utf-8-sig")
        panel = pd.read_csv(folder / "panel.csv", dtype={"credit_code": str}, encoding="utf-8-sig")
    with stages.stage("naive: areas, land, year frame (row-wise)"):
        parcels = parcels.to_crs(AREA_CRS)
        parcels["geom_area_mu"] = parcels.geometry.apply(lambda g: g.area / M2_PER_MU)
        registered = dict(zip(parcels["parcel_id"], parcels["registered_area_mu"]))
        links["used_mu"] = links.apply(lambda r: registered[r["parcel_id"]] * r["share"], axis=1)
        land = links.groupby("credit_code")["used_mu"].sum()
        frame = enterprises.merge(panel[panel["year"] == year], on="credit_code", how="left")
        frame["land_mu"] = frame["credit_code"].map(land).fillna(0.0)
    with stages.stage("naive: indicators, scores, classes (row-wise)"):
        eligible = frame[frame.apply(lambda r: r["in_production"] is True and r["land_mu"] > 0, axis=1)].copy()
        classes = {}
        for pool in method.pools:
            sel = pool.select

            def takes(r, sel=sel):
                if "above_scale" in sel and bool(r["above_scale"]) != bool(sel["above_scale"]):
                    return False
                if "land_mu_min" in sel and not r["land_mu"] >= sel["land_mu_min"]:
                    return False
                if "land_mu_max_excl" in sel and not r["land_mu"] < sel["land_mu_max_excl"]:
                    return False
                return True

            members = eligible[eligible.apply(takes, axis=1)]
            total = pd.Series(0.0, index=members.index)
            for item in pool.items:
                d = defs[item.indicator]
                values = members.apply(
                    lambda r: r[d.numerator] / r[d.denominator] if pd.notna(r[d.numerator]) and r[d.denominator] > 0 else np.nan,
                    axis=1,
                )
                ok = values.notna()
                if item.fixed_benchmark:
                    bench = float(item.benchmark)
                elif item.benchmark == "pool_aggregate":
                    bench = members.loc[ok, d.numerator].sum() / members.loc[ok, d.denominator].sum()
                else:
                    bench = values.mean()
                scores = values.apply(
                    lambda v: (
                        item.weight * (min(v / bench, item.cap_ratio) if item.cap_ratio else v / bench) if pd.notna(v) else np.nan
                    )
                )
                fill = scores.mean() if item.missing == "pool_mean_item_score" and scores.notna().any() else 0.0
                total += scores.apply(lambda s: fill if pd.isna(s) else s)
            rank = total.rank(method="min", ascending=False)
            n = len(total)
            for code, r in zip(members["credit_code"], rank):
                classes[code] = _band(r / n, pool.bands)
        result = pd.Series(classes, name="class", dtype="string")
    with stages.stage("naive: spatial join (sjoin) + aggregation (groupby)"):
        points = gpd.GeoDataFrame(parcels[["parcel_id"]], geometry=parcels.representative_point(), crs=AREA_CRS)
        joined = gpd.sjoin(points, zones_of(folder).to_crs(AREA_CRS)[["street_code", "geometry"]], predicate="within", how="left")
        zone = dict(zip(joined["parcel_id"], joined["street_code"]))
        tax = dict(zip(frame["credit_code"], frame["tax_10k_yuan"]))
        land_of = dict(zip(frame["credit_code"], frame["land_mu"]))
        users = links[links["credit_code"].isin(classes)].copy()
        users["zone_code"] = users.apply(lambda r: zone.get(r["parcel_id"]), axis=1)
        users["class"] = users.apply(lambda r: classes[r["credit_code"]], axis=1)
        users["tax_alloc"] = users.apply(lambda r: tax[r["credit_code"]] * r["used_mu"] / land_of[r["credit_code"]], axis=1)
        users.groupby(["zone_code", "class"])[["used_mu", "tax_alloc"]].sum()
    return result


__all__ = ["run_floor", "run_naive", "panel_inputs", "geo_crs", "header", "zones_in", "SCORE_EPS"]
