"""The Zhejiang composite score and the A/B/C/D classes, per pool.

score = Σ weight × value / benchmark (optionally capped: value/benchmark ≤ cap_ratio). An indicator
whose denominator is 0 (no employees, no energy) follows the item's ``zero_denominator`` rule
(``methods.ZERO_DENOMINATOR_RULES``), and the enterprise's ``zero_denominator`` column says so.

Classes are rank bands: enterprises are ranked by score, best first. With rank r of n, an
enterprise is in the first band whose upper share s satisfies r/n ≤ s — the upper bound is
inclusive, "前20%(含)". Tied enterprises always fall in the same class; which one is the method's
``ranking.ties`` (``methods.TIE_RULES``). The default, ``best_rank_bottom_kept``: ties share the best
rank of their group (n = 10, A ≤ 20 %: if ranks 2 and 3 tie, both have rank 2 and both are A), except
that a tie group in last place that would leave the bottom band empty is placed in it (no published
method lets tied enterprises at the bottom escape D; 温岭 2022 puts its last 5 % in D). A pool
smaller than ``ranking.min_pool_size``, or whose scores are all equal, is not put in classes; each
such enterprise carries a ``class_note`` saying why, as does each enterprise the tie rule moved.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from helpers.core.errors import InputError
from helpers.evaluate.indicators import aggregate_ratio, compute_indicators, indicator_defs, source_columns, zero_denominators
from helpers.evaluate.methods import ZERO_DENOMINATOR_RULES, Item, Pool, Ranking

SHARE_EPS = 1e-12


def select_pool(frame: pd.DataFrame, pool: Pool) -> pd.Series:
    """Rows of ``frame`` (with above_scale and land_mu) that the pool's selector takes."""
    m = pd.Series(True, index=frame.index)
    sel = pool.select
    if "above_scale" in sel:
        # rows without a panel row (NaN) are excluded before pools are formed; never select them
        m &= frame["above_scale"].fillna(not sel["above_scale"]).astype(bool) == bool(sel["above_scale"])
    if "land_mu_min" in sel:
        m &= frame["land_mu"] >= float(sel["land_mu_min"])  # 含: at least
    if "land_mu_max_excl" in sel:
        m &= frame["land_mu"] < float(sel["land_mu_max_excl"])  # 不含
    return m


def resolve_benchmark(item: Item, members: pd.DataFrame, values: pd.Series, pool: Pool | None = None) -> float:
    """The item's benchmark: fixed, or formed from the pool (``pool_aggregate``, ``pool_mean``). A
    benchmark formed from values that is zero, negative or not finite cannot divide a score: an
    ``InputError`` says which pool and indicator, and why. A pool with no value at all for the
    indicator (an optional input absent) gives NaN: every member then scores the item by its missing rule."""
    if item.fixed_benchmark:
        return float(item.benchmark)
    bench = aggregate_ratio(members, item.indicator) if item.benchmark == "pool_aggregate" else float(values.mean())
    if values.notna().any() and not (np.isfinite(bench) and bench > 0):
        label = indicator_defs()[item.indicator].label
        where = f"pool {pool.zh} ({pool.id})" if pool is not None else "the pool"
        raise InputError(
            f"{where}",
            f"the benchmark of {label} is {bench:g} over {int(values.notna().sum())} enterprises with a value: "
            "no score can be divided by it",
            column=item.indicator,
            expected="a pool whose total of the indicator is positive (check the data of the year, e.g. 税收 all 0 "
            "or refunds exceeding payments), or a fixed benchmark for this indicator in the method file",
        )
    return bench


def item_scores(values: pd.Series, benchmark: float, weight: float, cap_ratio: float | None = None) -> pd.Series:
    ratio = values / benchmark
    if cap_ratio is not None:
        ratio = ratio.clip(upper=cap_ratio)
    return weight * ratio


def fill_missing(scores: pd.Series, rule: str) -> pd.Series:
    if rule == "zero":
        return scores.fillna(0.0)
    if rule == "pool_mean_item_score":
        mean = scores.mean()
        return scores.fillna(0.0 if np.isnan(mean) else mean)
    raise ValueError(f"unknown missing-data rule {rule!r}")


NOTE_SMALL_POOL = "池内企业少于{m}家（{n}家），不分档 pool of {n} under {m}: not put in classes"
NOTE_NO_SPREAD = "池内得分全部相同，不分档 all scores of the pool are equal: not put in classes"
NOTE_BOTTOM_TIE = "末位并列组划入{c}档 tied in last place: placed in the bottom band {c}"


def assign_classes(
    scores: pd.Series, bands: tuple[tuple[str, float], ...], ranking: Ranking | None = None
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Rank (1 = best, ties share the best rank), class and class note of each score (see the
    module); ``ranking``: default the project's (``methods.DEFAULT_RANKING``)."""
    ranking = ranking or Ranking()
    n = len(scores)
    note = pd.Series(pd.NA, index=scores.index, dtype="string")
    cls = pd.Series(pd.NA, index=scores.index, dtype="string")
    rank = scores.rank(method="min", ascending=False)
    if n and n < ranking.min_pool_size:
        note[:] = NOTE_SMALL_POOL.format(n=n, m=ranking.min_pool_size)
        return pd.Series(pd.NA, index=scores.index, dtype="Int64"), cls, note
    if n > 1 and scores.nunique(dropna=False) == 1:
        note[:] = NOTE_NO_SPREAD
        return pd.Series(pd.NA, index=scores.index, dtype="Int64"), cls, note
    placed = scores.rank(method="average", ascending=False) if ranking.ties == "average_rank" else rank
    share = (placed / n if n else placed).to_numpy(dtype=float, na_value=np.nan)
    band = np.full(n, -1, dtype=np.int64)  # each score's band: the first whose upper share it is within
    for k, (_, upper) in enumerate(bands):
        band[(band < 0) & (share <= upper + SHARE_EPS)] = k
    names = pa.array([name for name, _ in bands], pa.large_string())
    cls = pd.Series(pd.array(names.take(pa.array(band, mask=band < 0)), dtype="string"), index=scores.index)
    bottom = bands[-1][0]
    if ranking.ties == "best_rank_bottom_kept" and n > 1 and not (band == len(bands) - 1).any():
        last = scores == scores.min()  # the tie group in last place (a lone last enterprise is in the bottom band already)
        cls[last] = bottom
        note[last] = NOTE_BOTTOM_TIE.format(c=bottom)
    return rank.astype("Int64"), cls, note


def pool_columns(pool: Pool) -> list[str]:
    """The columns ``score_pool`` reads: each item's numerator and denominator."""
    defs = indicator_defs()
    return list(
        dict.fromkeys(
            src
            for item in pool.items
            for col in (defs[item.indicator].numerator, defs[item.indicator].denominator)
            for src in source_columns(col)
        )
    )


def score_pool(members: pd.DataFrame, pool: Pool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Indicator values, item scores, total score, rank and class of the pool's members, and the
    pool's benchmark table (indicator, weight, benchmark, how it was set, values missing)."""
    ids = [i.indicator for i in pool.items]
    values = compute_indicators(members, ids)
    out = pd.DataFrame(index=members.index)
    bench_rows = []
    total = pd.Series(0.0, index=members.index)
    zero = zero_denominators(members, ids)
    zero_notes = pd.Series("", index=members.index)
    noted = np.zeros(len(members), dtype=bool)  # members with a zero-denominator note
    for item in pool.items:
        v = values[item.indicator]
        hit = zero[item.indicator]
        if hit.any():
            label = indicator_defs()[item.indicator].zh
            if item.zero_denominator == "pool_best" and v.notna().any():
                v = v.where(~hit, v.max())
            zero_notes[hit] += f"{label}分母为0：{ZERO_DENOMINATOR_RULES[item.zero_denominator]}; "
            noted |= hit.to_numpy(dtype=bool)
        bench = resolve_benchmark(item, members, v, pool)
        raw = item_scores(v, bench, item.weight, item.cap_ratio)
        filled = fill_missing(raw, item.missing)
        out[item.indicator] = v
        out[f"score_{item.indicator}"] = filled
        total += filled
        bench_rows.append(
            {
                "pool": pool.id,
                "indicator": item.indicator,
                "weight": item.weight,
                "benchmark": bench,
                "benchmark_kind": "fixed" if item.fixed_benchmark else item.benchmark,
                "missing_rule": item.missing,
                "n_missing": int(v.isna().sum()),
                "n_zero_denominator": int(hit.sum()),
                "zero_denominator_rule": item.zero_denominator,
                "n": len(v),
            }
        )
    out["score"] = total
    out["zero_denominator"] = pd.Series(pd.NA, index=members.index, dtype="string")
    if noted.any():  # only those rows' notes are trimmed
        out.loc[noted, "zero_denominator"] = zero_notes[noted].str.rstrip("; ").astype("string")
    out["rank"], out["class"], out["class_note"] = assign_classes(total, pool.bands, pool.ranking)
    return out, pd.DataFrame(bench_rows)
