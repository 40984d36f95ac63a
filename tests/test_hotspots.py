import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import box

from helpers.evaluate.hotspots import confidence_bins, expected_by_chance, hot_spots, two_sided

N = 20


@pytest.fixture(scope="module")
def grid():
    cells = [box(523000 + i * 100, 3368000 + j * 100, 523090 + i * 100, 3368090 + j * 100) for i in range(N) for j in range(N)]
    g = gpd.GeoDataFrame(geometry=cells, crs="EPSG:4549")
    ij = np.array([(i, j) for i in range(N) for j in range(N)])
    rng = np.random.default_rng(0)
    values = rng.normal(10, 2, N * N)
    planted = (ij[:, 0] < 5) & (ij[:, 1] < 5)
    values[planted] += 10
    g["planted"] = planted
    g["v"] = values
    g["shuffled"] = np.random.default_rng(1).permutation(values)
    return g


def test_finds_the_planted_cluster(grid):
    r = hot_spots(grid, "v", use_fdr=True)
    assert (r.loc[grid["planted"], "gi_bin"] >= 2).mean() > 0.8
    assert (r.loc[~grid["planted"], "gi_bin"] > 0).mean() < 0.05
    assert (r.loc[grid["planted"], "moran_quadrant"] == "HH 高-高").mean() > 0.8


def test_finds_nothing_in_shuffled_values(grid):
    r = hot_spots(grid, "shuffled", use_fdr=True)
    assert (r["gi_bin"] == 0).all() and not r["moran_significant"].any()
    # without the correction, only about the chance share lands in a 90 % bin
    plain = hot_spots(grid, "shuffled", use_fdr=False)
    assert (plain["gi_bin"] != 0).sum() <= 2 * expected_by_chance(len(grid))


def test_repeatable_and_refuses_missing(grid):
    a = hot_spots(grid, "v", seed=7)
    b = hot_spots(grid, "v", seed=7)
    assert a.equals(b)
    g = grid.copy()
    g.loc[3, "v"] = np.nan
    with pytest.raises(ValueError, match="drop them first"):
        hot_spots(g, "v")


def test_bins():
    z = np.array([2.0, -2.0, 1.0, 3.0, -0.5])
    p = np.array([0.005, 0.03, 0.08, 0.2, 0.001])
    assert confidence_bins(z, p, use_fdr=False).tolist() == [3, -2, 1, 0, -3]


def test_on_pure_noise_each_bin_holds_its_nominal_share():
    """2,000 scattered points of heavy-tailed noise, k = 8, 999 permutations, three seeds pooled
    (6,000 parcels): the 90/95/99 % bins (hot and cold together) hold 10/5/1 % of parcels within
    sampling error, and ``expected_by_chance`` says so. esda's folded one-sided p-values, binned as
    they were before, put about twice that in each bin."""
    bins, folded = [], []
    for seed in (0, 1, 2):
        rng = np.random.default_rng(seed)
        xy = rng.uniform(0, 20_000, (2000, 2)) + [500_000, 3_360_000]
        g = gpd.GeoDataFrame({"v": rng.lognormal(3, 1, 2000)}, geometry=shapely.points(xy), crs="EPSG:4549")
        r = hot_spots(g, "v", k=8, permutations=999, seed=seed)
        bins.append(r["gi_bin"].abs().to_numpy())
        folded.append(r["gi_p"].to_numpy() / 2)  # p_sim: undo the doubling
    bins, folded = np.concatenate(bins), np.concatenate(folded)
    n = len(bins)
    for level, alpha in ((1, 0.10), (2, 0.05), (3, 0.01)):
        share = (bins >= level).mean()
        tolerance = 4 * np.sqrt(alpha * (1 - alpha) / n)  # neighbouring statistics are correlated: 4 binomial SEs
        assert abs(share - alpha) < tolerance, (level, share)
        assert (folded <= alpha).mean() > 1.6 * alpha  # the old bins: about twice the nominal share
    assert expected_by_chance(n) == pytest.approx(0.10 * n) and expected_by_chance(n, use_fdr=True) == 0


def test_two_sided_pseudo_p_doubles_and_caps():
    assert two_sided(np.array([0.001, 0.05, 0.5, 0.7])).tolist() == [0.002, 0.1, 1.0, 1.0]


def esda_weights(gdf, k=8):
    """libpysal's k-nearest-neighbour weights between the parcels' centroids in EPSG:4549."""
    from libpysal.weights import KNN

    pts = gdf.geometry.to_crs("EPSG:4549").centroid
    return KNN.from_array(np.column_stack([pts.x, pts.y]), k=k, silence_warnings=True)


@pytest.mark.parametrize("column", ["v", "shuffled"])
def test_the_vectorised_inference_gives_esdas_p_values(grid, column):
    """hot_spots computes the statistics on its neighbour array and the conditional permutations for
    many parcels at once; with the same seed and permutations its statistics, quadrants and pseudo
    p-values are esda's own (G_Local and Moran_Local on libpysal weights, computing the permutations
    site by site), on a clustered and on a shuffled pattern."""
    import esda

    from helpers.evaluate.hotspots import QUADRANTS

    ours = hot_spots(grid, column, permutations=199, seed=7)
    y = grid[column].to_numpy(dtype=float)
    w = esda_weights(grid)
    g = esda.G_Local(y, w, transform="B", star=True, permutations=199, seed=7, keep_simulations=False)
    w.transform = "R"
    m = esda.Moran_Local(y, w, permutations=199, seed=7, keep_simulations=False)
    assert np.abs(ours["gi_z"] - g.Zs).max() < 1e-10, np.abs(ours["gi_z"] - g.Zs).max()
    assert np.allclose(ours["moran_i"], m.Is, rtol=1e-12, atol=1e-15)
    assert ours["moran_quadrant"].tolist() == [QUADRANTS[q] for q in m.q]
    assert np.array_equal(ours["gi_p"].to_numpy(), two_sided(g.p_sim))
    assert np.array_equal(ours["moran_p"].to_numpy(), two_sided(m.p_sim))
    assert np.array_equal(ours["gi_bin"].to_numpy(), confidence_bins(g.Zs, two_sided(g.p_sim)))
    assert ours["gi_p"].nunique() > 10  # not a degenerate case that would pass by accident


@pytest.mark.parametrize("k", [1, 4, 8])
def test_neighbours_are_libpysals(k):
    """The neighbour array holds, row by row, libpysal's KNN neighbours: on scattered points with
    ties in distance and with coincident points (more than k + 1 at one place, where the site itself
    can fall outside its k + 1 nearest)."""
    from helpers.evaluate.hotspots import knn_neighbours

    rng = np.random.default_rng(3)
    xy = np.round(rng.uniform(0, 2_000, (300, 2)), -2) + [500_000, 3_360_000]  # a 100 m lattice: ties
    xy[:12] = xy[0]  # twelve parcels at one place
    g = gpd.GeoDataFrame(geometry=shapely.points(xy), crs="EPSG:4549")
    ours = knn_neighbours(g, k)
    w = esda_weights(g, k)
    assert ours.shape == (300, k)
    assert [sorted(row) for row in ours.tolist()] == [sorted(w.neighbors[i]) for i in range(300)]
    from scipy.spatial import cKDTree

    _, nearest = cKDTree(xy).query(xy, k=k + 1)
    assert (nearest[:12] != np.arange(12)[:, None]).all(axis=1).any()  # a site crowded out of its own k + 1


def test_refuses_k_beyond_the_parcels(grid):
    with pytest.raises(ValueError, match="needs more than"):
        hot_spots(grid.iloc[:5], "v", k=8)


def test_no_hot_spots_has_the_columns_and_types_of_hot_spots(grid):
    """The empty result the page uses for a folder of a few parcels is shaped as a real one."""
    from helpers.evaluate.hotspots import computable, no_hot_spots

    real = hot_spots(grid, "v", permutations=9)
    empty = no_hot_spots(grid.index)
    assert empty.empty and list(empty.columns) == list(real.columns) and empty.dtypes.equals(real.dtypes)
    assert computable(9, 8) and not computable(8, 8) and not computable(5, 0)
