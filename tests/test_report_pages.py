"""The report layer without papermill: every section of every page, on the whole district and on a
街道 view, returns what it shows; a view selects the district's results and never judges a 街道
against a district target."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from helpers.plan.tasks import BEHIND, MET, ON_TRACK, STREET_VIEW  # noqa: E402
from helpers.report import (
    evaluation_page,
    low_efficiency_page,
    scenario_page,  # noqa: E402
    tracker_page,
)
from helpers.report.context import build_context  # noqa: E402

from .pages import PAGES, QUICK, run_sections, sections  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def district(tmp_path_factory):
    return build_context(output_dir=tmp_path_factory.mktemp("district"), **QUICK)


@pytest.fixture(scope="module")
def qiaosi(tmp_path_factory):
    return build_context(streets="乔司街道", output_dir=tmp_path_factory.mktemp("qiaosi"), **QUICK)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.__name__.rsplit(".", 1)[1])
@pytest.mark.parametrize("scope", ["district", "qiaosi"])
def test_every_section_returns_what_it_shows(page, scope, request):
    ctx = request.getfixturevalue(scope)
    assert len(sections(page)) >= 3
    run_sections(ctx, [page])


def test_a_street_view_never_judges_the_street_against_a_district_target(qiaosi):
    goals = evaluation_page.goals(qiaosi)
    assert "contributions" in goals.data and "goals" not in goals.data
    assert not any("达标" in t and "不判断" not in t for t in goals.texts)
    statuses = set(tracker_page.targets(qiaosi)["status"])
    assert STREET_VIEW in statuses and not statuses & {MET, ON_TRACK, BEHIND}
    assert "全区情景" in scenario_page.headline(qiaosi).texts[0]
    for section in (low_efficiency_page.land_renewal, low_efficiency_page.remediation_progress):
        assert any("不与全区目标比较" in text for text in section(qiaosi).texts)
    assert low_efficiency_page.district_target(qiaosi, 1.0, "x") == {}
    plt.close("all")


def test_a_street_view_lists_the_district_list_restricted_to_the_street(district, qiaosi):
    whole = low_efficiency_page.the_list(district)
    shown = low_efficiency_page.the_list(qiaosi)
    assert len(shown) and set(shown["所属镇街"]) == {"乔司街道"}
    expected = whole[whole["所属镇街"] == "乔司街道"]
    assert sorted(shown["统一社会信用代码"]) == sorted(expected["统一社会信用代码"])
    assert (
        shown.set_index("统一社会信用代码")["评价类别"]
        == expected.set_index("统一社会信用代码").loc[shown["统一社会信用代码"], "评价类别"]
    ).all()
    # the scenario is the district's: the view's exits are the district's exits in that 街道
    exits = scenario_page.result(district).exits
    assert sorted(scenario_page.exits_in_view(qiaosi)["credit_code"]) == sorted(
        exits.loc[exits["street_code"].isin(qiaosi.streets), "credit_code"]
    )


def test_targets_come_from_the_plan_files(district):
    assert district.goal("tax_per_mu").value == 41
    assert district.target("green_factories_new")["value"] == 15
    with pytest.raises(KeyError, match="no goal"):
        district.goal("not_a_goal")


def test_ranking_within_the_street_is_explicit_and_named_on_the_page(tmp_path):
    ctx = build_context(streets="乔司街道", rank_within_streets=True, output_dir=tmp_path)
    assert ctx.rank_within_streets and ctx.ev.rank_within_streets and not ctx.district_ev.rank_within_streets
    assert any("仅所选街道内排名" in text for text in evaluation_page.classes(ctx).texts)
    assert (ctx.ev.evaluated["rank"] <= len(ctx.ev.evaluated)).all()
    plt.close("all")


def test_the_scenario_page_sets_energy_per_mu_beside_the_plans_ratio(district):
    """The plan's two targets imply 20000 ÷ 3500 ≈ 5.7 tce per 亩 freed; the page prints it beside the
    scenario's own figure, and says that the sample's 规下 energy intensity is an assumption."""
    t = scenario_page.result(district).totals
    text = "\n".join(scenario_page.assumptions_section(district).texts)
    assert "每亩 5.7 吨" in text
    assert f"{t['energy_freed_tce'] / t['land_freed_mu']:,.1f} 吨标准煤" in text
    assert scenario_page.SAMPLE_ENERGY_NOTE in text


def test_too_few_rated_parcels_for_hot_spots_are_said_not_a_failure(tmp_path):
    """A folder with no more rated parcels than ``hotspot_k``: the hot-spot section says why it has
    no map, and the exports and the interactive map, which carry the bins, are still written."""
    ctx = build_context(output_dir=tmp_path, **QUICK)
    ev = ctx.district[ctx.year]
    rated = ev.parcels.index[ev.parcels["tax_per_mu"].notna()]
    ev.parcels = ev.parcels.drop(rated[6:])  # six rated parcels; k = 8
    s = low_efficiency_page.hotspot_section(ctx)
    assert not s.figures and "k=8 需要多于 8 宗" in s.texts[0] and "6 parcels" in s.texts[0]
    layer = low_efficiency_page.exports(ctx).data["layer"]
    assert layer["gi_bin"].isna().all() and len(layer) == len(ev.parcels)
    assert low_efficiency_page.interactive_map(ctx).data["map"] is not None


def test_a_view_without_rated_parcels_is_not_told_the_district_has_too_few(tmp_path):
    """Hot spots are computed district-wide: a 街道 view whose parcels have no 亩均税收 gets the
    section with its counts (all zero), not the sentence for a folder of too few parcels."""
    ctx = build_context(streets="乔司街道", output_dir=tmp_path, **QUICK)
    shown = ctx.evaluations[ctx.year]
    shown.parcels = shown.parcels[shown.parcels["tax_per_mu"].isna()]
    s = low_efficiency_page.hotspot_section(ctx)
    assert s.data["hotspots"].empty and s.figures and "需要多于" not in " ".join(s.texts)
