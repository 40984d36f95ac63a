"""Files a person acts on without Python: XLSX lists with Chinese headers, GeoPackage layers,
CSV tables, their figures rounded when a shared run asks for it (``core.disclosure``). The same
data give the same bytes: timestamps inside XLSX and GeoPackage files are fixed, so a re-run of
the same inputs and parameters can be compared file by file."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
from openpyxl.utils import get_column_letter

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


def as_text(ws) -> None:
    """Every text cell of ``ws`` stored as text: a name such as ``=HYPERLINK(…)`` or ``+cmd|…``
    from the data must not become a live formula in the shared list."""
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
                cell.data_type = "s"
                cell.quotePrefix = True  # shown with Excel's text marker, so a later edit keeps it text


def write_xlsx(sheets: dict[str, pd.DataFrame], path: Path, notes: list[str]) -> Path:
    """One sheet per table (header frozen, columns sized to their text) and a notes sheet first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(path, engine="openpyxl") as xw:
        pd.DataFrame({NOTES_SHEET: notes}).to_excel(xw, sheet_name=NOTES_SHEET, index=False)
        xw.sheets[NOTES_SHEET].column_dimensions["A"].width = 120
        as_text(xw.sheets[NOTES_SHEET])
        for name, df in sheets.items():
            df = disclosure.coarsen(df)
            df.to_excel(xw, sheet_name=name, index=False)
            ws = xw.sheets[name]
            as_text(ws)
            ws.freeze_panes = "A2"
            for i, col in enumerate(df.columns, start=1):
                longest = max([len(str(col))] + [len(str(v)) for v in df[col].head(200)])
                ws.column_dimensions[get_column_letter(i)].width = min(40, 2 + 1.6 * longest)
    _fix_xlsx_times(path)
    return path


def write_gpkg(gdf: gpd.GeoDataFrame, path: Path, layer: str) -> Path:
    """A GeoPackage layer (replacing the file), readable by QGIS with its attributes."""
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
