"""Sections of ``03_low_efficiency``: tasks 1–5 — parcels below the clearance line, the 高耗低效
list, energy budgets, 街道 maps, idle land and 标准地, the programmes, hot spots, and the files an
office acts on (the XLSX list and the GeoPackage).

Under a 街道 view every list and count is the district's restricted to the chosen 街道: classes
are the district's, and hot spots are found over the whole district and then selected."""

from __future__ import annotations

import pandas as pd

from helpers.core.geography import load_streets
from helpers.core.keys import is_in
from helpers.evaluate.hotspots import BIN_LABELS, computable, expected_by_chance, hot_spots, no_hot_spots
from helpers.plan.tasks import PLAN_YEARS
from helpers.policy.energy import above_control_line, budget_by, energy_quotas, new_producers
from helpers.policy.low_efficiency import (
    below_clearance,
    clearance_by_year,
    idle_parcels,
    remediation_list,
    screen,
    standard_land_share,
    street_low_efficiency,
)
from helpers.policy.programmes import (
    completions,
    energy_freed,
    green_factories_new,
    incubators_cumulative,
    park_performance,
    pipeline,
    renewal_by_way,
    stars_by_year,
    yearly_with_cumulative,
)
from helpers.report.context import RunContext
from helpers.report.exports import PARCEL_FIELD_ALIASES, parcel_layer, write_gpkg, write_xlsx
from helpers.report.narrative import data_notice
from helpers.report.sections import Section, md_code, md_text
from helpers.viz.charts import breakdown_chart, stacked_bars, yearly_bars
from helpers.viz.maps import choropleth_map, class_map, hotspot_map, parks_map, street_class_maps
from helpers.viz.qgis_style import parcel_style_qml

LIST_PREVIEW_ROWS = 15  # rows of the 高耗低效 list shown on the page (the XLSX holds all)
OVER_BUDGET_ROWS = 10  # enterprises most over their energy quota shown
STANDARD_LAND_SINCE = 2018  # 标准地 grants charted from this grant year on (Zhejiang's 标准地 reform, 2018)
DEFAULT_HOTSPOTS = {"hotspot_k": 8, "hotspot_permutations": 999, "hotspot_fdr": False}  # notebook defaults
SUM_COLUMNS = {"企业数": ("credit_code", "count"), "用地_亩": ("land_mu", "sum"), "综合能耗_吨标准煤": ("energy_tce", "sum")}


def _option(ctx: RunContext, name: str):
    return ctx.parameters.get(name, DEFAULT_HOTSPOTS.get(name))


def district_target(ctx: RunContext, value: float, label: str) -> dict:
    """A chart's target line: drawn for the whole district only. Under a 街道 view the district's
    target is named in the text instead (``view_note``), never drawn against the 街道's values."""
    return {} if ctx.filtered else {"target": value, "target_label": label}


def view_note(ctx: RunContext, goal_text: str) -> str:
    return (
        f"全区目标 District target: {goal_text}；{ctx.scope}的数值不与全区目标比较 — the 街道's values are "
        "part of the district's, not set against its target."
    )


def street_names() -> pd.Series:
    return load_streets().set_index("street_code")["street_name"]


def screening(ctx: RunContext) -> pd.DataFrame:
    """The 高耗低效 rule applied to the shown evaluated enterprises (in scope, listed, by which group)."""
    return ctx.memo("screening", lambda: screen(ctx.ev.evaluated, ctx.rule))


def listed(ctx: RunContext) -> pd.DataFrame:
    e = ctx.ev.evaluated.join(screening(ctx))
    return e[e["listed"]]


def below_line(ctx: RunContext) -> pd.Series:
    """Shown parcels below task 4's clearance line."""
    return below_clearance(ctx.ev.parcels, ctx.rule.clearance_line)


def records_in_view(ctx: RunContext, name: str, key: str = "credit_code") -> pd.DataFrame | None:
    """An optional record table restricted to the view: rows of enterprises registered in (or, with
    ``key="parcel_id"``, parcels lying in) the chosen 街道; None when the folder has no such table."""
    frame = ctx.dataset.records.get(name)
    if frame is None or not ctx.filtered:
        return frame
    table = ctx.dataset.enterprises if key == "credit_code" else ctx.dataset.parcels
    keys = table.loc[table["street_code"].isin(ctx.streets), key]
    return frame[is_in(frame[key], keys)]


def header(ctx: RunContext) -> Section:
    line = ctx.rule.clearance_line
    return (
        Section()
        .markdown(
            f"**范围 Scope**: {ctx.scope} · **年度 Year**: {ctx.year} · **方法 Method**: `{ctx.method.id}` · "
            f"**出清线 Clearance line**: {line:g} 万元/亩 · **规则 Rule**: {md_code(ctx.rule.file.name)}"
        )
        .markdown(data_notice(ctx.dataset))
        .markdown(ctx.ev.ranking_note)
        .markdown(ctx.ev.land_note)
    )


def parcel_classes(ctx: RunContext) -> Section:
    line = ctx.rule.clearance_line
    s = Section(data={"below_clearance": below_line(ctx)}).html(ctx.task_heading(4))
    s.figure(
        class_map(
            ctx.ev.parcels,
            ctx.boundary(),
            ctx.zones(),
            f"图1 宗地评价分类与出清线以下宗地（{ctx.year}年，{ctx.scope}）",
            ctx.plan_ref(f"任务4（“出清”亩均税收{line:g}万元以下的宗地工业企业）"),
            ctx.synthetic,
            ctx.boundary_source,
            highlight=below_line(ctx),
        )
    )
    s.figure(
        street_class_maps(
            ctx.ev.parcels,
            ctx.zones(),
            f"图2 分镇街宗地评价分类（{ctx.year}年）",
            ctx.plan_ref("任务1、4（各平台、镇街为责任主体）"),
            ctx.synthetic,
            ctx.boundary_source,
        )
    )
    return s


def clearance_trend(ctx: RunContext) -> Section:
    line = ctx.rule.clearance_line
    target = ctx.target("clearance_parcels")
    trend = clearance_by_year({y: e.parcels for y, e in ctx.evaluations.items()}, line)
    fig = yearly_bars(
        trend,
        "year",
        "area_mu",
        f"图3 亩均税收{line:g}万元/亩以下宗地面积（{ctx.scope}）",
        "面积（亩）",
        ctx.plan_ref(f"任务4（力争到{target['deadline']}年出清）"),
        ctx.synthetic,
        target=float(target["value"]),
        target_label=f"{target['deadline']}年目标：出清（{target['value']:g}）",
        labels=[f"{a:,.0f}亩\n{n}宗" for a, n in zip(trend["area_mu"], trend["parcels"])],
    )
    return Section(data={"trend": trend}).figure(fig)


def listed_summary(ctx: RunContext) -> Section:
    sc, lst, rule = screening(ctx), listed(ctx), ctx.rule
    in_scope = int(sc["in_scope"].sum())
    s = Section(data={"screening": sc, "listed": lst}).markdown(
        f"规则 Rule: **{md_text(rule.title)}** — 范围内企业 {in_scope:,} 家，列入 **{len(lst):,}** 家 "
        f"({len(lst) / max(1, in_scope):.1%})，用地 {lst['land_mu'].sum():,.0f} 亩，综合能耗 {lst['energy_tce'].sum():,.0f} 吨标准煤。"
    )
    for group in rule.groups:
        conds = "；".join(
            f"{c['field']} {c['op']} {c['value']}"
            + (f" {c.get('unit', '')}" if c.get("unit") else "")
            + f"（{c.get('source', '')}）"
            for c in group["all_of"]
        )
        s.markdown(f"- **{md_text(group['name'])}**: {conds}")
    return s


def listed_by_street_and_chain(ctx: RunContext) -> Section:
    lst = listed(ctx)
    by_street = lst.groupby("street_name").agg(**SUM_COLUMNS).reset_index()
    by_chain = lst.groupby("industry_chain").agg(**SUM_COLUMNS).reset_index()
    return (
        Section(data={"by_street": by_street, "by_chain": by_chain})
        .html(ctx.task_heading(1))
        .figure(
            breakdown_chart(
                by_street,
                "用地_亩",
                "street_name",
                f"图4 高耗低效企业用地分镇街（{ctx.year}年）",
                "用地（亩）",
                ctx.plan_ref("任务1（建立《高耗低效整治企业清单》）"),
                ctx.synthetic,
            )
        )
        .figure(
            breakdown_chart(
                by_chain,
                "综合能耗_吨标准煤",
                "industry_chain",
                f"图5 高耗低效企业综合能耗分产业链（{ctx.year}年）",
                "综合能耗（吨标准煤）",
                ctx.plan_ref("任务1、2"),
                ctx.synthetic,
            )
        )
        .table(by_street.style.format(precision=1).hide(axis="index"))
        .table(by_chain.style.format(precision=1).hide(axis="index"))
    )


def the_list(ctx: RunContext) -> pd.DataFrame:
    """《高耗低效整治企业清单》 of the view (computed once per context)."""
    return ctx.memo(
        "list",
        lambda: remediation_list(ctx.ev.evaluated, screening(ctx), ctx.rule, ctx.year, ctx.dataset.records.get("remediation")),
    )


def remediation_estimates(ctx: RunContext) -> Section:
    lst = the_list(ctx)
    land, energy = ctx.goal("land_renewed"), ctx.goal("energy_freed")
    by_way = lst.groupby("整治方式").agg(
        企业数=("序号", "count"),
        预计腾出用地_亩=("预计腾出用地(亩)", "sum"),
        预计腾出能耗_吨标准煤=("预计腾出能耗(吨标准煤)", "sum"),
    )
    return (
        Section(data={"list": lst, "by_way": by_way})
        .markdown(
            f"按规则建议的整治方式估算 Estimated from the suggested ways: 可腾出用地 **{lst['预计腾出用地(亩)'].sum():,.0f} 亩**"
            f"（目标 {land.text}），可腾出用能 **{lst['预计腾出能耗(吨标准煤)'].sum():,.0f} 吨标准煤**（目标 {energy.text}）。"
            "估算，非实际完成量 — an estimate of potential, not progress."
        )
        .table(by_way.style.format(precision=1))
        .table(lst.head(LIST_PREVIEW_ROWS).style.format(precision=2).hide(axis="index"))
    )


def energy_budgets(ctx: RunContext) -> Section:
    """Task 1's quotas: last year's use adjusted by last year's class."""
    previous_year = ctx.year - 1
    if previous_year not in ctx.evaluations:
        return Section().markdown(
            f"无数据：无 {previous_year} 年数据，无法按上年用能定额 — "
            f"no {previous_year} data: quotas need last year's use (add {previous_year} to the panel)."
        )
    budget = ctx.budget
    quotas = energy_quotas(ctx.evaluations[previous_year].evaluated, ctx.ev.evaluated, budget)
    by_chain = budget_by(quotas, "industry_chain")
    adjust = "，".join(f"{k}类 {v:+.0%}" for k, v in budget["adjustment_by_class"].items())
    over = quotas[quotas["over_budget"]].sort_values("over_tce", ascending=False).head(OVER_BUDGET_ROWS)
    return (
        Section(data={"quotas": quotas, "by_chain": by_chain})
        .figure(
            breakdown_chart(
                by_chain.assign(used_pct=lambda d: 100 * d["used_share"]),
                "used_pct",
                "industry_chain",
                f"图6 分产业链用能指标使用率（{ctx.year}年，实际/指标）",
                "实际用能占指标 (%)",
                ctx.plan_ref("任务1（细分各行业、企业年度用能指标）"),
                ctx.synthetic,
                reference=100,
                reference_label="指标 100%",
            )
        )
        .markdown(
            f"指标规则 Quota rule（假设 assumption）: 上年综合能耗 × (1 + 上年类别调整：{adjust})。"
            f"超指标企业 over budget: **{int(quotas['over_budget'].sum()):,}** / {int(quotas['budgeted'].sum()):,}；"
            f"无上年评价、未定额 not budgeted: {int((~quotas['budgeted']).sum()):,}。"
        )
        .table(
            over[["name", "street_name", "industry_chain", "previous_class", "quota_tce", "energy_tce", "over_tce"]]
            .style.format(precision=1)
            .hide(axis="index")
        )
    )


def energy_line(ctx: RunContext) -> Section:
    """Task 3: enterprises and new projects above the energy-intensity control line."""
    budget, ev = ctx.budget, ctx.ev
    line = budget["control_line_tce_per_10k_yuan_va"]
    heavy = ev.evaluated[above_control_line(ev.evaluated, budget)]
    previous = ctx.district[ctx.year - 1].enterprises if ctx.year - 1 in ctx.district else ev.enterprises.iloc[:0]
    new_projects = ev.enterprises[new_producers(ev.enterprises, previous)]
    heavy_new = new_projects[above_control_line(new_projects, budget)]
    by_chain = (
        heavy.groupby("industry_chain")
        .agg(企业数=("credit_code", "count"), 综合能耗_吨标准煤=("energy_tce", "sum"))
        .reset_index()
    )
    return (
        Section(data={"above_line": heavy, "new_above_line": heavy_new})
        .markdown(
            f"单位工业增加值能耗高于控制线 {line['value']} {line['unit']}（{line['source']}）的企业 Enterprises above the line: "
            f"**{len(heavy):,}**；本年新投产（新增能耗项目）{len(new_projects):,} 家，其中 **{len(heavy_new):,}** 家高于控制线，"
            "须落实能耗减量或等量替代。"
        )
        .html(ctx.task_heading(3))
        .figure(
            breakdown_chart(
                by_chain,
                "综合能耗_吨标准煤",
                "industry_chain",
                f"图6b 单位增加值能耗高于控制线企业的综合能耗（{ctx.year}年）",
                "综合能耗（吨标准煤）",
                ctx.plan_ref("任务3（严格“两高”项目节能审查）"),
                ctx.synthetic,
            )
        )
        .table(by_chain.style.format(precision=0).hide(axis="index"))
    )


def street_maps(ctx: RunContext) -> Section:
    by_zone = street_low_efficiency(ctx.ev.evaluated, screening(ctx), ctx.ev.parcels, ctx.rule.clearance_line)
    zmap = ctx.zones().merge(by_zone, on="street_code")
    scheme = ctx.parameters.get("choropleth_scheme", "FisherJenks")
    return (
        Section(data={"by_zone": by_zone})
        .figure(
            choropleth_map(
                zmap.assign(pct=100 * zmap["listed_share"]),
                "pct",
                ctx.boundary(),
                f"图7 高耗低效企业用地占参评用地比重（{ctx.year}年）",
                "占比 (%)",
                ctx.plan_ref("任务1、4"),
                ctx.synthetic,
                scheme=scheme,
                boundary_source=ctx.boundary_source,
            )
        )
        .figure(
            choropleth_map(
                zmap,
                "tax_per_mu",
                ctx.boundary(),
                f"图8 分镇街亩均税收（{ctx.year}年，全部参评企业）",
                "亩均税收（万元/亩）",
                ctx.plan_ref("二、实施目标；任务4"),
                ctx.synthetic,
                scheme=scheme,
                cmap="YlGn",
                boundary_source=ctx.boundary_source,
            )
        )
    )


def idle_and_standard_land(ctx: RunContext) -> Section:
    idle = idle_parcels(ctx.ev.parcels).assign(street_name=lambda d: d["street_code"].map(street_names()))
    s = (
        Section(data={"idle": idle})
        .markdown(
            f"闲置宗地 Idle parcels: **{int(idle['parcels'].sum())}** 宗，{idle['area_mu'].sum():,.0f} 亩（按《闲置土地处置办法》处置）。"
        )
        .table(idle[["street_name", "parcels", "area_mu"]].style.format(precision=1).hide(axis="index"))
    )
    parcels = ctx.ev.parcels
    if "standard_land" not in parcels or parcels["standard_land"].isna().all():
        return s.markdown(
            "无数据：宗地图层无“是否标准地出让”字段（是否标准地 / standard_land），无法计算“标准地”出让比例 — "
            "add the field to the parcel layer to enable this chart."
        )
    if "grant_year" not in parcels or not parcels["grant_year"].ge(STANDARD_LAND_SINCE).fillna(False).any():
        return s.markdown(
            f"无数据：宗地图层无 {STANDARD_LAND_SINCE} 年以来的供地年份（字段 供地年份 / grant_year），"
            "无法计算“标准地”出让比例 — no parcel granted since then carries a grant year."
        )
    std = standard_land_share(parcels, STANDARD_LAND_SINCE)
    target = ctx.target("standard_land_share")
    s.data["standard_land"] = std
    return s.figure(
        yearly_bars(
            std.assign(pct=100 * std["share"]),
            "grant_year",
            "pct",
            f"图9 新增工业用地“标准地”出让比例（{ctx.scope}）",
            "标准地占比 (%)",
            ctx.plan_ref(f"任务4（{target['text']}）"),
            ctx.synthetic,
            target=100 * float(target["value"]),
            target_label=f"目标 {100 * float(target['value']):g}%",
            labels=[f"{a}/{g}" for a, g in zip(std["standard"], std["granted"])],
        )
    )


def remediation_progress(ctx: RunContext) -> Section:
    """Task 2: the remediation pipeline and the energy its completions freed."""
    rem = records_in_view(ctx, "remediation")
    if rem is None:
        return Section().markdown("无数据：无整治台账（remediation.csv）— no remediation ledger in this data folder.")
    goal = ctx.goal("energy_freed")
    done = completions(rem)
    freed = yearly_with_cumulative(energy_freed(rem, ctx.dataset.panel, ctx.rule), "energy_freed_tce")
    s = (
        Section(data={"completions": done, "energy_freed": freed})
        .html(ctx.task_heading(2))
        .figure(
            stacked_bars(
                pipeline(rem),
                f"图11 高耗低效整治进度（{ctx.scope}）",
                "企业数",
                ctx.plan_ref("任务2（一企一策，对标提升，达标销号）"),
                ctx.synthetic,
            )
        )
        .table(pd.crosstab(done["way"], done["year"]).rename_axis(index="整治方式 way", columns="完成年度"))
        .figure(
            yearly_bars(
                freed,
                "year",
                "cumulative",
                f"图12 已完成整治腾出用能（累计，{ctx.scope}）",
                goal.unit,
                ctx.plan_ref(f"二、实施目标（{goal.text}）"),
                ctx.synthetic,
                labels=[f"{v:,.0f}" for v in freed["cumulative"]],
                **district_target(ctx, float(goal.value), f"目标 {goal.value:g}"),
            )
        )
    )
    return s.markdown(view_note(ctx, goal.text)) if ctx.filtered else s


def land_renewal(ctx: RunContext) -> Section:
    renewal = records_in_view(ctx, "land_renewal", key="parcel_id")
    if renewal is None:
        return Section().markdown("无数据：无有机更新台账（land_renewal.csv）— no land-renewal records.")
    goal = ctx.goal("land_renewed")
    in_plan = renewal[renewal["year"] >= PLAN_YEARS[0]]
    s = Section(data={"land_renewal": in_plan}).figure(
        stacked_bars(
            renewal_by_way(in_plan),
            f"图13 工业用地有机更新面积（方案期，{ctx.scope}）",
            "面积（亩）",
            ctx.plan_ref(f"二、实施目标（{goal.text}）；任务4"),
            ctx.synthetic,
            cumulative=True,
            **district_target(ctx, float(goal.value), f"目标 {goal.value:g}{goal.unit}（累计）"),
        )
    )
    return s.markdown(view_note(ctx, goal.text)) if ctx.filtered else s


def green_parks_incubators(ctx: RunContext) -> Section:
    """Tasks 2 and 5: green factories, 小微企业园 ratings, incubators (each when its table is there)."""
    s = Section()
    green = records_in_view(ctx, "green_factories")
    if green is not None:
        target = ctx.target("green_factories_new")
        gf = green_factories_new(green).query(f"year >= {PLAN_YEARS[0]}")
        s.figure(
            yearly_bars(
                gf,
                "year",
                "cumulative_plan",
                f"图14 新增市级以上绿色工厂（方案期累计，{ctx.scope}）",
                target["unit"],
                ctx.plan_ref(f"任务2（{target['text']}）"),
                ctx.synthetic,
                labels=[f"新增{n}，累计{c}" for n, c in zip(gf["new"], gf["cumulative_plan"])],
                **district_target(ctx, float(target["value"]), f"目标 {target['value']:g}{target['unit']}"),
            )
        )
        if ctx.filtered:
            s.markdown(view_note(ctx, target["text"]))
    else:
        s.markdown("无数据：无绿色工厂台账（green_factories.csv）— no green-factory records.")
    rec = ctx.dataset.records
    if "parks" in rec and "park_ratings" in rec:
        three, four = ctx.target("parks_three_star"), ctx.target("parks_four_star")
        stars = stars_by_year(rec["park_ratings"])
        perf = park_performance(rec["parks"], ctx.ev.parcels, rec["park_ratings"], ctx.year)
        s.table(stars.rename_axis(index="年度", columns="星级 stars")).html(ctx.task_heading(5))
        s.figure(
            parks_map(
                rec["parks"],
                perf.set_index("park_id").loc[rec["parks"]["park_id"], "stars"],
                ctx.ev.parcels,
                ctx.boundary(),
                ctx.zones(),
                f"图15 小微企业园星级（{ctx.year}年）：三星级及以上 {int(stars.loc[ctx.year, '三星级及以上'])} 个"
                f"（目标≥{three['value']:g}），四星级及以上 {int(stars.loc[ctx.year, '四星级及以上'])} 个（目标≥{four['value']:g}）",
                ctx.plan_ref(f"任务5（{three['text']}；{four['text']}）"),
                ctx.synthetic,
                ctx.boundary_source,
            )
        )
        s.table(
            perf[["park_id", "name", "stars", "parcels", "land_mu", "tax_per_mu"]]
            .rename(
                columns={
                    "name": "园区",
                    "stars": "星级",
                    "parcels": "宗地",
                    "land_mu": "用地(亩)",
                    "tax_per_mu": "亩均税收(万元/亩)",
                }
            )
            .style.format(precision=1)
            .hide(axis="index")
        )
        s.data["park_performance"] = perf
    else:
        s.markdown("无数据：无小微企业园图层与星级台账（parks, park_ratings）— no park layer and ratings.")
    if "incubators" in rec:
        target = ctx.target("incubators")
        inc = incubators_cumulative(rec["incubators"], ctx.dataset.years)
        s.figure(
            yearly_bars(
                inc,
                "year",
                "cumulative",
                "图16 省级以上孵化器（众创空间）累计数",
                target["unit"],
                ctx.plan_ref(f"任务5（{target['text']}）"),
                ctx.synthetic,
                target=float(target["value"]),
                target_label=f"目标 ≥{target['value']:g}",
                labels=[str(v) for v in inc["cumulative"]],
            )
        )
    else:
        s.markdown("无数据：无孵化器台账（incubators.csv）— no incubator records.")
    return s


def district_rated(ctx: RunContext) -> pd.DataFrame:
    """The whole district's parcels with a 亩均税收: what the hot spots are computed on."""
    parcels = ctx.district_ev.parcels
    return parcels[parcels["tax_per_mu"].notna()]


def hotspots(ctx: RunContext) -> pd.DataFrame:
    """Gi* and Local Moran's I over the whole district's rated parcels, restricted to the view."""

    def compute() -> pd.DataFrame:
        rated = district_rated(ctx)
        k = int(_option(ctx, "hotspot_k"))
        if not computable(len(rated), k):
            return no_hot_spots(rated.index)
        return hot_spots(
            rated,
            "tax_per_mu",
            k=k,
            permutations=int(_option(ctx, "hotspot_permutations")),
            use_fdr=bool(_option(ctx, "hotspot_fdr")),
        )

    found = ctx.memo("hotspots", compute)
    return found[found.index.isin(ctx.ev.parcels.index)]


def hotspot_section(ctx: RunContext) -> Section:
    hot = hotspots(ctx)
    rated = ctx.ev.parcels.loc[hot.index]
    k, permutations, fdr = (_option(ctx, n) for n in ("hotspot_k", "hotspot_permutations", "hotspot_fdr"))
    n_rated = len(district_rated(ctx))  # hot spots are computed district-wide
    if not computable(n_rated, int(k)):
        return Section(data={"hotspots": hot}).markdown(
            f"未作冷热点分析：全区有亩均税收的宗地 {n_rated} 宗，K近邻权重 k={k} 需要多于 {k} 宗（可减小 hotspot_k）。"
            f" No hot-spot analysis: {n_rated} parcels with 亩均税收 in the district, and k = {k} nearest neighbours"
            f" need more than {k} (lower hotspot_k)."
        )
    note = (
        f"Getis-Ord Gi*（含自身），K近邻权重 k={k}（宗地质心，EPSG:4549），{permutations}次条件置换；"
        f"双侧伪p值（esda单侧折叠p×2）；{'FDR校正' if fdr else '未作多重检验校正'}"
        + ("；在全区宗地上计算，仅显示所选街道" if ctx.filtered else "")
    )
    counts = hot["gi_label"].value_counts().reindex(list(BIN_LABELS.values()), fill_value=0)
    significant = int((hot["gi_bin"] != 0).sum())
    chance = expected_by_chance(len(hot), 0.10, bool(fdr))
    return (
        Section(data={"hotspots": hot})
        .figure(
            hotspot_map(
                rated,
                hot["gi_bin"],
                ctx.boundary(),
                ctx.zones(),
                f"图10 亩均税收热点与冷点（{ctx.year}年，Gi*）",
                ctx.plan_ref("任务4；一、总体要求（亩均论英雄）"),
                ctx.synthetic,
                ctx.boundary_source,
                method_note=note,
            )
        )
        .markdown(
            f"显著宗地 significant parcels: **{significant}** / {len(hot)}；若无任何集聚，落入90%及以上置信度（双侧，热点与冷点合计）"
            f"的宗地随机约 {chance:.0f} 宗（{'FDR校正' if fdr else '未作多重检验校正；可设 hotspot_fdr=True'}）。"
            f" By chance alone about {chance:.0f} of {len(hot)} parcels would fall in a 90 %-or-higher bin "
            f"(two-sided pseudo p-values, hot and cold together{', FDR-corrected' if fdr else '; no FDR correction, switch: hotspot_fdr'})."
        )
        .table(pd.DataFrame({"宗地数 parcels": counts}).T)
        .table(
            hot.groupby("moran_quadrant")["moran_significant"]
            .agg(["count", "sum"])
            .rename(columns={"count": "宗地数", "sum": "显著(5%)"})
            .T
        )
    )


def exports(ctx: RunContext) -> Section:
    """The 高耗低效 list (XLSX) and the evaluated parcels (GeoPackage), written to the run folder."""
    out, lst, below = ctx.out_dir(), the_list(ctx), below_line(ctx)
    anonymised = ctx.dataset.anonymized
    notes = [
        f"《高耗低效整治企业清单》 {ctx.year}年 · {ctx.scope} · 方法 {ctx.method.id} · 规则 {ctx.rule.file.name}",
        f"出清线 {ctx.rule.clearance_line:g} 万元/亩；整治方式为规则建议（无整治台账时）；预计腾出用地/能耗按规则文件中的比例估算。",
        ctx.ev.ranking_note,
        ctx.ev.land_note,
        "数据为合成样本，非真实企业 — synthetic sample data, no real enterprise."
        if ctx.synthetic
        else "真实数据，注意保密 — confidential data.",
        "企业名称与信用代码已替换为稳定假名。"
        if anonymised
        else "含企业名称与信用代码，对外分享前请以 anonymize=True 重新运行。",
    ]
    xlsx = write_xlsx({"高耗低效整治企业清单": lst}, out / f"高耗低效整治企业清单_{ctx.year}.xlsx", notes)
    layer = parcel_layer(ctx.ev.parcels, ctx.dataset.enterprises, hotspots(ctx).join(pd.Series(below, name="below_clearance")))
    layer["below_clearance"] = below.reindex(layer.index).fillna(False).astype(bool)
    gpkg = write_gpkg(
        layer,
        out / f"parcels_evaluated_{ctx.year}.gpkg",
        layer=f"parcels_{ctx.year}",
        aliases=PARCEL_FIELD_ALIASES,
        style_qml=parcel_style_qml(PARCEL_FIELD_ALIASES),
    )
    return Section(data={"xlsx": xlsx, "gpkg": gpkg, "layer": layer}).markdown(
        f"- 清单 list: `{xlsx.name}` ({len(lst)} 行)\n- 宗地图层 parcels: `{gpkg.name}` (图层 `parcels_{ctx.year}`, "
        f"{len(layer)} 宗, EPSG:{layer.crs.to_epsg()}) — 均写入本次运行的文件夹 written to this run's folder"
    )


def interactive_map(ctx: RunContext) -> Section:
    if not ctx.parameters.get("interactive_map", True):
        return Section().markdown("交互地图未生成（interactive_map=False）— the interactive map is switched off.")
    parcels = ctx.ev.parcels
    tip = parcels.merge(ctx.dataset.enterprises[["credit_code", "name"]], left_on="main_user", right_on="credit_code", how="left")
    tip.index = parcels.index
    tip["street_name"] = tip["street_code"].map(street_names())
    from helpers.viz.interactive import parcel_class_map  # folium: half a second that only this section needs

    fmap = parcel_class_map(
        tip,
        ctx.boundary(),
        {
            "parcel_id": "宗地代码",
            "street_name": "镇街",
            "name": "主要使用企业",
            "credit_code": "统一社会信用代码",
            "class": "类别",
            "tax_per_mu": "亩均税收(万元/亩)",
            "registered_area_mu": "面积(亩)",
        },
        zones=ctx.zones(),
        below=below_line(ctx),
        hotspot_bins=hotspots(ctx)["gi_bin"],
    )
    return (
        Section(data={"map": fmap})
        .markdown(
            "交互地图：右上角切换视图（评价类别 / 出清线以下 / 冷热点）与图层（区界、街道分区示意）；左上角按企业名称、"
            "信用代码或宗地代码搜索"
            + ("（本次运行为假名）" if ctx.parameters.get("anonymize") else "")
            + "；比例尺为公制。Switch views and layers top right; search top left; metric scale."
        )
        .table(fmap)
    )
