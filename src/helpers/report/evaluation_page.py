"""Sections of ``02_mujun_evaluation``: the evaluation of one year against the plan's targets,
its distributions, breakdowns by 街道, chain and size, classes, benchmarks, the weakest
enterprises, the ledger and the class map. Classes are always the district's (see
``helpers.evaluate.evaluation``); a 街道 view shows its share of the district, not a verdict."""

from __future__ import annotations

import pandas as pd

from helpers.evaluate.breakdowns import benchmark_table, breakdown, class_counts, goals_display, size_band, weakest
from helpers.evaluate.indicators import indicator_defs
from helpers.evaluate.ledger import table_ledger
from helpers.evaluate.methods import ZERO_DENOMINATOR_RULES
from helpers.evaluate.robustness import robustness
from helpers.plan.goals import above_scale_figures, goals_table, scope_contributions
from helpers.report.context import RunContext
from helpers.report.exports import write_run_tables
from helpers.report.narrative import data_notice, method_notice, run_summary
from helpers.report.sections import ENTERPRISE_LABELS, Section
from helpers.viz.charts import breakdown_chart, class_share_chart, distribution_chart, goals_chart
from helpers.viz.maps import class_map

TAX_GOAL, LABOUR_GOAL = "tax_per_mu", "labour_productivity"  # goal ids of data/plan/goals.yaml
DEFAULT_TOP_N = 15  # enterprises listed per pool among the weakest (notebook parameter top_n)


def evaluated(ctx: RunContext) -> pd.DataFrame:
    """The shown evaluated enterprises with their land-size band (once per context)."""
    return ctx.memo("evaluated_by_size", lambda: ctx.ev.evaluated.assign(size_band=lambda d: size_band(d["land_mu"])))


def measured_goals(ctx: RunContext) -> pd.DataFrame:
    """The headline goals with the shown 规上 figures against them (once per context)."""
    return ctx.memo("measured_goals", lambda: goals_table(above_scale_figures(ctx.ev.evaluated), ctx.ev.evaluated))


def above_scale(ctx: RunContext) -> pd.DataFrame:
    e = evaluated(ctx)
    return e[e["above_scale"].astype(bool)]


def header(ctx: RunContext) -> Section:
    return (
        Section()
        .markdown(f"**范围 Scope**: {ctx.scope} · **年度 Year**: {ctx.year} · **方法 Method**: `{ctx.method.id}`")
        .markdown(data_notice(ctx.dataset))
        .markdown(method_notice(ctx.method, ctx.year))
    )


def summary(ctx: RunContext) -> Section:
    ev = ctx.ev
    return (
        Section(data={"evaluation": ev})
        .markdown(
            f"参评企业 **{len(ev.evaluated):,}** 家 enterprises evaluated; "
            f"排除 **{(ev.enterprises['status'] == 'excluded').sum():,}** 家 excluded (see §7)."
        )
        .markdown(f"**{ev.ranking_note}**")
        .markdown(ev.land_note)
    )


def goals(ctx: RunContext) -> Section:
    """The district against the plan's 2023 targets; under a 街道 view, the 街道's figures, their
    share of the district and their contribution to the district's gap instead of a verdict."""
    if ctx.filtered:
        table = scope_contributions(ctx.district_ev.evaluated, ctx.ev.evaluated)
        shown = table.rename(
            columns={
                "text": "全区目标 district goal",
                "value": "目标值 target",
                "view_actual": f"{ctx.scope} 规上实际",
                "district_actual": "全区规上实际",
                "share_of_district": "占全区分母比重 share",
                "contribution_to_gap": "对全区差距的贡献 contribution",
                "unit": "单位 unit",
            }
        ).drop(columns="id")
        return (
            Section(data={"contributions": table})
            .markdown(
                f"**街道视图 Street view**：方案目标为全区目标，此处不判断{ctx.scope}是否“达标”。"
                "贡献 = (街道分子 − 目标 × 街道分母) / 全区分母；各街道贡献之和等于全区实际与目标之差。"
                " The 街道's values, its share of the district and its contribution to the district's gap"
                " (contributions of all 街道 add up to district actual − target)."
            )
            .table(shown.style.format(precision=3).hide(axis="index"))
        )
    table = measured_goals(ctx)
    fig = goals_chart(
        table, f"图1 规上工业主要指标对标2023年目标（{ctx.year}年，{ctx.scope}）", ctx.plan_ref("二、实施目标"), ctx.synthetic
    )
    return Section(data={"goals": table}).table(goals_display(table, ctx.year).style.hide(axis="index")).figure(fig)


def other_goals(ctx: RunContext) -> Section:
    table = measured_goals(ctx)
    others = table[table["actual"].isna()]
    return Section().markdown(
        "其余实施目标由后续笔记本（低效用地、任务追踪）衡量 Other headline goals, measured elsewhere: "
        + "；".join(others["text"])
    )


def distributions(ctx: RunContext) -> Section:
    """规上 亩均税收 and 全员劳动生产率 across enterprises, with the pool benchmark and the plan's target."""
    defs = indicator_defs()
    above = above_scale(ctx)
    bench = ctx.ev.benchmarks.set_index(["pool", "indicator"])["benchmark"]
    tax, labour = ctx.goal(TAX_GOAL), ctx.goal(LABOUR_GOAL)
    clearance = ctx.rule.clearance_line
    s = Section(data={"benchmarks": bench})
    s.figure(
        distribution_chart(
            above["tax_per_mu"],
            bench.get(("above_scale", "tax_per_mu")),
            f"图2 规上企业亩均税收分布（{ctx.year}年）",
            defs["tax_per_mu"].label,
            ctx.plan_ref(f"二、实施目标（{tax.value:g}{tax.unit}）；任务4（{clearance:g}{tax.unit}出清线）"),
            ctx.synthetic,
            target=float(tax.value),
        )
    )
    s.figure(
        distribution_chart(
            above["labour_productivity"],
            bench.get(("above_scale", "labour_productivity")),
            f"图3 规上企业全员劳动生产率分布（{ctx.year}年）",
            defs["labour_productivity"].label,
            ctx.plan_ref(f"二、实施目标（{labour.value:g}{labour.unit}）"),
            ctx.synthetic,
            target=float(labour.value),
        )
    )
    return s


def _breakdown(ctx: RunContext, by: str, title: str, where: str, above_only: bool = True, sort: bool = True) -> Section:
    defs = indicator_defs()
    tax = ctx.goal(TAX_GOAL)
    table = breakdown(evaluated(ctx), by)
    chart_rows = breakdown(above_scale(ctx), by) if above_only else table
    fig = breakdown_chart(
        chart_rows,
        defs["tax_per_mu"].label,
        by,
        title,
        defs["tax_per_mu"].label,
        ctx.plan_ref(where),
        ctx.synthetic,
        sort=sort,
        reference=float(tax.value) if above_only else None,
        reference_label=f"规上目标 {tax.value:g}{tax.unit}" if above_only else None,
    )
    return Section(data={"table": table}).figure(fig).table(table.style.format(precision=2).hide(axis="index"))


def by_street(ctx: RunContext) -> Section:
    return _breakdown(ctx, "street_name", f"图4 分镇街规上企业亩均税收（{ctx.year}年）", "任务1、任务4（各平台、镇街为责任主体）")


def by_chain(ctx: RunContext) -> Section:
    return _breakdown(
        ctx, "industry_chain", f"图5 分产业链规上企业亩均税收（{ctx.year}年）", "一、总体要求（“3+1+X”产业体系）；任务9、10、12"
    )


def by_size(ctx: RunContext) -> Section:
    return _breakdown(
        ctx,
        "size_band",
        f"图6 分用地规模亩均税收（{ctx.year}年，全部参评企业）",
        "任务1（实际用地3亩（含）以上规下企业纳入排查）",
        above_only=False,
        sort=False,
    )


def classes(ctx: RunContext) -> Section:
    counts = class_counts(ctx.ev.evaluated)
    fig = class_share_chart(
        counts,
        f"图7 各评价池A/B/C/D类占比（{ctx.year}年，{ctx.method.id}）",
        ctx.plan_ref("一、总体要求（深化“亩均论英雄”改革）；任务1、2"),
        ctx.synthetic,
    )
    bands = "；".join(
        f"{p.zh}: " + ", ".join(f"{c} ≤ {s:.0%}" for c, s in p.bands) + f"（{p.bands_source}）" for p in ctx.method.pools
    )
    return (
        Section(data={"counts": counts})
        .figure(fig)
        .table(counts)
        .markdown(
            "分档规则 Class bands: " + bands + "。排名并列者取最优名次（同档），边界“含”。"
            "Ties share the best rank; bounds are inclusive."
        )
        .markdown(ctx.ev.ranking_note)
    )


def benchmarks(ctx: RunContext) -> Section:
    table = benchmark_table(ctx.ev)
    return Section(data={"benchmarks": table}).table(
        table.style.format({"基准值 benchmark": "{:.6g}", "权重 weight": "{:g}"}).hide(axis="index")
    )


def robustness_section(ctx: RunContext) -> Section:
    """How classes move under the documented alternatives (``evaluate.robustness``), district-wide;
    the share of enterprises whose class holds under all of them leads."""
    r = ctx.memo("robustness", lambda: robustness(ctx.dataset, ctx.year, ctx.method, ctx.ev.land_basis))
    shown = r.table.rename(
        columns={
            "alternative": "备选 alternative",
            "compared": "比较企业 compared",
            "unchanged": "类别不变 unchanged",
            "unchanged_share": "不变比例 share",
            "moved_1": "变动一档 moved 1",
            "moved_2_plus": "变动两档及以上 moved 2+",
            "into_D": "新入D into D",
            "out_of_D": "移出D out of D",
        }
    )
    return (
        Section(data={"robustness": r})
        .markdown(
            f"**{r.stable_share:.1%}** 的参评企业（{r.n_compared:,} 家中 {round(r.stable_share * r.n_compared):,} 家）在下列全部 "
            f"{len(r.table)} 种备选口径下类别不变 — of the {r.n_compared:,} enterprises put in classes, "
            f"{r.stable_share:.1%} keep their class under every alternative below (each changes one choice of "
            f"`{ctx.method.id}`; `data/methods/robustness.yaml`). 全区口径，{ctx.year}年。"
        )
        .table(
            shown.style.format({"不变比例 share": "{:.1%}"})
            .set_properties(subset=["备选 alternative", "变化 change", "来源 source"], **{"text-align": "left"})
            .set_properties(subset=["变化 change"], **{"min-width": "16em"})
            .hide(axis="index")
        )
    )


def weakest_enterprises(ctx: RunContext) -> Section:
    table = weakest(ctx.ev, int(ctx.parameters.get("top_n", DEFAULT_TOP_N)))
    note = (
        "企业名称与代码已替换为稳定假名 Names and codes are pseudonymised."
        if ctx.dataset.anonymized
        else "如需对外分享，请以 `anonymize=True` 重新运行 Re-run with `anonymize=True` before sharing."
    )
    return Section(data={"weakest": table}).markdown(note).table(table.style.format(precision=2).hide(axis="index"))


RULE_COLUMNS = {
    **ENTERPRISE_LABELS,
    "pool_zh": "评价池 pool",
    "score": "综合得分 score",
    "class": "类别 class",
    "class_note": "规则 rule",
    "zero_denominator": "规则 rule",
}


def _placed(s: Section, title: str, rules: str, placed: pd.DataFrame) -> None:
    """A heading with the rules and the count, then the enterprises they placed (when any)."""
    s.markdown(f"{title} ({len(placed)}; {rules})" + ("：无 none." if placed.empty else ":"))
    if not placed.empty:
        s.table(placed.rename(columns=RULE_COLUMNS).style.format(precision=2).hide(axis="index"))


def ledger(ctx: RunContext) -> Section:
    exclusions, ranked, zero = ctx.ev.exclusions, ctx.ev.ranking_notes, ctx.ev.zero_denominator_notes
    s = Section(data={"ledger": ctx.ev.ledger, "exclusions": exclusions, "ranking_notes": ranked, "zero_denominator": zero})
    s.table(ctx.ev.ledger.style.hide(axis="index"))
    pools = ctx.method.pools
    ranking_rules = " / ".join(dict.fromkeys(p.ranking.text for p in pools))
    zero_rules = "; ".join(dict.fromkeys(ZERO_DENOMINATOR_RULES[i.zero_denominator] for p in pools for i in p.items))
    _placed(s, "按分档规则处理的参评企业 Evaluated enterprises placed by the ranking rules", ranking_rules, ranked)
    _placed(s, "指标分母为0的参评企业 Evaluated enterprises with a zero denominator", zero_rules, zero)
    return s.markdown(f"未参评企业清单 Excluded enterprises ({len(exclusions)}):").long_list(
        exclusions.rename(columns={**ENTERPRISE_LABELS, "reason": "原因 reason"}), f"tables/evaluation_{ctx.year}.csv"
    )


def table_ledgers(ctx: RunContext) -> Section:
    """Every core table's rows accounted for, and the run's CSV tables written to ``tables/``."""
    table = table_ledger(ctx.dataset, ctx.ev)
    written = write_run_tables(ctx.ev, ctx.dataset, ctx.out_dir())
    return (
        Section(data={"table_ledger": table, "written": written})
        .table(table.style.hide(axis="index"))
        .markdown("表格 Tables (CSV): " + ", ".join(f"`tables/{p.name}`" for p in written))
    )


def parcel_classes(ctx: RunContext) -> Section:
    fig = class_map(
        ctx.ev.parcels,
        ctx.boundary(),
        ctx.zones(),
        f"图8 工业用地宗地评价分类（{ctx.year}年，{ctx.scope}）",
        ctx.plan_ref("任务4（全域整治工业低效用地）"),
        ctx.synthetic,
        ctx.boundary_source,
    )
    return (
        Section()
        .figure(fig)
        .markdown(
            "宗地类别取其主要使用企业（使用比例最大者）的类别；无企业使用或未参评的宗地为灰色。"
            "A parcel takes the class of its main user (largest share); grey parcels are idle or not rated."
        )
    )


def machine_summary(ctx: RunContext) -> None:
    """Print the key results as JSON (a hidden cell; tests and machines read it)."""
    print(run_summary(ctx.ev))
