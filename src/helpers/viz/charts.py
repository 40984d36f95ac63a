"""The project's chart types (goals, distributions, breakdowns, trends, task dashboards, scenario
views), each drawn in the house style of ``helpers.viz.style``."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from helpers.plan.tasks import COMPARATORS
from helpers.viz.style import (
    CLASS_COLORS,
    MET_COLOR,
    MISSED_COLOR,
    STATUS_COLORS,
    STATUS_TEXT_WHITE,
    TARGET_COLOR,
    finish,
    format_value,
    unit_label,
    wrap_chars,
)

PANELS_PER_ROW = 3  # small multiples wrap after this many panels, so text stays legible at page width


def panel_grid(n: int, panel_width_in: float, panel_height_in: float, extra_height_in: float = 0.0):
    """A figure of ``n`` panels, ``PANELS_PER_ROW`` a row (spare cells hidden), and its panels in order."""
    cols = min(n, PANELS_PER_ROW)
    rows = -(-n // cols)
    fig, axes = plt.subplots(
        rows, cols, figsize=(max(panel_width_in * cols, 6.0), panel_height_in * rows + extra_height_in), squeeze=False
    )
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, list(axes.flat[:n])


def target_handle(color: str = TARGET_COLOR, label: str = "目标 target") -> Line2D:
    return Line2D([], [], color=color, ls="--", lw=1.2, label=label)


def goals_chart(goals: pd.DataFrame, title: str, plan_ref: str, synthetic: bool):
    """Actual against target for the measured goals, one small panel each (units differ)."""
    g = goals[goals["actual"].notna()].reset_index(drop=True)
    fig, axes = panel_grid(len(g), 2.9, 3.1, 1.0)
    for ax, row in zip(axes, g.itertuples()):
        pct = row.unit == "比例"
        scale = 100 if pct else 1
        unit = "%" if pct else row.unit
        color = MET_COLOR if row.met else MISSED_COLOR
        ax.bar([0], [row.actual * scale], color=color, width=0.6)
        ax.axhline(row.value * scale, color=TARGET_COLOR, ls="--", lw=1.2)
        ax.text(0.32, row.value * scale, f"目标 {row.value * scale:g}", va="bottom", ha="left", fontsize=8)
        ax.text(0, row.actual * scale / 2, f"{row.actual * scale:.2f}", ha="center", va="center", color="white", fontsize=10)
        ax.set_xticks([])
        ax.set_xlim(-0.6, 1.2)
        ax.set_ylim(0, max(row.actual, row.value) * scale * 1.18)
        ax.set_title(wrap_chars(row.text, 11), fontsize=9, fontweight="normal")
        unit_label(ax, unit)
        ax.set_xlabel("达标 met" if row.met else "未达标 not met", color=color)
    legend = [Patch(color=MET_COLOR, label="达标 met"), Patch(color=MISSED_COLOR, label="未达标 not met"), target_handle()]
    finish(fig, title, plan_ref, synthetic, legend_handles=legend)
    return fig


def distribution_chart(
    values: pd.Series,
    benchmark: float | None,
    title: str,
    xlabel: str,
    plan_ref: str,
    synthetic: bool,
    target: float | None = None,
    clip_quantile: float = 0.98,
):
    """Histogram of an indicator with the benchmark and the plan's target marked."""
    v = values.dropna()
    hi = v.quantile(clip_quantile)
    fig, ax = plt.subplots(figsize=(8, 3.8))
    import seaborn as sns  # only this chart and stacked_bars need seaborn itself

    sns.histplot(v.clip(upper=hi), bins=40, ax=ax, color="#4575b4")
    if benchmark is not None and np.isfinite(benchmark):
        ax.axvline(benchmark, color="#252525", ls="--", lw=1.2, label=f"基准值 benchmark {benchmark:.2f}")
    if target is not None:
        ax.axvline(target, color=MISSED_COLOR, ls=":", lw=1.5, label=f"方案目标 target {target:g}")
    ax.set_xlabel(f"{xlabel}（右端截至第{clip_quantile:.0%}分位）")
    unit_label(ax, "企业数 / enterprises")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=2, fontsize=8, frameon=False)
    finish(fig, title, plan_ref, synthetic)
    return fig


def breakdown_chart(
    table: pd.DataFrame,
    value: str,
    label: str,
    title: str,
    xlabel: str,
    plan_ref: str,
    synthetic: bool,
    reference: float | None = None,
    reference_label: str | None = None,
    sort: bool = True,
):
    """Horizontal bars of ``value`` by ``label`` (e.g. 亩均税收 by 街道), with an optional reference
    line; sorted by value, or kept in the table's order (top to bottom) with ``sort=False``."""
    t = table.sort_values(value) if sort else table.iloc[::-1]
    fig, ax = plt.subplots(figsize=(8, max(0.42 * len(t) + 1.3, 3.0)))  # room for the footer with few bars
    ax.barh(t[label].astype(str), t[value], color="#4575b4")
    for y, v in enumerate(t[value]):
        ax.text(v, y, f" {v:.1f}", va="center", fontsize=8)
    if reference is not None:
        ax.axvline(reference, color=MISSED_COLOR, ls="--", lw=1.2, label=reference_label)
        ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("")
    finish(fig, title, plan_ref, synthetic)
    return fig


def class_share_chart(counts: pd.DataFrame, title: str, plan_ref: str, synthetic: bool):
    """Stacked bars of class shares per pool (rows: pools, columns: classes A-D, values: counts)."""
    shares = counts.div(counts.sum(axis=1), axis=0) * 100
    fig, ax = plt.subplots(figsize=(8, 0.6 * len(shares) + 1.5))
    left = np.zeros(len(shares))
    for cls in [c for c in CLASS_COLORS if c in shares.columns]:
        vals = shares[cls].to_numpy()
        ax.barh(shares.index.astype(str), vals, left=left, color=CLASS_COLORS[cls], label=f"{cls}类")
        for y, (start, v, n) in enumerate(zip(left, vals, counts[cls])):
            if v >= 4:
                ax.text(start + v / 2, y, f"{v:.0f}%\n({n})", ha="center", va="center", fontsize=7)
        left += vals
    ax.set_xlim(0, 100)
    ax.set_xlabel("占比 share of enterprises (%)")
    ax.legend(ncol=4, loc="lower right", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    finish(fig, title, plan_ref, synthetic)
    return fig


def trend_chart(
    by_year: pd.DataFrame,
    goals: pd.DataFrame,
    title: str,
    plan_ref: str,
    synthetic: bool,
    district: pd.DataFrame | None = None,
    view_label: str | None = None,
):
    """One small panel per measured goal: the yearly value and the target line. With ``district``
    (a 街道 view) the district's values are drawn beside the view's, and the line is marked as the
    district's target: the 街道 is not judged against it."""
    g = goals[goals["measure"].notna()].reset_index(drop=True)
    fig, axes = panel_grid(len(g), 2.9, 3.0, 1.0)
    years = by_year.index.to_list()
    for ax, row in zip(axes, g.itertuples()):
        scale = 100 if row.unit == "比例" else 1
        values = by_year[row.measure] * scale
        ax.plot(years, values, marker="o", color="#4575b4", label=view_label or "年度实际 yearly")
        if district is not None:
            ax.plot(years, district[row.measure] * scale, marker="s", color="#969696", lw=1, label="全区 district")
        for x, v in zip(years, values):
            ax.annotate(f"{v:.2f}", (x, v), textcoords="offset points", xytext=(0, 6), ha="center", fontsize=8)
        ax.axhline(row.value * scale, color=MISSED_COLOR, ls="--", lw=1.2)
        whose = "全区" if district is not None else ""
        ax.text(
            years[0],
            row.value * scale,
            f"{whose}{row.deadline}目标 {row.value * scale:g}",
            va="bottom",
            fontsize=8,
            color=MISSED_COLOR,
        )
        drawn = values if district is None else pd.concat([values, district[row.measure] * scale])
        lo, hi = min(drawn.min(), row.value * scale), max(drawn.max(), row.value * scale)
        ax.set_ylim(lo - 0.15 * (hi - lo + 1e-9), hi + 0.25 * (hi - lo + 1e-9))
        ax.set_xticks(years)
        ax.set_title(wrap_chars(row.text, 11), fontsize=9)
        unit_label(ax, "%" if scale == 100 else row.unit)
    handles = axes[0].get_legend_handles_labels()[0]  # one legend for all panels, under the title, off the data
    target = "全区目标 district target" if district is not None else "目标 target"
    finish(fig, title, plan_ref, synthetic, legend_handles=[*handles, target_handle(MISSED_COLOR, target)])
    return fig


def yearly_bars(
    table: pd.DataFrame,
    x: str,
    y: str,
    title: str,
    ylabel: str,
    plan_ref: str,
    synthetic: bool,
    target: float | None = None,
    target_label: str | None = None,
    labels: list[str] | None = None,
):
    """Vertical bars of ``y`` per year with an optional target line and bar labels."""
    fig, ax = plt.subplots(figsize=(7, 3.8))
    xs = table[x].astype(str)
    bars = ax.bar(xs, table[y], color="#4575b4", width=0.6)
    for bar, text in zip(bars, labels or [f"{v:,.1f}" for v in table[y]]):
        ax.annotate(
            text,
            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
            textcoords="offset points",
            xytext=(0, 3),
            ha="center",
            va="bottom",
            fontsize=8,
        )
    if target is not None:
        ax.axhline(target, color=MISSED_COLOR, ls="--", lw=1.4, label=target_label)
        ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    unit_label(ax, ylabel)
    ax.set_ylim(0, max(table[y].max(), target or 0) * 1.22 + 1e-9)
    finish(fig, title, plan_ref, synthetic)
    return fig


def stacked_bars(
    table: pd.DataFrame,
    title: str,
    ylabel: str,
    plan_ref: str,
    synthetic: bool,
    target: float | None = None,
    target_label: str | None = None,
    cumulative: bool = False,
):
    """Bars per year (index) stacked by category (columns); with ``cumulative`` the running total of
    the plan period is drawn as a line against ``target``."""
    fig, ax = plt.subplots(figsize=(7.5, 4))
    import seaborn as sns

    colors = sns.color_palette("Set2", n_colors=len(table.columns))
    bottom = np.zeros(len(table))
    xs = table.index.astype(str)
    for col, color in zip(table.columns, colors):
        ax.bar(xs, table[col].to_numpy(), bottom=bottom, color=color, label=str(col), width=0.6)
        bottom += table[col].to_numpy()
    for x, total in zip(xs, bottom):
        ax.annotate(f"{total:,.0f}", (x, total), textcoords="offset points", xytext=(0, 3), ha="center", fontsize=8)
    top = bottom.max()
    if cumulative:
        running = bottom.cumsum()
        ax.plot(xs, running, color="#252525", marker="o", label="累计 cumulative")
        for x, v in zip(xs, running):
            ax.annotate(f"累计 {v:,.0f}", (x, v), textcoords="offset points", xytext=(0, 6), ha="center", fontsize=8)
        top = max(top, running.max())
    if target is not None:
        ax.axhline(target, color=MISSED_COLOR, ls="--", lw=1.3, label=target_label)
        top = max(top, target)
    ax.set_ylim(0, top * 1.2 + 1e-9)
    unit_label(ax, ylabel)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    finish(fig, title, plan_ref, synthetic)
    return fig


def task_chart(task_rows: pd.DataFrame, year: int, plan_ref: str, synthetic: bool):
    """任务N: one panel per target, ``PANELS_PER_ROW`` a row: yearly values (bars), the target
    (dashed), and for targets counted over the plan period the running total (line); the unit written
    horizontally above the axis, the legend under the panel (every series in it), the status in the
    panel's title."""
    first = task_rows.iloc[0]
    fig, axes = panel_grid(len(task_rows), 3.4, 3.5, 0.9)
    for ax, r in zip(axes, task_rows.itertuples()):
        series = r.series
        scale = 100 if r.unit == "比例" else 1
        if series is None or series.dropna().empty:
            ax.text(0.5, 0.5, "无数据 no data", ha="center", va="center", transform=ax.transAxes)
            ax.set_xticks([])
            ax.set_yticks([])
        else:
            s = series.dropna() * scale
            xs = [str(int(y)) for y in s.index]
            ax.bar(xs, s.to_numpy(), color="#4575b4", width=0.6, label="年度实际 yearly")
            top = s.max()
            if r.basis == "new":
                plan = s[s.index >= 2022].cumsum()
                ax.plot(
                    [str(int(y)) for y in plan.index], plan.to_numpy(), color="#252525", marker="o", lw=1.2, label="方案期累计"
                )
                top = max(top, plan.max() if len(plan) else 0)
            if r.value is not None and r.value == r.value:
                ax.axhline(
                    r.value * scale,
                    color=MISSED_COLOR,
                    ls="--",
                    lw=1.2,
                    label=f"目标 {r.comparator}{format_value(r.value, r.unit)}",
                )
                top = max(top, r.value * scale)
            ax.set_ylim(min(0, s.min()), top * 1.15 + 1e-9)
            ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2, frameon=False)
            unit_label(ax, "%" if scale == 100 else r.unit, beside_title=True)
        ax.set_title(
            f"{wrap_chars(r.text, 16)}\n【{r.status}】",
            fontsize=9.5,
            color=STATUS_COLORS[r.status] if r.status in STATUS_TEXT_WHITE else "#252525",
        )
    finish(fig, f"任务{first.task} {first.title}（牵头单位：{first.lead_unit}；{year}年）", plan_ref, synthetic)
    return fig


def before_after_chart(before: pd.Series, after: pd.Series, goals: pd.DataFrame, title: str, plan_ref: str, synthetic: bool):
    """Per measured goal: the 规上 figure before and after the scenario, and the target."""
    g = goals[goals["measure"].notna()].reset_index(drop=True)
    fig, axes = panel_grid(len(g), 2.9, 3.1, 1.0)
    for ax, row in zip(axes, g.itertuples()):
        scale = 100 if row.unit == "比例" else 1
        values = [before[row.measure] * scale, after[row.measure] * scale]
        colors = ["#969696", MET_COLOR if COMPARATORS[row.comparator](after[row.measure], row.value) else MISSED_COLOR]
        ax.bar(["现状", "情景后"], values, color=colors, width=0.6)
        for x, v in enumerate(values):
            ax.text(x, v, f"{v:.2f}", ha="center", va="bottom", fontsize=8)
        ax.axhline(row.value * scale, color=TARGET_COLOR, ls="--", lw=1.2)
        ax.set_ylim(0, max(values + [row.value * scale]) * 1.2)
        ax.set_title(wrap_chars(row.text, 11), fontsize=9)
        unit_label(ax, "%" if scale == 100 else row.unit)
    legend = [
        Patch(color="#969696", label="现状 now"),
        Patch(color=MET_COLOR, label="情景后达标 met after"),
        Patch(color=MISSED_COLOR, label="情景后未达标 not met after"),
        target_handle(),
    ]
    finish(fig, title, plan_ref, synthetic, legend_handles=legend)
    return fig


def sensitivity_chart(
    grid: pd.DataFrame, metric: str, target: float, smallest: pd.Series, title: str, ylabel: str, plan_ref: str, synthetic: bool
):
    """The metric after the scenario against the exit line, one line per re-let density, with the target
    and the smallest line that reaches it marked."""
    fig, ax = plt.subplots(figsize=(8, 4))
    for density, g in grid.groupby("density"):
        ax.plot(g["threshold"], g[metric], marker="o", label=f"再利用强度 density ×{density:g}")
        line = smallest.get(density)
        if line == line and line is not None:
            y = g.loc[g["threshold"] == line, metric].iloc[0]
            ax.annotate(f"最小出清线 {line:g}", (line, y), textcoords="offset points", xytext=(6, -14), fontsize=8)
            ax.plot([line], [y], marker="*", markersize=14, color="black")
    ax.axhline(target, color=MISSED_COLOR, ls="--", lw=1.3, label=f"目标 {target:g}")
    ax.set_xlabel("退出企业亩均税收线（万元/亩）exit line")
    unit_label(ax, ylabel)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    finish(fig, title, plan_ref, synthetic)
    return fig


def tornado_chart(table: pd.DataFrame, title: str, xlabel: str, plan_ref: str, synthetic: bool, target: float | None = None):
    """Horizontal bars from the result at each setting's low value to its high value, around the base."""
    fig, ax = plt.subplots(figsize=(8, 0.55 * len(table) + 1.6))
    for y, r in enumerate(table.itertuples()):
        lo, hi = sorted([r.at_low, r.at_high])
        ax.barh(y, hi - lo, left=lo, color="#4575b4", height=0.5)
        ax.text(lo, y, f"{r.at_low:.1f} ", ha="right", va="center", fontsize=8)
        ax.text(hi, y, f" {r.at_high:.1f}", ha="left", va="center", fontsize=8)
    lo_all = min(table["at_low"].min(), table["at_high"].min(), target if target is not None else float("inf"))
    hi_all = max(table["at_low"].max(), table["at_high"].max(), target if target is not None else float("-inf"))
    pad = 0.12 * (hi_all - lo_all) + 1e-9
    ax.set_xlim(lo_all - pad, hi_all + pad)
    ax.set_yticks(range(len(table)))
    ax.set_yticklabels([f"{r.setting}: {r.low:g} → {r.high:g}" for r in table.itertuples()], fontsize=8)
    ax.axvline(table["base"].iloc[0], color="#252525", lw=1, label="基准情景 base")
    if target is not None:
        ax.axvline(target, color=MISSED_COLOR, ls="--", lw=1.3, label=f"目标 {target:g}")
    ax.set_xlabel(xlabel)
    ax.legend(fontsize=8, loc="lower right", bbox_to_anchor=(1.0, 1.0), frameon=False)
    finish(fig, title, plan_ref, synthetic)
    return fig


def waterfall_chart(
    start: float,
    parts: dict[str, float],
    end: float,
    labels: tuple[str, str],
    title: str,
    unit: str,
    plan_ref: str,
    synthetic: bool,
):
    """A waterfall from ``start`` to ``end`` through ``parts`` {label: contribution} (rises in
    green, falls in red, each labelled with its signed value); ``labels`` name the two end bars."""
    names = [labels[0], *parts, labels[1]]
    fig, ax = plt.subplots(figsize=(8, 4.2))
    level = start
    ax.bar(0, start, color="#969696", width=0.6)
    ax.text(0, start, f"{start:,.2f}", ha="center", va="bottom", fontsize=9)
    for i, value in enumerate(parts.values(), start=1):
        bottom = level if value >= 0 else level + value
        ax.bar(i, abs(value), bottom=bottom, color=MET_COLOR if value >= 0 else MISSED_COLOR, width=0.6)
        ax.text(i, max(level, level + value), f"{value:+,.2f}", ha="center", va="bottom", fontsize=9)
        ax.plot([i - 1.3, i + 0.3], [level, level], color="#737373", lw=0.8, ls=":")  # the level carried over
        level += value
    ax.bar(len(names) - 1, end, color="#4575b4", width=0.6)
    ax.text(len(names) - 1, end, f"{end:,.2f}", ha="center", va="bottom", fontsize=9)
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels([n if "\n" in n else wrap_chars(n, 8) for n in names], fontsize=9)
    levels = np.cumsum([start, *parts.values()])  # the level after each step
    lo, hi = min(0.0, levels.min()), max(end, levels.max())
    ax.set_ylim(lo, hi * 1.15 + 1e-9)
    unit_label(ax, unit)
    legend = [Patch(color=MET_COLOR, label="提升 raises"), Patch(color=MISSED_COLOR, label="拉低 lowers")]
    finish(fig, title, plan_ref, synthetic, legend_handles=legend)
    return fig


def event_study_chart(panels: list[dict], title: str, plan_ref: str, synthetic: bool):
    """One panel per outcome: the effect by years since onset with its interval, the reference year
    (the year before onset) at 0, the years before onset shaded. ``panels``: dicts with ``title``,
    ``unit`` and ``coefficients`` (event_time, estimate, ci_low, ci_high); keep titles short (the
    unit sits at the panel's top left)."""
    fig, axes = panel_grid(len(panels), 3.4, 3.2, 1.0)
    for ax, p in zip(axes, panels):
        c = p["coefficients"]
        ax.axhline(0, color="#737373", lw=0.8)
        ax.axvspan(c["event_time"].min() - 0.5, -0.5, color="#f0f0f0", zorder=0)
        est = c[c["event_time"] != -1]  # the reference year is 0 by construction: a hollow dot, no interval
        ax.errorbar(
            est["event_time"],
            est["estimate"],
            yerr=[est["estimate"] - est["ci_low"], est["ci_high"] - est["estimate"]],
            fmt="o",
            color="#2166ac",
            ecolor="#6baed6",
            elinewidth=2,
            capsize=3,
        )
        ref = c[c["event_time"] == -1]
        ax.plot(ref["event_time"], ref["estimate"], "o", mfc="white", mec="#2166ac", zorder=3)
        ax.set_xticks(list(c["event_time"]))
        ax.set_xlabel("距整治开始年数 years since onset", fontsize=9)
        ax.set_title(p["title"], fontsize=10, loc="right")
        unit_label(ax, p["unit"])
    legend = [
        Line2D([], [], color="#2166ac", marker="o", ls="", label="估计及置信区间 estimate, interval"),
        Line2D([], [], color="#2166ac", marker="o", mfc="white", ls="", label="参照年 reference (−1)"),
        Patch(color="#f0f0f0", label="整治前 before onset"),
    ]
    finish(fig, title, plan_ref, synthetic, legend_handles=legend)
    return fig
