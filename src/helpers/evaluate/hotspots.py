"""Hot spots of 亩均税收 over parcels: Getis-Ord Gi* and Local Moran's I (PySAL esda).

Spatial weights (the documented choice): k nearest neighbours (default k = 8) between parcel
centroids measured in EPSG:4549 metres. Parcels are unevenly spread (dense estates, lone
factories), so a fixed distance band would leave isolated parcels with no neighbour and give
estate parcels dozens; k-nearest neighbours gives every parcel the same number. Gi* includes
the parcel itself (``star=True``) on binary weights; Local Moran uses row-standardised weights.
The statistics, their moments and their inference are computed here on the (n × k) array of
neighbours with the formulas of PySAL esda's ``G_Local`` and ``Moran_Local`` (which would first
build libpysal weights and sparse matrices, some 10 s at 100,000 parcels); tests/test_hotspots.py
checks values, quadrants and p-values against esda's own.

Inference: conditional permutations (default 999, seeded, so results repeat). esda's ``p_sim`` is
a folded one-sided pseudo p-value (the share of permutations beyond the observed value in the
nearer tail): on pure noise about 10 % of parcels have ``p_sim`` ≤ 0.05, not 5 %. The bins use the
two-sided pseudo p-value ``p = min(1, 2 × p_sim)`` (the doubling rule; esda's own two-sided option
needs the n × permutations simulations kept, 800 MB at 100,000 parcels), so that a 90 % bin holds
about 10 % of parcels on noise, hot and cold together. Bins follow ArcGIS's Hot Spot Analysis
(Gi_Bin): ±3 = 99 %, ±2 = 95 %, ±1 = 90 % two-sided confidence, 0 = not significant, sign from the
Gi* z-score. ``expected_by_chance`` gives the count the same rule expects on noise. With
``use_fdr=True`` (the notebooks' ``hotspot_fdr`` parameter; default False, as in ArcGIS) each
level's threshold is corrected for multiple testing by the false discovery rate (esda.fdr) and the
count expected by chance is about 0. Pseudo p-values are used rather than a normal approximation
because 亩均税收 is heavy-tailed: the normal approximation flags clusters in shuffled data.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from helpers.core.units import AREA_CRS

LEVELS = ((3, 0.01), (2, 0.05), (1, 0.10))
BIN_LABELS = {3: "热点 99%", 2: "热点 95%", 1: "热点 90%", 0: "不显著", -1: "冷点 90%", -2: "冷点 95%", -3: "冷点 99%"}
QUADRANTS = {1: "HH 高-高", 2: "LH 低-高", 3: "LL 低-低", 4: "HL 高-低"}


def esda_module():
    """esda, imported when first needed (with libpysal and scikit-learn it takes about half a second,
    which every kernel that imports a page would otherwise pay)."""
    with warnings.catch_warnings():
        # esda pulls in tqdm.auto, which warns about ipywidgets in a kernel; progress bars are not used here
        warnings.filterwarnings("ignore", message="IProgress not found")
        import esda
    return esda


def knn_neighbours(gdf: gpd.GeoDataFrame, k: int = 8) -> np.ndarray:
    """(n × k) positions of each parcel's k nearest neighbours (nearest first) between centroids in
    EPSG:4549 metres, found as libpysal's ``KNN`` finds them (scipy's cKDTree, leaf size 10, the k + 1
    nearest; the site itself left out, or the farthest when k + 1 coincident points crowd it out),
    without building libpysal's weights object (2.5 s at 100,000 parcels, imports included)."""
    from scipy.spatial import cKDTree

    n = len(gdf)
    if not computable(n, k):
        raise ValueError(f"hot_spots: k = {k} nearest neighbours needs more than {k} parcels (there are {n})")
    pts = gdf.geometry.to_crs(AREA_CRS).centroid
    coords = np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()])
    _, found = cKDTree(coords, 10).query(coords, k=k + 1, p=2)
    others = found != np.arange(n)[:, None]
    others[others.all(axis=1), -1] = False
    return found[others].reshape(n, k)


def permuted_ids(n: int, max_card: int, permutations: int, seed: int) -> np.ndarray:
    """(permutations × max_card) ids drawn from the n − 1 other sites, as esda's ``crand`` draws them
    (numpy's global generator seeded with ``seed``, one draw without replacement per permutation;
    without numba, which the project does not install). Like esda, this reseeds numpy's global
    generator."""
    np.random.seed(seed)
    out = np.empty((permutations, max_card), dtype=np.int64)
    for r in range(permutations):
        out[r] = np.random.choice(n - 1, size=max_card, replace=False)
    return out


@dataclass
class LocalStatistic:
    """One local statistic over k-nearest-neighbour weights, to infer by conditional permutation:
    the values it permutes (``z``), the weight of each neighbour and of the site itself (the same at
    every site: Gi* on binary weights 1 and 1, Local Moran on row-standardised weights 1/k and 0),
    its kind (``gi_star`` or ``moran``) and esda's scaling for it (Σy for Gi*, (n − 1)/Σz² for Moran)."""

    z: np.ndarray
    weight: float
    self_weight: float
    stat: str
    scaling: float

    def lag(self, values: np.ndarray) -> np.ndarray:
        """The weighted sum over the last axis (the k neighbours' values)."""
        return np.einsum("...k,k->...", values, np.full(values.shape[-1], self.weight))

    def value(self, lag: np.ndarray, zi: np.ndarray) -> np.ndarray:
        """The statistic from the neighbours' weighted sum and the site's own value, as esda's
        ``_g_local_star_crand`` and ``_moran_local_crand`` write it."""
        total = lag + self.self_weight * zi
        return total / self.scaling if self.stat == "gi_star" else zi * total * self.scaling


def conditional_p_sims(
    statistics: list[LocalStatistic],
    observed: list[np.ndarray],
    neighbours: np.ndarray,
    permutations: int,
    seed: int,
    chunk: int = 1024,
) -> list[np.ndarray]:
    """esda's folded ("directed") pseudo p-values of each local statistic (its ``observed`` value at
    every site, with its own ``neighbours``: n × k positions) by conditional permutation,
    computed for many sites at once. The draws are esda's (``permuted_ids``: the same seed, so every
    statistic gets the same draws). Site i's simulated neighbours are the drawn ids among the other
    sites: id j stands for site j below i and j + 1 from i on. In a chunk of consecutive sites a
    drawn id below the chunk, or at or above its last site, stands for the same site for all of
    them, so a permutation without an id inside the chunk (nearly all of them at 100,000 parcels)
    has one simulated sum for the whole chunk; the few others are summed site by site. The count at
    or above the observed value is folded to the smaller tail. esda runs the same arithmetic site by
    site in Python when numba is absent (about 40 s at 100,000 parcels); tests/test_hotspots.py
    checks the p-values against esda's (equal; float32, as esda keeps them, so that a p of exactly
    0.05 bins as esda bins it)."""
    n, k = neighbours.shape
    ids = permuted_ids(n, k, permutations, seed)
    values = [np.asarray(st.z, dtype=float) for st in statistics]
    p_sims = [np.empty(n) for _ in statistics]
    for start in range(0, n, chunk):
        stop = min(start + chunk, n)
        sites = np.arange(start, stop)
        shifted_for_all = ids >= stop - 1  # ids standing for id + 1 at every site of the chunk
        per_site = np.flatnonzero(((ids >= start) & ~shifted_for_all).any(axis=1))
        common = ids + shifted_for_all  # right for every permutation but those in per_site
        own = ids[per_site][None] + (ids[per_site][None] >= sites[:, None, None])  # sites × per_site × k
        for st, v, obs, out in zip(statistics, values, observed, p_sims, strict=True):
            rstats = st.value(st.lag(v[common])[None], v[sites, None])  # sites × permutations
            rstats[:, per_site] = st.value(st.lag(v[own]), v[sites, None])
            larger = (rstats >= obs[sites, None]).sum(axis=1)
            larger = np.where(permutations - larger < larger, permutations - larger, larger)
            out[sites] = (larger + 1.0) / (permutations + 1.0)
    return [p.astype(np.float32) for p in p_sims]


def two_sided(p_sim: np.ndarray) -> np.ndarray:
    """Two-sided pseudo p-values from esda's folded one-sided ``p_sim`` (doubling, capped at 1)."""
    return np.minimum(1.0, 2.0 * np.asarray(p_sim, dtype=float))


def expected_by_chance(n: int, alpha: float = 0.10, use_fdr: bool = False) -> float:
    """Parcels the bins of confidence 1 − ``alpha`` or more (hot and cold together) hold by chance
    alone among ``n`` when nothing clusters: ``n × alpha`` with two-sided p-values; about 0 with FDR."""
    return 0.0 if use_fdr else n * alpha


def confidence_bins(z: np.ndarray, p: np.ndarray, use_fdr: bool = False) -> np.ndarray:
    """ArcGIS-style bins -3..3 from z-scores (sign) and two-sided pseudo p-values (level)."""
    level = np.zeros(len(p), dtype=int)
    for value, alpha in LEVELS[::-1]:
        threshold = esda_module().fdr(p, alpha) if use_fdr else alpha
        level = np.where(p <= threshold, value, level)
    return (np.sign(z) * level).astype(int)


def gi_star_z(y: np.ndarray, gs: np.ndarray, k: int) -> np.ndarray:
    """z-scores of Gi* (``gs``) under the analytical moments esda's ``G_Local`` uses for binary
    weights with the site itself (every site has k + 1 weights of 1; Getis and Ord 1992)."""
    n = len(y)
    mean = y.sum() / n
    variance = (y**2).sum() / n - mean**2
    cardinality = float(k + 1)
    expected = cardinality / n
    expected_variance = cardinality * (n - cardinality) / (n - 1) * (1 / n**2) * (variance / mean**2)
    return (gs - expected) / np.sqrt(expected_variance)


RESULT_COLUMNS = {
    "gi_z": "float64",
    "gi_p": "float64",
    "gi_bin": "int64",
    "gi_label": "str",
    "moran_i": "float64",
    "moran_p": "float64",
    "moran_quadrant": "str",
    "moran_significant": "bool",
}


def computable(n: int, k: int) -> bool:
    """Whether ``n`` parcels can each have ``k`` nearest neighbours (a data folder of a few parcels
    cannot: the page then says so instead of a map)."""
    return 0 < k < n


def no_hot_spots(index: pd.Index) -> pd.DataFrame:
    """``hot_spots``' columns without a row, on an empty slice of ``index``."""
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in RESULT_COLUMNS.items()}, index=index[:0])


def hot_spots(
    gdf: gpd.GeoDataFrame, column: str, k: int = 8, permutations: int = 999, seed: int = 12345, use_fdr: bool = False
) -> pd.DataFrame:
    """Gi* and Local Moran statistics of ``column`` for every row of ``gdf``, with two-sided pseudo
    p-values (``gi_p``, ``moran_p``) and their bins (``RESULT_COLUMNS``; rows with a missing value
    must be dropped by the caller, and there must be more rows than ``k``: the function refuses
    either)."""
    y = gdf[column].to_numpy(dtype=float)
    if np.isnan(y).any():
        raise ValueError(f"hot_spots: {int(np.isnan(y).sum())} rows have no {column}; drop them first")
    neighbours = knn_neighbours(gdf, k)
    gi = LocalStatistic(y, 1.0, 1.0, "gi_star", y.sum())
    z = (y - y.mean()) / y.std()  # Local Moran's standardised values (esda's, population std)
    moran = LocalStatistic(z, 1.0 / k, 0.0, "moran", (len(z) - 1) / (z * z).sum())
    moran_lag = moran.lag(z[neighbours])  # the observed statistics, each site with its own neighbours
    gs, moran_i = gi.value(gi.lag(y[neighbours]), y), moran.value(moran_lag, z)
    gi_z = gi_star_z(y, gs, k)
    gi_sim, moran_sim = conditional_p_sims([gi, moran], [gs, moran_i], neighbours, permutations, seed)
    gi_p, moran_p = two_sided(gi_sim), two_sided(moran_sim)
    bins = confidence_bins(gi_z, gi_p, use_fdr)
    sig_m = moran_p <= (esda_module().fdr(moran_p, 0.05) if use_fdr else 0.05)
    lag_positive = moran_lag > 0
    quadrant = np.where(z > 0, np.where(lag_positive, 1, 4), np.where(lag_positive, 2, 3))  # esda's q
    return pd.DataFrame(
        {
            "gi_z": gi_z,
            "gi_p": gi_p,
            "gi_bin": bins,
            "gi_label": [BIN_LABELS[b] for b in bins],
            "moran_i": moran_i,
            "moran_p": moran_p,
            "moran_quadrant": [QUADRANTS[q] for q in quadrant],
            "moran_significant": sig_m,
        },
        index=gdf.index,
    )
