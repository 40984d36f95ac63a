"""Progress of the plan's programmes from the optional record tables: the remediation pipeline
(任务2), land renewed and energy freed (二、实施目标, 任务4), green factories (任务2), small-enterprise
parks and incubators (任务5). Plan period: 2022-06-23 to 2023-12-31, so "new" counts 2022 and 2023."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from helpers.evaluate.indicators import ratio
from helpers.plan.tasks import PLAN_YEARS
from helpers.policy.low_efficiency import Rule

STAGE_ORDER = ["列入清单", "整治中", "达标销号", "已退出"]
DONE_STAGES = ("达标销号", "已退出")


def pipeline(remediation: pd.DataFrame) -> pd.DataFrame:
    """Years × stages: enterprises of the list at each stage."""
    t = pd.crosstab(remediation["year"], remediation["stage"])
    return t.reindex(columns=[s for s in STAGE_ORDER if s in t.columns], fill_value=0)


def completions(remediation: pd.DataFrame) -> pd.DataFrame:
    """First year each listed enterprise reached a done stage (达标销号 or 已退出), with its way."""
    done = remediation[remediation["stage"].isin(DONE_STAGES)].sort_values("year", kind="stable")
    return done.drop_duplicates("credit_code")[["credit_code", "year", "way", "stage"]].reset_index(drop=True)


def energy_freed(remediation: pd.DataFrame, panel: pd.DataFrame, rule: Rule) -> pd.DataFrame:
    """Energy freed per year by completed remediations: the enterprise's 综合能耗 in the year before
    completion × its way's energy share (rule file)."""
    c = completions(remediation)
    c["base_year"] = c["year"] - 1
    use = panel[["credit_code", "year", "energy_tce"]].rename(columns={"year": "base_year"})
    c = c.merge(use, on=["credit_code", "base_year"], how="left")
    c["energy_freed_tce"] = c["energy_tce"] * c["way"].map({w: v["energy_freed_share"] for w, v in rule.ways.items()})
    return c.groupby("year")["energy_freed_tce"].sum().rename_axis("year").reset_index()


def yearly_with_cumulative(values: pd.DataFrame, value: str, since: int = PLAN_YEARS[0]) -> pd.DataFrame:
    """Per year from ``since``: the value and its running total (what the plan's goals count)."""
    t = values[values["year"] >= since].groupby("year")[value].sum().reset_index()
    t["cumulative"] = t[value].cumsum()
    return t


def renewal_by_way(land_renewal: pd.DataFrame) -> pd.DataFrame:
    """Years × ways: 亩 of industrial land renewed."""
    return land_renewal.pivot_table(index="year", columns="way", values="area_mu", aggfunc="sum", fill_value=0.0)


def green_factories_new(green: pd.DataFrame) -> pd.DataFrame:
    t = green.groupby("year").size().rename("new").reset_index()
    t["cumulative_plan"] = t["new"].where(t["year"] >= PLAN_YEARS[0], 0).cumsum()
    return t


def stars_by_year(ratings: pd.DataFrame) -> pd.DataFrame:
    """Years × star levels: parks rated, plus the counts the plan names (≥3 stars, ≥4 stars)."""
    t = pd.crosstab(ratings["year"], ratings["stars"])
    t["三星级及以上"] = (ratings["stars"] >= 3).groupby(ratings["year"]).sum()
    t["四星级及以上"] = (ratings["stars"] >= 4).groupby(ratings["year"]).sum()
    return t


def park_performance(parks: gpd.GeoDataFrame, parcels: gpd.GeoDataFrame, ratings: pd.DataFrame, year: int) -> pd.DataFrame:
    """Per park: its parcels (centroid inside), land, tax, 亩均税收 of the evaluated land, stars in ``year``."""
    cent = gpd.GeoDataFrame(
        parcels[["parcel_id", "registered_area_mu", "tax_10k_yuan", "evaluated_mu"]],
        geometry=parcels.geometry.representative_point(),
        crs=parcels.crs,
    )
    joined = gpd.sjoin(cent, parks[["park_id", "geometry"]].to_crs(parcels.crs), predicate="within")
    g = joined.groupby("park_id").agg(
        parcels=("parcel_id", "count"),
        land_mu=("registered_area_mu", "sum"),
        tax_10k_yuan=("tax_10k_yuan", "sum"),
        evaluated_mu=("evaluated_mu", "sum"),
    )
    g["tax_per_mu"] = ratio(g["tax_10k_yuan"], g["evaluated_mu"])
    stars = ratings[ratings["year"] == year].set_index("park_id")["stars"]
    out = parks.drop(columns="geometry").set_index("park_id").join(g).join(stars)
    return out.reset_index()


def incubators_cumulative(incubators: pd.DataFrame, years: list[int]) -> pd.DataFrame:
    return pd.DataFrame({"year": years, "cumulative": [int((incubators["recognised_year"] <= y).sum()) for y in years]})
