"""County-office exports in the shapes 亩均 data are handed over in, for tests and for trying the
loader by hand:

    python -m tests.county_exports /tmp/county        # writes one folder per shape
    make report DATA=/tmp/county/by_scale_workbook

The shapes follow how 亩均效益综合评价 data are reported by county 经信局 and 自然资源 offices (the
provincial platform's export, county evaluation workbooks, cadastral layers), not this project's
own tables. The numbers are the embedded sample's (synthetic, seeded): each folder keeps a
``sample_info.yaml`` saying so, and every report from it says it is synthetic.

- ``by_scale_workbook``: one workbook, sheets 规上工业企业 and 规下工业企业, a merged title row,
  full-width brackets in the headers, a 合计 row; each row carries the enterprise, its year's
  amounts, its 宗地编号 (several as "A、B") and 用地面积（亩）; no 年度, 是否规上, 是否已投产
  or 行业代码 column. Parcels: a GBK Shapefile without .cpg, fields 宗地编号 权利人 面积亩 用途 镇街,
  zone-prefixed EPSG:4528 with a .prj.
- ``platform_sheet``: one sheet ``Sheet1`` of two years (年度 column), 企业规模 = 规上/规下,
  numbers as text with thousands separators, credit codes in lower case or with spaces.
  Parcels: GeoJSON in EPSG:4490 with 地块编号, 面积, 所属街道.
- ``years_as_sheets_xls``: an Excel 97-2003 workbook (.xls), one sheet per year (2022年, 2023年),
  是否规上 as 是/否. Parcels: a Shapefile with only 宗地编号 / 面积 / 镇街 and no .prj
  (CGCS2000 3° GK CM 120E, inferred from the coordinates).
- ``one_year_2023``: a folder of one year whose files never name it; parcels in a GeoPackage,
  some multipart with holes; a parcel used by two enterprises with no shares given.
- ``separate_csv_gbk``: the tables the office keeps apart, as GBK CSV files: 企业基本信息 (no
  行业代码), 企业用地 (no 使用比例), 亩均数据2023; parcels in a Shapefile without .prj,
  zone-prefixed easting.
- ``two_workbooks``: 规上企业.xlsx and 规下企业.xls (规上/规下 from the file name), 年度 column.
  Parcels: GBK Shapefile with .prj.
- ``gcj02_geojson``: one UTF-8 CSV of the year's rows; parcels as GeoJSON drawn on a web map
  (GCJ-02 coordinates in a file that says WGS84).
- ``xian80_shapefile``: the by-scale workbook; parcels from a cadastral archive in Xian 1980
  3° Gauss-Kruger CM 120E (EPSG:2385), with its .prj.

``HAND_CELLS`` sets, in every folder, enterprises whose tax and 用地面积 cells are written as given
there, so that a test can compare 亩均税收 with a hand calculation from the workbook.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import shapely
from openpyxl.styles import Alignment

from helpers.core import paths
from helpers.core.geography import load_streets

SEED = 20221592  # fixed: the fixtures are the same on every machine
SAMPLE = paths.SAMPLE_DIR
N_ABOVE, N_BELOW = 24, 12

# (credit code position in the chosen enterprises, tax 万元, 用地面积 亩, 亩均税收 by hand 万元/亩)
HAND_CELLS = [(0, 1250.0, 25.0, 50.0), (1, 86.4, 7.2, 12.0), (N_ABOVE, 3.3, 1.1, 3.0)]

AMOUNTS = [  # (header as the county workbook writes it, panel column)
    ("税收实际贡献（万元）", "tax_10k_yuan"),
    ("工业增加值（万元）", "value_added_10k_yuan"),
    ("营业收入（万元）", "revenue_10k_yuan"),
    ("年平均职工人数（人）", "employees"),
    ("综合能耗（吨标准煤）", "energy_tce"),
    ("用电量（万千瓦时）", "electricity_10k_kwh"),
    ("主要污染物排放量（吨）", "emissions_t"),
    ("R&D经费支出（万元）", "rd_10k_yuan"),
]


def choose(seed: int = SEED) -> dict:
    """A small county: N_ABOVE 规上 and N_BELOW 规下 enterprises of the sample in production in
    2022 and 2023, including one that uses two parcels and two that share one parcel; their
    parcels, links and panel rows, and the 用地面积 each would declare (registered area × share,
    within ±2 %, to two decimals)."""
    rng = np.random.default_rng(seed)
    ent = pd.read_csv(SAMPLE / "enterprises.csv", dtype=str)
    links = pd.read_csv(SAMPLE / "enterprise_parcels.csv", dtype={"credit_code": str, "parcel_id": str})
    panel = pd.read_csv(SAMPLE / "panel.csv", dtype={"credit_code": str})
    parcels = gpd.read_parquet(SAMPLE / "parcels.parquet")
    panel = panel[panel["year"].isin([2022, 2023])]
    both = panel[panel["in_production"]].groupby("credit_code")["year"].nunique().eq(2)
    ok = set(both[both].index)
    scale = panel[panel["year"] == 2023].set_index("credit_code")["above_scale"]
    n_parcels = links.groupby("credit_code").size()
    n_users = links.groupby("parcel_id")["credit_code"].nunique()
    two_parcels = next(c for c in n_parcels[n_parcels == 2].index if c in ok and scale.get(c))
    shared = next(p for p in n_users[n_users == 2].index if set(links.loc[links["parcel_id"] == p, "credit_code"]) <= ok)
    sharers = list(links.loc[links["parcel_id"] == shared, "credit_code"])
    picked = [two_parcels, *sharers]
    single = n_parcels[n_parcels == 1].index
    for above, n in ((True, N_ABOVE), (False, N_BELOW)):
        pool = sorted(c for c in single if c in ok and bool(scale.get(c)) == above and c not in picked)
        have = sum(bool(scale.get(c)) == above for c in picked)
        picked += list(rng.choice(pool, size=n - have, replace=False))
    picked = sorted(picked, key=lambda c: (not scale[c], c))
    ent = ent.set_index("credit_code").loc[picked].reset_index()
    links = links[links["credit_code"].isin(picked)].reset_index(drop=True)
    parcels = parcels[parcels["parcel_id"].isin(links["parcel_id"])].reset_index(drop=True)
    panel = panel[panel["credit_code"].isin(picked)].reset_index(drop=True)
    area = links.merge(parcels[["parcel_id", "registered_area_mu"]], on="parcel_id")
    used = (area["registered_area_mu"] * area["share"]).groupby(area["credit_code"]).sum()
    declared = (used * (1 + rng.uniform(-0.02, 0.02, len(used)))).round(2)
    panel["declared_land_mu"] = panel["credit_code"].map(declared)
    for i, tax, land, _ in HAND_CELLS:
        rows = panel["credit_code"] == picked[i]
        panel.loc[rows, "tax_10k_yuan"] = tax
        panel.loc[rows, "declared_land_mu"] = land
    # the sample's value added sits below its tax on some rows (issue 15); an export obeys
    # tax ≤ value added ≤ revenue, so value added is raised to at least 1.25 × tax here
    panel["value_added_10k_yuan"] = np.maximum(panel["value_added_10k_yuan"], (panel["tax_10k_yuan"] * 1.25).round(2))
    panel["revenue_10k_yuan"] = np.maximum(panel["revenue_10k_yuan"], (panel["value_added_10k_yuan"] * 1.1).round(2))
    return {"enterprises": ent, "links": links, "parcels": parcels, "panel": panel, "shared": shared, "two": two_parcels}


def _street_names() -> dict[str, str]:
    return dict(load_streets()[["street_code", "street_name"]].itertuples(index=False))


def county_rows(c: dict, year: int, above: bool | None = None) -> pd.DataFrame:
    """The enterprise rows of one year as a county workbook writes them (Chinese headers, 镇街 by
    name, parcels joined by 、)."""
    e = c["enterprises"].set_index("credit_code")
    p = c["panel"][c["panel"]["year"] == year]
    if above is not None:
        p = p[p["above_scale"] == above]
    parcel_of = c["links"].groupby("credit_code")["parcel_id"].agg("、".join)
    out = pd.DataFrame(
        {
            "企业名称": p["credit_code"].map(e["name"]).to_numpy(),
            "统一社会信用代码": p["credit_code"].to_numpy(),
            "所属镇街": p["credit_code"].map(e["street_code"]).map(_street_names()).to_numpy(),
            "宗地编号": p["credit_code"].map(parcel_of).to_numpy(),
            "用地面积（亩）": p["declared_land_mu"].to_numpy(),
        }
    )
    for header, col in AMOUNTS:
        out[header] = p[col].round(2).to_numpy()
    return out


def scale_words(c: dict, year: int, yes: str, no: str, above: bool | None = None) -> np.ndarray:
    """The 规上 flag of ``county_rows(c, year, above)``'s rows, written ``yes`` / ``no``."""
    p = c["panel"][c["panel"]["year"] == year]
    if above is not None:
        p = p[p["above_scale"] == above]
    return np.where(p["above_scale"].to_numpy(dtype=bool), yes, no)


def _sheet(ws, title: str | None, frame: pd.DataFrame, total: bool) -> None:
    top = 1
    if title:
        ws.cell(1, 1, title).alignment = Alignment(horizontal="center")
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(frame.columns))
        top = 2
    for j, h in enumerate(frame.columns, 1):
        ws.cell(top, j, h)
    for i, row in enumerate(frame.itertuples(index=False), top + 1):
        for j, v in enumerate(row, 1):
            ws.cell(i, j, None if (isinstance(v, float) and np.isnan(v)) else v)
    if total:
        r = top + len(frame) + 1
        ws.cell(r, 1, "合计")
        for j, h in enumerate(frame.columns, 1):
            if h.endswith("）") and frame[h].dtype.kind == "f":
                ws.cell(r, j, round(float(frame[h].sum()), 2))


def _xls_sheet(ws, frame: pd.DataFrame) -> None:
    """``frame`` into an Excel 97-2003 sheet (xlwt): a header line, then the rows; empty cells stay empty."""
    for j, h in enumerate(frame.columns):
        ws.write(0, j, h)
    for i, row in enumerate(frame.itertuples(index=False), 1):
        for j, v in enumerate(row):
            if not (isinstance(v, float) and np.isnan(v)):
                ws.write(i, j, v.item() if hasattr(v, "item") else v)


def _parcel_layer(c: dict, fields: dict[str, str], crs: str) -> gpd.GeoDataFrame:
    p = c["parcels"]
    owner = c["links"].drop_duplicates("parcel_id").set_index("parcel_id")["credit_code"]
    names = c["enterprises"].set_index("credit_code")["name"]
    source = {
        "宗地编号": p["parcel_id"],
        "地块编号": p["parcel_id"],
        "权利人": p["parcel_id"].map(owner).map(names),
        "面积亩": p["registered_area_mu"],
        "面积": p["registered_area_mu"],
        "用途": p["land_use"],
        "镇街": p["street_code"].map(_street_names()),
        "所属街道": p["street_code"].map(_street_names()),
    }
    return gpd.GeoDataFrame(
        {out: source[src].to_numpy() for out, src in fields.items()}, geometry=p.geometry.values, crs=p.crs
    ).to_crs(crs)


def _write_shp(layer: gpd.GeoDataFrame, path: Path, prj: bool) -> None:
    layer.to_file(path, encoding="gbk", engine="pyogrio")
    path.with_suffix(".cpg").unlink(missing_ok=True)  # offices' GBK Shapefiles often have none
    if not prj:
        path.with_suffix(".prj").unlink()


def _info(out: Path) -> None:
    (out / "sample_info.yaml").write_text(
        "synthetic: true\nnote: test fixture in a county export's shape; numbers from the embedded synthetic sample\n",
        encoding="utf-8",
    )


def by_scale_workbook(c: dict, out: Path) -> None:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for above, sheet in ((True, "规上工业企业"), (False, "规下工业企业")):
        _sheet(wb.create_sheet(sheet), "2023年度临平区工业企业亩均效益综合评价数据", county_rows(c, 2023, above), total=True)
    wb.save(out / "2023年亩均效益评价数据.xlsx")
    fields = {"宗地编号": "宗地编号", "权利人": "权利人", "面积亩": "面积亩", "用途": "用途", "镇街": "镇街"}
    _write_shp(_parcel_layer(c, fields, "EPSG:4528"), out / "宗地.shp", prj=True)


def platform_sheet(c: dict, out: Path) -> None:
    frames = []
    for year in (2022, 2023):
        f = county_rows(c, year)
        f.insert(0, "年度", year)
        f.insert(3, "企业规模", scale_words(c, year, "规上", "规下"))
        frames.append(f)
    sheet = pd.concat(frames, ignore_index=True)
    for header in ("税收实际贡献（万元）", "营业收入（万元）"):
        sheet[header] = [f"{v:,.2f}" for v in sheet[header]]
    codes = sheet["统一社会信用代码"].astype(str)
    sheet.loc[::5, "统一社会信用代码"] = codes[::5].str.lower()
    sheet.loc[2::7, "统一社会信用代码"] = codes[2::7].str[:9] + " " + codes[2::7].str[9:]
    wb = openpyxl.Workbook()
    _sheet(wb.active, None, sheet, total=False)
    wb.active.title = "Sheet1"
    wb.save(out / "企业亩均数据导出.xlsx")
    fields = {"地块编号": "地块编号", "面积": "面积", "所属街道": "所属街道"}
    _parcel_layer(c, fields, "EPSG:4490").to_file(out / "地块.geojson", driver="GeoJSON", engine="pyogrio")


def years_as_sheets_xls(c: dict, out: Path) -> None:
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    for year in (2022, 2023):
        f = county_rows(c, year)
        f.insert(2, "是否规上", scale_words(c, year, "是", "否"))
        _xls_sheet(book.add_sheet(f"{year}年"), f)
    book.save(str(out / "亩均评价.xls"))
    fields = {"宗地编号": "宗地编号", "面积": "面积", "镇街": "镇街"}
    _write_shp(_parcel_layer(c, fields, "EPSG:4549"), out / "宗地图层.shp", prj=False)


def one_year(c: dict, out: Path) -> None:
    f = county_rows(c, 2023)
    f.insert(2, "是否规上", scale_words(c, 2023, "是", "否"))
    f.insert(3, "是否已投产", "是")
    wb = openpyxl.Workbook()
    _sheet(wb.active, "临平区工业企业亩均效益评价表", f, total=True)
    wb.active.title = "评价表"
    wb.save(out / "亩均效益评价表.xlsx")
    fields = {"宗地编号": "宗地编号", "面积": "面积", "镇街": "镇街", "用途": "用途"}
    layer = _parcel_layer(c, fields, "EPSG:4549")
    big = layer.geometry.area > 8000  # a courtyard (a tenth of the area) inside the larger parcels
    courtyard = layer.geometry[big].centroid.buffer(np.sqrt(layer.geometry[big].area * 0.1 / np.pi))
    layer.loc[big, "geometry"] = layer.geometry[big].difference(courtyard.intersection(layer.geometry[big].buffer(-5))).values
    split = layer.geometry.area > 20000  # the largest split in two by a road: multipart
    band = layer.geometry[split].centroid.buffer(6).envelope.scale(xfact=60, yfact=1)
    layer.loc[split, "geometry"] = layer.geometry[split].difference(band).values
    assert (layer.geom_type == "MultiPolygon").any() and shapely.get_num_interior_rings(layer.geometry.values).max() > 0
    layer.to_crs("EPSG:4490").to_file(out / "宗地.gpkg", layer="宗地", driver="GPKG", engine="pyogrio")


def separate_csv_gbk(c: dict, out: Path) -> None:
    e = c["enterprises"]
    names = _street_names()
    pd.DataFrame({"统一社会信用代码": e["credit_code"], "企业名称": e["name"], "所属街道": e["street_code"].map(names)}).to_csv(
        out / "企业基本信息.csv", index=False, encoding="gbk"
    )
    c["links"][["credit_code", "parcel_id"]].rename(columns={"credit_code": "信用代码", "parcel_id": "宗地编号"}).to_csv(
        out / "企业用地.csv", index=False, encoding="gbk"
    )
    p = c["panel"][c["panel"]["year"] == 2023]
    yearly = pd.DataFrame(
        {
            "统一社会信用代码": p["credit_code"],
            "是否规上企业": np.where(p["above_scale"], "是", "否"),
            "用地面积(亩)": p["declared_land_mu"],
        }
    )
    for header, col in AMOUNTS:
        yearly[header.replace("（", "(").replace("）", ")")] = p[col].round(2).to_numpy()
    yearly.to_csv(out / "亩均数据2023.csv", index=False, encoding="gbk")
    fields = {"宗地编号": "宗地编号", "面积": "面积", "镇街": "镇街"}
    _write_shp(_parcel_layer(c, fields, "EPSG:4528"), out / "工业用地.shp", prj=False)


def two_workbooks(c: dict, out: Path) -> None:
    import xlwt

    for above, name in ((True, "规上企业.xlsx"), (False, "规下企业.xls")):
        f = pd.concat([county_rows(c, y, above).assign(年度=y) for y in (2022, 2023)], ignore_index=True)
        if name.endswith(".xlsx"):
            wb = openpyxl.Workbook()
            _sheet(wb.active, None, f, total=False)
            wb.save(out / name)
            continue
        book = xlwt.Workbook(encoding="utf-8")
        _xls_sheet(book.add_sheet("Sheet1"), f)
        book.save(str(out / name))
    fields = {"宗地编号": "宗地编号", "权利人": "权利人", "面积亩": "面积亩", "镇街": "镇街"}
    _write_shp(_parcel_layer(c, fields, "EPSG:4490"), out / "宗地.shp", prj=True)


def gcj02_geojson(c: dict, out: Path) -> None:
    """The yearly rows as one CSV (UTF-8 with BOM, as Excel saves it) and parcels drawn on a web
    map: GeoJSON whose longitude/latitude are GCJ-02 although GeoJSON says WGS84."""
    import prcoords

    f = county_rows(c, 2023)
    f.insert(2, "是否规上企业", scale_words(c, 2023, "是", "否"))
    f.to_csv(out / "2023年度亩均效益评价.csv", index=False, encoding="utf-8-sig")
    layer = _parcel_layer(c, {"地块编号": "地块编号", "面积": "面积", "所属街道": "所属街道"}, "EPSG:4326")

    def to_gcj(xy: np.ndarray) -> np.ndarray:
        moved = [prcoords.wgs_gcj((lat, lon)) for lon, lat in xy]
        return np.array([(m.lon, m.lat) for m in moved]).reshape(-1, 2)

    layer = layer.set_geometry(shapely.transform(layer.geometry.values, to_gcj))
    layer.to_file(out / "地块_高德.geojson", driver="GeoJSON", engine="pyogrio")


def xian80_shapefile(c: dict, out: Path) -> None:
    """The by-scale workbook, and the parcels from a cadastral archive in Xian 1980 / 3° GK CM 120E
    (EPSG:2385) with its .prj."""
    by_scale_workbook(c, out)
    for sidecar in out.glob("宗地.*"):
        sidecar.unlink()
    fields = {"宗地编号": "宗地编号", "面积亩": "面积亩", "镇街": "镇街"}
    _write_shp(_parcel_layer(c, fields, "EPSG:2385"), out / "宗地_西安80.shp", prj=True)


SHAPES = {
    "by_scale_workbook": by_scale_workbook,
    "platform_sheet": platform_sheet,
    "years_as_sheets_xls": years_as_sheets_xls,
    "one_year_2023": one_year,
    "separate_csv_gbk": separate_csv_gbk,
    "two_workbooks": two_workbooks,
    "gcj02_geojson": gcj02_geojson,
    "xian80_shapefile": xian80_shapefile,
}


def hand_checked(c: dict) -> list[tuple[str, float]]:
    """(credit code, 亩均税收 by hand) of the enterprises whose cells ``HAND_CELLS`` sets."""
    codes = c["enterprises"]["credit_code"]
    return [(codes[i], per_mu) for i, _, _, per_mu in HAND_CELLS]


def write_all(out: Path, shapes: list[str] | None = None) -> dict[str, Path]:
    """Write each shape (all by default) to ``out/<shape>/``; replaces only those folders."""
    c = choose()
    written = {}
    for name in shapes or list(SHAPES):
        folder = out / name
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        SHAPES[name](c, folder)
        _info(folder)
        written[name] = folder
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "county_exports")
    for shape, folder in write_all(target).items():
        print(f"{shape}: {folder}")
