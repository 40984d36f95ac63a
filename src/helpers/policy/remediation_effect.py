"""The effect of 高耗低效 remediation on the enterprises that went through it (任务2): an event study /
difference-in-differences of the remediated enterprises against comparable enterprises that were
never listed, on the yearly evaluations and the remediation ledger (``remediation.csv``).

Who is compared:

- **Treated**: enterprises of the ledger, from their *onset*: the first year in remediation
  (a stage past 列入清单, the default; in most ledgers the year after listing) or the year listed
  (``onset="listing"``). Those that left (整体腾退 or 已退出) are not treated: their outcome after
  leaving does not exist, and clearing them out is the 腾笼 of ``evaluate.decomposition``.
- **Comparison**: enterprises never in the ledger. ``comparison="matched"`` takes, for each treated
  enterprise, the ``k`` nearest in the outcome's level in the first year of the data (before every
  onset that can be estimated) among those in the same pool and GB/T 4754 大类 that year (the same
  pool only, when the 大类 has fewer than ``k``), with replacement; a comparison enterprise weighs
  1/k for each match. ``"all"`` takes every never-listed enterprise with weight 1. Matching on the
  first year rather than the year before onset keeps the pre-period test honest: enterprises that
  share a level in the reference year by chance (a good year for one, a bad year for the other)
  would show a pre-trend the matching made.
- Both are observed with a finite outcome in every year of the data (a balanced panel); every
  enterprise left out is counted with its reason in ``EventStudy.sample``.

The estimate: y_it = α_i + λ_t + Σ_{e ≠ −1} β_e · 1[t − onset_i = e] + ε_it, weighted least squares
(linearmodels ``PanelOLS``) with firm and year fixed effects and standard errors clustered by firm;
e = −1, the year before onset, is the reference. ``estimator="sun_abraham"`` (Sun & Abraham 2021)
estimates β per onset cohort and averages them with the cohorts' shares of the treated at each e,
which stays unbiased when cohorts' effects differ; ``"twfe"`` pools them. The post-period effect
(ATT) averages β_e over e ≥ 0 weighted by the treated firm-years at each e; the pre-trend is the
joint Wald test of β_e = 0 for e ≤ −2 (none when no cohort has two years before onset). Intervals
are the normal ones at ``confidence``. The assumptions the estimate rests on are ``ASSUMPTIONS``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from helpers.core.errors import InputError
from helpers.core.keys import is_in, panel_index
from helpers.core.tails import chi2_upper_tail, normal_quantile, two_sided_p
from helpers.evaluate.indicators import compute_indicators, indicator_defs
from helpers.evaluate.peers import industry_division

ONSETS = {
    "remediation": "进入整治的第一年（列入清单之后的阶段） first year in remediation",
    "listing": "列入清单当年 the year listed",
}
COMPARISONS = {
    "matched": "匹配的未列入企业（同评价组、同行业大类、数据首年水平最近） matched never-listed enterprises",
    "all": "全部未列入企业 every never-listed enterprise",
}
ESTIMATORS = {
    "sun_abraham": "Sun & Abraham (2021) 分批次事件研究 cohort-interacted event study",
    "twfe": "双向固定效应事件研究 two-way fixed-effects event study",
}
TRANSFORMS = {"level": "水平值 level", "log": "对数 log (≈ 百分比 percent)"}
LEFT_WAYS = ("整体腾退",)
LEFT_STAGES = ("已退出",)
ASSUMPTIONS = (
    "平行趋势 Parallel trends: 若未整治，整治企业与对照企业的结果会平行变化（整治前系数检验其可检验的部分）。"
    " Without remediation, treated and comparison enterprises would have moved in parallel; the pre-period"
    " coefficients test the part of this that the data can show.",
    "无预期 No anticipation: 整治开始前一年（参照年）结果未受整治影响。 The year before onset is not yet affected.",
    "无溢出 No spillovers: 对照企业不受他人整治影响（如腾出的土地、订单）。 Comparison enterprises are not affected"
    " by others' remediation (freed land, orders).",
    "选择基于可观测量 Selection on observables for matching: 同组、同行业、同水平的企业可比；清单按整治前的亩均效益确定。"
    " Enterprises of one pool, industry and pre-period level are comparable; the list is drawn on pre-period 亩均 figures.",
    "样本 Sample: 平衡面板；退出者（整体腾退、已退出）不计入处理组，其作用见分解的“腾笼”。 A balanced panel; the leavers are"
    " not treated (their part is the decomposition's 腾笼).",
)


@dataclass
class EventStudy:
    """One outcome's estimate. ``coefficients``: one row per event time (the reference year with 0);
    ``att``: the post-period average effect; ``pretrend``: the joint test of the pre-period
    coefficients (``None`` when there are none); ``sample``: who is in and who is out and why;
    ``matches``: treated × comparison pairs (matched comparison only)."""

    outcome: str
    transform: str
    estimator: str
    comparison: str
    onset: str
    confidence: float
    coefficients: pd.DataFrame
    att: dict
    pretrend: dict | None
    sample: pd.DataFrame
    matches: pd.DataFrame = field(default_factory=pd.DataFrame)
    treated_mean_before: float = float("nan")  # the treated enterprises' mean outcome in the reference year
    counterfactual_post_mean: float = float("nan")  # their mean after onset less the effect


# ---------------------------------------------------------------- who is treated, and when
def onsets(ledger: pd.DataFrame, onset: str = "remediation") -> pd.DataFrame:
    """Per enterprise of the ledger: ``listed_year``, ``onset_year`` (NaN when it never reached a
    stage past 列入清单 and ``onset`` is ``remediation``) and ``left`` (整体腾退 or 已退出)."""
    if onset not in ONSETS:
        raise InputError("parameter onset", f"{onset!r} is not an onset", expected=" or ".join(ONSETS))
    g = ledger.groupby("credit_code", sort=True)
    out = pd.DataFrame({"listed_year": g["year"].min()})
    leaving = ledger["way"].isin(LEFT_WAYS) | ledger["stage"].isin(LEFT_STAGES)
    out["left"] = leaving.groupby(ledger["credit_code"]).any().reindex(out.index)
    if onset == "listing":
        out["onset_year"] = out["listed_year"].astype(float)
    else:
        started = ledger[ledger["stage"] != "列入清单"].groupby("credit_code")["year"].min()
        out["onset_year"] = started.reindex(out.index).astype(float)
    return out.rename_axis("credit_code").reset_index()


def outcome_panel(evaluations: dict[int, pd.DataFrame], outcome: str, transform: str = "level") -> pd.DataFrame:
    """credit_code, year, pool, industry (大类) and ``value`` (the outcome, logged for ``log``;
    NaN where it is missing, infinite or, logged, not positive) of every evaluated enterprise."""
    if outcome not in indicator_defs():
        raise InputError(
            "parameter effect_outcomes", f"unknown indicator {outcome!r}", expected=f"among {', '.join(indicator_defs())}"
        )
    if transform not in TRANSFORMS:
        raise InputError("parameter transform", f"{transform!r} is not a transform", expected=" or ".join(TRANSFORMS))
    frames = []
    for year, e in sorted(evaluations.items()):
        v = compute_indicators(e, [outcome])[outcome].astype(float)
        v = v.where(np.isfinite(v))
        if transform == "log":
            v = np.log(v.where(v > 0))
        frames.append(
            pd.DataFrame(
                {
                    "credit_code": e["credit_code"].to_numpy(),
                    "year": year,
                    "pool": e["pool"].to_numpy(),
                    "industry": industry_division(e["industry_code"]).to_numpy(),
                    "value": v.to_numpy(),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


# ---------------------------------------------------------------- the comparison group
def match_controls(panel: pd.DataFrame, treated: pd.Index, candidates: pd.Index, k: int) -> pd.DataFrame:
    """For each treated enterprise (credit codes), the ``k`` candidates nearest in ``value`` in the
    first year of ``panel``, in the same pool and 大类 that year, else in the same pool (ties: the
    order of the panel). Returns one row per pair: treated, control, matching year, distance and the
    cell used (``industry`` or ``pool``); a treated enterprise with no candidate in its pool has none.
    Each cell's candidates are sorted by value once, and a treated enterprise looks at those within
    the k-th nearest distance only (a search, not a scan: thousands of treated at 100,000 parcels)."""
    if k < 1:
        raise InputError("parameter matches", f"{k} comparison enterprises per treated one", expected="a whole number ≥ 1")
    year = int(panel["year"].min())
    first = panel[panel["year"] == year].reset_index(drop=True)
    pool_of = first[is_in(first["credit_code"], pd.Series(candidates))]
    cells: dict[tuple, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    for key, group in [*pool_of.groupby(["pool", "industry"], sort=False), *pool_of.groupby("pool", sort=False)]:
        order = np.argsort(group["value"].to_numpy(), kind="stable")
        cells[key if isinstance(key, tuple) else (key,)] = (
            group["value"].to_numpy()[order],
            group.index.to_numpy()[order],  # the panel's order, for ties
            group["credit_code"].to_numpy()[order],
        )
    me = first.set_index("credit_code").loc[treated, ["pool", "industry", "value"]]  # KeyError for a code not there
    rows: list[tuple[str, str, int, float, str]] = []
    for code, pool, industry, value in zip(treated, me["pool"].tolist(), me["industry"].tolist(), me["value"].to_numpy()):
        in_industry = cells.get((pool, industry))
        cell, found = (
            ("industry", in_industry) if in_industry is not None and len(in_industry[0]) >= k else ("pool", cells.get((pool,)))
        )
        if found is None:
            continue
        values, position, codes = found
        at = np.searchsorted(values, value)
        window = slice(max(0, at - k), min(len(values), at + k))
        kth = np.sort(np.abs(values[window] - value), kind="stable")[:k][-1]
        lo, hi = np.searchsorted(values, value - kth, "left"), np.searchsorted(values, value + kth, "right")
        near = np.arange(lo, hi)
        distance = np.abs(values[near] - value)
        pick = near[np.lexsort((position[near], distance))][:k]  # nearest first, then the panel's order
        rows.extend((code, codes[i], year, float(abs(values[i] - value)), cell) for i in pick)
    return pd.DataFrame(rows, columns=["treated", "control", "matching_year", "distance", "cell"])


# ---------------------------------------------------------------- the estimate
def _design(frame: pd.DataFrame, estimator: str) -> tuple[pd.DataFrame, dict[int, dict[str, float]]]:
    """The event-time dummies of the treated (reference e = −1 left out) and, per event time, the
    weights that turn the columns into β_e (one column for TWFE; cohort shares for Sun–Abraham)."""
    treated = frame["onset_year"].notna()
    e = (frame["year"] - frame["onset_year"]).where(treated)
    columns: dict[str, np.ndarray] = {}
    combos: dict[int, dict[str, float]] = {}
    for ev in sorted(int(x) for x in e.dropna().unique()):
        if ev == -1:
            continue
        at = (e == ev).to_numpy()
        if estimator == "twfe":
            columns[f"e{ev}"] = at.astype(float)
            combos[ev] = {f"e{ev}": 1.0}
            continue
        cohorts = frame.loc[at, "onset_year"].value_counts().sort_index()
        combos[ev] = {}
        for cohort, n in cohorts.items():
            name = f"e{ev}_c{int(cohort)}"
            columns[name] = (at & (frame["onset_year"] == cohort).to_numpy()).astype(float)
            combos[ev][name] = n / cohorts.sum()
    return pd.DataFrame(columns, index=frame.index), combos


def _combine(weights: dict[str, float], params: pd.Series, cov: pd.DataFrame) -> tuple[float, float]:
    w = pd.Series(weights, dtype=float)
    return float(w @ params[w.index]), float(np.sqrt(w @ cov.loc[w.index, w.index] @ w))


def estimate(
    frame: pd.DataFrame, estimator: str = "sun_abraham", confidence: float = 0.95
) -> tuple[pd.DataFrame, dict, dict | None]:
    """The event study on ``frame`` (credit_code, year, value, weight, onset_year: NaN for the
    comparison): coefficients by event time (with the treated firm-years and their mean outcome at
    each), the ATT and the pre-trend test."""
    from linearmodels.panel import PanelOLS  # a heavy import that only this page needs

    if estimator not in ESTIMATORS:
        raise InputError("parameter estimator", f"{estimator!r} is not an estimator", expected=" or ".join(ESTIMATORS))
    frame = frame.sort_values(["credit_code", "year"], kind="stable").reset_index(drop=True)
    dummies, combos = _design(frame, estimator)
    index = panel_index(frame["credit_code"], frame["year"])
    fit = PanelOLS(
        frame["value"].set_axis(index),
        dummies.set_axis(index),
        entity_effects=True,
        time_effects=True,
        weights=frame["weight"].set_axis(index),
    ).fit(cov_type="clustered", cluster_entity=True)
    params, cov = fit.params, fit.cov
    z = normal_quantile(0.5 + confidence / 2)
    since = frame["year"] - frame["onset_year"]
    n_at = since.value_counts()
    treated_mean = frame["value"].groupby(since).mean()
    rows = []
    for ev in sorted([-1, *combos]):
        if ev == -1:
            rows.append({"event_time": -1, "estimate": 0.0, "std_error": 0.0, "ci_low": 0.0, "ci_high": 0.0, "p_value": np.nan})
        else:
            b, se = _combine(combos[ev], params, cov)
            rows.append(
                {
                    "event_time": ev,
                    "estimate": b,
                    "std_error": se,
                    "ci_low": b - z * se,
                    "ci_high": b + z * se,
                    "p_value": float(two_sided_p(b / se)) if se > 0 else np.nan,
                }
            )
        rows[-1]["treated_firm_years"] = int(n_at.get(ev, 0))
        rows[-1]["treated_mean"] = float(treated_mean.get(ev, np.nan))
    coefficients = pd.DataFrame(rows)
    post = {ev: n_at.get(ev, 0) for ev in combos if ev >= 0}
    total = sum(post.values())
    att_weights: dict[str, float] = {}
    for ev, n in post.items():
        for name, w in combos[ev].items():
            att_weights[name] = att_weights.get(name, 0.0) + w * n / total
    b, se = _combine(att_weights, params, cov)
    att = {
        "estimate": b,
        "std_error": se,
        "ci_low": b - z * se,
        "ci_high": b + z * se,
        "p_value": float(two_sided_p(b / se)) if se > 0 else np.nan,
    }
    pre = [ev for ev in combos if ev <= -2]
    pretrend = None
    if pre:
        names = list(params.index)
        matrix = np.zeros((len(pre), len(names)))
        for r, ev in enumerate(pre):
            for name, w in combos[ev].items():
                matrix[r, names.index(name)] = w
        beta = matrix @ params.to_numpy()
        v = matrix @ cov.to_numpy() @ matrix.T
        stat = float(beta @ np.linalg.pinv(v) @ beta)  # pinv: a singular covariance (few clusters) still gives a figure
        pretrend = {"event_times": pre, "statistic": stat, "df": len(pre), "p_value": float(chi2_upper_tail(stat, len(pre)))}
    return coefficients, att, pretrend


def event_study(
    evaluations: dict[int, pd.DataFrame],
    ledger: pd.DataFrame,
    outcome: str = "tax_per_mu",
    *,
    onset: str = "remediation",
    comparison: str = "matched",
    estimator: str = "sun_abraham",
    k: int = 5,
    transform: str = "level",
    confidence: float = 0.95,
) -> EventStudy:
    """The effect of remediation on ``outcome`` (an indicator of indicators.yaml) for the enterprises
    of ``ledger`` that went through it, from the yearly ``evaluations`` (each year's evaluated
    enterprises). Raises ``InputError`` for an unknown choice; returns an ``EventStudy`` whose
    ``coefficients`` are empty when nobody is left to compare (the ``sample`` says why)."""
    if comparison not in COMPARISONS:
        raise InputError("parameter comparison", f"{comparison!r} is not a comparison group", expected=" or ".join(COMPARISONS))
    if estimator not in ESTIMATORS:
        raise InputError("parameter estimator", f"{estimator!r} is not an estimator", expected=" or ".join(ESTIMATORS))
    if not 0 < confidence < 1:
        raise InputError("parameter confidence", f"{confidence}", expected="a share between 0 and 1, such as 0.95")
    panel = outcome_panel(evaluations, outcome, transform)
    years = sorted(evaluations)
    wide = panel.pivot(index="credit_code", columns="year", values="value")
    balanced = wide.index[wide.notna().all(axis=1)]
    who = onsets(ledger, onset)
    counts: list[tuple[str, str, int]] = [("整治台账企业 enterprises in the ledger", "ledger", len(who))]

    def out(label: str, mask: pd.Series) -> pd.Series:
        counts.append((label, "out", int(mask.sum())))
        return ~mask

    keep = out("已退出（整体腾退、已退出） left", who["left"])
    keep &= out("尚未进入整治 listed, not yet in remediation", keep & who["onset_year"].isna())
    keep &= out("数据中无整治前一年 no year before onset in the data", keep & ~(who["onset_year"] - 1).isin(years))
    keep &= out("整治始于数据末年之后 onset after the last year of the data", keep & (who["onset_year"] > max(years)))
    evaluated_every_year = pd.Series(is_in(who["credit_code"], pd.Series(balanced)), index=who.index)
    keep &= out("未逐年参评或指标缺失 not evaluated with the outcome every year", keep & ~evaluated_every_year)
    treated = who.loc[keep, ["credit_code", "onset_year"]]
    candidates = balanced.difference(pd.Index(who["credit_code"]))
    matches = pd.DataFrame(columns=["treated", "control", "matching_year", "distance", "cell"])
    if comparison == "matched":
        matches = match_controls(panel, pd.Index(treated["credit_code"]), candidates, k)
        unmatched = pd.Series(~is_in(treated["credit_code"], matches["treated"]), index=treated.index)
        counts.append(("同评价组无可比企业 no comparison enterprise in its pool", "out", int(unmatched.sum())))
        treated = treated[~unmatched]
        per_match = matches.groupby("treated")["control"].transform("count")
        control_weight = (1.0 / per_match).groupby(matches["control"]).sum()
    else:
        control_weight = pd.Series(1.0, index=candidates)
    counts.append(("处理组 treated enterprises", "treated", len(treated)))
    counts.append(
        (
            "其中行业内匹配 of which matched within their 大类",
            "treated",
            int(matches.drop_duplicates("treated")["cell"].eq("industry").sum()),
        )
    )
    counts.append(("对照组 comparison enterprises", "comparison", len(control_weight)))
    sample = pd.DataFrame(counts, columns=["item", "kind", "enterprises"])
    rows = panel[is_in(panel["credit_code"], pd.concat([treated["credit_code"], control_weight.index.to_series()]))]
    rows = rows.merge(treated, on="credit_code", how="left")
    rows["weight"] = rows["credit_code"].map(control_weight).where(rows["onset_year"].isna(), 1.0)
    result = EventStudy(outcome, transform, estimator, comparison, onset, confidence, pd.DataFrame(), {}, None, sample, matches)
    if treated.empty or control_weight.empty:
        return result
    result.coefficients, result.att, result.pretrend = estimate(
        rows[["credit_code", "year", "value", "weight", "onset_year"]], estimator, confidence
    )
    t = rows[rows["onset_year"].notna()]
    e = t["year"] - t["onset_year"]
    result.treated_mean_before = float(t.loc[e == -1, "value"].mean())
    result.counterfactual_post_mean = float(t.loc[e >= 0, "value"].mean() - result.att["estimate"])
    return result


def relative_effect(study: EventStudy) -> dict:
    """The ATT as a share: exp(β) − 1 for a logged outcome; for a level, the ATT over the treated
    enterprises' mean after onset less the effect (their counterfactual mean), the interval scaled by
    the same mean (which is treated as known)."""
    a = study.att
    if not a:
        return {}
    if study.transform == "log":
        return {k: float(np.expm1(a[k])) for k in ("estimate", "ci_low", "ci_high")}
    base = study.counterfactual_post_mean
    if not np.isfinite(base) or base == 0:
        return {}
    return {k: a[k] / abs(base) for k in ("estimate", "ci_low", "ci_high")}


__all__ = [
    "ASSUMPTIONS",
    "COMPARISONS",
    "ESTIMATORS",
    "ONSETS",
    "TRANSFORMS",
    "EventStudy",
    "estimate",
    "event_study",
    "match_controls",
    "onsets",
    "outcome_panel",
    "relative_effect",
]
