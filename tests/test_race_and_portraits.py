"""The 街道 race ranks every 街道 with each target's source named and says which targets the data do
not break down; portraits exist for every listed enterprise, open in a browser, show data text
as text, and name no real enterprise in an anonymised run."""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from helpers.core.errors import InputError  # noqa: E402
from helpers.progress.race import NO_BREAKDOWN, SUMMONED  # noqa: E402
from helpers.report import enterprises_page  # noqa: E402
from helpers.report.context import build_context  # noqa: E402
from helpers.report.low_efficiency_page import listed  # noqa: E402
from helpers.report.portraits import chosen_codes  # noqa: E402

from .browser import render_offline  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ctx(tmp_path_factory):
    return build_context(output_dir=tmp_path_factory.mktemp("enterprises"), plan_period="2022-2023")


def test_the_league_ranks_all_eight_streets_with_every_source_named(ctx):
    r = enterprises_page.race(ctx)
    assert len(r.league) == 8 and sorted(r.league["rank"]) == list(range(1, 9))
    assert list(r.league["mark"]).count(SUMMONED) == 2 and set(r.league["mark"].iloc[-2:]) == {SUMMONED}
    assert r.values.groupby("id")["street_code"].nunique().eq(8).all()
    assert r.values["source"].str.len().gt(1).all() and r.without_breakdown["source"].str.len().gt(1).all()
    assert set(r.without_breakdown["note"]) == {NO_BREAKDOWN}
    assert "goal:tax_per_mu" in set(r.values["id"])  # the headline 亩均税收 is in the race
    assert "task2:remediation_completed" in set(r.values["id"])  # a tracked measure named in data/plan/race.yaml
    clearance = r.values[r.values["id"] == "task4:clearance_parcels"].sort_values("value_now")
    assert clearance["rank_now"].iloc[0] == 1  # a "<=" target: the fewest parcels under the line ranks first
    tax = r.values[r.values["id"] == "goal:tax_per_mu"].sort_values("value_now", ascending=False)
    assert tax["rank_now"].iloc[0] == 1
    page = enterprises_page.race_measures(ctx)
    assert any("数据无街道分解" in t for t in page.texts)


def test_portraits_exist_for_every_listed_enterprise_and_open(ctx):
    section = enterprises_page.portraits(ctx)
    codes = list(listed(ctx)["credit_code"])
    page = section.data["portraits"].read_text(encoding="utf-8")
    assert section.data["codes"] == codes and page.count('<section class="portrait"') == len(codes)
    names = ctx.dataset.enterprises.set_index("credit_code")["name"]
    assert all(names[c] in page for c in codes[:20])
    assert not re.search(r"https?://", page)  # no web address, not even an SVG namespace
    dom, error = render_offline(page)
    assert error is None and dom.count("<svg") >= len(codes) * 0.9  # a map for each with parcels


def test_a_hostile_name_shows_as_text_and_unknown_codes_are_named(ctx, tmp_path):
    from helpers.report.portraits import portraits_page

    hostile = ctx.dataset.enterprises.copy()
    code = hostile["credit_code"].iloc[0]
    hostile.loc[0, "name"] = "<img src=x onerror=alert(1)>机械厂"
    for ev in ctx.district.values():
        ev.enterprises.loc[ev.enterprises["credit_code"] == code, "name"] = hostile.loc[0, "name"]
    patched = type(ctx)(**{**ctx.__dict__, "dataset": ctx.dataset.replace(enterprises=hostile), "_memo": {}})
    page = portraits_page(patched, [code], enterprises_page.peers(patched), "")
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;机械厂" in page
    with pytest.raises(InputError, match="not in the data: NOPE"):
        chosen_codes(ctx, f"{code},NOPE", [])
    assert chosen_codes(ctx, "none", [code]) == [] and chosen_codes(ctx, "list", [code]) == [code]


def test_an_anonymised_portrait_page_names_no_real_enterprise(tmp_path, sample):
    import json

    anon = build_context(output_dir=tmp_path, anonymize=True, plan_period="2022-2023")
    section = enterprises_page.portraits(anon)
    page = section.data["portraits"].read_text(encoding="utf-8")
    real = set(sample.enterprises["name"]) | set(sample.enterprises["credit_code"])
    assert not [n for n in real if n in page or json.dumps(n)[1:-1] in page]
    assert section.data["codes"] and all(c in page for c in section.data["codes"][:5])  # the pseudonyms


def test_portraits_of_a_long_list_stop_at_portraits_max_lowest_scores_first(ctx):
    """A list longer than ``portraits_max`` (thousands at 100,000 parcels) gives that many portraits,
    the lowest comprehensive scores first, and says how many the list holds; 0 draws them all; codes
    named by hand are all drawn; a negative or fractional limit is refused."""
    on_list = listed(ctx)
    capped = type(ctx)(**{**ctx.__dict__, "parameters": {**ctx.parameters, "portraits_max": 5}, "_memo": {}})
    section = enterprises_page.portraits(capped)
    lowest = list(on_list.sort_values("score", kind="stable")["credit_code"].head(5))
    assert section.data["codes"] == lowest
    assert section.data["portraits"].read_text(encoding="utf-8").count('<section class="portrait"') == 5
    assert f"{len(on_list):,}" in section.texts[0] and "portraits_max = 0" in section.texts[0]
    named = type(ctx)(**{**ctx.__dict__, "parameters": {**ctx.parameters, "portraits_max": 1, "portraits": ",".join(lowest[:3])}})
    assert enterprises_page.portraits(named).data["codes"] == lowest[:3]
    for bad in (-1, 2.5, True):
        wrong = type(ctx)(**{**ctx.__dict__, "parameters": {**ctx.parameters, "portraits_max": bad}})
        with pytest.raises(InputError, match="portraits_max"):
            enterprises_page.portraits(wrong)
    assert enterprises_page.portrait_limit(ctx) == enterprises_page.DEFAULT_PORTRAITS_MAX > len(on_list)  # the sample: all


def test_a_ledger_without_a_column_heads_the_others_by_their_own_names(ctx):
    """A remediation ledger without ``way``: the stage column is headed 整治阶段, not 整治方式; each
    enterprise's records in year order."""
    from types import SimpleNamespace

    from helpers.report import portraits

    rec = ctx.dataset.records["remediation"]
    code = rec["credit_code"].value_counts().index[0]  # an enterprise with the most records
    without_way = rec.drop(columns="way")
    prep = SimpleNamespace(
        remediation=portraits._ledger_rows(without_way), remediation_columns=[c for c in ("year", "stage") if c in without_way]
    )
    page = portraits._remediation(prep, code)
    assert "整治阶段" in page and "整治方式" not in page
    years = [int(y) for y in re.findall(r"<td>(\d{4})</td>", page)]
    assert years == sorted(years) and len(years) == int((rec["credit_code"] == code).sum())


def test_the_big_moves_file_holds_every_row_the_page_lists(ctx, monkeypatch):
    """The list of enterprises that moved two classes is written whole to the run's tables; a page
    showing a part of it (here: five rows of each pair of years) names that file."""
    from helpers.report import sections

    monkeypatch.setattr(sections, "LONG_LIST_ROWS", 5)
    s = enterprises_page.big_moves(ctx)
    written = pd.read_csv(s.data["written"], encoding="utf-8-sig", dtype=str)
    assert len(written) == len(s.data["big_moves"]) > 10
    assert written["统一社会信用代码"].tolist() == s.data["big_moves"]["credit_code"].tolist()
    (kind, note), (_, table) = s.parts
    assert kind == "markdown" and "tables/big_moves_2023.csv" in note
    assert table.data.groupby("年份").size().tolist() == [5, 5]
