import geopandas as gpd
import pytest
from pyproj import Geod
from shapely.geometry import box

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
