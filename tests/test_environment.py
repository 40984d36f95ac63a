"""pyproject.toml and environment.yml carry the same dependencies; the docs link only to what exists;
the licence and citation files match pyproject.toml."""

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


DOCS = [
    paths.PROJECT_ROOT / "README.md",
    paths.PROJECT_ROOT / "CHANGELOG.md",
    *sorted((paths.PROJECT_ROOT / "docs").glob("*.md")),
]


def test_readme_is_short_and_every_local_link_resolves():
    readme = (paths.PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.encode("utf-8")) <= 10 * 1024, "README: what it is, two commands, the report, where to read on"
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
            if not target.startswith(("http://", "https://")):
                assert (doc.parent / target).exists(), f"{doc.name}: broken link {target}"


def test_method_doc_explains_the_rules_and_shows_its_images():
    method = (paths.PROJECT_ROOT / "docs" / "method.md").read_text(encoding="utf-8")
    assert "**The 高耗低效 rule.**" in method and "**Hot spots.**" in method and "**Scope is a view.**" in method
    assert re.findall(r"!\[[^\]]*\]\(([^)]+)\)", method)


def test_licence_and_citation_match_the_project():
    project = tomllib.loads((paths.PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    citation = yaml.safe_load((paths.PROJECT_ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert citation["license"] == project["license"] == "MIT"
    assert str(citation["version"]) == project["version"]
    assert (paths.PROJECT_ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
