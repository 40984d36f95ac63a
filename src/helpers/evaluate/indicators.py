"""Enterprise indicators (亩均税收 …) as numerator / denominator, defined in data/methods/indicators.yaml."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

from helpers.core import paths
from helpers.core.yamlfile import load_yaml

INDICATORS_FILE = paths.METHODS_DIR / "indicators.yaml"


@dataclass(frozen=True)
class Indicator:
    id: str
    zh: str
    en: str
    numerator: str
    denominator: str
    unit: str

    @property
    def label(self) -> str:
        return f"{self.zh}（{self.unit}）"


@cache
def indicator_defs() -> dict[str, Indicator]:
    raw = load_yaml(INDICATORS_FILE)["indicators"]
    return {k: Indicator(id=k, **v) for k, v in raw.items()}


OUTPUT_VALUE = "output_value_10k_yuan"  # 工业总产值 where given, else 营业收入: the 增加值率 denominator
GROSS_OUTPUT = "gross_output_10k_yuan"
# a derived column: the first of its sources that holds a value, row by row (the last one is required)
DERIVED_SOURCES = {OUTPUT_VALUE: (GROSS_OUTPUT, "revenue_10k_yuan")}


def column(frame: pd.DataFrame, name: str) -> pd.Series:
    """``frame[name]``, or a derived column (``DERIVED_SOURCES``): the first of its sources that
    holds a value, row by row — the output value is 工业总产值 where the data give it and 营业收入
    elsewhere. A missing column that is neither is a KeyError naming it."""
    if name in frame or name not in DERIVED_SOURCES:
        return frame[name]
    *preferred, last = DERIVED_SOURCES[name]
    out = frame[last].astype(float)
    for source in reversed(preferred):
        if source in frame:
            value = frame[source].astype(float)
            out = value.where(value.notna(), out)
    return out


def source_columns(name: str) -> tuple[str, ...]:
    """The frame columns ``column(frame, name)`` reads."""
    return DERIVED_SOURCES.get(name, (name,))


def va_rate_basis(frame: pd.DataFrame) -> str:
    """What 增加值率 was divided by over ``frame``'s rows with a value added: empty when 工业总产值
    throughout, else a label saying where 营业收入 stood in (for every chart and table showing it)."""
    has_va = frame["value_added_10k_yuan"].notna() if "value_added_10k_yuan" in frame else pd.Series(dtype=bool)
    if not has_va.any():
        return ""
    gross = frame.get(GROSS_OUTPUT)
    by_revenue = int((has_va & (gross.isna() if gross is not None else True)).sum())
    if by_revenue == 0:
        return ""
    if by_revenue == int(has_va.sum()):
        return "营业收入代工业总产值"
    return f"{by_revenue}/{int(has_va.sum())}家营业收入代工业总产值"


def ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """numerator / denominator; NaN where the denominator is zero, negative or missing."""
    num = numerator.astype(float)
    den = denominator.astype(float)
    ok = den > 0
    return pd.Series(np.where(ok, num / den.where(ok, 1.0), np.nan), index=numerator.index).where(num.notna())


def zero_denominators(frame: pd.DataFrame, ids: list[str]) -> pd.DataFrame:
    """One boolean column per indicator: True where the numerator is given and the denominator is
    exactly 0 (no employees, no energy, no electricity), the case the method's
    ``zero_denominator`` rule decides."""
    defs = indicator_defs()
    return pd.DataFrame(
        {i: column(frame, defs[i].numerator).notna() & column(frame, defs[i].denominator).astype(float).eq(0) for i in ids},
        index=frame.index,
    )


def compute_indicators(frame: pd.DataFrame, ids: list[str] | None = None) -> pd.DataFrame:
    """One column per indicator, computed row by row from ``frame``'s panel and land columns."""
    defs = indicator_defs()
    ids = ids or list(defs)
    return pd.DataFrame(
        {i: ratio(column(frame, defs[i].numerator), column(frame, defs[i].denominator)) for i in ids}, index=frame.index
    )


def aggregate_ratio(frame: pd.DataFrame, indicator_id: str) -> float:
    """Σ numerator / Σ denominator over the rows where both are present and the denominator > 0:
    the group's average in the sense published figures use (e.g. 规上 亩均税收 = Σ税收 / Σ用地)."""
    d = indicator_defs()[indicator_id]
    num = column(frame, d.numerator).astype(float)
    den = column(frame, d.denominator).astype(float)
    ok = num.notna() & (den > 0)
    total = den[ok].sum()
    return float(num[ok].sum() / total) if total > 0 else float("nan")
