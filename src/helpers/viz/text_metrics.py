"""Font and text measurements for text laid out on the Agg canvas, found once per font, size and dpi.

Matplotlib 3.11 measures again and again what does not change:

- a font's ascent, descent and line gap, every time it lays a text out (``Text._get_layout``): it
  finds the font files for the text's properties (one ``findfont`` per family of the house style's
  two, each reading five rcParams) and reads the font's OS/2 (or hhea) and head tables again. On the
  default report this was 4 % of the kernels' CPU, and 12–15 % of drawing the tracker's fifteen task
  charts (4.0–4.3 s, 3.5–3.6 s with ``install``).
- the size of each line of text. Matplotlib remembers it per renderer, but a notebook's chart is
  laid out on one renderer (the tight layout, the tight crop) and drawn on another (the cropped
  canvas is a new size), so every text is shaped by FreeType once more for the draw, and again in
  every chart for the same tick labels. Shaping costs 15–30 µs a character in 3.11 (each glyph
  loaded and hinted anew; a CJK line of 50 characters takes 2–3 ms).

A renderer may answer the first question itself (``_get_font_height_metrics(prop)``; matplotlib's
PDF and PostScript renderers do). ``install`` gives the Agg renderer one that computes the same three
numbers in the same way, and remembers them by the font properties, the renderer's dpi (the
figure's, which ``_get_layout`` uses: every Agg renderer is made at the figure's dpi), the generic
families of rcParams and the number of fonts registered (``findfont`` depends on both). For the
second, it puts a memory shared by every Agg renderer before ``get_text_width_height_descent`` for
plain text (mathtext and TeX go straight to matplotlib's method): a size not yet known is measured
by matplotlib's own method, on the renderer that asks, and remembered by the text, the font
properties, the dpi and every setting the measurement reads (the families, the fonts registered,
hinting, kerning factor, last-resort font). The same numbers, so the same pixels:
tests/test_plotting.py compares the PNG bytes of every chart and map type drawn with and without it.

It is installed only on matplotlib 3.11 (where ``_get_layout`` asks for the metrics and computes
them as reproduced here, and the measure reads nothing of the renderer but its dpi), and never over
a method the renderer has of its own.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from typing import Any

import matplotlib as mpl
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.font_manager import FontProperties, fontManager, get_font

CHECKED_VERSIONS = ("3.11.",)  # matplotlib versions whose _get_layout this reproduces (and whose measure reads only the dpi)
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


def _families() -> tuple:
    rc: Any = mpl.rcParams  # the stubs accept literal keys only
    return tuple(tuple(rc[k]) for k in GENERIC_FAMILIES)


def _fonts_registered() -> int:
    return len(fontManager.ttflist) + len(fontManager.afmlist)


def _agg_font_height_metrics(renderer: RendererAgg, prop: FontProperties) -> tuple:
    return font_height_metrics(prop.copy(), renderer.dpi, _families(), _fonts_registered())


class RememberedSizes:
    """Width, height and descent (pixels) of lines of plain text, measured by matplotlib's own
    ``RendererAgg.get_text_width_height_descent`` the first time and remembered by the text, the
    font properties, the renderer's dpi (all the measure reads of the renderer) and
    ``_measure_settings``: the least recently used of ``maxsize`` entries goes first. Shared by
    every Agg renderer in the process; thread-safe."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._sizes: OrderedDict[tuple, tuple[float, float, float]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def __call__(self, renderer: RendererAgg, text: str, prop: FontProperties) -> tuple[float, float, float]:
        key = (text, prop.copy(), renderer.dpi, _measure_settings())  # a copy: the caller may change its prop
        with self._lock:
            size = self._sizes.get(key)
            if size is not None:
                self._sizes.move_to_end(key)
                self.hits += 1
                return size
        size = _MEASURE_TEXT(renderer, text, prop, False)
        with self._lock:
            self.misses += 1
            self._sizes[key] = size
            if len(self._sizes) > self.maxsize:
                self._sizes.popitem(last=False)
        return size

    def clear(self) -> None:
        """Forget every size (and the counts of hits and misses)."""
        with self._lock:
            self._sizes.clear()
            self.hits = self.misses = 0


def _measure_settings() -> tuple:
    """What a measurement reads besides the text, the font properties and the dpi: the generic
    families and the fonts registered (which font files ``prop`` finds), hinting, the kerning factor
    and whether FreeType's last-resort font stands in for missing glyphs."""
    rc: Any = mpl.rcParams
    return (_families(), _fonts_registered(), rc["text.hinting"], rc["text.kerning_factor"], rc["font.enable_last_resort"])


_MEASURE_TEXT = RendererAgg.get_text_width_height_descent  # matplotlib's own: every measurement is its
text_sizes = RememberedSizes(maxsize=65536)


def _agg_text_width_height_descent(renderer: RendererAgg, s: str, prop: FontProperties, ismath: Any) -> tuple:
    if ismath is not False:  # mathtext and TeX: not remembered
        return _MEASURE_TEXT(renderer, s, prop, ismath)
    return text_sizes(renderer, s, prop)


def install() -> bool:
    """Give ``RendererAgg`` the remembered metrics and text sizes (see the module); whether they are
    in place."""
    current = getattr(RendererAgg, "_get_font_height_metrics", None)
    if current is _agg_font_height_metrics:
        return True
    if current is not None or not mpl.__version__.startswith(CHECKED_VERSIONS):
        return False
    if RendererAgg.get_text_width_height_descent is not _MEASURE_TEXT or _MEASURE_TEXT.__module__ != RendererAgg.__module__:
        return False  # a measure someone else set (before this module was imported, or since): left alone
    RendererAgg._get_font_height_metrics = _agg_font_height_metrics  # type: ignore[attr-defined]
    RendererAgg.get_text_width_height_descent = _agg_text_width_height_descent  # type: ignore[method-assign]
    return True


def uninstall() -> None:
    """Take them away again (the tests draw with and without them)."""
    if getattr(RendererAgg, "_get_font_height_metrics", None) is _agg_font_height_metrics:
        del RendererAgg._get_font_height_metrics  # type: ignore[attr-defined]
    if RendererAgg.get_text_width_height_descent is _agg_text_width_height_descent:
        RendererAgg.get_text_width_height_descent = _MEASURE_TEXT  # type: ignore[method-assign]


__all__ = ["install", "uninstall", "font_height_metrics", "text_sizes", "RememberedSizes", "CHECKED_VERSIONS"]
