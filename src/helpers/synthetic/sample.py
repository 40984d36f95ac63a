"""Seeded synthetic sample of Linping's industrial parcels, enterprises and annual panel.

Real parts: the district boundary (data/geo), the 8 街道/镇 and their NBS codes, the published
aggregate figures in ``data/sample/generator.yaml``. Everything else is synthetic, drawn from a
seeded ``numpy.random.Generator`` so that the same seed and configuration give the same files:

1. **Street zones**: a Voronoi partition around approximate 街道 seats, clipped to the boundary.
2. **Parcels**: each industrial cluster (an approximate platform centre) lays a rotated grid of
   400 m blocks, picks blocks by a Gaussian of their distance to the centre, and splits each
   block into lots (vectorised recursive halving) around a lognormal target lot size.
3. **Enterprises** use parcels: most one parcel, some several, some parcels shared by a
   landlord and tenants, a few parcels idle, a few enterprises with no land of their own.
4. **Panel** 2021-2023: per-enterprise latent efficiency and growth, by chain; then the 规上
   aggregates are rescaled to equal the calibration figures exactly (规上 revenue is rescaled
   on its part above 2000万元, so the 规上 threshold stays consistent).
5. **A planted effect of remediation** (``remediation_effect`` in generator.yaml): the enterprises
   of the remediation ledger that stay lift their output per 亩 and cut their energy per value
   added by the configured shares from their first year in remediation on, before the
   calibration's rescaling (a common factor per pool and year). Notebook 06 must recover it; with
   the shares at 0 the panel is the one the same seed gives without an effect.

Run ``python -m helpers.synthetic.sample --out data/sample`` (what ``make sample`` does), or
``--n-parcels 1000000 --out /tmp/big`` for a larger set.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from helpers.core import paths
from helpers.core.credit_code import random_codes
from helpers.core.geography import load_boundary, synthetic_street_zones
from helpers.core.units import AREA_CRS, BOUNDARY_CRS, M2_PER_MU
from helpers.core.yamlfile import load_yaml
from helpers.synthetic.records import make_records, remediation_ledger, write_records

CONFIG_FILE = paths.SAMPLE_DIR / "generator.yaml"
ABOVE_SCALE_REVENUE = 2000.0  # 万元: 规上 = 主营业务收入 ≥ 2000万元
BLOCK_M = 400.0
ROAD_M = 24.0
LOT_SETBACK_M = 3.0
GENERATOR_VERSION = 3  # 2: tax ≤ a share of value added per enterprise; 规下 energy calibrated; 3: remediation effect planted

NAME_CHARS = list("恒泰鑫华康瑞丰源盛达宏宇嘉诚立新富通顺安隆和美佳益兴永昌荣信德正中凯明辉晟捷汇博锐")
CHAIN_WORDS = {
    "高端装备": ["精密机械", "智能装备", "电梯", "动力机械", "电气", "自动化设备"],
    "生物医药/医疗器械": ["生物医药", "医疗器械", "制药", "生物科技"],
    "时尚(服装家纺)": ["服饰", "家纺", "纺织", "制衣"],
    "美妆": ["化妆品", "日化"],
    "集成电路": ["微电子", "半导体", "电子科技"],
    "新能源/新材料": ["新材料", "新能源", "复合材料"],
    "其他": ["金属制品", "包装", "印刷", "家具", "食品"],
}


@dataclass
class Sample:
    parcels: gpd.GeoDataFrame
    enterprises: pd.DataFrame
    links: pd.DataFrame
    panel: pd.DataFrame
    zones: gpd.GeoDataFrame
    info: dict
    records: dict = field(default_factory=dict)  # programme records (sample_records)


def load_config(path: Path = CONFIG_FILE) -> dict:
    return load_yaml(path)


# ---------------------------------------------------------------- parcels
def split_lots(
    rects: np.ndarray, target_m2: np.ndarray, rng: np.random.Generator, max_depth: int = 12
) -> tuple[np.ndarray, np.ndarray]:
    """Split rectangles (x0, y0, x1, y1) along their longer side until each is at most
    about 1.4 × its target area. Returns the lots and the index of the block each came from."""
    rects = rects.copy()
    origin = np.arange(len(rects))
    target = target_m2.copy()
    for _ in range(max_depth):
        w = rects[:, 2] - rects[:, 0]
        h = rects[:, 3] - rects[:, 1]
        split = w * h > 1.4 * target
        if not split.any():
            break
        r, t, o = rects[split], target[split], origin[split]
        frac = rng.uniform(0.38, 0.62, size=len(r))
        vertical = (r[:, 2] - r[:, 0]) >= (r[:, 3] - r[:, 1])
        cut_x = r[:, 0] + frac * (r[:, 2] - r[:, 0])
        cut_y = r[:, 1] + frac * (r[:, 3] - r[:, 1])
        a, b = r.copy(), r.copy()
        a[vertical, 2] = cut_x[vertical]
        b[vertical, 0] = cut_x[vertical]
        a[~vertical, 3] = cut_y[~vertical]
        b[~vertical, 1] = cut_y[~vertical]
        rects = np.vstack([rects[~split], a, b])
        target = np.concatenate([target[~split], t, t])
        origin = np.concatenate([origin[~split], o, o])
    return rects, origin


def _cluster_blocks(
    cluster: dict, n_lots: int, outline, rng: np.random.Generator, lot_median_m2: float, lot_sigma: float, lot_min_m2: float
):
    """Blocks and lots of one cluster, in EPSG:4549 metres (lots as 5-corner rings)."""
    centre = gpd.GeoSeries(gpd.points_from_xy([cluster["lon"]], [cluster["lat"]]), crs=BOUNDARY_CRS)
    cx, cy = centre.to_crs(AREA_CRS).iloc[0].coords[0]
    theta = np.deg2rad(cluster.get("angle_deg", 0.0))
    sigma = float(cluster["sigma_m"])
    blocks_needed = max(4, int(np.ceil(n_lots / 3.0)) * 3)
    radius = int(np.ceil(np.sqrt(blocks_needed * 4) / 2)) + 2
    ij = np.array([(i, j) for i in range(-radius, radius + 1) for j in range(-radius, radius + 1)], dtype=float)
    local = ij * BLOCK_M
    rot = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    world = local @ rot.T + [cx, cy]
    if outline is not None:
        inner = outline.buffer(-BLOCK_M * 0.75)
        keep = shapely.contains_xy(inner, world[:, 0], world[:, 1])
        ij, local, world = ij[keep], local[keep], world[keep]
    d2 = ((world - [cx, cy]) ** 2).sum(axis=1)
    # Gaussian preference with jitter: order blocks by a noisy distance
    order = np.argsort(d2 / (2 * sigma**2) + rng.exponential(0.6, size=len(d2)))
    half = (BLOCK_M - ROAD_M) / 2
    lots_all, origin_all, used = [], [], 0
    for start in range(0, len(order), 64):
        chosen = order[start : start + 64]
        rect = np.column_stack(
            [local[chosen, 0] - half, local[chosen, 1] - half, local[chosen, 0] + half, local[chosen, 1] + half]
        )
        target = np.exp(rng.normal(np.log(lot_median_m2), lot_sigma, size=len(chosen)))
        target = np.maximum(target, lot_min_m2)
        lots, origin = split_lots(rect, target, rng)
        lots_all.append(lots)
        origin_all.append(chosen[origin])
        used += len(lots)
        if used >= n_lots:
            break
    lots = np.vstack(lots_all)
    origin = np.concatenate(origin_all)
    # keep whole blocks first (sorted by block preference), then cut to n_lots
    lots, origin = lots[:n_lots], origin[:n_lots]
    inset = np.minimum(LOT_SETBACK_M, 0.2 * np.minimum(lots[:, 2] - lots[:, 0], lots[:, 3] - lots[:, 1]))
    x0, y0, x1, y1 = (lots[:, 0] + inset, lots[:, 1] + inset, lots[:, 2] - inset, lots[:, 3] - inset)
    ring = np.stack(
        [
            np.column_stack([x0, y0]),
            np.column_stack([x1, y0]),
            np.column_stack([x1, y1]),
            np.column_stack([x0, y1]),
            np.column_stack([x0, y0]),
        ],
        axis=1,
    )
    ring = ring @ rot.T + [cx, cy]
    return ring


def make_parcels(
    config: dict,
    n_parcels: int,
    boundary: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    rng: np.random.Generator,
    clip_to_boundary: bool = True,
) -> gpd.GeoDataFrame:
    s = config["structure"]["parcel_area_mu"]
    outline = boundary.to_crs(AREA_CRS).geometry.union_all() if clip_to_boundary else None
    clusters = config["clusters"]
    shares = np.array([c["share"] for c in clusters], dtype=float)
    counts = np.floor(shares / shares.sum() * n_parcels).astype(int)
    counts[: n_parcels - counts.sum()] += 1
    cluster_idx: list = []
    placed: list = []
    for k, (cluster, n) in enumerate(zip(clusters, counts)):
        if n == 0:
            continue
        ask = int(n)
        while True:
            ring = _cluster_blocks(cluster, ask, outline, rng, s["median"] * M2_PER_MU, s["sigma"], s["min"] * M2_PER_MU)
            polys = shapely.polygons(ring)
            if placed:
                # drop lots that overlap clusters already placed (their grids can meet)
                tree = shapely.STRtree(np.concatenate(placed))
                hit = np.unique(tree.query(polys, predicate="intersects")[0])
                polys = polys[np.setdiff1d(np.arange(len(polys)), hit)]
            if len(polys) >= n or len(ring) < ask:
                break
            ask = int(ask * 1.25) + 10
        polys = polys[:n]
        placed.append(polys)
        cluster_idx.append(np.full(len(polys), k))
    geoms = np.concatenate(placed)
    gdf = gpd.GeoDataFrame({"cluster": np.concatenate(cluster_idx)}, geometry=geoms, crs=AREA_CRS)
    # street of each parcel: the synthetic zone containing its centroid (nearest zone if outside)
    cent = gpd.GeoDataFrame(geometry=gdf.geometry.centroid, crs=AREA_CRS)
    joined = gpd.sjoin_nearest(cent, zones.to_crs(AREA_CRS)[["street_code", "geometry"]], how="left")
    joined = joined[~joined.index.duplicated(keep="first")]
    gdf["street_code"] = joined["street_code"].to_numpy()
    geom_mu = gdf.geometry.area.to_numpy() / M2_PER_MU
    noise = rng.normal(0, 0.004, size=len(gdf))
    mismatch = rng.random(len(gdf)) < config["structure"]["registered_area_mismatch_share"]
    noise[mismatch] = rng.choice([-1, 1], size=mismatch.sum()) * rng.uniform(0.10, 0.30, size=mismatch.sum())
    gdf["registered_area_mu"] = np.round(geom_mu * (1 + noise), 2)
    grant = rng.choice(np.arange(1995, 2024), size=len(gdf), p=_grant_year_weights(np.arange(1995, 2024)))
    gdf["grant_year"] = grant
    p_std = np.where(grant >= 2022, 0.97, np.where(grant >= 2018, 0.80, 0.0))
    gdf["standard_land"] = rng.random(len(gdf)) < p_std
    gdf["land_use"] = "工业用地"
    # 宗地代码 in the shape of a real one: 6-digit county + 3 街道 + 3 街坊 + GB + 5-digit sequence
    gdf = gdf.sort_values(["street_code", "cluster"], kind="stable").reset_index(drop=True)
    seq = gdf.groupby("street_code").cumcount().to_numpy()
    gdf["parcel_id"] = [f"330113{sc[-3:]}{q // 100000 + 1:03d}GB{q % 100000:05d}" for sc, q in zip(gdf["street_code"], seq)]
    gdf = gdf.to_crs(BOUNDARY_CRS)
    gdf["geometry"] = shapely.set_precision(gdf.geometry.array, 1e-7)
    return gdf[
        ["parcel_id", "street_code", "registered_area_mu", "land_use", "grant_year", "standard_land", "cluster", "geometry"]
    ]


def _grant_year_weights(years: np.ndarray) -> np.ndarray:
    w = np.where(years < 2005, 0.6, np.where(years < 2015, 1.4, 1.0))
    return w / w.sum()


# ---------------------------------------------------------------- enterprises and links
def make_enterprises(config: dict, parcels: gpd.GeoDataFrame, rng: np.random.Generator):
    st = config["structure"]
    n = len(parcels)
    clusters = config["clusters"]
    order = rng.permutation(n)
    idle = np.zeros(n, dtype=bool)
    idle[order[: int(round(st["idle_parcel_share"] * n))]] = True
    used = np.flatnonzero(~idle)
    # one primary enterprise per used parcel, then merge some parcels into multi-parcel users
    owner = np.full(n, -1)
    owner[used] = np.arange(len(used))
    n_merge = int(round(st["multi_parcel_enterprise_share"] * len(used)))
    by_cluster = pd.Series(used).groupby(parcels["cluster"].to_numpy()[used])
    for _, idx in by_cluster:
        idx = rng.permutation(idx.to_numpy())
        take = int(round(n_merge * len(idx) / len(used)))
        for a, b in zip(idx[:take], idx[take : 2 * take]):
            owner[b] = owner[a]
    # renumber owners densely
    uniq, owner_dense = np.unique(owner[used], return_inverse=True)
    owner[used] = owner_dense
    n_owner = len(uniq)
    links = pd.DataFrame({"enterprise": owner[used], "parcel": used, "share": 1.0})
    # tenants on shared parcels
    n_shared = int(round(st["shared_parcel_share"] * len(used)))
    shared = rng.choice(used, size=n_shared, replace=False)
    tenant_rows, next_id, owner_share = [], n_owner, {}
    for p in shared:
        k = int(rng.integers(1, 3))
        shares = np.round(rng.uniform(0.08, 0.3, size=k), 2)
        for sh in shares:
            tenant_rows.append((next_id, p, float(sh)))
            next_id += 1
        owner_share[p] = round(1.0 - shares.sum(), 2)
    # each used parcel has one owner row so far: set the owners' shares in one pass
    links["share"] = links["parcel"].map(owner_share).fillna(links["share"])
    links = pd.concat([links, pd.DataFrame(tenant_rows, columns=["enterprise", "parcel", "share"])], ignore_index=True)
    n_landless = int(round(st["landless_enterprise_share"] * next_id))
    n_ent = next_id + n_landless
    # chain and industry by the cluster of the enterprise's first parcel
    first_parcel = links.groupby("enterprise")["parcel"].min().reindex(range(n_ent))
    lone_parcels = rng.choice(used, size=n_landless)  # where a landless firm is registered
    first_parcel.iloc[next_id:] = lone_parcels
    first_parcel = first_parcel.to_numpy().astype(int)
    cl = parcels["cluster"].to_numpy()[first_parcel]
    chain = np.empty(n_ent, dtype=object)
    for k, cluster in enumerate(clusters):
        members = np.flatnonzero(cl == k)
        names = list(cluster["chains"])
        w = np.array([cluster["chains"][c] for c in names], dtype=float)
        chain[members] = rng.choice(names, size=len(members), p=w / w.sum())
    codes = np.empty(n_ent, dtype=object)
    for c, spec in config["chains"].items():
        members = np.flatnonzero(chain == c)
        codes[members] = rng.choice(spec["codes"], size=len(members))
    founded = rng.integers(1990, 2022, size=n_ent)
    first_grant = parcels["grant_year"].to_numpy()[first_parcel]
    founded = np.minimum(founded, first_grant)
    division = np.where(founded >= 2021, "330113", "330110")
    credit = np.empty(n_ent, dtype=object)
    for div in ("330110", "330113"):  # distinct within a division, and divisions differ in the code
        m = np.flatnonzero(division == div)
        credit[m] = random_codes(len(m), [div], rng)
    enterprises = pd.DataFrame(
        {
            "credit_code": credit,
            "name": _names(chain, rng),
            "street_code": parcels["street_code"].to_numpy()[first_parcel],
            "industry_code": codes,
            "founded_year": founded,
            "chain": chain,
        }
    )
    links = (
        pd.DataFrame(
            {
                "credit_code": credit[links["enterprise"].to_numpy()],
                "parcel_id": parcels["parcel_id"].to_numpy()[links["parcel"].to_numpy()],
                "share": links["share"].to_numpy(),
            }
        )
        .sort_values(["credit_code", "parcel_id"])
        .reset_index(drop=True)
    )
    return enterprises, links


def _names(chain: np.ndarray, rng: np.random.Generator) -> list[str]:
    """Distinct names, all starting with 示例 so no real company is named."""
    n = len(chain)
    base = len(NAME_CHARS)
    digits = 3 if n < base**3 else 4
    perm = rng.permutation(base**digits)[:n]
    out = []
    for i, code in enumerate(perm):
        chars = "".join(NAME_CHARS[(code // base**d) % base] for d in range(digits))
        word = CHAIN_WORDS[chain[i]][code % len(CHAIN_WORDS[chain[i]])]
        out.append(f"示例{chars}{word}有限公司")
    return out


# ---------------------------------------------------------------- panel
def spatial_factor(config: dict, enterprises: pd.DataFrame, links: pd.DataFrame, parcels: gpd.GeoDataFrame) -> np.ndarray:
    """exp(Σ effect × Gaussian of the distance from each enterprise's main parcel to each bump);
    1 for enterprises without land. Deterministic: draws nothing from the random stream."""
    bumps = config.get("spatial_efficiency") or []
    if not bumps:
        return np.ones(len(enterprises))
    main = links.sort_values(["credit_code", "share", "parcel_id"], ascending=[True, False, True])
    main = main.groupby("credit_code")["parcel_id"].first()
    cent = parcels.set_index("parcel_id").geometry.to_crs(AREA_CRS).centroid
    where = main.reindex(enterprises["credit_code"]).map(cent)
    has = where.notna().to_numpy()
    x = np.array([p.x if p is not None and p == p else np.nan for p in where])
    y = np.array([p.y if p is not None and p == p else np.nan for p in where])
    centres = gpd.GeoSeries(gpd.points_from_xy([b["lon"] for b in bumps], [b["lat"] for b in bumps]), crs=BOUNDARY_CRS).to_crs(
        AREA_CRS
    )
    log_f = np.zeros(len(enterprises))
    for b, c in zip(bumps, centres):
        d2 = (x - c.x) ** 2 + (y - c.y) ** 2
        log_f += np.where(has, b["effect"] * np.exp(-d2 / (2 * float(b["sigma_m"]) ** 2)), 0.0)
    return np.exp(log_f)


def _calib(config: dict, group: str, key: str, year: int) -> float:
    return float(config["calibration"][group][key][year]["value"])


def capped_to_targets(tax: np.ndarray, cap: np.ndarray, groups: list[tuple[np.ndarray, np.ndarray, float]]) -> np.ndarray:
    """``tax`` scaled, group by group, so that the group's calibrated rows sum to its target, with
    no enterprise's tax above its ``cap`` (a share of its value added: tax ≤ value added holds per
    enterprise). Capped enterprises stay at the cap and the others take up the rest (a few rounds);
    negative taxes (refunds) are kept as they are. ``groups``: (members, calibrated rows, target)."""
    out = tax.astype(float).copy()
    for members, calibrated, target in groups:
        fixed = np.zeros(len(out), dtype=bool)
        for _ in range(20):
            free = calibrated & ~fixed & (out > 0)
            rest = target - out[calibrated & ~free].sum()
            if free.sum() == 0 or out[free].sum() <= 0:
                break
            scale = rest / out[free].sum()
            out = np.where(members & ~fixed & (out > 0), out * scale, out)
            over = members & (out > cap)
            if not over.any():
                break
            out = np.where(over, cap, out)
            fixed |= over
    return out


def make_panel(
    config: dict,
    enterprises: pd.DataFrame,
    links: pd.DataFrame,
    parcels: gpd.GeoDataFrame,
    rng: np.random.Generator,
    size_factor: float = 1.0,
    lift: dict[str, np.ndarray] | None = None,
) -> pd.DataFrame:
    """The yearly panel and each enterprise's latent figures. ``lift`` (``remediation_lift``): per
    year × enterprise factors on output (``output``) and on energy per value added
    (``energy_per_va``), applied before the calibration; the random draws do not depend on it."""
    st = config["structure"]
    years = list(config["years"])
    n = len(enterprises)
    area = parcels.set_index("parcel_id")["registered_area_mu"]
    land = (
        links.assign(mu=links["parcel_id"].map(area) * links["share"])
        .groupby("credit_code")["mu"]
        .sum()
        .reindex(enterprises["credit_code"])
        .fillna(0.0)
        .to_numpy()
    )
    chains = config["chains"]
    ch = enterprises["chain"].to_numpy()

    def by_chain(field: str) -> np.ndarray:
        return np.array([chains[c][field] for c in ch], dtype=float)

    efficiency = rng.lognormal(0.0, 0.75, size=n)  # latent: output per 亩
    efficiency *= spatial_factor(config, enterprises, links, parcels)
    land_for_output = np.where(land > 0, land, rng.uniform(1.0, 4.0, size=n))
    revenue0 = land_for_output * by_chain("rev_per_mu") * efficiency
    tax_rate = by_chain("tax_rate") * rng.lognormal(0.0, 0.55, size=n)
    va_rate = np.clip(by_chain("va_rate") * rng.lognormal(0.0, 0.18, size=n), 0.05, 0.6)
    productivity = by_chain("productivity") * rng.lognormal(0.0, 0.35, size=n)
    va_per_energy = by_chain("va_per_energy") * rng.lognormal(0.0, 0.6, size=n)
    rd_rate = by_chain("rd_rate") * rng.lognormal(0.0, 0.6, size=n) * (rng.random(n) > 0.15)
    kwh = st["electricity_10k_kwh_per_tce"]
    kwh_per_tce = rng.lognormal(np.log(kwh["median"]), kwh["sigma"], size=n)
    emi = st["va_per_emission"]
    va_per_emission = emi["median"] * rng.lognormal(0.0, emi["sigma"], size=n)
    growth = rng.normal(0.055, 0.10, size=(len(years), n))
    growth[0] = 0.0
    level = np.exp(np.cumsum(np.log1p(growth), axis=0))
    refund_2022 = rng.random(n) < 0.05  # large VAT refunds in 2022
    tax_cap = float(st["max_tax_share_of_value_added"]["value"])
    # entry and exit
    starts = np.full(n, years[0])
    new = rng.random(n) < st["new_producer_share"]
    starts[new] = rng.choice(years[1:], size=new.sum())
    # latent 亩均税收 of the first year: the lowest leave before the last year (整体腾退, see sample_records)
    latent_tax_per_mu = np.where(land > 0, revenue0 * tax_rate / np.maximum(land, 1e-9), np.inf)
    latent_tax_per_mu = np.where(starts <= years[0], latent_tax_per_mu, np.inf)
    n_exit = int(round(st["exit_share_2023"] * n))
    exit_last = np.zeros(n, dtype=bool)
    exit_last[np.argsort(latent_tax_per_mu, kind="stable")[:n_exit]] = True
    missing_emissions = rng.random(n) < st["missing_emissions_share"]

    # scale latent revenue so that the configured share of 2021 producers with land is 规上
    first = (starts <= years[0]) & (land > 0)
    share = float(st["above_scale_share_2021"]["value"])
    revenue0 *= ABOVE_SCALE_REVENUE / np.quantile(revenue0[first], 1 - share)

    rows = []
    for y_i, year in enumerate(years):
        present = ~(exit_last & (year == years[-1]))
        producing = present & (starts <= year)
        rev = revenue0 * level[y_i] * (lift["output"][y_i] if lift else 1.0)
        above = producing & (rev >= ABOVE_SCALE_REVENUE)
        below = producing & ~above
        with_land = land > 0
        calib = above & with_land
        # revenue: rescale the part above 2000万元 so that 规上 total matches (亿元 -> 万元)
        target_rev = _calib(config, "above_scale", "revenue_100m_yuan", year) * 1e4 * size_factor
        excess = rev[calib] - ABOVE_SCALE_REVENUE
        k = (target_rev - ABOVE_SCALE_REVENUE * calib.sum()) / excess.sum()
        rev = np.where(above, ABOVE_SCALE_REVENUE + (rev - ABOVE_SCALE_REVENUE) * k, rev)
        va = rev * va_rate * (1 + 0.02 * y_i)
        va *= _calib(config, "above_scale", "va_rate", year) * rev[calib].sum() / va[calib].sum()
        tax = rev * tax_rate
        if year == 2022:
            tax = np.where(refund_2022, -0.3 * tax, tax)
        calib_below = below & with_land
        tax = capped_to_targets(
            tax,
            va * tax_cap,
            [
                (above, calib, _calib(config, "above_scale", "tax_per_mu", year) * land[calib].sum()),
                (below, calib_below, _calib(config, "below_scale", "tax_per_mu", year) * land[calib_below].sum()),
            ],
        )
        emp = va / productivity
        emp *= (va[calib].sum() / _calib(config, "above_scale", "labour_productivity", year)) / emp[calib].sum()
        emp = np.maximum(np.round(emp), 3)
        energy = va / va_per_energy * (lift["energy_per_va"][y_i] if lift else 1.0)
        for group, members, where in (("above_scale", above, calib), ("below_scale", below, calib_below)):
            scale = (va[where].sum() / _calib(config, group, "va_per_energy", year)) / energy[where].sum()
            energy = np.where(members, energy * scale, energy)
        rd = rev * rd_rate
        rd *= _calib(config, "above_scale", "rd_ratio", year) * rev[calib].sum() / rd[calib].sum()
        emissions = np.where(above & missing_emissions, np.nan, va / va_per_emission)
        frame = pd.DataFrame(
            {
                "credit_code": enterprises["credit_code"].to_numpy(),
                "year": year,
                "above_scale": above,
                "in_production": producing,
                "revenue_10k_yuan": np.round(rev, 2),
                "tax_10k_yuan": np.round(tax, 2),
                "value_added_10k_yuan": np.round(va, 2),
                "employees": emp,
                "energy_tce": np.round(energy, 2),
                "electricity_10k_kwh": np.round(energy * kwh_per_tce, 2),
                "emissions_t": np.round(emissions, 4),
                "rd_10k_yuan": np.round(rd, 2),
            }
        )
        not_yet = present & ~producing
        money = [
            "revenue_10k_yuan",
            "tax_10k_yuan",
            "value_added_10k_yuan",
            "employees",
            "energy_tce",
            "electricity_10k_kwh",
            "emissions_t",
            "rd_10k_yuan",
        ]
        frame.loc[not_yet, money] = 0.0
        frame.loc[not_yet, "employees"] = rng.integers(5, 40, size=not_yet.sum())
        rows.append(frame[present])
    latent = pd.DataFrame(
        {
            "credit_code": enterprises["credit_code"].to_numpy(),
            "land_mu": land,
            "latent_tax_per_mu": latent_tax_per_mu,
            "va_per_energy": va_per_energy,
            "exits": exit_last,
        }
    )
    return pd.concat(rows, ignore_index=True), latent


def planted_effect(config: dict) -> dict[str, dict[int, float]]:
    """The configured effect of remediation: {"output" | "energy_per_va": {years since the first
    year in remediation: relative change}}; later years keep the last share."""
    cfg = config.get("remediation_effect") or {}
    return {k: {int(e): float(v) for e, v in (cfg.get(k) or {}).items()} for k in ("output", "energy_per_va")}


def remediation_lift(config: dict, latent: pd.DataFrame, rng: np.random.Generator) -> dict[str, np.ndarray] | None:
    """Per year × enterprise factors of the planted effect (None when it is zero): 1 + the share for
    the years since the enterprise's first year in remediation, for the enterprises of the ledger
    that do not leave. The ledger is drawn on a copy of ``rng`` at its current state, so that
    ``make_records`` draws the same ledger afterwards."""
    effect = planted_effect(config)
    if not any(v for shares in effect.values() for v in shares.values()):
        return None
    years = list(config["years"])
    probe = np.random.Generator(type(rng.bit_generator)())
    probe.bit_generator.state = rng.bit_generator.state
    ledger = remediation_ledger(config["records"], latent, years, probe)
    onset = ledger[ledger["stage"] != "列入清单"].groupby("credit_code")["year"].min()
    onset = onset.drop(ledger.loc[ledger["way"] == "整体腾退", "credit_code"], errors="ignore")
    first = latent["credit_code"].map(onset).to_numpy(dtype=float)  # NaN: never in remediation
    out = {}
    for key, shares in effect.items():
        factors = np.ones((len(years), len(latent)))
        if shares:
            table = np.array([shares.get(e, 0.0) for e in range(max(shares) + 1)])
            for y_i, year in enumerate(years):
                since = np.nan_to_num(year - first, nan=-1.0).astype(int)
                factors[y_i] = np.where(since >= 0, 1.0 + table[np.clip(since, 0, len(table) - 1)], 1.0)
        out[key] = factors
    return out


def calibration_table(config: dict | None = None) -> pd.DataFrame:
    """Every calibration figure of the generator with its kind and its source or reason."""
    config = config or load_config()
    rows = []
    for group, figures in config["calibration"].items():
        items = figures.items() if group in ("above_scale", "below_scale") else [(group, figures)]
        for key, years in items:
            for year, fig in years.items():
                rows.append(
                    {
                        "group": group if group != key else "",
                        "figure": key,
                        "year": int(year),
                        "value": fig["value"],
                        "kind": fig["kind"],
                        "source_or_reason": fig.get("source") or fig.get("reason", ""),
                    }
                )
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- all together
def generate(
    n_parcels: int | None = None, seed: int | None = None, config: dict | None = None, clip_to_boundary: bool = True
) -> Sample:
    config = config or load_config()
    n_parcels = int(n_parcels or config["n_parcels"])
    seed = int(config["seed"] if seed is None else seed)
    rng = np.random.default_rng(seed)
    boundary = load_boundary(config.get("boundary_source", "tianditu"))
    anchors = pd.DataFrame(config["street_anchors"])
    zones = synthetic_street_zones(boundary, anchors)
    parcels = make_parcels(config, n_parcels, boundary, zones, rng, clip_to_boundary)
    enterprises, links = make_enterprises(config, parcels, rng)
    # Other sizes (benchmarks): the district's absolute totals scale with the parcel count, so the
    # ratios (亩均税收, 增加值率 …) stay those of the calibration and no value turns negative.
    size_factor = n_parcels / float(config["n_parcels"])
    before_panel = rng.bit_generator.state
    panel, latent = make_panel(config, enterprises, links, parcels, rng, size_factor)
    lift = remediation_lift(config, latent, rng)
    if lift is not None:  # the same draws again, now with the remediated enterprises lifted
        rng.bit_generator.state = before_panel
        panel, latent = make_panel(config, enterprises, links, parcels, rng, size_factor, lift)
    records = make_records(config, enterprises, links, parcels, panel, latent, rng)
    info = {
        "synthetic": True,
        "statement": "合成数据：由 helpers.synthetic.sample 按固定随机种子生成，仅用于演示方法，不代表任何真实企业或宗地。"
        " Synthetic data generated by helpers.synthetic.sample with a fixed seed; it describes no real"
        " enterprise or parcel.",
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "n_parcels": int(len(parcels)),
        "n_enterprises": int(len(enterprises)),
        "boundary_source": config.get("boundary_source", "tianditu"),
        "years": list(config["years"]),
        "planted_effects": {"remediation": planted_effect(config)},
    }
    return Sample(
        parcels=parcels.drop(columns="cluster"),
        enterprises=enterprises.drop(columns="chain"),
        links=links,
        panel=panel,
        zones=zones,
        info=info,
        records=records,
    )


def write(sample: Sample, out: Path) -> list[Path]:
    """Write the sample's files into ``out`` (created if missing); returns the paths written."""
    import yaml

    out.mkdir(parents=True, exist_ok=True)
    written = [
        out / "parcels.parquet",
        out / "enterprises.csv",
        out / "enterprise_parcels.csv",
        out / "panel.csv",
        out / "street_zones_synthetic.geojson",
        out / "sample_info.yaml",
    ]
    sample.parcels.to_parquet(written[0], index=False, write_covering_bbox=True)
    for df, path in ((sample.enterprises, written[1]), (sample.links, written[2]), (sample.panel, written[3])):
        df.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")
    z = sample.zones.copy()
    z["geometry"] = shapely.set_precision(z.geometry.array, 1e-6)
    written[4].write_text(z.to_json(ensure_ascii=False, drop_id=True), encoding="utf-8")
    written[5].write_text(yaml.safe_dump(sample.info, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return written + write_records(sample.records, out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Generate the seeded synthetic Linping sample.")
    ap.add_argument("--out", default=str(paths.SAMPLE_DIR), help="output folder (default data/sample)")
    ap.add_argument("--n-parcels", type=int, default=None, help="number of parcels (default from generator.yaml)")
    ap.add_argument("--seed", type=int, default=None, help="random seed (default from generator.yaml)")
    ap.add_argument("--no-clip", action="store_true", help="let clusters grow past the district boundary (large n)")
    a = ap.parse_args(argv)
    sample = generate(a.n_parcels, a.seed, clip_to_boundary=not a.no_clip)
    for p in write(sample, paths.resolve(a.out, Path.cwd())):
        print(p)
    print(json.dumps({k: sample.info[k] for k in ("n_parcels", "n_enterprises", "seed")}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
