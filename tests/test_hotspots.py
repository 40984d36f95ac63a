import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import box

from helpers.evaluate.hotspots import confidence_bins, expected_by_chance, hot_spots

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
