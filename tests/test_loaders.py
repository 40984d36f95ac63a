"""Loading a data folder: the sample, encodings, optional tables, anonymisation at load, zones."""

import pytest
import shapely

from helpers.io.dataset import load_dataset

from .conftest import read_table


def test_sample_loads_and_is_synthetic(sample):
    assert sample.synthetic
    assert sample.years == [2021, 2022, 2023]
    assert sample.parcels.crs.to_epsg() == 4490
    assert len(sample.zones) == 8 and sample.zones["synthetic"].all()
    assert (sample.parcels["geom_area_mu"] > 0).all()


def test_csv_with_bom_and_without_are_the_same(sample_copy):
    raw = (sample_copy / "enterprises.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    (sample_copy / "enterprises.csv").write_bytes(raw[3:])
    assert len(load_dataset(sample_copy).enterprises) == len(read_table(sample_copy, "enterprises.csv"))


def test_records_are_optional(sample_copy):
    ds = load_dataset(sample_copy)  # the copy holds no record tables
    assert ds.records == {}


def test_anonymize_at_load_replaces_names_and_codes_everywhere(sample_copy):
    import shutil

    from helpers.core import paths

    shutil.copy(paths.SAMPLE_DIR / "projects.csv", sample_copy / "projects.csv")
    plain, anon = load_dataset(sample_copy), load_dataset(sample_copy, anonymize=True)
    codes, names = set(plain.enterprises["credit_code"]), set(plain.enterprises["name"])
    assert anon.anonymized and anon.enterprises["credit_code"].str.startswith("企业-").all()
    assert (anon.enterprises["name"] == anon.enterprises["credit_code"]).all()
    for table in (anon.enterprises, anon.links, anon.panel):
        assert not set(table["credit_code"]) & codes
    assert not set(anon.enterprises["name"]) & names
    assert anon.records["projects"]["name"].str.startswith("项目-").all()
    again = load_dataset(sample_copy, anonymize=True)
    assert again.enterprises["credit_code"].tolist() == anon.enterprises["credit_code"].tolist()  # stable
    assert len(anon.links.merge(anon.enterprises, on="credit_code")) == len(plain.links)  # joins still work


def test_generalized_geometry_keeps_areas_and_moves_little(sample_copy):
    plain, coarse = load_dataset(sample_copy), load_dataset(sample_copy, generalize_m=50)
    assert (coarse.parcels["geom_area_mu"] == plain.parcels["geom_area_mu"]).all()  # measured before coarsening
    moved = plain.parcels.to_crs(4549).centroid.distance(coarse.parcels.to_crs(4549).centroid)
    assert moved.max() < 2 * 50 and (moved > 0).any()
    xy = shapely.get_coordinates(coarse.parcels.to_crs(4549).geometry.values)
    assert abs(xy / 50 - (xy / 50).round()).max() < 1e-6  # on the 50 m grid
    assert not coarse.parcels.geometry.is_empty.any()


def test_folder_without_zones_gets_indicative_zones_from_its_parcels(sample_copy):
    (sample_copy / "street_zones_synthetic.geojson").unlink()
    ds = load_dataset(sample_copy)
    assert set(ds.zones["street_code"]) == set(ds.parcels["street_code"]) and ds.zones["synthetic"].all()
    zone_of_parcel = ds.zones.to_crs(4549).set_index("street_code").geometry.reindex(ds.parcels["street_code"])
    inside = (
        ds.parcels.representative_point()
        .to_crs(4549)
        .reset_index(drop=True)
        .within(zone_of_parcel.buffer(1).reset_index(drop=True))
    )
    assert inside.mean() > 0.99


def test_a_year_the_panel_lacks_is_named_with_the_years_there_are(sample):
    assert sample.require_year(2022, "data_year") == 2022
    with pytest.raises(ValueError, match=r"data_year = 2019: .* has the years 2021, 2022, 2023; run again with -p data_year"):
        sample.require_year(2019, "data_year")
