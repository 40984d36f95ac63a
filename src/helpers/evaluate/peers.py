"""Industry peers (分行业对标): each evaluated enterprise against its industry and its pool.

The industry is the 国民经济行业 大类 (GB/T 4754: the 门类 letter and the first two digits, ``C34``)
of the enterprise's ``industry_code``; an enterprise without a code has no industry group. The
project's chains (``industry_chain``) are a second grouping. Both are taken within the evaluation
pool: a 规下 firm is compared with the 规下 firms of its industry, not with the 规上 ones, whose
indicators and scale differ (the pools are the method's, as in the official evaluation).

A percentile here is ``pandas.Series.rank(pct=True, method="average") × 100`` within the group:
the share of the group at or below the enterprise's value, ties sharing their average rank (the
best of a group of 4 is 100, the worst 25). Groups smaller than ``min_group`` get no percentile
(a rank among two means little); the choice is a parameter, stated on the page that uses it.
"""

from __future__ import annotations

import pandas as pd

from helpers.evaluate.evaluation import Evaluation
from helpers.evaluate.indicators import indicator_defs

PEER_INDICATORS = ["tax_per_mu", "va_per_mu", "va_per_energy", "labour_productivity", "rd_ratio", "tax_per_kwh"]
DEFAULT_MIN_GROUP = 5  # enterprises an industry needs for percentiles and medians (the sources are silent)
GROUPINGS = {"industry": "行业大类 industry (GB/T 4754, 2-digit)", "industry_chain": "产业链 chain", "pool": "评价组 pool"}


def industry_division(code: pd.Series) -> pd.Series:
    """GB/T 4754 大类 of a 行业代码: the 门类 letter and two digits (``C342`` → ``C34``); None
    where the code does not start that way."""
    found, uniques = pd.factorize(code.astype("string").str.strip().str.upper())  # a few hundred codes, not a row each
    division = pd.Series(uniques, dtype="string").str.extract(r"^([A-T]\d{2})", expand=False)
    return pd.Series(division.array.take(found, allow_fill=True), index=code.index, name=code.name)


def _indicators(ev: Evaluation) -> list[str]:
    known = set(indicator_defs())
    return [i for i in PEER_INDICATORS if i in known and i in ev.evaluated and ev.evaluated[i].notna().any()]


def peer_frame(ev: Evaluation, min_group: int = DEFAULT_MIN_GROUP) -> pd.DataFrame:
    """The evaluated enterprises with, for each indicator, its percentile within industry, chain
    and pool (``<indicator>_pct_<grouping>``), the industry median (``<indicator>_industry_median``)
    and the ratio to it (``<indicator>_vs_industry``: 1 = at the median). NaN where the group has
    fewer than ``min_group`` members with a value."""
    e = ev.evaluated.copy()
    e["industry"] = industry_division(e["industry_code"])
    out = e[
        ["credit_code", "name", "street_name", "industry_code", "industry", "industry_chain", "pool", "pool_zh", "class"]
    ].copy()
    for indicator in _indicators(ev):
        values = e[indicator]
        for grouping in GROUPINGS:
            keys = [e["pool"]] if grouping == "pool" else [e["pool"], e[grouping]]
            size = values.groupby(keys).transform("count")
            pct = values.groupby(keys).rank(pct=True, method="average") * 100
            out[f"{indicator}_pct_{grouping}"] = pct.where(size >= min_group)
        keys = [e["pool"], e["industry"]]
        size = values.groupby(keys).transform("count")
        median = values.groupby(keys).transform("median").where(size >= min_group)
        out[indicator] = values
        out[f"{indicator}_industry_median"] = median
        out[f"{indicator}_vs_industry"] = (values / median).where(median > 0)
    return out.reset_index(drop=True)


def industry_summary(
    ev: Evaluation, indicator: str = "tax_per_mu", grouping: str = "industry", min_group: int = DEFAULT_MIN_GROUP
) -> pd.DataFrame:
    """Each group's (within each pool) size, median, quartiles and spread (IQR, and IQR ÷ median)
    of ``indicator``, groups under ``min_group`` members with a value left out; largest first."""
    e = ev.evaluated.assign(industry=industry_division(ev.evaluated["industry_code"]))
    g = e.groupby(["pool_zh", grouping])[indicator]
    table = pd.DataFrame(
        {
            "enterprises": g.count(),
            "median": g.median(),
            "p25": g.quantile(0.25),
            "p75": g.quantile(0.75),
        }
    )
    table["iqr"] = table["p75"] - table["p25"]
    table["relative_spread"] = (table["iqr"] / table["median"]).where(table["median"] > 0)
    table = table[table["enterprises"] >= min_group].sort_values(["enterprises", "median"], ascending=[False, False])
    return table.reset_index()


def furthest_below(peers: pd.DataFrame, indicator: str = "tax_per_mu", n: int = 20) -> pd.DataFrame:
    """The ``n`` enterprises furthest below their industry's median of ``indicator`` (lowest ratio
    to the median first): the list a district-wide ranking hides, since a weak firm of a strong
    industry ranks mid-table district-wide."""
    ratio = f"{indicator}_vs_industry"
    shown = peers[peers[ratio].notna()].sort_values([ratio, indicator]).head(n)
    return shown.reset_index(drop=True)


__all__ = ["DEFAULT_MIN_GROUP", "furthest_below", "industry_division", "industry_summary", "peer_frame"]
