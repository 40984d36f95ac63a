"""pyproject.toml and environment.yml carry the same dependencies; the README's images exist."""

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


def test_readme_images_exist_and_methods_are_explained():
    readme = (paths.PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", readme)
    assert images and all((paths.PROJECT_ROOT / i).is_file() for i in images)
    assert "**The 高耗低效 rule.**" in readme and "**Hot spots.**" in readme
