"""Finite numbers only: inf, -inf and NaN in any spelling, and figures beyond a plausible magnitude,
are input errors naming the file, the column and the rows (an `inf` employees cell once made a
benchmark 0 and 894 of 895 规上 enterprises class A, with the check saying OK)."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from helpers.io.check import check_folder
from tests import county_exports as ce
from tests.adversarial import case

PANEL = "亩均数据2023.csv"


def with_cells(base, tmp_path, column: str, cells: dict[int, str]):
    folder = tmp_path / "data"
    shutil.copytree(base, folder)
    panel = pd.read_csv(folder / PANEL, dtype=str, encoding="gbk", keep_default_na=False)
    for i, text in cells.items():
        panel.loc[i, column] = text
    panel.to_csv(folder / PANEL, index=False, encoding="gbk")
    return folder


@pytest.mark.parametrize("text", ["inf", "-inf", "Infinity", "-Infinity", "INF", "1e999", "∞"])
@case("cell oddities", "error")
def test_an_infinite_cell_is_an_error_with_its_row(county_base, tmp_path, text):
    folder = with_cells(county_base, tmp_path, "年平均职工人数(人)", {3: text})
    errors = check_folder(folder).errors
    assert len(errors) == 1, [str(e) for e in errors]
    e = errors[0]
    assert e.file.endswith(PANEL) and e.rows == (5,) and "employees" in str(e.column)
    assert e.problem in ("infinite value", "not a number")


@pytest.mark.parametrize("text", ["NaN", "nan", "NAN", "-nan", "#N/A", "#DIV/0!", "null"])
@case("cell oddities", "error")
def test_a_not_a_number_cell_is_an_error_with_its_row(county_base, tmp_path, text):
    folder = with_cells(county_base, tmp_path, "税收实际贡献(万元)", {0: text})
    errors = check_folder(folder).errors
    assert [(e.problem, e.rows) for e in errors] == [("not a number", (2,))]


@case("cell oddities", "error")
def test_a_figure_beyond_any_plausible_magnitude_is_an_error(county_base, tmp_path):
    folder = with_cells(county_base, tmp_path, "综合能耗(吨标准煤)", {1: "3e12", 4: "-2e10"})
    errors = check_folder(folder).errors
    far = [e for e in errors if e.problem.startswith("values beyond")]
    assert len(far) == 1 and far[0].rows == (3, 6) and "energy_tce" in str(far[0].column)


@case("cell oddities", "error")
def test_an_infinite_registered_area_is_an_error(county_base, tmp_path):
    import geopandas as gpd

    folder = tmp_path / "data"
    shutil.copytree(county_base, folder)
    layer = gpd.read_file(folder / "工业用地.shp", encoding="gbk")
    layer.loc[2, "面积"] = float("inf")
    layer.to_file(folder / "工业用地.shp", encoding="gbk", engine="pyogrio")
    (folder / "工业用地.cpg").unlink(missing_ok=True)
    errors = check_folder(folder).errors
    assert any(e.problem == "infinite value" and e.rows == (3,) and "registered_area_mu" in str(e.column) for e in errors)


@case("cell oddities", "error")
def test_formula_cells_without_stored_values_are_named_not_read_as_empty(tmp_path):
    import openpyxl

    folder = tmp_path / "formulas"
    shutil.copytree(ce.write_all(tmp_path / "w", ["by_scale_workbook"])["by_scale_workbook"], folder)
    path = folder / "2023年亩均效益评价数据.xlsx"
    wb = openpyxl.load_workbook(path)
    ws = wb["规上工业企业"]
    header = [c.value for c in ws[2]]
    col = openpyxl.utils.get_column_letter(header.index("税收实际贡献（万元）") + 1)
    ws[f"{col}4"] = f"={col}3*2"  # openpyxl stores the formula, never its value
    ws[f"{col}6"] = f"=SUM({col}3:{col}5)"
    wb.save(path)
    errors = check_folder(folder).errors
    found = [e for e in errors if "formula cells without a stored value" in e.problem]
    assert len(found) == 1 and found[0].rows == (4, 6) and f"{col}4, {col}6" in found[0].problem
    assert "save it" in found[0].expected and "[规上工业企业]" in found[0].file
