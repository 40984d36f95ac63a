import numpy as np
import pytest

from helpers.core import credit_code as cc

# Real, public codes of well-known companies (published on their licences).
REAL = ["91330100716105852F", "9144030071526726XG", "91110000802100433B"]


@pytest.mark.parametrize("code", REAL)
def test_real_codes_are_valid(code):
    assert cc.is_valid(code)
    assert cc.check_character(code[:17]) == code[17]
    assert cc.org_check_character(code[8:16]) == code[16]


@pytest.mark.parametrize(
    "bad", ["91330100716105852E", "91330100716105852", "9133010071610585IF", "", None, 123, "91330100716105852f"]
)
def test_bad_codes_are_invalid(bad):
    assert not cc.is_valid(bad)


def test_alphabet_excludes_ambiguous_letters():
    assert not set("IOZSV") & set(cc.ALPHABET)
    assert len(cc.ALPHABET) == 31
    assert cc.WEIGHTS[:4] == [1, 3, 9, 27] and cc.WEIGHTS[4] == 81 % 31


def test_random_codes_are_valid_distinct_and_seeded():
    a = cc.random_codes(200, ["330113", "330110"], np.random.default_rng(1))
    b = cc.random_codes(200, ["330113", "330110"], np.random.default_rng(1))
    assert a == b and len(set(a)) == 200
    assert all(cc.is_valid(c) and c[2:8] in {"330113", "330110"} for c in a)


def test_valid_mask_agrees_with_is_valid_code_by_code():
    import pandas as pd

    rng = np.random.default_rng(7)
    good = cc.random_codes(300, ["330110", "330113"], rng)
    # every single-character change of a valid code, and the bad shapes above
    changed = [c[:i] + ch + c[i + 1 :] for c in good[:20] for i in (3, 17) for ch in "0AX"]
    codes = pd.Series(
        good + changed + REAL + ["91330100716105852E", "91330100716105852", "9133010071610585IF", "", None, "91330100716105852f"],
        dtype="string",
    )
    mask = cc.valid_mask(codes)
    assert mask.tolist() == [
        cc.is_valid(c) if isinstance(c, str) else False for c in codes.astype(object).where(codes.notna(), None)
    ]
    assert mask[:300].all() and not mask.all()


def test_codes_of_18_bytes_are_read_in_place_and_judged_as_one_by_one():
    """A column whose every cell has 18 bytes (a clean export) is judged from its bytes in place:
    the same answers as code by code, for lower case, letters outside the alphabet, and six Chinese
    characters (18 bytes, 6 characters); in chunks too. The rewriting check of the folder (upper case,
    no spaces) judges them alike."""
    import pandas as pd
    import pyarrow as pa

    from helpers.core.fingerprints import fixed_cells
    from helpers.io.schema import coerce_source, table_specs

    good = cc.random_codes(200, ["330110"], np.random.default_rng(3))
    lettered = next(c for c in good if any(ch.isalpha() for ch in c))
    odd = [lettered.lower(), good[1][:17] + "I", "统一社会信用", good[2][:16] + "Z9", good[3][:17] + "!"]
    cells = good + odd
    chunked = pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([pa.array(cells[:50]), pa.array(cells[50:])])))
    for codes in (pd.Series(cells, dtype="string[pyarrow]"), chunked):
        assert fixed_cells(codes, 18) is not None
        assert cc.valid_mask(codes).tolist() == [cc.is_valid(c) for c in cells]
    spec = table_specs()["enterprises"]
    frame = pd.DataFrame({"credit_code": chunked, "_row": range(2, len(cells) + 2), "_source": "enterprises.csv"})
    _, problems = coerce_source(frame, spec, {})
    rewritten = [p for p in problems if "upper case" in p.problem]
    assert [p.rows for p in rewritten] == [(len(good) + 2,)]  # the lower-case code, and no other
    invalid = [p for p in problems if p.problem == "invalid 统一社会信用代码"]
    assert invalid and set(invalid[0].rows) == {len(good) + 2 + i for i in range(1, 5)}
