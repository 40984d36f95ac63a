"""What the data check says, made fit for an anonymised run: no folder path, file, sheet or parcel code.

The check's notes, warnings and exclusions name the files and sheets they come from (a file name
may carry an enterprise's name: "某某公司用地.xlsx") and sometimes parcel codes (the parcels whose
shares were split). In an anonymised run ``redactor(dataset)`` replaces the folder's path by
``<数据>``, each file of the folder by ``文件N`` (its extension kept), each subfolder by ``文件夹N``, each sheet by ``表N`` and each
parcel code by its pseudonym (``io.privacy.parcel_pseudonym``, as the anonymised dataset names it);
in any other run it changes nothing. Sheets are numbered once, in the order the check's texts name
them, so ``表2`` is the same sheet in every section and file of a run. Used by the data overview
and the run's ``tables/`` CSVs.

The run's own record (``parameters.yaml``, ``provenance.json``, ``index.html`` and the executed
notebooks' injected parameters) goes through ``shared_parameters`` and ``shared_inputs``: the data
folder becomes ``<数据>``, the run folder ``.``, and each input file ``<数据>/文件N.ext`` under the same
numbers (``data_file_aliases``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from helpers.core.paths import display
from helpers.io.privacy import parcel_pseudonym, pseudonym_key

DATA_PLACEHOLDER = "<数据>"
RUN_PLACEHOLDER = "."  # a run's own folder, as its files refer to each other
PATH_PARAMETERS = {"data_dir": DATA_PLACEHOLDER, "output_dir": RUN_PLACEHOLDER}

_SHEET = re.compile(r"(文件\d+(?:\.\w+)?) \[([^\]]+)\]")
_TOKEN = re.compile(r"[0-9A-Za-z_\-]+")  # every run of code characters: a parcel may be coded "P7" or "12"


@dataclass
class Redactor:
    """A text → text function (identity when ``active`` is False), and the same on table columns."""

    active: bool = False
    paths: list[tuple[str, str]] = field(default_factory=list)  # (original, replacement), longest first
    parcel_alias: Callable[[str], str | None] = lambda _: None
    sheets: dict[str, str] = field(default_factory=dict)

    def _paths(self, text: str) -> str:
        for original, replacement in self.paths:
            text = text.replace(original, replacement)
        return text

    def __call__(self, text: object) -> str:
        out = str(text)
        if not self.active:
            return out
        out = _SHEET.sub(
            lambda m: f"{m.group(1)} [{self.sheets.setdefault(m.group(2), f'表{len(self.sheets) + 1}')}]", self._paths(out)
        )
        return _TOKEN.sub(lambda m: self.parcel_alias(m.group(0)) or m.group(0), out)

    def frame(self, table: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
        """``table`` with the text of ``columns`` redacted (a copy; the check's own tables are kept)."""
        if not self.active:
            return table
        return table.assign(**{c: table[c].map(self, na_action="ignore") for c in columns if c in table})


def data_file_aliases(folder: Path) -> list[tuple[Path, str]]:
    """Every file under ``folder`` (subfolders included, sorted by path) with its alias ``文件N.ext``:
    the one numbering of a data folder's files that every part of an anonymised run uses."""
    files = sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []
    return [(p, f"文件{i}{p.suffix}") for i, p in enumerate(files, 1)]


def shared_parameters(parameters: dict, anonymized: bool) -> dict:
    """``parameters`` as an anonymised run records them: the data and run folders replaced by
    placeholders (``PATH_PARAMETERS``); unchanged in any other run."""
    if not anonymized:
        return dict(parameters)
    return {k: PATH_PARAMETERS.get(k, v) if v is not None else v for k, v in parameters.items()}


def shared_inputs(inputs: dict[str, str], data_dir: Path, anonymized: bool) -> dict[str, str]:
    """The run's input hashes (path → sha256) with the data folder's files named ``<数据>/文件N.ext``
    in an anonymised run (the hashes still let the owner of the data prove which files were used)."""
    if not anonymized:
        return dict(inputs)
    alias = {display(p): f"{DATA_PLACEHOLDER}/{a}" for p, a in data_file_aliases(data_dir)}
    return {alias.get(k, k): v for k, v in inputs.items()}


def redactor(dataset) -> Redactor:
    """The redaction of ``dataset``'s check texts: active only for an anonymised dataset."""
    check = dataset.check
    if not dataset.anonymized or check is None:
        return Redactor()
    folder = check.folder
    files = data_file_aliases(folder)
    subfolders = sorted(p for p in folder.rglob("*") if p.is_dir()) if folder.is_dir() else []
    paths = [(str(p), a) for p, a in files] + [(str(p.relative_to(folder)), a) for p, a in files]
    paths += [(p.name, a) for p, a in files]
    # a subfolder only by its path: a bare name such as "2022" or "old" would rewrite ordinary words
    paths += [(str(p), f"{DATA_PLACEHOLDER}/文件夹{i}") for i, p in enumerate(subfolders, 1)]
    paths.append((str(folder), DATA_PLACEHOLDER))
    paths.sort(key=lambda pair: -len(pair[0]))
    key, _ = pseudonym_key(dataset.synthetic)
    parcels = check.tables.get("parcels")
    codes = set(parcels["parcel_id"].dropna().astype(str)) if parcels is not None else set()

    def parcel_alias(token: str) -> str | None:
        return parcel_pseudonym(token, key) if token in codes else None  # as the anonymised dataset names it

    redact = Redactor(True, paths, parcel_alias)
    texts = [*check.notes, *check.ignored, *check.excluded["file"].astype(str), *(p.file for p in check.problems)]
    for text in texts:  # number the sheets once, in the check's order
        for m in _SHEET.finditer(redact._paths(text)):
            redact.sheets.setdefault(m.group(2), f"表{len(redact.sheets) + 1}")
    return redact


__all__ = ["Redactor", "data_file_aliases", "redactor", "shared_inputs", "shared_parameters"]
