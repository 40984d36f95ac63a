"""Cells as offices type them, read by ``io.schema.coerce_source`` one column at a time: yes/no
words (是/否, 规上/规下, full-width ＴＲＵＥ), credit codes with spaces or in lower case."""

from __future__ import annotations

import pandas as pd

from helpers.io.check import street_lookup
from helpers.io.schema import ROW, SOURCE, coerce_source, table_specs


def frame(**columns) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    return pd.DataFrame({**columns, ROW: range(2, n + 2), SOURCE: "x.csv"})


def test_yes_no_words_of_the_column_and_full_width_forms():
    spec = table_specs()["panel"]
    cells = ["是", "否", "规上", "规模以下工业企业", "ＴＲＵＥ", "１", "  yes ", "maybe", ""]
    typed, problems = coerce_source(frame(above_scale=cells), spec, street_lookup())
    assert typed["above_scale"].tolist()[:7] == [True, False, True, False, True, True, True]
    bad = [p for p in problems if p.problem == "not a yes/no value"]
    assert len(bad) == 1 and bad[0].rows == (9,) and "规上" in bad[0].expected
    assert any(p.problem == "empty cells" and p.rows == (10,) for p in problems)
    # 规上 means nothing for 是否已投产: only the column's own words are read
    typed, problems = coerce_source(frame(in_production=["已投产", "规上"]), spec, street_lookup())
    assert typed["in_production"].iloc[0] and any(p.rows == (3,) for p in problems)


def test_credit_codes_with_spaces_or_lower_case_are_read_and_listed():
    spec = table_specs()["enterprises"]
    good = "91330110MA2H0D0B2N"
    cells = [good, good.lower(), good[:9] + " " + good[9:], " " + good]
    typed, problems = coerce_source(
        frame(credit_code=cells, name=["a", "b", "c", "d"], street_code=["星桥街道"] * 4), spec, street_lookup()
    )
    assert typed["credit_code"].tolist() == [good] * 4
    listed = [p for p in problems if "spaces or lower-case" in p.problem]
    assert len(listed) == 1 and listed[0].rows == (3, 4) and listed[0].severity == "warning"
