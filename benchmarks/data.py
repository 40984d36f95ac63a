"""The benchmark's data: folders made by the sample generator at any size, kept in the cache.

``helpers.synthetic.sample.generate(n, seed, clip_to_boundary=False)`` writes real-shaped parcels (lots
split from street blocks around the district's industrial clusters, spreading past the district
edge at large n), enterprises, links, the 2021–2023 panel and the programme records, as the
embedded sample has them (CSV + GeoParquet). Their 街道 zones are the Voronoi cells of the 8 real
街道 anchors extended over all parcels, so the spatial join places every parcel. Folders live in
``.cache/benchmarks/`` (``MUJUN_CACHE_DIR``), never in ``data/``, and are generated once per size
and seed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from helpers.core import paths
from helpers.core.geography import load_boundary, synthetic_street_zones
from helpers.core.units import AREA_CRS
from helpers.io.dataset import ZONES_FILE
from helpers.synthetic.sample import generate, load_config, write


def bench_root() -> Path:
    return paths.CACHE_DIR / "benchmarks"


def bench_folder(n_parcels: int, seed: int) -> Path:
    """The generated folder of ``n_parcels`` parcels (generated on first use)."""
    folder = bench_root() / f"n{n_parcels}-seed{seed}" / "folder"
    if (folder / "sample_info.yaml").is_file():
        return _with_manifest(folder)
    tmp = folder.with_name("folder.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    sample = generate(n_parcels, seed, clip_to_boundary=False)
    cover = shapely.box(*sample.parcels.to_crs(AREA_CRS).total_bounds).buffer(1000)
    config = load_config()
    sample.zones = synthetic_street_zones(
        load_boundary(config.get("boundary_source", "tianditu")), pd.DataFrame(config["street_anchors"]), cover=cover
    )
    write(sample, tmp)
    tmp.rename(folder)
    return _with_manifest(folder)


def _with_manifest(folder: Path) -> Path:
    """The folder's dataset.yaml: at large n the clusters spread tens of km past Linping (a study
    area the size of a prefecture), which the folder check must be told."""
    manifest = folder / "dataset.yaml"
    if not manifest.is_file():
        manifest.write_text(
            "# benchmark folder: the synthetic clusters spread far past Linping at large sizes\n"
            "tables:\n  parcels: {max_distance_km: 200}\n  parks: {max_distance_km: 200}\n",
            encoding="utf-8",
        )
    return folder


def shapefile_of(folder: Path) -> Path:
    """The folder's parcels as an ESRI Shapefile beside it (for the naive baseline)."""
    shp = folder.parent / "naive" / "parcels.shp"
    if not shp.is_file():
        shp.parent.mkdir(parents=True, exist_ok=True)
        gpd.read_parquet(folder / "parcels.parquet").to_file(shp, engine="pyogrio")
    return shp


def zones_of(folder: Path) -> gpd.GeoDataFrame:
    return gpd.read_file(folder / ZONES_FILE)
