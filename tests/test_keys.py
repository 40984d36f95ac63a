"""Joins by row position equal left merges (values, order and dtypes)."""

import numpy as np
import pandas as pd

from helpers.core.keys import is_in, lookup, panel_index, positions, take_rows


def test_positions_of_present_absent_and_missing_keys():
    target = pd.Series(["b", "a", "c"], dtype="string")
    keys = pd.Series(["a", "x", None, "c", "a"], dtype="string")
    assert positions(keys, target).tolist() == [1, -1, -1, 2, 1]


def test_is_in_equals_series_isin_and_a_missing_value_is_never_in():
    rng = np.random.default_rng(5)
    keys = pd.Series(rng.choice([f"k{i}" for i in range(40)] + [None], size=500), dtype="string")
    among = pd.Series([f"k{i}" for i in range(0, 40, 3)] + [None], dtype="string")
    expected = keys.isin(among.dropna()).to_numpy(dtype=bool)
    assert is_in(keys, among).tolist() == expected.tolist()
    assert not is_in(keys, among)[keys.isna().to_numpy()].any()
    assert is_in(keys, among[:0]).sum() == 0


def test_lookup_equals_a_left_merge():
    rng = np.random.default_rng(3)
    right = pd.DataFrame(
        {
            "code": pd.array([f"k{i}" for i in range(50)], dtype="string"),
            "amount": rng.random(50),
            "count": pd.array(rng.integers(0, 9, 50), dtype="Int64"),
            "flag": pd.array(rng.random(50) > 0.5, dtype="boolean"),
            "label": pd.array([f"L{i % 7}" for i in range(50)], dtype="string"),
        }
    )
    left = pd.DataFrame(
        {"code": pd.array([f"k{i}" for i in rng.integers(0, 70, 200)], dtype="string"), "x": np.arange(200)}
    ).sample(frac=1, random_state=1)
    expected = left.merge(right, on="code", how="left")
    pd.testing.assert_frame_equal(lookup(left, right, "code"), expected)
    assert take_rows(right[["amount"]], np.array([-1, 0]))["amount"].isna().tolist() == [True, False]


def test_a_panel_index_numbers_entities_in_the_order_of_their_codes():
    codes = pd.Series(["91330110B", "91330110A", "91330110C", "91330110A", "91330110B"], dtype="string", index=[7, 3, 9, 1, 5])
    years = pd.Series([2022, 2022, 2023, 2023, 2023], index=codes.index)
    index = panel_index(codes, years)
    assert index.get_level_values(0).tolist() == [1, 0, 2, 0, 1]
    assert index.get_level_values(1).tolist() == [2022, 2022, 2023, 2023, 2023]
    # the numbers sort and group as the codes do
    order = np.argsort(index.get_level_values(0).to_numpy(), kind="stable")
    assert codes.iloc[order].tolist() == sorted(codes.tolist())
