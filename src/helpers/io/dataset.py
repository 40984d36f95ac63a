"""Reading a data folder into a ``Dataset``, checked against the data contract.

A folder holds the four core tables (enterprises, parcels, enterprise–parcel links, the annual
panel) and any of the optional programme records, as CSV, XLSX, GeoParquet, GeoPackage, GeoJSON
or Shapefile (``helpers.io.inventory`` finds which is which; ``helpers.io.check`` checks them);
optionally ``street_zones_synthetic.geojson`` and ``sample_info.yaml`` (synthetic folders).
Nothing in the folder is written.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from helpers.core import paths
from helpers.core.errors import InputError
from helpers.core.geography import load_boundary, zones_from_parcels
from helpers.core.industries import chain_of
from helpers.core.units import area_mu
from helpers.core.yamlfile import load_yaml
from helpers.io.cache import checked_folder
from helpers.io.check import CheckResult
from helpers.io.positions import Positions, row_positions
from helpers.io.privacy import anonymize_dataset, generalize
from helpers.io.schema import TRACE, table_specs

CORE_TABLES = ("enterprises", "parcels", "enterprise_parcels", "panel")
ZONES_FILE = "street_zones_synthetic.geojson"
INFO_FILE = "sample_info.yaml"


@dataclass(frozen=True)
class Dataset:
    """The four input tables of one data folder, typed and checked."""

    source_dir: Path
    enterprises: pd.DataFrame
    parcels: gpd.GeoDataFrame
    links: pd.DataFrame
    panel: pd.DataFrame
    zones: gpd.GeoDataFrame | None = None
    info: dict = field(default_factory=dict)
    records: dict[str, pd.DataFrame] = field(default_factory=dict)  # optional programme records present
    check: CheckResult | None = None  # the folder check: warnings, notes, rows read/kept/excluded
    anonymized: bool = False
    positions: Positions = field(default_factory=Positions, repr=False, compare=False)
    outlines: bool = True  # False: the parcels' geometry was not read (an evaluation without maps)

    def replace(self, **changes) -> Dataset:
        """A new dataset with ``changes`` (tables or other fields); the row positions and label
        points about a replaced table are dropped (found again when asked for)."""
        tables = {"enterprises": "enterprises", "parcels": "parcels", "links": "enterprise_parcels", "panel": "panel"}
        replaced = [tables[name] for name in changes if name in tables]
        return dataclasses.replace(self, **changes, positions=self.positions.without(replaced))

    def link_rows(self) -> tuple[np.ndarray, np.ndarray]:
        """Row number of each link's parcel and of its enterprise (-1 where none): the folder check's,
        or found now, once (the tables of a dataset are never reassigned)."""
        if self.positions.get("link_parcel") is None or self.positions.get("link_enterprise") is None:
            found = row_positions({"enterprise_parcels": self.links, "parcels": self.parcels, "enterprises": self.enterprises})
            object.__setattr__(self, "positions", self.positions.merged(found))  # a memo of a frozen dataset
        parcel_rows, enterprise_rows = self.positions.get("link_parcel"), self.positions.get("link_enterprise")
        assert parcel_rows is not None and enterprise_rows is not None
        return parcel_rows, enterprise_rows

    def panel_rows(self) -> np.ndarray | None:
        """Row number in ``enterprises`` of each panel row (-1 where none) when the folder check
        found them (``helpers.io.positions``) for these tables; else None."""
        return self.positions.get("panel_enterprise")

    def parcel_points(self) -> tuple[np.ndarray, np.ndarray] | None:
        """x and y of the label point (``geography.label_points``) of each parcel without a 街道 code
        of its own, NaN for the others (placed by their code, ``evaluate.zones.parcel_streets``), when
        the folder check found them for these parcels; else None."""
        x, y = self.positions.get("parcel_x"), self.positions.get("parcel_y")
        return None if x is None or y is None else (x, y)

    @property
    def synthetic(self) -> bool:
        return bool(self.info.get("synthetic", False))

    @property
    def years(self) -> list[int]:
        return sorted(int(y) for y in self.panel["year"].unique())

    def require_year(self, year: int, parameter: str = "year") -> int:
        """``year`` if the panel has it; else a ValueError naming the parameter and the years there are."""
        if int(year) not in self.years:
            raise ValueError(
                f"{parameter} = {year}: the panel of {self.source_dir} has the years "
                f"{', '.join(map(str, self.years))}; run again with -p {parameter} <one of them>"
            )
        return int(year)


def load_dataset(
    data_dir: str | Path,
    anonymize: bool = False,
    generalize_m: float = 0,
    use_cache: bool = True,
    records: bool = True,
    outlines: bool = True,
    years: tuple[int, ...] | None = None,
    wait_for_cache: bool = True,
) -> Dataset:
    """Read and check every table of ``data_dir`` (relative paths are from the project root).

    All problems of the folder are raised together as one ``InputError`` (``.problems``); warnings
    and the per-table row ledger stay on ``dataset.check``. With ``anonymize`` every enterprise name
    and credit code (and project names) is replaced by its stable pseudonym before anything else
    sees the data; ``generalize_m`` > 0 coarsens parcel outlines to that many metres (areas are
    measured first, so the evaluation does not change). The checked tables are read from the
    cache of checked folders (``helpers.io.cache``) when the folder is unchanged since its last check;
    ``use_cache=False`` reads and checks every file again. ``records=False`` reads only the four
    core tables from the cache (what the evaluation needs; no programme records). ``outlines=False``:
    the parcels' geometry is not read from the cache (``cache.without_outlines``; the evaluation
    uses the registered and measured areas and the label points the check stored, never the
    outlines); they are read all the same when the folder has no 街道 zones file, since the
    indicative zones are drawn from them. A dataset without outlines says so (``outlines``) and
    draws no map. ``years``: only the panel rows of these years are read from the cache (an
    evaluation of one year reads a third of a three-year panel); ``Dataset.years`` are then those.
    ``wait_for_cache=False``: a folder checked afresh is returned while its cache entry is still
    being written (``cache.store_later``), for a command that evaluates meanwhile and waits at its
    end (``cache.wait_for_stores``).
    """
    tables = None if records else CORE_TABLES
    folder = paths.resolve(data_dir)
    outlines = outlines or not (folder / ZONES_FILE).is_file()
    check = checked_folder(folder, use_cache, trace=False, tables=tables, geometry=outlines, years=years, wait=wait_for_cache)
    return dataset_from_check(check, anonymize, generalize_m)


def dataset_from_check(check: CheckResult, anonymize: bool = False, generalize_m: float = 0) -> Dataset:
    """The ``Dataset`` of a folder check (``InputError`` with every error if it has any): parcel
    areas measured, industry chains, 街道 zones (the folder's, else indicative ones from the parcels)."""
    if not check.ok:
        raise InputError.from_problems(check.errors)
    folder = check.folder
    outlines = not check.tables["parcels"].geometry.isna().all() or check.tables["parcels"].empty
    tables = {name: with_optional_columns(name, t.drop(columns=TRACE, errors="ignore")) for name, t in check.tables.items()}

    parcels = gpd.GeoDataFrame(tables["parcels"], geometry="geometry", crs=tables["parcels"].crs)
    if "geom_area_mu" not in parcels:  # measured by the check (and cached with it)
        parcels["geom_area_mu"] = area_mu(parcels)
    enterprises = tables["enterprises"]
    enterprises["industry_chain"] = chain_of(enterprises["industry_code"])

    if (folder / ZONES_FILE).is_file():
        zones = gpd.read_file(folder / ZONES_FILE)
        zones["street_code"] = zones["street_code"].astype(str)
    else:
        zones = zones_from_parcels(parcels, load_boundary())
    info = load_yaml(folder / INFO_FILE) if (folder / INFO_FILE).is_file() else {}
    records = {name: t for name, t in tables.items() if name not in CORE_TABLES}
    if "parks" in records:
        records["parks"] = gpd.GeoDataFrame(records["parks"], geometry="geometry", crs=tables["parks"].crs)
    dataset = Dataset(
        source_dir=folder,
        enterprises=enterprises,
        parcels=parcels,
        links=tables["enterprise_parcels"],
        panel=tables["panel"],
        zones=zones,
        info=info,
        records=records,
        check=check,
        positions=Positions(check.positions),  # rows as in check.tables: same order, trace columns dropped
        outlines=outlines,
    )
    if anonymize:
        dataset = anonymize_dataset(dataset)
    if generalize_m:
        dataset = dataset.replace(parcels=dataset.parcels.set_geometry(generalize(dataset.parcels.geometry, generalize_m)))
    return dataset


OPTIONAL_DTYPES = {"integer": "Int64", "number": "float64", "boolean": "boolean", "text": "string"}


def with_optional_columns(name: str, table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with every optional column of the contract that its file lacks, empty (typed by the
    contract): code reads an absent field as "no value", never as a missing key. The folder check
    notes each absent column (``check.optional_notes``); the sections that need one say 无数据."""
    spec = table_specs().get(name)
    if spec is None:
        return table
    absent = {c: rule for c, rule in spec.columns.items() if not rule.get("required", True) and c not in table}
    for column, rule in absent.items():
        dtype = OPTIONAL_DTYPES.get(rule.get("type", "text"), "object")
        table[column] = pd.Series(np.nan if dtype == "float64" else pd.NA, index=table.index, dtype=dtype)
    return table


__all__ = ["Dataset", "load_dataset", "dataset_from_check", "with_optional_columns"]
