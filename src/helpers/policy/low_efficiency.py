"""高耗低效 screening (a rule kept as data, data/methods/high_energy_low_efficiency.yaml),
task 4's clearance line, and what remediation frees.

The rule lists an enterprise when any of its groups holds, a group holding when all its
conditions hold. A condition compares an indicator (or the evaluation class) with a value.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from helpers.core import paths
from helpers.core.errors import InputError
from helpers.core.industries import is_manufacturing
from helpers.core.keys import is_in
from helpers.core.yamlfile import load_yaml
from helpers.evaluate.indicators import compute_indicators, indicator_defs, ratio

RULE_FILE = paths.METHODS_DIR / "high_energy_low_efficiency.yaml"
OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq}


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    file: Path
    scope: dict
    groups: tuple[dict, ...]
    ways: dict[str, dict]
    clearance_line: float
    clearance_way: str


def load_rule(path: str | Path = RULE_FILE) -> Rule:
    path = paths.resolve(path)
    raw = load_yaml(path)
    fields = set(indicator_defs()) | {"class"}
    ways = set(raw["ways"])
    for g_i, group in enumerate(raw["rule"]):
        if group.get("suggested_way") not in ways:
            raise InputError(
                path,
                f"suggested_way {group.get('suggested_way')!r} is not a way",
                column=f"rule[{g_i}]",
                expected=f"one of {', '.join(ways)}",
            )
        for c in group["all_of"]:
            if c["field"] not in fields:
                raise InputError(
                    path,
                    f"unknown field {c['field']!r}",
                    column=f"rule[{g_i}]",
                    expected=f"an indicator id or 'class' ({', '.join(sorted(fields))})",
                )
            if c["op"] not in OPS:
                raise InputError(
                    path, f"unknown operator {c['op']!r}", column=f"rule[{g_i}]", expected=f"one of {', '.join(OPS)}"
                )
    return Rule(
        id=raw["id"],
        title=raw["title"],
        file=path,
        scope=raw["scope"],
        groups=tuple(raw["rule"]),
        ways=raw["ways"],
        clearance_line=float(raw["clearance_line_tax_per_mu"]["value"]),
        clearance_way=raw["clearance_suggested_way"],
    )


def in_scope(evaluated: pd.DataFrame, rule: Rule) -> pd.Series:
    """任务1's scope: 规上 enterprises, and 规下 ones with at least the given land (含); only 制造业
    when the rule says so (``scope.manufacturing_only``: the plan screens 规上制造业 and 规下制造业)."""
    above = evaluated["above_scale"].fillna(False).astype(bool)
    big_enough = evaluated["land_mu"] >= float(rule.scope["below_scale_land_mu_min"])
    scope = (above & bool(rule.scope["above_scale"])) | (~above & big_enough)
    return scope & is_manufacturing(evaluated) if rule.scope.get("manufacturing_only") else scope


def screen(evaluated: pd.DataFrame, rule: Rule) -> pd.DataFrame:
    """For each evaluated enterprise: in scope, listed, and the names of the groups that list it."""
    needed = sorted({c["field"] for g in rule.groups for c in g["all_of"]} - {"class"})
    values = compute_indicators(evaluated, needed)
    values["class"] = evaluated["class"]
    scope = in_scope(evaluated, rule)
    matched = pd.Series("", index=evaluated.index)
    way = pd.Series(pd.NA, index=evaluated.index, dtype="string")
    for group in rule.groups:
        hold = scope.copy()
        for c in group["all_of"]:
            col = values[c["field"]]
            hold &= OPS[c["op"]](col, c["value"]).fillna(False).astype(bool)
        separator = matched.where(matched == "", matched + "；")
        matched = matched.mask(hold, separator + group["name"])
        way = way.where(~(hold & way.isna()), group["suggested_way"])
    listed = matched != ""
    tax_per_mu = compute_indicators(evaluated, ["tax_per_mu"])["tax_per_mu"]
    way = way.where(~(listed & tax_per_mu.lt(rule.clearance_line).fillna(False)), rule.clearance_way)
    return pd.DataFrame({"in_scope": scope, "listed": listed, "listed_by": matched, "suggested_way": way}, index=evaluated.index)


def below_clearance(parcels: pd.DataFrame, line: float) -> pd.Series:
    """Parcels in use whose 亩均税收 is below the clearance line (idle parcels have none)."""
    return parcels["tax_per_mu"].lt(line).fillna(False)


def freed(land_mu: pd.Series, energy_tce: pd.Series, way: pd.Series, rule: Rule) -> pd.DataFrame:
    """Land (亩) and energy (tce) each way frees, from the shares in the rule file; NaN for no way."""
    land_share = way.map({w: v["land_freed_share"] for w, v in rule.ways.items()})
    energy_share = way.map({w: v["energy_freed_share"] for w, v in rule.ways.items()})
    return pd.DataFrame({"land_freed_mu": land_mu * land_share, "energy_freed_tce": energy_tce * energy_share})


LIST_COLUMNS = [
    "序号",
    "企业名称",
    "统一社会信用代码",
    "所属镇街",
    "产业链",
    "行业代码",
    "企业规模",
    "用地面积(亩)",
    "亩均税收(万元/亩)",
    "单位能耗增加值(万元/吨标准煤)",
    "综合能耗(吨标准煤)",
    "综合得分",
    "评价类别",
    "列入理由",
    "整治方式",
    "整治方式来源",
    "整治阶段",
    "预计腾出用地(亩)",
    "预计腾出能耗(吨标准煤)",
    "数据年度",
]


def remediation_list(
    evaluated: pd.DataFrame, screening: pd.DataFrame, rule: Rule, year: int, remediation: pd.DataFrame | None = None
) -> pd.DataFrame:
    """《高耗低效整治企业清单》: one row per listed enterprise, Chinese headers, worst score first.
    The way is the rule's suggestion, or, for an enterprise in the remediation ledger, the way and
    stage the ledger records for ``year``."""
    e = evaluated.join(screening)
    e = e[e["listed"]].sort_values("score", kind="stable")
    values = compute_indicators(e, ["tax_per_mu", "va_per_energy"])
    way = e["suggested_way"].astype("string")
    source = pd.Series("规则建议 suggested by rule", index=e.index)
    stage = pd.Series(pd.NA, index=e.index, dtype="string")
    if remediation is not None and len(remediation):
        ledger = remediation[remediation["year"] <= year].sort_values("year").drop_duplicates("credit_code", keep="last")
        ledger = ledger.set_index("credit_code")
        known = pd.Series(is_in(e["credit_code"], ledger.index.to_series()), index=e.index)
        way = way.where(~known, e["credit_code"].map(ledger["way"]))
        stage = stage.where(~known, e["credit_code"].map(ledger["stage"]))
        source = source.where(~known, "整治台账 ledger")
    f = freed(e["land_mu"], e["energy_tce"], way, rule)
    out = pd.DataFrame(
        {
            "序号": range(1, len(e) + 1),
            "企业名称": e["name"],
            "统一社会信用代码": e["credit_code"],
            "所属镇街": e["street_name"],
            "产业链": e["industry_chain"],
            "行业代码": e["industry_code"],
            "企业规模": e["above_scale"].astype(bool).map({True: "规上", False: "规下"}),
            "用地面积(亩)": e["land_mu"].round(2),
            "亩均税收(万元/亩)": values["tax_per_mu"].round(2),
            "单位能耗增加值(万元/吨标准煤)": values["va_per_energy"].round(3),
            "综合能耗(吨标准煤)": e["energy_tce"].round(2),
            "综合得分": e["score"].round(2),
            "评价类别": e["class"],
            "列入理由": e["listed_by"],
            "整治方式": way,
            "整治方式来源": source,
            "整治阶段": stage,
            "预计腾出用地(亩)": f["land_freed_mu"].round(2),
            "预计腾出能耗(吨标准煤)": f["energy_freed_tce"].round(2),
            "数据年度": year,
        }
    )
    return out[LIST_COLUMNS].reset_index(drop=True)


def clearance_by_year(parcels_by_year: dict[int, pd.DataFrame], line: float) -> pd.DataFrame:
    """Per year: parcels below the clearance line and their registered area (亩)."""
    rows = []
    for year, p in sorted(parcels_by_year.items()):
        below = below_clearance(p, line)
        rows.append({"year": year, "parcels": int(below.sum()), "area_mu": float(p.loc[below, "registered_area_mu"].sum())})
    return pd.DataFrame(rows)


def street_low_efficiency(evaluated: pd.DataFrame, screening: pd.DataFrame, parcels: pd.DataFrame, line: float) -> pd.DataFrame:
    """Per 街道: land of listed (高耗低效) enterprises, land of parcels below the clearance line,
    their shares of the land in use, and the 街道's 亩均税收 (Σ tax / Σ land of evaluated enterprises)."""
    e = evaluated.join(screening)
    used = parcels[parcels["status"] != "idle"]
    below = below_clearance(used, line)
    out = pd.DataFrame(
        {
            "listed_land_mu": e[e["listed"]].groupby("street_code")["land_mu"].sum(),
            "evaluated_land_mu": e.groupby("street_code")["land_mu"].sum(),
            "tax_10k_yuan": e.groupby("street_code")["tax_10k_yuan"].sum(),
            "clearance_land_mu": used[below].groupby("street_code")["registered_area_mu"].sum(),
            "used_land_mu": used.groupby("street_code")["registered_area_mu"].sum(),
        }
    ).fillna(0.0)
    out["listed_share"] = out["listed_land_mu"] / out["evaluated_land_mu"]
    out["clearance_share"] = out["clearance_land_mu"] / out["used_land_mu"]
    out["tax_per_mu"] = ratio(out["tax_10k_yuan"], out["evaluated_land_mu"])
    return out.reset_index()


def standard_land_share(parcels: pd.DataFrame, since: int) -> pd.DataFrame:
    """Per grant year from ``since``: parcels granted, of which as 标准地, and the share (任务4: 100%)."""
    p = parcels[parcels["grant_year"] >= since]
    g = p.groupby("grant_year").agg(
        granted=("parcel_id", "count"), standard=("standard_land", lambda s: int(s.fillna(False).astype(bool).sum()))
    )
    g["share"] = g["standard"] / g["granted"]
    return g.reset_index()


def idle_parcels(parcels: pd.DataFrame) -> pd.DataFrame:
    """Per 街道: idle parcels (no enterprise uses them) and their area."""
    idle = parcels[parcels["status"] == "idle"]
    return idle.groupby("street_code").agg(parcels=("parcel_id", "count"), area_mu=("registered_area_mu", "sum")).reset_index()
