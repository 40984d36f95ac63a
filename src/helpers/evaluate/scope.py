"""The 街道 scope of a run: which 街道/镇 a parameter names (by name or code), and the view it selects.

"Per 街道" means the enterprise's registered 所属镇街 (``street_code`` of the enterprise table) for
everything about enterprises, and the parcel's own 镇街 (``street_code`` of the parcel layer) for
everything drawn on a map and every zone total (``helpers.evaluate.zones.parcel_streets``); a
spatial join places only the parcels that carry no 街道 code. A scope never changes a result, it selects which
results are shown."""

from __future__ import annotations

import pandas as pd

from helpers.core.geography import load_streets


def parse_streets(value: str | list | None) -> list[str] | None:
    """Street filter from a parameter: None, "all"/"" (no filter), or names/codes, comma-separated
    or as a list. Unknown entries raise ``ValueError`` listing the valid ones."""
    if value is None:
        return None
    items = value if isinstance(value, (list, tuple)) else str(value).replace("，", ",").split(",")
    items = [str(s).strip() for s in items if str(s).strip()]
    if not items or [s.lower() for s in items] == ["all"]:
        return None
    streets = load_streets()
    by_name = dict(zip(streets["street_name"], streets["street_code"]))
    codes = set(streets["street_code"])
    out, unknown = [], []
    for s in items:
        if s in codes:
            out.append(s)
        elif s in by_name:
            out.append(by_name[s])
        else:
            unknown.append(s)
    if unknown:
        valid = ", ".join(f"{n} ({c})" for n, c in by_name.items())
        raise ValueError(f"unknown 街道/镇 {unknown}; valid: {valid}")
    return out


def in_view(frame: pd.DataFrame, codes: list[str] | None) -> pd.DataFrame:
    """``frame`` (an evaluated enterprise frame) with every enterprise registered outside ``codes``
    marked ``filtered`` (its reason cleared); scores, ranks and classes are left as they are."""
    if not codes:
        return frame
    out = frame.copy()
    outside = ~out["street_code"].isin(codes).to_numpy(dtype=bool)
    out.loc[outside, "status"] = "filtered"
    out.loc[outside, "reason"] = pd.NA
    return out
