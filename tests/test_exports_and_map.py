"""The XLSX list and the GeoPackage reopen as written; the interactive map draws offline."""

import geopandas as gpd
import pandas as pd
import pytest

from helpers.core.geography import load_boundary
from helpers.evaluate.evaluation import evaluate
from helpers.policy.low_efficiency import LIST_COLUMNS, load_rule, remediation_list, screen
from helpers.report.exports import parcel_layer, write_gpkg, write_xlsx
from helpers.viz.interactive import parcel_class_map, standalone_html

from .browser import drawn_paths, external_resources, render_offline


@pytest.fixture(scope="module")
def ev(sample):
    return evaluate(sample, 2023)


def test_xlsx_reopens_with_its_columns_and_rows(tmp_path, ev):
    rule = load_rule()
    lst = remediation_list(ev.evaluated, screen(ev.evaluated, rule), rule, 2023)
    path = write_xlsx({"高耗低效整治企业清单": lst}, tmp_path / "list.xlsx", ["说明一", "说明二"])
    back = pd.read_excel(path, sheet_name=None)
    assert list(back) == ["说明", "高耗低效整治企业清单"]
    sheet = back["高耗低效整治企业清单"]
    assert list(sheet.columns) == LIST_COLUMNS and len(sheet) == len(lst)
    assert sheet["统一社会信用代码"].tolist() == lst["统一社会信用代码"].tolist()
    assert back["说明"]["说明"].tolist() == ["说明一", "说明二"]


def test_gpkg_reopens_with_attributes(tmp_path, ev, sample):
    layer = parcel_layer(ev.parcels, sample.enterprises)
    path = write_gpkg(layer, tmp_path / "p.gpkg", "parcels_2023")
    back = gpd.read_file(path, layer="parcels_2023")
    assert len(back) == len(ev.parcels) and back.crs.to_epsg() == 4490
    assert {"parcel_id", "class", "tax_per_mu", "main_user_code", "main_user_name", "status"} <= set(back.columns)
    assert back["parcel_id"].tolist() == layer["parcel_id"].tolist()
    assert back["geometry"].is_valid.all()


def test_gpkg_of_an_anonymised_dataset_has_no_names(ev, sample):
    from helpers.core import paths
    from helpers.evaluate.evaluation import evaluate
    from helpers.io.dataset import load_dataset
    from helpers.io.privacy import pseudonym, pseudonym_key

    anon = load_dataset(paths.SAMPLE_DIR, anonymize=True)
    layer = parcel_layer(evaluate(anon, 2023).parcels, anon.enterprises)
    names, codes = set(sample.enterprises["name"]), set(sample.enterprises["credit_code"])
    assert not (set(layer["main_user_name"].dropna()) & names)
    assert not (set(layer["main_user_code"].dropna()) & codes)
    key, _ = pseudonym_key()
    plain = parcel_layer(ev.parcels, sample.enterprises)
    expected = plain["main_user_code"].map(lambda c: pseudonym(c, key) if isinstance(c, str) else None)
    assert (
        layer["main_user_code"].astype("string").fillna("-").tolist() == expected.astype("string").fillna("-").tolist()
    )  # the same parcels, the same users


@pytest.mark.slow
def test_interactive_map_draws_offline(ev):
    tip = {"parcel_id": "宗地代码", "class": "类别", "tax_per_mu": "亩均税收"}
    html = standalone_html(parcel_class_map(ev.parcels, load_boundary(), tip))
    assert external_resources(html) == []
    assert len(html) < 10_000_000
    dom, error = render_offline(html)
    assert error is None
    assert drawn_paths(dom) >= len(ev.parcels)


@pytest.mark.slow
def test_browser_check_can_fail():
    """The same check on a page whose Leaflet comes from a CDN draws nothing offline."""
    html = (
        '<html><head><script src="https://unpkg.com/leaflet@1.9.4/dist/leaflet.js"></script></head>'
        '<body><div id="m" style="height:300px"></div><script>var m = L.map("m");</script></body></html>'
    )
    assert external_resources(html)
    dom, error = render_offline(html, budget_ms=3000)
    assert error is not None and drawn_paths(dom) == 0
