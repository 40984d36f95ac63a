"""Stable pseudonyms for enterprise names and credit codes.

A pseudonym is a keyed hash (HMAC-SHA256) of the credit code: the same code always gets the
same pseudonym under the same key, and nobody without the key can test a guessed code against
it. The key comes from the environment variable ``MUJUN_PSEUDONYM_KEY``; without it a fixed
public key is used, which is fine for the synthetic sample and **not** for real data (anyone can
recompute those pseudonyms from a list of real codes).
"""

from __future__ import annotations

import hashlib
import hmac
import os

import pandas as pd

KEY_ENV = "MUJUN_PSEUDONYM_KEY"
PUBLIC_KEY = "linping-mujun-public-key"


def pseudonym_key() -> tuple[bytes, bool]:
    """The key and whether it is a private one (set in the environment)."""
    key = os.environ.get(KEY_ENV)
    return (key or PUBLIC_KEY).encode("utf-8"), bool(key)


def pseudonym(code: str, key: bytes) -> str:
    digest = hmac.new(key, code.encode("utf-8"), hashlib.sha256).hexdigest().upper()
    return f"企业-{digest[:8]}"


def pseudonymize(frame: pd.DataFrame, code_col: str = "credit_code", name_col: str = "name") -> pd.DataFrame:
    """A copy of ``frame`` whose name and code columns hold the pseudonym instead (rows without a
    code, e.g. idle parcels, stay empty)."""
    key, _ = pseudonym_key()
    out = frame.copy()
    alias = out[code_col].map(lambda c: pseudonym(str(c), key), na_action="ignore")
    if name_col in out:
        out[name_col] = alias
    out[code_col] = alias
    return out
