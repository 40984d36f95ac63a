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
        {i: frame[defs[i].numerator].notna() & frame[defs[i].denominator].astype(float).eq(0) for i in ids}, index=frame.index
    )


def compute_indicators(frame: pd.DataFrame, ids: list[str] | None = None) -> pd.DataFrame:
    """One column per indicator, computed row by row from ``frame``'s panel and land columns."""
    defs = indicator_defs()
    ids = ids or list(defs)
    return pd.DataFrame({i: ratio(frame[defs[i].numerator], frame[defs[i].denominator]) for i in ids}, index=frame.index)


def aggregate_ratio(frame: pd.DataFrame, indicator_id: str) -> float:
    """Σ numerator / Σ denominator over the rows where both are present and the denominator > 0:
    the group's average in the sense published figures use (e.g. 规上 亩均税收 = Σ税收 / Σ用地)."""
    d = indicator_defs()[indicator_id]
    num = frame[d.numerator].astype(float)
    den = frame[d.denominator].astype(float)
    ok = num.notna() & (den > 0)
    total = den[ok].sum()
    return float(num[ok].sum() / total) if total > 0 else float("nan")
