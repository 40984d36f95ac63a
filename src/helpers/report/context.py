"""The run context: a notebook's parameters turned, in one call, into everything its sections use.

    ctx = build_context(data_dir="data/sample", year=2023, streets="乔司街道")
    ctx.ev.evaluated            # the shown enterprises, with their district classes
    ctx.district_ev.evaluated   # the whole district (the same classes)
    ctx.goal("tax_per_mu")      # the plan's headline goal (data/plan/goals.yaml)

Every year of the data folder is evaluated once, district-wide; the 街道 filter is a view of that
evaluation (``helpers.evaluate.evaluation.view``), unless ``rank_within_streets`` asks for a
ranking among the chosen 街道 only. The plan's targets are read from ``data/plan/``, never typed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd

from helpers.core import disclosure, paths
from helpers.core.errors import InputError
from helpers.core.geography import load_boundary
from helpers.evaluate.evaluation import Evaluation, evaluate, view
from helpers.evaluate.land import check_land_basis
from helpers.evaluate.methods import Method, load_method
from helpers.evaluate.scope import parse_streets
from helpers.evaluate.stored import district_evaluations
from helpers.io.dataset import Dataset, load_dataset
from helpers.plan.goals import load_goals
from helpers.plan.tasks import load_tasks
from helpers.policy.energy import load_budget_rule
from helpers.policy.low_efficiency import RULE_FILE, Rule, load_rule
from helpers.report.narrative import scope_text, task_heading
from helpers.viz.style import setup_plotting

T = TypeVar("T")


@dataclass
class RunContext:
    """What one run of a notebook works on. ``evaluations`` and ``district`` hold every year of the
    data folder: the view and the whole district."""

    parameters: dict
    dataset: Dataset
    method: Method
    year: int
    streets: list[str] | None
    rank_within_streets: bool
    district: dict[int, Evaluation]
    evaluations: dict[int, Evaluation]
    rule: Rule
    budget: dict
    output_dir: Path
    boundary_source: str = "tianditu"
    plan: dict = field(default_factory=dict)
    goals: pd.DataFrame = field(default_factory=pd.DataFrame)
    year_note: str = ""
    _memo: dict = field(default_factory=dict, repr=False)

    def memo(self, key: str, compute: Callable[[], T]) -> T:
        """``compute()`` once per context: values several sections use (screening, hot spots …)."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def option(self, name: str, default: T) -> T:
        """A page's own parameter (``build_context``'s ``options``), ``default`` where the notebook
        did not give it or gave None."""
        value = self.parameters.get(name)
        return default if value is None else value

    def choice(self, name: str, default: str, choices: Iterable[str]) -> str:
        """``option`` as text, one of ``choices`` (an ``InputError`` naming them otherwise)."""
        value, allowed = str(self.option(name, default)), list(choices)
        if value not in allowed:
            raise InputError(f"parameter {name}", f"{value!r} is not a choice", expected=" or ".join(allowed))
        return value

    def whole_number(self, name: str, default: int, minimum: int, meaning: str) -> int:
        """``option`` as a whole number ≥ ``minimum`` (not a switch, not a fraction); ``meaning`` is
        said in the ``InputError`` otherwise."""
        value = self.option(name, default)
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
            raise InputError(f"parameter {name}", f"{value!r}", expected=f"a whole number ≥ {minimum} ({meaning})")
        return int(value)

    @property
    def ev(self) -> Evaluation:
        """The evaluation of the judged year, as shown (the 街道 view)."""
        return self.evaluations[self.year]

    @property
    def district_ev(self) -> Evaluation:
        """The evaluation of the judged year over the whole district."""
        return self.district[self.year]

    @property
    def synthetic(self) -> bool:
        return self.dataset.synthetic

    @property
    def filtered(self) -> bool:
        return bool(self.streets)

    @property
    def scope(self) -> str:
        return scope_text(self.streets)

    @property
    def plan_id(self) -> str:
        return str(self.plan.get("id", ""))

    @property
    def plan_title(self) -> str:
        return str(self.plan.get("title", ""))

    def plan_actions(self) -> dict[int, str]:
        """The plan's four 攻坚行动 {number: name} (data/plan/tasks.yaml ``actions``)."""
        actions = self.memo("actions", lambda: load_tasks()[0])
        return {int(k): str(v["name"]) for k, v in actions.items()}

    def plan_ref(self, where: str) -> str:
        """The plan's number followed by ``where`` (a section or task), for chart footers."""
        return f"{self.plan_id} {where}"

    def goal(self, goal_id: str) -> pd.Series:
        """A headline goal of 二、实施目标 (data/plan/goals.yaml): ``value``, ``unit``, ``text`` …"""
        found = self.goals[self.goals["id"] == goal_id]
        if found.empty:
            raise KeyError(f"no goal {goal_id!r} in data/plan/goals.yaml; known: {', '.join(self.goals['id'])}")
        return found.iloc[0]

    @property
    def tasks(self) -> pd.DataFrame:
        """The plan's 20 tasks with their targets (data/plan/tasks.yaml), read once per context."""
        return self.memo("tasks", lambda: load_tasks()[1])

    def task_heading(self, number: int) -> str:
        """Task ``number``'s heading, "任务N title", with its stable anchor (``narrative.task_heading``)."""
        title = self.tasks.set_index("number").loc[number, "title"]
        return task_heading(number, str(title))

    def target(self, measure: str) -> dict:
        """The target of a task that names ``measure`` (data/plan/tasks.yaml), with its task number."""
        for t in self.tasks.itertuples():
            for target in t.targets:
                if target["measure"] == measure:
                    return {**target, "task": t.number}
        raise KeyError(f"no task target measures {measure!r} (data/plan/tasks.yaml)")

    def boundary(self):
        """The district boundary of ``boundary_source``, read once per context."""
        return self.memo("boundary", lambda: load_boundary(self.boundary_source))

    def zones(self):
        """The 街道 zones shown: all of them, or the chosen 街道's."""
        zones = self.dataset.zones
        return zones if not self.streets else zones[zones["street_code"].isin(self.streets)]

    def out_dir(self) -> Path:
        self.output_dir.mkdir(parents=True, exist_ok=True)
        return self.output_dir


def build_context(
    data_dir: str | Path = paths.SAMPLE_DIR,
    year: int | None = None,
    streets: str | list | None = "all",
    method: str = "linping_default",
    anonymize: bool = False,
    generalize_m: float = 0,
    rank_within_streets: bool = False,
    output_dir: str | Path = "reports/interactive",
    boundary_source: str = "tianditu",
    rule: str | Path = RULE_FILE,
    clearance_line: float | None = None,
    budget_rule: str | Path | None = None,
    year_parameter: str = "year",
    latest_year: bool = False,
    land_basis: str = "declared",
    round_figures: int = 0,
    plot: bool = True,
    **options,
) -> RunContext:
    """Load the data folder, evaluate each of its years district-wide and apply the 街道 view.

    ``year``: the year judged (``year_parameter`` names it in messages); None or "latest": the
    latest year of the data folder. ``land_basis``: the 亩均 denominator (``evaluate.land``:
    "declared" 用地面积 where the data carry it, else the parcels'; "parcels"). With ``latest_year`` a
    year missing from the folder is replaced by the latest year before it (or the latest year of
    the folder), and ``year_note`` says so; otherwise a missing year is an error naming the years
    there are. ``round_figures``: significant figures of every table and exported file for a shared
    run (0: exact; ``core.disclosure``, kernel-wide like the plotting style). ``options``: a page's
    own parameters, kept in ``parameters``."""
    if plot:
        setup_plotting()
    disclosure.use(round_figures)
    codes = parse_streets(streets)
    method_spec = load_method(method)
    folder = paths.resolve(data_dir)
    dataset = load_dataset(folder, anonymize=anonymize, generalize_m=generalize_m)
    note = ""
    check_land_basis(land_basis)
    if year is None or str(year).strip().lower() == "latest":
        year = dataset.years[-1]
    if latest_year and int(year) not in dataset.years:
        earlier = [y for y in dataset.years if y <= int(year)] or dataset.years
        note = (
            f"数据中无 {year} 年，改用 {earlier[-1]} 年 — no {year} in the data folder "
            f"(years {', '.join(map(str, dataset.years))}); {earlier[-1]} is used."
        )
        year = earlier[-1]
    year = dataset.require_year(int(year), year_parameter)
    rule_spec = load_rule(paths.resolve(rule))
    if clearance_line is not None:
        rule_spec = replace(rule_spec, clearance_line=float(clearance_line))
    budget = load_budget_rule(paths.resolve(budget_rule)) if budget_rule else load_budget_rule()
    district = district_evaluations(
        dataset, folder, method_spec, land_basis, generalize_m
    )  # evaluated once, read by every kernel
    shown = {}
    ranked_within = bool(rank_within_streets and codes)
    for y in dataset.years:
        shown[y] = (
            evaluate(dataset, y, method_spec, codes, rank_within_streets=True, land_basis=land_basis)
            if ranked_within
            else view(district[y], codes)
        )
    plan, goals = load_goals()
    parameters = {
        "data_dir": str(data_dir),
        "year": year,
        "streets": streets,
        "method": method,
        "anonymize": anonymize,
        "generalize_m": generalize_m,
        "rank_within_streets": rank_within_streets,
        "land_basis": land_basis,
        "round_figures": round_figures,
        **options,
    }
    return RunContext(
        parameters=parameters,
        dataset=dataset,
        method=method_spec,
        year=int(year),
        streets=codes,
        rank_within_streets=ranked_within,
        district=district,
        evaluations=shown,
        rule=rule_spec,
        budget=budget,
        output_dir=paths.resolve(output_dir),
        boundary_source=boundary_source,
        plan=plan,
        goals=goals,
        year_note=note,
    )
