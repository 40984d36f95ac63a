"""Sections of ``00_task_tracker``: the headline goals and the 20 tasks, each target with its
yearly series and status (``helpers.progress.tracker``); under a 街道 view the 街道's values are
shown beside the district's targets, never judged against them."""

from __future__ import annotations

import pandas as pd

from helpers.plan.tasks import NO_DATA, load_policy_measures, plan_period
from helpers.progress.measures import Context
from helpers.progress.tracker import goal_rows, parse_tasks, target_rows
from helpers.report.context import RunContext
from helpers.report.narrative import data_notice, task_anchor
from helpers.report.sections import Section, html_text
from helpers.viz.charts import status_dashboard, task_chart

LOW_EFFICIENCY_REPORT = "03_low_efficiency.html"  # tasks 1-5 are charted there
LOW_EFFICIENCY_TASKS = 5  # tasks 1..5
GOALS_IMAGE, TASKS_IMAGE = "summary_2_goals.png", "summary_1_tasks.png"  # lead the run's index page


def progress_context(ctx: RunContext) -> Context:
    """The measures' context: the data folder, its evaluations (the view), the 街道, the rules, and
    the plan period (parameter ``plan_period``, ``plan.tasks.plan_period``)."""
    years, _ = plan_period(ctx.parameters.get("plan_period"))
    return Context(ctx.dataset, ctx.evaluations, ctx.streets, ctx.rule, ctx.budget, years)


def targets(ctx: RunContext) -> pd.DataFrame:
    """Every target of the selected tasks with its series and status (computed once per context)."""
    return ctx.memo("targets", lambda: target_rows(progress_context(ctx), ctx.year, selected_tasks(ctx)))


def selected_tasks(ctx: RunContext) -> list[int]:
    return parse_tasks(ctx.parameters.get("tasks", "all"), ctx.tasks["number"].tolist())


def header(ctx: RunContext) -> Section:
    _, reading = plan_period(ctx.parameters.get("plan_period"))
    s = Section().markdown(
        f"**范围 Scope**: {ctx.scope} · **年度 Year**: {ctx.year} · "
        f"**任务 Tasks**: {html_text(ctx.parameters.get('tasks', 'all'))} · "
        f"**方案期 Plan period**（“新增”“三年”类目标的累计年份 years counted for 'new' targets）: {html_text(reading)}"
    )
    s.markdown(data_notice(ctx.dataset))
    if ctx.filtered:
        s.markdown(
            "**街道视图 Street view**: 方案目标为全区目标；此处显示所选街道的数值，状态记为“街道值·不对标”，"
            "不判断达标。The plan's targets are the district's: the 街道's values are shown, not judged."
        )
    return s


def goals_dashboard(ctx: RunContext) -> Section:
    """The headline goals of 二、实施目标 as a dashboard, saved for the run's index page."""
    goals = goal_rows(progress_context(ctx), ctx.year)
    fig = status_dashboard(
        goals,
        f"实施目标总览（{ctx.year}年，{ctx.scope}）",
        ctx.plan_ref("二、实施目标"),
        ctx.synthetic,
        key="id",
        names=dict(zip(goals["id"], goals["text"])),
    )
    fig.savefig(ctx.out_dir() / GOALS_IMAGE, bbox_inches="tight")
    return Section(data={"goals": goals}).figure(fig)


def tasks_dashboard(ctx: RunContext) -> Section:
    """Every target of the selected tasks: dashboard (saved for the index page), counts, table."""
    all_tasks = ctx.tasks
    rows = targets(ctx)
    names = {n: f"任务{n} {t}" for n, t in zip(all_tasks["number"], all_tasks["title"])}
    fig = status_dashboard(
        rows, f"任务总览（{ctx.year}年，{ctx.scope}）", ctx.plan_ref("三、主要任务"), ctx.synthetic, names=names
    )
    fig.savefig(ctx.out_dir() / TASKS_IMAGE, bbox_inches="tight")
    summary = rows.groupby("status").size()
    table = rows[["task", "title", "lead_unit", "text", "comparator", "value", "unit", "judged", "status"]].rename(
        columns={
            "task": "任务",
            "title": "名称",
            "lead_unit": "牵头单位",
            "text": "目标",
            "comparator": "比较",
            "value": "目标值",
            "unit": "单位",
            "judged": f"{ctx.year}年实际",
            "status": "状态",
        }
    )
    return (
        Section(data={"targets": rows})
        .figure(fig)
        .markdown(
            "；".join(f"{k} {v} 项" for k, v in summary.items()) + f"（共 {len(rows)} 项指标，{rows['task'].nunique()} 项任务）"
        )
        .table(table.style.format({"目标值": "{:g}", f"{ctx.year}年实际": "{:,.4g}"}, na_rep="—").hide(axis="index"))
    )


def task_by_task(ctx: RunContext) -> Section:
    """Each selected task: its chart (tasks 1-5 link to the low-efficiency report), its readings."""
    rows = targets(ctx)
    s = Section(data={"targets": rows})
    for number in selected_tasks(ctx):
        task_rows = rows[rows["task"] == number]
        if number <= LOW_EFFICIENCY_TASKS:
            link = f"{LOW_EFFICIENCY_REPORT}#task-{number:02d}"
            s.html(
                f"<p>任务{number} {html_text(task_rows.iloc[0]['title'])}：图见低效整治报告 — charted in "
                f'<a href="{link}">{link}</a>；状态 status: {html_text("，".join(task_rows["status"]))}</p>'
            )
            continue
        s.html(task_anchor(number))
        s.figure(task_chart(task_rows, ctx.year, ctx.plan_ref(f"三、主要任务 任务{number}"), ctx.synthetic))
        notes = [r for r in task_rows["reading"].dropna() if r]
        if notes:
            s.markdown("；".join(f"口径 reading: {n}" for n in notes))
        if ctx.filtered and task_rows["series"].isna().any():
            s.markdown("部分指标为全区统计，选择街道后显示为无数据 District-level counts show 无数据 under a 街道 filter.")
    return s


def policy_measures(ctx: RunContext) -> Section:
    """The plan's numeric policy measures (四、政策措施; data/plan/measures.yaml): each with its target
    and responsible units. The data folders this project reads hold no series for them: each is
    shown as 无数据 rather than left out."""
    m = load_policy_measures()
    table = pd.DataFrame(
        {
            "条款 section": m["section"],
            "措施 measure": m["text"],
            "目标 target": [f"{c} {v:g} {u}" for c, v, u in zip(m["comparator"], m["value"], m["unit"], strict=True)],
            "责任单位 units": m["units"].map("、".join),
            "状态 status": NO_DATA,
        }
    )
    return (
        Section(data={"measures": m})
        .markdown(
            f"方案“四、政策措施”中的量化措施 {len(m)} 项（`data/plan/measures.yaml`）；本项目读取的数据中无相应记录，均记为{NO_DATA}。"
            f" The plan's {len(m)} numeric policy measures; the data hold no series for them, so each shows as {NO_DATA}."
        )
        .table(table.style.set_properties(**{"text-align": "left"}).hide(axis="index"))
    )
