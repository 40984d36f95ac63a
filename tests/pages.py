"""What the page tests share: the report pages, options that keep them quick, and a run of
every section of a page that checks each shows something."""

from __future__ import annotations

import inspect
from types import ModuleType

import matplotlib.pyplot as plt

from helpers.report import (
    effects_page,
    enterprises_page,
    evaluation_page,
    low_efficiency_page,
    overview_page,
    scenario_page,
    tracker_page,
)
from helpers.report.context import RunContext
from helpers.report.sections import Section
from helpers.viz.style import MIN_TEXT_PX, PAGE_WIDTH_PX, legends_on_data, smallest_text_px

MAX_PANELS_PER_ROW = 4  # small multiples: at most 3-4 panels a row (the 街道 maps take 4)

PAGES = [tracker_page, overview_page, evaluation_page, low_efficiency_page, scenario_page, enterprises_page, effects_page]
QUICK = {"hotspot_permutations": 99, "thresholds": "3,8", "densities": "1.0"}  # fewer permutations and scenarios


def sections(page: ModuleType) -> list:
    """The page's section functions: public, one ``ctx`` argument, returning a Section."""
    return [
        f
        for name, f in inspect.getmembers(page, inspect.isfunction)
        if f.__module__ == page.__name__
        and not name.startswith("_")
        and list(inspect.signature(f).parameters) == ["ctx"]
        and inspect.signature(f).return_annotation == "Section"
    ]


def run_sections(ctx: RunContext, pages: list[ModuleType] = PAGES) -> None:
    """Call every section of ``pages`` on ``ctx``: each returns a Section with parts, and its text
    parts are non-empty strings."""
    for page in pages:
        for section in sections(page):
            s = section(ctx)
            assert isinstance(s, Section) and s.parts, f"{page.__name__}.{section.__name__} shows nothing"
            for kind, part in s.parts:
                if kind in ("markdown", "html"):
                    assert isinstance(part, str) and part, f"{page.__name__}.{section.__name__}: empty text"
            for fig in s.figures:
                assert_legible(fig, f"{page.__name__}.{section.__name__}")
            plt.close("all")


def assert_legible(fig, where: str) -> None:
    """The chart rules of the reports: no text under ``MIN_TEXT_PX`` at page width, no legend on
    the data, at most ``MAX_PANELS_PER_ROW`` panels a row, every y-axis label horizontal."""
    assert smallest_text_px(fig, PAGE_WIDTH_PX) >= MIN_TEXT_PX, f"{where}: text smaller than {MIN_TEXT_PX}px"
    covering = legends_on_data(fig)
    assert covering == [], f"{where}: {covering}"
    panels = [ax for ax in fig.axes if ax.get_visible() and ax.get_label() != "<colorbar>"]
    rows: dict[float, int] = {}
    for ax in panels:
        y = round(ax.get_position().y0, 2)
        rows[y] = rows.get(y, 0) + 1
    assert max(rows.values(), default=0) <= MAX_PANELS_PER_ROW, f"{where}: {max(rows.values())} panels in a row"
    for ax in panels:
        label = ax.yaxis.label
        if ax.axison and label.get_visible() and label.get_text():
            assert label.get_rotation() == 0, f"{where}: rotated y label {label.get_text()!r}"
