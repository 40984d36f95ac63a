"""Where every enterprise and every row of the core tables went in one evaluation year:
read = filtered (outside the view) + excluded (with a reason) + evaluated."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from helpers.core.keys import is_in
from helpers.evaluate.frame import EXCLUSION_REASONS
from helpers.io.dataset import Dataset

if TYPE_CHECKING:
    from helpers.evaluate.evaluation import Evaluation


def ledger(enterprises: pd.DataFrame) -> pd.DataFrame:
    """Counts: read = filtered + excluded (by reason) + evaluated (by pool)."""
    rows = [("读入企业 / enterprises read", "", len(enterprises))]
    rows.append(("不在所选街道 / outside the chosen 街道", "filtered", int((enterprises["status"] == "filtered").sum())))
    ex = enterprises[enterprises["status"] == "excluded"]
    for reason in EXCLUSION_REASONS.values():
        rows.append((f"排除 / excluded: {reason}", "excluded", int((ex["reason"] == reason).sum())))
    ev = enterprises[enterprises["status"] == "evaluated"]
    for pool_id, zh in ev.groupby("pool", sort=False)["pool_zh"].first().items():
        rows.append((f"参评 / evaluated: {zh}", "evaluated", int((ev["pool"] == pool_id).sum())))
    out = pd.DataFrame(rows, columns=["item", "status", "enterprises"])
    return out


TABLE_LEDGER_COLUMNS = ["table", "read", "used", "out_of_scope", "excluded_at_load", "excluded_in_evaluation"]


def table_ledger(dataset: Dataset, ev: Evaluation) -> pd.DataFrame:
    """Per core table, for the evaluation year: rows read = used + out of scope (another year or
    街道, a choice of scope) + excluded at load (with reasons in ``dataset.check.excluded``) +
    excluded in the evaluation (the enterprise's reason in ``ev.exclusions``)."""
    status = ev.enterprises.set_index("credit_code")["status"]
    panel_status = dataset.panel["credit_code"].map(status).where(dataset.panel["year"] == ev.year, "filtered")
    in_view = pd.Series(is_in(dataset.parcels["parcel_id"], ev.parcels["parcel_id"]), index=dataset.parcels.index)
    kept_status = {
        "enterprises": ev.enterprises["status"],
        "parcels": pd.Series(["evaluated" if v else "filtered" for v in in_view]),
        "enterprise_parcels": dataset.links["credit_code"].map(status),
        "panel": panel_status,
    }
    load = dataset.check.ledger.set_index("table") if dataset.check is not None else None
    rows = []
    for table, st in kept_status.items():
        counts = st.value_counts()
        at_load = int(load.loc[table, "excluded"]) if load is not None else 0
        row: dict[str, int | str] = {
            "table": table,
            "used": int(counts.get("evaluated", 0)),
            "out_of_scope": int(counts.get("filtered", 0)),
            "excluded_at_load": at_load,
            "excluded_in_evaluation": int(counts.get("excluded", 0)),
        }
        row["read"] = int(load.loc[table, "read"]) if load is not None else len(st) + at_load
        if row["read"] != len(st) + at_load or sum(int(row[k]) for k in TABLE_LEDGER_COLUMNS[2:]) != row["read"]:
            raise AssertionError(f"ledger of {table} does not add up: {row}")
        rows.append(row)
    return pd.DataFrame(rows, columns=TABLE_LEDGER_COLUMNS)
