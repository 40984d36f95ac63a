"""Named bad-input cases: each gives a problem naming the file, the column and the rows, and
saying what was expected; and no row disappears without a reason."""

import shutil

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Point, Polygon

from helpers.core import paths
from helpers.core.credit_code import make_code
from helpers.core.errors import InputError
from helpers.io.check import check_folder
from helpers.io.dataset import load_dataset
from helpers.io.schema import table_specs
from tests.adversarial import case

from .conftest import read_table, write_table


def problem(folder, words, severity="error"):
    """The one problem of ``folder`` whose text contains ``words``."""
    found = [p for p in check_folder(folder).problems if words in str(p) and p.severity == severity]
    assert len(found) == 1, [str(p) for p in check_folder(folder).problems]
    return found[0]


def edit(folder, name, change):
    write_table(change(read_table(folder, name)), folder, name)


def set_cell(column, index, value):
    def change(d):
        d[column] = d[column].astype(object)
        d.loc[index, column] = value
        return d

    return change


def edit_parcels(folder, change):
    p = gpd.read_parquet(folder / "parcels.parquet")
    change(p)
    p.to_parquet(folder / "parcels.parquet")


# --- columns and cell types ------------------------------------------------------------------


@case("logic", "error")
def test_missing_required_column(sample_copy):
    edit(sample_copy, "panel.csv", lambda d: d.drop(columns="tax_10k_yuan"))
    p = problem(sample_copy, "missing required column")
    assert p.file.endswith("panel.csv") and "tax_10k_yuan (税收实际贡献(万元))" in p.problem
    assert "docs/data-contract.md" in p.expected
    with pytest.raises(InputError, match="missing required column"):
        load_dataset(sample_copy)


@case("cell oddities", "error")
def test_not_a_number(sample_copy):
    edit(sample_copy, "panel.csv", set_cell("revenue_10k_yuan", [3, 9], ["12,5", "n/a"]))
    p = problem(sample_copy, "not a number")
    assert p.column.startswith("revenue_10k_yuan") and p.rows == (5, 11) and "万元" in p.expected


@case("cell oddities", "warning")
def test_numbers_written_as_office_text_are_read_and_listed(sample_copy):
    """Thousands separators and full-width digits are how offices type numbers: read, and listed."""
    before = read_table(sample_copy, "panel.csv")
    edit(
        sample_copy,
        "panel.csv",
        set_cell("revenue_10k_yuan", [3, 9, 10], ["1,234.5", "１２３", "12,345,678"]),
    )
    p = problem(sample_copy, "numbers written as text", severity="warning")
    assert p.column.startswith("revenue_10k_yuan") and p.rows == (5, 11, 12)
    panel = load_dataset(sample_copy).panel
    keys = before.loc[[3, 9, 10], ["credit_code", "year"]].astype({"year": int})
    got = keys.merge(panel, on=["credit_code", "year"])["revenue_10k_yuan"].tolist()
    assert got == [1234.5, 123.0, 12345678.0]


@case("cell oddities", "warning")
def test_credit_codes_typed_with_spaces_or_lower_case_are_normalised_and_listed(sample_copy):
    enterprises = read_table(sample_copy, "enterprises.csv")
    code = enterprises.loc[4, "credit_code"]
    typed = f" {code[:6]} {code[6:].lower()} "
    edit(sample_copy, "enterprises.csv", set_cell("credit_code", 4, typed))
    links = read_table(sample_copy, "enterprise_parcels.csv")
    at = links.index[links["credit_code"] == code].tolist()
    edit(sample_copy, "enterprise_parcels.csv", set_cell("credit_code", at, [code.lower()] * len(at)))
    warnings = [p for p in check_folder(sample_copy).problems if "统一社会信用代码 with spaces" in p.problem]
    assert {p.file.rsplit("/", 1)[-1] for p in warnings} == {"enterprises.csv", "enterprise_parcels.csv"}
    assert all(p.severity == "warning" for p in warnings)
    assert next(p for p in warnings if p.file.endswith("enterprises.csv")).rows == (6,)
    dataset = load_dataset(sample_copy)
    assert code in set(dataset.enterprises["credit_code"]) and (dataset.links["credit_code"] == code).sum() == len(at)


@case("cell oddities", "error")
def test_not_a_whole_number(sample_copy):
    edit(sample_copy, "enterprises.csv", set_cell("founded_year", 0, "2001.5"))
    p = problem(sample_copy, "not a whole number")
    assert p.column.startswith("founded_year") and p.rows == (2,)


@case("cell oddities", "error")
def test_bad_boolean(sample_copy):
    edit(sample_copy, "panel.csv", set_cell("above_scale", 4, "maybe"))
    p = problem(sample_copy, "yes/no")
    assert p.rows == (6,) and "是/否" in p.expected


@case("cell oddities", "error")
def test_empty_key_cell(sample_copy):
    edit(sample_copy, "enterprises.csv", set_cell("credit_code", 7, ""))
    p = problem(sample_copy, "empty cells")
    assert p.column.startswith("credit_code") and p.rows == (9,) and p.expected == "a value in every row"


@case("cell oddities", "error")
def test_malformed_industry_code(sample_copy):
    edit(sample_copy, "enterprises.csv", set_cell("industry_code", 1, "C3X"))
    p = problem(sample_copy, "malformed value")
    assert p.column.startswith("industry_code") and p.rows == (3,)


@case("cell oddities", "error")
def test_negative_employees(sample_copy):
    edit(sample_copy, "panel.csv", set_cell("employees", 2, "-5"))
    p = problem(sample_copy, "negative values")
    assert p.column.startswith("employees") and p.rows == (4,) and "0 or more" in p.expected


# --- ids and credit codes ---------------------------------------------------------------------


@case("logic", "error")
def test_duplicate_enterprise_with_different_values(sample_copy):
    edit(
        sample_copy, "enterprises.csv", lambda d: d.assign(credit_code=d["credit_code"].where(d.index != 5, d["credit_code"][4]))
    )
    p = problem(sample_copy, "duplicate ids")
    assert p.rows == (6, 7) and p.expected == "each id once"


@case("logic", "error")
def test_duplicate_panel_key_with_different_values(sample_copy):
    edit(sample_copy, "panel.csv", lambda d: pd.concat([d, d.iloc[[0]].assign(revenue_10k_yuan="1")], ignore_index=True))
    p = problem(sample_copy, "duplicate ids")
    assert "year" in p.column and p.rows[0] == 2 and p.rows[-1] == len(read_table(sample_copy, "panel.csv")) + 1


@case("logic", "warning")
def test_exact_copy_is_excluded_with_its_reason(sample_copy):
    n = len(read_table(sample_copy, "panel.csv"))
    edit(sample_copy, "panel.csv", lambda d: pd.concat([d, d.iloc[[3]]], ignore_index=True))
    result = check_folder(sample_copy)
    assert result.ok
    row = result.excluded.iloc[0]
    assert row["table"] == "panel" and row["row"] == n + 2 and "exact copy of row 5" in row["reason"]
    ledger = result.ledger.set_index("table").loc["panel"]
    assert ledger["read"] == n + 1 and ledger["kept"] == n and ledger["excluded"] == 1


@case("cell oddities", "error")
def test_invalid_credit_code_check_character(sample_copy):
    def change(d):
        code = d.loc[2, "credit_code"]
        d.loc[2, "credit_code"] = code[:17] + ("0" if code[17] != "0" else "1")
        return d

    edit(sample_copy, "enterprises.csv", change)
    p = problem(sample_copy, "invalid 统一社会信用代码")
    assert p.rows == (4,) and "GB 32100-2015" in p.expected


@case("cell oddities", "error")
def test_credit_code_mangled_by_excel(sample_copy):
    edit(sample_copy, "enterprises.csv", set_cell("credit_code", 0, "9.13301E+17"))
    assert problem(sample_copy, "invalid 统一社会信用代码").rows == (2,)


@case("logic", "error")
def test_unknown_street(sample_copy):
    edit(sample_copy, "enterprises.csv", set_cell("street_code", 0, "330110005"))
    p = problem(sample_copy, "unknown 街道/镇")
    assert p.rows == (2,) and "330113001" in p.expected


# --- parcels: areas and geometry --------------------------------------------------------------


@pytest.mark.parametrize(
    "value, words",
    [(0.0, "zero or negative"), (-3.5, "zero or negative"), (None, "empty cells")],
    ids=["zero_area", "negative_area", "missing_area"],
)
@case("cell oddities", "error")
def test_non_positive_or_missing_parcel_area(sample_copy, value, words):
    def change(p):
        p["registered_area_mu"] = p["registered_area_mu"].astype(object)
        p.loc[7, "registered_area_mu"] = value

    edit_parcels(sample_copy, change)
    p = problem(sample_copy, words)
    assert p.rows == (8,) and p.file.endswith("parcels.parquet") and p.column.startswith("registered_area_mu")


@case("geometry", "warning")
def test_registered_area_far_from_geometry_is_a_warning(sample_copy):
    edit_parcels(
        sample_copy,
        lambda p: p.__setitem__("registered_area_mu", p["registered_area_mu"].where(p.index != 11, p["registered_area_mu"] * 3)),
    )
    p = problem(sample_copy, "differs from the measured area", severity="warning")
    assert p.rows == (12,) and "registered area" in p.expected
    assert check_folder(sample_copy).ok


@case("logic", "error")
def test_area_in_square_metres(sample_copy):
    edit_parcels(sample_copy, lambda p: p.__setitem__("registered_area_mu", p["registered_area_mu"] * 10000 / 15))
    p = problem(sample_copy, "look like 平方米")
    assert len(p.rows) == 2500 and "用地面积(平方米)" in p.expected


@case("geometry", "error")
def test_invalid_geometry(sample_copy):
    def change(p):
        x, y = p.geometry.iloc[0].exterior.coords[0]
        p.loc[0, "geometry"] = Polygon([(x, y), (x + 0.001, y + 0.001), (x + 0.001, y), (x, y + 0.001)])  # bow-tie

    edit_parcels(sample_copy, change)
    p = problem(sample_copy, "invalid geometry")
    assert p.rows == (1,) and "make_valid" in p.expected


@case("geometry", "error")
def test_empty_geometry(sample_copy):
    edit_parcels(sample_copy, lambda p: p.__setitem__("geometry", p.geometry.where(p.index != 4, Polygon())))
    assert problem(sample_copy, "empty or missing geometry").rows == (5,)


@case("geometry", "error")
def test_point_instead_of_polygon(sample_copy):
    edit_parcels(sample_copy, lambda p: p.__setitem__("geometry", p.geometry.where(p.index != 2, Point(120.3, 30.42))))
    p = problem(sample_copy, "not a polygon")
    assert p.rows == (3,) and p.column == "geometry"


# --- links between tables ---------------------------------------------------------------------


@case("logic", "error")
def test_link_to_missing_parcel(sample_copy):
    edit(sample_copy, "enterprise_parcels.csv", set_cell("parcel_id", 10, "330113999001GB99999"))
    p = problem(sample_copy, "do not exist")
    assert p.rows == (12,) and p.column.startswith("parcel_id") and "宗地" in p.expected


@case("logic", "error")
def test_link_to_missing_enterprise(sample_copy):
    edit(sample_copy, "enterprise_parcels.csv", set_cell("credit_code", 0, make_code("330113", "ABCDEFGH")))
    p = problem(sample_copy, "do not exist")
    assert p.rows == (2,) and "企业名录" in p.expected


@case("logic", "error")
def test_panel_for_unknown_enterprise(sample_copy):
    edit(sample_copy, "panel.csv", set_cell("credit_code", 1, make_code("330113", "12345678")))
    p = problem(sample_copy, "do not exist")
    assert p.file.endswith("panel.csv") and p.rows == (3,)


@case("logic", "error")
def test_shares_of_a_parcel_over_one(sample_copy):
    def change(d):
        d.loc[0, "share"] = "1"
        other = d.loc[d["parcel_id"] != d.loc[0, "parcel_id"], "credit_code"].iloc[0]
        return pd.concat([d, d.iloc[[0]].assign(credit_code=other, share="0.5")], ignore_index=True)

    edit(sample_copy, "enterprise_parcels.csv", change)
    p = problem(sample_copy, "more than 1")
    assert p.rows[0] == 2 and p.rows[-1] == len(read_table(sample_copy, "enterprise_parcels.csv")) + 1


@case("cell oddities", "error")
def test_share_outside_zero_one(sample_copy):
    edit(sample_copy, "enterprise_parcels.csv", set_cell("share", 3, "1.5"))
    assert problem(sample_copy, "share outside (0, 1]").rows == (5,)


# --- money: 元 against 万元, refunds ------------------------------------------------------------


@case("logic", "error")
def test_tax_column_in_yuan(sample_copy):
    edit(sample_copy, "panel.csv", lambda d: d.assign(tax_10k_yuan=(d["tax_10k_yuan"].astype(float) * 10000).astype(str)))
    p = problem(sample_copy, "looks like 元, not 万元")
    assert p.column.startswith("tax_10k_yuan") and len(p.rows) > 7000 and "税收实际贡献(元)" in p.expected


@case("logic", "error")
def test_one_amount_in_yuan(sample_copy):
    edit(sample_copy, "panel.csv", set_cell("revenue_10k_yuan", 6, "58000000"))
    p = problem(sample_copy, "look like 元, not 万元")
    assert p.rows == (8,) and p.column.startswith("revenue_10k_yuan")


@case("logic", "error")
def test_unknown_unit_in_header(sample_copy):
    edit(sample_copy, "panel.csv", lambda d: d.rename(columns={"tax_10k_yuan": "税收实际贡献(美元)"}))
    p = problem(sample_copy, "cannot be converted to 万元")
    assert p.column == "税收实际贡献(美元)" and "元" in p.expected


@case("logic", "warning")
def test_negative_tax_is_kept_and_listed(sample_copy):
    edit(sample_copy, "panel.csv", set_cell("tax_10k_yuan", [0, 1], ["-12.5", "-0.1"]))
    result = check_folder(sample_copy)
    warning = next(p for p in result.warnings if "negative tax" in p.problem)
    assert {2, 3} <= set(warning.rows) and "kept" in warning.problem
    assert result.ok and result.tables["panel"]["tax_10k_yuan"].iloc[0] == -12.5


def test_negative_tax_rule_zero(sample_copy, monkeypatch):
    from helpers.io import check as validation

    monkeypatch.setitem(validation.settings(), "negative_tax", "zero")
    edit(sample_copy, "panel.csv", set_cell("tax_10k_yuan", 0, "-12.5"))
    result = check_folder(sample_copy)
    assert result.tables["panel"]["tax_10k_yuan"].iloc[0] == 0.0
    assert any("counted as 0" in p.problem and 2 in p.rows for p in result.warnings)


# --- files --------------------------------------------------------------------------------------


@case("file system", "error")
def test_empty_file(sample_copy):
    (sample_copy / "enterprises.csv").write_text("", encoding="utf-8")
    p = problem(sample_copy, "the file is empty")
    assert p.file.endswith("enterprises.csv") and "header row" in p.expected


@case("file system", "error")
def test_header_without_rows(sample_copy):
    (sample_copy / "enterprises.csv").write_text("credit_code,name,street_code,industry_code\n", encoding="utf-8")
    p = problem(sample_copy, "no data rows")
    assert p.file.endswith("enterprises.csv") and "企业名录" in p.expected


@case("file system", "error")
def test_csv_named_xlsx(sample_copy):
    (sample_copy / "enterprises.csv").rename(sample_copy / "enterprises.xlsx")
    p = problem(sample_copy, "named .xlsx but the file is CSV text")
    assert "renamed to enterprises.csv" in p.expected


@case("file system", "error")
def test_workbook_named_csv(sample_copy):
    df = read_table(sample_copy, "enterprises.csv")
    (sample_copy / "enterprises.csv").unlink()
    df.to_excel(sample_copy / "enterprises.csv", index=False, engine="openpyxl")
    assert "renamed to enterprises.xlsx" in problem(sample_copy, "named .csv but the file is an Excel workbook").expected


@case("file system", "error")
def test_html_saved_as_excel(sample_copy):
    (sample_copy / "导出.xlsx").write_text("<html><table><tr><td>统一社会信用代码</td></tr></table></html>", encoding="utf-8")
    assert problem(sample_copy, "an HTML page").file.endswith("导出.xlsx")


@case("file system", "error")
def test_a_damaged_xls_workbook_is_named_not_a_traceback(sample_copy):
    (sample_copy / "企业名录.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    p = problem(sample_copy, "cannot be read as an Excel 97-2003 workbook")
    assert p.file.endswith("企业名录.xls") and "另存为" in p.expected


@case("file system", "error")
def test_missing_table(sample_copy):
    (sample_copy / "panel.csv").unlink()
    p = problem(sample_copy, "no file or sheet holds the table")
    assert p.file.endswith("panel.csv") and "headers" in p.expected


def test_unknown_table_in_manifest(sample_copy):
    (sample_copy / "dataset.yaml").write_text("tables:\n  parcel_layer: {file: x.shp}\n", encoding="utf-8")
    with pytest.raises(InputError, match="unknown table"):
        check_folder(sample_copy)


def test_bad_optional_record(sample_copy):
    shutil.copy(paths.SAMPLE_DIR / "remediation.csv", sample_copy / "remediation.csv")
    edit(sample_copy, "remediation.csv", set_cell("stage", 2, "已完成"))
    p = problem(sample_copy, "malformed value")
    assert p.file.endswith("remediation.csv") and p.rows == (4,) and p.column.startswith("stage")


# --- coordinates --------------------------------------------------------------------------------


def _reproject(folder, crs, declare=None):
    p = gpd.read_parquet(folder / "parcels.parquet").to_crs(crs)
    if declare is not None:
        p = p.set_crs(declare, allow_override=True)
    p.to_parquet(folder / "parcels.parquet")


@case("geometry", "error")
def test_declared_crs_contradicted_by_coordinates(sample_copy):
    _reproject(sample_copy, "EPSG:4528", declare="EPSG:4549")  # zone-prefixed eastings labelled as 4549
    p = problem(sample_copy, "lie within")
    assert p.column == "geometry" and "EPSG:4528" in p.problem and "4528" in p.expected


@case("geometry", "error")
def test_northing_first_coordinates(sample_copy):
    p = gpd.read_parquet(sample_copy / "parcels.parquet").to_crs("EPSG:4528")
    p = p.set_geometry(shapely.transform(p.geometry.values, lambda xy: xy[:, ::-1]))
    p.to_parquet(sample_copy / "parcels.parquet")
    assert "swap" in problem(sample_copy, "northing first").expected


@case("geometry", "error")
def test_layer_without_crs_and_unknown_range(sample_copy):
    p = gpd.read_parquet(sample_copy / "parcels.parquet").to_crs("EPSG:3857").set_crs(None, allow_override=True)
    p.to_parquet(sample_copy / "parcels.parquet")
    p = problem(sample_copy, "no CRS")
    assert "dataset.yaml" in p.expected


# --- everything at once ---------------------------------------------------------------------------


def test_every_problem_is_listed_in_one_pass(sample_copy):
    edit(sample_copy, "panel.csv", set_cell("above_scale", 4, "maybe"))
    edit(sample_copy, "enterprises.csv", set_cell("street_code", 0, "330110005"))
    edit(sample_copy, "enterprise_parcels.csv", set_cell("share", 3, "0"))
    with pytest.raises(InputError) as info:
        load_dataset(sample_copy)
    text = str(info.value)
    assert len(info.value.problems) == 3 and "3 problems" in text
    assert "yes/no" in text and "街道/镇" in text and "share outside" in text


def test_data_contract_document_is_in_step():
    from helpers.io.contract import DOC, contract_markdown

    assert DOC.read_text(encoding="utf-8") == contract_markdown(), "run: python -m helpers.io.contract"
    text = DOC.read_text(encoding="utf-8")
    for name in ("enterprises", "parcels", "enterprise_parcels", "panel"):
        assert f"### `{name}`" in text
    assert "税收实际贡献(元)" in text and "EPSG:4528" in text


def test_example_files_pass_the_check():
    from helpers.io.contract import EXAMPLES

    result = check_folder(EXAMPLES)
    assert result.ok, result.summary()
    assert set(result.read) == set(table_specs())  # an example of every table


def test_exact_copies_are_full_row_duplicates_whatever_the_key():
    """Comparing only rows whose key repeats finds exactly the rows a full-row comparison finds:
    copies (missing keys too), not rows sharing a key with other values, not a parcel whose
    outline alone differs."""
    from helpers.io.schema import exact_copies, table_specs

    panel = read_table(paths.SAMPLE_DIR, "panel.csv").head(200).reset_index(drop=True)
    extra = panel.iloc[[3, 3, 10, 50]].copy()
    extra.iloc[2, extra.columns.get_loc("employees")] = "999999"  # same key, other values: not a copy
    nokey = panel.iloc[[7, 7]].copy()
    nokey["credit_code"] = None  # copies with a missing key
    table = pd.concat([panel, extra, nokey], ignore_index=True).sample(frac=1, random_state=3).reset_index(drop=True)
    spec = table_specs()["panel"]
    expected = table[[c for c in spec.columns if c in table]].duplicated(keep="first")
    got = exact_copies(table, spec)
    assert got.sum() == 4 and (got == expected).all()

    parcels = gpd.read_parquet(paths.SAMPLE_DIR / "parcels.parquet").head(50)
    twins = pd.concat([parcels, parcels.iloc[[1, 2]]], ignore_index=True)
    twins.loc[len(twins) - 1, "geometry"] = shapely.box(0, 0, 1, 1)  # row 2's attributes, another outline
    twins = gpd.GeoDataFrame(twins, geometry="geometry", crs=parcels.crs)
    got = exact_copies(twins, table_specs()["parcels"])
    assert list(np.flatnonzero(got)) == [50]
