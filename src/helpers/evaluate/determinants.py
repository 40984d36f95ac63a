"""What goes with high land-use efficiency: a panel regression of an enterprise's 亩均 figure (亩均税收 by
default) on its size, age, industry chain, 标准地 status, park membership and 街道, and a spatial
specification from PySAL's spreg where the residuals are spatially dependent.

- **Panel model**: pooled least squares over every evaluated enterprise-year with year fixed
  effects (linearmodels ``PanelOLS``, time effects), standard errors clustered by enterprise.
  Regressors: log employees and log land (size), age in years (the year less ``founded_year``),
  标准地 (the main parcel granted as 标准地), 小微企业园 (the main parcel's centroid inside a park of
  ``parks.geojson``), and dummies of the industry chain and the 街道 (the largest group is the
  reference). A regressor whose data the folder lacks is left out, and the result says so.
- **Spatial dependence**: on the latest year's cross-section, the same regression by spreg's OLS
  with k-nearest-neighbour weights between the main parcels' centroids (metres, row-standardised):
  the Moran's I of its residuals (the test for regression residuals, normal approximation) and the
  robust Lagrange-multiplier tests. Where Moran's I is significant at ``alpha``, a spatial lag or
  spatial error model (spreg ``GM_Lag`` / ``GM_Error_Het``) is fitted, chosen by the robust LM
  tests (Anselin's rule: the one significant, else the larger) unless ``spatial_model`` names it.

The coefficients describe associations, not causes (size and 亩均税收 are decided together).
"""

from __future__ import annotations

import contextlib
import io
import warnings
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from helpers.core.errors import InputError
from helpers.core.keys import panel_index
from helpers.core.tails import normal_quantile, two_sided_p
from helpers.core.units import AREA_CRS
from helpers.evaluate.indicators import compute_indicators, indicator_defs

SPATIAL_MODELS = {
    "auto": "按稳健LM检验选择 chosen by the robust LM tests",
    "lag": "空间滞后 spatial lag (GM_Lag)",
    "error": "空间误差 spatial error (GM_Error_Het)",
    "none": "不估计 none",
}
REGRESSOR_LABELS = {
    "log_employees": "规模：职工人数（对数） size: log employees",
    "log_land_mu": "规模：用地面积（对数） size: log land (亩)",
    "age_years": "企业年龄（年） age (years)",
    "standard_land": "标准地 standard land (main parcel)",
    "in_park": "位于小微企业园 in a small-enterprise park",
}


@dataclass
class Determinants:
    """``panel``: the tidy table of the panel model (term, label, estimate, std_error, ci_low,
    ci_high, p_value); ``moran``: Moran's I of the latest year's OLS residuals with its z and p and
    the LM tests; ``spatial``: the spatial model's tidy table (empty when none was fitted) and
    ``spatial_model`` its kind; ``sample``: rows in and out with reasons; ``notes``: regressors left
    out and why."""

    outcome: str
    year: int
    panel: pd.DataFrame
    moran: dict
    spatial: pd.DataFrame
    spatial_model: str
    sample: pd.DataFrame
    n_obs: int
    n_enterprises: int
    r2: float
    notes: list[str] = field(default_factory=list)
    references: dict[str, str] = field(default_factory=dict)  # the left-out group of each dummy set


def _tidy(terms: list[str], beta: np.ndarray, se: np.ndarray, confidence: float) -> pd.DataFrame:
    z = normal_quantile(0.5 + confidence / 2)
    beta, se = np.asarray(beta, dtype=float).ravel(), np.asarray(se, dtype=float).ravel()
    with np.errstate(divide="ignore", invalid="ignore"):
        p = two_sided_p(beta / se)
    return pd.DataFrame(
        {
            "term": terms,
            "label": [label(t) for t in terms],
            "estimate": beta,
            "std_error": se,
            "ci_low": beta - z * se,
            "ci_high": beta + z * se,
            "p_value": p,
        }
    )


def label(term: str) -> str:
    """The Chinese and English label of a regressor (dummies read ``chain: X`` and ``街道: X``)."""
    if term in REGRESSOR_LABELS:
        return REGRESSOR_LABELS[term]
    if term.startswith("chain:"):
        return f"产业链 chain: {term.split(':', 1)[1]}"
    if term.startswith("street:"):
        return f"街道/镇: {term.split(':', 1)[1]}"
    if term in ("const", "CONSTANT"):
        return "常数 constant"
    if term == "rho":
        return "空间滞后 ρ (W·y)"
    if term == "lambda":
        return "空间误差 λ"
    return term


def regressor_frame(
    evaluations: dict[int, pd.DataFrame],
    parcels: gpd.GeoDataFrame,
    parks: gpd.GeoDataFrame | None,
    outcome: str = "tax_per_mu",
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Every evaluated enterprise-year with the outcome, the regressors and its main parcel's centroid
    (x, y in metres); the sample table (rows in, rows out by reason) and notes on regressors left out."""
    if outcome not in indicator_defs():
        raise InputError(
            "parameter determinants_outcome", f"unknown indicator {outcome!r}", expected=f"among {', '.join(indicator_defs())}"
        )
    notes: list[str] = []
    metric = parcels.to_crs(AREA_CRS)
    centroid = metric.geometry.centroid
    where = pd.DataFrame({"x": centroid.x.to_numpy(), "y": centroid.y.to_numpy()}, index=parcels["parcel_id"].to_numpy())
    if "standard_land" in parcels.columns:
        std = pd.Series(parcels["standard_land"].astype("boolean").fillna(False).astype(float).to_numpy(), index=where.index)
    else:
        std = None
        notes.append("数据无“标准地”字段，未纳入 standard land left out: the parcel layer has no standard_land column")
    if parks is not None and len(parks):
        inside = gpd.sjoin(
            gpd.GeoDataFrame(geometry=centroid.to_numpy(), index=where.index, crs=AREA_CRS),
            parks[["geometry"]].to_crs(AREA_CRS),
            predicate="within",
        )
        park = pd.Series(where.index.isin(inside.index).astype(float), index=where.index)
    else:
        park = None
        notes.append("数据无小微企业园（parks.geojson），未纳入 park membership left out: no parks.geojson")
    frames = []
    for year, e in sorted(evaluations.items()):
        f = pd.DataFrame(
            {
                "credit_code": e["credit_code"].to_numpy(),
                "year": year,
                "value": compute_indicators(e, [outcome])[outcome].astype(float).to_numpy(),
                "employees": pd.to_numeric(e["employees"], errors="coerce").to_numpy(),
                "land_mu": e["land_mu"].astype(float).to_numpy(),
                "founded_year": pd.to_numeric(e.get("founded_year"), errors="coerce") if "founded_year" in e else np.nan,
                "chain": e["industry_chain"].astype(str).to_numpy(),
                "street": e["street_name"].astype(str).to_numpy(),
                "main_parcel_id": e["main_parcel_id"].to_numpy(),
            }
        )
        frames.append(f)
    rows = pd.concat(frames, ignore_index=True)
    rows = rows.join(where, on="main_parcel_id")
    with np.errstate(divide="ignore", invalid="ignore"):
        rows["log_employees"] = np.log(rows["employees"].where(rows["employees"] > 0))
        rows["log_land_mu"] = np.log(rows["land_mu"].where(rows["land_mu"] > 0))
    rows["age_years"] = rows["year"] - rows["founded_year"]
    if rows["founded_year"].isna().all():
        notes.append("数据无成立年份，未纳入企业年龄 age left out: no founded_year")
        rows = rows.drop(columns="age_years")
    if std is not None:
        rows["standard_land"] = rows["main_parcel_id"].map(std)
    if park is not None:
        rows["in_park"] = rows["main_parcel_id"].map(park)
    counts = [("参评企业年度记录 evaluated enterprise-years", "read", len(rows))]
    keep = pd.Series(True, index=rows.index)
    reasons = {
        "指标缺失或无穷 outcome missing or infinite": ~np.isfinite(rows["value"]),
        "职工人数或用地缺失/为0 employees or land missing or 0": rows["log_employees"].isna() | rows["log_land_mu"].isna(),
        "成立年份缺失 founded year missing": rows["age_years"].isna()
        if "age_years" in rows
        else pd.Series(False, index=rows.index),
        "无主宗地位置 no main parcel location": rows["x"].isna(),
    }
    for why, bad in reasons.items():
        counts.append((why, "out", int((keep & bad).sum())))
        keep &= ~bad
    counts.append(("纳入回归 in the regression", "used", int(keep.sum())))
    return rows[keep].reset_index(drop=True), pd.DataFrame(counts, columns=["item", "kind", "rows"]), notes


def reference_group(groups: pd.Series) -> str:
    """The group left out of a set of dummies: the one with the most rows (ties: the first by name)."""
    counts = groups.astype(str).value_counts()
    return str(sorted(counts[counts == counts.max()].index)[0])


def design_matrix(rows: pd.DataFrame, references: dict[str, str] | None = None) -> pd.DataFrame:
    """The regressors of ``rows`` (no constant): the continuous and 0/1 ones present, then chain and
    街道 dummies with ``references`` (default: the largest group of each) left out."""
    x = rows[[c for c in REGRESSOR_LABELS if c in rows.columns]].astype(float)
    for prefix, col in (("chain", "chain"), ("street", "street")):
        largest = (references or {}).get(col) or reference_group(rows[col])
        for group in sorted(set(rows[col].unique()) - {largest}):  # the few groups, not a Python object per row
            x[f"{prefix}:{group}"] = (rows[col] == group).astype(float)
    return x.loc[:, x.std() > 0]


def estimable(x: pd.DataFrame, groups: pd.Series | None = None) -> list[str]:
    """The columns of ``x`` that can be estimated beside a constant (and, with ``groups``, fixed
    effects of the groups): each kept only if it is not a linear combination of those kept before
    it, after the constant or the group means are taken out."""
    centred = x - (x.groupby(groups.to_numpy()).transform("mean") if groups is not None else x.mean())
    values = centred.to_numpy(dtype=float)
    # The columns' triangular factor R (values = QR, Q's columns orthonormal) has the singular values
    # of any set of the columns in the same columns of R: each test is on a few rows, not on every
    # enterprise-year (1.3 s at 100,000 parcels).
    factor: np.ndarray = np.asarray(np.linalg.qr(values, mode="r")) if len(values) > values.shape[1] else values
    largest = np.abs(values).max(axis=0) if len(values) else np.zeros(values.shape[1])
    kept: list[int] = []
    for j in range(values.shape[1]):
        columns = [*kept, j]
        scale = max(1.0, float(largest[columns].max()))
        if np.linalg.matrix_rank(factor[:, columns], tol=1e-9 * scale * len(values)) == len(kept) + 1:
            kept.append(j)
    return [x.columns[j] for j in kept]


def _knn(rows: pd.DataFrame, k: int):
    from libpysal.weights import KNN

    with warnings.catch_warnings():  # "not fully connected": clusters apart are expected of parcels
        warnings.filterwarnings("ignore", message="The weights matrix is not fully connected")
        w = KNN.from_array(rows[["x", "y"]].to_numpy(), k=min(k, len(rows) - 1), silence_warnings=True)
    w.transform = "r"
    return w


def _spatial(
    latest: pd.DataFrame, xl: pd.DataFrame, outcome: str, spatial_model: str, alpha: float, k: int, confidence: float
) -> tuple[dict, str, pd.DataFrame]:
    """Moran's I and LM tests of the cross-section's OLS residuals, the model they call for (or
    ``spatial_model``) and its tidy table."""
    import spreg

    year = int(latest["year"].iloc[0])
    w = _knn(latest, k)
    y = latest[["value"]].to_numpy()
    names = list(xl.columns)
    ols = spreg.OLS(y, xl.to_numpy(), w=w, spat_diag=True, moran=True, name_x=names, name_y=outcome)
    moran_i, moran_z, moran_p = (float(v) for v in ols.moran_res)
    moran = {
        "year": year,
        "I": moran_i,
        "z": moran_z,
        "p_value": moran_p,
        "k": k,
        "n": len(latest),
        "lm_lag": float(ols.lm_lag[0]),
        "lm_lag_p": float(ols.lm_lag[1]),
        "lm_error": float(ols.lm_error[0]),
        "lm_error_p": float(ols.lm_error[1]),
        "rlm_lag": float(ols.rlm_lag[0]),
        "rlm_lag_p": float(ols.rlm_lag[1]),
        "rlm_error": float(ols.rlm_error[0]),
        "rlm_error_p": float(ols.rlm_error[1]),
    }
    kind = spatial_model
    if kind == "auto":
        if moran_p >= alpha:
            kind = "none"
        else:
            lag_ok, err_ok = moran["rlm_lag_p"] < alpha, moran["rlm_error_p"] < alpha
            kind = (
                "lag"
                if lag_ok and not err_ok
                else "error"
                if err_ok and not lag_ok
                else ("lag" if moran["rlm_lag"] >= moran["rlm_error"] else "error")
            )
    spatial = pd.DataFrame()
    if kind == "lag":
        m = spreg.GM_Lag(y, xl.to_numpy(), w=w, name_x=names, name_y=outcome)
        spatial = _tidy([*m.name_z[:-1], "rho"], m.betas, m.std_err, confidence)
    elif kind == "error":
        m = spreg.GM_Error_Het(y, xl.to_numpy(), w=w, name_x=names, name_y=outcome)
        spatial = _tidy(list(m.name_x), m.betas, m.std_err, confidence)
    return moran, kind, spatial


def determinants(
    evaluations: dict[int, pd.DataFrame],
    parcels: gpd.GeoDataFrame,
    parks: gpd.GeoDataFrame | None = None,
    outcome: str = "tax_per_mu",
    *,
    spatial_model: str = "auto",
    alpha: float = 0.05,
    k: int = 8,
    confidence: float = 0.95,
) -> Determinants:
    """The panel model of ``outcome`` over every year of ``evaluations`` and the spatial check and
    model on the latest year (see the module's docstring)."""
    from linearmodels.panel import PanelOLS

    if spatial_model not in SPATIAL_MODELS:
        raise InputError("parameter spatial_model", f"{spatial_model!r}", expected=" or ".join(SPATIAL_MODELS))
    rows, sample, notes = regressor_frame(evaluations, parcels, parks, outcome)
    references = {col: reference_group(rows[col]) for col in ("chain", "street")}
    x = design_matrix(rows, references)
    keep = estimable(x, rows["year"])
    collinear = [c for c in x.columns if c not in keep]
    if collinear:
        notes.append(
            "与其他变量或年份效应共线，未纳入 left out, collinear with the others or the year effects: "
            + ", ".join(label(c) for c in collinear)
        )
    x = x[keep]
    index = panel_index(rows["credit_code"], rows["year"])
    exog = x.assign(const=1.0)[["const", *x.columns]].set_axis(index)
    fit = PanelOLS(rows["value"].set_axis(index), exog, time_effects=True).fit(cov_type="clustered", cluster_entity=True)
    panel = _tidy(list(fit.params.index), fit.params.to_numpy(), fit.std_errors.to_numpy(), confidence)
    year = int(rows["year"].max())
    latest = rows[rows["year"] == year].reset_index(drop=True)
    xl = design_matrix(latest, references)
    xl = xl[estimable(xl)]
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        # spreg's own pandas deprecations are not ours to mend; its GM models print their names
        warnings.filterwarnings("ignore", module=r"spreg\.")
        moran, kind, spatial = _spatial(latest, xl, outcome, spatial_model, alpha, k, confidence)
    return Determinants(
        outcome,
        year,
        panel,
        moran,
        spatial,
        kind,
        sample,
        int(fit.nobs),
        int(rows["credit_code"].nunique()),
        float(fit.rsquared),
        notes,
        references,
    )


__all__ = [
    "REGRESSOR_LABELS",
    "SPATIAL_MODELS",
    "Determinants",
    "design_matrix",
    "determinants",
    "estimable",
    "label",
    "regressor_frame",
]
