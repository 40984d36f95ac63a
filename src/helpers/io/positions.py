"""Row positions between the core tables, and the label points of the parcels without a 街道 code:
arrays derived from the tables that turn the evaluation's joins into lookups (``helpers.core.keys``).

They are found once: the row numbers by the check of the folder's references, the label points
when the check is cached (``helpers.io.cache`` stores them all beside the tables). They are held by
the ``Dataset`` built from those very tables as a ``Positions``. A dataset's tables are never
reassigned (it is frozen); ``Dataset.replace`` makes a new dataset and drops the arrays about the
tables it replaces, so no array can outlive the rows it numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from helpers.core.geography import label_points
from helpers.core.keys import positions

THREADS = 2
# name: (table, key column, the table it points into): each row's row number there (-1: none)
ROW_POSITIONS = {
    "link_parcel": ("enterprise_parcels", "parcel_id", "parcels"),
    "link_enterprise": ("enterprise_parcels", "credit_code", "enterprises"),
    "panel_enterprise": ("panel", "credit_code", "enterprises"),
}
POINTS = ("parcel_x", "parcel_y")  # label point (geo.label_points) of each parcel without a 街道 code, layer's CRS
STREET = "street_code"  # a parcel's own 街道 code: where it has one, its point is not needed


def rows_and_needs(name: str) -> tuple[str, set[str]]:
    """The table an array of ``check.positions`` has one value per row of, and the tables it is about."""
    if name in POINTS:
        return "parcels", {"parcels"}
    table, _, target = ROW_POSITIONS[name]
    return table, {table, target}


def parcel_label_points(tables: dict[str, pd.DataFrame]) -> dict[str, np.ndarray]:
    """``POINTS`` of the parcels' layer, measured once when a check is cached (as its areas are),
    so that a re-run joins parcels to zones without computing a centroid. Only the parcels without
    a 街道 code of their own are placed by their point (``evaluate.zones.parcel_streets``), so only
    theirs are measured; the others' are NaN (at a million coded parcels, 2 s of CPU not spent)."""
    parcels = tables.get("parcels")
    if not isinstance(parcels, gpd.GeoDataFrame):
        return {}
    placed = placed_by_point(parcels)
    x, y = np.full(len(parcels), np.nan), np.full(len(parcels), np.nan)
    if placed.any():
        x[placed], y[placed] = label_points(np.asarray(parcels.geometry.array)[placed])
    return dict(zip(POINTS, (x, y)))


def placed_by_point(parcels: pd.DataFrame, code: str = STREET) -> np.ndarray:
    """Which parcels have no 街道 ``code`` of their own (every one where the layer has no such
    column): the parcels ``evaluate.zones.parcel_streets`` places by their label point, and the only
    ones whose point ``parcel_label_points`` measures."""
    return parcels[code].isna().to_numpy(dtype=bool) if code in parcels else np.ones(len(parcels), dtype=bool)


def row_positions(tables: dict[str, pd.DataFrame], known: Mapping[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """``ROW_POSITIONS`` of ``tables`` (those whose tables are all there) that are not ``known``
    already: the text-key lookups every evaluation starts with, done once when a folder is checked
    (``io.check.check_links`` finds them while checking the references) instead of on every re-run."""
    known = known or {}
    with ThreadPoolExecutor(THREADS) as pool:  # Arrow's hashing releases the GIL
        jobs = {
            name: pool.submit(positions, tables[table][key], tables[target][key])
            for name, (table, key, target) in ROW_POSITIONS.items()
            if table in tables and target in tables and name not in known
        }
        return {name: job.result() for name, job in jobs.items()}


@dataclass(frozen=True)
class Positions:
    """Derived arrays by name (``ROW_POSITIONS``, ``POINTS``), all found for one set of tables."""

    arrays: Mapping[str, np.ndarray] = field(default_factory=dict)

    def get(self, name: str) -> np.ndarray | None:
        return self.arrays.get(name)

    def merged(self, found: Mapping[str, np.ndarray]) -> Positions:
        return Positions({**self.arrays, **found})

    def without(self, tables: Iterable[str]) -> Positions:
        """These positions less every array about any of ``tables`` (replaced tables)."""
        gone = set(tables)
        return Positions({n: a for n, a in self.arrays.items() if not rows_and_needs(n)[1] & gone})


__all__ = ["ROW_POSITIONS", "POINTS", "Positions", "row_positions", "parcel_label_points", "placed_by_point", "rows_and_needs"]
