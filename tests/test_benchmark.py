"""The benchmark command end to end at a small size: both paths of every engine timed with CPU
time, the ratios printed, and DuckDB, polars and the naive script giving our classes and zone
totals (so the ratios compare like with like)."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from benchmarks.comparators import panel_inputs
from benchmarks.duckdb_peer import method_sql
from helpers.core import paths
from helpers.evaluate.methods import load_method

pytestmark = pytest.mark.slow  # runs the benchmark: make test, not make test-fast


def test_method_sql_has_one_branch_per_pool():
    sql = method_sql(load_method("linping_default"), 2023)
    assert sql.count("UNION ALL") == len(load_method("linping_default").pools) - 1
    assert "year = 2023" in sql and "RANK() OVER (ORDER BY score DESC)" in sql


def test_the_peers_read_the_panel_columns_the_method_needs_and_no_land():
    assert panel_inputs(load_method("linping_default")) == [
        "electricity_10k_kwh",
        "emissions_t",
        "employees",
        "energy_tce",
        "rd_10k_yuan",
        "revenue_10k_yuan",
        "tax_10k_yuan",
        "value_added_10k_yuan",
    ]


def test_benchmark_compares_both_paths_of_every_engine_like_with_like(tmp_path):
    env = {**os.environ, "MUJUN_CACHE_DIR": str(tmp_path / "cache"), "PYTHONWARNINGS": "ignore"}
    out = tmp_path / "bench"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--sizes", "3000", "--repeat", "2", "--outputs", "--out", str(out)],
        cwd=paths.PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "| ours ÷ DuckDB | ours ÷ polars | ours ÷ floor |" in done.stdout
    stages = pd.read_csv(out / "stages.csv")
    assert "FAILED" not in set(stages["stage"])
    engines = set(stages["engine"])
    assert {f"{e}-{p}" for e in ("ours", "duckdb", "polars", "floor") for p in ("first", "rerun")} <= engines
    first = " ".join(stages.loc[stages["engine"] == "ours-first", "stage"])
    for words in ("read and parse", "check every rule", "write the cache", "classes", "zone totals"):
        assert words in first, words
    rerun = " ".join(stages.loc[stages["engine"] == "ours-rerun", "stage"])
    assert "no outlines" in rerun and "check" not in rerun.replace("checked", "")
    outputs = " ".join(stages.loc[stages["engine"] == "ours-outputs", "stage"])
    for words in ("static map", "interactive", "export"):
        assert words in outputs, words
    assert (stages["seconds"] >= 0).all() and (stages["cpu_s"] >= 0).all() and (stages["peak_mb"] > 0).all()
    paths_run = stages[stages["engine"].str.endswith(("-first", "-rerun"))]
    assert set(paths_run["runs"]) == {2}  # medians of 2 interleaved runs
    # each peer's first run wrote its own cache, which its re-run read
    for peer, file in (("duckdb", "duckdb_cache.duckdb"), ("polars", "panel.parquet"), ("floor", "panel.parquet")):
        assert (out / "n3000" / "cache" / peer / file).is_file(), peer
    summary = pd.read_csv(out / "summary.csv").set_index("path")
    for path in ("first", "rerun"):
        assert summary.at[path, "ours_cpu_s"] > 0, path
        for peer in ("duckdb", "polars", "floor"):
            assert summary.at[path, f"ours_vs_{peer}"] > 0, (path, peer)
            # CPU time is counted in clock ticks: a path of a few milliseconds may show none, and then has no ratio
            if summary.at[path, f"{peer}_cpu_s"] > 0:
                assert summary.at[path, f"ours_vs_{peer}_cpu"] > 0, (path, peer)
            else:
                assert pd.isna(summary.at[path, f"ours_vs_{peer}_cpu"]), (path, peer)
    agreement = pd.read_csv(out / "agreement.csv").set_index("engine")
    for engine in ("naive", "duckdb", "polars"):
        assert agreement.at[engine, "same_classes"] == pytest.approx(1.0), engine
    for engine in ("duckdb", "polars"):
        assert agreement.at[engine, "used_mu_max_rel_diff"] < 1e-9, engine
        assert agreement.at[engine, "tax_10k_yuan_max_rel_diff"] < 1e-9, engine
        assert bool(agreement.at[engine, "n_links_equal"]), engine
    text = (out / "benchmark.md").read_text(encoding="utf-8")
    assert text.startswith("# Benchmark") and "memory at the start: " in text and " GiB, " in text


def test_the_note_says_when_linux_gives_huge_pages(tmp_path, monkeypatch):
    from benchmarks import measure

    setting = tmp_path / "enabled"
    setting.write_text("always [madvise] never\n")
    monkeypatch.setattr(measure, "HUGE_PAGES", setting)
    assert measure.memory_state().endswith("; transparent huge pages: madvise")
    monkeypatch.setattr(measure, "HUGE_PAGES", tmp_path / "absent")
    assert "huge pages" not in measure.memory_state() and " GiB, " in measure.memory_state()


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:  # the process went away between exists() and the read
        return "State:\tZ (gone)"


def test_a_hanging_engine_is_stopped_with_its_children_and_recorded(tmp_path):
    from benchmarks.run import run_bounded

    pid_file = tmp_path / "grandchild.pid"
    hang = (
        "import subprocess, sys, time, pathlib; "
        "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)']); "
        f"pathlib.Path({str(pid_file)!r}).write_text(str(p.pid)); time.sleep(120)"
    )
    assert run_bounded([sys.executable, "-c", hang], timeout=3) == "no result after 3 s, stopped"
    state = Path(f"/proc/{int(pid_file.read_text())}/status")
    # SIGKILL is delivered asynchronously: under load the grandchild can still show R for a moment
    deadline = time.monotonic() + 10
    while state.exists() and "State:\tZ" not in _read(state) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not state.exists() or "State:\tZ" in _read(state)  # gone, or a zombie: not running
    assert run_bounded([sys.executable, "-c", "raise SystemExit(3)"], timeout=30) == "exit 3"
    assert run_bounded([sys.executable, "-c", "pass"], timeout=30) is None
