"""Joins by row position: where each key of one table sits in another, and rows taken by those
positions. The evaluation's joins are all "each row of A to at most one row of B" (B's keys are
unique: the folder check guarantees it), which is a lookup, not a merge; Arrow's hash index finds
the positions several times faster than ``DataFrame.merge``, which factorizes text keys anew on
every call. Results equal those of a left merge, dtypes included (missing rows become NA).

Membership (``is_in``) uses the same hash index: pandas' ``Series.isin`` on Arrow text builds a
Python object per value of the set (seconds at 100,000 parcels). ``panel_index`` numbers a panel's
entities in the order of their codes, for estimators that group them many times.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def _text(values: pd.Series) -> pa.Array:
    return pa.array(values.astype("string"), type=pa.string())


def positions(keys: pd.Series, target: pd.Series) -> np.ndarray:
    """For each value of ``keys``, the row number of the same value in ``target`` (-1 where absent).
    A missing key finds a missing value of ``target``, as a left merge matches them (``lookup`` equals
    the merge); -1 when ``target`` has none. ``target`` must not repeat a value."""
    found = pc.index_in(_text(keys), value_set=_text(target))
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def is_in(keys: pd.Series, among: pd.Series) -> np.ndarray:
    """Whether each value of ``keys`` is one of ``among`` (False where missing): ``Series.isin`` by
    Arrow's hash set, without the Python object per value of ``among`` that pandas builds for text."""
    found = pc.is_in(_text(keys), value_set=_text(among), skip_nulls=True)
    return found.fill_null(False).to_numpy(zero_copy_only=False).astype(bool)


def take_rows(frame: pd.DataFrame, pos: np.ndarray) -> pd.DataFrame:
    """Rows ``pos`` of ``frame`` (all NA where ``pos`` is -1), with a fresh RangeIndex."""
    return frame.reset_index(drop=True).reindex(pos).reset_index(drop=True)


def lookup(left: pd.DataFrame, right: pd.DataFrame, on: str, columns: list[str] | None = None) -> pd.DataFrame:
    """``left.merge(right[[on, *columns]], on=on, how="left")`` for a ``right`` whose ``on`` values
    are unique: ``left``'s rows in order, with ``columns`` of ``right`` (default all but ``on``)."""
    columns = [c for c in right.columns if c != on] if columns is None else columns
    taken = take_rows(right[columns], positions(left[on], right[on]))
    return pd.concat([left.reset_index(drop=True), taken], axis=1)


def panel_index(keys: pd.Series, years: pd.Series) -> pd.MultiIndex:
    """A panel's (entity, year) index with each key replaced by its number in the sorted order of
    the distinct keys: whole numbers group and sort as the text keys do, and a panel estimator
    (linearmodels groups its entities several times per fit) is a third faster on them."""
    entity = pd.Series(pd.factorize(keys, sort=True)[0], name="entity")
    return pd.MultiIndex.from_arrays([entity, pd.Series(years).reset_index(drop=True)])


__all__ = ["positions", "is_in", "take_rows", "lookup", "panel_index"]
