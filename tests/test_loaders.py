"""Bad input stops with a message naming the file, the column and the rows, and what was expected."""

import geopandas as gpd
import pytest
from shapely.geometry import Polygon

from helpers.errors import InputError
from helpers.loaders import load_dataset

from .conftest import read_table, write_table


def test_sample_loads_and_is_synthetic(sample):
    assert sample.synthetic
    assert sample.years == [2021, 2022, 2023]
    assert sample.parcels.crs.to_epsg() == 4490
    assert len(sample.zones) == 8 and sample.zones["synthetic"].all()
    assert (sample.parcels["geom_area_mu"] > 0).all()


def broken(folder, table, change):
    df = read_table(folder, table)
    df = change(df)
    write_table(df, folder, table)
    with pytest.raises(InputError) as info:
        load_dataset(folder)
    return info.value


def test_missing_required_column(sample_copy):
    err = broken(sample_copy, "panel.csv", lambda d: d.drop(columns="tax_10k_yuan"))
    assert err.file.endswith("panel.csv")
    assert "missing required column" in str(err) and "tax_10k_yuan (税收实际贡献(万元))" in str(err)


def test_not_a_number_names_rows(sample_copy):
    def change(d):
        d.loc[[3, 9], "revenue_10k_yuan"] = ["12,5", "n/a"]
        return d
    err = broken(sample_copy, "panel.csv", change)
    assert err.column.startswith("revenue_10k_yuan") and err.rows == [5, 11]   # CSV lines (header = 1)
    assert "not a number" in str(err) and "万元" in str(err)


def test_duplicate_enterprise_ids(sample_copy):
    err = broken(sample_copy, "enterprises.csv", lambda d: d.assign(credit_code=d["credit_code"].where(d.index != 5, d["credit_code"][4])))
    assert "duplicate" in str(err) and err.rows == [6, 7]


def test_duplicate_panel_rows(sample_copy):
    err = broken(sample_copy, "panel.csv", lambda d: __import__("pandas").concat([d, d.iloc[[0]]], ignore_index=True))
    assert "duplicate ids" in str(err) and "year" in err.column


def test_invalid_credit_code(sample_copy):
    def change(d):
        code = d.loc[2, "credit_code"]
        d.loc[2, "credit_code"] = code[:17] + ("0" if code[17] != "0" else "1")
        return d
    err = broken(sample_copy, "enterprises.csv", change)
    assert "统一社会信用代码" in str(err) and err.rows == [4] and "GB 32100-2015" in str(err)


@pytest.mark.parametrize("value, words", [("0", "zero or negative"), ("-3.5", "zero or negative"), ("", "empty cells")])
def test_non_positive_or_missing_parcel_area(sample_copy, value, words):
    p = gpd.read_parquet(sample_copy / "parcels.parquet")
    p["registered_area_mu"] = p["registered_area_mu"].astype(object)
    p.loc[7, "registered_area_mu"] = None if value == "" else float(value)
    p.to_parquet(sample_copy / "parcels.parquet")
    with pytest.raises(InputError) as info:
        load_dataset(sample_copy)
    assert words in str(info.value) and info.value.rows == [8] and "parcels.parquet" in info.value.file


def test_invalid_geometry(sample_copy):
    p = gpd.read_parquet(sample_copy / "parcels.parquet")
    x, y = p.geometry.iloc[0].exterior.coords[0]
    p.loc[0, "geometry"] = Polygon([(x, y), (x + 0.001, y + 0.001), (x + 0.001, y), (x, y + 0.001)])  # bow-tie
    p.to_parquet(sample_copy / "parcels.parquet")
    with pytest.raises(InputError, match="invalid geometry") as info:
        load_dataset(sample_copy)
    assert info.value.rows == [1]


def test_link_to_missing_parcel(sample_copy):
    err = broken(sample_copy, "enterprise_parcels.csv",
                 lambda d: d.assign(parcel_id=d["parcel_id"].where(d.index != 10, "330113999001GB99999")))
    assert "do not exist" in str(err) and err.rows == [12] and "parcel_id" in err.column


def test_link_to_missing_enterprise(sample_copy):
    err = broken(sample_copy, "enterprise_parcels.csv",
                 lambda d: d.assign(credit_code=d["credit_code"].where(d.index != 0, "91330113MA2XXXXXX1")))
    assert "do not exist" in str(err) and err.rows == [2]


def test_panel_for_unknown_enterprise(sample_copy):
    from helpers.credit_code import make_code
    err = broken(sample_copy, "panel.csv",
                 lambda d: d.assign(credit_code=d["credit_code"].where(d.index != 1, make_code("330113", "12345678"))))
    assert "enterprises.csv" in str(err) and err.rows == [3]


def test_shares_over_one(sample_copy):
    def change(d):
        d.loc[0, "share"] = "1"
        extra = d.iloc[[0]].copy()
        extra["credit_code"] = d.loc[1, "credit_code"] if d.loc[1, "parcel_id"] != d.loc[0, "parcel_id"] else d.loc[2, "credit_code"]
        extra["share"] = "0.5"
        return __import__("pandas").concat([d, extra], ignore_index=True)
    err = broken(sample_copy, "enterprise_parcels.csv", change)
    assert "more than 1" in str(err)


def test_unknown_street_code(sample_copy):
    err = broken(sample_copy, "enterprises.csv", lambda d: d.assign(street_code=d["street_code"].where(d.index != 0, "330110005")))
    assert "街道" in str(err) and err.rows == [2] and "330113001" in str(err)


def test_bad_boolean(sample_copy):
    err = broken(sample_copy, "panel.csv", lambda d: d.assign(above_scale=d["above_scale"].where(d.index != 4, "maybe")))
    assert "yes/no" in str(err) and err.rows == [6]


def test_empty_file(sample_copy):
    (sample_copy / "enterprises.csv").write_text("", encoding="utf-8")
    with pytest.raises(InputError, match="empty"):
        load_dataset(sample_copy)


def test_missing_file(sample_copy):
    (sample_copy / "panel.csv").unlink()
    with pytest.raises(InputError, match="file not found"):
        load_dataset(sample_copy)


def test_csv_with_bom_and_without_are_the_same(sample_copy):
    raw = (sample_copy / "enterprises.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    (sample_copy / "enterprises.csv").write_bytes(raw[3:])
    assert len(load_dataset(sample_copy).enterprises) == len(read_table(sample_copy, "enterprises.csv"))


def test_records_are_optional(sample_copy):
    ds = load_dataset(sample_copy)   # the copy holds no record tables
    assert ds.records == {}


def test_bad_record_names_file_column_rows(sample_copy):
    import shutil

    from helpers import paths
    shutil.copy(paths.SAMPLE_DIR / "remediation.csv", sample_copy / "remediation.csv")
    err = broken(sample_copy, "remediation.csv", lambda d: d.assign(stage=d["stage"].where(d.index != 2, "已完成")))
    assert err.file.endswith("remediation.csv") and err.rows == [4] and "stage" in err.column
    shutil.copy(paths.SAMPLE_DIR / "remediation.csv", sample_copy / "remediation.csv")
    err = broken(sample_copy, "remediation.csv", lambda d: d.assign(credit_code=d["credit_code"].where(d.index != 0, "91330113MA2XXXXXX1")))
    assert "do not exist" in str(err) and err.rows == [2]
