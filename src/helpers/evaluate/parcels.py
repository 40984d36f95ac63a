"""The parcel view of an evaluation: each enterprise's tax allocated to its parcels in proportion to
the area it uses on each, 亩均税收 per parcel, and the class of each parcel's main user."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from helpers.core.keys import lookup, take_rows
from helpers.evaluate.indicators import ratio
from helpers.evaluate.land import used_land
from helpers.io.dataset import Dataset

USER_COLUMNS = ["credit_code", "parcel_land_mu", "tax_10k_yuan", "status", "class", "pool", "score"]


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
    (largest share; ``status`` says 'idle' where no enterprise uses the parcel)."""
    users = allocate_tax(used_land(dataset), frame, enterprise_rows(dataset, frame))
    evaluated = users["status"] == "evaluated"
    agg = users[evaluated].groupby("parcel_id").agg(tax_10k_yuan=("tax_alloc", "sum"), evaluated_mu=("used_mu", "sum"))
    main = users.sort_values(["parcel_id", "share", "credit_code"], ascending=[True, False, True]).groupby("parcel_id").first()
    n_users = users.groupby("parcel_id")["credit_code"].count()
    p = dataset.parcels.copy()
    p = p.merge(agg, left_on="parcel_id", right_index=True, how="left")
    p["tax_per_mu"] = ratio(p["tax_10k_yuan"], p["evaluated_mu"])
    p["main_user"] = p["parcel_id"].map(main["credit_code"])
    p["class"] = p["parcel_id"].map(main["class"])
    p["pool"] = p["parcel_id"].map(main["pool"])
    p["n_users"] = p["parcel_id"].map(n_users).fillna(0).astype(int)
    main_status = p["parcel_id"].map(main["status"])
    p["status"] = main_status.where(p["n_users"] > 0, "idle").fillna("idle")
    return p
