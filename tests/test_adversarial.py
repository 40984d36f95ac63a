"""Adversarial cases not covered elsewhere, on a county-shaped folder (GBK CSVs and a Shapefile,
tests/county_exports.py): text encodings and separators offices save with, cells that only look
like numbers or codes, clashing headers, what else lies in a data folder, runs that die or meet,
parameters that carry code, and names that carry markup. Each asserts its exact outcome; the whole
suite (these and the cases tagged in other files) is tabulated by ``python -m tests.adversarial``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pandas as pd
import pytest

from helpers.io.check import check_folder
from helpers.report.runs import RunError, RunFolder
from tests.adversarial import case

PANEL = "亩均数据2023.csv"
TAX = "税收实际贡献(万元)"


@pytest.fixture
def folder(county_folder):
    """A scratch copy of the county-shaped folder (``conftest.county_base``)."""
    return county_folder


def panel_of(folder) -> pd.DataFrame:
    return pd.read_csv(folder / PANEL, dtype=str, encoding="gbk", keep_default_na=False)


def rewrite_panel(folder, panel: pd.DataFrame, **to_csv) -> None:
    panel.to_csv(folder / PANEL, index=False, **{"encoding": "gbk", **to_csv})


def first_tax(check) -> float:
    return float(check.tables["panel"]["tax_10k_yuan"].iloc[0])


@pytest.fixture(scope="module")
def written_tax(county_base) -> float:
    """The first panel row's 税收 as the fixture writes it (seeded, from the sample)."""
    return float(pd.read_csv(county_base / PANEL, dtype=str, encoding="gbk")[TAX].iloc[0])


def notes_of(check, file: str) -> list[str]:
    return [n for n in check.notes if n.startswith(str(file))]


# --- encodings and separators ---------------------------------------------------------------------


def test_the_fixture_starts_where_the_cases_assume(folder, written_tax):
    check = check_folder(folder)
    assert check.ok and first_tax(check) == written_tax


@case("encodings", "read")
def test_excel_unicode_text_utf16_with_tabs_is_read(folder, written_tax):
    panel = panel_of(folder)
    rewrite_panel(folder, panel, encoding="utf-16", sep="\t")  # Excel: 另存为 "Unicode 文本"
    check = check_folder(folder)
    assert check.ok and first_tax(check) == written_tax and len(check.tables["panel"]) == len(panel)
    assert f"{folder / PANEL}: read as text in utf-16, cells separated by tabs" in check.notes


@case("encodings", "read")
def test_a_semicolon_separated_csv_is_read_and_said(folder, written_tax):
    rewrite_panel(folder, panel_of(folder), encoding="utf-8", sep=";")
    check = check_folder(folder)
    assert check.ok and first_tax(check) == written_tax
    assert f"{folder / PANEL}: read as text in utf-8, cells separated by semicolons" in check.notes


@case("encodings", "read")
def test_a_bom_and_windows_line_ends_change_nothing(folder, written_tax):
    text = (folder / PANEL).read_text(encoding="gbk")
    (folder / PANEL).write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    check = check_folder(folder)
    assert check.ok and first_tax(check) == written_tax and not notes_of(check, f"{folder / PANEL}: read as")


@case("encodings", "error")
def test_text_that_is_neither_utf8_nor_gbk_is_named(folder):
    data = (folder / PANEL).read_text(encoding="gbk").encode("utf-8")
    (folder / PANEL).write_bytes(data[:-8] + b"\xff\xfe\xfa")  # a cut UTF-8 file with stray bytes
    errors = check_folder(folder).errors
    (e,) = [e for e in errors if e.file.endswith(PANEL)]
    assert e.problem == "the text is neither UTF-8 nor GBK/GB18030" and "UTF-8" in e.expected


# --- cells ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["(276.33)", "276,33", "25%", "276.33万元", "'276.33", "二百七十六"], ids=lambda t: f"tax={t}")
@case("cell oddities", "error")
def test_a_cell_that_only_looks_like_a_number_is_named(folder, text):
    panel = panel_of(folder)
    panel.loc[0, TAX] = text
    rewrite_panel(folder, panel)
    (e,) = check_folder(folder).errors
    assert (e.problem, e.rows, e.file.endswith(PANEL)) == ("not a number", (2,), True)
    assert "tax_10k_yuan" in e.column and e.expected == "numbers in 万元"


@case("cell oddities", "read")
def test_non_breaking_spaces_around_a_number_are_spaces(folder, written_tax):
    panel = panel_of(folder)
    panel.loc[0, TAX] = f"\u00a0{written_tax}\u3000"
    rewrite_panel(folder, panel, encoding="utf-8")
    check = check_folder(folder)
    assert check.ok and first_tax(check) == written_tax


@case("cell oddities", "warning")
def test_a_zero_width_space_in_a_credit_code_is_removed_and_listed(folder):
    panel = panel_of(folder)
    code = panel.loc[0, "统一社会信用代码"]
    panel.loc[0, "统一社会信用代码"] = code[:5] + "\u200b" + code[5:] + "\ufeff"
    rewrite_panel(folder, panel, encoding="utf-8")
    check = check_folder(folder)
    assert check.ok, check.summary()  # before: "refers to an enterprise that does not exist"
    (w,) = [w for w in check.warnings if "invisible characters" in w.problem]
    assert w.rows == (2,) and w.file.endswith(PANEL) and check.tables["panel"]["credit_code"].iloc[0] == code


@case("cell oddities", "read")
def test_minus_zero_tax_is_zero(folder):
    panel = panel_of(folder)
    panel.loc[0, TAX] = "-0"
    rewrite_panel(folder, panel)
    check = check_folder(folder)
    assert check.ok and first_tax(check) == 0 and not [w for w in check.warnings if "negative" in w.problem]


# --- logic: headers -------------------------------------------------------------------------------


@case("logic", "error")
def test_the_same_header_twice_is_an_error_naming_both_columns(folder):
    panel = panel_of(folder)
    panel.insert(len(panel.columns), TAX + " ", panel[TAX])  # Excel keeps both; pandas would rename one
    text = panel.to_csv(index=False).replace(TAX + " ", TAX)
    (folder / PANEL).write_text(text, encoding="gbk")
    errors = check_folder(folder).errors
    (e,) = [e for e in errors if "same header" in e.problem]
    assert "(column D)" in e.problem and "(column L)" in e.problem and "delete or rename" in e.expected


@case("logic", "warning")
def test_two_headers_for_one_figure_say_which_is_read_and_how_to_read_the_other(folder, written_tax):
    panel = panel_of(folder)
    panel["实缴税金(万元)"] = "1.0"  # another alias of 税收, further right
    rewrite_panel(folder, panel)
    check = check_folder(folder)
    (w,) = [w for w in check.warnings if "several headers read as tax_10k_yuan" in w.problem]
    assert "the first is read" in w.problem and "dataset.yaml" in w.expected and first_tax(check) == written_tax
    (folder / "dataset.yaml").write_text("tables:\n  panel:\n    columns:\n      实缴税金: tax_10k_yuan\n", encoding="utf-8")
    assert first_tax(check_folder(folder)) == 1.0  # the folder's own mapping wins


# --- file system ----------------------------------------------------------------------------------


@case("file system", "read")
def test_office_lock_and_temporary_files_are_skipped(folder):
    (folder / "~$企业基本信息.xlsx").write_bytes(b"\x00" * 162)  # Excel's owner file while a workbook is open
    (folder / ".~lock.亩均数据2023.csv#").write_text("user,host\n", encoding="utf-8")  # WPS / LibreOffice
    check = check_folder(folder)
    assert check.ok and not check.ignored


@case("file system", "warning")
def test_a_subfolder_is_listed_as_not_read(folder):
    (folder / "2022年旧版").mkdir()
    shutil.copy(folder / PANEL, folder / "2022年旧版" / PANEL)
    check = check_folder(folder)
    assert check.ok and len(check.tables["panel"]) == len(panel_of(folder))
    assert check.ignored == [
        f"{folder / '2022年旧版'}: a subfolder; files in subfolders are not read (move them into the data folder to use them)"
    ]


@case("file system", "warning")
def test_a_link_to_a_file_outside_the_folder_is_not_taken_for_data(folder, tmp_path):
    outside = tmp_path / "elsewhere.csv"
    outside.write_text("user,shell\nroot,/bin/sh\n", encoding="utf-8")
    (folder / "链接.csv").symlink_to(outside)
    check = check_folder(folder)
    assert check.ok and [i for i in check.ignored if "链接.csv: no table recognised" in i]


@case("file system", "isolated")
def test_a_read_only_data_folder_is_checked_and_left_as_it_was(folder):
    from helpers.report.provenance import hash_tree

    before = hash_tree(folder)
    for p in [folder, *folder.iterdir()]:
        p.chmod(0o555 if p.is_dir() else 0o444)
    try:
        check = check_folder(folder)
    finally:
        for p in [folder, *folder.iterdir()]:
            p.chmod(0o755 if p.is_dir() else 0o644)
    assert (
        check.ok
        and hash_tree(folder) == before
        and sorted(p.name for p in folder.iterdir()) == sorted(k.rsplit("/", 1)[-1] for k in before)
    )


# --- concurrency ----------------------------------------------------------------------------------


@case("concurrency", "isolated")
def test_two_runs_of_different_names_at_once_each_get_their_own_folder(tmp_path):
    with RunFolder(tmp_path, "甲") as a, RunFolder(tmp_path, "乙") as b:
        (a / "index.html").write_text("a", encoding="utf-8")
        (b / "index.html").write_text("b", encoding="utf-8")
    assert (tmp_path / "甲" / "index.html").read_text(encoding="utf-8") == "a"
    assert (tmp_path / "乙" / "index.html").read_text(encoding="utf-8") == "b"
    assert sorted(os.listdir(tmp_path)) == ["乙", "甲"]


@case("concurrency", "isolated")
def test_a_killed_run_leaves_no_result_and_its_lock_is_taken_over(tmp_path):
    code = (
        "import os, sys\nfrom helpers.report.runs import RunFolder\n"
        f"with RunFolder({str(tmp_path)!r}, 'x') as s:\n"
        "    (s / 'half.html').write_text('half')\n    os._exit(9)  # killed: no cleanup runs\n"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 9
    left = sorted(os.listdir(tmp_path))
    assert left[0] == ".x.lock" and left[1].startswith(".x.partial-") and "x" not in left  # no result in place
    with RunFolder(tmp_path, "x") as staging:
        (staging / "index.html").write_text("whole", encoding="utf-8")
    assert sorted(os.listdir(tmp_path)) == ["x"] and os.listdir(tmp_path / "x") == ["index.html"]


@case("concurrency", "refused")
def test_a_lock_held_by_a_live_process_is_respected(tmp_path):
    (tmp_path / ".x.lock").write_text(f"{os.getppid()}\n", encoding="utf-8")  # our parent: alive
    with pytest.raises(RunError, match="in progress"):
        RunFolder(tmp_path, "x").__enter__()
    assert sorted(os.listdir(tmp_path)) == [".x.lock"]


# --- injection ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ['x"; import os; os.system("touch pwned"); "', "a'\nimport os\n", "{{7*7}}", "${HOME}"], ids=repr
)
@case("injection", "inert")
def test_a_parameter_value_is_injected_as_a_string_literal(tmp_path, value):
    from papermill.translators import translate_parameters

    cell = translate_parameters("python3", "python", {"streets": value}, "Parameters")
    given: dict = {}
    exec(cell, {}, given)  # what the kernel runs
    assert given == {"streets": value} and not (tmp_path / "pwned").exists()


@case("injection", "inert")
def test_file_and_sheet_names_with_markup_are_shown_as_text(folder):
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    from helpers.report.sections import md_text

    (folder / '<img src=x onerror="alert(1)">.txt').write_text("x", encoding="utf-8")
    check = check_folder(folder)
    (ignored,) = check.ignored
    rendered = markdown2html_mistune(f"- {md_text(ignored)}")
    assert "<img" not in rendered and "&lt;img src=x onerror=" in rendered
