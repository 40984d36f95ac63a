"""Hot spots of 亩均税收 over parcels: Getis-Ord Gi* and Local Moran's I (PySAL esda).

Spatial weights (the documented choice): k nearest neighbours (default k = 8) between parcel
centroids measured in EPSG:4549 metres. Parcels are unevenly spread (dense estates, lone
factories), so a fixed distance band would leave isolated parcels with no neighbour and give
estate parcels dozens; k-nearest neighbours gives every parcel the same number. Gi* includes
the parcel itself (``star=True``) on binary weights; Local Moran uses row-standardised weights.

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
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd

from helpers.core.units import AREA_CRS

if TYPE_CHECKING:
    from libpysal.weights import KNN

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


def knn_weights(gdf: gpd.GeoDataFrame, k: int = 8) -> KNN:
    from libpysal.weights import KNN

    pts = gdf.geometry.to_crs(AREA_CRS).centroid
    coords = np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()])
    with quiet_disconnected():
        return KNN.from_array(coords, k=k, silence_warnings=True)  # no count of components (1 s at 100,000 sites)


@contextmanager
def quiet_disconnected():
    """Separate estates make the k-nearest-neighbour graph disconnected; local statistics do not
    mind, so libpysal's warning about it is silenced (and nothing else)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*not fully connected")
        yield


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
    """One local statistic to infer by conditional permutation: the values it permutes (``z``), its
    weights' sparse matrix (self-weights on the diagonal, as Gi* has), the observed statistic per
    site, its kind (``gi_star`` or ``moran``) and esda's scaling for it."""

    z: np.ndarray
    adjacency: object
    observed: np.ndarray
    stat: str
    scaling: float


def _neighbour_weights(adjacency, n: int) -> tuple[np.ndarray, np.ndarray]:
    a = adjacency.tocsr().astype(float)
    self_weights = a.diagonal().copy()
    a.setdiag(0)
    a.eliminate_zeros()
    a.sort_indices()
    card = np.diff(a.indptr)
    if len(card) != n or (card != card.max()).any():
        raise ValueError("conditional_p_sims: every site needs the same number of neighbours (k-nearest weights)")
    return self_weights, a.data.reshape(n, int(card.max()))


def conditional_p_sims(statistics: list[LocalStatistic], permutations: int, seed: int, chunk: int = 512) -> list[np.ndarray]:
    """esda's folded ("directed") pseudo p-values of each local statistic by conditional permutation,
    computed for many sites at once. The draws are esda's (``permuted_ids``: the same seed, so every
    statistic with the same number of neighbours gets the same draws). Site i's simulated
    neighbours are the drawn ids among the other sites: id j stands for site j below i and j + 1
    from i on, so each draw's values are looked up once for j and once for j + 1 and picked per
    site. For a chunk of sites the statistic of every permutation is one array (sites ×
    permutations × neighbours), the count at or above the observed value folded to the smaller
    tail. esda runs the same arithmetic site by site in Python when numba is absent (about 40 s at
    100,000 parcels); tests/test_hotspots.py checks the p-values against esda's (equal; float32, as
    esda keeps them, so that a p of exactly 0.05 bins as esda bins it)."""
    n = len(statistics[0].z)
    weights = [_neighbour_weights(st.adjacency, n) for st in statistics]
    ks = {w[1].shape[1] for w in weights}
    if len(ks) != 1:
        raise ValueError("conditional_p_sims: the statistics need the same number of neighbours")
    ids = permuted_ids(n, ks.pop(), permutations, seed)
    values = [np.asarray(st.z, dtype=float) for st in statistics]
    below = [v[ids] for v in values]  # the value of id j for sites above j
    above = [v[ids + 1] for v in values]  # and of j + 1 for sites at or below j (ids run to n − 2)
    p_sims = [np.empty(n) for _ in statistics]
    for start in range(0, n, chunk):
        sites = np.arange(start, min(start + chunk, n))
        shifted = ids[None, :, :] >= sites[:, None, None]
        for st, (self_weights, other), v, lo, hi, out in zip(statistics, weights, values, below, above, p_sims):
            drawn = np.where(shifted, hi[None], lo[None])
            lag = np.einsum("spk,sk->sp", drawn, other[sites]) + (self_weights[sites] * v[sites])[:, None]
            rstats = lag / st.scaling if st.stat == "gi_star" else v[sites, None] * lag * st.scaling
            larger = (rstats >= np.asarray(st.observed, dtype=float)[sites, None]).sum(axis=1)
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


def hot_spots(
    gdf: gpd.GeoDataFrame, column: str, k: int = 8, permutations: int = 999, seed: int = 12345, use_fdr: bool = False
) -> pd.DataFrame:
    """Gi* and Local Moran statistics of ``column`` for every row of ``gdf``, with two-sided pseudo
    p-values (``gi_p``, ``moran_p``) and their bins (rows with a missing value must be dropped by
    the caller; the function refuses them)."""
    y = gdf[column].to_numpy(dtype=float)
    if np.isnan(y).any():
        raise ValueError(f"hot_spots: {int(np.isnan(y).sum())} rows have no {column}; drop them first")
    w = knn_weights(gdf, k)
    esda = esda_module()
    with quiet_disconnected():  # the statistics; their inference below
        g = esda.G_Local(y, w, transform="B", star=True, permutations=0)
        w.transform = "R"
        m = esda.Moran_Local(y, w, permutations=0)
    z = m.z
    gi_sim, moran_sim = conditional_p_sims(
        [
            LocalStatistic(y, g.w.sparse, g.Gs, "gi_star", y.sum()),
            LocalStatistic(z, m.w.sparse, m.Is, "moran", (len(z) - 1) / (z * z).sum()),
        ],
        permutations,
        seed,
    )
    gi_p, moran_p = two_sided(gi_sim), two_sided(moran_sim)
    bins = confidence_bins(g.Zs, gi_p, use_fdr)
    sig_m = moran_p <= (esda.fdr(moran_p, 0.05) if use_fdr else 0.05)
    return pd.DataFrame(
        {
            "gi_z": g.Zs,
            "gi_p": gi_p,
            "gi_bin": bins,
            "gi_label": [BIN_LABELS[b] for b in bins],
            "moran_i": m.Is,
            "moran_p": moran_p,
            "moran_quadrant": [QUADRANTS[q] for q in m.q],
            "moran_significant": sig_m,
        },
        index=gdf.index,
    )
