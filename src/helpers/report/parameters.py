"""The parameters a run is given, checked against what its notebooks declare, before anything runs.

A name no notebook declares stops the run with the closest declared name (``-p anonymise true``
would otherwise run with real names in every output). A value must have the type of the declared
default: a switch is true/false, a count or a measure a number, a text a text;
``year`` and ``data_year`` are a whole year (1990–2100) or ``latest``; a number whose default is not
negative must be a finite number that is not negative either, and ``WHOLE_PARAMETERS`` whole numbers;
a parameter whose default is ``None`` takes any value.
"""

from __future__ import annotations

import ast
import difflib
import math
from functools import cache
from pathlib import Path

import papermill as pm

RUNNER_SET = {"output_dir"}  # the runner gives these itself
YEAR_WORDS = {"latest"}
YEAR_PARAMETERS = {"year", "data_year"}
WHOLE_PARAMETERS = {"round_figures", "top_n"}  # counts: 2.5 significant figures means nothing


@cache
def _declared(notebook: str, mtime: float) -> dict[str, object]:
    out = {}
    for name, spec in pm.inspect_notebook(notebook).items():
        try:
            out[name] = ast.literal_eval(str(spec.get("default")))
        except (ValueError, SyntaxError):
            out[name] = None  # a default that is an expression: any value
    return out


def declared(notebooks: list[Path]) -> dict[str, object]:
    """Every parameter the notebooks declare, with its default (the first notebook's)."""
    out: dict[str, object] = {}
    for nb in notebooks:
        for name, default in _declared(str(nb), nb.stat().st_mtime).items():
            out.setdefault(name, default)
    return out


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    return type(value).__name__


def type_problem(name: str, value: object, default: object) -> str | None:
    """Why ``value`` does not fit parameter ``name`` whose default is ``default`` (None if it does)."""
    if name in YEAR_PARAMETERS:
        if (isinstance(value, int) and not isinstance(value, bool) and 1990 <= value <= 2100) or value in YEAR_WORDS:
            return None
        return f"{name} = {value!r}: a year is a whole number such as 2023, or 'latest'"
    if default is None or value is None:
        return None
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, (int, float)):  # a count or a measure (generalize_m = 0 takes 12.5)
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if isinstance(value, (int, float)) and ok:
            if not (math.isfinite(value) and (value >= 0 or default < 0)):
                return f"{name} = {value!r}: it must be a finite number, 0 or more (default {default!r})"
            if name in WHOLE_PARAMETERS and value != int(value):
                return f"{name} = {value!r}: it must be a whole number (default {default!r})"
    elif isinstance(default, str):
        ok = isinstance(value, (str, int, float)) and not isinstance(value, bool)  # "-p streets 330113001" reads as a number
    else:
        ok = True
    return None if ok else f"{name} = {value!r} is {_kind(value)}; it must be {_kind(default)} (default {default!r})"


def check_parameters(parameters: dict, notebooks: list[Path]) -> list[str]:
    """Every problem with ``parameters`` for ``notebooks``: unknown names (with the closest
    declared one) and values of the wrong type. Empty when the run can start."""
    known = declared(notebooks)
    problems = []
    for name, value in parameters.items():
        if name in RUNNER_SET:
            continue
        if name not in known:
            close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else f"; the notebooks declare {', '.join(sorted(known))}"
            problems.append(f"unknown parameter {name!r}{hint}")
            continue
        why = type_problem(name, value, known[name])
        if why:
            problems.append(why)
    return problems


__all__ = ["check_parameters", "declared", "type_problem"]
