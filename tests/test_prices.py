import pandas as pd
import pytest

from helpers.evaluate.evaluation import evaluate
from helpers.policy.prices import burden_by, consecutive_years, electricity_surcharge, load_prices, rescore


def test_surcharge_hand_case():
    prices = load_prices()
    f = pd.DataFrame({"credit_code": ["a", "b", "c"], "class": ["D", "D", "B"], "electricity_10k_kwh": [100.0, 50.0, 999.0]})
    runs = pd.Series({"a": 3, "b": 1, "c": 0})
    s = electricity_surcharge(f, prices, runs)
    assert s.tolist() == pytest.approx([40.0, 15.0, 0.0])  # 100万kWh × 0.4元; 50万kWh × 0.3元; B pays none
    assert burden_by(f, s, "class").set_index("class").loc["D", "surcharge_10k_yuan"] == pytest.approx(55.0)


def test_consecutive_years():
    by_year = {
        2021: pd.Series({"a": "D", "b": "D", "c": "C"}),
        2022: pd.Series({"a": "D", "b": "C", "c": "D"}),
        2023: pd.Series({"a": "D", "b": "D", "c": "D"}),
    }
    assert consecutive_years(by_year, 2023, "D").to_dict() == {"a": 3, "b": 1, "c": 2}


def test_burden_moves_when_d_class_leaves(sample):
    ev = evaluate(sample, 2023)
    e = ev.evaluated
    remaining = e[e["class"] != "D"]
    after = rescore(remaining, ev.method)
    # rank bands refill: some enterprises that were C are now D
    assert (after["class"] == "D").sum() > 0
    assert set(after.loc[after["class"] == "D", "credit_code"]) & set(e.loc[e["class"] == "C", "credit_code"])
