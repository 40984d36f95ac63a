"""Sections of ``05_enterprises``: what the official 亩均 platform gives its users and no tool gives a
researcher — class transitions between years (升降档), industry peers (分行业对标), the 街道 race
(赛马, 五(三)) and enterprise portraits (企业画像).

Classes are the district's in every section; a 街道 view shows its enterprises' transitions and
peers (against district-wide industry groups) and the race of all 街道 (a race has no view).
"""

from __future__ import annotations

import pandas as pd

from helpers.core.keys import is_in
from helpers.evaluate.peers import DEFAULT_MIN_GROUP, furthest_below, industry_summary, peer_frame
from helpers.evaluate.transitions import d_persistence, transitions, year_pairs
from helpers.plan.tasks import plan_period
from helpers.progress.race import DEFAULT_BOTTOM, SUMMONED, street_race
from helpers.report.context import RunContext
from helpers.report.exports import write_csv
from helpers.report.low_efficiency_page import listed
from helpers.report.narrative import data_notice
from helpers.report.portraits import chosen_codes, write_portraits
from helpers.report.sections import Section, html_text, md_text
from helpers.report.tracker_page import progress_context
from helpers.viz.charts import breakdown_chart

DEFAULT_TOP_N = 20  # enterprises listed furthest below their industry (notebook parameter top_n)


def header(ctx: RunContext) -> Section:
    return (
        Section()
        .markdown(f"**范围 Scope**: {ctx.scope} · **年度 Year**: {ctx.year} · **方法 Method**: `{ctx.method.id}`")
        .markdown(data_notice(ctx.dataset))
        .markdown(f"**{ctx.ev.ranking_note}**")
    )


# --- class transitions -------------------------------------------------------------------------


def pairs(ctx: RunContext) -> list[tuple[int, int]]:
    """The pairs of years compared (parameter ``compare_years``)."""
    return year_pairs(str(ctx.option("compare_years", "all")), sorted(ctx.evaluations))


def transition_tables(ctx: RunContext) -> dict:
    """``Transitions`` for each pair of years, over the view (once per context)."""
    return ctx.memo("transitions", lambda: {p: transitions(ctx.evaluations, *p) for p in pairs(ctx)})


ONE_YEAR = (
    "**无数据 No data**: 数据中只有 {year} 年，没有年份之间的变动（至少需要两个年度）。"
    " The data folder holds {year} only: transitions need two years."
)


def class_transitions(ctx: RunContext) -> Section:
    """Per pair of years: the headline counts, the matrix of every state, and the per-pool shares."""
    s = Section(data={"transitions": transition_tables(ctx)})
    if not transition_tables(ctx):
        return s.markdown(ONE_YEAR.format(year=ctx.year))
    for (a, b), t in transition_tables(ctx).items():
        c = t.counts()
        s.markdown(
            f"### {a} → {b}\n"
            f"参评 evaluated {c['evaluated_from']:,} → {c['evaluated_to']:,}；同组内 within a pool: 保持 stayed **{c['stayed']:,}**，"
            f"升档 up **{c['up']:,}**，降档 down **{c['down']:,}**，跨两档及以上 two classes or more **{c['big_moves']:,}**；"
            f"换组 changed pool {c['changed_pool']:,}；新进入 entered **{c['entered']:,}**，"
            f"退出 left **{c['gone'] + c['excluded']:,}**（无数据 gone {c['gone']:,}，未参评 excluded {c['excluded']:,}）。"
        )
        s.markdown(
            "行：前一年状态；列：后一年状态（全部企业，各行之和为前一年该状态企业数）。 Rows: state in the earlier year; columns: the later."
        )
        s.table(t.matrix())
        for pool in ctx.method.pools:
            if t.matrix(pool.id).to_numpy().sum():  # the pool had members in the earlier year
                s.markdown(f"**{md_text(pool.zh)}** — 行内占比 row shares (%)")
                s.table(t.matrix(pool.id, shares=True).style.format("{:.1f}"))
    return s


def big_moves(ctx: RunContext) -> Section:
    """Enterprises that moved two classes or more within their pool, for each pair of years."""
    s = Section()
    if not transition_tables(ctx):
        return s.markdown(ONE_YEAR.format(year=ctx.year))
    rows = []
    for (a, b), t in transition_tables(ctx).items():
        moved = t.big_moves
        if len(moved):
            rows.append(moved.assign(years=f"{a}→{b}"))
    if not rows:
        return s.markdown("各年份对之间没有企业在同组内跨两档及以上 — no enterprise moved two classes or more within its pool.")
    table = pd.concat(rows).merge(ctx.dataset.enterprises[["credit_code", "name"]], on="credit_code", how="left")
    shown = table[["years", "name", "credit_code", "from_pool_zh", "from_state", "to_state", "move"]].rename(
        columns={
            "years": "年份",
            "name": "企业名称",
            "credit_code": "统一社会信用代码",
            "from_pool_zh": "评价组",
            "from_state": "前",
            "to_state": "后",
            "move": "档位变化（+降）",
        }
    )
    shown["档位变化（+降）"] = shown["档位变化（+降）"].astype("Int64")
    where = f"tables/big_moves_{ctx.year}.csv"  # every row, as the page heads them (the page shows part of a long list)
    written = write_csv(shown, ctx.out_dir() / where)
    return Section(data={"big_moves": table, "written": written}).long_list(
        shown, where, per="年份", formats={"档位变化（+降）": "{:+d}"}
    )


def d_streaks(ctx: RunContext) -> Section:
    """How many of the year's D enterprises were D in the years before, consecutively."""
    table = d_persistence(ctx.evaluations, ctx.year)
    total = int(table["enterprises"].sum())
    shown = table[["enterprises"]].rename(columns={"enterprises": "D类企业数"})
    shown.index = [f"此前连续{k}年也为D" if k else "新进入D类 new to D" for k in table.index]
    longest = int(table.index.max()) if len(table) else 0
    streak = int(table.loc[longest, "enterprises"]) if longest else 0
    return (
        Section(data={"d_persistence": table})
        .markdown(
            f"{ctx.year}年D类 **{total}** 家，其中此前各年（{longest}年）均为D类的 **{streak}** 家（同一评价组）。"
            f" Of {total} D enterprises in {ctx.year}, {streak} were D in each of the {longest} years before (same pool)."
        )
        .table(shown)
    )


# --- industry peers -----------------------------------------------------------------------------


def district_peers(ctx: RunContext) -> pd.DataFrame:
    """Peer percentiles and industry medians of every evaluated enterprise of the district (once)."""
    return ctx.memo("district_peers", lambda: peer_frame(ctx.district_ev, int(ctx.option("peer_min_group", DEFAULT_MIN_GROUP))))


def peers(ctx: RunContext) -> pd.DataFrame:
    """``district_peers`` of the shown enterprises."""
    frame = district_peers(ctx)
    return frame[is_in(frame["credit_code"], ctx.ev.evaluated["credit_code"])]


SUMMARY_LABELS = {
    "pool_zh": "评价组",
    "industry": "行业大类",
    "industry_chain": "产业链",
    "enterprises": "企业数",
    "median": "中位数",
    "p25": "下四分位",
    "p75": "上四分位",
    "iqr": "四分位距",
    "relative_spread": "离散度 IQR/中位数",
}


def industry_table(ctx: RunContext) -> Section:
    """Each industry's and each chain's (within a pool) median, quartiles and spread of 亩均税收."""
    n = int(ctx.option("peer_min_group", DEFAULT_MIN_GROUP))
    industries = industry_summary(ctx.district_ev, "tax_per_mu", "industry", n)
    chains = industry_summary(ctx.district_ev, "tax_per_mu", "industry_chain", n)
    return (
        Section(data={"industries": industries, "chains": chains})
        .markdown(
            f"行业 = 国民经济行业大类（GB/T 4754 门类字母+两位数字），在评价组内比较；企业数少于 {n} 家的行业不列出（peer_min_group）。"
            f" Industry = GB/T 4754 大类 within each pool; groups under {n} enterprises are left out. 亩均税收（万元/亩）, district-wide."
        )
        .table(industries.rename(columns=SUMMARY_LABELS).style.format(precision=2).hide(axis="index"))
        .markdown("**产业链 By chain** — 同一口径 the same measures, by the project's chains")
        .table(chains.rename(columns=SUMMARY_LABELS).style.format(precision=2).hide(axis="index"))
    )


def furthest_below_industry(ctx: RunContext) -> Section:
    """The enterprises furthest below their industry's median 亩均税收: the list a district ranking hides."""
    n = int(ctx.option("top_n", DEFAULT_TOP_N))
    table = furthest_below(peers(ctx), "tax_per_mu", n)
    shown = table[
        [
            "name",
            "credit_code",
            "street_name",
            "pool_zh",
            "industry",
            "class",
            "tax_per_mu",
            "tax_per_mu_industry_median",
            "tax_per_mu_vs_industry",
            "tax_per_mu_pct_industry",
            "tax_per_mu_pct_pool",
        ]
    ].rename(
        columns={
            "name": "企业名称",
            "credit_code": "统一社会信用代码",
            "street_name": "所属镇街",
            "pool_zh": "评价组",
            "industry": "行业大类",
            "class": "类别",
            "tax_per_mu": "亩均税收",
            "tax_per_mu_industry_median": "行业中位数",
            "tax_per_mu_vs_industry": "÷行业中位数",
            "tax_per_mu_pct_industry": "行业百分位",
            "tax_per_mu_pct_pool": "组内百分位",
        }
    )
    return (
        Section(data={"peers": peers(ctx), "furthest_below": table})
        .markdown(
            "百分位 = 组内不高于本企业的占比（并列取平均名次，pandas rank(pct=True)），100 为组内最高。"
            " Percentile: the share of the group at or below the enterprise (ties share their average rank); 100 is the top."
        )
        .table(shown.style.format(precision=2).hide(axis="index"))
    )


# --- the 街道 race --------------------------------------------------------------------------------


def race(ctx: RunContext):
    """The race of every 街道 over the district (once per context)."""

    def compute():
        district = progress_context(ctx)
        whole = type(district)(ctx.dataset, ctx.district, None, ctx.rule, ctx.budget, district.plan_years)
        streets = ctx.dataset.zones[["street_code", "street_name"]].drop_duplicates().reset_index(drop=True)
        return street_race(whole, streets, ctx.year, int(ctx.option("race_bottom", DEFAULT_BOTTOM)))

    return ctx.memo("race", compute)


def league(ctx: RunContext) -> Section:
    r = race(ctx)
    bottom = int(ctx.option("race_bottom", DEFAULT_BOTTOM))
    _, reading = plan_period(ctx.parameters.get("plan_period"))
    table = r.league.rename(
        columns={
            "street_name": "街道/镇",
            "score_now": f"{r.year}得分",
            "score_before": f"{r.previous}得分" if r.previous else "上年得分",
            "measures": "参与指标数",
            "rank": "名次",
            "rank_before": "上年名次",
            "rank_change": "名次变化（+上升）",
            "mark": "标记",
        }
    ).drop(columns="street_code")
    for column in ("名次", "上年名次", "名次变化（+上升）", "参与指标数"):
        table[column] = table[column].astype("Int64")  # whole numbers, shown as such
    fig = breakdown_chart(
        r.league.assign(score=r.league["score_now"] * 100),
        "score",
        "street_name",
        f"图1 街道赛马综合得分（{r.year}年；各指标名次百分位的平均，100=全部第一）",
        "综合得分 score (0-100)",
        ctx.plan_ref("五(三) 建立“赛马”机制，对考核排名靠后的单位进行通报约谈"),
        ctx.synthetic,
    )
    return (
        Section(data={"race": r})
        .markdown(
            f"每项可分街道计算的目标按数值排名（“≥”目标越高越好，“≤”越低越好），综合得分为各项名次百分位的平均；"
            f"末 **{bottom}** 名标记“{SUMMONED}”（方案未给出人数：参数 race_bottom）。计数为绝对数，与方案目标口径一致，规模大的街道计数也大。"
            f" 新增类指标按方案期累计（{md_text(reading)}）。方案目标为全区目标，不判断街道是否达标。"
            f" Each target computable per 街道 ranks the 街道 by value; the score is the mean rank percentile; the last {bottom} are marked."
        )
        .table(table.style.format(precision=3, na_rep="—").hide(axis="index"))
        .figure(fig)
    )


def race_measures(ctx: RunContext) -> Section:
    """Every target in the race: each 街道's value and rank, with the target and its source."""
    r = race(ctx)
    v = r.values
    order = list(dict.fromkeys(v["id"]))
    wide = v.set_index(["id", "street_name"])["value_now"].unstack("street_name").reindex(order)
    ranks = v.set_index(["id", "street_name"])["rank_now"].unstack("street_name").reindex(order)
    about = v.drop_duplicates("id").set_index("id")[["task", "text", "unit"]]
    shown = about.join(wide).reset_index()
    for street in wide.columns:
        shown[street] = [
            f"{val:,.2f}（{int(rk)}）" if pd.notna(val) and pd.notna(rk) else "—"
            for val, rk in zip(shown[street], ranks[street].reindex(shown["id"]))
        ]
    sources = v.groupby("id")["source"].first()
    shown["数据来源 source"] = shown["id"].map(sources)
    shown["任务 task"] = shown["task"].map(lambda t: "实施目标" if pd.isna(t) else f"任务{int(t)}")
    shown = shown.drop(columns=["id", "task"]).rename(columns={"text": "目标 target", "unit": "单位"})
    missing = r.without_breakdown
    s = (
        Section(data={"values": v, "without_breakdown": missing})
        .markdown("数值（名次） value (rank) per 街道, this year; 目标为全区目标。")
        .table(shown.style.hide(axis="index"))
    )
    if len(missing):
        m = missing.assign(task=missing["task"].map(lambda t: "实施目标" if pd.isna(t) else f"任务{int(t)}"))
        s.markdown(f"**数据无街道分解的目标 Targets the data do not break down by 街道** ({len(m)})：")
        s.table(
            m[["task", "text", "source", "note"]]
            .rename(columns={"task": "任务", "text": "目标", "source": "数据来源", "note": "说明"})
            .style.hide(axis="index")
        )
    return s


# --- portraits ------------------------------------------------------------------------------------


DEFAULT_PORTRAITS_MAX = 1000  # portraits drawn from the list at most (notebook parameter portraits_max)


def portrait_limit(ctx: RunContext) -> int:
    """Parameter ``portraits_max``: at most this many portraits of the list (0: all of them)."""
    return ctx.whole_number("portraits_max", DEFAULT_PORTRAITS_MAX, 0, "0: every enterprise of the list")


def portraits(ctx: RunContext) -> Section:
    """Writes the portraits page of the chosen enterprises (parameter ``portraits``) and links it.
    From the list, at most ``portraits_max`` (the lowest comprehensive scores first, as the
    remediation list orders them): at 100,000 parcels the list holds thousands and one page of all
    their portraits passed 700 MB. Enterprises named by code are all drawn."""
    who = str(ctx.option("portraits", "list"))
    on_list = listed(ctx)
    codes = chosen_codes(ctx, who, list(on_list["credit_code"]))
    if not codes:
        return Section().markdown("未生成企业画像（portraits=none）— no portraits drawn.")
    limit, everyone = portrait_limit(ctx), len(codes)
    capped = who.strip().lower() == "list" and 0 < limit < everyone
    if capped:
        codes = list(on_list.sort_values("score", kind="stable")["credit_code"].head(limit))
    intro = (
        f"<p>{html_text(ctx.plan_ref('（一）实施低效整治攻坚行动'))}；{html_text(ctx.ev.ranking_note)}；"
        "百分位与行业中位数为全区同评价组同行业口径；“升一档”每项单独计算，其余指标与基准不变。"
        + ("<strong>合成数据，非真实企业 — synthetic data, no real enterprise.</strong>" if ctx.synthetic else "")
        + "</p>"
    )
    path = write_portraits(ctx, codes, district_peers(ctx), intro)  # chosen codes may lie outside the view
    which = "高耗低效清单企业 the 高耗低效 list" if who.strip().lower() == "list" else "所选企业 the chosen enterprises"
    limit_note = (
        f"（清单共 {everyone:,} 家，按综合得分由低到高取前 {limit:,} 家 — the {limit:,} lowest scores of {everyone:,};"
        " portraits_max = 0 draws all）"
        if capped
        else ""
    )
    return Section(data={"portraits": path, "codes": codes}).html(
        f"<p>企业画像 {len(codes):,} 家（{html_text(which)}）{html_text(limit_note)}："
        f'<a href="{html_text(path.name)}">{html_text(path.name)}</a> — 每家一节，可打印 one printable section each.</p>'
    )


__all__ = [
    "big_moves",
    "class_transitions",
    "d_streaks",
    "furthest_below_industry",
    "header",
    "industry_table",
    "league",
    "portraits",
    "race_measures",
]
