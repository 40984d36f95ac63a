"""The XLSX list and the GeoPackage reopen as written; the interactive map draws offline, switches
between its views, searches (by pseudonym when anonymised) and scales in metres."""

import json
import re

import geopandas as gpd
import pandas as pd
import pytest

from helpers.core.geography import load_boundary
from helpers.evaluate.evaluation import evaluate
from helpers.policy.low_efficiency import LIST_COLUMNS, load_rule, remediation_list, screen
from helpers.report.exports import parcel_layer, write_gpkg, write_xlsx
from helpers.viz.interactive import parcel_class_map, standalone_html
from helpers.viz.style import CLASS_COLORS

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


PROBE = """<script>
setTimeout(function () {
  var out = [], map = document.querySelector(".leaflet-container");
  document.querySelectorAll(".leaflet-control-layers-base input").forEach(function (radio) {
    radio.click();
    var fills = {};
    document.querySelectorAll("path.leaflet-interactive").forEach(function (p) {
      if (p.getAttribute("fill") !== "none") { fills[p.getAttribute("fill")] = 1; }  // parcels, not lines
    });
    out.push(map.getAttribute("data-view") + "=" + Object.keys(fills).sort().join(","));
  });
  var input = document.querySelector(".mujun-search input");
  input.value = %s; input.dispatchEvent(new Event("input"));
  out.push("hits=" + map.getAttribute("data-hits"));
  out.push("scale=" + document.querySelector(".leaflet-control-scale").textContent);
  out.push("overlays=" + document.querySelectorAll(".leaflet-control-layers-overlays input").length);
  document.body.setAttribute("data-probe", out.join("|"));
}, 300);
</script>"""


def _probe(fmap, query: str) -> list[str]:
    html = standalone_html(fmap).replace("</body>", PROBE % json.dumps(query) + "</body>")
    dom, error = render_offline(html)
    assert error is None, error
    return re.search(r'data-probe="([^"]*)"', dom).group(1).split("|")


@pytest.mark.slow
def test_the_map_switches_views_searches_and_scales_in_metres(ev, sample):
    from helpers.viz.interactive import BELOW_COLOR, CLASS_VIEW, CLEARANCE_VIEW, HOTSPOT_VIEW
    from helpers.viz.maps import HOTSPOT_COLORS

    parcels = ev.parcels[ev.parcels["class"].notna()].head(60).copy()
    parcels["name"] = parcels["main_user"].map(sample.enterprises.set_index("credit_code")["name"])
    parcels["credit_code"] = parcels["main_user"]
    below = pd.Series([True, False] * 30, index=parcels.index)
    bins = pd.Series([3, 0, -3] * 20, index=parcels.index)
    tip = {"parcel_id": "宗地代码", "name": "企业", "credit_code": "代码", "class": "类别"}
    code = parcels["credit_code"].iloc[7]
    fmap = parcel_class_map(parcels, load_boundary(), tip, zones=sample.zones, below=below, hotspot_bins=bins)
    views = dict(v.split("=", 1) for v in _probe(fmap, code.lower()) if "=" in v)
    assert set(views[CLEARANCE_VIEW].split(",")) == {BELOW_COLOR, "#d9d9d9"}
    assert set(views[HOTSPOT_VIEW].split(",")) == {HOTSPOT_COLORS[3], HOTSPOT_COLORS[0], HOTSPOT_COLORS[-3]}
    assert set(views[CLASS_VIEW].split(",")) <= set(CLASS_COLORS.values())
    assert int(views["hits"]) == int((parcels["credit_code"] == code).sum()) > 0
    assert re.fullmatch(r"\d+ k?m", views["scale"]) and views["overlays"] == "2"  # metres only; boundary and 街道 lines


@pytest.mark.slow
def test_an_anonymised_map_is_searched_by_pseudonym_and_holds_no_name(sample):
    from helpers.core import paths
    from helpers.io.dataset import load_dataset

    anon = load_dataset(paths.SAMPLE_DIR, anonymize=True)
    parcels = evaluate(anon, 2023).parcels.head(40).copy()
    parcels["name"] = parcels["main_user"].map(anon.enterprises.set_index("credit_code")["name"])
    fmap = parcel_class_map(parcels, load_boundary(), {"parcel_id": "宗地代码", "name": "企业", "class": "类别"})
    html = standalone_html(fmap)
    real = sample.enterprises.set_index("credit_code")["name"]
    assert not any(name in html or json.dumps(name)[1:-1] in html for name in real)  # as text or as JSON escapes
    pseudonym = parcels["name"].dropna().iloc[0]
    views = dict(v.split("=", 1) for v in _probe(fmap, pseudonym) if "=" in v)
    assert int(views["hits"]) >= 1


def test_the_gpkg_carries_chinese_aliases_and_a_default_qgis_style(tmp_path, ev, sample):
    import sqlite3
    import xml.etree.ElementTree as ET

    from helpers.report.exports import PARCEL_FIELD_ALIASES
    from helpers.viz.qgis_style import parcel_style_qml

    layer = parcel_layer(ev.parcels, sample.enterprises)
    qml = parcel_style_qml(PARCEL_FIELD_ALIASES)
    path = write_gpkg(layer, tmp_path / "p.gpkg", "parcels_2023", aliases=PARCEL_FIELD_ALIASES, style_qml=qml)
    again = write_gpkg(layer, tmp_path / "q.gpkg", "parcels_2023", aliases=PARCEL_FIELD_ALIASES, style_qml=qml)
    assert path.read_bytes() == again.read_bytes()  # the same data, the same bytes
    back = gpd.read_file(path, layer="parcels_2023")
    assert back["parcel_id"].tolist() == layer["parcel_id"].tolist()
    with sqlite3.connect(path) as db:
        aliases = dict(db.execute("SELECT column_name, title FROM gpkg_data_columns WHERE table_name = 'parcels_2023'"))
        styles = db.execute("SELECT f_table_name, f_geometry_column, useAsDefault, styleQML FROM layer_styles").fetchall()
        kinds = dict(db.execute("SELECT table_name, data_type FROM gpkg_contents"))
    fields = [c for c in layer.columns if c != layer.geometry.name]
    assert aliases == {c: PARCEL_FIELD_ALIASES[c] for c in fields}  # every field has its Chinese name
    assert kinds == {"parcels_2023": "features", "layer_styles": "attributes"}
    ((table, geometry, default, stored),) = styles
    assert (table, geometry, default) == ("parcels_2023", "geom", 1)
    root = ET.fromstring(stored)
    renderer = root.find("renderer-v2")
    assert renderer.get("type") == "categorizedSymbol" and renderer.get("attr") == "class"
    categories = {c.get("value"): c.get("symbol") for c in renderer.iter("category")}
    assert set(categories) == {"A", "B", "C", "D", ""}
    fills = {s.get("name"): s.find(".//Option[@name='color']").get("value") for s in renderer.iter("symbol")}
    for cls, colour in CLASS_COLORS.items():
        rgb = ",".join(str(int(colour[i : i + 2], 16)) for i in (1, 3, 5))
        assert fills[categories[cls]] == f"{rgb},255"
    assert {a.get("field"): a.get("name") for a in root.iter("alias")}["tax_per_mu"] == "亩均税收（万元/亩）"
    assert root.get("labelsEnabled") == "1" and "http" not in stored
    assert len(set(PARCEL_FIELD_ALIASES.values())) == len(PARCEL_FIELD_ALIASES)  # gpkg_data_columns names are unique


def test_xlsx_cells_are_those_pandas_writes(tmp_path):
    """The list is streamed by openpyxl's write-only workbook (pandas' writer took 10 s for a
    24,000-row list); every cell's value, type and number format stays what ``to_excel`` writes."""
    import datetime
    from decimal import Decimal

    import numpy as np
    import openpyxl

    frame = pd.DataFrame(
        {
            "f": [1.5, np.nan, np.inf, -np.inf],
            "i": [1, 2, 3, 2**40],
            "I": pd.array([1, None, 3, 4], dtype="Int64"),
            "b": [True, False, True, False],
            "B": pd.array([True, None, False, True], dtype="boolean"),
            "s": pd.array(["x", None, "正常", ""], dtype="string"),
            "o": ["a", 1, 2.5, None],
            "d": pd.to_datetime(["2023-01-01", None, "2023-05-06 12:30", "2021-12-31"], format="mixed"),
            "dt": [datetime.date(2023, 1, 1), None, datetime.date(2020, 2, 29), datetime.date(2021, 1, 1)],
            "td": pd.to_timedelta([1, 2, None, 4], unit="h"),
            "dec": [Decimal("1.25"), Decimal("2"), None, Decimal("-3.5")],
            "cat": pd.Categorical(["a", "b", None, "a"]),
            "pa": pd.array([1.25, None, 3.0, 4.0], dtype="double[pyarrow]"),
            7: ["int", "column", "name", " "],
        }
    )
    repeated = frame.iloc[:, [0, 5]].set_axis(["同名", "同名"], axis=1)  # a column name twice, as a sheet may have

    def cells(ws):
        return [[(c.value, c.data_type, c.number_format) for c in row] for row in ws.iter_rows()]

    for table in (frame, repeated):
        ours = openpyxl.load_workbook(write_xlsx({"清单": table}, tmp_path / "ours.xlsx", ["说明"]))["清单"]
        table.to_excel(tmp_path / "pandas.xlsx", sheet_name="清单", index=False, engine="openpyxl")
        theirs = openpyxl.load_workbook(tmp_path / "pandas.xlsx")["清单"]
        assert cells(ours) == cells(theirs)
        assert ours.freeze_panes == "A2"
