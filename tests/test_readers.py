"""Readers for the files researchers hold: encodings, workbooks with titles and merged headers,
header aliases and units, layers in every format and CRS, GCJ-02, and a county-shaped folder."""

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pytest

from helpers.core import paths
from helpers.evaluate.evaluation import evaluate
from helpers.io.check import check_folder
from helpers.io.coordinates import guess_crs
from helpers.io.dataset import load_dataset
from helpers.io.formats import sniff
from helpers.io.headers import match_headers, split_unit
from helpers.synthetic.county_example import write_county_example
from tests.adversarial import case

from .conftest import read_table


@pytest.mark.parametrize(
    "header, name, unit",
    [
        ("税收实际贡献（万元）", "税收实际贡献", "万元"),
        ("税收实际贡献(元)", "税收实际贡献", "元"),
        (" 用地面积\n(亩) ", "用地面积", "亩"),
        ("综合能耗(吨标准煤,等价值)", "综合能耗", "吨标准煤"),
        ("营业收入（单位：万元）", "营业收入", "万元"),
        ("营业收入/亿元", "营业收入", "亿元"),
        ("*统一社会信用代码", "统一社会信用代码", None),
        ("R&D经费支出【万元】", "r&d经费支出", "万元"),
    ],
)
def test_header_names_and_units(header, name, unit):
    assert split_unit(header) == (name, unit)


def test_header_aliases_map_to_the_dictionary():
    headers = [
        "序号",
        "信用代码",
        "年份",
        "是否规上",
        "是否投产",
        "主营业务收入(万元)",
        "实缴税金（元）",
        "工业增加值",
        "从业人员",
        "综合能耗(tce)",
        "用电量(万度)",
        "研发费用(万元)",
    ]
    found = {m.column: m.unit for m in match_headers("panel", headers).values()}
    assert found == {
        "credit_code": None,
        "year": None,
        "above_scale": None,
        "in_production": None,
        "revenue_10k_yuan": "万元",
        "tax_10k_yuan": "元",
        "value_added_10k_yuan": None,
        "employees": None,
        "energy_tce": "tce",
        "electricity_10k_kwh": "万度",
        "rd_10k_yuan": "万元",
    }


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
@case("encodings", "read")
def test_csv_encodings_read_the_same(sample_copy, encoding):
    df = read_table(sample_copy, "enterprises.csv")
    df.to_csv(sample_copy / "enterprises.csv", index=False, encoding=encoding)
    ds = load_dataset(sample_copy)
    assert ds.enterprises["name"].tolist() == df["name"].tolist()


@pytest.mark.slow
@case("encodings", "read")
def test_workbook_with_title_rows_merged_headers_and_a_total_row(sample_copy):
    panel = read_table(sample_copy, "panel.csv")
    (sample_copy / "panel.csv").unlink()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "数据"
    ws.append(["2023年度亩均效益评价数据（单位见表头）"])
    ws.merge_cells("A1:L1")
    ws.append(["企业", None, "状态", None, "经济指标", None, None, None, "资源", None, None, None])
    for a, b in (("A2", "B2"), ("C2", "D2"), ("E2", "H2"), ("I2", "L2")):
        ws.merge_cells(f"{a}:{b}")
    ws.append(
        [
            "统一社会信用代码",
            "年度",
            "是否规上企业",
            "是否已投产",
            "营业收入(万元)",
            "税收实际贡献(元)",
            "工业增加值(万元)",
            "R&D经费支出(万元)",
            "年平均职工人数(人)",
            "综合能耗(吨标准煤)",
            "用电量(千瓦时)",
            "主要污染物排放量(吨)",
        ]
    )
    ws.append([None] * 12)  # a blank line inside the data
    for r in panel.itertuples():
        ws.append(
            [
                r.credit_code,
                int(r.year),
                r.above_scale,
                r.in_production,
                float(r.revenue_10k_yuan),
                float(r.tax_10k_yuan) * 10000,
                float(r.value_added_10k_yuan),
                float(r.rd_10k_yuan),
                float(r.employees),
                float(r.energy_tce),
                float(r.electricity_10k_kwh) * 10000,
                float(r.emissions_t) if r.emissions_t else None,
            ]
        )
    ws.append(["合计"] + [None] * 11)
    hidden = wb.create_sheet("旧数据")
    hidden.sheet_state = "hidden"
    wb.save(sample_copy / "亩均数据.xlsx")
    result = check_folder(sample_copy)
    assert result.ok, result.summary()
    got = result.tables["panel"]
    assert len(got) == len(panel) and got["_row"].iloc[0] == 5  # title, groups, header, blank line
    assert np.allclose(got["tax_10k_yuan"], panel["tax_10k_yuan"].astype(float), rtol=1e-12, atol=1e-9)
    assert np.allclose(got["electricity_10k_kwh"], panel["electricity_10k_kwh"].astype(float), rtol=1e-12)
    assert result.excluded["reason"].str.contains("合计").sum() == 1
    assert any("hidden sheet" in n for n in result.notes)
    assert any("× 0.0001" in n for n in result.notes)


def _parcels():
    return gpd.read_parquet(paths.SAMPLE_DIR / "parcels.parquet")


@pytest.mark.parametrize("fmt", ["parquet", "gpkg", "geojson", "shp_gbk_no_cpg", "shp_utf8_cpg"])
@pytest.mark.parametrize("crs", ["EPSG:4490", "EPSG:4326", "EPSG:4549", "EPSG:4528"])
def test_parcel_layers_in_every_format_and_crs(sample_copy, fmt, crs):
    p = _parcels().to_crs(crs)
    (sample_copy / "parcels.parquet").unlink()
    if fmt == "parquet":
        p.to_parquet(sample_copy / "宗地.parquet")
    elif fmt == "gpkg":
        p.to_file(sample_copy / "宗地.gpkg", driver="GPKG")
    elif fmt == "geojson":
        p.to_file(sample_copy / "宗地.geojson", driver="GeoJSON")
    elif fmt == "shp_utf8_cpg":  # UTF-8 DBF field names hold 3 Chinese characters at most: English names
        p.rename(columns={"registered_area_mu": "area_mu"}).to_file(sample_copy / "宗地.shp", encoding="utf-8")
    else:
        cn = p.rename(
            columns={
                "parcel_id": "宗地代码",
                "street_code": "所属镇街",
                "registered_area_mu": "登记面积",
                "land_use": "土地用途",
                "grant_year": "供地年份",
                "standard_land": "标准地",
            }
        )
        cn["标准地"] = cn["标准地"].map({True: "是", False: "否"})
        cn.to_file(sample_copy / "宗地.shp", encoding="gbk")
        (sample_copy / "宗地.cpg").unlink()
        (sample_copy / "宗地.prj").unlink()  # the CRS comes from the coordinates' range
    ds = load_dataset(sample_copy)
    ref = _parcels()
    assert ds.parcels["parcel_id"].tolist() == ref["parcel_id"].tolist()
    assert ds.parcels.crs.to_epsg() == 4490
    shift = ds.parcels.to_crs(4549).centroid.distance(ref.to_crs(4549).centroid)
    assert shift.max() < 0.01  # centimetres at most, whichever the CRS
    assert np.allclose(ds.parcels["registered_area_mu"], ref["registered_area_mu"])


def test_guess_crs_from_ranges():
    assert guess_crs((120.2, 30.35, 120.4, 30.5)) == "EPSG:4490"
    assert guess_crs((516000, 3357000, 532000, 3377000)) == "EPSG:4549"
    assert guess_crs((40516000, 3357000, 40532000, 3377000)) == "EPSG:4528"
    assert guess_crs((3357000, 40516000, 3377000, 40532000)) == "swapped"
    assert guess_crs((1.3e7, 3.5e6, 1.34e7, 3.6e6)) is None  # web Mercator: not guessed


def _to_gcj(folder):
    import prcoords
    import shapely

    p = _parcels()

    def fwd(xy):
        return np.array([tuple(reversed(prcoords.wgs_gcj((y, x)))) for x, y in xy]).reshape(-1, 2)

    p = p.set_geometry(shapely.transform(p.geometry.values, fwd)).set_crs("EPSG:4326", allow_override=True)
    p.to_parquet(folder / "parcels.parquet")


def test_gcj02_declared_is_converted(sample_copy):
    _to_gcj(sample_copy)
    (sample_copy / "dataset.yaml").write_text("tables:\n  parcels: {coordinates: gcj02}\n", encoding="utf-8")
    ds = load_dataset(sample_copy)
    err = ds.parcels.to_crs(4549).centroid.distance(_parcels().to_crs(4549).centroid)
    assert err.max() < 2.0 and any("declared GCJ-02" in n for n in ds.check.notes)


@case("geometry", "warning")
def test_gcj02_detected_when_parcels_spill_over_the_boundary(sample_copy):
    _to_gcj(sample_copy)
    ds = load_dataset(sample_copy)
    err = ds.parcels.to_crs(4549).centroid.distance(_parcels().to_crs(4549).centroid)
    assert err.max() < 2.0 and any("look like GCJ-02" in n for n in ds.check.notes)


def test_gcj02_detection_can_be_switched_off(sample_copy):
    _to_gcj(sample_copy)
    (sample_copy / "dataset.yaml").write_text("tables:\n  parcels: {coordinates: wgs84}\n", encoding="utf-8")
    ds = load_dataset(sample_copy)
    err = ds.parcels.to_crs(4549).centroid.distance(_parcels().to_crs(4549).centroid)
    assert err.min() > 300  # left as read: about 500 m off


def test_manifest_names_sheet_crs_and_units(sample_copy):
    p = _parcels().to_crs("EPSG:4549")
    p["registered_area_mu"] = p["registered_area_mu"] * (10000 / 15)  # square metres, no unit in the header
    p = p.set_crs(None, allow_override=True)
    (sample_copy / "parcels.parquet").unlink()
    p.to_parquet(sample_copy / "地块.parquet")
    links = read_table(sample_copy, "enterprise_parcels.csv")
    (sample_copy / "enterprise_parcels.csv").unlink()
    with pd.ExcelWriter(sample_copy / "其他.xlsx") as xl:
        links.to_excel(xl, sheet_name="Sheet1", index=False)
    (sample_copy / "dataset.yaml").write_text(
        "tables:\n"
        "  parcels: {file: 地块.parquet, crs: 'EPSG:4549', units: {registered_area_mu: 平方米}}\n"
        "  enterprise_parcels: {file: 其他.xlsx, sheet: Sheet1}\n",
        encoding="utf-8",
    )
    ds = load_dataset(sample_copy)
    assert np.allclose(ds.parcels["registered_area_mu"], _parcels()["registered_area_mu"])
    assert len(ds.links) == len(links)


def test_sniff_by_content(sample_copy, tmp_path):
    assert sniff(sample_copy / "parcels.parquet") == "parquet"
    assert sniff(sample_copy / "enterprises.csv") == "csv"
    (tmp_path / "x.bin").write_bytes(b"\x00\x01\x02garbage")
    assert sniff(tmp_path / "x.bin") == "binary"


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    return write_county_example(tmp_path_factory.mktemp("county") / "export")


@pytest.mark.slow
def test_county_shaped_folder_reads_as_the_sample(county, sample):
    files = {p.name for p in county.iterdir()}
    assert {"临平区工业企业亩均效益数据.xlsx", "工业用地宗地.shp", "工业用地宗地.dbf"} <= files
    assert "工业用地宗地.cpg" not in files and "工业用地宗地.prj" not in files
    ds = load_dataset(county)
    notes = "\n".join(ds.check.notes)
    assert "EPSG:4528 inferred" in notes and "gbk" in notes and "year 2023 taken from the sheet" in notes
    assert ds.check.ledger.set_index("table").loc["panel", "excluded"] == 3  # the three 合计 rows
    for year in (2022, 2023):
        a = evaluate(sample, year).enterprises.set_index("credit_code").sort_index()
        b = evaluate(ds, year).enterprises.set_index("credit_code").sort_index()
        assert (a["status"] == b["status"]).all() and (a["class"].fillna("") == b["class"].fillna("")).all()
        assert np.allclose(a["score"].fillna(-1), b["score"].fillna(-1), rtol=1e-9)


@pytest.mark.parametrize(
    "text, fast",
    [
        ('a,b,c\n 1 ,"x, y",\n2,"two\nlines",z\n', True),  # rectangular: pyarrow, quoted comma and newline
        ("企业信息表\na,b,c\n1,x,\n", False),  # a title line: the csv module
        ("a,b,c\n1,x,\n\n2,y,z\n", True),  # a blank line keeps its line number
    ],
)
def test_csv_cells_are_the_same_by_either_reader(tmp_path, text, fast):
    import csv
    import io

    from helpers.io.formats import read_csv_grid

    path = tmp_path / "t.csv"
    path.write_text(text, encoding="utf-8")
    grid = read_csv_grid(path)
    assert (grid.columns is not None) == fast
    expected = [[c.strip() for c in r] for r in csv.reader(io.StringIO(text, newline=""))]
    if fast:  # blank lines come as rows of empty cells, at the same line number
        expected = [r or [""] * 3 for r in expected]
        assert [list(r) for r in zip(*(c.to_pylist() for c in grid.columns))] == expected
        assert grid.n_lines == len(expected)
    assert [list(r) for r in grid.rows] == expected


def test_a_study_area_beyond_linping_is_declared_not_guessed(sample_copy):
    parcels = gpd.read_parquet(sample_copy / "parcels.parquet")
    moved = parcels.to_crs("EPSG:4549").translate(xoff=60_000).to_crs(parcels.crs)  # 60 km east
    parcels.set_geometry(moved).to_parquet(sample_copy / "parcels.parquet")
    far = [p for p in check_folder(sample_copy).errors if "within 5 km of Linping" in p.problem]
    assert len(far) == 1 and "max_distance_km" in far[0].expected
    (sample_copy / "dataset.yaml").write_text("tables:\n  parcels: {max_distance_km: 100}\n", encoding="utf-8")
    assert not [p for p in check_folder(sample_copy).errors if "Linping" in p.problem]


def test_csv_total_rows_repeated_headers_and_blank_lines_on_the_column_path(sample_copy):
    """A rectangular CSV (read as Arrow text columns) with a repeated header row (two exports one
    after the other), a blank line and a 合计 row: each is excluded and listed at its line, no
    other row is lost, and the typed table equals the clean file's."""
    from helpers.io.formats import read_csv_grid

    path = sample_copy / "panel.csv"
    clean = check_folder(sample_copy).tables["panel"]
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    width = lines[0].count(",")
    lines = lines[:11] + [lines[0]] + lines[11:21] + ["," * width] + lines[21:] + ["合计" + "," * width]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert read_csv_grid(path).columns is not None  # the column path, not the csv module
    result = check_folder(sample_copy)
    assert result.ok, result.summary()
    reasons = result.excluded[result.excluded["table"] == "panel"].set_index("row")["reason"]
    assert reasons.loc[12].startswith("重复的表头") and reasons.loc[len(lines)].startswith("合计行")
    assert len(reasons) == 2  # the blank line is skipped, not excluded
    got = result.tables["panel"]
    assert result.ledger.set_index("table").loc["panel", "read"] == len(clean) + 2
    pd.testing.assert_frame_equal(got.drop(columns=["_row"]), clean.drop(columns=["_row"]))
    assert got["_row"].iloc[10] == 13 and got["_row"].iloc[20] == 24  # after the header copy, after the blank line


@pytest.mark.parametrize(
    "cells",
    [
        ["12", "", "3.5", "-0.25", "1e5", "+7", "00012", "inf", "nan"],  # every cell Arrow reads
        ["12", "", "1,000", "１２", "0x1A", "-", "5d", "1_000", "TRUE", "e5", " "],  # some it does not
    ],
)
def test_numbers_are_the_same_cells_by_arrow_or_pandas(cells):
    from helpers.io.schema import to_number

    arrow = to_number(pd.Series(cells, dtype="string[pyarrow]"))
    objects = to_number(pd.Series(cells, dtype=object))
    reference = pd.to_numeric(pd.Series(cells, dtype=object), errors="coerce").astype(float)
    # as a CSV column arrives in pieces: chunks, one of them a slice that starts inside its buffers
    pieces = pa.chunked_array([pa.array(["x", *cells]).slice(1), pa.array(cells), pa.array([c or "1" for c in cells])])
    chunked = to_number(pd.Series(pd.arrays.ArrowStringArray(pieces)))
    fill = pd.to_numeric(pd.Series([c or "1" for c in cells], dtype=object), errors="coerce").astype(float)
    for got, expected in ((arrow, reference), (objects, reference), (chunked, pd.concat([reference, reference, fill]))):
        assert got.dtype == np.float64 and len(got) == len(expected)
        np.testing.assert_array_equal(got.isna(), expected.isna())
        np.testing.assert_array_equal(got[got.notna()], expected[expected.notna()])


@pytest.mark.parametrize("dx", [0.0, 0.12, 0.5])
def test_distance_share_from_centroids_equals_the_projected_polygons(dx):
    from helpers.core.units import AREA_CRS
    from helpers.io.coordinates import _district_m, share_near_district

    parcels = _parcels().geometry.translate(xoff=dx)  # shifted east, partly out of the district
    for km in (0, 5):
        projected = parcels.to_crs(AREA_CRS).centroid.within(_district_m().buffer(km * 1000)).mean()
        assert share_near_district(parcels, km) == pytest.approx(projected, abs=1 / len(parcels))
    if dx == 0.12:
        assert 0 < share_near_district(parcels, 0) < 1
