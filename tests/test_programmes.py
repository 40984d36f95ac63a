"""Programme records in the sample and the progress summaries built on them."""

import pandas as pd
import pytest

from helpers.evaluate.evaluation import evaluate
from helpers.policy.low_efficiency import load_rule, remediation_list, screen
from helpers.policy.programmes import (
    completions,
    energy_freed,
    green_factories_new,
    incubators_cumulative,
    park_performance,
    pipeline,
    renewal_by_way,
    stars_by_year,
    yearly_with_cumulative,
)


def test_records_are_loaded(sample):
    assert set(sample.records) == {
        "remediation",
        "land_renewal",
        "green_factories",
        "parks",
        "park_ratings",
        "incubators",
        "enterprise_attributes",
        "projects",
        "project_investment",
        "outcomes",
    }


def test_exits_are_the_completed_whole_exits(sample):
    panel = sample.panel
    in22 = set(panel.loc[panel["year"] == 2022, "credit_code"])
    in23 = set(panel.loc[panel["year"] == 2023, "credit_code"])
    left = in22 - in23
    rem = sample.records["remediation"]
    gone = set(rem.loc[(rem["year"] == 2023) & (rem["stage"] == "已退出"), "credit_code"])
    assert left and left == gone
    assert set(rem.loc[rem["credit_code"].isin(gone), "way"]) == {"整体腾退"}


def test_parks_do_not_overlap_and_are_rated_every_year(sample):
    parks = sample.records["parks"].to_crs(4549)
    assert parks.geometry.is_valid.all()
    overlaps = sum(a.intersection(b).area > 1 for i, a in enumerate(parks.geometry) for b in parks.geometry[i + 1 :])
    assert overlaps == 0
    ratings = sample.records["park_ratings"]
    assert len(ratings) == len(parks) * len(sample.years)
    assert ratings.groupby("park_id")["stars"].apply(lambda s: s.is_monotonic_increasing).all()


def test_pipeline_and_completions():
    rem = pd.DataFrame(
        {
            "credit_code": ["a", "a", "a", "b", "b", "c"],
            "year": [2021, 2022, 2023, 2022, 2023, 2021],
            "way": ["改造提升"] * 3 + ["整体腾退"] * 2 + ["限期整改"],
            "stage": ["列入清单", "达标销号", "达标销号", "列入清单", "已退出", "列入清单"],
        }
    )
    p = pipeline(rem)
    assert p.loc[2021, "列入清单"] == 2 and p.loc[2022, "达标销号"] == 1 and p.loc[2023, "已退出"] == 1
    c = completions(rem).set_index("credit_code")
    assert c.loc["a", "year"] == 2022 and c.loc["b", "year"] == 2023 and "c" not in c.index
    panel = pd.DataFrame({"credit_code": ["a", "b"], "year": [2021, 2022], "energy_tce": [100.0, 50.0]})
    e = energy_freed(rem, panel, load_rule()).set_index("year")["energy_freed_tce"]
    assert e[2022] == pytest.approx(100.0 * 0.2) and e[2023] == pytest.approx(50.0 * 1.0)
    cum = yearly_with_cumulative(e.reset_index(), "energy_freed_tce")
    assert cum["cumulative"].tolist() == pytest.approx([20.0, 70.0])


def test_progress_tables_on_the_sample(sample):
    rec = sample.records
    renewal = renewal_by_way(rec["land_renewal"])
    assert renewal.to_numpy().sum() == pytest.approx(rec["land_renewal"]["area_mu"].sum())
    gf = green_factories_new(rec["green_factories"]).set_index("year")
    assert gf.loc[2021, "cumulative_plan"] == 0 and gf.loc[2023, "cumulative_plan"] == gf.loc[[2022, 2023], "new"].sum()
    stars = stars_by_year(rec["park_ratings"])
    assert stars.loc[2023, "三星级及以上"] == (rec["park_ratings"].query("year == 2023")["stars"] >= 3).sum()
    inc = incubators_cumulative(rec["incubators"], sample.years)
    assert inc["cumulative"].is_monotonic_increasing and inc["cumulative"].iloc[-1] == len(rec["incubators"])
    ev = evaluate(sample, 2023)
    perf = park_performance(rec["parks"], ev.parcels, rec["park_ratings"], 2023)
    assert len(perf) == len(rec["parks"]) and (perf["parcels"] >= 5).all() and perf["stars"].notna().all()


def test_list_takes_way_and_stage_from_the_ledger(sample):
    ev = evaluate(sample, 2023)
    rule = load_rule()
    s = screen(ev.evaluated, rule)
    lst = remediation_list(ev.evaluated, s, rule, 2023, sample.records["remediation"])
    from_ledger = lst["整治方式来源"] == "整治台账 ledger"
    assert from_ledger.any() and (~from_ledger).any()
    ledger = sample.records["remediation"].query("year <= 2023").sort_values("year").drop_duplicates("credit_code", keep="last")
    ways = ledger.set_index("credit_code")["way"]
    sub = lst[from_ledger]
    assert (sub["整治方式"] == sub["统一社会信用代码"].map(ways)).all()
    assert lst.loc[~from_ledger, "整治阶段"].isna().all()
