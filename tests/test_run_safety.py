"""Runs are confined, locked and atomic, and their parameters are checked before anything runs.
Every refused run is shown to delete nothing: a canary file next to and inside the target stays."""

from __future__ import annotations

import os

import pytest
import yaml

from helpers.core import paths
from helpers.report import runner
from helpers.report.parameters import check_parameters, type_problem
from helpers.report.runs import RunError, RunFolder, check_name
from tests.adversarial import case

NOTEBOOKS = sorted(paths.NOTEBOOKS_DIR.glob("0*.ipynb"))


@pytest.fixture
def canaries(tmp_path):
    """A folder outside the reports folder holding a canary file, and the reports folder."""
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "canary.txt").write_text("keep me", encoding="utf-8")
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "canary.txt").write_text("keep me too", encoding="utf-8")
    return outside, reports


def untouched(outside, reports) -> bool:
    return (outside / "canary.txt").read_text(encoding="utf-8") == "keep me" and (reports / "canary.txt").is_file()


@pytest.mark.parametrize(
    "name",
    [
        "/tmp/x",
        "../x",
        "../../elsewhere",
        "a/b",
        "..",
        ".",
        ".hidden",
        "-rf",
        "x y",
        "名称/子",
        "a\\b",
        "",
        "x" * 101,
        "$(id)",
        "`id`",
        "a;rm -rf ~",
    ],
)
@case("file system", "refused")
def test_a_run_name_that_is_not_plain_is_refused_and_deletes_nothing(canaries, name, capsys):
    outside, reports = canaries
    code = runner.main(["--no-pdf", "--reports-dir", str(reports), f"--run={name}", "--overwrite"])
    assert code == 2 and "not a plain name" in capsys.readouterr().err
    assert untouched(outside, reports) and sorted(p.name for p in reports.iterdir()) == ["canary.txt"]


@case("file system", "refused")
def test_an_absolute_run_name_cannot_empty_a_folder(canaries, capsys):
    outside, reports = canaries
    assert runner.main(["--reports-dir", str(reports), "--run", str(outside), "--overwrite"]) == 2
    assert untouched(outside, reports)


@pytest.mark.parametrize("field, value", [("name", "../../elsewhere"), ("run", ".."), ("run", "../x")])
@case("file system", "refused")
def test_a_batch_with_a_path_for_a_name_is_refused_before_any_run(canaries, tmp_path, field, value, capsys):
    outside, reports = canaries
    batch = {"name": "b", "runs": [{"name": "ok", "parameters": {}}, {"name": "second", "parameters": {}}]}
    if field == "name":
        batch["name"] = value
    else:
        batch["runs"][1]["name"] = value
    path = tmp_path / "batch.yaml"
    path.write_text(yaml.safe_dump(batch, allow_unicode=True), encoding="utf-8")
    assert runner.main(["--batch", str(path), "--reports-dir", str(reports)]) == 2
    assert "not a plain name" in capsys.readouterr().err
    assert untouched(outside, reports) and sorted(p.name for p in reports.iterdir()) == ["canary.txt"]


def test_plain_names_in_any_script_are_taken():
    for name in ("r1", "2023-乔司街道", "星桥_run", "Ärger"):
        assert check_name(name) == name


@case("concurrency", "refused")
def test_a_second_runner_on_the_same_name_fails_at_once(tmp_path):
    with RunFolder(tmp_path, "same") as staging:
        (staging / "a.txt").write_text("first", encoding="utf-8")
        with pytest.raises(RunError, match="in progress"):
            RunFolder(tmp_path, "same").__enter__()
    assert (tmp_path / "same" / "a.txt").read_text(encoding="utf-8") == "first"
    assert not (tmp_path / ".same.lock").exists()


@case("concurrency", "isolated")
def test_an_interrupted_run_leaves_nothing_and_releases_its_lock(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        with RunFolder(tmp_path, "cut") as staging:
            (staging / "half.html").write_text("half", encoding="utf-8")
            raise KeyboardInterrupt
    assert sorted(os.listdir(tmp_path)) == []
    with RunFolder(tmp_path, "cut") as staging:  # and the name can be used again
        (staging / "whole.html").write_text("whole", encoding="utf-8")
    assert sorted(os.listdir(tmp_path / "cut")) == ["whole.html"]


@case("file system", "isolated")
def test_overwrite_replaces_the_whole_folder_and_refusal_keeps_it(tmp_path):
    with RunFolder(tmp_path, "r") as staging:
        (staging / "tables").mkdir()
        (staging / "tables" / "stale.csv").write_text("old", encoding="utf-8")
    with pytest.raises(RunError, match="exists"):
        RunFolder(tmp_path, "r").__enter__()
    assert (tmp_path / "r" / "tables" / "stale.csv").is_file()
    with RunFolder(tmp_path, "r", overwrite=True) as staging:
        (staging / "index.html").write_text("new", encoding="utf-8")
        assert (tmp_path / "r" / "tables" / "stale.csv").is_file()  # the old run stays until the new one is whole
    assert sorted(os.listdir(tmp_path / "r")) == ["index.html"]
    assert sorted(p for p in os.listdir(tmp_path)) == ["r"]


@case("file system", "refused")
def test_a_symlink_named_like_the_run_is_not_followed(tmp_path, canaries):
    outside, reports = canaries
    (reports / "linked").symlink_to(outside, target_is_directory=True)
    with pytest.raises(RunError, match="leads outside"):
        RunFolder(reports, "linked", overwrite=True)
    assert untouched(outside, reports)


@pytest.mark.parametrize(
    "given, says",
    [
        ({"anonymise": True}, "unknown parameter 'anonymise'; did you mean 'anonymize'?"),
        ({"stret": "塘栖镇"}, "did you mean 'streets'?"),
        ({"anonymize": "yes"}, "anonymize = 'yes' is text; it must be true/false"),
        ({"year": "2023年"}, "a year is a whole number such as 2023, or 'latest'"),
        ({"year": True}, "a year is a whole number"),
        ({"data_year": 23}, "data_year = 23: a year is a whole number such as 2023"),
        ({"hotspot_permutations": "many"}, "hotspot_permutations = 'many' is text; it must be a number"),
        ({"interactive_map": 1}, "must be true/false"),
        ({"round_figures": -1}, "round_figures = -1: it must be a finite number, 0 or more"),
        ({"round_figures": 2.5}, "round_figures = 2.5: it must be a whole number"),
        ({"generalize_m": float("inf")}, "generalize_m = inf: it must be a finite number"),
        ({"hotspot_k": 8.5}, "hotspot_k = 8.5: it must be a whole number"),  # declared int
        ({"clearance_line": "三万"}, "clearance_line = '三万' is text; it must be a number"),  # Optional[float]
        ({"anonymize": None}, "anonymize = None: it must be true/false"),
        ({"round_figures": True}, "round_figures = True is true/false; it must be a number"),
    ],
)
@case("logic", "refused")
def test_a_misspelled_or_mistyped_parameter_is_named(given, says):
    problems = check_parameters(given, NOTEBOOKS)
    assert len(problems) == 1 and says in problems[0], problems


def test_declared_parameters_of_the_right_type_pass():
    given = {
        "year": 2022,
        "anonymize": True,
        "streets": "东湖街道",
        "generalize_m": 12.5,
        "round_figures": 2,
        "clearance_line": 3,
        "hotspot_permutations": 99,
        "year_x": None,
    }
    given.pop("year_x")
    assert check_parameters(given, NOTEBOOKS) == []
    assert check_parameters({"year": "latest", "data_year": 2022, "output_dir": "/x"}, NOTEBOOKS) == []
    assert type_problem("streets", 330113001, "all") is None  # -p streets 330113001 reads as a number
    assert check_parameters({"clearance_line": None, "generalize_m": 12.5}, NOTEBOOKS) == []


@case("privacy", "refused")
def test_the_runner_refuses_a_misspelled_privacy_switch_before_running(canaries, capsys):
    _, reports = canaries
    code = runner.main(["--no-pdf", "--reports-dir", str(reports), "--run", "x", "-p", "anonymise", "true"])
    assert code == 2 and "did you mean 'anonymize'" in capsys.readouterr().err
    assert sorted(p.name for p in reports.iterdir()) == ["canary.txt"]


def test_an_override_is_checked_against_the_notebooks_that_run(capsys):
    cfg = runner.load_run_config(paths.PARAMS_DIR / "default.yaml", {"year": 2022}, ["scenario"])
    assert cfg.problems() == ["unknown parameter 'year'; did you mean 'data_year'?"]
    assert runner.load_run_config(paths.PARAMS_DIR / "default.yaml", {}, ["scenario"]).problems() == []
