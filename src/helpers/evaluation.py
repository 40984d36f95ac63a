"""One evaluation year end to end: who is evaluated, in which pool, with what score and class,
who is left out and why, and the parcel-level view.

Every enterprise of the data folder ends in exactly one of three states:

- ``filtered``: outside the chosen 街道 (not an exclusion, a choice of scope);
- ``excluded``: inside the scope but not evaluated, with a reason (``EXCLUSION_REASONS``);
- ``evaluated``: scored in one pool of the method.

``ledger`` counts them so that read = filtered + excluded + evaluated, and ``exclusions`` lists
every excluded enterprise with its reason.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa

from .geo import load_streets
from .keys import lookup, positions, take_rows
from .loaders import Dataset, enterprise_land, used_land
from .methods import Method, load_method
from .scoring import pool_columns, score_pool, select_pool

EXCLUSION_REASONS = {
    "no_panel_row": "无该年度数据 / no data for the year",
    "not_in_production": "未投产 / not yet in production",
    "no_land": "无自有用地（租赁或未登记）/ no land of its own",
    "no_pool": "不属于方法的任何评价池 / in none of the method's pools",
}


@dataclass
class Evaluation:
    year: int
    method: Method
    streets: list[str] | None
    enterprises: pd.DataFrame
    benchmarks: pd.DataFrame
    parcels: gpd.GeoDataFrame
    synthetic: bool

    @property
    def evaluated(self) -> pd.DataFrame:
        return self.enterprises[self.enterprises["status"] == "evaluated"]

    @property
    def exclusions(self) -> pd.DataFrame:
        cols = ["credit_code", "name", "street_name", "reason"]
        return self.enterprises.loc[self.enterprises["status"] == "excluded", cols].reset_index(drop=True)

    @property
    def ledger(self) -> pd.DataFrame:
        return ledger(self.enterprises)


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


def enterprise_year_frame(dataset: Dataset, year: int) -> pd.DataFrame:
    """Enterprises with their land and their panel row of ``year`` (NaN where none)."""
    return year_frame(dataset.enterprises, enterprise_land(dataset), dataset.panel, year, dataset.panel_rows())


def year_frame(enterprises: pd.DataFrame, land: pd.DataFrame, panel: pd.DataFrame, year: int,
               panel_rows: np.ndarray | None = None) -> pd.DataFrame:
    """``enterprises`` joined with their ``land`` (``enterprise_land``) and their ``panel`` row of
    ``year`` (``has_panel`` False where there is none). ``panel_rows``: each panel row's row in
    ``enterprises`` when already known (``Dataset.panel_rows``), instead of looking the codes up."""
    names = load_streets().set_index("street_code")["street_name"]
    if land["credit_code"].reset_index(drop=True).equals(enterprises["credit_code"].reset_index(drop=True)):
        frame = pd.concat([enterprises.reset_index(drop=True),          # enterprise_land's rows: same order
                           land.drop(columns="credit_code").reset_index(drop=True)], axis=1)
    else:
        frame = lookup(enterprises, land, "credit_code")
    frame["street_name"] = frame["street_code"].map(names)
    if panel_rows is None:
        panel = panel[panel["year"] == year].drop(columns="year")
        at = positions(frame["credit_code"], panel["credit_code"])
    else:       # the panel's (enterprise, year) pairs are unique (folder check): one row or none
        rows = np.flatnonzero((panel["year"] == year).to_numpy(dtype=bool, na_value=False) & (panel_rows >= 0))
        at = np.full(len(frame), -1, dtype=np.int64)
        at[panel_rows[rows]] = rows
        panel = panel.drop(columns="year")
    frame = pd.concat([frame, take_rows(panel.drop(columns="credit_code"), at)], axis=1)
    frame["has_panel"] = at >= 0
    return frame


def evaluate(dataset: Dataset, year: int, method: str | Method = "linping_default",
             streets: str | list | None = None) -> Evaluation:
    """Evaluate ``year`` of ``dataset`` with ``method``, within ``streets`` (None = whole district)."""
    method = method if isinstance(method, Method) else load_method(method)
    codes = parse_streets(streets)
    frame, benchmarks = evaluate_frame(enterprise_year_frame(dataset, int(year)), method, codes)
    parcels = parcel_view(dataset, frame)
    if codes:
        parcels = parcels[parcels["street_code"].isin(codes)]
    return Evaluation(year=int(year), method=method, streets=codes, enterprises=frame,
                      benchmarks=benchmarks, parcels=parcels,
                      synthetic=dataset.synthetic)


def evaluate_frame(frame: pd.DataFrame, method: Method, codes: list[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Status, exclusion reason, pool, indicators, scores, rank and class of every enterprise of
    ``frame`` (``enterprise_year_frame``), within the 街道 ``codes`` (None = all); and the pools'
    benchmark table. Both engines (pandas, dask) score through this function."""
    frame = frame.copy(deep=False)   # copy-on-write: the caller's frame is never changed
    in_scope = frame["street_code"].isin(codes).to_numpy(dtype=bool) if codes else np.ones(len(frame), dtype=bool)
    reasons = list(EXCLUSION_REASONS)
    reason = np.full(len(frame), -1, dtype=np.int64)        # position in EXCLUSION_REASONS; -1: none (yet)

    def exclude(mask, why: str) -> None:        # the first reason that applies is the one kept
        reason[np.asarray(mask, dtype=bool) & in_scope & (reason < 0)] = reasons.index(why)

    exclude(~frame["has_panel"].to_numpy(dtype=bool), "no_panel_row")
    exclude(~frame["in_production"].fillna(False).astype(bool).to_numpy(), "not_in_production")
    exclude((frame["land_mu"] <= 0).to_numpy(dtype=bool), "no_land")
    eligible = in_scope & (reason < 0)
    frames, benches = [], []
    taken = np.zeros(len(frame), dtype=bool)
    for pool in method.pools:
        members_mask = eligible & select_pool(frame, pool).to_numpy(dtype=bool)
        overlap = members_mask & taken
        if overlap.any():
            raise ValueError(f"{method.file}: pool {pool.id!r} overlaps an earlier pool for "
                             f"{int(overlap.sum())} enterprises; pools must not overlap")
        taken |= members_mask
        scored, bench = score_pool(frame.loc[members_mask, pool_columns(pool)], pool)
        scored["pool"] = pool.id
        scored["pool_zh"] = pool.zh
        frames.append(scored)
        benches.append(bench.assign(pool_zh=pool.zh, n_members=int(members_mask.sum())))
    exclude(eligible & ~taken, "no_pool")
    status = np.where(taken, 2, np.where(in_scope, 0, 1))
    frame["status"] = labels_at(["excluded", "filtered", "evaluated"], status, "str")
    frame["reason"] = labels_at(list(EXCLUSION_REASONS.values()), reason, "string")
    scored = pd.concat(frames) if frames else pd.DataFrame(index=frame.index[:0])
    frame = frame.join(scored)
    if "pool_zh" in frame:
        frame = frame[[c for c in frame.columns if c != "pool_zh"] + ["pool_zh"]]
    return frame, pd.concat(benches, ignore_index=True)


def labels_at(labels: list[str], codes: np.ndarray, dtype: str) -> pd.api.extensions.ExtensionArray:
    """``labels[code]`` for each code (missing where the code is -1), as pandas text of ``dtype``,
    built by Arrow (no Python string per row)."""
    arrow = pa.array(labels, pa.large_string()).take(pa.array(codes, mask=codes < 0))
    return pd.array(arrow, dtype=dtype)


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
    in_view = dataset.parcels["parcel_id"].isin(ev.parcels["parcel_id"])
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
        row = {"table": table, "used": int(counts.get("evaluated", 0)), "out_of_scope": int(counts.get("filtered", 0)),
               "excluded_at_load": at_load, "excluded_in_evaluation": int(counts.get("excluded", 0))}
        row["read"] = int(load.loc[table, "read"]) if load is not None else len(st) + at_load
        if row["read"] != len(st) + at_load or sum(row[k] for k in TABLE_LEDGER_COLUMNS[2:]) != row["read"]:
            raise AssertionError(f"ledger of {table} does not add up: {row}")
        rows.append(row)
    return pd.DataFrame(rows, columns=TABLE_LEDGER_COLUMNS)


USER_COLUMNS = ["credit_code", "land_mu", "tax_10k_yuan", "status", "class", "pool", "score"]


def allocate_tax(users: pd.DataFrame, frame: pd.DataFrame, frame_rows=None) -> pd.DataFrame:
    """Link rows (``used_land``) with their enterprise's status, class and tax, and ``tax_alloc``:
    the enterprise's tax split over its parcels in proportion to the area it uses on each.
    ``frame_rows``: each link's row in ``frame`` when known (``enterprise_rows``)."""
    if frame_rows is None:
        users = lookup(users, frame[USER_COLUMNS], "credit_code")
    else:
        users = pd.concat([users.reset_index(drop=True),
                           take_rows(frame[USER_COLUMNS].drop(columns="credit_code"), frame_rows)], axis=1)
    users["tax_alloc"] = users["tax_10k_yuan"] * users["used_mu"] / users["land_mu"]
    return users


def enterprise_rows(dataset: Dataset, frame: pd.DataFrame):
    """Each link's row in ``frame`` when ``frame`` lists the dataset's enterprises in their order
    (as ``evaluate_frame`` does), else None (``allocate_tax`` then looks the codes up)."""
    same = frame["credit_code"].reset_index(drop=True).equals(dataset.enterprises["credit_code"].reset_index(drop=True))
    return dataset.link_rows()[1] if same else None


def parcel_view(dataset: Dataset, frame: pd.DataFrame) -> gpd.GeoDataFrame:
    """Per parcel: tax allocated from its users (each enterprise's tax split over its parcels in
    proportion to the area it uses on each), used area, 亩均税收, and the class of the main user
    (largest share; ``status`` says 'idle' where no enterprise uses the parcel)."""
    users = allocate_tax(used_land(dataset), frame, enterprise_rows(dataset, frame))
    evaluated = users["status"] == "evaluated"
    agg = users[evaluated].groupby("parcel_id").agg(tax_10k_yuan=("tax_alloc", "sum"),
                                                    evaluated_mu=("used_mu", "sum"))
    main = (users.sort_values(["parcel_id", "share", "credit_code"], ascending=[True, False, True])
            .groupby("parcel_id").first())
    n_users = users.groupby("parcel_id")["credit_code"].count()
    p = dataset.parcels.copy()
    p = p.merge(agg, left_on="parcel_id", right_index=True, how="left")
    p["tax_per_mu"] = p["tax_10k_yuan"] / p["evaluated_mu"]
    p["main_user"] = p["parcel_id"].map(main["credit_code"])
    p["class"] = p["parcel_id"].map(main["class"])
    p["pool"] = p["parcel_id"].map(main["pool"])
    p["n_users"] = p["parcel_id"].map(n_users).fillna(0).astype(int)
    main_status = p["parcel_id"].map(main["status"])
    p["status"] = main_status.where(p["n_users"] > 0, "idle").fillna("idle")
    return p
