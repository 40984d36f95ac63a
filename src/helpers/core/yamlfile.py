"""Reading the project's YAML data files (methods, goals, sample calibration).

A file is parsed once per version (path, modification time, size) and each caller gets its own
copy: the plan's goals are read by every page and every 街道 of the race, and parsing the YAML
again each time cost about 45 ms a call.
"""

from __future__ import annotations

import copy
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from helpers.core.errors import InputError

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: the same documents, faster


@lru_cache(maxsize=64)
def _parsed(path: str, mtime_ns: int, size: int) -> Any:
    with open(path, encoding="utf-8") as f:
        return yaml.load(f, Loader=_LOADER)  # noqa: S506 - a safe loader


def load_yaml(path: str | Path) -> Any:
    """Parse a YAML file; a missing or malformed file raises ``InputError`` naming it. The result
    is the caller's to change (a copy of the parsed document)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found", expected="an existing YAML file")
    stat = path.stat()
    try:
        return copy.deepcopy(_parsed(str(path.resolve()), stat.st_mtime_ns, stat.st_size))
    except yaml.YAMLError as exc:
        raise InputError(path, f"not valid YAML ({exc})", expected="a YAML document") from exc
