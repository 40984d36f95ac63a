import numpy as np
import pytest

from helpers import credit_code as cc

# Real, public codes of well-known companies (published on their licences).
REAL = ["91330100716105852F", "9144030071526726XG", "91110000802100433B"]


@pytest.mark.parametrize("code", REAL)
def test_real_codes_are_valid(code):
    assert cc.is_valid(code)
    assert cc.check_character(code[:17]) == code[17]
    assert cc.org_check_character(code[8:16]) == code[16]


@pytest.mark.parametrize("bad", ["91330100716105852E", "91330100716105852", "9133010071610585IF", "", None, 123,
                                 "91330100716105852f"])
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
