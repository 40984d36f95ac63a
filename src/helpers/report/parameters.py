"""The parameters a run is given, checked against what its notebooks declare, before anything runs.

A name no notebook declares stops the run with the closest declared name (``-p anonymise true``
would otherwise run with real names in every output). A value must have the type the notebook
declares (``name: type = default  # meaning``, which ``papermill --help-notebook`` shows): ``bool``
is true/false, ``int`` a whole number, ``float`` a number, ``str`` a text, ``Optional[float]`` a
number or None; ``year`` and ``data_year`` are a whole year (1990–2100) or ``latest``, ``from_year`` one or
``earliest``; a number whose
default is not negative must be a finite number that is not negative either. A parameter without a
declared type falls back on its default's type.
"""

from __future__ import annotations

import ast
import difflib
import math
from functools import cache
from pathlib import Path

import papermill as pm

RUNNER_SET = {"output_dir"}  # the runner gives these itself
YEAR_WORDS = {"latest", "earliest"}
YEAR_PARAMETERS = {"year", "data_year", "from_year"}
NUMBER_TYPES = {"int", "float", "Optional[float]", "Optional[int]"}


@cache
def _declared(notebook: str, mtime: float) -> dict[str, tuple[object, str | None]]:
    out: dict[str, tuple[object, str | None]] = {}
    for name, spec in pm.inspect_notebook(notebook).items():
        kind = spec.get("inferred_type_name")
        kind = None if kind in (None, "None") else str(kind)
        try:
            out[name] = (ast.literal_eval(str(spec.get("default"))), kind)
        except (ValueError, SyntaxError):
            out[name] = (None, kind)  # a default that is an expression: any value of the declared type
    return out


def declared_with_types(notebooks: list[Path]) -> dict[str, tuple[object, str | None]]:
    """Every parameter the notebooks declare: (default, declared type name or None), the first notebook's."""
    out: dict[str, tuple[object, str | None]] = {}
    for nb in notebooks:
        for name, spec in _declared(str(nb), nb.stat().st_mtime).items():
            out.setdefault(name, spec)
    return out


def declared(notebooks: list[Path]) -> dict[str, object]:
    """Every parameter the notebooks declare, with its default (the first notebook's)."""
    return {name: default for name, (default, _) in declared_with_types(notebooks).items()}


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    return type(value).__name__


def _default_kind(default: object) -> str | None:
    if isinstance(default, bool):
        return "bool"
    if isinstance(default, (int, float)):
        return "float"  # without a declared type, generalize_m = 0 takes 12.5
    return "str" if isinstance(default, str) else None


def type_problem(name: str, value: object, default: object, kind: str | None = None) -> str | None:
    """Why ``value`` does not fit parameter ``name`` declared as ``kind`` (a type name such as
    ``int``; None: the default's type) with default ``default``. None if it fits."""
    if name in YEAR_PARAMETERS:
        if (isinstance(value, int) and not isinstance(value, bool) and 1990 <= value <= 2100) or value in YEAR_WORDS:
            return None
        return f"{name} = {value!r}: a year is a whole number such as 2023, or 'latest' ('earliest' for from_year)"
    kind = kind or _default_kind(default)
    if value is None:
        return None if default is None or (kind or "").startswith("Optional") else f"{name} = None: it must be {_kind(default)}"
    if kind == "bool":
        ok = isinstance(value, bool)
    elif kind in NUMBER_TYPES:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if isinstance(value, (int, float)) and ok:
            floor = default if isinstance(default, (int, float)) else 0
            if not (math.isfinite(value) and (value >= 0 or floor < 0)):
                return f"{name} = {value!r}: it must be a finite number, 0 or more (default {default!r})"
            if "int" in kind and value != int(value):
                return f"{name} = {value!r}: it must be a whole number (default {default!r})"
        if not ok:
            return f"{name} = {value!r} is {_kind(value)}; it must be a number (default {default!r})"
    elif kind == "str":
        ok = isinstance(value, (str, int, float)) and not isinstance(value, bool)  # "-p streets 330113001" reads as a number
    else:
        ok = True
    return None if ok else f"{name} = {value!r} is {_kind(value)}; it must be {_kind(default)} (default {default!r})"


def check_parameters(parameters: dict, notebooks: list[Path]) -> list[str]:
    """Every problem with ``parameters`` for ``notebooks``: unknown names (with the closest
    declared one) and values of the wrong type. Empty when the run can start."""
    known = declared_with_types(notebooks)
    problems = []
    for name, value in parameters.items():
        if name in RUNNER_SET:
            continue
        if name not in known:
            close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else f"; the notebooks declare {', '.join(sorted(known))}"
            problems.append(f"unknown parameter {name!r}{hint}")
            continue
        default, kind = known[name]
        why = type_problem(name, value, default, kind)
        if why:
            problems.append(why)
    return problems


__all__ = ["check_parameters", "declared", "declared_with_types", "type_problem"]
