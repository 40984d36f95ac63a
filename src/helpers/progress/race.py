"""The 街道 race (赛马, 临平政办〔2022〕92号 五(三)): the plan's measurable goals and targets broken
down to each 街道/镇 wherever the data allow, ranked, with the change since the previous year.

A goal or target — and each measure the plan tracks without a number that ``data/plan/race.yaml`` names,
in the plan's direction — is in the race when its measure can be computed for one 街道 (its series is
not None under a 街道 view, ``progress.measures``); the others are listed with "no 街道 breakdown".
The plan's targets are the district's: a 街道 is never judged 达标 against them. Each measure ranks
the 街道 by value in the target's direction (higher is better for ">=", lower for "<="); the
league orders them by their mean rank percentile over the measures they have a value for (1 = first
everywhere); the last ``bottom`` are marked as the plan marks the units it 通报约谈 (the plan gives
no number: a parameter, stated on the page). Counts are absolute, as the plan's targets are, so a
larger 街道 has more to count; rates (亩均税收 …) are compared as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pandas as pd

from helpers.core import paths
from helpers.core.yamlfile import load_yaml
from helpers.evaluate.evaluation import view
from helpers.plan.goals import figures_by_year, load_goals
from helpers.plan.tasks import load_tasks, status
from helpers.progress.measures import Context, compute, label

DEFAULT_BOTTOM = 2  # 街道 marked 通报约谈 (the plan says 排名靠后 without a number)
RACE_FILE = paths.PLAN_DIR / "race.yaml"  # measures the plan tracks without a number that the race ranks too
UNSET = "方案未设数值 no number in the plan"
SUMMONED = "通报约谈"
NO_BREAKDOWN = "无街道数据 no 街道 breakdown in the data"
PANEL_SOURCE = "企业年度数据 panel (评价 evaluation)"


class _Logged(dict):
    """The evaluations, noting that a measure read them."""

    def __init__(self, data: dict, log: set):
        super().__init__(data)
        self._log = log

    def __getitem__(self, key):
        self._log.add(PANEL_SOURCE)
        return super().__getitem__(key)

    def get(self, key, default=None):
        self._log.add(PANEL_SOURCE)
        return super().get(key, default)

    def items(self):
        self._log.add(PANEL_SOURCE)
        return super().items()

    def values(self):
        self._log.add(PANEL_SOURCE)
        return super().values()


class _LoggedDataset:
    """The dataset, noting which of its core tables a measure reads (by the data contract's names)."""

    TABLES = {"enterprises": "enterprises", "parcels": "parcels", "links": "enterprise_parcels", "panel": "panel"}

    def __init__(self, dataset, log: set):
        self._dataset, self._log = dataset, log

    def __getattr__(self, name):
        if name in self.TABLES:
            self._log.add(self.TABLES[name])
        return getattr(self._dataset, name)


@dataclass
class _Recording(Context):
    """A measures context that notes which tables a measure reads: its source."""

    read: set = field(default_factory=set)

    def record(self, name: str):
        self.read.add(name)
        return super().record(name)


def sources_of(measure: str, ctx: Context) -> tuple[pd.Series | None, str]:
    """The measure's series on ``ctx`` and the tables it was computed from (``、``-joined)."""
    read: set = set()
    logged = _Recording(
        dataset=_LoggedDataset(ctx.dataset, read),  # type: ignore[arg-type]  # a stand-in that forwards every attribute
        evaluations=_Logged(ctx.evaluations, read),
        streets=ctx.streets,
        rule=ctx.rule,
        budget=ctx.budget,
        plan_years=ctx.plan_years,
        memo=ctx.memo,
        read=read,
    )
    series = compute(measure, logged)
    return series, "、".join(sorted(read)) or "—"


def race_targets() -> list[dict]:
    """Every goal and target with a direction: id, task (None for a goal), text, comparator,
    value, unit, basis, deadline, and how its series is found (``measure`` or ``figure``)."""
    _, goals = load_goals()
    out: list[dict] = []
    for g in goals.itertuples():
        if isinstance(g.measure, str):
            out.append({"figure": g.measure, "basis": "level"})
        elif isinstance(getattr(g, "progress", None), str):
            out.append({"measure": g.progress, "basis": g.basis})
        else:
            continue
        out[-1].update(
            id=f"goal:{g.id}",
            task=None,
            text=g.text,
            comparator=g.comparator,
            value=float(g.value),
            unit=g.unit,
            deadline=g.deadline,
        )
    _, tasks = load_tasks()
    extras: dict[int, list[dict]] = {}
    for extra in load_yaml(RACE_FILE).get("extra") or []:
        extras.setdefault(int(extra["task"]), []).append(extra)
    for t in tasks.itertuples():
        for extra in extras.get(t.number, []):  # tracked without a number: ranked in the plan's direction
            out.append(
                {
                    "id": f"task{t.number}:{extra['measure']}",
                    "measure": extra["measure"],
                    "task": t.number,
                    "text": f"{label(extra['measure'])}（{UNSET}）",
                    "comparator": ">=" if extra["direction"] == "higher" else "<=",
                    "value": float("nan"),
                    "unit": "",
                    "basis": extra["basis"],  # no deadline: the plan period's last year
                }
            )
        for target in t.targets:
            out.append(
                {
                    "id": f"task{t.number}:{target['measure']}",
                    "measure": target["measure"],
                    "task": t.number,
                    "text": target.get("text", label(target["measure"])),
                    "comparator": target["comparator"],
                    "value": float(target["value"]),
                    "unit": target["unit"],
                    "basis": target["basis"],
                    "deadline": target.get("deadline"),
                }
            )
    return out


def _series(target: dict, ctx: Context, figures: pd.DataFrame) -> tuple[pd.Series | None, str]:
    if "figure" in target:
        return figures[target["figure"]], PANEL_SOURCE
    return sources_of(target["measure"], ctx)


def _figures(ctx: Context) -> pd.DataFrame:
    return figures_by_year({y: ev.evaluated for y, ev in ctx.evaluations.items()})


@dataclass
class Race:
    """``values``: one row per (target, 街道) with the value judged this year and last, ranks and the
    source; ``league``: one row per 街道 with its mean rank percentile, rank, change and mark;
    ``without_breakdown``: the goals and targets the data do not break down by 街道."""

    year: int
    previous: int | None
    values: pd.DataFrame
    league: pd.DataFrame
    without_breakdown: pd.DataFrame


def _rank(values: pd.Series, higher_is_better: bool) -> pd.Series:
    return values.rank(ascending=not higher_is_better, method="min")


def _league(values: pd.DataFrame, column: str) -> pd.Series:
    """Mean rank percentile per 街道 over the measures it has a value for (1: first in all)."""
    ranked = values[values[column].notna()]
    n = ranked.groupby("id")[column].transform("count")
    pct = 1 - (ranked[column] - 1) / (n - 1).clip(lower=1)  # 1 for the first, 0 for the last
    return pct.groupby(ranked["street_code"]).mean()


def street_race(ctx: Context, streets: pd.DataFrame, year: int, bottom: int = DEFAULT_BOTTOM) -> Race:
    """The race of the 街道 in ``streets`` (``street_code``, ``street_name``) in ``year`` over the
    district context ``ctx`` (its evaluations are the whole district's), with last year's standing
    where the data have the year before."""
    previous = year - 1 if (year - 1) in ctx.evaluations else None
    rows, missing = [], []
    targets = race_targets()
    for street in streets.itertuples():
        sctx = replace(
            ctx,
            evaluations={y: view(ev, [street.street_code]) for y, ev in ctx.evaluations.items()},
            streets=[street.street_code],
        )
        figures = _figures(sctx)
        for target in targets:
            series, source = _series(target, sctx, figures)
            if series is None:
                if street.Index == streets.index[0]:
                    _, source = sources_of(target["measure"], ctx)  # a figure always breaks down
                    missing.append(
                        {**{k: target[k] for k in ("id", "task", "text", "unit")}, "source": source, "note": NO_BREAKDOWN}
                    )
                continue
            _, now = status(target, series, year, ctx.plan_years)
            _, before = status(target, series, previous, ctx.plan_years) if previous else (None, None)
            rows.append(
                {
                    **{k: target[k] for k in ("id", "task", "text", "comparator", "value", "unit", "basis")},
                    "street_code": street.street_code,
                    "street_name": street.street_name,
                    "value_now": now,
                    "value_before": before,
                    "source": source,
                }
            )
    values = pd.DataFrame(rows)
    if values.empty:
        return Race(year, previous, values, pd.DataFrame(), pd.DataFrame(missing))
    values["change"] = values["value_now"] - values["value_before"]
    higher = values["comparator"].isin([">=", ">"])
    for column, rank in (("value_now", "rank_now"), ("value_before", "rank_before")):
        values[rank] = pd.concat(
            [_rank(g[column], bool(higher.loc[g.index].iloc[0])) for _, g in values.groupby("id", sort=False)]
        ).reindex(values.index)
    league = pd.DataFrame({"score_now": _league(values, "rank_now"), "score_before": _league(values, "rank_before")})
    league["measures"] = values[values["value_now"].notna()].groupby("street_code")["id"].count()
    league = streets.set_index("street_code")[["street_name"]].join(league)
    league["rank"] = league["score_now"].rank(ascending=False, method="min")
    league["rank_before"] = league["score_before"].rank(ascending=False, method="min")
    league["rank_change"] = league["rank_before"] - league["rank"]  # + moved up
    league = league.sort_values(["rank", "street_name"])
    league["mark"] = ""
    ranked = league[league["rank"].notna()]
    league.loc[ranked.index[-bottom:] if bottom > 0 else [], "mark"] = SUMMONED
    return Race(year, previous, values, league.reset_index(), pd.DataFrame(missing))


__all__ = ["DEFAULT_BOTTOM", "Race", "SUMMONED", "race_targets", "sources_of", "street_race"]
