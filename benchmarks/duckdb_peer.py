"""The evaluation written the way a DuckDB user would write it, as the benchmark's first peer.

DuckDB with its spatial extension (the PyPI wheel, loaded from disk: no network). First run: read
the raw files of the four core tables into a database file of its own (its cache), check what an
expert checks (unique keys, links to known parcels and enterprises, shares in (0, 1] summing to at
most 1 per parcel), give every parcel its 街道 (its own code, else the zone its point on the surface
lies in), then evaluate in SQL generated from the method file. Re-run: open that database file and
evaluate. The zone totals are computed in the same query pass as ours: per 街道 and class, land
used, tax allocated by land, link rows.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from helpers.core.units import AREA_CRS
from helpers.evaluate.indicators import indicator_defs
from helpers.evaluate.methods import Method

from .comparators import SCORE_EPS, geo_crs, header, panel_inputs, zones_of
from .measure import Stages

TEXT_COLUMNS = {"credit_code": "VARCHAR", "parcel_id": "VARCHAR", "street_code": "VARCHAR", "industry_code": "VARCHAR"}
DB_FILE = "duckdb_cache.duckdb"


def duckdb_connection(database: str = ":memory:", read_only: bool = False, spatial: bool = True):
    import duckdb

    con = duckdb.connect(
        database,
        read_only=read_only,
        config={
            "allow_unsigned_extensions": "true",
            "autoinstall_known_extensions": "false",
            "autoload_known_extensions": "false",
        },
    )
    if spatial:
        import duckdb_extension_spatial

        ext = next(Path(duckdb_extension_spatial.__file__).parent.glob("extensions/*/spatial.duckdb_extension"))
        con.load_extension(str(ext))
    return con


def _ratio_sql(num: str, den: str) -> str:
    return f"CASE WHEN {den} > 0 THEN {num} / {den} END"


def method_sql(method: Method, year: int) -> str:
    """The evaluation of ``method`` as one DuckDB query over the tables parcels (parcel_id,
    registered_area_mu, zone_code), links, enterprises and panel; returns (credit_code, pool,
    tax_10k_yuan, land_mu, score, class)."""
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
      FROM links l JOIN parcels p USING (parcel_id) GROUP BY l.credit_code),
    frame AS (
      SELECT e.credit_code, COALESCE(land.land_mu, 0) AS land_mu, y.* EXCLUDE (credit_code, year)
      FROM enterprises e LEFT JOIN land USING (credit_code)
      JOIN (SELECT * FROM panel WHERE year = {int(year)}) y USING (credit_code)
      WHERE y.in_production AND COALESCE(land.land_mu, 0) > 0),
    pooled AS (SELECT *, CASE {" ".join(select_pool)} END AS pool FROM frame),
    valued AS (SELECT *, {values} FROM pooled WHERE pool IS NOT NULL)
    {" UNION ALL ".join(per_pool)}
    """


ZONE_TOTALS_SQL = """
    SELECT p.zone_code, s.class, SUM(p.registered_area_mu * l.share) AS used_mu,
           SUM(s.tax_10k_yuan * p.registered_area_mu * l.share / s.land_mu) AS tax_10k_yuan, COUNT(*) AS n_links
    FROM links l JOIN scored s USING (credit_code) JOIN parcels p USING (parcel_id) GROUP BY ALL"""

CHECKS_SQL = {
    "duplicate_enterprises": "SELECT COUNT(*) - COUNT(DISTINCT credit_code) FROM enterprises",
    "duplicate_parcels": "SELECT COUNT(*) - COUNT(DISTINCT parcel_id) FROM parcels",
    "duplicate_panel_rows": "SELECT COUNT(*) FROM (SELECT credit_code, year FROM panel GROUP BY ALL HAVING COUNT(*) > 1)",
    "links_to_unknown_parcels": "SELECT COUNT(*) FROM links ANTI JOIN parcels USING (parcel_id)",
    "links_to_unknown_enterprises": "SELECT COUNT(*) FROM links ANTI JOIN enterprises USING (credit_code)",
    "shares_out_of_range": "SELECT COUNT(*) FROM links WHERE share <= 0 OR share > 1",
    "parcels_over_one": "SELECT COUNT(*) FROM (SELECT parcel_id FROM links GROUP BY ALL HAVING SUM(share) > 1 + 1e-6)",
}


def _first_run(con, folder: Path, method: Method, note: dict) -> None:
    """Raw files → the database's tables (its cache), checked, each parcel with its 街道."""
    files = {"links": "enterprise_parcels.csv", "enterprises": "enterprises.csv", "panel": "panel.csv"}
    columns = {
        "links": ["credit_code", "parcel_id", "share"],
        "enterprises": ["credit_code"],
        "panel": ["credit_code", "year", "above_scale", "in_production"] + panel_inputs(method),
    }
    for name, file in files.items():
        types = ", ".join(f"'{k}': '{v}'" for k, v in TEXT_COLUMNS.items() if k in header(folder / file))
        con.execute(
            f"CREATE TABLE {name} AS SELECT {', '.join(columns[name])} "
            f"FROM read_csv('{folder / file}', header = true, types = {{{types}}})"
        )
    con.execute(f"""CREATE TABLE parcels AS SELECT parcel_id, street_code AS zone_code, registered_area_mu
                    FROM read_parquet('{folder / "parcels.parquet"}')""")
    for check, sql in CHECKS_SQL.items():
        if found := con.execute(sql).fetchone()[0]:
            note[check] = found
    if con.execute("SELECT COUNT(*) FROM parcels WHERE zone_code IS NULL").fetchone()[0]:
        source = gpd.GeoSeries([], crs=geo_crs(folder / "parcels.parquet")).crs.to_string()
        zones = zones_of(folder).to_crs(AREA_CRS)
        con.register(
            "zones_wkb", pd.DataFrame({"code": zones["street_code"].astype(str), "wkb": shapely.to_wkb(zones.geometry.array)})
        )
        con.execute(f"""UPDATE parcels SET zone_code = z.code FROM (
            SELECT q.parcel_id, z.code FROM (
              SELECT parcel_id, ST_PointOnSurface(ST_Transform(geometry::GEOMETRY, '{source}', '{AREA_CRS}', always_xy := true)) AS pt
              FROM read_parquet('{folder / "parcels.parquet"}') WHERE street_code IS NULL) q
            JOIN (SELECT code, ST_GeomFromWKB(wkb) AS g FROM zones_wkb) z ON ST_Contains(z.g, q.pt)) z
            WHERE parcels.parcel_id = z.parcel_id""")


def run_duckdb(folder: Path, year: int, method: Method, stages: Stages, cache: Path, first: bool):
    """Classes (Series by credit code) and zone totals (pandas, by zone and class)."""
    db = cache / DB_FILE
    if first:
        with stages.stage("duckdb: read the raw files, check, write its cache (database file)") as note:
            shutil.rmtree(cache, ignore_errors=True)
            cache.mkdir(parents=True)
            con = duckdb_connection(str(db))
            _first_run(con, folder, method, note)
            con.execute("CHECKPOINT")
    else:
        con = duckdb_connection(str(db), read_only=True, spatial=False)
    with stages.stage("duckdb: land, indicators, scores, classes, zone totals (SQL)") as note:
        con.execute(f"CREATE TEMP TABLE scored AS {method_sql(method, year)}")
        totals = con.execute(ZONE_TOTALS_SQL).df()
        classes = con.execute("SELECT credit_code, class FROM scored").df()
        note["evaluated"] = len(classes)
    con.close()
    return pd.Series(classes["class"].to_numpy(), index=classes["credit_code"].to_numpy(), name="class", dtype="string"), totals


__all__ = ["run_duckdb", "method_sql", "duckdb_connection"]
