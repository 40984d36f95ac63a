"""Sections of ``06_policy_effects`` (政策效果评估 / Did it work?): where the change in the district's
亩均 figures came from — 腾笼 (exits), 换鸟 (entries), 凤凰涅槃 (firms improving in place) and the
reallocation of land among continuing firms — by the Melitz–Polanec decomposition
(``evaluate.decomposition``), for the whole population and by pool, 街道 and chain; the effect of
remediation on the enterprises that went through it (``policy.remediation_effect``: an event study
against matched never-listed enterprises); and what goes with high 亩均税收
(``evaluate.determinants``: a panel regression and, where the residuals are spatially dependent, a
spatial model).
"""

from __future__ import annotations

import pandas as pd

from helpers.core.errors import InputError
from helpers.evaluate.decomposition import COMPONENTS, SHORT, decomposition_table
from helpers.evaluate.determinants import SPATIAL_MODELS, Determinants, determinants
from helpers.evaluate.indicators import indicator_defs
from helpers.policy.remediation_effect import (
    ASSUMPTIONS,
    COMPARISONS,
    ESTIMATORS,
    ONSETS,
    TRANSFORMS,
    EventStudy,
    event_study,
    relative_effect,
)
from helpers.report.context import RunContext
from helpers.report.narrative import data_notice
from helpers.report.sections import Section, md_text
from helpers.viz.charts import event_study_chart, waterfall_chart

POPULATIONS = {"above_scale": "规上企业 (the plan's headline figures)", "all": "全部参评企业 every evaluated enterprise"}
GROUPINGS = {"pool_zh": "评价组 pool", "street_name": "街道/镇", "industry_chain": "产业链 chain"}
DEFAULT_OUTCOMES = "tax_per_mu,va_per_mu,labour_productivity"
DEFAULT_EFFECT_OUTCOMES = "tax_per_mu,va_per_mu,energy_per_va"
# which planted effect of the synthetic generator (sample_info.yaml: planted_effects) moves an outcome
PLANTED_FOR = {"tax_per_mu": "output", "va_per_mu": "output", "revenue_per_mu": "output", "energy_per_va": "energy_per_va"}


def years(ctx: RunContext) -> tuple[int, int] | None:
    """(from, to) of parameters ``from_year`` (default: the first year of the data) and ``year``;
    None when the data hold no year before ``year`` and ``from_year`` is ``earliest`` (a county export
    of one year: nothing to decompose, which the page says)."""
    first = ctx.option("from_year", "earliest")
    if str(first).lower() == "earliest":
        earlier = [y for y in ctx.evaluations if y < ctx.year]
        return (min(earlier), ctx.year) if earlier else None
    start = int(first)
    if start not in ctx.evaluations or start >= ctx.year:
        raise InputError(
            "parameter from_year",
            f"{first!r} cannot start a change to {ctx.year}",
            expected=f"a year of the data before {ctx.year} ({', '.join(map(str, sorted(ctx.evaluations)))}) or 'earliest'",
        )
    return start, ctx.year


def outcomes(ctx: RunContext, parameter: str = "outcomes", default: str = DEFAULT_OUTCOMES) -> list[str]:
    """The indicators of parameter ``outcomes`` (decomposed) or ``effect_outcomes`` (the effect of
    remediation), each checked against indicators.yaml."""
    names = [n.strip() for n in str(ctx.option(parameter, default)).split(",") if n.strip()]
    unknown = [n for n in names if n not in indicator_defs()]
    if unknown or not names:
        raise InputError(
            f"parameter {parameter}",
            f"unknown indicator(s) {', '.join(unknown) or '(none given)'}",
            expected=f"among {', '.join(indicator_defs())}",
        )
    return names


def effect_design(ctx: RunContext) -> dict:
    """The event study's choices from the page's parameters, checked: ``onset``, ``comparison``,
    ``estimator``, ``matches`` (k), ``transform`` and ``confidence``."""
    confidence = float(ctx.option("confidence", 0.95))
    if not 0 < confidence < 1:
        raise InputError("parameter confidence", f"{confidence}", expected="a share between 0 and 1, such as 0.95")
    return {
        "onset": ctx.choice("onset", "remediation", ONSETS),
        "comparison": ctx.choice("comparison", "matched", COMPARISONS),
        "estimator": ctx.choice("estimator", "sun_abraham", ESTIMATORS),
        "k": ctx.whole_number("matches", 5, 1, "comparison enterprises per treated one"),
        "transform": ctx.choice("transform", "level", TRANSFORMS),
        "confidence": confidence,
    }


def studies(ctx: RunContext) -> dict[str, EventStudy] | None:
    """The event study of each effect outcome on the view's evaluations and the remediation ledger;
    None without a ledger or with one year of data."""
    ledger = ctx.dataset.records.get("remediation")
    if ledger is None or len(ctx.evaluations) < 2:
        return None
    design = effect_design(ctx)
    names = outcomes(ctx, "effect_outcomes", DEFAULT_EFFECT_OUTCOMES)

    def run() -> dict[str, EventStudy]:
        evaluations = {y: ev.evaluated for y, ev in ctx.evaluations.items()}
        return {name: event_study(evaluations, ledger, name, **design) for name in names}

    return ctx.memo("event_studies", run)


def planted_shares(ctx: RunContext, study: EventStudy) -> dict[int, float] | None:
    """The synthetic generator's planted effect on ``study``'s outcome (sample_info.yaml:
    ``planted_effects``) as relative changes by years since onset (0 before it); None for real data
    or an outcome the generator did not move."""
    shares = (ctx.dataset.info.get("planted_effects") or {}).get("remediation", {}).get(PLANTED_FOR.get(study.outcome, ""))
    if not ctx.synthetic or not shares or study.coefficients.empty:
        return None
    shares = {int(e): float(v) for e, v in shares.items()}
    last = max(shares)
    return {
        int(e): 0.0 if e < 0 else shares.get(int(e), shares[last] if e > last else 0.0) for e in study.coefficients["event_time"]
    }


def planted_share(ctx: RunContext, study: EventStudy) -> float | None:
    """The planted relative change averaged as the ATT is, over the treated firm-years after onset:
    the figure to hold the relative estimate against."""
    p = planted_shares(ctx, study)
    if p is None:
        return None
    post = study.coefficients[study.coefficients["event_time"] >= 0]
    n = post["treated_firm_years"]
    return float(sum(p[int(e)] * w for e, w in zip(post["event_time"], n)) / n.sum())


def population(ctx: RunContext) -> dict[int, pd.DataFrame]:
    """Each year's enterprises in the population (parameter ``population``: 规上 or all evaluated),
    selected once per context (every table of the page decomposes the same population)."""
    which = ctx.choice("population", "above_scale", POPULATIONS)

    def select() -> dict[int, pd.DataFrame]:
        frames = {y: ev.evaluated for y, ev in ctx.evaluations.items()}
        if which == "above_scale":
            frames = {y: e[e["above_scale"].fillna(False).astype(bool)] for y, e in frames.items()}
        return frames

    return ctx.memo(f"population:{which}", select)


NO_CHANGE = (
    "**无数据 No data**: 数据中只有 {year} 年，没有可分解的变化（至少需要两个年度）。"
    " The data folder holds {year} only: a change needs two years."
)


def header(ctx: RunContext) -> Section:
    span = years(ctx)
    which = ctx.choice("population", "above_scale", POPULATIONS)
    shown = f"{span[0]} → {span[1]}" if span else f"{ctx.year}（仅一年 one year）"
    return (
        Section()
        .markdown(
            f"**范围 Scope**: {ctx.scope} · **年度 Years**: {shown} · **总体 Population**: {md_text(POPULATIONS[which])}"
            f" · **方法 Method**: `{ctx.method.id}`"
        )
        .markdown(data_notice(ctx.dataset))
    )


def _shown(table: pd.DataFrame, unit: str) -> pd.DataFrame:
    cols = {
        "group": "组 group",
        "aggregate_from": "期初 from",
        "aggregate_to": "期末 to",
        "change": "变化 change",
        **{k: v for k, v in COMPONENTS.items()},
        "survivors": "存续 survivors",
        "entries": "进入 entries",
        "exits": "退出 exits",
    }
    shown = table[list(cols)].rename(columns=cols)
    shown.columns = [f"{c}（{unit}）" if c in ("期初 from", "期末 to", "变化 change") else c for c in shown.columns]
    return shown


def headline(ctx: RunContext) -> Section:
    """The first outcome's change from ``from_year`` to ``year`` as a waterfall, with the table."""
    span = years(ctx)
    if span is None:
        return Section().markdown(NO_CHANGE.format(year=ctx.year))
    a, b = span
    outcome = outcomes(ctx)[0]
    d = indicator_defs()[outcome]
    table = decomposition_table(population(ctx), a, b, outcome)
    row = table.iloc[0]
    fig = waterfall_chart(
        float(row["aggregate_from"]),
        {SHORT[k]: float(row[k]) for k in COMPONENTS},
        float(row["aggregate_to"]),
        (f"{a}年", f"{b}年"),
        f"图1 {d.zh}的变化从何而来（{a}→{b}，{ctx.scope}）",
        d.unit,
        ctx.plan_ref("“腾笼换鸟、凤凰涅槃”（方案名称与二、实施目标）"),
        ctx.synthetic,
    )
    parts = "；".join(f"{COMPONENTS[k].split('（')[0]} {row[k]:+.2f}" for k in COMPONENTS)
    return (
        Section(data={"decomposition": table})
        .markdown(
            f"{d.zh}从 **{row['aggregate_from']:.2f}** 到 **{row['aggregate_to']:.2f}**（{d.unit}），变化 **{row['change']:+.2f}**："
            f"{parts}。各项之和等于变化。 The change split into its four sources; they add up to it exactly."
        )
        .figure(fig)
    )


def by_groups(ctx: RunContext) -> Section:
    """Every outcome, decomposed for the whole population and by pool, 街道 and chain."""
    span = years(ctx)
    if span is None:
        return Section().markdown(NO_CHANGE.format(year=ctx.year))
    a, b = span
    s = Section()
    tables = {}
    for outcome in outcomes(ctx):
        d = indicator_defs()[outcome]
        for by, label in GROUPINGS.items():
            table = decomposition_table(population(ctx), a, b, outcome, by)
            tables[(outcome, by)] = table
            s.markdown(f"**{md_text(d.zh)} · {md_text(label)}**")
            s.table(_shown(table, d.unit).style.format(precision=2).hide(axis="index"))
    s.data["tables"] = tables
    return s


NO_LEDGER = (
    "**无数据 No data**: 本数据文件夹没有整治台账（remediation.csv），无法估计整治效果。"
    " This folder has no remediation ledger (remediation.csv): the effect of remediation needs it."
    " 格式见 docs/data-contract.md (the format)."
)


def _interval(value: float, low: float, high: float, fmt: str = "{:+.2f}") -> str:
    return f"{fmt.format(value)}（{fmt.format(low)} ～ {fmt.format(high)}）"


def _pct(d: dict) -> str:
    return _interval(100 * d["estimate"], 100 * d["ci_low"], 100 * d["ci_high"], "{:+.1f}%") if d else "—"


def _outcome_unit(study: EventStudy) -> str:
    return "对数 log points" if study.transform == "log" else indicator_defs()[study.outcome].unit


def effect_of_remediation(ctx: RunContext) -> Section:
    """The event study of each effect outcome: the post-period effect with its interval, in units and
    as a share, the pre-trend test, the effect by years since onset (chart and table), who was
    compared, and the assumptions. Says 无数据 without a ledger or with one year."""
    if ctx.dataset.records.get("remediation") is None:
        return Section().markdown(NO_LEDGER)
    found = studies(ctx)
    if found is None:
        return Section().markdown(NO_CHANGE.format(year=ctx.year))
    design = effect_design(ctx)
    level = int(round(100 * design["confidence"]))
    s = Section(data={"studies": found})
    s.markdown(
        f"**设计 Design**: 处理组 = 台账中进入整治且未退出的企业，起点 onset = {md_text(ONSETS[design['onset']])}；"
        f"对照组 comparison = {md_text(COMPARISONS[design['comparison']])}"
        + (f"（每家匹配 {design['k']} 家 k = {design['k']}）" if design["comparison"] == "matched" else "")
        + f"；估计量 estimator = {md_text(ESTIMATORS[design['estimator']])}；企业与年份固定效应，按企业聚类标准误；"
        f"结果 outcome 取{md_text(TRANSFORMS[design['transform']])}；区间为 {level}% 置信区间。"
    )
    lines, panels = [], []
    for name, st in found.items():
        d = indicator_defs()[name]
        unit = _outcome_unit(st)
        if st.coefficients.empty:
            lines.append(f"- **{md_text(d.zh)}**：无可比较的企业 nobody to compare (see the sample table).")
            continue
        a = st.att
        pre = st.pretrend
        if pre is None:
            pre_text = "无法检验（没有企业在整治前有两年数据） cannot be tested: no enterprise has two years before onset"
        else:
            verdict = (
                "未拒绝 not rejected"
                if pre["p_value"] >= 1 - design["confidence"]
                else "**拒绝 rejected：估计不可信 the estimate is not credible**"
            )
            pre_text = f"χ²({pre['df']}) = {pre['statistic']:.2f}，p = {pre['p_value']:.3f}，{verdict}"
        line = (
            f"- **{md_text(d.zh)}**：整治后平均效应 ATT **{_interval(a['estimate'], a['ci_low'], a['ci_high'])}** {md_text(unit)}"
            f"，p = {a['p_value']:.3f}；相对 relative {_pct(relative_effect(st))}；整治前平行趋势 pre-trend: {pre_text}。"
        )
        shares, truth = planted_shares(ctx, st), planted_share(ctx, st)
        if shares is not None and truth is not None:
            by_year = "、".join(f"第{e}年 {100 * v:+.0f}%" for e, v in shares.items() if e >= 0)
            line += (
                f" 合成数据植入 planted in the synthetic data: {by_year}，按处理组企业年平均 {100 * truth:+.1f}%"
                "（应落在相对效应的区间内 the relative interval should hold it）。"
            )
        lines.append(line)
        panels.append({"title": d.zh, "unit": unit, "coefficients": st.coefficients})
    s.markdown("\n".join(lines))
    if panels:
        s.figure(
            event_study_chart(
                panels,
                f"图2 整治企业与对照企业的差异，按距整治开始年数（{ctx.scope}）",
                ctx.plan_ref("三、主要任务（一）2.整治提升高耗低效企业"),
                ctx.synthetic,
            )
        )
    coefficient_rows = []
    for name, st in found.items():
        if not st.coefficients.empty:
            coefficient_rows.append(st.coefficients.assign(outcome=indicator_defs()[name].zh))
    if coefficient_rows:
        table = pd.concat(coefficient_rows, ignore_index=True)
        columns = {
            "outcome": "结果 outcome",
            "event_time": "距整治开始 years since onset",
            "estimate": "估计 estimate",
            **_interval_labels(level),
            "treated_firm_years": "处理组企业年 treated firm-years",
            "treated_mean": "处理组均值 treated mean",
        }
        shown = table[list(columns)].rename(columns=columns)
        s.markdown("**按年系数 Coefficients by year since onset**（−1 为参照年 the reference, 0 by construction）")
        s.table(shown.style.format(precision=3, na_rep="—").hide(axis="index"))
    samples = (
        pd.concat({indicator_defs()[n].zh: st.sample.set_index("item")["enterprises"] for n, st in found.items()}, axis=1)
        .reset_index()
        .rename(columns={"item": "企业 enterprises"})
    )
    s.markdown("**样本 Who is compared**（每个结果各自的平衡面板 a balanced panel per outcome）")
    s.table(samples.style.hide(axis="index"))
    s.markdown("**假设 Assumptions the estimate rests on**\n\n" + "\n".join(f"- {md_text(a)}" for a in ASSUMPTIONS))
    return s


def _interval_labels(level: int) -> dict[str, str]:
    """Column labels of an estimate's uncertainty at the page's confidence level (percent)."""
    return {"std_error": "标准误 SE", "ci_low": f"{level}%下限 low", "ci_high": f"{level}%上限 high", "p_value": "p"}


def _tidy_shown(table: pd.DataFrame, level: int) -> pd.DataFrame:
    columns = {"label": "变量 term", "estimate": "系数 estimate", **_interval_labels(level)}
    return table[list(columns)].rename(columns=columns)


def fitted_determinants(ctx: RunContext) -> Determinants:
    """``evaluate.determinants`` on the view's evaluations with the page's parameters, once."""
    outcome = outcomes(ctx, "determinants_outcome", "tax_per_mu")[0]
    spatial = ctx.choice("spatial_model", "auto", SPATIAL_MODELS)
    alpha = float(ctx.option("spatial_alpha", 0.05))
    k = int(ctx.option("neighbours", 8))
    confidence = float(effect_design(ctx)["confidence"])

    def run() -> Determinants:
        return determinants(
            {y: ev.evaluated for y, ev in ctx.evaluations.items()},
            ctx.dataset.parcels,
            ctx.dataset.records.get("parks"),
            outcome,
            spatial_model=spatial,
            alpha=alpha,
            k=k,
            confidence=confidence,
        )

    return ctx.memo("determinants", run)


def determinants_of_efficiency(ctx: RunContext) -> Section:
    """The panel model's tidy table, the Moran's I of the latest year's residuals and, where it is
    significant (or asked for), the spatial model's table."""
    d = fitted_determinants(ctx)
    level = int(round(100 * effect_design(ctx)["confidence"]))
    ind = indicator_defs()[d.outcome]
    m = d.moran
    s = Section(data={"determinants": d})
    s.markdown(
        f"**面板回归 Panel model**：{md_text(ind.zh)}（{md_text(ind.unit)}）对规模、年龄、产业链、标准地、小微企业园与街道回归，"
        f"年份固定效应，按企业聚类标准误；{d.n_obs:,} 个企业年度 enterprise-years，{d.n_enterprises:,} 家企业，R² = {d.r2:.3f}。"
        "系数为相关关系，不是因果 associations, not causes. "
        f"参照组 reference groups (the largest): 产业链 {md_text(d.references.get('chain', '—'))}，街道 {md_text(d.references.get('street', '—'))}。"
        + ("\n\n" + "\n".join(f"- {md_text(n)}" for n in d.notes) if d.notes else "")
    )
    s.table(_tidy_shown(d.panel, level).style.format(precision=3).hide(axis="index"))
    decided = {"none": "不需要空间模型 no spatial model needed", "lag": SPATIAL_MODELS["lag"], "error": SPATIAL_MODELS["error"]}
    s.markdown(
        f"**空间相关检验 Spatial dependence** ({d.year} 年截面 cross-section, {m['n']:,} 家, 最近 {m['k']} 个邻居 k nearest"
        f" main parcels)：残差 Moran's I = {m['I']:.4f}，z = {m['z']:.2f}，p = {m['p_value']:.3f}；"
        f"稳健 LM robust LM-lag p = {m['rlm_lag_p']:.3f}，LM-error p = {m['rlm_error_p']:.3f} → {md_text(decided[d.spatial_model])}。"
    )
    if not d.spatial.empty:
        s.markdown(f"**空间模型 Spatial model** ({md_text(SPATIAL_MODELS[d.spatial_model])}, spreg, {d.year} 年截面)")
        s.table(_tidy_shown(d.spatial, level).style.format(precision=3).hide(axis="index"))
    s.markdown("**样本 Rows**")
    s.table(d.sample.rename(columns={"item": "记录 rows", "kind": "类别 kind", "rows": "行数 count"}).style.hide(axis="index"))
    return s


def notes(ctx: RunContext) -> Section:
    return Section().markdown(
        "**方法 Method**: Melitz & Polanec (2015) 动态 Olley–Pakes 分解，权重为指标的分母（亩均指标为用地面积，劳动生产率为职工人数）。"
        "存续 = 两年均在总体内；退出 = 仅期初；进入 = 仅期末（含从规下升入规上、在所选组之间移动的企业）。"
        "涅槃 = 存续企业未加权平均值的变化；再配置 = 存续企业间权重与指标协方差的变化；换鸟 = 进入者份额 ×（进入者总体 − 存续者总体，期末）；"
        "腾笼 = 退出者份额 ×（存续者总体 − 退出者总体，期初）。分解描述变化的构成，不是因果效应。"
        " The dynamic Olley–Pakes decomposition of Melitz & Polanec (2015), weighted by the indicator's denominator;"
        " it describes where the change came from, not what caused it."
        "\n\n**整治效果 Effect of remediation**: 事件研究 / 双重差分 (linearmodels PanelOLS)，企业与年份固定效应，按企业聚类标准误；"
        '参照年为整治开始前一年；Sun & Abraham (2021) 按起始年分批估计再按处理组份额加权（可改为双向固定效应 `estimator="twfe"`）；'
        "对照企业在数据首年按评价组、行业大类与结果水平匹配（有放回）。ATT 为整治后各年系数按处理组企业年加权的平均。"
        " Parameters: `effect_outcomes`, `onset`, `comparison`, `estimator`, `matches`, `transform`, `confidence`."
        "\n\n**决定因素 Determinants**: 混合面板 OLS + 年份固定效应 (linearmodels)；最新年截面的残差 Moran's I 与 LM 检验 (PySAL spreg)，"
        "显著时按稳健 LM 检验选择空间滞后 (GM_Lag) 或空间误差 (GM_Error_Het) 模型。"
        " Parameters: `determinants_outcome`, `spatial_model`, `spatial_alpha`, `neighbours`. Method: docs/method.md."
    )


__all__ = [
    "by_groups",
    "determinants_of_efficiency",
    "effect_design",
    "effect_of_remediation",
    "fitted_determinants",
    "header",
    "headline",
    "notes",
    "planted_share",
    "planted_shares",
    "studies",
]
