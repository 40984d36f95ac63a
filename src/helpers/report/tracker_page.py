"""Sections of ``00_task_tracker``: the headline goals and the 20 tasks, each target with its
yearly series and status (``helpers.progress.tracker``); under a 街道 view the 街道's values are
shown beside the district's targets, never judged against them."""

from __future__ import annotations

import json

import pandas as pd

from helpers.plan.tasks import NO_DATA, load_policy_measures, plan_period
from helpers.progress.measures import Context
from helpers.progress.tracker import goal_rows, parse_tasks, target_rows
from helpers.report.context import RunContext
from helpers.report.dashboard import STATUS_FILE, status_counts, status_records, status_table
from helpers.report.narrative import data_notice
from helpers.report.sections import Section, html_text
from helpers.viz.charts import task_chart

LOW_EFFICIENCY_REPORT = "03_low_efficiency.html"  # tasks 1-5 are charted there
LOW_EFFICIENCY_TASKS = 5  # tasks 1..5
TRACKER_REPORT = "00_task_tracker.html"


def progress_context(ctx: RunContext) -> Context:
    """The measures' context: the data folder, its evaluations (the view), the 街道, the rules, and
    the plan period (parameter ``plan_period``, ``plan.tasks.plan_period``)."""
    years, _ = plan_period(ctx.parameters.get("plan_period"))
    return Context(ctx.dataset, ctx.evaluations, ctx.streets, ctx.rule, ctx.budget, years)


def goals(ctx: RunContext) -> pd.DataFrame:
    """The headline goals with their series and status (computed once per context: the page and the
    briefing show the same)."""
    return ctx.memo("goal_rows", lambda: goal_rows(progress_context(ctx), ctx.year))


def goal_records(ctx: RunContext) -> list[dict]:
    """The headline goals as ``dashboard`` records, each labelled by its text."""
    g = goals(ctx)
    return status_records(g, "id", dict(zip(g["id"], g["text"])))


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
    """The headline goals of 二、实施目标 as a table of text with status chips (also left in the run
    folder for the index page, ``STATUS_FILE``)."""
    records = goal_records(ctx)
    save_status(ctx, "goals", records)
    return (
        Section(data={"goals": goals(ctx), "records": records})
        .markdown(f"实施目标总览（{ctx.year}年，{ctx.scope}；{ctx.plan_ref('二、实施目标')}）")
        .html(status_counts(records))
        .html(status_table(records, None))
    )


def task_links(numbers) -> dict:
    """Where each task's section is: tasks 1–5 on the low-efficiency page, the others on this one."""
    return {
        n: (f"{LOW_EFFICIENCY_REPORT}#task-{n:02d}" if n <= LOW_EFFICIENCY_TASKS else f"{TRACKER_REPORT}#task-{n:02d}")
        for n in numbers
    }


def tasks_dashboard(ctx: RunContext) -> Section:
    """Every target of the selected tasks: counts by status and a table of text with status chips,
    each task linked to its section (also left in the run folder for the index page)."""
    all_tasks = ctx.tasks
    rows = targets(ctx)
    names = {n: f"任务{n} {t}" for n, t in zip(all_tasks["number"], all_tasks["title"])}
    records = status_records(rows, "task", names, task_links(all_tasks["number"]))
    save_status(ctx, "tasks", records)
    return (
        Section(data={"targets": rows, "records": records})
        .markdown(
            f"任务总览（{ctx.year}年，{ctx.scope}；{ctx.plan_ref('三、主要任务')}）："
            f"{len(rows)} 项指标，{rows['task'].nunique()} 项任务；牵头单位与逐年数值见各任务。"
        )
        .html(status_counts(records))
        .html(status_table(records))
    )


def save_status(ctx: RunContext, kind: str, records: list[dict]) -> None:
    """Add ``records`` under ``kind`` to the run folder's ``STATUS_FILE`` (read by the index page)."""
    path = ctx.out_dir() / STATUS_FILE
    saved = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    saved[kind] = records
    saved["year"], saved["scope"] = ctx.year, ctx.scope
    path.write_text(json.dumps(saved, ensure_ascii=False, indent=1), encoding="utf-8")


def task_by_task(ctx: RunContext) -> Section:
    """Each selected task: its chart (tasks 1-5 link to the low-efficiency report), its readings."""
    rows = targets(ctx)
    s = Section(data={"targets": rows})
    for number in selected_tasks(ctx):
        task_rows = rows[rows["task"] == number]
        if number <= LOW_EFFICIENCY_TASKS:
            link = f"{LOW_EFFICIENCY_REPORT}#task-{number:02d}"
            s.html(
                f"{ctx.task_heading(number)}<p>图见低效整治报告 — charted in "
                f'<a href="{link}">{link}</a>；状态 status: {html_text("，".join(task_rows["status"]))}</p>'
            )
            continue
        s.html(ctx.task_heading(number))
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


def briefing(ctx: RunContext) -> Section:
    """Write the Word briefing 《腾笼换鸟攻坚行动进展简报》 into the run folder (``report.briefing``) and
    say where it is."""
    from helpers.report.briefing import briefing_name, write_briefing  # python-docx: only this section writes Word

    path = write_briefing(ctx, ctx.out_dir() / briefing_name(ctx.year), goal_records(ctx), targets(ctx))
    return Section(data={"path": path}).html(
        f'<p>Word 简报 briefing: <a href="{html_text(path.name)}">{html_text(path.name)}</a>'
        "（实施目标、按攻坚行动的任务进展、各镇街排名、高耗低效清单、主要图表、数据说明）</p>"
    )
