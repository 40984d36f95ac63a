"""Optional means optional: remove any table or field the data contract calls optional from the
sample, and every section of every page still runs; a section that needs the missing item says
无数据 and which file or field would enable it. The pages are what the notebooks call, one call a
cell, so a section that runs is a notebook cell that runs (the notebooks themselves run under
papermill in test_notebooks and test_runner)."""

from __future__ import annotations

import shutil

import matplotlib

matplotlib.use("Agg")
import geopandas as gpd  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from helpers.io.schema import table_specs  # noqa: E402
from helpers.report import (  # noqa: E402
    low_efficiency_page,
    scenario_page,
)
from helpers.report.context import build_context  # noqa: E402
from helpers.synthetic import sample as generator  # noqa: E402

from .pages import QUICK, run_sections  # noqa: E402

pytestmark = pytest.mark.slow


def optional_items() -> list[tuple[str, str | None]]:
    """(table, None) for every optional table; (table, column) for every optional column the sample's
    CSV tables hold. (The sample declares no 用地面积, ``panel.declared_land_mu``: its absence is the
    sample itself; its presence is tested on the county exports, test_county_exports.)"""
    from helpers.core import paths

    items = []
    for name, spec in table_specs().items():
        if spec.optional:
            items.append((name, None))
        csv = paths.SAMPLE_DIR / spec.file
        header = (
            csv.read_text(encoding="utf-8-sig").split("\n", 1)[0].split(",") if csv.suffix == ".csv" and csv.is_file() else None
        )
        items += [
            (name, c) for c, rule in spec.columns.items() if not rule.get("required", True) and (header is None or c in header)
        ]
    return items


@pytest.fixture(scope="module")
def small_sample(tmp_path_factory):
    """A 400-parcel sample from the same generator, with every optional table and field (seconds,
    not minutes, for 21 whole reports)."""
    folder = tmp_path_factory.mktemp("small") / "data"
    generator.write(generator.generate(n_parcels=400, seed=5), folder)
    return folder


def sample_without(base, folder, table: str, column: str | None) -> None:
    """Copy the sample ``base`` into ``folder`` and take ``table`` (or its ``column``) out of it."""
    shutil.copytree(base, folder)
    spec = table_specs()[table]
    path = next(folder.glob(spec.file.rsplit(".", 1)[0] + ".*"), None)
    if path is None:
        pytest.skip(f"the sample has no {table} table")
    if column is None:
        path.unlink()
    elif path.suffix == ".csv":
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        if column not in frame:
            pytest.skip(f"the sample's {table} has no {column}")
        frame.drop(columns=column).to_csv(path, index=False)
    else:
        layer = gpd.read_parquet(path) if path.suffix == ".parquet" else gpd.read_file(path)
        if column not in layer:
            pytest.skip(f"the sample's {table} has no {column}")
        layer = layer.drop(columns=column)
        path.unlink()
        (layer.to_parquet(path) if path.suffix == ".parquet" else layer.to_file(path))


def run_every_section_without(small_sample, tmp_path, table: str, column: str | None) -> None:
    folder = tmp_path / "data"
    sample_without(small_sample, folder, table, column)
    ctx = build_context(data_dir=folder, output_dir=tmp_path / "run", **QUICK)
    run_sections(ctx)
    spec_title = table_specs()[table].title
    notes = " ".join(ctx.dataset.check.notes)
    assert (spec_title if column is None else column) in notes, (
        f"make check says nothing about the absent {spec_title} {column or ''}"
    )


# Two classes, so that pytest-xdist's loadscope puts the tables and the columns on different workers.
class TestOptionalTables:
    @pytest.mark.parametrize("table", [t for t, c in optional_items() if c is None])
    def test_every_section_runs_without_the_table(self, small_sample, tmp_path, table):
        run_every_section_without(small_sample, tmp_path, table, None)


class TestOptionalColumns:
    @pytest.mark.parametrize("table,column", [(t, c) for t, c in optional_items() if c is not None], ids=lambda v: str(v))
    def test_every_section_runs_without_the_column(self, small_sample, tmp_path, table, column):
        run_every_section_without(small_sample, tmp_path, table, column)


class TestOneYearFolder:
    def test_every_section_runs_on_one_year_and_the_scenario_says_which(self, small_sample, tmp_path):
        folder = tmp_path / "data"
        shutil.copytree(small_sample, folder)
        panel = pd.read_csv(folder / "panel.csv", dtype=str, keep_default_na=False)
        panel[panel["year"] == "2023"].to_csv(folder / "panel.csv", index=False)
        ctx = build_context(
            data_dir=folder, year=2022, year_parameter="data_year", latest_year=True, output_dir=tmp_path / "run", **QUICK
        )
        assert ctx.year == 2023 and ctx.dataset.years == [2023]
        assert "2022" in ctx.year_note and "2023" in ctx.year_note
        assert any(ctx.year_note in text for text in scenario_page.header(ctx).texts)
        run_sections(ctx)
        assert any("无数据" in text for text in low_efficiency_page.energy_budgets(ctx).texts)
