"""``dataset.yaml``: what a data folder says outright about itself, for what the loader cannot infer.

    tables:
      panel:
        file: 亩均数据.xlsx             # which file (or list of files) holds the table
        columns: {税收合计: tax_10k_yuan}   # a header of the folder → a field of the contract
        values: {in_production: 是}        # a fixed value for every row (a field the files lack)
        units: {tax_10k_yuan: 元}          # a unit for a header that names none
        year: 2023                         # the year of sheets without a 年度 column
      parcels: {file: 宗地.shp, crs: EPSG:4528, coordinates: gcj02, max_distance_km: 200}
    sheets:
      Sheet1: {year: 2022}                 # each sheet its year
      Sheet2: {year: 2023, tables: [panel, enterprises, enterprise_parcels]}   # what one sheet holds

Every setting is checked when the folder is read; a wrong one is an error naming the line and
what it may say. Nothing else in the folder is configuration.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from helpers.core.errors import InputError, Problem
from helpers.core.yamlfile import load_yaml
from helpers.io.headers import Mapped, split_unit
from helpers.io.schema import table_specs

MANIFEST = "dataset.yaml"
TABLE_KEYS = ("file", "sheet", "crs", "coordinates", "units", "max_distance_km", "year", "columns", "values")
SHEET_KEYS = ("year", "tables")


@dataclass(frozen=True)
class Manifest:
    """The settings of a folder's ``dataset.yaml`` (empty when it has none)."""

    tables: dict = field(default_factory=dict)
    sheets: dict = field(default_factory=dict)
    mapped: Mapped = field(default_factory=dict)

    def table_of(self, path: Path, sheet: str | None) -> str | None:
        """The table ``tables: <t>: file:`` (and ``sheet:``) assigns to this file or sheet."""
        for table, entry in self.tables.items():
            files = entry.get("file", [])
            files = [files] if isinstance(files, str) else files
            if path.name in files and (entry.get("sheet") in (None, sheet)):
                return table
        return None

    def settings(self, table: str, sheet: str | None = None) -> dict:
        """The table's settings, with the sheet's ``year`` over the table's."""
        out = dict(self.tables.get(table, {}))
        if sheet in self.sheets and "year" in self.sheets[sheet]:
            out["year"] = self.sheets[sheet]["year"]
        return out

    def sheet_tables(self, sheet: str | None) -> list[str] | None:
        """The tables ``sheets: <sheet>: tables:`` says the sheet holds (the first counts its rows)."""
        return list(self.sheets.get(sheet, {}).get("tables") or []) or None


def settings_ok(bad, where: str, entry, allowed: tuple[str, ...]) -> bool:
    """Report through ``bad`` an entry that is not a mapping (False: nothing more to check), its
    unknown settings and a ``year:`` that is not a year."""
    if not isinstance(entry, dict):
        bad(where, "not a mapping of settings", f"settings among {', '.join(allowed)}")
        return False
    for key in set(entry) - set(allowed):
        bad(f"{where}: {key}", "unknown setting", f"settings among {', '.join(allowed)}")
    if "year" in entry and not str(entry["year"]).isdigit():
        bad(f"{where}: year", f"'{entry['year']}' is not a year", "a year such as 2023")
    return True


def _problems(raw: dict, path: Path) -> list[Problem]:
    specs = table_specs()
    out = []

    def bad(where: str, what: str, expected: str) -> None:
        out.append(Problem(str(path), f"{where}: {what}", expected=expected))

    tables = raw.get("tables") or {}
    for table, entry in tables.items():
        if table not in specs:
            bad(f"tables: {table}", "unknown table", f"tables among {', '.join(specs)}")
            continue
        if not settings_ok(bad, f"tables: {table}", entry, TABLE_KEYS):
            continue
        fields = specs[table].columns
        for key in ("columns", "values", "units"):
            value = entry.get(key) or {}
            if not isinstance(value, dict):
                bad(f"tables: {table}: {key}", "not a mapping", f"{key}: {{<header or field>: <value>}}")
                continue
            named = value.values() if key == "columns" else value.keys()
            for name in named:
                if name not in fields:
                    bad(f"tables: {table}: {key}: {name}", "not a field of the table", f"fields among {', '.join(fields)}")
    for sheet, entry in (raw.get("sheets") or {}).items():
        if not settings_ok(bad, f"sheets: {sheet}", entry, SHEET_KEYS):
            continue
        for table in entry.get("tables") or []:
            if table not in specs or specs[table].geometry:
                bad(
                    f"sheets: {sheet}: tables",
                    f"unknown table {table}",
                    f"tables among {', '.join(t for t in specs if not specs[t].geometry)}",
                )
    for key in set(raw) - {"tables", "sheets"}:
        bad(key, "unknown section", "sections tables: and sheets:")
    return out


def load_manifest(folder: Path) -> Manifest:
    """The folder's ``dataset.yaml`` read and checked (an ``InputError`` lists every wrong line)."""
    path = folder / MANIFEST
    if not path.is_file():
        return Manifest()
    raw = load_yaml(path) or {}
    if not isinstance(raw, dict):
        raise InputError(path, "not a YAML mapping", expected="sections tables: and sheets: (docs/data-contract.md)")
    problems = _problems(raw, path)
    if problems:
        raise InputError.from_problems(problems)
    tables = raw.get("tables") or {}
    mapped = {t: {split_unit(h)[0]: c for h, c in (e.get("columns") or {}).items()} for t, e in tables.items()}
    return Manifest(tables, raw.get("sheets") or {}, mapped)


def column_line(table: str, column: str) -> str:
    """The dataset.yaml line that maps a header of the folder to ``column``."""
    return f"`tables: {{{table}: {{columns: {{<your header>: {column}}}}}}}` in dataset.yaml"


def value_line(table: str, column: str, value: str) -> str:
    """The dataset.yaml line that gives ``column`` one value for every row."""
    return f"`tables: {{{table}: {{values: {{{column}: {value}}}}}}}` in dataset.yaml"


def year_line(sheet: str | None) -> str:
    """The dataset.yaml line that gives a sheet its year."""
    return (
        f"`sheets: {{{sheet or '<sheet>'}: {{year: <year>}}}}` in dataset.yaml"
        if sheet
        else "`tables: {panel: {year: <year>}}` in dataset.yaml"
    )


__all__ = ["MANIFEST", "Manifest", "load_manifest", "column_line", "value_line", "year_line"]
