"""Land per enterprise, the one implementation: the area an enterprise uses on a parcel is the
parcel's registered area × the enterprise's share of it (``used_mu``; ``used_geom_mu`` from the
measured area, for comparison), and an enterprise's parcel land is the sum over its parcels. The
pandas path and the dask engine both take ``with_used_area``; the sums are ``enterprise_land``
here and a group-by of the same columns on dask.

The 亩均 denominator is chosen by ``land_basis`` (``with_land_basis``): ``declared`` (default) takes
the 用地面积 the enterprise's yearly row declares, as the official evaluation does, and the parcel
land where a row declares none; ``parcels`` takes the parcel land (Σ registered area × share)."""

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


def link_used_mu(dataset: Dataset, column: str = "registered_area_mu") -> np.ndarray:
    """Each link row's parcel area ``column`` × its share (亩), missing where the link's parcel is
    not in the layer: ``with_used_area``'s product, taken on the link rows' parcel positions."""
    parcel_row = dataset.link_rows()[0]
    has_parcel = parcel_row >= 0
    area = dataset.parcels[column].to_numpy(dtype=float, na_value=np.nan)
    share = dataset.links["share"].to_numpy(dtype=float, na_value=np.nan)
    return np.where(has_parcel, area[np.where(has_parcel, parcel_row, 0)], np.nan) * share


def enterprise_land(dataset: Dataset) -> pd.DataFrame:
    """Land each enterprise uses: ``land_mu`` (Σ registered area × share), parcel count, main parcel
    (the largest ``used_mu``; the first link of the table among equals). The products of
    ``with_used_area`` (``link_used_mu``), taken on the link rows' positions (no link table is built)."""
    who = dataset.link_rows()[1]
    codes = dataset.enterprises["credit_code"]
    known = who >= 0
    at = np.flatnonzero(known)
    who, used_mu, used_geom = who[known], link_used_mu(dataset)[known], link_used_mu(dataset, "geom_area_mu")[known]
    n = len(codes)
    out = pd.DataFrame(
        {
            "credit_code": codes.reset_index(drop=True),
            "land_mu": np.bincount(who, weights=np.nan_to_num(used_mu), minlength=n),
            "land_geom_mu": np.bincount(who, weights=np.nan_to_num(used_geom), minlength=n),
            "n_parcels": np.bincount(who, minlength=n).astype(int),
        }
    )
    # the main link: the largest used area of the enterprise (a missing one counts least), the first in table order among equals
    ranked = np.where(np.isnan(used_mu), -np.inf, used_mu)
    largest = np.full(n, -np.inf)
    np.maximum.at(largest, who, ranked)
    top = np.flatnonzero(ranked == largest[who])
    main_link = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(main_link, who[top], at[top])
    main_link[main_link == np.iinfo(np.int64).max] = -1
    out["main_parcel_id"] = take_rows(dataset.links[["parcel_id"]].reset_index(drop=True), main_link)["parcel_id"]
    return out


LAND_BASES = {
    "declared": "企业申报用地面积（无申报时用宗地登记面积×使用比例）/ declared 用地面积, parcel land where none is declared",
    "parcels": "宗地登记面积×使用比例 / registered parcel area × share",
}


def check_land_basis(land_basis: str) -> str:
    if land_basis not in LAND_BASES:
        raise ValueError(f"land_basis = {land_basis!r}: use one of {', '.join(LAND_BASES)}")
    return land_basis


def with_land_basis(frame: pd.DataFrame, land_basis: str = "declared") -> pd.DataFrame:
    """``frame`` (enterprises with their parcel land ``land_mu`` and their year's panel row) with
    ``land_mu`` the 亩均 denominator of ``land_basis`` (亩), ``parcel_land_mu`` the parcel land kept
    for comparison, and ``land_basis`` per enterprise: "declared" or "parcels"."""
    check_land_basis(land_basis)
    frame["parcel_land_mu"] = frame["land_mu"]
    declared = frame["declared_land_mu"] if "declared_land_mu" in frame else None
    use = np.zeros(len(frame), dtype=bool)
    if land_basis == "declared" and declared is not None:
        use = declared.gt(0).to_numpy(dtype=bool, na_value=False)
        frame["land_mu"] = np.where(use, declared.to_numpy(dtype=float, na_value=np.nan), frame["land_mu"].to_numpy(dtype=float))
    frame["land_basis"] = pd.Categorical.from_codes(use.astype(np.int8), categories=["parcels", "declared"])
    return frame


def land_differences(frame: pd.DataFrame, tolerance: float) -> pd.DataFrame:
    """Evaluated or excluded enterprises whose declared 用地面积 differs from their parcel land
    (registered × share) or from the measured area of their parcels (× share) by more than
    ``tolerance`` (a fraction): the differences an office checks before publishing a list."""
    if "declared_land_mu" not in frame or not frame["declared_land_mu"].notna().any():
        return pd.DataFrame(columns=["credit_code", "name", "declared_land_mu", "parcel_land_mu", "land_geom_mu"])
    declared = frame["declared_land_mu"]
    vs_registered = declared / frame["parcel_land_mu"].where(frame["parcel_land_mu"] > 0) - 1
    vs_measured = declared / frame["land_geom_mu"].where(frame["land_geom_mu"] > 0) - 1
    far = declared.notna() & ((vs_registered.abs() > tolerance) | (vs_measured.abs() > tolerance) | frame["parcel_land_mu"].le(0))
    out = frame.loc[far, ["credit_code", "name", "declared_land_mu", "parcel_land_mu", "land_geom_mu"]].copy()
    out["vs_registered"] = vs_registered[far]
    out["vs_measured"] = vs_measured[far]
    return out.sort_values("vs_registered", key=lambda s: -s.abs(), na_position="first").reset_index(drop=True)


__all__ = [
    "link_used_mu",
    "LAND_BASES",
    "check_land_basis",
    "with_used_area",
    "used_land",
    "enterprise_land",
    "with_land_basis",
    "land_differences",
]
