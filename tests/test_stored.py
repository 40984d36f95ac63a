"""The district evaluations a report's kernels read from the cache are the evaluations they would
compute: every year's enterprise frame, benchmarks and parcel layer equal, under every key; a
damaged entry is computed again; a frame Parquet would not give back is not stored; an anonymised
dataset's are not stored."""

from __future__ import annotations

import pytest

from helpers.core import paths
from helpers.evaluate import stored
from helpers.evaluate.evaluation import evaluate
from helpers.evaluate.methods import load_method
from helpers.evaluate.parcels import PARCEL_COLUMNS, parcel_view
from helpers.io.dataset import load_dataset


@pytest.fixture(scope="module")
def dataset():
    return load_dataset(paths.SAMPLE_DIR)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "CACHE_DIR", tmp_path)
    return tmp_path / "evaluations"


def assert_same(a, b):
    assert (a.year, a.streets, a.synthetic, a.rank_within_streets, a.land_basis) == (
        b.year,
        b.streets,
        b.synthetic,
        b.rank_within_streets,
        b.land_basis,
    )
    assert a.method == b.method
    assert a.enterprises.equals(b.enterprises) and list(a.enterprises.dtypes) == list(b.enterprises.dtypes)
    assert a.benchmarks.equals(b.benchmarks)
    assert a.parcels.equals(b.parcels) and list(a.parcels.dtypes) == list(b.parcels.dtypes)
    assert a.parcels.crs == b.parcels.crs


@pytest.mark.parametrize("land_basis", ["declared", "parcels"])
def test_stored_evaluations_equal_computed_ones(dataset, cache, land_basis):
    method = load_method("linping_default")
    first = stored.district_evaluations(dataset, paths.SAMPLE_DIR, method, land_basis)  # computed (evaluate) and stored
    assert len(list(cache.glob("*/*.parquet"))) == 3 * len(dataset.years)  # enterprises, benchmarks, parcel columns
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(stored, "evaluate", lambda *a, **k: pytest.fail("read, not computed"))
        again = stored.district_evaluations(dataset, paths.SAMPLE_DIR, method, land_basis)  # read
    for year in dataset.years:
        assert_same(again[year], first[year])
    assert again[dataset.years[-1]].parcels is not first[dataset.years[-1]].parcels


def test_each_key_has_its_own_files(dataset, cache):
    method = load_method("linping_default")
    keys = {stored.evaluation_key(paths.SAMPLE_DIR, method, basis, 0) for basis in ("declared", "parcels")}
    keys.add(stored.evaluation_key(paths.SAMPLE_DIR, method, "declared", 5.0))
    keys.add(stored.evaluation_key(paths.SAMPLE_DIR, load_method("huangyan_2022"), "declared", 0))
    assert len(keys) == 4


def test_a_damaged_file_is_computed_again(dataset, cache):
    method = load_method("linping_default")
    first = stored.district_evaluations(dataset, paths.SAMPLE_DIR, method, "declared")
    for path in cache.glob("*/*-enterprises.parquet"):
        path.write_bytes(path.read_bytes()[:100])  # cut short
    again = stored.district_evaluations(dataset, paths.SAMPLE_DIR, method, "declared")
    for year in dataset.years:
        assert_same(again[year], first[year])
    (entry,) = cache.iterdir()
    assert all(stored._read(entry, year) is not None for year in dataset.years)  # stored whole again


def test_an_anonymised_datasets_evaluations_are_not_stored(cache):
    anonymised = load_dataset(paths.SAMPLE_DIR, anonymize=True)
    out = stored.district_evaluations(anonymised, paths.SAMPLE_DIR, load_method("linping_default"), "declared")
    assert set(out) == set(anonymised.years) and not cache.exists()


def test_parcel_view_adds_the_stored_columns_in_their_order(dataset):
    frame = evaluate(dataset, dataset.years[-1]).enterprises
    view = parcel_view(dataset, frame)
    assert list(view.columns) == list(dataset.parcels.columns) + list(PARCEL_COLUMNS)


def test_frames_parquet_would_not_give_back_are_not_stored(dataset, cache):
    """A column of Python objects of mixed types: Parquet cannot hold it as it is, so nothing is
    stored and the evaluation is the computed one."""
    method = load_method("linping_default")
    with pytest.MonkeyPatch.context() as mp:
        real = stored.evaluate

        def odd(*args, **kwargs):
            ev = real(*args, **kwargs)
            ev.enterprises = ev.enterprises.assign(
                note=[1, "a"] * (len(ev.enterprises) // 2) + [None] * (len(ev.enterprises) % 2)
            )
            return ev

        mp.setattr(stored, "evaluate", odd)
        out = stored.district_evaluations(dataset, paths.SAMPLE_DIR, method, "declared")
    assert "note" in out[dataset.years[-1]].enterprises and not list(cache.glob("*/*.parquet"))


def test_a_read_only_cache_is_still_read(dataset, cache, monkeypatch):
    """Marking an entry as recently used may fail (a cache on a read-only disk): it is read all the same."""
    method = load_method("linping_default")
    first = stored.district_evaluations(dataset, paths.SAMPLE_DIR, method, "declared")

    def refuse(*args, **kwargs):
        raise PermissionError("read-only file system")

    monkeypatch.setattr(stored.os, "utime", refuse)
    monkeypatch.setattr(stored, "evaluate", lambda *a, **k: pytest.fail("read, not computed"))
    again = stored.district_evaluations(dataset, paths.SAMPLE_DIR, method, "declared")
    assert_same(again[dataset.years[-1]], first[dataset.years[-1]])


def test_pruning_keeps_the_most_recently_used_entries(cache):
    import os

    from helpers.io.cache import prune

    for i in range(10):
        (cache / f"entry{i}").mkdir(parents=True)
        os.utime(cache / f"entry{i}", (1_000_000 + i, 1_000_000 + i))
    (cache / ".tmp-writing").mkdir()  # another kernel's entry being written
    prune(8, cache)  # io.cache's pruning, which the stored evaluations use
    assert sorted(p.name for p in cache.iterdir()) == sorted([".tmp-writing"] + [f"entry{i}" for i in range(2, 10)])
