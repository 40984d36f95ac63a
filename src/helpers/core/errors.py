"""Bad input: one ``Problem`` says which file, which column, which rows, and what was expected;
``InputError`` is raised with every blocking problem found, not just the first."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

MAX_ROWS_SHOWN = 10


def format_rows(rows: Iterable) -> str:
    """'3, 7, 12' style list, cut after MAX_ROWS_SHOWN with the total count."""
    rows = list(rows)
    shown = ", ".join(str(r) for r in rows[:MAX_ROWS_SHOWN])
    more = f" … ({len(rows)} rows in all)" if len(rows) > MAX_ROWS_SHOWN else ""
    return f"{shown}{more}"


@dataclass(frozen=True)
class Problem:
    """One finding about the input. ``rows`` are 1-based line numbers as a spreadsheet shows them
    (header line included), or 1-based feature numbers of a layer. ``severity`` "error" stops a
    run; "warning" is reported and the data are used."""

    file: str
    problem: str
    column: str | None = None
    rows: tuple = ()
    expected: str | None = None
    severity: str = "error"

    def __str__(self) -> str:
        parts = [self.file]
        if self.column is not None:
            parts.append(f"column '{self.column}'")
        if self.rows:
            parts.append(f"rows {format_rows(self.rows)}")
        msg = ", ".join(parts) + f": {self.problem}"
        if self.expected:
            msg += f". Expected: {self.expected}"
        return msg

    def as_record(self) -> dict:
        return {
            "severity": self.severity,
            "file": self.file,
            "column": self.column or "",
            "rows": format_rows(self.rows),
            "n_rows": len(self.rows),
            "problem": self.problem,
            "expected": self.expected or "",
        }


class InputError(ValueError):
    """Bad input data. Its ``file``, ``column``, ``rows``, ``problem`` and ``expected`` are those of
    the first problem; ``problems`` holds all of them and the message lists them all."""

    def __init__(
        self,
        file: str | Path,
        problem: str,
        *,
        column: str | None = None,
        rows: Iterable | None = None,
        expected: str | None = None,
    ):
        self._set([Problem(str(file), problem, column, tuple(rows or ()), expected)])

    @classmethod
    def from_problems(cls, problems: list[Problem]) -> InputError:
        err = cls.__new__(cls)
        err._set(list(problems))
        return err

    def _set(self, problems: list[Problem]) -> None:
        first = problems[0]
        self.problems = problems
        self.file, self.problem, self.column = first.file, first.problem, first.column
        self.rows, self.expected = list(first.rows), first.expected
        if len(problems) == 1:
            msg = str(first)
        else:
            msg = f"{len(problems)} problems in the input:\n" + "\n".join(f"  {i}. {p}" for i, p in enumerate(problems, 1))
        super().__init__(msg)

    def _render_traceback_(self) -> list[str]:
        """What IPython shows instead of a traceback (in JupyterLab and in executed notebooks): the
        problems and their fixes, which are about the data, not about the code."""
        return ["InputError — 数据问题 problem in the input:", *str(self).splitlines()]
