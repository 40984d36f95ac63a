import pandas as pd
import pytest

from helpers.policy.energy import above_control_line, budget_by, energy_intensity, energy_quotas, load_budget_rule, new_producers


def frame(rows):
    return pd.DataFrame(
        rows, columns=["credit_code", "name", "street_name", "industry_chain", "energy_tce", "class", "value_added_10k_yuan"]
    )


def test_quota_follows_last_year_and_class():
    rule = load_budget_rule()
    prev = frame([("a", "", "", "x", 100.0, "A", 1), ("b", "", "", "x", 100.0, "D", 1)])
    cur = frame([("a", "", "", "x", 107.0, "A", 1), ("b", "", "", "x", 91.0, "D", 1), ("c", "", "", "y", 5.0, "B", 1)])
    q = energy_quotas(prev, cur, rule).set_index("credit_code")
    assert q.loc["a", "quota_tce"] == pytest.approx(108.0) and not q.loc["a", "over_budget"]
    assert q.loc["b", "quota_tce"] == pytest.approx(90.0) and q.loc["b", "over_budget"]
    assert not q.loc["c", "budgeted"] and not q.loc["c", "over_budget"]
    by = budget_by(q.reset_index(), "industry_chain").set_index("industry_chain")
    assert by.loc["x", "quota_tce"] == pytest.approx(198.0) and "y" not in by.index


def test_control_line_and_intensity():
    rule = load_budget_rule()
    f = pd.DataFrame({"energy_tce": [60.0, 40.0, 10.0], "value_added_10k_yuan": [100.0, 100.0, 0.0]})
    assert energy_intensity(f).tolist()[:2] == [0.6, 0.4]
    assert above_control_line(f, rule).tolist() == [True, False, False]


def test_new_producers():
    prev = pd.DataFrame({"credit_code": ["a", "b", "c"], "status": ["evaluated", "excluded", "evaluated"]})
    cur = pd.DataFrame({"credit_code": ["a", "b", "c", "d"], "status": ["evaluated", "evaluated", "excluded", "evaluated"]})
    assert new_producers(cur, prev).tolist() == [False, True, False, True]
