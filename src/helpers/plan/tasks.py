"""The plan as data (data/plan/): the 20 tasks with their targets and responsible units, the headline
goals, the policy measures; and the status of a target in a year.

Status of a target with data for the evaluated ``year`` (``plan_years``: the plan period, default 2022-2023,
the other reading 2021-2023 — ``plan_period``; the baseline is the year before it):

- ``level`` / ``share``: the year's value. Met → 达标. Deadline passed and not met → 落后. Before the
  deadline: on or past the straight line from the 2021 baseline to the target → 按进度, else 落后
  (without a baseline the pace cannot be judged: 落后 until met).
- ``new``: the sum of new items over the plan years up to ``year``. Met → 达标. Deadline passed → 落后.
  Before it: at least the target's share for the plan years elapsed → 按进度, else 落后.
- ``per_year``: every plan year up to ``year`` must satisfy the target; all do → 达标, any does not → 落后.
- No value where one is needed → 无数据. Comparators ``<=``/``<`` (e.g. no parcel left under a line)
  reverse the direction of "on track".
"""

from __future__ import annotations

import operator

import pandas as pd

from helpers.core import paths
from helpers.core.errors import InputError
from helpers.core.yamlfile import load_yaml

TASKS_FILE = paths.PLAN_DIR / "tasks.yaml"
MEASURES_FILE = paths.PLAN_DIR / "measures.yaml"
PLAN_YEARS = (2022, 2023)  # the default reading (data/plan/tasks.yaml default_plan_period)
BASELINE_YEAR = 2021
COMPARATORS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}
BASES = {"level", "share", "new", "per_year"}
MET, ON_TRACK, BEHIND, NO_DATA, NO_TARGET = "达标", "按进度", "落后", "无数据", "无量化目标"
# Under a 街道 filter a district target is not judged: the 街道's value is shown beside it, never "达标".
STREET_VIEW = "街道值·不对标"


def load_tasks(path=TASKS_FILE) -> tuple[dict, pd.DataFrame]:
    """Actions and one row per task (number, action, title, units, lead_unit, targets, measure_only);
    a malformed file raises ``InputError`` naming the task and field."""
    raw = load_yaml(path)
    rows = []
    for t in raw["tasks"]:
        where = f"task {t.get('number')}"
        if not t.get("units"):
            raise InputError(path, "no responsible unit", column=where, expected="units, lead unit first")
        for k, target in enumerate(t.get("targets") or []):
            missing = [f for f in ("measure", "comparator", "value", "unit", "basis") if target.get(f) in (None, "")]
            if missing:
                raise InputError(
                    path,
                    f"target {k} lacks {', '.join(missing)}",
                    column=where,
                    expected="measure, comparator, value, unit and basis for every target",
                )
            if target["comparator"] not in COMPARATORS or target["basis"] not in BASES:
                raise InputError(
                    path,
                    f"target {k}: comparator {target['comparator']!r} / basis {target['basis']!r}",
                    column=where,
                    expected=f"comparator in {list(COMPARATORS)}, basis in {sorted(BASES)}",
                )
        rows.append(
            {
                "number": int(t["number"]),
                "action": int(t["action"]),
                "title": t["title"],
                "units": list(t["units"]),
                "lead_unit": t["units"][0],
                "targets": list(t.get("targets") or []),
                "measure_only": list(t.get("measure_only") or []),
            }
        )
    tasks = pd.DataFrame(rows).sort_values("number").reset_index(drop=True)
    return raw["actions"], tasks


def plan_period(name: str | None = None, path=TASKS_FILE) -> tuple[tuple[int, ...], str]:
    """(years, reading) of the plan period ``name`` (data/plan/tasks.yaml ``plan_periods``; None: the
    default); an unknown name is an ``InputError`` listing the readings there are."""
    raw = load_yaml(path)
    periods = raw["plan_periods"]
    name = str(name or raw["default_plan_period"])
    if name not in periods:
        raise InputError(path, f"unknown plan period {name!r}", column="plan_periods", expected=f"one of {', '.join(periods)}")
    return tuple(int(y) for y in periods[name]["years"]), f"{name}: {periods[name]['reading']}"


def load_policy_measures(path=MEASURES_FILE) -> pd.DataFrame:
    return pd.DataFrame(load_yaml(path)["measures"])


def status(
    target: dict, series: pd.Series | None, year: int, plan_years: tuple[int, ...] = PLAN_YEARS
) -> tuple[str, float | None]:
    """(status, the value judged) of ``target`` in ``year`` given its yearly ``series``, over ``plan_years``."""
    baseline = plan_years[0] - 1
    if series is None:
        return NO_DATA, None
    series = series.dropna()
    cmp = COMPARATORS[target["comparator"]]
    goal = float(target["value"])
    deadline = int(target.get("deadline", plan_years[-1]))
    upward = target["comparator"] in (">=", ">")
    basis = target["basis"]
    if basis == "per_year":
        years = [y for y in plan_years if y <= year]
        if year not in series.index or not years:
            return NO_DATA, None
        judged = [y for y in years if y in series.index]
        ok = all(cmp(series[y], goal) for y in judged)
        return (MET if ok else BEHIND), float(series[year])
    if basis == "new":
        years = [y for y in plan_years if y <= year]
        if not years or year not in series.index:
            return NO_DATA, None
        achieved = float(series.reindex(years).fillna(0).sum())
        if cmp(achieved, goal):
            return MET, achieved
        if year >= deadline:
            return BEHIND, achieved
        expected = goal * len(years) / len(plan_years)
        on_track = achieved >= expected if upward else achieved <= expected
        return (ON_TRACK if on_track else BEHIND), achieved
    # level / share
    if year not in series.index:
        return NO_DATA, None
    value = float(series[year])
    if cmp(value, goal):
        return MET, value
    if year >= deadline or baseline not in series.index or year <= baseline:
        return BEHIND, value
    base = float(series[baseline])
    expected = base + (goal - base) * (year - baseline) / (deadline - baseline)
    on_track = value >= expected if upward else value <= expected
    return (ON_TRACK if on_track else BEHIND), value
