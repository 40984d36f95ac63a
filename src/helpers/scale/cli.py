"""The evaluation without notebooks, for data too big for maps and charts: classes and zone totals
of one year, on the pandas engine or on dask (``python -m helpers.scale.cli``, ``make evaluate``).

``engine="pandas"`` reads the checked folder (from the cache of checked folders on a re-run) and
evaluates in this process. ``engine="dask"`` writes the checked folder once as a partitioned,
spatially shuffled GeoParquet dataset under ``.cache/partitioned/`` and evaluates it on a dask
cluster: a local one with ``workers`` processes, or an existing one at ``scheduler`` (a
``tcp://host:port`` address, i.e. several machines). Both write the same three tables.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from helpers.core import paths
from helpers.core.memory import reuse_freed_memory
from helpers.evaluate.frame import enterprise_year_frame, evaluate_frame
from helpers.evaluate.land import LAND_BASES
from helpers.evaluate.methods import load_method
from helpers.evaluate.scope import parse_streets
from helpers.evaluate.zones import dataset_zone_totals, zone_table
from helpers.io.cache import folder_key, wait_for_stores
from helpers.io.dataset import Dataset, load_dataset
from helpers.report.exports import write_csv

ENGINES = ("pandas", "dask")
ROWS_PER_PARTITION = 250_000
RESULT_COLUMNS = ["credit_code", "street_code", "status", "reason", "pool", "land_mu", "tax_10k_yuan", "score", "rank", "class"]


def partitioned_dir(data_dir: Path) -> Path:
    return paths.CACHE_DIR / "partitioned" / folder_key(data_dir)


def year_dataset(data_dir: Path, year: int, wait_for_cache: bool = True) -> Dataset:
    """What the pandas engine evaluates ``year`` on: the core tables without the parcels' outlines
    and with only that year's panel rows (no map is drawn, no other year is read); every year when
    ``year`` is not one of the panel's, so that ``require_year`` can name them.
    ``wait_for_cache=False``: a folder checked afresh comes back while its cache is written."""
    dataset = load_dataset(data_dir, records=False, outlines=False, years=(int(year),), wait_for_cache=wait_for_cache)
    return dataset if dataset.years else load_dataset(data_dir, records=False, outlines=False)


def evaluate_at_scale(
    data_dir: str | Path,
    year: int,
    method: str = "linping_default",
    streets=None,
    engine: str = "pandas",
    workers: int = 2,
    scheduler: str | None = None,
    land_basis: str = "declared",
) -> dict[str, pd.DataFrame]:
    """``enterprises`` (status, pool, score, class …), ``zones`` (zone_table) and ``benchmarks``."""
    if engine not in ENGINES:
        raise ValueError(f"engine = {engine!r}: use one of {', '.join(ENGINES)}")
    data_dir = paths.resolve(data_dir)
    method_spec = load_method(method)
    if engine == "pandas":
        dataset = year_dataset(data_dir, year, wait_for_cache=False)  # a first run evaluates while its cache is written
        try:
            frame, benchmarks = evaluate_frame(
                enterprise_year_frame(dataset, dataset.require_year(year), land_basis), method_spec, parse_streets(streets)
            )
            totals = dataset_zone_totals(dataset, frame)
        finally:
            wait_for_stores()
    else:
        from distributed import Client, LocalCluster

        from helpers.scale.dask_engine import evaluate_partitioned, write_partitioned

        source = partitioned_dir(data_dir)
        if not (source / "info.json").is_file():
            dataset = load_dataset(data_dir, records=False)
            dataset.require_year(year)
            write_partitioned(dataset, source, npartitions=max(1, -(-len(dataset.parcels) // ROWS_PER_PARTITION)))
        if scheduler:
            with Client(scheduler):
                result = evaluate_partitioned(source, year, method, streets, land_basis)
        else:
            with (
                LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
                Client(cluster),
            ):
                result = evaluate_partitioned(source, year, method, streets, land_basis)
        frame, benchmarks, totals = result.enterprises, result.benchmarks, result.totals
    return {"enterprises": frame[RESULT_COLUMNS], "zones": zone_table(totals), "benchmarks": benchmarks}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Classes and zone totals of one year, on pandas or on dask.")
    ap.add_argument("data_dir", nargs="?", default=str(paths.SAMPLE_DIR))
    ap.add_argument("--year", type=int, default=2023)
    ap.add_argument("--method", default="linping_default")
    ap.add_argument("--streets", default=None, help="街道 names or codes, comma-separated (default: all)")
    ap.add_argument("--land-basis", choices=list(LAND_BASES), default="declared", help="亩均 denominator (evaluate.land)")
    ap.add_argument("--engine", choices=ENGINES, default="pandas")
    ap.add_argument("--workers", type=int, default=2, help="dask: local worker processes")
    ap.add_argument("--scheduler", default=None, help="dask: address of a running scheduler (tcp://host:8786)")
    ap.add_argument("--out", default=None, help="output folder (default reports/scale_<engine>_<year>)")
    a = ap.parse_args(argv)
    reuse_freed_memory()  # a command that loads and evaluates a whole folder (helpers.core.memory)
    t0 = time.perf_counter()
    result = evaluate_at_scale(
        paths.resolve(a.data_dir, Path.cwd()), a.year, a.method, a.streets, a.engine, a.workers, a.scheduler, a.land_basis
    )
    out = paths.resolve(a.out or paths.REPORTS_DIR / f"scale_{a.engine}_{a.year}", Path.cwd())
    for name, table in result.items():
        print(write_csv(table, out / f"{name}_{a.year}.csv"))
    n = int((result["enterprises"]["status"] == "evaluated").sum())
    print(f"{n:,} enterprises evaluated on {a.engine} in {time.perf_counter() - t0:.1f} s")
    return 0


__all__ = ["evaluate_at_scale", "year_dataset", "ENGINES"]

if __name__ == "__main__":
    raise SystemExit(main())
