"""``make bench`` (``python -m benchmarks.run``): time every stage of the evaluation at several
sizes, against a floor, a naive script and DuckDB, and (optionally) on dask with 1 and 2 workers.

Each engine runs in its own process, so that its peak memory is its own. The table is printed and
written to ``reports/benchmarks/`` (``benchmark.md``, ``stages.csv``, ``summary.csv``).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

from helpers.core import paths

from .data import bench_folder, bench_root, shapefile_of
from .measure import Stages

DEFAULT_SIZES = [10_000, 100_000, 1_000_000]
DEFAULT_SEED = 20220623
TARGETS = {"evaluation_s": 15.0, "floor_ratio": 3.0, "duckdb_ratio": 1.0, "peak_mb": 4096, "map_s": 20.0, "page_mb": 10.0}


# ------------------------------------------------------------------ one engine, in a child process
def child(engine: str, n: int, seed: int, year: int, work: Path, partitioned: Path | None, workers: int) -> None:
    from helpers.evaluate.methods import load_method

    folder = None if engine.startswith("dask") else bench_folder(n, seed)  # dask reads the partitioned dataset
    stages = Stages("ours" if engine == "ours-warm" else engine, n, children=engine.startswith("dask"))
    method = load_method("linping_default")
    classes = None
    if engine == "ours":
        classes = __import__("benchmarks.ours", fromlist=["run_ours"]).run_ours(folder, year, work, stages)["classes"]
    elif engine == "ours-warm":
        classes = __import__("benchmarks.ours", fromlist=["run_ours"]).run_ours(
            folder, year, work, stages, cold=False, outputs=False
        )["classes"]
    elif engine == "floor":
        from .comparators import run_floor

        run_floor(folder, year, stages)
    elif engine == "naive":
        from .comparators import run_naive

        classes = run_naive(folder, shapefile_of(folder), year, method, stages)
    elif engine == "duckdb":
        from .comparators import run_duckdb

        classes = run_duckdb(folder, year, method, stages)
    elif engine.startswith("dask"):
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
    (work / f"{engine}.json").write_text(json.dumps(stages.records, ensure_ascii=False), encoding="utf-8")
    if classes is not None:
        pd.DataFrame({"credit_code": classes.index.astype(str), "class": classes.astype("string").to_numpy()}).to_parquet(
            work / f"{engine}_classes.parquet", index=False
        )


def run_bounded(cmd: list[str], timeout: float) -> str | None:
    """Run ``cmd`` from the project root in a session of its own: None when it succeeds, else why
    not (its exit code, or that it gave no result within ``timeout`` seconds and was stopped with
    every process it started, dask workers included). A hang is a result too: recorded, and the
    benchmark goes on."""
    process = subprocess.Popen(
        cmd, cwd=paths.PROJECT_ROOT, env={**os.environ, "PYTHONWARNINGS": "ignore"}, start_new_session=True
    )
    try:
        code = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        return f"no result after {timeout:g} s, stopped"
    return f"exit {code}" if code else None


def run_child(
    engine: str, n: int, args, work: Path, partitioned: Path | None = None, workers: int = 1, run: int = 1
) -> list[dict]:
    cmd = [
        sys.executable,
        "-m",
        "benchmarks.run",
        "--child",
        engine,
        "--sizes",
        str(n),
        "--seed",
        str(args.seed),
        "--year",
        str(args.year),
        "--work",
        str(work),
        "--workers",
        str(workers),
    ]
    if partitioned:
        cmd += ["--partitioned", str(partitioned)]
    t0 = time.perf_counter()
    why = run_bounded(cmd, args.timeout)
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
    total = sum(r["seconds"] for r in records)
    print(f"  {engine:<10} {n:>10,} parcels, run {run}: {total:8.1f} s in {len(records)} stages", flush=True)
    return records


def collapse(records: pd.DataFrame) -> pd.DataFrame:
    """One row per engine, size and stage: the median time over the runs (and the fastest and
    slowest), the largest peak memory; notes from the first run."""
    keys = ["n_parcels", "engine", "stage"]
    grouped = records.groupby(keys, sort=False)
    out = grouped.first().reset_index()
    out["seconds"] = grouped["seconds"].median().to_numpy()
    out["min_s"] = grouped["seconds"].min().to_numpy()
    out["max_s"] = grouped["seconds"].max().to_numpy()
    out["peak_mb"] = grouped["peak_mb"].max().to_numpy()
    out["runs"] = grouped["seconds"].count().to_numpy()
    return out.drop(columns="run")


def agreement(work: Path, engine: str) -> float | None:
    """Share of our enterprises' classes that ``engine`` gives too (missing class = not evaluated)."""
    mine, theirs = work / "ours_classes.parquet", work / f"{engine}_classes.parquet"
    if not (mine.is_file() and theirs.is_file()):
        return None
    a = pd.read_parquet(mine).set_index("credit_code")["class"]
    b = pd.read_parquet(theirs).set_index("credit_code")["class"].reindex(a.index)
    return float((a.fillna("-") == b.fillna("-")).mean())


# ------------------------------------------------------------------ the table
def summarise(records: pd.DataFrame, agree: dict) -> pd.DataFrame:
    rows = []
    for n, part in records.groupby("n_parcels", sort=True):

        def total(engine, in_total_only=False):
            r = part[(part["engine"] == engine) & (part["stage"] != "FAILED")]
            if r.empty or (part[(part["engine"] == engine)]["stage"] == "FAILED").any():
                return None
            return float(r.loc[r["in_total"], "seconds"].sum() if in_total_only else r["seconds"].sum())

        ours = part[part["engine"] == "ours"]
        warm = total("ours", in_total_only=True)
        first = ours[ours["stage"].str.contains("first run") & ~ours["stage"].str.startswith("cache")]["seconds"].sum()
        cold = (
            warm - float(ours[ours["stage"].str.startswith("read: GeoParquet")]["seconds"].sum()) + float(first)
            if warm is not None
            else None
        )
        floor, naive, duck = total("floor"), total("naive"), total("duckdb")
        stage = lambda s: ours.loc[ours["stage"].str.startswith(s)]  # noqa: E731
        page = stage("interactive map")
        rows.append(
            {
                "n_parcels": n,
                "ours_evaluation_s": warm,
                "ours_first_run_s": cold,
                "floor_s": floor,
                "naive_s": naive,
                "duckdb_s": duck,
                "ratio_to_floor": warm / floor if warm and floor else None,
                "ratio_to_naive": warm / naive if warm and naive else None,
                "ratio_to_duckdb": warm / duck if warm and duck else None,
                "first_run_ratio_to_duckdb": cold / duck if cold and duck else None,
                "peak_mb_evaluation": float(ours.loc[ours["in_total"], "peak_mb"].max()) if not ours.empty else None,
                "static_map_s": float(stage("static map")["seconds"].sum()) if not ours.empty else None,
                "page_mb": float(page["page_mb"].iloc[0]) if "page_mb" in page and not page.empty else None,
                "naive_same_classes": agree.get((n, "naive")),
                "duckdb_same_classes": agree.get((n, "duckdb")),
                **{f"dask_{w}w_s": total(f"dask-{w}") for w in (1, 2)},
            }
        )
    return pd.DataFrame(rows)


def fmt(v, spec="{:,.2f}") -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return "—"
    return spec.format(v)


def _plain(v):
    return f"{int(v):,}" if isinstance(v, float) and v.is_integer() else v


def markdown(records: pd.DataFrame, summary: pd.DataFrame, note: str) -> str:
    lines = [
        "# Benchmark: 亩均效益 evaluation at scale",
        "",
        note,
        "",
        "## Stages (wall time, peak resident memory of the engine's processes)",
        "",
        "| parcels | engine | stage | seconds (median) | fastest – slowest | runs | peak MB | in the evaluation total | notes |",
        "|---:|---|---|---:|---:|---:|---:|:-:|---|",
    ]
    for r in records.itertuples():
        extra = {
            k: v
            for k, v in r._asdict().items()
            if k not in ("Index", "engine", "n_parcels", "stage", "seconds", "peak_mb", "in_total", "min_s", "max_s", "runs")
            and pd.notna(v)
        }
        spread = f"{fmt(r.min_s)} – {fmt(r.max_s)}" if r.runs > 1 else ""
        lines.append(
            f"| {r.n_parcels:,} | {r.engine} | {r.stage} | {fmt(r.seconds)} | {spread} | {r.runs} | "
            f"{fmt(r.peak_mb, '{:,.0f}')} | "
            f"{'✓' if r.in_total else ''} | {', '.join(f'{k}={_plain(v)}' for k, v in extra.items())} |"
        )
    lines += [
        "",
        "## Summary (ratios: our evaluation time ÷ theirs; below 1 = we are faster)",
        "",
        "| parcels | ours: evaluation (re-run) s | ours: first run s | floor s | naive s | DuckDB s | ÷ floor | ÷ naive | ÷ DuckDB | first run ÷ DuckDB | peak MB | static map s | page MB | naive same classes | DuckDB same classes | dask 1 worker s | dask 2 workers s |",
        "|---:|" + "---:|" * 16,
    ]
    for r in summary.itertuples():
        lines.append(
            " | ".join(
                [
                    f"| {r.n_parcels:,}",
                    fmt(r.ours_evaluation_s),
                    fmt(r.ours_first_run_s),
                    fmt(r.floor_s),
                    fmt(r.naive_s),
                    fmt(r.duckdb_s),
                    fmt(r.ratio_to_floor),
                    fmt(r.ratio_to_naive, "{:,.3f}"),
                    fmt(r.ratio_to_duckdb),
                    fmt(r.first_run_ratio_to_duckdb),
                    fmt(r.peak_mb_evaluation, "{:,.0f}"),
                    fmt(r.static_map_s),
                    fmt(r.page_mb),
                    fmt(r.naive_same_classes, "{:.2%}"),
                    fmt(r.duckdb_same_classes, "{:.2%}"),
                    fmt(r.dask_1w_s),
                    fmt(r.dask_2w_s),
                ]
            )
            + " |"
        )
    t = TARGETS
    lines += [
        "",
        f"Targets: evaluation (read → classes and zone aggregates) < {t['evaluation_s']:g} s at 1,000,000 parcels, "
        f"≤ {t['floor_ratio']:g}× the floor, ≤ {t['duckdb_ratio']:g}× DuckDB, peak < {t['peak_mb']:,} MB; "
        f"static map < {t['map_s']:g} s; interactive page < {t['page_mb']:g} MB.",
    ]
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
    ap = argparse.ArgumentParser(description="Benchmark the evaluation at several sizes (see README, 'Scale').")
    ap.add_argument("--sizes", type=int, nargs="*", default=DEFAULT_SIZES)
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--year", type=int, default=2023)
    ap.add_argument("--naive-max", type=int, default=1_000_000, help="skip the naive script above this size")
    ap.add_argument(
        "--dask-sizes", type=int, nargs="*", default=[], help="dask engine at these sizes (10,000,000 = the 1,000,000 folder ×10)"
    )
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--keep", action="store_true", help="keep the earlier table's rows of sizes and engines not run now")
    ap.add_argument("--repeat", type=int, default=3, help="runs of our evaluation, the floor and DuckDB (medians reported)")
    ap.add_argument("--out", default="reports/benchmarks")
    ap.add_argument(
        "--timeout",
        type=float,
        default=3600,
        help="seconds one engine may take at one size before it is stopped and recorded as failed",
    )
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--work", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--partitioned", default=None, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        child(a.child, a.sizes[0], a.seed, a.year, Path(a.work), Path(a.partitioned) if a.partitioned else None, a.workers[0])
        return 0
    out = paths.resolve(a.out, Path.cwd())
    out.mkdir(parents=True, exist_ok=True)
    records: list[dict] = []
    agree: dict = {}
    for n in a.sizes:
        t0 = time.perf_counter()
        folder = bench_folder(n, a.seed)
        print(f"{n:,} parcels: data in {folder} ({time.perf_counter() - t0:.0f} s to generate or find)", flush=True)
        work = out / f"n{n}"
        work.mkdir(parents=True, exist_ok=True)
        engines = ["ours", "floor", "duckdb"] + (["naive"] if n <= a.naive_max else [])
        for engine in engines:
            records += run_child(engine, n, a, work)
        for run in range(2, a.repeat + 1):  # this machine's timings wander: medians of several runs
            for engine in ("ours-warm", "floor", "duckdb"):
                records += run_child(engine, n, a, work, run=run)
        for engine in ("naive", "duckdb"):
            if (value := agreement(work, engine)) is not None:
                agree[(n, engine)] = value
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
            records += run_child(f"dask-{w}", n, a, work, partitioned, w)
    raw = pd.DataFrame(records)
    if a.keep and (out / "records.csv").is_file():  # earlier measurements of sizes and engines not run now
        earlier = pd.read_csv(out / "records.csv")
        measured = set(zip(raw["n_parcels"], raw["engine"]))
        earlier = earlier[[(n, e) not in measured for n, e in zip(earlier["n_parcels"], earlier["engine"])]]
        raw = pd.concat([earlier, raw], ignore_index=True)
        for row in pd.read_csv(out / "summary.csv").itertuples():
            for engine in ("naive", "duckdb"):
                value = getattr(row, f"{engine}_same_classes")
                if (row.n_parcels, engine) not in agree and pd.notna(value):
                    agree[(row.n_parcels, engine)] = value
    order = {e: i for i, e in enumerate(["ours", "floor", "duckdb", "naive"])}
    raw = raw.sort_values(
        ["n_parcels", "engine"], key=lambda c: c.map(order).fillna(len(order)) if c.name == "engine" else c, kind="stable"
    ).reset_index(drop=True)
    raw.to_csv(out / "records.csv", index=False)
    table = collapse(raw)
    summary = summarise(table, agree)
    note = (
        f"Synthetic parcels from `helpers.synthetic.sample` (seed {a.seed}, year {a.year}); machine: {os.cpu_count()} cores, "
        f"Python {sys.version.split()[0]}. Measured by `python -m benchmarks.run {' '.join(argv or sys.argv[1:])}`"
        + ("; the rows of sizes and engines it did not run are kept from the earlier run in the same folder." if a.keep else ".")
    )
    table.to_csv(out / "stages.csv", index=False)
    summary.to_csv(out / "summary.csv", index=False)
    text = markdown(table, summary, note)
    (out / "benchmark.md").write_text(text, encoding="utf-8")
    print(text)
    print(f"Written: {out / 'benchmark.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
