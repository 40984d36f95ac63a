"""The Melitz–Polanec decomposition: a three-firm case worked out by hand, and the four terms adding up
to the change exactly on the sample for every pair of years, population and grouping."""

from __future__ import annotations

import itertools

import pandas as pd
import pytest

from helpers.evaluate.decomposition import COMPONENTS, decompose, decomposition_table
from helpers.evaluate.evaluation import evaluate


def _firms(rows: list[tuple[str, float, float]]) -> pd.DataFrame:
    """(code, tax 万元, land 亩) per enterprise, as an evaluated frame carries them."""
    return pd.DataFrame(rows, columns=["credit_code", "tax_10k_yuan", "land_mu"])


def test_three_firms_by_hand():
    # year 1: a 10万元 on 1亩 (10/亩), b 2 on 1 (2/亩, exits); year 2: a 24 on 2 (12/亩), c 18 on 1 (18/亩, enters)
    y1 = _firms([("a", 10.0, 1.0), ("b", 2.0, 1.0)])
    y2 = _firms([("a", 24.0, 2.0), ("c", 18.0, 1.0)])
    d = decompose(y1, y2, "tax_per_mu")
    assert d["aggregate_from"] == pytest.approx(12 / 2)  # (10 + 2) / 2亩 = 6
    assert d["aggregate_to"] == pytest.approx(42 / 3)  # (24 + 18) / 3亩 = 14
    # survivors: only a, so the within term is a's change and there is nothing to reallocate
    assert d["within"] == pytest.approx(12 - 10)
    assert d["reallocation"] == pytest.approx(0)
    # entry: c holds 1/3 of year 2's land; (18 − 12) × 1/3 = 2
    assert d["entry"] == pytest.approx((18 - 12) / 3)
    # exit: b held 1/2 of year 1's land; (10 − 2) × 1/2 = 4
    assert d["exit"] == pytest.approx((10 - 2) / 2)
    assert sum(d[k] for k in COMPONENTS) == pytest.approx(d["change"]) == pytest.approx(8)
    assert (d["survivors"], d["entries"], d["exits"]) == (1, 1, 1)


def test_reallocation_is_the_change_in_the_olley_pakes_covariance():
    # the same two firms, land moving to the better one: no firm changes, the aggregate rises
    y1 = _firms([("a", 10.0, 1.0), ("b", 6.0, 3.0)])  # 10/亩 and 2/亩: aggregate 16/4 = 4
    y2 = _firms([("a", 30.0, 3.0), ("b", 2.0, 1.0)])  # same ratios, shares swapped: 32/4 = 8
    d = decompose(y1, y2, "tax_per_mu")
    assert d["within"] == pytest.approx(0) and d["entry"] == 0 and d["exit"] == 0
    # cov = Σ (s − 1/2)(φ − 6): year 1 (−1/4)(4) + (1/4)(−4) = −2; year 2 (1/4)(4) + (−1/4)(−4) = 2
    assert d["reallocation"] == pytest.approx(4) == pytest.approx(d["change"])


def test_a_firm_without_land_or_a_ratio_is_left_out_of_both_years():
    y1 = _firms([("a", 10.0, 1.0), ("z", 5.0, 0.0)])
    y2 = _firms([("a", 12.0, 1.0), ("z", 5.0, 0.0)])
    d = decompose(y1, y2, "tax_per_mu")
    assert (d["survivors"], d["entries"], d["exits"]) == (1, 0, 0) and d["change"] == pytest.approx(2)


@pytest.fixture(scope="module")
def evaluated(sample):
    return {y: evaluate(sample, y).evaluated for y in sample.years}


@pytest.mark.slow
@pytest.mark.parametrize("indicator", ["tax_per_mu", "va_per_mu", "labour_productivity"])
def test_the_terms_add_up_exactly_on_the_sample(evaluated, indicator):
    above = {y: e[e["above_scale"].astype(bool)] for y, e in evaluated.items()}
    for frames in (evaluated, above):
        for a, b in itertools.combinations(sorted(frames), 2):
            for by in (None, "pool_zh", "street_name", "industry_chain"):
                table = decomposition_table(frames, a, b, indicator, by)
                residual = (table[list(COMPONENTS)].sum(axis=1) - table["change"]).abs().max()
                assert residual < 1e-9, (indicator, a, b, by, residual)
    whole = decomposition_table(above, 2021, 2023, "tax_per_mu").iloc[0]
    e = above[2023]
    assert whole["aggregate_to"] == pytest.approx(e["tax_10k_yuan"].sum() / e["land_mu"].sum())  # the 规上 headline figure


def test_one_year_of_data_says_there_is_no_change_and_a_bad_start_is_named():
    from types import SimpleNamespace

    from helpers.core.errors import InputError
    from helpers.report import effects_page
    from helpers.report.context import RunContext

    def stand_in(parameters: dict, years: list[int]) -> SimpleNamespace:
        """A context with only what ``years`` reads: parameters (through ``RunContext.option``) and years."""
        ctx = SimpleNamespace(parameters=parameters, evaluations=dict.fromkeys(years), year=max(years))
        ctx.option = lambda name, default: RunContext.option(ctx, name, default)
        return ctx

    one = stand_in({}, [2023])
    assert effects_page.years(one) is None
    assert "无数据" in effects_page.headline(one).texts[0] and "无数据" in effects_page.by_groups(one).texts[0]
    assert effects_page.years(stand_in({}, [2021, 2022, 2023])) == (2021, 2023)
    with pytest.raises(InputError, match="cannot start a change to 2023"):
        effects_page.years(stand_in({"from_year": 2023}, [2021, 2022, 2023]))
