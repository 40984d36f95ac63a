"""Scale: the cache of checked folders (Arrow IPC tables, GeoParquet outlines), zones by spatial join and their totals, the
class raster of big maps, and the dask engine (same classes and totals as the pandas path)."""

import dataclasses
import shutil

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from helpers.core import paths
from helpers.core.geography import label_points
from helpers.evaluate.evaluation import evaluate
from helpers.evaluate.land import used_land
from helpers.evaluate.parcels import allocate_tax
from helpers.evaluate.zones import (
    NO_ZONE,
    combine_totals,
    dataset_parcel_zones,
    dataset_zone_totals,
    parcel_streets,
    parcel_zones,
    zone_table,
    zone_totals,
)
from helpers.io import cache
from helpers.io.check import check_folder
from helpers.io.dataset import Dataset, load_dataset
from helpers.io.positions import Positions
from helpers.scale.dask_engine import evaluate_partitioned, write_partitioned
from helpers.viz.interactive import parcel_class_map, standalone_html
from helpers.viz.rasterise import CATEGORIES, class_grid

from .conftest import read_table, write_table


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "CACHE_DIR", tmp_path / "cache")
    return tmp_path / "cache"


def _same_check(a, b):
    assert a.problems == b.problems and a.notes == b.notes and a.read == b.read and a.ignored == b.ignored
    pd.testing.assert_frame_equal(a.excluded, b.excluded)
    assert list(a.tables) == list(b.tables)
    for name in a.tables:
        pd.testing.assert_frame_equal(pd.DataFrame(a.tables[name]), pd.DataFrame(b.tables[name]))


def test_cache_gives_the_check_back_without_reading_the_files(sample_copy, cache_dir, monkeypatch):
    first = cache.checked_folder(sample_copy)
    entries = list((cache_dir / "inputs").iterdir())
    assert len(entries) == 1
    parcels = entries[0] / "parcels.parquet"
    assert list(pd.read_parquet(parcels).columns) == ["geometry"]  # the outlines alone: the rest is in parcels.arrow
    monkeypatch.setattr(cache, "check_folder", lambda folder: pytest.fail("the folder was read again"))
    again = cache.checked_folder(sample_copy)
    _same_check(first, again)
    assert again.tables["parcels"].crs == first.tables["parcels"].crs
    light = cache.fetch(entries[0], geometry=False)  # the outlines missing, in their place among the columns
    assert list(light.tables["parcels"].columns) == list(first.tables["parcels"].columns)
    assert light.tables["parcels"].geometry.isna().all()


def test_a_store_returns_before_its_files_are_written_and_writes_the_check_as_it_was(sample_copy, cache_dir, monkeypatch):
    """``store_later`` completes the check's row positions (an evaluation needs them), hands the
    files to a thread of their own and returns: the caller evaluates meanwhile. What the caller does
    to its check afterwards (a column replaced, a cell written in place) does not reach the entry."""
    import threading

    check = check_folder(sample_copy)
    expected = {name: table.copy() for name, table in check.tables.items()}
    go_on = threading.Event()
    write = cache._write_arrow
    monkeypatch.setattr(cache, "_write_arrow", lambda table, path: (go_on.wait(30), write(table, path)))
    entry = cache.inputs_dir() / cache.folder_key(sample_copy)
    written = cache.store_later(check, entry)
    assert not written.done() and not entry.exists()
    assert {"parcel_x", "parcel_y"} <= set(check.positions)  # completed before it returned
    check.tables["panel"].loc[0, "tax_10k_yuan"] = -1.0  # in place
    check.tables["enterprises"]["street_code"] = "330113999"
    go_on.set()
    cache.wait_for_stores()
    assert written.done() and entry.is_dir()
    again = cache.fetch(entry)
    for name in ("panel", "enterprises", "parcels"):
        pd.testing.assert_frame_equal(pd.DataFrame(again.tables[name]), pd.DataFrame(expected[name]))


def test_outlines_the_check_left_as_read_are_stored_as_their_files_wkb(sample_copy, cache_dir, monkeypatch):
    """A GeoParquet layer whose outlines the check kept as they were read is stored as the file's
    own WKB (nothing encoded again) and read back as the same geometries, CRS and column; a layer
    whose outlines the check changed (an empty part dropped), or one given another CRS, is encoded."""
    encoded, as_read = [], []
    to_parquet, wkb_table = gpd.GeoDataFrame.to_parquet, cache._wkb_table
    monkeypatch.setattr(
        gpd.GeoDataFrame, "to_parquet", lambda self, path, **k: encoded.append(path.stem) or to_parquet(self, path, **k)
    )
    monkeypatch.setattr(cache, "_wkb_table", lambda outlines, wkb: as_read.append(outlines.name) or wkb_table(outlines, wkb))

    def stored(folder):
        encoded.clear(), as_read.clear()
        check = check_folder(folder)
        expected = {n: t.geometry.copy() for n, t in check.tables.items() if isinstance(t, gpd.GeoDataFrame)}
        entry = cache.inputs_dir() / cache.folder_key(folder)
        cache.store(check, entry)
        assert not check.outlines_wkb  # taken by the store, not held by the check
        for name, outlines in expected.items():
            back = gpd.read_parquet(entry / f"{name}.parquet").geometry
            assert back.name == outlines.name and back.crs == outlines.crs
            assert back.isna().sum() == outlines.isna().sum()
            assert shapely.equals_identical(back.array, outlines.array).sum() == outlines.notna().sum()
        return sorted(encoded), sorted(as_read)

    parcels = gpd.read_parquet(sample_copy / "parcels.parquet")
    parcels.loc[0, "geometry"] = None  # a missing outline is stored as missing
    parcels.to_parquet(sample_copy / "parcels.parquet")
    shutil.copy(paths.SAMPLE_DIR / "parks.geojson", sample_copy)  # a layer that is not GeoParquet: encoded
    assert stored(sample_copy) == (["parks"], ["geometry"])
    first = parcels.geometry.iloc[1]
    with_empty = shapely.from_wkt(f"MULTIPOLYGON ({first.wkt.removeprefix('POLYGON ')}, EMPTY)")
    parcels.loc[1, "geometry"] = with_empty  # the check drops the empty part
    parcels.to_parquet(sample_copy / "parcels.parquet")
    assert stored(sample_copy) == (["parcels", "parks"], [])
    parcels.loc[1, "geometry"] = first
    parcels.to_crs("EPSG:4549").to_parquet(sample_copy / "parcels.parquet")  # placed in EPSG:4490 by the check
    assert stored(sample_copy) == (["parcels", "parks"], [])


def test_a_store_that_failed_is_raised_by_the_wait_and_finished_ones_are_let_go(sample_copy, cache_dir, monkeypatch):
    """A store that could not be written (a full disk) is kept until ``wait_for_stores`` raises its
    error, even when later stores finish first; stores that finished well are not held."""
    check = check_folder(sample_copy)
    entry = cache.inputs_dir() / cache.folder_key(sample_copy)
    write_entry = cache._write_entry

    def full_disk(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cache, "_write_entry", full_disk)
    failed = cache.store_later(check, entry)
    with pytest.raises(OSError):
        failed.result()
    monkeypatch.setattr(cache, "_write_entry", write_entry)
    cache.store_later(check, entry).result()
    cache.store_later(check, entry).result()  # drops the one that finished well, keeps the failure
    assert failed in cache._pending and len(cache._pending) == 2
    with pytest.raises(OSError, match="No space"):
        cache.wait_for_stores()
    assert not cache._pending and entry.is_dir()


def test_a_command_evaluates_while_the_cache_is_written_and_waits_for_it(sample_copy, cache_dir, monkeypatch):
    """``make evaluate`` on a new folder gives the same results as on a cached one, and its cache
    entry is complete when it returns."""
    from helpers.scale.cli import evaluate_at_scale

    starts = []
    store_later = cache.store_later
    monkeypatch.setattr(cache, "store_later", lambda *a, **k: starts.append(1) or store_later(*a, **k))
    first = evaluate_at_scale(sample_copy, 2023)
    assert starts == [1] and not cache._pending
    assert (next((cache_dir / "inputs").iterdir()) / "check.json").is_file()
    again = evaluate_at_scale(sample_copy, 2023)  # from the cache
    assert starts == [1]
    for name in first:
        pd.testing.assert_frame_equal(first[name], again[name])


def test_the_source_of_each_row_is_one_code_per_row_from_the_check_to_the_cache(sample_copy, cache_dir):
    """``_source`` (one file name on every row) is categorical from the check on: each file's name
    once and a one-byte code per row; the tables' Arrow files keep it dictionary-encoded, and a
    re-run gives the same categorical column, whole or for some years' panel rows."""
    import pyarrow as pa

    first = cache.checked_folder(sample_copy)
    for name, table in first.tables.items():
        assert isinstance(table["_source"].dtype, pd.CategoricalDtype), name
        assert table["_source"].cat.codes.dtype == np.int8, name
    assert list(first.tables["panel"]["_source"].cat.categories) == [str(sample_copy / "panel.csv")]
    entry = next((cache_dir / "inputs").iterdir())
    panel_file = pa.ipc.open_file(pa.memory_map(str(entry / "panel.arrow")))
    stored = panel_file.schema.field("_source").type
    assert pa.types.is_dictionary(stored) and stored.index_type == pa.int8()
    assert panel_file.get_batch(0).column(panel_file.schema.get_field_index("_source")).dictionary.to_pylist() == [
        str(sample_copy / "panel.csv")
    ]
    for years in (None, (2023,)):
        again = cache.fetch(entry, years=years)
        expected = first.tables["panel"]
        if years is not None:
            expected = expected[expected["year"].isin(years)].reset_index(drop=True)
        pd.testing.assert_frame_equal(again.tables["panel"], expected)
        assert again.tables["panel"]["_source"].dtype == expected["_source"].dtype


def test_rows_from_several_files_keep_their_file_and_one_categorical_column(sample_copy):
    """A table read from several files (the panel split by year) keeps each row's file, as one
    categorical column whose files come in the order of their rows; problems still name the file
    that holds the row."""
    panel = read_table(sample_copy, "panel.csv")
    (sample_copy / "panel.csv").unlink()
    year = panel["year"].astype(int)
    later = panel[year == 2023].copy()
    later.loc[later.index[4], "tax_10k_yuan"] = "abc"
    write_table(later, sample_copy, "panel_2023.csv")
    write_table(panel[year < 2023], sample_copy, "panel_2021_2022.csv")
    check = check_folder(sample_copy)
    source = check.tables["panel"]["_source"]
    assert isinstance(source.dtype, pd.CategoricalDtype) and source.cat.codes.dtype == np.int8
    files = [str(sample_copy / "panel_2021_2022.csv"), str(sample_copy / "panel_2023.csv")]
    assert list(source.cat.categories) == files
    assert source.astype(str).value_counts().to_dict() == {files[0]: int((year < 2023).sum()), files[1]: len(later)}
    assert [(p.file, p.rows) for p in check.errors] == [(files[1], (6,))]  # the "abc" cell
    assert {p.file for p in check.problems} <= set(files)


def test_a_rerun_without_outlines_maps_the_tables_and_decodes_no_parquet(sample_copy, cache_dir, monkeypatch):
    """The tables come from their Arrow IPC files; the layers' GeoParquet is read only for outlines.
    The numbers are pandas' own writable arrays (a frame on a read-only map would refuse an edit)."""
    cache.checked_folder(sample_copy)  # checks and stores
    whole = cache.checked_folder(sample_copy, trace=False)  # the layers from their GeoParquet
    entry = next((cache_dir / "inputs").iterdir())
    geo = [n for n, t in whole.tables.items() if isinstance(t, gpd.GeoDataFrame)]
    assert {p.name for p in entry.glob("*.parquet")} == {"_excluded.parquet", *(f"{n}.parquet" for n in geo)}
    assert {p.stem for p in entry.glob("*.arrow")} == set(whole.tables)

    def no_parquet(*args, **kwargs):
        raise AssertionError("a GeoParquet layer was decoded for a read without outlines")

    monkeypatch.setattr(cache.gpd, "read_parquet", no_parquet)
    light = cache.checked_folder(sample_copy, trace=False, geometry=False)
    for name, table in light.tables.items():  # each frame as fetch made it: no other frame refers to its arrays
        numbers = [c for c in table.columns if table[c].dtype == "float64"]
        table.loc[table.index[:1], numbers] = 1.5  # "assignment destination is read-only" on a mapped array
        assert (table.loc[table.index[:1], numbers] == 1.5).all(axis=None)
        table.loc[table.index[:1], numbers] = whole.tables[name].loc[whole.tables[name].index[:1], numbers].to_numpy()
    for name, table in whole.tables.items():
        expected = pd.DataFrame(table.drop(columns=table.geometry.name) if name in geo else table)
        got = pd.DataFrame(
            light.tables[name].drop(columns=light.tables[name].geometry.name) if name in geo else light.tables[name]
        )
        pd.testing.assert_frame_equal(got, expected)


def test_cache_checks_an_edited_folder_again(sample_copy, cache_dir):
    cache.checked_folder(sample_copy)
    panel = read_table(sample_copy, "panel.csv")
    panel.loc[0, "employees"] = "many"
    write_table(panel, sample_copy, "panel.csv")
    result = cache.checked_folder(sample_copy)
    assert not result.ok and any("employees" in (p.column or "") or "员工" in (p.column or "") for p in result.errors)
    _same_check(result, check_folder(sample_copy))
    assert len(list((cache_dir / "inputs").iterdir())) == 2


def test_cache_writes_nothing_into_the_input_folder(sample_copy, cache_dir):
    before = sorted(p.name for p in sample_copy.iterdir())
    load_dataset(sample_copy)
    load_dataset(sample_copy)
    assert sorted(p.name for p in sample_copy.iterdir()) == before
    assert not cache_dir.is_relative_to(paths.DATA_DIR)


def test_parcel_zones_by_representative_point():
    zones = gpd.GeoDataFrame(
        {"street_code": ["a", "b"]}, geometry=[shapely.box(0, 0, 10, 10), shapely.box(10, 0, 20, 10)], crs="EPSG:4549"
    )
    # an L-shaped parcel whose centroid lies outside it, in zone b; one outside every zone
    ell = shapely.Polygon([(11, 1), (19, 1), (19, 9), (17, 9), (17, 3), (11, 3)])
    parcels = gpd.GeoDataFrame(geometry=[shapely.box(1, 1, 2, 2), ell, shapely.box(30, 30, 31, 31)], crs="EPSG:4549")
    got = parcel_zones(parcels, zones)
    assert got.iloc[0] == "a" and got.iloc[1] == "b" and pd.isna(got.iloc[2])
    x, y = label_points(np.asarray(parcels.geometry.array))
    assert shapely.contains_xy(ell, x[1], y[1]) and not shapely.contains(ell, ell.centroid)
    pd.testing.assert_series_equal(parcel_zones(parcels, zones, points=(x, y)), got)


def test_a_parcels_own_street_code_decides_and_the_join_only_fills_gaps():
    """ "Per 街道" for land is the parcel's own 镇街 code; the spatial join places only parcels without one."""
    zones = gpd.GeoDataFrame(
        {"street_code": ["a", "b"]}, geometry=[shapely.box(0, 0, 10, 10), shapely.box(10, 0, 20, 10)], crs="EPSG:4549"
    )
    boxes = [shapely.box(1, 1, 2, 2), shapely.box(12, 1, 13, 2), shapely.box(30, 30, 31, 31)]
    parcels = gpd.GeoDataFrame({"street_code": ["b", None, None]}, geometry=boxes, crs="EPSG:4549")
    got = parcel_streets(parcels, zones)
    assert got.iloc[0] == "b"  # registered in b though it lies in a
    assert got.iloc[1] == "b" and pd.isna(got.iloc[2])  # placed by the join; outside every zone
    x, y = label_points(np.asarray(parcels.geometry.array))
    pd.testing.assert_series_equal(parcel_streets(parcels, zones, points=(x, y)), got)
    no_codes = parcels.drop(columns="street_code")
    pd.testing.assert_series_equal(parcel_streets(no_codes, zones), parcel_zones(no_codes, zones))


def test_label_points_are_stored_for_the_parcels_without_a_street_code_only(sample_copy, sample, cache_dir):
    """Only a parcel without its own 街道 code is placed by its point, so a cached check measures
    only those parcels' points (NaN for the others); the 街道 found with them are those found by
    measuring every parcel's point again. In a folder that passes the check every parcel has a code
    (a blank one is an error) and no point is measured at all."""
    parcels = gpd.read_parquet(sample_copy / "parcels.parquet")
    parcels.loc[[0, 5, 9], "street_code"] = None
    parcels.to_parquet(sample_copy / "parcels.parquet")
    found = check_folder(sample_copy)
    assert any(p.problem == "empty cells" and p.column.startswith("street_code") for p in found.errors)
    entry = cache_dir / "entry"
    cache.store(found, entry)
    stored = cache.stored_positions(entry)
    checked = found.tables["parcels"]
    uncoded = checked["street_code"].isna().to_numpy()
    assert uncoded.sum() == 3 and np.isnan(stored["parcel_x"][~uncoded]).all() and np.isnan(stored["parcel_y"][~uncoded]).all()
    x, y = label_points(np.asarray(checked.geometry.array))
    np.testing.assert_array_equal(stored["parcel_x"][uncoded], x[uncoded])
    np.testing.assert_array_equal(stored["parcel_y"][uncoded], y[uncoded])
    points = (np.asarray(stored["parcel_x"]), np.asarray(stored["parcel_y"]))
    got = parcel_streets(checked, sample.zones, points=points)
    pd.testing.assert_series_equal(got, parcel_streets(checked, sample.zones))
    assert got[uncoded].notna().all()  # placed by the join
    points = sample.parcel_points()
    assert points is not None and np.isnan(points[0]).all()  # the sample passes: every parcel has its code
    pd.testing.assert_series_equal(dataset_parcel_zones(sample), parcel_streets(sample.parcels, sample.zones))


def grouped_zone_totals(users: pd.DataFrame) -> pd.DataFrame:
    """The slow reference: a pandas group-by over the link table's text columns."""
    ev = users[users["status"] == "evaluated"]
    keys = [ev["zone_code"].fillna(NO_ZONE).astype(str).rename("zone_code"), ev["class"].astype(str).rename("class")]
    frame = pd.DataFrame({"used_mu": ev["used_mu"], "tax_10k_yuan": ev["tax_alloc"], "n_links": np.ones(len(ev), dtype="int64")})
    out = frame.groupby(keys, sort=True).sum()
    out.index = out.index.set_levels([lvl.astype("str") for lvl in out.index.levels])
    return out


def test_zone_totals_add_up_over_any_split(sample):
    ev = evaluate(sample, 2023)
    zone = parcel_zones(sample.parcels, sample.zones)
    users = allocate_tax(used_land(sample, {"zone_code": zone}), ev.enterprises)
    whole = zone_totals(users)
    pd.testing.assert_frame_equal(whole, dataset_zone_totals(sample, ev.enterprises))
    pd.testing.assert_frame_equal(whole, grouped_zone_totals(users), check_exact=False, rtol=1e-12, check_index_type=False)
    halves = combine_totals([zone_totals(users.iloc[::2]), zone_totals(users.iloc[1::2])])
    pd.testing.assert_frame_equal(whole, halves, check_exact=False, rtol=1e-12)
    evaluated = users["status"] == "evaluated"
    assert whole["used_mu"].sum() == pytest.approx(users.loc[evaluated, "used_mu"].sum())
    assert whole["n_links"].sum() == evaluated.sum()
    table = zone_table(whole)
    assert set(table["zone_code"]) <= set(sample.zones["street_code"]) | {NO_ZONE}
    row = table.iloc[0]
    assert row["tax_per_mu"] == pytest.approx(row["tax_10k_yuan"] / row["used_mu"])


def test_class_grid_takes_the_class_with_most_area():
    polys = [shapely.box(0, 0, 4, 4), shapely.box(4.5, 0, 5, 1), shapely.box(90, 90, 100, 100)]
    parcels = gpd.GeoDataFrame({"class": ["D", "A", None]}, geometry=polys, crs="EPSG:4549")
    grid = class_grid(parcels, "EPSG:4549", max_cells=10)  # 10 m cells
    assert grid.cell == pytest.approx(10.0)
    assert CATEGORIES[grid.codes[-1, 0]] == "D"  # D's 16 m² beat A's 0.5 m² in the cell
    assert CATEGORIES[grid.codes[0, -1]] is None  # the unrated parcel, top right
    assert (grid.codes >= 0).sum() == 2
    assert grid.rgba()[grid.codes < 0][:, 3].max() == 0  # empty cells transparent


def test_interactive_map_switches_to_a_raster_above_the_limit(sample):
    ev = evaluate(sample, 2023)
    boundary = gpd.GeoDataFrame(geometry=[sample.zones.union_all()], crs=sample.zones.crs)
    tooltip = {"parcel_id": "宗地代码", "class": "类别"}
    polygons = standalone_html(parcel_class_map(ev.parcels, boundary, tooltip))
    raster = standalone_html(parcel_class_map(ev.parcels, boundary, tooltip, max_features=100))
    assert "data:image/png;base64," in raster and "data:image/png;base64," not in polygons
    assert "栅格" in raster and len(raster) < len(polygons)
    assert ev.parcels["parcel_id"].iloc[0] in polygons and ev.parcels["parcel_id"].iloc[0] not in raster


@pytest.mark.slow
def test_dask_engine_gives_the_pandas_classes_and_totals(sample, tmp_path):
    ev = evaluate(sample, 2023)
    totals = dataset_zone_totals(sample, ev.enterprises)
    source = write_partitioned(sample, tmp_path / "partitioned", npartitions=4)
    assert len(list((source / "parcels").glob("*.parquet"))) == 4
    got = evaluate_partitioned(source, 2023)
    a = ev.enterprises.set_index("credit_code").sort_index()
    b = got.enterprises.set_index("credit_code").sort_index()
    assert a.index.equals(b.index)
    assert (a["status"] == b["status"]).all()
    assert (a["class"].fillna("-") == b["class"].fillna("-")).all()
    assert (a["reason"].fillna("-") == b["reason"].fillna("-")).all()
    np.testing.assert_allclose(a["score"].fillna(-1).to_numpy(), b["score"].fillna(-1).to_numpy(), rtol=1e-12)
    pd.testing.assert_frame_equal(ev.benchmarks, got.benchmarks, check_exact=False, rtol=1e-12)
    pd.testing.assert_frame_equal(totals, got.totals, check_exact=False, rtol=1e-9)
    assert set(a["class"].dropna()) == {"A", "B", "C", "D"}


@pytest.mark.slow  # dask runs: in make test, not the fast tier
def test_engine_parameter_writes_the_same_tables(tmp_path, monkeypatch):
    from helpers.scale import cli as scale

    monkeypatch.setattr(paths, "CACHE_DIR", tmp_path / "cache")
    out = {}
    for engine in scale.ENGINES:
        assert (
            scale.main(
                [str(paths.SAMPLE_DIR), "--engine", engine, "--workers", "1", "--year", "2022", "--out", str(tmp_path / engine)]
            )
            == 0
        )
        out[engine] = {
            name: pd.read_csv(tmp_path / engine / f"{name}_2022.csv", dtype={"credit_code": str, "zone_code": str})
            for name in ("enterprises", "zones", "benchmarks")
        }
    a, b = (out[e]["enterprises"].set_index("credit_code").sort_index() for e in scale.ENGINES)
    assert a.index.equals(b.index) and a["class"].fillna("-").equals(b["class"].fillna("-"))
    assert a["status"].equals(b["status"])
    pd.testing.assert_frame_equal(out["pandas"]["zones"], out["dask"]["zones"], check_exact=False, rtol=1e-9)
    assert (tmp_path / "cache" / "partitioned").is_dir()
    with pytest.raises(ValueError, match="engine"):
        scale.evaluate_at_scale(paths.SAMPLE_DIR, 2022, engine="spark")


def test_zone_totals_by_positions_equal_the_link_table_sums(sample):
    """dataset_zone_totals (bincount over row positions) gives zone_totals' sums, whatever the
    order of the enterprise frame or of the zone Series, with parcels in no zone."""
    ev = evaluate(sample, 2023)
    zone = parcel_zones(sample.parcels, sample.zones)
    zone.iloc[::7] = pd.NA  # some parcels in no zone
    expected = zone_totals(allocate_tax(used_land(sample, {"zone_code": zone}), ev.enterprises))
    assert NO_ZONE in expected.index.get_level_values("zone_code")
    shuffled_frame = ev.enterprises.sample(frac=1, random_state=1)  # not in the dataset's order
    shuffled_zone = zone.sample(frac=1, random_state=2)  # aligned by index, not position
    for frame, z in ((ev.enterprises, zone), (shuffled_frame, zone), (ev.enterprises, shuffled_zone)):
        got = dataset_zone_totals(sample, frame, z)
        pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12, check_index_type=False)
        assert list(got.index) == list(expected.index) and got["n_links"].dtype == np.int64


def test_zone_totals_by_positions_with_a_link_to_no_parcel(sample):
    """A link whose parcel is not in the layer (the folder check forbids it; a hand-built dataset
    may not) counts in no zone, as the link-table sums count it, once with the parcels in no zone."""
    ev = evaluate(sample, 2023)
    zone = parcel_zones(sample.parcels, sample.zones)
    zone.iloc[::7] = pd.NA
    evaluated_code = ev.enterprises.loc[ev.enterprises["status"] == "evaluated", "credit_code"].iloc[0]
    links = sample.links.copy()
    links.loc[links["credit_code"] == evaluated_code, "parcel_id"] = "no-such-parcel"
    broken = Dataset(sample.source_dir, sample.enterprises, sample.parcels, links, sample.panel, sample.zones)
    expected = zone_totals(allocate_tax(used_land(broken, {"zone_code": zone}), ev.enterprises))
    got = dataset_zone_totals(broken, ev.enterprises, zone)
    assert not got.index.duplicated().any()
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12, check_index_type=False)


def test_positions_found_by_the_cache_give_the_frame_of_a_lookup(sample_copy, cache_dir):
    load_dataset(sample_copy)  # first run: checks and stores
    dataset = load_dataset(sample_copy)  # re-run: from the cache
    assert set(dataset.check.positions) == {"link_parcel", "link_enterprise", "panel_enterprise", "parcel_x", "parcel_y"}
    assert dataset.panel_rows() is not None and dataset.parcel_points() is not None
    with_positions = evaluate(dataset, 2023).enterprises
    zones_by_points = dataset_parcel_zones(dataset)
    totals_by_points = dataset_zone_totals(dataset, with_positions)
    dataset = dataclasses.replace(dataset, positions=Positions())  # forget them: all found again
    assert dataset.panel_rows() is None and dataset.parcel_points() is None
    pd.testing.assert_frame_equal(with_positions, evaluate(dataset, 2023).enterprises)
    pd.testing.assert_series_equal(zones_by_points, parcel_zones(dataset.parcels, dataset.zones))
    pd.testing.assert_frame_equal(totals_by_points, dataset_zone_totals(dataset, with_positions))
    coarse = load_dataset(sample_copy, generalize_m=200)  # other outlines: the check's points not used
    assert coarse.parcel_points() is None
    anonymous = load_dataset(sample_copy, anonymize=True)  # tables replaced: positions not reused
    assert anonymous.panel_rows() is None
    classes = evaluate(anonymous, 2023).enterprises["class"]
    assert (classes.fillna("-").to_numpy() == with_positions["class"].fillna("-").to_numpy()).all()


def test_cache_reads_only_the_tables_asked_for(sample_copy, cache_dir):
    whole = cache.checked_folder(sample_copy)
    core = ("enterprises", "parcels", "enterprise_parcels", "panel")
    part = cache.checked_folder(sample_copy, tables=core)
    assert tuple(part.tables) == tuple(n for n in whole.tables if n in core)
    ledger = part.ledger
    assert set(ledger["table"]) == set(core)
    assert (ledger["read"] == ledger["kept"] + ledger["excluded"]).all()
    pd.testing.assert_frame_equal(
        ledger.reset_index(drop=True), whole.ledger[whole.ledger["table"].isin(core)].reset_index(drop=True)
    )
    assert set(load_dataset(sample_copy, records=False).records) == set()


def test_a_rerun_without_outlines_or_other_years_evaluates_as_the_whole_dataset(sample_copy, cache_dir):
    whole = load_dataset(sample_copy, records=False)  # first run: checks and stores
    light = load_dataset(sample_copy, records=False, outlines=False, years=(2023,))
    assert whole.outlines and not light.outlines
    assert light.parcels.geometry.isna().all() and light.parcels.crs == whole.parcels.crs
    pd.testing.assert_frame_equal(
        pd.DataFrame(light.parcels.drop(columns="geometry")), pd.DataFrame(whole.parcels.drop(columns="geometry"))
    )
    assert light.years == [2023] and len(light.panel) == int((whole.panel["year"] == 2023).sum())
    # the stored row positions are kept in step with the rows read: the same as looking the codes up
    expected = whole.panel_rows()[(whole.panel["year"] == 2023).to_numpy()]
    np.testing.assert_array_equal(light.panel_rows(), expected)
    assert light.parcel_points() is not None
    full, part = evaluate(whole, 2023).enterprises, evaluate(light, 2023).enterprises
    pd.testing.assert_frame_equal(full, part)
    pd.testing.assert_frame_equal(dataset_zone_totals(whole, full), dataset_zone_totals(light, part))


def test_a_folder_without_zones_reads_the_outlines_it_draws_them_from(sample_copy, cache_dir):
    (sample_copy / "street_zones_synthetic.geojson").unlink()
    load_dataset(sample_copy, records=False)
    dataset = load_dataset(sample_copy, records=False, outlines=False)
    assert dataset.outlines and not dataset.parcels.geometry.isna().any()
    assert dataset.zones is not None and len(dataset.zones)


def test_the_pandas_engine_names_the_years_there_are_for_a_missing_year(sample_copy, cache_dir):
    from helpers.scale.cli import evaluate_at_scale

    with pytest.raises(ValueError, match="has the years 2021, 2022, 2023"):
        evaluate_at_scale(sample_copy, 2030)


def test_file_digests_are_remembered_and_any_write_is_seen(sample_copy, cache_dir, monkeypatch):
    import os

    key = cache.folder_key(sample_copy)
    real = cache._file_digest
    monkeypatch.setattr(cache, "_file_digest", lambda path: pytest.fail(f"{path.name} hashed again"))
    assert cache.folder_key(sample_copy) == key  # untouched files: their remembered digests
    monkeypatch.setattr(cache, "_file_digest", real)
    panel = sample_copy / "panel.csv"
    before = panel.stat()
    text = panel.read_bytes()
    panel.write_bytes(text.replace(b"2023", b"2024", 1))  # same size
    os.utime(panel, ns=(before.st_atime_ns, before.st_mtime_ns))  # and the old modification time
    assert panel.stat().st_size == before.st_size and panel.stat().st_mtime_ns == before.st_mtime_ns
    assert cache.folder_key(sample_copy) != key  # the change time moved: hashed again


def test_a_digest_remembered_by_another_algorithm_is_not_taken(sample_copy, cache_dir, monkeypatch):
    key = cache.folder_key(sample_copy)  # remembered as SHA-256
    hashed = []
    real = cache._file_digest
    monkeypatch.setattr(cache, "_file_digest", lambda path: hashed.append(path.name) or real(path))
    monkeypatch.setattr(cache, "FILE_DIGEST", "sha1")
    other = cache.folder_key(sample_copy)
    assert "panel.csv" in hashed and other != key  # hashed again, by SHA-1
    assert len(next(iter(cache._known_digests().values()))[1]) == 40  # SHA-1 hex, remembered now


def test_a_cache_whose_digests_cannot_be_written_still_gives_the_key(sample_copy, cache_dir, monkeypatch):
    key = cache.folder_key(sample_copy)
    (cache_dir / cache.DIGESTS_FILE).unlink()

    def refuse(*args, **kwargs):
        raise PermissionError("read-only cache")

    monkeypatch.setattr(cache.tempfile, "mkstemp", refuse)
    assert cache.folder_key(sample_copy) == key
    assert not (cache_dir / cache.DIGESTS_FILE).exists()
