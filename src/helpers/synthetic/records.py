"""Synthetic programme records for the sample: the 高耗低效 remediation ledger (任务1-2), land
renewal (有机更新, 二、实施目标 and 任务4), green-factory awards (任务2), 小微企业园 and their star
ratings, and incubators (任务5). Counts come from ``records`` in data/sample/generator.yaml.

Coherent with the panel: the listed enterprises are those with the lowest latent 亩均税收, and the
ones that leave the 2023 panel are exactly the 整体腾退 cases completed in 2023.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from helpers.core.units import AREA_CRS

RECORD_FILES = {
    "remediation": "remediation.csv",
    "land_renewal": "land_renewal.csv",
    "green_factories": "green_factories.csv",
    "parks": "parks.geojson",
    "park_ratings": "park_ratings.csv",
    "incubators": "incubators.csv",
    "enterprise_attributes": "enterprise_attributes.csv",
    "projects": "projects.csv",
    "project_investment": "project_investment.csv",
    "outcomes": "outcomes.csv",
}


def make_records(
    config: dict,
    enterprises: pd.DataFrame,
    links: pd.DataFrame,
    parcels: gpd.GeoDataFrame,
    panel: pd.DataFrame,
    latent: pd.DataFrame,
    rng: np.random.Generator,
) -> dict:
    cfg = config["records"]
    years = list(config["years"])
    remediation = remediation_ledger(cfg, latent, years, rng)
    return {
        "remediation": remediation,
        "land_renewal": _renewal(cfg, remediation, links, parcels, years, rng),
        "green_factories": _green_factories(cfg, panel, latent, rng),
        **_parks(cfg, parcels, years, rng),
        "incubators": _incubators(cfg, parcels, rng),
        **_progress(config["progress"], enterprises, panel, latent, years, rng),
    }


def remediation_ledger(cfg, latent, years, rng) -> pd.DataFrame:
    """The 高耗低效 ledger: the lowest latent 亩均税收 listed in the first year (some in the second, by
    dynamic screening); the leavers 整体腾退, the others a way drawn from ``ways``; one row per year
    from listing: 列入清单, then 整治中 until 达标销号 (or 已退出 for the leavers in the last year)."""
    first, last = years[0], years[-1]
    with_land = latent[np.isfinite(latent["latent_tax_per_mu"])]
    n_listed = int(round(float(cfg["listed_share"]["value"]) * len(with_land)))
    listed = with_land.sort_values("latent_tax_per_mu", kind="stable").head(n_listed)
    exits = listed["exits"].to_numpy()
    ways = np.where(
        exits,
        "整体腾退",
        rng.choice(list(cfg["ways"]), size=len(listed), p=np.array(list(cfg["ways"].values())) / sum(cfg["ways"].values())),
    )
    listed_year = np.where(~exits & (rng.random(len(listed)) < cfg["listed_in_2022_share"]), first + 1, first)
    u = rng.random(len(listed))
    rows = []
    for code, way, ly, ui, gone in zip(listed["credit_code"], ways, listed_year, u, exits):
        for year in years:
            if year < ly:
                continue
            if gone:
                stage = "列入清单" if year == first else ("整治中" if year < last else "已退出")
            elif year == ly:
                stage = "列入清单"
            else:
                done = ui < float(cfg["completed_by"].get(year, 0))
                stage = "达标销号" if done else "整治中"
            rows.append((code, year, way, stage))
    return pd.DataFrame(rows, columns=["credit_code", "year", "way", "stage"])


def _renewal(cfg, remediation, links, parcels, years, rng) -> pd.DataFrame:
    """Parcels renewed: freed by completed exits, moves and mergers, upgraded in place, or idle revived."""
    area = parcels.set_index("parcel_id")["registered_area_mu"]
    done = remediation[remediation["stage"].isin(["达标销号", "已退出"])].sort_values("year").drop_duplicates("credit_code")
    kinds = {"整体腾退": ("腾退再利用", 1.0), "搬迁入园": ("搬迁腾空", 1.0), "兼并重组": ("兼并整合", 0.5)}
    if cfg["renewal"]["upgrade_counts_as_renewal"]:
        kinds["改造提升"] = ("原址改造", 1.0)
    rows = []
    links_of = {code: group for code, group in links.groupby("credit_code", sort=False)}
    for r in done.itertuples():
        if r.way not in kinds or r.credit_code not in links_of:
            continue
        label, share = kinds[r.way]
        for link in links_of[r.credit_code].itertuples():
            rows.append((link.parcel_id, r.year, label, round(float(area[link.parcel_id]) * link.share * share, 2)))
    used = set(links["parcel_id"])
    idle = np.array(sorted(set(parcels["parcel_id"]) - used))
    revive = rng.choice(idle, size=int(round(cfg["renewal"]["idle_revived_share"] * len(idle))), replace=False)
    for pid in sorted(revive):
        rows.append((pid, int(rng.choice(years[1:])), "闲置盘活", float(area[pid])))
    out = pd.DataFrame(rows, columns=["parcel_id", "year", "way", "area_mu"])
    # several users of one parcel renewed the same way in the same year make one record
    out = out.groupby(["parcel_id", "year", "way"], as_index=False)["area_mu"].sum().round({"area_mu": 2})
    return out.sort_values(["year", "parcel_id"]).reset_index(drop=True)


def _green_factories(cfg, panel, latent, rng) -> pd.DataFrame:
    above = panel.groupby("credit_code")["above_scale"].any()
    pool = latent[latent["credit_code"].map(above).fillna(False) & ~latent["exits"]]
    pool = pool.sort_values("va_per_energy", ascending=False).head(max(60, 3 * sum(cfg["green_factories_new"].values())))
    chosen = rng.permutation(pool["credit_code"].to_numpy())
    rows, i = [], 0
    for year, count in cfg["green_factories_new"].items():
        for code in chosen[i : i + count]:
            rows.append((code, int(year), str(rng.choice(["市级", "省级", "国家级"], p=[0.7, 0.25, 0.05]))))
        i += count
    return pd.DataFrame(rows, columns=["credit_code", "year", "level"])


def _parks(cfg, parcels, years, rng) -> dict:
    """Small-enterprise parks: groups of small neighbouring parcels, with star ratings by year."""
    p = parcels.to_crs(AREA_CRS)
    small = p[p["registered_area_mu"] < 20]
    taken = np.zeros(len(p), dtype=bool)
    tree = shapely.STRtree(p.geometry.to_numpy())
    parks: list = []
    order = rng.permutation(small.index.to_numpy())
    for seed in order:
        if len(parks) == cfg["parks"]["count"]:
            break
        if taken[seed]:
            continue
        near = tree.query(p.geometry.iloc[seed].centroid.buffer(260), predicate="intersects")
        near = [j for j in near if not taken[j] and p["registered_area_mu"].iloc[j] < 20]
        if len(near) < 5:
            continue
        hull = shapely.union_all(p.geometry.iloc[near].buffer(12).to_numpy()).convex_hull
        if any(hull.intersects(other) for other, _ in parks):
            continue
        taken[near] = True
        parks.append((hull, p["street_code"].iloc[seed]))
    gdf = gpd.GeoDataFrame(
        {"park_id": [f"PK{i + 1:02d}" for i in range(len(parks))], "street_code": [s for _, s in parks]},
        geometry=[g for g, _ in parks],
        crs=AREA_CRS,
    ).to_crs(parcels.crs)
    gdf["name"] = [f"示例小微企业园{i + 1:02d}" for i in range(len(gdf))]
    gdf["built_year"] = rng.integers(2012, 2020, size=len(gdf))
    stars_last = [s for s, n in sorted(cfg["parks"]["stars_2023"].items(), reverse=True) for _ in range(n)]
    stars_last = (stars_last + [1] * len(gdf))[: len(gdf)]
    stars_last = rng.permutation(stars_last)
    rows = []
    for pid, s_last in zip(gdf["park_id"], stars_last):
        s = int(s_last)
        for year in reversed(years):
            rows.append((pid, year, s))
            s = max(1, s - int(rng.random() < 0.4))
    ratings = pd.DataFrame(rows, columns=["park_id", "year", "stars"]).sort_values(["park_id", "year"])
    return {
        "parks": gdf[["park_id", "name", "street_code", "built_year", "geometry"]],
        "park_ratings": ratings.reset_index(drop=True),
    }


def _incubators(cfg, parcels, rng) -> pd.DataFrame:
    rows, have = [], 0
    streets = sorted(parcels["street_code"].unique())
    for year, total in sorted(cfg["incubators_cumulative"].items()):
        for k in range(have, total):
            kind = "孵化器" if k % 2 == 0 else "众创空间"
            rows.append((f"示例{kind}{k + 1:02d}", kind, "国家级" if k == 0 else "省级", int(year), str(rng.choice(streets))))
        have = total
    return pd.DataFrame(rows, columns=["name", "kind", "level", "recognised_year", "street_code"])


def _progress(cfg, enterprises, panel, latent, years, rng) -> dict:
    """Enterprise attributes, investment projects and counted outcomes for the task tracker."""
    return {
        "enterprise_attributes": _attributes(cfg, panel, latent, years, rng),
        **_projects(cfg["projects"], enterprises, years, rng),
        "outcomes": pd.DataFrame(
            [(m, int(y), float(v)) for m, by_year in cfg["outcomes"].items() for y, v in by_year.items()],
            columns=["measure", "year", "value"],
        ),
    }


def _attributes(cfg, panel, latent, years, rng) -> pd.DataFrame:
    producing = panel.loc[panel["in_production"].astype(bool), "credit_code"].unique()
    rd = panel[panel["year"] == years[0]].set_index("credit_code")
    intensity = (rd["rd_10k_yuan"] / rd["revenue_10k_yuan"].where(rd["revenue_10k_yuan"] > 0)).fillna(0)
    rows = []
    for attr, spec in cfg["attributes"].items():
        noisy = intensity.reindex(producing).fillna(0) * rng.lognormal(0, 0.5, size=len(producing))
        ranked = noisy.sort_values(ascending=False, kind="stable").index.to_numpy()
        have = 0
        for year, total in sorted(spec["cumulative"].items()):
            for code in ranked[have:total]:
                got = int(year) if year > years[0] else int(rng.integers(2012, years[0] + 1))
                rows.append((code, attr, spec["level"], got))
            have = total
    for attr, spec in cfg["coverage"].items():
        last_above = panel.loc[(panel["year"] == years[-1]) & panel["above_scale"].astype(bool), "credit_code"]
        order = rng.permutation(last_above.to_numpy())
        have = 0
        for year, share in sorted(spec["share"].items()):
            total = int(round(share * len(order)))
            for code in order[have:total]:
                got = int(year) if year > years[0] else int(rng.integers(2015, years[0] + 1))
                rows.append((code, attr, "区级及以上", got))
            have = max(have, total)
    return pd.DataFrame(rows, columns=["credit_code", "attribute", "level", "year"])


def _projects(cfg, enterprises, years, rng) -> dict:
    chains = ["高端装备", "生物医药/医疗器械", "集成电路", "新能源/新材料", "时尚(服装家纺)", "美妆", "其他"]
    streets = sorted(enterprises["street_code"].unique())
    rows, invest, k = [], [], 0
    for year in years:
        n = int(cfg["signed_per_year"][year])
        n_mfg = int(round(cfg["manufacturing_share"][year] * n))
        n_landed = int(round(cfg["landing_rate"][year] * n))
        manufacturing = np.zeros(n, dtype=bool)
        manufacturing[:n_mfg] = True
        landed = np.zeros(n, dtype=bool)
        landed[rng.permutation(n)[:n_landed]] = True
        amount = np.round(np.exp(rng.normal(np.log(2.0), 0.8, size=n)), 2)  # 亿元
        amount = np.clip(amount, 0.3, 9.5)
        big = np.flatnonzero(manufacturing & landed)[: int(cfg["major_landed"][year])]
        amount[big] = np.round(rng.uniform(10, 40, size=len(big)), 1)
        for i in range(n):
            k += 1
            pid = f"XM{year}{k:04d}"
            is_landed, is_mfg = bool(landed[i]), bool(manufacturing[i])
            chain_project = is_mfg and is_landed and amount[i] >= 1 and rng.random() < cfg["chain_share_of_landed_manufacturing"]
            started = year + int(rng.random() < 0.4) if is_landed else None
            completed = started + int(rng.integers(1, 3)) if started is not None else None
            completed = completed if completed is not None and completed <= years[-1] else None
            rows.append(
                (
                    pid,
                    f"示例项目{k:04d}",
                    str(rng.choice(chains)),
                    float(amount[i]),
                    is_mfg,
                    bool(rng.random() < cfg["foreign_share"]),
                    bool(chain_project),
                    str(rng.choice(streets)),
                    year,
                    year if is_landed else None,
                    started,
                    completed,
                )
            )
            if is_landed:
                share = min(
                    1.0,
                    float(rng.lognormal(np.log(cfg["fai_landing_year_share"]["median"]), cfg["fai_landing_year_share"]["sigma"])),
                )
                left = amount[i]
                for y in range(year, years[-1] + 1):
                    done = round(left * (share if y == year else 0.45), 2)
                    invest.append((pid, y, done))
                    left -= done
    projects = pd.DataFrame(
        rows,
        columns=[
            "project_id",
            "name",
            "industry_chain",
            "amount_100m_yuan",
            "manufacturing",
            "foreign",
            "chain_project",
            "street_code",
            "signed_year",
            "landed_year",
            "started_year",
            "completed_year",
        ],
    )
    for col in ("landed_year", "started_year", "completed_year"):
        projects[col] = projects[col].astype("Int64")
    return {"projects": projects, "project_investment": pd.DataFrame(invest, columns=["project_id", "year", "fai_100m_yuan"])}


def write_records(records: dict, out: Path) -> list[Path]:
    written = []
    for key, frame in records.items():
        path = out / RECORD_FILES[key]
        if isinstance(frame, gpd.GeoDataFrame):
            f = frame.copy()
            f["geometry"] = shapely.set_precision(f.geometry.array, 1e-7)
            path.write_text(f.to_json(ensure_ascii=False, drop_id=True), encoding="utf-8")
        else:
            frame.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")
        written.append(path)
    return written
