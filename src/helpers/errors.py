"""The one error type that bad input raises, and how it names file, column and rows."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

MAX_ROWS_SHOWN = 10


def format_rows(rows: Iterable) -> str:
    """'rows 3, 7, 12' style list, cut after MAX_ROWS_SHOWN with the total count."""
    rows = list(rows)
    shown = ", ".join(str(r) for r in rows[:MAX_ROWS_SHOWN])
    more = f" … ({len(rows)} rows in all)" if len(rows) > MAX_ROWS_SHOWN else ""
    return f"{shown}{more}"


class InputError(ValueError):
    """Bad input data: says which file, which column, which rows, and what was expected.

    ``rows`` are the 1-based line numbers of a CSV file as a spreadsheet shows them
    (header = line 1), or 1-based feature numbers of a layer.
    """

    def __init__(self, file: str | Path, problem: str, *, column: str | None = None,
                 rows: Iterable | None = None, expected: str | None = None):
        self.file = str(file)
        self.column = column
        self.rows = list(rows) if rows is not None else []
        self.problem = problem
        self.expected = expected
        parts = [f"{self.file}"]
        if column is not None:
            parts.append(f"column '{column}'")
        if self.rows:
            parts.append(f"rows {format_rows(self.rows)}")
        msg = ", ".join(parts) + f": {problem}"
        if expected:
            msg += f". Expected: {expected}"
        super().__init__(msg)
