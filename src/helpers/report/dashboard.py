"""The status of the plan's targets as text: an HTML table (one row a target, grouped by task or goal,
the status a coloured chip) and the counts by status, shown on the tracker page and at the top of
the run's index. Text, not an image, so that a reader can search, copy and follow the links.

    records = status_records(rows, names, links)   # rows: helpers.progress.tracker's target or goal rows
    status_table(records); status_counts(records)
"""

from __future__ import annotations

import html
from collections import Counter

import pandas as pd

from helpers.plan.tasks import BEHIND, MET, NO_DATA, NO_TARGET, ON_TRACK, STREET_VIEW
from helpers.viz.style import STATUS_COLORS, STATUS_TEXT_WHITE, format_value

STATUS_FILE = "status.json"  # the tracker leaves its records here for the run's index page
STATUS_ORDER = [MET, ON_TRACK, BEHIND, NO_DATA, NO_TARGET, STREET_VIEW]


def status_records(rows: pd.DataFrame, key: str, names: dict, links: dict | None = None) -> list[dict]:
    """Plain records of ``rows`` (one per target: ``key`` groups them, ``names`` labels the
    groups, ``links`` gives a group's page anchor), ready for JSON and for ``status_table``."""
    out = []
    for r in rows.itertuples():
        group = getattr(r, key)
        target = "" if r.value is None or r.value != r.value else f"{r.comparator} {format_value(r.value, r.unit)}"
        out.append(
            {
                "group": str(group),
                "label": str(names.get(group, group)),
                "link": (links or {}).get(group),
                "text": str(r.text),
                "actual": format_value(r.judged, r.unit),
                "target": target,
                "status": str(r.status),
            }
        )
    return out


def chip(status: str) -> str:
    colour = STATUS_COLORS.get(status, "#d9d9d9")
    text = "white" if status in STATUS_TEXT_WHITE else "#111"
    return f'<span class="status-chip" style="background:{colour};color:{text}">{html.escape(status)}</span>'


def counts_by_status(records: list[dict]) -> list[tuple[str, int]]:
    """(status, number of targets) for each status the records hold, in ``STATUS_ORDER``."""
    counts = Counter(r["status"] for r in records)
    return [(s, counts[s]) for s in STATUS_ORDER if counts[s]]


def status_counts(records: list[dict]) -> str:
    """One line: the number of targets in each status, as chips."""
    parts = [f"{chip(s)} {n}" for s, n in counts_by_status(records)]
    return f'<p class="status-counts">共 {len(records)} 项 targets：' + " &nbsp; ".join(parts) + "</p>"


def status_table(records: list[dict], group_header: str | None = "任务 task") -> str:
    """The records as an HTML table; every row names its group (linked to its section where known),
    so that a filtered or sorted table still says which task a target belongs to; repeats are grey.
    ``group_header`` None: no group column (goals, one target each)."""
    group_th = f"<th>{html.escape(group_header)}</th>" if group_header else ""
    head = (
        f"<thead><tr>{group_th}<th>目标 target</th><th>实际 actual</th>"
        "<th>目标值 target value</th><th>状态 status</th></tr></thead>"
    )
    body, previous = [], None
    for r in records:
        text = html.escape(r["label"])
        if r["group"] == previous:
            label = f'<span style="color:#8c959f">{text}</span>'
        else:
            label = f'<a href="{html.escape(r["link"])}">{text}</a>' if r.get("link") else text
        previous = r["group"]
        group_td = f"<td>{label}</td>" if group_header else ""
        body.append(
            f'<tr>{group_td}<td>{html.escape(r["text"])}</td><td class="num">'
            f"{html.escape(r['actual'])}</td><td>{html.escape(r['target'])}</td><td>{chip(r['status'])}</td></tr>"
        )
    return f'<table class="status-table">{head}<tbody>{"".join(body)}</tbody></table>'
