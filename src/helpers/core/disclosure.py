"""Coarser figures for a shared run: figures rounded to a few significant figures.

A pseudonym hides who an enterprise is, but its exact 税收, 营业收入 and 用地面积 can still single
it out to anyone who knows them (a 街道 officer, a competitor). ``round_figures`` (a parameter of
every notebook and of ``build_context``; 0 = exact, the default) rounds every figure that is not a
whole number — amounts, areas, 亩均 indicators, scores, shares — to that many significant figures
in every table a page shows, every file the run writes (CSV, XLSX, GeoPackage attributes) and the
interactive map's tooltips. Whole numbers (years, ranks, counts, codes) and text are kept: a class
or a rank is the result being shared. Charts are drawn from the exact figures (a chart shows
positions, not digits); the district's headline figures are aggregates and are not rounded.

The setting is kernel-wide, like the plotting style: ``build_context(round_figures=2)`` sets it
for the tables and files that follow in that Python process (``use`` sets it directly).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

_setting = {"digits": 0}


def use(digits: int | None) -> None:
    """Round figures to ``digits`` significant figures from now on in this process (0 or None: exact)."""
    digits = int(digits or 0)
    if digits < 0:
        raise ValueError(f"round_figures must be 0 (exact) or a number of significant figures, not {digits}")
    _setting["digits"] = digits


def current() -> int:
    """The significant figures in force (0: exact)."""
    return _setting["digits"]


def round_significant(values: np.ndarray, digits: int) -> np.ndarray:
    """``values`` rounded to ``digits`` significant figures (NaN, ±0 kept); 0 digits: unchanged."""
    values = np.asarray(values, dtype=float)
    if not digits:
        return values
    out = values.copy()
    nonzero = np.isfinite(values) & (values != 0)
    magnitude = np.floor(np.log10(np.abs(values[nonzero])))
    scale = 10.0 ** (digits - 1 - magnitude)
    out[nonzero] = np.round(values[nonzero] * scale) / scale
    return out


def coarsen(frame: pd.DataFrame, digits: int | None = None) -> pd.DataFrame:
    """A copy of ``frame`` with every float column rounded to ``digits`` (default: the setting in
    force) significant figures; ``frame`` itself when figures are exact."""
    digits = current() if digits is None else digits
    floats = [i for i, dtype in enumerate(frame.dtypes) if pd.api.types.is_float_dtype(dtype)]
    if not digits or not floats:
        return frame
    out = frame.copy()
    for i in floats:  # by position: columns may repeat a label or be a MultiIndex
        out.isetitem(i, round_significant(frame.iloc[:, i].to_numpy(), digits))
    return out


def note(digits: int | None = None) -> str:
    """What a page says about its figures when they are rounded (empty when exact)."""
    digits = current() if digits is None else digits
    if not digits:
        return ""
    return (
        f"表格与导出文件中的数值已四舍五入至 {digits} 位有效数字（共享用）；图表与全区汇总按精确值。 "
        f"Figures in tables and exported files are rounded to {digits} significant figures for sharing; "
        "charts and district totals use the exact figures."
    )


__all__ = ["coarsen", "current", "note", "round_significant", "use"]
