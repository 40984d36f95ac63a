"""The 腾笼换鸟 scenario: who exits, what each exit frees, what the freed land produces when re-let,
and the district's 规上 figures before and after (data/scenarios/*.yaml).

- **Who exits**: the union of the scenario's rules (class D; 亩均税收 under a line; the 高耗低效 list;
  explicit credit codes), among the evaluated enterprises with land.
- **What an exit does** (``way``): land and energy freed are the way's shares in the 高耗低效 rule file
  (整体腾退 frees all and ends the output; 兼并重组 half the land and 30 % of energy, output kept by the
  merged firm; 搬迁入园 frees the parcel and keeps the output, the firm becoming a park tenant without
  land of its own, as the evaluation treats tenants; 改造提升 keeps the land, saves energy and raises
  output by ``upgrade_uplift``).
- **Re-let**: freed land less an idle share is let to the target chain at the 标准地 defaults × density
  (data/scenarios/standard_land_defaults.yaml), producing in the target year if data year + delay ≤ it;
  the re-let projects count as 规上.

Conservation holds by construction: land freed + land kept = the evaluated land, energy freed + energy
kept = the evaluated energy (re-let consumption is reported separately).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from helpers.core import paths
from helpers.core.errors import InputError
from helpers.core.yamlfile import load_yaml
from helpers.evaluate.indicators import ratio
from helpers.plan.goals import above_scale_figures
from helpers.policy.low_efficiency import Rule, screen

SCENARIO_DIR = paths.DATA_DIR / "scenarios"
DEFAULTS_FILE = SCENARIO_DIR / "standard_land_defaults.yaml"
OUTPUT_COLUMNS = ["tax_10k_yuan", "value_added_10k_yuan", "revenue_10k_yuan", "employees", "rd_10k_yuan"]
HEADLINE = ["tax_per_mu", "labour_productivity", "va_per_energy", "va_rate", "rd_ratio"]  # what a scenario reports


@dataclass
class ScenarioResult:
    exits: pd.DataFrame  # one row per exiting enterprise, with what it frees and keeps
    totals: pd.Series  # land and energy freed/kept, re-let, tax lost/gained, jobs
    before: pd.Series  # 规上 aggregate indicators before
    after: pd.Series  # and after


SELECT_KEYS = {"class_d", "tax_per_mu_below", "tax_per_mu_years", "remediation_list", "enterprises", "land_freed_up_to"}
RENAMED_SELECT_KEYS = {"hell_list": "remediation_list"}


def load_scenario(path: str | Path) -> dict:
    """A scenario file (an id in data/scenarios/ or a YAML path); an unknown ``select`` rule is an
    error naming the rules there are, so that a misspelled rule never selects nobody silently."""
    p = Path(path)
    p = paths.resolve(p if p.suffix in (".yaml", ".yml") else SCENARIO_DIR / f"{path}.yaml")
    spec = load_yaml(p)
    unknown = sorted(set(spec.get("select") or {}) - SELECT_KEYS)
    if unknown:
        hints = [f"{k} is now {RENAMED_SELECT_KEYS[k]}" for k in unknown if k in RENAMED_SELECT_KEYS]
        raise InputError(
            p,
            f"unknown select rule(s) {', '.join(unknown)}" + (f" ({'; '.join(hints)})" if hints else ""),
            column="select",
            expected=f"one of {', '.join(sorted(SELECT_KEYS))}",
        )
    return spec


def load_defaults(path: str | Path = DEFAULTS_FILE) -> dict:
    return load_yaml(paths.resolve(path))["defaults"]


def tax_per_mu_over_years(evaluated: pd.DataFrame, history: list[pd.DataFrame] | None, years: int) -> pd.Series:
    """Each enterprise's 亩均税收 over the data year and up to ``years`` − 1 earlier ones (Σ tax / Σ land
    of the years it has data for): one year's net refunds alone do not put it under an exit line."""
    frames = [evaluated[["credit_code", "tax_10k_yuan", "land_mu"]]]
    frames += [h[["credit_code", "tax_10k_yuan", "land_mu"]] for h in (history or [])[: max(years - 1, 0)]]
    both = pd.concat(frames).dropna(subset=["tax_10k_yuan"])
    sums = both[both["land_mu"] > 0].groupby("credit_code")[["tax_10k_yuan", "land_mu"]].sum()
    return evaluated["credit_code"].map(sums["tax_10k_yuan"] / sums["land_mu"])


def select_exits(
    evaluated: pd.DataFrame,
    select: dict,
    rule: Rule | None = None,
    land_share: float = 1.0,
    history: list[pd.DataFrame] | None = None,
    tax_per_mu: pd.Series | None = None,
) -> pd.Series:
    """The union of the scenario's selection rules, among enterprises with land. ``land_share``: the
    way's share of land freed (for ``land_freed_up_to``); ``history``: the evaluated enterprises of
    earlier years, latest first (for ``tax_per_mu_years``); ``tax_per_mu``: their
    ``tax_per_mu_over_years`` when already found (a sweep of lines finds it once)."""
    chosen = pd.Series(False, index=evaluated.index)
    if select.get("class_d"):
        chosen |= (evaluated["class"] == "D").fillna(False).astype(bool)
    line = select.get("tax_per_mu_below")
    if line is not None:
        if tax_per_mu is None:
            tax_per_mu = tax_per_mu_over_years(evaluated, history, int(select.get("tax_per_mu_years", 1)))
        chosen |= tax_per_mu.lt(float(line)).fillna(False)
    if select.get("remediation_list"):
        if rule is None:
            raise ValueError("select.remediation_list needs the 高耗低效 rule")
        chosen |= screen(evaluated, rule)["listed"]
    if select.get("enterprises"):
        chosen |= evaluated["credit_code"].isin(select["enterprises"])
    target = select.get("land_freed_up_to")
    if target is not None:
        chosen |= lowest_first_up_to(evaluated, float(target), land_share)
    return chosen & (evaluated["land_mu"] > 0)


def lowest_first_up_to(evaluated: pd.DataFrame, target_mu: float, land_share: float = 1.0) -> pd.Series:
    """The enterprises with land, lowest 亩均税收 first (ties by land, largest first), up to the first
    whose exit brings the land freed (land × the way's ``land_share``) to ``target_mu``: a scenario
    sized to a target such as the plan's 3,500亩."""
    with_land = evaluated[evaluated["land_mu"] > 0]
    order = ratio(with_land["tax_10k_yuan"], with_land["land_mu"]).fillna(float("inf"))
    ranked = with_land.assign(_t=order).sort_values(["_t", "land_mu"], ascending=[True, False], kind="stable")
    freed = (ranked["land_mu"] * land_share).cumsum()
    n = int((freed < target_mu).sum()) + 1 if land_share > 0 else 0
    return evaluated.index.to_series().isin(ranked.index[:n])


def apply_scenario(
    evaluated: pd.DataFrame,
    scenario: dict,
    rule: Rule,
    defaults: dict,
    year: int,
    history: list[pd.DataFrame] | None = None,
    tax_per_mu: pd.Series | None = None,
) -> ScenarioResult:
    """Run ``scenario`` on the evaluated enterprises of ``year`` (``history``: those of earlier years,
    latest first, for exit lines over several years; ``tax_per_mu``: as ``select_exits`` takes it)."""
    way = scenario.get("way", "整体腾退")
    if way not in rule.ways:
        raise ValueError(f"scenario way {way!r} unknown; choose one of {', '.join(rule.ways)}")
    shares = rule.ways[way]
    exiting = select_exits(evaluated, scenario.get("select", {}), rule, float(shares["land_freed_share"]), history, tax_per_mu)
    after = evaluated.copy()
    ex = evaluated[exiting]
    land_freed = ex["land_mu"] * shares["land_freed_share"]
    energy_freed = ex["energy_tce"].fillna(0) * shares["energy_freed_share"]
    output_factor = 0.0 if way == "整体腾退" else (1 + float(scenario.get("upgrade_uplift", 0))) if way == "改造提升" else 1.0
    after.loc[exiting, "land_mu"] = ex["land_mu"] - land_freed
    after.loc[exiting, "energy_tce"] = ex["energy_tce"].fillna(0) - energy_freed
    for col in OUTPUT_COLUMNS:
        after.loc[exiting, col] = ex[col] * output_factor
    exits = pd.DataFrame(
        {
            "credit_code": ex["credit_code"],
            "name": ex["name"],
            "street_code": ex.get("street_code"),
            "street_name": ex["street_name"],
            "industry_chain": ex["industry_chain"],
            "above_scale": ex["above_scale"].astype(bool),
            "class": ex["class"],
            "land_mu": ex["land_mu"],
            "tax_per_mu": ratio(ex["tax_10k_yuan"], ex["land_mu"]),
            "way": way,
            "land_freed_mu": land_freed,
            "energy_freed_tce": energy_freed,
            "tax_lost_10k_yuan": ex["tax_10k_yuan"] * (1 - output_factor),
            "employees_affected": ex["employees"] * (1 - min(output_factor, 1.0)),
        }
    )
    relet = scenario.get("relet", {})
    spec = defaults[relet.get("chain", "高端装备")]
    freed_mu = float(land_freed.sum())
    idle_mu = freed_mu * float(relet.get("idle_share", 0))
    producing = year + int(relet.get("delay_years", 0)) <= int(scenario.get("target_year", year))
    relet_mu = (freed_mu - idle_mu) if producing else 0.0
    density = float(relet.get("density", 1.0))
    va = relet_mu * spec["va_per_mu"] * density
    relet_row = {
        "credit_code": "RELET",
        "above_scale": True,
        "land_mu": relet_mu,
        "tax_10k_yuan": relet_mu * spec["tax_per_mu"] * density,
        "value_added_10k_yuan": va,
        "revenue_10k_yuan": relet_mu * spec["revenue_per_mu"] * density,
        "employees": relet_mu * spec["employees_per_mu"],
        "energy_tce": va * spec["energy_tce_per_10k_va"],
        "rd_10k_yuan": relet_mu * spec["revenue_per_mu"] * density * spec.get("rd_share_of_revenue", 0.0),
    }
    if relet_mu > 0:
        after = pd.concat([after, pd.DataFrame([relet_row])], ignore_index=True)
    totals = pd.Series(
        {
            "land_total_mu": float(evaluated["land_mu"].sum()),
            "land_freed_mu": freed_mu,
            "land_kept_mu": float(after.loc[after["credit_code"] != "RELET", "land_mu"].sum()),
            "energy_total_tce": float(evaluated["energy_tce"].fillna(0).sum()),
            "energy_freed_tce": float(energy_freed.sum()),
            "energy_kept_tce": float(after.loc[after["credit_code"] != "RELET", "energy_tce"].fillna(0).sum()),
            "relet_mu": relet_mu,
            "idle_mu": idle_mu if producing else freed_mu,
            "relet_energy_tce": relet_row["energy_tce"] if relet_mu > 0 else 0.0,
            "net_energy_freed_tce": float(energy_freed.sum()) - (relet_row["energy_tce"] if relet_mu > 0 else 0.0),
            "tax_lost_10k_yuan": float(exits["tax_lost_10k_yuan"].sum()),
            "tax_gained_10k_yuan": relet_row["tax_10k_yuan"] if relet_mu > 0 else 0.0,
            "employees_affected": float(exits["employees_affected"].sum()),
            "relet_employees": relet_row["employees"] if relet_mu > 0 else 0.0,
            "exits": int(exiting.sum()),
        }
    )
    return ScenarioResult(
        exits=exits.reset_index(drop=True),
        totals=totals,
        before=above_scale_figures(evaluated, HEADLINE),
        after=above_scale_figures(after, HEADLINE),
    )


def assumptions(scenario: dict, rule: Rule, defaults: dict, year: int) -> pd.DataFrame:
    """Every assumption the scenario's result rests on, one row each: the setting, its value and
    where it comes from (printed beside the results on the scenario page)."""
    way = scenario.get("way", "整体腾退")
    shares = rule.ways.get(way, {})
    relet = scenario.get("relet", {})
    chain = relet.get("chain", "高端装备")
    spec = defaults.get(chain, {})
    target_year = int(scenario.get("target_year", year))
    delay = int(relet.get("delay_years", 0))
    select = {k: v for k, v in (scenario.get("select") or {}).items() if v not in (None, False, [])}
    rows = [
        ("退出规则 exit rule (select)", ", ".join(f"{k}={v}" for k, v in select.items()) or "—", "scenario file"),
        ("退出方式 way", way, f"every exit; {shares.get('note', '')}"),
        ("腾出用地比例 land freed share", f"{shares.get('land_freed_share', 0):.0%}", f"{rule.file.name}: ways.{way}"),
        ("腾出用能比例 energy freed share", f"{shares.get('energy_freed_share', 0):.0%}", f"{rule.file.name}: ways.{way}"),
        ("改造提升产出增幅 upgrade uplift", f"{float(scenario.get('upgrade_uplift', 0)):.0%}", "scenario file (改造提升 only)"),
        ("再利用产业链 re-let chain", chain, "scenario file"),
        (
            "标准地水平 standard-land levels",
            f"亩均税收 {spec.get('tax_per_mu')} 万元/亩, 亩均增加值 {spec.get('va_per_mu')} 万元/亩, "
            f"{spec.get('energy_tce_per_10k_va')} tce/万元增加值",
            f"{DEFAULTS_FILE.name} (confidence {load_yaml(DEFAULTS_FILE).get('confidence', 'U')}: assumed; public 标准地 "
            "agreements set these for the end of the initial operating period)",
        ),
        ("密度 density", f"× {float(relet.get('density', 1.0)):g}", "multiplier on the standard-land levels"),
        ("闲置比例 idle share", f"{float(relet.get('idle_share', 0)):.0%}", "share of freed land not re-let"),
        (
            "投产滞后 delay",
            f"{delay} 年 years → 新项目{'计入' if year + delay <= target_year else '不计入'}{target_year}年",
            f"re-let land produces in {year} + {delay}; counted only if that is ≤ the target year",
        ),
        ("新项目口径 re-let counted as", "规上 above scale", "the new projects enter the 规上 denominator"),
    ]
    return pd.DataFrame(rows, columns=["设定 setting", "取值 value", "依据 source"])


def sweep(
    evaluated: pd.DataFrame,
    scenario: dict,
    rule: Rule,
    defaults: dict,
    year: int,
    thresholds: list[float],
    densities: list[float],
    history: list[pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Headline results over a grid of 亩均税收 exit lines × re-let densities. Exits follow the line
    alone (the scenario's other selection rules are set aside, so the line's effect is seen clean);
    the way, re-let chain, idle share and delay are the scenario's."""
    rows = []
    years = scenario.get("select", {}).get("tax_per_mu_years", 1)
    over_years = tax_per_mu_over_years(evaluated, history, int(years))  # the same for every line: found once
    for line in thresholds:
        for density in densities:
            s = {
                **scenario,
                "select": {"tax_per_mu_below": line, "tax_per_mu_years": years},
                "relet": {**scenario.get("relet", {}), "density": density},
            }
            r = apply_scenario(evaluated, s, rule, defaults, year, history, over_years)
            rows.append(
                {"threshold": line, "density": density, **r.totals.to_dict(), **{f"after_{k}": v for k, v in r.after.items()}}
            )
    return pd.DataFrame(rows)


def smallest_line(grid: pd.DataFrame, metric: str, target: float) -> pd.Series:
    """Per density: the lowest exit line whose result reaches ``target`` (NaN where none does)."""
    hit = grid[grid[metric] >= target]
    return hit.groupby("density")["threshold"].min().reindex(sorted(grid["density"].unique()))


def tornado(
    evaluated: pd.DataFrame,
    scenario: dict,
    rule: Rule,
    defaults: dict,
    year: int,
    swings: dict[str, tuple],
    metric: str = "tax_per_mu",
    history: list[pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """One-at-a-time swings: for each setting (dotted path into the scenario, e.g. ``relet.density``)
    its low and high value, and the metric after the scenario at each; sorted by the range."""
    base = apply_scenario(evaluated, scenario, rule, defaults, year, history).after[metric]
    rows = []
    for path, (low, high) in swings.items():
        results = []
        for value in (low, high):
            s = {k: (dict(v) if isinstance(v, dict) else v) for k, v in scenario.items()}
            head, _, leaf = path.rpartition(".")
            (s[head] if head else s)[leaf] = value
            results.append(apply_scenario(evaluated, s, rule, defaults, year, history).after[metric])
        rows.append({"setting": path, "low": low, "high": high, "at_low": results[0], "at_high": results[1], "base": base})
    out = pd.DataFrame(rows)
    out["range"] = (out["at_high"] - out["at_low"]).abs()
    return out.sort_values("range", ascending=True).reset_index(drop=True)
