"""Yearly series for every measure the plan's targets name (data/plan/tasks.yaml, goals.yaml).

A measure is a function of a ``Context`` (the data folder, its evaluation per year, the 街道 filter
and the rules) returning a Series indexed by year: the level, the share, or the new items of that
year, as the target's basis expects. Measures drawn from district-level outcome counts return
``None`` under a 街道 filter (the counts are not kept per 街道), which the tracker shows as 无数据.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from helpers.core.keys import is_in
from helpers.evaluate.evaluation import Evaluation
from helpers.io.dataset import Dataset
from helpers.plan.tasks import PLAN_YEARS
from helpers.policy.energy import above_control_line, new_producers
from helpers.policy.low_efficiency import Rule, below_clearance, in_scope, screen
from helpers.policy.programmes import completions, energy_freed, stars_by_year

MEASURES: dict[str, tuple[str, Callable]] = {}


@dataclass
class Context:
    dataset: Dataset
    evaluations: dict[int, Evaluation]
    streets: list[str] | None
    rule: Rule
    budget: dict
    plan_years: tuple[int, ...] = PLAN_YEARS  # the plan period (plan.tasks.plan_period)
    # values found once and shared by the contexts ``replace`` makes of this one (keyed by what they depend on)
    memo: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def years(self) -> list[int]:
        return sorted(self.evaluations)

    def codes(self) -> pd.Series:
        """The credit codes of the register's enterprises in the context's 街道 (all: the district)."""
        e = self.dataset.enterprises  # read each time: a measure's sources are the tables it reads
        key = ("codes", id(e), None if self.streets is None else tuple(self.streets))
        if key not in self.memo:
            self.memo[key] = (
                e["credit_code"] if self.streets is None else e.loc[e["street_code"].isin(self.streets), "credit_code"]
            )
        return self.memo[key]

    def mine(self, codes: pd.Series) -> np.ndarray:
        """Which of ``codes`` are enterprises of the context's 街道 (``codes``)."""
        return is_in(codes, self.codes())

    def record(self, name: str) -> pd.DataFrame | None:
        return self.dataset.records.get(name)


def measure(name: str, label: str):
    def register(fn):
        MEASURES[name] = (label, fn)
        return fn

    return register


def compute(name: str, ctx: Context) -> pd.Series | None:
    if name not in MEASURES:
        raise KeyError(f"no measure {name!r}; known: {', '.join(sorted(MEASURES))}")
    series = MEASURES[name][1](ctx)
    return None if series is None else series.astype(float).sort_index()


def label(name: str) -> str:
    return MEASURES[name][0]


def _has(frame: pd.DataFrame | None, *columns: str) -> bool:
    """The optional ``columns`` are in ``frame`` with at least one value: a measure that needs a
    field the folder does not hold returns None (shown as 无数据), never a count of zero."""
    return frame is not None and all(c in frame and frame[c].notna().any() for c in columns)


def _by_year(values: dict) -> pd.Series:
    return pd.Series(values, dtype=float)


# ---------------------------------------------------------------- evaluation and low efficiency (tasks 1-5)
EXITED = "已退出"  # remediation stage of an enterprise that has left


@measure("screening_coverage", "排查覆盖率（排查范围内企业已有数据并评价的占比）")
def _screening(ctx):
    """任务1: of the enterprises in the screening's scope — every enterprise of the register that is
    制造业 and 规上, or has the scope's land (those without a row for the year included: whether they
    were screened is the question), less those reported as not yet producing and those the remediation
    ledger records as gone (已退出) by the year — the share evaluated."""
    out = {}
    rem = ctx.record("remediation")
    for y, ev in ctx.evaluations.items():
        e = ev.enterprises[ev.enterprises["status"] != "filtered"]
        not_producing = e["has_panel"] & ~e["in_production"].fillna(True).astype(bool)
        gone = (
            pd.Series(
                is_in(e["credit_code"], rem.loc[(rem["stage"] == EXITED) & (rem["year"] <= y), "credit_code"]), index=e.index
            )
            if rem is not None
            else False
        )
        candidates = ~not_producing & ~gone & in_scope(e, ctx.rule)
        screened = candidates & (e["status"] == "evaluated")
        out[y] = screened.sum() / candidates.sum() if candidates.sum() else float("nan")
    return _by_year(out)


@measure("listed_enterprises", "列入高耗低效清单企业数")
def _listed(ctx):
    return _by_year({y: int(screen(ev.evaluated, ctx.rule)["listed"].sum()) for y, ev in ctx.evaluations.items()})


@measure("remediation_completed", "完成整治企业数（当年）")
def _remediation_completed(ctx):
    rem = ctx.record("remediation")
    if rem is None:
        return None
    done = completions(rem[ctx.mine(rem["credit_code"])])
    return done.groupby("year").size().reindex(ctx.years, fill_value=0)


@measure("new_projects_above_energy_line", "新投产且单位增加值能耗高于控制线的企业数")
def _heavy_new(ctx):
    out = {}
    for y in ctx.years:
        if y - 1 not in ctx.evaluations:
            continue
        cur = ctx.evaluations[y].enterprises
        new = cur[new_producers(cur, ctx.evaluations[y - 1].enterprises)]
        out[y] = int(above_control_line(new, ctx.budget).sum())
    return _by_year(out)


@measure("standard_land_share", "新增工业用地标准地出让比例")
def _standard(ctx):
    p = ctx.dataset.parcels
    if not _has(p, "grant_year", "standard_land"):
        return None
    if ctx.streets is not None:
        p = p[p["street_code"].isin(ctx.streets)]
    p = p[p["grant_year"].isin(ctx.years)]
    g = p.groupby("grant_year")["standard_land"].agg(lambda s: s.fillna(False).astype(bool).mean())
    return g.rename_axis(None)


@measure("clearance_parcels", "亩均税收低于出清线的宗地数")
def _clearance(ctx):
    return _by_year({y: int(below_clearance(ev.parcels, ctx.rule.clearance_line).sum()) for y, ev in ctx.evaluations.items()})


@measure("green_factories_new", "新增市级以上绿色工厂（家）")
def _green(ctx):
    g = ctx.record("green_factories")
    if g is None:
        return None
    return g[ctx.mine(g["credit_code"])].groupby("year").size().reindex(ctx.years, fill_value=0)


def _in_streets(frame: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    return frame if ctx.streets is None else frame[frame["street_code"].isin(ctx.streets)]


@measure("incubators", "省级以上孵化器（众创空间）累计（个）")
def _incubators(ctx):
    inc = ctx.record("incubators")
    if inc is None:
        return None
    inc = _in_streets(inc, ctx)
    return _by_year({y: int((inc["recognised_year"] <= y).sum()) for y in ctx.years})


def _stars(ctx, column):
    parks, ratings = ctx.record("parks"), ctx.record("park_ratings")
    if parks is None or ratings is None:
        return None
    keep = set(_in_streets(parks, ctx)["park_id"])
    return stars_by_year(ratings[ratings["park_id"].isin(keep)])[column].reindex(ctx.years, fill_value=0)


@measure("parks_three_star", "三星级及以上小微企业园（个）")
def _parks3(ctx):
    return _stars(ctx, "三星级及以上")


@measure("parks_four_star", "四星级及以上小微企业园（个）")
def _parks4(ctx):
    return _stars(ctx, "四星级及以上")


@measure("land_renewed", "工业用地有机更新（亩，当年）")
def _renewed(ctx):
    lr = ctx.record("land_renewal")
    if lr is None:
        return None
    if ctx.streets is not None:
        p = ctx.dataset.parcels
        lr = lr[is_in(lr["parcel_id"], p.loc[p["street_code"].isin(ctx.streets), "parcel_id"])]
    return lr.groupby("year")["area_mu"].sum().reindex(ctx.years, fill_value=0.0)


@measure("energy_freed", "已完成整治腾出用能（吨标准煤，当年）")
def _energy_freed(ctx):
    rem = ctx.record("remediation")
    if rem is None:
        return None
    e = energy_freed(rem[ctx.mine(rem["credit_code"])], ctx.dataset.panel, ctx.rule)
    return e.set_index("year")["energy_freed_tce"].reindex(ctx.years, fill_value=0.0)


# ---------------------------------------------------------------- enterprise attributes (tasks 8, 9, 17-19)
def _attribute(ctx, attribute: str, new: bool):
    """Holders of ``attribute`` (cumulative, or new per year); None (无数据) when the data record no
    holder of it at all: an attribute a folder does not record is unknown, not zero."""
    a = ctx.record("enterprise_attributes")
    if a is None or not (a["attribute"] == attribute).any():
        return None
    a = a[(a["attribute"] == attribute).to_numpy(dtype=bool, na_value=False) & ctx.mine(a["credit_code"])]
    if new:
        return a.groupby("year").size().reindex(ctx.years, fill_value=0)
    return _by_year({y: int((a["year"] <= y).sum()) for y in ctx.years})


def _coverage(ctx, attribute: str):
    """Share of the evaluated 规上 enterprises holding ``attribute`` by the year; None (无数据) when the
    data record no holder of it at all."""
    a = ctx.record("enterprise_attributes")
    if a is None or not (a["attribute"] == attribute).any():
        return None
    a = a[a["attribute"] == attribute]
    out = {}
    for y, ev in ctx.evaluations.items():
        evaluated = ev.evaluated  # a filter of the whole frame each time it is asked for
        above = evaluated.loc[evaluated["above_scale"].astype(bool), "credit_code"]
        out[y] = is_in(above, a.loc[a["year"] <= y, "credit_code"]).mean() if len(above) else float("nan")
    return _by_year(out)


for _name, _label, _attr, _new in [
    ("high_tech_enterprises", "国家高新技术企业（家）", "high_tech", False),
    ("tech_smes", "省科技型中小企业（家）", "tech_sme", False),
    ("specialised_new", "新增专精特新等企业（家）", "specialised", True),
    ("eagle_enterprises", "雏鹰、鲲鹏、独角兽企业累计（家）", "eagle", False),
    ("provincial_rd_institutions", "省级企业研发机构（家）", "provincial_rd", False),
    ("national_tech_centres_new", "新增国家级企业技术中心（家）", "national_tech_centre", True),
    ("pinzibiao_new", "新增“品字标”品牌企业（家）", "pinzibiao", True),
    ("service_manufacturing_demos", "省级服务型制造示范企业（平台）（家）", "service_mfg_demo", False),
    ("service_manufacturing_demos_new", "新增省级服务型制造示范企业（平台）（家）", "service_mfg_demo", True),
]:
    measure(_name, _label)(lambda ctx, a=_attr, n=_new: _attribute(ctx, a, n))

measure("rd_institution_coverage", "规上企业研发机构覆盖率")(lambda ctx: _coverage(ctx, "rd_institution"))
measure("digital_coverage", "规上企业数字化技术改造覆盖率")(lambda ctx: _coverage(ctx, "digital_transformation"))
measure("digital_diagnosis_coverage", "规上企业数字化诊断覆盖率")(lambda ctx: _coverage(ctx, "digital_diagnosis"))
measure("industrial_internet_coverage", "规上企业工业互联网平台覆盖率")(lambda ctx: _coverage(ctx, "industrial_internet"))


@measure("rd_activity_coverage", "规上企业研发活动覆盖率（R&D经费支出>0）")
def _rd_activity(ctx):
    """任务8's 研发活动全覆盖: the share of the evaluated 规上 enterprises with R&D spending above 0 in the year."""
    out = {}
    for y, ev in ctx.evaluations.items():
        evaluated = ev.evaluated
        above = evaluated[evaluated["above_scale"].astype(bool)]
        rd = above["rd_10k_yuan"].astype(float)
        out[y] = float((rd > 0).sum() / rd.notna().sum()) if rd.notna().any() else float("nan")
    return _by_year(out)


# ---------------------------------------------------------------- investment projects (tasks 10-14)
def _projects(ctx):
    p = ctx.record("projects")
    return None if p is None else _in_streets(p, ctx)


@measure("signed_manufacturing_share", "制造业项目占签约项目比重")
def _signed_mfg(ctx):
    p = _projects(ctx)
    return None if p is None else p.groupby("signed_year")["manufacturing"].mean().rename_axis(None)


@measure("landing_rate", "当年签约项目落地率")
def _landing(ctx):
    p = _projects(ctx)
    if not _has(p, "landed_year"):
        return None
    landed_same_year = (p["landed_year"] == p["signed_year"]).fillna(False).astype(bool)
    return landed_same_year.groupby(p["signed_year"]).mean().rename_axis(None)


@measure("landing_year_fai_completion", "当年落地项目固定资产投资完成率")
def _fai_rate(ctx):
    p, inv = _projects(ctx), ctx.record("project_investment")
    if inv is None or not _has(p, "landed_year"):
        return None
    landed = p[p["landed_year"].notna()]
    first = inv.merge(landed[["project_id", "landed_year", "amount_100m_yuan"]], on="project_id")
    first = first[first["year"] == first["landed_year"]]
    g = first.groupby("year")[["fai_100m_yuan", "amount_100m_yuan"]].sum()
    return (g["fai_100m_yuan"] / g["amount_100m_yuan"]).rename_axis(None)


def _manufacturing_fai(ctx):
    p, inv = _projects(ctx), ctx.record("project_investment")
    if p is None or inv is None:
        return None
    m = inv.merge(p[["project_id", "manufacturing"]], on="project_id")
    return m[m["manufacturing"].astype(bool)].groupby("year")["fai_100m_yuan"].sum().reindex(ctx.years, fill_value=0.0)


measure("manufacturing_investment", "制造业项目完成投资（亿元，当年）")(_manufacturing_fai)


def _landed_count(ctx, min_amount: float, chain_only: bool = False):
    p = _projects(ctx)
    if not _has(p, "landed_year"):
        return None
    sel = p["landed_year"].notna() & p["manufacturing"].astype(bool) & (p["amount_100m_yuan"] >= min_amount)
    if chain_only:
        sel &= p["chain_project"].astype(bool)
    return p[sel].groupby("landed_year").size().reindex(ctx.years, fill_value=0)


measure("major_projects_landed", "落地10亿元以上制造业项目（个，当年）")(lambda ctx: _landed_count(ctx, 10))
measure("projects_100m_landed", "落地亿元以上制造业项目（个，当年）")(lambda ctx: _landed_count(ctx, 1))
measure("chain_projects_landed", "落地亿元以上产业链项目（个，当年）")(lambda ctx: _landed_count(ctx, 1, True))


@measure("major_projects_started_within_year", "10亿元以上项目落地当年开工比例")
def _started(ctx):
    p = _projects(ctx)
    if not _has(p, "landed_year", "started_year"):
        return None
    big = p[p["landed_year"].notna() & (p["amount_100m_yuan"] >= 10)]
    return (big["started_year"] == big["landed_year"]).groupby(big["landed_year"]).mean().rename_axis(None)


# ---------------------------------------------------------------- district-level outcome counts
def _outcome(ctx, name: str):
    o = ctx.record("outcomes")
    if o is None or ctx.streets is not None:
        return None
    s = o[o["measure"] == name].set_index("year")["value"]
    return s if len(s) else None


for _name, _label in [
    ("green_projects_new", "绿色发展项目（项，当年新增）"),
    ("research_projects_new", "市级以上科研攻关项目（项，当年新增）"),
    ("first_set_new", "首台（套）等产品（项，当年新增）"),
    ("rd_to_gdp", "R&D经费支出占GDP比重"),
    ("industry_fund_projects_new", "制造业产业基金项目（项，当年新增）"),
    ("listed_financing_new", "上市企业融资（亿元，当年新增）"),
    ("key_cultivated_listing", "市级以上上市重点培育企业（家）"),
    ("ipo_filings", "报会企业（家）"),
    ("standards_new", "新增标准（项）"),
    ("quality_awards_new", "区政府质量奖（个，当年新增）"),
    ("digital_projects_new", "重点数字化改造项目（个，当年新增）"),
    ("robots_new", "新增工业机器人（台）"),
    ("smart_factories_new", "链主工厂、智能工厂、数字化车间（家，当年新增）"),
    ("industry_brains", "产业大脑（个）"),
    ("juneng_factories", "“聚能工厂”（家）"),
    ("digital_breakthrough_projects", "数字化攻关项目累计（个）"),
    ("zhejiang_made_fine_new", "浙江制造精品（项，当年新增）"),
    ("export_brands_new", "浙江出口名牌（项，当年新增）"),
    ("relocation_warnings", "企业外迁预警（起）"),
    ("ip_enforcement_cases", "知识产权行政执法案件（件）"),
]:
    measure(_name, _label)(lambda ctx, n=_name: _outcome(ctx, n))
