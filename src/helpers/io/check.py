"""Checking a whole data folder in one pass: every problem found, every row accounted for.

``check_folder`` reads the folder (``helpers.io.inventory``), types and checks each table
(``helpers.io.schema``), then checks across tables: links to missing parcels or enterprises, shares
of a parcel above 1, registered against measured parcel area, amounts that look like 元 where
万元 was meant, negative tax (a documented rule, ``data/reference/validation.yaml``).

Each table's rows end up either kept or excluded with a reason (a blank line, a 合计 row, an
exact copy of an earlier row); ``CheckResult.ledger`` counts them, read = kept + excluded.
Problems of severity "error" stop a run (``load_dataset`` raises them all at once);
"warning"s are listed and the data are used.

    python -m helpers.io.check data/my_folder      # the one-command check (also `make check DATA=…`)
"""

from __future__ import annotations

import argparse
import dataclasses
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache, partial
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

from helpers.core import paths
from helpers.core.errors import InputError, Problem
from helpers.core.geography import load_streets
from helpers.core.memory import release_freed_memory
from helpers.core.units import area_mu
from helpers.core.yamlfile import load_yaml
from helpers.io.coordinates import finite_coordinates, has_geometry
from helpers.io.inventory import Inventory, take_inventory
from helpers.io.manifest import column_line, value_line, year_line
from helpers.io.positions import ROW_POSITIONS
from helpers.io.schema import (
    ROW,
    SOURCE,
    check_reference,
    coerce_source,
    concat_rows,
    duplicate_keys,
    exact_copies,
    found_rows,
    missing_columns,
    problems_at,
    repeated_keys,
    table_specs,
)
from helpers.io.shares import fill_shares

SETTINGS_FILE = paths.DATA_DIR / "reference" / "validation.yaml"
SHARE_TOLERANCE = 1e-6
NEGATIVE_TAX_RULES = ("keep", "zero")
LAYERS = ("parcels", "parks")
CHECK_THREADS = 2  # tables typed at once: Arrow's kernels, shapely and PROJ release the GIL


@cache
def settings() -> dict:
    s = load_yaml(SETTINGS_FILE)
    if s["negative_tax"] not in NEGATIVE_TAX_RULES:
        raise ValueError(f"{SETTINGS_FILE}: negative_tax must be one of {NEGATIVE_TAX_RULES}")
    return s


@cache
def street_lookup() -> dict[str, str]:
    """Code, full name and short name (without 街道/镇) of each 街道/镇 → its code."""
    out = {}
    for code, name in load_streets()[["street_code", "street_name"]].itertuples(index=False):
        short = name.removesuffix("街道").removesuffix("镇")
        out.update({code: code, name: code, short: code})
    return out


@dataclass
class CheckResult:
    folder: Path
    tables: dict[str, pd.DataFrame]  # kept rows, typed, with _row and _source
    problems: list[Problem]
    notes: list[str]
    ignored: list[str]
    excluded: pd.DataFrame  # table, file, row, reason
    read: dict[str, int] = field(default_factory=dict)
    # row numbers between the core tables (helpers.io.positions.ROW_POSITIONS), found by check_links;
    # the parcels' label points are added when the check is cached (helpers.io.cache.store)
    positions: dict[str, np.ndarray] = field(default_factory=dict)
    # a layer read from one GeoParquet file: its outlines as read and their WKB (``TableSource.outlines_wkb``);
    # the cache stores these bytes when the table still holds those very geometries, in that order
    outlines_wkb: dict[str, tuple[np.ndarray, pa.ChunkedArray]] = field(default_factory=dict)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def ledger(self) -> pd.DataFrame:
        """Rows read, kept and excluded per table (read = kept + excluded)."""
        rows = []
        for name, n_read in self.read.items():
            n_excl = int((self.excluded["table"] == name).sum())
            kept = len(self.tables[name]) if name in self.tables else 0
            rows.append({"table": name, "title": table_specs()[name].title, "read": n_read, "kept": kept, "excluded": n_excl})
        return pd.DataFrame(rows, columns=["table", "title", "read", "kept", "excluded"])

    def problem_table(self) -> pd.DataFrame:
        return pd.DataFrame(
            [p.as_record() for p in self.problems],
            columns=["severity", "file", "column", "rows", "n_rows", "problem", "expected"],
        )

    def summary(self) -> str:
        lines = [f"Data folder {self.folder}: {len(self.errors)} error(s), {len(self.warnings)} warning(s)"]
        for kind, items in (("ERROR", self.errors), ("warning", self.warnings)):
            lines += [f"  {kind}: {p}" for p in items]
        lines += [f"  excluded: {r.table} {r.file} row {r.row}: {r.reason}" for r in self.excluded.head(30).itertuples()]
        if len(self.excluded) > 30:
            lines.append(f"  … {len(self.excluded)} rows excluded in all")
        lines += [f"  ignored: {i}" for i in self.ignored]
        lines += [f"  note: {n}" for n in self.notes]
        if self.read:
            lines.append("  rows per table (read = kept + excluded):")
            lines += [
                f"    {r.table:<22} read {r.read:>7,}  kept {r.kept:>7,}  excluded {r.excluded:>5,}"
                for r in self.ledger.itertuples()
            ]
        return "\n".join(lines)


def with_defaults(frame: pd.DataFrame, spec, label: str) -> tuple[pd.DataFrame, list[str]]:
    """``frame`` with each absent column that has a ``default`` in the contract filled with it, and a note."""
    absent = {c: rule["default"] for c, rule in spec.columns.items() if "default" in rule and c not in frame}
    if not absent:
        return frame, []
    notes = [
        f"{label}: no {spec.label(c)} column; every row taken as {'是' if v is True else '否' if v is False else v} "
        "(the contract's default, data/reference/input_schema.yaml)"
        for c, v in absent.items()
    ]
    return frame.assign(**{c: str(v).lower() for c, v in absent.items()}), notes


def collapse_derived(derived: pd.DataFrame, spec, explicit: pd.DataFrame | None) -> tuple[pd.DataFrame, list[Problem]]:
    """One row per key of rows drawn from another table's sheet (``TableSource.derived``: an
    enterprise repeated on each of its yearly rows). Keys the table's own files hold are theirs;
    values that differ between the repeats (a renamed enterprise, a moved 街道) are listed, and the
    last row's (the latest sheet's) are used."""
    key = spec.key
    if explicit is not None and len(explicit):
        own = pd.MultiIndex.from_frame(explicit[key].astype("string"))
        derived = derived[~pd.MultiIndex.from_frame(derived[key].astype("string")).isin(own)]
    repeated = derived[derived.duplicated(subset=key, keep=False)]
    problems: list[Problem] = []
    for col in [c for c in spec.columns if c in derived and c not in key and c != "share"]:
        differs = repeated.groupby(key)[col].transform("nunique") > 1
        problems += problems_at(
            repeated,
            differs,
            "differs between the rows of one enterprise; the last row's value is used",
            spec.label(col),
            "the same value on every row of an enterprise (nothing to fix if it changed; listed so that you can check)",
            severity="warning",
        )
    return derived.drop_duplicates(subset=key, keep="last").reset_index(drop=True), problems


def mapping_hint(table: str, column: str, sheet: str | None) -> str:
    """The dataset.yaml line that gives ``column`` of ``table`` when the files do not name it."""
    if column == "year":
        return year_line(sheet)
    if table_specs()[table].columns[column]["type"] == "boolean":
        return f"{column_line(table, column)}, or one value for every row: {value_line(table, column, '是')}"
    return column_line(table, column)


def _assemble(
    inv: Inventory, name: str, problems: list[Problem], excluded: list[dict], notes: list[str]
) -> tuple[pd.DataFrame | None, int]:
    """One table from its sources: typed, exact copies excluded, duplicate keys reported; rows
    drawn from another table's sheet collapsed to one per key (``collapse_derived``)."""
    spec = table_specs()[name]
    parts: list[pd.DataFrame] = []
    derived: list[pd.DataFrame] = []
    n_read = 0
    has_own = any(not src.derived for src in inv.of(name))
    for src in inv.of(name):
        if not src.derived:  # a derived source's lines are counted under the table its sheet holds
            n_read += len(src.frame) + sum(1 for _, why in src.skipped if not why.startswith("空行"))
        excluded += [
            {"table": name, "file": src.label, "row": r, "reason": why} for r, why in src.skipped if not why.startswith("空行")
        ]
        missing = missing_columns(src.frame, spec, src.label, partial(mapping_hint, name, sheet=src.sheet))
        if missing and src.derived and has_own:  # the table's own file holds it: nothing is lost
            notes.append(f"{src.label}: not read as {spec.title} ({missing[0].problem}); the table's own file is")
            continue
        frame, default_notes = with_defaults(src.frame, spec, src.label)
        src.frame = pd.DataFrame()  # typed in place below: each column's text is let go once it is typed
        typed, found = coerce_source(frame, spec, street_lookup(), src.factors, in_place=True, trimmed=src.trimmed)
        del frame
        problems += missing + found  # the cells of a source that misses a column are checked too: one pass
        if missing:
            continue
        notes += default_notes
        (derived if src.derived else parts).append(typed)
    if derived:
        own = concat_rows(parts) if parts else None
        collapsed, found = collapse_derived(concat_rows(derived), spec, own)
        problems += found
        n_read += len(collapsed)
        parts.append(collapsed)
    if not parts:
        return None, n_read
    if not spec.optional and sum(len(p) for p in parts) == 0:
        problems.append(
            Problem(" + ".join(s.label for s in inv.of(name)), "a header but no data rows", expected=f"the rows of {spec.title}")
        )
    table = concat_rows(parts) if len(parts) > 1 else parts[0].reset_index(drop=True)
    if spec.geometry:
        table = gpd.GeoDataFrame(table, geometry="geometry", crs=parts[0].crs)
    repeated = repeated_keys(table, spec)  # found once for both: exact copies, then repeated keys
    copies = exact_copies(table, spec, repeated)
    if copies.any():
        first_rows = table.loc[~copies].assign(_k=lambda d: d[spec.key].astype("string").agg("|".join, axis=1))
        first_of = dict(zip(first_rows["_k"], zip(first_rows[SOURCE], first_rows[ROW])))
        for _, r in table.loc[copies].iterrows():
            src, row = first_of.get("|".join(str(r[k]) for k in spec.key), ("?", "?"))
            excluded.append(
                {
                    "table": name,
                    "file": r[SOURCE],
                    "row": int(r[ROW]),
                    "reason": f"完全重复 exact copy of row {row}" + ("" if src == r[SOURCE] else f" of {src}"),
                }
            )
        table = table.loc[~copies].reset_index(drop=True)
    whole_key = copies.any() or any(k not in table for k in spec.key)  # else the repeats found above are the key's
    same_key = duplicate_keys(table, spec, None if whole_key else repeated)
    if "year" in spec.key and len({p.file for p in same_key}) > 1:  # the same year in several files or sheets
        hint = f"; if the files or sheets hold different years, give each its year: {year_line('<sheet>')}"
        same_key = [dataclasses.replace(p, expected=f"{p.expected}{hint}") for p in same_key]
    problems += same_key
    for col, c_spec in spec.columns.items():
        if "unique" in c_spec.get("rules", []) and col not in spec.key and col in table:
            dup = table[col].notna() & table.duplicated(subset=[col], keep=False)
            if dup.any():
                problems += problems_at(table, dup, "duplicate values", spec.label(col), "each value once")
    return table, n_read


def check_geometries(
    parcels: gpd.GeoDataFrame, what: str, present: np.ndarray | None = None, finite: np.ndarray | None = None
) -> list[Problem]:
    """Empty, broken (not finite), invalid and not polygonal outlines. ``present`` and ``finite``:
    ``has_geometry`` and ``finite_coordinates`` of the outlines, when the caller has them already."""
    geom = parcels.geometry
    empty = ~(has_geometry(geom) if present is None else present)
    out = problems_at(parcels, empty, "empty or missing geometry", "geometry", f"a polygon per {what}")
    broken = ~empty & ~(finite_coordinates(geom) if finite is None else finite)
    out += problems_at(
        parcels,
        broken,
        "coordinates that are not finite numbers (NaN or infinite)",
        "geometry",
        "finite coordinates (repair or delete the broken vertex in QGIS, or export the layer again)",
    )
    unusable = empty | broken  # not tested further
    invalid = ~unusable & ~geom.is_valid
    out += problems_at(
        parcels,
        invalid,
        "invalid geometry (self-intersection or similar)",
        "geometry",
        "valid polygons (repair with shapely.make_valid or QGIS 'Fix geometries')",
    )
    not_poly = ~unusable & ~geom.geom_type.isin(["Polygon", "MultiPolygon"])
    out += problems_at(parcels, not_poly, "geometry is not a polygon", "geometry", "Polygon or MultiPolygon")
    return out


def drop_empty_parts(table: gpd.GeoDataFrame, what: str) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """``table`` with the empty parts of its multi-part geometries removed (some exports write a
    ``MULTIPOLYGON (((…)), EMPTY)``; the empty part has no area but trips spatial operations), and a
    warning naming the rows. Geometries without an empty part are kept as they are."""
    geoms = np.asarray(table.geometry.array)
    multi = np.isin(shapely.get_type_id(geoms), (4, 5, 6, 7)) & ~shapely.is_missing(geoms)
    if not multi.any():
        return table, []
    parts, which = shapely.get_parts(geoms[multi], return_index=True)
    empty_part = shapely.is_empty(parts)
    if not empty_part.any():
        return table, []
    rows = np.flatnonzero(multi)[np.unique(which[empty_part])]
    mended = geoms.copy()
    for i in rows:
        kept = [g for g in shapely.get_parts(geoms[i]) if not g.is_empty]
        mended[i] = type(geoms[i])(kept) if kept else None
    flagged = np.zeros(len(table), dtype=bool)
    flagged[rows] = True
    out = table.set_geometry(gpd.GeoSeries(mended, index=table.index, crs=table.crs))
    return out, problems_at(
        table,
        flagged,
        "multi-part geometry with empty parts; the empty parts are dropped, the rest kept as it is",
        "geometry",
        f"one polygon or several non-empty parts per {what} (QGIS 'Remove null geometries' / 'Fix geometries')",
        severity="warning",
    )


def measured_area_mu(parcels: gpd.GeoDataFrame, usable: np.ndarray | None = None) -> pd.Series:
    """Each parcel's area measured from its geometry (亩, EPSG:4549); NaN where it has none; kept
    where the layer was measured in its own older grid (``coordinates.own_grid_area_mu``).
    Measured once here, so the cached check carries it and a re-run does not project again.
    ``usable``: where an outline is present with finite coordinates, when the caller knows it."""
    if "geom_area_mu" in parcels:
        out = parcels["geom_area_mu"].astype(float)
    else:
        out = pd.Series(float("nan"), index=parcels.index, name="geom_area_mu")
    if usable is None:
        usable = has_geometry(parcels.geometry) & finite_coordinates(parcels.geometry)
    has = usable & out.isna().to_numpy()
    if has.any():
        out[has] = area_mu(parcels.geometry[has])
    return out


def check_areas(parcels: gpd.GeoDataFrame, cfg: dict) -> list[Problem]:
    """Registered area against the area measured from the geometry (``geom_area_mu``)."""
    spec = table_specs()["parcels"]
    ok = has_geometry(parcels.geometry) & parcels["registered_area_mu"].gt(0)
    if not ok.any() or "geom_area_mu" not in parcels:
        return []
    measured = parcels.loc[ok, "geom_area_mu"]
    ratio = parcels.loc[ok, "registered_area_mu"] / measured.where(measured > 0)
    low, high = cfg["square_metre_band"]
    label = spec.label("registered_area_mu")
    if low <= ratio.median() <= high:
        return problems_at(
            parcels,
            ok,
            f"registered areas are {ratio.median():.0f} times the measured areas: they look like 平方米, not 亩",
            label,
            "areas in 亩, or the unit in the header (用地面积(平方米)) or in dataset.yaml, which converts them",
        )
    r = cfg["warn_ratio"]
    far = pd.Series(False, index=parcels.index)
    far.loc[ok] = (ratio > r) | (ratio < 1 / r)
    return problems_at(
        parcels,
        far,
        f"registered area differs from the measured area by more than a factor {r:g}",
        label,
        "registered and measured areas to agree; the evaluation uses the registered area",
        severity="warning",
    )


def check_magnitudes(tables: dict[str, pd.DataFrame], limit: float) -> list[Problem]:
    """Numbers beyond ``limit`` in absolute value (validation.yaml ``max_magnitude``): no
    enterprise, parcel or amount of a county reaches it; such a cell is a typing or export slip."""
    out = []
    for name, table in tables.items():
        spec = table_specs()[name]
        for col, c_spec in spec.columns.items():
            if c_spec["type"] in ("number", "integer") and col in table:
                far = table[col].abs() > limit
                if far.any():
                    out += problems_at(
                        table,
                        far.fillna(False),
                        f"values beyond ±{limit:g}",
                        spec.label(col),
                        "a plausible figure (check the cell)",
                    )
    return out


def check_yuan(panel: pd.DataFrame, cfg: dict) -> list[Problem]:
    """Amounts that look like 元 in columns meant to hold 万元."""
    spec = table_specs()["panel"]
    out = []
    parts = [part for _source, part in panel.groupby(SOURCE, sort=False)]  # grouped once for every column
    for col, limits in cfg.items():
        if col not in panel:
            continue
        label = spec.label(col)
        expected = "万元 (1 万元 = 10,000 元); a header such as 税收实际贡献(元) converts 元 automatically"
        for part in parts:
            med = part[col].median()
            if pd.notna(med) and med > limits["median_above"]:
                out += problems_at(part, part[col].notna(), f"median {med:,.0f} looks like 元, not 万元", label, expected)
            else:
                out += problems_at(
                    part,
                    part[col] > limits["row_above"],
                    f"values above {limits['row_above']:,} 万元 look like 元, not 万元",
                    label,
                    expected,
                )
    return out


def check_negative_tax(panel: pd.DataFrame, rule: str) -> list[Problem]:
    neg = panel["tax_10k_yuan"] < 0
    what = (
        "kept: net refunds lower the enterprise's 亩均税收 and score" if rule == "keep" else "counted as 0 (negative_tax: zero)"
    )
    return problems_at(
        panel,
        neg,
        f"negative tax (net refunds), {what}",
        table_specs()["panel"].label("tax_10k_yuan"),
        "tax of 0 or more, or a refund the rule in data/reference/validation.yaml handles",
        severity="warning",
    )


def share_totals(links: pd.DataFrame, parcel_rows: np.ndarray | None = None) -> pd.Series:
    """Each link's total share of its parcel: ``links.groupby("parcel_id")["share"].transform("sum")``
    (NaN where the link names no parcel). ``parcel_rows``: each link's row in the parcels' table
    (``found_rows``, -1 where none), grouped on instead of hashing a million ids again. Equal ids
    have equal rows, and pandas adds a group's shares in the order of its rows whatever the key, so
    the sums are the same to the last bit; ids no parcel has are grouped by their own text."""
    if parcel_rows is None:
        return links.groupby("parcel_id")["share"].transform("sum")
    key = parcel_rows.astype(float)
    named = links["parcel_id"].notna().to_numpy()
    unknown = (parcel_rows < 0) & named
    if unknown.any():  # after every parcel's row number: no clash
        key[unknown] = parcel_rows.max() + 1 + pd.factorize(links["parcel_id"][unknown])[0]
    key[~named] = np.nan  # no id: in no group, as pandas leaves a missing key out
    return links["share"].groupby(key).transform("sum")


def _references(tables: dict) -> list[tuple[str, str, str, str]]:
    """(table, column, target table, target column) of every reference between the tables present
    (``references:`` in the contract)."""
    specs = table_specs()
    return [
        (name, col, *c_spec["references"].split("."))
        for name, table in tables.items()
        for col, c_spec in specs[name].columns.items()
        if c_spec.get("references") and col in table and c_spec["references"].split(".")[0] in tables
    ]


LookUps = dict[tuple[str, str], tuple[list[tuple[str, str]], "Future[list[np.ndarray]]"]]


def look_up_references(tables: dict, pool: Executor) -> LookUps:
    """``found_rows`` of every reference between ``tables``, started on ``pool``: the columns that
    refer to one target are looked up together (one hash table of the target), one job per target.
    The columns are taken from ``tables`` here, so the caller may go on with other checks, even
    change other columns, while the pool looks them up (``check_links`` takes the results)."""
    targets: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for name, col, target_table, target_col in _references(tables):
        targets.setdefault((target_table, target_col), []).append((name, col))
    return {
        target: (columns, pool.submit(found_rows, [tables[n][c] for n, c in columns], tables[target[0]][target[1]]))
        for target, columns in targets.items()
    }


def check_links(tables: dict, problems: list[Problem], lookups: LookUps | None = None) -> dict[str, np.ndarray]:
    """Every reference between tables (``references:`` in the contract) to a value the other table
    holds, and the shares of each parcel to at most 1. ``lookups``: the references' rows as
    ``look_up_references`` started them on the tables as they are now; None: looked up here, the
    targets in two threads. Returns the row numbers found on the way that
    ``positions.ROW_POSITIONS`` names (each link's parcel and enterprise, each panel row's
    enterprise), so that caching the check does not look them up again."""
    if lookups is None:
        with ThreadPoolExecutor(CHECK_THREADS) as pool:
            return check_links(tables, problems, look_up_references(tables, pool))
    specs = table_specs()
    references = _references(tables)
    rows = {key: found for columns, job in lookups.values() for key, found in zip(columns, job.result())}
    links = tables.get("enterprise_parcels")
    for name, col, target_table, target_col in references:
        problems += check_reference(
            tables[name],
            col,
            tables[target_table][target_col],
            specs[name],
            f"{target_col} of {specs[target_table].title}",
            rows[name, col] >= 0,
        )
    if links is not None and "share" in links:
        problems += problems_at(
            links,
            share_totals(links, rows.get(("enterprise_parcels", "parcel_id"))) > 1 + SHARE_TOLERANCE,
            "shares of one parcel add up to more than 1",
            specs["enterprise_parcels"].label("share"),
            "the shares of the enterprises on a parcel to total at most 1",
        )
    refers_to = {(name, col): (target_table, target_col) for name, col, target_table, target_col in references}
    return {
        position: rows[table, key]
        for position, (table, key, target) in ROW_POSITIONS.items()
        if refers_to.get((table, key)) == (target, key)
    }


def check_folder(data_dir: str | Path) -> CheckResult:
    """Every problem of the data folder, without stopping at the first."""
    folder = paths.resolve(data_dir)
    if not folder.is_dir():
        raise InputError(folder, "data folder not found", expected="a folder with the input tables")
    cfg = settings()
    return check_inventory(folder, take_inventory(folder, cfg), cfg)


@dataclass
class _Assembled:
    """One table of an inventory, typed and checked alone (``_assemble_table``), with what was found."""

    table: pd.DataFrame | None
    n_read: int
    problems: list[Problem]
    excluded: list[dict]
    notes: list[str]
    geometry_problems: list[Problem] = field(default_factory=list)  # a layer's outlines (``_check_layer``)
    outlines_wkb: tuple[np.ndarray, pa.ChunkedArray] | None = None  # its one file's, as read


def _check_layer(name: str, table: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """A layer's outlines checked (empty parts dropped, then empty, broken, invalid or not polygons);
    the parcels also get their measured area (``geom_area_mu``)."""
    what = "parcel" if name == "parcels" else "park"
    table, mended = drop_empty_parts(table, what)
    present, finite = has_geometry(table.geometry), finite_coordinates(table.geometry)  # found once for both
    problems = mended + check_geometries(table, what, present, finite)
    if name == "parcels" and table.crs is not None:
        table["geom_area_mu"] = measured_area_mu(table, present & finite)
    return table, problems


def _assemble_table(inv: Inventory, name: str) -> _Assembled:
    """``_assemble`` of one table with lists of its own (tables are assembled in threads), then its
    sources' text cells let go; a layer's outlines are checked here too, while other tables are typed."""
    problems: list[Problem] = []
    excluded: list[dict] = []
    notes: list[str] = []
    table, n_read = _assemble(inv, name, problems, excluded, notes)
    sources = inv.of(name)
    for src in sources:
        src.frame = pd.DataFrame()  # typed now: the text cells are not needed again (a slice would keep them)
    done = _Assembled(table, n_read, problems, excluded, notes)
    if name in LAYERS and table is not None:
        done.table, done.geometry_problems = _check_layer(name, table)
        done.outlines_wkb = sources[0].outlines_wkb if len(sources) == 1 else None
    for src in sources:
        src.outlines_wkb = None
    return done


def check_inventory(folder: Path, inv: Inventory, cfg: dict) -> CheckResult:
    """The tables of an inventory typed and checked, alone and against each other. The inventory
    is consumed: once a table is typed, its sources' text cells are let go (their labels, skipped
    lines and notes stay), so a large folder is not held twice, as text and typed. Tables are typed
    in ``CHECK_THREADS`` threads, the largest first; what each finds is gathered in the contract's
    order of tables, so problems, notes and exclusions come in the same order as one by one. Then
    the same threads look up the references between the tables (``look_up_references``) while this
    one runs the checks across tables (shares, areas, magnitudes, 元 for 万元, negative tax), which
    left a core idle when they ran one after the other."""
    problems = list(inv.problems)
    notes = list(inv.notes)
    excluded: list[dict] = []
    tables, read = {}, {}
    specs = table_specs()
    present = [name for name in specs if inv.of(name)]
    largest_first = sorted(present, key=lambda n: sum(len(s.frame) * s.frame.shape[1] for s in inv.of(n)), reverse=True)
    geometry_problems: dict[str, list[Problem]] = {}
    outlines_wkb: dict[str, tuple[np.ndarray, pa.ChunkedArray]] = {}
    with ThreadPoolExecutor(CHECK_THREADS) as pool:
        jobs = {name: pool.submit(_assemble_table, inv, name) for name in largest_first}
        for name, spec in specs.items():
            if name not in jobs:
                if not spec.optional:
                    problems.append(
                        Problem(
                            str(folder / spec.file),
                            f"no file or sheet holds the table {spec.title}",
                            expected=f"a file named {spec.file} (or .xlsx/.gpkg/.shp…), or a file or sheet "
                            f"whose name or headers say it holds {name}"
                            + (f"; files not recognised: {'; '.join(inv.ignored)}" if inv.ignored else ""),
                        )
                    )
                continue
            done = jobs.pop(name).result()
            read[name] = done.n_read
            problems += done.problems
            excluded += done.excluded
            notes += done.notes
            geometry_problems[name] = done.geometry_problems
            if done.table is not None:
                tables[name] = done.table
            if done.outlines_wkb is not None:
                outlines_wkb[name] = done.outlines_wkb
        # the references are looked up in the pool while this thread checks the tables one by one
        lookups = look_up_references(tables, pool)
        if "enterprise_parcels" in tables:
            tables["enterprise_parcels"], share_notes = fill_shares(
                tables["enterprise_parcels"], tables.get("panel"), cfg["missing_shares"]
            )
            notes += share_notes
        for name in LAYERS:
            problems += geometry_problems.get(name, [])
        if "parcels" in tables and "geom_area_mu" in tables["parcels"] and "registered_area_mu" in tables["parcels"]:
            problems += check_areas(tables["parcels"], cfg["area_check"])
        problems += check_magnitudes(tables, float(cfg["max_magnitude"]))
        if "panel" in tables:
            problems += check_yuan(tables["panel"], cfg["yuan_for_10k_yuan"])
            if "tax_10k_yuan" in tables["panel"]:
                problems += check_negative_tax(tables["panel"], cfg["negative_tax"])
                if cfg["negative_tax"] == "zero":
                    tables["panel"]["tax_10k_yuan"] = tables["panel"]["tax_10k_yuan"].clip(lower=0)
        positions = check_links(tables, problems, lookups)
    problems = list(dict.fromkeys(problems))  # a sheet split into several tables finds a bad cell once per table
    excl = pd.DataFrame(excluded, columns=["table", "file", "row", "reason"])
    release_freed_memory()  # the text cells and what the threads freed: back to the system
    return CheckResult(folder, tables, problems, notes + optional_notes(tables), inv.ignored, excl, read, positions, outlines_wkb)


def optional_notes(tables: dict[str, pd.DataFrame]) -> list[str]:
    """A note for every optional table the folder lacks and every optional column a table lacks:
    the report sections that use them will say 无数据 (nothing else changes)."""
    notes = []
    for name, spec in table_specs().items():
        if name not in tables:
            if spec.optional:
                notes.append(
                    f"可选表缺失 optional table absent: {spec.title} ({spec.file}); the sections that use it show 无数据"
                )
            continue
        absent = [spec.label(c) for c, rule in spec.columns.items() if not rule.get("required", True) and c not in tables[name]]
        if absent:
            notes.append(
                f"可选字段缺失 optional column(s) absent from {spec.title}: {', '.join(absent)}; "
                "the sections that use them show 无数据, indicators from them count as missing"
            )
    return notes


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Check a data folder against the data contract before any notebook runs.")
    ap.add_argument("data_dir", nargs="?", default=str(paths.SAMPLE_DIR))
    ap.add_argument("--csv", default=None, help="also write the problems to this CSV file")
    a = ap.parse_args(argv)
    try:
        result = check_folder(paths.resolve(a.data_dir, Path.cwd()))
    except InputError as exc:
        print(f"ERROR: {exc}")
        return 1
    print(result.summary())
    if a.csv:
        result.problem_table().to_csv(a.csv, index=False, encoding="utf-8-sig")
    print(
        "OK: the folder can be evaluated."
        if result.ok
        else f"NOT OK: fix the {len(result.errors)} error(s) above, then check again."
    )
    return 0 if result.ok else 1


__all__ = ["CheckResult", "check_folder", "check_inventory", "settings", "street_lookup"]

if __name__ == "__main__":
    raise SystemExit(main())
