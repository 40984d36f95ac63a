"""Repeated keys and key lookups by fingerprints give what pandas and Arrow give on the strings.

Each test builds keys the fast path takes (codes of one length) beside keys it leaves to the plain way
(missing cells, several lengths, chunks of different lengths, numbers), and forces collisions by
replacing the mix with one that keeps two bits, so that the exact confirmation does the work.
"""

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from helpers.core import fingerprints
from helpers.core.fingerprints import fixed_text, repeated_rows, text_positions
from helpers.io.schema import found_rows

RNG_SEED = 20220623


def _codes(rng, n: int, length: int, distinct: int) -> pd.Series:
    """``n`` codes of ``length`` characters drawn from ``distinct`` different ones (so some repeat)."""
    alphabet = np.array(list("0123456789ABCDEFGHJKLMNPQRTUWXY"))
    pool = ["".join(rng.choice(alphabet, length)) for _ in range(distinct)]
    return pd.Series(rng.choice(pool, n), dtype="string")


@pytest.fixture(params=["mixed", "two bits"])
def mix(request, monkeypatch):
    """The fingerprints as they are, or all but two bits thrown away (every other cell collides)."""
    if request.param == "two bits":
        monkeypatch.setattr(fingerprints, "_mix", lambda words: words[-1] & np.uint64(3))
    return request.param


@pytest.mark.parametrize("length", [3, 8, 18, 19])
def test_repeated_rows_equal_pandas_duplicated(mix, length):
    rng = np.random.default_rng(RNG_SEED + length)
    n = 2000
    frame = pd.DataFrame(
        {
            "code": _codes(rng, n, length, 1500),
            "year": pd.array(rng.integers(2021, 2024, n), dtype="Int64"),
            "amount": rng.choice([0.0, -0.0, 1.5, np.nan], n),  # -0.0 equals 0.0: hashed by pandas, not by bits
        }
    )
    frame.loc[rng.choice(n, 30, replace=False), "year"] = pd.NA
    ragged = frame["code"].copy()
    ragged[rng.choice(n, 40, replace=False)] = "short"  # cells of another length: not the fast path
    with_missing = frame["code"].copy()
    with_missing[rng.choice(n, 20, replace=False)] = pd.NA
    frame = frame.assign(ragged=ragged, with_missing=with_missing)
    for columns in (["code"], ["code", "year"], ["ragged", "year"], ["with_missing"], ["code", "amount"]):
        expected = frame.duplicated(subset=columns, keep=False).to_numpy()
        assert expected.any() and not expected.all()
        np.testing.assert_array_equal(repeated_rows(frame, columns), expected, err_msg=str(columns))


def test_chunks_of_one_length_are_one_column_and_of_two_lengths_are_not():
    one = pa.chunked_array([pa.array(["AB12", "CD34"]), pa.array(["AB12"])])
    text = fixed_text(one)
    assert text is not None and text.length == 4 and len(text.fingerprints) == 3
    assert text.fingerprints[0] == text.fingerprints[2] != text.fingerprints[1]
    wide = fixed_text(pa.array(["AB12", "CD34"], type=pa.large_string()))
    assert wide is not None and (wide.fingerprints == text.fingerprints[:2]).all()
    assert fixed_text(pa.chunked_array([pa.array(["AB12"]), pa.array(["AB123"])])) is None
    assert fixed_text(pa.array(["AB12", None])) is None
    assert fixed_text(pa.array(["AB12", "CD345"])) is None
    sliced = pa.array(["x", "AB12", "CD34", "yy"]).slice(1, 2)  # a slice starts inside the buffer
    assert fixed_text(sliced) is not None and fixed_text(sliced).length == 4


def _index_in(column: pd.Series, target: pd.Series) -> np.ndarray:
    found = pc.index_in(pa.array(column), value_set=pa.array(target), skip_nulls=True)
    return np.asarray(found.fill_null(-1), dtype=np.int64)


def test_text_positions_equal_arrow_index_in(mix):
    rng = np.random.default_rng(RNG_SEED)
    target = _codes(rng, 3000, 18, 2500)  # repeats: the first row is the answer, as index_in gives it
    column = pd.concat([target.sample(4000, replace=True, random_state=1), _codes(rng, 500, 18, 500)], ignore_index=True)
    other_length = _codes(rng, 100, 17, 50)
    got = text_positions([column, other_length], target)
    assert got is not None
    np.testing.assert_array_equal(got[0], _index_in(column, target))
    np.testing.assert_array_equal(got[1], np.full(100, -1))
    assert (got[0] >= 0).mean() > 0.8 and (got[0] == -1).any()


def test_text_positions_leave_what_they_cannot_take_to_arrow():
    rng = np.random.default_rng(RNG_SEED)
    target = _codes(rng, 200, 18, 200)
    with_missing = target.copy()
    with_missing[3] = pd.NA
    assert text_positions([target], with_missing) is None
    assert text_positions([with_missing, target.str.slice(0, 5)], target)[:1] == [None]
    columns = [with_missing, target, pd.Series(["x", *target[:5]], dtype="string")]
    got = found_rows(columns, target)
    for column, rows in zip(columns, got):
        np.testing.assert_array_equal(rows, _index_in(column, target))
    assert got[0][3] == -1 and (got[1] >= 0).all()
