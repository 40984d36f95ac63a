"""Charts a reader can read: the A–D palette stays distinct under colour-vision deficiencies; small
multiples wrap, write their units level and keep legends off the data; no text is smaller than a set
size at the width the page shows it (every report chart is checked in ``tests/pages.run_sections``)."""

from __future__ import annotations

import itertools

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_rgb  # noqa: E402

from helpers.viz import charts  # noqa: E402
from helpers.viz.style import (  # noqa: E402
    CLASS_COLORS,
    MIN_TEXT_PX,
    PAGE_WIDTH_PX,
    UNRATED_COLOR,
    legends_on_data,
    setup_plotting,
    smallest_text_px,
)

# Machado, Oliveira & Fernandes (2009), "A physiologically-based model for simulation of color vision
# deficiency", IEEE TVCG 15(6), severity 1.0 matrices, applied to linear RGB.
MACHADO = {
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]],
}
MIN_DELTA_E = 12.0  # CIE76 ΔE between any two classes (and 未参评) as a colour-blind reader sees them


def _linear(rgb):
    rgb = np.asarray(rgb, dtype=float)
    return np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)


def _lab(linear_rgb):
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ np.clip(linear_rgb, 0, 1)
    xyz = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 216 / 24389, np.cbrt(xyz), (24389 / 27 * xyz + 16) / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def seen(colour: str, deficiency: str | None) -> np.ndarray:
    lin = _linear(to_rgb(colour))
    if deficiency:
        lin = np.asarray(MACHADO[deficiency]) @ lin
    return _lab(lin)


@pytest.mark.parametrize("deficiency", [None, *MACHADO])
def test_the_class_palette_stays_distinct_for_colour_blind_readers(deficiency):
    colours = {**CLASS_COLORS, "未参评": UNRATED_COLOR}
    for (a, ca), (b, cb) in itertools.combinations(colours.items(), 2):
        delta = float(np.linalg.norm(seen(ca, deficiency) - seen(cb, deficiency)))
        assert delta >= MIN_DELTA_E, f"{a} and {b} under {deficiency}: ΔE {delta:.1f}"


def test_the_old_red_green_palette_fails_the_same_test():
    """The check can fail: the former red–green A–D colours merge for a deuteranope."""
    old = {"A": "#1a9850", "B": "#91cf60", "C": "#fc8d59", "D": "#d73027"}
    deltas = [
        float(np.linalg.norm(seen(x, "deuteranopia") - seen(y, "deuteranopia")))
        for x, y in itertools.combinations(old.values(), 2)
    ]
    assert min(deltas) < MIN_DELTA_E


def _task_rows(n: int) -> pd.DataFrame:
    series = pd.Series({2021: 10.0, 2022: 20.0, 2023: 30.0})
    return pd.DataFrame(
        {
            "task": [17] * n,
            "title": ["全面实施企业数字化技术改造"] * n,
            "lead_unit": ["区经科局"] * n,
            "text": [f"规上工业企业数字化改造第{k}项指标覆盖" for k in range(n)],
            "comparator": [">="] * n,
            "value": [40.0] * n,
            "unit": ["个"] * n,
            "basis": ["new" if k % 2 else "level" for k in range(n)],
            "series": [series] * n,
            "status": ["达标"] * n,
        }
    )


@pytest.mark.parametrize("n", [1, 3, 7, 9])
def test_task_charts_wrap_and_keep_their_text_legible(n):
    setup_plotting()
    fig = charts.task_chart(_task_rows(n), 2023, "临平政办〔2022〕92号 三、主要任务 任务17", True)
    panels = [ax for ax in fig.axes if ax.get_visible() and ax.has_data()]
    assert len(panels) == n
    rows = {round(ax.get_position().y0, 3) for ax in panels}
    assert max(sum(1 for ax in panels if round(ax.get_position().y0, 3) == y) for y in rows) <= charts.PANELS_PER_ROW
    assert smallest_text_px(fig, PAGE_WIDTH_PX) >= MIN_TEXT_PX
    for ax in panels:  # units are written horizontally, every series has its legend entry
        assert all(t.get_rotation() == 0 for t in ax.texts)
        assert ax.yaxis.label.get_text() == ""
        assert "年度实际 yearly" in [t.get_text() for t in ax.get_legend().get_texts()]
    plt.close(fig)


def test_the_size_check_can_fail():
    setup_plotting()
    fig, ax = plt.subplots(figsize=(34, 4))
    ax.set_title("a panel squeezed into a very wide figure", fontsize=8)
    assert smallest_text_px(fig, PAGE_WIDTH_PX) < MIN_TEXT_PX
    plt.close(fig)


def _goals(n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "text": [f"规上工业第{k}项主要指标达到目标值" for k in range(n)],
            "measure": [f"m{k}" for k in range(n)],
            "unit": ["万元/亩", "比例", "个", "万元/吨标准煤", "比例"][:n],
            "value": [41.0, 0.25, 6.0, 3.0, 0.025][:n],
            "comparator": [">="] * n,
            "deadline": [2023] * n,
            "actual": [38.6, 0.253, 5.0, 3.04, 0.0241][:n],
            "met": [False, True, False, True, False][:n],
        }
    )


def _charts_of_goals(n: int) -> list:
    g = _goals(n)
    by_year = pd.DataFrame({m: [v * 0.9, v * 0.95, v * 1.02] for m, v in zip(g["measure"], g["value"])}, index=[2021, 2022, 2023])
    ref = "临平政办〔2022〕92号 二、实施目标"
    return [
        charts.goals_chart(g, "图1 规上工业主要指标对标2023年目标", ref, True),
        charts.trend_chart(by_year, g, "图0 规上工业主要指标年度走势", ref, True),
        charts.trend_chart(by_year, g, "图0 走势（东湖街道）", ref, True, district=by_year * 1.1, view_label="东湖街道"),
        charts.before_after_chart(by_year.loc[2022], by_year.loc[2023], g, "图1 现状与情景后", ref, True),
    ]


@pytest.mark.slow
@pytest.mark.parametrize("n", [5, 1, 3])
def test_goal_small_multiples_wrap_keep_units_level_and_legends_off_the_data(n):
    from tests.pages import assert_legible

    setup_plotting()
    for fig in _charts_of_goals(n):
        assert_legible(fig, fig.texts[0].get_text())
        panels = [ax for ax in fig.axes if ax.get_visible()]
        assert len(panels) == n
        assert len({round(ax.get_position().y0, 3) for ax in panels}) == -(-n // charts.PANELS_PER_ROW)
        labels = [t.get_text() for lg in fig.legends for t in lg.get_texts()]
        assert any("目标" in t for t in labels), labels  # the target line is in the legend
        for ax in panels:  # the unit is written level, above the axis
            assert ax.get_ylabel() == "" and any(t.get_rotation() == 0 and t.get_text() for t in ax.texts)
        plt.close(fig)


def test_the_legend_and_label_checks_can_fail():
    from tests.pages import assert_legible

    setup_plotting()
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.plot([0, 1], [0, 1], label="actual")
    ax.axhline(0.9, ls="--", label="target")
    ax.legend(loc="upper left")  # on the target line
    assert legends_on_data(fig)
    ax.get_legend().remove()
    ax.set_ylabel("万元/亩")  # rotated
    with pytest.raises(AssertionError, match="rotated y label"):
        assert_legible(fig, "probe")
    plt.close(fig)


def test_the_recorded_theme_is_seaborns():
    """Kernels set seaborn's whitegrid/notebook theme from a recorded file (no seaborn import at
    start): the file is what seaborn gives today, and applying it sets the same rcParams and colour
    codes as seaborn.set_theme."""
    import json

    import matplotlib as mpl
    import seaborn as sns

    from helpers.viz.style import THEME_FILE, apply_theme, seaborn_theme

    assert json.loads(THEME_FILE.read_text(encoding="utf-8")) == json.loads(json.dumps(seaborn_theme()))
    codes_before = {c: mpl.colors.colorConverter.colors[c] for c in "bgrmyck"}
    try:
        with mpl.rc_context():
            mpl.rcdefaults()
            apply_theme()
            ours, our_codes = dict(mpl.rcParams), {c: mpl.colors.to_rgb(c) for c in "bgrmyck"}
            mpl.rcdefaults()
            for c, v in codes_before.items():
                mpl.colors.colorConverter.colors[c] = v
            sns.set_theme(style="whitegrid", context="notebook")
            theirs, their_codes = dict(mpl.rcParams), {c: mpl.colors.to_rgb(c) for c in "bgrmyck"}
    finally:
        for c, v in codes_before.items():
            mpl.colors.colorConverter.colors[c] = v
    assert ours == theirs
    assert our_codes == their_codes and our_codes["k"] == (0.1, 0.1, 0.1)


@pytest.mark.slow
@pytest.mark.parametrize("n", [1, 4, 9])
def test_a_chart_laid_out_with_each_box_measured_once_is_the_same_to_the_pixel(n, monkeypatch):
    """``finish`` lets matplotlib's tight layout measure each axes once (``measured_once``): the
    axes land where the plain layout puts them and the PNG is the same byte for byte; each axes is
    measured once, not twice, and measures as usual afterwards."""
    import contextlib
    import io

    from helpers.viz import style

    setup_plotting()
    pngs, positions, calls = {}, {}, {}
    original = matplotlib.axes.Axes.get_tightbbox
    for plain in (True, False):
        counted = {"n": 0}

        def counting(self, *args, _counted=counted, **kwargs):
            _counted["n"] += kwargs.get("for_layout_only", False)
            return original(self, *args, **kwargs)

        with monkeypatch.context() as m:
            m.setattr(matplotlib.axes.Axes, "get_tightbbox", counting)
            if plain:
                m.setattr(style, "measured_once", contextlib.nullcontext)
            fig = charts.task_chart(_task_rows(n), 2023, "任务17", True)
        calls[plain] = counted["n"]
        positions[plain] = [tuple(ax.get_position().bounds) for ax in fig.axes]
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", bbox_inches="tight")
        pngs[plain] = buffer.getvalue()
        assert all("get_tightbbox" not in vars(ax) for ax in fig.axes)
        plt.close(fig)
    assert positions[True] == positions[False] and pngs[True] == pngs[False]
    visible = sum(1 for k in range(-(-n // charts.PANELS_PER_ROW) * min(n, charts.PANELS_PER_ROW)) if k < n)
    assert calls[True] == 2 * visible and calls[False] == visible
