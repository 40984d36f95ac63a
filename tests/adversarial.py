"""The adversarial suite: named hostile and careless inputs, each asserting its exact outcome.

A test joins the suite with ``@case(category, outcome)`` (a ``pytest.mark.adversarial``); each
parameter set of a parametrised test is a case of its own. The suite is run and tabulated by

    python -m tests.adversarial            # run the cases, print the table and the counts
    python -m tests.adversarial --collect  # list them without running

and runs with the rest of the tests in ``make test``.
"""

from __future__ import annotations

import sys
from collections import Counter

import pytest

CATEGORIES = ("encodings", "cell oddities", "geometry", "logic", "file system", "injection", "privacy", "concurrency")
OUTCOMES = {
    "error": "a blocking problem naming file, column, rows and the fix; no notebook runs",
    "warning": "read, and listed as a warning or note naming the rows; the result is the data's",
    "read": "read as written (another encoding, separator or layout); said in the notes",
    "refused": "the command stops with a message before it writes or deletes anything",
    "inert": "shown or stored as text; no script runs, no formula is live",
    "hidden": "absent from every output of an anonymised run",
    "isolated": "nothing outside the run's own folder is written or deleted; no half result is left",
}


def case(category: str, outcome: str) -> pytest.MarkDecorator:
    """Mark a test as a case of the suite (``category`` of ``CATEGORIES``, ``outcome`` of ``OUTCOMES``)."""
    if category not in CATEGORIES or outcome not in OUTCOMES:
        raise ValueError(f"unknown category {category!r} or outcome {outcome!r}")
    return pytest.mark.adversarial(category, outcome)


class Recorder:
    """A pytest plugin that notes each case's marker and result."""

    def __init__(self) -> None:
        self.cases: dict[str, tuple[str, str]] = {}
        self.results: dict[str, str] = {}

    def pytest_collection_modifyitems(self, items) -> None:
        for item in items:
            mark = item.get_closest_marker("adversarial")
            if mark is not None:
                self.cases[item.nodeid] = tuple(mark.args)

    def pytest_runtest_logreport(self, report) -> None:
        if report.when == "call" or report.outcome != "passed":
            self.results.setdefault(report.nodeid, report.outcome)
            if report.outcome != "passed":
                self.results[report.nodeid] = report.outcome


def table(recorder: Recorder, ran: bool) -> str:
    """Markdown: every case with its category, outcome and result, then the counts."""
    lines = ["| # | case | category | outcome | result |", "|---|---|---|---|---|"]
    ordered = sorted(recorder.cases.items(), key=lambda kv: (CATEGORIES.index(kv[1][0]), kv[0]))
    for i, (nodeid, (category, outcome)) in enumerate(ordered, 1):
        name = nodeid.removeprefix("tests/").replace(".py::", "::").replace("|", "\\|")
        result = recorder.results.get(nodeid, "not run") if ran else "-"
        lines.append(f"| {i} | `{name}` | {category} | {outcome} | {result} |")
    by_outcome = Counter(o for _, o in recorder.cases.values())
    by_category = Counter(c for c, _ in recorder.cases.values())
    lines += ["", "| outcome | cases | meaning |", "|---|---|---|"]
    lines += [f"| {o} | {by_outcome[o]} | {OUTCOMES[o]} |" for o in OUTCOMES if by_outcome[o]]
    lines += ["", "| category | cases |", "|---|---|"]
    lines += [f"| {c} | {by_category[c]} |" for c in CATEGORIES]
    if ran:
        results = Counter(recorder.results.get(n, "not run") for n in recorder.cases)
        lines += ["", f"{len(recorder.cases)} cases: " + ", ".join(f"{n} {r}" for r, n in sorted(results.items()))]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    collect = "--collect" in argv
    recorder = Recorder()
    args = ["-q", "-m", "adversarial", "-p", "no:xdist", "-p", "no:cacheprovider", "tests"]
    code = pytest.main([*args, "--collect-only"] if collect else args, plugins=[recorder])
    print(table(recorder, ran=not collect))
    return int(code)


if __name__ == "__main__":
    raise SystemExit(main())
