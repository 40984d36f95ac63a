"""Sections of ``04_scenario``: the 腾笼换鸟 scenario (``helpers.policy.scenario``) run on the whole
district's evaluation of the data year — who exits, what is freed, the 规上 figures before and
after against the plan's targets, which exit rule would reach them, how sensitive the answer is,
and who bears the class-based electricity surcharge.

The scenario is always the district's: under a 街道 view the exits, maps and burdens shown are the
district scenario's restricted to the chosen 街道, and the headline stays labelled 全区."""

from __future__ import annotations

import json

import pandas as pd

from helpers.core.keys import is_in
from helpers.evaluate.indicators import va_rate_basis
from helpers.plan.goals import labelled_texts
from helpers.policy.prices import burden_by, consecutive_years, electricity_surcharge, load_prices, rescore
from helpers.policy.scenario import (
    ScenarioResult,
    apply_scenario,
    assumptions,
    load_defaults,
    load_scenario,
    smallest_line,
    sweep,
    tornado,
)
from helpers.progress.tracker import goal_rows
from helpers.report.context import RunContext
from helpers.report.low_efficiency_page import the_list
from helpers.report.narrative import data_notice
from helpers.report.sections import Section, md_code, md_text
from helpers.report.tracker_page import progress_context
from helpers.viz.charts import before_after_chart, breakdown_chart, sensitivity_chart, tornado_chart
from helpers.viz.maps import class_map

DEFAULT_SCENARIO = "default"
EXITS_SHOWN = 15
# the goals a re-let scenario can move, by goal id of data/plan/goals.yaml
SCENARIO_GOALS = ("tax_per_mu", "labour_productivity", "output_per_energy")
SUM_COLUMNS = ["land_freed_mu", "energy_freed_tce", "tax_lost_10k_yuan", "employees_affected"]


def _list(text, cast=float) -> list:
    return [cast(x) for x in str(text).replace("，", ",").split(",") if str(x).strip()]


def spec(ctx: RunContext) -> dict:
    return ctx.memo("scenario_spec", lambda: load_scenario(ctx.parameters.get("scenario", DEFAULT_SCENARIO)))


def defaults(ctx: RunContext) -> dict:
    """The 标准地 defaults for re-let land (data/scenarios/standard_land_defaults.yaml), read once."""
    return ctx.memo("standard_land_defaults", load_defaults)


def district_evaluated(ctx: RunContext) -> pd.DataFrame:
    return ctx.district_ev.evaluated


def history(ctx: RunContext) -> list[pd.DataFrame]:
    """The district's evaluated enterprises of the years before the data year, latest first (for exit
    lines over several years, ``select.tax_per_mu_years``)."""
    return [ctx.district[y].evaluated for y in sorted(ctx.district, reverse=True) if y < ctx.year]


def result(ctx: RunContext) -> ScenarioResult:
    """The scenario on the whole district's evaluated enterprises of the data year."""
    return ctx.memo(
        "scenario", lambda: apply_scenario(district_evaluated(ctx), spec(ctx), ctx.rule, defaults(ctx), ctx.year, history(ctx))
    )


def exits_in_view(ctx: RunContext) -> pd.DataFrame:
    exits = result(ctx).exits
    return exits if not ctx.filtered else exits[exits["street_code"].isin(ctx.streets)]


def header(ctx: RunContext) -> Section:
    s = spec(ctx)
    goals = "，".join(ctx.goal(g).text for g in ("land_renewed", "energy_freed") + SCENARIO_GOALS)
    out = (
        Section(data={"scenario": s})
        .markdown(
            f"**情景 Scenario**: {md_text(s['title'])} ({md_code(s['id'])}) · **数据年度 Data year**: {ctx.year} → "
            f"目标年 {s['target_year']} · **范围**: {ctx.scope}"
        )
        .markdown(f"对照目标 Targets ({ctx.plan_id} 二、实施目标)：{goals}。")
    )
    if ctx.year_note:
        out.markdown(f"⚠️ {ctx.year_note}")
    if ctx.filtered:
        out.markdown(
            f"**街道视图 Street view**：情景在全区评价上运行（全区退出规则、全区结果），下表与地图只显示{ctx.scope}的部分。"
            " The scenario runs on the whole district; tables and maps show the chosen 街道's part of it."
        )
    return out.markdown(ctx.district_ev.land_note).markdown(data_notice(ctx.dataset))


SAMPLE_ENERGY_NOTE = (
    "（合成样本的规下用能强度是假设：按黄岩区公布的规下单位电耗税收标准设定，见 data/sample/generator.yaml，并非临平实际）"
)


def assumptions_section(ctx: RunContext) -> Section:
    """Every assumption the result rests on (``policy.scenario.assumptions``), and how the land and
    energy freed compare with the plan's two-year targets."""
    table = assumptions(spec(ctx), ctx.rule, defaults(ctx), ctx.year)
    t = result(ctx).totals
    land, energy = ctx.goal("land_renewed"), ctx.goal("energy_freed")
    land_x, energy_x = t["land_freed_mu"] / land.value, t["net_energy_freed_tce"] / energy.value
    reach = (
        f"与方案目标相比 Against the plan: 腾出用地为目标的 {land_x:.1f} 倍，净腾出用能为目标的 {energy_x:.1f} 倍"
        f"（方案目标为两年合计 {land.text}、{energy.text}；情景为一年内全部退出）— land freed is {land_x:.1f}× and net "
        f"energy freed {energy_x:.1f}× the plan's two-year targets, all exits in one year."
    )
    if t["land_freed_mu"] > 0:
        per_mu, plan_per_mu = t["energy_freed_tce"] / t["land_freed_mu"], energy.value / land.value
        reach += (
            f"\n\n每腾出1亩，情景腾出用能（毛）{per_mu:,.1f} 吨标准煤；方案两项目标之比为每亩 {plan_per_mu:,.1f} 吨"
            f"（{energy.text} ÷ {land.text}）。两者相差越大，越说明退出企业的用能强度与方案测算所设想的不同"
            f"{SAMPLE_ENERGY_NOTE if ctx.synthetic else ''}。 Gross energy freed per 亩: {per_mu:,.1f} tce in the "
            f"scenario against {plan_per_mu:,.1f} tce implied by the plan's two targets; the wider the gap, the more the "
            "exiting firms' energy intensity differs from what the plan's figures assume."
        )
    return (
        Section(data={"assumptions": table})
        .table(table.style.set_properties(**{"text-align": "left"}).hide(axis="index"))
        .markdown(reach)
    )


def energy_reconciliation(ctx: RunContext) -> Section:
    """The three 腾出用能 figures of the reports side by side: recorded by the remediation ledger (the
    tracker's measure), the potential of the current 高耗低效 list, and this scenario's gross and net."""
    goal = goal_rows(progress_context(ctx), ctx.year).set_index("id").loc["energy_freed"]
    listed = the_list(ctx)
    t = result(ctx).totals
    rows = [
        ("已完成整治腾出（台账记录，方案期累计）recorded by the remediation ledger", goal["judged"], "00_task_tracker"),
        (
            "高耗低效清单预计可腾出 potential of the current 高耗低效 list",
            float(listed["预计腾出能耗(吨标准煤)"].sum()),
            "03_low_efficiency",
        ),
        ("本情景腾出（毛）this scenario, gross", t["energy_freed_tce"], "04_scenario"),
        ("本情景净腾出（扣除新项目用能）this scenario, net of the re-let projects", t["net_energy_freed_tce"], "04_scenario"),
    ]
    table = pd.DataFrame(rows, columns=["口径 figure", "吨标准煤 tce", "报告 report"])
    return (
        Section(data={"energy_figures": table})
        .markdown(
            "三个“腾出用能”口径并不相同：台账记录已完成的整治，清单估算当前名单的潜力，情景假设一次全部退出并扣除新项目用能。"
            " The three 腾出用能 figures answer different questions: what remediation has freed, what the current list "
            "could free, and what this scenario's exits free net of the newcomers' use."
        )
        .table(
            table.style.format({"吨标准煤 tce": "{:,.0f}"})
            .set_properties(subset=["口径 figure"], **{"text-align": "left"})
            .hide(axis="index")
        )
    )


def headline(ctx: RunContext) -> Section:
    t, s = result(ctx).totals, spec(ctx)
    land, energy = ctx.goal("land_renewed"), ctx.goal("energy_freed")
    text = (
        f"全区情景 District scenario — 退出 exits: **{int(t['exits'])}** 家（方式 {md_text(s['way'])}）；"
        f"腾出用地 **{t['land_freed_mu']:,.0f} 亩**（目标 {land.value:g}{land.unit}），"
        f"其中再利用 {t['relet_mu']:,.0f} 亩、闲置 {t['idle_mu']:,.0f} 亩；**净腾出用能 net energy freed "
        f"{t['net_energy_freed_tce']:,.0f} 吨标准煤**（目标 {energy.value:g}）= 腾出 {t['energy_freed_tce']:,.0f} − "
        f"新项目用能 {t['relet_energy_tce']:,.0f}；税收减少 {t['tax_lost_10k_yuan']:,.0f} 万元、"
        f"新增 {t['tax_gained_10k_yuan']:,.0f} 万元；涉及职工 {t['employees_affected']:,.0f} 人，新项目就业 {t['relet_employees']:,.0f} 人。"
    )
    if t["tax_lost_10k_yuan"] < 0:
        text += "（税收减少为负：退出企业当年净退税，退出反而增加税收 — negative: the exits had net refunds that year.）"
    table = pd.DataFrame(
        {
            "总量 total": [t["land_total_mu"], t["energy_total_tce"]],
            "腾出 freed": [t["land_freed_mu"], t["energy_freed_tce"]],
            "保留 kept": [t["land_kept_mu"], t["energy_kept_tce"]],
        },
        index=["用地(亩)", "用能(吨标准煤)"],
    )
    out = Section(data={"totals": t}).markdown(text).table(table.style.format("{:,.0f}"))
    if ctx.filtered:
        mine = exits_in_view(ctx)
        out.markdown(
            f"其中{ctx.scope}：退出 {len(mine)} 家，腾出用地 {mine['land_freed_mu'].sum():,.0f} 亩"
            f"（占全区 {mine['land_freed_mu'].sum() / max(t['land_freed_mu'], 1e-9):.1%}），"
            f"腾出用能 {mine['energy_freed_tce'].sum():,.0f} 吨标准煤。"
        )
    return out


def before_after(ctx: RunContext) -> Section:
    r = result(ctx)
    goals = ctx.goals.assign(text=labelled_texts(ctx.goals, ctx.ev.evaluated))  # 增加值率: what stood in for 工业总产值
    evaluated = ctx.ev.evaluated
    basis = va_rate_basis(evaluated[evaluated["above_scale"].fillna(False).astype(bool)])
    fig = before_after_chart(
        r.before,
        r.after,
        goals,
        f"图1 全区规上工业主要指标：现状（{ctx.year}年）与情景后",
        ctx.plan_ref("二、实施目标"),
        ctx.synthetic,
    )
    return (
        Section(data={"before": r.before, "after": r.after})
        .figure(fig)
        .table(
            pd.DataFrame({"现状 before": r.before, "情景后 after": r.after})
            .rename(index={"va_rate": f"va_rate（{basis}）" if basis else "va_rate"})
            .style.format("{:.4g}")
        )
    )


def exits_by_street(ctx: RunContext) -> Section:
    exits = exits_in_view(ctx)
    land = ctx.goal("land_renewed")
    by_street = exits.groupby("street_name")[SUM_COLUMNS].sum().reset_index()
    by_chain = exits.groupby("industry_chain")[SUM_COLUMNS].sum().reset_index()
    fig = breakdown_chart(
        by_street,
        "land_freed_mu",
        "street_name",
        f"图2 分镇街腾出用地（{ctx.year}年数据）",
        "腾出用地（亩）",
        ctx.plan_ref(f"二、实施目标（{land.text}）"),
        ctx.synthetic,
        reference=None,
    )
    return (
        Section(data={"by_street": by_street, "by_chain": by_chain})
        .figure(fig)
        .table(by_street.style.format("{:,.0f}", subset=by_street.columns[1:]).hide(axis="index"))
        .table(by_chain.style.format("{:,.0f}", subset=by_chain.columns[1:]).hide(axis="index"))
    )


def exits_map(ctx: RunContext) -> Section:
    exits, parcels = exits_in_view(ctx), ctx.ev.parcels
    changing = pd.Series(is_in(parcels["main_user"], exits["credit_code"]), index=parcels.index)
    fig = class_map(
        parcels,
        ctx.boundary(),
        ctx.zones(),
        f"图3 情景中易手的宗地（实色，{ctx.year}年分类）",
        ctx.plan_ref("任务4（全域整治工业低效用地）"),
        ctx.synthetic,
        ctx.boundary_source,
        highlight=changing,
        highlight_label="情景中易手 changing hands",
    )
    shown = exits.sort_values("tax_per_mu").head(EXITS_SHOWN)
    return (
        Section(data={"exits": exits})
        .figure(fig)
        .table(
            shown[["name", "street_name", "industry_chain", "class", "land_mu", "tax_per_mu", "land_freed_mu"]]
            .style.format(precision=2)
            .hide(axis="index")
        )
    )


def exit_lines(ctx: RunContext) -> Section:
    """Which exit line (亩均税收) reaches each target, at each re-let density."""
    tax = ctx.goal("tax_per_mu")
    grid = sweep(
        district_evaluated(ctx),
        spec(ctx),
        ctx.rule,
        defaults(ctx),
        ctx.year,
        _list(ctx.parameters.get("thresholds", "1,3,5,8,10,15,20")),
        _list(ctx.parameters.get("densities", "0.8,1.0,1.2")),
        history(ctx),
    )
    smallest = smallest_line(grid, "after_tax_per_mu", float(tax.value))
    fig = sensitivity_chart(
        grid,
        "after_tax_per_mu",
        float(tax.value),
        smallest,
        f"图4 退出线与再利用强度对全区规上亩均税收的影响（{ctx.year}年数据）",
        "情景后规上亩均税收（万元/亩）",
        ctx.plan_ref(f"二、实施目标（{tax.value:g}{tax.unit}）"),
        ctx.synthetic,
    )
    reach = {}
    for goal_id in SCENARIO_GOALS:
        g = ctx.goal(goal_id)
        reach[f"{g.text}"] = smallest_line(grid, f"after_{g.measure}", float(g.value))
    return (
        Section(data={"grid": grid})
        .figure(fig)
        .table(
            grid[
                [
                    "threshold",
                    "density",
                    "exits",
                    "land_freed_mu",
                    "energy_freed_tce",
                    "after_tax_per_mu",
                    "after_labour_productivity",
                    "tax_lost_10k_yuan",
                    "employees_affected",
                ]
            ]
            .style.format(precision=1)
            .hide(axis="index")
        )
        .table(
            pd.DataFrame(reach)
            .rename_axis("再利用强度 density")
            .style.format(lambda v: "未达到 not reached" if v != v else f"{v:g} 万元/亩")
            .format_index("×{:g}")
            .set_caption("达到各目标的最小退出线 Smallest exit line reaching each target")
        )
    )


def assumptions_tornado(ctx: RunContext) -> Section:
    s = spec(ctx)
    swings = s.get("sensitivity") or load_scenario(DEFAULT_SCENARIO)["sensitivity"]
    tax = ctx.goal("tax_per_mu")
    table = tornado(
        district_evaluated(ctx),
        s,
        ctx.rule,
        defaults(ctx),
        ctx.year,
        {k: tuple(v) for k, v in swings.items()},
        history=history(ctx),
    )
    fig = tornado_chart(
        table,
        f"图5 假设敏感性：全区情景后规上亩均税收（{ctx.year}年数据）",
        "情景后规上亩均税收（万元/亩）",
        ctx.plan_ref(f"二、实施目标（{tax.value:g}{tax.unit}）"),
        ctx.synthetic,
        target=float(tax.value),
    )
    return Section(data={"tornado": table}).figure(fig)


def surcharge_values(ctx: RunContext) -> dict:
    """The class-based electricity surcharge per enterprise before and after the scenario's exits
    (the remaining district re-scored), for the view's enterprises; computed once per context."""
    return ctx.memo("surcharge", lambda: _surcharge_values(ctx))


def _surcharge_values(ctx: RunContext) -> dict:
    prices = load_prices()
    evaluated = district_evaluated(ctx)
    exits = result(ctx).exits
    classes = {y: e.evaluated.set_index("credit_code")["class"] for y, e in ctx.district.items() if y <= ctx.year}
    runs = consecutive_years(classes, ctx.year, prices["electricity_yuan_per_kwh"]["repeat_class"])
    remaining = rescore(
        evaluated[~is_in(evaluated["credit_code"], exits.loc[exits["way"] == "整体腾退", "credit_code"])], ctx.method
    )
    if ctx.filtered:
        evaluated = evaluated[evaluated["street_code"].isin(ctx.streets)]
        remaining = remaining[remaining["street_code"].isin(ctx.streets)]
    before, after = electricity_surcharge(evaluated, prices, runs), electricity_surcharge(remaining, prices, runs)
    return {"prices": prices, "evaluated": evaluated, "remaining": remaining, "before": before, "after": after}


def surcharge(ctx: RunContext) -> Section:
    """What the surcharge raises and who bears it, by 街道 and chain, before and after the scenario."""
    v = surcharge_values(ctx)
    prices, evaluated, remaining, before, after = v["prices"], v["evaluated"], v["remaining"], v["before"], v["after"]
    by_street = (
        burden_by(evaluated, before, "street_name")
        .merge(burden_by(remaining, after, "street_name"), on="street_name", how="outer", suffixes=("_before", "_after"))
        .fillna(0)
    )
    by_chain = (
        burden_by(evaluated, before, "industry_chain")
        .merge(burden_by(remaining, after, "industry_chain"), on="industry_chain", how="outer", suffixes=("_before", "_after"))
        .fillna(0)
    )
    fig = breakdown_chart(
        by_street,
        "surcharge_10k_yuan_before",
        "street_name",
        f"图6 D类电价加价分镇街负担（现状，{ctx.year}年）",
        "万元",
        ctx.plan_ref("四(二)（完善差别化用地等要素配置政策）"),
        ctx.synthetic,
    )
    return (
        Section(data={"before": before, "after": after, "by_street": by_street, "by_chain": by_chain})
        .markdown(
            f"电价加价 Surcharge ({prices['electricity_yuan_per_kwh']['source']}): 现状 **{before.sum():,.0f} 万元**，"
            f"{int((before > 0).sum())} 家承担；情景后（剩余企业重新评价，排名分档使D类重新补足）**{after.sum():,.0f} 万元**，"
            f"{int((after > 0).sum())} 家承担。" + (f"（{ctx.scope}部分）" if ctx.filtered else "")
        )
        .figure(fig)
        .table(by_street.style.format(precision=1).hide(axis="index"))
        .table(by_chain.style.format(precision=1).hide(axis="index"))
    )


def summary_file(ctx: RunContext) -> Section:
    """The headline numbers as summary_scenario.json in the run folder (batch runs compare them)."""
    r, s = result(ctx), spec(ctx)
    t = r.totals
    before, after = surcharge_values(ctx)["before"], surcharge_values(ctx)["after"]
    summary = {
        "情景 scenario": s["id"],
        "退出企业 exits": int(t["exits"]),
        "腾出用地(亩)": t["land_freed_mu"],
        "腾出用能(吨标准煤)": t["energy_freed_tce"],
        "税收减少(万元)": t["tax_lost_10k_yuan"],
        "税收新增(万元)": t["tax_gained_10k_yuan"],
        "涉及职工(人)": t["employees_affected"],
        "规上亩均税收 前": r.before["tax_per_mu"],
        "规上亩均税收 后": r.after["tax_per_mu"],
        "全员劳动生产率 后": r.after["labour_productivity"],
        "单位能耗增加值 后": r.after["va_per_energy"],
        "电价加价 前(万元)": float(before.sum()),
        "电价加价 后(万元)": float(after.sum()),
    }
    (ctx.out_dir() / "summary_scenario.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
    return Section(data={"summary": summary}).table(pd.Series(summary, name="情景结果 headline").to_frame())
