"""Class transitions between evaluation years (升降档): who moved between A/B/C/D, who entered and who
left the evaluation, and how long the D class persists.

Each enterprise has one state a year, from that year's district-wide evaluation:

- its class ``A``–``D`` when evaluated and placed in a class;
- ``UNCLASSED`` when evaluated but not put in a class (a pool too small, no spread: ``methods.Ranking``);
- ``EXCLUDED`` when in the data but not evaluated (not in production, no land of its own …);
- ``NO_DATA`` when the data hold no row for it that year (not yet there, or gone).

The transition matrix counts enterprises by (state in ``from_year``, state in ``to_year``), so its
rows of evaluated states add up to ``from_year``'s evaluated count and its columns of evaluated
states to ``to_year``'s (tests/test_transitions.py). Classes compare within a pool only: a matrix
per pool takes the pool of ``from_year`` and counts a move into another pool in ``OTHER_POOL``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from helpers.evaluate.evaluation import Evaluation
from helpers.evaluate.frame import EXCLUSION_REASONS

CLASSES = ["A", "B", "C", "D"]
UNCLASSED, EXCLUDED, NO_DATA, OTHER_POOL = "未分档 not classed", "未参评 not evaluated", "无数据 no data", "转入他组 other pool"
STATES = [*CLASSES, UNCLASSED, EXCLUDED, NO_DATA]
EVALUATED_STATES = [*CLASSES, UNCLASSED]
BIG_MOVE = 2  # classes moved at once that make a "big move" (A→C, B→D …)


def states(ev: Evaluation) -> pd.DataFrame:
    """Each enterprise of the data folder with its state, pool and class in ``ev``'s year (the
    district's evaluation: a 街道 view shows a subset of these states, never other ones)."""
    e = ev.enterprises
    no_data = e["reason"].eq(EXCLUSION_REASONS["no_panel_row"])
    state = pd.Series(EXCLUDED, index=e.index, dtype=object)
    state[no_data] = NO_DATA
    evaluated = e["status"].eq("evaluated")
    state[evaluated] = e.loc[evaluated, "class"].astype(object).where(e.loc[evaluated, "class"].notna(), UNCLASSED)
    state[e["status"].eq("filtered")] = None  # outside the view: not counted
    out = pd.DataFrame(
        {
            "credit_code": e["credit_code"],
            "state": state,
            "pool": e["pool"].where(evaluated),
            "pool_zh": e["pool_zh"].where(evaluated),
        }
    )
    return out[out["state"].notna()].set_index("credit_code")


@dataclass
class Transitions:
    """The states of every enterprise in two years (``pairs``: one row per enterprise, columns
    ``from_state``, ``to_state``, ``from_pool``, ``to_pool``, ``move``) and the tables drawn from them."""

    from_year: int
    to_year: int
    pairs: pd.DataFrame

    def matrix(self, pool: str | None = None, shares: bool = False) -> pd.DataFrame:
        """Counts by (state in ``from_year``: rows, state in ``to_year``: columns), every state shown.
        With ``pool``: the enterprises evaluated in that pool in ``from_year`` (rows A–D and
        未分档), a move into another pool counted in ``OTHER_POOL``. ``shares``: each row as
        percentages of its total (an empty row stays 0)."""
        p = self.pairs
        rows, cols = STATES, STATES
        if pool is not None:
            p = p[p["from_pool"] == pool].copy()
            moved = p["to_pool"].notna() & (p["to_pool"] != pool)
            p.loc[moved, "to_state"] = OTHER_POOL
            rows, cols = EVALUATED_STATES, [*STATES, OTHER_POOL]
        table = pd.crosstab(p["from_state"], p["to_state"]).reindex(index=rows, columns=cols, fill_value=0)
        table.index.name, table.columns.name = f"{self.from_year}年", f"{self.to_year}年"
        if shares:
            totals = table.sum(axis=1).replace(0, 1)
            return table.div(totals, axis=0).mul(100)
        return table

    @property
    def big_moves(self) -> pd.DataFrame:
        """Enterprises that moved ``BIG_MOVE`` classes or more within their pool (down first)."""
        p = self.pairs
        same_pool = p["from_pool"].notna() & (p["from_pool"] == p["to_pool"])
        big = p[same_pool & p["move"].abs().ge(BIG_MOVE)]
        return big.sort_values(["move", "from_pool"], ascending=[False, True]).reset_index()

    def entries(self) -> pd.DataFrame:
        """Enterprises evaluated in ``to_year`` that were not in ``from_year`` (not evaluated, or no data)."""
        p = self.pairs
        return p[p["to_state"].isin(EVALUATED_STATES) & ~p["from_state"].isin(EVALUATED_STATES)].reset_index()

    def exits(self) -> pd.DataFrame:
        """Enterprises evaluated in ``from_year`` that are not in ``to_year``: gone from the data
        (``NO_DATA``) or excluded from the evaluation (``EXCLUDED``)."""
        p = self.pairs
        return p[p["from_state"].isin(EVALUATED_STATES) & ~p["to_state"].isin(EVALUATED_STATES)].reset_index()

    def counts(self) -> dict[str, int]:
        """The headline numbers: evaluated in each year, stayed in class, moved up, down, by two or
        more, entered, left (gone, excluded)."""
        p = self.pairs
        same_pool = p["from_pool"].notna() & (p["from_pool"] == p["to_pool"])
        exits = self.exits()
        return {
            "evaluated_from": int(p["from_state"].isin(EVALUATED_STATES).sum()),
            "evaluated_to": int(p["to_state"].isin(EVALUATED_STATES).sum()),
            "stayed": int((same_pool & p["move"].eq(0)).sum()),
            "up": int((same_pool & p["move"].lt(0)).sum()),
            "down": int((same_pool & p["move"].gt(0)).sum()),
            "big_moves": len(self.big_moves),
            "changed_pool": int((p["from_pool"].notna() & p["to_pool"].notna() & (p["from_pool"] != p["to_pool"])).sum()),
            "entered": len(self.entries()),
            "gone": int(exits["to_state"].eq(NO_DATA).sum()),
            "excluded": int(exits["to_state"].eq(EXCLUDED).sum()),
        }


def transitions(evaluations: dict[int, Evaluation], from_year: int, to_year: int) -> Transitions:
    """The transitions of every enterprise from ``from_year`` to ``to_year`` (any two years of
    ``evaluations``; the later need not follow directly)."""
    for y in (from_year, to_year):
        if y not in evaluations:
            raise KeyError(f"no evaluation of {y}; the years are {', '.join(map(str, sorted(evaluations)))}")
    a, b = states(evaluations[from_year]), states(evaluations[to_year])
    pairs = a.add_prefix("from_").join(b.add_prefix("to_"), how="outer")  # every enterprise of either year
    pairs[["from_state", "to_state"]] = pairs[["from_state", "to_state"]].fillna(NO_DATA)
    order = {c: i for i, c in enumerate(CLASSES)}
    pairs["move"] = pairs["to_state"].map(order) - pairs["from_state"].map(order)  # + down, - up, NaN: no class
    return Transitions(int(from_year), int(to_year), pairs)


def d_persistence(evaluations: dict[int, Evaluation], year: int) -> pd.DataFrame:
    """The D class of ``year`` by how many consecutive years before it each enterprise was D too
    (in the same pool): one row per streak length (0: new to D), with counts and the enterprises'
    codes. Several consecutive years of D raise the energy and land surcharges in the provinces'
    差别化 rules, which is why the streak is counted."""
    years = sorted(y for y in evaluations if y <= year)
    now = states(evaluations[year])
    d = now[now["state"] == "D"]
    streak = pd.Series(0, index=d.index)
    alive = pd.Series(True, index=d.index)
    for y in reversed(years[:-1]):
        before = states(evaluations[y]).reindex(d.index)
        still = alive & before["state"].eq("D") & before["pool"].eq(d["pool"])
        streak[still] += 1
        alive = still
    codes = {int(n): list(g) for n, g in pd.Series(list(d.index)).groupby(streak.to_numpy())}
    lengths = range(len(years))  # a streak length nobody has: 0 enterprises, no codes
    return pd.DataFrame(
        {"enterprises": [len(codes.get(n, [])) for n in lengths], "credit_codes": [codes.get(n, []) for n in lengths]},
        index=pd.Index(lengths, name="years_before_also_d"),
    )


def year_pairs(text: str, years: list[int]) -> list[tuple[int, int]]:
    """The pairs of years a report compares: ``all`` (each year with the next, and the first with
    the last when there are more than two) or pairs such as ``2021-2023,2022-2023``. A year that is
    not in ``years`` is an ``InputError`` naming the years there are."""
    from helpers.core.errors import InputError

    years = sorted(years)
    if str(text).strip().lower() in ("", "all"):
        pairs = list(zip(years, years[1:]))
        return pairs + ([(years[0], years[-1])] if len(years) > 2 else [])
    pairs = []
    for part in str(text).replace("，", ",").split(","):
        bits = [b.strip() for b in part.split("-")]
        if len(bits) != 2 or not all(b.isdigit() for b in bits) or int(bits[0]) >= int(bits[1]):
            raise InputError(
                "parameter compare_years",
                f"{part.strip()!r} is not a pair of years",
                expected="e.g. 2021-2023 (earlier first), or all",
            )
        a, b = int(bits[0]), int(bits[1])
        missing = [y for y in (a, b) if y not in years]
        if missing:
            raise InputError(
                "parameter compare_years",
                f"no evaluation of {missing[0]}",
                expected=f"years of the data folder: {', '.join(map(str, years))}",
            )
        pairs.append((a, b))
    return pairs


__all__ = ["STATES", "Transitions", "d_persistence", "states", "transitions", "year_pairs"]
