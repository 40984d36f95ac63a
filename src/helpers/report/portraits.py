"""Enterprise portraits (企业画像): one printable section per enterprise of a chosen list, all in one
page of the run (``企业画像_<year>.html``, which the runner adds to the site and prints to PDF).

Each portrait: the enterprise's facts; its class, rank and score by year; its indicators against
its pool's benchmarks and its industry (``evaluate.peers``); what would lift it one class
(``evaluate.headroom``); its remediation record; its parcels on a small map among the parcels
within 300 m of them (``viz.svg_map``). Every text from the data is escaped; in an anonymised run the names, credit codes and parcel codes
are the pseudonyms the data were loaded with.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.core.errors import InputError
from helpers.core.units import AREA_CRS
from helpers.evaluate.headroom import lift_table
from helpers.evaluate.indicators import indicator_defs
from helpers.evaluate.peers import industry_division
from helpers.report.context import RunContext
from helpers.viz.style import CLASS_COLORS, UNRATED_COLOR
from helpers.viz.svg_map import parcel_svgs

PORTRAITS_FILE = "企业画像_{year}.html"
REMEDIATION_COLUMNS = {"year": "年度", "way": "整治方式", "stage": "整治阶段"}  # ledger columns shown, and their headings
WHO_LIST, WHO_NONE = "list", "none"
PRINT_CSS = """
.portrait{break-before:page;page-break-before:always;border-top:2px solid #444;margin-top:2em;padding-top:.5em}
.portrait h2{margin:.2em 0}.portrait table{border-collapse:collapse;font-size:13px;margin:.4em 0}
.portrait td,.portrait th{border:1px solid #ccc;padding:2px 6px;text-align:right}
.portrait td:first-child,.portrait th:first-child{text-align:left}
.portrait .grid{display:flex;gap:1.2em;flex-wrap:wrap;align-items:flex-start}
.cls{display:inline-block;min-width:1.6em;text-align:center;color:#fff;border-radius:3px;padding:0 4px}
"""


def _e(value) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return "—"
    return html.escape(str(value))


def _num(value, digits: int = 2) -> str:
    return "—" if value is None or pd.isna(value) else f"{float(value):,.{digits}f}"


def _chip(cls) -> str:
    if cls is None or pd.isna(cls):
        return '<span class="cls" style="background:#999">—</span>'
    colour = CLASS_COLORS.get(str(cls), UNRATED_COLOR)
    text = "#252525" if str(cls) in ("B", "C") else "#ffffff"
    return f'<span class="cls" style="background:{colour};color:{text}">{_e(cls)}</span>'


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def chosen_codes(ctx: RunContext, who: str, listed_codes: list[str]) -> list[str]:
    """The credit codes whose portraits are drawn: ``list`` (the 高耗低效 list, ``listed_codes``),
    ``none``, or codes separated by commas (as the data hold them: pseudonyms in an anonymised run).
    A code that is not in the data is an ``InputError`` naming it."""
    text = str(who).strip()
    if text.lower() == WHO_LIST:
        return list(listed_codes)
    if text.lower() in (WHO_NONE, ""):
        return []
    codes = [c.strip() for c in text.replace("，", ",").split(",") if c.strip()]
    known = set(ctx.dataset.enterprises["credit_code"])
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise InputError(
            "parameter portraits",
            f"{len(unknown)} code(s) not in the data: {', '.join(unknown[:5])}",
            expected="'list', 'none', or credit codes of the data folder separated by commas (pseudonyms in an anonymised run)",
        )
    return list(dict.fromkeys(codes))


@dataclass
class Prepared:
    """What every portrait reads, indexed once: the enterprises of each year, pool sizes, the peer
    frame, benchmarks, each enterprise's lift rows and 大类, the remediation ledger and each
    enterprise's parcel map (all maps drawn in one pass: ``viz.svg_map.parcel_svgs``)."""

    years: dict[int, dict[str, dict]]
    pool_sizes: dict[int, pd.Series]
    peers: dict[str, dict]
    benchmarks: pd.Series
    lift: dict[str, list[dict]]
    divisions: dict[str, object]
    remediation: dict[str, list[list]] | None  # each enterprise's ledger rows (REMEDIATION_COLUMNS there are), by year
    remediation_columns: list[str]
    maps: dict[str, str]
    names: pd.Series


def prepare(ctx: RunContext, codes: list[str], peers: pd.DataFrame) -> Prepared:
    wanted = set(codes)
    years = {
        y: ev.enterprises[ev.enterprises["credit_code"].isin(wanted)].set_index("credit_code").to_dict("index")
        for y, ev in sorted(ctx.district.items())
    }
    sizes = {y: ev.evaluated["pool"].value_counts() for y, ev in ctx.district.items()}
    lift = lift_table(ctx.district_ev, codes)
    rec = ctx.dataset.records.get("remediation")
    links = ctx.dataset.links[ctx.dataset.links["credit_code"].isin(wanted)]
    lift_rows: dict[str, list[dict]] = {}
    for r in lift.to_dict("records"):  # once for the page, not a frame per enterprise
        lift_rows.setdefault(r["credit_code"], []).append(r)
    now = years.get(ctx.year, {})
    return Prepared(
        years=years,
        pool_sizes=sizes,
        peers=peers[peers["credit_code"].isin(wanted)].set_index("credit_code").to_dict("index"),
        benchmarks=ctx.district_ev.benchmarks.set_index(["pool", "indicator"])["benchmark"],
        lift=lift_rows,
        divisions=dict(zip(now, industry_division(pd.Series([r.get("industry_code") for r in now.values()], dtype=object)))),
        remediation=None if rec is None else _ledger_rows(rec[rec["credit_code"].isin(wanted)]),
        remediation_columns=[] if rec is None else [c for c in REMEDIATION_COLUMNS if c in rec],
        maps=_maps(ctx, codes, links),
        names=ctx.dataset.enterprises.set_index("credit_code")["name"],
    )


def _maps(ctx: RunContext, codes: list[str], links: pd.DataFrame) -> dict[str, str]:
    """Each enterprise's parcels (in its class colours, the parcels around them in grey) as an SVG
    with the list of its parcel codes under it; every map drawn in one pass."""
    parcels = ctx.dataset.parcels
    parcels_m = parcels[["parcel_id", parcels.geometry.name]].to_crs(AREA_CRS)
    rows_of = _parcel_rows(links, parcels["parcel_id"])
    shapes = np.asarray(parcels_m.geometry.array)
    ids = parcels_m["parcel_id"].to_numpy()
    classes = ctx.district_ev.parcels.set_index("parcel_id")["class"].reindex(parcels_m["parcel_id"]).to_numpy()
    drawn = [c for c in codes if rows_of.get(c)]
    rows = [rows_of[c] for c in drawn]
    svgs = parcel_svgs(
        [shapes[r] for r in rows],
        parcels_m,
        [[CLASS_COLORS.get(str(c), UNRATED_COLOR) for c in classes[r]] for r in rows],
        [f"宗地 {', '.join(map(str, ids[r]))}" for r in rows],
    )
    return {
        c: svg + f"<p>宗地 parcels: {'、'.join(_e(i) for i in ids[r])}</p>" for c, r, svg in zip(drawn, rows, svgs, strict=True)
    }


def _parcel_rows(links: pd.DataFrame, parcel_ids: pd.Series) -> dict[str, list[int]]:
    """Each enterprise's parcels as row positions of the parcel layer (a link to no parcel dropped)."""
    position = {pid: i for i, pid in enumerate(parcel_ids)}
    rows: dict[str, list[int]] = {}
    for code, pid in zip(links["credit_code"], links["parcel_id"]):
        if pid in position:
            rows.setdefault(code, []).append(position[pid])
    return rows


def _history(prep: Prepared, code: str) -> str:
    rows = []
    for year, e in prep.years.items():
        if code not in e:
            continue
        r = e[code]
        if r["status"] == "evaluated":
            n = int(prep.pool_sizes[year].get(r["pool"], 0))
            rank = f"{int(r['rank'])}/{n}" if pd.notna(r["rank"]) else "—"
            rows.append([str(year), _e(r["pool_zh"]), _chip(r["class"]), rank, _num(r["score"], 1), _num(r["tax_per_mu"])])
        else:
            rows.append([str(year), _e(r["reason"]), "", "", "", ""])
    return _table(["年度 year", "评价组 pool", "类别 class", "组内排名 rank", "得分 score", "亩均税收"], rows)


def _indicators(ctx: RunContext, prep: Prepared, code: str) -> str:
    r = prep.years[ctx.year].get(code)
    if r is None or r["status"] != "evaluated":
        return "<p>本年度未参评 not evaluated this year.</p>"
    pool = next(p for p in ctx.method.pools if p.id == r["pool"])
    peer = prep.peers.get(code)
    defs = indicator_defs()
    rows = []
    for item in pool.items:
        i = item.indicator
        b = prep.benchmarks.get((pool.id, i))
        value = r.get(i)
        rows.append(
            [
                f"{_e(defs[i].zh)}（{_e(defs[i].unit)}）",
                _num(value, 3),
                _num(b, 3),
                _num(value / b if b and pd.notna(value) else None),
                _num(None if peer is None else peer.get(f"{i}_industry_median"), 3),
                _num(None if peer is None else peer.get(f"{i}_pct_industry"), 0),
                _num(None if peer is None else peer.get(f"{i}_pct_pool"), 0),
            ]
        )
    return _table(["指标 indicator", "本企业", "组基准 benchmark", "÷基准", "行业中位数", "行业百分位", "组内百分位"], rows)


def _lift(prep: Prepared, code: str) -> str:
    table = prep.lift.get(code)
    if not table:
        return "<p>已在最高档或未分档：无需计算 — in the top class, or not classed.</p>"
    first = table[0]
    rows = [
        [
            _e(r["label"]),
            _num(r["value"], 3),
            _num(r["needed"], 3) if r["reachable"] else "单项封顶，不可达 capped",
            _num(r["change_pct"], 0) + ("%" if pd.notna(r["change_pct"]) else ""),
        ]
        for r in table
    ]
    return (
        f"<p>升至 {_chip(first['to_class'])} 需综合得分 ≥ {first['threshold']:.1f}（现 {first['score']:.1f}）；"
        "每行只改变该项指标，其余及基准不变 — each row changes one indicator alone, the others and the benchmarks held.</p>"
        + _table(["指标", "现值", "所需值 needed", "变化 change"], rows)
    )


def _ledger_rows(rec: pd.DataFrame) -> dict[str, list[list]]:
    """Each enterprise's remediation records (the columns of REMEDIATION_COLUMNS the ledger has),
    by year, read once for the page."""
    rec = rec.sort_values("year", kind="stable")
    rows: dict[str, list[list]] = {}
    columns = [c for c in REMEDIATION_COLUMNS if c in rec]
    for code, row in zip(rec["credit_code"], rec[columns].to_numpy().tolist()):
        rows.setdefault(code, []).append(row)
    return rows


def _remediation(prep: Prepared, code: str) -> str:
    if prep.remediation is None:
        return "<p>数据中无整治台账 — no remediation ledger in the data.</p>"
    mine = prep.remediation.get(code)
    if not mine:
        return "<p>无整治记录 — no remediation record.</p>"
    headings = [REMEDIATION_COLUMNS[c] for c in prep.remediation_columns]
    return _table(headings, [[_e(v) for v in row] for row in mine])


def _map(prep: Prepared, code: str) -> str:
    return prep.maps.get(code, "<p>无宗地 — no parcel.</p>")


def portrait(ctx: RunContext, code: str, number: int, prep: Prepared) -> str:
    """One enterprise's portrait, as an HTML section with the anchor ``p-<number>``."""
    r = prep.years[ctx.year][code]
    division = prep.divisions.get(code)
    evaluated = r["status"] == "evaluated"
    facts = _table(
        ["项目", "内容"],
        [
            ["统一社会信用代码", _e(code)],
            ["所属镇街", _e(r.get("street_name"))],
            ["行业代码 / 大类", f"{_e(r.get('industry_code'))} / {_e(division)}"],
            ["产业链", _e(r.get("industry_chain"))],
            ["成立年份", _e(r.get("founded_year"))],
            ["用地面积（亩）", _num(r.get("land_mu") if evaluated else None)],
        ],
    )
    return (
        f'<section class="portrait" id="p-{number}"><h2>{number}. {_e(r["name"])}</h2>'
        f'<div class="grid"><div>{facts}</div><div>{_map(prep, code)}</div></div>'
        f"<h3>历年评价 Class by year</h3>{_history(prep, code)}"
        f"<h3>{ctx.year}年指标对标 Indicators against pool and industry</h3>{_indicators(ctx, prep, code)}"
        f"<h3>升一档需要什么 What would lift it one class</h3>{_lift(prep, code)}"
        f"<h3>整治记录 Remediation record</h3>{_remediation(prep, code)}</section>"
    )


def portraits_page(ctx: RunContext, codes: list[str], peers: pd.DataFrame, intro: str) -> str:
    """The whole page: title, the notes in ``intro`` (HTML), a list of links, then each portrait."""
    prep = prepare(ctx, codes, peers)
    links = "".join(f'<li><a href="#p-{i}">{_e(prep.names.get(c))}</a></li>' for i, c in enumerate(codes, start=1))
    body = "".join(portrait(ctx, c, i, prep) for i, c in enumerate(codes, start=1))
    title = f"企业画像 Enterprise portraits（{ctx.year}年，{len(codes)}家）"
    return (
        f'<!DOCTYPE html><html lang="zh"><head><meta charset="utf-8"><title>{title}</title><style>{PRINT_CSS}</style></head>'
        f"<body><main><h1>{title}</h1>{intro}<ol>{links}</ol>{body}</main></body></html>"
    )


def write_portraits(ctx: RunContext, codes: list[str], peers: pd.DataFrame, intro: str) -> Path:
    """Write the portraits page into the run's folder (the runner makes it a page of the site)."""
    path = ctx.out_dir() / PORTRAITS_FILE.format(year=ctx.year)
    path.write_text(portraits_page(ctx, codes, peers, intro), encoding="utf-8")
    return path


__all__ = ["PORTRAITS_FILE", "Prepared", "chosen_codes", "portrait", "portraits_page", "prepare", "write_portraits"]
