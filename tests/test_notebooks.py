"""Notebooks under papermill with non-default parameters: the numbers they print are the numbers
the helpers compute."""

import json

import nbformat
import papermill as pm
import pytest

from helpers.core import paths
from helpers.evaluate.evaluation import evaluate
from helpers.plan.goals import above_scale_figures

pytestmark = pytest.mark.notebook
EVAL_NB = paths.NOTEBOOKS_DIR / "02_mujun_evaluation.ipynb"


def summary_of(executed) -> dict:
    nb = nbformat.read(executed, as_version=4)
    cell = next(c for c in nb.cells if "remove_cell" in c.get("metadata", {}).get("tags", []))
    return json.loads("".join(o["text"] for o in cell["outputs"] if o.get("name") == "stdout"))


def glyph_warnings(executed) -> list[str]:
    nb = nbformat.read(executed, as_version=4)
    return [
        o["text"]
        for c in nb.cells
        for o in c.get("outputs", [])
        if o.get("name") == "stderr" and ("missing from font" in o["text"] or "Glyph" in o["text"])
    ]


def test_evaluation_notebook_non_default_parameters(tmp_path, sample):
    out = tmp_path / "eval.ipynb"
    pm.execute_notebook(
        str(EVAL_NB),
        str(out),
        kernel_name="python3",
        progress_bar=False,
        parameters={"year": 2022, "streets": "东湖街道", "method": "huangyan_2022", "anonymize": True, "top_n": 5},
    )
    s = summary_of(out)
    assert s["year"] == 2022 and s["method"] == "huangyan_2022" and s["streets"] == ["330113003"]
    ev = evaluate(sample, 2022, "huangyan_2022", streets="东湖街道")
    assert s["evaluated_by_pool"] == ev.evaluated.groupby("pool")["credit_code"].count().to_dict()
    assert s["above_scale"]["tax_per_mu"] == pytest.approx(above_scale_figures(ev.evaluated)["tax_per_mu"], rel=1e-6)
    # 黄岩's fixed benchmarks, not recomputed
    assert ["above_scale", "tax_per_mu", 24.097] in s["benchmarks"]
    assert glyph_warnings(out) == []
    # anonymised: no name or code of an evaluated enterprise appears in the shown outputs
    shown = "".join(
        json.dumps(c.get("outputs", []), ensure_ascii=False)
        for c in nbformat.read(out, 4).cells
        if "remove_cell" not in c.get("metadata", {}).get("tags", [])
    )
    weakest = ev.evaluated.nsmallest(5, "score")
    assert not any(n in shown for n in weakest["name"]) and not any(c in shown for c in weakest["credit_code"])


def test_unknown_street_fails_with_a_clear_message(tmp_path):
    with pytest.raises(pm.PapermillExecutionError, match="五常街道"):
        pm.execute_notebook(
            str(EVAL_NB),
            str(tmp_path / "bad.ipynb"),
            kernel_name="python3",
            progress_bar=False,
            parameters={"streets": "五常街道"},
        )


LOW_NB = paths.NOTEBOOKS_DIR / "03_low_efficiency.ipynb"


def test_low_efficiency_notebook_non_default_thresholds(tmp_path, sample):
    import geopandas as gpd
    import pandas as pd

    from helpers.policy.low_efficiency import load_rule, screen

    out_dir = tmp_path / "out"
    pm.execute_notebook(
        str(LOW_NB),
        str(tmp_path / "low.ipynb"),
        kernel_name="python3",
        progress_bar=False,
        parameters={
            "year": 2022,
            "streets": "乔司街道,塘栖镇",
            "clearance_line": 5.0,
            "hotspot_fdr": True,
            "hotspot_permutations": 199,
            "anonymize": True,
            "interactive_map": True,
            "output_dir": str(out_dir),
        },
    )
    assert glyph_warnings(tmp_path / "low.ipynb") == []
    lst = pd.read_excel(out_dir / "高耗低效整治企业清单_2022.xlsx", sheet_name="高耗低效整治企业清单")
    ev = evaluate(sample, 2022, "linping_default", streets="乔司街道,塘栖镇")
    expected = screen(ev.evaluated, load_rule())["listed"].sum()
    assert len(lst) == expected > 0
    assert set(lst["所属镇街"]) <= {"乔司街道", "塘栖镇"}
    # clearance line 5: every listed enterprise under 5万元/亩 without a ledger record is suggested 整体腾退
    suggested = lst["整治方式来源"].str.startswith("规则建议")
    under = suggested & (lst["亩均税收(万元/亩)"] < 5)
    assert under.any() and (lst.loc[under, "整治方式"] == "整体腾退").all()
    # anonymised: no real name or code in the list or the layer
    names, codes = set(sample.enterprises["name"]), set(sample.enterprises["credit_code"])
    assert not (set(lst["企业名称"]) & names) and not (set(lst["统一社会信用代码"]) & codes)
    layer = gpd.read_file(out_dir / "parcels_evaluated_2022.gpkg")
    assert set(layer["street_code"]) == {"330113005", "330113100"}
    assert not (set(layer["main_user_name"].dropna()) & names)
    assert {"gi_bin", "gi_z", "moran_quadrant", "below_clearance"} <= set(layer.columns)
    # nor anywhere in the executed notebook's outputs, the interactive map's tooltips included
    shown = "".join(json.dumps(c.get("outputs", []), ensure_ascii=False) for c in nbformat.read(tmp_path / "low.ipynb", 4).cells)
    assert "srcdoc" in shown and "企业-" in shown
    assert not [n for n in names if n in shown] and not [c for c in codes if c in shown]


TRACKER_NB = paths.NOTEBOOKS_DIR / "00_task_tracker.ipynb"


def zlib_levels(executed) -> set[int]:
    """The zlib level class (0 fastest, 1 fast, 2 default, 3 best; RFC 1950's FLEVEL) of every PNG
    chart in the executed notebook, from the first IDAT chunk's header."""
    import base64
    import struct

    levels = set()
    for cell in nbformat.read(executed, as_version=4).cells:
        for output in cell.get("outputs", []):
            png = output.get("data", {}).get("image/png")
            if not png:
                continue
            data, at = base64.b64decode(png), 8
            while data[at + 4 : at + 8] != b"IDAT":
                at += 12 + struct.unpack(">I", data[at : at + 4])[0]
            levels.add(data[at + 9] >> 6)
    return levels


def test_a_researchers_own_figure_formats_are_left_alone(tmp_path):
    """``setup_plotting`` compresses PNG charts harder, and only those: a notebook whose kernel shows
    figures as SVG keeps showing SVG (no PNG options handed to the SVG writer, no error)."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(  # what %config InlineBackend.figure_formats sets
            "from matplotlib_inline.backend_inline import InlineBackend\nInlineBackend.instance().figure_formats = {'svg'}"
        ),
        nbformat.v4.new_code_cell(
            "from helpers.viz.style import setup_plotting\nimport matplotlib.pyplot as plt\nsetup_plotting()\n"
            "fig, ax = plt.subplots()\nax.plot([1, 2], [3, 4])\nax.set_title('亩均税收')\nfig"
        ),
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    source, out = tmp_path / "svg.ipynb", tmp_path / "svg_out.ipynb"
    nbformat.write(nb, source)
    pm.execute_notebook(str(source), str(out), kernel_name="python3", progress_bar=False, cwd=str(paths.PROJECT_ROOT))
    shown = [o.get("data", {}) for o in nbformat.read(out, as_version=4).cells[1].outputs]
    assert any("image/svg+xml" in d for d in shown) and not any("image/png" in d for d in shown)


def test_tracker_single_task(tmp_path):
    out = tmp_path / "t.ipynb"
    pm.execute_notebook(
        str(TRACKER_NB),
        str(out),
        kernel_name="python3",
        progress_bar=False,
        parameters={"tasks": "7", "year": 2022, "output_dir": str(tmp_path)},
    )
    shown = "".join(json.dumps(c.get("outputs", []), ensure_ascii=False) for c in nbformat.read(out, 4).cells)
    assert 'id=\\"task-07\\"' in shown or 'id="task-07"' in shown
    assert "task-08" not in shown and "task-06" not in shown
    assert "加速重大科技成果产业化" in shown and "区经科局" in shown and glyph_warnings(out) == []
    assert zlib_levels(out) == {1}  # the charts compressed at style.PNG_COMPRESS_LEVEL (3), not Pillow's 6


SCENARIO_NB = paths.NOTEBOOKS_DIR / "04_scenario.ipynb"


def test_scenario_notebook_non_default(tmp_path, sample):
    from helpers.policy.low_efficiency import load_rule
    from helpers.policy.scenario import apply_scenario, load_defaults, load_scenario

    out = tmp_path / "s.ipynb"
    pm.execute_notebook(
        str(SCENARIO_NB),
        str(out),
        kernel_name="python3",
        progress_bar=False,
        parameters={"data_year": 2021, "thresholds": "2,6", "densities": "1.0", "anonymize": True},
    )
    assert glyph_warnings(out) == []
    shown = "".join(json.dumps(c.get("outputs", []), ensure_ascii=False) for c in nbformat.read(out, 4).cells)
    r = apply_scenario(evaluate(sample, 2021).evaluated, load_scenario("default"), load_rule(), load_defaults(), 2021)
    assert f"{int(r.totals['exits'])}** 家" in shown and f"{r.totals['land_freed_mu']:,.0f} 亩" in shown
    assert not [n for n in sample.enterprises["name"] if n in shown]
    assert "Smallest exit line reaching each target" in shown and "×1" in shown
