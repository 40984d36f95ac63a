"""Task 1's energy budget (用能预算) and task 3's energy-intensity screening, from
data/methods/energy_budget.yaml."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from helpers.core import paths
from helpers.core.keys import is_in
from helpers.core.yamlfile import load_yaml
from helpers.evaluate.indicators import ratio

BUDGET_FILE = paths.METHODS_DIR / "energy_budget.yaml"


def load_budget_rule(path: str | Path = BUDGET_FILE) -> dict:
    return load_yaml(paths.resolve(path))


def energy_quotas(previous: pd.DataFrame, current: pd.DataFrame, rule: dict) -> pd.DataFrame:
    """Per enterprise evaluated this year: last year's use and class, this year's quota
    (last year's use × (1 + the class's adjustment)), actual use, and whether it is over.
    Enterprises without a previous evaluation are marked ``budgeted = False``."""
    adj = rule["adjustment_by_class"]
    prev = previous[["credit_code", "energy_tce", "class"]].rename(
        columns={"energy_tce": "previous_energy_tce", "class": "previous_class"}
    )
    out = current[["credit_code", "name", "street_name", "industry_chain", "energy_tce"]].merge(
        prev, on="credit_code", how="left"
    )
    out["quota_tce"] = out["previous_energy_tce"] * (1 + out["previous_class"].map(adj).astype(float))
    out["budgeted"] = out["quota_tce"].notna()
    out["over_tce"] = (out["energy_tce"] - out["quota_tce"]).where(out["budgeted"])
    out["over_budget"] = out["over_tce"].gt(0).fillna(False)
    return out


def budget_by(quotas: pd.DataFrame, by: str) -> pd.DataFrame:
    """Σ quota and Σ actual use of the budgeted enterprises, per group, with the share used."""
    q = quotas[quotas["budgeted"]]
    g = q.groupby(by, sort=True).agg(
        quota_tce=("quota_tce", "sum"),
        actual_tce=("energy_tce", "sum"),
        enterprises=("credit_code", "count"),
        over_budget=("over_budget", "sum"),
    )
    g["used_share"] = g["actual_tce"] / g["quota_tce"]
    return g.reset_index()


def new_producers(current: pd.DataFrame, previous: pd.DataFrame) -> pd.Series:
    """Enterprises evaluated this year that were not producing last year (未投产 or absent): the
    sample's stand-in for new energy-using projects (任务3)."""
    was_producing = previous.loc[previous["status"] == "evaluated", "credit_code"]
    producing_before = pd.Series(is_in(current["credit_code"], was_producing), index=current.index)
    return (current["status"] == "evaluated") & ~producing_before


def energy_intensity(frame: pd.DataFrame) -> pd.Series:
    """单位工业增加值能耗, tce per 万元 of value added (NaN where value added is not positive)."""
    return ratio(frame["energy_tce"], frame["value_added_10k_yuan"])


def above_control_line(frame: pd.DataFrame, rule: dict) -> pd.Series:
    return energy_intensity(frame).gt(float(rule["control_line_tce_per_10k_yuan_va"]["value"])).fillna(False)
