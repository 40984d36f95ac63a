"""The notebooks are thin: a parameters cell, one import cell, then cells that are each one call
into ``helpers.report`` (whose result displays itself). No logic, literal target, plan name,
filtering or aggregation lives in a notebook; they are committed without outputs, kernel python3."""

from __future__ import annotations

import ast
import json
import re

import pytest

from helpers.core import paths
from helpers.plan.goals import load_goals
from helpers.plan.tasks import load_tasks

NOTEBOOKS = sorted(paths.NOTEBOOKS_DIR.glob("*.ipynb"))
PARAMETER_LINE = re.compile(r"^[a-z_][a-z0-9_]*: [^=]+ = .+  # \S.*$")  # name: type = default  # meaning


def cells(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def code_cells(path):
    return [c for c in cells(path) if c["cell_type"] == "code"]


def source(cell) -> str:
    return "".join(cell["source"])


def target_texts() -> set[str]:
    """Each target of data/plan/ written the way a page would type it: the number with its unit
    (41万元/亩 → "41万元", 3500亩 → "3500亩", a share of 0.25 → "25%")."""
    _, tasks = load_tasks()
    _, goals = load_goals()
    targets = [t for ts in tasks["targets"] for t in ts] + goals.to_dict("records")
    out = set()
    for t in targets:
        value, unit = float(t["value"]), str(t["unit"])
        out.add(f"{100 * value:g}%" if unit == "比例" else f"{value:g}{unit[:2] if unit.startswith('万元') else unit[0]}")
    return {s for s in out if not s.startswith("0")}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_clean_with_the_python3_kernel(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    for c in code_cells(path):
        assert c["outputs"] == [] and c["execution_count"] is None
    text = "".join(source(c) for c in cells(path))
    assert "../data" not in text and "sys.path" not in text, "paths come from helpers.core.paths"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_parameters_cell_first_one_per_line_with_its_meaning(path):
    first = code_cells(path)[0]
    assert sum("parameters" in c["metadata"].get("tags", []) for c in code_cells(path)) == 1
    assert "parameters" in first["metadata"].get("tags", [])
    for line in source(first).splitlines():
        assert PARAMETER_LINE.match(line), f"{path.name}: parameter line without `name: type = default  # meaning`: {line!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_papermill_shows_a_type_and_a_meaning_for_every_parameter(path):
    import papermill as pm

    for name, spec in pm.inspect_notebook(str(path)).items():
        assert spec["inferred_type_name"] not in (None, "None"), f"{path.name}: {name} has no declared type"
        assert spec["help"], f"{path.name}: {name} has no meaning"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_cell_is_one_call(path):
    rest = code_cells(path)[1:]
    imports = ast.parse(source(rest[0]))
    assert all(isinstance(n, ast.ImportFrom) and n.module.startswith("helpers.report") for n in imports.body), (
        f"{path.name}: the cell after the parameters imports the page and build_context from helpers.report only"
    )
    for cell in rest[1:]:
        tree = ast.parse(source(cell))
        assert len(tree.body) == 1, f"{path.name}: more than one statement in {source(cell)!r}"
        node = tree.body[0]
        value = node.value if isinstance(node, (ast.Expr, ast.Assign)) else None
        assert isinstance(value, ast.Call), f"{path.name}: not a call: {source(cell)!r}"
        if isinstance(node, ast.Assign):
            assert [t.id for t in node.targets if isinstance(t, ast.Name)] == ["ctx"], "only the context is assigned"
        for sub in ast.walk(tree):
            assert not isinstance(
                sub,
                (
                    ast.Lambda,
                    ast.ListComp,
                    ast.DictComp,
                    ast.GeneratorExp,
                    ast.Subscript,
                    ast.BinOp,
                    ast.Compare,
                    ast.If,
                    ast.For,
                ),
            ), f"{path.name}: logic in {source(cell)!r}"
            if isinstance(sub, ast.Constant) and not isinstance(sub.value, bool):
                assert not isinstance(sub.value, (int, float)), f"{path.name}: literal number in {source(cell)!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_target_or_plan_name_typed_into_a_notebook(path):
    texts = target_texts()
    assert {"41万元", "3500亩", "20000吨", "33万元", "15家", "6个"} <= texts  # the test sees the plan's targets
    for cell in cells(path):
        text = source(cell)
        found = sorted(t for t in texts if re.search(rf"(?<![\d.]){re.escape(t)}", text))
        assert found == [], f"{path.name}: target(s) {found} typed into a {cell['cell_type']} cell; read them from data/plan/"
        if cell["cell_type"] == "code":
            assert "临平政办" not in text, f"{path.name}: the plan's name is data (data/plan/goals.yaml), not code"


def test_the_checks_catch_a_fat_cell(tmp_path):
    fat = tmp_path / "fat.ipynb"
    nb = json.loads(NOTEBOOKS[0].read_text(encoding="utf-8"))
    nb["cells"].append(
        {
            "cell_type": "code",
            "metadata": {},
            "outputs": [],
            "execution_count": None,
            "source": ["x = page.header(ctx)\n", "display(x)\n"],
        }
    )
    nb["cells"].append({"cell_type": "markdown", "metadata": {}, "source": ["目标 3500亩"]})
    fat.write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(AssertionError, match="more than one statement"):
        test_every_cell_is_one_call(fat)
    with pytest.raises(AssertionError, match="3500亩"):
        test_no_target_or_plan_name_typed_into_a_notebook(fat)
