"""Stable pseudonyms for enterprise names and credit codes, and coarse parcel outlines, for sharing.

A pseudonym is a keyed hash (HMAC-SHA256) of the credit code: the same code always gets the
same pseudonym under the same key, and nobody without the key can test a guessed code against
it. The key comes from the environment variable ``MUJUN_PSEUDONYM_KEY``; without it a fixed
public key is used, which is fine for the synthetic sample and **not** for real data (anyone can
recompute those pseudonyms from a list of real codes).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import os
import re
import zipfile
from pathlib import Path

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

    dataset.enterprises = pseudonymize(dataset.enterprises)
    dataset.links, dataset.panel = recode(dataset.links), recode(dataset.panel)
    for name, table in list(dataset.records.items()):
        table = recode(table)
        if name == "projects":
            table = table.assign(name=table["project_id"].map(lambda p: project_pseudonym(str(p), key)))
        dataset.records[name] = table
    dataset.anonymized = True
    return dataset


def generalize(geoms: gpd.GeoSeries, metres: float) -> gpd.GeoSeries:
    """Parcel outlines coarsened for sharing: simplified and snapped to a ``metres`` grid in
    EPSG:4549, so a shared map shows where land is without its surveyed boundary."""
    from .units import AREA_CRS
    projected = geoms.to_crs(AREA_CRS)
    coarse = shapely.set_precision(projected.simplify(metres).values, metres)
    keep = shapely.is_empty(coarse)   # a parcel smaller than the grid collapses: keep its centre cell
    if keep.any():
        cells = shapely.buffer(shapely.set_precision(projected.centroid.values[keep], metres), metres / 2,
                               cap_style="square")
        coarse[keep] = cells
    return gpd.GeoSeries(coarse, index=geoms.index, crs=AREA_CRS).to_crs(geoms.crs)


SCAN_LIMIT_BYTES = 200_000_000
_DATA_URI = re.compile(rb"data:([a-z]+)/[a-z+.-]+;base64,([A-Za-z0-9+/=]+)")


def _texts(path: Path):
    """Every text a file can show a reader: the file itself, each member of a ZIP (XLSX), each
    base64 data URI inside it (embedded maps), HTML-unescaped."""
    data = path.read_bytes()[:SCAN_LIMIT_BYTES]
    blobs = [data]
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            blobs += [z.read(n) for n in z.namelist()]
    for blob in list(blobs):
        for m in _DATA_URI.finditer(blob):
            if m.group(1) != b"image":      # pixels hold no searchable text
                try:
                    blobs.append(base64.b64decode(m.group(2)))
                except ValueError:
                    continue
    for blob in blobs:
        text = _DATA_URI.sub(b"", blob).decode("utf-8", errors="ignore")
        yield text
        yield html.unescape(text)


def _finder(needles: set[str]):
    """A function text → the needles it contains (plain or JSON-escaped), fast for thousands of
    needles: candidate positions are those of a needle's first character."""
    variants = {}
    for n in needles:
        variants[n] = n
        variants[json.dumps(n)[1:-1]] = n
    lengths: dict[str, set[int]] = {}
    for v in variants:
        lengths.setdefault(v[0], set()).add(len(v))
    starts = re.compile("[" + "".join(re.escape(c) for c in lengths) + "]")

    def find(text: str) -> set[str]:
        hits = set()
        for m in starts.finditer(text):
            i = m.start()
            for length in lengths[text[i]]:
                v = variants.get(text[i:i + length])
                if v is not None:
                    hits.add(v)
        return hits
    return find


def sensitive_strings(dataset) -> set[str]:
    """Names and credit codes of the enterprises, and project names, of a dataset loaded as is."""
    out = set(dataset.enterprises["credit_code"].dropna()) | set(dataset.enterprises["name"].dropna())
    if "projects" in dataset.records:
        out |= set(dataset.records["projects"]["name"].dropna())
    return {s for s in map(str, out) if len(s) >= 4}


def scan_for_leaks(folder: Path, needles: set[str]) -> list[tuple[str, str]]:
    """(file, string) for every sensitive string found in any file under ``folder``. Strings in
    JSON (\\uXXXX) and HTML (&#…;) escapes are found too; text drawn into PNG pixels is not
    searchable, which is why names are replaced at load, before any chart is drawn."""
    find = _finder(needles)
    leaks = []
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        found = set()
        for text in _texts(path):
            found |= find(text)
        leaks += [(str(path), n) for n in sorted(found)]
    return leaks


def main(argv: list[str] | None = None) -> int:
    """python -m helpers.anonymize REPORT_FOLDER DATA_FOLDER: exit 1 if any name or code of the
    data folder appears in any file of the report folder."""
    import argparse

    from . import paths
    from .loaders import load_dataset
    ap = argparse.ArgumentParser(description="Scan a report folder for enterprise names and credit codes before sharing it.")
    ap.add_argument("report_dir")
    ap.add_argument("data_dir")
    a = ap.parse_args(argv)
    needles = sensitive_strings(load_dataset(paths.resolve(a.data_dir, Path.cwd())))
    leaks = scan_for_leaks(paths.resolve(a.report_dir, Path.cwd()), needles)
    for file, s in leaks[:50]:
        print(f"LEAK {file}: {s}")
    print(f"{len(leaks)} leak(s) of {len(needles):,} names and codes in {a.report_dir}")
    return 1 if leaks else 0


if __name__ == "__main__":
    raise SystemExit(main())
