"""Determinants of land-use efficiency (evaluate.determinants): the regression recovers known
coefficients, the residuals' Moran's I finds spatial dependence that is there and not where it is
not, the spatial model is fitted only then, and rows and regressors left out are said."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from helpers.core.units import AREA_CRS
from helpers.evaluate.determinants import design_matrix, determinants, estimable

N_SIDE = 20  # 400 enterprises on a 20 × 20 grid of parcels, 150 m apart


def world(spatial: bool, seed: int = 1):
    """Two years of enterprises whose 亩均税收 = 5 + 3·log(employees) + 4·标准地 − 2·(chain B) + noise;
    with ``spatial`` the noise is a smooth field over the grid (spatially dependent), else white."""
    rng = np.random.default_rng(seed)
    n = N_SIDE * N_SIDE
    gx, gy = np.meshgrid(np.arange(N_SIDE), np.arange(N_SIDE))
    x, y = 500_000 + 150 * gx.ravel(), 3_370_000 + 150 * gy.ravel()
    parcels = gpd.GeoDataFrame(
        {
            "parcel_id": [f"P{i}" for i in range(n)],
            "standard_land": rng.random(n) < 0.3,
            "geometry": shapely.buffer(shapely.points(x, y), 40, quad_segs=2),
        },
        crs=AREA_CRS,
    )
    employees = rng.integers(10, 500, n).astype(float)
    chain = np.where(rng.random(n) < 0.4, "B", "A")
    street = np.where(gx.ravel() < N_SIDE / 2, "西街道", "东街道")
    field = np.sin(gx.ravel() / 3.0) + np.cos(gy.ravel() / 3.0)
    evaluations = {}
    for year in (2022, 2023):
        noise = 2.0 * field + 0.3 * rng.normal(size=n) if spatial else rng.normal(size=n)
        tax_per_mu = 5 + 3 * np.log(employees) + 4 * parcels["standard_land"].to_numpy() - 2 * (chain == "B") + noise
        land = np.full(n, 10.0)
        evaluations[year] = pd.DataFrame(
            {
                "credit_code": [f"E{i}" for i in range(n)],
                "employees": employees,
                "land_mu": land * (1 + 0.0 * rng.random(n)),
                "founded_year": 2000,
                "industry_chain": chain,
                "street_name": street,
                "main_parcel_id": parcels["parcel_id"],
                "tax_10k_yuan": tax_per_mu * land,
            }
        )
    return evaluations, parcels


def test_known_coefficients_are_recovered_and_reported_with_intervals():
    evaluations, parcels = world(spatial=False)
    d = determinants(evaluations, parcels, None)
    t = d.panel.set_index("term")
    assert t.loc["log_employees", "ci_low"] < 3 < t.loc["log_employees", "ci_high"]
    assert t.loc["standard_land", "ci_low"] < 4 < t.loc["standard_land", "ci_high"]
    assert t.loc["chain:B", "ci_low"] < -2 < t.loc["chain:B", "ci_high"]
    assert (t["ci_low"] <= t["estimate"]).all() and (t["estimate"] <= t["ci_high"]).all()
    assert "chain:A" not in t.index  # the largest chain is the reference
    # land is the same for everyone (no variation) and age moves with the year effects: left out, said
    assert "log_land_mu" not in t.index and "age_years" not in t.index
    assert any("collinear" in n and "age" in n for n in d.notes)
    assert any("parks" in n for n in d.notes)  # no parks layer: said
    assert d.n_obs == 800


def test_white_noise_needs_no_spatial_model():
    evaluations, parcels = world(spatial=False)
    d = determinants(evaluations, parcels, None)
    assert d.moran["p_value"] > 0.05 and d.spatial_model == "none" and d.spatial.empty


def test_spatially_dependent_residuals_call_for_a_spatial_model():
    evaluations, parcels = world(spatial=True)
    d = determinants(evaluations, parcels, None)
    assert d.moran["I"] > 0.3 and d.moran["p_value"] < 0.001
    assert d.spatial_model in ("lag", "error") and not d.spatial.empty
    last = d.spatial["term"].iloc[-1]
    assert last in ("rho", "lambda")
    forced = determinants(evaluations, parcels, None, spatial_model="error")
    assert forced.spatial_model == "error" and forced.spatial["term"].iloc[-1] == "lambda"


def test_rows_left_out_are_counted_and_regressors_missing_are_said():
    evaluations, parcels = world(spatial=False)
    evaluations[2023].loc[:4, "employees"] = 0
    evaluations[2023].loc[5:6, "tax_10k_yuan"] = np.nan
    d = determinants(evaluations, parcels.drop(columns="standard_land"), None)
    counts = d.sample.set_index("item")["rows"]
    assert counts.iloc[0] == 800 and counts.iloc[-1] == 800 - 7 == d.n_obs
    assert d.sample.loc[d.sample["kind"] == "out", "rows"].sum() == 7
    assert "standard_land" not in set(d.panel["term"]) and any("standard" in n for n in d.notes)


def test_design_matrix_keeps_varying_columns_only():
    rows = pd.DataFrame(
        {"log_employees": [1.0, 2.0, 3.0], "age_years": [5.0, 5.0, 5.0], "chain": ["A", "B", "A"], "street": ["s", "s", "s"]}
    )
    x = design_matrix(rows)
    assert list(x.columns) == ["log_employees", "chain:B"]


@pytest.mark.slow
def test_on_the_sample(sample):
    from helpers.report.context import build_context

    ctx = build_context()
    d = determinants({y: ev.evaluated for y, ev in ctx.evaluations.items()}, ctx.dataset.parcels, ctx.dataset.records["parks"])
    terms = set(d.panel["term"])
    assert {"log_employees", "log_land_mu", "age_years", "standard_land", "in_park"} <= terms
    assert any(t.startswith("chain:") for t in terms) and any(t.startswith("street:") for t in terms)
    assert d.n_obs == sum(len(ev.evaluated) for ev in ctx.evaluations.values())
    assert 0 <= d.moran["p_value"] <= 1


def test_estimable_keeps_the_columns_a_rank_test_on_every_row_keeps():
    """``estimable`` tests each column on the columns' triangular factor (a few rows): it keeps the
    same columns as testing the rank of the centred columns themselves, on designs with exact
    combinations, scaled copies, constants, dummies and scales from 10⁻³ to 10⁵."""

    def on_every_row(x, groups=None):
        centred = x - (x.groupby(groups.to_numpy()).transform("mean") if groups is not None else x.mean())
        values = centred.to_numpy(dtype=float)
        kept: list[int] = []
        for j in range(values.shape[1]):
            trial = values[:, [*kept, j]]
            scale = max(1.0, float(np.abs(trial).max()))
            if np.linalg.matrix_rank(trial, tol=1e-9 * scale * len(trial)) == len(kept) + 1:
                kept.append(j)
        return [x.columns[j] for j in kept]

    rng = np.random.default_rng(7)
    dropped = 0
    for _ in range(120):
        n, p = int(rng.choice([2, 5, 40, 600])), int(rng.integers(1, 10))
        cols: dict[str, np.ndarray] = {}
        for j in range(p):
            kind = int(rng.integers(0, 6))
            earlier = list(cols.values())
            if kind == 0 and earlier:
                cols[f"c{j}"] = sum(rng.uniform(-3, 3) * v for v in earlier[:2])
            elif kind == 1:
                cols[f"c{j}"] = rng.integers(0, 2, n).astype(float)
            elif kind == 2:
                cols[f"c{j}"] = np.full(n, rng.uniform(-5, 5))
            elif kind == 3 and earlier:
                cols[f"c{j}"] = earlier[-1] * 1e6
            else:
                cols[f"c{j}"] = rng.normal(0, 10.0 ** int(rng.integers(-3, 6)), n)
        x = pd.DataFrame(cols)
        groups = pd.Series(rng.integers(0, 3, n)) if rng.random() < 0.5 else None
        kept = estimable(x, groups)
        assert kept == on_every_row(x, groups)
        dropped += p - len(kept)
    assert dropped > 50  # the designs did hold columns to leave out
