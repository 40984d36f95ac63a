"""The folder check reads files and types tables in threads: what it finds must not depend on it.

A messy folder (problems in every core table, a 合计 row, blank lines, an exact copy, a file that is
not data, a county workbook beside the CSVs) and the county export shapes are checked one file and
one table at a time and in threads; problems, notes, exclusions, row counts and tables are equal,
in the same order.
"""

import shutil

import geopandas as gpd
import pandas as pd
import pytest

from helpers.core import paths
from helpers.io import check as check_module
from helpers.io import inventory
from helpers.io.check import check_folder
from tests import county_exports as ce

from .conftest import read_table, write_table


def _messy(folder):
    for path in paths.SAMPLE_DIR.iterdir():  # the optional tables too: a dozen files
        if path.is_file() and not (folder / path.name).exists():
            shutil.copy(path, folder / path.name)
    panel = read_table(folder, "panel.csv")
    panel.loc[3, "tax_10k_yuan"] = "abc"
    panel.loc[5, "revenue_10k_yuan"] = "1,234.5"
    panel = pd.concat([panel, panel.iloc[[7]], panel.iloc[[9]].assign(tax_10k_yuan="99")], ignore_index=True)
    write_table(panel, folder, "panel.csv")
    enterprises = read_table(folder, "enterprises.csv")
    enterprises.loc[2, "credit_code"] = "91330110MA2AXXXXXX"
    enterprises.loc[4, "street_code"] = "火星街道"
    write_table(enterprises, folder, "enterprises.csv")
    links = read_table(folder, "enterprise_parcels.csv")
    links.loc[1, "parcel_id"] = "NO-SUCH-PARCEL"
    links.loc[6, "share"] = "1.5"
    text = links.to_csv(index=False) + "\n\n合计,,\n"
    (folder / "enterprise_parcels.csv").write_text(text, encoding="utf-8")
    parcels = gpd.read_parquet(folder / "parcels.parquet")
    parcels.loc[0, "geometry"] = None
    parcels.loc[1, "registered_area_mu"] = -3.0
    parcels.to_parquet(folder / "parcels.parquet")
    (folder / "notes.docx.bak").write_text("not data", encoding="utf-8")
    return folder


def _found(folder, monkeypatch, threads: int):
    monkeypatch.setattr(inventory, "READ_THREADS", threads)
    monkeypatch.setattr(check_module, "CHECK_THREADS", threads)
    return check_folder(folder)


def _assert_same(one, two):
    assert [str(p) for p in one.problems] == [str(p) for p in two.problems]
    assert one.problems == two.problems
    assert one.notes == two.notes and one.ignored == two.ignored and one.read == two.read
    pd.testing.assert_frame_equal(one.excluded, two.excluded)
    assert list(one.tables) == list(two.tables)
    for name, table in one.tables.items():
        other = two.tables[name]
        if isinstance(table, gpd.GeoDataFrame):
            assert table.crs == other.crs
            table, other = table.to_wkb(), other.to_wkb()
        pd.testing.assert_frame_equal(table, other, check_exact=True)


def test_a_messy_folder_is_found_the_same_one_by_one_and_in_threads(sample_copy, monkeypatch):
    folder = _messy(sample_copy)
    one = _found(folder, monkeypatch, 1)
    assert len(one.errors) >= 5 and len(one.excluded) >= 2  # the mess is found
    _assert_same(one, _found(folder, monkeypatch, 2))
    _assert_same(one, _found(folder, monkeypatch, 4))
    # in the folder's order of files, whatever order they were read in (the largest first)
    labels = [src.label for src in inventory.take_inventory(folder, check_module.settings()).sources]
    assert labels == sorted(labels) and len(labels) == len(set(labels)) >= 10


@pytest.mark.slow
def test_county_exports_are_found_the_same_one_by_one_and_in_threads(tmp_path, monkeypatch):
    folders = ce.write_all(tmp_path / "county")
    for folder in folders.values():
        one = _found(folder, monkeypatch, 1)
        _assert_same(one, _found(folder, monkeypatch, 2))
    shutil.rmtree(tmp_path / "county")
