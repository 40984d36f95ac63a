"""Stable pseudonyms for enterprise names and credit codes, and coarse parcel outlines, for sharing.

A pseudonym is a keyed hash (HMAC-SHA256) of the credit code: the same code always gets the
same pseudonym under the same key, and nobody without the key can test a guessed code against
it. The key (``pseudonym_key``), in this order:

1. the environment variable ``MUJUN_PSEUDONYM_KEY``;
2. for the synthetic sample only, a fixed public key (its pseudonyms need no secret);
3. the private key file ``.cache/pseudonym.key`` (``MUJUN_PSEUDONYM_KEY_FILE`` moves it), created
   with 256 random bits on first use, readable by its owner only, and never inside a run folder.

Real data are never pseudonymised with the public key (anyone could recompute those pseudonyms
from a list of real codes). Keep the key file to keep pseudonyms stable between runs; never share it.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from helpers.core import paths
from helpers.core.memory import collector_paused

KEY_ENV = "MUJUN_PSEUDONYM_KEY"
KEY_FILE_ENV = "MUJUN_PSEUDONYM_KEY_FILE"
PUBLIC_KEY = "linping-mujun-public-key"


def key_file() -> Path:
    """Where the private pseudonym key is kept (outside every run folder)."""
    return Path(os.environ.get(KEY_FILE_ENV) or paths.CACHE_DIR / "pseudonym.key")


def pseudonym_key(synthetic: bool = True) -> tuple[bytes, str]:
    """The key and where it came from (said on every anonymised page). ``synthetic``: the data are
    the synthetic sample, which may use the public key; real data get a private key, created
    and stored in ``key_file()`` when neither the environment nor the file holds one."""
    key = os.environ.get(KEY_ENV)
    if key:
        return key.encode("utf-8"), f"private key from the environment variable {KEY_ENV}"
    if synthetic:
        return PUBLIC_KEY.encode("utf-8"), "public key (synthetic sample only)"
    path = key_file()
    if path.is_file():
        return path.read_text(encoding="utf-8").strip().encode("utf-8"), f"private key file {path.name}"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    token = secrets.token_hex(32)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(token + "\n")
    return token.encode("utf-8"), f"private key file {path.name}, created now"


TAG_HEX = 12  # 48 bits: a million codes share a tag by a chance of about 1 in 500 (8 hex: about 116 pairs)


def _tag(key: bytes, text: str, length: int = TAG_HEX) -> str:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest().upper()[:length]


def pseudonym(code: str, key: bytes) -> str:
    """An enterprise's pseudonym: ``企业-`` and 12 hex characters of the keyed hash of its code."""
    return f"企业-{_tag(key, code)}"


def _distinct(alias: dict[str, str], what: str) -> dict[str, str]:
    """``alias`` itself, after making sure no two originals share a pseudonym (which would merge two
    enterprises or parcels in every table); a shared one is so unlikely that it stops the run."""
    if len(set(alias.values())) < len(alias):
        raise RuntimeError(f"two {what} share a pseudonym under this key; set another key ({KEY_ENV}) and run again")
    return alias


def pseudonymize(
    frame: pd.DataFrame, code_col: str = "credit_code", name_col: str = "name", key: bytes | None = None
) -> pd.DataFrame:
    """A copy of ``frame`` whose name and code columns hold the pseudonym instead (rows without a
    code, e.g. idle parcels, stay empty). ``key``: default the synthetic sample's (public) one."""
    key = key if key is not None else pseudonym_key()[0]
    out = frame.copy()
    alias = out[code_col].map(lambda c: pseudonym(str(c), key), na_action="ignore")
    if name_col in out:
        out[name_col] = alias
    out[code_col] = alias
    return out


def project_pseudonym(project_id: str, key: bytes) -> str:
    return f"项目-{_tag(key, f'project:{project_id}')}"


def parcel_pseudonym(parcel_id: str, key: bytes) -> str:
    """A parcel code's pseudonym: 12 hex characters, so parcels stay distinct and joins between
    tables still hold."""
    return f"宗地-{_tag(key, f'parcel:{parcel_id}')}"


CODE_COLUMN = "credit_code"


def anonymize_dataset(dataset):
    """The dataset with every enterprise name and credit code, and every parcel code, replaced by
    its pseudonym in every table that holds them, and project names (which often carry an
    enterprise's name) replaced too. Done at load, before any notebook code sees the data, so no output can carry them.
    Park and incubator names (public lists) are kept."""
    key, source = pseudonym_key(dataset.synthetic)
    alias = _distinct({c: pseudonym(str(c), key) for c in dataset.enterprises[CODE_COLUMN].dropna().unique()}, "credit codes")

    def recode(table: pd.DataFrame) -> pd.DataFrame:
        return table.assign(**{CODE_COLUMN: table[CODE_COLUMN].map(alias)}) if CODE_COLUMN in table else table

    parcel_alias = _distinct(
        {p: parcel_pseudonym(p, key) for p in dataset.parcels["parcel_id"].dropna().astype(str).unique()}, "parcel codes"
    )

    def recode_parcels(table: pd.DataFrame) -> pd.DataFrame:
        if "parcel_id" not in table:
            return table
        return table.assign(parcel_id=table["parcel_id"].astype(str).map(parcel_alias).where(table["parcel_id"].notna()))

    records = {}
    for name, table in dataset.records.items():
        table = recode_parcels(recode(table))
        if name == "projects":
            table = table.assign(name=table["project_id"].map(lambda p: project_pseudonym(str(p), key)))
        records[name] = table
    return dataset.replace(
        enterprises=pseudonymize(dataset.enterprises, key=key),
        parcels=recode_parcels(dataset.parcels),
        links=recode_parcels(recode(dataset.links)),
        panel=recode(dataset.panel),
        records=records,
        anonymized=True,
        info={**dataset.info, "pseudonym_key": source},
    )


@collector_paused()  # coarsened copies of every outline (helpers.core.memory)
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
