"""The tracker on the sample: every measure the plan names exists, statuses follow the data,
the 街道 filter and the task subset behave."""

import pytest

from helpers.evaluate.evaluation import evaluate
from helpers.plan.goals import load_goals
from helpers.plan.tasks import BEHIND, MET, NO_DATA, NO_TARGET, load_tasks
from helpers.policy.energy import load_budget_rule
from helpers.policy.low_efficiency import load_rule
from helpers.progress.measures import MEASURES, Context
from helpers.progress.tracker import goal_rows, parse_tasks, target_rows


def context(sample, streets=None):
    return Context(
        sample, {y: evaluate(sample, y, streets=streets) for y in sample.years}, streets, load_rule(), load_budget_rule()
    )


@pytest.fixture(scope="module")
def ctx(sample):
    return context(sample)


def test_every_named_measure_is_registered():
    _, tasks = load_tasks()
    named = {t["measure"] for ts in tasks["targets"] for t in ts} | {m for ms in tasks["measure_only"] for m in ms}
    _, goals = load_goals()
    named |= set(goals["progress"].dropna())
    assert named <= set(MEASURES), named - set(MEASURES)


def test_rows_cover_all_tasks_and_statuses_follow_the_data(ctx):
    rows = target_rows(ctx, 2023)
    assert sorted(rows["task"].unique()) == list(range(1, 21))
    by = rows.set_index("measure")
    assert by.loc["high_tech_enterprises", "status"] == MET and by.loc["high_tech_enterprises", "judged"] > 900
    assert by.loc["robots_new", "status"] == BEHIND and by.loc["robots_new", "judged"] == 480  # 230 + 250
    assert by.loc["clearance_parcels", "status"] == BEHIND
    assert set(rows.loc[rows["task"].isin([3, 14, 15, 20]), "status"]) == {NO_TARGET}
    landing = by.loc["landing_rate", "series"]
    assert 0.5 < landing.loc[2022] < 0.7  # not 1.0: unlanded projects count


def test_goals_on_the_sample(ctx):
    g = goal_rows(ctx, 2023).set_index("id")
    assert g.loc["tax_per_mu", "status"] == BEHIND and g.loc["tax_per_mu", "judged"] == pytest.approx(38.6, abs=0.01)
    # the sample's 规下 energy (calibrated since generator v2) makes the recorded energy freed about 23,800 tce
    assert g.loc["land_renewed", "status"] == MET and g.loc["energy_freed", "status"] == MET
    assert g["status"].isin([MET, BEHIND]).all()


def test_street_filter_makes_district_counts_unavailable(sample):
    rows = target_rows(context(sample, ["330113005"]), 2023, [6, 9])
    by = rows.set_index("measure")
    assert by.loc["research_projects_new", "status"] == NO_DATA
    assert by.loc["high_tech_enterprises", "judged"] < 912  # only 乔司's enterprises


def test_parse_tasks():
    numbers = list(range(1, 21))
    assert parse_tasks("all", numbers) == numbers and parse_tasks(7, numbers) == [7]
    assert parse_tasks("1-3, 7", numbers) == [1, 2, 3, 7]
    with pytest.raises(ValueError, match="21"):
        parse_tasks("21", numbers)


def test_the_screening_scope_is_manufacturing_only_as_the_plan_says():
    import pandas as pd

    from helpers.core.industries import is_manufacturing
    from helpers.policy.low_efficiency import in_scope

    frame = pd.DataFrame(
        {
            "industry_code": ["C342", "D4411", None, "c181"],
            "above_scale": [True, True, True, False],
            "land_mu": [10.0, 10.0, 10.0, 5.0],
        }
    )
    assert is_manufacturing(frame).tolist() == [True, False, True, True]  # a missing code is not known to be outside
    assert in_scope(frame, load_rule()).tolist() == [True, False, True, True]  # the power plant is out


def test_screening_coverage_counts_in_scope_enterprises_without_data(sample_copy):
    from helpers.io.dataset import load_dataset
    from helpers.progress.measures import compute

    from .conftest import read_table, write_table

    def coverage(folder):
        ds = load_dataset(folder, use_cache=False)
        ctx = Context(ds, {2023: evaluate(ds, 2023)}, None, load_rule(), load_budget_rule())
        return compute("screening_coverage", ctx)[2023], ctx

    import shutil

    from helpers.core import paths

    assert coverage(sample_copy)[0] < 1.0  # without the ledger, the 2023 exits look unscreened
    shutil.copy(paths.SAMPLE_DIR / "remediation.csv", sample_copy / "remediation.csv")
    assert coverage(sample_copy)[0] == 1.0  # every in-scope enterprise of the sample has its row (exits are 已退出)
    panel = read_table(sample_copy, "panel.csv")
    ev = evaluate(load_dataset(sample_copy), 2023).evaluated
    code = ev.loc[ev["above_scale"].astype(bool), "credit_code"].iloc[0]  # a 规上 enterprise that reports nothing for 2023
    write_table(panel[~((panel["credit_code"] == code) & (panel["year"].astype(int) == 2023))], sample_copy, "panel.csv")
    value, ctx = coverage(sample_copy)
    in_scope_count = round(1 / (1 - value))
    assert value < 1 and in_scope_count > 1000  # one in-scope enterprise of more than a thousand went unscreened


def test_the_readings_of_tasks_5_8_17_18_and_the_policy_measures(sample):
    from helpers.plan.tasks import load_policy_measures
    from helpers.report.context import build_context
    from helpers.report.tracker_page import policy_measures

    _, tasks = load_tasks()
    by_task = {t.number: {x["measure"]: x for x in t.targets} for t in tasks.itertuples()}
    assert "rd_activity_coverage" in by_task[8]
    assert {"digital_diagnosis_coverage", "industrial_internet_coverage"} <= set(by_task[17])
    assert "lower bound" in by_task[5]["parks_four_star"]["reading"]
    assert (
        by_task[18]["service_manufacturing_demos_new"]["basis"] == "new"
        and "15" in by_task[18]["service_manufacturing_demos_new"]["reading"]
    )
    rows = target_rows(context(sample), 2023, [8, 17]).set_index("measure")
    ev = evaluate(sample, 2023).evaluated
    above = ev[ev["above_scale"].astype(bool)]
    assert rows.loc["rd_activity_coverage", "judged"] == pytest.approx((above["rd_10k_yuan"] > 0).mean())
    assert rows.loc["digital_diagnosis_coverage", "status"] == NO_DATA  # the sample does not record it: unknown, not 0 %
    section = policy_measures(build_context(plot=False))
    assert len(section.data["measures"]) == len(load_policy_measures()) >= 5
    assert "改一补一" in section.parts[1][1].to_html()
