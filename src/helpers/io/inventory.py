"""Which file (and sheet) of a data folder holds which table, read into rows with the data
dictionary's column names.

A file's table is found, in this order, from ``dataset.yaml`` in the folder (optional: file,
sheet, CRS, coordinate system, units per table), from words in the file or sheet name
(``files:`` in ``data/reference/column_aliases.yaml``), or from its headers (the table whose
required columns the headers name most). Title rows above the header, blank lines and 合计
rows are skipped and listed; a year missing from a panel sheet is taken from the sheet or file
name ("2023年"); units named in headers are converted. Nothing in the folder is written.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from helpers.core.errors import InputError, Problem
from helpers.io.coordinates import place_layer
from helpers.io.formats import (
    KIND_NAMES,
    KIND_OF_SUFFIX,
    LAYER_KINDS,
    SHAPEFILE_SIDECARS,
    Grid,
    kind_problem,
    layer_wkb,
    printable_ascii,
    read_csv_grid,
    read_layer_file,
    read_xls_grids,
    read_xlsx_grids,
    sniff,
)
from helpers.io.headers import (
    Mapped,
    file_words,
    find_header_row,
    header_clashes,
    header_score,
    match_headers,
    normalise,
    unit_factor,
    units_for,
)
from helpers.io.manifest import MANIFEST, Manifest, column_line, load_manifest
from helpers.io.schema import ROW, SOURCE, TableSpec, source_column, table_specs

NOT_DATA_SUFFIXES = {".md", ".yaml", ".yml", ".pdf", ".doc", ".docx", ".png", ".jpg", ".html"}
RESERVED_FILES = {"street_zones_synthetic.geojson"}  # read by the loader itself (synthetic folders)
YEAR_IN_NAME = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
MIN_HEADER_SCORE = 2  # a sheet recognised from its headers alone must name 2 required columns


@dataclass
class TableSource:
    """The rows one file (or sheet) gives to one table: canonical columns as text (geometry for
    layers), ``_row`` and ``_source``; unit factors per column; what was skipped and why."""

    table: str
    label: str
    frame: pd.DataFrame
    factors: dict[str, float] = field(default_factory=dict)
    skipped: list[tuple[int, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # drawn from the rows of another table's sheet (one row per enterprise and year): collapsed to
    # one row per key when assembled, its lines counted once, under the table the sheet holds
    derived: bool = False
    sheet: str | None = None  # the sheet it came from (workbooks)
    # columns whose cells are Arrow text already trimmed by Arrow (``formats._rectangular_columns``):
    # trimming them again changes nothing, so the check does not
    trimmed: frozenset[str] = frozenset()
    # a GeoParquet layer's outlines as read (each row's geometry object) and the WKB they were
    # decoded from (``formats.layer_wkb``): the cache stores these bytes if the check keeps those objects
    outlines_wkb: tuple[np.ndarray, pa.ChunkedArray] | None = None


@dataclass
class Inventory:
    sources: list[TableSource]
    problems: list[Problem]
    notes: list[str]
    ignored: list[str]

    def of(self, table: str) -> list[TableSource]:
        return [s for s in self.sources if s.table == table]


def _tables_named(*names: str | None, geometry: bool) -> list[str]:
    text = "".join(normalise(n) for n in names if n)
    return [t for t, spec in table_specs().items() if spec.geometry == geometry and any(w and w in text for w in file_words(t))]


def _unit_factors(spec: TableSpec, matches, label: str, declared_units: dict | None) -> tuple[dict, list[str], list[Problem]]:
    factors, notes, problems = {}, [], []
    units = {m.column: (m.unit, m.header) for m in matches.values()}
    for col, unit in (declared_units or {}).items():
        if col in units and units[col][0] is None:
            units[col] = (normalise(unit), f"{col} (unit from {MANIFEST})")
    for col, (unit, header) in units.items():
        target = spec.columns[col].get("unit")
        if unit is None or target is None:
            continue
        factor = unit_factor(target, unit)
        if factor is None:
            problems.append(
                Problem(
                    label,
                    f"the header names the unit '{unit}', which cannot be converted to {target}",
                    column=header,
                    expected=f"one of {', '.join(units_for(target))} (add others to data/reference/units.yaml)",
                )
            )
        elif factor != 1:
            factors[col] = factor
            notes.append(f"{label}: '{header}' read in {unit} and converted to {target} (× {factor:g})")
    return factors, notes, problems


def _row_cells(grid: Grid, header_index: int, width: int) -> np.ndarray:
    """The body's cells (below the header) of a grid of rows, as a 2-D array padded with ""."""
    body = grid.rows[header_index + 1 :]
    width = max([width, *map(len, body)]) if body else width
    padded = [r if len(r) == width else [*r, *[""] * (width - len(r))] for r in body]
    return np.array(padded, dtype=object).reshape(len(body), width)


def _body_flags(
    grid: Grid, cells: np.ndarray | None, header_index: int, header: list[str], total_chars: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, Callable]:
    """For each line below the header: blank (no cell filled), its first filled cell where that
    holds one of ``total_chars`` (else None: a 合计 row candidate), whether its first cell repeats
    the header's; and a function giving line i's first ``len(header)`` cells. Computed on Arrow
    columns for a column grid (no Python string per cell), on the padded cell array ``cells`` otherwise."""
    if grid.columns is not None:
        cols = [c.slice(header_index + 1) for c in grid.columns]
        total_like = f"[{re.escape(total_chars)}]"
        blank = np.zeros(len(cols[0]), dtype=bool)
        candidates = np.full(len(cols[0]), None, dtype=object)
        # a line whose first cell is filled has it as its first filled cell and is not blank: only the
        # lines whose first cell is empty (a few, as a rule) are looked at across their other cells
        if printable_ascii(cols[0]) and not any("!" <= ch <= "~" for ch in total_chars):
            hits = np.array([], dtype=np.intp)  # codes, numbers: no cell holds a character of 合计 etc.
        else:
            lead = pc.fill_null(pc.match_substring_regex(cols[0], total_like), False).to_numpy(zero_copy_only=False)
            hits = np.flatnonzero(lead)
        candidates[hits] = cols[0].take(pa.array(hits)).to_pylist()
        later = np.flatnonzero(pc.equal(cols[0], "").to_numpy(zero_copy_only=False))
        if len(later):
            rest = [c.take(pa.array(later)) for c in cols]
            empty = [pc.equal(c, "") for c in rest]
            blank[later] = np.logical_and.reduce([e.to_numpy(zero_copy_only=False) for e in empty])
            first = pc.coalesce(*[pc.if_else(e, pa.scalar(None, pa.string()), c) for e, c in zip(empty, rest)])
            maybe = pc.fill_null(pc.match_substring_regex(first, total_like), False).to_numpy(zero_copy_only=False)
            hits = np.flatnonzero(maybe)
            candidates[later[hits]] = first.take(pa.array(hits)).to_pylist()
        like_header = pc.equal(cols[0], header[0]).to_numpy(zero_copy_only=False)
        return blank, candidates, like_header, lambda i: [c[int(i)].as_py() for c in cols[: len(header)]]
    assert cells is not None, "a row grid comes with its padded cell array"
    filled: np.ndarray = cells != ""
    empty_line: np.ndarray = np.logical_not(filled.any(axis=1))
    first_cell: np.ndarray = cells[np.arange(len(cells)), filled.argmax(axis=1)] if len(cells) else cells[:, 0]
    total_like = pd.Series(first_cell, dtype="string").str.contains(f"[{re.escape(total_chars)}]").fillna(False).to_numpy()
    line_candidates: np.ndarray = np.where(~empty_line & total_like, first_cell, np.array(None))
    repeats_header: np.ndarray = ~empty_line & (cells[:, 0] == header[0]) if len(cells) else empty_line
    return empty_line, line_candidates, repeats_header, lambda i: list(cells[i, : len(header)])


def _body_frame(grid: Grid, cells: np.ndarray | None, header_index: int, keep: np.ndarray, matches: dict) -> pd.DataFrame:
    """The kept lines' matched columns as text (Arrow text for a column grid, objects otherwise)."""
    names = [m.column for m in matches.values()]
    if grid.columns is None:
        assert cells is not None, "a row grid comes with its padded cell array"
        return pd.DataFrame(cells[keep][:, list(matches)], columns=names, dtype=object)
    rows = None if keep.all() else pa.array(np.flatnonzero(keep))
    data = {}
    for i, name in zip(matches, names):
        col = grid.columns[i].slice(header_index + 1)
        data[name] = pd.arrays.ArrowStringArray(col if rows is None else col.take(rows))
    return pd.DataFrame(data, index=pd.RangeIndex(int(keep.sum())))


COMBINED_MIN_MEASURES = 2  # an enterprise sheet is also the yearly panel when it names 2 of its required amounts
PARCEL_LIST = re.compile(r"[、,，;；\n]+")  # "P001、P002": one enterprise on several parcels ("/" may be part of an id)


def sheet_tables(header: list[str], best: str, mapped: Mapped | None = None) -> list[str]:
    """The tables one sheet holds: ``best``, or — for an enterprise sheet carrying enterprise,
    yearly and parcel columns on each row, as county platforms export them — the panel, the
    enterprise list and (when a column names parcels) the enterprise–parcel links."""
    if best not in ("panel", "enterprises"):
        return [best]
    named = {
        t: {m.column for m in match_headers(t, header, mapped).values()} for t in ("enterprises", "panel", "enterprise_parcels")
    }
    required = {c for c, rule in table_specs()["panel"].columns.items() if rule.get("required")}
    amounts = (named["panel"] & required) - {"credit_code", "year", "above_scale"}
    if not {"credit_code", "name"} <= named["enterprises"] or len(amounts) < COMBINED_MIN_MEASURES:
        return [best]
    return ["panel", "enterprises"] + (["enterprise_parcels"] if "parcel_id" in named["enterprise_parcels"] else [])


def _words_in_name(words: dict, *names: str | None) -> bool | None:
    """True / False when the sheet's (else the file's) name holds words of one side only, else None."""
    for name in names:
        text = normalise(name or "")
        sides = {side for side, ws in words.items() for w in ws if normalise(w) in text}
        if len(sides) == 1:
            return bool(sides.pop())
    return None


def _year_of(grid: Grid, declared: dict) -> tuple[str | None, str]:
    """The year of a sheet without a 年度 column and where it was found: dataset.yaml, the sheet
    name, the file name, or the name of a folder of one year."""
    if declared.get("year"):
        return str(declared["year"]), MANIFEST
    for what, name in (("sheet name", grid.sheet), ("file name", grid.path.stem), ("folder name", grid.path.parent.name)):
        years = YEAR_IN_NAME.findall(name or "")
        if len(set(years)) == 1:
            return years[0], what
    return None, ""


def _parcel_lists(frame: pd.DataFrame, derived: bool) -> pd.DataFrame:
    """One link row per parcel of a cell naming several ("P001、P002"); in a sheet of another
    table (``derived``), rows naming no parcel are enterprises without land of their own, not links."""
    several = frame["parcel_id"].str.contains(PARCEL_LIST.pattern, regex=True, na=False)  # Arrow text stays Arrow
    if several.any():
        ids = frame["parcel_id"].astype(object).fillna("").astype(str)
        frame = frame.assign(parcel_id=ids.str.split(PARCEL_LIST)).explode("parcel_id", ignore_index=True)
        frame["parcel_id"] = frame["parcel_id"].str.strip()
    if derived:
        frame = frame[frame["parcel_id"].fillna("").str.strip() != ""].reset_index(drop=True)
    return frame


def fixed_values(frame: pd.DataFrame, spec: TableSpec, label: str, declared: dict) -> tuple[pd.DataFrame, list[str]]:
    """``frame`` with the fixed values dataset.yaml gives (``values:``) for fields it lacks, and notes."""
    notes = []
    for col, value in (declared.get("values") or {}).items():
        if col in frame.columns:
            notes.append(f"{label}: {spec.label(col)} is in the file; the fixed value '{value}' of {MANIFEST} is not used")
            continue
        frame[col] = "是" if value is True else "否" if value is False else str(value)
        notes.append(f"{label}: {spec.label(col)} = '{frame[col].iloc[0] if len(frame) else value}' for every row ({MANIFEST})")
    return frame, notes


def clash_problems(label: str, table: str, header: list, mapped: Mapped | None) -> list[Problem]:
    """A problem for every column that several headers name: the same header twice is an error
    (which one holds the figures?); different headers are a warning saying which one is read and
    the dataset.yaml line that reads the other."""
    out = []
    for column, positions in header_clashes(table, header, mapped).items():
        # imported only for a clash: openpyxl takes 0.1-0.2 s to import, holding Python's lock while
        # the other thread reads, and a folder of CSV files needs it for nothing else
        from openpyxl.utils import get_column_letter

        names = [str(header[i]) for i in positions]
        where = ", ".join(f"'{n}' (column {get_column_letter(i + 1)})" for n, i in zip(names, positions, strict=True))
        if len({normalise(n) for n in names}) < len(names):
            out.append(
                Problem(
                    label,
                    f"several columns have the same header and all read as {column}: {where}",
                    names[0],
                    expected="one column per header: delete or rename the others",
                )
            )
        else:
            out.append(
                Problem(
                    label,
                    f"several headers read as {column}: {where}; the first is read",
                    names[0],
                    expected=f"to read another, name it in {column_line(table, column)}",
                    severity="warning",
                )
            )
    return out


def grid_source(
    grid: Grid,
    table: str,
    header_index: int,
    declared: dict,
    total_words: set[str],
    derived: bool = False,
    mapped: Mapped | None = None,
) -> tuple[TableSource, list[Problem]]:
    spec = table_specs()[table]
    header = list(grid.rows[header_index])
    matches = match_headers(table, header, mapped)
    total_chars = "".join(sorted(set("".join(total_words))))
    cells = _row_cells(grid, header_index, len(header)) if grid.columns is None else None
    blank, candidates, like_header, cells_of = _body_flags(grid, cells, header_index, header, total_chars)
    line = np.arange(header_index + 2, header_index + 2 + len(blank))  # as a spreadsheet numbers lines
    skip = {}
    for i in np.flatnonzero(blank):
        skip[i] = "空行 blank line"
    for i in np.flatnonzero(candidates != None):  # noqa: E711 - elementwise on an object array
        if normalise(candidates[i]) in total_words:
            skip[i] = f"合计行 total row ('{candidates[i]}')"
    header_norm = [normalise(h) for h in header]
    for i in np.flatnonzero(like_header & ~blank):
        row = cells_of(i)
        if i not in skip and (row == header or [normalise(c) for c in row] == header_norm):
            skip[i] = "重复的表头 repeated header row"
    keep = np.ones(len(blank), dtype=bool)
    keep[list(skip)] = False
    skipped = [(int(line[i]), why) for i, why in sorted(skip.items())]
    frame = _body_frame(grid, cells, header_index, keep, matches)
    frame[ROW] = line[keep]
    frame[SOURCE] = source_column(grid.label, len(frame))
    notes = []
    if grid.encoding and grid.encoding != "utf-8" and not derived:
        notes.append(f"{grid.label}: read as text in {grid.encoding}")
    if header_index > 0 and not derived:
        notes.append(f"{grid.label}: header on line {header_index + 1} (lines above it are titles)")
    if "year" in spec.columns and "year" not in frame.columns:
        year, where = _year_of(grid, declared)
        if year is not None:
            frame["year"] = year
            notes.append(f"{grid.label}: no 年度 column; year {year} taken from the {where}")
    scale_words = spec.columns.get("above_scale", {}).get("words")
    if scale_words and "above_scale" not in frame.columns:
        above = _words_in_name(scale_words, grid.sheet, grid.path.stem)
        if above is not None:
            frame["above_scale"] = "是" if above else "否"
            notes.append(f"{grid.label}: no 是否规上 column; every row taken as {'规上' if above else '规下'} from its name")
    frame, value_notes = fixed_values(frame, spec, grid.label, declared)
    notes += value_notes
    if table == "enterprise_parcels" and "parcel_id" in frame:
        frame = _parcel_lists(frame, derived)
    factors, unit_notes, problems = _unit_factors(spec, matches, grid.label, declared.get("units"))
    if not derived:
        problems += clash_problems(grid.label, table, header, mapped)
    skipped = [] if derived else skipped  # a derived source's lines are counted and listed under the sheet's table
    names = {m.column for m in matches.values()}
    # a column split into several parcels per cell is Python text now, trimmed by Python: not among them
    arrow_text = [c for c in names if c in frame and isinstance(frame[c].array, pd.arrays.ArrowStringArray)]
    trimmed = frozenset(arrow_text if grid.columns is not None else ())
    return TableSource(table, grid.label, frame, factors, skipped, notes + unit_notes, derived, grid.sheet, trimmed), problems


def _read_grids(path: Path, kind: str) -> tuple[list[Grid], list[str]]:
    if kind == "csv":
        return [read_csv_grid(path)], []
    grids, hidden = read_xls_grids(path) if kind == "xls" else read_xlsx_grids(path)
    return grids, [f"{path} [{h}]: hidden sheet, not read" for h in hidden]


def _layer_source(
    path: Path, kind: str, manifest: Manifest, settings: dict
) -> tuple[TableSource | None, list[Problem], list[str]]:
    try:
        gdf, encoding = read_layer_file(path, kind)
    except Exception as exc:  # pyogrio / pyarrow raise many types; name the file
        return (
            None,
            [Problem(str(path), f"cannot be read as a layer ({exc})", expected="a GeoParquet, GeoPackage, GeoJSON or Shapefile")],
            [],
        )
    table = manifest.table_of(path, None)
    candidates = (
        [table] if table else (_tables_named(path.stem, geometry=True) or [t for t, s in table_specs().items() if s.geometry])
    )
    scores = {t: header_score(t, list(gdf.columns), manifest.mapped) for t in candidates}
    table = max(candidates, key=lambda t: scores[t])
    if not table or (len(candidates) > 1 and scores[table] < MIN_HEADER_SCORE):
        return None, [], [f"{path}: a layer whose columns name no table; not read"]
    spec = table_specs()[table]
    declared = manifest.settings(table)
    matches = match_headers(table, list(gdf.columns), manifest.mapped)
    frame = pd.DataFrame(gdf[[gdf.columns[i] for i in matches]])
    frame.columns = [m.column for m in matches.values()]
    frame[ROW] = range(1, len(gdf) + 1)
    frame[SOURCE] = source_column(str(path), len(frame))
    notes = [f"{path}: attributes read as {encoding} (no .cpg file)"] if encoding and encoding != "utf-8" else []
    frame, value_notes = fixed_values(frame, spec, str(path), declared)
    notes += value_notes
    coordinates = {**settings["coordinates"], **{k: declared[k] for k in ("max_distance_km",) if k in declared}}
    placed, crs_notes, problems = place_layer(
        gpd.GeoDataFrame(geometry=gdf.geometry.values, crs=gdf.crs),
        str(path),
        coordinates,
        declared.get("crs"),
        declared.get("coordinates"),
    )
    geometry = placed.geometry if placed is not None else gdf.geometry.set_crs(None, allow_override=True)
    frame = gpd.GeoDataFrame(frame, geometry=geometry.values, crs=placed.crs if placed is not None else None)
    if placed is not None and "geom_area_mu" in placed:  # measured in the layer's own (older) grid
        frame["geom_area_mu"] = placed["geom_area_mu"].to_numpy()
    factors, unit_notes, unit_problems = _unit_factors(spec, matches, str(path), declared.get("units"))
    notes += unused_columns(str(path), list(gdf.columns), [table], manifest.mapped)
    source = TableSource(table, str(path), frame, factors, [], notes + crs_notes + unit_notes)
    wkb = layer_wkb(path) if kind == "parquet" else None
    if wkb is not None and len(wkb) == len(gdf):
        source.outlines_wkb = (np.asarray(gdf.geometry.array), wkb)
    return source, problems + unit_problems, []


def unused_columns(label: str, header: list, tables: list[str], mapped: Mapped | None = None) -> list[str]:
    """A note naming the headers no table of ``tables`` uses (read, shown in the data overview,
    not evaluated): nothing a file holds is dropped without a word."""
    used = {i for t in tables for i in match_headers(t, header, mapped)}
    unused = [str(h) for i, h in enumerate(header) if i not in used and str(h).strip() and str(h) != "geometry"]
    return [f"{label}: 未使用的列 columns not used: {', '.join(unused)}"] if unused else []


@dataclass
class _FileRead:
    """What one file of a folder gives: its table sources, problems, notes and what was not read."""

    sources: list[TableSource] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)


def _is_data_file(path: Path) -> bool:
    suffix = path.suffix.lower()
    return not (
        path.name.startswith((".", "~$"))
        or path.name in RESERVED_FILES
        or path.name == MANIFEST
        or suffix in SHAPEFILE_SIDECARS
        or suffix in NOT_DATA_SUFFIXES
    )


def _read_file(path: Path, manifest: Manifest, settings: dict, total_words: set[str]) -> _FileRead:
    """Every table source of one data file; problems are collected, not raised."""
    out = _FileRead()
    suffix = path.suffix.lower()
    if suffix not in KIND_OF_SUFFIX:
        out.ignored.append(f"{path}: not a data file this project reads ({suffix or 'no extension'})")
        return out
    problem = kind_problem(path)
    if problem:
        out.problems.append(problem)
        return out
    kind = sniff(path)
    if kind != KIND_OF_SUFFIX[suffix]:  # only a workbook renamed between .xls and .xlsx gets here
        out.notes.append(f"{path}: named {suffix} but it is {KIND_NAMES[kind]}; read as such")
    if kind in LAYER_KINDS:
        src, found, skipped = _layer_source(path, kind, manifest, settings)
        out.problems += found
        out.ignored += skipped
        if src:
            out.sources.append(src)
        return out
    try:
        grids, hidden = _read_grids(path, kind)
    except InputError as exc:
        out.problems += exc.problems
        return out
    except Exception as exc:  # openpyxl / xlrd / csv raise many types on a damaged file; name the file
        out.problems.append(
            Problem(
                str(path),
                f"cannot be read as {KIND_NAMES[kind]} ({type(exc).__name__}: {exc}"
                + (f"; cause: {type(exc.__cause__).__name__}" if exc.__cause__ else "")
                + ")",
                expected="a CSV file (UTF-8 or GBK) that Excel or WPS opens; save it again from there (另存为 CSV)"
                if kind == "csv"
                else "a workbook that Excel or WPS opens; open it there and save it again (另存为)",
            )
        )
        return out
    out.notes += hidden
    for grid in grids:
        if grid.uncomputed:
            cells = ", ".join(c for _, c in grid.uncomputed[:12]) + (" …" if len(grid.uncomputed) > 12 else "")
            out.problems.append(
                Problem(
                    grid.label,
                    f"formula cells without a stored value ({cells}): the workbook was written by a program that "
                    "does not compute formulas, so these cells read as empty",
                    rows=tuple(sorted({r for r, _ in grid.uncomputed})),
                    expected="open the workbook in Excel or WPS and save it (this stores the values), or type the values",
                )
            )
        table = manifest.table_of(path, grid.sheet)
        by_sheet = _tables_named(grid.sheet, geometry=False)
        named = [table] if table else by_sheet or _tables_named(path.stem, geometry=False)
        # a name is trusted when it is the manifest's, the sheet's, or the file's of a one-table file;
        # a sheet of a workbook whose file name alone suggests a table must show it in its headers
        trusted = bool(table or by_sheet or (named and len(grids) == 1))
        candidates = named or [t for t, s in table_specs().items() if not s.geometry]
        held_declared = manifest.sheet_tables(grid.sheet) or []
        candidates = held_declared[:1] or candidates
        index, best, score = find_header_row(grid.rows, candidates, manifest.mapped)
        trusted = trusted or bool(held_declared)
        if best is None or (not trusted and score < MIN_HEADER_SCORE):
            # the sheet's text is not quoted: it may hold names that an anonymised report must not show
            out.ignored.append(
                f"{grid.label}: no table recognised from its name or headers ({grid.n_lines} lines); "
                "name it in dataset.yaml if it holds one"
            )
            continue
        header = list(grid.rows[index])
        held = held_declared or sheet_tables(header, best, manifest.mapped)
        for t in held:
            settings_t = manifest.settings(t, grid.sheet)
            src, found = grid_source(grid, t, index, settings_t, total_words, t != held[0], manifest.mapped)
            out.sources.append(src)
            out.problems += found
        if len(held) > 1:
            titles = ", ".join(table_specs()[t].title.split(" / ")[0] for t in held)
            out.notes.append(f"{grid.label}: one sheet holds {titles} (enterprise, yearly and parcel columns on each row); split")
        out.notes += unused_columns(grid.label, header, held, manifest.mapped)
    return out


READ_THREADS = 2  # files read at once: pyarrow's CSV reader, shapely and PROJ release the GIL


def take_inventory(folder: Path, settings: dict) -> Inventory:
    """Read every data file of ``folder`` into table sources; problems are collected, not raised.
    Files are read in ``READ_THREADS`` threads, the largest first, and gathered in the folder's
    (sorted) order, so sources, problems and notes come in the same order as one by one."""
    manifest = load_manifest(folder)
    total_words = {normalise(w) for w in settings["total_row_words"]}
    ignored = [
        f"{sub}: a subfolder; files in subfolders are not read (move them into the data folder to use them)"
        for sub in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    ]
    files = [p for p in sorted(p for p in folder.iterdir() if p.is_file()) if _is_data_file(p)]
    with ThreadPoolExecutor(READ_THREADS) as pool:
        jobs = {
            path: pool.submit(_read_file, path, manifest, settings, total_words)
            for path in sorted(files, key=lambda p: p.stat().st_size, reverse=True)
        }
        reads = [jobs[path].result() for path in files]
    sources = [src for r in reads for src in r.sources]
    problems = [p for r in reads for p in r.problems]
    notes = [n for r in reads for n in r.notes] + [n for src in sources for n in src.notes]
    ignored += [i for r in reads for i in r.ignored]
    return Inventory(sources, problems, notes, ignored)


__all__ = ["Inventory", "TableSource", "take_inventory", "load_manifest", "sheet_tables"]
