"""What a run was made from: input file hashes, package versions, git commit, machine."""

from __future__ import annotations

import hashlib
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from helpers.core import paths

PACKAGES = [
    "numpy",
    "pandas",
    "geopandas",
    "shapely",
    "pyproj",
    "pyogrio",
    "pyarrow",
    "matplotlib",
    "seaborn",
    "mapclassify",
    "papermill",
    "nbconvert",
    "nbformat",
    "ipykernel",
    "mplfonts",
    "linping-mujun",
]


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def hash_tree(folder: Path) -> dict[str, str]:
    """sha256 of every file below ``folder``, keyed by path relative to the project root where possible."""
    return {paths.display(p): sha256_file(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def package_versions() -> dict[str, str]:
    out = {"python": sys.version.split()[0]}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def git_state(root: Path = paths.PROJECT_ROOT) -> dict[str, str | bool | None]:
    def git(*args: str) -> str | None:
        try:
            r = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return r.stdout.strip() if r.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    dirty = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": bool(dirty) if dirty is not None else None}


def machine() -> dict[str, str]:
    return {"platform": platform.platform(), "processor": platform.machine()}
