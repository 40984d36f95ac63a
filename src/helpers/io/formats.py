"""What a file is (by its bytes, not its name) and reading it as rows of text or as a layer.

Tables: CSV (UTF-8, UTF-8 with BOM, or GBK/GB18030, tried in that order), XLSX and Excel 97-2003
XLS (every visible sheet; merged cells carry their value into every cell they cover). Layers: GeoParquet,
GeoPackage, GeoJSON and Shapefile (attributes GBK or UTF-8: a ``.cpg`` file is obeyed, without
one UTF-8 is tried, then GB18030).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pyogrio

from helpers.core.errors import InputError, Problem
from helpers.core.memory import collector_paused

CSV_BLOCK_LIMIT = 2**30  # bytes: the largest block pyarrow's CSV reader is given
HEAD_LINES = 20  # lines of a column grid also kept as rows: the header is searched among them
CSV_CELL_LIMIT = 2**31 - 1  # the csv module refuses cells over 131,072 characters by default; a long note is still a cell
csv.field_size_limit(CSV_CELL_LIMIT)

LAYER_KINDS = ("parquet", "gpkg", "geojson", "shp")
KIND_OF_SUFFIX = {
    ".csv": "csv",
    ".txt": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".xls": "xls",
    ".parquet": "parquet",
    ".geoparquet": "parquet",
    ".gpkg": "gpkg",
    ".geojson": "geojson",
    ".json": "geojson",
    ".shp": "shp",
}
KIND_NAMES = {
    "csv": "CSV text",
    "xlsx": "an Excel workbook (.xlsx)",
    "xls": "an Excel 97-2003 workbook (.xls)",
    "parquet": "a (Geo)Parquet file",
    "gpkg": "a GeoPackage",
    "geojson": "GeoJSON",
    "shp": "a Shapefile",
    "html": "an HTML page",
    "json": "JSON that is not GeoJSON",
    "pdf": "a PDF document",
    "zip": "a ZIP archive",
    "binary": "binary data of an unknown kind",
    "empty": "empty",
}
SHAPEFILE_SIDECARS = {".dbf", ".shx", ".prj", ".cpg", ".sbn", ".sbx", ".qix", ".qmd", ".xml", ".fix"}
TEXT_ENCODINGS = ("utf-8-sig", "gb18030")
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")  # Excel's "Unicode 文本 / Unicode Text" export: UTF-16, tab-separated
DELIMITERS = (",", "\t", ";", "|")  # the first wins a tie: a comma-separated file is the usual one
DELIMITER_NAMES = {"\t": "tabs", ";": "semicolons", "|": "vertical bars"}


def sniff(path: Path) -> str:
    """The kind of file ``path`` holds, from its first bytes."""
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if not head.strip():
        return "empty"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as z:
                return "xlsx" if "xl/workbook.xml" in z.namelist() else "zip"
        except zipfile.BadZipFile:
            return "binary"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "xls"
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"SQLite format 3\x00"):
        return "gpkg"
    if head[:4] == b"\x00\x00\x27\x0a":
        return "shp"
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith(UTF16_BOMS):
        return "csv"
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if text[:1] == b"<":
        return "html"
    if text[:1] == b"{" and b'"type"' in head:
        return "geojson"
    if text[:1] in (b"{", b"["):
        return "json"
    if b"\x00" in head:
        return "binary"
    return "csv"


def kind_problem(path: Path) -> Problem | None:
    """A problem when ``path`` is empty, unreadable here, or not what its extension says."""
    claimed = KIND_OF_SUFFIX.get(path.suffix.lower())
    actual = sniff(path)
    if actual == "empty":
        return Problem(str(path), "the file is empty", expected="a header row and data rows")
    if claimed != actual and {claimed, actual} <= {"xls", "xlsx"}:
        return None  # a workbook renamed between .xls and .xlsx is read as what it is (the inventory notes it)
    if claimed != actual:
        extensions = {
            "csv": ".csv",
            "xlsx": ".xlsx",
            "xls": ".xls",
            "parquet": ".parquet",
            "gpkg": ".gpkg",
            "geojson": ".geojson",
            "shp": ".shp",
        }
        fix = extensions.get(actual) if actual else None
        return Problem(
            str(path),
            f"named {path.suffix} but the file is {KIND_NAMES.get(str(actual), actual)}",
            expected=f"{KIND_NAMES.get(str(claimed), claimed)} as the extension says"
            + (f", or the file renamed to {path.stem}{fix}" if fix else ""),
        )
    return None


@dataclass
class Grid:
    """A sheet or CSV file as rows of text cells ("" for empty). A rectangular CSV file comes as
    Arrow text columns instead (``columns``, every line), so that a file of millions of cells is
    never turned into Python strings; its ``rows`` are then only the first ``HEAD_LINES`` lines."""

    path: Path
    sheet: str | None
    rows: list[list[str]]
    encoding: str | None = None
    columns: list[pa.Array] | None = None
    uncomputed: list[tuple[int, str]] | None = None  # (line, cell) of formulas stored without a value

    @property
    def n_lines(self) -> int:
        return len(self.columns[0]) if self.columns is not None else len(self.rows)

    @property
    def label(self) -> str:
        return f"{self.path} [{self.sheet}]" if self.sheet else str(self.path)


def cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value).strip()


def decode_text(path: Path) -> tuple[str, str]:
    """The text of ``path`` and the encoding that read it; an ``InputError`` when neither reads it."""
    return decode_bytes(path.read_bytes(), path)


def decode_bytes(data: bytes, path: Path) -> tuple[str, str]:
    """``decode_text`` of the bytes ``data`` read from ``path``."""
    if data.startswith(UTF16_BOMS):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise InputError(
                path, "the text starts as UTF-16 but does not decode", expected="a CSV saved as UTF-8 or GBK"
            ) from None
    for enc in TEXT_ENCODINGS:
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError:
            continue
    raise InputError(
        path, "the text is neither UTF-8 nor GBK/GB18030", expected="a CSV saved as UTF-8 (with or without BOM) or GBK"
    )


def delimiter_of(text: str, lines: int = 20) -> str:
    """The cell separator of a delimited text: of ``DELIMITERS``, the one found most often outside
    quotes in its first ``lines`` lines (a comma on a tie or when none is found)."""
    end = -1
    for _ in range(lines):  # the first lines only: splitting the whole text would copy it
        end = text.find("\n", end + 1)
        if end < 0:
            break
    head = re.sub(r'"[^"]*"', "", text if end < 0 else text[:end])
    counts = [head.count(d) for d in DELIMITERS]
    return DELIMITERS[counts.index(max(counts))] if max(counts) else ","


def printable_ascii(values: pa.Array | pa.ChunkedArray) -> bool:
    """Whether every cell of Arrow text ``values`` is printable ASCII only (bytes 0x21-0x7E): no
    whitespace anywhere (trimming changes nothing) and no character outside ASCII (no 合计 can
    match). Looks at the bytes of the cells themselves (a slice's, not the whole buffer's), one
    chunk at a time, in place: far less work than a trim, which writes every cell again."""
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        return False  # another layout (views, dictionaries): not looked at, so not known to be plain
    for chunk in values.chunks if isinstance(values, pa.ChunkedArray) else [values]:
        _, offset_buffer, data_buffer = chunk.buffers()
        if len(chunk) == 0 or data_buffer is None:
            continue
        wide = pa.types.is_large_string(chunk.type)
        offsets = np.frombuffer(offset_buffer, dtype=np.int64 if wide else np.int32)
        data = np.frombuffer(data_buffer, dtype=np.uint8)[offsets[chunk.offset] : offsets[chunk.offset + len(chunk)]]
        if ((data - np.uint8(0x21)) > np.uint8(0x7E - 0x21)).any():  # below 0x21 wraps round to above
            return False
    return True


def csv_block_bytes(size: int, cores: int | None = None) -> int:
    """The block size pyarrow's CSV reader parses a file of ``size`` bytes in: one block per two
    cores of Arrow's thread pool (``cores``; one block on two cores). Its default (1 MB) gives hundreds of chunks per column at a million
    rows, which are then copied into one array; on two cores that copy cost more than tokenising
    blocks in parallel saved (at 1,000,000 parcels the panel read and combined in 0.54-0.90 s as
    one block, 0.57-2.16 s in 1 MB blocks). Blocks of at least 1 MB, at most ``CSV_BLOCK_LIMIT``."""
    blocks = max(1, (cores or pa.cpu_count()) // 2)
    return min(max(-(-(size + 1) // blocks), 1 << 20), CSV_BLOCK_LIMIT)


def _rectangular_columns(text: str, delimiter: str = ",", utf8: memoryview | None = None) -> list[pa.Array] | None:
    """The cells of a CSV whose lines all have the same number of cells (no title or blank lines)
    as stripped Arrow text columns, read by pyarrow; None for any other file. ``utf8``: the text's
    UTF-8 bytes when the file holds them already (not encoded again)."""
    first = next(
        csv.reader(io.StringIO(text[: text.find("\n")] if "\n" in text else text, newline=""), delimiter=delimiter), None
    )
    if not first:
        return None
    names = [f"c{i}" for i in range(len(first))]
    data = text.encode("utf-8") if utf8 is None else utf8
    try:
        table = pacsv.read_csv(
            pa.BufferReader(data),
            read_options=pacsv.ReadOptions(column_names=names, block_size=csv_block_bytes(len(data))),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names}, strings_can_be_null=False, quoted_strings_can_be_null=False
            ),
        )
    except pa.ArrowInvalid:
        return None
    if table.num_rows == 0:
        return None
    # a column of printable ASCII (codes, numbers: most cells of a large file) has nothing to trim
    columns = [col if printable_ascii(col) else pc.utf8_trim_whitespace(col) for col in table.columns]
    return [col.chunk(0) if col.num_chunks == 1 else col.combine_chunks() for col in columns]


def _after_bom(data: bytes) -> int:
    """Where the text of UTF-8 bytes starts: after a byte-order mark, if any."""
    return len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0


def _utf8_head(data: bytes, lines: int = HEAD_LINES) -> str | None:
    """The first ``lines`` lines of UTF-8 bytes (after a byte-order mark) as text; None when they
    are not UTF-8. A newline byte never falls inside a UTF-8 character, so the cut is clean."""
    end = -1
    for _ in range(lines):
        end = data.find(b"\n", end + 1)
        if end < 0:
            break
    try:
        return data[_after_bom(data) : None if end < 0 else end].decode("utf-8")
    except UnicodeDecodeError:
        return None


def read_csv_grid(path: Path) -> Grid:
    """A CSV's cells: rectangular files by pyarrow as text columns (fast, compact), others (title
    rows, blank or short lines) by Python's csv module as rows. A UTF-8 file goes to pyarrow as its
    bytes (pyarrow checks that every cell is UTF-8): the text is decoded in Python only when pyarrow
    does not read it (not rectangular, or not UTF-8), with the encodings ``decode_bytes`` tries."""
    data = path.read_bytes()
    head = None if data.startswith(UTF16_BOMS) else _utf8_head(data)
    columns, text, enc = None, None, "utf-8-sig"
    if head is not None:  # UTF-8 as far as the first lines go
        delimiter = delimiter_of(head)
        columns = _rectangular_columns(head, delimiter, memoryview(data)[_after_bom(data) :])
    if columns is None:
        text, enc = decode_bytes(data, path)
        delimiter = delimiter_of(text)
        if head is None or enc != "utf-8-sig":  # pyarrow has not had this text yet (UTF-16, GBK)
            columns = _rectangular_columns(text, delimiter)
    del data
    encoding = {"utf-8-sig": "utf-8", "gb18030": "gbk/gb18030"}.get(enc, enc)
    if delimiter != ",":
        encoding += f", cells separated by {DELIMITER_NAMES[delimiter]}"
    if columns is not None:
        rows = [list(r) for r in zip(*(c.slice(0, HEAD_LINES).to_pylist() for c in columns))]
        return Grid(path, None, rows, encoding, columns)
    assert text is not None, "a file pyarrow did not read was decoded"
    rows = [[c.strip() for c in r] for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    return Grid(path, None, rows, encoding)


def _has_formulas(path: Path) -> bool:
    """Whether any sheet of the workbook holds a formula (an ``<f>`` element), without parsing it."""
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                with z.open(name) as fh:
                    while chunk := fh.read(1 << 20):
                        if b"<f>" in chunk or b"<f " in chunk:
                            return True
    return False


def _uncomputed_cells(path: Path, values) -> dict[str, list[tuple[int, str]]]:
    """Per sheet, the (line, cell) of formulas whose value the file does not store (a workbook
    written by a program that does not compute formulas): read as empty, they would pass as
    missing data."""
    import openpyxl

    if not _has_formulas(path):
        return {}
    formulas = openpyxl.load_workbook(path, data_only=False, read_only=True)
    out: dict[str, list[tuple[int, str]]] = {}
    for ws in formulas.worksheets:
        cached = values[ws.title]
        for row in ws.iter_rows():
            for cell in row:
                text = getattr(cell, "value", None)
                if isinstance(text, str) and text.startswith("=") and cached[cell.coordinate].value is None:
                    out.setdefault(ws.title, []).append((cell.row, cell.coordinate))
    formulas.close()
    return out


MAX_UNZIPPED_BYTES = 2 * 1024**3  # a workbook that expands beyond 2 GiB is refused before it is opened
MAX_ZIP_RATIO = 200  # …and so is one whose parts expand more than 200-fold beyond 100 MiB (a zip bomb)


def check_unzipped_size(path: Path) -> None:
    """An ``InputError`` when the workbook's parts would expand into more memory than a county
    workbook ever needs (read from the zip's directory, nothing is expanded)."""
    with zipfile.ZipFile(path) as z:
        infos = z.infolist()
    unzipped = sum(i.file_size for i in infos)
    packed = max(sum(i.compress_size for i in infos), 1)
    if unzipped > MAX_UNZIPPED_BYTES or (unzipped > 100 * 1024**2 and unzipped / packed > MAX_ZIP_RATIO):
        raise InputError(
            path,
            f"the workbook would expand from {packed / 1024**2:,.1f} MiB to {unzipped / 1024**2:,.0f} MiB",
            expected="a workbook of ordinary size (split it, or save the tables as CSV)",
        )


def read_xlsx_grids(path: Path) -> tuple[list[Grid], list[str]]:
    """Every visible sheet with data; and the names of hidden sheets (listed, not read). Formula
    cells without a stored value are kept on the grid (``uncomputed``) for the check to name.
    XML entities are refused (openpyxl reads through defusedxml); an oversized expansion too."""
    import openpyxl

    check_unzipped_size(path)
    wb = openpyxl.load_workbook(path, data_only=True)
    uncomputed = _uncomputed_cells(path, wb)
    grids, hidden = [], []
    for ws in wb.worksheets:
        if ws.sheet_state != "visible":
            hidden.append(ws.title)
            continue
        merged = [
            (r.min_row, r.max_row, r.min_col, r.max_col, ws.cell(r.min_row, r.min_col).value) for r in ws.merged_cells.ranges
        ]
        rows = [[cell_text(v) for v in row] for row in ws.iter_rows(min_row=1, values_only=True)]
        for r0, r1, c0, c1, value in merged:
            for r in range(r0, r1 + 1):
                for c in range(c0, c1 + 1):
                    if r - 1 < len(rows) and c - 1 < len(rows[r - 1]):
                        rows[r - 1][c - 1] = cell_text(value)
        if any(any(c for c in row) for row in rows) or ws.title in uncomputed:
            grids.append(Grid(path, ws.title, rows, uncomputed=uncomputed.get(ws.title)))
    return grids, hidden


def read_xls_grids(path: Path) -> tuple[list[Grid], list[str]]:
    """Every visible sheet of an Excel 97-2003 workbook (.xls, read by xlrd) with data, merged
    cells carrying their value into every cell they cover; and the names of hidden sheets."""
    import xlrd

    try:
        book = xlrd.open_workbook(str(path), formatting_info=True, on_demand=True)
    except (xlrd.XLRDError, NotImplementedError):  # formatting of some writers' files is not read
        book = xlrd.open_workbook(str(path), on_demand=True)
    grids, hidden = [], []
    for sheet in book.sheets():
        if sheet.visibility != 0:
            hidden.append(sheet.name)
            continue
        rows = []
        for r in range(sheet.nrows):
            row = []
            for cell in sheet.row(r):
                value = cell.value
                if cell.ctype == xlrd.XL_CELL_DATE:
                    value = xlrd.xldate_as_datetime(value, book.datemode)
                elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                    value = bool(value)
                elif cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
                    value = None
                row.append(cell_text(value))
            rows.append(row)
        for r0, r1, c0, c1 in getattr(sheet, "merged_cells", []):  # half-open ranges
            value = rows[r0][c0] if r0 < len(rows) and c0 < len(rows[r0]) else ""
            for r in range(r0, min(r1, len(rows))):
                for c in range(c0, min(c1, len(rows[r]))):
                    rows[r][c] = value
        if any(any(c for c in row) for row in rows):
            grids.append(Grid(path, sheet.name, rows))
    book.release_resources()
    return grids, hidden


def layer_wkb(path: Path) -> pa.ChunkedArray | None:
    """The outlines of a GeoParquet file as its own WKB bytes (its primary geometry column), None
    when the file stores them otherwise (GeoArrow) or says nothing of them. Read again beside
    ``read_layer_file`` (Parquet decodes a column of bytes without the GIL), so that the checked
    folder's cache can store the outlines as the file gave them when the check left them as they were,
    instead of encoding a million geometries again (``CheckResult.outlines_wkb``)."""
    try:
        geo = json.loads((pq.read_schema(path).metadata or {}).get(b"geo", b"{}"))
        column = geo["primary_column"]
        if geo["columns"][column].get("encoding", "").upper() != "WKB":
            return None
        wkb = pq.read_table(path, columns=[column]).column(column)
    except (OSError, ValueError, KeyError, TypeError, AttributeError, pa.ArrowException):
        return None
    return wkb if pa.types.is_binary(wkb.type) or pa.types.is_large_binary(wkb.type) else None


@collector_paused()  # a geometry per feature (helpers.core.memory)
def read_layer_file(path: Path, kind: str) -> tuple[gpd.GeoDataFrame, str | None]:
    """A layer and the attribute encoding used (Shapefiles only)."""
    if kind == "parquet":
        return gpd.read_parquet(path), None
    if kind != "shp" or path.with_suffix(".cpg").is_file() or path.with_suffix(".CPG").is_file():
        return gpd.read_file(path), None
    for enc in ("utf-8", "gb18030"):
        try:
            return gpd.GeoDataFrame(pyogrio.read_dataframe(path, encoding=enc)), "gbk/gb18030" if enc != "utf-8" else enc
        except UnicodeDecodeError:
            continue
    return gpd.read_file(path), None  # pragma: no cover - GB18030 decodes any byte sequence of a DBF
