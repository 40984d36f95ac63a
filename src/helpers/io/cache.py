"""Cache of checked data folders: a re-run does not re-parse Excel, CSV or Shapefiles.

The first check of a folder (``helpers.io.check.check_folder``) reads every file, types and
checks it. Its result (the kept rows of every table with their ``_row``/``_source`` trace, the
problems, notes, exclusions and row counts) is written under ``CACHE_DIR/inputs/<key>/``: every
table's columns but the outlines as an uncompressed Arrow IPC file (``.arrow``), which a re-run maps
into memory instead of decoding it (the four core tables at 1,000,000 parcels in 0.1–0.2 s against
0.3–0.8 s from LZ4 Parquet); a layer's outlines besides, alone, as GeoParquet (WKB; read only by
what draws or measures them); the rest as JSON. ``key`` is a
hash of every file's name and content in the folder, of the rule files the check reads
(``data/reference/*.yaml``) and of the checking code, so an edited input, rule or reader gives a
new key and a fresh check. The cache is outside ``data/``; nothing in the input folder is written.

A file's content digest is remembered (``CACHE_DIR/input_digests.json``) with its inode, size and modification
and change times in nanoseconds: a re-run whose files are untouched does not read their bytes
again; any write to a file changes its change time (which no tool can set back), so an edited
file is hashed anew.
"""

from __future__ import annotations

import hashlib
import json
import operator
import os
import shutil
import tempfile
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, fields
from functools import partial
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import shapely

from helpers.core import paths
from helpers.core.errors import Problem
from helpers.core.memory import collector_paused, release_freed_memory
from helpers.io.check import CheckResult, check_folder
from helpers.io.positions import parcel_label_points, row_positions, rows_and_needs
from helpers.io.schema import TRACE

# 3: LZ4, dictionaries for text columns only; 4: row positions one .npy file each; 5: the tables'
# columns as Arrow IPC files, memory-mapped when read; GeoParquet for the layers' outlines only;
# 6: the tables' _source (a file name on every row) dictionary-encoded; 7: a layer's GeoParquet holds
# its outlines alone (WKB), its other columns are read from its Arrow IPC file; 8: _source categorical
# from the check on, stored and read back as such
CACHE_FORMAT = 8
PARQUET_COMPRESSION = "lz4"
TABLE_SUFFIX = ".arrow"  # a table's columns but the outlines (Arrow IPC file format, uncompressed)
OUTLINES_SUFFIX = ".parquet"  # a layer's outlines alone (GeoParquet)
COLUMN_ORDER = b"columns"  # a layer's Arrow IPC file: its columns' order, the outlines' place included (JSON)
HASH_THREADS = 2
# the input files' digest: SHA-256 runs on the CPU's SHA instructions where it has them (1.2 GB/s
# here against BLAKE2b's 0.7): a first run at 1,000,000 parcels hashes 540 MB
FILE_DIGEST = "sha256"
READ_THREADS = 2
WKB_BYTES = 100  # about one parcel's outline as WKB: orders the outlines among the tables, largest first
WRITE_THREADS = 2
KEEP_ENTRIES = 6  # most recently used checked folders kept
# Every module of these packages can change what a check finds or caches (readers, rules, CRS,
# label points): the cache key covers their whole source, so no module can be left out by hand.
CHECK_PACKAGES = ("core", "io")
POSITIONS_DIR = "_positions"  # one .npy file per array, memory-mapped when read
PROBLEM_FIELDS = fields(Problem)
DIGESTS_FILE = "input_digests.json"  # in CACHE_DIR, beside inputs/
DIGESTS_KEPT = 2_000  # remembered file digests (the most recent)


def inputs_dir() -> Path:
    return paths.CACHE_DIR / "inputs"


def _digest_file(path: Path, h) -> None:
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)


def _file_digest(path: Path) -> str:
    h = hashlib.new(FILE_DIGEST)
    _digest_file(path, h)
    return h.hexdigest()


def _stamp(path: Path) -> str:
    """What changes whenever a file's bytes change: inode, size, modification and change times (ns);
    led by the digest's name, so that a digest remembered by another algorithm is not taken."""
    st = path.stat()
    return f"{FILE_DIGEST}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}"


def _known_digests() -> dict[str, list[str]]:
    try:
        known = json.loads((paths.CACHE_DIR / DIGESTS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return known if isinstance(known, dict) else {}


def _remember_digests(known: dict[str, list[str]], new: dict[str, list[str]]) -> None:
    """Add ``new`` (path → [stamp, digest]) to the remembered digests, written atomically (kernels
    of one run may check the same folder at once; the last writer wins, and any entry is valid)."""
    if not new:
        return
    merged = {k: v for k, v in known.items() if k not in new}
    merged.update(new)
    kept = dict(list(merged.items())[-DIGESTS_KEPT:])
    root = paths.CACHE_DIR
    try:
        root.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=root, prefix=".digests-")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(kept, fh)
        os.replace(tmp, root / DIGESTS_FILE)
    except OSError:  # a cache that cannot be written: the digests are found again next time, nothing fails
        pass


def file_digests(files: list[Path]) -> list[str]:
    """Content digest of each file: remembered when its stamp (``_stamp``) is unchanged, else
    hashed (two threads: hashlib releases the GIL on large blocks) and remembered."""
    known = _known_digests()
    stamps = [_stamp(p) for p in files]
    keys = [str(p.resolve()) for p in files]
    digests: list[str | None] = [
        known[k][1] if isinstance(known.get(k), list) and known[k][0] == s else None for k, s in zip(keys, stamps)
    ]
    todo = [i for i, d in enumerate(digests) if d is None]
    with ThreadPoolExecutor(HASH_THREADS) as pool:
        hashed = dict(zip(todo, pool.map(_file_digest, [files[i] for i in todo])))
    # remembered only when the file did not change while it was read
    _remember_digests(known, {keys[i]: [stamps[i], d] for i, d in hashed.items() if _stamp(files[i]) == stamps[i]})
    return [hashed[i] if d is None else d for i, d in enumerate(digests)]


def folder_key(folder: Path) -> str:
    """Hash of the folder's files (names and bytes), the rule files and the checking code."""
    h = hashlib.blake2b(digest_size=16)
    h.update(f"format {CACHE_FORMAT}\n{folder.resolve()}\n".encode())
    files = sorted(p for p in folder.iterdir() if p.is_file())
    digests = file_digests(files)
    for path, digest in zip(files, digests):
        h.update(f"\n{path.name}\n{digest}".encode())
    rules = sorted((paths.DATA_DIR / "reference").glob("*.yaml"))
    helpers_dir = Path(__file__).resolve().parents[1]
    hash_sources(h, rules + sorted(p for pkg in CHECK_PACKAGES for p in (helpers_dir / pkg).glob("*.py")))
    return h.hexdigest()


def hash_sources(h, files: list[Path]) -> None:
    """Each file's folder, name and bytes into the hash ``h``: the rule and code files a cache key
    covers, so that an edited rule or module gives a new key."""
    for path in files:
        h.update(f"\n{path.parent.name}/{path.name}\n".encode())
        _digest_file(path, h)


def _arrow_table(table: pd.DataFrame) -> pa.Table:
    """``table``'s columns but its outlines as Arrow (pandas' dtypes kept in the schema's metadata, as
    Parquet keeps them; a layer's column order, its outlines' place included, too): Arrow text and
    numbers are taken without a copy. ``_source`` is categorical (``schema.source_column``): Arrow
    holds it dictionary-encoded, each file name once and a one-byte code per row, and gives it back
    categorical."""
    layer = isinstance(table, gpd.GeoDataFrame)
    columns = pd.DataFrame(table.drop(columns=table.geometry.name) if layer else table)
    arrow = pa.Table.from_pandas(columns, preserve_index=False)
    if layer:
        order = json.dumps([str(c) for c in table.columns]).encode()
        arrow = arrow.replace_schema_metadata({**(arrow.schema.metadata or {}), COLUMN_ORDER: order})
    return arrow


def _write_arrow(arrow: pa.Table, path: Path) -> None:
    """``arrow`` as an Arrow IPC file, uncompressed, so that a re-run maps it into memory and
    converts it without decoding."""
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, arrow.schema) as writer:
        writer.write_table(arrow)


def _write_outlines(outlines: gpd.GeoSeries, entry: Path, name: str, wkb: pa.ChunkedArray | None = None) -> None:
    """A layer's outlines alone as ``<name>.parquet``, for what draws or measures them: GeoParquet,
    WKB, LZ4 (written and read faster than Snappy; WKB hardly compresses). Its other columns are in
    ``<name>.arrow`` (``_arrow_table``), so they are not encoded twice. At 1,000,000 parcels this
    is written in about 0.9 s of CPU where the whole layer as GeoArrow with a bbox column took
    1.1–1.7 s, and read back as fast (0.9–1.1 s either way; docs/scale.md). WKB makes no geometry
    objects, so the collector need not be paused here (``_read_outlines`` decodes, and pauses it).
    ``wkb``: the bytes the outlines were decoded from (a GeoParquet input the check left as it was,
    ``_freeze``), written as they are: no encoding, and Parquet writes bytes without the GIL, which
    encoding a million geometries held while the evaluation waited for it."""
    path = entry / f"{name}{OUTLINES_SUFFIX}"
    if wkb is not None:
        pq.write_table(_wkb_table(outlines, wkb), path, compression=PARQUET_COMPRESSION, use_dictionary=False)
        return
    only = gpd.GeoDataFrame({outlines.name: outlines.array}, geometry=outlines.name, crs=outlines.crs)
    only.to_parquet(path, index=False, geometry_encoding="WKB", compression=PARQUET_COMPRESSION, use_dictionary=False)


GEOMETRY_TYPE_NAMES = (  # by shapely's type id, as GeoParquet names them
    "Point",
    "LineString",
    "LinearRing",
    "Polygon",
    "MultiPoint",
    "MultiLineString",
    "MultiPolygon",
    "GeometryCollection",
)


def _wkb_table(outlines: gpd.GeoSeries, wkb: pa.ChunkedArray) -> pa.Table:
    """``outlines`` as a GeoParquet table of the WKB ``wkb`` they were decoded from: the column and
    the metadata GeoParquet 1.0 asks for (encoding, CRS as PROJJSON, geometry types, as geopandas
    writes them), so that ``gpd.read_parquet`` reads it as it reads its own."""
    data = np.asarray(outlines.array)
    kinds = np.unique(shapely.get_type_id(data) * 2 + shapely.has_z(data))  # a missing outline: -2
    column = {
        "encoding": "WKB",
        "crs": outlines.crs.to_json_dict() if outlines.crs is not None else None,
        "geometry_types": sorted(GEOMETRY_TYPE_NAMES[k // 2] + (" Z" if k % 2 else "") for k in kinds.tolist() if k >= 0),
    }
    geo = {"version": "1.0.0", "primary_column": outlines.name, "columns": {outlines.name: column}}
    table = pa.table({outlines.name: wkb})
    return table.replace_schema_metadata({b"geo": json.dumps(geo).encode()})


@collector_paused()  # a geometry per row (helpers.core.memory)
def _read_outlines(path: Path) -> gpd.GeoSeries:
    """The outlines ``_write_outlines`` wrote at ``path``, decoded."""
    return gpd.read_parquet(path).geometry


def with_outlines(frame: pd.DataFrame, layer: Path, rows: np.ndarray | None = None) -> gpd.GeoDataFrame:
    """``frame`` (a layer's columns but its outlines) with the outlines of the GeoParquet ``layer``
    (only ``rows``, a mask; None: all)."""
    outlines = _read_outlines(layer)
    if rows is not None:
        outlines = outlines[rows]
    return gpd.GeoDataFrame(frame, geometry=outlines.set_axis(frame.index), crs=outlines.crs)


def in_stored_order(layer: gpd.GeoDataFrame, table: pa.Table) -> gpd.GeoDataFrame:
    """``layer`` with its columns in the order its Arrow IPC file ``table`` recorded (``_arrow_table``),
    the outlines in their place; as it is when the file recorded none."""
    order = json.loads((table.schema.metadata or {}).get(COLUMN_ORDER, b"[]"))
    kept = [c for c in order if c in layer.columns]
    return layer[kept] if len(kept) == layer.shape[1] else layer


def _mapped_table(path: Path, columns: list[str] | None = None) -> pa.Table:
    """The Arrow IPC file at ``path`` (only ``columns``, None: all): on POSIX its buffers are a
    memory map of the file, so only the pages a run touches are read and nothing is decoded; the
    map stays valid when another process prunes the entry meanwhile. Windows locks a mapped file
    against deletion, so there the file is read whole instead."""
    source = pa.memory_map(str(path)) if os.name == "posix" else pa.OSFile(str(path))
    with source:
        table = pa.ipc.open_file(source).read_all()
    return table if columns is None else table.select(columns)


@dataclass
class _Frozen:
    """What ``store_later`` writes, taken from a check before the caller goes on: each table's
    columns as Arrow (``_arrow_table``), each layer's outlines, the exclusions, the row positions and
    the check's JSON. Arrow takes pandas' numbers without a copy, so ``frames`` holds a shallow copy
    of each table until the entry is written: pandas then copies a column before anyone writes into
    it in place (copy on write), and the numbers being written do not change under the writer."""

    frames: dict[str, pd.DataFrame]
    tables: dict[str, pa.Table]
    outlines: dict[str, gpd.GeoSeries]
    outlines_wkb: dict[str, pa.ChunkedArray]  # a layer's outlines as its file gave them, where they are those
    excluded: pd.DataFrame
    positions: dict[str, np.ndarray]
    meta: str


_pending: list[Future] = []  # stores started by store_later in this process
_writer: list[ThreadPoolExecutor] = []  # the one thread that writes entries, started on first use


def _freeze(check: CheckResult) -> _Frozen:
    meta = {
        "folder": str(check.folder),
        # each field as it is (JSON writes the rows tuple as a list); asdict would deep-copy every row number
        "problems": [{f.name: getattr(p, f.name) for f in PROBLEM_FIELDS} for p in check.problems],
        "notes": check.notes,
        "ignored": check.ignored,
        "read": check.read,
        "tables": list(check.tables),
        "geo": [n for n, t in check.tables.items() if isinstance(t, gpd.GeoDataFrame)],
    }
    frames = {name: table.copy(deep=False) for name, table in check.tables.items()}
    outlines = {name: t.geometry for name, t in frames.items() if isinstance(t, gpd.GeoDataFrame)}
    as_read, check.outlines_wkb = check.outlines_wkb, {}  # taken: not held on by the caller's check
    return _Frozen(
        frames,
        {name: _arrow_table(table) for name, table in frames.items()},
        outlines,
        {name: wkb for name, (read, wkb) in as_read.items() if name in outlines and _same_objects(outlines[name], read)},
        check.excluded.copy(),
        dict(check.positions),
        json.dumps(meta, ensure_ascii=False),
    )


def _same_objects(outlines: gpd.GeoSeries, read: np.ndarray) -> bool:
    """Whether ``outlines`` are the geometry objects ``read``, in the same order: then the bytes they
    were decoded from are theirs (a geometry cannot change once made)."""
    held = np.asarray(outlines.array)
    return len(held) == len(read) and all(map(operator.is_, held, read))


def _write_entry(frozen: _Frozen, entry: Path, then_prune: bool) -> None:
    """Write ``frozen`` into ``entry`` atomically (a half-written entry is never read) in
    ``WRITE_THREADS`` threads, largest file first (Arrow's writes, Parquet's encoding and shapely
    release the GIL; every file is what one thread writes alone); ``prune`` afterwards if asked."""
    entry.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=entry.parent, prefix=".tmp-"))
    try:
        jobs: list[tuple[int, Callable[..., None], tuple]] = [
            (table.nbytes, _write_arrow, (table, tmp / f"{name}{TABLE_SUFFIX}")) for name, table in frozen.tables.items()
        ]
        jobs += [
            (len(geoms) * WKB_BYTES, _write_outlines, (geoms, tmp, name, frozen.outlines_wkb.get(name)))
            for name, geoms in frozen.outlines.items()
        ]
        jobs.append((0, partial(frozen.excluded.to_parquet, index=False), (tmp / "_excluded.parquet",)))
        with ThreadPoolExecutor(WRITE_THREADS) as pool:
            writes = [pool.submit(write, *args) for _, write, args in sorted(jobs, key=lambda job: job[0], reverse=True)]
            for job in writes:
                job.result()
        if frozen.positions:
            (tmp / POSITIONS_DIR).mkdir()
            for name, values in frozen.positions.items():
                np.save(tmp / POSITIONS_DIR / f"{name}.npy", values)
        (tmp / "check.json").write_text(frozen.meta, encoding="utf-8")
        release_freed_memory()  # what the writing threads freed (the outlines' WKB): back to the system
        try:
            os.rename(tmp, entry)
        except OSError:  # another process stored the same key first
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if then_prune:
        prune()


def store_later(check: CheckResult, entry: Path, then_prune: bool = False) -> Future:
    """Start writing ``check`` into ``entry`` and return at once, so that the caller may evaluate
    while the files are written (a first run of a million parcels writes 0.8 GB). Before it returns,
    ``check.positions`` is completed (the ``row_positions`` the check did not find, the
    ``parcel_label_points``, which an evaluation needs) and every table is taken as Arrow; the
    writing thread reads nothing of ``check`` after that, whatever the caller does with it. The
    Future's ``result()`` waits for the entry and raises what writing it raised;
    ``wait_for_stores`` waits for every store of this process, and the process waits for them
    before it exits. ``then_prune``: ``prune`` once the entry is in place."""
    with ThreadPoolExecutor(1) as side:  # label points (shapely) while the text keys are looked up
        points = side.submit(parcel_label_points, check.tables)
        found = row_positions(check.tables, known=check.positions)
        check.positions = {**check.positions, **found, **points.result()}  # the caller's check too
    frozen = _freeze(check)
    if not _writer:
        _writer.append(ThreadPoolExecutor(1, thread_name_prefix="cache-store"))
    future = _writer[0].submit(_write_entry, frozen, entry, then_prune)
    _pending[:] = [f for f in _pending if not f.done() or f.exception() is not None]  # failures kept for the wait
    _pending.append(future)
    return future


def store(check: CheckResult, entry: Path) -> None:
    """Write ``check`` into ``entry`` and wait until it is there (``store_later``)."""
    store_later(check, entry).result()


def wait_for_stores() -> None:
    """Wait until every entry this process started writing (``store_later``) is written or has
    failed; then raises what writing the first that failed raised."""
    waited = list(_pending)
    _pending.clear()
    errors = [future.exception() for future in waited]  # each waited for
    for error in errors:
        if error is not None:
            raise error


def fetch(
    entry: Path,
    trace: bool = True,
    tables: tuple[str, ...] | None = None,
    geometry: bool = True,
    years: tuple[int, ...] | None = None,
) -> CheckResult | None:
    """The check stored in ``entry``, or None when there is none; ``trace=False`` leaves out the
    tables' ``_row``/``_source`` columns (a ``Dataset`` does not keep them). ``tables``: read only
    these (the check's row counts and exclusions are then those of these tables only).
    ``geometry=False``: the layers' outlines are not read or decoded (``without_outlines``): what
    an evaluation without maps needs, at a fraction of the time. ``years``: only the panel rows of
    these years (the row positions about them kept in step; the check's notes and problems stay
    those of the whole folder). The tables' Arrow IPC files are mapped, not decoded; the pandas
    frames copy their numbers (numpy arrays pandas may write into) and keep their text in Arrow.
    Tables are read in two threads, largest first: Arrow's conversions and Parquet reads release
    the GIL, so a layer's outlines are decoded while the other tables are converted."""
    meta_file = entry / "check.json"
    if not meta_file.is_file():
        return None
    meta = json.loads(meta_file.read_text(encoding="utf-8"))
    names = [n for n in meta["tables"] if tables is None or n in tables]
    kept_rows: dict[str, np.ndarray] = {}  # table → the stored rows read, where not all of them
    if years is not None and "panel" in names:
        year = _mapped_table(entry / f"panel{TABLE_SUFFIX}", ["year"])["year"].to_numpy(zero_copy_only=False)
        kept_rows["panel"] = np.isin(year, np.asarray(years, dtype=year.dtype))

    def read(name: str) -> pd.DataFrame:
        table = _mapped_table(entry / f"{name}{TABLE_SUFFIX}")
        if not trace:
            table = table.drop_columns([c for c in TRACE if c in table.column_names])
        if name in kept_rows:  # the rows of the mask, in their stored order
            table = table.filter(pa.array(kept_rows[name]))
        frame = table.to_pandas()
        if name not in meta["geo"]:
            return frame
        layer = entry / f"{name}{OUTLINES_SUFFIX}"
        whole = with_outlines(frame, layer, kept_rows.get(name)) if geometry else without_outlines(frame, layer)
        return in_stored_order(whole, table)

    def size(name: str) -> int:  # of the files read: a layer's GeoParquet too when its outlines are read
        outlines = entry / f"{name}{OUTLINES_SUFFIX}"
        read_outlines = geometry and name in meta["geo"]
        return (entry / f"{name}{TABLE_SUFFIX}").stat().st_size + (outlines.stat().st_size if read_outlines else 0)

    largest_first = sorted(names, key=size, reverse=True)
    with ThreadPoolExecutor(READ_THREADS) as pool:
        frames = dict(zip(largest_first, pool.map(read, largest_first)))
    problems = [Problem(**{**p, "rows": tuple(p["rows"])}) for p in meta["problems"]]
    excluded = pd.read_parquet(entry / "_excluded.parquet")
    read_counts = meta["read"]
    if tables is not None:
        excluded = excluded[excluded["table"].isin(names)].reset_index(drop=True)
        read_counts = {n: v for n, v in read_counts.items() if n in names}
    found = {}
    for name, stored in stored_positions(entry).items():
        rows, needs = rows_and_needs(name)
        if (needs - {rows}) & kept_rows.keys():  # row numbers into a table read in part: not valid
            continue
        values = stored[kept_rows[rows]] if rows in kept_rows else stored
        if needs <= frames.keys() and len(values) == len(frames[rows]):
            found[name] = values
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


def stored_positions(entry: Path) -> dict[str, np.ndarray]:
    """The row positions and label points ``store`` wrote into ``entry``, by name: read-only arrays
    on the files' memory maps, so that only the pages a run touches are read (a re-run at 1,000,000
    parcels read 57 MB from one .npz archive first, 0.08 s). Writing into one raises an error. On
    POSIX a map stays valid when another process prunes the entry meanwhile; Windows locks a mapped
    file against deletion, so there the arrays are read whole instead."""
    folder = entry / POSITIONS_DIR
    if not folder.is_dir():
        return {}
    mapped = os.name == "posix"
    return {path.stem: np.asarray(np.load(path, mmap_mode="r" if mapped else None)) for path in sorted(folder.glob("*.npy"))}


def without_outlines(frame: pd.DataFrame, layer: Path) -> gpd.GeoDataFrame:
    """``frame`` (a layer's columns but its outlines) as a GeoDataFrame whose geometry column is of
    missing outlines in the CRS of the GeoParquet ``layer`` (its metadata only is read), so that code
    asking for the CRS or the geometry's name keeps working while nothing is drawn or measured."""
    geo = json.loads(pq.read_schema(layer).metadata[b"geo"])
    name = geo["primary_column"]
    crs = geo["columns"][name].get("crs", "OGC:CRS84")  # GeoParquet: an absent crs means OGC:CRS84
    outlines = gpd.GeoSeries(np.full(len(frame), None, dtype=object), index=frame.index, crs=crs)
    return gpd.GeoDataFrame(frame, geometry=outlines.rename(name), crs=crs)


def prune(keep: int = KEEP_ENTRIES, root: Path | None = None) -> None:
    """Remove all but the ``keep`` most recently used entries of ``root`` (default the checked
    folders', ``inputs_dir()``); entries being written (``.tmp-…``) are left alone. Another process
    may be pruning or writing at the same time: an entry gone meanwhile leaves the pruning to the
    next call."""
    root = inputs_dir() if root is None else root
    try:
        entries = [(p.stat().st_mtime, p) for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")]
    except OSError:
        return
    for _, old in sorted(entries, reverse=True)[keep:]:
        shutil.rmtree(old, ignore_errors=True)


def checked_folder(
    data_dir: str | Path,
    use_cache: bool = True,
    trace: bool = True,
    tables: tuple[str, ...] | None = None,
    geometry: bool = True,
    years: tuple[int, ...] | None = None,
    wait: bool = True,
) -> CheckResult:
    """``check_folder(data_dir)``, read from the cache when the folder, the rules and the code are
    unchanged since a previous check; otherwise checked and stored. ``trace=False``: a cached
    check's tables come without their ``_row``/``_source`` columns (faster). ``tables``: only these
    tables from the cache (a fresh check reads and returns every table). ``geometry=False``: a
    cached check's layers come without their outlines (``fetch``); a fresh check has them.
    ``years``: a cached check's panel only of these years (a fresh check has every year).
    ``wait=False``: a fresh check is returned while its entry is still being written
    (``store_later``; ``wait_for_stores`` waits for it), for a command that evaluates meanwhile."""
    folder = paths.resolve(data_dir)
    if not use_cache or not folder.is_dir():
        return check_folder(folder)
    entry = inputs_dir() / folder_key(folder)
    cached = fetch(entry, trace, tables, geometry, years)
    if cached is not None:
        return cached
    check = check_folder(folder)
    written = store_later(check, entry, then_prune=True)
    if wait:
        written.result()
    return check


__all__ = [
    "checked_folder",
    "folder_key",
    "file_digests",
    "fetch",
    "hash_sources",
    "with_outlines",
    "in_stored_order",
    "without_outlines",
    "stored_positions",
    "store",
    "store_later",
    "wait_for_stores",
    "prune",
    "inputs_dir",
]
