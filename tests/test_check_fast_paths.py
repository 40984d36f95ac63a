"""The folder check's fast paths give what the plain ones give.

Files are read and tables typed in threads: a messy folder (problems in every core table, a 合计 row,
blank lines, an exact copy, a file that is not data) and the county export shapes are checked one
file and one table at a time and in threads; problems, notes, exclusions, row counts and tables are
equal, in the same order. Areas and coordinates are taken in chunks, cells typed in place, key repeats
found once, the distance test settled on the layer's box when it can be: each against the plain way.
"""

import os
import shutil

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import shapely

from helpers.core import paths
from helpers.io import cache, inventory
from helpers.io import check as check_module
from helpers.io.check import check_folder
from helpers.io.positions import POINTS, ROW_POSITIONS, row_positions
from tests import county_exports as ce

from .conftest import read_table, write_table


def _messy(folder):
    for path in paths.SAMPLE_DIR.iterdir():  # the optional tables too: a dozen files
        if path.is_file() and not (folder / path.name).exists():
            shutil.copy(path, folder / path.name)
    panel = read_table(folder, "panel.csv")
    panel.loc[3, "tax_10k_yuan"] = "abc"
    panel.loc[5, "revenue_10k_yuan"] = "1,234.5"
    panel = pd.concat([panel, panel.iloc[[7]], panel.iloc[[9]].assign(tax_10k_yuan="99")], ignore_index=True)
    write_table(panel, folder, "panel.csv")
    enterprises = read_table(folder, "enterprises.csv")
    enterprises.loc[2, "credit_code"] = "91330110MA2AXXXXXX"
    enterprises.loc[4, "street_code"] = "火星街道"
    write_table(enterprises, folder, "enterprises.csv")
    links = read_table(folder, "enterprise_parcels.csv")
    links.loc[1, "parcel_id"] = "NO-SUCH-PARCEL"
    links.loc[6, "share"] = "1.5"
    text = links.to_csv(index=False) + "\n\n合计,,\n"
    (folder / "enterprise_parcels.csv").write_text(text, encoding="utf-8")
    parcels = gpd.read_parquet(folder / "parcels.parquet")
    parcels.loc[0, "geometry"] = None
    parcels.loc[1, "registered_area_mu"] = -3.0
    parcels.to_parquet(folder / "parcels.parquet")
    (folder / "notes.docx.bak").write_text("not data", encoding="utf-8")
    return folder


def _found(folder, monkeypatch, threads: int):
    monkeypatch.setattr(inventory, "READ_THREADS", threads)
    monkeypatch.setattr(check_module, "CHECK_THREADS", threads)
    return check_folder(folder)


def _assert_same(one, two):
    assert [str(p) for p in one.problems] == [str(p) for p in two.problems]
    assert one.problems == two.problems
    assert one.notes == two.notes and one.ignored == two.ignored and one.read == two.read
    pd.testing.assert_frame_equal(one.excluded, two.excluded)
    assert sorted(one.positions) == sorted(two.positions)
    for name, rows in one.positions.items():
        np.testing.assert_array_equal(rows, two.positions[name])
    assert list(one.tables) == list(two.tables)
    for name, table in one.tables.items():
        other = two.tables[name]
        if isinstance(table, gpd.GeoDataFrame):
            assert table.crs == other.crs
            table, other = table.to_wkb(), other.to_wkb()
        pd.testing.assert_frame_equal(table, other, check_exact=True)


def test_a_messy_folder_is_found_the_same_one_by_one_and_in_threads(sample_copy, monkeypatch):
    folder = _messy(sample_copy)
    one = _found(folder, monkeypatch, 1)
    assert len(one.errors) >= 5 and len(one.excluded) >= 2  # the mess is found
    _assert_same(one, _found(folder, monkeypatch, 2))
    _assert_same(one, _found(folder, monkeypatch, 4))
    # in the folder's order of files, whatever order they were read in (the largest first)
    labels = [src.label for src in inventory.take_inventory(folder, check_module.settings()).sources]
    assert labels == sorted(labels) and len(labels) == len(set(labels)) >= 10


def test_the_rows_the_link_check_finds_are_the_rows_looked_up_on_the_checked_tables(sample_copy):
    folder = _messy(sample_copy)
    links = read_table(folder, "enterprise_parcels.csv")
    links.loc[2, "credit_code"] = None  # a link without an enterprise: a problem, and no row
    links.to_csv(folder / "enterprise_parcels.csv", index=False)
    found = check_folder(folder)
    assert sorted(found.positions) == sorted(ROW_POSITIONS)  # the check found every one of them
    looked_up = row_positions(found.tables)  # the plain way, on the very tables the check keeps
    for name, rows in found.positions.items():
        assert rows.dtype == np.int64 and len(rows) == len(found.tables[ROW_POSITIONS[name][0]])
        np.testing.assert_array_equal(rows, looked_up[name])
    assert (found.positions["link_parcel"] == -1).sum() >= 1  # NO-SUCH-PARCEL
    assert (found.positions["link_enterprise"] == -1).sum() >= 1  # the missing code
    # caching the check keeps them and adds the label points; nothing is looked up again
    entry = sample_copy.parent / "entry"
    cache.store(found, entry)
    stored = cache.stored_positions(entry)
    assert sorted(stored) == sorted([*ROW_POSITIONS, *POINTS])
    for name in ROW_POSITIONS:
        np.testing.assert_array_equal(stored[name], looked_up[name])
        assert not stored[name].flags.writeable or os.name != "posix"  # on the file's map, never written through


@pytest.mark.slow
def test_references_looked_up_while_other_columns_change_give_what_a_lookup_afterwards_gives(sample_copy):
    """``check_inventory`` starts the reference lookups in its threads, then checks (and may clip the
    panel's tax) meanwhile: what ``check_links`` finds from those lookups is what it finds looking
    the references up itself on the tables as they end up."""
    from concurrent.futures import ThreadPoolExecutor

    found = check_folder(_messy(sample_copy))
    tables = {name: table.copy() for name, table in found.tables.items()}
    with ThreadPoolExecutor(2) as pool:
        lookups = check_module.look_up_references(tables, pool)
        tables["panel"]["tax_10k_yuan"] = tables["panel"]["tax_10k_yuan"].clip(lower=0)
        tables["enterprise_parcels"] = tables["enterprise_parcels"].assign(share=0.75)  # a parcel of two links now over 1
        early: list = []
        early_rows = check_module.check_links(tables, early, lookups)
    late: list = []
    late_rows = check_module.check_links(tables, late)
    assert early == late and any("add up to more than 1" in p.problem for p in late)
    assert any("do not exist" in p.problem for p in late)  # the messy folder's unknown parcel
    assert sorted(early_rows) == sorted(late_rows) == sorted(ROW_POSITIONS)
    for name, rows in early_rows.items():
        np.testing.assert_array_equal(rows, late_rows[name])


def test_a_folder_of_csv_files_is_checked_without_importing_openpyxl():
    """openpyxl (0.1-0.2 s to import, holding Python's lock while the other thread reads) is imported
    for a workbook or a header clash, not for the sample's CSV, GeoParquet and GeoJSON files."""
    import subprocess
    import sys

    probe = "import sys; from helpers.io.check import check_folder; check_folder(sys.argv[1]); print('openpyxl' in sys.modules)"
    run = subprocess.run([sys.executable, "-c", probe, str(paths.SAMPLE_DIR)], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "False"


def test_county_exports_are_found_the_same_one_by_one_and_in_threads(tmp_path, monkeypatch):
    folders = ce.write_all(tmp_path / "county")
    for folder in folders.values():
        one = _found(folder, monkeypatch, 1)
        _assert_same(one, _found(folder, monkeypatch, 2))
    shutil.rmtree(tmp_path / "county")


def test_cells_typed_in_place_are_the_cells_typed_on_a_copy():
    from helpers.io.check import street_lookup
    from helpers.io.inventory import take_inventory
    from helpers.io.schema import coerce_source, table_specs

    inv = take_inventory(paths.SAMPLE_DIR, check_module.settings())
    for src in inv.sources:
        spec = table_specs()[src.table]
        text = src.frame.copy()
        copied, found = coerce_source(src.frame, spec, street_lookup(), src.factors)
        pd.testing.assert_frame_equal(src.frame, text)  # the plain way leaves its input alone
        in_place, found_in_place = coerce_source(src.frame, spec, street_lookup(), src.factors, in_place=True)
        assert in_place is src.frame and found_in_place == found
        pd.testing.assert_frame_equal(in_place, copied)


def test_key_repeats_found_once_give_the_same_copies_and_repeats(sample_copy):
    panel = read_table(sample_copy, "panel.csv")
    n = len(panel)
    copy_of_3 = panel.iloc[[3]]
    other_values_of_0 = panel.iloc[[0]].assign(revenue_10k_yuan="1")
    write_table(pd.concat([panel, copy_of_3, other_values_of_0], ignore_index=True), sample_copy, "panel.csv")
    result = check_folder(sample_copy)
    assert list(result.excluded["row"]) == [n + 2] and "exact copy of row 5" in result.excluded["reason"].iloc[0]
    repeats = [p for p in result.problems if "duplicate ids" in p.problem]
    assert len(repeats) == 1 and repeats[0].rows == (2, n + 3)  # not the copy's line: it was set aside first
    write_table(pd.concat([panel, other_values_of_0], ignore_index=True), sample_copy, "panel.csv")
    (alone,) = [p for p in check_folder(sample_copy).problems if "duplicate ids" in p.problem]
    assert alone.rows == (2, n + 2)  # no copy: the repeats found before the copies were looked for


def test_areas_and_coordinates_taken_in_chunks_are_those_taken_at_once(monkeypatch):
    import numpy as np
    import shapely

    from helpers.core import units
    from helpers.io import coordinates

    parcels = gpd.read_parquet(paths.SAMPLE_DIR / "parcels.parquet")
    whole = units.m2_to_mu(parcels.geometry.to_crs(units.AREA_CRS).area)
    geoms = np.asarray(parcels.geometry.array).copy()
    broken = [5, 6, 99, len(geoms) - 1]  # around the chunks' edges below
    for i in broken:
        xy = shapely.get_coordinates(geoms[i])
        xy[2] = [np.nan, xy[2][1]] if i % 2 else [xy[2][0], np.inf]
        geoms[i] = shapely.set_coordinates(geoms[i], xy)
    with_broken = gpd.GeoSeries(geoms, crs=parcels.crs)
    at_once = coordinates.finite_coordinates(with_broken)
    assert list(np.flatnonzero(~at_once)) == broken
    monkeypatch.setattr(units, "AREA_CHUNK", 7)
    monkeypatch.setattr(coordinates, "COORDINATE_CHUNK", 7)
    pd.testing.assert_series_equal(units.area_mu(parcels), whole, check_exact=True)
    np.testing.assert_array_equal(coordinates.finite_coordinates(with_broken), at_once)


def test_a_layer_whose_box_lies_within_the_distance_is_settled_without_a_point(monkeypatch):
    from helpers.core.units import AREA_CRS
    from helpers.io import coordinates

    parcels = gpd.read_parquet(paths.SAMPLE_DIR / "parcels.parquet").geometry
    for km in (5, 200):
        projected = parcels.to_crs(AREA_CRS).centroid.within(coordinates._district_m().buffer(km * 1000)).mean()
        assert coordinates.share_near_district(parcels, km) == projected == 1.0

    def no_centroids(*args, **kwargs):
        raise AssertionError("a centroid was taken although the box settles it")

    monkeypatch.setattr(coordinates.shapely, "centroid", no_centroids)
    assert coordinates.share_near_district(parcels, 200) == 1.0
    far = parcels.translate(xoff=0.6)  # half a degree east: the box reaches past 5 km, the points decide
    with pytest.raises(AssertionError, match="a centroid was taken"):
        coordinates.share_near_district(far, 5)


def test_memory_is_given_back_where_glibc_is_the_allocator():
    import platform

    from helpers.core import memory

    if platform.system() == "Linux" and platform.libc_ver()[0] == "glibc":
        assert memory._malloc_trim() is not None
    assert isinstance(memory.release_freed_memory(), bool)


def test_a_process_that_reuses_freed_memory_keeps_it_between_stages(monkeypatch):
    """``release_freed_memory`` trims glibc's heaps (a notebook's kernel lives on), unless the process
    asked to reuse what it frees (``reuse_freed_memory``: a command whose next stage would find and
    zero every page again)."""
    from helpers.core import memory

    trims = []
    monkeypatch.setattr(memory, "_malloc_trim", lambda: lambda pad: trims.append(pad) or 1)
    monkeypatch.setitem(memory._state, "keep", False)
    assert memory.release_freed_memory() is True and trims == [0]
    monkeypatch.setattr(memory, "_glibc", lambda name, *argtypes: lambda *args: 1)  # mallopt taken, nothing set
    monkeypatch.setattr(memory, "numpy_huge_pages", lambda wanted: None)
    assert memory.reuse_freed_memory()
    assert memory.release_freed_memory() is False and trims == [0]


REUSE_PROBE = """
import resource, sys, numpy as np
from helpers.core import memory
if sys.argv[1] == "reuse":
    assert memory.reuse_freed_memory()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for n in [1_000_000, 3_000_000, 1_000_000, 2_000_000, 500_000] * 4:  # arrays of 4-24 MB, made and freed
    a = np.ones(n); b = np.ones(n); del a, b
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def test_freed_memory_is_reused_for_the_next_arrays_where_glibc_is_the_allocator():
    """With ``reuse_freed_memory`` the same sequence of arrays touches new pages far less often (each
    page fault is memory the system must find and zero): measured in fresh processes, the default
    allocator against the reusing one."""
    import platform
    import subprocess
    import sys

    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        pytest.skip("glibc only")

    def faults(mode: str) -> int:  # both in small pages: huge pages would count 512 pages as one fault
        env = {**os.environ, "NUMPY_MADVISE_HUGEPAGE": "0"}
        run = subprocess.run([sys.executable, "-c", REUSE_PROBE, mode], capture_output=True, text=True, check=True, env=env)
        return int(run.stdout)

    assert faults("reuse") * 3 < faults("plain")


HUGE_PAGE_PROBE = """
import sys, numpy as np
from helpers.core import memory
if sys.argv[1] == "reuse":
    memory.reuse_freed_memory()
def huge_kb():
    for line in open("/proc/self/smaps_rollup"):
        if line.startswith("AnonHugePages:"):
            return int(line.split()[1])
before = huge_kb()
a = np.ones(64 * 2**20 // 8)  # 64 MiB, touched
print(huge_kb() - before)
"""


def test_numpy_asks_for_no_huge_pages_after_reuse_freed_memory_unless_told(monkeypatch):
    """``reuse_freed_memory`` turns numpy's huge-page request off; numpy's own switch in the
    environment is left to decide."""
    import numpy as np

    from helpers.core import memory

    monkeypatch.setitem(memory._state, "keep", memory._state["keep"])  # this process trims as before afterwards
    module = np._core.multiarray if hasattr(np, "_core") else np.core.multiarray
    before = module._set_madvise_hugepage(True)
    try:
        monkeypatch.delenv("NUMPY_MADVISE_HUGEPAGE", raising=False)
        memory.reuse_freed_memory()
        assert module._set_madvise_hugepage(True) is False  # was off
        monkeypatch.setenv("NUMPY_MADVISE_HUGEPAGE", "1")
        assert memory.numpy_huge_pages(False) is None
        assert module._set_madvise_hugepage(True) is True  # left on
    finally:
        module._set_madvise_hugepage(before)


def test_large_arrays_are_mapped_in_small_pages_after_reuse_freed_memory():
    """Where Linux gives huge pages only on request (``madvise``), a 64 MiB array gets some in a
    plain process and none after ``reuse_freed_memory`` (fresh processes)."""
    import subprocess
    import sys
    from pathlib import Path

    setting = Path("/sys/kernel/mm/transparent_hugepage/enabled")
    if not setting.is_file() or "[madvise]" not in setting.read_text() or not Path("/proc/self/smaps_rollup").is_file():
        pytest.skip("huge pages are not given on request here")
    env = {k: v for k, v in os.environ.items() if k != "NUMPY_MADVISE_HUGEPAGE"}

    def huge_kb(mode: str) -> int:
        run = subprocess.run([sys.executable, "-c", HUGE_PAGE_PROBE, mode], capture_output=True, text=True, check=True, env=env)
        return int(run.stdout)

    plain = huge_kb("plain")
    if plain == 0:
        pytest.skip("the system gave numpy no huge pages just now (memory too fragmented)")
    assert huge_kb("reuse") == 0


def _cells(grid) -> list[list[str]]:
    if grid.columns is None:
        return grid.rows
    return [list(r) for r in zip(*(c.to_pylist() for c in grid.columns))]


@pytest.mark.parametrize(
    "case, encoding, expected_encoding, rectangular",
    [
        ("utf8_bom", "utf-8-sig", "utf-8", True),
        ("utf8_title_row", "utf-8", "utf-8", False),
        ("gbk_after_20_ascii_lines", "gbk", "gbk/gb18030", True),
        ("gbk_semicolons", "gbk", "gbk/gb18030, cells separated by semicolons", True),
        ("utf8_tabs", "utf-8", "utf-8, cells separated by tabs", True),
    ],
)
def test_a_csv_read_from_its_bytes_has_the_cells_of_its_decoded_text(tmp_path, case, encoding, expected_encoding, rectangular):
    """UTF-8 goes to pyarrow undecoded; anything else (a GBK cell on line 25, a title row) is read
    from the decoded text, as before: the cells are those of the text either way."""
    import csv
    import io

    from helpers.io.formats import decode_bytes, read_csv_grid

    sep = ";" if "semicolons" in case else "\t" if "tabs" in case else ","
    lines = [sep.join(["credit_code", "name", "tax_10k_yuan"])]
    lines += [sep.join([f"9133011000000000{i:02d}", f"firm {i}", f" {i}.5 "]) for i in range(24)]
    lines += [sep.join(["913301100000000099", "示例临平机械有限公司", "7"])]
    if "title" in case:
        lines.insert(0, "2023年 亩均效益 汇总表")
    path = tmp_path / f"{case}.csv"
    path.write_bytes("\r\n".join(lines).encode(encoding) + b"\r\n")
    grid = read_csv_grid(path)
    text, _ = decode_bytes(path.read_bytes(), path)
    expected = [[c.strip() for c in r] for r in csv.reader(io.StringIO(text, newline=""), delimiter=sep)]
    assert grid.encoding == expected_encoding and (grid.columns is not None) == rectangular
    assert _cells(grid) == expected
    assert grid.rows[: len(grid.rows)] == expected[: len(grid.rows)]


def test_cells_trimmed_by_arrow_are_not_trimmed_again_and_type_the_same():
    from helpers.io.check import street_lookup
    from helpers.io.inventory import take_inventory
    from helpers.io.schema import coerce_source, table_specs

    inv = take_inventory(paths.SAMPLE_DIR, check_module.settings())
    assert any(src.trimmed for src in inv.sources) and not any(src.trimmed for src in inv.of("parcels"))  # a layer's are not
    for src in inv.sources:
        spec = table_specs()[src.table]
        plain, found = coerce_source(src.frame, spec, street_lookup(), src.factors)
        fast, found_fast = coerce_source(src.frame, spec, street_lookup(), src.factors, trimmed=src.trimmed)
        pd.testing.assert_frame_equal(fast, plain)
        assert found_fast == found


def test_invisible_characters_are_found_in_the_cells_that_are_not_ascii():
    from helpers.io.schema import INVISIBLE, has_invisible

    cells = ["91330110MA2A1B2C3D", "示例公司", "9133\u200b0110MA2A1B2C3D", None, "", "\ufeffP001", "临平\u00ad区", "plain"] * 3
    for dtype in ("string[pyarrow]", "string[python]", object):
        values = pd.Series(cells, dtype=dtype)
        expected = pd.Series(cells, dtype="string").str.contains(INVISIBLE, regex=True).fillna(False).to_numpy(dtype=bool)
        assert list(has_invisible(values)) == list(expected)
        assert sum(expected) == 9


def test_printable_ascii_looks_at_the_bytes_of_the_cells_it_is_given():
    import pyarrow as pa

    from helpers.io.formats import printable_ascii

    cells = pa.array(["合计", "91330110MA2A1B2C3D", "12.5", " 7", "x\u3000"])
    assert not printable_ascii(cells)
    assert printable_ascii(cells.slice(1, 2))  # the slice's own bytes, not the buffer's
    assert not printable_ascii(cells.slice(2, 2)) and not printable_ascii(cells.slice(4))
    assert printable_ascii(pa.chunked_array([cells.slice(1, 2), pa.array(["~!", "", None])]))
    assert not printable_ascii(pa.chunked_array([cells.slice(1, 2), pa.array(["a\tb"])]))
    for text, plain in [("a b", False), ("a\x7f", False), ("a\xa0", False), ("ab", True)]:
        assert printable_ascii(pa.array([text], pa.large_string())) == plain
    assert printable_ascii(pa.array([], pa.string()))
    assert not printable_ascii(pa.array(["ab"]).dictionary_encode())  # not looked at: not taken as plain


def _mixed_csv(path):
    """Columns of printable ASCII (codes, numbers) beside columns that need trimming (spaces, tabs, an
    ideographic and a no-break space) or hold text; a 合计 row, a repeated header, a blank line."""
    lines = ["credit_code,name,tax_10k_yuan,year"]
    for i in range(30):
        name = ["示例临平机械有限公司", " firm ", "\u3000示例\u3000", "plain", "\xa0x"][i % 5]
        tax = [f"{i}.5", f" {i}.5", f"{i}.5\t", "1,234"][i % 4]
        lines.append(f'9133011000000000{i:02d},"{name}","{tax}",2023')
    lines[10:10] = ["credit_code,name,tax_10k_yuan,year", ",,,", "合计,,99,"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_columns_found_plain_are_not_trimmed_and_the_cells_and_skipped_lines_are_the_same(tmp_path, monkeypatch):
    """The read with the printable-ASCII test gives the cells, lines skipped and notes the read that
    trims every column and looks for 合计 in every first cell gives."""
    from helpers.io import formats
    from helpers.io.inventory import take_inventory

    folder = tmp_path / "mixed"
    folder.mkdir()
    _mixed_csv(folder / "panel.csv")
    fast_grid = formats.read_csv_grid(folder / "panel.csv")
    fast = take_inventory(folder, check_module.settings())
    monkeypatch.setattr(formats, "printable_ascii", lambda values: False)
    monkeypatch.setattr(inventory, "printable_ascii", lambda values: False)
    plain_grid = formats.read_csv_grid(folder / "panel.csv")
    plain = take_inventory(folder, check_module.settings())
    assert fast_grid.columns is not None and [c.to_pylist() for c in fast_grid.columns] == [
        c.to_pylist() for c in plain_grid.columns
    ]
    assert "firm" in fast_grid.columns[1].to_pylist() and "示例" in fast_grid.columns[1].to_pylist()
    assert [s.skipped for s in fast.sources] == [s.skipped for s in plain.sources]
    assert any("合计" in why for s in fast.sources for _, why in s.skipped)
    for one, two in zip(fast.sources, plain.sources, strict=True):
        pd.testing.assert_frame_equal(one.frame, two.frame)
    assert fast.notes == plain.notes and fast.problems == plain.problems


def test_a_total_word_in_ascii_is_still_looked_for_in_a_column_of_ascii(tmp_path):
    """Where a folder's total words hold ASCII (``Total``), a first column of codes is searched as
    before: the printable-ASCII shortcut only holds when no total character is printable ASCII."""
    from helpers.io.inventory import take_inventory

    folder = tmp_path / "ascii_total"
    folder.mkdir()
    lines = ["credit_code,year,tax_10k_yuan"] + [f"9133011000000000{i:02d},2023,{i}" for i in range(5)] + ["Total,,10"]
    (folder / "panel.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    cfg = {**check_module.settings(), "total_row_words": ["合计", "Total"]}
    skipped = [why for s in take_inventory(folder, cfg).sources for _, why in s.skipped]
    assert skipped == ["合计行 total row ('Total')"]
    skipped = [why for s in take_inventory(folder, check_module.settings()).sources for _, why in s.skipped]
    assert skipped == []


def test_a_csv_read_as_one_block_has_the_cells_of_one_read_in_many(tmp_path, monkeypatch):
    """Two cores: a file is one block, each column one array; in small blocks (many chunks, copied
    into one) the cells are the same."""
    from helpers.io import formats

    assert formats.csv_block_bytes(250_000_000, cores=2) == 250_000_001
    assert formats.csv_block_bytes(250_000_000, cores=16) == 31_250_001  # one block per two cores
    assert formats.csv_block_bytes(10, cores=2) == 1 << 20 and formats.csv_block_bytes(2**33, cores=2) == formats.CSV_BLOCK_LIMIT
    path = _mixed_csv(tmp_path / "panel.csv")
    one = formats.read_csv_grid(path)
    monkeypatch.setattr(formats, "csv_block_bytes", lambda size: 256)
    many = formats.read_csv_grid(path)
    assert one.columns is not None and many.columns is not None
    assert all(isinstance(c, pa.Array) for c in one.columns + many.columns)
    assert [c.to_pylist() for c in one.columns] == [c.to_pylist() for c in many.columns]


@pytest.mark.parametrize("dtype", ["string", "string[python]", object, "str"])
def test_street_codes_looked_up_once_per_value_are_those_mapped_cell_by_cell(dtype):
    from helpers.io.check import street_lookup
    from helpers.io.schema import looked_up

    streets = street_lookup()
    for cells in (["330113001", "星桥", None, "火星街道", "星桥街道", "330113001", ""], [], [None, None], ["x"]):
        values = pd.Series(cells, dtype=dtype, index=range(10, 10 + len(cells)), name="street_code")
        plain = values.map(streets, na_action="ignore").astype("string")
        pd.testing.assert_series_equal(looked_up(values, streets), plain)
    assert list(looked_up(pd.Series(["星桥", "火星街道"], dtype=dtype), streets).isna()) == [False, True]


def test_share_totals_grouped_on_parcel_rows_are_those_grouped_on_ids_to_the_last_bit():
    """Many links per parcel with shares whose sums round differently in another order, ids that no
    parcel has, links without an id, a parcel id twice in the parcels' table."""
    from helpers.io.check import share_totals
    from helpers.io.schema import found_rows

    rng = np.random.default_rng(7)
    parcel_ids = [f"P{i:05d}" for i in range(400)] + ["P00003"]
    ids = rng.choice([*parcel_ids, "NOWHERE-1", "NOWHERE-2", None], size=20_000).astype(object)
    links = pd.DataFrame({"parcel_id": pd.array(ids, dtype="string"), "share": rng.random(20_000) / rng.integers(1, 50, 20_000)})
    links.loc[::97, "share"] = np.nan
    rows = found_rows([links["parcel_id"]], pd.Series(parcel_ids, dtype="string"))[0]
    plain = links.groupby("parcel_id")["share"].transform("sum")
    fast = share_totals(links, rows)
    np.testing.assert_array_equal(fast.to_numpy(), plain.to_numpy())  # NaN where no id, bit for bit elsewhere
    assert fast.isna().sum() == links["parcel_id"].isna().sum() > 0
    pd.testing.assert_series_equal(share_totals(links), plain)


def test_a_layers_typed_numbers_are_typed_as_their_text_would_be(monkeypatch):
    """Numbers a layer holds typed (floats with NaN and inf, ints, nullable ints) are not written out
    as text first; the typed columns and every problem are those of the text path."""
    from helpers.io import schema
    from helpers.io.check import street_lookup

    spec = schema.table_specs()["parcels"]
    frame = pd.DataFrame(
        {
            "parcel_id": pd.array(["P1", "P2", "P3", "P4", "P5"], dtype="string"),
            "street_code": pd.array(["330113001"] * 5, dtype="string"),
            "registered_area_mu": [12.5, np.nan, np.inf, -3.0, 0.0],
            "grant_year": pd.array([2001, None, 2015, 2019, 2020], dtype="Int64"),
            "_row": range(1, 6),
            "_source": "parcels.gpkg",
        }
    )
    for variant in (frame, frame.assign(grant_year=np.array([2001, 2010, 2015, 2019, 2020]))):
        fast, found_fast = schema.coerce_source(variant, spec, street_lookup())
        with monkeypatch.context() as m:
            m.setattr(schema, "is_typed_number", lambda raw: False)
            plain, found = schema.coerce_source(variant, spec, street_lookup())
        pd.testing.assert_frame_equal(fast, plain)
        assert found_fast == found and len(found) >= 3  # empty, infinite, not positive
    assert schema.is_typed_number(frame["registered_area_mu"]) and schema.is_typed_number(frame["grant_year"])
    assert not schema.is_typed_number(pd.Series([True, False])) and not schema.is_typed_number(frame["parcel_id"])


def test_the_collector_restarts_when_the_last_paused_block_ends_in_any_thread():
    """``collector_paused`` nests and spans threads: the collector stays stopped until every block has
    ended (an error ends a block too), and a collector the caller had stopped stays stopped."""
    import gc
    import threading

    from helpers.core.memory import collector_paused

    assert gc.isenabled()
    inside, release = threading.Event(), threading.Event()

    def other_thread():
        with collector_paused():
            inside.set()
            release.wait(10)

    worker = threading.Thread(target=other_thread)
    with collector_paused():
        worker.start()
        assert inside.wait(10)
        with pytest.raises(RuntimeError), collector_paused():
            raise RuntimeError("a block that fails")
        assert not gc.isenabled()
    assert not gc.isenabled()  # the other thread's block is still running
    release.set()
    worker.join(10)
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # the caller's choice is kept
    finally:
        gc.enable()


@pytest.fixture
def many_parcels(tmp_path):
    """20,000 square parcels in EPSG:4490 near Linping, as a GeoParquet file: enough new geometries
    to set off CPython's collector some 30 times if it ran."""
    rng = np.random.default_rng(7)
    x0, y0 = 120.2 + rng.random(20_000) * 0.1, 30.35 + rng.random(20_000) * 0.1
    squares = shapely.box(x0, y0, x0 + 0.0005, y0 + 0.0005)
    layer = gpd.GeoDataFrame({"parcel_id": [f"P{i}" for i in range(20_000)]}, geometry=squares, crs="EPSG:4490")
    layer.to_parquet(tmp_path / "parcels.parquet")
    return layer, tmp_path / "parcels.parquet"


def _collections(call) -> int:
    """How often CPython's cyclic collector ran (any generation) while ``call()`` ran."""
    import gc

    runs = []

    def seen(phase, info):
        if phase == "start":
            runs.append(info["generation"])

    gc.collect()  # counts start from zero
    gc.callbacks.append(seen)
    try:
        call()
    finally:
        gc.callbacks.remove(seen)
    return len(runs)


def test_geometry_work_runs_without_the_collector(many_parcels, tmp_path):
    """Reading a layer, placing it, measuring its areas, its label points, reading its outlines back
    from the cache, coarsening them for sharing: each makes a geometry per parcel, and the collector
    does not run through them (at most once, as it starts again). A plain decode of the same
    geometries sets it off dozens of times. Writing the outlines (WKB) makes no geometry at all."""
    from helpers.core.geography import label_points
    from helpers.core.units import area_mu
    from helpers.io.coordinates import place_layer
    from helpers.io.formats import read_layer_file
    from helpers.io.privacy import generalize

    layer, path = many_parcels
    assert _collections(lambda: shapely.from_wkb(shapely.to_wkb(np.asarray(layer.geometry.array)))) > 10
    assert _collections(lambda: read_layer_file(path, "parquet")) <= 1
    settings = {"max_distance_km": 50, "gcj02_min_outside_share": 1.1, "gcj02_max_outside_after": 0.5}
    surveyed = layer.to_crs("EPSG:4549")  # placed back in EPSG:4490
    assert _collections(lambda: place_layer(surveyed, "parcels.parquet", settings)) <= 1
    assert _collections(lambda: area_mu(layer)) <= 1
    assert _collections(lambda: label_points(np.asarray(layer.geometry.array))) <= 1
    entry = tmp_path / "entry"
    entry.mkdir()
    assert _collections(lambda: cache._write_outlines(layer.geometry, entry, "parcels")) <= 1
    read_back = []
    assert _collections(lambda: read_back.append(cache._read_outlines(entry / "parcels.parquet"))) <= 1
    assert read_back[0].geom_equals_exact(layer.geometry, 0).all()
    assert _collections(lambda: generalize(layer.geometry, 5.0)) <= 1
