import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import Geod
from shapely.geometry import LineString, MultiPolygon, Polygon, box

from helpers.core.geography import load_boundary
from helpers.core.units import M2_PER_MU, area_mu


def test_one_mu_is_ten_thousand_fifteenths_m2():
    assert M2_PER_MU == pytest.approx(666.6666667)
    assert 15 * M2_PER_MU == pytest.approx(10000)


def test_area_is_measured_in_epsg4549_whatever_the_input_crs():
    square = gpd.GeoSeries([box(523000, 3368000, 523100, 3368100)], crs="EPSG:4549")  # 10,000 m²
    assert area_mu(square).iloc[0] == pytest.approx(15.0)
    for crs in ("EPSG:4490", "EPSG:4326", "EPSG:3857"):
        assert area_mu(square.to_crs(crs)).iloc[0] == pytest.approx(15.0, rel=1e-6)


def test_district_area_matches_geodesic_area():
    b = load_boundary("tianditu")
    geod = Geod(ellps="GRS80")
    geodesic_m2 = abs(geod.geometry_area_perimeter(b.geometry.iloc[0])[0])
    assert area_mu(b).iloc[0] == pytest.approx(geodesic_m2 / M2_PER_MU, rel=1e-4)
    assert 420_000 < area_mu(b).iloc[0] < 432_000  # about 286 km²


def test_area_without_crs_is_refused():
    with pytest.raises(ValueError, match="no CRS"):
        area_mu(gpd.GeoSeries([box(0, 0, 1, 1)]))


def _awkward_shapes(rng) -> gpd.GeoSeries:
    """Parcels as cadastres hold them and the shapes around them: small and large rings, holes,
    several parts, a Z coordinate, missing and empty outlines, a line; index not from 0."""

    def ring(cx, cy, n, r):
        angles = np.sort(rng.uniform(0, 2 * np.pi, n))
        radii = r * rng.uniform(0.5, 1, n)
        return Polygon(np.c_[cx + radii * np.cos(angles), cy + radii * np.sin(angles)])

    shapes = []
    for i in range(900):
        cx, cy = 120.2 + rng.uniform(0, 0.2), 30.4 + rng.uniform(0, 0.1)
        kind = i % 9
        if kind == 0:
            shapes.append(ring(cx, cy, int(rng.integers(3, 600)), 0.001))  # past SHOELACE_MAX_TERMS too
        elif kind == 1:
            shapes.append(Polygon(ring(cx, cy, 12, 0.002).exterior.coords, [ring(cx, cy, 6, 0.0003).exterior.coords]))
        elif kind == 2:
            shapes.append(MultiPolygon([ring(cx, cy, 8, 0.001), ring(cx + 0.01, cy, 9, 0.001)]))
        elif kind == 3:
            shapes.append(Polygon([(x, y, 5.0) for x, y in ring(cx, cy, 7, 0.001).exterior.coords]))
        elif kind == 4:
            shapes.append(None)
        elif kind == 5:
            shapes.append(Polygon())
        elif kind == 6:
            shapes.append(LineString([(cx, cy), (cx + 0.001, cy)]))
        else:
            shapes.append(ring(cx, cy, int(rng.integers(4, 40)), 0.0005))
    return gpd.GeoSeries(shapes, crs="EPSG:4490", index=pd.RangeIndex(10, 910), name="geometry")


@pytest.mark.parametrize("crs", ["EPSG:4490", "EPSG:4326", "EPSG:3857", "EPSG:4549", "EPSG:2385"])
def test_area_equals_geopandas_projected_area_to_the_last_bit(crs, monkeypatch):
    shapes = _awkward_shapes(np.random.default_rng(20220623)).to_crs(crs)
    expected = shapes.to_crs("EPSG:4549").area / M2_PER_MU
    projected = []
    to_crs = gpd.GeoSeries.to_crs
    monkeypatch.setattr(gpd.GeoSeries, "to_crs", lambda self, *a, **k: projected.append(len(self)) or to_crs(self, *a, **k))
    got = area_mu(shapes)
    pd.testing.assert_series_equal(got, expected, check_exact=True, check_names=False)
    pd.testing.assert_series_equal(area_mu(gpd.GeoDataFrame(geometry=shapes)), got, check_exact=True)
    assert projected and max(projected) <= len(shapes) - 200  # the 200 small rings at least: without a projected copy
    assert area_mu(shapes.iloc[:0]).empty
