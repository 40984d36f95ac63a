"""The layers of ``helpers`` and the direction of imports between them.

A module may import from its own sub-package and from any layer below it, never from a layer above
(that is how a cycle starts). ``docs/architecture.md`` names every module's role; a module missing
from it fails here, so the map cannot drift from the code.
"""

from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

import pytest

from helpers.core import paths

HELPERS = paths.PROJECT_ROOT / "src" / "helpers"
ARCHITECTURE_DOC = paths.PROJECT_ROOT / "docs" / "architecture.md"
# Lowest first. A layer may import every layer before it in this list; entries of one tuple are
# siblings that do not import each other.
LAYERS: list[tuple[str, ...]] = [
    ("core",),
    ("io",),
    ("synthetic", "evaluate"),
    ("plan",),
    ("policy",),
    ("progress",),
    ("viz",),
    ("report",),
    ("scale",),
]


def rank(package: str) -> int:
    for i, layer in enumerate(LAYERS):
        if package in layer:
            return i
    raise KeyError(package)


def imported_packages(path: Path, root: Path) -> set[tuple[str, int]]:
    """(sub-package of helpers, line) for every import of ``helpers.<package>`` in ``path``, relative
    imports resolved against the module's own package."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    own = path.relative_to(root).parts
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(own[: -node.level]) if node.level <= len(own) - 1 else []
                parts = base + (node.module.split(".") if node.module else [])
                if not parts:
                    continue
                out.add((parts[0], node.lineno))
            elif node.module and node.module.split(".")[0] == "helpers":
                parts = node.module.split(".")
                if len(parts) > 1:
                    out.add((parts[1], node.lineno))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "helpers" and len(parts) > 1:
                    out.add((parts[1], node.lineno))
    return out


def violations(root: Path) -> list[str]:
    """Every import that goes up or sideways between layers, as 'file:line package -> package'."""
    found = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        if len(rel.parts) < 2:  # helpers/__init__.py: imports nothing
            continue
        mine = rel.parts[0]
        for package, line in imported_packages(path, root):
            if package == mine or not (root / package).is_dir():
                continue
            if rank(package) >= rank(mine):
                found.append(f"{rel}:{line} {mine} -> {package}")
    return found


def modules(root: Path) -> list[str]:
    return sorted(".".join(p.relative_to(root).with_suffix("").parts) for p in root.rglob("*.py") if p.name != "__init__.py")


def test_every_package_has_a_layer():
    packages = sorted(p.name for p in HELPERS.iterdir() if (p / "__init__.py").is_file())
    assert packages == sorted(name for layer in LAYERS for name in layer)


def test_no_import_goes_up_a_layer():
    assert violations(HELPERS) == []


def test_an_upward_import_is_caught(tmp_path):
    copy = tmp_path / "helpers"
    shutil.copytree(HELPERS, copy, ignore=shutil.ignore_patterns("__pycache__", "static"))
    assert violations(copy) == []
    units = copy / "core" / "units.py"
    units.write_text(
        units.read_text(encoding="utf-8") + "\nfrom helpers.evaluate.indicators import indicator_defs\n", encoding="utf-8"
    )
    relative = copy / "io" / "formats.py"
    relative.write_text(relative.read_text(encoding="utf-8") + "\nfrom ..viz import style\n", encoding="utf-8")
    found = violations(copy)
    assert any(v.startswith("core/units.py:") and v.endswith("core -> evaluate") for v in found)
    assert any(v.startswith("io/formats.py:") and v.endswith("io -> viz") for v in found)


def test_architecture_doc_names_every_module():
    text = ARCHITECTURE_DOC.read_text(encoding="utf-8")
    documented = set(re.findall(r"`((?:[a-z_]+)\.(?:[a-z_]+))`", text))
    missing = [m for m in modules(HELPERS) if m not in documented]
    assert missing == [], f"modules without a role in docs/architecture.md: {missing}"
    stale = sorted(
        m for m in documented if m.split(".")[0] in {n for layer in LAYERS for n in layer} and m not in modules(HELPERS)
    )
    assert stale == [], f"docs/architecture.md names modules that do not exist: {stale}"


@pytest.mark.parametrize("package", [name for layer in LAYERS for name in layer])
def test_each_package_says_what_it_offers(package):
    init = HELPERS / package / "__init__.py"
    doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
    assert doc and len(doc.splitlines()) >= 3, f"{init} needs a docstring naming its modules and public API"
    for module in modules(HELPERS / package):
        assert f"``{module}``" in doc, f"{init} does not name its module {module}"


def test_a_page_imports_only_what_every_kernel_needs():
    """Each kernel imports its page module: folium (the interactive map), openpyxl (the workbook) and
    python-docx (the briefing) are imported by the one section that uses them, not by every kernel
    (about 0.7 s each of the seven kernels paid before)."""
    import subprocess
    import sys

    pages = [
        "tracker_page",
        "overview_page",
        "evaluation_page",
        "low_efficiency_page",
        "scenario_page",
        "enterprises_page",
        "effects_page",
    ]
    code = (
        "import sys, matplotlib; matplotlib.use('Agg')\n"
        + "".join(f"import helpers.report.{p}\n" for p in pages)
        + "print(sorted(m for m in ('folium', 'openpyxl', 'docx', 'linearmodels', 'spreg', 'esda') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.slow
def test_the_runner_imports_the_notebook_libraries_without_iri_grammars():
    """The runner's process imports papermill, nbformat and nbconvert without rfc3987_syntax, which
    jsonschema would import and which compiles 39 grammars (1.8 s before the first notebook), and
    nbformat still validates a notebook (it validates with fastjsonschema)."""
    import subprocess
    import sys

    code = (
        "import sys, helpers.report.runner, nbformat\n"
        "nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('1')])\n"
        "nbformat.validate(nb)\n"
        "print(sys.modules['rfc3987_syntax'])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "None"
