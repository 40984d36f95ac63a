"""Files a person acts on without Python: XLSX lists with Chinese headers, GeoPackage layers."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
from openpyxl.utils import get_column_letter

NOTES_SHEET = "说明"


def write_xlsx(sheets: dict[str, pd.DataFrame], path: Path, notes: list[str]) -> Path:
    """One sheet per table (header frozen, columns sized to their text) and a notes sheet first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(path, engine="openpyxl") as xw:
        pd.DataFrame({NOTES_SHEET: notes}).to_excel(xw, sheet_name=NOTES_SHEET, index=False)
        xw.sheets[NOTES_SHEET].column_dimensions["A"].width = 120
        for name, df in sheets.items():
            df.to_excel(xw, sheet_name=name, index=False)
            ws = xw.sheets[name]
            ws.freeze_panes = "A2"
            for i, col in enumerate(df.columns, start=1):
                longest = max([len(str(col))] + [len(str(v)) for v in df[col].head(200)])
                ws.column_dimensions[get_column_letter(i)].width = min(40, 2 + 1.6 * longest)
    return path


def write_gpkg(gdf: gpd.GeoDataFrame, path: Path, layer: str) -> Path:
    """A GeoPackage layer (replacing the file), readable by QGIS with its attributes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    out = gdf.copy()
    for col in out.columns:
        if col != out.geometry.name and (str(out[col].dtype) in ("string", "str", "category") or out[col].dtype == object):
            out[col] = out[col].astype(object).where(out[col].notna(), None)
    out.to_file(path, layer=layer, driver="GPKG", engine="pyogrio")
    return path


def parcel_layer(parcels: gpd.GeoDataFrame, enterprises: pd.DataFrame, extra: pd.DataFrame | None = None,
                 anonymize: bool = False) -> gpd.GeoDataFrame:
    """Evaluated parcels with their attributes for QGIS: the main user (pseudonymised when asked),
    class, 亩均税收, and any ``extra`` columns (same index as ``parcels``, e.g. hot-spot bins)."""
    from .anonymize import pseudonymize

    users = enterprises[["credit_code", "name"]]
    if anonymize:
        users = pseudonymize(users)
        users = users.assign(real=enterprises["credit_code"].to_numpy())
    else:
        users = users.assign(real=users["credit_code"])
    by_real = users.set_index("real")
    keep = ["parcel_id", "street_code", "registered_area_mu", "geom_area_mu", "grant_year", "standard_land",
            "status", "n_users", "pool", "class", "tax_10k_yuan", "evaluated_mu", "tax_per_mu"]
    out = parcels[keep + [parcels.geometry.name]].copy()
    out.insert(7, "main_user_code", parcels["main_user"].map(by_real["credit_code"]))
    out.insert(8, "main_user_name", parcels["main_user"].map(by_real["name"]))
    if extra is not None:
        out = out.join(extra)
    return out
