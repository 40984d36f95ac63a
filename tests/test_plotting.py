"""Chinese renders with the bundled font: any missing-glyph warning fails."""

import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from helpers.core.geography import load_boundary  # noqa: E402
from helpers.evaluate.breakdowns import breakdown, class_counts  # noqa: E402
from helpers.evaluate.evaluation import evaluate  # noqa: E402
from helpers.plan.goals import above_scale_figures, goals_table  # noqa: E402
from helpers.viz import charts as plotting  # noqa: E402
from helpers.viz import style  # noqa: E402
from helpers.viz.maps import choropleth_map, class_map, hotspot_map, parks_map, street_class_maps  # noqa: E402

pytestmark = pytest.mark.slow  # renders every chart and map type: make test, not make test-fast


def render(fig):
    """Draw the figure to PNG and return the glyph warnings raised while doing so."""
    import io

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(io.BytesIO(), format="png")
    plt.close(fig)
    return [str(w.message) for w in caught if "missing from font" in str(w.message) or "Glyph" in str(w.message)]


@pytest.fixture(scope="module")
def ev(sample):
    style.setup_plotting()
    return evaluate(sample, 2023, "linping_default")


def test_font_is_bundled_and_registered():
    path = style.cjk_font_path()
    assert path.is_file() and path.stat().st_size > 10_000_000
    style.setup_plotting()
    from matplotlib import font_manager

    assert style.CJK_FAMILY in {f.name for f in font_manager.fontManager.ttflist}


def test_without_the_font_glyphs_go_missing():
    """The check itself can fail: DejaVu alone has no 亩."""
    with matplotlib.rc_context({"font.family": ["DejaVu Sans"]}):
        fig, ax = plt.subplots()
        ax.set_title("亩均税收")
        assert render(fig)


def every_chart_type(ev, sample) -> list:
    """One figure of every chart and map type the reports draw."""
    e = ev.evaluated
    rated = ev.parcels[ev.parcels["tax_per_mu"].notna()]
    figs = [
        plotting.goals_chart(goals_table(above_scale_figures(e)), "图 对标目标（万元/亩）−", "二、实施目标", True),
        plotting.distribution_chart(e["tax_per_mu"], 30.0, "亩均税收分布", "亩均税收（万元/亩）", "任务4", True, target=41),
        plotting.breakdown_chart(
            breakdown(e, "street_name"),
            "亩均税收（万元/亩）",
            "street_name",
            "分镇街",
            "万元/亩",
            "任务1",
            True,
            reference=41,
            reference_label="目标 ≥41",
        ),
        plotting.class_share_chart(class_counts(e), "分类占比", "任务2", True),
        class_map(
            ev.parcels, load_boundary(), sample.zones, "宗地分类地图", "任务4", True, highlight=ev.parcels["tax_per_mu"] < 3
        ),
        street_class_maps(ev.parcels, sample.zones, "分镇街地图", "任务1", True),
        hotspot_map(
            rated,
            pd.Series([3, 2, 1, 0, -1, -2, -3] * (len(rated) // 7) + [0] * (len(rated) % 7), index=rated.index),
            load_boundary(),
            sample.zones,
            "热点",
            "任务4",
            True,
            method_note="Gi*，K近邻",
        ),
        choropleth_map(sample.zones.assign(v=range(8)), "v", load_boundary(), "分级设色", "亩均税收（万元/亩）", "任务4", True),
        plotting.yearly_bars(
            pd.DataFrame({"y": [2021, 2022, 2023], "v": [3.0, 2.0, 1.0]}),
            "y",
            "v",
            "出清",
            "面积（亩）",
            "任务4",
            True,
            target=0,
            target_label="目标：出清",
        ),
        plotting.stacked_bars(
            pd.DataFrame({"腾退再利用": [1.0, 2.0], "闲置盘活": [3.0, 1.0]}, index=[2022, 2023]),
            "有机更新",
            "面积（亩）",
            "二、实施目标",
            True,
            target=5,
            target_label="目标",
            cumulative=True,
        ),
        plotting.task_chart(
            pd.DataFrame(
                {
                    "task": [17, 17],
                    "title": ["数字化改造"] * 2,
                    "lead_unit": ["区经科局"] * 2,
                    "text": ["新增工业机器人500台", "跟踪：无数据"],
                    "comparator": [">=", None],
                    "value": [500.0, None],
                    "unit": ["台", ""],
                    "basis": ["new", "measure_only"],
                    "series": [pd.Series({2021: 190.0, 2022: 230.0, 2023: 250.0}), None],
                    "status": ["落后", "无数据"],
                }
            ),
            2023,
            "任务17",
            True,
        ),
        parks_map(
            sample.records["parks"],
            pd.Series([1, 2, 3, 4, 5, 3, 3, 3, 2, 2, 1, 3]),
            ev.parcels,
            load_boundary(),
            sample.zones,
            "小微企业园★",
            "任务5",
            True,
        ),
    ]
    return figs


def test_every_chart_type_renders_without_missing_glyphs(ev, sample):
    for fig in every_chart_type(ev, sample):
        assert render(fig) == []


def test_remembered_font_metrics_draw_the_same_bytes(ev, sample):
    """``text_metrics`` (installed by ``setup_plotting`` on matplotlib 3.11) changes no pixel: every
    chart and map type, drawn as a notebook shows it (PNG, tight crop), is the same bytes with the
    font metrics and text sizes remembered and measured anew on every layout; and they are remembered."""
    import io

    from helpers.viz import text_metrics

    def drawn() -> list[bytes]:
        out = []
        for fig in every_chart_type(ev, sample):
            buffer = io.BytesIO()
            fig.savefig(buffer, format="png", bbox_inches="tight")
            plt.close(fig)
            out.append(buffer.getvalue())
        return out

    assert text_metrics.install() == matplotlib.__version__.startswith(text_metrics.CHECKED_VERSIONS)
    text_metrics.font_height_metrics.cache_clear()
    text_metrics.text_sizes.clear()
    measure = text_metrics._MEASURE_TEXT
    plain_measured = []  # the plain lines that reach matplotlib's own measure

    def counted(renderer, s, prop, ismath):
        plain_measured.extend([s] if ismath is False else [])
        return measure(renderer, s, prop, ismath)

    text_metrics._MEASURE_TEXT = counted
    try:
        remembered = drawn()
    finally:
        text_metrics._MEASURE_TEXT = measure
    if text_metrics.install():  # laid out on one renderer, drawn on another: the draw's sizes remembered
        assert text_metrics.font_height_metrics.cache_info().hits > 100
        sizes = text_metrics.text_sizes
        assert len(plain_measured) == sizes.misses and sizes.hits > sizes.misses
    text_metrics.uninstall()
    try:
        measured = drawn()
    finally:
        text_metrics.install()
    assert len(remembered) == len(measured) == 12
    assert [i for i, (a, b) in enumerate(zip(remembered, measured)) if a != b] == []


def test_remembered_text_sizes_are_matplotlibs_and_leave_mathtext_to_it():
    """A plain line's size is matplotlib's own measure, on any Agg renderer of the dpi, at any size;
    mathtext is measured by matplotlib itself."""
    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.font_manager import FontProperties

    from helpers.viz import text_metrics

    style.setup_plotting()
    if not text_metrics.install():
        pytest.skip("installed on matplotlib 3.11 only")
    cases = [("0", False, 8), ("亩均税收（万元/亩）2023", False, 10), ("$x^2$ 亩", True, 12), ("", False, 9)]
    sizes = {}
    for dpi in (72, 110):
        ours = [RendererAgg(400, 300, dpi).get_text_width_height_descent(t, FontProperties(size=z), m) for t, m, z in cases]
        theirs = [text_metrics._MEASURE_TEXT(RendererAgg(300, 200, dpi), t, FontProperties(size=z), m) for t, m, z in cases]
        assert ours == theirs
        sizes[dpi] = ours
    assert sizes[72][1] != sizes[110][1]  # the dpi is part of the key


def test_remembered_sizes_forget_the_least_recent_and_follow_the_settings():
    """A size is measured again when the least recently used entry made room, when the font
    properties or the hinting change, and not otherwise; changing the caller's properties later does
    not change what was remembered."""
    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.font_manager import FontProperties

    from helpers.viz import text_metrics

    style.setup_plotting()
    sizes = text_metrics.RememberedSizes(maxsize=2)
    renderer = RendererAgg(200, 100, 100)
    prop = FontProperties(size=10)
    first = sizes(renderer, "亩均", prop)
    sizes(renderer, "亩均", prop)
    sizes(renderer, "税收", prop)
    assert (sizes.hits, sizes.misses) == (1, 2)
    sizes(renderer, "亩均", prop)  # now the most recent: "税收" goes when "增加值" comes
    sizes(renderer, "增加值", prop)
    sizes(renderer, "亩均", prop)
    sizes(renderer, "税收", prop)
    assert (sizes.hits, sizes.misses) == (3, 4)
    prop.set_size(20)  # the caller's object changed after it was remembered
    assert sizes(renderer, "亩均", prop) != first and sizes.misses == 5
    sizes.clear()
    assert (sizes.hits, sizes.misses) == (0, 0)
    sizes(renderer, "亩均", FontProperties(size=10))
    sizes(renderer, "亩均", FontProperties(size=10))  # a new object with the same properties: remembered
    with matplotlib.rc_context({"text.hinting": "none"}):
        sizes(renderer, "亩均", FontProperties(size=10))
    assert (sizes.hits, sizes.misses) == (1, 2)


def test_footer_says_synthetic():
    style.setup_plotting()
    fig, _ = plt.subplots()
    style.finish(fig, "标题", "任务1", synthetic=True)
    texts = [t.get_text() for t in fig.texts]
    assert any(style.SYNTHETIC_NOTE in t.replace("\n", "") for t in texts)
    plt.close(fig)
    fig, _ = plt.subplots()
    style.finish(fig, "标题", "任务1", synthetic=False)
    assert not any("合成" in t.get_text() for t in fig.texts)
    plt.close(fig)


def test_breakdown_keeps_order_when_asked():
    t = pd.DataFrame({"k": ["<3亩", "3-10亩", "≥100亩"], "v": [3.0, 1.0, 2.0]})
    fig = plotting.breakdown_chart(t, "v", "k", "规模", "万元/亩", "任务1", False, sort=False)
    labels = [x.get_text() for x in fig.axes[0].get_yticklabels()]
    assert labels == ["≥100亩", "3-10亩", "<3亩"]  # barh draws bottom-up: table order top to bottom
    plt.close(fig)


def _pixels(draw):
    """The RGB pixels of an axes ``draw`` fills, at 80 dpi."""
    import io

    import numpy as np
    from PIL import Image

    fig, ax = plt.subplots(figsize=(4, 4))
    draw(ax)
    ax.set_aspect("equal")  # as every map sets it (geopandas sets it for a projected layer)
    ax.set_axis_off()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80)
    plt.close(fig)
    return np.asarray(Image.open(buf).convert("RGB")).astype(int)


@pytest.mark.parametrize("style_kwargs", [{"color": "#2166ac"}, {"facecolor": "#b2182b", "edgecolor": "#252525", "lw": 0.3}])
def test_a_large_layer_drawn_as_one_path_looks_as_geopandas_draws_it(monkeypatch, style_kwargs):
    """Above COMPOUND_ABOVE polygons a layer is one compound path: the same fill (holes left open,
    multipolygons whole) and edges as geopandas' patch per polygon, to within antialiasing."""
    import geopandas as gpd
    import numpy as np
    import shapely

    from helpers.viz import maps

    cells = [shapely.box(x, y, x + 0.8, y + 0.8) for x in range(12) for y in range(12)]
    cells[5] = cells[5].difference(shapely.box(0.2, 5.2, 0.6, 5.6))  # a hole
    cells[7] = shapely.MultiPolygon([shapely.box(0, 7, 0.3, 7.8), shapely.box(0.5, 7, 0.8, 7.8)])
    layer = gpd.GeoDataFrame(geometry=cells, crs="EPSG:4549")
    by_patches = _pixels(lambda ax: layer.plot(ax=ax, **{"lw": 0, **style_kwargs}))  # geopandas' own, lw as draw_polygons'
    monkeypatch.setattr(maps, "COMPOUND_ABOVE", 0)
    as_one_path = _pixels(lambda ax: maps.draw_polygons(ax, layer, **style_kwargs))
    assert by_patches.shape == as_one_path.shape
    differs = np.abs(by_patches - as_one_path).sum(axis=2) > 60
    assert differs.mean() < 0.0005, differs.mean()
    path = maps.polygons_path(layer.geometry.array)
    assert (path.codes == maps.Path.MOVETO).sum() == 144 + 1 + 1  # every ring: 144 exteriors, a hole, a second part


def _png(draw) -> bytes:
    import io

    fig, ax = plt.subplots(figsize=(4, 4))
    draw(ax)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


@pytest.mark.parametrize(
    "style_kwargs",
    [
        {"color": "#2166ac"},
        {"color": "#2166ac", "alpha": 0.3, "zorder": 3},
        {"facecolor": "#b2182b", "edgecolor": "#252525", "lw": 0.3, "zorder": 4},
        {"facecolor": "#f7f7f7", "edgecolor": "#737373", "lw": 0.8, "ls": "--"},
    ],
)
def test_a_layer_is_drawn_pixel_for_pixel_as_geopandas_draws_it(style_kwargs):
    """Up to COMPOUND_ABOVE polygons ``draw_polygons`` makes the paths geopandas would (normalised
    rings: a clockwise exterior, a start that is not the lowest vertex, holes, multipolygons) without a
    patch each: the PNG is byte for byte geopandas' own, data limits and aspect included, under
    matplotlib's defaults and under the house style (edges forced on). A layer with an empty
    geometry, or in degrees, is left to geopandas."""
    import geopandas as gpd
    import shapely

    from helpers.viz import maps

    cells = [shapely.box(x * 100, y * 100, x * 100 + 80, y * 100 + 80) for x in range(6) for y in range(5)]
    cells[3] = shapely.Polygon([(300, 300), (300, 380), (380, 380), (380, 300)])  # clockwise
    cells[4] = shapely.Polygon([(380, 480), (300, 480), (300, 400), (380, 400)])  # starts at no corner geopandas would
    cells[5] = cells[5].difference(shapely.box(20, 520, 60, 560))  # a hole
    cells[7] = shapely.MultiPolygon([shapely.box(100, 200, 130, 280), shapely.box(150, 200, 180, 280)])
    layer = gpd.GeoDataFrame(geometry=cells, crs="EPSG:4549")
    assert maps._drawn_as_geopandas_draws(layer)
    with_empty = gpd.GeoDataFrame(geometry=[*cells[:3], shapely.Polygon()], crs="EPSG:4549")
    degrees = gpd.GeoDataFrame(geometry=[shapely.box(120.1, 30.3, 120.2, 30.4)], crs="EPSG:4490")
    assert not maps._drawn_as_geopandas_draws(with_empty) and degrees.crs.is_geographic
    as_geopandas = {"lw": 0, **style_kwargs}  # draw_polygons' own default line width
    # matplotlib's defaults, and the house style's white edges forced on every patch (setup_plotting)
    for rc in ({}, {"patch.force_edgecolor": True, "patch.edgecolor": "w"}):
        with matplotlib.rc_context(rc):
            for drawn in (layer, with_empty, degrees):
                ours = _png(lambda ax, drawn=drawn: maps.draw_polygons(ax, drawn, **style_kwargs))
                assert ours == _png(lambda ax, drawn=drawn: drawn.plot(ax=ax, **as_geopandas)), (rc, len(drawn))
