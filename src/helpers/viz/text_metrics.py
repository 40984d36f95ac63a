"""A font's height metrics for text laid out on the Agg canvas, found once per font, size and dpi.

Matplotlib 3.11 measures a font's ascent, descent and line gap every time it lays a text out
(``Text._get_layout``): it finds the font files for the text's properties (one ``findfont`` per
family of the house style's two, each reading five rcParams) and reads the font's OS/2 (or hhea)
and head tables again. A chart lays each tick label out several times (the tight layout, the tight
crop, the draw): on the default report this was 4 % of the kernels' CPU, and 12–15 % of drawing the
tracker's fifteen task charts (4.0–4.3 s, 3.5–3.6 s with ``install``).

A renderer may answer that question itself (``_get_font_height_metrics(prop)``; matplotlib's PDF
and PostScript renderers do). ``install`` gives the Agg renderer one that computes the same three
numbers in the same way, and remembers them by the font properties, the renderer's dpi (the
figure's, which ``_get_layout`` uses: every Agg renderer is made at the figure's dpi), the generic
families of rcParams and the number of fonts registered (``findfont`` depends on both). The same
numbers, so the same pixels: tests/test_plotting.py compares the PNG bytes of every chart and map
type drawn with and without it.

It is installed only on matplotlib 3.11 (where ``_get_layout`` asks for it and the answer is known
to be the same), and never over a method the renderer has of its own.
"""

from __future__ import annotations

import functools
from typing import Any

import matplotlib as mpl
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.font_manager import FontProperties, fontManager, get_font

CHECKED_VERSIONS = ("3.11.",)  # matplotlib versions whose _get_layout this reproduces
GENERIC_FAMILIES = ("font.serif", "font.sans-serif", "font.cursive", "font.fantasy", "font.monospace")
# where _get_layout reads the metrics: the typographic ones, else the horizontal header's
TABLES = (("OS/2", "sTypoLineGap", "sTypoAscender", "sTypoDescender"), ("hhea", "lineGap", "ascent", "descent"))


@functools.lru_cache(maxsize=4096)
def font_height_metrics(prop: FontProperties, dpi: float, families: tuple, fonts: int) -> tuple:
    """Ascent, descent and line gap (pixels at ``dpi``) of the font ``prop`` finds, as
    ``Text._get_layout`` computes them; (None, None, None) when the font has neither table, so that
    matplotlib measures "lp" instead. ``families`` and ``fonts`` only key the cache."""
    font: Any = get_font(fontManager._find_fonts_by_props(prop))  # the stubs list the tables by literal name
    for table_name, gap_key, ascent_key, descent_key in TABLES:
        table = font.get_sfnt_table(table_name)
        if table is None:
            continue
        scale = 1 / font.get_sfnt_table("head")["unitsPerEm"] * prop.get_size_in_points() * dpi / 72
        return table[ascent_key] * scale, -table[descent_key] * scale, table[gap_key] * scale
    return None, None, None


def _agg_font_height_metrics(renderer: RendererAgg, prop: FontProperties) -> tuple:
    rc: Any = mpl.rcParams  # the stubs accept literal keys only
    families = tuple(tuple(rc[k]) for k in GENERIC_FAMILIES)
    return font_height_metrics(prop.copy(), renderer.dpi, families, len(fontManager.ttflist) + len(fontManager.afmlist))


def install() -> bool:
    """Give ``RendererAgg`` the remembered metrics (see the module); whether they are in place."""
    current = getattr(RendererAgg, "_get_font_height_metrics", None)
    if current is _agg_font_height_metrics:
        return True
    if current is not None or not mpl.__version__.startswith(CHECKED_VERSIONS):
        return False
    RendererAgg._get_font_height_metrics = _agg_font_height_metrics  # type: ignore[attr-defined]
    return True


def uninstall() -> None:
    """Take them away again (the tests draw with and without them)."""
    if getattr(RendererAgg, "_get_font_height_metrics", None) is _agg_font_height_metrics:
        del RendererAgg._get_font_height_metrics  # type: ignore[attr-defined]


__all__ = ["install", "uninstall", "font_height_metrics", "CHECKED_VERSIONS"]
