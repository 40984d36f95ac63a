"""Text the notebooks show: the data notice, the method notice, the scope, the run summary."""

from __future__ import annotations

import html
import json

from helpers.core import disclosure
from helpers.core.geography import load_streets
from helpers.evaluate.evaluation import Evaluation
from helpers.evaluate.methods import Method
from helpers.io.dataset import Dataset
from helpers.plan.goals import above_scale_figures
from helpers.report.sections import md_code, md_text


def data_notice(dataset: Dataset) -> str:
    """Markdown: what the data folder is and, for a synthetic one, that it is synthetic."""
    counts = (
        f"{len(dataset.enterprises):,} 家企业 enterprises, {len(dataset.parcels):,} 宗地 parcels, "
        f"{len(dataset.links):,} 用地关系 links, {len(dataset.panel):,} 企业年度记录 panel rows "
        f"({', '.join(map(str, dataset.years))})"
    )
    where = "（文件夹不显示 folder not shown）" if dataset.anonymized else md_code(dataset.source_dir)
    text = f"**数据 Data**: {where} — {counts}."
    if dataset.check is not None:
        excluded = int(dataset.check.ledger["excluded"].sum())
        text += (
            f" 数据检查 Data check: {len(dataset.check.warnings)} 条警告 warnings, {excluded} 行排除 rows excluded"
            " (listed in 01_data_overview)."
        )
    if dataset.anonymized:
        text += (
            "\n\n**已匿名 Anonymised**: 企业名称与统一社会信用代码已替换为稳定假名 names and credit codes are stable pseudonyms"
            f" ({md_text(dataset.info.get('pseudonym_key', 'key not recorded'))})."
        )
    if disclosure.current():
        text += f"\n\n**数值已粗化 Figures rounded**: {disclosure.note()}"
    if dataset.synthetic:
        text = (
            "> ⚠️ **合成数据 Synthetic data.** "
            + dataset.info.get("statement", "")
            + " 标定依据见 `data/sample/README.md`。\n\n"
            + text
        )
    return text


def method_notice(method: Method, year: int) -> str:
    """Markdown: the method, its source, a warning when its fixed benchmarks belong to another
    year, and its stated assumptions as a list."""
    src = method.source or {}
    where = src.get("url") or "本项目假设 assumption"
    paragraphs = [
        f"**评价方法 Method**: {method.title} (`{method.file.name}`)",
        f"来源 source: {where} (confidence {src.get('confidence', 'U')})",
    ]
    if method.evaluation_year and method.evaluation_year != year:
        paragraphs.append(
            f"⚠️ 该方法的固定基准值属于 {method.evaluation_year} 年度，此处用于 {year} 年数据 — "
            f"the method's fixed benchmarks are for {method.evaluation_year}, applied here to {year}."
        )
    if method.assumptions:
        paragraphs.append("\n".join(f"- 假设 assumption: {a}" for a in method.assumptions))
    rules = list(dict.fromkeys(p.ranking.text for p in method.pools))
    paragraphs.append(
        "**分档规则 Ranking rules** (方法未公布处的取舍 where the published methods are silent): " + " / ".join(rules)
    )
    return "\n\n".join(paragraphs)


def scope_text(street_codes: list[str] | None) -> str:
    if not street_codes:
        return "全区 whole district"
    names = load_streets().set_index("street_code")["street_name"]
    return "、".join(names[c] for c in street_codes)


def run_summary(ev: Evaluation) -> str:
    """JSON of the key results, for tests and for machines reading the executed notebook."""
    e = ev.evaluated
    fig = above_scale_figures(e)
    return json.dumps(
        {
            "year": ev.year,
            "method": ev.method.id,
            "streets": ev.streets,
            "synthetic": ev.synthetic,
            "ledger": ev.ledger[["item", "status", "enterprises"]].values.tolist(),
            "evaluated_by_pool": e.groupby("pool")["credit_code"].count().to_dict(),
            "classes_by_pool": {p: g["class"].value_counts().sort_index().to_dict() for p, g in e.groupby("pool")},
            "above_scale": {k: (None if v != v else round(float(v), 6)) for k, v in fig.items()},
            "benchmarks": ev.benchmarks[["pool", "indicator", "benchmark"]].values.tolist(),
        },
        ensure_ascii=False,
    )


def task_heading(number: int, title: str) -> str:
    """A task's text heading, "任务7 title", with its stable anchor (``id="task-07"``), found by
    Ctrl-F, the contents, tests and links."""
    return f'<h3 id="task-{number:02d}" class="task-heading" data-task="{number}">任务{number} {html.escape(title)}</h3>'
