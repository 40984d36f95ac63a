"""The run's pages as a site (``report.site``) and the status tables (``report.dashboard``), on small
hand-written pages; the default run's pages are checked in a browser in tests/test_runner.py."""

from __future__ import annotations

import html
import io
import re

import pandas as pd
import pytest
from fontTools.ttLib import TTFont

from helpers.report import dashboard, site

PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Notebook</title>
<style>/* see https://example.org/why */ body { color: #222; }</style></head><body>
<h1 id="t">攻坚行动任务追踪：20项任务<a class="anchor-link" href="#t">¶</a></h1>
<h2 id="a">实施目标总览 Goals<a class="anchor-link" href="#a">¶</a></h2>
<p>来源 <a href="https://www.wl.gov.cn/art/x.html">温岭市 2022</a></p>
<h3 id="task-07" class="task-heading">任务7 加速重大科技成果产业化</h3>
<script>document.createElementNS("http://www.w3.org/2000/svg", "svg");</script>
</body></html>"""


def test_a_page_gets_title_navigation_contents_and_a_way_back():
    pages = [site.Page("00_task_tracker.html", "攻坚行动任务追踪"), site.Page("04_scenario.html", "腾笼换鸟情景")]
    out = site.finish_page(PAGE, "攻坚行动任务追踪 · 报告", pages, "00_task_tracker.html", "")
    assert "<title>攻坚行动任务追踪 · 报告</title>" in out
    nav = out[out.index('<nav class="site-nav"') : out.index("</nav>")]
    assert 'href="index.html"' in nav and 'href="04_scenario.html"' in nav and 'class="current"' in nav
    toc = out[out.index('class="site-toc"') :]
    assert 'href="#a"' in toc and 'href="#task-07"' in toc and "任务7 加速重大科技成果产业化" in toc
    assert out.index("</h1>") < out.index('class="site-toc"')  # the contents under the title
    assert 'href="index.html">返回首页' in out


def test_links_to_web_pages_become_text_and_scripts_keep_their_namespaces():
    out = site.plain_links(PAGE)
    assert "温岭市 2022 (www.wl.gov.cn/art/x.html)" in out and '<a href="https' not in out
    assert "example.org" not in out  # CSS comments dropped
    assert 'createElementNS("http://www.w3.org/2000/svg"' in out
    assert site.network_references(out) == []
    # a script in capitals is a script too; a page with no address anywhere comes back as it is
    shouting = PAGE.replace("<script>", "<SCRIPT>").replace("</script>", "</SCRIPT>")
    assert 'createElementNS("http://www.w3.org/2000/svg"' in site.plain_links(shouting)
    mixed = PAGE.replace("<script>", "<ScRiPt>").replace("</script>", "</sCRIPT>")
    assert 'createElementNS("http://www.w3.org/2000/svg"' in site.plain_links(mixed)
    # an attribute that only ends in "srcdoc" is not a frame: its address is made plain like any other
    assert "https://" not in site.plain_links('<p data-xsrcdoc="see https://example.org/a">x</p>')
    assert 'SRCDOC="<a href=https://example.org>' in site.plain_links('<iframe SRCDOC="<a href=https://example.org>"></iframe>')
    quiet = '<html><body><svg><path d="M1,2 3,4Z"/></svg><p>宗地 &amp; 企业</p></body></html>'
    assert (
        site.plain_links(quiet) == quiet
        and site.visible_text(quiet) == '<html><body><svg><path d="M1,2 3,4Z"/></svg><p>宗地 & 企业</p></body></html>'
    )


def test_network_references_finds_what_a_browser_would_fetch():
    frame = html.escape('<html><head><script src="https://unpkg.com/x.js"></script></head></html>', quote=True)
    for bad in (
        '<script src="https://cdnjs.cloudflare.com/ajax/libs/require.js/2.1.10/require.min.js"></script>',
        '<link rel="stylesheet" href="//fonts.googleapis.com/css?family=Noto">',
        "<style>@font-face { src: url('https://x.org/f.woff') }</style>",
        "<style>@import 'http://x.org/a.css';</style>",
        '<img src="http://x.org/a.png">',
        "<script>var s = document.createElement('script'); s.src = 'https://x.org/y.js';</script>",
        f'<iframe srcdoc="{frame}"></iframe>',
    ):
        assert site.network_references(f"<html><head></head><body>{bad}</body></html>"), bad
    assert site.network_references('<a href="#x">x</a><img src="data:image/png;base64,AAAA">') == []


def test_the_font_subset_holds_every_character_asked_for():
    text = "攻坚行动任务追踪：20项任务与实施目标（2023年，全区）·首页 Index ⇅ —"
    font = TTFont(io.BytesIO(site.font_subset(text)))
    cmap = font.getBestCmap()
    assert [c for c in set(text) if c.strip() and ord(c) not in cmap] == []
    assert ord("鸟") not in cmap  # a subset, not the whole font


def test_a_subset_is_made_once_and_the_same_characters_give_the_same_bytes(tmp_path, monkeypatch):
    monkeypatch.setattr(site, "FONT_CACHE", tmp_path / "subsets")
    first = site.font_subset("亩均税收 tax")
    assert len(list((tmp_path / "subsets").glob("*.woff"))) == 1

    def no_subsetting(*args):
        raise AssertionError("subset again")

    monkeypatch.setattr(site, "_subset", no_subsetting)
    assert site.font_subset("tax 收税均亩 ") == first  # the same set of characters: from the cache
    with pytest.raises(AssertionError, match="subset again"):
        site.font_subset("亩均增加值")  # other characters: a new subset
    monkeypatch.undo()
    assert site._subset(site.cjk_font_path(), "亩均税收 tax") == first  # deterministic, no timestamp


def test_visible_text_reads_entities_and_json_escapes_but_not_data_uris():
    text = site.visible_text('&lt;b&gt; "\\u4f01\\u4e1a" <img src="data:image/png;base64,5ZCN5a2X">')
    assert "企业" in text and "<b>" in text and "5ZCN5a2X" not in text


def test_unescape_is_html_unescape_for_common_and_other_references():
    """The fast path (only the entities html.escape writes, and &nbsp;) and the fallback give what
    html.unescape gives: references formed by decoding are not decoded again, "&&" in a script does
    not force the fallback, a reference without its semicolon does."""
    cases = [
        "",
        "a && b",
        "&quot;&#x27;&#39;&lt;&gt;&nbsp;&amp;",
        "&amp;lt; &amp;quot; &amp;amp;",
        "& lt; &;amp; &#; &#x; &",
        "&lt &amp &ampx &#20013; &#x4e2d; &copy; &Eacute;",
        "tip: &quot;宗地&quot; &amp;&amp; x<y",
    ]
    for text in cases:
        assert site.unescape(text) == html.unescape(text), text
    atoms = ["&", "&amp;", "&lt;", "&quot;", "&#x27;", "&nbsp;", "amp;", "lt;", "&#20013;", "&lt", "#", ";", " ", "中", "&&"]
    for i in range(len(atoms) ** 2):  # every pair and a third, in a fixed order
        text = atoms[i % len(atoms)] + atoms[i // len(atoms)] + atoms[(i * 7) % len(atoms)]
        assert site.unescape(text) == html.unescape(text), text


def test_characters_are_distinct_and_in_code_point_order():
    """What a Python set and a sort give, lone surrogates (from JSON escapes of emoji) included."""
    texts = ["ba宗地", "", "中a\ud83d亩", "\U0001f600b"]
    assert site.characters(texts) == "".join(sorted(set("".join(texts))))
    assert site.characters([]) == ""


def test_data_uris_stand_aside_while_a_site_is_finished_and_come_back_whole(tmp_path):
    """The charts' data URIs, in a page and in a map frame's document, are written back as they
    were; neither they nor their stand-ins add a character to the font subset (the same characters
    are asked for as for the page without them)."""
    png = "data:image/png;base64," + "iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB" * 50 + "=="

    def page_with(uri: str) -> str:
        frame_doc = f'<html><head></head><body><img src="{uri}"><a href="https://example.org">站点</a></body></html>'
        return PAGE.replace("</body>", f'<img src="{uri}"><iframe srcdoc="{html.escape(frame_doc, quote=True)}"></iframe></body>')

    masked, uris = site.without_data_uris(page_with(png))
    assert uris == [png, png] and png not in masked and site.with_data_uris(masked, uris) == page_with(png)
    assert site.visible_text(masked) == site.visible_text(page_with(png)) == site.visible_text(page_with(""))
    asked, written = [], []
    real_subset = site.font_subset
    site.font_subset = lambda chars: asked.append(chars) or real_subset(chars)
    try:
        for folder, uri in ((tmp_path / "with", png), (tmp_path / "without", "")):
            folder.mkdir()
            (folder / "00_page.html").write_text(page_with(uri), encoding="utf-8")
            (folder / "index.html").write_text("<html><head></head><body><h1>索引</h1></body></html>", encoding="utf-8")
            site.finish_site(folder, ["00_page.html"], "报告")
            written.append((folder / "00_page.html").read_text(encoding="utf-8"))
    finally:
        site.font_subset = real_subset
    assert asked[0] == asked[1] and set("站点索引报告") <= set(asked[0])
    out = written[0]
    assert out.count(f'<img src="{png}">') == 1 and out.count(html.escape(f'<img src="{png}">', quote=True)) == 1
    assert "stand-in" not in out and "站点 (example.org)" in html.unescape(out)
    assert out.replace(png, "") == written[1]


def test_status_tables_are_text_with_escaped_labels_and_chips():
    rows = pd.DataFrame(
        {
            "task": [1, 1, 7],
            "text": ["排查覆盖率", "跟踪：<b>列入</b>", "首台（套）10项"],
            "judged": [1.0, 816.0, 9.0],
            "comparator": [">=", None, ">="],
            "value": [1.0, None, 10.0],
            "unit": ["比例", "家", "项"],
            "status": ["达标", "无量化目标", "落后"],
        }
    )
    names = {1: "任务1 全面排摸", 7: "任务7 <script>"}
    records = dashboard.status_records(rows, "task", names, {1: "03_low_efficiency.html#task-01"})
    table = dashboard.status_table(records)
    assert table.count("<tr>") == 4 and "任务7 &lt;script&gt;" in table and "&lt;b&gt;列入" in table
    assert '<a href="03_low_efficiency.html#task-01">任务1 全面排摸</a>' in table
    assert "100.0%" in table and "&gt;= 10" in table and table.count('class="status-chip"') == 3
    counts = dashboard.status_counts(records)
    assert "共 3 项" in counts and counts.index("达标") < counts.index("落后") < counts.index("无量化目标")


def test_a_map_frame_keeps_its_scripts_whole():
    """A map frame's document is an escaped attribute: its scripts (Leaflet creates SVG with the SVG
    namespace) must reach the browser as they were, with the font added to the frame's head."""
    frame = '<html><head></head><body><script>document.createElementNS("http://www.w3.org/2000/svg", "g");</script></body></html>'
    page = f'<html><head><title>x</title></head><body><iframe srcdoc="{html.escape(frame, quote=True)}"></iframe></body></html>'
    out = site.finish_page(page, "t", [], "03_low_efficiency.html", "/*font*/")
    inner = html.unescape(re.search(r'srcdoc="([^"]*)"', out).group(1))
    assert 'createElementNS("http://www.w3.org/2000/svg", "g")' in inner
    assert inner.index("/*font*/") < inner.index("</head>")


def test_a_real_map_frame_loses_foliums_trust_note():
    """folium writes "Make this Notebook Trusted…" under each map; on a page it means nothing and it
    would be printed into the PDF's text."""
    import folium

    page = f"<html><head><title>x</title></head><body>{folium.Map(tiles=None)._repr_html_()}</body></html>"
    assert "Trust Notebook" in page
    out = site.finish_page(page, "t", [], "03_low_efficiency.html", "")
    assert "Trust Notebook" not in out and "srcdoc=" in out


def test_a_map_frames_font_comes_after_leaflets_stylesheet():
    """Leaflet's stylesheet gives ``.leaflet-container`` (layer control, legend) its own fonts; the
    frame's font rule, of the same specificity, must come after it to win, or every Chinese label in
    the map's controls is drawn as empty boxes on a machine without a Chinese font."""
    import folium
    import geopandas as gpd
    from shapely.geometry import box

    from helpers.viz.interactive import add_legend, offline_map

    fmap = offline_map(gpd.GeoDataFrame(geometry=[box(120.2, 30.3, 120.4, 30.5)], crs="EPSG:4326"))
    folium.LayerControl().add_to(fmap)
    add_legend(fmap)
    page = f"<html><head><title>x</title></head><body>{fmap._repr_html_()}</body></html>"
    out = site.finish_page(page, "t", [], "03_low_efficiency.html", "/*font*/")
    inner = html.unescape(re.search(r'srcdoc="([^"]*)"', out).group(1))
    assert ".leaflet-container" in inner and inner.count("/*font*/") == 1
    font_at = inner.index("/*font*/")
    assert max(m.start() for m in re.finditer(r"\.leaflet-container\s*\{", inner)) < font_at < inner.index("</head>")


def test_headings_that_number_themselves_show_their_own_number_in_the_contents():
    page = (
        '<html><body><h1>低效整治</h1><h2 id="s2">2. 宗地分类与出清线</h2><h3 id="s21">2.1 小节</h3>'
        '<h2 id="s3">3、高耗低效企业</h2><h2 id="goals">实施目标总览</h2><h2 id="y">1.5倍 的差距</h2></body></html>'
    )
    toc = site.toc_html(page)
    items = dict(re.findall(r'<li class="([^"]+)"><a href="#([^"]+)"', toc)[i][::-1] for i in range(5))
    assert items == {"s2": "h2 own-number", "s21": "h3 own-number", "s3": "h2 own-number", "goals": "h2", "y": "h2"}
    assert ".site-toc li.own-number { list-style: none; }" in site.SITE_CSS


def test_a_page_prepared_where_it_was_rendered_finishes_as_one_that_was_not(tmp_path):
    """The runner's workers prepare each notebook's page (``prepare_page``) and ``finish_site`` adds
    the rest: the pages come out byte for byte as when the whole page is finished at the end, with the
    same font subset asked for, and the notes beside the pages are gone. A page rewritten after it was
    prepared is refused rather than finished twice."""
    png = "data:image/png;base64," + "iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB" * 50 + "=="
    frame_doc = f'<html><head></head><body><img src="{png}"><a href="https://example.org">站点 &amp; 图</a></body></html>'
    page = PAGE.replace("</body>", f'<img src="{png}"><iframe srcdoc="{html.escape(frame_doc, quote=True)}"></iframe></body>')
    second = PAGE.replace("加速重大科技成果产业化", "工业用地有机更新").replace(
        "<title>Notebook</title>", "<title>第二页</title>"
    )
    index = "<html><head><title>i</title></head><body><h1>索引 &lt;全部&gt;</h1></body></html>"
    asked, out = [], {}
    real_subset = site.font_subset
    site.font_subset = lambda chars: asked.append(chars) or real_subset(chars)
    try:
        for prepared in (False, True):
            folder = tmp_path / str(prepared)
            folder.mkdir()
            for name, text in (("00_a.html", page), ("01_b.html", second), ("index.html", index)):
                (folder / name).write_text(text, encoding="utf-8")
            if prepared:
                site.prepare_page(folder / "00_a.html")
                site.prepare_page(folder / "index.html")
                assert (folder / ".00_a.html.site.json").is_file()
            site.finish_site(folder, ["00_a.html", "01_b.html"], "报告 R&D")
            out[prepared] = {p.name: p.read_bytes() for p in sorted(folder.iterdir())}
    finally:
        site.font_subset = real_subset
    assert out[True] == out[False] and sorted(out[True]) == ["00_a.html", "01_b.html", "index.html"]
    assert asked[0] == asked[1]
    assert "工业用地有机更新" in out[True]["01_b.html"].decode() and 'class="site-toc"' in out[True]["00_a.html"].decode()
    again = tmp_path / "again"
    again.mkdir()
    (again / "00_a.html").write_text(page, encoding="utf-8")
    site.prepare_page(again / "00_a.html")
    (again / "00_a.html").write_text(page + " ", encoding="utf-8")
    with pytest.raises(RuntimeError, match="changed after it was prepared"):
        site.finish_site(again, ["00_a.html"], "报告")
