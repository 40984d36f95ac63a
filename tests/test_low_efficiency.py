import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import yaml

from helpers.core.errors import InputError
from helpers.evaluate.evaluation import evaluate
from helpers.policy.low_efficiency import (
    LIST_COLUMNS,
    below_clearance,
    clearance_by_year,
    freed,
    load_rule,
    remediation_list,
    screen,
    standard_land_share,
    street_low_efficiency,
)


def ent(**kw):
    base = dict(
        credit_code="X",
        name="n",
        street_name="s",
        industry_chain="c",
        industry_code="C342",
        above_scale=True,
        land_mu=10.0,
        tax_10k_yuan=100.0,
        value_added_10k_yuan=300.0,
        energy_tce=100.0,
        score=100.0,
        **{"class": "B"},
    )
    base.update(kw)
    return base


@pytest.fixture(scope="module")
def rule():
    return load_rule()


def test_rule_groups(rule):
    frame = pd.DataFrame(
        [
            ent(tax_10k_yuan=40.0, energy_tce=200.0),  # 4万/亩, VA/tce 1.5 → low tax & heavy
            ent(tax_10k_yuan=40.0, energy_tce=100.0),  # 4万/亩, VA/tce 3.0 → not heavy
            ent(**{"class": "D"}),  # class D
            ent(above_scale=False, land_mu=2.0, tax_10k_yuan=1.0, energy_tce=500.0, **{"class": "D"}),  # 规下 <3亩: out of scope
            ent(above_scale=False, land_mu=3.0, tax_10k_yuan=12.0, energy_tce=200.0),  # 规下 3亩 (含): in scope, 4万/亩
        ]
    )
    s = screen(frame, rule)
    assert s["in_scope"].tolist() == [True, True, True, False, True]
    assert s["listed"].tolist() == [True, False, True, False, True]
    assert s.loc[0, "listed_by"].startswith("低税高耗") and s.loc[2, "listed_by"].startswith("综合评价D类")
    assert s.loc[0, "suggested_way"] == "改造提升" and s.loc[2, "suggested_way"] == "兼并重组"


def test_clearance_line_overrides_the_way(rule):
    frame = pd.DataFrame([ent(tax_10k_yuan=20.0, energy_tce=200.0)])  # 2万/亩 < 3
    assert screen(frame, rule).loc[0, "suggested_way"] == "整体腾退"


def test_freed_follows_the_ways(rule):
    out = freed(
        pd.Series([10.0, 10.0, 10.0, 10.0]), pd.Series([100.0] * 4), pd.Series(["整体腾退", "搬迁入园", "改造提升", None]), rule
    )
    assert out["land_freed_mu"].tolist()[:3] == [10.0, 10.0, 0.0]
    assert out["energy_freed_tce"].tolist()[:3] == [100.0, 0.0, 20.0]
    assert out.iloc[3].isna().all()


def test_rule_errors_name_the_file(tmp_path, rule):
    raw = yaml.safe_load(open(rule.file, encoding="utf-8"))
    raw["rule"][0]["all_of"][0]["field"] = "tax_per_goat"
    p = tmp_path / "r.yaml"
    p.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(InputError, match="tax_per_goat") as info:
        load_rule(p)
    assert info.value.file.endswith("r.yaml")


def test_list_on_the_sample(sample, rule):
    ev = evaluate(sample, 2023)
    s = screen(ev.evaluated, rule)
    lst = remediation_list(ev.evaluated, s, rule, 2023)
    assert list(lst.columns) == LIST_COLUMNS and len(lst) == int(s["listed"].sum()) > 0
    assert lst["综合得分"].is_monotonic_increasing
    assert lst["统一社会信用代码"].isin(ev.evaluated["credit_code"]).all()
    assert (lst["预计腾出用地(亩)"] <= lst["用地面积(亩)"] + 1e-9).all()


def test_clearance_and_land_tables(sample, rule):
    evs = {y: evaluate(sample, y) for y in sample.years}
    trend = clearance_by_year({y: e.parcels for y, e in evs.items()}, 3.0)
    p = evs[2023].parcels
    assert trend.set_index("year").loc[2023, "parcels"] == int((p["tax_per_mu"] < 3).sum()) > 0
    assert not below_clearance(p[p["status"] == "idle"], 3.0).any()
    stricter = clearance_by_year({2023: p}, 5.0).loc[0, "area_mu"]
    assert stricter >= trend.set_index("year").loc[2023, "area_mu"]
    std = standard_land_share(p, 2018)
    assert (std["share"].between(0, 1)).all() and std["granted"].sum() == (p["grant_year"] >= 2018).sum()
    by = street_low_efficiency(evs[2023].evaluated, screen(evs[2023].evaluated, rule), p, 3.0)
    assert len(by) == 8 and by["listed_share"].between(0, 1).all() and by["clearance_share"].between(0, 1).all()
    assert by["tax_10k_yuan"].sum() == pytest.approx(evs[2023].evaluated["tax_10k_yuan"].sum())


def test_below_clearance_handles_missing():
    p = gpd.GeoDataFrame({"tax_per_mu": [1.0, np.nan, 5.0]})
    assert below_clearance(p, 3.0).tolist() == [True, False, False]


def test_scope_treats_a_missing_above_scale_flag_as_below_scale(rule):
    from helpers.policy.low_efficiency import in_scope

    frame = pd.DataFrame({"above_scale": [None, None, True], "land_mu": [2.0, 4.0, 0.5]})
    assert in_scope(frame, rule).tolist() == [False, True, True]
