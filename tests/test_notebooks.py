"""Notebooks under papermill with non-default parameters: the numbers they print are the numbers
the helpers compute."""

import json

import nbformat
import papermill as pm
import pytest

from helpers import paths
from helpers.evaluation import evaluate
from helpers.goals import above_scale_figures

pytestmark = pytest.mark.notebook
EVAL_NB = paths.NOTEBOOKS_DIR / "01_mujun_evaluation.ipynb"


def summary_of(executed) -> dict:
    nb = nbformat.read(executed, as_version=4)
    cell = next(c for c in nb.cells if "remove_cell" in c.get("metadata", {}).get("tags", []))
    return json.loads("".join(o["text"] for o in cell["outputs"] if o.get("name") == "stdout"))


def glyph_warnings(executed) -> list[str]:
    nb = nbformat.read(executed, as_version=4)
    return [o["text"] for c in nb.cells for o in c.get("outputs", [])
            if o.get("name") == "stderr" and ("missing from font" in o["text"] or "Glyph" in o["text"])]


def test_evaluation_notebook_non_default_parameters(tmp_path, sample):
    out = tmp_path / "eval.ipynb"
    pm.execute_notebook(str(EVAL_NB), str(out), kernel_name="python3", progress_bar=False,
                        parameters={"year": 2022, "streets": "东湖街道", "method": "huangyan_2022",
                                    "anonymize": True, "top_n": 5})
    s = summary_of(out)
    assert s["year"] == 2022 and s["method"] == "huangyan_2022" and s["streets"] == ["330113003"]
    ev = evaluate(sample, 2022, "huangyan_2022", streets="东湖街道")
    assert s["evaluated_by_pool"] == ev.evaluated.groupby("pool")["credit_code"].count().to_dict()
    assert s["above_scale"]["tax_per_mu"] == pytest.approx(above_scale_figures(ev.evaluated)["tax_per_mu"], rel=1e-6)
    # 黄岩's fixed benchmarks, not recomputed
    assert ["above_scale", "tax_per_mu", 24.097] in s["benchmarks"]
    assert glyph_warnings(out) == []
    # anonymised: no name or code of an evaluated enterprise appears in the shown outputs
    shown = "".join(json.dumps(c.get("outputs", []), ensure_ascii=False) for c in nbformat.read(out, 4).cells
                    if "remove_cell" not in c.get("metadata", {}).get("tags", []))
    weakest = ev.evaluated.nsmallest(5, "score")
    assert not any(n in shown for n in weakest["name"]) and not any(c in shown for c in weakest["credit_code"])


def test_unknown_street_fails_with_a_clear_message(tmp_path):
    with pytest.raises(pm.PapermillExecutionError, match="五常街道"):
        pm.execute_notebook(str(EVAL_NB), str(tmp_path / "bad.ipynb"), kernel_name="python3",
                            progress_bar=False, parameters={"streets": "五常街道"})
