"""Shared fixtures: the embedded sample (read once), and a scratch copy of it to break."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from helpers.core import paths
from helpers.io.dataset import load_dataset

SAMPLE_FILES = [
    "parcels.parquet",
    "enterprises.csv",
    "enterprise_parcels.csv",
    "panel.csv",
    "street_zones_synthetic.geojson",
    "sample_info.yaml",
]


@pytest.fixture(scope="session")
def sample():
    return load_dataset(paths.SAMPLE_DIR)


@pytest.fixture
def sample_copy(tmp_path) -> Path:
    """A writable copy of the sample's data files."""
    out = tmp_path / "data"
    out.mkdir()
    for name in SAMPLE_FILES:
        shutil.copy(paths.SAMPLE_DIR / name, out / name)
    return out


def read_table(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / name, dtype=str, encoding="utf-8-sig", keep_default_na=False)


def write_table(df: pd.DataFrame, folder: Path, name: str) -> None:
    df.to_csv(folder / name, index=False, encoding="utf-8")


@pytest.fixture(autouse=True)
def exact_figures():
    """Every test starts and ends with exact figures (``core.disclosure`` is process-wide)."""
    from helpers.core import disclosure

    disclosure.use(0)
    yield
    disclosure.use(0)


@pytest.fixture(scope="session")
def county_base(tmp_path_factory) -> Path:
    """A county-shaped folder (GBK CSVs and a Shapefile, ``tests/county_exports.py``), written once: read only."""
    from tests import county_exports

    return county_exports.write_all(tmp_path_factory.mktemp("county"), ["separate_csv_gbk"])["separate_csv_gbk"]


@pytest.fixture
def county_folder(county_base, tmp_path) -> Path:
    """A scratch copy of ``county_base`` to break."""
    out = tmp_path / "data"
    shutil.copytree(county_base, out)
    return out
