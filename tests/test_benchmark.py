"""The benchmark command end to end at a small size: every stage timed, the three ratios
printed, and the naive script and DuckDB giving our classes (so the ratios compare like with like)."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from benchmarks.comparators import method_sql
from helpers.core import paths
from helpers.evaluate.methods import load_method

pytestmark = pytest.mark.slow  # runs the benchmark: make test, not make test-fast


def test_method_sql_has_one_branch_per_pool():
    sql = method_sql(load_method("linping_default"), 2023)
    assert sql.count("UNION ALL") == len(load_method("linping_default").pools) - 1
    assert "year = 2023" in sql and "RANK() OVER (ORDER BY score DESC)" in sql


def test_benchmark_prints_the_table_with_the_three_ratios(tmp_path):
    env = {**os.environ, "MUJUN_CACHE_DIR": str(tmp_path / "cache"), "PYTHONWARNINGS": "ignore"}
    out = tmp_path / "bench"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--sizes", "3000", "--repeat", "2", "--out", str(out)],
        cwd=paths.PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "÷ floor | ÷ naive | ÷ DuckDB" in done.stdout
    stages = pd.read_csv(out / "stages.csv")
    assert "FAILED" not in set(stages["stage"])
    ours = set(stages.loc[stages["engine"] == "ours", "stage"])
    for words in (
        "read: parse",
        "validate",
        "GeoParquet cache",
        "area",
        "classes",
        "spatial join",
        "aggregation",
        "static map",
        "interactive",
        "export",
    ):
        assert any(words in s for s in ours), words
    assert (stages["seconds"] >= 0).all() and (stages["peak_mb"] > 0).all()
    assert set(stages.loc[stages["engine"].isin(["floor", "duckdb"]), "runs"]) == {2}  # medians of 2 runs
    summary = pd.read_csv(out / "summary.csv").iloc[0]
    for col in ("ratio_to_floor", "ratio_to_naive", "ratio_to_duckdb"):
        assert summary[col] > 0, col
    assert summary["naive_same_classes"] == pytest.approx(1.0)
    assert summary["duckdb_same_classes"] == pytest.approx(1.0)
    assert (out / "benchmark.md").read_text(encoding="utf-8").startswith("# Benchmark")


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
