"""County exports in shapes this project did not design (tests/county_exports.py) read with no
hand edits and no parameters: every enterprise accounted for, 亩均税收 equal to the workbook's
tax over the workbook's 用地面积, the land basis and the filled shares said."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from helpers.io.check import check_folder
from helpers.io.dataset import load_dataset
from helpers.report.context import build_context
from tests import county_exports as ce
from tests.adversarial import case

SHAPES = list(ce.SHAPES)
# the fast tier evaluates the issue's own shape; make test evaluates every shape
EVALUATED = [s if s == "by_scale_workbook" else pytest.param(s, marks=pytest.mark.slow) for s in SHAPES]


@pytest.fixture(scope="module")
def county():
    return ce.choose()


@pytest.fixture(scope="module")
def folders(tmp_path_factory, county):
    return ce.write_all(tmp_path_factory.mktemp("county"))


@pytest.mark.parametrize("shape", SHAPES)
def test_each_shape_checks_without_errors_and_accounts_for_every_row(folders, shape):
    check = check_folder(folders[shape])
    assert check.ok, check.summary()
    ledger = check.ledger.set_index("table")
    assert (ledger["read"] == ledger["kept"] + ledger["excluded"]).all()
    assert ledger.loc["enterprises", "kept"] == ce.N_ABOVE + ce.N_BELOW
    # no warning is said twice because one sheet was split into three tables
    assert len(check.problems) == len(set(check.problems))


@pytest.mark.parametrize("shape", EVALUATED)
def test_tax_per_mu_is_the_workbooks_tax_over_its_declared_land(folders, county, shape):
    ctx = build_context(data_dir=folders[shape], plot=False)
    assert ctx.year == 2023  # year "latest", whatever the folder holds
    ev = ctx.ev.enterprises.set_index("credit_code")
    assert set(ev.index) == set(county["enterprises"]["credit_code"])
    assert (ev["status"] == "evaluated").all(), ev.loc[ev["status"] != "evaluated", "reason"]
    for code, by_hand in ce.hand_checked(county):  # 1250/25, 86.4/7.2, 3.3/1.1 typed into the workbook
        assert ev.loc[code, "tax_per_mu"] == pytest.approx(by_hand, rel=1e-12)
    panel = county["panel"][county["panel"]["year"] == 2023].set_index("credit_code")
    workbook = panel["tax_10k_yuan"].round(2) / panel["declared_land_mu"]
    assert np.allclose(ev.loc[workbook.index, "tax_per_mu"], workbook, rtol=1e-9)
    assert (ev["land_basis"] == "declared").all()
    assert "declared 用地面积 for 36 of 36" in ctx.ev.land_note
    assert (ctx.dataset.enterprises["industry_chain"] == "行业代码未填").all()  # no 行业代码 in any of these exports


def test_the_parcel_basis_is_a_parameter_and_differences_are_listed(folders, county):
    from helpers.evaluate.land import land_differences

    folder = folders["by_scale_workbook"]
    parcels = build_context(data_dir=folder, plot=False, land_basis="parcels")
    ev = parcels.ev.enterprises.set_index("credit_code")
    code, _ = ce.hand_checked(county)[0]
    assert ev.loc[code, "land_mu"] == pytest.approx(ev.loc[code, "parcel_land_mu"])
    assert ev.loc[code, "land_mu"] != pytest.approx(25.0)
    assert (ev["land_basis"] == "parcels").all() and "land_basis=parcels" in parcels.ev.land_note
    declared = build_context(data_dir=folder, plot=False).district_ev.enterprises
    far = land_differences(declared, 0.05)
    # the three hand-typed 用地面积 are far from their parcels; the others within ±2 % of them
    assert set(far["credit_code"]) >= {c for c, _ in ce.hand_checked(county)}
    assert (land_differences(declared, 0.0)["credit_code"].nunique()) > len(far)
    with pytest.raises(ValueError, match="land_basis"):
        build_context(data_dir=folder, plot=False, land_basis="measured")


def test_a_shared_parcel_is_split_by_declared_area_and_said(folders, county):
    check = check_folder(folders["by_scale_workbook"])
    links = check.tables["enterprise_parcels"]
    shared = links[links["parcel_id"] == county["shared"]].set_index("credit_code")["share"]
    assert len(shared) == 2 and shared.sum() == pytest.approx(1.0)
    declared = county["panel"][county["panel"]["year"] == 2023].set_index("credit_code")["declared_land_mu"]
    assert shared.iloc[0] / shared.iloc[1] == pytest.approx(declared[shared.index[0]] / declared[shared.index[1]])
    assert any("used by several enterprises" in n and county["shared"] in n for n in check.notes)
    two = links[links["credit_code"] == county["two"]]
    assert len(two) == 2 and (two["share"] == 1).all()  # "A、B" in one cell: two links


def test_the_shape_is_read_from_the_data_and_said(folders):
    notes = "\n".join(check_folder(folders["by_scale_workbook"]).notes)
    assert "one sheet holds 企业年度数据, 企业名录, 企业用地关系" in notes
    assert "every row taken as 规上 from its name" in notes and "every row taken as 规下 from its name" in notes
    assert "year 2023 taken from the file name" in notes
    assert "columns not used: 权利人" in notes
    assert "是否已投产" in notes and "every row taken as 是" in notes
    assert "year 2023 taken from the folder name" in "\n".join(check_folder(folders["one_year_2023"]).notes)
    xls = "\n".join(check_folder(folders["years_as_sheets_xls"]).notes)
    assert "year 2022 taken from the sheet name" in xls and "EPSG:4549 inferred" in xls


@case("file system", "read")
def test_an_xls_workbook_renamed_xlsx_is_read_as_what_it_is(folders, tmp_path):
    folder = tmp_path / "renamed"
    shutil.copytree(folders["years_as_sheets_xls"], folder)
    (folder / "亩均评价.xls").rename(folder / "亩均评价.xlsx")
    check = check_folder(folder)
    assert check.ok, check.summary()
    assert any("named .xlsx but it is an Excel 97-2003 workbook" in n for n in check.notes)


def test_an_enterprise_list_beside_the_sheet_wins_and_differences_are_listed(folders, tmp_path):
    folder = tmp_path / "with_list"
    shutil.copytree(folders["platform_sheet"], folder)
    ds = load_dataset(folders["platform_sheet"], use_cache=False)
    own = ds.enterprises[["credit_code", "name", "street_code"]].head(3).assign(name=lambda d: d["name"] + "（名录）")
    own.rename(columns={"credit_code": "统一社会信用代码", "name": "企业名称", "street_code": "所属镇街"}).to_csv(
        folder / "企业名录.csv", index=False
    )
    check = check_folder(folder)
    assert check.ok, check.summary()
    names = check.tables["enterprises"].set_index("credit_code")["name"]
    assert len(names) == ce.N_ABOVE + ce.N_BELOW
    assert all(names[c].endswith("（名录）") for c in own["credit_code"])


@case("logic", "warning")
def test_a_renamed_enterprise_is_listed_and_its_last_name_used(folders, tmp_path):
    import openpyxl

    folder = tmp_path / "renamed_enterprise"
    shutil.copytree(folders["platform_sheet"], folder)
    path = folder / "企业亩均数据导出.xlsx"
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    header = [c.value for c in ws[1]]
    col = header.index("企业名称") + 1
    ws.cell(2, col, "更名前的名称有限公司")  # the 2022 row of the first enterprise
    wb.save(path)
    check = check_folder(folder)
    assert check.ok
    warned = [p for p in check.warnings if "differs between the rows of one enterprise" in p.problem]
    assert warned and 2 in warned[0].rows
    assert "更名前的名称有限公司" not in set(check.tables["enterprises"]["name"])


def test_a_missing_amount_column_of_a_split_sheet_is_one_clear_error(folders, tmp_path):
    import openpyxl

    folder = tmp_path / "no_tax"
    shutil.copytree(folders["by_scale_workbook"], folder)
    path = folder / "2023年亩均效益评价数据.xlsx"
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        ws.delete_cols([c.value for c in ws[2]].index("税收实际贡献（万元）") + 1)
    wb.save(path)
    check = check_folder(folder)
    errors = [str(p) for p in check.errors]
    assert len(errors) == 2, errors  # one per sheet, naming it and the column
    assert all("税收实际贡献" in e and "规" in e for e in errors)


def test_the_contract_documents_the_new_fields():
    from helpers.io.schema import table_specs

    panel = table_specs()["panel"].columns
    assert panel["in_production"]["default"] is True and not panel["in_production"]["required"]
    assert panel["declared_land_mu"]["unit"] == "亩"
    assert "规上" in panel["above_scale"]["words"][True]
    assert not table_specs()["enterprise_parcels"].columns["share"]["required"]


def test_the_fixture_obeys_the_accounting_identities(county):
    p = county["panel"]
    assert (p["tax_10k_yuan"] <= p["value_added_10k_yuan"]).all()
    assert (p["value_added_10k_yuan"] <= p["revenue_10k_yuan"]).all()
    assert pd.Series([c for c, _ in ce.hand_checked(county)]).is_unique


@pytest.mark.parametrize(
    "shape, why",
    [
        ("by_scale_workbook", "EPSG:4528), taken from the file"),
        ("separate_csv_gbk", "EPSG:4528), taken from guessed from the coordinates' range"),
        ("years_as_sheets_xls", "EPSG:4549), taken from guessed from the coordinates' range"),
        ("platform_sheet", "EPSG:4490), taken from the file"),
    ],
)
def test_each_layer_says_which_crs_was_taken_and_why(folders, shape, why):
    from helpers.io.coordinates import CRS_NOTE

    crs_notes = [n for n in check_folder(folders[shape]).notes if CRS_NOTE in n]
    assert len(crs_notes) == 1 and why in crs_notes[0]


@pytest.mark.slow
def test_an_older_grid_is_recognised_and_measured_in_its_own_grid(folders):
    import geopandas as gpd

    folder = folders["xian80_shapefile"]
    check = check_folder(folder)
    assert check.ok, check.summary()
    assert any("西安80坐标系 Xian 1980" in n and "tens of metres" in n for n in check.notes)
    own = gpd.read_file(folder / "宗地_西安80.shp", encoding="gbk")  # no .cpg, as offices send them
    assert own.crs.to_epsg() == 2385
    by_id = check.tables["parcels"].set_index("parcel_id")["geom_area_mu"]
    assert np.allclose(by_id[own["宗地编号"]].to_numpy(), own.geometry.area.to_numpy() / (10000 / 15), rtol=1e-12)
    ctx = build_context(data_dir=folder, plot=False)  # and the whole evaluation runs on it
    assert (ctx.ev.enterprises["status"] == "evaluated").all()


def test_a_wgs84_layer_inside_the_district_carries_a_gcj02_caution(folders):
    import geopandas as gpd

    from helpers.io.check import settings
    from helpers.io.coordinates import place_layer

    layer = gpd.read_file(folders["platform_sheet"] / "地块.geojson").to_crs("EPSG:4326")
    inside = layer.geometry.buffer(0)  # WGS84, every parcel inside Linping: nothing in the coordinates tells
    gdf = gpd.GeoDataFrame(geometry=inside.values, crs="EPSG:4326")
    _, notes, problems = place_layer(gdf, "地块.geojson", settings()["coordinates"])
    assert not problems and any("could be GCJ-02" in n and "coordinates: gcj02" in n for n in notes)
    _, notes, _ = place_layer(gdf, "地块.geojson", settings()["coordinates"], declared_coordinates="wgs84")
    assert not any("GCJ-02" in n for n in notes)
    _, notes, _ = place_layer(gdf.to_crs("EPSG:4490"), "地块.geojson", settings()["coordinates"])
    assert not any("GCJ-02" in n for n in notes)  # CGCS2000 comes from surveys, not web maps


def test_gcj02_parcels_near_the_boundary_are_detected_and_converted(folders):
    notes = "\n".join(check_folder(folders["gcj02_geojson"]).notes)
    assert "look like GCJ-02" in notes and "converted to WGS84/CGCS2000" in notes


def test_a_sheet_missing_a_column_has_its_cells_checked_in_the_same_pass(folders, tmp_path):
    import openpyxl

    folder = tmp_path / "two_faults"
    shutil.copytree(folders["by_scale_workbook"], folder)
    path = folder / "2023年亩均效益评价数据.xlsx"
    wb = openpyxl.load_workbook(path)
    ws = wb["规上工业企业"]
    header = [c.value for c in ws[2]]
    ws.cell(3, header.index("营业收入（万元）") + 1, "约三千")  # a cell that is no number
    ws.delete_cols(header.index("税收实际贡献（万元）") + 1)
    wb.save(path)
    errors = check_folder(folder).errors
    assert any("missing required column" in p.problem and "税收实际贡献" in p.problem for p in errors)
    assert any(p.problem == "not a number" and p.rows == (3,) and "营业收入" in str(p.column) for p in errors)


def test_a_beijing_1954_layer_is_recognised_and_measured_in_its_own_grid(folders):
    import geopandas as gpd

    from helpers.io.check import settings
    from helpers.io.coordinates import place_layer

    layer = gpd.read_file(folders["platform_sheet"] / "地块.geojson").to_crs("EPSG:2437")  # Beijing 1954 / 3° GK CM 120E
    gdf = gpd.GeoDataFrame(geometry=layer.geometry.values, crs=layer.crs)
    placed, notes, problems = place_layer(gdf, "宗地_北京54.shp", settings()["coordinates"])
    assert not problems and placed.crs.to_epsg() == 4490
    assert any("北京54坐标系 Beijing 1954" in n for n in notes)
    assert np.allclose(placed["geom_area_mu"], gdf.geometry.area / (10000 / 15), rtol=1e-12)


@pytest.mark.slow
def test_grant_years_all_before_the_standard_land_era_say_no_data(folders, tmp_path):
    import geopandas as gpd

    from helpers.report import low_efficiency_page

    folder = tmp_path / "old_grants"
    shutil.copytree(folders["platform_sheet"], folder)
    layer = gpd.read_file(folder / "地块.geojson")
    layer.assign(供地年份=2009, 是否标准地="否").to_file(folder / "地块.geojson", driver="GeoJSON", engine="pyogrio")
    ctx = build_context(data_dir=folder, plot=False)
    text = "\n".join(low_efficiency_page.idle_and_standard_land(ctx).texts)
    assert "无数据" in text and "供地年份" in text
