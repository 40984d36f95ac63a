"""Class transitions, industry peers and the lift to the next class: the matrices add up to each
year's evaluated counts, a hand-made panel gives the counts worked out by hand, the percentiles are
the hand calculation, and raising an indicator to the value said lifts the class."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from helpers.core.errors import InputError
from helpers.evaluate.evaluation import evaluate
from helpers.evaluate.headroom import lift_one_class
from helpers.evaluate.peers import furthest_below, industry_division, peer_frame
from helpers.evaluate.transitions import (
    EVALUATED_STATES,
    EXCLUDED,
    NO_DATA,
    OTHER_POOL,
    d_persistence,
    transitions,
    year_pairs,
)


@pytest.fixture(scope="module")
def evaluations(sample):
    return {y: evaluate(sample, y) for y in sample.years}


def test_every_matrix_adds_up_to_the_evaluated_counts_of_both_years(evaluations):
    for a, b in year_pairs("all", sorted(evaluations)):
        t = transitions(evaluations, a, b)
        m = t.matrix()
        assert m.loc[EVALUATED_STATES].to_numpy().sum() == len(evaluations[a].evaluated)
        assert m[EVALUATED_STATES].to_numpy().sum() == len(evaluations[b].evaluated)
        for cls in ["A", "B", "C", "D"]:  # each row is that class's count
            assert m.loc[cls].sum() == int((evaluations[a].evaluated["class"] == cls).sum())
            assert m[cls].sum() == int((evaluations[b].evaluated["class"] == cls).sum())
        for pool, members in evaluations[a].evaluated.groupby("pool"):
            assert t.matrix(pool).to_numpy().sum() == len(members)
            shares = t.matrix(pool, shares=True)
            nonempty = t.matrix(pool).sum(axis=1) > 0
            assert np.allclose(shares[nonempty].sum(axis=1), 100)
        c = t.counts()
        assert c["evaluated_from"] == len(evaluations[a].evaluated) and c["evaluated_to"] == len(evaluations[b].evaluated)


def _year(rows: list[tuple]) -> SimpleNamespace:
    """A stand-in evaluation: (code, status, reason, class, pool) per enterprise."""
    frame = pd.DataFrame(rows, columns=["credit_code", "status", "reason", "class", "pool"])
    frame["pool_zh"] = frame["pool"]
    return SimpleNamespace(enterprises=frame)


NO_ROW = "无该年度数据 / no data for the year"


def test_a_hand_made_panel_gives_the_counts_worked_out_by_hand():
    y1 = _year(
        [
            ("a", "evaluated", None, "A", "p"),  # A → C: a big move down
            ("b", "evaluated", None, "B", "p"),  # stays B
            ("c", "evaluated", None, "C", "p"),  # gone the next year
            ("d", "evaluated", None, "D", "p"),  # excluded the next year
            ("e", "excluded", NO_ROW, None, None),  # new the next year
            ("f", "evaluated", None, "D", "p"),  # D → B in another pool
        ]
    )
    y2 = _year(
        [
            ("a", "evaluated", None, "C", "p"),
            ("b", "evaluated", None, "B", "p"),
            ("c", "excluded", NO_ROW, None, None),
            ("d", "excluded", "未投产 / not yet in production", None, None),
            ("e", "evaluated", None, "A", "p"),
            ("f", "evaluated", None, "B", "q"),
        ]
    )
    t = transitions({2021: y1, 2022: y2}, 2021, 2022)
    m = t.matrix()
    assert m.loc["A", "C"] == 1 and m.loc["B", "B"] == 1 and m.loc["C", NO_DATA] == 1 and m.loc["D", EXCLUDED] == 1
    assert m.loc[NO_DATA, "A"] == 1 and m.loc["D", "B"] == 1 and m.to_numpy().sum() == 6
    assert list(t.big_moves["credit_code"]) == ["a"]  # f moved pools: not compared
    assert t.matrix("p").loc["D", OTHER_POOL] == 1
    c = t.counts()
    assert (c["stayed"], c["up"], c["down"], c["entered"], c["gone"], c["excluded"], c["changed_pool"]) == (1, 0, 1, 1, 1, 1, 1)


def test_d_persistence_counts_consecutive_years_in_the_same_pool():
    y1 = _year([("a", "evaluated", None, "D", "p"), ("b", "evaluated", None, "D", "p"), ("c", "evaluated", None, "C", "p")])
    y2 = _year([("a", "evaluated", None, "D", "p"), ("b", "evaluated", None, "C", "p"), ("c", "evaluated", None, "D", "q")])
    y3 = _year([("a", "evaluated", None, "D", "p"), ("b", "evaluated", None, "D", "p"), ("c", "evaluated", None, "D", "q")])
    table = d_persistence({2021: y1, 2022: y2, 2023: y3}, 2023)
    assert table["enterprises"].to_dict() == {0: 1, 1: 1, 2: 1}  # b new to D, c D one year before, a both years
    assert table.loc[2, "credit_codes"] == ["a"]


def test_year_pairs_parse_and_name_what_is_wrong():
    assert year_pairs("all", [2021, 2022, 2023]) == [(2021, 2022), (2022, 2023), (2021, 2023)]
    assert year_pairs("all", [2022, 2023]) == [(2022, 2023)]
    assert year_pairs("2021-2023，2022-2023", [2021, 2022, 2023]) == [(2021, 2023), (2022, 2023)]
    with pytest.raises(InputError, match="no evaluation of 2020"):
        year_pairs("2020-2023", [2021, 2022, 2023])
    with pytest.raises(InputError, match="not a pair of years"):
        year_pairs("2023-2021", [2021, 2022, 2023])


def test_industry_division_reads_the_gbt4754_division():
    codes = pd.Series(["C342", "c3421", " C18 ", "3420", "", None])
    assert industry_division(codes).tolist()[:3] == ["C34", "C34", "C18"]
    assert industry_division(codes).isna().tolist()[3:] == [True, True, True]


def test_industry_percentiles_agree_with_a_hand_calculation(evaluations):
    ev = evaluations[2023]
    peers = peer_frame(ev, min_group=5)
    e = ev.evaluated.assign(industry=industry_division(ev.evaluated["industry_code"]))
    group = e[(e["pool"] == "above_scale") & (e["industry"] == "C34")]
    values = group["tax_per_mu"].to_numpy()
    n = len(values)
    assert n >= 5
    got = peers.set_index("credit_code").loc[group["credit_code"]]
    for code, v in zip(group["credit_code"], values):
        # the share of the group at or below v, ties counted at their average rank
        hand = ((values < v).sum() + ((values == v).sum() + 1) / 2) / n * 100
        assert got.loc[code, "tax_per_mu_pct_industry"] == pytest.approx(hand)
        assert got.loc[code, "tax_per_mu_industry_median"] == pytest.approx(np.median(values))
    small = peer_frame(ev, min_group=n + 1).set_index("credit_code").loc[group["credit_code"]]
    assert small["tax_per_mu_pct_industry"].isna().all()  # too small a group: no percentile
    below = furthest_below(peers, n=10)
    assert below["tax_per_mu_vs_industry"].is_monotonic_increasing and (below["tax_per_mu_vs_industry"] < 1).all()


def test_raising_an_indicator_to_the_value_said_lifts_the_class(sample, evaluations):
    ev = evaluations[2023]
    e = ev.evaluated
    code = e[(e["pool"] == "above_scale") & (e["class"] == "C")].sort_values("score", ascending=False)["credit_code"].iloc[0]
    lift = lift_one_class(ev, code).set_index("indicator")
    needed = lift.loc["tax_per_mu", "needed"]
    assert lift.loc["tax_per_mu", "to_class"] == "B" and needed > lift.loc["tax_per_mu", "value"]
    panel = sample.panel.copy()
    row = (panel["credit_code"] == code) & (panel["year"] == 2023)
    for factor, expected in ((1.02, "B"), (0.98, "C")):  # just over and just under the value said
        changed = panel.copy()
        changed.loc[row, "tax_10k_yuan"] *= factor * needed / lift.loc["tax_per_mu", "value"]
        again = evaluate(sample.replace(panel=changed), 2023).evaluated.set_index("credit_code")
        assert again.loc[code, "class"] == expected, factor
    assert lift_one_class(ev, e.loc[e["class"] == "A", "credit_code"].iloc[0]).empty
