"""Project folders. Notebooks and tests take every path from here, never from ``../``.

Papermill runs notebooks from the caller's working directory, so paths are anchored at the
project root (found from this file), not at the current directory.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[3]
DATA_DIR = PROJECT_ROOT / "data"
GEO_DIR = DATA_DIR / "geo"
SAMPLE_DIR = DATA_DIR / "sample"
METHODS_DIR = DATA_DIR / "methods"
PLAN_DIR = DATA_DIR / "plan"
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
REPORTS_DIR = PROJECT_ROOT / "reports"
PARAMS_DIR = PROJECT_ROOT / "params"
# Parsed inputs (GeoParquet) and generated benchmark folders: never inside data/. MUJUN_CACHE_DIR moves it.
CACHE_DIR = Path(os.environ.get("MUJUN_CACHE_DIR") or PROJECT_ROOT / ".cache")


def resolve(path: str | Path, base: Path = PROJECT_ROOT) -> Path:
    """An absolute path: ``path`` itself if absolute, else relative to ``base`` (the project root)."""
    p = Path(path).expanduser()
    return p if p.is_absolute() else (base / p).resolve()


def display(path: str | Path) -> str:
    """``path`` relative to the project root when it is inside it, else absolute (for reports)."""
    p = Path(path).resolve()
    return str(p.relative_to(PROJECT_ROOT)) if p.is_relative_to(PROJECT_ROOT) else str(p)


def method_file(method: str) -> Path:
    """The YAML file of a method given by id (``huangyan_2022``) or by path."""
    p = Path(method)
    if p.suffix in {".yaml", ".yml"}:
        return resolve(p)
    return METHODS_DIR / f"{method}.yaml"
