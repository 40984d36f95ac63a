"""Land per enterprise, the one implementation: the area an enterprise uses on a parcel is the
parcel's registered area × the enterprise's share of it (``used_mu``; ``used_geom_mu`` from the
measured area, for comparison), and an enterprise's land is the sum over its parcels. The pandas
path and the dask engine both take ``with_used_area``; the sums are ``enterprise_land`` here and
a group-by of the same columns on dask."""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.core.keys import take_rows
from helpers.io.dataset import Dataset


def with_used_area(links: pd.DataFrame) -> pd.DataFrame:
    """``links`` (link rows with their parcel's ``registered_area_mu`` and ``geom_area_mu``) with
    ``used_mu`` and ``used_geom_mu``: each area × the link's ``share`` (亩)."""
    return links.assign(used_mu=links["registered_area_mu"] * links["share"], used_geom_mu=links["geom_area_mu"] * links["share"])


def used_land(dataset: Dataset, parcel_extra: dict[str, pd.Series] | None = None) -> pd.DataFrame:
    """The link table with the area each enterprise uses on each parcel: ``used_mu`` (registered
    area × share) and ``used_geom_mu`` (measured area × share); plus ``parcel_extra`` columns
    (Series indexed as ``dataset.parcels``, e.g. each parcel's zone)."""
    parcels = dataset.parcels[["registered_area_mu", "geom_area_mu"]].assign(**(parcel_extra or {}))
    links = pd.concat([dataset.links.reset_index(drop=True), take_rows(parcels, dataset.link_rows()[0])], axis=1)
    return with_used_area(links)


def enterprise_land(dataset: Dataset) -> pd.DataFrame:
    """Land each enterprise uses: ``land_mu`` (Σ registered area × share), parcel count, main parcel
    (the largest ``used_mu``; the first link of the table among equals)."""
    links = used_land(dataset)
    codes = dataset.enterprises["credit_code"]
    who = dataset.link_rows()[1]
    known = who >= 0
    who, used, used_geom = who[known], links["used_mu"].to_numpy(float)[known], links["used_geom_mu"].to_numpy(float)[known]
    n = len(codes)
    out = pd.DataFrame(
        {
            "credit_code": codes.reset_index(drop=True),
            "land_mu": np.bincount(who, weights=np.nan_to_num(used), minlength=n),
            "land_geom_mu": np.bincount(who, weights=np.nan_to_num(used_geom), minlength=n),
            "n_parcels": np.bincount(who, minlength=n).astype(int),
        }
    )
    order = np.lexsort((np.arange(len(who)), -used, who))  # by enterprise, largest first, table order
    first = order[np.r_[True, who[order][1:] != who[order][:-1]]] if len(order) else order
    main_link = np.full(n, -1, dtype=np.int64)
    main_link[who[first]] = np.flatnonzero(known)[first]
    out["main_parcel_id"] = take_rows(links[["parcel_id"]], main_link)["parcel_id"]
    return out


__all__ = ["with_used_area", "used_land", "enterprise_land"]
