"""GeoParquet cache of checked data folders: a re-run does not re-parse Excel, CSV or Shapefiles.

The first check of a folder (``helpers.io.check.check_folder``) reads every file, types and
checks it. Its result (the kept rows of every table with their ``_row``/``_source`` trace, the
problems, notes, exclusions and row counts) is written under ``CACHE_DIR/inputs/<key>/``: tables
as Parquet, layers as GeoParquet with a bbox covering column, the rest as JSON. ``key`` is a
hash of every file's name and content in the folder, of the rule files the check reads
(``data/reference/*.yaml``) and of the checking code, so an edited input, rule or reader gives a
new key and a fresh check. The cache is outside ``data/``; nothing in the input folder is written.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from helpers.core import paths
from helpers.core.errors import Problem
from helpers.io.check import CheckResult, check_folder
from helpers.io.positions import parcel_label_points, row_positions, rows_and_needs
from helpers.io.schema import TRACE

CACHE_FORMAT = 2
HASH_THREADS = 2
READ_THREADS = 2
KEEP_ENTRIES = 6  # most recently used checked folders kept
# Every module of these packages can change what a check finds or caches (readers, rules, CRS,
# label points): the cache key covers their whole source, so no module can be left out by hand.
CHECK_PACKAGES = ("core", "io")
POSITIONS_FILE = "_positions.npz"


def inputs_dir() -> Path:
    return paths.CACHE_DIR / "inputs"


def _digest_file(path: Path, h) -> None:
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)


def _file_digest(path: Path) -> str:
    h = hashlib.blake2b(digest_size=16)
    _digest_file(path, h)
    return h.hexdigest()


def folder_key(folder: Path) -> str:
    """Hash of the folder's files (names and bytes), the rule files and the checking code."""
    h = hashlib.blake2b(digest_size=16)
    h.update(f"format {CACHE_FORMAT}\n{folder.resolve()}\n".encode())
    files = sorted(p for p in folder.iterdir() if p.is_file())
    with ThreadPoolExecutor(HASH_THREADS) as pool:  # hashlib releases the GIL on large blocks
        digests = list(pool.map(_file_digest, files))
    for path, digest in zip(files, digests):
        h.update(f"\n{path.name}\n{digest}".encode())
    rules = sorted((paths.DATA_DIR / "reference").glob("*.yaml"))
    helpers_dir = Path(__file__).resolve().parents[1]
    code = sorted(p for pkg in CHECK_PACKAGES for p in (helpers_dir / pkg).glob("*.py"))
    for path in rules + code:
        h.update(f"\n{path.parent.name}/{path.name}\n".encode())
        _digest_file(path, h)
    return h.hexdigest()


def store(check: CheckResult, entry: Path) -> None:
    """Write ``check`` into ``entry`` atomically (a half-written entry is never read); fills
    ``check.positions`` (``row_positions`` and ``parcel_label_points``) on the way."""
    entry.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=entry.parent, prefix=".tmp-"))
    try:
        for name, table in check.tables.items():
            if isinstance(table, gpd.GeoDataFrame):
                # GeoArrow-encoded geometry (GeoParquet 1.1) decodes faster than WKB; bbox covering for readers
                table.to_parquet(tmp / f"{name}.parquet", index=False, write_covering_bbox=True, geometry_encoding="geoarrow")
            else:
                table.to_parquet(tmp / f"{name}.parquet", index=False)
        check.excluded.to_parquet(tmp / "_excluded.parquet", index=False)
        check.positions = {**row_positions(check.tables), **parcel_label_points(check.tables)}  # the caller's check too
        if check.positions:
            np.savez(tmp / POSITIONS_FILE, **check.positions)  # type: ignore[arg-type]  # numpy stubs type **kwds as bool
        meta = {
            "folder": str(check.folder),
            "problems": [asdict(p) for p in check.problems],
            "notes": check.notes,
            "ignored": check.ignored,
            "read": check.read,
            "tables": list(check.tables),
            "geo": [n for n, t in check.tables.items() if isinstance(t, gpd.GeoDataFrame)],
        }
        (tmp / "check.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        try:
            os.rename(tmp, entry)
        except OSError:  # another process stored the same key first
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def fetch(entry: Path, trace: bool = True, tables: tuple[str, ...] | None = None) -> CheckResult | None:
    """The check stored in ``entry``, or None when there is none; ``trace=False`` leaves out the
    tables' ``_row``/``_source`` columns (a ``Dataset`` does not keep them). ``tables``: read only
    these (the check's row counts and exclusions are then those of these tables only). Tables are
    read in two threads, largest first: Parquet reads release the GIL, so the parcels' geometry is
    decoded while the other files are read."""
    meta_file = entry / "check.json"
    if not meta_file.is_file():
        return None
    meta = json.loads(meta_file.read_text(encoding="utf-8"))
    names = [n for n in meta["tables"] if tables is None or n in tables]

    def read(name: str) -> pd.DataFrame:
        path = entry / f"{name}.parquet"
        columns = None if trace else [c for c in pq.read_schema(path).names if c not in TRACE and c != "bbox"]
        return (gpd.read_parquet if name in meta["geo"] else pd.read_parquet)(path, columns=columns)

    largest_first = sorted(names, key=lambda n: (entry / f"{n}.parquet").stat().st_size, reverse=True)
    with ThreadPoolExecutor(READ_THREADS) as pool:
        frames = dict(zip(largest_first, pool.map(read, largest_first)))
    problems = [Problem(**{**p, "rows": tuple(p["rows"])}) for p in meta["problems"]]
    excluded = pd.read_parquet(entry / "_excluded.parquet")
    read_counts = meta["read"]
    if tables is not None:
        excluded = excluded[excluded["table"].isin(names)].reset_index(drop=True)
        read_counts = {n: v for n, v in read_counts.items() if n in names}
    found = {}
    if (entry / POSITIONS_FILE).is_file():
        with np.load(entry / POSITIONS_FILE) as stored:
            for name in stored.files:
                rows, needs = rows_and_needs(name)
                if needs <= frames.keys() and len(stored[name]) == len(frames[rows]):
                    found[name] = stored[name]
    os.utime(entry)  # recently used
    return CheckResult(
        Path(meta["folder"]),
        {n: frames[n] for n in names},
        problems,
        meta["notes"],
        meta["ignored"],
        excluded,
        read_counts,
        found,
    )


def prune(keep: int = KEEP_ENTRIES) -> None:
    """Remove all but the ``keep`` most recently used entries."""
    root = inputs_dir()
    if not root.is_dir():
        return
    entries = sorted(
        (p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")), key=lambda p: p.stat().st_mtime, reverse=True
    )
    for old in entries[keep:]:
        shutil.rmtree(old, ignore_errors=True)


def checked_folder(
    data_dir: str | Path, use_cache: bool = True, trace: bool = True, tables: tuple[str, ...] | None = None
) -> CheckResult:
    """``check_folder(data_dir)``, read from the cache when the folder, the rules and the code are
    unchanged since a previous check; otherwise checked and stored. ``trace=False``: a cached
    check's tables come without their ``_row``/``_source`` columns (faster). ``tables``: only these
    tables from the cache (a fresh check reads and returns every table)."""
    folder = paths.resolve(data_dir)
    if not use_cache or not folder.is_dir():
        return check_folder(folder)
    entry = inputs_dir() / folder_key(folder)
    cached = fetch(entry, trace, tables)
    if cached is not None:
        return cached
    check = check_folder(folder)
    store(check, entry)
    prune()
    return check


__all__ = ["checked_folder", "folder_key", "fetch", "store", "prune", "inputs_dir"]
