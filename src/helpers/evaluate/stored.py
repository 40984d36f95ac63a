"""A data folder's district evaluations, stored once and read by every kernel of a report.

A report runs seven notebooks, each in a kernel of its own, and each builds its context by
evaluating every year of the folder district-wide (``report.context.build_context``): at 100,000
parcels 1.45 s of each kernel's time for three years, the same result seven times. The first
kernel to need them writes them under ``CACHE_DIR/evaluations/<key>/`` (outside ``data/``); the
others, and later runs, read them.

What is stored, per year, as Parquet: the enterprise frame, the benchmarks, and the columns the
evaluation adds to the parcel layer (the layer itself, outlines included, is the dataset's: it is
not stored twice). Each frame is read back before the entry is kept, and an entry is kept only if
every frame comes back equal, values, dtypes and index (Parquet, not pickle: reading the cache
runs no code). The key covers everything the result depends on: the checked folder's key (its
files, the rule files and the reading code, ``io.cache.folder_key``), the method as loaded, the
land basis, the outline generalisation the dataset was loaded with, the evaluation code (every
module of ``helpers.evaluate``) and the pandas and pyarrow versions. An entry that cannot be
written or read is skipped: the evaluation is computed as it would be without it. An anonymised
dataset's evaluations are not stored (their pseudonyms depend on a key that may change between
runs; a shared run is not where seconds count).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pyarrow as pa

from helpers.core import paths
from helpers.evaluate.evaluation import Evaluation, evaluate
from helpers.evaluate.methods import Method
from helpers.evaluate.parcels import PARCEL_COLUMNS
from helpers.io.cache import folder_key, hash_sources, prune
from helpers.io.dataset import Dataset

FORMAT = 1
KEEP_ENTRIES = 8  # most recently used stored evaluations kept
PARTS = ("enterprises", "benchmarks", "parcels")  # the frames of a year: its enterprises, benchmarks, parcel columns


def evaluations_dir() -> Path:
    return paths.CACHE_DIR / "evaluations"


def evaluation_key(folder: Path, method: Method, land_basis: str, generalize_m: float) -> str:
    """Hash of what a district evaluation of ``folder`` depends on (the module docstring lists it)."""
    h = hashlib.blake2b(digest_size=16)
    versions = f"pandas {pd.__version__} pyarrow {pa.__version__}"
    h.update(f"format {FORMAT}\n{folder_key(folder)}\n{method!r}\n{land_basis}\n{generalize_m!r}\n{versions}".encode())
    hash_sources(h, sorted(Path(__file__).resolve().parent.glob("*.py")))
    return h.hexdigest()


def _read(entry: Path, year: int) -> dict[str, pd.DataFrame] | None:
    try:
        return {part: pd.read_parquet(entry / f"{year}-{part}.parquet") for part in PARTS}
    except Exception:  # missing or damaged: computed again
        return None


def _write(entry: Path, frames: dict[int, dict[str, pd.DataFrame]]) -> None:
    """Write every year's frames into ``entry`` atomically, each read back and compared first: an
    entry that would not give the frames back exactly is not kept. Nothing fails if the cache is
    not writable or a frame cannot be written."""
    tmp = None
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=entry.parent, prefix=".tmp-"))
        for year, parts in frames.items():
            for part, frame in parts.items():
                path = tmp / f"{year}-{part}.parquet"
                frame.to_parquet(path)
                back = pd.read_parquet(path)
                if not (back.equals(frame) and back.index.equals(frame.index) and back.dtypes.equals(frame.dtypes)):
                    return
        shutil.rmtree(entry, ignore_errors=True)  # a damaged entry of the same key
        os.rename(tmp, entry)
        tmp = None
    except Exception:  # not writable, or a column Parquet cannot hold: evaluated again next time
        return
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def district_evaluations(
    dataset: Dataset, folder: Path, method: Method, land_basis: str, generalize_m: float = 0
) -> dict[int, Evaluation]:
    """``evaluate(dataset, year, method, land_basis=land_basis)`` for every year of ``dataset``,
    which was loaded from ``folder`` with ``generalize_m``: read where a previous run stored it,
    else computed and stored (an anonymised dataset's: computed only). Equal to the computed
    evaluations (tests/test_stored.py)."""
    if dataset.anonymized or not folder.is_dir():
        return {year: evaluate(dataset, year, method, land_basis=land_basis) for year in dataset.years}
    entry = evaluations_dir() / evaluation_key(folder, method, land_basis, generalize_m)
    found = {year: _read(entry, year) for year in dataset.years} if entry.is_dir() else {}
    whole = {y: f for y, f in found.items() if f is not None and f["parcels"].index.equals(dataset.parcels.index)}
    if found and len(whole) == len(dataset.years):
        with contextlib.suppress(OSError):  # a read-only cache is still read
            os.utime(entry)  # recently used: kept by the pruning
        return {year: _rebuilt(dataset, year, method, land_basis, frames) for year, frames in whole.items()}
    out = {year: evaluate(dataset, year, method, land_basis=land_basis) for year in dataset.years}
    _write(
        entry,
        {
            year: {
                "enterprises": ev.enterprises,
                "benchmarks": ev.benchmarks,
                "parcels": pd.DataFrame(ev.parcels[list(PARCEL_COLUMNS)]),
            }
            for year, ev in out.items()
        },
    )
    prune(KEEP_ENTRIES, evaluations_dir())
    return out


def _rebuilt(dataset: Dataset, year: int, method: Method, land_basis: str, frames: dict[str, pd.DataFrame]) -> Evaluation:
    """The evaluation ``evaluate`` returns, from its stored frames and the dataset's parcel layer."""
    parcels = dataset.parcels.copy()
    for column in PARCEL_COLUMNS:  # as parcel_view adds them, in its order
        parcels[column] = frames["parcels"][column]
    return Evaluation(
        year=int(year),
        method=method,
        streets=None,
        enterprises=frames["enterprises"],
        benchmarks=frames["benchmarks"],
        parcels=parcels,
        synthetic=dataset.synthetic,
        land_basis=land_basis,
    )


__all__ = ["district_evaluations", "evaluation_key", "evaluations_dir"]
