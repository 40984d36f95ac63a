"""This project's pipeline, stage by stage, with the functions ``make evaluate`` and the notebooks call."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from helpers.core.geography import load_boundary  # noqa: E402
from helpers.core.memory import reuse_freed_memory  # noqa: E402
from helpers.evaluate.frame import enterprise_year_frame, evaluate_frame  # noqa: E402
from helpers.evaluate.methods import load_method  # noqa: E402
from helpers.evaluate.zones import dataset_zone_totals  # noqa: E402
from helpers.io import cache  # noqa: E402
from helpers.io.check import check_inventory, settings  # noqa: E402
from helpers.io.dataset import CORE_TABLES, dataset_from_check, load_dataset  # noqa: E402
from helpers.io.inventory import take_inventory  # noqa: E402
from helpers.report.exports import write_csv, write_gpkg  # noqa: E402
from helpers.scale.cli import year_dataset  # noqa: E402
from helpers.viz.interactive import parcel_class_map, standalone_html  # noqa: E402
from helpers.viz.maps import class_map  # noqa: E402
from helpers.viz.style import setup_plotting  # noqa: E402

from .measure import Stages  # noqa: E402

EVALUATION_STAGES = [
    "land per enterprise, year frame",
    "indicators, scores, classes",
    "zone totals",
]


def _evaluate(dataset, year: int, stages: Stages, method_id: str = "linping_default"):
    """What ``helpers.scale.cli.evaluate_at_scale`` does after loading: the year's frame, the
    evaluation, the zone totals (each parcel's 街道: its own code, else its label point's zone)."""
    method = load_method(method_id)
    with stages.stage(EVALUATION_STAGES[0]):
        frame = enterprise_year_frame(dataset, year)
    with stages.stage(EVALUATION_STAGES[1]) as note:
        frame, _ = evaluate_frame(frame, method)
        note["evaluated"] = int((frame["status"] == "evaluated").sum())
    with stages.stage(EVALUATION_STAGES[2]):
        totals = dataset_zone_totals(dataset, frame)
    return frame, totals


def run_ours(folder: Path, year: int, stages: Stages, first: bool) -> dict:
    """Time every stage on ``folder``, as ``make evaluate`` does them: the first run (read and check
    every file of the folder, start writing the cache, evaluate while it is written, wait for it)
    or the re-run (the cache without the parcels' outlines, evaluate). ``MUJUN_CACHE_DIR`` says where the cache is (the benchmark gives each
    of its runs a cache of its own and empties it before a first run)."""
    folder = folder.resolve()
    reuse_freed_memory()  # as make evaluate does (helpers.scale.cli.main)
    if first:
        with stages.stage("ours: read and parse every file of the folder (first run)") as note:
            cfg = settings()
            inv = take_inventory(folder, cfg)
            note["rows"] = sum(len(s.frame) for s in inv.sources)
        with stages.stage("ours: check every rule, across tables (first run)") as note:
            check = check_inventory(folder, inv, cfg)
            note["problems"] = len(check.problems)
            del inv
        with stages.stage("ours: write the cache, keyed by every input byte (first run; the files in a thread of their own)"):
            written = cache.store_later(check, cache.inputs_dir() / cache.folder_key(folder))
        with stages.stage("ours: the checked tables as a dataset"):
            dataset = dataset_from_check(dataclasses.replace(check, tables={n: check.tables[n] for n in CORE_TABLES}))
        del check
    else:
        with stages.stage("ours: read the cache: no outlines, the year's panel rows (re-run)"):
            dataset = year_dataset(folder, year)  # what make evaluate reads
    frame, totals = _evaluate(dataset, year, stages)  # a first run's cache is written meanwhile
    if first:
        with stages.stage("ours: the cache written (first run; waited for)"):
            written.result()
    return {"classes": frame.set_index("credit_code")["class"], "zones": totals}


def run_outputs(folder: Path, year: int, out: Path, stages: Stages) -> None:
    """The maps and exports of the evaluated parcels (notebook 03's work), timed apart from the evaluation."""
    dataset = load_dataset(folder.resolve(), records=False)
    frame, _ = _evaluate(dataset, year, Stages(stages.engine, stages.n_parcels))  # evaluation timed in run_ours
    result = {"classes": frame.set_index("credit_code")["class"]}
    parcels = dataset.parcels[["parcel_id", "street_code", "registered_area_mu", "geometry"]].copy()
    main = dataset.links.sort_values("share", ascending=False, kind="stable").drop_duplicates("parcel_id")
    parcels["class"] = parcels["parcel_id"].map(dict(zip(main["parcel_id"], main["credit_code"].map(result["classes"]))))
    setup_plotting()
    boundary = load_boundary()
    with stages.stage("static map (PNG)", in_total=False) as note:
        fig = class_map(parcels, boundary, dataset.zones, f"亩均效益分类 {year}", "任务1", dataset.synthetic)
        fig.savefig(out / f"map_{len(parcels)}.png", dpi=110)
        plt.close(fig)
        note["drawn_as"] = "raster" if len(parcels) > 50_000 else "polygons"
    with stages.stage("interactive map page (HTML)", in_total=False) as note:
        html = standalone_html(parcel_class_map(parcels, boundary, {"parcel_id": "宗地代码", "class": "类别"}))
        page = out / f"map_{len(parcels)}.html"
        page.write_text(html, encoding="utf-8")
        note["page_mb"] = round(page.stat().st_size / 1e6, 2)
    with stages.stage("export: enterprises CSV + parcels GeoParquet", in_total=False):
        write_csv(frame[["credit_code", "status", "reason", "pool", "score", "rank", "class"]], out / "enterprises.csv")
        parcels.to_parquet(out / "parcels_evaluated.parquet", index=False, write_covering_bbox=True)
    with stages.stage("export: parcels GeoPackage (what notebook 03 writes)", in_total=False):
        write_gpkg(parcels, out / "parcels_evaluated.gpkg", "parcels")
