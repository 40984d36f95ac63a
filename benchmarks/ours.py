"""This project's pipeline, stage by stage, with the functions the notebooks call."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from helpers.core.geography import load_boundary  # noqa: E402
from helpers.evaluate.frame import enterprise_year_frame, evaluate_frame  # noqa: E402
from helpers.evaluate.methods import load_method  # noqa: E402
from helpers.evaluate.zones import dataset_parcel_zones, dataset_zone_totals, zone_table  # noqa: E402
from helpers.io import cache  # noqa: E402
from helpers.io.check import check_inventory, settings  # noqa: E402
from helpers.io.dataset import CORE_TABLES, dataset_from_check  # noqa: E402
from helpers.io.inventory import take_inventory  # noqa: E402
from helpers.report.exports import write_csv, write_gpkg  # noqa: E402
from helpers.viz.interactive import parcel_class_map, standalone_html  # noqa: E402
from helpers.viz.maps import class_map  # noqa: E402
from helpers.viz.style import setup_plotting  # noqa: E402

from .measure import Stages  # noqa: E402

EVALUATION_STAGES = [
    "area, land per enterprise, year frame",
    "indicators, scores, classes",
    "spatial join to zones",
    "zone aggregation",
]


def run_ours(folder: Path, year: int, out: Path, stages: Stages, cold: bool = True, outputs: bool = True) -> dict:
    """Time every stage on ``folder``; returns the enterprises' classes and the zone table."""
    folder = folder.resolve()
    if cold:
        with stages.stage("read: parse the folder's files (first run)", in_total=False) as note:
            cfg = settings()
            inv = take_inventory(folder, cfg)
            note["rows"] = sum(len(s.frame) for s in inv.sources)
        with stages.stage("validate: types, rules, cross-table checks (first run)", in_total=False) as note:
            check = check_inventory(folder, inv, cfg)
            note["problems"] = len(check.problems)
            del inv
        entry = cache.inputs_dir() / cache.folder_key(folder)
        with stages.stage("cache: write GeoParquet (first run)", in_total=False):
            cache.store(check, entry)
        del check
    with stages.stage("read: GeoParquet cache of the core tables (re-run, key hashes every input byte)"):
        check = cache.checked_folder(folder, trace=False, tables=CORE_TABLES)
    method = load_method("linping_default")
    with stages.stage(EVALUATION_STAGES[0]):
        dataset = dataset_from_check(check)
        frame = enterprise_year_frame(dataset, year)
    del check
    with stages.stage(EVALUATION_STAGES[1]) as note:
        frame, _ = evaluate_frame(frame, method)
        note["evaluated"] = int((frame["status"] == "evaluated").sum())
    with stages.stage(EVALUATION_STAGES[2]) as note:
        zone = dataset_parcel_zones(dataset)
        note["in_no_zone"] = int(zone.isna().sum())
    with stages.stage(EVALUATION_STAGES[3]):
        table = zone_table(dataset_zone_totals(dataset, frame, zone))
    result = {"classes": frame.set_index("credit_code")["class"], "zones": table}
    if not outputs:
        return result
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
    return result
