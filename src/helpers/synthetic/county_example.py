"""A county-office-shaped copy of the embedded sample: the files a 经信局 or 自然资源 office would
export, with every awkwardness this project's readers must cope with.

    python -m helpers.synthetic.county_example --out /tmp/county      # (or make county-example)

writes, from ``data/sample`` (synthetic; the folder keeps ``sample_info.yaml`` so every report
still says so):

- ``临平区工业企业亩均效益数据.xlsx``: a title row merged across the columns; sheet 企业名录 with
  街道 by name; one sheet per year (2021年, 2022年, 2023年) with no 年度 column, a merged group
  header row above the headers, 税收 in 元 (header "税收实际贡献（元）"), 是/否 flags, and a 合计
  row at the bottom; sheet 用地关系; a 填报说明 sheet that is not a table;
- ``工业用地宗地.shp``: GBK attributes with Chinese field names and no ``.cpg``, no ``.prj``,
  coordinates in CGCS2000 3° Gauss-Kruger zone 40 with the zone number in front of the easting
  (EPSG:4528, inferred by the reader from the range);
- ``绿色工厂名单.csv``: GBK text.

Evaluating this folder gives the same results as evaluating the sample (tests check it).
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import openpyxl
from openpyxl.styles import Alignment, Font

from helpers.core import paths
from helpers.core.geography import load_streets
from helpers.io.dataset import load_dataset

WORKBOOK = "临平区工业企业亩均效益数据.xlsx"
SHAPEFILE = "工业用地宗地.shp"
GREEN_CSV = "绿色工厂名单.csv"
PANEL_HEADERS = [  # (group, header, column, factor)
    ("企业", "统一社会信用代码", "credit_code", None),
    ("企业", "企业名称", "name", None),
    ("企业", "是否规上", "above_scale", None),
    ("企业", "是否投产", "in_production", None),
    ("经济效益", "营业收入（万元）", "revenue_10k_yuan", 1),
    ("经济效益", "税收实际贡献（元）", "tax_10k_yuan", 10000),
    ("经济效益", "工业增加值（万元）", "value_added_10k_yuan", 1),
    ("经济效益", "R&D经费支出（万元）", "rd_10k_yuan", 1),
    ("资源要素", "年平均职工人数（人）", "employees", 1),
    ("资源要素", "综合能耗（吨标准煤）", "energy_tce", 1),
    ("资源要素", "用电量（万千瓦时）", "electricity_10k_kwh", 1),
    ("资源要素", "主要污染物排放量（吨）", "emissions_t", 1),
]


def _title(ws, text: str, width: int) -> None:
    ws.cell(1, 1, text).font = Font(bold=True, size=14)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws.cell(1, 1).alignment = Alignment(horizontal="center")


def _yes_no(v) -> str | None:
    return None if v is None or v != v else ("是" if bool(v) else "否")


def _value(v):
    if v is None or v != v:
        return None
    return v.item() if hasattr(v, "item") else v


def write_workbook(ds, path: Path) -> None:
    wb = openpyxl.Workbook()
    names = load_streets().set_index("street_code")["street_name"]
    ws = wb.active
    ws.title = "企业名录"
    _title(ws, "临平区工业企业名录（合成数据 synthetic）", 5)
    ws.append(["统一社会信用代码", "企业名称", "所属镇街", "行业代码", "成立年份"])
    for r in ds.enterprises.itertuples():
        ws.append([r.credit_code, r.name, names[r.street_code], r.industry_code, _value(r.founded_year)])
    name_of = ds.enterprises.set_index("credit_code")["name"]
    for year, panel in ds.panel.groupby("year"):
        ws = wb.create_sheet(f"{year}年")
        _title(ws, f"{year}年度工业企业亩均效益评价基础数据", len(PANEL_HEADERS))
        groups = [g for g, *_ in PANEL_HEADERS]
        ws.append(groups)
        start = 1
        for i in range(1, len(groups) + 1):  # merge each run of one group label
            if i == len(groups) or groups[i] != groups[start - 1]:
                ws.merge_cells(start_row=2, start_column=start, end_row=2, end_column=i)
                start = i + 1
        ws.append([h for _, h, _, _ in PANEL_HEADERS])
        totals = {c: 0.0 for _, _, c, f in PANEL_HEADERS if f}
        for r in panel.to_dict("records"):
            row = []
            for _, _, col, factor in PANEL_HEADERS:
                v = name_of[r["credit_code"]] if col == "name" else r[col]
                if col in ("above_scale", "in_production"):
                    v = _yes_no(v)
                elif factor:
                    v = None if v != v else _value(v) * factor
                    totals[col] += v or 0.0
                row.append(_value(v) if not isinstance(v, str) else v)
            ws.append(row)
        ws.append(["合计", None, None, None] + [totals[c] for _, _, c, f in PANEL_HEADERS if f])
    ws = wb.create_sheet("用地关系")
    ws.append(["统一社会信用代码", "宗地代码", "使用比例"])
    for r in ds.links.itertuples():
        ws.append([r.credit_code, r.parcel_id, float(r.share)])
    ws = wb.create_sheet("填报说明")
    ws.append(["本工作簿为合成示例数据，由 helpers.synthetic.county_example 自嵌入样本生成。"])
    wb.save(path)


def write_shapefile(ds, path: Path) -> None:
    names = load_streets().set_index("street_code")["street_name"]
    p = ds.parcels
    out = p[["parcel_id"]].rename(columns={"parcel_id": "宗地代码"})
    out["所属镇街"] = p["street_code"].map(names)
    out["登记面积"] = p["registered_area_mu"]
    out["土地用途"] = p["land_use"]
    out["供地年份"] = p["grant_year"].astype("float")
    out["标准地"] = p["standard_land"].map(_yes_no)
    out = out.set_geometry(p.geometry.to_crs("EPSG:4528").values).set_crs("EPSG:4528", allow_override=True)
    out.to_file(path, encoding="gbk")
    for sidecar in (".cpg", ".prj"):
        path.with_suffix(sidecar).unlink(missing_ok=True)


def write_county_example(out: Path, source: Path = paths.SAMPLE_DIR) -> Path:
    """Write the county-shaped folder ``out`` from the sample folder ``source``."""
    ds = load_dataset(source)
    out.mkdir(parents=True, exist_ok=True)
    write_workbook(ds, out / WORKBOOK)
    write_shapefile(ds, out / SHAPEFILE)
    green = ds.records.get("green_factories")
    if green is not None:
        green.rename(columns={"credit_code": "统一社会信用代码", "year": "认定年度", "level": "级别"}).to_csv(
            out / GREEN_CSV, index=False, encoding="gbk"
        )
    shutil.copy(source / "sample_info.yaml", out / "sample_info.yaml")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Write a county-office-shaped copy of the embedded sample.")
    ap.add_argument("--out", required=True)
    a = ap.parse_args(argv)
    out = write_county_example(paths.resolve(a.out, Path.cwd()))
    print(f"County-shaped example written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
