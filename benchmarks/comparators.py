"""What our pipeline is measured against, on the same generated folder:

- ``floor``: pyarrow reads the columns the first indicator needs, then one vectorised pass
  (geometry decoded, projected and measured; land per enterprise by index arithmetic; 亩均税收).
  No checks, no pools, no classes: the least work any evaluation must do.
- ``naive``: the way a typical research script does it: the parcels from an ESRI Shapefile,
  the tables with ``pandas.read_csv``, areas, land, indicators, scores and classes with
  row-wise ``apply``, then ``geopandas.sjoin`` and ``groupby``. Same method, same classes.
- ``duckdb``: DuckDB with its spatial extension (the PyPI wheel, loaded from disk: no network)
  doing the same evaluation in SQL generated from the same method file.

``naive`` and ``duckdb`` return each enterprise's class, so the benchmark can show that they
compute what ours computes.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import shapely
from pyproj import Transformer

from helpers.core.units import AREA_CRS, M2_PER_MU
from helpers.evaluate.indicators import indicator_defs
from helpers.evaluate.methods import Method

from .data import zones_of
from .measure import Stages

TEXT_COLUMNS = {"credit_code": "VARCHAR", "parcel_id": "VARCHAR", "street_code": "VARCHAR", "industry_code": "VARCHAR"}
SCORE_EPS = 1e-12


# ------------------------------------------------------------------ floor
def run_floor(folder: Path, year: int, stages: Stages) -> None:
    with stages.stage("floor: pyarrow read of the columns"):
        parcels = pq.read_table(folder / "parcels.parquet", columns=["parcel_id", "registered_area_mu", "geometry"])
        text = pacsv.ConvertOptions(column_types={"credit_code": pa.string(), "parcel_id": pa.string()})
        links = pacsv.read_csv(folder / "enterprise_parcels.csv", convert_options=text)
        panel = pacsv.read_csv(
            folder / "panel.csv",
            convert_options=pacsv.ConvertOptions(
                column_types={"credit_code": pa.string()}, include_columns=["credit_code", "year", "tax_10k_yuan"]
            ),
        )
    with stages.stage("floor: one vectorised pass (area, land, 亩均税收)") as note:
        crs = pq.read_schema(folder / "parcels.parquet").metadata[b"geo"]
        source_crs = gpd.GeoSeries.from_wkb([], crs=_geo_crs(crs)).crs
        to_metres = Transformer.from_crs(source_crs, AREA_CRS, always_xy=True)
        geoms = shapely.from_wkb(parcels["geometry"].to_numpy(zero_copy_only=False))
        geom_area_mu = (
            shapely.area(shapely.transform(geoms, lambda xy: np.column_stack(to_metres.transform(xy[:, 0], xy[:, 1]))))
            / M2_PER_MU
        )
        registered = parcels["registered_area_mu"].to_numpy()
        at = pc.index_in(links["parcel_id"], parcels["parcel_id"]).to_numpy(zero_copy_only=False)
        used = registered[at] * links["share"].to_numpy()
        of_year = panel.filter(pc.equal(panel["year"], year))
        who = pc.index_in(links["credit_code"], of_year["credit_code"]).to_numpy(zero_copy_only=False)
        ok = ~np.isnan(who.astype(float))
        land = np.bincount(who[ok].astype(np.int64), weights=used[ok], minlength=of_year.num_rows)
        tax_per_mu = np.where(land > 0, of_year["tax_10k_yuan"].to_numpy() / np.where(land > 0, land, 1), np.nan)
        note["tax_per_mu_mean"] = round(float(np.nanmean(tax_per_mu)), 4)
        note["area_mu"] = round(float(geom_area_mu.sum()))


def _geo_crs(geo_metadata: bytes):
    import json

    meta = json.loads(geo_metadata)
    return meta["columns"][meta["primary_column"]].get("crs") or "OGC:CRS84"


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


# ------------------------------------------------------------------ DuckDB
def duckdb_connection():
    import duckdb
    import duckdb_extension_spatial

    ext = next(Path(duckdb_extension_spatial.__file__).parent.glob("extensions/*/spatial.duckdb_extension"))
    con = duckdb.connect(
        config={
            "allow_unsigned_extensions": "true",
            "autoinstall_known_extensions": "false",
            "autoload_known_extensions": "false",
        }
    )
    con.load_extension(str(ext))
    return con


def _ratio_sql(num: str, den: str) -> str:
    return f"CASE WHEN {den} > 0 THEN {num} / {den} END"


def method_sql(method: Method, year: int) -> str:
    """The evaluation of ``method`` as one DuckDB query over the views parcels_m, links,
    enterprises, panel and zones; returns (credit_code, pool, score, class)."""
    defs = indicator_defs()
    select_pool = []
    for pool in method.pools:
        cond = ["TRUE"]
        sel = pool.select
        if "above_scale" in sel:
            cond.append(f"above_scale = {str(bool(sel['above_scale'])).upper()}")
        if "land_mu_min" in sel:
            cond.append(f"land_mu >= {float(sel['land_mu_min'])}")
        if "land_mu_max_excl" in sel:
            cond.append(f"land_mu < {float(sel['land_mu_max_excl'])}")
        select_pool.append(f"WHEN {' AND '.join(cond)} THEN '{pool.id}'")
    ids = sorted({i.indicator for p in method.pools for i in p.items})
    values = ", ".join(f"{_ratio_sql(defs[i].numerator, defs[i].denominator)} AS v_{i}" for i in ids)
    per_pool = []
    for pool in method.pools:
        items = []
        for item in pool.items:
            d = defs[item.indicator]
            v = f"v_{item.indicator}"
            if item.fixed_benchmark:
                bench = str(float(item.benchmark))
            elif item.benchmark == "pool_aggregate":
                ok = f"{v} IS NOT NULL"
                bench = (
                    f"(SUM(CASE WHEN {ok} THEN {d.numerator} END) OVER () / "
                    f"NULLIF(SUM(CASE WHEN {ok} THEN {d.denominator} END) OVER (), 0))"
                )
            else:
                bench = f"AVG({v}) OVER ()"
            ratio = f"({v} / {bench})" if not item.cap_ratio else f"LEAST({v} / {bench}, {item.cap_ratio})"
            items.append((item, f"{item.weight} * {ratio}"))
        raw = ", ".join(f"{expr} AS s{k}" for k, (_, expr) in enumerate(items))
        filled = " + ".join(
            f"COALESCE(s{k}, AVG(s{k}) OVER (), 0)" if item.missing == "pool_mean_item_score" else f"COALESCE(s{k}, 0)"
            for k, (item, _) in enumerate(items)
        )
        bands = " ".join(f"WHEN share <= {upper} + {SCORE_EPS} THEN '{name}'" for name, upper in pool.bands)
        per_pool.append(f"""
        SELECT credit_code, pool, tax_10k_yuan, land_mu, score, CASE {bands} ELSE '{pool.bands[-1][0]}' END AS class FROM (
          SELECT *, RANK() OVER (ORDER BY score DESC) / COUNT(*) OVER () AS share FROM (
            SELECT credit_code, pool, tax_10k_yuan, land_mu, {filled} AS score FROM (
              SELECT *, {raw} FROM valued WHERE pool = '{pool.id}')))""")
    return f"""
    WITH land AS (
      SELECT l.credit_code, SUM(p.registered_area_mu * l.share) AS land_mu
      FROM links l JOIN parcels_m p USING (parcel_id) GROUP BY l.credit_code),
    frame AS (
      SELECT e.credit_code, COALESCE(land.land_mu, 0) AS land_mu, y.* EXCLUDE (credit_code, year)
      FROM enterprises e LEFT JOIN land USING (credit_code)
      JOIN (SELECT * FROM panel WHERE year = {int(year)}) y USING (credit_code)
      WHERE y.in_production AND COALESCE(land.land_mu, 0) > 0),
    pooled AS (SELECT *, CASE {" ".join(select_pool)} END AS pool FROM frame),
    valued AS (SELECT *, {values} FROM pooled WHERE pool IS NOT NULL)
    {" UNION ALL ".join(per_pool)}
    """


def run_duckdb(folder: Path, year: int, method: Method, stages: Stages) -> pd.Series:
    con = duckdb_connection()
    crs = _geo_crs(pq.read_schema(folder / "parcels.parquet").metadata[b"geo"])
    source = gpd.GeoSeries([], crs=crs).crs.to_string()
    with stages.stage("duckdb: read + area + spatial join to zones"):
        for name, file in (("links", "enterprise_parcels.csv"), ("enterprises", "enterprises.csv"), ("panel", "panel.csv")):
            types = ", ".join(f"'{k}': '{v}'" for k, v in TEXT_COLUMNS.items() if k in _header(folder / file))
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM read_csv('{folder / file}', header = true, types = {{{types}}})")
        zones = zones_of(folder).to_crs(AREA_CRS)
        zones_wkb = pd.DataFrame({"zone_code": zones["street_code"].astype(str), "wkb": shapely.to_wkb(zones.geometry.array)})
        con.register("zones_wkb", zones_wkb)
        con.execute("CREATE TABLE zones AS SELECT zone_code, ST_GeomFromWKB(wkb) AS geom FROM zones_wkb")
        con.execute(f"""CREATE TABLE parcels_m AS
            SELECT parcel_id, registered_area_mu, ST_Area(g) / {M2_PER_MU} AS geom_area_mu, ST_PointOnSurface(g) AS pt
            FROM (SELECT parcel_id, registered_area_mu,
                         ST_Transform(geometry::GEOMETRY, '{source}', '{AREA_CRS}', always_xy := true) AS g
                  FROM read_parquet('{folder / "parcels.parquet"}'))""")
        con.execute("""CREATE TABLE parcel_zone AS
            SELECT p.parcel_id, z.zone_code FROM parcels_m p LEFT JOIN zones z ON ST_Contains(z.geom, p.pt)""")
    with stages.stage("duckdb: land, indicators, scores, classes (SQL)") as note:
        con.execute(f"CREATE TABLE scored AS {method_sql(method, year)}")
        note["evaluated"] = con.execute("SELECT COUNT(*) FROM scored").fetchone()[0]
    with stages.stage("duckdb: zone aggregation"):
        con.execute("""CREATE TABLE zone_totals AS
            SELECT pz.zone_code, s.class, SUM(p.registered_area_mu * l.share) AS used_mu,
                   SUM(s.tax_10k_yuan * p.registered_area_mu * l.share / s.land_mu) AS tax_10k_yuan, COUNT(*) AS n_links
            FROM links l JOIN scored s USING (credit_code) JOIN parcels_m p USING (parcel_id)
            JOIN parcel_zone pz USING (parcel_id) GROUP BY ALL""")
    classes = con.execute("SELECT credit_code, class FROM scored").df()
    con.close()
    return pd.Series(classes["class"].to_numpy(), index=classes["credit_code"].to_numpy(), name="class", dtype="string")


def _header(path: Path) -> list[str]:
    with open(path, encoding="utf-8-sig") as fh:
        return fh.readline().strip().split(",")
