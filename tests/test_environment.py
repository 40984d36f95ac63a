"""pyproject.toml and environment.yml carry the same dependencies, and notebooks keep the conventions."""

import json
import re
import tomllib

import yaml

from helpers.core import paths


def normalise(spec: str) -> tuple[str, str]:
    spec = spec.replace(" ", "")
    m = re.match(r"^([A-Za-z0-9_.\-]+)(.*)$", spec)
    return m.group(1).lower().replace("_", "-"), m.group(2)


def test_dependency_lists_in_step():
    project = tomllib.loads((paths.PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = dict(normalise(s) for s in project["dependencies"] + project["optional-dependencies"]["dev"])
    env = yaml.safe_load((paths.PROJECT_ROOT / "environment.yml").read_text(encoding="utf-8"))
    conda, pip = [], []
    for d in env["dependencies"]:
        if isinstance(d, dict):
            pip += [p for p in d["pip"] if not p.startswith("-e")]
        elif not d.startswith(("python=", "pip")):
            conda.append(d)
    have = dict(normalise(s) for s in conda + pip)
    assert have == wanted
    assert env["channels"] == ["conda-forge"]
    assert any(isinstance(d, dict) and "-e ." in d["pip"] for d in env["dependencies"])


def test_notebooks_are_committed_clean():
    nbs = sorted(paths.NOTEBOOKS_DIR.glob("*.ipynb"))
    assert nbs
    for nb_path in nbs:
        nb = json.loads(nb_path.read_text(encoding="utf-8"))
        assert nb["metadata"]["kernelspec"]["name"] == "python3", nb_path.name
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        assert all(not c.get("outputs") and c.get("execution_count") is None for c in code), nb_path.name
        params = [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
        assert len(params) == 1, nb_path.name
        for line in "".join(params[0]["source"]).splitlines():
            assert re.match(r"^\w+ = .+  # \S", line), f"{nb_path.name}: parameter line without '  # meaning': {line}"
        text = "".join("".join(c["source"]) for c in nb["cells"])
        assert "../data" not in text and "sys.path" not in text, nb_path.name


def test_readme_images_exist_and_methods_are_explained():
    readme = (paths.PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", readme)
    assert images and all((paths.PROJECT_ROOT / i).is_file() for i in images)
    assert "**The 高耗低效 rule.**" in readme and "**Hot spots.**" in readme
