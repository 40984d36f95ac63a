"""Stable pseudonyms for enterprise names and credit codes, and coarse parcel outlines, for sharing.

A pseudonym is a keyed hash (HMAC-SHA256) of the credit code: the same code always gets the
same pseudonym under the same key, and nobody without the key can test a guessed code against
it. The key comes from the environment variable ``MUJUN_PSEUDONYM_KEY``; without it a fixed
public key is used, which is fine for the synthetic sample and **not** for real data (anyone can
recompute those pseudonyms from a list of real codes).
"""

from __future__ import annotations

import hashlib
import hmac
import os

import geopandas as gpd
import pandas as pd
import shapely

KEY_ENV = "MUJUN_PSEUDONYM_KEY"
PUBLIC_KEY = "linping-mujun-public-key"


def pseudonym_key() -> tuple[bytes, bool]:
    """The key and whether it is a private one (set in the environment)."""
    key = os.environ.get(KEY_ENV)
    return (key or PUBLIC_KEY).encode("utf-8"), bool(key)


def _tag(key: bytes, text: str) -> str:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest().upper()[:8]


def pseudonym(code: str, key: bytes) -> str:
    return f"企业-{_tag(key, code)}"


def pseudonymize(frame: pd.DataFrame, code_col: str = "credit_code", name_col: str = "name") -> pd.DataFrame:
    """A copy of ``frame`` whose name and code columns hold the pseudonym instead (rows without a
    code, e.g. idle parcels, stay empty)."""
    key, _ = pseudonym_key()
    out = frame.copy()
    alias = out[code_col].map(lambda c: pseudonym(str(c), key), na_action="ignore")
    if name_col in out:
        out[name_col] = alias
    out[code_col] = alias
    return out


def project_pseudonym(project_id: str, key: bytes) -> str:
    return f"项目-{_tag(key, f'project:{project_id}')}"


CODE_COLUMN = "credit_code"


def anonymize_dataset(dataset):
    """The dataset with every enterprise name and credit code replaced by its pseudonym, in every
    table that holds them, and project names (which often carry an enterprise's name) replaced
    too. Done at load, before any notebook code sees the data, so no output can carry them.
    Park and incubator names (public lists) are kept."""
    key, _ = pseudonym_key()
    alias = {c: pseudonym(str(c), key) for c in dataset.enterprises[CODE_COLUMN].dropna().unique()}

    def recode(table: pd.DataFrame) -> pd.DataFrame:
        return table.assign(**{CODE_COLUMN: table[CODE_COLUMN].map(alias)}) if CODE_COLUMN in table else table

    records = {}
    for name, table in dataset.records.items():
        table = recode(table)
        if name == "projects":
            table = table.assign(name=table["project_id"].map(lambda p: project_pseudonym(str(p), key)))
        records[name] = table
    return dataset.replace(
        enterprises=pseudonymize(dataset.enterprises),
        links=recode(dataset.links),
        panel=recode(dataset.panel),
        records=records,
        anonymized=True,
    )


def generalize(geoms: gpd.GeoSeries, metres: float) -> gpd.GeoSeries:
    """Parcel outlines coarsened for sharing: simplified and snapped to a ``metres`` grid in
    EPSG:4549, so a shared map shows where land is without its surveyed boundary."""
    from helpers.core.units import AREA_CRS

    projected = geoms.to_crs(AREA_CRS)
    coarse = shapely.set_precision(projected.simplify(metres).values, metres)
    keep = shapely.is_empty(coarse)  # a parcel smaller than the grid collapses: keep its centre cell
    if keep.any():
        cells = shapely.buffer(shapely.set_precision(projected.centroid.values[keep], metres), metres / 2, cap_style="square")
        coarse[keep] = cells
    return gpd.GeoSeries(coarse, index=geoms.index, crs=AREA_CRS).to_crs(geoms.crs)
