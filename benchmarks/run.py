"""``make bench`` (``python -m benchmarks.run``): our evaluation against DuckDB, polars and a floor,
like with like, at several sizes; optionally the naive script, the maps and dask.

Two paths are measured for every engine, each in a process of its own (its peak memory is its own):

- **first run**: from the raw files of the folder to the classes and the 街道 totals, including
  whatever the engine keeps for next time (ours: the checked folder's cache; DuckDB: a database
  file; polars and the floor: Parquet files of the columns they read), written into an empty cache;
- **re-run**: from that cache to the same results.

Runs are interleaved (every engine's first run, then every engine's re-run, ``--repeat`` times) and
medians are reported, with CPU time (user + system) beside wall time. Each engine's classes and zone
totals are compared with ours. The table is printed and written to ``reports/benchmarks/``
(``benchmark.md``, ``records.csv``, ``stages.csv``, ``summary.csv``, ``agreement.csv``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

from helpers.core import paths

from .data import bench_folder, bench_root, shapefile_of
from .measure import Stages, memory_state

DEFAULT_SIZES = [10_000, 100_000, 1_000_000]
DEFAULT_SEED = 20220623
PEERS = ("ours", "duckdb", "polars", "floor")
PATHS = ("first", "rerun")
PATH_NAMES = {"first": "first run (raw files → results, cache written)", "rerun": "re-run (own cache → results)"}
TARGETS = {"rerun_vs_polars": 1.0, "first_vs_duckdb": 1.5, "peak_mb": 3072}


# ------------------------------------------------------------------ one engine, in a child process
def child(engine: str, n: int, folder: Path, year: int, work: Path, partitioned: Path | None, workers: int) -> None:
    from helpers.evaluate.methods import load_method

    stages = Stages(engine, n, children=engine.startswith("dask"))
    method = load_method("linping_default")
    kind, _, path = engine.partition("-")
    first = path == "first"
    classes = totals = None
    if kind == "ours" and path in PATHS:
        from .ours import run_ours

        if first:  # an empty cache: the first run writes it (MUJUN_CACHE_DIR is this engine's own)
            shutil.rmtree(paths.CACHE_DIR, ignore_errors=True)
        result = run_ours(folder, year, stages, first)
        classes, totals = result["classes"], result["zones"].reset_index()
    elif engine == "ours-outputs":
        from .ours import run_outputs

        run_outputs(folder, year, work, stages)
    elif kind == "duckdb":
        from .duckdb_peer import run_duckdb

        classes, totals = run_duckdb(folder, year, method, stages, work / "cache" / "duckdb", first)
    elif kind == "polars":
        from .polars_peer import run_polars

        classes, totals = run_polars(folder, year, method, stages, work / "cache" / "polars", first)
    elif kind == "floor":
        from .comparators import run_floor

        run_floor(folder, year, stages, work / "cache" / "floor", first)
    elif engine == "naive":
        from .comparators import run_naive

        classes = run_naive(folder, shapefile_of(folder), year, method, stages)
    elif kind == "dask":
        import logging

        from distributed import Client, LocalCluster

        logging.getLogger("distributed.shuffle").setLevel(logging.ERROR)  # "shuffle initialized" notices

        from helpers.scale.dask_engine import evaluate_partitioned

        with (
            LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
            Client(cluster),
        ):
            with stages.stage(f"dask, {workers} worker(s): evaluate the partitioned dataset") as note:
                result = evaluate_partitioned(partitioned, year, method)
                note["partitions"] = result.n_partitions
            classes = result.enterprises.set_index("credit_code")["class"]
    else:
        raise SystemExit(f"unknown engine {engine!r}")
    (work / f"{engine}.json").write_text(json.dumps(stages.records, ensure_ascii=False), encoding="utf-8")
    if classes is not None:
        pd.DataFrame({"credit_code": classes.index.astype(str), "class": classes.astype("string").to_numpy()}).to_parquet(
            work / f"{kind}_classes.parquet", index=False
        )
    if totals is not None:
        totals = totals[["zone_code", "class", "used_mu", "tax_10k_yuan", "n_links"]].copy()
        totals[["zone_code", "class"]] = totals[["zone_code", "class"]].astype(str)
        totals.to_parquet(work / f"{kind}_zones.parquet", index=False)


def run_bounded(cmd: list[str], timeout: float, env: dict | None = None) -> str | None:
    """Run ``cmd`` from the project root in a session of its own: None when it succeeds, else why
    not (its exit code, or that it gave no result within ``timeout`` seconds and was stopped with
    every process it started, dask workers included). A hang is a result too: recorded, and the
    benchmark goes on."""
    process = subprocess.Popen(
        cmd, cwd=paths.PROJECT_ROOT, env={**os.environ, "PYTHONWARNINGS": "ignore", **(env or {})}, start_new_session=True
    )
    try:
        code = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        return f"no result after {timeout:g} s, stopped"
    return f"exit {code}" if code else None


def run_child(
    engine: str, n: int, folder: Path, args, work: Path, partitioned: Path | None = None, workers: int = 1, run: int = 1
) -> list[dict]:
    cmd = [sys.executable, "-m", "benchmarks.run", "--child", engine, "--sizes", str(n), "--folder", str(folder)]
    cmd += ["--year", str(args.year), "--work", str(work), "--workers", str(workers)]
    if partitioned:
        cmd += ["--partitioned", str(partitioned)]
    env = {"MUJUN_CACHE_DIR": str(work / "cache" / "ours")} if engine.startswith("ours") else {}
    t0 = time.perf_counter()
    why = run_bounded(cmd, args.timeout, env)
    if why:
        print(f"  {engine} at {n:,}: failed ({why})", flush=True)
        return [
            {
                "engine": engine,
                "n_parcels": n,
                "stage": "FAILED",
                "seconds": round(time.perf_counter() - t0, 1),
                "peak_mb": None,
                "in_total": False,
                "run": run,
                "failed": why,
            }
        ]
    records = [{**r, "run": run} for r in json.loads((work / f"{engine}.json").read_text(encoding="utf-8"))]
    total = sum(r["seconds"] for r in records if r["in_total"] or not any(x["in_total"] for x in records))
    print(f"  {engine:<13} {n:>10,} parcels, run {run}: {total:8.2f} s in {len(records)} stages", flush=True)
    return records


def collapse(records: pd.DataFrame) -> pd.DataFrame:
    """One row per engine, size and stage: the median wall and CPU time over the runs (and the
    fastest and slowest), the largest peak memory; notes from the first run."""
    keys = ["n_parcels", "engine", "stage"]
    grouped = records.groupby(keys, sort=False)
    out = grouped.first().reset_index()
    out["seconds"] = grouped["seconds"].median().to_numpy()
    out["cpu_s"] = grouped["cpu_s"].median().to_numpy() if "cpu_s" in records else None
    out["min_s"] = grouped["seconds"].min().to_numpy()
    out["max_s"] = grouped["seconds"].max().to_numpy()
    out["peak_mb"] = grouped["peak_mb"].max().to_numpy()
    out["runs"] = grouped["seconds"].count().to_numpy()
    return out.drop(columns="run")


def path_totals(records: pd.DataFrame) -> pd.DataFrame:
    """Per size, engine and run: the wall and CPU time of the whole path (its stages in the total)
    and its peak memory; then the median over the runs."""
    ok = records[records["stage"] != "FAILED"]
    failed = set(zip(records.loc[records["stage"] == "FAILED", "n_parcels"], records.loc[records["stage"] == "FAILED", "engine"]))
    per_run = (
        ok[ok["in_total"]]
        .groupby(["n_parcels", "engine", "run"])
        .agg(seconds=("seconds", "sum"), cpu_s=("cpu_s", "sum"), peak_mb=("peak_mb", "max"))
        .reset_index()
    )
    out = per_run.groupby(["n_parcels", "engine"]).agg(
        seconds=("seconds", "median"), cpu_s=("cpu_s", "median"), peak_mb=("peak_mb", "max"), runs=("run", "count")
    )
    out = out.reset_index()
    return out[[(n, e) not in failed for n, e in zip(out["n_parcels"], out["engine"])]]


def agreement(work: Path, n: int) -> list[dict]:
    """Each engine's classes and zone totals against ours: the share of our enterprises given the
    same class, the largest relative difference of land used and of tax allocated over every 街道 ×
    class cell (a cell one of them lacks counts as a difference of 1), link rows equal."""
    rows = []
    mine = work / "ours_classes.parquet"
    ours_zones = work / "ours_zones.parquet"
    for kind in ("naive", "duckdb", "polars", "dask"):
        row: dict = {"n_parcels": n, "engine": kind}
        theirs = work / f"{kind}_classes.parquet"
        if mine.is_file() and theirs.is_file():
            a = pd.read_parquet(mine).set_index("credit_code")["class"]
            b = pd.read_parquet(theirs).set_index("credit_code")["class"].reindex(a.index)
            row["same_classes"] = float((a.fillna("-") == b.fillna("-")).mean())
        zones = work / f"{kind}_zones.parquet"
        if ours_zones.is_file() and zones.is_file():
            a = pd.read_parquet(ours_zones).set_index(["zone_code", "class"])
            b = pd.read_parquet(zones).set_index(["zone_code", "class"])
            both = a.add_suffix("_ours").join(b.add_suffix("_theirs"), how="outer")
            for col in ("used_mu", "tax_10k_yuan"):
                x, y = both[f"{col}_ours"], both[f"{col}_theirs"]
                rel = ((x - y).abs() / x.abs().where(x.abs() > 0, 1)).fillna(1.0)
                row[f"{col}_max_rel_diff"] = float(rel.max()) if len(rel) else 0.0
            row["n_links_equal"] = bool((both["n_links_ours"] == both["n_links_theirs"]).all())
            row["cells"] = len(both)
        if len(row) > 2:
            rows.append(row)
    return rows


# ------------------------------------------------------------------ the table
def summarise(totals: pd.DataFrame) -> pd.DataFrame:
    """Per size and path: each peer's wall time, CPU time and peak memory, and our ratios to them."""
    rows = []
    for n, part in totals.groupby("n_parcels", sort=True):
        got = part.set_index("engine")
        for path in PATHS:
            row: dict = {"n_parcels": n, "path": path}
            for peer in PEERS:
                engine = f"{peer}-{path}"
                if engine in got.index:
                    row[f"{peer}_s"] = float(got.at[engine, "seconds"])
                    row[f"{peer}_cpu_s"] = float(got.at[engine, "cpu_s"])
                    row[f"{peer}_peak_mb"] = float(got.at[engine, "peak_mb"])
                    row["runs"] = int(got.at[engine, "runs"])
            for peer in PEERS[1:]:
                if row.get("ours_s") and row.get(f"{peer}_s"):
                    row[f"ours_vs_{peer}"] = row["ours_s"] / row[f"{peer}_s"]
                if row.get("ours_cpu_s") and row.get(f"{peer}_cpu_s"):  # a tiny path can take no measurable CPU
                    row[f"ours_vs_{peer}_cpu"] = row["ours_cpu_s"] / row[f"{peer}_cpu_s"]
            rows.append(row)
    return pd.DataFrame(rows)


def fmt(v, spec="{:,.2f}") -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return "—"
    return spec.format(v)


def _plain(v):
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return "—"
    return f"{int(v):,}" if isinstance(v, float) and v.is_integer() else v


def markdown(records: pd.DataFrame, summary: pd.DataFrame, agree: pd.DataFrame, extras: pd.DataFrame, note: str) -> str:
    lines = [
        "# Benchmark: 亩均效益 evaluation at scale, like with like",
        "",
        note,
        "",
        "## Ratios (ours ÷ theirs, wall time of the whole path, medians of interleaved runs; below 1 = we are faster)",
        "",
        "| parcels | path | ours s (CPU s) | DuckDB s (CPU s) | polars s (CPU s) | floor s (CPU s) | ours ÷ DuckDB | ours ÷ polars | ours ÷ floor | peak MB: ours / DuckDB / polars | runs |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]

    def both(r, peer):
        return f"{fmt(r.get(f'{peer}_s'))} ({fmt(r.get(f'{peer}_cpu_s'), '{:,.1f}')})"

    for r in summary.to_dict("records"):
        lines.append(
            f"| {r['n_parcels']:,} | {PATH_NAMES[r['path']]} | {both(r, 'ours')} | {both(r, 'duckdb')} | {both(r, 'polars')} | "
            f"{both(r, 'floor')} | {fmt(r.get('ours_vs_duckdb'))} | {fmt(r.get('ours_vs_polars'))} | {fmt(r.get('ours_vs_floor'))} | "
            f"{fmt(r.get('ours_peak_mb'), '{:,.0f}')} / {fmt(r.get('duckdb_peak_mb'), '{:,.0f}')} / "
            f"{fmt(r.get('polars_peak_mb'), '{:,.0f}')} | {_plain(r.get('runs'))} |"
        )
    t = TARGETS
    lines += [
        "",
        f"Targets (issue 19): re-run ≤ {t['rerun_vs_polars']:g}× polars; first run ≤ {t['first_vs_duckdb']:g}× DuckDB; "
        f"peak memory ≤ {t['peak_mb']:,} MB at 1,000,000 parcels.",
        "",
        "## Same results? (each engine against ours)",
        "",
        "| parcels | engine | same class | land used per 街道 × class: largest relative difference | tax allocated: largest relative difference | link rows equal | cells |",
        "|---:|---|---:|---:|---:|:-:|---:|",
    ]
    for r in agree.to_dict("records"):
        lines.append(
            f"| {r['n_parcels']:,} | {r['engine']} | {fmt(r.get('same_classes'), '{:.2%}')} | "
            f"{fmt(r.get('used_mu_max_rel_diff'), '{:.1e}')} | {fmt(r.get('tax_10k_yuan_max_rel_diff'), '{:.1e}')} | "
            f"{'✓' if r.get('n_links_equal') is True else ('✗' if r.get('n_links_equal') is False else '—')} | {_plain(r.get('cells'))} |"
        )
    if not extras.empty:
        lines += [
            "",
            "## Other engines (once, not in the ratios)",
            "",
            "| parcels | engine | seconds | CPU s | peak MB |",
            "|---:|---|---:|---:|---:|",
        ]
        for r in extras.to_dict("records"):
            lines.append(
                f"| {r['n_parcels']:,} | {r['engine']} | {fmt(r['seconds'])} | {fmt(r['cpu_s'], '{:,.1f}')} | {fmt(r['peak_mb'], '{:,.0f}')} |"
            )
    outputs = records[records["engine"] == "ours-outputs"]
    if not outputs.empty:
        lines += [
            "",
            "## Our maps and exports (once, after an evaluation)",
            "",
            "| parcels | output | seconds | peak MB | notes |",
            "|---:|---|---:|---:|---|",
        ]
        for r in outputs.to_dict("records"):
            notes = ", ".join(f"{k}={_plain(r[k])}" for k in ("drawn_as", "page_mb") if k in r and pd.notna(r[k]))
            lines.append(
                f"| {r['n_parcels']:,} | {r['stage']} | {fmt(r['seconds'])} | {fmt(r['peak_mb'], '{:,.0f}')} | {notes} |"
            )
    lines += [
        "",
        "## Stages (wall time median, CPU time median, peak resident memory of the engine's processes)",
        "",
        "| parcels | engine | stage | seconds | CPU s | fastest – slowest | runs | peak MB | in the path's total | notes |",
        "|---:|---|---|---:|---:|---:|---:|---:|:-:|---|",
    ]
    skip = {"Index", "engine", "n_parcels", "stage", "seconds", "cpu_s", "peak_mb", "in_total", "min_s", "max_s", "runs"}
    for r in records.itertuples():
        extra = {k: v for k, v in r._asdict().items() if k not in skip and pd.notna(v)}
        spread = f"{fmt(r.min_s)} – {fmt(r.max_s)}" if r.runs > 1 else ""
        lines.append(
            f"| {r.n_parcels:,} | {r.engine} | {r.stage} | {fmt(r.seconds)} | {fmt(getattr(r, 'cpu_s', None))} | {spread} | {r.runs} | "
            f"{fmt(r.peak_mb, '{:,.0f}')} | {'✓' if r.in_total else ''} | {', '.join(f'{k}={_plain(v)}' for k, v in extra.items())} |"
        )
    return "\n".join(lines) + "\n"


def tile_partitioned(source: Path, copies: int, out: Path) -> Path:
    """``copies`` copies of a partitioned dataset, ids suffixed ``~k`` (same geometry): 10,000,000 parcels
    from the 1,000,000 folder without generating them (the generator's time grows with n)."""
    import shutil

    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    if (out / "info.json").is_file():
        return out
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    for table in ("parcels", "enterprise_parcels", "enterprises", "panel"):
        (tmp / table).mkdir(parents=True)
        for part in sorted((source / table).glob("*.parquet")):
            t = pq.read_table(part)
            for k in range(copies):
                cols = {}
                for name in ("parcel_id", "credit_code"):
                    if name in t.column_names:
                        cols[name] = pc.binary_join_element_wise(t[name].cast(pa.string()), pa.scalar(f"~{k}"), "")
                tk = t
                for name, col in cols.items():
                    tk = tk.set_column(tk.column_names.index(name), name, col)
                pq.write_table(tk.replace_schema_metadata(t.schema.metadata), tmp / table / f"{part.stem}-copy{k}.parquet")
    for f in ("zones.parquet", "info.json"):
        shutil.copy(source / f, tmp / f)
    tmp.rename(out)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Benchmark the evaluation against DuckDB, polars and a floor (see docs/scale.md).")
    ap.add_argument("--sizes", type=int, nargs="*", default=DEFAULT_SIZES)
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--year", type=int, default=2023)
    ap.add_argument("--naive-max", type=int, default=100_000, help="run the naive script (once) up to this size")
    ap.add_argument("--outputs", action="store_true", help="also time our maps and exports once per size")
    ap.add_argument(
        "--dask-sizes", type=int, nargs="*", default=[], help="dask engine at these sizes (10,000,000 = the 1,000,000 folder ×10)"
    )
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--keep", action="store_true", help="keep the earlier table's rows of sizes not run now")
    ap.add_argument("--repeat", type=int, default=3, help="interleaved runs of every engine's two paths (medians reported)")
    ap.add_argument("--out", default="reports/benchmarks")
    ap.add_argument(
        "--timeout",
        type=float,
        default=3600,
        help="seconds one engine may take at one size before it is stopped and recorded as failed",
    )
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--folder", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--work", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--partitioned", default=None, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        child(
            a.child,
            a.sizes[0],
            Path(a.folder),
            a.year,
            Path(a.work),
            Path(a.partitioned) if a.partitioned else None,
            a.workers[0],
        )
        return 0
    memory_at_start = memory_state()  # first touches of memory: most of a large run's system time
    out = paths.resolve(a.out, Path.cwd())
    out.mkdir(parents=True, exist_ok=True)
    records: list[dict] = []
    agree: list[dict] = []
    for n in a.sizes:
        t0 = time.perf_counter()
        folder = bench_folder(n, a.seed)
        print(f"{n:,} parcels: data in {folder} ({time.perf_counter() - t0:.0f} s to generate or find)", flush=True)
        work = out / f"n{n}"
        shutil.rmtree(work / "cache", ignore_errors=True)
        work.mkdir(parents=True, exist_ok=True)
        for run in range(1, a.repeat + 1):  # this machine's timings wander: interleaved runs, medians
            for path in PATHS:
                for peer in PEERS:
                    records += run_child(f"{peer}-{path}", n, folder, a, work, run=run)
        if n <= a.naive_max:
            records += run_child("naive", n, folder, a, work)
        if a.outputs:
            records += run_child("ours-outputs", n, folder, a, work)
        agree += agreement(work, n)
    for n in a.dask_sizes:
        base = min(n, 1_000_000)
        partitioned = bench_root() / f"n{base}-seed{a.seed}" / "partitioned"
        if not (partitioned / "info.json").is_file():
            from helpers.io.dataset import load_dataset
            from helpers.scale.dask_engine import write_partitioned

            t0 = time.perf_counter()
            write_partitioned(load_dataset(bench_folder(base, a.seed)), partitioned, npartitions=max(2, base // 125_000))
            print(f"partitioned dataset of {base:,} parcels written in {time.perf_counter() - t0:.0f} s", flush=True)
        if n > base:
            partitioned = tile_partitioned(partitioned, n // base, bench_root() / f"n{n}-seed{a.seed}-tiled" / "partitioned")
        work = out / f"n{n}"
        work.mkdir(parents=True, exist_ok=True)
        for w in a.workers:
            records += run_child(f"dask-{w}", n, bench_folder(base, a.seed), a, work, partitioned, w)
    raw = pd.DataFrame(records)
    agreed = pd.DataFrame(agree)
    if a.keep and (out / "records.csv").is_file():  # earlier measurements of sizes not run now
        earlier = pd.read_csv(out / "records.csv")
        raw = pd.concat([earlier[~earlier["n_parcels"].isin(raw["n_parcels"])], raw], ignore_index=True)
        if (out / "agreement.csv").is_file():
            before = pd.read_csv(out / "agreement.csv")
            agreed = pd.concat([before[~before["n_parcels"].isin(a.sizes)], agreed])
    raw = raw.sort_values(["n_parcels"], kind="stable").reset_index(drop=True)
    raw.to_csv(out / "records.csv", index=False)
    table = collapse(raw)
    totals = path_totals(raw)
    summary = summarise(totals)
    extras = totals[~totals["engine"].str.endswith(PATHS) & (totals["engine"] != "ours-outputs")]
    note = (
        f"Synthetic parcels from `helpers.synthetic.sample` (seed {a.seed}, year {a.year}); machine: {os.cpu_count()} cores, "
        f"Python {sys.version.split()[0]}; memory at the start: {memory_at_start}. Measured by `python -m benchmarks.run {' '.join(argv if argv is not None else sys.argv[1:])}`"
        + ("; sizes not run now are kept from the earlier run in the same folder." if a.keep else ".")
        + " The raw files are in the operating system's page cache for every engine alike (each engine reads them in every run)."
    )
    table.to_csv(out / "stages.csv", index=False)
    summary.to_csv(out / "summary.csv", index=False)
    agreed.to_csv(out / "agreement.csv", index=False)
    text = markdown(table, summary, agreed, extras, note)
    (out / "benchmark.md").write_text(text, encoding="utf-8")
    print(text)
    print(f"Written: {out / 'benchmark.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
