"""What the page tests share: the five report pages, options that keep them quick, and a run of
every section of a page that checks each shows something."""

from __future__ import annotations

import inspect
from types import ModuleType

import matplotlib.pyplot as plt

from helpers.report import evaluation_page, low_efficiency_page, overview_page, scenario_page, tracker_page
from helpers.report.context import RunContext
from helpers.report.sections import Section

PAGES = [tracker_page, overview_page, evaluation_page, low_efficiency_page, scenario_page]
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
            plt.close("all")
