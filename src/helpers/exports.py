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
