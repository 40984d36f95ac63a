"""The plan's headline goals (data/plan/goals.yaml) and the district's figures against them."""

from __future__ import annotations

import pandas as pd

from helpers.core import paths
from helpers.core.industries import is_manufacturing
from helpers.core.yamlfile import load_yaml
from helpers.evaluate.indicators import aggregate_ratio, column, indicator_defs, va_rate_basis
from helpers.plan.tasks import COMPARATORS

GOALS_FILE = paths.PLAN_DIR / "goals.yaml"


def load_goals() -> tuple[dict, pd.DataFrame]:
    raw = load_yaml(GOALS_FILE)
    goals = pd.DataFrame(raw["goals"])
    if "note" not in goals:
        goals["note"] = None
    return raw["plan"], goals


def above_scale(evaluated: pd.DataFrame) -> pd.DataFrame:
    """The 规上 enterprises of ``evaluated``."""
    return evaluated[evaluated["above_scale"].fillna(False).astype(bool)]


def measured_over(evaluated: pd.DataFrame, measure: str, manufacturing: set[str]) -> pd.DataFrame:
    """The enterprises a goal's figure is measured over: the evaluated 规上 enterprises, only the
    制造业 ones (GB/T 4754 门类 C, a missing code kept) when ``measure`` is among ``manufacturing``,
    the measures a goal says 制造业 for (``manufacturing_measures``)."""
    above = above_scale(evaluated)
    return above[is_manufacturing(above)] if measure in manufacturing else above


def manufacturing_measures() -> set[str]:
    """The indicators that a goal measures over 制造业 only."""
    _, goals = load_goals()
    scope = goals["scope"] if "scope" in goals else pd.Series(None, index=goals.index)
    return set(goals.loc[scope.eq("manufacturing"), "measure"].dropna())


def above_scale_figures(evaluated: pd.DataFrame, ids: list[str] | None = None) -> pd.Series:
    """Aggregate indicators (Σ numerator / Σ denominator) over the evaluated 规上 enterprises
    (制造业 only for an indicator that a goal measures over 制造业, ``measured_over``): the given
    ``ids``, or every indicator of data/methods/indicators.yaml."""
    manufacturing = manufacturing_measures()
    above = above_scale(evaluated)  # the two sets of enterprises, each found once
    made = above[is_manufacturing(above)] if manufacturing else above
    return pd.Series({i: aggregate_ratio(made if i in manufacturing else above, i) for i in ids or indicator_defs()}, name="规上")


def figures_by_year(evaluations: dict[int, pd.DataFrame]) -> pd.DataFrame:
    """Rows: years; columns: 规上 aggregate indicators; from {year: evaluated enterprises}."""
    return pd.DataFrame({year: above_scale_figures(e) for year, e in evaluations.items()}).T.sort_index()


def labelled_texts(goals: pd.DataFrame, evaluated: pd.DataFrame | None) -> pd.Series:
    """The goals' texts, a goal on 增加值率 followed by what stood in for 工业总产值 over the 规上
    enterprises of ``evaluated`` when the data lack it (``va_rate_basis``)."""
    if evaluated is None:
        return goals["text"]
    basis = va_rate_basis(evaluated[evaluated["above_scale"].fillna(False).astype(bool)])
    return goals["text"].where(goals["measure"] != "va_rate", goals["text"] + (f"（{basis}）" if basis else ""))


def goals_table(figures: pd.Series, evaluated: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each goal with the measured value where the evaluation measures it, and whether it is met.
    ``evaluated``: the enterprises measured; a goal on 增加值率 measured with 营业收入 standing in for
    工业总产值 says so in its text (``va_rate_basis``)."""
    _, goals = load_goals()
    goals["text"] = labelled_texts(goals, evaluated)
    measured = goals["measure"].map(lambda m: figures.get(m) if isinstance(m, str) else None)
    goals["actual"] = pd.to_numeric(measured, errors="coerce")
    goals["met"] = [
        (bool(COMPARATORS[c](a, v)) if pd.notna(a) else pd.NA)
        for c, a, v in zip(goals["comparator"], goals["actual"], goals["value"])
    ]
    goals["gap"] = goals["actual"] - goals["value"]
    return goals


def scope_contributions(district: pd.DataFrame, view: pd.DataFrame) -> pd.DataFrame:
    """Under a 街道 view, each goal the evaluation measures, without judging the 街道 against the
    district's target: the view's 规上 value, the district's, the target, the view's share of the
    district's denominator (land, employees …) and its contribution to the district's gap,
    (Σ numerator_view − target × Σ denominator_view) / Σ denominator_district, in the goal's unit.
    Over the 街道 of a partition of the district the contributions add up to the district's gap
    (district value − target). ``district`` and ``view``: evaluated enterprises."""
    _, goals = load_goals()
    defs = indicator_defs()
    manufacturing = manufacturing_measures()
    rows = []
    for g in goals[goals["measure"].map(lambda m: isinstance(m, str))].itertuples():
        d = defs[g.measure]
        parts = {}
        for name, frame in (("district", district), ("view", view)):
            above = measured_over(frame, g.measure, manufacturing)
            num, den = column(above, d.numerator).astype(float), column(above, d.denominator).astype(float)
            ok = num.notna() & (den > 0)
            parts[name] = (float(num[ok].sum()), float(den[ok].sum()))
        (num_d, den_d), (num_v, den_v) = parts["district"], parts["view"]
        rows.append(
            {
                "id": g.id,
                "text": g.text,
                "unit": g.unit,
                "value": float(g.value),
                "view_actual": num_v / den_v if den_v > 0 else float("nan"),
                "district_actual": num_d / den_d if den_d > 0 else float("nan"),
                "share_of_district": den_v / den_d if den_d > 0 else float("nan"),
                "contribution_to_gap": (num_v - float(g.value) * den_v) / den_d if den_d > 0 else float("nan"),
            }
        )
    return pd.DataFrame(rows)
