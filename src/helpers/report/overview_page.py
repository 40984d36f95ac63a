"""Sections of ``01_data_overview``: what the data folder holds and how it was read (the check's
ledger, exclusions, warnings), the synthetic sample's calibration figures, registered against
measured parcel areas, and the 2021–2023 path of the 规上 figures against the plan's targets."""

from __future__ import annotations

from helpers.evaluate.breakdowns import area_agreement
from helpers.evaluate.land import land_differences
from helpers.io.coordinates import CRS_NOTE
from helpers.plan.goals import figures_by_year
from helpers.report.context import RunContext
from helpers.report.narrative import data_notice
from helpers.report.redaction import redactor
from helpers.report.sections import ENTERPRISE_LABELS, Section, md_text
from helpers.synthetic.sample import calibration_table
from helpers.viz.charts import trend_chart

DEFAULT_AREA_TOLERANCE = 0.05  # registered vs measured area: relative difference flagged (notebook parameter)
AREA_ROWS_SHOWN = 15


def header(ctx: RunContext) -> Section:
    return Section().markdown(data_notice(ctx.dataset))


def data_check(ctx: RunContext) -> Section:
    """Per table, rows read = kept + excluded; the excluded rows with their reason; warnings; notes."""
    check = ctx.dataset.check
    if check is None:
        return Section().markdown("无数据检查记录 — this dataset was not read through the folder check.")
    s = Section(data={"check": check})
    s.table(
        check.ledger.rename(
            columns={
                "table": "表 table",
                "title": "名称 title",
                "read": "读取 read",
                "kept": "保留 kept",
                "excluded": "排除 excluded",
            }
        ).style.hide(axis="index")
    )
    redact = redactor(ctx.dataset)  # an anonymised run names no file, sheet, folder or parcel code
    s.markdown(f"排除的行 Rows excluded at load: {len(check.excluded)}")
    if len(check.excluded):
        excluded = redact.frame(check.excluded, ["file"])
        s.table(excluded.rename(columns={"reason": "原因 reason"}).style.hide(axis="index"))
    warnings = redact.frame(check.problem_table(), ["file", "problem", "expected"])
    s.markdown(f"警告 Warnings (data used as they are): {len(warnings)}")
    if len(warnings):
        s.table(warnings.drop(columns="severity").style.hide(axis="index"))
    notes = [redact(n) for n in check.notes if CRS_NOTE not in n]  # the coordinate systems have their own section
    ignored = [f"未读取 ignored: {redact(i)}" for i in check.ignored]
    if notes or ignored:
        s.markdown("\n".join(f"- {md_text(n)}" for n in notes + ignored))
    return s


def coordinates(ctx: RunContext) -> Section:
    """Per layer, the coordinate system taken and why (dataset.yaml, the file, or guessed from the
    coordinates' range), and the cautions: possibly GCJ-02, an older national grid."""
    check = ctx.dataset.check
    redact = redactor(ctx.dataset)
    notes = [redact(n) for n in (check.notes if check else []) if CRS_NOTE in n]
    s = Section(data={"notes": notes}).markdown("### 坐标系 Coordinate systems")
    if not notes:
        return s.markdown("无图层坐标记录 — this dataset was not read through the folder check.")
    cautions = [n for n in notes if "⚠️" in n]
    s.markdown("\n".join(f"- {md_text(n)}" for n in notes if "⚠️" not in n))
    if cautions:
        s.markdown("\n".join(f"> {md_text(n)}" for n in cautions))
    return s


def calibration(ctx: RunContext) -> Section:
    """For the synthetic sample: every calibration figure, published (with its source) or assumed."""
    if not ctx.synthetic:
        return Section().markdown("用户数据：无合成标定 User data: no synthetic calibration.")
    table = calibration_table()
    return (
        Section(data={"calibration": table})
        .markdown(
            "### 合成样本的标定数字 Calibration figures of the synthetic sample\n"
            "`published` = 公开数字（附来源）；`assumption` = 无公开数字时本项目的假设（附理由）。"
        )
        .table(
            table.rename(
                columns={
                    "group": "口径 group",
                    "figure": "指标 figure",
                    "year": "年度",
                    "value": "数值 value",
                    "kind": "类型 kind",
                    "source_or_reason": "来源或理由 source / reason",
                }
            ).style.hide(axis="index")
        )
    )


def parcel_areas(ctx: RunContext) -> Section:
    tolerance = float(ctx.parameters.get("area_tolerance", DEFAULT_AREA_TOLERANCE))
    parcels = ctx.dataset.parcels
    far = area_agreement(parcels, tolerance)
    return (
        Section(data={"far": far})
        .markdown(
            f"{len(far)} 宗地登记面积与图形面积相差超过 {tolerance:.0%} "
            f"({len(far) / len(parcels):.1%} of parcels). 宗地口径使用登记面积 The parcel land basis uses the registered area."
        )
        .table(
            far.head(AREA_ROWS_SHOWN)
            .style.format({"registered_area_mu": "{:.2f}", "geom_area_mu": "{:.2f}", "difference": "{:+.1%}"})
            .hide(axis="index")
        )
    )


def land_basis(ctx: RunContext) -> Section:
    """Which land the 亩均 figures divide by, and every enterprise whose declared 用地面积 differs
    from its parcels' registered or measured area (× its share) by more than ``area_tolerance``."""
    tolerance = float(ctx.parameters.get("area_tolerance", DEFAULT_AREA_TOLERANCE))
    frame = ctx.district_ev.enterprises
    far = land_differences(frame[frame["status"] != "filtered"], tolerance)
    s = Section(data={"differences": far}).markdown(f"### 用地口径 Land basis ({ctx.year})\n{md_text(ctx.district_ev.land_note)}")
    if "declared_land_mu" not in frame or not frame["declared_land_mu"].notna().any():
        return s.markdown(
            "无企业申报用地面积 — the data carry no declared 用地面积; the parcel layer's registered area × share is used."
        )
    s.markdown(
        f"{len(far)} 家企业申报用地面积与宗地面积（登记或图形，×使用比例）相差超过 {tolerance:.0%} — "
        f"enterprises whose declared 用地面积 differs from their parcels' registered or measured area by more than {tolerance:.0%}:"
    )
    if len(far):
        shown = far.head(AREA_ROWS_SHOWN).rename(
            columns={
                **ENTERPRISE_LABELS,
                "declared_land_mu": "申报用地(亩)",
                "parcel_land_mu": "宗地登记×比例(亩)",
                "land_geom_mu": "宗地图形×比例(亩)",
                "vs_registered": "差异(登记)",
                "vs_measured": "差异(图形)",
            }
        )
        s.table(
            shown.style.format(
                {
                    "申报用地(亩)": "{:.2f}",
                    "宗地登记×比例(亩)": "{:.2f}",
                    "宗地图形×比例(亩)": "{:.2f}",
                    "差异(登记)": "{:+.1%}",
                    "差异(图形)": "{:+.1%}",
                },
                na_rep="—",
            ).hide(axis="index")
        )
    return s


def trend(ctx: RunContext) -> Section:
    """The 规上 figures of every year against the plan's targets; under a 街道 view, the 街道's and
    the district's figures side by side, the target marked as the district's."""
    by_year = figures_by_year({y: e.evaluated for y, e in ctx.evaluations.items()})
    district = figures_by_year({y: e.evaluated for y, e in ctx.district.items()}) if ctx.filtered else None
    goals = ctx.goals
    fig = trend_chart(
        by_year,
        goals,
        f"图0 规上工业主要指标年度走势与{int(goals['deadline'].max())}年目标（{ctx.scope}）",
        ctx.plan_ref("二、实施目标"),
        ctx.synthetic,
        district=district,
        view_label=ctx.scope if ctx.filtered else None,
    )
    measures = [m for m in goals["measure"].dropna()]
    s = Section(data={"by_year": by_year, "district_by_year": district}).figure(fig)
    s.table(by_year[measures].style.format("{:.4g}"))
    if district is not None:
        s.markdown("全区 District:").table(district[measures].style.format("{:.4g}"))
    return s
