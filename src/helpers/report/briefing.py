"""《腾笼换鸟攻坚行动进展简报》: the Word briefing (python-docx) that a 领导小组办公室 circulates —
the headline goals, the 20 tasks' status by 攻坚行动, the 街道 ranking on 规上亩均税收, the 高耗低效
list in figures, two key charts and the data note. Built from the same section functions as the
HTML pages (one computation each), so the briefing and the pages agree.

    write_briefing(ctx, ctx.out_dir() / "简报.docx")
"""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from docx import Document
from docx.document import Document as WordDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from helpers.evaluate.breakdowns import breakdown
from helpers.report import evaluation_page, low_efficiency_page, overview_page
from helpers.report.context import RunContext
from helpers.report.dashboard import counts_by_status, status_records
from helpers.report.narrative import data_notice

TITLE = "腾笼换鸟攻坚行动进展简报"
BODY_FONT, HEADING_FONT = "宋体", "黑体"  # the fonts Word offers for Chinese on every Windows machine
CHINESE_NUMBERS = "一二三四五六七八九十"


def briefing_name(year: int) -> str:
    return f"{TITLE}_{year}.docx"


def _east_asian(run, font: str) -> None:
    """Set ``font`` for the run's Chinese characters (Word keeps a separate East Asian font)."""
    run.font.name = font
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)


def _document() -> WordDocument:
    doc = Document()
    section = doc.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)  # A4
    section.left_margin = section.right_margin = Cm(2.6)
    normal = doc.styles["Normal"]
    normal.font.size = Pt(11)
    normal.font.name = BODY_FONT
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)
    return doc


def _heading(doc, text: str, level: int) -> None:
    p = doc.add_heading("", level=level)
    run = p.add_run(text)
    _east_asian(run, HEADING_FONT)


def _table(doc, frame: pd.DataFrame) -> None:
    """``frame`` as a Word table with a header row (text as it is; Word escapes nothing it shows)."""
    table = doc.add_table(rows=1, cols=len(frame.columns))
    table.style = "Table Grid"
    for cell, name in zip(table.rows[0].cells, frame.columns, strict=True):
        cell.text = str(name)
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for row in frame.itertuples(index=False):
        cells = table.add_row().cells
        for cell, value in zip(cells, row, strict=True):
            cell.text = "—" if value is None or (isinstance(value, float) and value != value) else str(value)
    for row in table.rows:
        for cell in row.cells:
            for p in cell.paragraphs:
                for run in p.runs:
                    run.font.size = Pt(9)


def _counts(records: list[dict]) -> str:
    return f"共 {len(records)} 项：" + "，".join(f"{s} {n} 项" for s, n in counts_by_status(records)) + "。"


def _figure(doc, fig) -> None:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=150, bbox_inches="tight")
    plt.close(fig)
    doc.add_picture(buf, width=Cm(15.5))


def plain(markdown: str) -> str:
    """A Markdown note of the pages as plain text for Word."""
    text = re.sub(r"\*\*|`|^> ?", "", markdown, flags=re.M)
    return text.replace("⚠️ ", "").replace("\\", "")


def goals_frame(records: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "目标": [r["text"] for r in records],
            "实际": [r["actual"] for r in records],
            "目标值": [r["target"] for r in records],
            "状态": [r["status"] for r in records],
        }
    )


def street_ranking(ctx: RunContext) -> pd.DataFrame:
    """The 街道 by their 规上 enterprises' aggregate 亩均税收 (万元/亩), highest first, ranked."""
    above = evaluation_page.above_scale(ctx)
    table = breakdown(above, "street_name")
    tax = [c for c in table.columns if c.startswith("亩均税收")][0]
    table = table.sort_values(tax, ascending=False).reset_index(drop=True)
    return pd.DataFrame(
        {
            "名次": range(1, len(table) + 1),
            "镇街": table["street_name"],
            "规上企业数": table["企业数 enterprises"],
            "用地（亩）": table["用地 land (亩)"].map("{:,.0f}".format),
            "亩均税收（万元/亩）": table[tax].map("{:.1f}".format),
        }
    )


def list_summary(ctx: RunContext) -> tuple[str, pd.DataFrame]:
    """The 高耗低效 list in a sentence and by 整治方式."""
    lst = low_efficiency_page.the_list(ctx)
    sentence = (
        f"列入《高耗低效整治企业清单》{len(lst):,} 家，用地 {lst['用地面积(亩)'].sum():,.0f} 亩，"
        f"预计可腾出用能 {lst['预计腾出能耗(吨标准煤)'].sum():,.0f} 吨标准煤。"
        if len(lst)
        else "本年无企业列入《高耗低效整治企业清单》。"
    )
    ways = lst.groupby("整治方式").size().rename("企业数").reset_index() if len(lst) else pd.DataFrame()
    return sentence, ways


def write_briefing(ctx: RunContext, path: Path, goal_records: list[dict], target_rows: pd.DataFrame) -> Path:
    """Write the briefing for the context's year and scope to ``path`` (a .docx), from the tracker's
    goal records (``dashboard.status_records``) and target rows (``progress.tracker.target_rows``)."""
    doc = _document()
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run(f"{TITLE}（{ctx.year}年）")
    run.font.size = Pt(20)
    _east_asian(run, HEADING_FONT)
    meta = doc.add_paragraph(f"{ctx.plan_id} · 范围：{ctx.scope} · 生成日期：{date.today().isoformat()}")
    meta.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if ctx.synthetic:
        warn = doc.add_paragraph().add_run("本简报使用合成样本数据，不代表任何真实企业或宗地，数字仅作演示。")
        warn.bold = True

    _heading(doc, "一、实施目标完成情况", 1)
    doc.add_paragraph(_counts(goal_records))
    _table(doc, goals_frame(goal_records))

    _heading(doc, "二、20项任务进展（按攻坚行动）", 1)
    rows = target_rows
    task_records = status_records(rows, "task", {})
    doc.add_paragraph(_counts(task_records))
    tasks = ctx.tasks.set_index("number")
    for k, (number, name) in enumerate(sorted(ctx.plan_actions().items())):
        _heading(doc, f"（{CHINESE_NUMBERS[k]}）{name}", 2)
        numbers = [n for n in tasks.index if tasks.loc[n, "action"] == number]
        for n in numbers:
            shown = [r for r, t in zip(task_records, rows["task"], strict=True) if t == n]
            doc.add_paragraph(f"任务{n} {tasks.loc[n, 'title']}（牵头：{tasks.loc[n, 'lead_unit']}）", style="List Bullet")
            if shown:
                _table(doc, goals_frame(shown).rename(columns={"目标": "指标"}))

    _heading(doc, "三、各镇街规上工业亩均税收", 1)
    doc.add_paragraph(f"{ctx.year}年，按各镇街规上企业合计税收 ÷ 合计用地计算，由高到低排列。")
    _table(doc, street_ranking(ctx))

    _heading(doc, "四、高耗低效企业整治", 1)
    sentence, ways = list_summary(ctx)
    doc.add_paragraph(sentence)
    if len(ways):
        _table(doc, ways)

    _heading(doc, "五、主要图表", 1)
    _figure(doc, overview_page.trend(ctx).figures[0])
    _figure(doc, evaluation_page.by_street(ctx).figures[0])

    _heading(doc, "六、数据说明", 1)
    for paragraph in plain(data_notice(ctx.dataset)).split("\n\n"):
        doc.add_paragraph(paragraph)
    doc.add_paragraph(f"依据：{ctx.plan_id}《{ctx.plan_title}》。状态口径见报告 00_task_tracker。")
    doc.save(str(path))
    return path
