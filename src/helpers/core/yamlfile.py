"""Reading the project's YAML data files (methods, goals, sample calibration)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from helpers.core.errors import InputError


def load_yaml(path: str | Path) -> Any:
    """Parse a YAML file; a missing or malformed file raises ``InputError`` naming it."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found", expected="an existing YAML file")
    try:
        with path.open(encoding="utf-8") as f:
            return yaml.safe_load(f)
    except yaml.YAMLError as exc:
        raise InputError(path, f"not valid YAML ({exc})", expected="a YAML document") from exc
