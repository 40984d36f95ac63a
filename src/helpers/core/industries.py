"""Industry codes (GB/T 4754-2017) and the plan's industry chains (data/reference/industry_chains.yaml)."""

from __future__ import annotations

from functools import cache

import pandas as pd

from helpers.core import paths
from helpers.core.yamlfile import load_yaml

CHAINS_FILE = paths.DATA_DIR / "reference" / "industry_chains.yaml"


@cache
def _chains() -> dict:
    return load_yaml(CHAINS_FILE)


def chain_names() -> list[str]:
    """Chains in the file's order, the default chain last."""
    c = _chains()
    return [x["chain"] for x in c["chains"]] + [c["default_chain"]]


def missing_chain() -> str:
    """The group of enterprises whose data give no 行业代码 (shown after every chain)."""
    return str(_chains()["missing_chain"])


def chain_of(industry_codes: pd.Series) -> pd.Series:
    """The chain of each code by longest matching prefix; the default chain where none matches;
    ``missing_chain`` (行业代码未填) where the data give no code."""
    c = _chains()
    prefixes = sorted(((p, x["chain"]) for x in c["chains"] for p in x["prefixes"]), key=lambda t: -len(t[0]))
    which, distinct = pd.factorize(industry_codes.astype("string"))  # a few hundred codes at most
    chains = [next((chain for prefix, chain in prefixes if code.startswith(prefix)), c["default_chain"]) for code in distinct]
    out = pd.array(chains + [c["missing_chain"]], dtype="string")[which]  # -1 (missing code) → 行业代码未填
    return pd.Series(out, index=industry_codes.index, dtype="string")


def is_manufacturing(frame: pd.DataFrame) -> pd.Series:
    """制造业 by GB/T 4754-2017: industry code in 门类 C; True where the code is missing (not known
    to be outside manufacturing)."""
    if "industry_code" not in frame:
        return pd.Series(True, index=frame.index)
    code = frame["industry_code"].astype("string").str.strip().str.upper()
    return (code.str.startswith("C") | code.isna()).fillna(True).astype(bool)
