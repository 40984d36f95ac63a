import numpy as np
import pandas as pd
import pytest

from helpers.evaluate.evaluation import evaluate
from helpers.evaluate.frame import EXCLUSION_REASONS
from helpers.evaluate.scope import parse_streets
from helpers.plan.goals import above_scale_figures, goals_table, load_goals


@pytest.fixture(scope="module")
def ev2023(sample):
    return evaluate(sample, 2023, "linping_default")


def test_every_enterprise_is_accounted_for(ev2023, sample):
    led = ev2023.ledger
    read = led.loc[0, "enterprises"]
    assert read == len(sample.enterprises)
    assert read == led.loc[1:, "enterprises"].sum()
    assert ev2023.enterprises["status"].isin(["evaluated", "excluded", "filtered"]).all()
    assert len(ev2023.exclusions) == (ev2023.enterprises["status"] == "excluded").sum()
    assert ev2023.exclusions["reason"].isin(EXCLUSION_REASONS.values()).all()


def test_exclusion_reasons_are_right(ev2023, sample):
    e = ev2023.enterprises.set_index("credit_code")
    panel = sample.panel[sample.panel["year"] == 2023].set_index("credit_code")
    no_row = sorted(set(sample.enterprises["credit_code"]) - set(panel.index))
    assert no_row and (e.loc[no_row, "reason"] == EXCLUSION_REASONS["no_panel_row"]).all()
    landless = e.index[(e["land_mu"] == 0) & e["has_panel"] & e["in_production"].fillna(False).astype(bool)]
    assert len(landless) and (e.loc[landless, "reason"] == EXCLUSION_REASONS["no_land"]).all()


def test_pools_follow_the_method(ev2023):
    e = ev2023.evaluated
    above = e["above_scale"].astype(bool)
    assert (e.loc[above, "pool"] == "above_scale").all()
    assert (e.loc[~above & (e["land_mu"] >= 3), "pool"] == "below_scale_3mu_plus").all()
    assert (e.loc[~above & (e["land_mu"] < 3), "pool"] == "below_scale_under_3mu").all()
    assert e["class"].notna().all()


def test_pool_aggregate_benchmark_is_the_pool_average(ev2023):
    e = ev2023.evaluated
    above = e[e["pool"] == "above_scale"]
    b = ev2023.benchmarks.set_index(["pool", "indicator"])["benchmark"]
    assert b[("above_scale", "tax_per_mu")] == pytest.approx(above["tax_10k_yuan"].sum() / above["land_mu"].sum())


def test_street_filter(sample):
    ev = evaluate(sample, 2022, "huangyan_2022", streets="东湖街道, 330113004")
    assert ev.streets == ["330113003", "330113004"]
    assert set(ev.evaluated["street_code"]) == {"330113003", "330113004"}
    assert set(ev.parcels["street_code"]) == {"330113003", "330113004"}
    led = ev.ledger
    assert led.loc[0, "enterprises"] == led.loc[1:, "enterprises"].sum()
    assert led.loc[1, "enterprises"] == (~sample.enterprises["street_code"].isin(ev.streets)).sum()


@pytest.mark.parametrize("streets", ["乔司街道", "东湖街道,塘栖镇"])
def test_a_street_filter_is_a_view_of_the_district_evaluation(ev2023, sample, streets):
    """Classes, ranks, scores and benchmarks of a filtered run are the district run's; the filter
    only selects which enterprises and parcels are shown."""
    district = ev2023.evaluated.set_index("credit_code")
    view = evaluate(sample, 2023, "linping_default", streets=streets)
    shown = view.evaluated.set_index("credit_code")
    codes = parse_streets(streets)
    assert len(shown) and set(shown["street_code"]) <= set(codes)
    expected = district[district["street_code"].isin(codes)]
    assert sorted(shown.index) == sorted(expected.index)
    for column in ["pool", "score", "rank", "class"]:
        pd.testing.assert_series_equal(shown[column], expected.loc[shown.index, column], check_names=False)
    pd.testing.assert_frame_equal(view.benchmarks, ev2023.benchmarks)
    assert "全区统一排名" in view.ranking_note
    # the parcels shown keep the district run's values
    parcels = ev2023.parcels.set_index("parcel_id")
    vp = view.parcels.set_index("parcel_id")
    pd.testing.assert_series_equal(vp["class"], parcels.loc[vp.index, "class"])
    pd.testing.assert_series_equal(vp["tax_per_mu"], parcels.loc[vp.index, "tax_per_mu"])


def test_ranking_within_streets_is_explicit_and_labelled(ev2023, sample):
    within = evaluate(sample, 2023, "linping_default", streets="乔司街道", rank_within_streets=True)
    district = ev2023.evaluated.set_index("credit_code")
    shown = within.evaluated.set_index("credit_code")
    assert (shown["rank"] <= len(shown)).all()
    assert (shown["class"] != district.loc[shown.index, "class"]).any()
    assert "仅所选街道内排名" in within.ranking_note


def test_parse_streets():
    assert parse_streets("all") is None and parse_streets("") is None and parse_streets(None) is None
    assert parse_streets(["塘栖镇"]) == ["330113100"]
    with pytest.raises(ValueError, match="五常街道"):
        parse_streets("五常街道")


def test_parcel_tax_allocation_conserves_tax(ev2023):
    e = ev2023.evaluated
    p = ev2023.parcels
    assert p["tax_10k_yuan"].sum() == pytest.approx(e["tax_10k_yuan"].sum(), rel=1e-9)
    assert (p.loc[p["status"] == "idle", "class"].isna()).all()
    assert set(p["status"]) <= {"evaluated", "excluded", "idle"}


def test_sample_meets_some_targets_and_misses_others(ev2023):
    goals = goals_table(above_scale_figures(ev2023.evaluated)).set_index("id")
    met = goals["met"].dropna()
    assert met.any() and not met.all()
    assert goals.loc["tax_per_mu", "actual"] == pytest.approx(38.6, abs=0.01)
    assert bool(goals.loc["tax_per_mu", "met"]) is False
    assert bool(goals.loc["labour_productivity", "met"]) is True
    assert pd.isna(goals.loc["land_renewed", "met"])  # not measured by the evaluation


def test_the_rd_goal_is_measured_over_manufacturing_only(ev2023):
    """The plan's R&D goal says 制造业: a 规上 power company (门类 D) with a large R&D spend moves the
    district's 亩均税收 but not the R&D figure; an enterprise without an industry code is kept."""
    e = ev2023.evaluated.copy()
    above = e.index[e["above_scale"].astype(bool)]
    before = above_scale_figures(e)
    power, unknown = above[0], above[1]
    e.loc[power, ["industry_code", "rd_10k_yuan", "tax_10k_yuan"]] = ["D4411", e.loc[power, "revenue_10k_yuan"], 1e6]
    e.loc[unknown, "industry_code"] = None
    after = above_scale_figures(e)
    rest = e.loc[above].drop(index=power)
    assert after["rd_ratio"] == pytest.approx(rest["rd_10k_yuan"].sum() / rest["revenue_10k_yuan"].sum())
    assert after["rd_ratio"] != pytest.approx(before["rd_ratio"])
    assert after["tax_per_mu"] > before["tax_per_mu"]  # 规上工业 goals keep every 规上 enterprise
    assert "制造业" in load_goals()[1].set_index("id").loc["rd_ratio", "note"]


def test_years_differ(sample):
    a = evaluate(sample, 2021, "linping_default").evaluated
    b = evaluate(sample, 2023, "linping_default").evaluated
    assert not a["score"].reset_index(drop=True).equals(b["score"].reset_index(drop=True))
    assert isinstance(a, pd.DataFrame)


def test_goals_display_is_readable(ev2023):
    from helpers.evaluate.breakdowns import goals_display

    t = goals_display(goals_table(above_scale_figures(ev2023.evaluated)), 2023)
    row = t.set_index("目标 goal").loc["规模以上工业增加值率达到25%以上"]
    assert row["目标值 target"] == ">= 25" and row["单位 unit"] == "%" and row["结果 result"] == "达标 met"
    assert set(t["结果 result"]) == {"达标 met", "未达标 not met"}


def test_pseudonyms_are_stable_and_keep_missing_codes():
    from helpers.io.privacy import pseudonymize

    f = pd.DataFrame({"credit_code": ["91330100716105852F", None], "name": ["甲", None]})
    a, b = pseudonymize(f), pseudonymize(f)
    assert a.equals(b) and a.loc[0, "name"] == a.loc[0, "credit_code"] and a.loc[0, "name"].startswith("企业-")
    assert pd.isna(a.loc[1, "credit_code"]) and pd.isna(a.loc[1, "name"])
    other = pseudonymize(
        f.rename(columns={"credit_code": "统一社会信用代码", "name": "企业名称"}),
        code_col="统一社会信用代码",
        name_col="企业名称",
    )
    assert other.loc[0, "统一社会信用代码"] == a.loc[0, "credit_code"]


def test_labels_at_gives_pandas_text_with_missing_codes():
    from helpers.evaluate.frame import labels_at

    codes = np.array([2, -1, 0, 0, 1])
    strict = labels_at(["a", "b", "c"], codes, "string")
    loose = labels_at(["a", "b", "c"], codes, "str")
    assert str(strict.dtype) == "string" and str(loose.dtype) == "str"
    assert list(pd.Series(strict).fillna("-")) == ["c", "-", "a", "a", "b"] and pd.isna(strict[1])
    assert pd.Series(loose).equals(pd.Series(["c", None, "a", "a", "b"], dtype="str"))


def test_street_contributions_add_up_to_the_district_gap(ev2023, sample):
    from helpers.core.geography import load_streets
    from helpers.evaluate.evaluation import view
    from helpers.plan.goals import scope_contributions

    district = ev2023.evaluated
    parts = [
        scope_contributions(district, view(ev2023, [code]).evaluated).set_index("id") for code in load_streets()["street_code"]
    ]
    whole = scope_contributions(district, district).set_index("id")
    total = sum(p["contribution_to_gap"] for p in parts)
    pd.testing.assert_series_equal(total, whole["district_actual"] - whole["value"], check_names=False)
    assert (whole["share_of_district"] == 1).all()
    assert sum(p["share_of_district"] for p in parts).round(12).eq(1).all()
    assert whole.loc["tax_per_mu", "view_actual"] == pytest.approx(above_scale_figures(district)["tax_per_mu"])


def test_enterprises_placed_by_the_ranking_rules_are_listed(sample, tmp_path):
    import yaml

    from helpers.core import paths

    raw = yaml.safe_load((paths.METHODS_DIR / "linping_default.yaml").read_text(encoding="utf-8"))
    raw["ranking"] = {"min_pool_size": 400}  # the 规下 pools of the sample are smaller: not put in classes
    method_file = tmp_path / "big_pools.yaml"
    method_file.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    ev = evaluate(sample, 2023, str(method_file))
    sizes = ev.evaluated.groupby("pool").size()
    small = sizes[sizes < 400].index
    placed = ev.ranking_notes
    assert len(small) and len(placed) == int(sizes[small].sum()) and placed["class"].isna().all()
    assert placed["class_note"].str.contains("under 400: not put in classes").all()
    assert ev.evaluated.loc[ev.evaluated["pool"].isin(small), "class"].isna().all()
    assert ev.evaluated.loc[~ev.evaluated["pool"].isin(small), "class"].notna().all()
    assert evaluate(sample, 2023).ranking_notes.empty  # the shipped method: every pool of the sample is ranked


@pytest.mark.slow
def test_the_va_rate_is_over_gross_output_where_given_and_labelled_where_not(sample_copy):
    from helpers.io.dataset import load_dataset
    from helpers.plan.goals import above_scale_figures, goals_table

    from .conftest import read_table, write_table

    def va_rate_goal(folder):
        ev = evaluate(load_dataset(folder, use_cache=False), 2023).evaluated
        above = ev[ev["above_scale"].astype(bool)]
        goal = goals_table(above_scale_figures(ev), ev).set_index("measure").loc["va_rate"]
        return goal, above

    goal, above = va_rate_goal(sample_copy)  # the sample has no 工业总产值: 营业收入 stands in, and the goal says so
    assert goal["actual"] == pytest.approx(above["value_added_10k_yuan"].sum() / above["revenue_10k_yuan"].sum())
    assert goal["text"].endswith("（营业收入代工业总产值）")

    panel = read_table(sample_copy, "panel.csv")
    panel["gross_output_10k_yuan"] = panel["revenue_10k_yuan"].astype(float) * 1.25
    write_table(panel, sample_copy, "panel.csv")
    goal, above = va_rate_goal(sample_copy)
    assert goal["actual"] == pytest.approx(above["value_added_10k_yuan"].sum() / above["gross_output_10k_yuan"].sum())
    assert goal["text"] == "规模以上工业增加值率达到25%以上"

    panel.loc[panel.index[::2], "gross_output_10k_yuan"] = None  # half the rows without it
    write_table(panel, sample_copy, "panel.csv")
    goal, above = va_rate_goal(sample_copy)
    n_revenue = int(above["gross_output_10k_yuan"].isna().sum())
    assert 0 < n_revenue < len(above) and f"（{n_revenue}/{len(above)}家营业收入代工业总产值" in goal["text"]


def test_a_parcels_main_user_is_its_largest_share_and_its_class_the_first_there(sample):
    """parcel_view on the links' parcel rows: the main user is the largest share (then credit code);
    a parcel whose main user has no class shows the next user's; a link to a parcel the layer lacks
    adds to no parcel; the tax of the evaluated users is summed per parcel."""
    from helpers.evaluate.frame import enterprise_year_frame, evaluate_frame
    from helpers.evaluate.methods import load_method
    from helpers.evaluate.parcels import parcel_view

    frame, _ = evaluate_frame(enterprise_year_frame(sample, 2023), load_method("linping_default"))
    links = sample.links
    shared = links.groupby("parcel_id")["credit_code"].transform("count") > 1
    parcel = links.loc[shared, "parcel_id"].iloc[0]
    users = links[links["parcel_id"] == parcel].sort_values(["share", "credit_code"], ascending=[False, True])
    main, other = users["credit_code"].iloc[0], users["credit_code"].iloc[1]
    frame = frame.copy()
    frame.loc[frame["credit_code"] == main, "class"] = pd.NA
    frame.loc[frame["credit_code"] == other, "class"] = "B"
    view = parcel_view(sample, frame).set_index("parcel_id")
    assert view.at[parcel, "main_user"] == main and view.at[parcel, "class"] == "B"
    assert view.at[parcel, "n_users"] == len(users)
    fewer = sample.replace(parcels=sample.parcels[sample.parcels["parcel_id"] != parcel].reset_index(drop=True))
    without = parcel_view(fewer, frame)
    assert parcel not in set(without["parcel_id"]) and len(without) == len(sample.parcels) - 1
    kept = view.drop(index=parcel)
    assert np.allclose(without.set_index("parcel_id").loc[kept.index, "tax_10k_yuan"], kept["tax_10k_yuan"], equal_nan=True)


@pytest.mark.parametrize("method_id", ["linping_default", "huangyan_2022"])
def test_pools_scored_in_threads_give_what_one_thread_gives(sample, monkeypatch, method_id):
    from helpers.evaluate import frame as frame_module
    from helpers.evaluate.methods import load_method

    method = load_method(method_id)
    year_frame = frame_module.enterprise_year_frame(sample, 2023)
    # labels that are not positions: the pools' columns must land on the rows by position, not label
    year_frame.index = pd.Index(np.arange(len(year_frame))[::-1] * 7 + 3)
    monkeypatch.setattr(frame_module, "POOL_THREADS_ABOVE", 10**9)
    one, bench_one = frame_module.evaluate_frame(year_frame, method)
    monkeypatch.setattr(frame_module, "POOL_THREADS_ABOVE", 0)
    two, bench_two = frame_module.evaluate_frame(year_frame, method)
    pd.testing.assert_frame_equal(one, two, check_exact=True)
    pd.testing.assert_frame_equal(bench_one, bench_two, check_exact=True)
    # and each enterprise's scores are its own: those of its pool scored alone, by label
    evaluated = one[one["status"] == "evaluated"]
    for pool in method.pools:
        members = year_frame.loc[evaluated.index[evaluated["pool"] == pool.id]]
        alone, _ = frame_module.score_pool(members[frame_module.pool_columns(pool)], pool)
        pd.testing.assert_series_equal(alone["score"], evaluated.loc[alone.index, "score"], check_exact=True)
        assert (alone["class"].astype(str) == evaluated.loc[alone.index, "class"].astype(str)).all()
        # its pool is the one whose rule selects it, in both languages
        chosen = frame_module.select_pool(year_frame.loc[evaluated.index], pool).to_numpy(dtype=bool)
        assert (evaluated["pool"] == pool.id).to_numpy().tolist() == chosen.tolist()
        assert set(evaluated.loc[chosen, "pool_zh"]) == {pool.zh}
    assert one.loc[one["status"] != "evaluated", ["pool", "pool_zh"]].isna().all().all()
    # the pools' columns follow the frame's, "pool" after the first pool's own, "pool_zh" last
    first_pool = list(
        frame_module.score_pool(year_frame.iloc[:0][frame_module.pool_columns(method.pools[0])], method.pools[0])[0].columns
    )
    added = list(one.columns[len(year_frame.columns) + 2 :])  # after the frame's columns, status and reason
    assert added[: len(first_pool) + 1] == [*first_pool, "pool"] and added[-1] == "pool_zh"
