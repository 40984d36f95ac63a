"""The 20-task tracker: every target with its yearly series, the value judged and its status,
and the headline goals likewise (data/plan/tasks.yaml, goals.yaml; measures in helpers.progress.measures)."""

from __future__ import annotations

import pandas as pd

from helpers.plan.goals import figures_by_year, labelled_texts, load_goals
from helpers.plan.tasks import NO_DATA, NO_TARGET, STREET_VIEW, load_tasks, status
from helpers.progress.measures import Context, compute, label


def parse_tasks(value, numbers: list[int]) -> list[int]:
    """Task subset from a parameter: "all", a number, or numbers/ranges like "1-5,7"."""
    if value is None or str(value).strip().lower() in ("", "all"):
        return list(numbers)
    out = []
    for part in str(value).replace("，", ",").split(","):
        part = part.strip()
        if "-" in part:
            a, b = (int(x) for x in part.split("-"))
            out += list(range(a, b + 1))
        elif part:
            out.append(int(part))
    unknown = sorted(set(out) - set(numbers))
    if unknown:
        raise ValueError(f"unknown task number(s) {unknown}; tasks are {min(numbers)}-{max(numbers)}")
    return sorted(set(out))


def scoped_status(ctx: Context, target: dict, series: pd.Series | None, year: int) -> tuple[str, float | None]:
    """``status`` at district scope; under a 街道 filter the 街道's value with ``STREET_VIEW``
    instead of a judgement (the plan's targets are the district's)."""
    st, judged = status(target, series, year, ctx.plan_years)
    if ctx.streets and st != NO_DATA:
        return STREET_VIEW, judged
    return st, judged


def target_rows(ctx: Context, year: int, selected: list[int] | None = None) -> pd.DataFrame:
    """One row per target (and per tracked measure without a target) of the selected tasks."""
    actions, tasks = load_tasks()
    if selected is not None:
        tasks = tasks[tasks["number"].isin(selected)]
    rows = []
    for t in tasks.itertuples():
        base = {
            "task": t.number,
            "action": t.action,
            "action_name": actions[t.action]["name"],
            "title": t.title,
            "lead_unit": t.lead_unit,
            "units": "、".join(t.units),
        }
        for target in t.targets:
            series = compute(target["measure"], ctx)
            st, judged = scoped_status(ctx, target, series, year)
            rows.append(
                {
                    **base,
                    "measure": target["measure"],
                    "label": label(target["measure"]),
                    "text": target.get("text", label(target["measure"])),
                    "comparator": target["comparator"],
                    "value": float(target["value"]),
                    "unit": target["unit"],
                    "basis": target["basis"],
                    "reading": target.get("reading"),
                    "series": series,
                    "judged": judged,
                    "status": st,
                }
            )
        for m in t.measure_only:
            series = compute(m, ctx)
            latest = series.get(year) if series is not None else None
            rows.append(
                {
                    **base,
                    "measure": m,
                    "label": label(m),
                    "text": f"跟踪：{label(m)}",
                    "comparator": None,
                    "value": None,
                    "unit": "",
                    "basis": "measure_only",
                    "reading": "方案未设量化目标 no number in the plan",
                    "series": series,
                    "judged": latest,
                    "status": NO_TARGET,
                }
            )
    return pd.DataFrame(rows)


def goal_rows(ctx: Context, year: int) -> pd.DataFrame:
    """Each headline goal of 二、实施目标 with its series (evaluation figures or tracker measures) and status."""
    _, goals = load_goals()
    figures = figures_by_year({y: ev.evaluated for y, ev in ctx.evaluations.items()})
    judged_year = ctx.evaluations.get(year)
    goals["text"] = labelled_texts(goals, judged_year.evaluated if judged_year is not None else None)
    rows = []
    for g in goals.itertuples():
        if isinstance(g.measure, str):
            series, basis = figures[g.measure], "level"
        elif isinstance(getattr(g, "progress", None), str):
            series, basis = compute(g.progress, ctx), g.basis
        else:
            series, basis = None, "level"
        target = {"comparator": g.comparator, "value": g.value, "basis": basis, "deadline": g.deadline}
        st, judged = scoped_status(ctx, target, series, year)
        rows.append(
            {
                "id": g.id,
                "text": g.text,
                "value": float(g.value),
                "comparator": g.comparator,
                "unit": g.unit,
                "basis": basis,
                "series": series,
                "judged": judged,
                "status": st,
            }
        )
    return pd.DataFrame(rows)
