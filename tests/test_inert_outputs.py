"""Outputs stay inert whatever the data hold: a styled table shows names as text (no HTML from the
data), the data notice quotes a folder name as code, and text cells of the shared XLSX are text,
never formulas."""

from __future__ import annotations

import html
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from helpers.report.exports import write_xlsx
from helpers.report.sections import Section, escaped_styler
from tests.adversarial import case

PAYLOADS = ['<img src=x onerror="alert(1)">', "<script>alert(2)</script>", '=HYPERLINK("http://x","y")', "a & b"]


@case("injection", "inert")
def test_a_styled_table_shows_names_as_text_and_keeps_the_callers_frame():
    frame = pd.DataFrame({"企业名称": PAYLOADS, "tax_per_mu": [1.0, 2.0, 3.0, 4.0]}, index=["<b>r</b>", "r2", "r3", "r4"])
    frame.columns = ["<i>企业名称</i>", "tax_per_mu"]
    page = Section().table(frame.style.format({"tax_per_mu": "{:.1f}"}).hide(axis="index"))
    html = page.parts[0][1].to_html()
    assert "<img" not in html and "<script" not in html and "<i>" not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html and "&lt;script&gt;" in html and "a &amp; b" in html
    assert "1.0" in html and "4.0" in html  # the formatter set by column still applies
    assert frame.iloc[0, 0] == PAYLOADS[0] and frame.columns[0] == "<i>企业名称</i>"  # the caller's frame is untouched


def test_an_escaped_styler_keeps_numbers_numbers():
    styler = escaped_styler(pd.DataFrame({"n": [1, 2], "s": ["<x>", None]}).style)
    assert styler.data["n"].tolist() == [1, 2] and styler.data["s"].iloc[0] == "&lt;x&gt;" and pd.isna(styler.data["s"].iloc[1])


@case("injection", "inert")
def test_the_data_notice_quotes_a_hostile_folder_name_as_code(tmp_path):
    from types import SimpleNamespace

    from helpers.report.narrative import data_notice

    ds = SimpleNamespace(
        source_dir=Path("/tmp/x`<img src=x onerror=alert(1)>`"),
        enterprises=[],
        parcels=[],
        links=[],
        panel=pd.DataFrame({"year": []}),
        check=None,
        anonymized=False,
        synthetic=False,
        info={},
        years=[2023],
    )
    text = data_notice(ds)
    assert "`/tmp/x'<img src=x onerror=alert(1)>'`" in text  # one code span: shown literally


@case("injection", "inert")
def test_text_cells_of_the_xlsx_are_text_not_formulas(tmp_path):
    names = ["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "正常名称"]
    path = write_xlsx({"清单": pd.DataFrame({"企业名称": names, "v": [1, 2, -3, 4, 5]})}, tmp_path / "l.xlsx", ["=note"])
    wb = openpyxl.load_workbook(path)
    cells = wb["清单"]["A"][1:]
    assert [c.value for c in cells] == names and all(c.data_type == "s" for c in cells)
    assert wb.worksheets[0]["A"][1].data_type == "s"
    assert [c.data_type for c in wb["清单"]["B"][1:]] == ["n"] * 5


PWN = "document.documentElement.setAttribute('data-pwned','{}')"
HOSTILE_NAMES = [
    f'<img src=x onerror="{PWN.format(1)}">',
    f"<script>{PWN.format(2)}</script>",
    '=HYPERLINK("http://example.invalid","点我")',
    "**粗体** [链接](javascript:alert(3)) `代码`",
    f'<svg onload="{PWN.format(4)}">',
]


@pytest.mark.notebook
@case("injection", "inert")
def test_a_report_built_from_hostile_names_runs_no_script(tmp_path):
    """The main job on a county export whose enterprise names carry script, Markdown and formula
    payloads: every page opens in headless chromium without running them, and the XLSX holds them
    as text."""
    from helpers.report import runner
    from tests import county_exports as ce
    from tests.browser import need_chromium, render_offline

    need_chromium()
    folder = ce.write_all(tmp_path / "data", ["by_scale_workbook"])["by_scale_workbook"]
    path = folder / "2023年亩均效益评价数据.xlsx"
    wb = openpyxl.load_workbook(path)
    ws = wb["规上工业企业"]
    col = [c.value for c in ws[2]].index("企业名称") + 1
    for i, name in enumerate(HOSTILE_NAMES):
        ws.cell(3 + i, col, name).data_type = "s"  # a text cell that starts with "=", as an export writes it
    wb.save(path)
    assert (
        runner.main(["--no-pdf", "-p", "data_dir", str(folder), "--reports-dir", str(tmp_path / "rep"), "--run", "hostile"]) == 0
    )
    run = tmp_path / "rep" / "hostile"
    for page in sorted(run.glob("*.html")):
        dom, error = render_offline(page.read_text(encoding="utf-8"))
        assert "data-pwned" not in dom.split(">", 2)[1], page.name  # no payload ran (the <html> tag)
        assert 'data-pwned="' not in dom.split("<body", 1)[0], page.name
        assert '<img src="x"' not in dom and "<svg onload" not in dom, page.name
    listing = openpyxl.load_workbook(run / "高耗低效整治企业清单_2023.xlsx")
    for ws in listing.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)


@case("privacy", "hidden")
def test_real_data_are_never_pseudonymised_with_the_public_key(tmp_path, monkeypatch):
    from helpers.io.privacy import KEY_ENV, KEY_FILE_ENV, PUBLIC_KEY, pseudonym_key

    monkeypatch.delenv(KEY_ENV, raising=False)
    monkeypatch.setenv(KEY_FILE_ENV, str(tmp_path / "keys" / "pseudonym.key"))
    assert pseudonym_key(synthetic=True) == (PUBLIC_KEY.encode(), "public key (synthetic sample only)")
    key, source = pseudonym_key(synthetic=False)
    assert key != PUBLIC_KEY.encode() and len(key) == 64 and source.endswith("created now")
    path = tmp_path / "keys" / "pseudonym.key"
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert pseudonym_key(synthetic=False) == (key, "private key file pseudonym.key")  # stable from then on
    monkeypatch.setenv(KEY_ENV, "from-env")
    assert pseudonym_key(synthetic=False)[0] == b"from-env"


@case("privacy", "hidden")
def test_an_anonymised_real_folder_gets_a_private_key_and_hides_its_path(tmp_path, monkeypatch):
    from helpers.io.dataset import load_dataset
    from helpers.io.privacy import KEY_ENV, KEY_FILE_ENV, PUBLIC_KEY, pseudonym
    from helpers.report.narrative import data_notice
    from tests import county_exports as ce

    monkeypatch.delenv(KEY_ENV, raising=False)
    monkeypatch.setenv(KEY_FILE_ENV, str(tmp_path / "pseudonym.key"))
    folder = ce.write_all(tmp_path / "data", ["separate_csv_gbk"])["separate_csv_gbk"]
    (folder / "sample_info.yaml").unlink()  # as an office's own folder: not the synthetic sample
    plain = load_dataset(folder, use_cache=False)
    anon = load_dataset(folder, anonymize=True, use_cache=False)
    code = plain.enterprises["credit_code"].iloc[0]
    assert anon.enterprises["credit_code"].iloc[0] != pseudonym(code, PUBLIC_KEY.encode())
    notice = data_notice(anon)
    assert str(folder) not in notice and "folder not shown" in notice and "private key file pseudonym.key" in notice


@case("privacy", "hidden")
def test_an_anonymised_overview_names_no_file_sheet_folder_or_parcel(tmp_path, monkeypatch):
    from helpers.io.privacy import KEY_ENV, KEY_FILE_ENV
    from helpers.report import overview_page
    from helpers.report.context import build_context
    from helpers.report.exports import write_run_tables
    from tests import county_exports as ce

    monkeypatch.delenv(KEY_ENV, raising=False)
    monkeypatch.setenv(KEY_FILE_ENV, str(tmp_path / "pseudonym.key"))
    county = ce.choose()
    folder = ce.write_all(tmp_path / "data", ["by_scale_workbook"])["by_scale_workbook"]
    secrets = [str(folder), "2023年亩均效益评价数据", "规上工业企业", "规下工业企业", "宗地.shp", county["shared"]]

    def shown(anonymize: bool) -> str:
        ctx = build_context(data_dir=folder, plot=False, anonymize=anonymize)
        parts = []
        for section in (overview_page.data_check(ctx), overview_page.coordinates(ctx)):
            for kind, part in section.parts:
                parts.append(part if kind != "table" else part.to_html())
        out = tmp_path / f"run_{anonymize}"
        for path in write_run_tables(ctx.ev, ctx.dataset, out):  # the check's two tables (parcel codes in the
            if path.name in ("rows_excluded_at_load.csv", "data_check_warnings.csv"):  # evaluation table: issue 14)
                parts.append(path.read_text(encoding="utf-8-sig"))
        return "\n".join(parts)

    plain = shown(False)
    assert all(s in plain for s in secrets)  # the plain run names them: the test can fail
    anonymised = shown(True)
    assert [s for s in secrets if s in anonymised] == []
    assert "文件1.xlsx [表1]" in anonymised and "文件1.xlsx [表2]" in anonymised
    assert "宗地-" in anonymised  # the split parcel is named by its pseudonym


@case("privacy", "hidden")
def test_short_parcel_codes_are_redacted_whole_and_nothing_else():
    from helpers.report.redaction import Redactor

    redact = Redactor(True, [("/data/x", "<数据>")], lambda t: {"P7": "宗地-A", "12": "宗地-B"}.get(t))
    text = "/data/x/a.xlsx: parcels P7, 12 split; P77 and 123 and 2012 stay"
    assert redact(text) == "<数据>/a.xlsx: parcels 宗地-A, 宗地-B split; P77 and 123 and 2012 stay"
    assert Redactor()(text) == text  # not anonymised: unchanged


def test_a_sheet_has_one_number_in_every_part_of_an_anonymised_run(tmp_path, monkeypatch):
    from helpers.io.dataset import load_dataset
    from helpers.io.privacy import KEY_ENV, KEY_FILE_ENV
    from helpers.report.redaction import redactor
    from tests import county_exports as ce

    monkeypatch.delenv(KEY_ENV, raising=False)
    monkeypatch.setenv(KEY_FILE_ENV, str(tmp_path / "pseudonym.key"))
    folder = ce.write_all(tmp_path / "data", ["by_scale_workbook"])["by_scale_workbook"]
    ds = load_dataset(folder, anonymize=True, use_cache=False)
    label = f"{folder / '2023年亩均效益评价数据.xlsx'} [规下工业企业]"
    # two redactors (two sections), asked in different orders, give the sheet the same number
    first, second = redactor(ds), redactor(ds)
    second(f"{folder / '2023年亩均效益评价数据.xlsx'} [规上工业企业]")
    assert first(label) == second(label) == first(label) and "[表" in first(label)


@case("privacy", "refused")
def test_pseudonyms_are_long_enough_for_a_million_codes_and_never_merge_two(sample_copy, monkeypatch):
    from helpers.io import privacy
    from helpers.io.dataset import load_dataset

    assert privacy.pseudonym("91330113MA2H3K4L5X", b"k")[3:].isalnum() and len(privacy.pseudonym("x", b"k")) == 15
    monkeypatch.setattr(privacy, "pseudonym", lambda code, key: "企业-000000000000")  # every code the same tag
    with pytest.raises(RuntimeError, match="two credit codes share a pseudonym"):
        load_dataset(sample_copy, anonymize=True, use_cache=False)


OPEN_TOOLTIPS = (  # hover every parcel in turn; keep what each tooltip held (attributes are escaped in the dump)
    "<script>window.addEventListener('load', async function () { let i = 0;"
    "for (const k in window) { const g = window[k];"
    " if (!(k.startsWith('geo_json_') && g && typeof g.eachLayer === 'function')) continue;"
    " for (const l of g.getLayers()) { l.fire('mouseover', {latlng: l.getBounds().getCenter()}, true);"
    "  await new Promise(function (r) { setTimeout(r, 100); });"
    "  const t = document.querySelector('.leaflet-tooltip');"
    "  document.documentElement.setAttribute('data-tip-' + (i++), t ? t.innerHTML : 'none');"
    "  l.fire('mouseout', {}, true); } } });</script>"
)


@pytest.mark.slow
@case("injection", "inert")
def test_map_tooltips_show_hostile_names_as_text(sample):
    """folium puts tooltip values into the page with innerHTML: a name must arrive escaped. Every
    tooltip is opened in headless chromium; no payload runs and the names show as text."""
    from helpers.core.geography import load_boundary
    from helpers.evaluate.evaluation import evaluate
    from helpers.viz.interactive import parcel_class_map, standalone_html
    from tests.browser import render_offline

    parcels = evaluate(sample, 2023).parcels.head(len(HOSTILE_NAMES)).copy()
    parcels["main_user_name"] = HOSTILE_NAMES
    tip = {"main_user_name": "企业名称", "class": "类别", "tax_per_mu": "亩均税收"}
    page = standalone_html(parcel_class_map(parcels, load_boundary(), tip))
    dom, error = render_offline(page.replace("</body>", OPEN_TOOLTIPS + "</body>"))
    assert error is None
    assert not re.search(r"<html[^>]*\sdata-pwned=", dom)  # no payload ran
    tips = [t for t in re.findall(r'data-tip-\d+="([^"]*)"', dom) if t != "none"]  # the boundary has none
    assert len(tips) == len(HOSTILE_NAMES)  # every parcel's tooltip opened …
    for name, tip in zip(HOSTILE_NAMES, tips, strict=True):  # … holding the name as text, not as markup
        shown = html.unescape(html.unescape(tip))  # the attribute's escaping, then innerHTML's
        assert f"<td>{html.escape(name, quote=False)}</td>" in html.unescape(tip) and name in shown


@case("privacy", "hidden")
def test_a_subfolder_is_named_by_its_path_only_and_a_year_folder_is_no_leak(tmp_path, monkeypatch):
    from helpers.io.dataset import load_dataset
    from helpers.io.privacy import KEY_ENV
    from helpers.report.redaction import redactor
    from helpers.report.sharing import needles_of
    from tests import county_exports as ce

    monkeypatch.setenv(KEY_ENV, "test-key")
    folder = ce.write_all(tmp_path / "data", ["separate_csv_gbk"])["separate_csv_gbk"]
    (folder / "2022").mkdir()
    (folder / "张三机械厂旧数据").mkdir()
    redact = redactor(load_dataset(folder, anonymize=True, use_cache=False))
    assert redact("2022年 数据 2022") == "2022年 数据 2022"  # the year is not rewritten
    assert "张三机械厂旧数据" not in redact(f"{folder / '张三机械厂旧数据'}: a subfolder") and "文件夹" in redact(
        f"{folder / '张三机械厂旧数据'}: a subfolder"
    )
    needles = needles_of(folder)
    assert "张三机械厂旧数据" in needles and "2022" not in needles
