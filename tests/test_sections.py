"""A Section shows its parts in order, once, and text from the data renders literally."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import mistune  # noqa: E402  (nbconvert's Markdown renderer)
import pandas as pd  # noqa: E402

from helpers.report.sections import Section, md_code, md_text  # noqa: E402


def test_data_text_renders_literally_in_markdown():
    hostile = "<img src=x onerror=alert(1)> *bold* [link](http://x) `code` a_b_c #1"
    rendered = mistune.html(md_text(hostile))
    assert "<img" not in rendered and "<strong>" not in rendered and "<em>" not in rendered
    assert "<a " not in rendered and "<code>" not in rendered
    assert "onerror=alert(1)" in rendered and "a_b_c" in rendered
    assert mistune.html(md_code("high_energy`x<b>.yaml")).count("<code>") == 1
    assert "<b>" not in mistune.html(md_code("high_energy`x<b>.yaml"))


def test_a_section_displays_its_parts_in_order_and_closes_its_figures(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    fig = plt.figure()
    table = pd.DataFrame({"a": [1]})
    s = Section(data={"t": table}).markdown("**m**").figure(fig).table(table).html("<p>h</p>")
    assert s.figures == [fig] and s.texts == ["**m**", "<p>h</p>"] and s.data["t"] is table
    s._ipython_display_()
    assert [type(o).__name__ for o in shown] == ["Markdown", "Figure", "DataFrame", "HTML"]
    assert not plt.fignum_exists(fig.number)  # closed: the inline backend will not draw it a second time
    assert "figure" in repr(s) and "data: t" in repr(s)


def test_a_long_list_shows_its_first_rows_and_names_the_file_that_holds_all():
    from helpers.report.sections import LONG_LIST_ROWS

    frame = pd.DataFrame({"年份": ["2021→2022"] * 150 + ["2022→2023"] * 30, "企业名称": [f"企业{i}" for i in range(180)]})
    grouped = Section().long_list(frame, "tables/big_moves_2023.csv", per="年份")
    (kind, note), (_, styler) = grouped.parts
    assert kind == "markdown" and "180" in note and "`tables/big_moves_2023.csv`" in note
    assert styler.data["企业名称"].tolist() == [f"企业{i}" for i in range(LONG_LIST_ROWS)] + [f"企业{i}" for i in range(150, 180)]
    plain = Section().long_list(frame, "tables/x.csv", limit=10)
    assert len(plain.parts[1][1].data) == 10
    short = Section().long_list(frame.head(5), "tables/x.csv")
    (kind, note), (_, styler) = short.parts
    assert kind == "markdown" and "`tables/x.csv`" in note and "前" not in note and len(styler.data) == 5
    assert "row_heading" not in styler.to_html()  # shown without its index
