"""统一社会信用代码 (unified social credit code) under GB 32100-2015.

18 characters: registration authority (1), entity type (1), administrative division (6),
organisation code body (8) with its GB 11714 check character (1), and the GB 32100 check
character (1). The alphabet has 31 characters: digits and capital letters without I O Z S V.
"""

from __future__ import annotations

import re

import numpy as np

from helpers.core.fingerprints import fixed_cells

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
# weight of position i is 3**i mod 31
WEIGHTS = [pow(3, i, 31) for i in range(17)]
_PATTERN = re.compile(rf"^[{ALPHABET}]{{18}}$")

_BYTE_VALUE = np.zeros(256, dtype=np.int64)  # each alphabet character's value, by its byte
_BYTE_VALUE[[ord(c) for c in ALPHABET]] = np.arange(len(ALPHABET))
_IN_ALPHABET = np.zeros(256, dtype=bool)
_IN_ALPHABET[[ord(c) for c in ALPHABET]] = True

# GB 11714-1997 organisation code: 8 body characters (digits or capitals), weights below.
_ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]


def check_character(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters."""
    if len(first17) != 17 or any(c not in _VALUE for c in first17):
        raise ValueError(f"need 17 characters from {ALPHABET!r}, got {first17!r}")
    total = sum(_VALUE[c] * w for c, w in zip(first17, WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def org_check_character(body8: str) -> str:
    """The GB 11714 check character of an 8-character organisation code body."""

    def val(c: str) -> int:
        return int(c) if c.isdigit() else ord(c) - ord("A") + 10

    total = sum(val(c) * w for c, w in zip(body8, _ORG_WEIGHTS))
    c9 = 11 - total % 11
    return "X" if c9 == 10 else "0" if c9 == 11 else str(c9)


def is_valid(code: object) -> bool:
    """True when ``code`` is an 18-character code whose GB 32100 check character is right."""
    if not isinstance(code, str) or not _PATTERN.match(code):
        return False
    return check_character(code[:17]) == code[17]


def valid_mask(codes) -> np.ndarray:
    """``is_valid`` of every element of ``codes`` (a Series or sequence; missing values are not
    valid), computed on all codes at once: one regular expression (or, for Arrow text of 18-byte
    cells, a look-up of each byte read in place) and a weighted sum per row."""
    import pandas as pd

    text = pd.Series(codes, dtype="string") if not isinstance(codes, pd.Series) else codes.astype("string")
    cells = fixed_cells(text, 18) if isinstance(text.array, pd.arrays.ArrowStringArray) else None
    if cells is not None:  # every cell 18 bytes: its bytes read in place, no Python string per code
        shaped = _IN_ALPHABET[cells].all(axis=1)
        raw = cells[shaped]
    else:
        shaped = text.str.fullmatch(_PATTERN.pattern).fillna(False).to_numpy(dtype=bool)
        raw = np.array(text[shaped].tolist(), dtype="S18").view(np.uint8).reshape(-1, 18)
    out = np.zeros(len(text), dtype=bool)
    if shaped.any():
        values = _BYTE_VALUE[raw]
        expected = (31 - (values[:, :17] @ np.array(WEIGHTS)) % 31) % 31
        out[shaped] = expected == values[:, 17]
    return out


def make_code(division: str, org_body: str, authority: str = "9", entity_type: str = "1") -> str:
    """Build a valid code from its parts (both check characters computed)."""
    org = org_body + org_check_character(org_body)
    first17 = f"{authority}{entity_type}{division}{org}"
    return first17 + check_character(first17)


def random_codes(n: int, divisions: list[str], rng: np.random.Generator) -> list[str]:
    """``n`` distinct valid codes of enterprises (authority 9, type 1) in the given divisions."""
    codes: set[str] = set()
    out: list[str] = []
    while len(out) < n:
        body = "".join(rng.choice(list("0123456789"), size=8))
        division = divisions[int(rng.integers(len(divisions)))]
        code = make_code(division, body)
        if code not in codes:
            codes.add(code)
            out.append(code)
    return out
