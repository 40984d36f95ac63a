"""Reading a data folder into a ``Dataset``, checked against the input schema.

A folder holds ``enterprises.csv``, ``parcels.parquet`` (or ``.gpkg`` / ``.geojson``),
``enterprise_parcels.csv`` and ``panel.csv``; optionally ``street_zones_synthetic.geojson``
and ``sample_info.yaml`` (present in synthetic folders). Nothing in the folder is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from . import paths
from .config import load_yaml
from .errors import InputError
from .geo import load_streets
from .industries import chain_of
from .schema import check_reference, coerce_and_check, row_numbers, table_specs
from .units import area_mu

LAYER_SUFFIXES = (".parquet", ".gpkg", ".geojson")
CORE_TABLES = ("enterprises", "parcels", "enterprise_parcels", "panel")
SHARE_TOLERANCE = 1e-6
ZONES_FILE = "street_zones_synthetic.geojson"
INFO_FILE = "sample_info.yaml"


@dataclass
class Dataset:
    """The four input tables of one data folder, typed and checked."""

    source_dir: Path
    enterprises: pd.DataFrame
    parcels: gpd.GeoDataFrame
    links: pd.DataFrame
    panel: pd.DataFrame
    files: dict[str, Path]
    zones: gpd.GeoDataFrame | None = None
    info: dict = field(default_factory=dict)
    records: dict[str, pd.DataFrame] = field(default_factory=dict)   # optional programme records present

    @property
    def synthetic(self) -> bool:
        return bool(self.info.get("synthetic", False))

    @property
    def years(self) -> list[int]:
        return sorted(int(y) for y in self.panel["year"].unique())


def read_csv_table(path: Path) -> pd.DataFrame:
    """A CSV read as text (UTF-8, with or without BOM). Only an empty cell is missing: "n/a", "NULL"
    and the like are values, and fail the type check of a number column. An empty file is an ``InputError``."""
    try:
        return pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False, na_values=[""])
    except pd.errors.EmptyDataError as exc:
        raise InputError(path, "the file is empty", expected="a header row and data rows") from exc
    except UnicodeDecodeError as exc:
        raise InputError(path, f"not UTF-8 text ({exc.reason} at byte {exc.start})",
                         expected="a CSV file saved as UTF-8") from exc


def read_layer(path: Path) -> gpd.GeoDataFrame:
    try:
        gdf = gpd.read_parquet(path) if path.suffix == ".parquet" else gpd.read_file(path)
    except Exception as exc:  # pyogrio / pyarrow raise many types; name the file
        raise InputError(path, f"cannot be read as a layer ({exc})",
                         expected="a GeoParquet, GeoPackage or GeoJSON file") from exc
    if gdf.crs is None:
        raise InputError(path, "the layer has no coordinate reference system",
                         expected="a CRS such as EPSG:4490, 4326, 4549 or 4528")
    return gdf.reset_index(drop=True)


def _find(folder: Path, name: str, suffixes: tuple[str, ...], optional: bool = False) -> Path | None:
    stem = Path(name).stem
    for suffix in suffixes:
        p = folder / f"{stem}{suffix}"
        if p.is_file():
            return p
    if optional:
        return None
    raise InputError(folder / name, "file not found",
                     expected=f"one of {', '.join(stem + s for s in suffixes)} in {folder}")


def check_geometries(gdf: gpd.GeoDataFrame, path: Path) -> None:
    geom = gdf.geometry
    empty = geom.isna() | geom.is_empty
    if empty.any():
        raise InputError(path, "empty or missing geometry", column="geometry",
                         rows=row_numbers(gdf.index[empty.to_numpy()], 1), expected="a polygon per parcel")
    invalid = ~geom.is_valid
    if invalid.any():
        raise InputError(path, "invalid geometry (self-intersection or similar)", column="geometry",
                         rows=row_numbers(gdf.index[invalid.to_numpy()], 1),
                         expected="valid polygons (repair with shapely.make_valid or QGIS 'Fix geometries')")
    not_poly = ~geom.geom_type.isin(["Polygon", "MultiPolygon"])
    if not_poly.any():
        raise InputError(path, "geometry is not a polygon", column="geometry",
                         rows=row_numbers(gdf.index[not_poly.to_numpy()], 1), expected="Polygon or MultiPolygon")
    return None


def load_dataset(data_dir: str | Path) -> Dataset:
    """Read and check the four tables of ``data_dir`` (relative paths are from the project root)."""
    folder = paths.resolve(data_dir)
    if not folder.is_dir():
        raise InputError(folder, "data folder not found", expected="a folder with the four input tables")
    specs = table_specs()
    streets = set(load_streets()["street_code"])
    files: dict[str, Path] = {}
    tables: dict[str, pd.DataFrame] = {}
    for name, spec in specs.items():
        suffixes = LAYER_SUFFIXES if spec.geometry else (Path(spec.file).suffix,)
        path = _find(folder, spec.file, suffixes, optional=spec.optional)
        if path is None:
            continue
        raw = read_layer(path) if spec.geometry else read_csv_table(path)
        if spec.geometry:
            check_geometries(raw, path)
        files[name] = path
        tables[name] = coerce_and_check(raw, spec, path, 1 if spec.geometry else 2, streets)

    for name, spec in specs.items():
        if name not in tables:
            continue
        for col, c_spec in spec.columns.items():
            if "references" in c_spec:
                target_table, target_col = c_spec["references"].split(".")
                check_reference(tables[name], col, tables[target_table][target_col], files[name],
                                2, spec, f"{specs[target_table].file} {target_col}")

    links = tables["enterprise_parcels"]
    share_sum = links.groupby("parcel_id")["share"].transform("sum")
    over = share_sum > 1 + SHARE_TOLERANCE
    if over.any():
        raise InputError(files["enterprise_parcels"], "shares of one parcel add up to more than 1",
                         column=specs["enterprise_parcels"].label("share"),
                         rows=row_numbers(links.index[over.to_numpy()], 2),
                         expected="the shares of the enterprises on a parcel to total at most 1")

    parcels = gpd.GeoDataFrame(tables["parcels"], geometry="geometry", crs=tables["parcels"].crs)
    parcels["geom_area_mu"] = area_mu(parcels)
    enterprises = tables["enterprises"]
    enterprises["industry_chain"] = chain_of(enterprises["industry_code"])

    zones = None
    if (folder / ZONES_FILE).is_file():
        zones = gpd.read_file(folder / ZONES_FILE)
        zones["street_code"] = zones["street_code"].astype(str)
        files["zones"] = folder / ZONES_FILE
    info = load_yaml(folder / INFO_FILE) if (folder / INFO_FILE).is_file() else {}
    if info:
        files["info"] = folder / INFO_FILE
    records = {name: t for name, t in tables.items() if name not in CORE_TABLES}
    if "parks" in records:
        records["parks"] = gpd.GeoDataFrame(records["parks"], geometry="geometry", crs=tables["parks"].crs)
    return Dataset(source_dir=folder, enterprises=enterprises, parcels=parcels, links=links,
                   panel=tables["panel"], files=files, zones=zones, info=info, records=records)


def used_land(dataset: Dataset) -> pd.DataFrame:
    """The link table with the area each enterprise uses on each parcel: ``used_mu`` (registered
    area × share) and ``used_geom_mu`` (measured area × share)."""
    links = dataset.links.merge(dataset.parcels[["parcel_id", "registered_area_mu", "geom_area_mu"]],
                                on="parcel_id", how="left")
    links["used_mu"] = links["registered_area_mu"] * links["share"]
    links["used_geom_mu"] = links["geom_area_mu"] * links["share"]
    return links


def enterprise_land(dataset: Dataset) -> pd.DataFrame:
    """Land each enterprise uses: ``land_mu`` (Σ registered area × share), parcel count, main parcel."""
    links = used_land(dataset).sort_values(["credit_code", "used_mu"], ascending=[True, False], kind="stable")
    grouped = links.groupby("credit_code", sort=True)
    land = pd.DataFrame({
        "land_mu": grouped["used_mu"].sum(),
        "land_geom_mu": grouped["used_geom_mu"].sum(),
        "n_parcels": grouped["parcel_id"].count(),
        "main_parcel_id": grouped["parcel_id"].first(),
    })
    out = dataset.enterprises[["credit_code"]].merge(land, left_on="credit_code", right_index=True, how="left")
    out["land_mu"] = out["land_mu"].fillna(0.0)
    out["land_geom_mu"] = out["land_geom_mu"].fillna(0.0)
    out["n_parcels"] = out["n_parcels"].fillna(0).astype(int)
    return out.reset_index(drop=True)


__all__ = ["Dataset", "load_dataset", "enterprise_land", "used_land", "read_csv_table", "read_layer"]
