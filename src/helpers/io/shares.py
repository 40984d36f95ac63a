"""Shares of parcels the data do not give: which part of a parcel each of its enterprises uses.

A county export names the parcel on each enterprise's row (宗地编号) but rarely a share. A parcel
with one enterprise is all its own (share 1). A parcel used by several with no shares given is
split by the rule ``missing_shares`` in ``data/reference/validation.yaml``: ``declared_area`` (in
proportion to each enterprise's declared 用地面积, the latest year's; equal where one lacks it) or
``equal``. Shares that are given are kept and the rest of the parcel is split among the others.
Every filled share is said in the check's notes, and the report's data overview repeats them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SHARE_RULES = ("declared_area", "equal")


def declared_land(panel: pd.DataFrame | None) -> pd.Series:
    """Each enterprise's declared 用地面积 (亩) of its latest year that has one, by credit code."""
    if panel is None or "declared_land_mu" not in panel:
        return pd.Series(dtype=float)
    known = panel.loc[panel["declared_land_mu"].gt(0), ["credit_code", "year", "declared_land_mu"]]
    return known.sort_values("year").drop_duplicates("credit_code", keep="last").set_index("credit_code")["declared_land_mu"]


def fill_shares(links: pd.DataFrame, panel: pd.DataFrame | None, rule: str) -> tuple[pd.DataFrame, list[str]]:
    """``links`` with every missing ``share`` filled (see the module), and notes saying how."""
    if rule not in SHARE_RULES:
        raise ValueError(f"data/reference/validation.yaml: missing_shares must be one of {SHARE_RULES}, not {rule!r}")
    share = links["share"].astype(float) if "share" in links else pd.Series(np.nan, index=links.index)
    missing = share.isna().to_numpy()
    if not missing.any():
        return links, []
    parcel = links["parcel_id"]
    users = links.groupby(parcel)["credit_code"].transform("nunique").to_numpy()
    rest = (1 - share.fillna(0).groupby(parcel).transform("sum")).clip(lower=0).to_numpy()
    weight = np.ones(len(links))
    if rule == "declared_area":
        area = links["credit_code"].map(declared_land(panel)).to_numpy(dtype=float)
        has_area = pd.Series(~missing | (area > 0)).groupby(parcel.to_numpy()).transform("all").to_numpy()
        weight = np.where(has_area & (area > 0), area, 1.0)
    weight = np.where(missing, weight, 0.0)
    total = pd.Series(weight).groupby(parcel.to_numpy()).transform("sum").to_numpy()
    filled = share.to_numpy(copy=True)
    filled[missing] = (rest * weight / np.where(total > 0, total, 1))[missing]
    out = links.assign(share=filled)
    alone, shared = missing & (users == 1), missing & (users > 1)
    notes = []
    if alone.any():
        notes.append(f"使用比例 share not given for {int(alone.sum())} links whose parcel has one enterprise: share 1")
    if shared.any():
        parcels = pd.unique(parcel[shared])
        how = "in proportion to their declared 用地面积" if rule == "declared_area" else "equally"
        notes.append(
            f"使用比例 share not given on {len(parcels)} parcels used by several enterprises: split {how} "
            f"(missing_shares: {rule}, data/reference/validation.yaml): {', '.join(map(str, parcels[:10]))}"
            + (" …" if len(parcels) > 10 else "")
        )
    return out, notes


__all__ = ["SHARE_RULES", "declared_land", "fill_shares"]
