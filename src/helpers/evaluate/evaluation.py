"""One evaluation year end to end: who is evaluated, in which pool, with what score and class,
who is left out and why, and the parcel-level view.

Every enterprise of the data folder ends in exactly one of three states:

- ``filtered``: outside the chosen 街道 (not an exclusion, a choice of view);
- ``excluded``: inside the view but not evaluated, with a reason (``EXCLUSION_REASONS``);
- ``evaluated``: scored in one pool of the method.

``ledger`` counts them so that read = filtered + excluded + evaluated, and ``exclusions`` lists
every excluded enterprise with its reason.

A 街道 filter is a view: classes, ranks and benchmarks come from the whole district's evaluation,
as county offices publish one district-wide class list, and the filter then selects which
enterprises and parcels are shown. Ranking within the chosen 街道 is a separate, explicit choice
(``rank_within_streets=True``), and ``Evaluation.ranking_note`` says which one a result used.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import geopandas as gpd
import pandas as pd

from helpers.evaluate.frame import enterprise_year_frame, evaluate_frame
from helpers.evaluate.land import LAND_BASES
from helpers.evaluate.ledger import ledger
from helpers.evaluate.methods import Method, load_method
from helpers.evaluate.parcels import parcel_view
from helpers.evaluate.scope import in_view, parse_streets
from helpers.io.dataset import Dataset


@dataclass
class Evaluation:
    year: int
    method: Method
    streets: list[str] | None
    enterprises: pd.DataFrame
    benchmarks: pd.DataFrame
    parcels: gpd.GeoDataFrame
    synthetic: bool
    rank_within_streets: bool = False
    land_basis: str = "declared"

    @property
    def land_note(self) -> str:
        """Which land the 亩均 figures divide by, for every page that shows them."""
        basis = self.enterprises.loc[self.enterprises["status"] == "evaluated", "land_basis"]
        n_declared, n = int((basis == "declared").sum()), len(basis)
        if self.land_basis == "parcels" or n_declared == 0:
            return f"用地口径 Land basis: {LAND_BASES['parcels']}（land_basis={self.land_basis}）"
        return (
            f"用地口径 Land basis: 企业申报用地面积 declared 用地面积 for {n_declared} of {n} evaluated enterprises"
            + (f", 宗地登记面积×使用比例 for the other {n - n_declared}" if n_declared < n else "")
            + "（land_basis=declared; land_basis=parcels uses the parcel layer）"
        )

    @property
    def ranking_note(self) -> str:
        """How classes were ranked, for every page that shows them."""
        if self.streets and self.rank_within_streets:
            return (
                "排名范围：仅所选街道内排名（rank_within_streets=True），类别与全区评价不同 — ranked within the chosen 街道 only"
            )
        return "排名范围：全区统一排名，街道筛选只选择显示的企业 — classes ranked district-wide; the 街道 filter only selects"

    @property
    def evaluated(self) -> pd.DataFrame:
        return self.enterprises[self.enterprises["status"] == "evaluated"]

    @property
    def exclusions(self) -> pd.DataFrame:
        cols = ["credit_code", "name", "street_name", "reason"]
        return self.enterprises.loc[self.enterprises["status"] == "excluded", cols].reset_index(drop=True)

    @property
    def ledger(self) -> pd.DataFrame:
        return ledger(self.enterprises)

    def _noted(self, note: str) -> pd.DataFrame:
        cols = ["credit_code", "name", "street_name", "pool_zh", "score", "class", note]
        ev = self.evaluated
        if note not in ev:
            return pd.DataFrame(columns=cols)
        return ev.loc[ev[note].notna(), cols].reset_index(drop=True)

    @property
    def ranking_notes(self) -> pd.DataFrame:
        """The evaluated enterprises the ranking rules placed (``methods.Ranking``): not put in
        classes (a small pool, no spread) or moved by the tie rule, one row each with the rule."""
        return self._noted("class_note")

    @property
    def zero_denominator_notes(self) -> pd.DataFrame:
        """The evaluated enterprises with an indicator whose denominator is 0 (no employees, no
        energy …), one row each with the rule applied (the method's ``zero_denominator``)."""
        return self._noted("zero_denominator")


def evaluate(
    dataset: Dataset,
    year: int,
    method: str | Method = "linping_default",
    streets: str | list | None = None,
    rank_within_streets: bool = False,
    land_basis: str = "declared",
) -> Evaluation:
    """Evaluate ``year`` of ``dataset`` with ``method`` and show ``streets`` (None = whole district).

    The enterprises are scored and ranked over the whole district and ``view`` then selects the
    chosen 街道, so each shown enterprise keeps its district class, rank and benchmark. With
    ``rank_within_streets`` the pools are ranked among the chosen 街道's enterprises only.
    ``land_basis``: the 亩均 denominator, ``declared`` 用地面积 or ``parcels`` (``evaluate.land``)."""
    method = method if isinstance(method, Method) else load_method(method)
    codes = parse_streets(streets)
    ranked_within = bool(codes) and rank_within_streets
    frame, benchmarks = evaluate_frame(
        enterprise_year_frame(dataset, int(year), land_basis), method, codes if ranked_within else None
    )
    ev = Evaluation(
        year=int(year),
        method=method,
        streets=codes if ranked_within else None,
        enterprises=frame,
        benchmarks=benchmarks,
        parcels=parcel_view(dataset, frame),
        synthetic=dataset.synthetic,
        rank_within_streets=ranked_within,
        land_basis=land_basis,
    )
    if ranked_within:
        ev.parcels = ev.parcels[ev.parcels["street_code"].isin(codes)]
        return ev
    return view(ev, codes)


def view(district: Evaluation, streets: str | list | None) -> Evaluation:
    """The part of a district-wide evaluation that lies in ``streets``: enterprises registered
    elsewhere become ``filtered``, parcels lying elsewhere are dropped; every value is the
    district's (nothing is re-ranked)."""
    codes = parse_streets(streets)
    if not codes:
        return district
    return replace(
        district,
        streets=codes,
        enterprises=in_view(district.enterprises, codes),
        parcels=district.parcels[district.parcels["street_code"].isin(codes)],
    )
