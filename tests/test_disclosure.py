"""Coarser figures for shared runs (``core.disclosure``): rounded to significant figures in every
table a page shows and every file a run writes; whole numbers, text and classes kept; exact by default."""

from __future__ import annotations

import numpy as np
import openpyxl
import pandas as pd
import pytest

from helpers.core import disclosure
from helpers.report.exports import write_csv, write_xlsx
from helpers.report.sections import Section
from tests.adversarial import case


def test_significant_figures_whatever_the_magnitude():
    values = np.array([1234.567, 0.004567, -98.76, np.nan, 0.0, 1e-300, 9.96])
    rounded = disclosure.round_significant(values, 2)
    assert rounded[:3].tolist() == [1200.0, 0.0046, -99.0]
    assert np.isnan(rounded[3]) and rounded[4] == 0.0 and rounded[5] == pytest.approx(1e-300) and rounded[6] == 10.0
    assert disclosure.round_significant(values, 0) is not None and np.array_equal(
        disclosure.round_significant(values, 0), values, equal_nan=True
    )


def test_only_figures_that_are_not_whole_numbers_are_rounded():
    frame = pd.DataFrame(
        {"tax_per_mu": [38.64, 1234.5], "rank": [1, 2], "class": ["A", "B"], "year": [2023, 2023]},
        index=["x", "y"],
    )
    out = disclosure.coarsen(frame, 2)
    assert out["tax_per_mu"].tolist() == [39.0, 1200.0]
    assert out[["rank", "class", "year"]].equals(frame[["rank", "class", "year"]]) and out.index.equals(frame.index)
    assert frame["tax_per_mu"].tolist() == [38.64, 1234.5]  # the caller's frame is kept
    assert disclosure.coarsen(frame) is frame  # exact by default


def test_tables_and_files_follow_the_setting(tmp_path):
    frame = pd.DataFrame({"企业名称": ["企业-1"], "tax_10k_yuan": [123.456], "n": [3]})
    disclosure.use(2)
    section = Section().table(frame).table(frame.style.format({"tax_10k_yuan": "{:.3f}"}))
    (_, shown), (_, styled) = section.parts
    assert shown["tax_10k_yuan"].tolist() == [120.0] and "120.000" in styled.to_html()
    assert "123.456" not in styled.to_html()
    csv = write_csv(frame, tmp_path / "t.csv").read_text(encoding="utf-8-sig")
    assert "120.0" in csv and "123.456" not in csv
    book = openpyxl.load_workbook(write_xlsx({"清单": frame}, tmp_path / "t.xlsx", ["说明"]))
    assert book["清单"]["B2"].value == 120 and book["清单"]["C2"].value == 3
    assert "2 significant figures" in disclosure.note()
    disclosure.use(0)
    assert Section().table(frame).parts[0][1]["tax_10k_yuan"].tolist() == [123.456] and disclosure.note() == ""


def test_a_negative_setting_is_refused():
    with pytest.raises(ValueError, match="significant figures"):
        disclosure.use(-1)


@pytest.mark.slow
@case("privacy", "hidden")
def test_a_shared_context_rounds_the_run_tables_and_says_so(tmp_path):
    from helpers.report.context import build_context
    from helpers.report.exports import write_run_tables
    from helpers.report.narrative import data_notice

    ctx = build_context(round_figures=2, output_dir=tmp_path, plot=False)
    evaluated = ctx.ev.enterprises
    (path,) = [p for p in write_run_tables(ctx.ev, ctx.dataset, tmp_path) if p.name.startswith("evaluation_")]
    written = pd.read_csv(path, encoding="utf-8-sig")
    assert (
        written["tax_per_mu"]
        .round(6)
        .equals(pd.Series(disclosure.round_significant(evaluated["tax_per_mu"].to_numpy(), 2), name="tax_per_mu").round(6))
    )
    assert written["class"].fillna("").tolist() == evaluated["class"].astype(object).fillna("").tolist()
    assert "Figures rounded" in data_notice(ctx.dataset) and ctx.parameters["round_figures"] == 2
