"""The scenario model: a hand-computed case, conservation, monotonicity."""

import pandas as pd
import pytest

from helpers.evaluate.evaluation import evaluate
from helpers.policy.low_efficiency import load_rule
from helpers.policy.scenario import apply_scenario, load_defaults, load_scenario, select_exits, sweep


def frame():
    return pd.DataFrame(
        {
            "credit_code": ["a", "b", "c"],
            "name": ["甲", "乙", "丙"],
            "street_name": ["s"] * 3,
            "industry_chain": ["其他"] * 3,
            "above_scale": [True, True, False],
            "class": ["D", "B", "C"],
            "land_mu": [10.0, 20.0, 5.0],
            "tax_10k_yuan": [20.0, 1000.0, 10.0],
            "value_added_10k_yuan": [200.0, 4000.0, 50.0],
            "revenue_10k_yuan": [2500.0, 16000.0, 400.0],
            "employees": [50.0, 120.0, 10.0],
            "energy_tce": [300.0, 800.0, 20.0],
            "rd_10k_yuan": [10.0, 400.0, 0.0],
        }
    )


DEFAULTS = {
    "高端装备": {
        "tax_per_mu": 50,
        "va_per_mu": 200,
        "revenue_per_mu": 800,
        "employees_per_mu": 5,
        "energy_tce_per_10k_va": 0.1,
        "investment_per_mu": 400,
    }
}


def scenario(**kw):
    base = {
        "select": {"class_d": True, "tax_per_mu_below": None},
        "way": "整体腾退",
        "relet": {"chain": "高端装备", "density": 1.0, "idle_share": 0.2, "delay_years": 0},
        "target_year": 2023,
    }
    base.update(kw)
    return base


def test_hand_computed_case():
    r = apply_scenario(frame(), scenario(), load_rule(), DEFAULTS, 2023)
    t = r.totals
    # a (class D, 10亩) leaves: 10亩 and 300 tce freed; 8亩 re-let at 50万元/亩 → 400万元 tax, 1600万元 VA
    assert t["exits"] == 1 and t["land_freed_mu"] == 10 and t["energy_freed_tce"] == 300
    assert t["relet_mu"] == pytest.approx(8.0) and t["idle_mu"] == pytest.approx(2.0)
    assert t["tax_lost_10k_yuan"] == 20 and t["tax_gained_10k_yuan"] == pytest.approx(400.0)
    assert t["employees_affected"] == 50 and t["relet_energy_tce"] == pytest.approx(160.0)
    # 规上 亩均税收: before (20 + 1000) / 30 = 34; after (1000 + 400) / (20 + 8) = 50
    assert r.before["tax_per_mu"] == pytest.approx(34.0) and r.after["tax_per_mu"] == pytest.approx(50.0)


def test_delay_past_the_target_year_leaves_land_unproductive():
    r = apply_scenario(
        frame(), scenario(relet={"chain": "高端装备", "idle_share": 0.2, "delay_years": 2}), load_rule(), DEFAULTS, 2022
    )
    assert r.totals["relet_mu"] == 0 and r.totals["idle_mu"] == 10 and r.after["tax_per_mu"] == pytest.approx(50.0)


def test_ways():
    rule = load_rule()
    up = apply_scenario(frame(), scenario(way="改造提升", upgrade_uplift=0.5), rule, DEFAULTS, 2023)
    assert up.totals["land_freed_mu"] == 0 and up.totals["energy_freed_tce"] == pytest.approx(60.0)
    assert up.after["tax_per_mu"] == pytest.approx((30 + 1000) / 30)
    move = apply_scenario(frame(), scenario(way="搬迁入园"), rule, DEFAULTS, 2023)
    assert move.totals["land_freed_mu"] == 10 and move.totals["tax_lost_10k_yuan"] == 0
    with pytest.raises(ValueError, match="关停"):
        apply_scenario(frame(), scenario(way="关停"), rule, DEFAULTS, 2023)


@pytest.fixture(scope="module")
def ev(sample):
    return evaluate(sample, 2023).evaluated


def test_conservation_on_the_sample(ev):
    for way in ("整体腾退", "兼并重组", "搬迁入园", "改造提升"):
        s = load_scenario("default")
        s["way"] = way
        t = apply_scenario(ev, s, load_rule(), load_defaults(), 2023).totals
        assert t["land_freed_mu"] + t["land_kept_mu"] == pytest.approx(t["land_total_mu"])
        assert t["energy_freed_tce"] + t["energy_kept_tce"] == pytest.approx(t["energy_total_tce"])
        assert t["relet_mu"] + t["idle_mu"] == pytest.approx(t["land_freed_mu"])


def test_stricter_line_never_frees_less(ev):
    s = load_scenario("default")
    s["select"] = {"tax_per_mu_below": 0}
    grid = sweep(ev, s, load_rule(), load_defaults(), 2023, [1, 3, 5, 10, 20], [1.0])
    assert grid["land_freed_mu"].is_monotonic_increasing and grid["exits"].is_monotonic_increasing
    exits_3 = select_exits(ev, {"tax_per_mu_below": 3})
    assert set(ev.loc[exits_3, "credit_code"]) <= set(ev.loc[select_exits(ev, {"tax_per_mu_below": 5}), "credit_code"])


def test_default_scenario_raises_tax_per_mu(ev):
    r = apply_scenario(ev, load_scenario("default"), load_rule(), load_defaults(), 2023)
    assert r.totals["exits"] > 0 and r.after["tax_per_mu"] > r.before["tax_per_mu"]


def test_defaults_cover_every_chain_with_every_field():
    from helpers.core.industries import chain_names

    d = load_defaults()
    fields = {
        "tax_per_mu",
        "va_per_mu",
        "investment_per_mu",
        "employees_per_mu",
        "energy_tce_per_10k_va",
        "revenue_per_mu",
        "rd_share_of_revenue",
    }
    assert set(d) == set(chain_names())
    assert all(set(v) == fields for v in d.values())
    assert load_scenario("default")["relet"]["chain"] in d


def test_net_energy_is_freed_less_the_newcomers_use():
    t = apply_scenario(frame(), scenario(), load_rule(), DEFAULTS, 2023).totals
    assert t["net_energy_freed_tce"] == pytest.approx(300 - 160)  # a's 300 tce freed, the re-let project's 160 used


def test_a_scenario_sized_to_a_land_target_takes_the_lowest_first():
    s = scenario(select={"land_freed_up_to": 12})
    r = apply_scenario(frame(), s, load_rule(), DEFAULTS, 2023)
    # 亩均税收: a 2, c 2, b 50; ties by land, largest first: a (10亩) then c (5亩) reach 12亩
    assert sorted(r.exits["credit_code"]) == ["a", "c"] and r.totals["land_freed_mu"] == 15
    assert list(
        apply_scenario(frame(), scenario(select={"land_freed_up_to": 10}), load_rule(), DEFAULTS, 2023).exits["credit_code"]
    ) == ["a"]
    half = scenario(select={"land_freed_up_to": 12}, way="兼并重组")  # half the land freed per exit: all three needed
    assert len(apply_scenario(frame(), half, load_rule(), DEFAULTS, 2023).exits) == 3


def test_every_assumption_is_listed_with_its_source():
    from helpers.policy.scenario import assumptions

    spec = load_scenario("plan_sized")
    table = assumptions(spec, load_rule(), load_defaults(), 2022).set_index("设定 setting")
    assert "land_freed_up_to=3500" in table.loc["退出规则 exit rule (select)", "取值 value"]
    assert table.loc["腾出用地比例 land freed share", "取值 value"] == "100%"
    assert "2 年 years → 新项目不计入2023年" == table.loc["投产滞后 delay", "取值 value"]
    assert "end of the initial operating period" in table.loc["标准地水平 standard-land levels", "依据 source"]
    assert table["依据 source"].str.len().gt(0).all() and len(table) >= 10


def test_the_plan_sized_scenario_frees_about_the_plans_land(ev):
    r = apply_scenario(ev, load_scenario("plan_sized"), load_rule(), load_defaults(), 2023)
    assert 3500 <= r.totals["land_freed_mu"] < 3500 + r.exits["land_freed_mu"].max()
    assert r.totals["relet_mu"] == 0  # the two-year delay: nothing re-let produces by the target year


def test_one_years_refund_alone_does_not_trigger_an_exit():
    now = frame().assign(tax_10k_yuan=[20.0, -300.0, 10.0])  # b (20亩) had a large net refund this year
    before = frame().assign(tax_10k_yuan=[20.0, 1200.0, 10.0])  # ... and paid 60万元/亩 the year before
    one_year = select_exits(now, {"tax_per_mu_below": 3})
    two_years = select_exits(now, {"tax_per_mu_below": 3, "tax_per_mu_years": 2}, history=[before])
    assert one_year.tolist() == [True, True, True]
    assert two_years.tolist() == [True, False, True]  # b: (−300 + 1200) / 40亩 = 22.5万元/亩


def test_the_default_scenario_uses_two_years_and_the_operating_period():
    spec = load_scenario("default")
    assert spec["select"]["tax_per_mu_years"] == 2 and spec["relet"]["delay_years"] == 2
