"""Files a person acts on without Python: XLSX lists with Chinese headers, GeoPackage layers,
CSV tables, their figures rounded when a shared run asks for it (``core.disclosure``). The same
data give the same bytes: timestamps inside XLSX and GeoPackage files are fixed, so a re-run of
the same inputs and parameters can be compared file by file."""

from __future__ import annotations

import datetime
import math
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from helpers.core import disclosure
from helpers.report.redaction import redactor

NOTES_SHEET = "说明"
FIXED_TIME = "2000-01-01T00:00:00Z"  # stamped into files instead of the time of writing
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """A UTF-8 CSV (with BOM, so Excel shows the Chinese headers) with "\n" line ends."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = disclosure.coarsen(frame)
    frame.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")
    return path


def _fix_xlsx_times(path: Path) -> None:
    with zipfile.ZipFile(path) as z:
        items = [(i, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in items:
            if info.filename == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:)", rb"\g<1>" + FIXED_TIME.encode() + rb"\g<3>", data
                )
            z.writestr(zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME), data, zipfile.ZIP_DEFLATED)


FORMULA_STARTS = ("=", "+", "-", "@")  # what Excel and WPS read as the start of a formula


def _cell_value(value) -> tuple[object, str | None]:
    """``value`` and its number format (None: the default) as pandas' Excel writer gives them to
    openpyxl (``ExcelFormatter._format_value``, ``ExcelWriter._value_with_fmt``): missing as an empty
    text, ±inf as the text "inf"/"-inf", numpy scalars as Python numbers, dates and datetimes with
    pandas' formats, durations in days, anything else as its text."""
    kind = type(value)
    if kind is str:  # the common cases first: a list has hundreds of thousands of cells
        return value, None
    if isinstance(value, (float, np.floating)):  # NaN is missing: an empty text
        return ("" if value != value else "inf" if value == math.inf else "-inf" if value == -math.inf else float(value)), None
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return "", None
    if isinstance(value, (bool, np.bool_)):
        return bool(value), None
    if isinstance(value, (int, np.integer)):
        return int(value), None
    if isinstance(value, Decimal):
        return value, None
    if isinstance(value, datetime.datetime):
        return value, "YYYY-MM-DD HH:MM:SS"
    if isinstance(value, datetime.date):
        return value, "YYYY-MM-DD"
    if isinstance(value, datetime.timedelta):
        return value.total_seconds() / 86400, "0"
    return str(value), None


def _row(ws, values) -> list:
    """One row of the write-only sheet ``ws``: plain values, and a cell where a value needs more.
    Text that Excel or WPS would read as a formula (a name such as ``=HYPERLINK(…)`` or ``+cmd|…``
    from the data) is stored as text with Excel's text marker, so that a later edit keeps it text."""
    from openpyxl.cell import WriteOnlyCell

    row: list = []
    for value, number_format in map(_cell_value, values):
        if isinstance(value, str) and value.startswith(FORMULA_STARTS):
            cell = WriteOnlyCell(ws, value)
            cell.data_type, cell.quotePrefix = "s", True
            row.append(cell)
        elif number_format is not None:
            cell = WriteOnlyCell(ws, value)
            cell.number_format = number_format
            row.append(cell)
        else:
            row.append(value)
    return row


def _write_sheet(ws, frame: pd.DataFrame) -> None:
    """The header and the rows of ``frame`` into the write-only sheet ``ws``, column by column into
    Python values first (a million cells: pandas' writer builds an openpyxl cell object for each and
    keeps them all, which took 10 s for a 24,000-row list at 100,000 parcels)."""
    ws.append(_row(ws, list(frame.columns)))
    columns = [frame.iloc[:, i].astype(object).tolist() for i in range(frame.shape[1])]  # by position: names may repeat
    for values in zip(*columns):
        ws.append(_row(ws, values))


def write_xlsx(sheets: dict[str, pd.DataFrame], path: Path, notes: list[str]) -> Path:
    """One sheet per table (header frozen, columns sized to their text) and a notes sheet first,
    the cells as pandas' ``to_excel`` writes them, streamed by openpyxl's write-only workbook."""
    from openpyxl import Workbook  # only the workbook needs openpyxl
    from openpyxl.utils import get_column_letter

    path.parent.mkdir(parents=True, exist_ok=True)
    book = Workbook(write_only=True)
    ws = book.create_sheet(NOTES_SHEET)
    ws.column_dimensions["A"].width = 120
    _write_sheet(ws, pd.DataFrame({NOTES_SHEET: notes}))
    for name, df in sheets.items():
        df = disclosure.coarsen(df)
        ws = book.create_sheet(name)
        ws.freeze_panes = "A2"
        for i, col in enumerate(df.columns, start=1):
            longest = max([len(str(col))] + [len(str(v)) for v in df.iloc[:200, i - 1]])
            ws.column_dimensions[get_column_letter(i)].width = min(40, 2 + 1.6 * longest)
        _write_sheet(ws, df)
    book.save(path)
    _fix_xlsx_times(path)
    return path


PARCEL_FIELD_ALIASES = {  # the parcel layer's fields as an office names them (GeoPackage and QGIS aliases)
    "parcel_id": "宗地代码",
    "street_code": "镇街代码",
    "registered_area_mu": "登记面积（亩）",
    "geom_area_mu": "图形面积（亩）",
    "grant_year": "供地年份",
    "standard_land": "是否标准地",
    "status": "宗地状态",
    "main_user_code": "主要使用企业统一社会信用代码",
    "main_user_name": "主要使用企业名称",
    "n_users": "使用企业数",
    "pool": "评价组别",
    "class": "评价类别",
    "tax_10k_yuan": "税收（万元）",
    "evaluated_mu": "参评用地（亩）",
    "tax_per_mu": "亩均税收（万元/亩）",
    "gi_z": "Gi*统计量z值",
    "gi_p": "Gi*伪p值",
    "gi_bin": "冷热点等级（-3至3）",
    "gi_label": "冷热点",
    "moran_i": "局部莫兰指数",
    "moran_p": "局部莫兰伪p值",
    "moran_quadrant": "莫兰象限",
    "moran_significant": "莫兰显著",
    "below_clearance": "出清线以下",
}
STYLE_NAME = "亩均评价类别 class"


def style_gpkg(path: Path, layer: str, aliases: dict[str, str], qml: str | None) -> None:
    """Chinese field aliases in the GeoPackage schema extension (``gpkg_data_columns``: ``name`` and
    ``title``, read by GDAL as alternative names) and, with ``qml``, the default QGIS style in the
    ``layer_styles`` table that QGIS itself writes (registered as an attributes table), so the layer
    opens styled. Times are the fixed ``FIXED_TIME``."""
    import sqlite3

    with sqlite3.connect(path) as db:
        columns = {row[1] for row in db.execute(f"PRAGMA table_info({_quoted(layer)})")}
        db.execute(
            "CREATE TABLE IF NOT EXISTS gpkg_data_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, "
            "name TEXT, title TEXT, description TEXT, mime_type TEXT, constraint_name TEXT, "
            "CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name), "
            "CONSTRAINT gdc_tn UNIQUE (table_name, name))"
        )
        db.executemany(
            "INSERT OR REPLACE INTO gpkg_data_columns (table_name, column_name, name, title) VALUES (?, ?, ?, ?)",
            [(layer, column, alias, alias) for column, alias in aliases.items() if column in columns],
        )
        db.execute(
            "INSERT OR REPLACE INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope) "
            "VALUES ('gpkg_data_columns', NULL, 'gpkg_schema', 'http://www.geopackage.org/spec/#extension_schema', 'read-write')"
        )
        if qml is None:
            return
        db.execute(
            "CREATE TABLE IF NOT EXISTS layer_styles (id INTEGER PRIMARY KEY AUTOINCREMENT, f_table_catalog TEXT(256), "
            "f_table_schema TEXT(256), f_table_name TEXT(256), f_geometry_column TEXT(256), styleName TEXT(30), "
            "styleQML TEXT, styleSLD TEXT, useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30), "
            "update_time DATETIME)"
        )
        geometry = db.execute("SELECT column_name FROM gpkg_geometry_columns WHERE table_name = ?", (layer,)).fetchone()[0]
        db.execute(
            "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, styleName, "
            "styleQML, styleSLD, useAsDefault, description, owner, ui, update_time) "
            "VALUES ('', '', ?, ?, ?, ?, '', 1, ?, '', NULL, ?)",
            (layer, geometry, STYLE_NAME, qml, "按亩均评价类别着色 coloured by class (helpers.viz.qgis_style)", FIXED_TIME),
        )
        db.execute(
            "INSERT OR REPLACE INTO gpkg_contents (table_name, data_type, identifier, description, last_change) "
            "VALUES ('layer_styles', 'attributes', 'layer_styles', '', ?)",
            (FIXED_TIME,),
        )


def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def write_gpkg(
    gdf: gpd.GeoDataFrame, path: Path, layer: str, aliases: dict[str, str] | None = None, style_qml: str | None = None
) -> Path:
    """A GeoPackage layer (replacing the file), readable by QGIS with its attributes; with
    ``aliases`` the fields' Chinese names and with ``style_qml`` a default QGIS style stored in the
    file (``style_gpkg``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    out = disclosure.coarsen(gdf).copy()
    for col in out.columns:
        if col != out.geometry.name and (str(out[col].dtype) in ("string", "str", "category") or out[col].dtype == object):
            out[col] = out[col].astype(object).where(out[col].notna(), None)
    before = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": FIXED_TIME})
    try:
        out.to_file(path, layer=layer, driver="GPKG", engine="pyogrio")
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": before})
    if aliases or style_qml:
        style_gpkg(path, layer, aliases or {}, style_qml)
    return path


def parcel_layer(parcels: gpd.GeoDataFrame, enterprises: pd.DataFrame, extra: pd.DataFrame | None = None) -> gpd.GeoDataFrame:
    """Evaluated parcels with their attributes for QGIS: the main user (as the dataset holds it:
    pseudonyms when it was loaded with ``anonymize``), class, 亩均税收, and any ``extra`` columns
    (same index as ``parcels``, e.g. hot-spot bins)."""
    by_code = enterprises[["credit_code", "name"]].set_index("credit_code")
    keep = [
        "parcel_id",
        "street_code",
        "registered_area_mu",
        "geom_area_mu",
        "grant_year",
        "standard_land",
        "status",
        "n_users",
        "pool",
        "class",
        "tax_10k_yuan",
        "evaluated_mu",
        "tax_per_mu",
    ]
    out = parcels[keep + [parcels.geometry.name]].copy()
    out.insert(7, "main_user_code", parcels["main_user"])
    out.insert(8, "main_user_name", parcels["main_user"].map(by_code["name"]))
    if extra is not None:
        out = out.join(extra)
    return out


def write_run_tables(ev, dataset, out_dir: Path) -> list[Path]:
    """The evaluation's tables as CSV in ``out_dir/tables/``: every enterprise with its status,
    reason, indicators, score and class; the per-table ledger; rows excluded at load and the data
    check's warnings. A re-run of the same inputs and parameters writes the same bytes."""
    from helpers.evaluate.ledger import table_ledger

    tables = out_dir / "tables"
    written = [
        write_csv(ev.enterprises.drop(columns=["has_panel"]), tables / f"evaluation_{ev.year}.csv"),
        write_csv(table_ledger(dataset, ev), tables / f"table_ledger_{ev.year}.csv"),
    ]
    if dataset.check is not None:
        redact = redactor(dataset)  # an anonymised run names no file, sheet, folder or parcel code
        written.append(write_csv(redact.frame(dataset.check.excluded, ["file"]), tables / "rows_excluded_at_load.csv"))
        problems = redact.frame(dataset.check.problem_table(), ["file", "problem", "expected"])
        written.append(write_csv(problems, tables / "data_check_warnings.csv"))
    return written
