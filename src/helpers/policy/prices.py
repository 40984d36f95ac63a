"""差别化要素价格: what class-based surcharges raise and who bears them (data/scenarios/factor_prices.yaml).

Electricity: 万kWh × 元/kWh = 万元, so the surcharge in 万元 is the enterprise's 用电量 (万kWh) times
the rate of its class (the repeat rate after the configured number of consecutive years in that class)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from helpers.core import paths
from helpers.core.yamlfile import load_yaml
from helpers.evaluate.methods import Method
from helpers.evaluate.scoring import score_pool, select_pool

PRICES_FILE = paths.DATA_DIR / "scenarios" / "factor_prices.yaml"


def load_prices(path: str | Path = PRICES_FILE) -> dict:
    return load_yaml(paths.resolve(path))


def consecutive_years(classes_by_year: dict[int, pd.Series], year: int, cls: str) -> pd.Series:
    """For each enterprise (index: credit code), how many years up to ``year`` running it was in ``cls``."""
    run = pd.Series(0, index=classes_by_year[year].index)
    still = pd.Series(True, index=run.index)
    for y in sorted((y for y in classes_by_year if y <= year), reverse=True):
        in_cls = classes_by_year[y].reindex(run.index).eq(cls).fillna(False)
        still &= in_cls
        run += still.astype(int)
    return run


def electricity_surcharge(frame: pd.DataFrame, prices: dict, run_years: pd.Series | None = None) -> pd.Series:
    """Surcharge in 万元 per enterprise of ``frame`` (needs ``class`` and ``electricity_10k_kwh``)."""
    spec = prices["electricity_yuan_per_kwh"]
    rate = frame["class"].map(spec["by_class"]).astype(float).fillna(0.0)
    if run_years is not None and spec.get("repeat_years"):
        repeat = frame["credit_code"].map(run_years).fillna(0) >= int(spec["repeat_years"])
        rate = rate.where(~(repeat & (frame["class"] == spec["repeat_class"])), float(spec["repeat_yuan_per_kwh"]))
    return frame["electricity_10k_kwh"].fillna(0) * rate


def burden_by(frame: pd.DataFrame, surcharge: pd.Series, by: str) -> pd.DataFrame:
    return (
        frame.assign(surcharge_10k_yuan=surcharge)
        .groupby(by)
        .agg(payers=("surcharge_10k_yuan", lambda s: int((s > 0).sum())), surcharge_10k_yuan=("surcharge_10k_yuan", "sum"))
        .reset_index()
    )


def rescore(remaining: pd.DataFrame, method: Method) -> pd.DataFrame:
    """Classes of the enterprises that remain after a scenario, scored again with the same method:
    rank bands always fill, so others move into D when D-class enterprises leave."""
    out = remaining.copy()
    for pool in method.pools:
        members = out["pool"] == pool.id if "pool" in out else select_pool(out, pool)
        if members.any():
            scored, _ = score_pool(out[members], pool)
            out.loc[members, "class"] = scored["class"]
            out.loc[members, "score"] = scored["score"]
    return out
