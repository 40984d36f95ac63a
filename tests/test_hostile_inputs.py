"""Inputs that once crashed the check or passed it silently, on a county-shaped folder (GBK CSVs
and a Shapefile, tests/county_exports.py): each ends as a named problem (file, column, rows, fix)
or is read as written — never a traceback."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from helpers.io.check import check_folder
from tests.adversarial import case


@pytest.fixture
def folder(county_folder):
    """A scratch copy of the county-shaped folder (``conftest.county_base``)."""
    return county_folder


def parcels_as_parquet(folder, change) -> None:
    """The parcel layer, changed by ``change(layer)``, as GeoParquet (a Shapefile cannot store NaN)."""
    layer = gpd.read_file(folder / "工业用地.shp", encoding="gbk").set_crs("EPSG:4528", allow_override=True)
    change(layer)
    for part in folder.glob("工业用地.*"):
        part.unlink()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layer.to_parquet(folder / "宗地.parquet")


def broken_vertex(layer, row: int, value: float, axis: int) -> None:
    coords = np.array(layer.geometry.iloc[row].exterior.coords)
    coords[1, axis] = value
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layer.loc[row, "geometry"] = shapely.Polygon(coords)


@pytest.mark.parametrize("value, axis, row", [(np.nan, 0, 0), (np.inf, 1, 1), (-np.inf, 0, 4)])
@case("geometry", "error")
def test_a_vertex_that_is_not_a_finite_number_is_named(folder, value, axis, row):
    parcels_as_parquet(folder, lambda layer: broken_vertex(layer, row, value, axis))
    errors = check_folder(folder).errors
    assert [(e.problem, e.rows, e.column) for e in errors] == [
        ("coordinates that are not finite numbers (NaN or infinite)", (row + 1,), "geometry")
    ]
    assert "QGIS" in errors[0].expected


@case("cell oddities", "error")
def test_a_blank_year_on_a_repeated_row_is_named(folder):
    path = folder / "亩均数据2023.csv"
    panel = pd.read_csv(path, dtype=str, encoding="gbk")
    panel.insert(1, "年度", "2023")
    pd.concat([panel, panel.iloc[[0]].assign(年度="")]).to_csv(path, index=False, encoding="gbk")
    errors = check_folder(folder).errors
    assert [(e.problem, e.rows) for e in errors] == [("empty cells", (len(panel) + 2,))]


@case("cell oddities", "read")
def test_a_long_text_cell_in_a_csv_with_a_title_line_is_read(folder):
    path = folder / "企业基本信息.csv"
    table = pd.read_csv(path, dtype=str, encoding="gbk")
    table.loc[0, "企业名称"] = "长" * 300_000
    path.write_text("企业基本信息表\n" + table.to_csv(index=False), encoding="gbk")
    check = check_folder(folder)
    assert check.ok, check.summary()
    assert check.tables["enterprises"]["name"].str.len().max() == 300_000


@case("encodings", "error")
def test_a_csv_that_is_not_text_is_a_named_problem(folder):
    (folder / "企业用地.csv").write_bytes(b"\xff\xfe\x00\x00" + bytes(range(256)) * 4)
    errors = check_folder(folder).errors
    assert any(e.file.endswith("企业用地.csv") for e in errors)


@case("file system", "error")
def test_a_workbook_that_would_expand_enormously_is_refused_unopened(folder):
    import zipfile

    path = folder / "亩均数据2023.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (120 * 1024**2))  # 120 MiB of zeros, ~120 KiB packed
    errors = [e for e in check_folder(folder).errors if e.file.endswith(".xlsx")]
    assert len(errors) == 1 and "would expand from" in errors[0].problem and "CSV" in errors[0].expected


@case("injection", "error")
def test_a_workbook_with_xml_entities_is_a_named_problem(folder, tmp_path):
    import zipfile

    import openpyxl

    good = tmp_path / "good.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["统一社会信用代码", "企业名称"])
    wb.save(good)
    bomb = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
    path = folder / "企业名录.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(path, "w") as out:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = (bomb + data.decode("utf-8").replace("企业名称", "&lol2;")).encode("utf-8")
            out.writestr(item, data)
    errors = [e for e in check_folder(folder).errors if e.file.endswith("企业名录.xlsx")]
    assert len(errors) == 1 and "cannot be read" in errors[0].problem and "cause: EntitiesForbidden" in errors[0].problem


@case("geometry", "warning")
def test_an_empty_part_of_a_multipolygon_is_dropped_and_named(folder):
    def add_empty_part(layer):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            layer.loc[2, "geometry"] = shapely.multipolygons([layer.geometry.iloc[2], shapely.Polygon()])

    parcels_as_parquet(folder, add_empty_part)
    check = check_folder(folder)
    assert not check.errors
    (warning,) = [w for w in check.warnings if "empty parts" in w.problem]
    assert (warning.rows, warning.column) == ((3,), "geometry")
    mended = check.tables["parcels"].geometry.iloc[2]
    assert mended.geom_type == "MultiPolygon" and not any(p.is_empty for p in mended.geoms)
    assert len(mended.geoms) == 1
    assert check.tables["parcels"]["geom_area_mu"].iloc[2] > 0
    assert len(check.tables["parcels"]) == len(gpd.read_parquet(folder / "宗地.parquet"))
