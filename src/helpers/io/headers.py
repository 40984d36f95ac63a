"""Column headers as people write them, matched to the columns of the data dictionary.

Aliases live in ``data/reference/column_aliases.yaml``, unit conversions in
``data/reference/units.yaml``: both are data, extended without code. A header is normalised
(NFKC full-width → half-width, spaces, line breaks, '*' and '：' dropped, lower case) and a
unit at its end, in brackets or after '/', is split off: "税收实际贡献（元）" → 税收实际贡献, 元.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from helpers.core import paths
from helpers.core.yamlfile import load_yaml
from helpers.io.schema import table_specs

ALIASES_FILE = paths.DATA_DIR / "reference" / "column_aliases.yaml"
UNITS_FILE = paths.DATA_DIR / "reference" / "units.yaml"
HEADER_SCAN_ROWS = 15  # a header row is looked for among the first rows (title rows above it)
_UNIT_AT_END = re.compile(r"^(.*?)[(\[【]([^()\[\]【】]*)[)\]】]$")
_DROP = re.compile(r"[\s*:＊]+")


def normalise(text: object) -> str:
    """Comparable form of a header or unit: NFKC, no spaces/line breaks/'*'/':', lower case."""
    return _DROP.sub("", unicodedata.normalize("NFKC", str(text))).lower()


def split_unit(header: object) -> tuple[str, str | None]:
    """(name, unit) of a header, both normalised; unit None when the header names none.
    "综合能耗(吨标准煤,等价值)" → ("综合能耗", "吨标准煤")."""
    text = normalise(header)
    m = _UNIT_AT_END.match(text)
    if m and m.group(1):
        unit = m.group(2).removeprefix("单位")
        return m.group(1), re.split(r"[,;/]", unit)[0] or None
    if "/" in text:
        name, _, unit = text.rpartition("/")
        if name and unit in known_units():
            return name, unit
    return text, None


@cache
def _aliases() -> dict:
    return load_yaml(ALIASES_FILE)["tables"]


@cache
def column_lookup(table: str) -> dict[str, str]:
    """Normalised header name → column of ``table`` (the column's own name, its zh name, aliases)."""
    spec = table_specs()[table]
    lookup: dict[str, str] = {}
    extra = _aliases().get(table, {}).get("columns", {})
    for col, c_spec in spec.columns.items():
        names = [col, split_unit(c_spec.get("zh", col))[0], *extra.get(col, [])]
        for n in names:
            lookup.setdefault(split_unit(n)[0], col)
    return lookup


def file_words(table: str) -> list[str]:
    return [normalise(w) for w in _aliases().get(table, {}).get("files", [table])]


@cache
def _conversions() -> dict[str, dict[str, float]]:
    raw = load_yaml(UNITS_FILE)["conversions"]
    return {normalise(target): {normalise(u): float(f) for u, f in units.items()} for target, units in raw.items()}


def known_units() -> set[str]:
    return {u for units in _conversions().values() for u in units}


def unit_factor(schema_unit: str, header_unit: str) -> float | None:
    """Factor taking a value in ``header_unit`` to ``schema_unit``; None when not convertible."""
    return _conversions().get(normalise(schema_unit), {}).get(normalise(header_unit))


def units_for(schema_unit: str) -> list[str]:
    return sorted(_conversions().get(normalise(schema_unit), {}))


@dataclass(frozen=True)
class HeaderMatch:
    column: str  # the data dictionary's column
    header: str  # the header as written
    unit: str | None  # unit the header names (normalised), None when it names none


Mapped = dict[str, dict[str, str]]  # table → {normalised header name: column}, from dataset.yaml ``columns:``


def _candidates(table: str, headers: list, mapped: Mapped | None) -> list[tuple[int, str, str | None, bool]]:
    """(position, column, unit, named in dataset.yaml) of every header that names a column of ``table``."""
    own = (mapped or {}).get(table, {})
    lookup = column_lookup(table)
    out = []
    for i, h in enumerate(headers):
        if h is None or str(h).strip() == "":
            continue
        name, unit = split_unit(h)
        col = own.get(name) or lookup.get(name)
        if col:
            out.append((i, col, unit, name in own))
    return out


def match_headers(table: str, headers: list, mapped: Mapped | None = None) -> dict[int, HeaderMatch]:
    """Position → match for every header of ``headers`` that names a column of ``table``. When
    two headers name the same column, the one named in dataset.yaml (``mapped``) is taken, else
    the first (``header_clashes`` says which, so it is never silent)."""
    out: dict[int, HeaderMatch] = {}
    taken: set[str] = set()
    for i, col, unit, _ in sorted(_candidates(table, headers, mapped), key=lambda c: (not c[3], c[0])):
        if col not in taken:
            out[i] = HeaderMatch(col, str(headers[i]), unit)
            taken.add(col)
    return dict(sorted(out.items()))


def header_clashes(table: str, headers: list, mapped: Mapped | None = None) -> dict[str, list[int]]:
    """Column → positions of the headers that all name it, for every column named by more than
    one header (the first position is the one read)."""
    taken = {m.column: i for i, m in match_headers(table, headers, mapped).items()}
    by_column: dict[str, list[int]] = {}
    for i, col, _, _ in _candidates(table, headers, mapped):
        by_column.setdefault(col, []).append(i)
    return {c: [taken[c]] + [i for i in pos if i != taken[c]] for c, pos in by_column.items() if len(pos) > 1}


def header_score(table: str, headers: list, mapped: Mapped | None = None) -> int:
    """How many of ``table``'s required columns the headers name."""
    spec = table_specs()[table]
    found = {m.column for m in match_headers(table, headers, mapped).values()}
    return sum(1 for c, s in spec.columns.items() if s.get("required") and c in found)


def find_header_row(rows: list[list[str]], tables: list[str], mapped: Mapped | None = None) -> tuple[int, str | None, int]:
    """(row index, best table, score) of the row among the first HEADER_SCAN_ROWS that names the
    most required columns of one table; the first such row wins (title rows sit above it)."""
    best: tuple[int, str | None, int] = (0, None, 0)
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        for t in tables:
            s = header_score(t, row, mapped)
            if s > best[2]:
                best = (i, t, s)
    return best
