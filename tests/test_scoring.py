"""The 黄岩 2022 formula reproduced on hand-computed cases, and the class-band rules."""

import numpy as np
import pandas as pd
import pytest

from helpers.evaluate.methods import Ranking, load_method
from helpers.evaluate.scoring import assign_classes, score_pool

BANDS_WENLING_ABOVE = (("A", 0.20), ("B", 0.80), ("C", 0.95), ("D", 1.00))


def above_row(**kw):
    base = dict(
        land_mu=10.0,
        tax_10k_yuan=300.0,
        value_added_10k_yuan=1500.0,
        energy_tce=500.0,
        emissions_t=0.25,
        employees=75.0,
        revenue_10k_yuan=6000.0,
        rd_10k_yuan=200.0,
        electricity_10k_kwh=100.0,
        above_scale=True,
    )
    base.update(kw)
    return base


def test_huangyan_2022_above_scale_hand_computed():
    # 亩均税收 30/24.097×30 = 37.349047; 亩均增加值 150/136.16×20 = 22.032902;
    # 单位能耗增加值 3/2.694×20 = 22.271715; 单位排放增加值 6000/4929.81×10 = 12.170854;
    # 劳动生产率 20/18.14×10 = 11.025358; R&D 0.0333333/0.0302×10 = 11.037528; total 115.887405
    pool = load_method("huangyan_2022").pool("above_scale")
    scored, _ = score_pool(pd.DataFrame([above_row()]), pool)
    assert scored["score_tax_per_mu"].iloc[0] == pytest.approx(37.349048, abs=1e-5)
    assert scored["score_va_per_emission"].iloc[0] == pytest.approx(12.170854, abs=1e-5)
    assert scored["score"].iloc[0] == pytest.approx(115.887405, abs=1e-4)


def test_huangyan_2022_below_scale_hand_computed():
    # 亩均税收 60/5 = 12 → 12/11.5932×50 = 51.754473; 单位电耗税收 60/200 = 0.3 → 0.3/0.2352×50 = 63.775510 → 115.529987
    pool = load_method("huangyan_2022").pool("below_scale")
    row = dict(land_mu=5.0, tax_10k_yuan=60.0, electricity_10k_kwh=200.0, above_scale=False)
    scored, _ = score_pool(pd.DataFrame([row]), pool)
    assert scored["score"].iloc[0] == pytest.approx(115.529987, abs=1e-4)


def test_enterprise_at_every_benchmark_scores_100():
    pool = load_method("huangyan_2022").pool("above_scale")
    at = above_row(
        land_mu=1.0,
        tax_10k_yuan=24.097,
        value_added_10k_yuan=136.16,
        energy_tce=136.16 / 2.694,
        emissions_t=136.16 / 4929.81,
        employees=136.16 / 18.14,
        revenue_10k_yuan=1000.0,
        rd_10k_yuan=30.2,
    )
    scored, _ = score_pool(pd.DataFrame([at]), pool)
    assert scored["score"].iloc[0] == pytest.approx(100.0, abs=1e-9)


def test_score_is_linear_in_each_indicator():
    pool = load_method("huangyan_2022").pool("above_scale")
    rows = pd.DataFrame([above_row(tax_10k_yuan=t) for t in (100.0, 200.0, 300.0)])
    s = score_pool(rows, pool)[0]["score"].to_numpy()
    assert s[1] - s[0] == pytest.approx(s[2] - s[1])
    assert s[1] - s[0] == pytest.approx(10 / 24.097 * 30)


def test_missing_emissions_take_pool_mean_item_score_other_items_zero():
    pool = load_method("huangyan_2022").pool("above_scale")
    rows = pd.DataFrame(
        [above_row(emissions_t=0.25), above_row(emissions_t=0.5), above_row(emissions_t=np.nan), above_row(energy_tce=0.0)]
    )
    scored, bench = score_pool(rows, pool)
    em = scored["score_va_per_emission"]
    assert em.iloc[2] == pytest.approx((em.iloc[0] + em.iloc[1] + em.iloc[3]) / 3)
    assert scored["score_va_per_energy"].iloc[3] == 0.0  # zero denominator → no value → 0
    assert bench.set_index("indicator").loc["va_per_emission", "n_missing"] == 1


def test_pool_aggregate_benchmark_is_sum_over_sum():
    pool = load_method("linping_default").pool("above_scale")
    rows = pd.DataFrame([above_row(land_mu=10.0, tax_10k_yuan=100.0), above_row(land_mu=30.0, tax_10k_yuan=700.0)])
    _, bench = score_pool(rows, pool)
    assert bench.set_index("indicator").loc["tax_per_mu", "benchmark"] == pytest.approx(800 / 40)


def test_negative_tax_gives_negative_item_score():
    pool = load_method("huangyan_2022").pool("above_scale")
    scored, _ = score_pool(pd.DataFrame([above_row(tax_10k_yuan=-50.0)]), pool)
    assert scored["score_tax_per_mu"].iloc[0] == pytest.approx(-5 / 24.097 * 30)


def test_class_bands_inclusive_upper_bounds():
    scores = pd.Series(np.arange(20, 0, -1, dtype=float))  # 20 distinct scores, best first
    rank, cls, note = assign_classes(scores, BANDS_WENLING_ABOVE)
    assert list(rank[:5]) == [1, 2, 3, 4, 5]
    # rank 4 of 20 = 20 % → A (含); rank 5 → B; rank 16 = 80 % → B; 19 = 95 % → C; 20 → D
    assert cls.tolist() == ["A"] * 4 + ["B"] * 12 + ["C"] * 3 + ["D"]
    assert note.isna().all()


def test_ties_share_the_best_rank_and_class():
    scores = pd.Series([100, 90, 80, 80, 70, 60, 50, 40, 30, 20], dtype=float)
    rank, cls, _ = assign_classes(scores, BANDS_WENLING_ABOVE)
    # 80 and 80 tie at rank 3: 3/10 = 30 % → both B (not one A, one B)
    assert rank.tolist()[:4] == [1, 2, 3, 3]
    assert cls.tolist()[:4] == ["A", "A", "B", "B"]


def bottom_tied(n: int, tied: int) -> pd.Series:
    """``n`` scores, the last ``tied`` of them tied at 0 (the ``missing: zero`` rule makes this common)."""
    return pd.Series(np.r_[np.arange(n - tied, 0, -1, dtype=float), np.zeros(tied)])


@pytest.mark.parametrize("n, tied", [(100, 10), (20, 2), (100, 30)])
def test_ties_in_last_place_do_not_escape_the_bottom_band(n, tied):
    scores = bottom_tied(n, tied)
    old = assign_classes(scores, BANDS_WENLING_ABOVE, Ranking(ties="best_rank"))[1]
    assert (old == "D").sum() == 0  # the old rule: the tie group takes the best rank, in C, and D is empty
    rank, cls, note = assign_classes(scores, BANDS_WENLING_ABOVE)
    assert (cls == "D").sum() == tied and (cls.iloc[-tied:] == "D").all()
    assert note.iloc[-tied:].str.contains("tied in last place").all() and note.iloc[:-tied].isna().all()
    assert rank.iloc[-1] == n - tied + 1  # the rank shown is still the best rank of the group


def test_average_rank_places_a_tie_group_by_its_middle():
    _, cls, _ = assign_classes(bottom_tied(100, 10), BANDS_WENLING_ABOVE, Ranking(ties="average_rank"))
    assert (cls.iloc[-10:] == "D").all()  # places 91–100, middle 95.5 % > 95 %
    _, cls, _ = assign_classes(bottom_tied(100, 30), BANDS_WENLING_ABOVE, Ranking(ties="average_rank"))
    assert (cls.iloc[-30:] == "C").all() and (cls == "D").sum() == 0  # middle 85.5 %: stated by the rule's text


def test_a_pool_with_no_spread_is_not_put_in_classes():
    rank, cls, note = assign_classes(pd.Series([0.0] * 7), BANDS_WENLING_ABOVE)  # before: all 7 were A
    assert cls.isna().all() and rank.isna().all() and note.str.contains("all scores of the pool are equal").all()


@pytest.mark.parametrize("n", [1, 4])
def test_a_pool_below_the_minimum_size_is_not_put_in_classes(n):
    rank, cls, note = assign_classes(pd.Series(np.arange(n, 0, -1, dtype=float)), BANDS_WENLING_ABOVE)  # before: 1 of 1 was D
    assert cls.isna().all() and rank.isna().all() and note.str.contains(f"pool of {n} under 5").all()


def test_small_pool_bands():
    rank, cls, _ = assign_classes(pd.Series([3.0, 2.0, 1.0]), BANDS_WENLING_ABOVE, Ranking(min_pool_size=1))
    # 1/3 = 33 % → B; 2/3 → B; 3/3 → D
    assert cls.tolist() == ["B", "B", "D"]


def pool_of(n: int = 6, **changed) -> pd.DataFrame:
    """``n`` 规上 rows differing in tax; ``changed``: {column: {row: value}}."""
    rows = pd.DataFrame([above_row(tax_10k_yuan=100.0 + 50 * i) for i in range(n)])
    for col, cells in changed.items():
        for i, v in cells.items():
            rows.loc[i, col] = v
    return rows


def test_zero_employees_follow_the_stated_rule_and_are_named():
    pool = load_method("linping_default").pool("above_scale")
    scored, bench = score_pool(pool_of(employees={2: 0.0}), pool)
    assert np.isnan(scored.loc[2, "labour_productivity"]) and scored.loc[2, "score_labour_productivity"] == 0.0
    assert scored["zero_denominator"].notna().tolist() == [False, False, True, False, False, False]
    assert "全员劳动生产率分母为0" in scored.loc[2, "zero_denominator"] and "missing value" in scored.loc[2, "zero_denominator"]
    row = bench.set_index("indicator").loc["labour_productivity"]
    assert (row["n_zero_denominator"], row["zero_denominator_rule"]) == (1, "missing")


def test_the_pool_best_rule_gives_the_pools_best_value(tmp_path):
    from dataclasses import replace

    pool = load_method("linping_default").pool("above_scale")
    items = tuple(replace(i, zero_denominator="pool_best") if i.indicator == "va_per_energy" else i for i in pool.items)
    rows = pool_of(energy_tce={1: 0.0, 3: 250.0})
    scored, _ = score_pool(rows, replace(pool, items=items))
    assert scored.loc[1, "va_per_energy"] == scored["va_per_energy"].max() == 1500.0 / 250.0
    assert "pool's best value" in scored.loc[1, "zero_denominator"]


@pytest.mark.parametrize("column, value", [("tax_10k_yuan", 0.0), ("tax_10k_yuan", -10.0)])
def test_a_benchmark_that_cannot_divide_stops_with_a_clear_message(column, value):
    from helpers.core.errors import InputError

    pool = load_method("linping_default").pool("above_scale")
    rows = pool_of()
    rows[column] = value  # every enterprise of the pool: Σ 税收 is 0 (or negative)
    with pytest.raises(InputError, match=r"the benchmark of 亩均税收（万元/亩） is -?\d+ over 6 enterprises") as info:
        score_pool(rows, pool)
    assert "pool 规上企业 (above_scale)" in str(info.value) and "fixed benchmark" in info.value.expected


def test_a_pool_without_any_value_for_an_indicator_scores_it_by_the_missing_rule():
    pool = load_method("linping_default").pool("above_scale")
    scored, bench = score_pool(pool_of().assign(rd_10k_yuan=np.nan), pool)  # an optional input absent
    assert np.isnan(bench.set_index("indicator").loc["rd_ratio", "benchmark"]) and (scored["score_rd_ratio"] == 0).all()


def test_an_input_error_shows_in_a_notebook_as_its_problems_not_a_traceback():
    from helpers.core.errors import InputError, Problem

    err = InputError.from_problems([Problem("panel.csv", "not a number", "tax", (3,), "numbers in 万元")])
    assert err._render_traceback_() == [
        "InputError — 数据问题 problem in the input:",
        "panel.csv, column 'tax', rows 3: not a number. Expected: numbers in 万元",
    ]
