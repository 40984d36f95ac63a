"""The house style of every chart and map: the CJK font, the A–D class colours, and the footer that
ties a figure to the plan and says when the data are synthetic.

The font is Noto Sans CJK SC (SIL Open Font License) shipped inside the PyPI package
``mplfonts``, a project dependency; it is registered with matplotlib here, so no system font is
assumed. DejaVu Sans stays first in the fallback list for Latin text and digits; CJK characters
fall back to Noto Sans CJK SC.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import textwrap
from pathlib import Path

import matplotlib as mpl
import numpy as np
from cycler import cycler
from matplotlib import font_manager

from helpers.plan.tasks import STREET_VIEW
from helpers.viz import text_metrics

CJK_FONT_FILE = "NotoSansCJKsc-Regular.otf"
CJK_FAMILY = "Noto Sans CJK SC"
# A–D from ColorBrewer's RdBu (blue best, red worst): distinct for protanopes, deuteranopes and
# tritanopes (tests/test_chart_style.py simulates each), unlike the former red–green ramp.
CLASS_COLORS = {"A": "#2166ac", "B": "#92c5de", "C": "#f4a582", "D": "#b2182b"}
UNRATED_COLOR = "#bdbdbd"
SYNTHETIC_NOTE = "数据为合成样本，非真实企业数据 / Synthetic sample data"
MET_COLOR, MISSED_COLOR, TARGET_COLOR = "#1a9850", "#d73027", "#252525"

STATUS_COLORS = {  # a target's status, in the dashboards' chips and the task charts' titles
    "达标": "#1a9850",
    "按进度": "#91cf60",
    "落后": "#d73027",
    "无数据": "#bdbdbd",
    "无量化目标": "#d9d9d9",
    STREET_VIEW: "#6baed6",
}
STATUS_TEXT_WHITE = ("达标", "落后")  # statuses whose colour is dark enough for white text


def format_value(value, unit: str) -> str:
    """A target's or an actual value as the dashboards and task charts print it (比例 as %)."""
    if value is None or value != value:
        return "—"
    if unit == "比例":
        return f"{100 * value:.2f}%" if abs(value) < 0.1 else f"{100 * value:.1f}%"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}".rstrip("0").rstrip(".")


PAGE_WIDTH_PX = 1000  # the width a report page shows a chart at (a laptop's reading column), px
MIN_TEXT_PX = 8.0  # no chart text smaller than this at PAGE_WIDTH_PX (tests/test_chart_style.py)


# seaborn's set_theme(style="whitegrid", context="notebook"), recorded by ``write_theme`` so that a
# kernel does not import seaborn (and scipy.stats with it, about a second) only to set rcParams;
# tests/test_chart_style.py checks the file against seaborn itself.
THEME_FILE = Path(__file__).parent / "static" / "seaborn_whitegrid_notebook.json"


def seaborn_theme() -> dict:
    """What ``seaborn.set_theme(style="whitegrid", context="notebook")`` sets: the rcParams of its
    context and style (font family ``sans-serif``), the colour cycle (``deep``), the colour codes
    b g r m y c k it remaps, and the colormap its style makes the default (``rocket``, which seaborn
    registers with matplotlib when imported)."""
    import seaborn as sns
    from seaborn.palettes import SEABORN_PALETTES

    rc = {**sns.plotting_context("notebook"), **sns.axes_style("whitegrid"), "font.family": "sans-serif"}
    codes = dict(zip("bgrmyck", [*SEABORN_PALETTES["deep6"], (0.1, 0.1, 0.1)]))
    cmap = mpl.colormaps[rc["image.cmap"]]
    assert isinstance(cmap, mpl.colors.ListedColormap), f"seaborn's {rc['image.cmap']} is not a listed colormap"
    return {
        "rc": {k: (list(v) if isinstance(v, tuple) else v) for k, v in rc.items()},
        "prop_cycle": [list(c) for c in sns.color_palette("deep")],
        "color_codes": {k: list(mpl.colors.to_rgb(v)) for k, v in codes.items()},
        "colormap": {"name": rc["image.cmap"], "colors": np.asarray(cmap.colors, dtype=float).tolist()},
    }


def write_theme(path: Path = THEME_FILE) -> Path:
    """Record ``seaborn_theme`` in ``path`` (run again after a seaborn upgrade changes its theme)."""
    path.write_text(json.dumps(seaborn_theme(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return path


def apply_theme(path: Path = THEME_FILE) -> None:
    """Set the recorded seaborn theme: the same rcParams, colour cycle and colour codes as
    ``seaborn.set_theme(style="whitegrid", context="notebook")``."""
    theme = json.loads(path.read_text(encoding="utf-8"))
    cmap = theme["colormap"]
    if cmap["name"] not in mpl.colormaps:  # seaborn, when imported, has registered the same
        mpl.colormaps.register(mpl.colors.ListedColormap(cmap["colors"], name=cmap["name"]))
    mpl.rcParams.update(theme["rc"])
    mpl.rcParams["axes.prop_cycle"] = cycler("color", [tuple(c) for c in theme["prop_cycle"]])
    for code, rgb in theme["color_codes"].items():
        mpl.colors.colorConverter.colors[code] = tuple(rgb)


def cjk_font_path() -> Path:
    """Path of the bundled Noto Sans CJK SC font (inside the installed ``mplfonts`` package)."""
    spec = importlib.util.find_spec("mplfonts")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            "the package 'mplfonts' (bundled Noto Sans CJK SC font) is not installed; run `make env` or `pip install -e .`"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "fonts" / CJK_FONT_FILE
    if not path.is_file():
        raise RuntimeError(f"font file {path} is missing from the mplfonts package")
    return path


def in_kernel() -> bool:
    """True inside a Jupyter kernel (JupyterLab, papermill, nbval)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipykernel
        return False
    shell = get_ipython()
    return shell is not None and "IPKernelApp" in shell.config


PNG_COMPRESS_LEVEL = 3
"""zlib level of the charts a notebook shows (Pillow's default is 6). On the 50 charts of the default
report, level 3 encodes in 0.78 s against 1.14 s and the images come out 4 % smaller (4.33 against
4.53 MB); the pixels are the same."""


def setup_plotting(dpi: int = 110) -> None:
    """House style with the CJK font registered (and ``text_metrics`` installed); call once at the
    top of a notebook.

    Inside a kernel the inline backend is switched on, whatever ``MPLBACKEND`` says, so that
    figures are embedded in the notebook (and its HTML) rather than drawn nowhere; their PNG is
    compressed at ``PNG_COMPRESS_LEVEL`` (the backend's other settings, the tight crop and the
    formats, kept; where a user chose other formats than PNG, nothing is changed)."""
    if in_kernel():
        from IPython import get_ipython
        from matplotlib_inline.backend_inline import InlineBackend, set_matplotlib_formats

        get_ipython().run_line_magic("matplotlib", "inline")
        formats = set(InlineBackend.instance().figure_formats)
        if formats <= {"png", "retina", "png2x"}:  # a user's SVG, PDF or JPEG settings are left as they are
            set_matplotlib_formats(*sorted(formats), pil_kwargs={"compress_level": PNG_COMPRESS_LEVEL})
    font_manager.fontManager.addfont(str(cjk_font_path()))
    text_metrics.install()  # the same pixels, drawn sooner (helpers.viz.text_metrics)
    apply_theme()
    mpl.rcParams.update(
        {
            "font.family": ["DejaVu Sans", CJK_FAMILY],
            "axes.unicode_minus": True,
            "figure.dpi": dpi,
            "savefig.dpi": dpi,
            "figure.autolayout": False,
            "axes.titleweight": "normal",  # the bundled CJK font has one weight; no faux bold
            "axes.titlesize": 12,
            "axes.titlelocation": "left",
        }
    )


def without_idle_redraws(fig):
    """``fig`` with its canvas's ``draw_idle`` made a no-op. geopandas asks for a full redraw after
    every layer it plots (``plot_series`` → ``draw_idle``, which the Agg and inline canvases honour at
    once), so an 8-panel map was drawn some 50 times; it is still drawn in full when shown or saved
    (``print_figure`` draws), so the pixels are the same."""
    fig.canvas.draw_idle = lambda *args, **kwargs: None
    return fig


TITLE_IN, LEGEND_ROW_IN = 0.38, 0.14  # height of the title, and of a legend row under it (inches)


def finish(
    fig, title: str, plan_ref: str, synthetic: bool, source: str | None = None, legend_handles: list | None = None
) -> None:
    """Title on top; with ``legend_handles`` one legend row under the title, for every panel (off the
    data); plan reference, data source and the synthetic-data note at the bottom."""
    fig.suptitle(title, x=0.01, ha="left", fontsize=13.5)
    top = 0.95
    if legend_handles:
        height = fig.get_figheight()
        fig.legend(
            handles=legend_handles,
            loc="upper left",
            bbox_to_anchor=(0.01, 1 - TITLE_IN / height),
            ncol=len(legend_handles),
            fontsize=8,
            frameon=False,
        )
        top = 1 - (TITLE_IN + LEGEND_ROW_IN) / height
    foot = [f"对应方案 / Plan: {plan_ref}"]
    if source:
        foot.append(source)
    if synthetic:
        foot.append(SYNTHETIC_NOTE)
    width_chars = int(fig.get_figwidth() * 13)
    lines = textwrap.wrap("；".join(foot), width=width_chars)
    fig.text(0.01, 0.005, "\n".join(lines), ha="left", va="bottom", fontsize=8, color="#555555")
    bottom = 0.015 + 0.11 * len(lines) / fig.get_figheight()
    with measured_once(fig):
        fig.tight_layout(rect=(0, bottom, 1, top))


@contextlib.contextmanager
def measured_once(fig):
    """Within it, each axes of ``fig`` measures its tight bounding box once per renderer. Matplotlib's
    tight layout with a ``rect`` measures every axes twice without moving any in between (two passes
    of ``_auto_adjust_subplotpars``, the second with the margins the first found), and the measure —
    every tick label's extent, the title's place — is most of a chart's time: the second pass is
    given the first one's boxes. The layout, and so every pixel, is the same
    (tests/test_chart_style.py); outside the block the axes measure as usual."""
    patched = []
    for ax in fig.axes:
        if "get_tightbbox" in vars(ax):  # already wrapped or replaced: leave it
            continue
        measure, boxes = ax.get_tightbbox, {}

        def once(renderer=None, *args, _measure=measure, _boxes=boxes, **kwargs):
            if args or set(kwargs) - {"for_layout_only"}:
                return _measure(renderer, *args, **kwargs)
            key = (id(renderer), bool(kwargs.get("for_layout_only")))
            if key not in _boxes:
                _boxes[key] = _measure(renderer, **kwargs)
            return _boxes[key]

        ax.get_tightbbox = once
        patched.append(ax)
    try:
        yield fig
    finally:
        for ax in patched:
            vars(ax).pop("get_tightbbox", None)


def legends_on_data(fig) -> list[str]:
    """Legends that cover data: for every axes, its legend and the figure's legends are checked
    against the axes' lines (target lines included) and bars, in screen coordinates. Empty when every
    legend sits off the data (``tests/test_chart_style.py`` asserts it for every report chart)."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Rectangle

    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    found = []
    for ax in fig.axes:
        if not ax.get_visible() or not ax.axison:
            continue  # maps: legends sit beside them
        frame = ax.get_window_extent(renderer)
        legends = [lg for lg in [ax.get_legend(), *fig.legends] if lg is not None and lg.get_visible()]
        for legend in legends:
            box = legend.get_window_extent(renderer)
            if not box.overlaps(frame):
                continue
            for line in ax.get_lines():
                if isinstance(line, Line2D) and line.get_visible():
                    path = line.get_transform().transform_path(line.get_path())
                    if path.intersects_bbox(box, filled=False):
                        found.append(f"{ax.get_title()[:20]!r}: legend on line {line.get_label()!r}")
            for patch in ax.patches:
                if isinstance(patch, Rectangle) and patch.get_visible() and patch.get_height() and patch.get_width():
                    if patch.get_window_extent(renderer).overlaps(box):
                        found.append(f"{ax.get_title()[:20]!r}: legend on a bar")
                        break
    return found


def unit_label(ax, text: str, beside_title: bool | None = None) -> None:
    """The y axis's unit or label written horizontally above the axis (a rotated "个" reads as an
    arrow, and rotated Chinese reads sideways): left of a panel's title (``beside_title``; None: when
    the axes has a title already), or over the axis of a chart without one."""
    ax.set_ylabel("")
    titled = any(ax.get_title(loc) for loc in ("left", "center", "right")) if beside_title is None else beside_title
    ax.text(0, 1.01 if titled else 1.02, text, transform=ax.transAxes, ha="right" if titled else "left", va="bottom", fontsize=9)


def smallest_text_px(fig, shown_width_px: float = PAGE_WIDTH_PX) -> float:
    """The height in screen pixels of the figure's smallest text when its saved image (tight bounding
    box at ``savefig.dpi``) is shown at most ``shown_width_px`` wide, as a page shows it."""
    from matplotlib.text import Text

    fig.canvas.draw()
    dpi = mpl.rcParams["savefig.dpi"]
    dpi = fig.dpi if dpi == "figure" else float(dpi)
    image_px = fig.get_tightbbox(fig.canvas.get_renderer()).width * dpi
    scale = min(1.0, shown_width_px / image_px)
    sizes = [t.get_fontsize() for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]
    return min(sizes) * dpi / 72 * scale


def wrap_chars(text: str, width: int) -> str:
    return "\n".join(text[i : i + width] for i in range(0, len(text), width))
