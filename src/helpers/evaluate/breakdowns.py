"""Tables the notebooks show: breakdowns, class counts, the benchmark table, the weakest list.
Column headers are Chinese with English, ready to display."""

from __future__ import annotations

import pandas as pd

from helpers.core.industries import chain_names, missing_chain
from helpers.evaluate.evaluation import Evaluation
from helpers.evaluate.indicators import aggregate_ratio, indicator_defs, ratio

BREAKDOWN_INDICATORS = ["tax_per_mu", "va_per_mu", "labour_productivity", "va_per_energy"]
SIZE_BANDS_MU = [0, 3, 10, 30, 100, float("inf")]


def size_band(land_mu: pd.Series) -> pd.Series:
    labels = ["<3亩", "3-10亩", "10-30亩", "30-100亩", "≥100亩"]
    return pd.cut(land_mu, SIZE_BANDS_MU, right=False, labels=labels)


def breakdown(evaluated: pd.DataFrame, by: str) -> pd.DataFrame:
    """Per group: enterprises, land (亩), tax (万元), and aggregate indicators (Σ/Σ)."""
    defs = indicator_defs()
    rows = []
    for key, g in evaluated.groupby(by, observed=True, sort=True):
        row = {
            by: key,
            "企业数 enterprises": len(g),
            "用地 land (亩)": g["land_mu"].sum(),
            "税收 tax (万元)": g["tax_10k_yuan"].sum(),
        }
        for i in BREAKDOWN_INDICATORS:
            row[defs[i].label] = aggregate_ratio(g, i)
        rows.append(row)
    out = pd.DataFrame(rows)
    if by == "industry_chain":
        order = {c: k for k, c in enumerate([*chain_names(), missing_chain()])}
        out = out.sort_values(by, key=lambda s: s.map(order)).reset_index(drop=True)
    return out


def class_counts(evaluated: pd.DataFrame) -> pd.DataFrame:
    """Pools (Chinese names) × classes A-D, counts of enterprises."""
    t = pd.crosstab(evaluated["pool_zh"], evaluated["class"])
    order = list(dict.fromkeys(evaluated["pool_zh"]))
    return t.reindex(index=order, columns=[c for c in "ABCD" if c in t.columns], fill_value=0)


def benchmark_table(ev: Evaluation) -> pd.DataFrame:
    defs = indicator_defs()
    b = ev.benchmarks.copy()
    kind = {
        "fixed": "固定值（方法文件）fixed",
        "pool_aggregate": "本池当年合计均值 Σ/Σ of the pool",
        "pool_mean": "本池当年算术平均 mean of the pool",
    }
    missing = {"zero": "缺失记0分 missing = 0", "pool_mean_item_score": "缺失取本池该项平均得分 pool mean item score"}
    return pd.DataFrame(
        {
            "评价池 pool": b["pool_zh"],
            "指标 indicator": b["indicator"].map(lambda i: defs[i].zh),
            "单位 unit": b["indicator"].map(lambda i: defs[i].unit),
            "权重 weight": b["weight"],
            "基准值 benchmark": b["benchmark"],
            "基准值来源 how set": b["benchmark_kind"].map(kind),
            "缺失处理 missing": b["missing_rule"].map(missing),
            "缺失数 n missing": b["n_missing"],
            "参评数 n": b["n"],
        }
    )


def weakest(ev: Evaluation, n: int) -> pd.DataFrame:
    """The ``n`` lowest-scoring enterprises of each pool."""
    e = ev.evaluated.sort_values(["pool", "score"], kind="stable")
    e = e.groupby("pool", sort=False).head(n)
    defs = indicator_defs()
    return pd.DataFrame(
        {
            "评价池 pool": e["pool_zh"],
            "企业名称 name": e["name"],
            "统一社会信用代码 code": e["credit_code"],
            "所属镇街 street": e["street_name"],
            "产业链 chain": e["industry_chain"],
            "用地 land (亩)": e["land_mu"].round(2),
            defs["tax_per_mu"].label: ratio(e["tax_10k_yuan"], e["land_mu"]).round(2),
            "综合得分 score": e["score"].round(2),
            "排名 rank": e["rank"],
            "类别 class": e["class"],
        }
    ).reset_index(drop=True)


def area_agreement(parcels: pd.DataFrame, tolerance: float = 0.05) -> pd.DataFrame:
    """Registered area against the area of the geometry (EPSG:4549): how many parcels differ by
    more than ``tolerance`` (relative), and the largest differences."""
    diff = parcels["registered_area_mu"] / parcels["geom_area_mu"] - 1
    far = diff.abs() > tolerance
    out = parcels.loc[far, ["parcel_id", "street_code", "registered_area_mu", "geom_area_mu"]].copy()
    out["difference"] = diff[far]
    return out.sort_values("difference", key=abs, ascending=False).reset_index(drop=True)


def goals_display(goals: pd.DataFrame, year: int) -> pd.DataFrame:
    """The measured goals as a table a reader can scan: target and actual in the goal's unit
    (shares as %), and 达标 / 未达标."""
    g = goals[goals["actual"].notna()]
    pct = g["unit"] == "比例"
    scale = pct.map({True: 100.0, False: 1.0})
    return pd.DataFrame(
        {
            "目标 goal": g["text"],
            "目标值 target": [f"{c} {v:g}" for c, v in zip(g["comparator"], g["value"] * scale)],
            f"{year}年实际 actual": [f"{a:.2f}" for a in g["actual"] * scale],
            "单位 unit": g["unit"].where(~pct, "%"),
            "结果 result": g["met"].map({True: "达标 met", False: "未达标 not met"}),
        }
    ).reset_index(drop=True)
