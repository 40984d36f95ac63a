"""The plan registry's integrity and the status logic's edge cases."""

import pandas as pd
import pytest
import yaml

from helpers.core.errors import InputError
from helpers.plan.goals import load_goals
from helpers.plan.tasks import BEHIND, MET, NO_DATA, ON_TRACK, load_policy_measures, load_tasks, status


def test_twenty_tasks_with_lead_units_and_complete_targets():
    actions, tasks = load_tasks()
    assert tasks["number"].tolist() == list(range(1, 21))
    assert set(tasks["action"]) == {1, 2, 3, 4} and set(actions) == {1, 2, 3, 4}
    assert tasks.groupby("action")["number"].apply(list).to_dict() == {
        1: [1, 2, 3, 4, 5],
        2: [6, 7, 8, 9],
        3: [10, 11, 12, 13, 14, 15],
        4: [16, 17, 18, 19, 20],
    }
    assert tasks["lead_unit"].str.len().gt(0).all()
    assert tasks.loc[tasks["number"] == 1, "lead_unit"].item() == "区经科局"
    assert tasks.loc[tasks["number"] == 4, "lead_unit"].item() == "市规划和自然资源局临平分局"
    assert tasks.loc[tasks["number"] == 10, "lead_unit"].item() == "区商务局"
    assert tasks.loc[tasks["number"] == 16, "lead_unit"].item() == "区市场监管局"
    for t in tasks.itertuples():
        assert t.targets or t.measure_only, t.number
        for target in t.targets:
            assert target["unit"] and target["comparator"] in {">=", ">", "<=", "<"}


def test_headline_goals_and_measures_are_complete():
    plan, goals = load_goals()
    assert plan["valid_from"] == "2022-06-23" and plan["valid_until"] == "2023-12-31"
    assert len(goals) == 11 and goals.iloc[0]["value"] == 3500 and goals.iloc[-1]["value"] == 6
    m = load_policy_measures().set_index("id")
    assert m.loc["land_revenue_fund", "value"] == 0.01 and m.loc["industrial_land_share", "value"] == 0.30
    assert m.loc["land_use_change_balance", "value"] == 1.2 and m.loc["rental_homes", "value"] == 26000


def test_malformed_task_file_names_the_task(tmp_path):
    from helpers.plan.tasks import TASKS_FILE

    raw = yaml.safe_load(open(TASKS_FILE, encoding="utf-8"))
    raw["tasks"][6]["targets"][0].pop("unit")
    p = tmp_path / "t.yaml"
    p.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(InputError, match="task 7") as info:
        load_tasks(p)
    assert "unit" in str(info.value)


def t(basis, comparator=">=", value=10, deadline=2023):
    return {"basis": basis, "comparator": comparator, "value": value, "deadline": deadline}


def s(**by_year):
    return pd.Series({int(k[1:]): v for k, v in by_year.items()}, dtype=float)


def test_met_exactly_counts_as_met():
    assert status(t("level"), s(y2021=5, y2023=10), 2023) == (MET, 10.0)
    assert status(t("new"), s(y2022=4, y2023=6), 2023) == (MET, 10.0)


def test_missing_data():
    assert status(t("level"), None, 2023)[0] == NO_DATA
    assert status(t("level"), s(y2021=5), 2023)[0] == NO_DATA
    assert status(t("new"), s(y2022=3), 2023)[0] == NO_DATA
    assert status(t("per_year"), s(y2022=30), 2023)[0] == NO_DATA


def test_at_most_targets():
    goal = t("level", comparator="<=", value=0)
    assert status(goal, s(y2021=100, y2023=0), 2023)[0] == MET
    assert status(goal, s(y2021=100, y2023=3), 2023)[0] == BEHIND
    # 2022, deadline 2023: halfway from 100 to 0 is 50
    assert status(goal, s(y2021=100, y2022=40), 2022)[0] == ON_TRACK
    assert status(goal, s(y2021=100, y2022=60), 2022)[0] == BEHIND


def test_per_year_targets_need_every_year():
    goal = t("per_year", value=20)
    assert status(goal, s(y2022=21, y2023=20), 2023) == (MET, 20.0)
    assert status(goal, s(y2022=19, y2023=25), 2023) == (BEHIND, 25.0)
    assert status(goal, s(y2021=5, y2022=20), 2022) == (MET, 20.0)  # 2021 is before the plan


def test_deadline_not_yet_reached():
    # level: baseline 2021 = 800, target 900 in 2023 → expected 850 in 2022
    goal = t("level", comparator=">", value=900)
    assert status(goal, s(y2021=800, y2022=860), 2022)[0] == ON_TRACK
    assert status(goal, s(y2021=800, y2022=840), 2022)[0] == BEHIND
    assert status(goal, s(y2022=905), 2022)[0] == MET
    assert status(goal, s(y2022=860), 2022)[0] == BEHIND  # no baseline: pace cannot be judged
    # new: 15 over 2022-2023 → 7.5 expected by the end of 2022
    goal = t("new", value=15)
    assert status(goal, s(y2022=8), 2022) == (ON_TRACK, 8.0)
    assert status(goal, s(y2022=7), 2022) == (BEHIND, 7.0)
    assert status(goal, s(y2021=50, y2022=8, y2023=6), 2023) == (BEHIND, 14.0)  # 2021 does not count


def test_the_plan_period_is_a_reading_in_the_file_and_decides_what_new_counts():
    from helpers.plan.tasks import plan_period

    assert plan_period() == plan_period("2022-2023") and plan_period()[0] == (2022, 2023)
    years, reading = plan_period("2021-2023")
    assert years == (2021, 2022, 2023) and "三年" in reading
    with pytest.raises(InputError, match="unknown plan period '2020-2023'"):
        plan_period("2020-2023")
    goal = t("new", value=15)  # e.g. task 16: 力争三年新增15个
    series = s(y2021=5, y2022=6, y2023=6)
    assert status(goal, series, 2023, (2022, 2023)) == (BEHIND, 12.0)
    assert status(goal, series, 2023, (2021, 2022, 2023)) == (MET, 17.0)
    # level targets are paced from the year before the period: 2020 is not in the data, so not judged on pace
    level = t("level", comparator=">", value=900)
    assert status(level, s(y2021=800, y2022=860), 2022, (2022, 2023))[0] == ON_TRACK
    assert status(level, s(y2021=800, y2022=860), 2022, (2021, 2022, 2023))[0] == BEHIND


@pytest.mark.slow
def test_the_tracker_judges_new_targets_over_the_chosen_period(sample):
    from helpers.report.context import build_context
    from helpers.report.tracker_page import header, progress_context, targets

    shown = {}
    for period in ("2022-2023", "2021-2023"):
        ctx = build_context(plot=False, plan_period=period)
        rows = targets(ctx).set_index("measure")
        shown[period] = rows.loc["green_factories_new", "judged"]
        assert progress_context(ctx).plan_years[0] == int(period[:4]) and period in header(ctx).texts[0]
    assert shown["2021-2023"] > shown["2022-2023"]  # 2021's new green factories count under the 三年 reading
