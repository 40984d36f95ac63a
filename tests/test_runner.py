"""The runner's report folder: executed notebooks, HTML without code, index, parameters,
provenance; a failing notebook is reported and the others still render."""

import html as html_lib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

from helpers.core import paths
from helpers.plan.tasks import load_tasks
from helpers.report import runner, site
from helpers.report.provenance import hash_tree
from helpers.viz.style import cjk_font_path

from .browser import (
    drawn_paths,
    external_resources,
    fontconfig_without_cjk,
    need_chromium,
    page_requests,
    render_offline,
    screenshot,
)

pytestmark = pytest.mark.notebook
MIN_FIGURES = {
    "00_task_tracker": 15,
    "01_data_overview": 1,
    "02_mujun_evaluation": 8,
    "03_low_efficiency": 10,
    "04_scenario": 6,
    "05_enterprises": 1,
    "06_policy_effects": 1,
}


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


@pytest.fixture(scope="module")
def default_run(tmp_path_factory, monkeypatch_module):
    # the way `make` or a CI shell may set it; figures must still be embedded
    monkeypatch_module.setenv("MPLBACKEND", "Agg")
    reports = tmp_path_factory.mktemp("reports")
    before = hash_tree(paths.DATA_DIR)
    code = runner.main(["--reports-dir", str(reports), "--run", "r1"])
    assert hash_tree(paths.DATA_DIR) == before, "a run changed files under data/"
    return code, reports / "r1"


def test_runner_writes_the_report(default_run):
    code, run = default_run
    assert code == 0
    cfg = yaml.safe_load((paths.PARAMS_DIR / "default.yaml").read_text(encoding="utf-8"))
    index = (run / "index.html").read_text(encoding="utf-8")
    for nb in cfg["notebooks"]:
        stem = nb.split("/")[-1].removesuffix(".ipynb")
        assert f'href="{stem}.html"' in index
        html = (run / f"{stem}.html").read_text(encoding="utf-8")
        code_cells = re.findall(r'<div class="(jp-Cell jp-CodeCell[^"]*)"', html)
        assert code_cells and all("jp-mod-noInput" in c for c in code_cells)  # no code shown
        assert 'class="highlight' not in html
        assert "setup_plotting()" not in html and "import " not in html
        figures = re.findall(r'<img [^>]*src="data:image/png;base64,', html)
        assert len(figures) >= MIN_FIGURES[stem]  # every chart embedded
        assert "合成" in html  # says the data are synthetic
        executed = nbformat.read(run / f"{stem}.ipynb", as_version=4)
        stderr = [o["text"] for c in executed.cells for o in c.get("outputs", []) if o.get("name") == "stderr"]
        assert not [t for t in stderr if "missing from font" in t or "Glyph" in t]
    assert "合成样本" in index
    # every one of the 20 tasks has a chart, found by its anchor with a figure before the next anchor
    charted = {}
    for stem in MIN_FIGURES:
        page = (run / f"{stem}.html").read_text(encoding="utf-8")
        anchors = [(m.start(), int(m.group(1))) for m in re.finditer(r'id="task-(\d\d)"', page)]
        for k, (pos, number) in enumerate(anchors):
            end = anchors[k + 1][0] if k + 1 < len(anchors) else len(page)
            if re.search(r'<img [^>]*src="data:image/png', page[pos:end]):
                charted[number] = stem
    assert sorted(charted) == list(range(1, 21))
    assert index.index("00_task_tracker") < index.index("01_data_overview")
    # the index opens with the targets' counts by status, as text, then the links, then the status tables
    assert index.index('class="status-counts"') < index.index('id="reports"') < index.index('id="tasks"')
    for number in range(1, 21):
        assert f"任务{number} " in index
    assert "status-chip" in index and "<img" not in index
    # a site: every page has a title, the navigation and a way back; nothing is fetched from the network
    for page_file in sorted(run.glob("*.html")):
        text = page_file.read_text(encoding="utf-8")
        title = re.search(r"<title>(.*?)</title>", text).group(1)
        assert title and title != "Notebook", page_file.name
        assert 'class="site-nav"' in text and "MujunCJK" in text, page_file.name
        assert site.network_references(text) == [], page_file.name
        outside_scripts = re.sub(r"<script\b.*?</script>|srcdoc=\"[^\"]*\"", "", text, flags=re.S)
        assert not re.search(r"https?://", outside_scripts), page_file.name  # cited sources kept as text
    # the low-efficiency notebook's files land in the run folder, and its map draws offline
    assert (run / "高耗低效整治企业清单_2023.xlsx").is_file() and (run / "parcels_evaluated_2023.gpkg").is_file()
    with sqlite3.connect(run / "parcels_evaluated_2023.gpkg") as db:  # every field named in Chinese, a default style
        fields = {r[1] for r in db.execute("PRAGMA table_info(parcels_2023)")} - {"fid", "geom"}
        named = {r[0] for r in db.execute("SELECT column_name FROM gpkg_data_columns WHERE table_name = 'parcels_2023'")}
        assert fields == named and db.execute("SELECT useAsDefault FROM layer_styles").fetchall() == [(1,)]
    report = (run / "03_low_efficiency.html").read_text(encoding="utf-8")
    frames = re.findall(r'srcdoc="([^"]*)"', report)
    assert len(frames) == 1
    page = html_lib.unescape(frames[0])
    assert external_resources(page) == []
    dom, error = render_offline(page)
    assert error is None and drawn_paths(dom) >= 2000
    prov = json.loads((run / "provenance.json").read_text(encoding="utf-8"))
    assert "data/sample/panel.csv" in prov["inputs"] and "data/methods/linping_default.yaml" in prov["inputs"]
    assert prov["packages"]["pandas"] and prov["git"]["commit"] and prov["synthetic_data"] is True
    params = yaml.safe_load((run / "parameters.yaml").read_text(encoding="utf-8"))
    assert params["parameters"]["year"] == cfg["parameters"]["year"]


def test_existing_run_is_not_overwritten(default_run, capsys):
    _, run = default_run
    before = (run / "index.html").stat().st_mtime_ns
    assert runner.main(["--reports-dir", str(run.parent), "--run", "r1"]) == 2
    assert (run / "index.html").stat().st_mtime_ns == before
    assert "exists" in capsys.readouterr().err


def test_failing_notebook_is_reported_and_others_render(tmp_path, capsys):
    nb_dir = tmp_path / "nbs"
    nb_dir.mkdir()
    good = nb_dir / "a_good.ipynb"
    shutil.copy(paths.NOTEBOOKS_DIR / "02_mujun_evaluation.ipynb", good)
    bad = nbformat.read(good, as_version=4)
    bad.cells.insert(3, nbformat.v4.new_code_cell("raise RuntimeError('planted failure')"))
    nbformat.write(bad, nb_dir / "b_bad.ipynb")
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(
        yaml.safe_dump({"notebooks": [str(nb_dir / "b_bad.ipynb"), str(good)], "parameters": {"year": 2021, "top_n": 3}}),
        encoding="utf-8",
    )
    code = runner.main(
        ["--no-pdf", "--config", str(cfg), "--reports-dir", str(tmp_path / "rep"), "--run", "x", "-p", "streets", "塘栖镇"]
    )
    assert code == 1
    run = tmp_path / "rep" / "x"
    prov = json.loads((run / "provenance.json").read_text(encoding="utf-8"))
    status = {n["notebook"].split("/")[-1]: n for n in prov["notebooks"]}
    assert status["b_bad.ipynb"]["ok"] is False and status["b_bad.ipynb"]["error"]["ename"] == "RuntimeError"
    assert status["b_bad.ipynb"]["error"]["cell_index"] is not None
    assert status["a_good.ipynb"]["ok"] is True and (run / "a_good.html").is_file() and (run / "b_bad.html").is_file()
    assert status["a_good.ipynb"]["parameters"]["streets"] == "塘栖镇"
    err = capsys.readouterr().err
    assert "planted failure" in err and "failed" in err


def test_parse_value():
    assert runner.parse_value("2022") == 2022 and runner.parse_value("true") is True
    assert runner.parse_value("东湖街道") == "东湖街道" and runner.parse_value("null") is None


def test_batch_runs_each_set_and_compares_them(tmp_path):
    batch = yaml.safe_load((paths.PARAMS_DIR / "scenario_batch.yaml").read_text(encoding="utf-8"))
    assert runner.main(["--batch", str(paths.PARAMS_DIR / "scenario_batch.yaml"), "--reports-dir", str(tmp_path)]) == 0
    page = (tmp_path / batch["name"] / "index.html").read_text(encoding="utf-8")
    for entry in batch["runs"]:
        assert f'href="{entry["name"]}/index.html"' in page
        assert (tmp_path / batch["name"] / entry["name"] / "04_scenario.html").is_file()
        summary = json.loads((tmp_path / batch["name"] / entry["name"] / "summary_scenario.json").read_text(encoding="utf-8"))
        assert f"{summary['腾出用地(亩)']:,.2f}" in page
    assert page.count("完成 ok") == len(batch["runs"]) and "规上亩均税收 后" in page


def chart_images(executed: Path) -> list[str]:
    """Every chart a notebook shows (base64 PNG), in order."""
    nb = nbformat.read(executed, as_version=4)
    return [
        out["data"]["image/png"]
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if "image/png" in out.get("data", {})
    ]


def test_a_sequential_rerun_gives_the_parallel_runs_charts_and_tables_byte_for_byte(default_run, tmp_path):
    """The default run runs notebooks two at a time (``--jobs``, the cores) in kernels forked from the
    warmed server (``report.kernels``); one at a time in kernels started the usual way gives the same
    tables, exports and charts, byte for byte."""
    _, run = default_run
    assert json.loads((run / "provenance.json").read_text(encoding="utf-8"))["notebooks"]  # the parallel run
    code = runner.main(
        ["--no-pdf", "--jobs", "1", "--cold-kernels", "--reports-dir", str(tmp_path), "--run", "again", "--only", "02", "03"]
    )
    assert code == 0
    again = tmp_path / "again"
    compared = [p.relative_to(again) for p in again.rglob("*") if p.suffix in (".csv", ".xlsx", ".gpkg")]
    assert {"tables/evaluation_2023.csv", "tables/table_ledger_2023.csv"} <= {str(p) for p in compared}
    assert any(p.suffix == ".xlsx" for p in compared) and any(p.suffix == ".gpkg" for p in compared)
    for rel in compared:
        assert (again / rel).read_bytes() == (run / rel).read_bytes(), rel
    for name in ("02_mujun_evaluation.ipynb", "03_low_efficiency.ipynb"):
        charts = chart_images(again / name)
        assert len(charts) >= 3 and charts == chart_images(run / name), name


def test_one_exporter_for_every_page_gives_the_pages_a_fresh_one_gives(default_run, tmp_path):
    """A process exports its notebooks with one ``html_exporter`` (templates compiled once, readied on
    an empty notebook before the workers fork): each page is the bytes a new exporter writes for it,
    whatever was exported before."""
    _, run = default_run
    executed = sorted(run.glob("*.ipynb"))
    assert len(executed) >= 7
    fresh = {}
    for nb in executed:
        runner.html_exporter.cache_clear()  # a new exporter for this page alone
        runner.to_html(nb, tmp_path / "page.html")
        fresh[nb.name] = (tmp_path / "page.html").read_bytes()
    runner.html_exporter.cache_clear()
    runner.html_exporter().from_notebook_node(nbformat.v4.new_notebook())  # readied as run_notebooks does
    for nb in reversed(executed):  # one exporter, pages in another order than the run's
        runner.to_html(nb, tmp_path / "page.html")
        assert (tmp_path / "page.html").read_bytes() == fresh[nb.name], nb.name
    assert runner.html_exporter() is runner.html_exporter()


def test_the_longest_notebook_starts_first(tmp_path):
    nbs = [Path("a.ipynb"), Path("b.ipynb"), Path("c.ipynb"), Path("new.ipynb")]
    assert runner.longest_first(nbs, {"a.ipynb": 3.0, "b.ipynb": 9.0, "c.ipynb": 5.0}) == [
        Path("new.ipynb"),
        Path("b.ipynb"),
        Path("c.ipynb"),
        Path("a.ipynb"),
    ]
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "provenance.json").write_text(
        json.dumps({"notebooks": [{"notebook": "notebooks/a.ipynb", "seconds": 4.5}]}), encoding="utf-8"
    )
    assert runner.previous_seconds(tmp_path) == {"a.ipynb": 4.5}
    (tmp_path / "old" / "provenance.json").write_text("{broken", encoding="utf-8")
    assert runner.previous_seconds(tmp_path) == {}


def test_no_page_attempts_a_network_request(default_run):
    """Every page of the default run, opened in chromium with its net log on: no request to http(s)
    or ws from the page or its map frame (before: require.js and MathJax from cdnjs on every page)."""
    _, run = default_run
    for page in sorted(run.glob("*.html")):
        assert page_requests(page) == [], page.name


def test_pages_render_the_same_without_system_cjk_fonts(default_run, tmp_path):
    """On a machine whose only fonts are DejaVu and STIX, the tracker page (title, navigation,
    contents, status tables) with its embedded font subset is pixel-identical to the same page drawn
    with the whole bundled font: no character of it is missing from the subset. Without the
    embedded font, the same page draws boxes (the check can fail)."""
    _, run = default_run
    page = (run / "00_task_tracker.html").read_text(encoding="utf-8")
    embedded = re.compile(r'url\(data:font/woff;base64,[^)]+\) format\("woff"\)')
    assert len(embedded.findall(page)) == 1
    variants = {
        "embedded": page,
        "whole_font": embedded.sub(f'url({cjk_font_path().as_uri()}) format("opentype")', page),
        "no_font": embedded.sub('url(missing.woff) format("woff")', page),
    }
    env = fontconfig_without_cjk(tmp_path)
    shots = {}
    for name, text in variants.items():
        (tmp_path / f"{name}.html").write_text(text, encoding="utf-8")
        shots[name] = screenshot(tmp_path / f"{name}.html", tmp_path / f"{name}.png", height=2500, env=env)
    assert shots["embedded"] == shots["whole_font"]
    assert shots["embedded"] != shots["no_font"]


def test_the_run_has_a_pdf_of_each_page_and_a_word_briefing(default_run):
    """The PDFs (printed by chromium after the HTML) and the Word briefing open, and hold the 20
    tasks' names as text."""
    from docx import Document
    from pypdf import PdfReader

    _, run = default_run
    tasks = load_tasks()[1]
    names = [f"任务{n} {t}" for n, t in zip(tasks["number"], tasks["title"], strict=True)]
    need_chromium()
    pdfs = {p.stem: PdfReader(p) for p in sorted((run / "pdf").glob("*.pdf"))}
    assert set(pdfs) == {p.stem for p in run.glob("*.html")}
    assert all(len(r.pages) >= 1 for r in pdfs.values()) and len(pdfs["03_low_efficiency"].pages) > 5
    tracker_text = re.sub(r"\s+", "", "".join(page.extract_text() for page in pdfs["00_task_tracker"].pages))
    assert [n for n in names if n.replace(" ", "") not in tracker_text] == []  # pypdf gives spaces as tabs
    doc = Document(next(run.glob("腾笼换鸟攻坚行动进展简报_*.docx")))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "腾笼换鸟攻坚行动进展简报" in text and "合成样本" in text
    assert [n for n in names if n not in text] == []
    assert len(doc.tables) >= 6 and len(doc.inline_shapes) == 2
    streets = [t for t in doc.tables if t.rows[0].cells[0].text == "名次"]
    assert len(streets) == 1 and len(streets[0].rows) == 1 + 8  # the 8 街道 ranked


def test_kernels_run_numerical_libraries_on_one_thread_unless_the_user_chose(tmp_path, monkeypatch):
    """Two kernels side by side each starting a BLAS thread per core slow each other: kernels get one
    thread each; a variable the user set is kept, and the runner's own environment is restored."""
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            'import os; print([os.environ.get(v) for v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")])'
        )
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp_path / "threads.ipynb")
    result = runner.run_notebook(tmp_path / "threads.ipynb", tmp_path, {}, progress_bar=False)
    assert result.ok
    printed = nbformat.read(tmp_path / "threads.ipynb", as_version=4).cells[0].outputs[0]["text"]
    assert printed.strip() == str(["1", "3", "1"])
    assert "OPENBLAS_NUM_THREADS" not in os.environ and os.environ["OMP_NUM_THREADS"] == "3"


def test_the_command_ends_with_its_code_after_its_exit_handlers_and_output():
    """``end_process`` skips only Python's teardown: the exit handlers run (the kernel server is
    stopped by one), buffered output is written, the exit code is the run's; with a thread still
    running the process waits for it, as a usual exit does."""
    script = (
        "import atexit, sys, threading, time\n"
        "from helpers.report.runner import end_process\n"
        "atexit.register(lambda: print('handler ran'))\n"
        "print('buffered', end=' ')\n"
        "if sys.argv[1] == 'thread':\n"
        "    threading.Thread(target=lambda: (time.sleep(0.2), print('thread ended', end=' '))).start()\n"
        "end_process(3)\n"
    )
    for mode, expected in (("plain", "buffered handler ran\n"), ("thread", "buffered thread ended handler ran\n")):
        proc = subprocess.run([sys.executable, "-c", script, mode], capture_output=True, text=True, cwd=paths.PROJECT_ROOT)
        assert (proc.returncode, proc.stdout, proc.stderr) == (3, expected, "")
