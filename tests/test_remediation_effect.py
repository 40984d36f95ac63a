"""The effect of remediation (policy.remediation_effect): who is treated and when, the matching, the
event study on hand-made panels with known answers, and on the generator's panels: the effect it
plants is recovered, and an effect-free panel shows no pre-trend."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.core.errors import InputError
from helpers.policy.remediation_effect import estimate, event_study, match_controls, onsets, outcome_panel, relative_effect


def ledger_rows(rows):
    return pd.DataFrame(rows, columns=["credit_code", "year", "way", "stage"])


def test_onsets_read_the_ledger():
    led = ledger_rows(
        [
            ("A", 2021, "改造提升", "列入清单"),
            ("A", 2022, "改造提升", "整治中"),
            ("A", 2023, "改造提升", "达标销号"),
            ("B", 2022, "兼并重组", "列入清单"),
            ("C", 2021, "整体腾退", "列入清单"),
            ("C", 2022, "整体腾退", "整治中"),
            ("D", 2022, "改造提升", "整治中"),  # a ledger that starts past listing
        ]
    )
    o = onsets(led).set_index("credit_code")
    assert o.loc["A", "onset_year"] == 2022 and o.loc["A", "listed_year"] == 2021 and not o.loc["A", "left"]
    assert np.isnan(o.loc["B", "onset_year"])  # listed, not yet in remediation
    assert o.loc["C", "left"]
    assert o.loc["D", "onset_year"] == 2022
    by_listing = onsets(led, "listing").set_index("credit_code")
    assert by_listing.loc["A", "onset_year"] == 2021 and by_listing.loc["B", "onset_year"] == 2022
    with pytest.raises(InputError, match="onset"):
        onsets(led, "completion")


def hand_panel(effects: dict[int, dict[int, float]], n_control: int = 30, years=(2019, 2020, 2021, 2022, 2023), noise=0.0):
    """Firm and year effects plus ``effects`` {onset cohort: {event time: effect}} for 6 firms per
    cohort; ``n_control`` never-treated firms."""
    rng = np.random.default_rng(3)
    rows = []
    firms = [(f"T{c}_{i}", c) for c in effects for i in range(6)] + [(f"C{i}", np.nan) for i in range(n_control)]
    year_effect = {y: 0.7 * k for k, y in enumerate(years)}
    for code, cohort in firms:
        alpha = rng.normal(10, 3)
        for y in years:
            e = y - cohort if cohort == cohort else None
            effect = effects[cohort].get(int(e), 0.0) if e is not None else 0.0
            rows.append((code, y, alpha + year_effect[y] + effect + noise * rng.normal(), 1.0, cohort))
    return pd.DataFrame(rows, columns=["credit_code", "year", "value", "weight", "onset_year"])


def test_the_estimators_recover_an_exact_effect():
    """No noise, one effect for both cohorts: both estimators give it exactly, and 0 before onset."""
    effect = {0: 2.0, 1: 3.0, 2: 3.0}
    frame = hand_panel({2021: effect, 2022: effect})
    for estimator in ("twfe", "sun_abraham"):
        coefficients, att, pretrend = estimate(frame, estimator)
        got = coefficients.set_index("event_time")["estimate"]
        for e, v in effect.items():
            assert got[e] == pytest.approx(v, abs=1e-8)
        assert got[-2] == pytest.approx(0, abs=1e-8) and got[-1] == 0
        # the ATT weights each event time by its treated firm-years: e=0 and e=1 both cohorts, e=2 one
        assert att["estimate"] == pytest.approx((12 * 2.0 + 12 * 3.0 + 6 * 3.0) / 30, abs=1e-8)
        assert pretrend is not None and pretrend["df"] == len([e for e in got.index if e <= -2])


def test_sun_abraham_stays_right_when_cohorts_differ():
    """Cohorts with different effects: Sun–Abraham averages the cohorts' own effects with their
    shares; the answer is known exactly."""
    frame = hand_panel({2021: {0: 1.0, 1: 1.0, 2: 1.0}, 2022: {0: 4.0, 1: 4.0}})
    coefficients, _, _ = estimate(frame, "sun_abraham")
    got = coefficients.set_index("event_time")["estimate"]
    assert got[0] == pytest.approx(2.5, abs=1e-8)  # (6 × 1 + 6 × 4) / 12
    assert got[2] == pytest.approx(1.0, abs=1e-8)  # only the 2021 cohort reaches e = 2
    assert got[-2] == pytest.approx(0, abs=1e-8)


def test_intervals_cover_a_noisy_effect_and_the_pre_trend_is_clean():
    frame = hand_panel({2021: {0: 2.0, 1: 2.0, 2: 2.0}, 2022: {0: 2.0, 1: 2.0}}, n_control=60, noise=0.5)
    coefficients, att, pretrend = estimate(frame, "twfe")
    assert att["ci_low"] < 2.0 < att["ci_high"]
    pre = coefficients[coefficients["event_time"] <= -2]
    assert ((pre["ci_low"] < 0) & (pre["ci_high"] > 0)).all()
    assert pretrend["p_value"] > 0.05


def test_matching_takes_the_nearest_in_pool_and_industry_else_the_pool():
    panel = pd.DataFrame(
        {
            "credit_code": ["T1", "T2", "a", "b", "c", "d", "e"],
            "year": 2021,
            "pool": ["p", "p", "p", "p", "p", "p", "q"],
            "industry": ["C34", "C17", "C34", "C34", "C34", "C29", "C17"],
            "value": [1.0, 5.0, 1.4, 0.8, 3.0, 5.1, 5.0],
        }
    )
    m = match_controls(panel, pd.Index(["T1", "T2"]), pd.Index(["a", "b", "c", "d", "e"]), 2)
    t1 = m[m["treated"] == "T1"]
    assert list(t1["control"]) == ["b", "a"] and set(t1["cell"]) == {"industry"}
    t2 = m[m["treated"] == "T2"]  # no C17 in pool p: the nearest in the pool; "e" is in another pool
    assert list(t2["control"]) == ["d", "c"] and set(t2["cell"]) == {"pool"}
    with pytest.raises(InputError, match="matches"):
        match_controls(panel, pd.Index(["T1"]), pd.Index(["a"]), 0)


@pytest.fixture(scope="module")
def sample_evaluations():
    from helpers.report.context import build_context

    ctx = build_context()
    return {y: ev.evaluated for y, ev in ctx.evaluations.items()}, ctx.dataset.records["remediation"]


def test_every_ledger_enterprise_is_accounted_for(sample_evaluations):
    evaluations, ledger = sample_evaluations
    st = event_study(evaluations, ledger, "tax_per_mu")
    counts = st.sample.set_index("item")["enterprises"]
    out = st.sample.loc[st.sample["kind"] == "out", "enterprises"].sum()
    treated = int(st.sample.loc[st.sample["kind"] == "treated", "enterprises"].iloc[0])
    assert counts.iloc[0] == ledger["credit_code"].nunique() == out + treated
    assert treated == st.matches["treated"].nunique()
    assert st.coefficients["treated_firm_years"].sum() == treated * len(evaluations)
    # the comparison never includes a listed enterprise
    assert not set(st.matches["control"]) & set(ledger["credit_code"])


def test_an_onset_past_the_data_is_counted_out_not_estimated(sample_evaluations):
    """A ledger that runs past the panel (listed in 2023, in remediation from 2024): counted out."""
    evaluations, ledger = sample_evaluations
    later = ledger_rows([(code, 2023, "改造提升", "列入清单") for code in evaluations[2023]["credit_code"][:3]])
    later = pd.concat([later, later.assign(year=2024, stage="整治中")], ignore_index=True)
    st = event_study(evaluations, pd.concat([ledger, later], ignore_index=True), "tax_per_mu")
    counts = st.sample.set_index("item")["enterprises"]
    assert counts["整治始于数据末年之后 onset after the last year of the data"] == 3
    assert st.att["ci_low"] < st.att["estimate"] < st.att["ci_high"]


def test_bad_choices_are_refused(sample_evaluations):
    evaluations, ledger = sample_evaluations
    for kwargs, name in (
        ({"comparison": "nearest"}, "comparison"),
        ({"estimator": "ols"}, "estimator"),
        ({"transform": "sqrt"}, "transform"),
        ({"confidence": 95}, "confidence"),
    ):
        with pytest.raises(InputError, match=name):
            event_study(evaluations, ledger, "tax_per_mu", **kwargs)
    with pytest.raises(InputError, match="unknown indicator"):
        event_study(evaluations, ledger, "tax_per_hour")


def generated(tmp_path, effect: bool):
    """The sample's generator (default seed and size), with or without its planted effect, written
    and evaluated as a data folder."""
    from helpers.report.context import build_context
    from helpers.synthetic import sample as generator

    config = generator.load_config()
    if not effect:
        config["remediation_effect"] = {"output": {}, "energy_per_va": {}}
    folder = tmp_path / ("effect" if effect else "none")
    generator.write(generator.generate(config=config), folder)
    ctx = build_context(data_dir=folder)
    return {y: ev.evaluated for y, ev in ctx.evaluations.items()}, ctx.dataset.records["remediation"]


@pytest.mark.slow
@pytest.mark.parametrize("estimator", ["sun_abraham", "twfe"])
def test_the_planted_effect_is_recovered(tmp_path, estimator):
    """The generator lifts the remediated enterprises' output (+10 % in the first year, +20 % after).
    The truth: the treated firm-years' mean difference between the panel with the effect and the
    same seed's panel without it. Tolerance: the interval covers the truth and the estimate is
    within 20 % of it (亩均税收, 亩均增加值 in levels, 亩均增加值 in logs); for energy per value
    added, the interval covers it (the sample's energy intensity jumps when an enterprise crosses
    the 规上 line, noise that widens the interval: docs/method.md)."""
    with_effect, ledger = generated(tmp_path, True)
    without, _ = generated(tmp_path, False)
    for outcome, transform, close in (
        ("tax_per_mu", "level", True),
        ("va_per_mu", "level", True),
        ("va_per_mu", "log", True),
        ("energy_per_va", "level", False),
    ):
        st = event_study(with_effect, ledger, outcome, estimator=estimator, transform=transform)
        a = outcome_panel(with_effect, outcome, transform).set_index(["credit_code", "year"])["value"]
        b = outcome_panel(without, outcome, transform).set_index(["credit_code", "year"])["value"]
        onset = onsets(ledger).set_index("credit_code")["onset_year"]
        diff = (a - b).rename("d").reset_index()
        diff = diff[diff["credit_code"].isin(st.matches["treated"])]
        truth = diff.loc[diff["year"] >= diff["credit_code"].map(onset), "d"].mean()
        assert abs(truth) > 0
        assert st.att["ci_low"] < truth < st.att["ci_high"], (outcome, transform, st.att, truth)
        if close:
            assert abs(st.att["estimate"] - truth) <= 0.2 * abs(truth), (outcome, transform, st.att, truth)
        assert relative_effect(st)["estimate"] * np.sign(truth) > 0


@pytest.mark.slow
def test_an_effect_free_panel_shows_no_effect_and_no_pre_trend(tmp_path):
    """The same seed without the planted effect: every pre-period interval includes 0, the joint
    pre-trend test is not rejected, and the ATT's interval includes 0 (亩均税收, 亩均增加值)."""
    evaluations, ledger = generated(tmp_path, False)
    for outcome in ("tax_per_mu", "va_per_mu"):
        for estimator in ("sun_abraham", "twfe"):
            st = event_study(evaluations, ledger, outcome, estimator=estimator)
            pre = st.coefficients[st.coefficients["event_time"] <= -2]
            assert len(pre) and ((pre["ci_low"] <= 0) & (pre["ci_high"] >= 0)).all(), (outcome, estimator, pre)
            assert st.pretrend is not None and st.pretrend["p_value"] > 0.05
            assert st.att["ci_low"] < 0 < st.att["ci_high"], (outcome, estimator, st.att)
