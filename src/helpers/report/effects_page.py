"""Sections of ``06_policy_effects`` (政策效果评估 / Did it work?): where the change in the district's
亩均 figures came from — 腾笼 (exits), 换鸟 (entries), 凤凰涅槃 (firms improving in place) and the
reallocation of land among continuing firms — by the Melitz–Polanec decomposition
(``evaluate.decomposition``), for the whole population and by pool, 街道 and chain.
"""

from __future__ import annotations

import pandas as pd

from helpers.core.errors import InputError
from helpers.evaluate.decomposition import COMPONENTS, SHORT, decomposition_table
from helpers.evaluate.indicators import indicator_defs
from helpers.report.context import RunContext
from helpers.report.narrative import data_notice
from helpers.report.sections import Section, md_text
from helpers.viz.charts import waterfall_chart

POPULATIONS = {"above_scale": "规上企业 (the plan's headline figures)", "all": "全部参评企业 every evaluated enterprise"}
GROUPINGS = {"pool_zh": "评价组 pool", "street_name": "街道/镇", "industry_chain": "产业链 chain"}
DEFAULT_OUTCOMES = "tax_per_mu,va_per_mu,labour_productivity"


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


def outcomes(ctx: RunContext) -> list[str]:
    """The indicators decomposed (parameter ``outcomes``), each checked against indicators.yaml."""
    names = [n.strip() for n in str(ctx.option("outcomes", DEFAULT_OUTCOMES)).split(",") if n.strip()]
    unknown = [n for n in names if n not in indicator_defs()]
    if unknown:
        raise InputError(
            "parameter outcomes", f"unknown indicator(s) {', '.join(unknown)}", expected=f"among {', '.join(indicator_defs())}"
        )
    return names


def population(ctx: RunContext) -> dict[int, pd.DataFrame]:
    """Each year's enterprises in the population (parameter ``population``: 规上 or all evaluated),
    selected once per context (every table of the page decomposes the same population)."""
    which = str(ctx.option("population", "above_scale"))
    if which not in POPULATIONS:
        raise InputError("parameter population", f"{which!r} is not a population", expected=" or ".join(POPULATIONS))

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
    which = str(ctx.option("population", "above_scale"))
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


def notes(ctx: RunContext) -> Section:
    return Section().markdown(
        "**方法 Method**: Melitz & Polanec (2015) 动态 Olley–Pakes 分解，权重为指标的分母（亩均指标为用地面积，劳动生产率为职工人数）。"
        "存续 = 两年均在总体内；退出 = 仅期初；进入 = 仅期末（含从规下升入规上、在所选组之间移动的企业）。"
        "涅槃 = 存续企业未加权平均值的变化；再配置 = 存续企业间权重与指标协方差的变化；换鸟 = 进入者份额 ×（进入者总体 − 存续者总体，期末）；"
        "腾笼 = 退出者份额 ×（存续者总体 − 退出者总体，期初）。分解描述变化的构成，不是因果效应。"
        " The dynamic Olley–Pakes decomposition of Melitz & Polanec (2015), weighted by the indicator's denominator;"
        " it describes where the change came from, not what caused it."
    )


__all__ = ["by_groups", "header", "headline", "notes"]
