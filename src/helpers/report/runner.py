"""Run a set of notebooks with papermill and write a shareable report folder.

    python -m helpers.report.runner --config params/default.yaml [-p name value ...] [--run NAME]

writes ``reports/<run>/``:

- ``<notebook>.ipynb``  the executed notebooks (outputs kept, code kept)
- ``<notebook>.html``   HTML without code cells (nbconvert, ``exclude_input``)
- ``index.html``        the counts of the plan's targets by status (when the tracker ran), links to
                        every notebook's page, the tasks' and goals' status tables, the parameters;
                        every page navigable, with its contents and the CJK font embedded (``report.site``)
- ``parameters.yaml``   the parameters each notebook received
- ``provenance.json``   input hashes, package versions, git commit, timings, failures

The data folder is checked first (``helpers.io.check``): with blocking problems no notebook
runs and ``index.html`` and ``problems.csv`` list what to fix (file, column, rows, expected).
A failing notebook is reported with its failing cell; the other notebooks still run and render;
the command exits 1. A run's name is a plain name and its folder lies in the reports folder; the run
is written to a staging folder and moved into place when done, under a lock (``report.runs``); an
existing run folder is replaced as a whole only with ``--overwrite``. Parameters are checked against
the notebooks' declarations before anything runs (``report.parameters``).
"""

from __future__ import annotations

import argparse
import html
import json
import os
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path

# jsonschema, which nbformat imports, imports rfc3987_syntax when it is installed (jupyter-events asks
# for it), and that compiles 39 grammars at import: 1.8 s before the first notebook starts. Notebooks
# are validated by fastjsonschema against nbformat's draft-4 schema, which has no IRI format, so the
# runner's own process goes without it; kernels and a researcher's session are untouched.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]

from helpers.report import kernels

if __name__ == "__main__" and "--cold-kernels" not in sys.argv:
    kernels.start_shared()  # the kernel server imports the pages while this process imports the rest

import nbformat
import pandas as pd
import papermill as pm
import yaml
from nbconvert import HTMLExporter
from nbconvert.preprocessors import TagRemovePreprocessor
from papermill.translators import translate_parameters

from helpers.core import paths
from helpers.core.errors import InputError, Problem
from helpers.core.yamlfile import load_yaml
from helpers.io.cache import checked_folder
from helpers.report import provenance
from helpers.report.dashboard import STATUS_FILE, status_counts, status_table
from helpers.report.parameters import check_parameters
from helpers.report.pdf import PDF_DIR, print_pdfs
from helpers.report.redaction import shared_inputs, shared_parameters
from helpers.report.runs import RunError, RunFolder, check_name
from helpers.report.site import finish_site, prepare_page

KERNEL = "python3"
OUTPUT_PARAMETER = "output_dir"
REMOVED_CELL_TAGS = ("remove_cell",)  # cells kept in the executed notebook but not in the HTML
REFERENCE_DIRS = [paths.METHODS_DIR, paths.PLAN_DIR, paths.DATA_DIR / "reference", paths.GEO_DIR]


@dataclass
class NotebookResult:
    notebook: str
    executed: str
    html: str | None
    ok: bool
    seconds: float
    parameters: dict
    error: dict | None = None


@dataclass
class RunConfig:
    notebooks: list[Path]
    parameters: dict = field(default_factory=dict)
    title: str = "临平区亩均效益评价报告"
    every_notebook: list[Path] = field(default_factory=list)  # the config's, before --only
    overrides: dict = field(default_factory=dict)  # -p values and a batch run's parameters
    pdf: bool = True  # print each page to PDF after the HTML (``report.pdf``); --no-pdf
    jobs: int = 1  # notebooks run at a time (--jobs; the command line's default is the machine's cores)
    warm_kernels: bool = True  # kernels forked from a process that imported the pages once (``report.kernels``)

    def problems(self) -> list[str]:
        """Unknown or mistyped parameters: the config file's checked against all its notebooks,
        the overrides against the notebooks that run (``report.parameters``)."""
        defaults = {k: v for k, v in self.parameters.items() if k not in self.overrides}
        return check_parameters(defaults, self.every_notebook or self.notebooks) + check_parameters(
            self.overrides, self.notebooks
        )


def parse_value(text: str):
    """A ``-p`` value as YAML (numbers, booleans, null, lists), else the text itself."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def load_run_config(path: Path, overrides: dict, only: list[str] | None) -> RunConfig:
    raw = load_yaml(path) or {}
    notebooks = every = [paths.resolve(n) for n in raw.get("notebooks", [])]
    if only:
        notebooks = [n for n in notebooks if any(o in n.name for o in only)]
        if not notebooks:
            raise SystemExit(f"no notebook of {path} matches {only}")
    params = dict(raw.get("parameters") or {})
    params.update(overrides)
    return RunConfig(
        notebooks=notebooks,
        parameters=params,
        title=raw.get("title", RunConfig.title),
        every_notebook=every,
        overrides=dict(overrides),
    )


def written_pages(run_dir: Path, pages: list[str]) -> list[str]:
    """HTML pages a notebook wrote into the run folder (the enterprise portraits): they join the
    site after the notebooks' pages, in name order, and are printed with them."""
    known = {"index.html", *pages}
    return sorted(p.name for p in run_dir.glob("*.html") if p.name not in known)


def declared_parameters(notebook: Path) -> dict:
    return pm.inspect_notebook(str(notebook))


def failing_cell(executed: Path) -> dict | None:
    nb = nbformat.read(executed, as_version=4)
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error" and cell.get("metadata", {}).get("tags", []) != ["papermill-error-cell-tag"]:
                return {
                    "cell_index": i,
                    "ename": out.get("ename"),
                    "evalue": out.get("evalue"),
                    "source": cell.get("source", "")[:2000],
                }
    return None


TEMPLATES = Path(__file__).parent / "templates"  # "offline": nbconvert's lab template without its CDN scripts


@cache
def html_exporter() -> HTMLExporter:
    """The exporter ``to_html`` uses, one per process: its Jinja templates are compiled on the first
    page and kept (compiling them again for every notebook took 0.25 s of each page's export; the
    pages are the same bytes either way, tests/test_runner.py)."""
    exporter = HTMLExporter(
        template_name="offline",
        extra_template_basedirs=[str(TEMPLATES)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
    )
    exporter.language_code = "zh-CN"
    exporter.register_preprocessor(TagRemovePreprocessor(remove_cell_tags=REMOVED_CELL_TAGS, enabled=True), enabled=True)
    return exporter


def to_html(executed: Path, out: Path) -> None:
    """The executed notebook as HTML without code cells, loading nothing from the network (the
    ``offline`` template); ``report.site`` then makes it a page of the run's site."""
    nb = nbformat.read(executed, as_version=4)
    body, _ = html_exporter().from_notebook_node(nb)
    out.write_text(body, encoding="utf-8")


def record_shared_parameters(executed: Path, shared: dict) -> None:
    """Rewrite what the executed notebook says it was given (the injected cell and papermill's
    metadata) as ``shared`` says, and its paths as file names: an anonymised run's notebooks name no
    local folder. The outputs are the run's own and stay as they are."""
    nb = nbformat.read(executed, as_version=4)
    for cell in nb.cells:
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            cell.source = translate_parameters(KERNEL, "python", shared, "Parameters")
    meta = nb.metadata.get("papermill", {})
    meta["parameters"] = shared
    for key in ("input_path", "output_path"):
        if meta.get(key):
            meta[key] = Path(meta[key]).name
    nbformat.write(nb, executed)


def run_notebook(
    notebook: Path,
    run_dir: Path,
    parameters: dict,
    anonymized: bool = False,
    progress_bar: bool = True,
    kernel_server: str | None = None,
) -> NotebookResult:
    """Execute ``notebook`` with the parameters it declares into ``run_dir`` and render it to HTML;
    ``anonymized``: record its parameters as ``redaction.shared_parameters`` gives them;
    ``kernel_server``: the socket of a ``kernels.server`` to fork the kernel from (None: start
    it the usual way). The executed notebook is saved once, at the end (or at the failing cell), not
    after every cell."""
    declared = declared_parameters(notebook)
    given = {k: v for k, v in parameters.items() if k in declared}
    if OUTPUT_PARAMETER in declared:  # notebooks that write files write them into the run folder
        given[OUTPUT_PARAMETER] = str(run_dir)
    executed = run_dir / notebook.name
    start = time.perf_counter()
    ok, error = True, None
    print(f"\n=== {notebook.name} ===", file=sys.stderr, flush=True)
    try:
        with kernels.kernel_threads():
            pm.execute_notebook(
                str(notebook),
                str(executed),
                parameters=given,
                kernel_name=KERNEL,
                progress_bar=progress_bar,
                request_save_on_cell_execute=False,
                cwd=str(paths.PROJECT_ROOT),
                kernel_manager_class=kernels.manager_class(kernel_server),
            )
    except pm.PapermillExecutionError as exc:
        ok = False
        error = failing_cell(executed) or {"cell_index": exc.exec_count, "ename": exc.ename, "evalue": exc.evalue}
        print(
            f"FAILED {notebook.name}: cell {error['cell_index']}: {error['ename']}: {error['evalue']}",
            file=sys.stderr,
            flush=True,
        )
    except Exception as exc:  # kernel died, bad parameters...: report and carry on
        ok = False
        error = {"cell_index": None, "ename": type(exc).__name__, "evalue": str(exc)}
        print(f"FAILED {notebook.name}: {error['ename']}: {error['evalue']}", file=sys.stderr, flush=True)
    seconds = time.perf_counter() - start
    html_path = None
    shared = shared_parameters(given, anonymized)
    if executed.is_file():
        if anonymized:
            record_shared_parameters(executed, shared)
        html_path = executed.with_suffix(".html")
        to_html(executed, html_path)
        prepare_page(html_path)  # its own parts of the site, while other notebooks still run
    return NotebookResult(
        notebook=paths.display(notebook),
        executed=executed.name,
        html=html_path.name if html_path else None,
        ok=ok,
        seconds=round(seconds, 2),
        parameters=shared,
        error=error,
    )


def previous_seconds(reports_dir: Path = paths.REPORTS_DIR) -> dict[str, float]:
    """Each notebook's time in the latest finished run under ``reports_dir`` (its provenance.json),
    by file name; empty when there is none or it cannot be read."""
    runs = sorted(reports_dir.glob("*/provenance.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    for prov in runs:
        try:
            notebooks = json.loads(prov.read_text(encoding="utf-8")).get("notebooks", [])
            return {Path(n["notebook"]).name: float(n["seconds"]) for n in notebooks}
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return {}


def longest_first(notebooks: list[Path], seconds: dict[str, float]) -> list[Path]:
    """``notebooks`` in the order to start them: the longest last time first (so the run ends
    soonest); those without a time keep their order, ahead of the timed ones."""
    return sorted(notebooks, key=lambda nb: -seconds.get(nb.name, float("inf")))


def run_notebooks(
    notebooks: list[Path], run_dir: Path, parameters: dict, anonymized: bool, jobs: int, kernel_server: str | None = None
) -> list[NotebookResult]:
    """``run_notebook`` for each notebook, ``jobs`` at a time in separate processes (each with its
    own kernel), the longest first; the results in the order of ``notebooks``. Each notebook writes
    only its own files, so the outputs are the same whatever ``jobs`` is (tests/test_runner.py)."""
    if jobs <= 1 or len(notebooks) <= 1:
        return [run_notebook(nb, run_dir, parameters, anonymized, kernel_server=kernel_server) for nb in notebooks]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    order = longest_first(notebooks, previous_seconds(run_dir.parent))  # the runs beside this one
    # the exporter readied here, once, for every worker the fork makes (its templates compiled and the
    # modules it loads on its first page imported: 0.4 s each worker would spend before its first
    # page); the first kernels wait for the kernel server's imports meanwhile
    html_exporter().from_notebook_node(nbformat.v4.new_notebook())
    context = multiprocessing.get_context("fork")  # the runner holds no threads yet; fork starts at once
    with ProcessPoolExecutor(max_workers=min(jobs, len(notebooks)), mp_context=context) as pool:
        futures = {nb: pool.submit(run_notebook, nb, run_dir, parameters, anonymized, False, kernel_server) for nb in order}
        return [futures[nb].result() for nb in notebooks]


def status_sections(run_dir: Path) -> tuple[str, str]:
    """The tracker's statuses (``dashboard.STATUS_FILE``, when the tracker ran), as text: the counts
    by status of the 20 tasks' targets and of the headline goals (to open the index), and their tables."""
    path = run_dir / STATUS_FILE
    if not path.is_file():
        return "", ""
    saved = json.loads(path.read_text(encoding="utf-8"))
    scope = html.escape(f"{saved.get('year')}年，{saved.get('scope')}")
    counts, tables = "", ""
    for kind, heading, group in (("tasks", "20项任务 The 20 tasks", "任务 task"), ("goals", "实施目标 Headline goals", None)):
        records = saved.get(kind)
        if records:
            counts += f'<p><a href="#{kind}">{heading}</a></p>' + status_counts(records)
            tables += f'<h2 id="{kind}">{heading}（{scope}）</h2>' + status_table(records, group)
    return counts, tables


def write_index(
    run_dir: Path, title: str, results: list[NotebookResult], parameters: dict, prov: dict, synthetic: bool, name: str
) -> Path:
    rows = []
    for r in results:
        status = (
            '<span class="ok">完成 ok</span>'
            if r.ok
            else f'<span class="failed">失败 failed</span> (cell {(r.error or {}).get("cell_index")}: '
            f"{html.escape(str((r.error or {}).get('ename')))}: {html.escape(str((r.error or {}).get('evalue')))})"
        )
        link = f'<a href="{html.escape(r.html)}">{html.escape(Path(r.notebook).stem)}</a>' if r.html else html.escape(r.notebook)
        rows.append(
            f"<tr><td>{link}</td><td>{status}</td><td>{r.seconds:.1f} s</td>"
            f'<td><a href="{html.escape(r.executed)}">.ipynb</a></td></tr>'
        )
    for page_file in written_pages(run_dir, [r.html for r in results if r.html]):  # pages a notebook wrote
        rows.append(
            f'<tr><td><a href="{html.escape(page_file)}">{html.escape(Path(page_file).stem)}</a></td><td></td><td></td><td></td></tr>'
        )
    banner = (
        '<p class="synthetic">本报告使用合成样本数据，不代表任何真实企业或宗地。'
        "This report uses synthetic sample data; no figure in it describes a real enterprise or parcel.</p>"
        if synthetic
        else ""
    )
    params = html.escape(yaml.safe_dump(parameters, allow_unicode=True, sort_keys=False))
    counts, tables = status_sections(run_dir)
    git = prov.get("git", {})
    page = f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body {{ font-family: "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; }}
table {{ border-collapse: collapse; }} td, th {{ border: 1px solid #ccc; padding: .3rem .6rem; text-align: left; }}
.synthetic {{ background: #fff3cd; border: 1px solid #e0c36c; padding: .6rem; }}
pre {{ background: #f6f6f6; padding: .6rem; }}
.ok {{ color: #1a7f37; font-weight: bold; }} .failed {{ color: #b42318; font-weight: bold; }}
</style></head><body>
<h1>{html.escape(title)}</h1>
<p>临平政办〔2022〕92号《杭州市临平区新一轮制造业“腾笼换鸟、凤凰涅槃”攻坚行动方案》 · run {html.escape(name)} · {html.escape(prov["finished"])}</p>
{banner}
{counts}
<h2 id="reports">报告 / Reports</h2>
<table><tr><th>报告 report</th><th>状态 status</th><th>用时 time</th><th>executed</th></tr>
{"".join(rows)}
</table>
{tables}
<h2>参数 / Parameters</h2>
<pre>{params}</pre>
<h2>来源 / Provenance</h2>
<p>git commit {html.escape(str(git.get("commit")))}{" (uncommitted changes)" if git.get("dirty") else ""};
{len(prov["inputs"])} input files hashed in <a href="provenance.json">provenance.json</a>;
parameters in <a href="parameters.yaml">parameters.yaml</a>.</p>
</body></html>
"""
    index = run_dir / "index.html"
    index.write_text(page, encoding="utf-8")
    return index


def default_run_name() -> str:
    return datetime.now().strftime("%Y%m%d-%H%M%S")


def folder_problems(data_dir: Path) -> list[Problem]:
    """The blocking problems of the data folder (empty when the notebooks can run)."""
    try:
        return checked_folder(data_dir).errors
    except InputError as exc:
        return exc.problems


def write_problems_page(run_dir: Path, title: str, data_dir: Path, problems: list[Problem]) -> Path:
    """index.html (and problems.csv) listing what to fix in the data folder; no notebook ran."""
    table = pd.DataFrame([p.as_record() for p in problems])
    table.to_csv(run_dir / "problems.csv", index=False, encoding="utf-8-sig")
    rows = "".join(
        "<tr>"
        + "".join(f"<td>{html.escape(str(r[c]))}</td>" for c in ("file", "column", "rows", "problem", "expected"))
        + "</tr>"
        for _, r in table.iterrows()
    )
    page = f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{html.escape(title)}: 数据问题 data problems</title>
<style>body {{ font-family: "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; margin: 2rem; }}
table {{ border-collapse: collapse; }} td, th {{ border: 1px solid #ccc; padding: .3rem .6rem; text-align: left; vertical-align: top; }}</style>
</head><body><h1>数据问题，未运行笔记本 Problems in the data; no notebook ran</h1>
<p>{html.escape(str(data_dir))}: {len(problems)} 个问题 problem(s). 修正后重新运行，或先运行 <code>make check DATA=…</code>。
Fix them and run again (or run <code>make check DATA=…</code> first). Also in <a href="problems.csv">problems.csv</a>.</p>
<table><tr><th>文件 file</th><th>列 column</th><th>行 rows</th><th>问题 problem</th><th>应为 expected</th></tr>{rows}</table>
</body></html>
"""
    index = run_dir / "index.html"
    index.write_text(page, encoding="utf-8")
    finish_site(run_dir, [], f"{title}: 数据问题 data problems")
    return index


def execute_run(cfg: RunConfig, run_dir: Path, config_path: str, name: str | None = None) -> tuple[list[NotebookResult], Path]:
    """Check the data folder, then run every notebook of ``cfg`` into ``run_dir`` (a run's staging
    folder, ``report.runs``) and write parameters, provenance and the index; with problems in the
    folder, write the list instead. ``name``: the run's name (default the folder's). A kernel server
    (``kernels.server``) is running before the folder is checked, so that it imports meanwhile; a
    run's own server ends with its last notebook."""
    name = name or run_dir.name
    data_dir = paths.resolve(cfg.parameters.get("data_dir", paths.SAMPLE_DIR))
    with kernels.server(cfg.notebooks, cfg.warm_kernels) as kernel_server:
        problems = folder_problems(data_dir)
        if problems:
            print(f"\n{len(problems)} problem(s) in {data_dir}; no notebook ran:", file=sys.stderr)
            for p in problems:
                print(f"  {p}", file=sys.stderr)
            return [], write_problems_page(run_dir, cfg.title, data_dir, problems)
        anonymized = bool(cfg.parameters.get("anonymize"))
        inputs = provenance.hash_tree(data_dir) if data_dir.is_dir() else {}
        for d in REFERENCE_DIRS:
            inputs.update(provenance.hash_tree(d))
        inputs = shared_inputs(inputs, data_dir, anonymized)
        parameters = shared_parameters(cfg.parameters, anonymized)
        config_path = paths.display(config_path)
        if anonymized and Path(config_path).is_absolute():
            config_path = Path(config_path).name
        started = datetime.now().isoformat(timespec="seconds")
        clock = time.perf_counter()
        results = run_notebooks(cfg.notebooks, run_dir, cfg.parameters, anonymized, cfg.jobs, kernel_server)
    info_file = data_dir / "sample_info.yaml"
    synthetic = bool(info_file.is_file() and (load_yaml(info_file) or {}).get("synthetic"))
    prov = {
        "run": name,
        "started": started,
        "finished": datetime.now().isoformat(timespec="seconds"),
        "config": config_path,
        "parameters": parameters,
        "synthetic_data": synthetic,
        "notebooks": [r.__dict__ for r in results],
        "inputs": inputs,
        "packages": provenance.package_versions(),
        "git": provenance.git_state(),
        "machine": provenance.machine(),
    }
    (run_dir / "parameters.yaml").write_text(
        yaml.safe_dump(
            {"config": config_path, "parameters": parameters, "per_notebook": {r.notebook: r.parameters for r in results}},
            allow_unicode=True,
            sort_keys=False,
        ),
        encoding="utf-8",
    )
    (run_dir / "provenance.json").write_text(json.dumps(prov, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    index = write_index(run_dir, cfg.title, results, parameters, prov, synthetic, name)
    pages = [r.html for r in results if r.html]
    pages += written_pages(run_dir, pages)
    finish_site(run_dir, pages, cfg.title)
    failed = [r for r in results if not r.ok]
    print(
        f"\n{len(results) - len(failed)} of {len(results)} notebooks ran; the HTML report was ready in"
        f" {time.perf_counter() - clock:.1f} s ({cfg.jobs} at a time; the notebooks' own times add up to"
        f" {sum(r.seconds for r in results):.1f} s)",
        file=sys.stderr,
    )
    if cfg.pdf:  # after the HTML is complete: a machine without a browser still has the whole report
        pdfs, message = print_pdfs(run_dir, ["index.html", *pages])
        print(message or f"PDF: {len(pdfs)} page(s) in {name}/{PDF_DIR}/", file=sys.stderr)
    for r in failed:
        print(
            f"  failed: {r.notebook} at cell {(r.error or {}).get('cell_index')}: {(r.error or {}).get('ename')}: "
            f"{(r.error or {}).get('evalue')}",
            file=sys.stderr,
        )
    return results, index


def run_summaries(run_dir: Path) -> dict:
    """The headline results notebooks left in the run folder (``summary_*.json``), merged."""
    out = {}
    for p in sorted(run_dir.glob("summary_*.json")):
        out.update(json.loads(p.read_text(encoding="utf-8")))
    return out


def write_comparison(batch_dir: Path, title: str, runs: list[dict]) -> Path:
    """A page with one row per run: its name, parameters, status, link, and its headline results."""
    keys = list(dict.fromkeys(k for r in runs for k in r["summary"]))
    head = "".join(f"<th>{html.escape(k)}</th>" for k in keys)
    rows = []
    for r in runs:
        status = '<span class="ok">完成 ok</span>' if r["ok"] else '<span class="failed">失败 failed</span>'
        params = html.escape(", ".join(f"{k}={v}" for k, v in r["parameters"].items()))
        cells = "".join(f"<td>{_cell(r['summary'].get(k))}</td>" for k in keys)
        rows.append(
            f'<tr><td><a href="{html.escape(r["name"])}/index.html">{html.escape(r["name"])}</a></td>'
            f"<td>{params}</td><td>{status}</td>{cells}</tr>"
        )
    page = f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body {{ font-family: "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif; margin: 2rem; }}
table {{ border-collapse: collapse; }} td, th {{ border: 1px solid #ccc; padding: .3rem .6rem; text-align: right; }}
td:first-child, td:nth-child(2) {{ text-align: left; }} .ok {{ color: #1a7f37; }} .failed {{ color: #b42318; }}</style>
</head><body><h1>{html.escape(title)}</h1>
<p>{len(runs)} 次运行 runs · {html.escape(datetime.now().isoformat(timespec="seconds"))}</p>
<table><tr><th>run</th><th>参数 parameters</th><th>状态 status</th>{head}</tr>
{"".join(rows)}</table></body></html>
"""
    path = batch_dir / "index.html"
    path.write_text(page, encoding="utf-8")
    return path


def _cell(value) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}"
    return html.escape("—" if value is None else str(value))


def run_batch(batch_file: Path, reports_dir: Path, overwrite: bool, jobs: int = 1, warm: bool = True) -> int:
    """One run per parameter set of ``batch_file`` under reports/<batch>/<name>/, and a comparison
    page; every name and parameter set is checked before the first run starts."""
    batch = load_yaml(batch_file)
    config = paths.resolve(batch.get("config", paths.PARAMS_DIR / "default.yaml"))
    try:
        name = check_name(batch.get("name", batch_file.stem), f"{batch_file}: batch name")
        entries = [(check_name(e["name"], f"{batch_file}: run name"), dict(e.get("parameters") or {})) for e in batch["runs"]]
        if len({n for n, _ in entries}) < len(entries):
            raise RunError(f"{batch_file}: two runs share a name; give each run its own")
        configs = [(n, p, load_run_config(config, p, batch.get("only"))) for n, p in entries]
        problems = [f"{n}: {why}" for n, _, cfg in configs for why in cfg.problems()]
        if problems:
            raise RunError(f"{batch_file}: " + "; ".join(problems))
        runs, failed = [], 0
        with RunFolder(reports_dir, name, overwrite) as batch_dir:
            for run_name, given, cfg in configs:
                cfg.pdf = False  # a batch compares runs; print a run on its own for its PDFs
                cfg.jobs = jobs
                cfg.warm_kernels = warm
                run_dir = batch_dir / run_name
                run_dir.mkdir()
                results, _ = execute_run(cfg, run_dir, str(config))
                ok = bool(results) and all(r.ok for r in results)
                failed += not ok
                runs.append({"name": run_name, "parameters": given, "ok": ok, "summary": run_summaries(run_dir)})
            write_comparison(batch_dir, batch.get("title", name), runs)
    except RunError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"Comparison: {reports_dir.resolve() / name / 'index.html'}")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Run the notebooks with papermill and write reports/<run>/.")
    ap.add_argument("--config", default=str(paths.PARAMS_DIR / "default.yaml"), help="YAML with notebooks and parameters")
    ap.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="override a parameter (value read as YAML: 2022, true, null, text)",
    )
    ap.add_argument("--run", default=None, help="run folder name under reports/ (default: a timestamp)")
    ap.add_argument("--reports-dir", default=str(paths.REPORTS_DIR), help="where run folders go")
    ap.add_argument("--only", nargs="*", default=None, help="run only notebooks whose file name contains one of these")
    ap.add_argument("--overwrite", action="store_true", help="replace an existing run folder of the same name")
    ap.add_argument("--no-pdf", action="store_true", help="write no PDF of the pages (they follow the HTML and need Chromium)")
    ap.add_argument("--batch", default=None, help="YAML list of parameter sets: one run each and a comparison page")
    ap.add_argument(
        "--jobs", type=int, default=os.cpu_count() or 1, help="notebooks run at a time, the longest first (default: the cores)"
    )
    ap.add_argument(
        "--cold-kernels",
        action="store_true",
        help="start each notebook's kernel from scratch instead of forking it from one that imported the pages once",
    )
    a = ap.parse_args(argv)

    reports_dir = paths.resolve(a.reports_dir, Path.cwd())
    if a.batch:
        return run_batch(paths.resolve(a.batch, Path.cwd()), reports_dir, a.overwrite, max(1, a.jobs), not a.cold_kernels)
    overrides = {name: parse_value(value) for name, value in a.parameter}
    cfg = load_run_config(paths.resolve(a.config, Path.cwd()), overrides, a.only)
    cfg.pdf = not a.no_pdf
    cfg.jobs = max(1, a.jobs)
    cfg.warm_kernels = not a.cold_kernels
    name = a.run if a.run is not None else default_run_name()
    try:
        problems = cfg.problems()
        if problems:
            raise RunError("; ".join(problems))
        with RunFolder(reports_dir, name, a.overwrite) as staging:
            results, _ = execute_run(cfg, staging, str(a.config), name)
    except RunError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    index = reports_dir.resolve() / name / "index.html"
    print(f"Report: {index}" if results else f"Problems to fix: {index}")
    return 0 if results and all(r.ok for r in results) else 1


def end_process(code: int) -> None:
    """End the command with ``code`` once the exit handlers have run (the kernel server stopped, the
    staging folder's lock released, temporary folders removed) and the output is flushed, without
    Python's teardown of every module and object the run left: it took 0.43–0.55 s after the report
    was complete, on the sample, against 0.02 s. With a thread still running, the usual exit, which waits
    for it."""
    import atexit
    import threading

    if threading.active_count() > 1:
        raise SystemExit(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(code)


if __name__ == "__main__":
    end_process(main())
