"""The parcel view of an evaluation: each enterprise's tax allocated to its parcels in proportion to
the area it uses on each, 亩均税收 per parcel, and the class of each parcel's main user."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from helpers.core.keys import lookup, take_rows
from helpers.evaluate.indicators import ratio
from helpers.evaluate.land import used_land
from helpers.io.dataset import Dataset

USER_COLUMNS = ["credit_code", "parcel_land_mu", "tax_10k_yuan", "status", "class", "pool", "score"]
# what parcel_view adds to the parcel layer, in its order (``evaluate.stored`` keeps only these)
PARCEL_COLUMNS = ("tax_10k_yuan", "evaluated_mu", "tax_per_mu", "main_user", "class", "pool", "n_users", "status")


def allocate_tax(users: pd.DataFrame, frame: pd.DataFrame, frame_rows=None) -> pd.DataFrame:
    """Link rows (``used_land``) with their enterprise's status, class and tax, and ``tax_alloc``:
    the enterprise's tax split over its parcels in proportion to the area it uses on each.
    ``frame_rows``: each link's row in ``frame`` when known (``enterprise_rows``)."""
    if frame_rows is None:
        users = lookup(users, frame[USER_COLUMNS], "credit_code")
    else:
        users = pd.concat(
            [users.reset_index(drop=True), take_rows(frame[USER_COLUMNS].drop(columns="credit_code"), frame_rows)], axis=1
        )
    # over the parcel land: an enterprise's whole tax lands on its parcels whatever the 亩均 land basis
    users["tax_alloc"] = users["tax_10k_yuan"] * users["used_mu"] / users["parcel_land_mu"]
    return users


def enterprise_rows(dataset: Dataset, frame: pd.DataFrame):
    """Each link's row in ``frame`` when ``frame`` lists the dataset's enterprises in their order
    (as ``evaluate_frame`` does), else None (``allocate_tax`` then looks the codes up)."""
    same = frame["credit_code"].reset_index(drop=True).equals(dataset.enterprises["credit_code"].reset_index(drop=True))
    return dataset.link_rows()[1] if same else None


def parcel_view(dataset: Dataset, frame: pd.DataFrame) -> gpd.GeoDataFrame:
    """Per parcel: tax allocated from its users (each enterprise's tax split over its parcels in
    proportion to the area it uses on each), used area, 亩均税收, and the class of the main user
    (largest share; ``status`` says 'idle' where no enterprise uses the parcel).

    The main user is the first link of the parcel by share (largest first), then credit code;
    ``main_user``, ``status``, ``class`` and ``pool`` are each the first value that is there in
    that order (a parcel whose main user has no class shows the class of the next user that has
    one). Found on the links' parcel rows (``Dataset.link_rows``), not by grouping text keys."""
    users = allocate_tax(used_land(dataset), frame, enterprise_rows(dataset, frame))
    parcel_row = dataset.link_rows()[0]
    n = len(dataset.parcels)
    known = parcel_row >= 0  # a link to a parcel the layer lacks adds to no parcel
    row = parcel_row[known]
    evaluated = (users["status"] == "evaluated").to_numpy(dtype=bool, na_value=False)[known]

    def total(column: str) -> np.ndarray:  # the evaluated users' sum per parcel; missing where none
        values = pd.Series(users[column].to_numpy(dtype=float, na_value=np.nan)[known][evaluated])
        sums = values.groupby(row[evaluated]).sum()  # pandas' compensated sum, grouped by integer rows
        out = np.full(n, np.nan)
        out[sums.index.to_numpy()] = sums.to_numpy()
        return out

    p = dataset.parcels.copy()
    p["tax_10k_yuan"] = total("tax_alloc")
    p["evaluated_mu"] = total("used_mu")
    p["tax_per_mu"] = ratio(p["tax_10k_yuan"], p["evaluated_mu"])

    share = users["share"].to_numpy(dtype=float, na_value=np.nan)[known]
    code_rank = pd.factorize(users["credit_code"].to_numpy(dtype=object)[known], sort=True)[0]
    order = np.lexsort((code_rank, -share, row))  # by parcel; largest share first; then credit code
    at = np.flatnonzero(known)[order]

    def first(column: str) -> pd.Series:  # per parcel, the first value there is in that order
        values = users[column].iloc[at]
        there = values.notna().to_numpy()
        found, where = np.unique(row[order][there], return_index=True)
        pick = np.full(n, -1, dtype=np.int64)
        pick[found] = np.flatnonzero(there)[where]
        return pd.Series(values.array.take(pick, allow_fill=True), index=p.index)

    p["main_user"] = first("credit_code")
    p["class"] = first("class")
    p["pool"] = first("pool")
    p["n_users"] = np.bincount(row[users["credit_code"].notna().to_numpy()[known]], minlength=n).astype(int)
    p["status"] = first("status").where(p["n_users"] > 0, "idle").fillna("idle")
    return p
