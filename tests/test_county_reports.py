"""The main job on each county-shaped export (tests/county_exports.py), as a new user runs it:
``make report DATA=<folder>`` with no edits and no parameters. Five of five notebooks, the 高耗低效
list (XLSX) and the evaluated parcels (GeoPackage) written, every enterprise in the evaluation
table, 亩均税收 as the workbook gives it."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from helpers.core import paths
from helpers.report import runner
from tests import county_exports as ce

pytestmark = pytest.mark.notebook


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    return ce.write_all(tmp_path_factory.mktemp("county"))


DEFAULT_NOTEBOOKS = yaml.safe_load((paths.PARAMS_DIR / "default.yaml").read_text(encoding="utf-8"))["notebooks"]


@pytest.mark.parametrize("shape", list(ce.SHAPES))
def test_the_main_job_runs_on_each_county_shape(folders, shape, tmp_path):
    assert runner.main(["--no-pdf", "-p", "data_dir", str(folders[shape]), "--reports-dir", str(tmp_path), "--run", shape]) == 0
    run = tmp_path / shape
    assert len(list(run.glob("0*.html"))) == len(DEFAULT_NOTEBOOKS)
    assert (run / "企业画像_2023.html").is_file()  # the portraits page joins the site
    assert (run / "高耗低效整治企业清单_2023.xlsx").is_file() and (run / "parcels_evaluated_2023.gpkg").is_file()
    table = pd.read_csv(run / "tables" / "evaluation_2023.csv", dtype={"credit_code": str}).set_index("credit_code")
    assert len(table) == ce.N_ABOVE + ce.N_BELOW and (table["status"] == "evaluated").all()
    for code, by_hand in ce.hand_checked(ce.choose()):
        assert table.loc[code, "tax_per_mu"] == pytest.approx(by_hand)
    overview = (run / "01_data_overview.html").read_text(encoding="utf-8")
    assert "用地口径 Land basis" in overview and "合成" in overview
