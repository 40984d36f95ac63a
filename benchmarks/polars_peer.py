"""The evaluation written the way a polars user would write it, as the benchmark's second peer.

First run: read the raw files of the four core tables (CSV with their byte-order mark, the parcels'
GeoParquet without its geometry), check what an expert checks before trusting them (unique keys,
links to known parcels and enterprises, shares in (0, 1] summing to at most 1 per parcel, a 街道
for every parcel: parcels without a code get the zone their point lies in), write a cache of the
columns the evaluation reads (Parquet), then evaluate. Re-run: read that cache and evaluate.
The evaluation follows the method file: pools, indicators, benchmarks, weights, caps, missing
values, ranks (``min``) and class bands, as ``benchmarks.duckdb_peer.method_sql`` does in SQL.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd
import polars as pl
import pyarrow.parquet as pq

from helpers.core.units import AREA_CRS
from helpers.evaluate.indicators import indicator_defs
from helpers.evaluate.methods import Method

from .comparators import SCORE_EPS, panel_inputs, zones_in
from .measure import Stages

CACHE_TABLES = ("parcels", "links", "enterprises", "panel")
# the parcels' geometry column is never read; polars would warn about its GeoArrow type all the same
os.environ.setdefault("POLARS_UNKNOWN_EXTENSION_TYPE_BEHAVIOR", "load_as_storage")


def _pool_expr(method: Method) -> pl.Expr:
    expr = None
    for pool in method.pools:
        cond = pl.lit(True)
        sel = pool.select
        if "above_scale" in sel:
            cond = cond & (pl.col("above_scale") == bool(sel["above_scale"]))
        if "land_mu_min" in sel:
            cond = cond & (pl.col("land_mu") >= float(sel["land_mu_min"]))
        if "land_mu_max_excl" in sel:
            cond = cond & (pl.col("land_mu") < float(sel["land_mu_max_excl"]))
        expr = (pl.when(cond) if expr is None else expr.when(cond)).then(pl.lit(pool.id))
    assert expr is not None
    return expr.otherwise(None)


def evaluate(
    parcels: pl.DataFrame, links: pl.DataFrame, enterprises: pl.DataFrame, panel: pl.DataFrame, method: Method, year: int
):
    """(credit_code, pool, class, land_mu, tax) of the evaluated enterprises, and the zone totals.
    Eager: the year's frame is built once and each pool is a filter of it (a lazy query would plan
    the joins again in each pool's branch)."""
    defs = indicator_defs()
    used = links.join(parcels, on="parcel_id", how="left").with_columns(used_mu=pl.col("registered_area_mu") * pl.col("share"))
    land = used.group_by("credit_code").agg(pl.col("used_mu").sum().alias("land_mu"))
    frame = (
        enterprises.join(land, on="credit_code", how="left")
        .with_columns(pl.col("land_mu").fill_null(0.0))
        .join(panel.filter(pl.col("year") == year), on="credit_code", how="inner")
        .filter(pl.col("in_production") & (pl.col("land_mu") > 0))
        .with_columns(pool=_pool_expr(method))
        .filter(pl.col("pool").is_not_null())
    )
    ids = sorted({i.indicator for p in method.pools for i in p.items})
    frame = frame.with_columns(
        [
            pl.when(pl.col(defs[i].denominator) > 0).then(pl.col(defs[i].numerator) / pl.col(defs[i].denominator)).alias(f"v_{i}")
            for i in ids
        ]
    )
    parts = []
    for pool in method.pools:
        members = frame.filter(pl.col("pool") == pool.id)
        scores = []
        for k, item in enumerate(pool.items):
            d, v = defs[item.indicator], pl.col(f"v_{item.indicator}")
            if item.fixed_benchmark:
                bench = pl.lit(float(item.benchmark))
            elif item.benchmark == "pool_aggregate":
                ok = v.is_not_null()
                bench = pl.col(d.numerator).filter(ok).sum() / pl.col(d.denominator).filter(ok).sum()
            else:
                bench = v.mean()
            ratio = v / bench
            if item.cap_ratio:
                ratio = pl.min_horizontal(ratio, pl.lit(float(item.cap_ratio)))
            raw = item.weight * ratio
            filled = raw.fill_null(raw.mean()).fill_null(0.0) if item.missing == "pool_mean_item_score" else raw.fill_null(0.0)
            scores.append(filled.alias(f"s{k}"))
        scored = members.with_columns(scores).with_columns(score=pl.sum_horizontal([f"s{k}" for k in range(len(pool.items))]))
        share = pl.col("score").rank("min", descending=True) / pl.len()
        band = None
        for name, upper in pool.bands:
            cond = share <= upper + SCORE_EPS
            band = (pl.when(cond) if band is None else band.when(cond)).then(pl.lit(name))
        assert band is not None
        parts.append(
            scored.select(
                "credit_code", "pool", band.otherwise(pl.lit(pool.bands[-1][0])).alias("class"), "land_mu", "tax_10k_yuan"
            )
        )
    result = pl.concat(parts)
    totals = (
        used.join(result, on="credit_code", how="inner")
        .with_columns(tax_alloc=pl.col("tax_10k_yuan") * pl.col("used_mu") / pl.col("land_mu"))
        .group_by("zone_code", "class")
        .agg(
            pl.col("used_mu").sum(),
            pl.col("tax_alloc").sum().alias("tax_10k_yuan"),
            pl.len().cast(pl.Int64).alias("n_links"),
        )
    )
    return result, totals


def _read_raw(folder: Path, method: Method) -> dict[str, pl.DataFrame]:
    text = {"credit_code": pl.String, "parcel_id": pl.String, "street_code": pl.String}
    panel_columns = ["credit_code", "year", "above_scale", "in_production"] + panel_inputs(method)
    return {
        "links": pl.read_csv(
            folder / "enterprise_parcels.csv", columns=["credit_code", "parcel_id", "share"], schema_overrides=text
        ),
        "enterprises": pl.read_csv(folder / "enterprises.csv", columns=["credit_code"], schema_overrides=text),
        "panel": pl.read_csv(folder / "panel.csv", columns=panel_columns, schema_overrides=text),
        "parcels": pl.read_parquet(folder / "parcels.parquet", columns=["parcel_id", "street_code", "registered_area_mu"]),
    }


def _check(t: dict[str, pl.DataFrame]) -> dict[str, int]:
    """Counts of the problems an expert looks for before evaluating (each should be 0)."""
    links, parcels = t["links"], t["parcels"]
    per_parcel = links.group_by("parcel_id").agg(pl.col("share").sum())
    return {
        "duplicate_enterprises": t["enterprises"].height - t["enterprises"]["credit_code"].n_unique(),
        "duplicate_parcels": parcels.height - parcels["parcel_id"].n_unique(),
        "duplicate_panel_rows": int(t["panel"].select(pl.struct("credit_code", "year").is_duplicated().sum()).item()),
        "links_to_unknown_parcels": links.height - links.join(parcels, on="parcel_id", how="semi").height,
        "links_to_unknown_enterprises": links.height - links.join(t["enterprises"], on="credit_code", how="semi").height,
        "shares_out_of_range": int(links.select(((pl.col("share") <= 0) | (pl.col("share") > 1)).sum()).item()),
        "parcels_over_one": int(per_parcel.select((pl.col("share") > 1 + 1e-6).sum()).item()),
    }


def _zones_of_missing(folder: Path, parcels: pl.DataFrame) -> pl.DataFrame:
    """``zone_code`` of every parcel: its own 街道 code, else the zone its point on the surface lies in."""
    missing = parcels.filter(pl.col("street_code").is_null())
    if missing.height == 0:
        return parcels.with_columns(zone_code=pl.col("street_code")).drop("street_code")
    table = pq.read_table(
        folder / "parcels.parquet", columns=["parcel_id", "geometry"], filters=[("street_code", "is_null", True)]
    )
    import geopandas as gpd

    layer = gpd.GeoDataFrame.from_arrow(table).to_crs(AREA_CRS)
    zone = zones_in(folder, layer.geometry.representative_point())
    found = pl.DataFrame({"parcel_id": table["parcel_id"].to_pylist(), "found": zone})
    return (
        parcels.join(found, on="parcel_id", how="left")
        .with_columns(zone_code=pl.coalesce("street_code", "found"))
        .drop("street_code", "found")
    )


def run_polars(folder: Path, year: int, method: Method, stages: Stages, cache: Path, first: bool):
    """Classes (Series by credit code) and zone totals (pandas, by zone and class)."""
    if first:
        with stages.stage("polars: read the raw files") as note:
            t = _read_raw(folder, method)
            note["rows"] = sum(f.height for f in t.values())
        with stages.stage("polars: checks") as note:
            note.update({k: v for k, v in _check(t).items() if v})
            t["parcels"] = _zones_of_missing(folder, t["parcels"])
        with stages.stage("polars: write its cache (Parquet)"):
            shutil.rmtree(cache, ignore_errors=True)
            cache.mkdir(parents=True)
            for name in CACHE_TABLES:
                t[name].write_parquet(cache / f"{name}.parquet")
        frames = {name: t[name] for name in CACHE_TABLES}
    else:
        with stages.stage("polars: read its cache"):
            frames = {name: pl.read_parquet(cache / f"{name}.parquet") for name in CACHE_TABLES if name != "panel"}
            frames["panel"] = pl.scan_parquet(cache / "panel.parquet").filter(pl.col("year") == year).collect()
    with stages.stage("polars: land, indicators, scores, classes, zone totals") as note:
        result, totals = evaluate(frames["parcels"], frames["links"], frames["enterprises"], frames["panel"], method, year)
        note["evaluated"] = result.height
    classes = pd.Series(result["class"].to_numpy(), index=result["credit_code"].to_numpy(), name="class", dtype="string")
    return classes, totals.to_pandas()


__all__ = ["run_polars", "evaluate"]
