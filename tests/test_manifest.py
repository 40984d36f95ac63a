"""dataset.yaml for what the loader cannot infer: a header mapped to a field, a fixed value, each
sheet its year, one sheet holding several tables; the errors a mapping would fix say the line."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest

from helpers.core.errors import InputError
from helpers.io.check import check_folder
from tests import county_exports as ce


@pytest.fixture(scope="module")
def county():
    return ce.choose()


def write_sheets(path, sheets: dict[str, pd.DataFrame]) -> None:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, frame in sheets.items():
        ws = wb.create_sheet(name)
        ws.append(list(frame.columns))
        for row in frame.itertuples(index=False):
            ws.append([None if pd.isna(v) else v for v in row])
    wb.save(path)


@pytest.fixture
def two_year_folder(tmp_path, county):
    """Sheets Sheet1 / Sheet2 (2022, 2023) of a workbook whose name says no year; 是否规上 given."""
    folder = tmp_path / "export"
    folder.mkdir()
    sheets = {}
    for name, year in (("Sheet1", 2022), ("Sheet2", 2023)):
        f = ce.county_rows(county, year)
        f.insert(2, "是否规上", ce.scale_words(county, year, "是", "否"))
        sheets[name] = f
    write_sheets(folder / "亩均数据.xlsx", sheets)
    fields = {"宗地编号": "宗地编号", "面积": "面积", "镇街": "镇街"}
    ce._parcel_layer(county, fields, "EPSG:4490").to_file(folder / "宗地.geojson", driver="GeoJSON", engine="pyogrio")
    return folder


def error_text(folder) -> str:
    return "\n".join(str(p) for p in check_folder(folder).errors)


def test_sheets_without_a_year_say_the_line_that_gives_it(two_year_folder):
    errors = error_text(two_year_folder)
    assert "year (年度)" in errors
    assert "`sheets: {Sheet1: {year: <year>}}` in dataset.yaml" in errors
    assert "`sheets: {Sheet2: {year: <year>}}` in dataset.yaml" in errors


def test_each_sheet_its_year(two_year_folder):
    (two_year_folder / "dataset.yaml").write_text("sheets:\n  Sheet1: {year: 2022}\n  Sheet2: {year: 2023}\n", encoding="utf-8")
    check = check_folder(two_year_folder)
    assert check.ok, check.summary()
    assert sorted(check.tables["panel"]["year"].unique()) == [2022, 2023]
    assert any("year 2022 taken from the dataset.yaml" in n for n in check.notes)


def test_a_header_the_aliases_do_not_know_is_mapped(two_year_folder):
    path = two_year_folder / "亩均数据.xlsx"
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        for cell in ws[1]:
            if cell.value == "税收实际贡献（万元）":
                cell.value = "入库税金合计（万元）"
    wb.save(path)
    yaml = "sheets:\n  Sheet1: {year: 2022}\n  Sheet2: {year: 2023}\n"
    (two_year_folder / "dataset.yaml").write_text(yaml, encoding="utf-8")
    errors = error_text(two_year_folder)
    assert "tax_10k_yuan" in errors and "`tables: {panel: {columns: {<your header>: tax_10k_yuan}}}`" in errors
    (two_year_folder / "dataset.yaml").write_text(
        yaml + "tables:\n  panel:\n    columns: {入库税金合计: tax_10k_yuan}\n", encoding="utf-8"
    )
    check = check_folder(two_year_folder)
    assert check.ok, check.summary()
    assert check.tables["panel"]["tax_10k_yuan"].notna().all()


def test_a_fixed_value_for_every_row(two_year_folder):
    path = two_year_folder / "亩均数据.xlsx"
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        ws.delete_cols([c.value for c in ws[1]].index("是否规上") + 1)
    wb.save(path)
    yaml = "sheets:\n  Sheet1: {year: 2022}\n  Sheet2: {year: 2023}\n"
    (two_year_folder / "dataset.yaml").write_text(yaml, encoding="utf-8")
    assert "`tables: {panel: {values: {above_scale: 是}}}` in dataset.yaml" in error_text(two_year_folder)
    (two_year_folder / "dataset.yaml").write_text(yaml + "tables:\n  panel:\n    values: {above_scale: 是}\n", encoding="utf-8")
    check = check_folder(two_year_folder)
    assert check.ok, check.summary()
    assert check.tables["panel"]["above_scale"].all()
    assert any("above_scale (是否规上企业) = '是' for every row (dataset.yaml)" in n for n in check.notes)


def test_one_sheet_said_to_hold_several_tables(tmp_path, county):
    """A yearly sheet without 企业名称 is not split on its own; dataset.yaml says it holds the links too."""
    folder = tmp_path / "export"
    folder.mkdir()
    f = ce.county_rows(county, 2023).drop(columns=["企业名称", "所属镇街"])
    f.insert(1, "是否规上", ce.scale_words(county, 2023, "是", "否"))
    e = county["enterprises"]
    names = pd.DataFrame({"统一社会信用代码": e["credit_code"], "企业名称": e["name"], "所属镇街": e["street_code"]})
    write_sheets(folder / "数据2023.xlsx", {"企业名录": names, "年报": f})
    fields = {"宗地编号": "宗地编号", "面积": "面积", "镇街": "镇街"}
    ce._parcel_layer(county, fields, "EPSG:4490").to_file(folder / "宗地.geojson", driver="GeoJSON", engine="pyogrio")
    assert "企业用地关系" in error_text(folder)  # no link table anywhere
    (folder / "dataset.yaml").write_text("sheets:\n  年报: {tables: [panel, enterprise_parcels]}\n", encoding="utf-8")
    check = check_folder(folder)
    assert check.ok, check.summary()
    assert len(check.tables["enterprise_parcels"]) == len(county["links"])


@pytest.mark.parametrize(
    "yaml, says",
    [
        ("tables:\n  panel:\n    columns: {税收: tax}\n", "tables: panel: columns: tax: not a field of the table"),
        ("tables:\n  panel:\n    value: {above_scale: 是}\n", "tables: panel: value: unknown setting"),
        ("sheets:\n  Sheet1: {year: 二〇二三}\n", "sheets: Sheet1: year: '二〇二三' is not a year"),
        ("tables:\n  panel: {year: 2023年}\n", "tables: panel: year: '2023年' is not a year"),
        ("sheets:\n  Sheet1: 2022\n", "sheets: Sheet1: not a mapping of settings"),
        ("sheets:\n  Sheet1: {tables: [parcels]}\n", "sheets: Sheet1: tables: unknown table parcels"),
        ("table:\n  panel: {}\n", "table: unknown section"),
    ],
)
def test_a_wrong_line_is_named(two_year_folder, yaml, says):
    (two_year_folder / "dataset.yaml").write_text(yaml, encoding="utf-8")
    with pytest.raises(InputError) as err:
        check_folder(two_year_folder)
    assert says in str(err.value) and "dataset.yaml" in str(err.value)


def test_two_sheets_of_one_year_say_how_to_give_each_its_year(two_year_folder):
    (two_year_folder / "亩均数据.xlsx").rename(two_year_folder / "亩均数据2023.xlsx")  # both sheets now read as 2023
    errors = error_text(two_year_folder)
    assert "duplicate ids" in errors and "give each its year: `sheets: {<sheet>: {year: <year>}}`" in errors
