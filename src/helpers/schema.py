"""Table schemas (data/reference/input_schema.yaml) and the checks of one table against them.

Every failed check raises ``InputError`` naming the file, the column and the rows, and saying
what was expected. Rows are numbered as a person finds them: CSV line numbers (header = 1),
feature numbers (from 1) in a layer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from . import paths
from .config import load_yaml
from .credit_code import is_valid as is_valid_credit_code
from .errors import InputError

SCHEMA_FILE = paths.DATA_DIR / "reference" / "input_schema.yaml"
TRUE_WORDS = {"true", "1", "1.0", "yes", "y", "是", "t"}
FALSE_WORDS = {"false", "0", "0.0", "no", "n", "否", "f"}


@dataclass(frozen=True)
class TableSpec:
    name: str
    file: str
    title: str
    key: list[str]
    columns: dict[str, dict]
    geometry: bool = False
    optional: bool = False

    def label(self, column: str) -> str:
        zh = self.columns.get(column, {}).get("zh")
        return f"{column} ({zh})" if zh else column


@cache
def table_specs() -> dict[str, TableSpec]:
    raw = load_yaml(SCHEMA_FILE)["tables"]
    return {
        name: TableSpec(name=name, file=t["file"], title=t["title"], key=list(t["key"]),
                        columns=t["columns"], geometry=bool(t.get("geometry", False)),
                        optional=bool(t.get("optional", False)))
        for name, t in raw.items()
    }


def row_numbers(index: pd.Index, first_data_row: int) -> list[int]:
    """Spreadsheet-style numbers of the rows at positional ``index``."""
    return [int(i) + first_data_row for i in index]


def _blank(s: pd.Series) -> pd.Series:
    return s.isna() | (s.astype("string").str.strip() == "")


def coerce_and_check(df: pd.DataFrame, spec: TableSpec, file: str | Path, first_data_row: int,
                     street_codes: set[str]) -> pd.DataFrame:
    """Check ``df`` (positional index) against ``spec``; return it with typed columns."""
    def fail(problem, column=None, mask=None, expected=None):
        rows = row_numbers(df.index[np.asarray(mask)], first_data_row) if mask is not None else None
        raise InputError(file, problem, column=column, rows=rows, expected=expected)

    missing = [c for c, c_spec in spec.columns.items() if c_spec.get("required") and c not in df.columns]
    if missing:
        raise InputError(file, f"missing required column(s): {', '.join(spec.label(c) for c in missing)}",
                         expected=f"columns {', '.join(c for c in spec.columns if spec.columns[c].get('required'))}"
                                  f" (data dictionary: {SCHEMA_FILE.name})")
    out = df.copy()
    for col, c_spec in spec.columns.items():
        if col not in out.columns:
            continue
        label = spec.label(col)
        raw = out[col]
        blank = _blank(raw)
        rules = c_spec.get("rules", [])
        must_fill = (c_spec.get("not_null") or col in spec.key or "references" in c_spec
                     or any(r in rules for r in ("unique", "credit_code", "in_streets")))
        if must_fill and blank.any():
            fail("empty cells", label, blank, "a value in every row")
        kind = c_spec["type"]
        if kind == "text":
            values = raw.astype("string").str.strip()
        elif kind in ("number", "integer"):
            values = pd.to_numeric(raw, errors="coerce")
            bad = values.isna() & ~blank
            if bad.any():
                fail("not a number", label, bad, f"{'whole ' if kind == 'integer' else ''}numbers"
                     + (f" in {c_spec['unit']}" if c_spec.get("unit") else ""))
            if kind == "integer":
                frac = values.notna() & (values != values.round())
                if frac.any():
                    fail("not a whole number", label, frac, "whole numbers")
                values = values.astype("Int64")
            else:
                values = values.astype(float)
        elif kind == "boolean":
            text = raw.astype("string").str.strip().str.lower()
            is_true, is_false = text.isin(TRUE_WORDS), text.isin(FALSE_WORDS)
            bad = ~(is_true | is_false) & ~blank
            if bad.any():
                fail("not a yes/no value", label, bad, "true/false, 1/0 or 是/否")
            values = pd.Series(pd.NA, index=raw.index, dtype="boolean")
            values[is_true.fillna(False).to_numpy()] = True
            values[is_false.fillna(False).to_numpy()] = False
        else:  # pragma: no cover - schema file error
            raise ValueError(f"{SCHEMA_FILE}: unknown type {kind!r} for {spec.name}.{col}")
        present = values.notna()
        if "positive" in rules and (present & ~(values > 0)).any():
            fail("zero or negative values", label, present & ~(values > 0), "values greater than 0")
        if "non_negative" in rules and (present & (values < 0)).any():
            fail("negative values", label, present & (values < 0), "values of 0 or more")
        if "share" in rules:
            bad = present & ~((values > 0) & (values <= 1))
            if bad.any():
                fail("share outside (0, 1]", label, bad, "a fraction greater than 0 and at most 1")
        if "credit_code" in rules:
            bad = present & ~values.map(is_valid_credit_code, na_action="ignore").astype(bool)
            if bad.any():
                fail("invalid 统一社会信用代码", label, bad,
                     "18 characters whose last is the GB 32100-2015 check character")
        if "in_streets" in rules:
            bad = present & ~values.isin(street_codes)
            if bad.any():
                fail("unknown 街道/镇 code", label, bad, f"one of {', '.join(sorted(street_codes))}")
        if "pattern" in c_spec:
            rx = re.compile(c_spec["pattern"])
            bad = present & ~values.astype("string").str.match(rx).fillna(False)
            if bad.any():
                fail("malformed value", label, bad, f"text matching {c_spec['pattern']}")
        out[col] = values
    dup = out.duplicated(subset=spec.key, keep=False)
    if dup.any():
        fail("duplicate ids", " + ".join(spec.label(k) for k in spec.key), dup,
             "each id once" if len(spec.key) == 1 else "each combination once")
    return out


def check_reference(df: pd.DataFrame, column: str, target: pd.Series, file: str | Path,
                    first_data_row: int, spec: TableSpec, target_name: str) -> None:
    """Every value of ``df[column]`` must exist in ``target``."""
    bad = ~df[column].isin(set(target))
    if bad.any():
        raise InputError(file, f"refers to {target_name} that do not exist", column=spec.label(column),
                         rows=row_numbers(df.index[bad.to_numpy()], first_data_row),
                         expected=f"values present in {target_name}")
