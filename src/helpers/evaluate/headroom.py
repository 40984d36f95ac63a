"""What would lift an enterprise one class: the smallest change in each indicator, the others held.

The score is Σ weight × value ÷ benchmark (``evaluate.scoring``, a ratio capped where the method caps
it). The next class up starts at the lowest score that reached it this year in the enterprise's
pool (ties share the best rank, so reaching that score is enough). For each indicator the value
that closes the gap alone is

    needed = benchmark × (current ratio + (threshold − score) ÷ weight)

which is out of reach through that indicator when the needed ratio exceeds the item's cap. The
benchmarks and the other enterprises are held as they are: one enterprise's change moves a pool's
aggregate benchmark by a fraction of a percent, which this leaves out and the page says so.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.evaluate.evaluation import Evaluation
from helpers.evaluate.indicators import indicator_defs

CLASS_ORDER = ["A", "B", "C", "D"]


def thresholds(ev: Evaluation) -> pd.Series:
    """The lowest score that reached each (pool, class) this year."""
    e = ev.evaluated
    return e[e["class"].notna()].groupby(["pool", "class"])["score"].min()


def next_class_threshold(ev: Evaluation, pool: str, cls: str, lowest: pd.Series | None = None) -> tuple[str, float] | None:
    """(the class above ``cls``, the lowest score that reached it in ``pool`` this year); None for
    class A or a class above with no member. ``lowest``: ``thresholds(ev)``, when already known."""
    if cls not in CLASS_ORDER or cls == "A":
        return None
    better = CLASS_ORDER[CLASS_ORDER.index(cls) - 1]
    lowest = thresholds(ev) if lowest is None else lowest
    return (better, float(lowest[(pool, better)])) if (pool, better) in lowest.index else None


def lift_table(ev: Evaluation, codes: list[str]) -> pd.DataFrame:
    """``lift_one_class`` for each of ``codes`` (a ``credit_code`` column added), computed together."""
    e = ev.evaluated.set_index("credit_code")
    lowest = thresholds(ev)
    bench = ev.benchmarks.set_index(["pool", "indicator"])["benchmark"]
    pools = {p.id: p for p in ev.method.pools}
    defs = indicator_defs()
    rows = []
    for code in codes:
        if code not in e.index:
            continue
        row = e.loc[code]
        target = next_class_threshold(ev, row["pool"], str(row["class"]), lowest)
        if target is None:
            continue
        better, threshold = target
        gap = max(threshold - float(row["score"]), 0.0)
        pool = pools[row["pool"]]
        for item in pool.items:
            b = float(bench.get((pool.id, item.indicator), np.nan))
            value = row.get(item.indicator)
            value = float(value) if value is not None and pd.notna(value) else np.nan
            current_ratio = float(row[f"score_{item.indicator}"]) / item.weight  # as scored (missing rules included)
            needed_ratio = current_ratio + gap / item.weight
            reachable = item.cap_ratio is None or needed_ratio <= item.cap_ratio + 1e-12
            needed = b * needed_ratio if reachable and np.isfinite(b) else np.nan
            rows.append(
                {
                    "credit_code": code,
                    "indicator": item.indicator,
                    "label": defs[item.indicator].zh,
                    "unit": defs[item.indicator].unit,
                    "weight": item.weight,
                    "benchmark": b,
                    "value": value,
                    "needed": needed,
                    "change": needed - value if np.isfinite(value) else needed,
                    "change_pct": (needed / value - 1) * 100 if np.isfinite(value) and value > 0 else np.nan,
                    "reachable": reachable,
                    "to_class": better,
                    "score": float(row["score"]),
                    "threshold": threshold,
                }
            )
    return pd.DataFrame(rows)


def lift_one_class(ev: Evaluation, credit_code: str) -> pd.DataFrame:
    """One row per scored indicator of the enterprise's pool: its value, the benchmark, weight and
    cap, the value needed to reach the next class through this indicator alone, and the change
    (absolute and %). Empty when the enterprise is not evaluated, is in class A, or is unclassed."""
    table = lift_table(ev, [credit_code])
    return table.drop(columns="credit_code") if len(table) else table


__all__ = ["lift_one_class", "lift_table", "next_class_threshold", "thresholds"]
