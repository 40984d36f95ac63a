"""What a notebook cell shows: a ``Section`` of parts (Markdown, HTML, tables, figures) built by a
page's section function, plus the values behind it for exploration in JupyterLab.

    s = evaluation_page.distributions(ctx)
    s                      # displays every part, in order
    s.data["benchmark"]    # the values the parts were drawn from
    s.figures[0]           # a figure, to save or restyle

Every text taken from the data passes through ``md_text``/``html_text`` before it is shown.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from helpers.core import disclosure

ENTERPRISE_LABELS = {"credit_code": "统一社会信用代码", "name": "企业名称", "street_name": "所属镇街"}  # as offices head them
LONG_LIST_ROWS = 100  # rows of a long list shown on a page (of each group, when it is grouped); a file of the run holds all

_MARKDOWN_SPECIALS = str.maketrans({c: f"\\{c}" for c in "\\`*_[]<>#|"})


def md_text(value: Any) -> str:
    """``value`` as Markdown text that renders literally (no emphasis, links or HTML from the data)."""
    return html.escape(str(value), quote=False).translate(_MARKDOWN_SPECIALS)


def md_code(value: Any) -> str:
    """``value`` as a Markdown code span: shown literally (a code span renders no Markdown or HTML)."""
    text = str(value).replace("`", "'").replace("\n", " ")
    return f"`{text}`"


def html_text(value: Any) -> str:
    return html.escape(str(value))


def escaped_styler(styler: Any) -> Any:
    """``styler`` showing an HTML-escaped copy of its data: every text cell and every row and
    column label, so that a name such as ``<img src=x onerror=…>`` is shown as text. pandas'
    Styler writes cell text into its HTML as it is; its formatters, set by position, still apply.
    Figures are rounded as ``core.disclosure`` says. The caller's DataFrame is not changed."""

    def esc(v: Any) -> Any:
        return html.escape(v) if isinstance(v, str) else v

    data = disclosure.coarsen(styler.data).copy()  # and rounded when a shared run asks for it
    for i in range(data.shape[1]):
        column = data.iloc[:, i]
        if column.dtype == object or isinstance(column.dtype, (pd.StringDtype, pd.CategoricalDtype)):
            data.isetitem(i, column.astype(object).map(esc))

    def labels(index: pd.Index) -> pd.Index:
        if isinstance(index, pd.MultiIndex):
            return index.set_levels([lvl.map(esc) for lvl in index.levels])
        return index.map(esc)

    data.index, data.columns = labels(data.index), labels(data.columns)
    styler.data, styler.index, styler.columns = data, data.index, data.columns
    return styler


@dataclass
class Section:
    """Parts shown in order, and ``data``: the tables and values behind them."""

    parts: list[tuple[str, Any]] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)

    def markdown(self, text: str) -> Section:
        self.parts.append(("markdown", text))
        return self

    def html(self, text: str) -> Section:
        self.parts.append(("html", text))
        return self

    def table(self, table: pd.DataFrame | Any) -> Section:
        """A DataFrame or a pandas Styler (shown with its text escaped: ``escaped_styler``), its
        figures rounded when a shared run asks for it (``core.disclosure``)."""
        from pandas.io.formats.style import Styler

        if isinstance(table, Styler):
            table = escaped_styler(table)
        elif isinstance(table, pd.DataFrame):
            table = disclosure.coarsen(table)
        self.parts.append(("table", table))
        return self

    def long_list(
        self, frame: pd.DataFrame, where: str, limit: int | None = None, per: str | None = None, formats: dict | None = None
    ) -> Section:
        """A line naming ``where`` (a file of the run holding every row of ``frame``), then ``frame``
        as a table of its first ``limit`` rows (default ``LONG_LIST_ROWS``; of each value of the
        column ``per``, when given), without its index, formatted by ``formats``; the line says how
        many rows are left out. At 100,000 parcels two lists ran to 3,002 and 4,647 rows, which no
        reader scrolls and which took nbconvert's HTML pass 6 s."""
        limit = LONG_LIST_ROWS if limit is None else limit
        shown = frame.groupby(per, sort=False).head(limit) if per else frame.head(limit)
        file = md_code(where)
        if len(shown) < len(frame):
            each = f"每个{md_text(per)}" if per else ""
            self.markdown(
                f"共 {len(frame):,} 行，此处{each}列出前 {limit} 行，全部见 {file} — {len(frame):,} rows; "
                f"the first {limit}{' of each ' + md_text(per) if per else ''} are shown, all of them are in {file}."
            )
        else:
            self.markdown(f"共 {len(frame):,} 行，亦见 {file} — {len(frame):,} rows, also in {file}.")
        return self.table(shown.style.format(formats or {}).hide(axis="index"))

    def figure(self, fig: Figure) -> Section:
        self.parts.append(("figure", fig))
        return self

    def extend(self, other: Section) -> Section:
        self.parts += other.parts
        self.data.update(other.data)
        return self

    @property
    def figures(self) -> list[Figure]:
        return [p for kind, p in self.parts if kind == "figure"]

    @property
    def texts(self) -> list[str]:
        """Every Markdown and HTML part, for tests and for reading in a console."""
        return [p for kind, p in self.parts if kind in ("markdown", "html")]

    def _ipython_display_(self) -> None:
        from IPython.display import HTML, Markdown, display

        for kind, part in self.parts:
            if kind == "markdown":
                display(Markdown(part))
            elif kind == "html":
                display(HTML(part))
            elif kind == "figure":
                display(part)
                plt.close(part)  # shown once: the inline backend does not draw it again
            else:
                display(part)

    def __repr__(self) -> str:
        kinds = ", ".join(kind for kind, _ in self.parts)
        return f"Section({kinds}; data: {', '.join(self.data) or '-'})"
